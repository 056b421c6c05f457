package storage_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
	"github.com/scimhq/scimhq/storage"
	"github.com/scimhq/scimhq/storage/storagetest"
)

// TestGroupsValueUsesMembershipKeys: groups.value eq reads the group's memberships by
// their _id range (the primary key), not by the unindexed group field, and ne means
// "in no such group", users in no group included.
func TestGroupsValueUsesMembershipKeys(t *testing.T) {
	var mu sync.Mutex
	var filters []string
	// taken returns the memberships filters read since the last call.
	taken := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := filters
		filters = nil
		return out
	}
	store := storagetest.OpenStoreWith(t, storage.Options{Monitor: &event.CommandMonitor{
		Started: func(_ context.Context, e *event.CommandStartedEvent) {
			if e.CommandName == "find" && e.Command.Lookup("find").StringValue() == "memberships" {
				mu.Lock()
				filters = append(filters, e.Command.Lookup("filter").String())
				mu.Unlock()
			}
		},
	}})
	ctx := context.Background()
	now := time.Now().UTC()
	create := func(rt *schemas.ResourceType, id string, attrs resources.Attributes) {
		t.Helper()
		r := &resources.Resource{Type: rt, Tenant: "t", ID: id, Attributes: attrs, Meta: resources.Meta{Created: now, LastModified: now, Version: 1}}
		if err := store.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	create(schemas.UserResourceType, "u1", resources.Attributes{"userName": "one"})
	create(schemas.UserResourceType, "u2", resources.Attributes{"userName": "two"})
	create(schemas.GroupResourceType, "g", resources.Attributes{"displayName": "G"})
	if err := store.AddMembers(ctx, "t", "g", []resources.Member{{Value: "u1", Type: "User", Display: "one"}}); err != nil {
		t.Fatal(err)
	}
	groups := schemas.User.Attribute("groups")
	for _, tc := range []struct {
		op   resources.Operator
		want string
	}{{resources.OpEq, "one"}, {resources.OpNe, "two"}} {
		taken()
		f := resources.Compare{Path: resources.Path{Attr: groups, Sub: groups.Sub("value")}, Op: tc.op, Value: "g"}
		page, err := store.List(ctx, "t", schemas.UserResourceType, resources.ListQuery{Filter: f, StartIndex: 1, Count: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Resources) != 1 || page.Resources[0].Attributes["userName"] != tc.want {
			t.Fatalf("groups.value %s g: %v, want %s", tc.op, page.Resources, tc.want)
		}
		if read := taken(); len(read) != 1 || !strings.Contains(read[0], `"t/g/"`) || strings.Contains(read[0], `"group"`) {
			t.Fatalf("groups.value %s g read memberships with %q, want the _id range of t/g/", tc.op, read)
		}
	}
}
