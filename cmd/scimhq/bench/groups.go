package bench

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// The groups workload: one member added to and removed from groups of several sizes,
// to show whether a member change costs the same in a group of ten and of a hundred
// thousand.

// prepareGroups creates the users (through /Bulk when the server has it) and one group
// per size with that many of them as members, plus one newcomer per client.
func (w *workload) prepareGroups(ctx context.Context) error {
	need := slicesMax(w.cfg.GroupSizes) + w.cfg.Concurrency
	if err := w.createUsers(ctx, need); err != nil {
		return err
	}
	for _, size := range w.cfg.GroupSizes {
		var g struct{ ID string }
		body := map[string]any{"schemas": []any{groupURN}, "displayName": fmt.Sprintf("%s-group-%d", w.tag, size), "members": []any{}}
		if err := w.c.do(ctx, "prepare", http.MethodPost, "/Groups", body, http.StatusCreated, &g); err != nil {
			return err
		}
		w.extra = append(w.extra, "/Groups/"+g.ID)
		w.groups = append(w.groups, g.ID)
		for first := 0; first < size; first += 1000 {
			var members []any
			for _, id := range w.users[first:min(first+1000, size)] {
				members = append(members, map[string]any{"value": id})
			}
			add := map[string]any{"schemas": []any{patchURN}, "Operations": []any{map[string]any{"op": "add", "path": "members", "value": members}}}
			if err := w.c.do(ctx, "prepare", http.MethodPatch, "/Groups/"+g.ID+"?excludedAttributes=members", add, http.StatusOK, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// createUsers creates n users, 500 per /Bulk request, or one by one without /Bulk.
func (w *workload) createUsers(ctx context.Context, n int) error {
	for first := 0; first < n; first += 500 {
		var ops []any
		for i := first; i < min(first+500, n); i++ {
			ops = append(ops, map[string]any{"method": "POST", "path": "/Users", "bulkId": fmt.Sprint(i), "data": w.userBody(i)})
		}
		var resp struct {
			Operations []struct{ Status, Location string }
		}
		if err := w.c.do(ctx, "prepare", http.MethodPost, "/Bulk", map[string]any{"schemas": []any{bulkURN}, "Operations": ops}, http.StatusOK, &resp); err != nil {
			break // no /Bulk: one by one below
		}
		for _, op := range resp.Operations {
			if i := strings.LastIndex(op.Location, "/"); op.Status == "201" && i >= 0 {
				w.users = append(w.users, op.Location[i+1:])
			}
		}
	}
	for i := len(w.users); i < n; i++ {
		var created struct{ ID string }
		if err := w.c.do(ctx, "prepare", http.MethodPost, "/Users", w.userBody(i), http.StatusCreated, &created); err != nil {
			return err
		}
		w.users = append(w.users, created.ID)
	}
	return nil
}

func slicesMax(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// runGroups adds and removes a client's newcomer on each group in turn.
func (w *workload) runGroups(ctx context.Context, more func() bool) {
	var wg sync.WaitGroup
	var turn atomic.Int64
	for n := range w.cfg.Concurrency {
		newcomer := w.users[len(w.users)-1-n]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for more() {
				k := int(turn.Add(1)) % len(w.groups)
				size, gid := w.cfg.GroupSizes[k], w.groups[k]
				change := func(op string, value []any) map[string]any {
					return map[string]any{"schemas": []any{patchURN}, "Operations": []any{map[string]any{"op": op, "path": "members", "value": value}}}
				}
				member := []any{map[string]any{"value": newcomer}}
				path := "/Groups/" + gid + "?excludedAttributes=members"
				_ = w.c.do(ctx, fmt.Sprintf("member add, group of %d", size), http.MethodPatch, path, change("add", member), http.StatusOK, nil)
				_ = w.c.do(ctx, fmt.Sprintf("member remove, group of %d", size), http.MethodPatch, path, change("remove", member), http.StatusOK, nil)
			}
		}()
	}
	wg.Wait()
}
