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
// version bump each does) on groups of 10 and 100,000 members stored side by side in one
// database, so the small group's figure is taken with 100,000 memberships around it.
// Each step is a write of one document by _id, so on MongoDB both sizes cost the same;
// on the embedded FerretDB they do too since Open gives its tables the _id index its
// lookups use (see storage.Embedded), without which each step scans every membership.
// The benchmark reports the engine so that figures are read for what they are.
//
//	go test ./storage -run '^$' -bench MembershipChange -benchtime 200x
func BenchmarkMembershipChange(b *testing.B) {
	b.Logf("engine: %s", storagetest.Engine())
	ctx := context.Background()
	store := storagetest.OpenStore(b)
	now := time.Now().UTC()
	sizes := []int{100_000, 10}
	for _, size := range sizes {
		id := fmt.Sprintf("g%d", size)
		group := &resources.Resource{Type: schemas.GroupResourceType, Tenant: "t", ID: id, Attributes: resources.Attributes{"displayName": id}, Meta: resources.Meta{Created: now, LastModified: now, Version: 1}}
		if err := store.Create(ctx, group); err != nil {
			b.Fatal(err)
		}
		members := make([]resources.Member, size)
		for i := range members {
			members[i] = resources.Member{Value: fmt.Sprintf("user-%07d", i), Type: "User"}
		}
		start := time.Now()
		if err := store.AddMembers(ctx, "t", id, members); err != nil {
			b.Fatal(err)
		}
		b.Logf("stored %d memberships in %v", size, time.Since(start))
	}
	for _, size := range []int{10, 100_000} {
		id := fmt.Sprintf("g%d", size)
		b.Run(fmt.Sprintf("members=%d", size), func(b *testing.B) {
			extra := []resources.Member{{Value: "newcomer", Type: "User"}}
			for b.Loop() {
				if err := store.AddMembers(ctx, "t", id, extra); err != nil {
					b.Fatal(err)
				}
				if _, err := store.Touch(ctx, "t", schemas.GroupResourceType, id, 0, now); err != nil {
					b.Fatal(err)
				}
				if err := store.RemoveMembers(ctx, "t", id, []string{"newcomer"}); err != nil {
					b.Fatal(err)
				}
				if _, err := store.Touch(ctx, "t", schemas.GroupResourceType, id, 0, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
