package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"sort"
	"sync/atomic"
	"time"
)

// baseline runs, for every measured request, its kind's operation through
// Config.Baseline on the same target, at the same concurrency, and sets each kind's
// Baseline to the mean time. Kinds run in the order of Ops, so that the members the
// baseline adds to a group are there for it to remove.
func (w *workload) baseline(ctx context.Context, stats []Stat, samples []sample) error {
	refs := map[string][]ref{}
	for _, s := range samples {
		refs[s.kind] = append(refs[s.kind], s.at)
	}
	order := make([]*Stat, len(stats))
	for i := range stats {
		order[i] = &stats[i]
	}
	sort.SliceStable(order, func(i, j int) bool {
		return slices.Index(Ops, order[i].Op) < slices.Index(Ops, order[j].Op)
	})
	for _, st := range order {
		targets := make([]Target, len(refs[st.Kind]))
		for k, at := range refs[st.Kind] {
			targets[k] = w.target(st.Op, at, k)
		}
		mean, err := w.timeBaseline(ctx, st.Op, targets)
		if err != nil {
			return fmt.Errorf("%s: %w", st.Kind, err)
		}
		st.Baseline = mean
	}
	return nil
}

// target is what the baseline of the k-th request of a kind works on: what the
// request worked on, except where repeating that would do different database work.
func (w *workload) target(op Op, at ref, k int) Target {
	switch op {
	case OpCreateUser, OpCreateUsers:
		// New users, of the same size as the request's but with names of their own, which
		// the request took; kept for clean-up.
		t := Target{New: make([]NewUser, at.count)}
		for j := range t.New {
			t.New[j] = NewUser{ID: newID(), Attributes: w.attributes(w.tag+"b", at.user+j)}
			w.extra = append(w.extra, "/Users/"+t.New[j].ID)
		}
		return t
	case OpMemberAdd, OpMemberRemove:
		// A member per request rather than the request's, which clients add and remove
		// over and over: the k-th add and the k-th remove of a group pair up, so every
		// add inserts a membership and every remove deletes one.
		return Target{GroupID: at.group, MemberID: fmt.Sprintf("%s-member-%06d", w.tag, k)}
	}
	return Target{UserID: w.users[at.user], UserName: userName(w.tag, at.user), ExternalID: externalID(w.tag, at.user), Skip: at.skip}
}

// timeBaseline runs op on every target from Concurrency goroutines and returns the
// mean time of one, as the SCIM figures' mean is of one request.
func (w *workload) timeBaseline(ctx context.Context, op Op, targets []Target) (time.Duration, error) {
	var spent atomic.Int64
	var failed atomic.Pointer[error] // the first failure, after which the rest is skipped
	parallel(w.cfg.Concurrency, len(targets), func(k int) {
		if failed.Load() != nil {
			return
		}
		began := time.Now()
		if err := w.cfg.Baseline(ctx, op, targets[k]); err != nil {
			failed.CompareAndSwap(nil, &err)
			return
		}
		spent.Add(int64(time.Since(began)))
	})
	if err := failed.Load(); err != nil {
		return 0, *err
	}
	return time.Duration(spent.Load() / int64(max(len(targets), 1))), nil
}

// newID is a random UUID (version 4), the kind of id SCIM servers give resources.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
