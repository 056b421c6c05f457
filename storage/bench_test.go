package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
	"github.com/scimhq/scimhq/storage/storagetest"
)

// BenchmarkMembershipChange measures adding and then removing one member (plus the
// version bump each does) on groups of 10 and 100,000 members. Each step is a write of
// one document by _id (plus the member's reverse index), so on MongoDB both sizes cost
// the same. The embedded FerretDB v1.24 (SQLite) never uses its _id index (the index
// expression and the query expression differ), so there every update and delete scans
// its collection in SQL and the cost grows with the number of memberships stored: the
// benchmark reports the engine so that figures are read for what they are.
//
//	go test ./storage -run '^$' -bench MembershipChange -benchtime 200x
func BenchmarkMembershipChange(b *testing.B) {
	b.Logf("engine: %s", storagetest.Engine())
	for _, size := range []int{10, 100_000} {
		b.Run(fmt.Sprintf("members=%d", size), func(b *testing.B) {
			ctx := context.Background()
			store := storagetest.OpenStore(b)
			now := time.Now().UTC()
			group := &resources.Resource{Type: schemas.GroupResourceType, Tenant: "t", ID: "g", Attributes: resources.Attributes{"displayName": "big"}, Meta: resources.Meta{Created: now, LastModified: now, Version: 1}}
			if err := store.Create(ctx, group); err != nil {
				b.Fatal(err)
			}
			members := make([]resources.Member, size)
			for i := range members {
				members[i] = resources.Member{Value: fmt.Sprintf("user-%07d", i), Type: "User"}
			}
			start := time.Now()
			if err := store.AddMembers(ctx, "t", "g", members); err != nil {
				b.Fatal(err)
			}
			b.Logf("stored %d memberships in %v", size, time.Since(start))
			extra := []resources.Member{{Value: "newcomer", Type: "User"}}
			b.ResetTimer()
			for b.Loop() {
				if err := store.AddMembers(ctx, "t", "g", extra); err != nil {
					b.Fatal(err)
				}
				if _, err := store.Touch(ctx, "t", schemas.GroupResourceType, "g", now); err != nil {
					b.Fatal(err)
				}
				if err := store.RemoveMembers(ctx, "t", "g", []string{"newcomer"}); err != nil {
					b.Fatal(err)
				}
				if _, err := store.Touch(ctx, "t", schemas.GroupResourceType, "g", now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
