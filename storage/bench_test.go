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

// BenchmarkUserNameLookup measures `userName eq` (what Okta sends before every create
// and Entra ID to match users) through List, with 1,000 and 10,000 users in the tenant.
// On the embedded FerretDB it is answered from the lookups collection (see lookups.go):
// a few reads by _id whatever the number of users, where a filter would decode every
// user document; on MongoDB it is an index lookup either way.
//
//	go test ./storage -run '^$' -bench UserNameLookup -benchtime 20x
func BenchmarkUserNameLookup(b *testing.B) {
	b.Logf("engine: %s", storagetest.Engine())
	ctx := context.Background()
	now := time.Now().UTC()
	userName := schemas.User.Attribute("userName")
	for _, size := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("users=%d", size), func(b *testing.B) {
			store := storagetest.OpenStore(b)
			start := time.Now()
			for first := 0; first < size; first += 1000 {
				batch := make([]*resources.Resource, 0, 1000)
				for i := first; i < min(first+1000, size); i++ {
					name := fmt.Sprintf("user-%06d@example.com", i)
					batch = append(batch, &resources.Resource{Type: schemas.UserResourceType, Tenant: "t", ID: fmt.Sprintf("u%06d", i),
						Attributes: resources.Attributes{"userName": name, "externalId": fmt.Sprintf("ext-%06d", i),
							"emails": []any{resources.Attributes{"value": name, "type": "work"}}},
						Meta: resources.Meta{Created: now, LastModified: now, Version: 1}})
				}
				if _, err := store.CreateMany(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("stored %d users in %v", size, time.Since(start))
			i := 0
			for b.Loop() {
				name := fmt.Sprintf("USER-%06d@example.com", (i*7919)%size)
				i++
				page, err := store.List(ctx, "t", schemas.UserResourceType, resources.ListQuery{
					Filter:     resources.Compare{Path: resources.Path{Attr: userName}, Op: resources.OpEq, Value: name},
					StartIndex: 1, Count: 100})
				if err != nil {
					b.Fatal(err)
				}
				if page.TotalResults != 1 || len(page.Resources) != 1 {
					b.Fatalf("userName eq %q: %d results", name, page.TotalResults)
				}
			}
		})
	}
}

// BenchmarkAddMembers measures storing the members of a new group of 10,000 in one
// AddMembers, as creating it does: members in no group yet, and members that are each
// in another group already (on the embedded engine their reverse lookups, see
// member_lookups.go, exist then and are updated rather than inserted).
//
//	go test ./storage -run '^$' -bench AddMembers -benchtime 3x
func BenchmarkAddMembers(b *testing.B) {
	b.Logf("engine: %s", storagetest.Engine())
	ctx := context.Background()
	store := storagetest.OpenStore(b)
	const size = 10_000
	members := func(prefix string) []resources.Member {
		out := make([]resources.Member, size)
		for i := range out {
			out[i] = resources.Member{Value: fmt.Sprintf("%s-%05d", prefix, i), Type: "User"}
		}
		return out
	}
	if err := store.AddMembers(ctx, "t", "home", members("member")); err != nil {
		b.Fatal(err)
	}
	for _, inGroup := range []bool{false, true} {
		b.Run(fmt.Sprintf("inAnotherGroup=%v", inGroup), func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				add := members("member")
				if !inGroup {
					add = members(fmt.Sprintf("new%d", i))
				}
				if err := store.AddMembers(ctx, "t", fmt.Sprintf("g-%v-%d", inGroup, i), add); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
