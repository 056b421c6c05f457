package storage

import (
	"hash/maphash"
	"sync"
)

// keyLocks serialises conditional writes to one document within this process.
//
// A compare-and-swap needs a filter on _id and _rev, and FerretDB's SQLite backend
// answers any filter but a bare _id with a scan of the whole collection. The embedded
// engine lives inside this process and no other process writes resources to it, so on
// that engine a per-key lock around "read by _id, compare, write by _id" is an equally
// safe compare-and-swap at O(1). On MongoDB, where several replicas share the
// database, the filter itself is the compare-and-swap and these locks are not used.
type keyLocks struct{ stripes[sync.Mutex] }

func newKeyLocks() *keyLocks { return &keyLocks{newStripes[sync.Mutex]()} }

// lock locks the stripe of key and returns its unlock function.
func (l *keyLocks) lock(key string) func() {
	m := l.of(key)
	m.Lock()
	return m.Unlock
}

// stripes spreads keys over a fixed number of Ts: keys that share one share its state,
// which for the users of it costs at most some waiting or a stale lookup id.
type stripes[T any] struct {
	seed maphash.Seed
	all  [256]T
}

func newStripes[T any]() stripes[T] { return stripes[T]{seed: maphash.MakeSeed()} }

// of returns the T of key's stripe.
func (s *stripes[T]) of(key string) *T {
	return &s.all[maphash.String(s.seed, key)%uint64(len(s.all))]
}
