package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/scimhq/scimhq/conformance"
	"github.com/scimhq/scimhq/scim/scimtest"
)

func TestMain(m *testing.M) { scimtest.Main(m) }

func run(t *testing.T, wrap func(http.Handler) http.Handler) conformance.Report {
	t.Helper()
	srv := scimtest.New(t, scimtest.Options{Wrap: wrap})
	report, err := conformance.Run(context.Background(), conformance.Config{URL: srv.URL, Token: srv.Token})
	if err != nil {
		t.Fatal(err)
	}
	return report
}

// TestScimhqPasses: the harness's verdict on our own server is every case passed, or
// skipped for a feature the server does not claim.
func TestScimhqPasses(t *testing.T) {
	report := run(t, nil)
	var text bytes.Buffer
	report.WriteText(&text)
	if report.Count(conformance.Fail) > 0 || report.Count(conformance.Pass) < 20 {
		t.Fatalf("%d failed, %d passed:\n%s", report.Count(conformance.Fail), report.Count(conformance.Pass), text.String())
	}
	for _, res := range report.Results {
		if res.Status == conformance.Skip && !strings.Contains(res.Reason, "does not") {
			t.Errorf("%s skipped without a reason the server gave: %q", res.Case, res.Reason)
		}
	}
	for _, suite := range conformance.Suites {
		if !strings.Contains(text.String(), "\n"+suite+"\n") {
			t.Errorf("the text report has no %s section", suite)
		}
	}

	var x struct {
		Suites []struct {
			Name  string `xml:"name,attr"`
			Tests int    `xml:"tests,attr"`
		} `xml:"testsuite"`
	}
	var buf bytes.Buffer
	if err := report.WriteJUnit(&buf); err != nil || xml.Unmarshal(buf.Bytes(), &x) != nil || len(x.Suites) != 3 {
		t.Fatalf("JUnit XML: %v %v\n%s", err, x, buf.String())
	}
	buf.Reset()
	var back conformance.Report
	if err := report.WriteJSON(&buf); err != nil || json.Unmarshal(buf.Bytes(), &back) != nil || len(back.Results) != len(report.Results) {
		t.Fatalf("JSON report does not round-trip: %v", err)
	}
}

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

var totalResults = regexp.MustCompile(`"totalResults":(\d+)`)

// TestBrokenServersFail: each deliberately broken variant makes a case fail, with a
// reason that points at what is broken.
func TestBrokenServersFail(t *testing.T) {
	for _, tc := range []struct {
		name   string
		wrap   func(http.Handler) http.Handler
		reason string
	}{
		{"wrong totalResults", rewrite(
			func(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.Query().Get("filter") != "" },
			func(rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
				body := totalResults.ReplaceAllFunc(rec.Body.Bytes(), func(m []byte) []byte {
					n, _ := strconv.Atoi(string(totalResults.FindSubmatch(m)[1]))
					return []byte(`"totalResults":` + strconv.Itoa(n+1))
				})
				return rec.Code, rec.Header(), body
			}), "totalResults"},
		{"PATCH drops member changes", func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPatch && strings.Contains(r.URL.Path, "/Groups/") {
					body, _ := io.ReadAll(r.Body)
					if bytes.Contains(body, []byte("members")) {
						w.WriteHeader(http.StatusNoContent) // claims success, changes nothing
						return
					}
					r.Body = io.NopCloser(bytes.NewReader(body))
				}
				next.ServeHTTP(w, r)
			})
		}, "member"},
		{"no Location header", rewrite(
			func(r *http.Request) bool { return r.Method == http.MethodPost },
			func(rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
				h := rec.Header().Clone()
				h.Del("Location")
				return rec.Code, h, rec.Body.Bytes()
			}), "Location"},
		{"500 on a bad filter", rewrite(
			func(r *http.Request) bool { return r.URL.Query().Get("filter") != "" },
			func(rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
				if rec.Code == http.StatusBadRequest {
					return http.StatusInternalServerError, rec.Header(), []byte(`{"detail":"boom"}`)
				}
				return rec.Code, rec.Header(), rec.Body.Bytes()
			}), "expected HTTP 400, got 500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			report := run(t, tc.wrap)
			var text bytes.Buffer
			report.WriteText(&text)
			found := false
			for _, res := range report.Results {
				if res.Status == conformance.Fail && strings.Contains(res.Reason, tc.reason) && res.Exchange != nil {
					found = true
				}
			}
			if !found {
				t.Fatalf("no failure mentioning %q with the breaking exchange:\n%s", tc.reason, text.String())
			}
		})
	}
}

// TestUsersOnlyServerSkipsGroups: a server whose /ResourceTypes lists no Group has its
// group cases skipped with that reason, not failed.
func TestUsersOnlyServerSkipsGroups(t *testing.T) {
	usersOnly := rewrite(
		func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/ResourceTypes") },
		func(rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
			var m map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &m)
			var kept []any
			for _, r := range m["Resources"].([]any) {
				if r.(map[string]any)["endpoint"] != "/Groups" {
					kept = append(kept, r)
				}
			}
			m["Resources"], m["totalResults"] = kept, len(kept)
			body, _ := json.Marshal(m)
			return rec.Code, rec.Header(), body
		})
	report := run(t, usersOnly)
	skipped := 0
	for _, res := range report.Results {
		if res.Status == conformance.Skip && strings.Contains(res.Reason, "Group resource type") {
			skipped++
		}
	}
	if skipped == 0 || report.Count(conformance.Fail) > 0 {
		var text bytes.Buffer
		report.WriteText(&text)
		t.Fatalf("%d group cases skipped, %d failed:\n%s", skipped, report.Count(conformance.Fail), text.String())
	}
}
