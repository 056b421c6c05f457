package bench

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
)

// The groups workload: one member added to and removed from groups of several sizes,
// to show whether a member change costs the same in a group of ten and of a hundred
// thousand.

// prepareGroups creates the users (through /Bulk when the server has it) and one group
// per size with that many of them as members, plus one newcomer per client.
func (w *workload) prepareGroups(ctx context.Context) error {
	need := slices.Max(w.cfg.GroupSizes) + w.cfg.Concurrency
	if err := w.createUsers(ctx, need); err != nil {
		return err
	}
	for _, size := range w.cfg.GroupSizes {
		var g struct{ ID string }
		body := map[string]any{"schemas": []any{groupURN}, "displayName": fmt.Sprintf("%s-group-%d", w.tag, size), "members": []any{}}
		if err := w.c.do(ctx, prep(http.MethodPost, "/Groups", body, http.StatusCreated), &g); err != nil {
			return err
		}
		w.extra = append(w.extra, "/Groups/"+g.ID)
		w.groups = append(w.groups, g.ID)
		for first := 0; first < size; first += 1000 {
			var members []any
			for _, id := range w.users[first:min(first+1000, size)] {
				members = append(members, map[string]any{"value": id})
			}
			add := patchBody(map[string]any{"op": "add", "path": "members", "value": members})
			if err := w.c.do(ctx, prep(http.MethodPatch, "/Groups/"+g.ID+"?excludedAttributes=members", add, http.StatusOK), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// createUsers creates n users, a batch per /Bulk request, or one by one without /Bulk
// (and for any the /Bulk requests did not create).
func (w *workload) createUsers(ctx context.Context, n int) error {
	for first := 0; w.batch > 0 && first < n; first += w.batch {
		var resp bulkResponse
		if err := w.c.do(ctx, prep(http.MethodPost, "/Bulk", w.bulkCreate(first, min(w.batch, n-first)), http.StatusOK), &resp); err != nil {
			break
		}
		w.users = append(w.users, resp.created()...)
	}
	for i := len(w.users); i < n; i++ {
		var created struct{ ID string }
		if err := w.c.do(ctx, prep(http.MethodPost, "/Users", w.userBody(i), http.StatusCreated), &created); err != nil {
			return err
		}
		w.users = append(w.users, created.ID)
	}
	return nil
}

// runGroups has each client add its newcomer to a group, remove it again, and go on to
// the next group, one request per step.
func (w *workload) runGroups(ctx context.Context, more func() bool) {
	var wg sync.WaitGroup
	var turn atomic.Int64
	for n := range w.cfg.Concurrency {
		newcomer := []any{map[string]any{"value": w.users[len(w.users)-1-n]}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, in := 0, false
			for more() {
				if !in {
					k = int(turn.Add(1)) % len(w.groups)
				}
				verb, op := "add", OpMemberAdd
				if in {
					verb, op = "remove", OpMemberRemove
				}
				_ = w.c.do(ctx, request{kind: fmt.Sprintf("member %s, group of %d", verb, w.cfg.GroupSizes[k]), op: op, at: ref{group: w.groups[k]},
					method: http.MethodPatch, path: "/Groups/" + w.groups[k] + "?excludedAttributes=members", want: http.StatusOK,
					body: patchBody(map[string]any{"op": verb, "path": "members", "value": newcomer})}, nil)
				in = !in
			}
		}()
	}
	wg.Wait()
}
