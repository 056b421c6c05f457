package conformance_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/scimhq/scimhq/conformance"
)

var totalResults = regexp.MustCompile(`"totalResults":(\d+)`)

const enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// broken are scimhq variants, each broken in one way: the harness must fail a case (in
// a case whose name contains inCase, with a reason containing reason and the exchange
// that broke it) and still clean up after itself.
var broken = []struct {
	name, inCase, reason string
	wrap                 func(http.Handler) http.Handler
}{
	{"wrong totalResults", "", "totalResults", rewrite(
		func(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.Query().Get("filter") != "" },
		func(rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
			body := totalResults.ReplaceAllFunc(rec.Body.Bytes(), func(m []byte) []byte {
				n, _ := strconv.Atoi(string(totalResults.FindSubmatch(m)[1]))
				return []byte(`"totalResults":` + strconv.Itoa(n+1))
			})
			return rec.Code, rec.Header(), body
		})},
	// Claims success, changes nothing.
	{"PATCH drops member changes", "", "member", intercept(http.MethodPatch, "/Groups/", "members", http.StatusNoContent, "")},
	{"no Location header", "", "Location", rewrite(
		func(r *http.Request) bool { return r.Method == http.MethodPost },
		func(rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
			h := rec.Header().Clone()
			h.Del("Location")
			return rec.Code, h, rec.Body.Bytes()
		})},
	{"500 on a bad filter", "", "expected HTTP 400, got 500", rewrite(
		func(r *http.Request) bool { return r.URL.Query().Get("filter") != "" },
		func(rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
			if rec.Code == http.StatusBadRequest {
				return http.StatusInternalServerError, rec.Header(), []byte(`{"detail":"boom"}`)
			}
			return rec.Code, rec.Header(), rec.Body.Bytes()
		})},
	// Creates, but answers 200 (RFC 7644 §3.3 requires 201): every created resource must
	// still be deleted.
	{"200 instead of 201 on create", "", "expected HTTP 201, got 200", rewrite(creates,
		func(rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
			if rec.Code == http.StatusCreated {
				return http.StatusOK, rec.Header(), rec.Body.Bytes()
			}
			return rec.Code, rec.Header(), rec.Body.Bytes()
		})},
	// Creates, answers 201 with the Location header only: clean-up must follow it.
	{"a create answers without a body", "users: create, read", "id and meta", rewrite(creates,
		func(rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
			if rec.Code == http.StatusCreated {
				return rec.Code, rec.Header(), nil
			}
			return rec.Code, rec.Header(), rec.Body.Bytes()
		})},
	{"bulk results say 200 for a create", "bulk: a forward bulkId", `want "201"`, rewrite(path("/Bulk"),
		func(rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
			return rec.Code, rec.Header(), bytes.ReplaceAll(rec.Body.Bytes(), []byte(`"status":"201"`), []byte(`"status":"200"`))
		})},
	// ServiceProviderConfig still claims filter: /.search missing is a failure, not a skip.
	{".search answers 404", "search: POST .search", "expected HTTP 200, got 404",
		intercept(http.MethodPost, "/.search", "", http.StatusNotFound, scimErrorBody(http.StatusNotFound, ""))},
	// /ResourceTypes and /Schemas still claim the extension.
	{"the enterprise extension is dropped", "enterprise extension", "the enterprise extension must keep department",
		rewriteJSON(func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/Users") }, func(m map[string]any) { delete(m, enterpriseURN) })},
	// ServiceProviderConfig still claims changePassword.
	{"a PATCH of the password is refused", "changePassword", "a PATCH of the password must be accepted",
		intercept(http.MethodPatch, "/Users/", `"password"`, http.StatusBadRequest, scimErrorBody(http.StatusBadRequest, "invalidValue"))},
	{"PATCH errors carry the wrong scimType", "patch: errors", `scimType must be "invalidPath"`, rewriteJSON(
		func(r *http.Request) bool { return r.Method == http.MethodPatch },
		func(m map[string]any) {
			if m["scimType"] == "invalidPath" {
				m["scimType"] = "invalidValue"
			}
		})},
}

// TestBrokenServersFail: each deliberately broken variant makes a case fail, with a
// reason that points at what is broken; and the run leaves nothing behind (check).
func TestBrokenServersFail(t *testing.T) {
	for _, tc := range broken {
		t.Run(tc.name, func(t *testing.T) {
			report := run(t, tc.wrap)
			var text bytes.Buffer
			report.WriteText(&text)
			found := false
			for _, res := range report.Results {
				if res.Status == conformance.Fail && strings.Contains(res.Case, tc.inCase) && strings.Contains(res.Reason, tc.reason) && res.Exchange != nil {
					found = true
				}
			}
			if !found {
				t.Fatalf("no failure in a case %q mentioning %q with the breaking exchange:\n%s", tc.inCase, tc.reason, text.String())
			}
		})
	}
}
