package bench_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/scimhq/scimhq/cmd/scimhq/bench"
	"github.com/scimhq/scimhq/scim/scimtest"
)

func TestMain(m *testing.M) { scimtest.Main(m) }

// serverCount counts, on the server's side, the measured requests of each kind (the
// X-Bench-Kind header; preparation and clean-up are not measured).
type serverCount struct {
	mu     sync.Mutex
	byKind map[string]int
}

func (c *serverCount) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if kind := r.Header.Get("X-Bench-Kind"); kind != "" && kind != "prepare" && kind != "cleanup" {
			c.mu.Lock()
			c.byKind[kind]++
			c.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// checkTarget says what is missing from a baseline target for op.
func checkTarget(op bench.Op, t bench.Target) string {
	switch op {
	case bench.OpGetUser, bench.OpSetActive, bench.OpSetAttributes:
		return missing(t.UserID == "", "a user id")
	case bench.OpFindUserName:
		return missing(t.UserName == "", "a userName")
	case bench.OpFindExternalID:
		return missing(t.ExternalID == "", "an externalId")
	case bench.OpPage:
		return ""
	case bench.OpMemberAdd, bench.OpMemberRemove:
		return missing(t.GroupID == "" || t.MemberID == "", "a group and a member")
	case bench.OpCreateUser, bench.OpCreateUsers:
		for _, u := range t.New {
			if u.ID == "" || u.Attributes["userName"] == nil {
				return fmt.Sprintf("a user to create, not %+v", u)
			}
		}
		return missing(len(t.New) == 0 || op == bench.OpCreateUser && len(t.New) != 1, "users to create")
	}
	return "an operation the baseline knows"
}

func missing(cond bool, what string) string {
	if cond {
		return "no " + what
	}
	return ""
}

// TestWorkloadsAddUp: every workload runs; the server received exactly the requests of
// each kind the report counts, and exactly the --requests budget; a healthy server gives
// no errors; every request has a baseline run with its kind's operation on a target.
func TestWorkloadsAddUp(t *testing.T) {
	for _, w := range bench.Workloads {
		t.Run(w, func(t *testing.T) {
			counted := &serverCount{byKind: map[string]int{}}
			srv := scimtest.New(t, scimtest.Options{Wrap: counted.wrap})
			var mu sync.Mutex
			baselines := map[bench.Op]int{}
			var wrong []string
			baseline := func(_ context.Context, op bench.Op, target bench.Target) error {
				mu.Lock()
				defer mu.Unlock()
				baselines[op]++
				if msg := checkTarget(op, target); msg != "" {
					wrong = append(wrong, fmt.Sprintf("%s: %s", op, msg))
				}
				return nil
			}
			const users, budget = 12, 30
			r, err := bench.Run(context.Background(), bench.Config{URL: srv.URL, Token: srv.Token, Workload: w, Users: users, Requests: budget, Concurrency: 3,
				GroupSizes: []int{3, 8}, KindHeader: true, Baseline: baseline})
			if err != nil {
				t.Fatal(err)
			}
			want := budget
			if w == "onboard" {
				want = users + 1 // one by one, then one /Bulk
			}
			if r.Sent != want {
				t.Fatalf("sent %d requests, want exactly %d", r.Sent, want)
			}
			sum := 0
			for _, s := range r.Stats {
				sum += s.Requests
				if n := counted.byKind[s.Kind]; n != s.Requests {
					t.Errorf("%s: the server received %d, the report counts %d", s.Kind, n, s.Requests)
				}
				if s.Errors != 0 || s.FailedOperations != 0 {
					t.Errorf("%s: %d errors, %d failed operations on a healthy server", s.Kind, s.Errors, s.FailedOperations)
				}
				if s.P50 > s.P90 || s.P90 > s.P99 || s.P99 > s.Max || s.PerSecond <= 0 || s.OperationsPerSecond < s.PerSecond {
					t.Errorf("inconsistent figures: %+v", s)
				}
				if !slices.Contains(bench.Ops, s.Op) || s.Baseline <= 0 {
					t.Errorf("%s: operation %q, baseline %v", s.Kind, s.Op, s.Baseline)
				}
				baselines[s.Op] -= s.Requests
			}
			if sum != r.Sent || len(counted.byKind) != len(r.Stats) {
				t.Fatalf("sent %d, counted %d; the server saw kinds %v", r.Sent, sum, counted.byKind)
			}
			for op, n := range baselines {
				if n != 0 {
					t.Errorf("%s: %d baseline runs more than requests", op, n)
				}
			}
			if len(wrong) > 0 {
				t.Errorf("baseline targets: %v", wrong[:min(len(wrong), 5)])
			}
			switch w {
			case "groups":
				if len(r.Stats) != 4 {
					t.Fatalf("groups of 2 sizes: want add and remove for each, got %+v", r.Stats)
				}
			case "onboard":
				if len(r.Stats) != 2 || r.Stats[0].Operations != users || r.Stats[1].Operations != users {
					t.Fatalf("want %d users created by POSTs and as many through /Bulk, got %+v", users, r.Stats)
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

// TestBulkFailuresAreCounted: a /Bulk answer of 200 whose operations failed is an error,
// and so is each failed operation. The server sees every measured /Bulk request twice,
// so that the second time each of its users exists and fails with 409.
func TestBulkFailuresAreCounted(t *testing.T) {
	sendTwice := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/Bulk") && r.Header.Get("X-Bench-Kind") != "prepare" {
				body, _ := io.ReadAll(r.Body)
				first := r.Clone(r.Context())
				first.Body = io.NopCloser(bytes.NewReader(body))
				next.ServeHTTP(httptest.NewRecorder(), first)
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			next.ServeHTTP(w, r)
		})
	}
	srv := scimtest.New(t, scimtest.Options{Wrap: sendTwice})
	const users = 7
	r, err := bench.Run(context.Background(), bench.Config{URL: srv.URL, Token: srv.Token, Workload: "onboard", Users: users, Concurrency: 2, KindHeader: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Stats {
		want := bench.Stat{Requests: s.Requests, Operations: users}
		if s.Op == bench.OpCreateUsers {
			want.Errors, want.FailedOperations = 1, users
		}
		if s.Requests != want.Requests || s.Errors != want.Errors || s.Operations != want.Operations || s.FailedOperations != want.FailedOperations {
			t.Errorf("%s: %d requests, %d errors, %d of %d operations failed; want %d errors, %d failed",
				s.Kind, s.Requests, s.Errors, s.FailedOperations, s.Operations, want.Errors, want.FailedOperations)
		}
	}
	var out strings.Builder
	r.WriteText(&out)
	if !strings.Contains(out.String(), fmt.Sprintf("%d users, %d failed", users, users)) {
		t.Errorf("the text report does not show the failed users:\n%s", out.String())
	}
}
