package bench_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/scimhq/scimhq/cmd/scimhq/bench"
	"github.com/scimhq/scimhq/scim/scimtest"
)

func TestMain(m *testing.M) { scimtest.Main(m) }

func total(r bench.Report) (requests, errors int) {
	for _, s := range r.Stats {
		requests += s.Requests
		errors += s.Errors
	}
	return requests, errors
}

// TestWorkloadsAddUp: every workload runs, every request sent is counted once, and a
// healthy server gives no errors.
func TestWorkloadsAddUp(t *testing.T) {
	for _, w := range bench.Workloads {
		t.Run(w, func(t *testing.T) {
			srv := scimtest.New(t, scimtest.Options{})
			r, err := bench.Run(context.Background(), bench.Config{URL: srv.URL, Token: srv.Token, Workload: w, Users: 12, Requests: 30, Concurrency: 3,
				GroupSizes: []int{3, 8}})
			if err != nil {
				t.Fatal(err)
			}
			requests, errors := total(r)
			if requests != r.Sent || requests == 0 || errors != 0 {
				t.Fatalf("sent %d, counted %d, errors %d: %+v", r.Sent, requests, errors, r.Stats)
			}
			if w == "groups" && len(r.Stats) != 4 {
				t.Fatalf("groups of 2 sizes: want add and remove for each, got %+v", r.Stats)
			}
			if w != "onboard" && r.Sent < 30 {
				t.Fatalf("the request budget was 30, sent %d", r.Sent)
			}
			for _, s := range r.Stats {
				if s.P50 > s.P90 || s.P90 > s.P99 || s.P99 > s.Max || s.PerSecond <= 0 {
					t.Fatalf("inconsistent figures: %+v", s)
				}
			}
			// The run cleaned up after itself.
			if n := srv.Client().Must(http.StatusOK, http.MethodGet, "/Users?count=0", nil).JSON(t)["totalResults"]; n != float64(0) {
				t.Fatalf("%v users left after the run", n)
			}
		})
	}
}

// TestErrorsAreCounted: when the server fails every PATCH on purpose, each is an error.
func TestErrorsAreCounted(t *testing.T) {
	failPatches := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPatch {
				http.Error(w, "broken on purpose", http.StatusInternalServerError)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	srv := scimtest.New(t, scimtest.Options{Wrap: failPatches})
	r, err := bench.Run(context.Background(), bench.Config{URL: srv.URL, Token: srv.Token, Workload: "entra-sync", Users: 10, Requests: 60, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	patches, failed := 0, 0
	for _, s := range r.Stats {
		if strings.Contains(s.Kind, "patch") || strings.Contains(s.Kind, "member") {
			patches += s.Requests
			failed += s.Errors
		} else if s.Errors != 0 {
			t.Fatalf("%s has %d errors, want none", s.Kind, s.Errors)
		}
	}
	if patches == 0 || failed != patches {
		t.Fatalf("%d PATCHes, %d counted as errors; want all", patches, failed)
	}
}
