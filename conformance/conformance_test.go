package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/scimhq/scimhq/conformance"
	"github.com/scimhq/scimhq/scim/scimtest"
)

func TestMain(m *testing.M) { scimtest.Main(m) }

// server is a scimhq with data of its own, and a wrapper that breaks it on purpose only
// while the harness runs.
type server struct {
	*scimtest.Server
	broken atomic.Bool
}

func newServer(t *testing.T, wrap func(http.Handler) http.Handler) *server {
	s := &server{}
	s.Server = scimtest.New(t, scimtest.Options{Wrap: func(next http.Handler) http.Handler {
		if wrap == nil {
			return next
		}
		bad := wrap(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s.broken.Load() {
				bad.ServeHTTP(w, r)
			} else {
				next.ServeHTTP(w, r)
			}
		})
	}})
	return s
}

// check runs the harness against a scimhq with data of its own, broken by wrap (nil:
// healthy), and fails the test if the run left anything behind or touched the data it
// did not create, or skipped a case for a feature the server claims.
func check(t *testing.T, wrap func(http.Handler) http.Handler) (conformance.Report, error) {
	t.Helper()
	srv := newServer(t, wrap)
	c := srv.Client()
	seed(t, c)
	before := snapshot(t, c)
	srv.broken.Store(true)
	report, err := conformance.Run(context.Background(), conformance.Config{URL: srv.URL, Token: srv.Token})
	srv.broken.Store(false)
	compare(t, before, snapshot(t, c))
	for _, res := range report.Results {
		if res.Status == conformance.Skip && (res.Unclaimed == "" || report.Capabilities.Features[res.Unclaimed]) {
			t.Errorf("%s: skipped for %q, which the server claims (%v): %s", res.Case, res.Unclaimed, report.Capabilities.Features, res.Reason)
		}
	}
	return report, err
}

func run(t *testing.T, wrap func(http.Handler) http.Handler) conformance.Report {
	t.Helper()
	report, err := check(t, wrap)
	if err != nil {
		t.Fatal(err)
	}
	return report
}

// seed gives the server users and groups of its own: one with the enterprise extension,
// members of a group, and names shaped like the harness's own.
func seed(t *testing.T, c *scimtest.Client) {
	t.Helper()
	post := func(endpoint string, body map[string]any) string {
		r := c.Do(http.MethodPost, endpoint, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("seeding: %s", r)
		}
		return r.JSON(t)["id"].(string)
	}
	const userURN, groupURN = "urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:core:2.0:Group"
	const enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	alice := post("/Users", map[string]any{"schemas": []any{userURN, enterpriseURN}, "userName": "seed-alice@example.com", "title": "aaa",
		"emails":      []any{map[string]any{"value": "seed-alice@example.com", "type": "work", "primary": true}},
		enterpriseURN: map[string]any{"department": "Seeds", "employeeNumber": "7"}})
	bob := post("/Users", map[string]any{"schemas": []any{userURN}, "userName": "seed-bob@example.com", "active": false, "password": "S33d password"})
	lookalike := post("/Users", map[string]any{"schemas": []any{userURN}, "userName": "scimhq-conformance-00000000-000000-seed@example.com"})
	post("/Groups", map[string]any{"schemas": []any{groupURN}, "displayName": "seed-group",
		"members": []any{map[string]any{"value": alice}, map[string]any{"value": bob}, map[string]any{"value": lookalike}}})
	post("/Groups", map[string]any{"schemas": []any{groupURN}, "displayName": "scimhq-conformance-00000000-000000-seed-group"})
}

// snapshot returns every user and group the server has, by path, as JSON.
func snapshot(t *testing.T, c *scimtest.Client) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, endpoint := range []string{"/Users", "/Groups"} {
		m := c.Do(http.MethodGet, endpoint+"?count=1000", nil).JSON(t)
		list, _ := m["Resources"].([]any)
		if m["totalResults"] != float64(len(list)) {
			t.Fatalf("GET %s: totalResults %v, %d listed", endpoint, m["totalResults"], len(list))
		}
		for _, r := range list {
			data, _ := json.Marshal(r)
			out[endpoint+"/"+r.(map[string]any)["id"].(string)] = string(data)
		}
	}
	return out
}

// compare fails the test for every resource left behind, deleted or changed.
func compare(t *testing.T, before, after map[string]string) {
	t.Helper()
	for path, body := range after {
		if _, ok := before[path]; !ok {
			t.Errorf("the run left %s behind: %s", path, body)
		}
	}
	for path, body := range before {
		switch now, ok := after[path]; {
		case !ok:
			t.Errorf("the run deleted %s, which it did not create", path)
		case now != body:
			t.Errorf("the run changed %s, which it did not create:\nbefore %s\nafter  %s", path, body, now)
		}
	}
}

// TestScimhqPasses: the harness's verdict on our own server, which claims every
// feature, is every case passed: none skipped, nothing left behind.
func TestScimhqPasses(t *testing.T) {
	report := run(t, nil)
	var text bytes.Buffer
	report.WriteText(&text)
	if report.Count(conformance.Fail) > 0 || report.Count(conformance.Skip) > 0 || report.Count(conformance.Pass) < 20 {
		t.Fatalf("%d failed, %d skipped, %d passed:\n%s", report.Count(conformance.Fail), report.Count(conformance.Skip), report.Count(conformance.Pass), text.String())
	}
	for _, f := range conformance.Features {
		if !report.Capabilities.Features[f] {
			t.Errorf("scimhq claims %s, but discovery read it as unclaimed: %v", f, report.Capabilities)
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
