package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/scimhq/scimhq/cmd/scimhq/bench"
)

// TestBenchCommand runs every workload through `scimhq bench` on scimhq in-process, with
// --baseline, --trace-db and --json: the file holds a report per workload with every
// request kind, each with its database commands per request and its baseline.
func TestBenchCommand(t *testing.T) {
	for _, op := range bench.Ops {
		if _, ok := baselineOps[op]; !ok {
			t.Errorf("no store operation for the baseline of %q", op)
		}
	}
	jsonFile := filepath.Join(t.TempDir(), "bench.json")
	out, errOut, err := runCommand(t, "bench", "--workload", "all", "--users", "20", "--group-sizes", "5,50", "--requests", "40",
		"--baseline", "--trace-db", "--json", jsonFile)
	if err != nil {
		t.Fatalf("%v\n%s%s", err, out, errOut)
	}
	data, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	var reports []bench.Report
	if err := json.Unmarshal(data, &reports); err != nil {
		t.Fatalf("the JSON file: %v\n%s", err, data)
	}
	// With 40 requests, a kind of the mix is missing with a probability below 1e-4.
	kinds := map[string][]string{
		"read":       {"GET user", "filter userName eq", "page of 100 sorted"},
		"okta-sync":  {"okta: GET user", "okta: deactivate", "okta: find by userName", "okta: member add", "okta: member remove"},
		"entra-sync": {"entra: find by externalId", "entra: member add", "entra: member remove", "entra: patch attributes"},
		"onboard":    {"create user (POST)", "create users (/Bulk of 20)"},
		"groups":     {"member add, group of 5", "member add, group of 50", "member remove, group of 5", "member remove, group of 50"},
	}
	if len(reports) != len(kinds) {
		t.Fatalf("%d reports, want one per workload", len(reports))
	}
	for _, r := range reports {
		var got []string
		for _, s := range r.Stats {
			got = append(got, s.Kind)
			if s.Requests == 0 || s.Errors != 0 || s.DBCommands <= 0 || s.Baseline <= 0 {
				t.Errorf("%s: %d requests, %d errors, %.1f database commands per request, baseline %v", s.Kind, s.Requests, s.Errors, s.DBCommands, s.Baseline)
			}
			// A GET by id is the token's lookup, the user's, and its groups'.
			if strings.HasSuffix(s.Kind, "GET user") && s.DBCommands != 3 {
				t.Errorf("%s: %.2f database commands per request, want 3", s.Kind, s.DBCommands)
			}
		}
		slices.Sort(got)
		if want := kinds[r.Workload]; !slices.Equal(got, want) {
			t.Errorf("%s: kinds %q, want %q", r.Workload, got, want)
		}
		if r.Workload != "onboard" && r.Sent != 40 {
			t.Errorf("%s: %d requests sent, want 40", r.Workload, r.Sent)
		}
	}
	if !strings.Contains(out, "base/scim") || !strings.Contains(out, "users/s") {
		t.Errorf("the text report lacks the baseline ratios or users per second:\n%s", out)
	}
}
