package scim_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/scimhq/scimhq/scim/scimtest"
)

// Small JSON helpers shared by the tests of this package.

// obj returns m[key] as a JSON object, or nil.
func obj(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

// arr returns m[key] as a JSON array, or nil.
func arr(m map[string]any, key string) []any {
	a, _ := m[key].([]any)
	return a
}

// idOf returns the "id" of a resource, failing the test when it has none.
func idOf(t testing.TB, m map[string]any) string {
	t.Helper()
	id, _ := m["id"].(string)
	if id == "" {
		t.Fatalf("resource without an id: %v", m)
	}
	return id
}

// getJSON GETs path, requiring 200, and returns the JSON object.
func getJSON(t testing.TB, c *scimtest.Client, path string) map[string]any {
	t.Helper()
	return c.Must(http.StatusOK, http.MethodGet, path, nil).JSON(t)
}

// groupBody is a Group representation; members are passed as given (nil omits the key).
func groupBody(displayName string, members []any) map[string]any {
	b := map[string]any{"schemas": []string{groupURN}, "displayName": displayName}
	if members != nil {
		b["members"] = members
	}
	return b
}

// refs turns ids into [{"value": id}, ...]; with no ids it is an empty, non-nil list.
func refs(ids ...string) []any {
	out := []any{}
	for _, id := range ids {
		out = append(out, map[string]any{"value": id})
	}
	return out
}

// byValue indexes a multi-valued reference attribute (members, groups) by "value",
// failing on an entry without a value or on a value listed twice. A missing attribute
// fails the test: Group.members and User.groups are always returned.
func byValue(t testing.TB, res map[string]any, attr string) map[string]map[string]any {
	t.Helper()
	raw, ok := res[attr].([]any)
	if !ok {
		t.Fatalf("%q is not a JSON array in %v", attr, res)
	}
	out := map[string]map[string]any{}
	for _, item := range raw {
		m, _ := item.(map[string]any)
		v, _ := m["value"].(string)
		if v == "" {
			t.Fatalf("%s entry without a value: %v", attr, item)
		}
		if _, dup := out[v]; dup {
			t.Fatalf("%s lists %q twice: %v", attr, v, raw)
		}
		out[v] = m
	}
	return out
}

// wantValues checks that res[attr] holds exactly the given ids.
func wantValues(t testing.TB, res map[string]any, attr string, ids ...string) {
	t.Helper()
	got := byValue(t, res, attr)
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := slices.Clone(ids)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("%s = %v, want %v in %v", attr, keys, want, res)
	}
}

// wantEntry checks one reference entry: value, $ref, display and type.
func wantEntry(t testing.TB, entry map[string]any, ref, display, typ string) {
	t.Helper()
	if entry["$ref"] != ref || entry["display"] != display || entry["type"] != typ {
		t.Fatalf("entry %v, want $ref %q, display %q, type %q", entry, ref, display, typ)
	}
}

func TestGroupCreateShowsMembers(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{})
	c := srv.Client()
	alice := idOf(t, c.CreateUser("alice@example.com", map[string]any{"displayName": "Alice Smith"}))
	bob := idOf(t, c.CreateUser("bob@example.com", nil))
	carol := idOf(t, c.CreateUser("carol@example.com", map[string]any{"displayName": "Carol"}))

	members := append(refs(alice, bob), map[string]any{"value": carol, "display": "Caz"})
	created := c.Must(http.StatusCreated, http.MethodPost, "/Groups", groupBody("Engineering", members))
	g := created.JSON(t)
	gid := idOf(t, g)
	if loc := created.Header.Get("Location"); loc != srv.URL+"/Groups/"+gid {
		t.Fatalf("Location = %q", loc)
	}
	if obj(g, "meta")["resourceType"] != "Group" || g["displayName"] != "Engineering" {
		t.Fatalf("unexpected group: %v", g)
	}

	want := map[string]string{
		alice: "Alice Smith",     // the user's displayName
		bob:   "bob@example.com", // no displayName: the userName
		carol: "Caz",             // what the client sent is kept
	}
	list := getJSON(t, c, "/Groups")
	if len(arr(list, "Resources")) != 1 {
		t.Fatalf("want one group listed: %v", list)
	}
	for name, res := range map[string]map[string]any{
		"POST": g, "GET": getJSON(t, c, "/Groups/"+gid), "list": arr(list, "Resources")[0].(map[string]any),
	} {
		t.Run(name, func(t *testing.T) {
			got := byValue(t, res, "members")
			if len(got) != len(want) {
				t.Fatalf("members = %v, want %d", res["members"], len(want))
			}
			for id, display := range want {
				wantEntry(t, got[id], srv.URL+"/Users/"+id, display, "User")
			}
		})
	}
}

func TestGroupWithoutMembers(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	for _, members := range [][]any{nil, {}} {
		g := c.Must(http.StatusCreated, http.MethodPost, "/Groups", groupBody("Empty", members)).JSON(t)
		wantValues(t, g, "members")
		wantValues(t, getJSON(t, c, "/Groups/"+idOf(t, g)), "members")
	}
}

func TestGroupReplaceMembers(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	a := idOf(t, c.CreateUser("a@example.com", nil))
	b := idOf(t, c.CreateUser("b@example.com", nil))
	d := idOf(t, c.CreateUser("d@example.com", nil))
	gid := idOf(t, c.CreateGroup("Team", a, b))

	steps := []struct {
		name        string
		displayName string
		members     []any // nil: the body has no "members" key
		want        []string
	}{
		{"replace the list", "Team", refs(b, d), []string{b, d}},
		{"no members key keeps membership", "Renamed team", nil, []string{b, d}},
		{"members [] empties the group", "Renamed team", refs(), nil},
		{"members again after emptying", "Team", refs(a), []string{a}},
	}
	for _, s := range steps {
		put := c.Must(http.StatusOK, http.MethodPut, "/Groups/"+gid, groupBody(s.displayName, s.members)).JSON(t)
		if put["displayName"] != s.displayName {
			t.Fatalf("%s: displayName = %v", s.name, put["displayName"])
		}
		wantValues(t, put, "members", s.want...)
		wantValues(t, getJSON(t, c, "/Groups/"+gid), "members", s.want...)
		for _, u := range []string{a, b, d} {
			var wantGroups []string
			if slices.Contains(s.want, u) {
				wantGroups = []string{gid}
			}
			wantValues(t, getJSON(t, c, "/Users/"+u), "groups", wantGroups...)
		}
	}
}

func TestUserGroupsComputedFromMemberships(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{})
	c := srv.Client()
	u := idOf(t, c.CreateUser("u@example.com", nil))
	other := idOf(t, c.CreateUser("other@example.com", nil))
	wantValues(t, getJSON(t, c, "/Users/"+u), "groups")

	admins := idOf(t, c.CreateGroup("Admins", u))
	staff := idOf(t, c.CreateGroup("Staff", u, other))
	idOf(t, c.CreateGroup("Unrelated", other))

	check := func(res map[string]any, names map[string]string) {
		t.Helper()
		got := byValue(t, res, "groups")
		if len(got) != len(names) {
			t.Fatalf("groups = %v, want %v", res["groups"], names)
		}
		for gid, name := range names {
			wantEntry(t, got[gid], srv.URL+"/Groups/"+gid, name, "direct")
		}
	}
	check(getJSON(t, c, "/Users/"+u), map[string]string{admins: "Admins", staff: "Staff"})

	// The list shows the same groups.
	var listed map[string]any
	for _, r := range arr(getJSON(t, c, "/Users"), "Resources") {
		if m := r.(map[string]any); m["id"] == u {
			listed = m
		}
	}
	check(listed, map[string]string{admins: "Admins", staff: "Staff"})

	// groups is computed: renaming a group shows at once.
	c.Must(http.StatusOK, http.MethodPut, "/Groups/"+admins, groupBody("Administrators", nil))
	check(getJSON(t, c, "/Users/"+u), map[string]string{admins: "Administrators", staff: "Staff"})

	// groups is readOnly: a PUT of the user cannot change it, and keeps it.
	put := c.Must(http.StatusOK, http.MethodPut, "/Users/"+u, map[string]any{
		"schemas": []string{userURN}, "userName": "u@example.com", "groups": refs(other),
	}).JSON(t)
	check(put, map[string]string{admins: "Administrators", staff: "Staff"})
}

func TestDeleteUserLeavesEveryGroup(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	gone := idOf(t, c.CreateUser("gone@example.com", nil))
	stays := idOf(t, c.CreateUser("stays@example.com", nil))
	g1 := idOf(t, c.CreateGroup("G1", gone, stays))
	g2 := idOf(t, c.CreateGroup("G2", gone))

	c.Must(http.StatusNoContent, http.MethodDelete, "/Users/"+gone, nil)
	wantValues(t, getJSON(t, c, "/Groups/"+g1), "members", stays)
	wantValues(t, getJSON(t, c, "/Groups/"+g2), "members")
	for _, r := range arr(getJSON(t, c, "/Groups"), "Resources") {
		if _, ok := byValue(t, r.(map[string]any), "members")[gone]; ok {
			t.Fatalf("the deleted user is still listed as a member: %v", r)
		}
	}
	// A new user cannot inherit the old memberships, and the old id is gone for good.
	again := idOf(t, c.CreateUser("gone@example.com", nil))
	wantValues(t, getJSON(t, c, "/Users/"+again), "groups")
	scimtest.ExpectError(t, c.Do(http.MethodPost, "/Groups", groupBody("G3", refs(gone))), http.StatusBadRequest, "invalidValue", gone)
}

func TestDeleteGroupLeavesUsersAndParents(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	u := idOf(t, c.CreateUser("u@example.com", nil))
	doomed := idOf(t, c.CreateGroup("Doomed", u))
	kept := idOf(t, c.CreateGroup("Kept", u))
	parent := idOf(t, c.CreateGroup("Parent", doomed, u))

	c.Must(http.StatusNoContent, http.MethodDelete, "/Groups/"+doomed, nil)
	wantValues(t, getJSON(t, c, "/Users/"+u), "groups", kept, parent)
	wantValues(t, getJSON(t, c, "/Groups/"+parent), "members", u)
	scimtest.ExpectError(t, c.Do(http.MethodGet, "/Groups/"+doomed, nil), http.StatusNotFound, "", doomed)
}

func TestGroupAsMember(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{})
	c := srv.Client()
	u := idOf(t, c.CreateUser("u@example.com", nil))
	child := idOf(t, c.CreateGroup("Child", u))
	parent := c.Must(http.StatusCreated, http.MethodPost, "/Groups",
		groupBody("Parent", []any{map[string]any{"value": child, "type": "Group"}, map[string]any{"value": u, "type": "User"}})).JSON(t)
	for _, res := range []map[string]any{parent, getJSON(t, c, "/Groups/"+idOf(t, parent))} {
		got := byValue(t, res, "members")
		if len(got) != 2 {
			t.Fatalf("members = %v", res["members"])
		}
		wantEntry(t, got[child], srv.URL+"/Groups/"+child, "Child", "Group")
		wantEntry(t, got[u], srv.URL+"/Users/"+u, "u@example.com", "User")
	}
	// Without a type the server finds it out.
	untyped := c.Must(http.StatusCreated, http.MethodPost, "/Groups", groupBody("Untyped", refs(child))).JSON(t)
	wantEntry(t, byValue(t, untyped, "members")[child], srv.URL+"/Groups/"+child, "Child", "Group")
}

func TestGroupMembersRejected(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	u := idOf(t, c.CreateUser("u@example.com", nil))
	other := idOf(t, c.CreateGroup("Other"))
	target := idOf(t, c.CreateGroup("Target", u))
	const missing, missing2 = "00000000-0000-4000-8000-000000000000", "no-such-id"

	cases := []struct {
		name    string
		members []any
		detail  []string
	}{
		{"unknown id", refs(missing), []string{missing}},
		{"unknown among known", refs(u, missing, missing2), []string{missing, missing2}},
		{"user typed as Group", []any{map[string]any{"value": u, "type": "Group"}}, []string{u}},
		{"group typed as User", []any{map[string]any{"value": other, "type": "User"}}, []string{other}},
		{"type outside the canonical values", []any{map[string]any{"value": u, "type": "Robot"}}, []string{"Robot"}},
		{"member without a value", []any{map[string]any{"display": "nobody"}}, []string{"value"}},
		{"itself", refs(target), []string{target}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			put := c.Do(http.MethodPut, "/Groups/"+target, groupBody("Target", tc.members))
			scimtest.ExpectError(t, put, http.StatusBadRequest, "invalidValue", tc.detail...)
			if tc.name == "itself" {
				return // a new group's id is not known before the POST
			}
			post := c.Do(http.MethodPost, "/Groups", groupBody("Rejected", tc.members))
			scimtest.ExpectError(t, post, http.StatusBadRequest, "invalidValue", tc.detail...)
		})
	}
	// Nothing was created or changed by the rejected requests.
	if n := getJSON(t, c, "/Groups")["totalResults"]; n != float64(2) {
		t.Fatalf("totalResults = %v after rejected creates, want 2", n)
	}
	wantValues(t, getJSON(t, c, "/Groups/"+target), "members", u)
}

func TestGroupDuplicateMembersStoredOnce(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	a := idOf(t, c.CreateUser("a@example.com", nil))
	b := idOf(t, c.CreateUser("b@example.com", nil))
	dups := append(refs(a, b, a), map[string]any{"value": a, "display": "A again"})

	g := c.Must(http.StatusCreated, http.MethodPost, "/Groups", groupBody("Dups", dups)).JSON(t)
	gid := idOf(t, g)
	wantValues(t, g, "members", a, b) // byValue fails on a value listed twice
	wantValues(t, getJSON(t, c, "/Groups/"+gid), "members", a, b)

	put := c.Must(http.StatusOK, http.MethodPut, "/Groups/"+gid, groupBody("Dups", refs(b, b, b))).JSON(t)
	wantValues(t, put, "members", b)
	wantValues(t, getJSON(t, c, "/Groups/"+gid), "members", b)
	wantValues(t, getJSON(t, c, "/Users/"+b), "groups", gid)
}

// A Group's members are part of its representation, so a change to them, also one made
// by deleting a member, must change its version (RFC 7644 §3.14); otherwise a client
// revalidating with If-None-Match keeps a stale member list.
func TestGroupVersionFollowsMembership(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	u := idOf(t, c.CreateUser("u@example.com", nil))
	gid := idOf(t, c.CreateGroup("G", u))
	before := c.Must(http.StatusOK, http.MethodGet, "/Groups/"+gid, nil)
	oldTag := before.Header.Get("ETag")

	c.Must(http.StatusNoContent, http.MethodDelete, "/Users/"+u, nil)
	after := c.Do(http.MethodGet, "/Groups/"+gid, nil, "If-None-Match: "+oldTag)
	if after.Status != http.StatusOK {
		t.Fatalf("the group lost a member but still matches its old ETag %s: %s", oldTag, after)
	}
	g := after.JSON(t)
	wantValues(t, g, "members")
	if v := obj(g, "meta")["version"]; v == oldTag || after.Header.Get("ETag") == oldTag {
		t.Fatalf("version %v unchanged after a member was deleted", v)
	}
	if obj(g, "meta")["lastModified"] == obj(before.JSON(t), "meta")["lastModified"] {
		t.Fatalf("lastModified unchanged after a member was deleted: %v", g["meta"])
	}
}

// A PUT replaces the member list as sent, including a display the client gives for a
// member that was already there.
func TestGroupReplaceUpdatesMemberDisplay(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{})
	c := srv.Client()
	u := idOf(t, c.CreateUser("u@example.com", map[string]any{"displayName": "U"}))
	gid := idOf(t, c.CreateGroup("G", u))
	put := c.Must(http.StatusOK, http.MethodPut, "/Groups/"+gid,
		groupBody("G", []any{map[string]any{"value": u, "display": "Custom"}})).JSON(t)
	for _, res := range []map[string]any{put, getJSON(t, c, "/Groups/"+gid)} {
		wantEntry(t, byValue(t, res, "members")[u], srv.URL+"/Users/"+u, "Custom", "User")
	}
}
