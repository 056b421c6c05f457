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
type keyLocks struct {
	seed    maphash.Seed
	stripes [256]sync.Mutex
}

func newKeyLocks() *keyLocks { return &keyLocks{seed: maphash.MakeSeed()} }

// lock locks the stripe of key and returns its unlock function.
func (l *keyLocks) lock(key string) func() {
	m := &l.stripes[maphash.String(l.seed, key)%uint64(len(l.stripes))]
	m.Lock()
	return m.Unlock
}
