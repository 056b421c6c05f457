// Package conformance is the test suite every implementation of resources.Store must
// pass, in the manner of Dex's storage/conformance: the contract of the interface,
// written once, run against each engine (the embedded FerretDB always, a real MongoDB
// when the tests are given one).
package conformance

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// Run runs the suite; open must return an empty store for each call.
func Run(t *testing.T, open func(t *testing.T) resources.Store) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, resources.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"UserNameUnique", testUserNameUnique},
		{"ConcurrentCreates", testConcurrentCreates},
		{"CreateMany", testCreateMany},
		{"ReplaceCompareAndSwap", testReplaceCAS},
		{"DeleteAndTouch", testDeleteAndTouch},
		{"ListPaging", testListPaging},
		{"TenantScope", testTenantScope},
		{"Memberships", testMemberships},
		{"ReplaceKeepsMemberships", testReplaceKeepsMemberships},
		{"Tokens", testTokens},
		{"EmailClaims", testEmailClaims},
		{"DeleteRestorePurge", testDeleteRestorePurge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

var ctx = context.Background()

var (
	users  = schemas.UserResourceType
	groups = schemas.GroupResourceType
)

func at(sec int) time.Time { return time.Date(2024, 5, 1, 12, 0, sec, 0, time.UTC) }

func newUser(tenant, id, userName string) *resources.Resource {
	return &resources.Resource{
		Type: users, Tenant: tenant, ID: id,
		Attributes: resources.Attributes{"userName": userName},
		Meta:       resources.Meta{Created: at(0), LastModified: at(0), Version: 1},
	}
}

func newGroup(tenant, id, name string) *resources.Resource {
	return &resources.Resource{
		Type: groups, Tenant: tenant, ID: id,
		Attributes: resources.Attributes{"displayName": name},
		Meta:       resources.Meta{Created: at(0), LastModified: at(0), Version: 1},
	}
}

func mustCreate(t *testing.T, s resources.Store, r *resources.Resource) {
	t.Helper()
	if err := s.Create(ctx, r); err != nil {
		t.Fatalf("create %s %s: %v", r.Type.ID, r.ID, err)
	}
}

func wantKind(t *testing.T, err error, kind resources.Kind, what string) {
	t.Helper()
	if err == nil || resources.KindOf(err) != kind {
		t.Fatalf("%s: got %v, want an error of kind %d", what, err, kind)
	}
}

// testRoundTrip: every value type comes back as it was stored.
func testRoundTrip(t *testing.T, s resources.Store) {
	u := newUser("t1", "u1", "Alice@Example.com")
	u.Attributes["active"] = true
	u.Attributes["name"] = resources.Attributes{"givenName": "Alice", "familyName": "Smith"}
	u.Attributes["emails"] = []any{
		resources.Attributes{"value": "Alice@Example.com", "type": "work", "primary": true},
		resources.Attributes{"value": "alice@home.test", "type": "home"},
	}
	u.Attributes[schemas.EnterpriseUserURN] = resources.Attributes{"department": "Sales", "manager": resources.Attributes{"value": "m1"}}
	u.Attributes["x509Certificates"] = []any{resources.Attributes{"value": "AAEC"}}
	u.PasswordHash = "$argon2id$test"
	mustCreate(t, s, u)
	got, err := s.Get(ctx, "t1", users, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.Attributes) != fmt.Sprint(u.Attributes) {
		t.Fatalf("attributes changed in storage:\nstored %v\nread   %v", u.Attributes, got.Attributes)
	}
	if got.PasswordHash != u.PasswordHash || got.Meta != u.Meta || got.Tenant != "t1" || got.ID != "u1" {
		t.Fatalf("resource fields changed: %+v", got)
	}
	wantKind(t, func() error { _, err := s.Get(ctx, "t1", users, "missing"); return err }(), resources.KindNotFound, "get missing")
	wantKind(t, func() error { _, err := s.Get(ctx, "t1", groups, "u1"); return err }(), resources.KindNotFound, "get a user as a group")
}

// testUserNameUnique: userName is unique per tenant, case-insensitively, on create and
// on replace.
func testUserNameUnique(t *testing.T, s resources.Store) {
	mustCreate(t, s, newUser("t1", "u1", "bob@example.com"))
	wantKind(t, s.Create(ctx, newUser("t1", "u2", "BOB@example.com")), resources.KindUniqueness, "duplicate userName")
	mustCreate(t, s, newUser("t2", "u3", "bob@example.com")) // other tenant
	mustCreate(t, s, newUser("t1", "u4", "carol@example.com"))
	wantKind(t, s.Replace(ctx, newUser("t1", "u4", "Bob@Example.com"), 1), resources.KindUniqueness, "rename onto a taken userName")
}

// testConcurrentCreates: of 20 simultaneous creates of one userName exactly one wins.
func testConcurrentCreates(t *testing.T, s resources.Store) {
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Create(ctx, newUser("t1", fmt.Sprintf("u%d", i), "same@example.com"))
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case resources.KindOf(err) != resources.KindUniqueness:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d creates succeeded, want exactly 1", won)
	}
}

// testCreateMany: one batch, exact per-resource results.
func testCreateMany(t *testing.T, s resources.Store) {
	mustCreate(t, s, newUser("t1", "u0", "taken@example.com"))
	batch := []*resources.Resource{
		newUser("t1", "u1", "one@example.com"),
		newUser("t1", "u2", "TAKEN@example.com"), // exists already
		newUser("t1", "u3", "two@example.com"),
		newUser("t1", "u4", "One@Example.com"), // duplicate within the batch
	}
	errs, err := s.CreateMany(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, wantFail := range []bool{false, true, false, true} {
		if got := errs[i] != nil; got != wantFail || (got && resources.KindOf(errs[i]) != resources.KindUniqueness) {
			t.Fatalf("item %d: error %v, want failure=%v (uniqueness)", i, errs[i], wantFail)
		}
	}
	page, _ := s.List(ctx, "t1", users, resources.ListQuery{StartIndex: 1, Count: 10})
	if page.TotalResults != 3 {
		t.Fatalf("%d users stored, want 3", page.TotalResults)
	}
}

// testReplaceCAS: Replace succeeds only against the current version.
func testReplaceCAS(t *testing.T, s resources.Store) {
	mustCreate(t, s, newUser("t1", "u1", "dave"))
	next := newUser("t1", "u1", "dave2")
	if err := s.Replace(ctx, next, 1); err != nil {
		t.Fatal(err)
	}
	if next.Meta.Version != 2 {
		t.Fatalf("version after replace = %d, want 2", next.Meta.Version)
	}
	wantKind(t, s.Replace(ctx, newUser("t1", "u1", "dave3"), 1), resources.KindPreconditionFailed, "replace of a stale version")
	wantKind(t, s.Replace(ctx, newUser("t1", "nobody", "x"), 1), resources.KindNotFound, "replace of a missing resource")
	got, _ := s.Get(ctx, "t1", users, "u1")
	if got.Attributes["userName"] != "dave2" {
		t.Fatalf("a failed replace changed the resource: %v", got.Attributes)
	}
}

func testDeleteAndTouch(t *testing.T, s resources.Store) {
	mustCreate(t, s, newGroup("t1", "g1", "Eng"))
	meta, err := s.Touch(ctx, "t1", groups, "g1", 1, at(30))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Touch(ctx, "t1", groups, "g1", 1, at(35))
	wantKind(t, err, resources.KindPreconditionFailed, "touch of a stale version")
	if meta.Version != 2 || !meta.LastModified.Equal(at(30)) || !meta.Created.Equal(at(0)) {
		t.Fatalf("touch gave %+v", meta)
	}
	wantKind(t, s.Delete(ctx, "t1", groups, "g1", 1), resources.KindPreconditionFailed, "delete of a stale version")
	if err := s.Delete(ctx, "t1", groups, "g1", 2); err != nil {
		t.Fatal(err)
	}
	wantKind(t, s.Delete(ctx, "t1", groups, "g1", 0), resources.KindNotFound, "delete twice")
	_, err = s.Touch(ctx, "t1", groups, "g1", 0, at(40))
	wantKind(t, err, resources.KindNotFound, "touch of a deleted group")
}

// testListPaging: pages are disjoint, complete and in a stable order, with right totals.
func testListPaging(t *testing.T, s resources.Store) {
	const n = 7
	for i := range n {
		u := newUser("t1", fmt.Sprintf("u%d", n-i), fmt.Sprintf("user%d", i))
		u.Meta.Created = at(i % 3) // ties on created: the id must break them
		mustCreate(t, s, u)
	}
	seen := map[string]bool{}
	for start := 1; start <= n+2; start += 3 {
		page, err := s.List(ctx, "t1", users, resources.ListQuery{StartIndex: start, Count: 3})
		if err != nil {
			t.Fatal(err)
		}
		if page.TotalResults != n {
			t.Fatalf("totalResults = %d, want %d", page.TotalResults, n)
		}
		if want := max(0, min(3, n-start+1)); len(page.Resources) != want {
			t.Fatalf("page at %d has %d resources, want %d", start, len(page.Resources), want)
		}
		for _, r := range page.Resources {
			if seen[r.ID] {
				t.Fatalf("%s appears on two pages", r.ID)
			}
			seen[r.ID] = true
		}
	}
	if len(seen) != n {
		t.Fatalf("pages listed %d of %d resources", len(seen), n)
	}
	page, err := s.List(ctx, "t1", users, resources.ListQuery{StartIndex: 1, Count: 0})
	if err != nil || page.TotalResults != n || len(page.Resources) != 0 {
		t.Fatalf("count=0: %d resources, total %d, %v", len(page.Resources), page.TotalResults, err)
	}
}

// testTenantScope: no call reaches another tenant's data.
func testTenantScope(t *testing.T, s resources.Store) {
	mustCreate(t, s, newUser("a", "ua", "erin"))
	mustCreate(t, s, newGroup("a", "ga", "A-team"))
	_, err := s.Get(ctx, "b", users, "ua")
	wantKind(t, err, resources.KindNotFound, "get across tenants")
	wantKind(t, s.Replace(ctx, newUser("b", "ua", "erin"), 1), resources.KindNotFound, "replace across tenants")
	wantKind(t, s.Delete(ctx, "b", users, "ua", 0), resources.KindNotFound, "delete across tenants")
	page, err := s.List(ctx, "b", users, resources.ListQuery{StartIndex: 1, Count: 10})
	if err != nil || page.TotalResults != 0 {
		t.Fatalf("tenant b lists %d users, %v", page.TotalResults, err)
	}
	targets, err := s.MemberTargets(ctx, "b", []string{"ua", "ga"})
	if err != nil || len(targets) != 0 {
		t.Fatalf("tenant b resolves tenant a's resources as members: %v %v", targets, err)
	}
}

func testMemberships(t *testing.T, s resources.Store) {
	mustCreate(t, s, newUser("t1", "u1", "frank"))
	u2 := newUser("t1", "u2", "grace")
	u2.Attributes["displayName"] = "Grace H"
	mustCreate(t, s, u2)
	mustCreate(t, s, newGroup("t1", "g1", "Eng"))
	mustCreate(t, s, newGroup("t1", "g2", "Ops"))

	targets, err := s.MemberTargets(ctx, "t1", []string{"u1", "u2", "g2", "nope"})
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 3 || targets["u1"].Display != "frank" || targets["u2"].Display != "Grace H" || targets["g2"].Type != "Group" || targets["u1"].Type != "User" {
		t.Fatalf("member targets: %+v", targets)
	}
	add := []resources.Member{{Value: "u2", Type: "User", Display: "Grace H"}, {Value: "u1", Type: "User", Display: "frank"}, {Value: "g2", Type: "Group", Display: "Ops"}}
	if err := s.AddMembers(ctx, "t1", "g1", add); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMembers(ctx, "t1", "g1", add[:1]); err != nil {
		t.Fatalf("adding an existing member: %v", err)
	}
	if err := s.AddMembers(ctx, "t1", "g2", add[:1]); err != nil {
		t.Fatal(err)
	}
	members, err := s.Members(ctx, "t1", "g1")
	if err != nil || fmt.Sprint(members) != "[{g2 Group Ops} {u1 User frank} {u2 User Grace H}]" {
		t.Fatalf("members of g1: %v %v", members, err)
	}
	if got := groupsOf(t, s, users, "t1", "u2"); got != "[g1 g2]" {
		t.Fatalf("groups of u2: %s", got)
	}
	found, err := s.GroupsByID(ctx, "t1", []string{"g1", "g2", "gone"})
	if err != nil || len(found) != 2 || found["g1"].Attributes["displayName"] != "Eng" || found["g2"].Attributes["displayName"] != "Ops" {
		t.Fatalf("groups by id: %v %v", found, err)
	}
	if got := groupsOf(t, s, groups, "t1", "g2"); got != "[g1]" {
		t.Fatalf("groups of the nested group g2: %s", got)
	}
	if err := s.RemoveMembers(ctx, "t1", "g1", []string{"u1", "not-a-member"}); err != nil {
		t.Fatal(err)
	}
	if members, _ := s.Members(ctx, "t1", "g1"); len(members) != 2 {
		t.Fatalf("after removing u1: %v", members)
	}
	if got := groupsOf(t, s, users, "t1", "u1"); got != "[]" {
		t.Fatalf("u1 still lists groups %s after its removal", got)
	}

	// Deleting a member removes its memberships and bumps the groups it left.
	before, _ := s.Get(ctx, "t1", groups, "g1")
	if err := s.Delete(ctx, "t1", users, "u2", 0); err != nil {
		t.Fatal(err)
	}
	if members, _ := s.Members(ctx, "t1", "g1"); fmt.Sprint(members) != "[{g2 Group Ops}]" {
		t.Fatalf("g1 after deleting u2: %v", members)
	}
	if after, _ := s.Get(ctx, "t1", groups, "g1"); after.Meta.Version != before.Meta.Version+1 {
		t.Fatalf("g1 version %d after losing a member, want %d", after.Meta.Version, before.Meta.Version+1)
	}
	// Deleting a group removes its members' memberships and it from their groups.
	if err := s.Delete(ctx, "t1", groups, "g1", 0); err != nil {
		t.Fatal(err)
	}
	if members, _ := s.Members(ctx, "t1", "g1"); len(members) != 0 {
		t.Fatalf("deleted g1 still has %v", members)
	}
	if got := groupsOf(t, s, groups, "t1", "g2"); got != "[]" {
		t.Fatalf("g2 still lists deleted g1: %s", got)
	}
	if members, _ := s.Members(ctx, "other", "g2"); len(members) != 0 {
		t.Fatalf("another tenant sees g2's members: %v", members)
	}
}

// groupsOf returns the ids of the groups a resource is in, as "[a b]".
func groupsOf(t *testing.T, s resources.Store, _ *schemas.ResourceType, tenant, id string) string {
	t.Helper()
	of, err := s.GroupsOf(ctx, tenant, []string{id})
	if err != nil {
		t.Fatal(err)
	}
	ids := append([]string{}, of[id]...)
	sort.Strings(ids)
	return fmt.Sprint(ids)
}

// testReplaceKeepsMemberships: a replace does not undo the member's group list.
func testReplaceKeepsMemberships(t *testing.T, s resources.Store) {
	mustCreate(t, s, newUser("t1", "u1", "heidi"))
	mustCreate(t, s, newGroup("t1", "g1", "Eng"))
	if err := s.AddMembers(ctx, "t1", "g1", []resources.Member{{Value: "u1", Type: "User"}}); err != nil {
		t.Fatal(err)
	}
	next := newUser("t1", "u1", "heidi2")
	if err := s.Replace(ctx, next, 1); err != nil {
		t.Fatal(err)
	}
	if got := groupsOf(t, s, users, "t1", "u1"); got != "[g1]" {
		t.Fatalf("replace dropped the user's groups: %s", got)
	}
	// Attributes absent from the replacement are removed.
	u := newUser("t1", "u2", "ivan")
	u.Attributes["title"] = "CTO"
	u.PasswordHash = "$argon2id$x"
	mustCreate(t, s, u)
	if err := s.Replace(ctx, newUser("t1", "u2", "ivan"), 1); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx, "t1", users, "u2")
	if _, ok := got.Attributes["title"]; ok || got.PasswordHash != "" {
		t.Fatalf("replace kept removed values: %v %q", got.Attributes, got.PasswordHash)
	}
}

func testTokens(t *testing.T, s resources.Store) {
	tok := resources.Token{ID: "id1", Tenant: "acme", Name: "okta", Hash: resources.HashToken("secret-1"), Created: at(0)}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	got, err := s.TokenByHash(ctx, tok.Hash)
	if err != nil || got != tok {
		t.Fatalf("token by hash: %+v %v", got, err)
	}
	_, err = s.TokenByHash(ctx, resources.HashToken("other"))
	wantKind(t, err, resources.KindNotFound, "unknown token")
	list, err := s.ListTokens(ctx, "acme")
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	wantKind(t, s.RevokeToken(ctx, "other-tenant", "id1"), resources.KindNotFound, "revoke across tenants")
	if err := s.RevokeToken(ctx, "acme", "id1"); err != nil {
		t.Fatal(err)
	}
	_, err = s.TokenByHash(ctx, tok.Hash)
	wantKind(t, err, resources.KindNotFound, "revoked token")
}

// testEmailClaims: an address is held by one user; claims can be released, and a claim
// whose owner no longer has the address is taken over.
func testEmailClaims(t *testing.T, s resources.Store) {
	mustCreate(t, s, newUser("t1", "u1", "one"))
	if err := s.ClaimEmails(ctx, "t1", "u1", []string{"a@x.test", "b@x.test"}); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimEmails(ctx, "t1", "u1", []string{"a@x.test"}); err != nil {
		t.Fatalf("claiming one's own address again: %v", err)
	}
	// A fresh claim holds even before its owner's write lands (u1 does not list the
	// address yet): taking it over would let two users have it.
	wantKind(t, s.ClaimEmails(ctx, "t1", "u2", []string{"a@x.test"}), resources.KindUniqueness, "claiming a fresh claim")
	// A claim its owner really holds is never taken over.
	holder := newUser("t1", "u3", "three")
	holder.Attributes["emails"] = []any{resources.Attributes{"value": "C@x.test"}}
	mustCreate(t, s, holder)
	if err := s.ClaimEmails(ctx, "t1", "u3", []string{"c@x.test"}); err != nil {
		t.Fatal(err)
	}
	err := s.ClaimEmails(ctx, "t1", "u4", []string{"d@x.test", "C@X.test"})
	wantKind(t, err, resources.KindUniqueness, "claiming a held address")
	if err := s.ClaimEmails(ctx, "t1", "u5", []string{"d@x.test"}); err != nil {
		t.Fatalf("a failed claim kept an address it had claimed first: %v", err)
	}
	if err := s.ClaimEmails(ctx, "t2", "u9", []string{"c@x.test"}); err != nil {
		t.Fatalf("claims leak across tenants: %v", err)
	}
	if err := s.ReleaseEmails(ctx, "t1", "u3", []string{"c@x.test"}); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimEmails(ctx, "t1", "u4", []string{"c@x.test"}); err != nil {
		t.Fatalf("claiming a released address: %v", err)
	}
}

// testDeleteRestorePurge: a deleted user is gone but restorable with its memberships
// until purged; its userName is free at once.
func testDeleteRestorePurge(t *testing.T, s resources.Store) {
	u := newUser("t1", "u1", "gone@example.com")
	u.Attributes["title"] = "Engineer"
	mustCreate(t, s, u)
	mustCreate(t, s, newGroup("t1", "g1", "Eng"))
	mustCreate(t, s, newGroup("t1", "g2", "Ops"))
	for _, g := range []string{"g1", "g2"} {
		if err := s.AddMembers(ctx, "t1", g, []resources.Member{{Value: "u1", Type: "User"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(ctx, "t1", users, "u1", 0); err != nil {
		t.Fatal(err)
	}
	deleted, err := s.ListDeleted(ctx, "t1")
	if err != nil || len(deleted) != 1 || deleted[0].User.ID != "u1" || deleted[0].DeletedAt.IsZero() {
		t.Fatalf("deleted users: %+v %v", deleted, err)
	}
	if other, _ := s.ListDeleted(ctx, "t2"); len(other) != 0 {
		t.Fatalf("another tenant sees the deleted user: %+v", other)
	}
	// The userName is free at once; while it is taken, the user cannot come back.
	mustCreate(t, s, newUser("t1", "u2", "GONE@example.com"))
	_, err = s.Restore(ctx, "t1", "u1", at(50))
	wantKind(t, err, resources.KindUniqueness, "restoring onto a taken userName")
	if err := s.Delete(ctx, "t1", users, "u2", 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "t1", groups, "g2", 0); err != nil {
		t.Fatal(err)
	}
	r, err := s.Restore(ctx, "t1", "u1", at(60))
	if err != nil {
		t.Fatal(err)
	}
	if r.Attributes["title"] != "Engineer" || r.Meta.Version != 2 {
		t.Fatalf("restored user: %+v", r)
	}
	if got := groupsOf(t, s, users, "t1", "u1"); got != "[g1]" {
		t.Fatalf("restored memberships: %s, want [g1] (g2 was deleted meanwhile)", got)
	}
	_, err = s.Restore(ctx, "t1", "u1", at(70))
	wantKind(t, err, resources.KindNotFound, "restoring twice")

	// Purge removes tombstones older than the cut-off only.
	if err := s.Delete(ctx, "t1", users, "u1", 0); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PurgeDeleted(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("purging nothing expired: %d %v", n, err)
	}
	if n, err := s.PurgeDeleted(ctx, time.Now().Add(time.Hour)); err != nil || n < 1 {
		t.Fatalf("purging expired: %d %v", n, err)
	}
	_, err = s.Restore(ctx, "t1", "u1", at(80))
	wantKind(t, err, resources.KindNotFound, "restoring a purged user")
}
