package scim_test

import (
	"bytes"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/scim/scimtest"
)

// PATCH (RFC 7644 §3.5.2) and its ETags (§3.14), over HTTP. patch_dialects_test.go replays
// what Okta and Entra ID send; concurrency_test.go sends PATCHes at the same time.

const patchOpURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

// absent, as a wanted value, means the attribute must not be there; in the changes
// given to startUser it removes the attribute.
type absent struct{}

// op is one PATCH operation; an empty path is left out, and so is a value not given.
func op(name, path string, value ...any) map[string]any {
	o := map[string]any{"op": name}
	if path != "" {
		o["path"] = path
	}
	if len(value) > 0 {
		o["value"] = value[0]
	}
	return o
}

// patchOf is a PatchOp message with the operations.
func patchOf(ops ...any) map[string]any {
	if ops == nil {
		ops = []any{}
	}
	return map[string]any{"schemas": []string{patchOpURN}, "Operations": ops}
}

// startUser is the User the PATCH tests start from, with changes applied to it.
func startUser(userName string, changes map[string]any) map[string]any {
	u := userWith(userName, map[string]any{
		"schemas":     []string{userURN, enterpriseURN},
		"name":        map[string]any{"givenName": "Alice", "familyName": "Smith"},
		"title":       "Engineer",
		"active":      true,
		"emails":      []any{email("work", "alice@work.example", true), email("home", "alice@home.example", false)},
		"addresses":   []any{homeAddress()},
		enterpriseURN: map[string]any{"department": "Sales"},
	})
	for k, v := range changes {
		if _, gone := v.(absent); gone {
			delete(u, k)
		} else {
			u[k] = v
		}
	}
	return u
}

func homeAddress() map[string]any {
	return map[string]any{"type": "home", "streetAddress": "1 Home Road"}
}

// attrAt finds a value in a resource: "title", "name.givenName", a whole extension by
// its URN, or "urn:…:User:manager.value".
func attrAt(res map[string]any, path string) (any, bool) {
	if v, ok := res[path]; ok {
		return v, true
	}
	var cur any = res
	rest := path
	if strings.HasPrefix(path, "urn:") {
		i := strings.LastIndexByte(path, ':')
		cur, rest = res[path[:i]], path[i+1:]
	}
	for _, part := range strings.Split(rest, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// wantAttrs checks values of a resource by path; absent{} (or nil) requires no value.
func wantAttrs(t testing.TB, res map[string]any, want map[string]any) {
	t.Helper()
	var wrong []string
	for path, w := range want {
		got, ok := attrAt(res, path)
		if _, gone := w.(absent); gone || w == nil {
			if ok {
				wrong = append(wrong, fmt.Sprintf("%s = %#v, want it absent", path, got))
			}
		} else if !ok || !reflect.DeepEqual(got, w) {
			wrong = append(wrong, fmt.Sprintf("%s = %#v, want %#v", path, got, w))
		}
	}
	if len(wrong) > 0 {
		slices.Sort(wrong)
		t.Fatalf("%s\nin %v", strings.Join(wrong, "\n"), res)
	}
}

// must fails t (which may be a subtest's, unlike Client.Must's) unless r has the status.
func must(t testing.TB, r *scimtest.Response, status int) *scimtest.Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("want status %d: %s", status, r)
	}
	return r
}

func versionOf(t testing.TB, r *scimtest.Response) any { return obj(r.JSON(t), "meta")["version"] }

// outcome is what a PATCH must do.
type outcome struct {
	status    int // 0: 200 with the resource
	scimType  string
	detail    []string
	unchanged bool // a 200 that must leave the resource exactly as it was
}

func fails(status int, scimType string, detail ...string) outcome {
	return outcome{status: status, scimType: scimType, detail: detail}
}

// checkPatch sends a PATCH and compares GETs of the resource before and after. A rejected
// PATCH must answer the SCIM error and change nothing, not even meta.version. An accepted
// one answers 200 with the resource exactly as a later GET shows it (204 without a body
// where patchStatus says so), an ETag header equal to its meta.version, and a new
// version. It returns the resource after, nil if rejected.
func checkPatch(t testing.TB, c *scimtest.Client, url string, body any, want outcome, headers ...string) map[string]any {
	t.Helper()
	before := must(t, c.Do(http.MethodGet, url, nil), http.StatusOK)
	r := c.Do(http.MethodPatch, url, body, headers...)
	after := must(t, c.Do(http.MethodGet, url, nil), http.StatusOK)
	if want.status != 0 && want.status != http.StatusOK {
		scimtest.ExpectError(t, r, want.status, want.scimType, want.detail...)
		if !bytes.Equal(before.Body, after.Body) {
			t.Fatalf("a rejected PATCH changed the resource:\nbefore %s\nafter  %s", before.Body, after.Body)
		}
		return nil
	}
	switch must(t, r, patchStatus(url, headers...)); {
	case r.Status == http.StatusNoContent && len(r.Body) != 0:
		t.Fatalf("204 with a body: %s", r)
	case r.Status == http.StatusOK && !bytes.Equal(r.Body, after.Body):
		t.Fatalf("the PATCH response differs from a GET after it:\nPATCH %s\nGET   %s", r.Body, after.Body)
	}
	if tag := r.Header.Get("ETag"); tag == "" || tag != versionOf(t, after) {
		t.Fatalf("ETag header %q, meta.version %v", tag, versionOf(t, after))
	}
	switch {
	case want.unchanged && !bytes.Equal(before.Body, after.Body):
		t.Fatalf("the PATCH should have changed nothing:\nbefore %s\nafter  %s", before.Body, after.Body)
	case !want.unchanged && versionOf(t, before) == versionOf(t, after):
		t.Fatalf("meta.version %v did not change: %s", versionOf(t, after), after.Body)
	}
	return after.JSON(t)
}

// patchStatus is the status of a successful PATCH: a Group answers 204 unless the
// request asks for a representation (attributes or excludedAttributes, or Prefer:
// return=representation); a User answers 200 unless it prefers return=minimal.
func patchStatus(url string, headers ...string) int {
	prefer := strings.ToLower(strings.Join(headers, "\n"))
	representation := strings.Contains(url, "attributes=") || strings.Contains(prefer, "return=representation")
	if !representation && (strings.HasPrefix(url, "/Groups/") || strings.Contains(prefer, "return=minimal")) {
		return http.StatusNoContent
	}
	return http.StatusOK
}

func TestPatchUser(t *testing.T) {
	t.Parallel()
	client := scimtest.New(t, scimtest.Options{}).Client()
	const dept = enterpriseURN + ":department"
	work, home := email("work", "alice@work.example", true), email("home", "alice@home.example", false)
	workNotPrimary, homePrimary := email("work", "alice@work.example", false), email("home", "alice@home.example", true)
	newWork := email("work", "al@work.example", true)
	workAddress := map[string]any{"type": "work", "streetAddress": "2 Work Street"}
	cases := []struct {
		name  string
		start map[string]any // changes to startUser
		ops   []any
		body  any // sent instead of patchOf(ops...)
		want  map[string]any
		out   outcome
	}{
		{name: "add displayName", ops: []any{op("add", "displayName", "Al")}, want: map[string]any{"displayName": "Al"}},
		{name: "replace title", ops: []any{op("replace", "title", "Boss")}, want: map[string]any{"title": "Boss"}},
		{name: "remove title", ops: []any{op("remove", "title")}, want: map[string]any{"title": absent{}}},
		{name: "replace active", ops: []any{op("replace", "active", false)}, want: map[string]any{"active": false}},
		{name: "rename userName", ops: []any{op("replace", "userName", "renamed@example.com")}, want: map[string]any{"userName": "renamed@example.com"}},
		{name: "add name.givenName creates name", start: map[string]any{"name": absent{}}, ops: []any{op("add", "name.givenName", "Al")},
			want: map[string]any{"name": map[string]any{"givenName": "Al"}}},
		{name: "replace name.familyName keeps givenName", ops: []any{op("replace", "name.familyName", "Jones")},
			want: map[string]any{"name": map[string]any{"givenName": "Alice", "familyName": "Jones"}}},
		{name: "names are case-insensitive", ops: []any{op("Replace", "Name.GivenName", "Al")}, want: map[string]any{"name.givenName": "Al", "name.familyName": "Smith"}},
		{name: "remove name.givenName", ops: []any{op("remove", "name.givenName")}, want: map[string]any{"name": map[string]any{"familyName": "Smith"}}},
		// §3.5.2.3: "Sub-attributes that are not specified in the value parameter are left unchanged."
		{name: "replace name keeps sub-attributes not given", ops: []any{op("replace", "name", map[string]any{"givenName": "Al"})},
			want: map[string]any{"name": map[string]any{"givenName": "Al", "familyName": "Smith"}}},
		{name: "add enterprise attribute by URN path", ops: []any{op("add", enterpriseURN+":division", "R&D")},
			want: map[string]any{enterpriseURN: map[string]any{"department": "Sales", "division": "R&D"}}},
		{name: "replace enterprise attribute by URN path", ops: []any{op("replace", dept, "Engineering")}, want: map[string]any{dept: "Engineering"}},
		{name: "remove the last enterprise attribute", ops: []any{op("remove", dept)}, want: map[string]any{enterpriseURN: absent{}}},
		{name: "add the whole extension", start: map[string]any{enterpriseURN: absent{}, "schemas": []string{userURN}},
			ops:  []any{op("add", enterpriseURN, map[string]any{"department": "Eng", "costCenter": "42"})},
			want: map[string]any{enterpriseURN: map[string]any{"department": "Eng", "costCenter": "42"}}},
		{name: "replace the whole extension keeps attributes not given", ops: []any{op("replace", enterpriseURN, map[string]any{"division": "R&D"})},
			want: map[string]any{enterpriseURN: map[string]any{"department": "Sales", "division": "R&D"}}},
		{name: "add appends to emails", ops: []any{op("add", "emails", []any{email("other", "al@other.example", false)})},
			want: map[string]any{"emails": []any{work, home, email("other", "al@other.example", false)}}},
		// §3.5.2.1: a value already there changes nothing, not even the modify timestamp.
		{name: "add an email that is there", ops: []any{op("add", "emails", []any{home})}, out: outcome{unchanged: true}},
		{name: "replace the emails list", ops: []any{op("replace", "emails", []any{email("other", "x@other.example", false)})},
			want: map[string]any{"emails": []any{email("other", "x@other.example", false)}}},
		{name: "remove emails", ops: []any{op("remove", "emails")}, want: map[string]any{"emails": absent{}}},
		{name: "remove an email by value", ops: []any{op("remove", "emails", []any{map[string]any{"value": "alice@home.example"}})},
			want: map[string]any{"emails": []any{work}}},
		{name: "replace emails[type eq work].value", ops: []any{op("replace", `emails[type eq "work"].value`, "al@work.example")},
			want: map[string]any{"emails": []any{newWork, home}}},
		{name: "add emails[type eq work].value", ops: []any{op("add", `emails[type eq "work"].value`, "al@work.example")},
			want: map[string]any{"emails": []any{newWork, home}}},
		{name: "replace emails[type eq work]", ops: []any{op("replace", `emails[type eq "work"]`, email("work", "al@work.example", false))},
			want: map[string]any{"emails": []any{email("work", "al@work.example", false), home}}},
		{name: "remove emails[type eq work]", ops: []any{op("remove", `emails[type eq "work"]`)}, want: map[string]any{"emails": []any{home}}},
		{name: "add addresses[type eq work].streetAddress creates the address", ops: []any{op("add", `addresses[type eq "work"].streetAddress`, "2 Work Street")},
			want: map[string]any{"addresses": []any{homeAddress(), workAddress}}},
		{name: "replace addresses[type eq work].streetAddress creates the address", ops: []any{op("replace", `addresses[type eq "work"].streetAddress`, "2 Work Street")},
			want: map[string]any{"addresses": []any{homeAddress(), workAddress}}},
		{name: "primary on a later email clears the earlier", ops: []any{op("replace", `emails[type eq "home"].primary`, true)},
			want: map[string]any{"emails": []any{workNotPrimary, homePrimary}}},
		{name: "primary on an earlier email clears the later", start: map[string]any{"emails": []any{home, work}},
			ops: []any{op("replace", `emails[type eq "home"].primary`, true)}, want: map[string]any{"emails": []any{homePrimary, workNotPrimary}}},
		{name: "add a primary email clears the others", ops: []any{op("add", "emails", []any{email("other", "p@other.example", true)})},
			want: map[string]any{"emails": []any{workNotPrimary, home, email("other", "p@other.example", true)}}},
		// Re-sending the primary value without its flag next to a new primary value: the
		// new one is primary (the stored flag of the re-sent one does not outvote it).
		{name: "add a primary email next to the current one re-sent", ops: []any{op("add", "emails", []any{email("other", "p@other.example", true), email("work", "alice@work.example", false)})},
			want: map[string]any{"emails": []any{workNotPrimary, home, email("other", "p@other.example", true)}}},
		// The value is there, so only its primary flag is news: the existing value
		// becomes primary (and the other loses it) rather than none being primary.
		{name: "add an email that is there as primary", ops: []any{op("add", "emails", []any{homePrimary})},
			want: map[string]any{"emails": []any{workNotPrimary, homePrimary}}},
		{name: "path-less add with dotted and URN keys", ops: []any{op("add", "", map[string]any{"displayName": "Al", "name.familyName": "Jones", dept: "Engineering"})},
			want: map[string]any{"displayName": "Al", "name": map[string]any{"givenName": "Alice", "familyName": "Jones"}, dept: "Engineering"}},
		{name: "path-less replace with an extension key", ops: []any{op("replace", "", map[string]any{enterpriseURN: map[string]any{"division": "R&D"}, "active": false, "title": "Boss"})},
			want: map[string]any{enterpriseURN: map[string]any{"department": "Sales", "division": "R&D"}, "active": false, "title": "Boss"}},
		{name: "empty Operations", ops: []any{}, out: outcome{unchanged: true}},

		{name: "remove with a filter matching nothing", ops: []any{op("remove", `emails[type eq "other"]`)}, out: fails(400, "noTarget")},
		{name: "replace with a filter matching nothing", start: map[string]any{"emails": []any{work}},
			ops: []any{op("replace", `emails[type eq "home"]`, email("home", "h@home.example", false))}, out: fails(400, "noTarget")},
		{name: "remove without a path", ops: []any{op("remove", "")}, out: fails(400, "noTarget")},
		{name: "replace id", ops: []any{op("replace", "id", "other-id")}, out: fails(400, "mutability", "id")},
		{name: "add meta.created", ops: []any{op("add", "meta.created", "2020-01-01T00:00:00Z")}, out: fails(400, "mutability")},
		{name: "add groups", ops: []any{op("add", "groups", refs("some-group"))}, out: fails(400, "mutability", "groups")},
		// §3.5.2.2: removing a required attribute is a "mutability" error.
		{name: "remove userName", ops: []any{op("remove", "userName")}, out: fails(400, "mutability", "userName")},
		{name: "active maybe", ops: []any{op("replace", "active", "maybe")}, out: fails(400, "invalidValue", "active")},
		{name: "name a number", ops: []any{op("replace", "name", 5)}, out: fails(400, "invalidValue", "name")},
		{name: "two primary emails", ops: []any{op("add", "emails", []any{email("other", "a@x.example", true), email("other", "b@x.example", true)})},
			out: fails(400, "invalidValue", "primary")},
		{name: "unknown attribute", ops: []any{op("replace", "bogus", "x")}, out: fails(400, "invalidPath", "bogus")},
		{name: "unknown enterprise attribute", ops: []any{op("replace", enterpriseURN+":bogus", "x")}, out: fails(400, "invalidPath", "bogus")},
		{name: "malformed path", ops: []any{op("replace", `emails[type eq`, "x")}, out: fails(400, "invalidPath")},
		{name: "unknown op", ops: []any{op("frobnicate", "title", "x")}, out: fails(400, "invalidSyntax", "frobnicate")},
		{name: "no PatchOp schema", body: map[string]any{"schemas": []string{userURN}, "Operations": []any{op("replace", "title", "x")}},
			out: fails(400, "invalidSyntax", patchOpURN)},
		{name: "no schemas", body: map[string]any{"Operations": []any{op("replace", "title", "x")}}, out: fails(400, "invalidSyntax")},
		{name: "Operations an object", body: map[string]any{"schemas": []string{patchOpURN}, "Operations": op("replace", "title", "x")},
			out: fails(400, "invalidSyntax", "Operations")},
		{name: "Operations missing", body: map[string]any{"schemas": []string{patchOpURN}}, out: fails(400, "invalidSyntax", "Operations")},
		{name: "the last operation fails", ops: []any{
			op("replace", "displayName", "X"), op("add", "emails", []any{email("other", "o@x.example", false)}),
			op("remove", "title"), op("replace", dept, "Eng"), op("replace", "active", "maybe"),
		}, out: fails(400, "invalidValue", "active")},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			created := must(t, client.Do(http.MethodPost, "/Users", startUser(fmt.Sprintf("user%d@example.com", i), tc.start)), http.StatusCreated)
			body := tc.body
			if body == nil {
				body = patchOf(tc.ops...)
			}
			if after := checkPatch(t, client, "/Users/"+idOf(t, created.JSON(t)), body, tc.out); after != nil {
				wantAttrs(t, after, tc.want)
			}
		})
	}
}

func TestPatchGroupMembers(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{})
	c := srv.Client()
	a := idOf(t, c.CreateUser("a@example.com", nil))
	b := idOf(t, c.CreateUser("b@example.com", nil))
	cc := idOf(t, c.CreateUser("c@example.com", nil))
	d := idOf(t, c.CreateUser("d@example.com", nil))
	const missing = "00000000-0000-4000-8000-00000000dead"
	valueEq := func(id string) string { return fmt.Sprintf(`members[value eq %q]`, id) }
	cases := []struct {
		name        string
		ops         func(gid string) []any
		members     []string          // after the PATCH
		displays    map[string]string // member id -> display after the PATCH
		displayName string            // after the PATCH; "" means unchanged
		out         outcome
	}{
		{name: "add keeps the display sent", ops: func(string) []any {
			return []any{op("add", "members", []any{map[string]any{"value": d, "display": "Dee"}})}
		}, members: []string{a, b, cc, d}, displays: map[string]string{d: "Dee", a: "a@example.com"}},
		// §3.5.2.1: a value already there changes nothing, not even the modify timestamp.
		{name: "add a member that is there", ops: func(string) []any { return []any{op("add", "members", refs(a))} },
			members: []string{a, b, cc}, out: outcome{unchanged: true}},
		{name: "remove one by filter", ops: func(string) []any { return []any{op("remove", valueEq(a))} }, members: []string{b, cc}},
		{name: "remove by a filter with or", ops: func(string) []any {
			return []any{op("remove", fmt.Sprintf(`members[value eq %q or value eq %q]`, a, b))}
		}, members: []string{cc}},
		{name: "remove exactly the members given as value", ops: func(string) []any { return []any{op("remove", "members", refs(a, b))} }, members: []string{cc}},
		{name: "remove all", ops: func(string) []any { return []any{op("remove", "members")} }, members: nil},
		{name: "replace the members", ops: func(string) []any { return []any{op("replace", "members", refs(d, a))} }, members: []string{a, d}},
		{name: "replace displayName keeps members", ops: func(string) []any { return []any{op("replace", "displayName", "Renamed")} },
			members: []string{a, b, cc}, displayName: "Renamed"},
		{name: "rename and add in one request", ops: func(gid string) []any {
			return []any{op("replace", "", map[string]any{"id": gid, "displayName": "Renamed"}), op("add", "members", refs(d))}
		}, members: []string{a, b, cc, d}, displayName: "Renamed"},
		{name: "path-less replace of displayName and members", ops: func(string) []any {
			return []any{op("replace", "", map[string]any{"displayName": "Renamed", "members": refs(d)})}
		}, members: []string{d}, displayName: "Renamed"},
		// §3.5.2: operations are applied in sequence.
		{name: "add then remove in one request", ops: func(string) []any { return []any{op("add", "members", refs(d)), op("remove", valueEq(d))} },
			members: []string{a, b, cc}},
		{name: "a missing member changes nothing", ops: func(string) []any {
			return []any{op("replace", "displayName", "Renamed"), op("add", "members", refs(d, missing)), op("remove", valueEq(a))}
		}, members: []string{a, b, cc}, out: fails(400, "invalidValue", missing)},
		{name: "remove of a non-member", ops: func(string) []any { return []any{op("remove", valueEq(d))} },
			members: []string{a, b, cc}, out: fails(400, "noTarget")},
		// §3.5.2.2: a remove without a path is noTarget, whatever its value names.
		{name: "path-less remove of a member", ops: func(string) []any { return []any{op("remove", "", map[string]any{"members": refs(a)})} },
			members: []string{a, b, cc}, out: fails(400, "noTarget", "path")},
		{name: "path-less remove of members null", ops: func(string) []any { return []any{op("remove", "", map[string]any{"members": nil})} },
			members: []string{a, b, cc}, out: fails(400, "noTarget", "path")},
		{name: "path-less remove of members and displayName", ops: func(string) []any {
			return []any{op("remove", "", map[string]any{"displayName": "Team", "members": refs(a, b, cc)})}
		}, members: []string{a, b, cc}, out: fails(400, "noTarget", "path")},
		{name: "a bad displayName after member changes changes nothing", ops: func(string) []any {
			return []any{op("add", "members", refs(d)), op("remove", valueEq(a)), op("replace", "displayName", 7)}
		}, members: []string{a, b, cc}, out: fails(400, "invalidValue", "displayName")},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("Team %d", i)
			created := must(t, c.Do(http.MethodPost, "/Groups", groupBody(name, refs(a, b, cc))), http.StatusCreated)
			gid := idOf(t, created.JSON(t))
			after := checkPatch(t, c, "/Groups/"+gid, patchOf(tc.ops(gid)...), tc.out)
			if after == nil {
				after = okJSON(t, c, "/Groups/"+gid)
			}
			wantValues(t, after, "members", tc.members...)
			wantName := tc.displayName
			if wantName == "" {
				wantName = name
			}
			if after["displayName"] != wantName {
				t.Fatalf("displayName = %v, want %s", after["displayName"], wantName)
			}
			for id, display := range tc.displays {
				wantEntry(t, byValue(t, after, "members")[id], srv.URL+"/Users/"+id, display, "User")
			}
			for _, u := range []string{a, b, cc, d} {
				_, in := byValue(t, okJSON(t, c, "/Users/"+u), "groups")[gid]
				if want := slices.Contains(tc.members, u); in != want {
					t.Fatalf("user %s: in the group's groups %v, want %v", u, in, want)
				}
			}
		})
	}
}

func TestPatchMissingResource(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	u := idOf(t, c.CreateUser("u@example.com", nil))
	const missing = "00000000-0000-4000-8000-00000000beef"
	for _, tc := range []struct {
		name, path string
		op         map[string]any
	}{
		{"user", "/Users/", op("replace", "title", "x")},
		{"group displayName", "/Groups/", op("replace", "displayName", "x")},
		{"group add member", "/Groups/", op("add", "members", refs(u))},
		{"group remove all members", "/Groups/", op("remove", "members")},
		{"group remove member by filter", "/Groups/", op("remove", fmt.Sprintf(`members[value eq %q]`, u))},
		{"group remove member by value", "/Groups/", op("remove", "members", refs(u))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scimtest.ExpectError(t, c.Do(http.MethodPatch, tc.path+missing, patchOf(tc.op)), http.StatusNotFound, "", missing)
		})
	}
}

func TestPatchPassword(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{})
	c := srv.Client()
	id := idOf(t, c.CreateUser("p@example.com", nil))
	for _, secret := range []string{"first-Secret-1234", "second-Secret-5678"} {
		for _, ops := range [][]any{{op("replace", "password", secret)}, {op("replace", "", map[string]any{"password": secret})}} {
			responses := []*scimtest.Response{
				c.Must(http.StatusOK, http.MethodPatch, "/Users/"+id, patchOf(ops...)),
				c.Must(http.StatusOK, http.MethodGet, "/Users/"+id, nil),
			}
			for _, r := range responses {
				if body := strings.ToLower(string(r.Body)); strings.Contains(body, "password") || strings.Contains(body, strings.ToLower(secret)) {
					t.Fatalf("the password came back: %s", r)
				}
			}
			stored, err := srv.Store.Get(t.Context(), "default", usersRT, id)
			if err != nil {
				t.Fatal(err)
			}
			if !resources.VerifyPassword(stored.PasswordHash, secret) {
				t.Fatalf("the stored hash does not match the password set by %v", ops)
			}
		}
	}
}

func TestPatchUserNameTaken(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	c.CreateUser("alice@example.com", nil)
	bob := idOf(t, c.CreateUser("bob@example.com", map[string]any{"title": "Builder"}))
	for _, ops := range [][]any{
		{op("replace", "userName", "alice@example.com")},
		{op("replace", "title", "Boss"), op("replace", "userName", "ALICE@example.com")},
		{op("replace", "", map[string]any{"userName": "Alice@Example.com", "title": "Boss"})},
	} {
		checkPatch(t, c, "/Users/"+bob, patchOf(ops...), fails(http.StatusConflict, "uniqueness", "userName"))
	}
}

func TestPatchResponse(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	u := idOf(t, c.CreateUser("u@example.com", nil))
	v := idOf(t, c.CreateUser("v@example.com", nil))
	gid := idOf(t, c.CreateGroup("G", u))

	r := c.Must(http.StatusOK, http.MethodPatch, "/Users/"+u+"?attributes=userName", patchOf(op("replace", "title", "Boss")))
	wantKeys(t, "PATCH ?attributes=userName", r.JSON(t), "id", "schemas", "userName")
	wantAttrs(t, getJSON(t, c, "/Users/"+u), map[string]any{"title": "Boss"})

	r = c.Must(http.StatusOK, http.MethodPatch, "/Groups/"+gid+"?excludedAttributes=members", patchOf(op("add", "members", refs(v))))
	wantKeys(t, "PATCH ?excludedAttributes=members", r.JSON(t), "id", "schemas", "displayName", "meta")
	wantValues(t, getJSON(t, c, "/Groups/"+gid), "members", u, v)

	// A Group answers with its members only when asked to.
	r = c.Must(http.StatusOK, http.MethodPatch, "/Groups/"+gid, patchOf(op("remove", fmt.Sprintf(`members[value eq %q]`, v))), "Prefer: return=representation")
	if got := getJSON(t, c, "/Groups/"+gid); !reflect.DeepEqual(r.JSON(t), got) {
		t.Fatalf("Prefer: return=representation answered %s, want the group as GET shows it: %v", r, got)
	}
	wantValues(t, r.JSON(t), "members", u)

	for _, tc := range []struct {
		url     string
		op      map[string]any
		headers []string
	}{
		{"/Users/" + u, op("replace", "title", "Chief"), []string{"Prefer: return=minimal"}},
		{"/Groups/" + gid, op("add", "members", refs(v)), []string{"Prefer: return=minimal"}},
		{"/Groups/" + gid, op("remove", fmt.Sprintf(`members[value eq %q]`, v)), nil}, // as IdPs send it
		{"/Groups/" + gid, op("replace", "displayName", "G2"), nil},
	} {
		r = c.Must(http.StatusNoContent, http.MethodPatch, tc.url, patchOf(tc.op), tc.headers...)
		got := c.Must(http.StatusOK, http.MethodGet, tc.url, nil)
		if len(r.Body) != 0 || r.Header.Get("ETag") != versionOf(t, got) {
			t.Fatalf("204 with a body or an ETag %q other than the new version %v: %s", r.Header.Get("ETag"), versionOf(t, got), r)
		}
	}
	wantAttrs(t, getJSON(t, c, "/Users/"+u), map[string]any{"title": "Chief"})
	wantAttrs(t, getJSON(t, c, "/Groups/"+gid), map[string]any{"displayName": "G2"})
	wantValues(t, getJSON(t, c, "/Groups/"+gid), "members", u)
}

func TestPatchETags(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	member := idOf(t, c.CreateUser("member@example.com", nil))
	for _, kind := range []struct {
		url    string
		change func(n int) map[string]any
	}{
		{"/Users/" + idOf(t, c.CreateUser("etag@example.com", nil)), func(n int) map[string]any {
			return patchOf(op("replace", "title", fmt.Sprint("Title ", n)))
		}},
		{"/Groups/" + idOf(t, c.CreateGroup("ETag")), func(n int) map[string]any {
			ops := []any{op("replace", "displayName", fmt.Sprint("ETag ", n))}
			if n%2 == 1 {
				return patchOf(append(ops, op("add", "members", refs(member)))...)
			}
			return patchOf(append(ops, op("remove", "members"))...)
		}},
	} {
		v1 := c.Must(http.StatusOK, http.MethodGet, kind.url, nil).Header.Get("ETag")
		v2 := obj(checkPatch(t, c, kind.url, kind.change(1), outcome{}), "meta")["version"]
		checkPatch(t, c, kind.url, kind.change(2), fails(http.StatusPreconditionFailed, ""), "If-Match: "+v1)
		v3 := obj(checkPatch(t, c, kind.url, kind.change(3), outcome{}, fmt.Sprint("If-Match: ", v2)), "meta")["version"]
		v4 := obj(checkPatch(t, c, kind.url, kind.change(4), outcome{}, "If-Match: *"), "meta")["version"]
		if v1 == v2 || v2 == v3 || v3 == v4 {
			t.Fatalf("%s: versions %v %v %v %v", kind.url, v1, v2, v3, v4)
		}
		c.Must(http.StatusOK, http.MethodGet, kind.url, nil, "If-None-Match: "+v1)
		c.Must(http.StatusOK, http.MethodGet, kind.url, nil, fmt.Sprint("If-None-Match: ", v3))
		c.Must(http.StatusNotModified, http.MethodGet, kind.url, nil, fmt.Sprint("If-None-Match: ", v4))
	}
}
