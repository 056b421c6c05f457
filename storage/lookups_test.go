package storage_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
	"github.com/scimhq/scimhq/storage"
	"github.com/scimhq/scimhq/storage/storagetest"
)

// Paths and filters of the lookup tests.
var (
	userNamePath = resources.Path{Attr: schemas.User.Attribute("userName")}
	externalID   = resources.Path{Attr: schemas.Common("externalId")}
	emails       = schemas.User.Attribute("emails")
	emailValue   = resources.Path{Attr: emails, Sub: emails.Sub("value")}
	displayName  = resources.Path{Attr: schemas.Group.Attribute("displayName")}
)

func eq(p resources.Path, v any) resources.Compare {
	return resources.Compare{Path: p, Op: resources.OpEq, Value: v}
}

// typedEmail is Entra ID's emails[type eq "<kind>"].value eq "<value>".
func typedEmail(kind, value string) resources.Filter {
	return resources.ValueFilter{Path: resources.Path{Attr: emails}, Filter: resources.And{
		Left:  resources.Compare{Path: resources.Path{Attr: emails.Sub("type")}, Op: resources.OpEq, Value: kind},
		Right: resources.Compare{Path: resources.Path{Attr: emails.Sub("value")}, Op: resources.OpEq, Value: value},
	}}
}

func mail(kind, value string) resources.Attributes {
	return resources.Attributes{"type": kind, "value": value}
}

// lookupFixture is a store with the helpers the lookup tests share.
type lookupFixture struct {
	t     *testing.T
	ctx   context.Context
	store *storage.Store
	now   time.Time
}

func (f *lookupFixture) resource(rt *schemas.ResourceType, id string, attrs resources.Attributes) *resources.Resource {
	f.now = f.now.Add(time.Second) // distinct creation times, so the default order is the creation order
	return &resources.Resource{Type: rt, Tenant: "t", ID: id, Attributes: attrs, Meta: resources.Meta{Created: f.now, LastModified: f.now, Version: 1}}
}

func (f *lookupFixture) create(rt *schemas.ResourceType, id string, attrs resources.Attributes) {
	f.t.Helper()
	if err := f.store.Create(f.ctx, f.resource(rt, id, attrs)); err != nil {
		f.t.Fatal(err)
	}
}

// replace stores attrs as the resource's attributes, as PUT and PATCH do.
func (f *lookupFixture) replace(rt *schemas.ResourceType, id string, attrs resources.Attributes) {
	f.t.Helper()
	cur, err := f.store.Get(f.ctx, "t", rt, id)
	if err != nil {
		f.t.Fatal(err)
	}
	cur.Attributes = attrs
	if err := f.store.Replace(f.ctx, cur, cur.Meta.Version); err != nil {
		f.t.Fatal(err)
	}
}

// listing is what a list returns, in a form to compare.
type listing struct {
	IDs          []string
	Total        int
	Next, Before string
}

func (f *lookupFixture) list(rt *schemas.ResourceType, q resources.ListQuery) listing {
	f.t.Helper()
	page, err := f.store.List(f.ctx, "t", rt, q)
	if err != nil {
		f.t.Fatalf("%#v: %v", q.Filter, err)
	}
	l := listing{IDs: []string{}, Total: page.TotalResults, Next: page.NextCursor, Before: page.PreviousCursor}
	for _, r := range page.Resources {
		l.IDs = append(l.IDs, r.ID)
	}
	return l
}

// same checks that the filter selects what the scan path selects, with every kind of
// paging and order, and returns the ids of the first page in the default order.
// "f or <nothing>" means f, but no lookup can answer it, so the store scans.
func (f *lookupFixture) same(rt *schemas.ResourceType, filter resources.Filter, sortBy resources.Path) []string {
	f.t.Helper()
	scan := resources.Or{Left: filter, Right: resources.Nothing{}}
	queries := []resources.ListQuery{
		{StartIndex: 1, Count: 100},
		{StartIndex: 2, Count: 1},
		{StartIndex: 5, Count: 10},
		{StartIndex: 1, Count: 0},
		{StartIndex: 1, Count: 100, SortBy: &sortBy},
		{StartIndex: 1, Count: 100, SortBy: &sortBy, Descending: true},
		{StartIndex: 1, Count: 1, UseCursor: true, Fingerprint: "fp"},
		{StartIndex: 1, Count: 1, UseCursor: true, Fingerprint: "fp", SortBy: &sortBy, Descending: true},
	}
	var first []string
	for i, q := range queries {
		keyed, scanned := q, q
		keyed.Filter, scanned.Filter = filter, scan
		got, want := f.list(rt, keyed), f.list(rt, scanned)
		if !reflect.DeepEqual(got, want) {
			f.t.Errorf("%s %s, query %d: by key %+v, by scan %+v", rt.ID, describe(filter), i, got, want)
		}
		if i == 0 {
			first = got.IDs
		}
		// Follow the cursors: the next page, and back from it.
		for step := 0; q.UseCursor && got.Next != "" && step < 2; step++ {
			keyed.Cursor, scanned.Cursor = got.Next, want.Next
			if step == 1 {
				keyed.Cursor, scanned.Cursor = got.Before, want.Before
			}
			if got, want = f.list(rt, keyed), f.list(rt, scanned); !reflect.DeepEqual(got, want) {
				f.t.Errorf("%s %s, query %d, cursor step %d: by key %+v, by scan %+v", rt.ID, describe(filter), i, step, got, want)
			}
		}
	}
	return first
}

func describe(f resources.Filter) string {
	switch x := f.(type) {
	case resources.Compare:
		return fmt.Sprintf("%s %s %v", x.Path, x.Op, x.Value)
	case resources.And:
		return describe(x.Left) + " and " + describe(x.Right)
	case resources.Not:
		return "not (" + describe(x.Filter) + ")"
	case resources.ValueFilter:
		return x.Path.String() + "[" + describe(x.Filter) + "]"
	}
	return fmt.Sprintf("%#v", f)
}

// expect checks a keyed filter against the scan path and against the ids it must find.
func (f *lookupFixture) expect(rt *schemas.ResourceType, filter resources.Filter, ids ...string) {
	f.t.Helper()
	sortBy := userNamePath
	if rt == schemas.GroupResourceType {
		sortBy = displayName
	}
	got := f.same(rt, filter, sortBy)
	if ids == nil {
		ids = []string{}
	}
	if !slices.Equal(got, ids) {
		f.t.Errorf("%s %s: %v, want %v", rt.ID, describe(filter), got, ids)
	}
}

// TestLookupsAnswerAsScans: equality filters on the keyed attributes (which the embedded
// engine answers from its lookups) select, count, order and page exactly as the scan
// of the collection does, through creates, renames, deletes, restores and stale ids.
func TestLookupsAnswerAsScans(t *testing.T) {
	f := &lookupFixture{t: t, ctx: context.Background(), store: storagetest.OpenStore(t), now: time.Now().UTC().Truncate(time.Millisecond)}
	users, groups := schemas.UserResourceType, schemas.GroupResourceType
	f.create(users, "u1", resources.Attributes{"userName": "Ada@Example.com", "externalId": "X1", "active": true,
		"emails": []any{mail("work", "ada@example.com"), mail("home", "ada@home.org")}})
	// u2 shares u1's externalId; u3 has u1's home address in other case, as its work one.
	batch := []*resources.Resource{
		f.resource(users, "u2", resources.Attributes{"userName": "bob", "externalId": "X1", "active": false,
			"emails": []any{mail("work", "Bob@Example.com")}}),
		f.resource(users, "u3", resources.Attributes{"userName": "carol", "emails": []any{mail("work", "ADA@home.org")}}),
		f.resource(users, "u4", resources.Attributes{"userName": "ada@home.org"}),
	}
	if errs, err := f.store.CreateMany(f.ctx, batch); err != nil || errs[0] != nil || errs[1] != nil || errs[2] != nil {
		t.Fatal(errs, err)
	}
	f.create(groups, "g1", resources.Attributes{"displayName": "Sales", "externalId": "G1"})
	f.create(groups, "g2", resources.Attributes{"displayName": "sales", "externalId": "g1"})

	f.expect(users, eq(userNamePath, "ada@EXAMPLE.com"), "u1")
	f.expect(users, eq(userNamePath, "nobody"))
	f.expect(users, resources.And{Left: eq(userNamePath, "ada@example.com"), Right: resources.Compare{Path: resources.Path{Attr: schemas.Common("meta")}, Op: resources.OpPr}}, "u1")
	f.expect(users, eq(externalID, "X1"), "u1", "u2")
	f.expect(users, eq(externalID, "x1")) // externalId is case-exact
	f.expect(users, eq(emailValue, "ada@HOME.org"), "u1", "u3")
	f.expect(users, eq(userNamePath, "ada@home.org"), "u4") // not those with it as an e-mail address
	f.expect(users, typedEmail("work", "ada@home.org"), "u3")
	f.expect(users, typedEmail("home", "ada@example.com"))
	f.expect(users, resources.And{Left: eq(externalID, "X1"), Right: eq(resources.Path{Attr: schemas.User.Attribute("active")}, true)}, "u1")
	f.expect(users, resources.And{Left: eq(externalID, "X1"), Right: resources.Not{Filter: eq(userNamePath, "BOB")}}, "u1")
	f.expect(users, resources.And{Left: resources.Compare{Path: userNamePath, Op: resources.OpPr}, Right: eq(resources.Path{Attr: schemas.Common("id")}, "u3")}, "u3")
	f.expect(groups, eq(displayName, "SALES"), "g1", "g2")
	f.expect(groups, eq(externalID, "G1"), "g1")

	// Renames: the new values find, the old ones no longer do.
	f.replace(users, "u1", resources.Attributes{"userName": "ada.lovelace", "externalId": "X9", "emails": []any{mail("work", "ada@example.com")}})
	f.replace(users, "u2", resources.Attributes{"userName": "Bobby", "externalId": "X1", "emails": []any{mail("work", "bobby@example.com")}})
	f.replace(groups, "g2", resources.Attributes{"displayName": "Sales EMEA"})
	f.expect(users, eq(userNamePath, "ada@example.com"))
	f.expect(users, eq(userNamePath, "ADA.lovelace"), "u1")
	f.expect(users, eq(externalID, "X1"), "u2")
	f.expect(users, eq(externalID, "X9"), "u1")
	f.expect(users, eq(emailValue, "ada@home.org"), "u3")
	f.expect(users, eq(emailValue, "bob@example.com"))
	f.expect(users, eq(emailValue, "bobby@example.com"), "u2")
	f.expect(groups, eq(displayName, "sales"), "g1")
	f.expect(groups, eq(externalID, "g1"))
	f.expect(groups, eq(displayName, "sales emea"), "g2")

	// A failed rename (the userName is taken) changes nothing.
	cur, err := f.store.Get(f.ctx, "t", users, "u3")
	if err != nil {
		t.Fatal(err)
	}
	cur.Attributes = resources.Attributes{"userName": "BOBBY", "emails": []any{mail("work", "new@example.com")}}
	if err := f.store.Replace(f.ctx, cur, cur.Meta.Version); resources.KindOf(err) != resources.KindUniqueness {
		t.Fatalf("renaming u3 to a taken userName: %v", err)
	}
	f.expect(users, eq(userNamePath, "bobby"), "u2")
	f.expect(users, eq(emailValue, "new@example.com"))
	f.expect(users, eq(userNamePath, "carol"), "u3")

	// Deletes and a restore.
	for _, d := range []struct {
		rt *schemas.ResourceType
		id string
	}{{users, "u2"}, {groups, "g1"}} {
		if err := f.store.Delete(f.ctx, "t", d.rt, d.id, 0); err != nil {
			t.Fatal(err)
		}
	}
	f.expect(users, eq(userNamePath, "bobby"))
	f.expect(users, eq(externalID, "X1"))
	f.expect(groups, eq(displayName, "sales"))
	if _, err := f.store.Restore(f.ctx, "t", "u2", f.now); err != nil {
		t.Fatal(err)
	}
	f.expect(users, eq(userNamePath, "bobby"), "u2")
	f.expect(users, eq(externalID, "X1"), "u2")
	f.expect(users, eq(emailValue, "bobby@example.com"), "u2")

	// Stale ids, as a write that failed half-way leaves them: a resource that does not
	// exist, and one that exists without the value. (Only the embedded engine has
	// lookups; elsewhere these checks repeat those above.)
	for _, stale := range []struct {
		rt    *schemas.ResourceType
		p     resources.Path
		value string
		id    string
	}{
		{users, userNamePath, "bobby", "ghost"},
		{users, userNamePath, "bobby", "u3"},
		{users, externalID, "X9", "u2"},
		{users, emailValue, "nobody@example.com", "u1"},
		{groups, displayName, "sales", "g2"},
	} {
		if !storagetest.Embedded() {
			break
		}
		if err := storage.AddLookupID(f.ctx, f.store, "t", stale.rt, stale.p, stale.value, stale.id); err != nil {
			t.Fatal(err)
		}
	}
	f.expect(users, eq(userNamePath, "bobby"), "u2")
	f.expect(users, eq(externalID, "X9"), "u1")
	f.expect(users, eq(emailValue, "nobody@example.com"))
	f.expect(groups, eq(displayName, "sales"))
	f.expect(groups, eq(displayName, "Sales EMEA"), "g2")

	// Many matches, paged and sorted in memory, also by an attribute only some have.
	var many []*resources.Resource
	for i := range 12 {
		attrs := resources.Attributes{"userName": fmt.Sprintf("m%02d", (i*5)%12), "externalId": "shared"}
		if i%3 != 0 {
			attrs["title"] = fmt.Sprintf("T%d", i%4)
		}
		many = append(many, f.resource(users, fmt.Sprintf("m%02d", i), attrs))
	}
	if _, err := f.store.CreateMany(f.ctx, many); err != nil {
		t.Fatal(err)
	}
	f.same(users, eq(externalID, "shared"), userNamePath)
	f.same(users, eq(externalID, "shared"), resources.Path{Attr: schemas.User.Attribute("title")})
}

// TestLookupsUnderConcurrentWrites: resources created, renamed and deleted at the same
// time, with keys in common, are all found by key afterwards.
func TestLookupsUnderConcurrentWrites(t *testing.T) {
	f := &lookupFixture{t: t, ctx: context.Background(), store: storagetest.OpenStore(t), now: time.Now().UTC().Truncate(time.Millisecond)}
	users := schemas.UserResourceType
	const n = 16
	for i := range n {
		f.create(users, fmt.Sprintf("old%02d", i), resources.Attributes{"userName": fmt.Sprintf("old%02d", i), "externalId": "gone"})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3*n)
	for i := range n {
		wg.Go(func() { // a new user with a key all of them share
			r := &resources.Resource{Type: users, Tenant: "t", ID: fmt.Sprintf("new%02d", i), Meta: resources.Meta{Created: f.now, LastModified: f.now, Version: 1},
				Attributes: resources.Attributes{"userName": fmt.Sprintf("new%02d", i), "externalId": "together"}}
			errs <- f.store.Create(f.ctx, r)
		})
		wg.Go(func() { // an old user joins the shared key, or leaves its old one by being deleted
			id := fmt.Sprintf("old%02d", i)
			if i%2 == 0 {
				errs <- f.store.Delete(f.ctx, "t", users, id, 0)
				return
			}
			cur, err := f.store.Get(f.ctx, "t", users, id)
			if err == nil {
				cur.Attributes = resources.Attributes{"userName": id, "externalId": "together"}
				err = f.store.Replace(f.ctx, cur, cur.Meta.Version)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("new%02d", i))
		if i%2 == 1 {
			want = append(want, fmt.Sprintf("old%02d", i))
		}
	}
	slices.Sort(want)
	got := f.list(users, resources.ListQuery{Filter: eq(externalID, "together"), StartIndex: 1, Count: 100, SortBy: &userNamePath}).IDs
	if !slices.Equal(got, want) {
		t.Errorf("externalId eq together: %v, want %v", got, want)
	}
	f.expect(users, eq(externalID, "gone"))
	f.same(users, eq(externalID, "together"), userNamePath)
}

// TestLookupsBuiltForOldData: a database written before lookups existed (here: with
// them dropped) gets them at the next Open, and keyed filters find its resources.
func TestLookupsBuiltForOldData(t *testing.T) {
	if !storagetest.Embedded() {
		t.Skip("lookups exist on the embedded engine only")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, open := ownEngine(t, ctx, "old")
	store := open()
	f := &lookupFixture{t: t, ctx: ctx, store: store, now: time.Now().UTC().Truncate(time.Millisecond)}
	var batch []*resources.Resource
	for i := range 1500 { // more than one batch of the build
		batch = append(batch, f.resource(schemas.UserResourceType, fmt.Sprintf("u%04d", i), resources.Attributes{
			"userName": fmt.Sprintf("User%04d", i), "externalId": fmt.Sprintf("e%d", i%1000),
			"emails": []any{mail("work", fmt.Sprintf("u%04d@example.com", i))}}))
	}
	if _, err := store.CreateMany(ctx, batch); err != nil {
		t.Fatal(err)
	}
	f.create(schemas.GroupResourceType, "g", resources.Attributes{"displayName": "Old Group", "externalId": "G"})
	if err := storage.DropLookups(ctx, store); err != nil {
		t.Fatal(err)
	}
	find := func(rt *schemas.ResourceType, filter resources.Filter, ids ...string) {
		t.Helper()
		if got := f.list(rt, resources.ListQuery{Filter: filter, StartIndex: 1, Count: 100}).IDs; !slices.Equal(got, append([]string{}, ids...)) {
			t.Errorf("%s %s: %v, want %v", rt.ID, describe(filter), got, ids)
		}
	}
	find(schemas.UserResourceType, eq(userNamePath, "user0042")) // without lookups, nothing is found
	if err := store.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 { // building, and opening what is built
		f.store = open()
		find(schemas.UserResourceType, eq(userNamePath, "user0042"), "u0042")
		find(schemas.UserResourceType, eq(userNamePath, "USER1499"), "u1499")
		find(schemas.UserResourceType, eq(externalID, "e42"), "u0042", "u1042")
		find(schemas.UserResourceType, typedEmail("work", "u1234@EXAMPLE.com"), "u1234")
		f.expect(schemas.GroupResourceType, eq(displayName, "old group"), "g")
		f.expect(schemas.GroupResourceType, eq(externalID, "G"), "g")
		if err := f.store.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUserNameEqReadsByID: on the embedded engine, userName eq (and the other keyed
// equalities) read the lookup document and the candidates by _id, which SQLite answers
// from an index, and never run a filter that would scan the users.
func TestUserNameEqReadsByID(t *testing.T) {
	if !storagetest.Embedded() {
		t.Skip("lookups exist on the embedded engine only")
	}
	var log commandLog
	store := openLoggedStore(t, &log)
	ctx := context.Background()
	now := time.Now().UTC()
	var batch []*resources.Resource
	for i := range 50 {
		batch = append(batch, &resources.Resource{Type: schemas.UserResourceType, Tenant: "t", ID: fmt.Sprintf("u%d", i),
			Attributes: resources.Attributes{"userName": fmt.Sprintf("user%d", i)}, Meta: resources.Meta{Created: now, LastModified: now, Version: 1}})
	}
	if _, err := store.CreateMany(ctx, batch); err != nil {
		t.Fatal(err)
	}
	log.reset()
	page, err := store.List(ctx, "t", schemas.UserResourceType, resources.ListQuery{Filter: eq(userNamePath, "USER7"), StartIndex: 1, Count: 100})
	if err != nil || page.TotalResults != 1 || page.Resources[0].ID != "u7" {
		t.Fatalf("userName eq USER7: %+v, %v", page, err)
	}
	commands := log.since()
	if want := []string{"find lookups", "find users"}; !slices.Equal(commands, want) || strings.Contains(strings.Join(commands, ","), "scanning") {
		t.Errorf("userName eq ran %q, want %q", commands, want)
	}
}
