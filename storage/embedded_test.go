package storage_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scimhq/scimhq/storage"
)

// TestEmbeddedIndexesIDLookups: on the embedded engine every collection scimhq uses gets
// an index that FerretDB's own _id lookups use, also for collections that no write has
// created yet, and opening the store again (a restart) keeps it so without error.
func TestEmbeddedIndexesIDLookups(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	engine, open := ownEngine(t, ctx, "idx")
	for range 2 {
		store := open()
		for _, c := range []string{"users", "groups", "memberships", "tokens", "emailclaims", "tombstones"} {
			plan, err := storage.IDLookupPlan(ctx, engine, "idx", c)
			if err != nil || !strings.Contains(plan, "USING INDEX") {
				t.Errorf("%s: a lookup by _id is %q (%v), want an index search", c, plan, err)
			}
		}
		if err := store.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// ownEngine starts an embedded engine of the test's own and returns it with a function
// that opens (again, as a restart would) the store of database name on it. Tests that
// reopen a store use it; the others share storagetest's engine.
func ownEngine(t *testing.T, ctx context.Context, name string) (*storage.Embedded, func() *storage.Store) {
	t.Helper()
	engine, err := storage.StartEmbedded(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = engine.Close() })
	return engine, func() *storage.Store {
		t.Helper()
		s, err := storage.Open(ctx, engine.URI(), storage.Options{Database: name, Embedded: engine})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}
