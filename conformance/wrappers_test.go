package conformance_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
)

// The wrappers break a healthy scimhq on purpose, each in one way.

// rewrite returns a wrapper that lets the real server answer and then changes the
// answer with fix, for requests that match.
func rewrite(match func(*http.Request) bool, fix func(rec *httptest.ResponseRecorder) (int, http.Header, []byte)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !match(r) {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			status, header, body := fix(rec)
			for k, v := range header {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(status)
			_, _ = w.Write(body)
		})
	}
}

// rewriteJSON changes the JSON object the real server answers, and each resource of a
// list answer, with edit.
func rewriteJSON(match func(*http.Request) bool, edit func(m map[string]any)) func(http.Handler) http.Handler {
	return rewrite(match, func(rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
		var m map[string]any
		if json.Unmarshal(rec.Body.Bytes(), &m) != nil {
			return rec.Code, rec.Header(), rec.Body.Bytes()
		}
		edit(m)
		if list, ok := m["Resources"].([]any); ok {
			for _, r := range list {
				if rm, ok := r.(map[string]any); ok {
					edit(rm)
				}
			}
		}
		body, _ := json.Marshal(m)
		return rec.Code, rec.Header(), body
	})
}

// intercept answers requests whose method and path match and whose body contains
// part with status and body, without passing them to the server.
func intercept(method, pathPart, part string, status int, body string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == method && strings.Contains(r.URL.Path, pathPart) {
				data, _ := io.ReadAll(r.Body)
				if bytes.Contains(data, []byte(part)) {
					w.Header().Set("Content-Type", "application/scim+json")
					w.WriteHeader(status)
					_, _ = io.WriteString(w, body)
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(data))
			}
			next.ServeHTTP(w, r)
		})
	}
}

// scimErrorBody is an RFC 7644 §3.12 error with the status.
func scimErrorBody(status int, scimType string) string {
	m := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"}, "status": strconv.Itoa(status), "detail": "broken on purpose"}
	if scimType != "" {
		m["scimType"] = scimType
	}
	data, _ := json.Marshal(m)
	return string(data)
}

// creates matches a create: a POST to a resource endpoint (not /Bulk, not .search).
func creates(r *http.Request) bool {
	p := strings.TrimSuffix(r.URL.Path, "/")
	return r.Method == http.MethodPost && (strings.HasSuffix(p, "/Users") || strings.HasSuffix(p, "/Groups"))
}

// path matches requests whose path ends with suffix (any method).
func path(suffix string) func(*http.Request) bool {
	return func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, suffix) }
}
