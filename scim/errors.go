package scim

import (
	"errors"
	"net/http"
	"strconv"

	"go.uber.org/zap"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// ContentType is the media type of every response (RFC 7644 §3.1).
const ContentType = "application/scim+json"

// errorBody is the SCIM error response (RFC 7644 §3.12). status is a string there.
type errorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// statusOf maps a domain error kind to its HTTP status and scimType.
func statusOf(kind resources.Kind) (int, string) {
	switch kind {
	case resources.KindInvalidValue:
		return http.StatusBadRequest, "invalidValue"
	case resources.KindInvalidSyntax:
		return http.StatusBadRequest, "invalidSyntax"
	case resources.KindInvalidFilter:
		return http.StatusBadRequest, "invalidFilter"
	case resources.KindInvalidPath:
		return http.StatusBadRequest, "invalidPath"
	case resources.KindNoTarget:
		return http.StatusBadRequest, "noTarget"
	case resources.KindMutability:
		return http.StatusBadRequest, "mutability"
	case resources.KindTooMany:
		return http.StatusBadRequest, "tooMany"
	case resources.KindInvalidCursor:
		return http.StatusBadRequest, "invalidCursor"
	case resources.KindUniqueness:
		return http.StatusConflict, "uniqueness"
	case resources.KindConflict:
		return http.StatusConflict, ""
	case resources.KindNotFound:
		return http.StatusNotFound, ""
	case resources.KindPreconditionFailed:
		return http.StatusPreconditionFailed, ""
	case resources.KindUnauthorized:
		return http.StatusUnauthorized, ""
	case resources.KindForbidden:
		return http.StatusForbidden, ""
	}
	return http.StatusInternalServerError, ""
}

// writeError answers with the SCIM error for err. Internal errors are logged with their
// cause and answered with a generic detail, so nothing internal leaks.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var tooLarge errTooLarge
	var media errUnsupportedMedia
	switch {
	case errors.As(err, &tooLarge):
		writeErrorStatus(w, http.StatusRequestEntityTooLarge, "", tooLarge.Error())
		return
	case errors.As(err, &media):
		writeErrorStatus(w, http.StatusUnsupportedMediaType, "", media.Error())
		return
	}
	status, scimType := statusOf(resources.KindOf(err))
	detail := err.Error()
	var e *resources.Error
	if errors.As(err, &e) {
		detail = e.Detail
	}
	if status == http.StatusInternalServerError {
		resources.Logger(r.Context()).Error("request failed", zap.Error(err))
		detail = "the server could not complete the request; it has been logged with request id " + w.Header().Get(requestIDHeader)
	}
	writeErrorStatus(w, status, scimType, detail)
}

// writeErrorStatus answers with a SCIM error of the given status.
func writeErrorStatus(w http.ResponseWriter, status int, scimType, detail string) {
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scimhq"`)
	}
	writeJSON(w, status, errorBody{
		Schemas: []string{schemas.ErrorURN}, Status: strconv.Itoa(status), ScimType: scimType, Detail: detail,
	})
}

// writeJSON answers with v as SCIM JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshal(v)
	if err != nil {
		// Only a programming error gets here: every value written is plain data.
		status = http.StatusInternalServerError
		body = []byte(`{"schemas":["` + schemas.ErrorURN + `"],"status":"500","detail":"the response could not be encoded"}`)
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
