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

// memberFixture is a store with the helpers the member lookup tests share.
type memberFixture struct {
	*lookupFixture
	ids []string // every member id the checks ask about
}

func newMemberFixture(t *testing.T, store *storage.Store) *memberFixture {
	return &memberFixture{lookupFixture: &lookupFixture{t: t, ctx: context.Background(), store: store, now: time.Now().UTC().Truncate(time.Millisecond)}}
}

func (f *memberFixture) add(group string, members ...string) {
	f.t.Helper()
	ms := make([]resources.Member, len(members))
	for i, m := range members {
		typ := schemas.UserResourceType.ID
		if strings.HasPrefix(m, "g") {
			typ = schemas.GroupResourceType.ID
		}
		ms[i] = resources.Member{Value: m, Type: typ, Display: m}
	}
	if err := f.store.AddMembers(f.ctx, "t", group, ms); err != nil {
		f.t.Fatal(err)
	}
}

func (f *memberFixture) remove(group string, members ...string) {
	f.t.Helper()
	if err := f.store.RemoveMembers(f.ctx, "t", group, members); err != nil {
		f.t.Fatal(err)
	}
}

func (f *memberFixture) delete(rt *schemas.ResourceType, id string) {
	f.t.Helper()
	if err := f.store.Delete(f.ctx, "t", rt, id, 0); err != nil {
		f.t.Fatal(err)
	}
}

// expect checks that GroupsOf agrees with the scan of the memberships, for all the
// members at once and each alone, and that it finds want (member → groups).
func (f *memberFixture) expect(step string, want map[string][]string) {
	f.t.Helper()
	got, err := f.store.GroupsOf(f.ctx, "t", f.ids)
	if err != nil {
		f.t.Fatal(err)
	}
	scan, err := storage.GroupsOfByScan(f.ctx, f.store, "t", f.ids)
	if err != nil {
		f.t.Fatal(err)
	}
	if !reflect.DeepEqual(got, scan) || !reflect.DeepEqual(got, want) {
		f.t.Errorf("%s: GroupsOf %v, by scan %v, want %v", step, got, scan, want)
	}
	for _, id := range f.ids {
		one, err := f.store.GroupsOf(f.ctx, "t", []string{id})
		if err != nil {
			f.t.Fatal(err)
		}
		if !slices.Equal(one[id], want[id]) {
			f.t.Errorf("%s: GroupsOf(%s) %v, want %v", step, id, one[id], want[id])
		}
	}
}

// groupsWith checks that "members.value eq <member>" (and a filter requiring it among
// other conditions), which the embedded engine answers from the member's lookup
// document, select the groups the scan selects.
func (f *memberFixture) groupsWith(member string, want ...string) {
	f.t.Helper()
	members := schemas.Group.Attribute("members")
	value := resources.Compare{Path: resources.Path{Attr: members, Sub: members.Sub("value")}, Op: resources.OpEq, Value: member}
	f.same(schemas.GroupResourceType, value, displayName)
	typed := resources.ValueFilter{Path: resources.Path{Attr: members}, Filter: resources.And{
		Left:  resources.Compare{Path: resources.Path{Attr: members.Sub("type")}, Op: resources.OpEq, Value: "User"},
		Right: resources.Compare{Path: resources.Path{Attr: members.Sub("value")}, Op: resources.OpEq, Value: member},
	}}
	f.same(schemas.GroupResourceType, typed, displayName)
	got := f.list(schemas.GroupResourceType, resources.ListQuery{Filter: value, StartIndex: 1, Count: 100, SortBy: &displayName}).IDs
	if !slices.Equal(got, append([]string{}, want...)) {
		f.t.Errorf("groups with member %s: %v, want %v", member, got, want)
	}
}

// TestGroupsOfAnswersAsScan: a member's groups, which the embedded engine reads from
// the members' lookup documents, are those the scan of the memberships finds, through
// adds, removes, re-adds, deletes of users and groups, a restore, nested groups and
// stale ids.
func TestGroupsOfAnswersAsScan(t *testing.T) {
	f := newMemberFixture(t, storagetest.OpenStore(t))
	users, groups := schemas.UserResourceType, schemas.GroupResourceType
	for _, u := range []string{"u1", "u2", "u3", "u4"} {
		f.create(users, u, resources.Attributes{"userName": u})
	}
	// Ids chosen so that the order of the membership keys ("t/g-a/…" before "t/g/…")
	// differs from that of the group ids.
	for _, g := range []string{"g", "g-a", "g1", "g2", "g3"} {
		f.create(groups, g, resources.Attributes{"displayName": "D" + g})
	}
	f.ids = []string{"u1", "u2", "u3", "u4", "g3", "nobody"}
	f.add("g1", "u1", "u2", "u3", "g3")
	f.add("g2", "u1", "g3")
	f.add("g3", "u4")
	f.add("g", "u1")
	f.add("g-a", "u1")
	f.add("g1", "u1") // again: its display only
	f.expect("adds", map[string][]string{"u1": {"g-a", "g", "g1", "g2"}, "u2": {"g1"}, "u3": {"g1"}, "u4": {"g3"}, "g3": {"g1", "g2"}})
	f.groupsWith("u1", "g", "g-a", "g1", "g2")

	f.remove("g1", "u2", "u3", "not-a-member")
	f.remove("g", "u1")
	f.expect("removes", map[string][]string{"u1": {"g-a", "g1", "g2"}, "u4": {"g3"}, "g3": {"g1", "g2"}})
	f.add("g1", "u2")
	f.expect("re-add", map[string][]string{"u1": {"g-a", "g1", "g2"}, "u2": {"g1"}, "u4": {"g3"}, "g3": {"g1", "g2"}})

	f.delete(users, "u1")
	f.expect("user delete", map[string][]string{"u2": {"g1"}, "u4": {"g3"}, "g3": {"g1", "g2"}})
	f.groupsWith("u1")
	if _, err := f.store.Restore(f.ctx, "t", "u1", f.now); err != nil {
		t.Fatal(err)
	}
	f.expect("restore", map[string][]string{"u1": {"g-a", "g1", "g2"}, "u2": {"g1"}, "u4": {"g3"}, "g3": {"g1", "g2"}})
	f.groupsWith("u1", "g-a", "g1", "g2")

	// A nested group deleted: it leaves its groups, and its members (whose lookups
	// still name it) have no group, also once a group is created with its id again.
	f.delete(groups, "g3")
	f.create(groups, "g3", resources.Attributes{"displayName": "again"})
	f.expect("group delete", map[string][]string{"u1": {"g-a", "g1", "g2"}, "u2": {"g1"}})
	f.groupsWith("u4")

	// Stale ids, as writes that stopped half-way leave them: a group that does not
	// exist, and groups that exist without the member. Reads leave them out and take
	// them out of the lookup document. (Only the embedded engine has these lookups.)
	if storagetest.Embedded() {
		for _, g := range []string{"ghost", "g2", "g3"} {
			if err := storage.AddMemberLookupID(f.ctx, f.store, "t", "u2", g); err != nil {
				t.Fatal(err)
			}
		}
		if err := storage.AddMemberLookupID(f.ctx, f.store, "t", "nobody", "g1"); err != nil {
			t.Fatal(err)
		}
	}
	f.groupsWith("u2", "g1")
	f.expect("stale ids", map[string][]string{"u1": {"g-a", "g1", "g2"}, "u2": {"g1"}})
	if storagetest.Embedded() {
		for member, want := range map[string][]string{"u2": {"g1"}, "nobody": {}, "u4": {}, "u1": {"g-a", "g1", "g2"}} {
			ids, err := storage.MemberLookupIDs(f.ctx, f.store, "t", member)
			if err != nil || !slices.Equal(append([]string{}, ids...), want) {
				t.Errorf("lookup of %s after reads: %v, %v; want %v", member, ids, err, want)
			}
		}
	}
}

// TestMemberLookupsUnderConcurrentWrites: members added to one group at once, one
// member added to many groups at once, and one membership added and removed at once
// lose nothing: GroupsOf finds what the scan finds.
func TestMemberLookupsUnderConcurrentWrites(t *testing.T) {
	f := newMemberFixture(t, storagetest.OpenStore(t))
	const n = 24
	for i := range n { // memberships to remove while others are added
		f.add(fmt.Sprintf("churn%02d", i), "m", fmt.Sprintf("c%02d", i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*n)
	one := func(member string) []resources.Member {
		return []resources.Member{{Value: member, Type: "User"}}
	}
	for i := range n {
		wg.Go(func() { errs <- f.store.AddMembers(f.ctx, "t", "big", one(fmt.Sprintf("u%02d", i))) })
		wg.Go(func() { errs <- f.store.AddMembers(f.ctx, "t", fmt.Sprintf("g%02d", i), one("m")) })
		// The same membership removed and added again at once: whichever comes last
		// decides, and the lookup must name it if it is there.
		churn, member := fmt.Sprintf("churn%02d", i), fmt.Sprintf("c%02d", i)
		wg.Go(func() { errs <- f.store.RemoveMembers(f.ctx, "t", churn, []string{member, "m"}) })
		wg.Go(func() { errs <- f.store.AddMembers(f.ctx, "t", churn, append(one(member), one("m")...)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	f.ids = []string{"m"}
	for i := range n {
		f.ids = append(f.ids, fmt.Sprintf("u%02d", i), fmt.Sprintf("c%02d", i))
	}
	want, err := storage.GroupsOfByScan(f.ctx, f.store, "t", f.ids)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if u := fmt.Sprintf("u%02d", i); !slices.Equal(want[u], []string{"big"}) {
			t.Errorf("%s is in %v, want big", u, want[u])
		}
		if g := fmt.Sprintf("g%02d", i); !slices.Contains(want["m"], g) {
			t.Errorf("m is not in %s: %v", g, want["m"])
		}
	}
	f.expect("concurrent writes", want)
}

// TestMemberLookupsBuiltForOldData: a database whose lookups were built before members
// had any (the users' marker, no members') gets them at the next Open, from the
// memberships, and a member's groups are found from them.
func TestMemberLookupsBuiltForOldData(t *testing.T) {
	if !storagetest.Embedded() {
		t.Skip("lookups exist on the embedded engine only")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, open := ownEngine(t, ctx, "old")
	f := newMemberFixture(t, open())
	f.ctx = ctx
	members := make([]string, 1500) // more than one batch of the build
	for i := range members {
		members[i] = fmt.Sprintf("u%04d", i)
	}
	f.add("all", members...)
	f.add("some", members[:10]...)
	f.add("g-other", "u0001")
	if err := f.store.AddMembers(ctx, "t2", "elsewhere", []resources.Member{{Value: "u0001", Type: "User"}}); err != nil {
		t.Fatal(err)
	}
	if err := storage.DropMemberLookups(ctx, f.store); err != nil {
		t.Fatal(err)
	}
	f.ids = []string{"u0001", "u0500", "u1499"}
	if got, err := f.store.GroupsOf(ctx, "t", f.ids); err != nil || len(got) != 0 {
		t.Fatalf("without the members' lookups GroupsOf found %v, %v; want nothing", got, err)
	}
	if err := f.store.Close(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"u0001": {"all", "g-other", "some"}, "u0500": {"all"}, "u1499": {"all"}}
	for range 2 { // building, and opening what is built
		f.store = open()
		f.expect("after the build", want)
		if got, err := f.store.GroupsOf(ctx, "t2", []string{"u0001"}); err != nil || !slices.Equal(got["u0001"], []string{"elsewhere"}) {
			t.Errorf("tenant t2: %v, %v", got, err)
		}
		if err := f.store.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUserGroupsReadByID: on the embedded engine a user's groups are read by _id only:
// its lookup document, then each candidate membership; no filter scans the memberships.
func TestUserGroupsReadByID(t *testing.T) {
	if !storagetest.Embedded() {
		t.Skip("lookups exist on the embedded engine only")
	}
	var log commandLog
	store := openLoggedStore(t, &log)
	f := newMemberFixture(t, store)
	var everyone []string
	for i := range 200 {
		everyone = append(everyone, fmt.Sprintf("u%03d", i))
	}
	f.add("all", everyone...)
	f.add("few", "u007", "u008")
	f.add("wide", everyone...)                                              // members that all have documents already: a wide group
	if _, err := store.GroupsOf(f.ctx, "t", []string{"u008"}); err != nil { // reads the wide groups
		t.Fatal(err)
	}
	log.reset()
	got, err := store.GroupsOf(f.ctx, "t", []string{"u007"})
	if err != nil || !slices.Equal(got["u007"], []string{"all", "few", "wide"}) {
		t.Fatalf("GroupsOf u007: %v, %v", got, err)
	}
	commands := log.since()
	// The member's document and a membership for each candidate (the wide groups are
	// known in memory).
	if want := []string{"find lookups", "find memberships", "find memberships", "find memberships"}; !slices.Equal(commands, want) {
		t.Errorf("GroupsOf ran %q, want %q", commands, want)
	}
}

// TestWideGroups: a group added in one go to many members that are in other groups
// already becomes one of the tenant's wide groups, candidates for every member; its
// members' groups are still those the scan finds, through removals, a member's
// deletion and the group's.
func TestWideGroups(t *testing.T) {
	f := newMemberFixture(t, storagetest.OpenStore(t))
	var many []string
	for i := range 150 {
		many = append(many, fmt.Sprintf("u%03d", i))
		f.create(schemas.UserResourceType, many[i], resources.Attributes{"userName": many[i]})
	}
	f.create(schemas.GroupResourceType, "wide", resources.Attributes{"displayName": "wide"})
	f.add("base", many...)
	f.add("wide", many...)
	if storagetest.Embedded() {
		if ids, err := storage.WideGroups(f.ctx, f.store, "t"); err != nil || !slices.Equal(ids, []string{"wide"}) {
			t.Fatalf("wide groups: %v, %v; want wide", ids, err)
		}
	}
	f.ids = []string{"u000", "u001", "u149", "new"}
	f.expect("wide", map[string][]string{"u000": {"base", "wide"}, "u001": {"base", "wide"}, "u149": {"base", "wide"}})
	f.remove("wide", "u001")
	f.add("wide", "new")
	f.delete(schemas.UserResourceType, "u149")
	f.expect("changes", map[string][]string{"u000": {"base", "wide"}, "u001": {"base"}, "new": {"wide"}})
	f.delete(schemas.GroupResourceType, "wide")
	f.expect("deleted", map[string][]string{"u000": {"base"}, "u001": {"base"}})
	if storagetest.Embedded() {
		if ids, err := storage.WideGroups(f.ctx, f.store, "t"); err != nil || len(ids) != 0 {
			t.Errorf("wide groups after the delete: %v, %v", ids, err)
		}
	}
}
