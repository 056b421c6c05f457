package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	userURN  = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupURN = "urn:ietf:params:scim:schemas:core:2.0:Group"
	patchURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	bulkURN  = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
)

// workload holds a run's data: the users and group it prepared, for the requests to
// use and for clean-up.
type workload struct {
	c      *client
	cfg    Config
	tag    string
	users  []string // ids
	group  string
	groups []string // the groups workload's groups, one per size
	mu     sync.Mutex
	extra  []string // paths of resources created during the run
}

func (w *workload) userName(i int) string { return fmt.Sprintf("%s-%06d@example.com", w.tag, i) }

func (w *workload) userBody(i int) map[string]any {
	return map[string]any{
		"schemas": []any{userURN}, "userName": w.userName(i), "externalId": fmt.Sprintf("%s-ext-%06d", w.tag, i),
		"name":   map[string]any{"givenName": "Bench", "familyName": fmt.Sprintf("Family%06d", (i*7919)%max(w.cfg.Users, 1))},
		"emails": []any{map[string]any{"value": w.userName(i), "type": "work", "primary": true}},
		"active": true,
	}
}

// prepare creates the users and the group the workload reads and changes.
func (w *workload) prepare(ctx context.Context) error {
	switch w.cfg.Workload {
	case "onboard":
		return nil
	case "groups":
		return w.prepareGroups(ctx)
	}
	for i := 0; i < w.cfg.Users; i++ {
		var created struct{ ID string }
		if err := w.c.do(ctx, "prepare", http.MethodPost, "/Users", w.userBody(i), http.StatusCreated, &created); err != nil {
			return err
		}
		w.users = append(w.users, created.ID)
	}
	var g struct{ ID string }
	body := map[string]any{"schemas": []any{groupURN}, "displayName": w.tag + "-group", "members": []any{}}
	if err := w.c.do(ctx, "prepare", http.MethodPost, "/Groups", body, http.StatusCreated, &g); err != nil {
		return err
	}
	w.group = g.ID
	return nil
}

// cleanUp deletes what the run created.
func (w *workload) cleanUp() {
	if w.cfg.SkipCleanup {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	paths := append([]string{}, w.extra...)
	if w.group != "" {
		paths = append(paths, "/Groups/"+w.group)
	}
	for _, id := range w.users {
		paths = append(paths, "/Users/"+id)
	}
	for _, p := range paths {
		_ = w.c.do(ctx, "cleanup", http.MethodDelete, p, nil, http.StatusNoContent, nil)
	}
}

// run sends the workload's requests from Concurrency clients until the request budget
// or the duration is spent.
func (w *workload) run(ctx context.Context) {
	if w.cfg.Workload == "onboard" {
		w.onboard(ctx)
		return
	}
	var budget atomic.Int64
	budget.Store(int64(w.cfg.Requests))
	deadline := time.Now().Add(w.cfg.Duration)
	more := func() bool {
		if w.cfg.Requests > 0 {
			return budget.Add(-1) >= 0
		}
		return time.Now().Before(deadline) && ctx.Err() == nil
	}
	if w.cfg.Workload == "groups" {
		w.runGroups(ctx, more)
		return
	}
	var wg sync.WaitGroup
	for n := range w.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(n), uint64(time.Now().UnixNano())))
			for more() {
				w.step(ctx, r, n)
			}
		}()
	}
	wg.Wait()
}

// step sends one request of the workload's mix (two for a member change: an add and a
// remove). Client n works on its own share of the users, so that clients never undo
// each other's member changes.
func (w *workload) step(ctx context.Context, r *rand.Rand, n int) {
	share := max(len(w.users)/w.cfg.Concurrency, 1)
	i := min(n%len(w.users)+w.cfg.Concurrency*r.IntN(share), len(w.users)-1)
	id := w.users[i]
	c := w.c
	patch := func(ops ...map[string]any) map[string]any {
		list := make([]any, len(ops))
		for k, op := range ops {
			list[k] = op
		}
		return map[string]any{"schemas": []any{patchURN}, "Operations": list}
	}
	filter := func(f string) string { return url.QueryEscape(f) }
	switch w.cfg.Workload {
	case "read":
		switch r.IntN(3) {
		case 0:
			_ = c.do(ctx, "GET user", http.MethodGet, "/Users/"+id, nil, http.StatusOK, nil)
		case 1:
			_ = c.do(ctx, "filter userName eq", http.MethodGet, "/Users?filter="+filter(`userName eq "`+w.userName(i)+`"`), nil, http.StatusOK, nil)
		default:
			start := 1 + r.IntN(max(len(w.users)-99, 1))
			_ = c.do(ctx, "page of 100 sorted", http.MethodGet, fmt.Sprintf("/Users?sortBy=name.familyName&count=100&startIndex=%d", start), nil, http.StatusOK, nil)
		}
	case "okta-sync":
		switch r.IntN(4) {
		case 0:
			_ = c.do(ctx, "okta: find by userName", http.MethodGet, "/Users?filter="+filter(`userName eq "`+w.userName(i)+`"`)+"&startIndex=1&count=100", nil, http.StatusOK, nil)
		case 1:
			_ = c.do(ctx, "okta: GET user", http.MethodGet, "/Users/"+id, nil, http.StatusOK, nil)
		case 2:
			_ = c.do(ctx, "okta: deactivate", http.MethodPatch, "/Users/"+id, patch(map[string]any{"op": "replace", "value": map[string]any{"active": r.IntN(2) == 0}}), http.StatusOK, nil)
		default:
			// Okta's group push: the member in, then out again.
			_ = c.do(ctx, "okta: member add", http.MethodPatch, "/Groups/"+w.group, patch(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id}}}), http.StatusOK, nil)
			_ = c.do(ctx, "okta: member remove", http.MethodPatch, "/Groups/"+w.group, patch(map[string]any{"op": "remove", "path": `members[value eq "` + id + `"]`}), http.StatusOK, nil)
		}
	case "entra-sync":
		switch r.IntN(4) {
		case 0:
			_ = c.do(ctx, "entra: find by externalId", http.MethodGet, "/Users?filter="+filter(fmt.Sprintf(`externalId eq "%s-ext-%06d"`, w.tag, i)), nil, http.StatusOK, nil)
		case 1:
			_ = c.do(ctx, "entra: patch attributes", http.MethodPatch, "/Users/"+id, patch(
				map[string]any{"op": "Replace", "path": "active", "value": []string{"True", "False"}[r.IntN(2)]},
				map[string]any{"op": "Replace", "path": "title", "value": fmt.Sprintf("Title %d", r.IntN(100))},
			), http.StatusOK, nil)
		case 2:
			_ = c.do(ctx, "entra: member add", http.MethodPatch, "/Groups/"+w.group+"?excludedAttributes=members", patch(map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"value": id}}}), http.StatusOK, nil)
		default:
			_ = c.do(ctx, "entra: member remove", http.MethodPatch, "/Groups/"+w.group+"?excludedAttributes=members", patch(map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": id}}}), http.StatusOK, nil)
		}
	}
}

// onboard creates Users users with single POSTs, then as many again through /Bulk in
// requests of 500.
func (w *workload) onboard(ctx context.Context) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < w.cfg.Users; i = int(next.Add(1)) - 1 {
				var created struct{ ID string }
				if w.c.do(ctx, "create user (POST)", http.MethodPost, "/Users", w.userBody(i), http.StatusCreated, &created) == nil {
					w.mu.Lock()
					w.users = append(w.users, created.ID)
					w.mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for first := 0; first < w.cfg.Users; first += 500 {
		var ops []any
		for i := first; i < min(first+500, w.cfg.Users); i++ {
			ops = append(ops, map[string]any{"method": "POST", "path": "/Users", "bulkId": fmt.Sprint(i), "data": w.userBody(w.cfg.Users + i)})
		}
		var resp struct {
			Operations []struct{ Status, Location string }
		}
		if w.c.do(ctx, "create 500 users (Bulk)", http.MethodPost, "/Bulk", map[string]any{"schemas": []any{bulkURN}, "Operations": ops}, http.StatusOK, &resp) != nil {
			return // the server has no /Bulk: the POST figures stand alone
		}
		for _, op := range resp.Operations {
			u, err := url.Parse(op.Location)
			if err != nil || op.Status != "201" {
				continue
			}
			if i := strings.LastIndex(u.Path, "/Users/"); i >= 0 {
				w.mu.Lock()
				w.extra = append(w.extra, u.Path[i:])
				w.mu.Unlock()
			}
		}
	}
}

// baseline runs the baseline of each measured kind as often as the kind was sent.
func (w *workload) baseline(ctx context.Context, stats []Stat) error {
	if len(w.users) == 0 {
		return nil
	}
	for k := range stats {
		st := &stats[k]
		target := func(r *rand.Rand) Target {
			i := r.IntN(len(w.users))
			return Target{UserID: w.users[i], UserName: w.userName(i), ExternalID: fmt.Sprintf("%s-ext-%06d", w.tag, i),
				GroupID: w.group, Skip: r.IntN(max(len(w.users)-99, 1))}
		}
		if ok, err := w.cfg.Baseline(ctx, st.Kind, target(rand.New(rand.NewPCG(1, 2)))); err != nil || !ok {
			if err != nil {
				return fmt.Errorf("%s: %w", st.Kind, err)
			}
			continue
		}
		var left atomic.Int64
		left.Store(int64(st.Requests - 1))
		var failed atomic.Value
		var spent atomic.Int64 // summed time of the operations, like the SCIM latencies
		var wg sync.WaitGroup
		for n := range w.cfg.Concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(n), 7))
				for left.Add(-1) >= 0 {
					began := time.Now()
					if _, err := w.cfg.Baseline(ctx, st.Kind, target(r)); err != nil {
						failed.Store(err)
						return
					}
					spent.Add(int64(time.Since(began)))
				}
			}()
		}
		wg.Wait()
		if err, ok := failed.Load().(error); ok {
			return fmt.Errorf("%s: %w", st.Kind, err)
		}
		st.Baseline = time.Duration(spent.Load() / int64(max(st.Requests-1, 1)))
	}
	return nil
}
