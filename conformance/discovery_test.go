package conformance_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/scimhq/scimhq/conformance"
)

// withoutResources drops the resources of a list answer that drop says to.
func withoutResources(drop func(r map[string]any) bool) func(m map[string]any) {
	return func(m map[string]any) {
		list, ok := m["Resources"].([]any)
		if !ok {
			return
		}
		kept := []any{}
		for _, r := range list {
			if !drop(r.(map[string]any)) {
				kept = append(kept, r)
			}
		}
		m["Resources"], m["totalResults"] = kept, len(kept)
	}
}

// skippedFor returns the cases skipped for the feature, and fails the test for any
// failure whose case is not in failing.
func skippedFor(t *testing.T, report conformance.Report, f conformance.Feature, failing ...string) []string {
	t.Helper()
	var skipped []string
	var text bytes.Buffer
	report.WriteText(&text)
	for _, res := range report.Results {
		switch {
		case res.Status == conformance.Skip && res.Unclaimed == f && strings.Contains(res.Reason, string(f)):
			skipped = append(skipped, res.Case)
		case res.Status == conformance.Fail && !slices.Contains(failing, res.Case):
			t.Errorf("%s failed:\n%s", res.Case, text.String())
		}
	}
	return skipped
}

// contains reports whether some string of the list contains sub.
func contains(list []string, sub string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.Contains(s, sub) })
}

// TestUsersOnlyServerSkipsGroups: a server whose /ResourceTypes lists no Group has its
// group cases skipped with that reason, not failed.
func TestUsersOnlyServerSkipsGroups(t *testing.T) {
	usersOnly := rewriteJSON(path("/ResourceTypes"), withoutResources(func(r map[string]any) bool { return r["endpoint"] == "/Groups" }))
	report := run(t, usersOnly)
	if skipped := skippedFor(t, report, conformance.FeatureGroups); len(skipped) == 0 {
		t.Fatalf("no group case skipped")
	}
}

// TestUnclaimedEnterpriseSkips: without the enterprise extension in /ResourceTypes or
// in /Schemas, the cases about the extension are skipped, and the rest runs; a User
// type naming an extension /Schemas lacks is itself a failure of discovery's case.
func TestUnclaimedEnterpriseSkips(t *testing.T) {
	for _, tc := range []struct {
		name    string
		wrap    func(http.Handler) http.Handler
		failing []string
	}{
		{"not in /ResourceTypes", rewriteJSON(path("/ResourceTypes"), func(m map[string]any) {
			if m["endpoint"] == "/Users" {
				delete(m, "schemaExtensions")
			}
		}), nil},
		{"not in /Schemas", rewriteJSON(path("/Schemas"), withoutResources(func(r map[string]any) bool { return r["id"] == enterpriseURN })),
			[]string{"discovery: resource types and their schemas agree"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			report := run(t, tc.wrap)
			skipped := skippedFor(t, report, conformance.FeatureEnterprise, tc.failing...)
			if !contains(skipped, "enterprise extension") || !contains(skipped, "manager id") {
				t.Errorf("the enterprise cases were not skipped, only %q", skipped)
			}
			if report.Count(conformance.Fail) != len(tc.failing) {
				t.Errorf("%d failed, want %d (%q)", report.Count(conformance.Fail), len(tc.failing), tc.failing)
			}
		})
	}
}

// TestDiscoveryErrorsStopTheRun: a server that answers a discovery document with an
// error cannot be checked; the run says so instead of skipping what it cannot read.
func TestDiscoveryErrorsStopTheRun(t *testing.T) {
	for _, doc := range []string{"/ServiceProviderConfig", "/ResourceTypes", "/Schemas"} {
		t.Run(doc, func(t *testing.T) {
			fail := rewrite(path(doc), func(rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
				return http.StatusInternalServerError, rec.Header(), []byte(scimErrorBody(http.StatusInternalServerError, ""))
			})
			report, err := check(t, fail)
			if err == nil || !strings.Contains(err.Error(), "GET "+doc+" answered 500") {
				t.Fatalf("the run went on (error %v, %d results)", err, len(report.Results))
			}
		})
	}
}
