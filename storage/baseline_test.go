package storage_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
	"github.com/scimhq/scimhq/storage"
	"github.com/scimhq/scimhq/storage/storagetest"
)

// TestBaselineOps: every baseline operation does what its SCIM request does to the data,
// in the number of database commands that takes and no more; what it writes reads back
// through the store like what the store writes itself.
func TestBaselineOps(t *testing.T) {
	var commands atomic.Int64
	store := storagetest.OpenStoreWith(t, storage.Options{Monitor: &event.CommandMonitor{
		Started: func(context.Context, *event.CommandStartedEvent) { commands.Add(1) },
	}})
	ctx := context.Background()
	now := time.Now().UTC()
	user := func(i int) resources.Attributes {
		return resources.Attributes{"userName": fmt.Sprintf("U%d@example.com", i), "externalId": fmt.Sprintf("ext-%d", i),
			"name": resources.Attributes{"familyName": fmt.Sprintf("F%d", i)}, "active": false}
	}
	group := &resources.Resource{Type: schemas.GroupResourceType, Tenant: "t", ID: "g", Attributes: resources.Attributes{"displayName": "G"},
		Meta: resources.Meta{Created: now, LastModified: now, Version: 1}}
	if err := store.Create(ctx, group); err != nil {
		t.Fatal(err)
	}
	groupVersion := func() int64 {
		g, err := store.Get(ctx, "t", schemas.GroupResourceType, "g")
		if err != nil {
			t.Fatal(err)
		}
		return g.Meta.Version
	}
	members := func() int {
		m, err := store.Members(ctx, "t", "g")
		if err != nil {
			t.Fatal(err)
		}
		return len(m)
	}
	// On the embedded engine an insert also adds the users' lookup keys (one insert of
	// their documents), a find reads the lookup document before the users, and a
	// membership change also updates the member's lookup document.
	var lookup int64
	if storagetest.Embedded() {
		lookup = 1
	}
	steps := []struct {
		op       storage.BaselineOp
		target   storage.BaselineTarget
		commands int64
		check    func() string
	}{
		{storage.BaselineCreate, storage.BaselineTarget{New: []storage.BaselineUser{{ID: "u0", Attributes: user(0)}}}, 1 + lookup, func() string {
			u, err := store.Get(ctx, "t", schemas.UserResourceType, "u0")
			if err != nil || u.Attributes["userName"] != "U0@example.com" || u.Meta.Version != 1 {
				return fmt.Sprintf("inserted user reads back as %+v, %v", u, err)
			}
			return ""
		}},
		{storage.BaselineCreateMany, storage.BaselineTarget{New: []storage.BaselineUser{{ID: "u1", Attributes: user(1)}, {ID: "u2", Attributes: user(2)}}}, 1 + lookup, func() string {
			// The case-insensitive unique index holds for inserted documents too.
			err := store.Create(ctx, &resources.Resource{Type: schemas.UserResourceType, Tenant: "t", ID: "x", Attributes: user(2)})
			if resources.KindOf(err) != resources.KindUniqueness {
				return fmt.Sprintf("a second user with an inserted userName: %v, want a uniqueness error", err)
			}
			return ""
		}},
		{storage.BaselineGet, storage.BaselineTarget{UserID: "u1"}, 1, nil},
		{storage.BaselineFindUserName, storage.BaselineTarget{UserName: "u1@EXAMPLE.com"}, 1 + lookup, func() string {
			// What the batch inserted, the store finds (on the embedded engine, by key).
			userName := schemas.User.Attribute("userName")
			page, err := store.List(ctx, "t", schemas.UserResourceType, resources.ListQuery{StartIndex: 1, Count: 10,
				Filter: resources.Compare{Path: resources.Path{Attr: userName}, Op: resources.OpEq, Value: "u1@example.COM"}})
			if err != nil || page.TotalResults != 1 || len(page.Resources) != 1 || page.Resources[0].ID != "u1" {
				return fmt.Sprintf("the store's userName eq finds %+v, %v; want u1", page, err)
			}
			return ""
		}},
		{storage.BaselineFindExternal, storage.BaselineTarget{ExternalID: "ext-2"}, 1 + lookup, nil},
		{storage.BaselinePage, storage.BaselineTarget{Skip: 1}, 1, nil},
		{storage.BaselineSetActive, storage.BaselineTarget{UserID: "u1"}, 1, func() string {
			if u, err := store.Get(ctx, "t", schemas.UserResourceType, "u1"); err != nil || u.Attributes["active"] != true || u.Meta.Version != 2 {
				return fmt.Sprintf("after setting active: %+v, %v", u, err)
			}
			return ""
		}},
		{storage.BaselineSetTitle, storage.BaselineTarget{UserID: "u2"}, 1, func() string {
			if u, err := store.Get(ctx, "t", schemas.UserResourceType, "u2"); err != nil || u.Attributes["title"] == nil {
				return fmt.Sprintf("after setting the title: %+v, %v", u, err)
			}
			return ""
		}},
		{storage.BaselineMemberAdd, storage.BaselineTarget{GroupID: "g", MemberID: "u1"}, 2 + lookup, func() string {
			if n, v := members(), groupVersion(); n != 1 || v != 2 {
				return fmt.Sprintf("after a member add: %d members, version %d; want 1 and 2", n, v)
			}
			return ""
		}},
		{storage.BaselineMemberRemove, storage.BaselineTarget{GroupID: "g", MemberID: "u1"}, 2 + lookup, func() string {
			if n, v := members(), groupVersion(); n != 0 || v != 3 {
				return fmt.Sprintf("after a member remove: %d members, version %d; want 0 and 3", n, v)
			}
			return ""
		}},
	}
	done := map[storage.BaselineOp]bool{}
	for _, s := range steps {
		s.target.Tenant = "t"
		before := commands.Load()
		if err := store.Baseline(ctx, s.op, s.target); err != nil {
			t.Fatalf("%s: %v", s.op, err)
		}
		if n := commands.Load() - before; n != s.commands {
			t.Errorf("%s: %d database commands, want %d", s.op, n, s.commands)
		}
		if s.check != nil {
			if msg := s.check(); msg != "" {
				t.Errorf("%s: %s", s.op, msg)
			}
		}
		done[s.op] = true
	}
	for _, op := range storage.BaselineOps {
		if !done[op] {
			t.Errorf("%s is not tested", op)
		}
	}
	if err := store.Baseline(ctx, "no such operation", storage.BaselineTarget{Tenant: "t"}); err == nil {
		t.Error("an unknown operation did not fail")
	}
}
