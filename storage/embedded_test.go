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
	engine, err := storage.StartEmbedded(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close()
	for range 2 {
		store, err := storage.Open(ctx, engine.URI(), storage.Options{Database: "idx", Embedded: engine})
		if err != nil {
			t.Fatal(err)
		}
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
