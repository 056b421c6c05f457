package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/scimhq/scimhq/resources"
)

// readJSONObject reads a request body that must be one JSON object, within the size
// limit, with numbers kept exact (json.Number) for the schema validator.
func (s *Server) readJSONObject(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	return s.readJSONObjectLimit(w, r, s.maxBodyBytes())
}

// readJSONObjectLimit is readJSONObject with its own size limit: the body is never read
// past it.
func (s *Server) readJSONObjectLimit(w http.ResponseWriter, r *http.Request, limit int64) (map[string]any, error) {
	if err := checkContentType(r); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errTooLarge{limit: limit}
		}
		return nil, resources.Errorf(resources.KindInvalidSyntax, "the request body could not be read: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var body any
	if err := dec.Decode(&body); err != nil {
		return nil, jsonError(data, err)
	}
	if dec.More() {
		return nil, resources.Errorf(resources.KindInvalidSyntax, "the request body has data after its JSON object")
	}
	obj, ok := body.(map[string]any)
	if !ok {
		return nil, resources.Errorf(resources.KindInvalidSyntax, "the request body must be a JSON object")
	}
	return obj, nil
}

// jsonError explains a JSON syntax error with its position.
func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line, col := position(data, syn.Offset)
		return resources.Errorf(resources.KindInvalidSyntax, "the request body is not valid JSON: %v (line %d, column %d)", syn, line, col)
	}
	if errors.Is(err, io.EOF) {
		return resources.Errorf(resources.KindInvalidSyntax, "the request body is empty; a JSON object was expected")
	}
	return resources.Errorf(resources.KindInvalidSyntax, "the request body is not valid JSON: %v", err)
}

func position(data []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < offset-1 && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// checkContentType accepts application/scim+json and application/json (Okta sends the
// latter); a request without a Content-Type is read as JSON too.
func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == ContentType || mt == "application/json") {
		return nil
	}
	return errUnsupportedMedia{got: ct}
}

// errTooLarge and errUnsupportedMedia are protocol errors with statuses of their own.
type errTooLarge struct{ limit int64 }

func (e errTooLarge) Error() string {
	return fmt.Sprintf("the request body is larger than the limit of %d bytes", e.limit)
}

type errUnsupportedMedia struct{ got string }

func (e errUnsupportedMedia) Error() string {
	return fmt.Sprintf("Content-Type %q is not supported; send application/scim+json or application/json", e.got)
}
