package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// The onboard workload, and /Bulk, which it measures and the groups workload prepares
// its users with.

// maxBatch is the most users one /Bulk request creates, unless the server takes fewer.
const maxBatch = 500

// bulkBatch is how many users a /Bulk request may create on the server, after its
// /ServiceProviderConfig; 0 when it has no /Bulk.
func (w *workload) bulkBatch(ctx context.Context) int {
	var spc struct {
		Bulk struct {
			Supported     bool
			MaxOperations int
		}
	}
	if w.c.do(ctx, prep(http.MethodGet, "/ServiceProviderConfig", nil, http.StatusOK), &spc) != nil || !spc.Bulk.Supported {
		return 0
	}
	if spc.Bulk.MaxOperations <= 0 {
		return maxBatch
	}
	return min(maxBatch, spc.Bulk.MaxOperations)
}

// bulkCreate is a /Bulk request body creating users first to first+n-1.
func (w *workload) bulkCreate(first, n int) map[string]any {
	ops := make([]any, n)
	for k := range ops {
		ops[k] = map[string]any{"method": "POST", "path": "/Users", "bulkId": fmt.Sprint(first + k), "data": w.userBody(first + k)}
	}
	return map[string]any{"schemas": []any{bulkURN}, "Operations": ops}
}

// bulkResponse is a /Bulk answer.
type bulkResponse struct {
	Operations []struct {
		Location string
		Status   bulkStatus
	}
}

// bulkStatus is an operation's HTTP status, a string in RFC 7644 ("201") that some
// servers send as a number; anything else is 0, a failure.
type bulkStatus int

func (s *bulkStatus) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case string:
		n, _ := strconv.Atoi(strings.TrimSpace(x))
		*s = bulkStatus(n)
	case float64:
		*s = bulkStatus(x)
	}
	return nil
}

func (s bulkStatus) ok() bool { return s >= 200 && s < 300 }

// succeeded makes a bulkResponse a partial, so that its failed operations count.
func (r *bulkResponse) succeeded() int {
	n := 0
	for _, op := range r.Operations {
		if op.Status.ok() {
			n++
		}
	}
	return n
}

// created returns the ids of the resources the operations created.
func (r *bulkResponse) created() []string {
	var ids []string
	for _, op := range r.Operations {
		u, err := url.Parse(op.Location)
		if err != nil || op.Status != http.StatusCreated {
			continue
		}
		if i := strings.LastIndex(u.Path, "/"); i >= 0 && i < len(u.Path)-1 {
			ids = append(ids, u.Path[i+1:])
		}
	}
	return ids
}

// parallel calls do(k) for every k below count, from n goroutines.
func parallel(n, count int, do func(k int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := int(next.Add(1)) - 1; k < count; k = int(next.Add(1)) - 1 {
				do(k)
			}
		}()
	}
	wg.Wait()
}

// onboard creates Users users with single POSTs, then as many again through /Bulk
// when the server has it, each phase from Concurrency clients.
func (w *workload) onboard(ctx context.Context) {
	keep := func(ids ...string) {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, id := range ids {
			w.extra = append(w.extra, "/Users/"+id)
		}
	}
	parallel(w.cfg.Concurrency, w.cfg.Users, func(i int) {
		var created struct{ ID string }
		r := request{kind: "create user (POST)", op: OpCreateUser, at: ref{user: i, count: 1},
			method: http.MethodPost, path: "/Users", body: w.userBody(i), want: http.StatusCreated}
		if w.c.do(ctx, r, &created) == nil {
			keep(created.ID)
		}
	})
	batch := w.batch
	if batch == 0 {
		return // the POST figures stand alone
	}
	kind := fmt.Sprintf("create users (/Bulk of %d)", min(batch, w.cfg.Users))
	parallel(w.cfg.Concurrency, (w.cfg.Users+batch-1)/batch, func(k int) {
		first := w.cfg.Users + k*batch
		n := min(batch, 2*w.cfg.Users-first)
		var resp bulkResponse
		r := request{kind: kind, op: OpCreateUsers, at: ref{user: first, count: n}, phase: 1,
			method: http.MethodPost, path: "/Bulk", body: w.bulkCreate(first, n), want: http.StatusOK, ops: n}
		_ = w.c.do(ctx, r, &resp)
		keep(resp.created()...)
	})
}
