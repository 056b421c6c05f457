package scim_test

import (
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/scimhq/scimhq/scim/scimtest"
)

// keysOf lists an object's keys in order.
func keysOf(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// without returns keys minus the given ones.
func without(keys []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return slices.Contains(drop, k) })
}

// wantKeys checks the top-level keys of a resource.
func wantKeys(t testing.TB, what string, res map[string]any, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := keysOf(res); !slices.Equal(got, want) {
		t.Fatalf("%s: keys %q, want %q in %v", what, got, want, res)
	}
}

// projCase is a projection and what the resource must look like under it.
type projCase struct {
	params []string       // query parameters
	keys   []string       // exactly the top-level keys
	values map[string]any // and these exact values
}

func (pc projCase) check(t testing.TB, what string, res map[string]any) {
	t.Helper()
	wantKeys(t, what, res, pc.keys...)
	for k, want := range pc.values {
		if got := res[k]; !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %s = %#v, want %#v", what, k, got, want)
		}
	}
}

// badProjection checks a 400 for a projection: invalidValue, or invalidPath for a name
// that is no attribute (RFC 7644 names no scimType for that).
func badProjection(t testing.TB, r *scimtest.Response, detail ...string) {
	t.Helper()
	got, _ := r.JSON(t)["scimType"].(string)
	if got != "invalidValue" && got != "invalidPath" {
		t.Fatalf("scimType %q, want invalidValue or invalidPath: %s", got, r)
	}
	scimtest.ExpectError(t, r, http.StatusBadRequest, got, detail...)
}

func TestProjectionOnUsers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	alice := "/Users/" + f.ids["alice"]
	full := okJSON(t, f.c, alice)
	all := keysOf(full)
	wantKeys(t, "alice by default", full, "schemas", "id", "externalId", "userName", "name", "title", "active",
		"emails", "groups", enterpriseURN, hqUserURN, "meta")
	core := []any{userURN}
	cases := map[string]projCase{
		"attributes=userName": {[]string{"attributes", "userName"},
			[]string{"id", "schemas", "userName"}, map[string]any{"schemas": core, "userName": "alice"}},
		"names are case-insensitive": {[]string{"attributes", "USERNAME,Name.GivenName"},
			[]string{"id", "schemas", "userName", "name"}, map[string]any{"name": map[string]any{"givenName": "Alice"}}},
		"a sub-attribute": {[]string{"attributes", "name.givenName"},
			[]string{"id", "schemas", "name"}, map[string]any{"name": map[string]any{"givenName": "Alice"}}},
		"an extension attribute": {[]string{"attributes", enterpriseURN + ":department"},
			[]string{"id", "schemas", enterpriseURN},
			map[string]any{"schemas": []any{userURN, enterpriseURN}, enterpriseURN: map[string]any{"department": "Sales"}}},
		"computed groups": {[]string{"attributes", "groups"},
			[]string{"id", "schemas", "groups"}, nil},
		"meta on request": {[]string{"attributes", "userName,meta"},
			[]string{"id", "schemas", "userName", "meta"}, map[string]any{"meta": full["meta"]}},
		// Microsoft's validator: the attribute of a value filter is the attribute.
		`attributes=emails[type eq "work"]`: {[]string{"attributes", `emails[type eq "work"]`},
			[]string{"id", "schemas", "emails"}, map[string]any{"emails": full["emails"]}},
		// password is returned never, also when asked for.
		"attributes=password": {[]string{"attributes", "password"}, []string{"id", "schemas"}, nil},
		"excluded emails and meta": {[]string{"excludedAttributes", "emails,meta"},
			without(all, "emails", "meta"), map[string]any{"name": full["name"]}},
		"excluded sub-attribute": {[]string{"excludedAttributes", "name.familyName"},
			all, map[string]any{"name": map[string]any{"givenName": "Alice"}, "emails": full["emails"]}},
		"excluded extension attribute": {[]string{"excludedAttributes", enterpriseURN + ":department"},
			all, map[string]any{enterpriseURN: map[string]any{"employeeNumber": "100"}}},
		"excluded groups": {[]string{"excludedAttributes", "groups"}, without(all, "groups"), nil},
		// id is returned always.
		"excluded id is ignored": {[]string{"excludedAttributes", "id"}, all, map[string]any{"id": f.ids["alice"]}},
		// meta's sub-attributes are returned by default, so they can be excluded (RFC 7644 §3.4.2.5).
		"excluded meta.lastModified": {[]string{"excludedAttributes", "meta.lastModified"},
			all, map[string]any{"meta": omit(obj(full, "meta"), "lastModified")}},
	}
	for name, pc := range cases {
		t.Run(name, func(t *testing.T) {
			res := okJSON(t, f.c, urlWith(alice, pc.params...))
			pc.check(t, "GET by id", res)
			if strings.Contains(string(f.c.Do(http.MethodGet, urlWith(alice, pc.params...), nil).Body), "password") {
				t.Fatalf("the response names the password")
			}
			// The same projection on a list applies to each resource.
			list := okJSON(t, f.c, urlWith("/Users", append(pc.params, "filter", `userName eq "alice"`)...))
			if rs := resourcesOf(t, list); len(rs) != 1 {
				t.Fatalf("list: %v", list)
			} else {
				pc.check(t, "list", rs[0])
			}
		})
	}

	for _, p := range []struct {
		params []string
		detail string
	}{
		{[]string{"attributes", "userName", "excludedAttributes", "emails"}, "excludedAttributes"},
		{[]string{"attributes", "nosuch"}, "nosuch"},
		{[]string{"attributes", "name.nosuch"}, "nosuch"},
		{[]string{"excludedAttributes", "nosuch"}, "nosuch"},
	} {
		badProjection(t, f.c.Do(http.MethodGet, urlWith(alice, p.params...), nil), p.detail)
		badProjection(t, f.c.Do(http.MethodGet, urlWith("/Users", p.params...), nil), p.detail)
	}
}

// omit copies an object without the given keys.
func omit(m map[string]any, drop ...string) map[string]any {
	out := maps.Clone(m)
	for _, k := range drop {
		delete(out, k)
	}
	return out
}

// TestProjectionOnWrites: POST and PUT responses carry a resource, so the projection
// applies to them too (RFC 7644 §3.9), while the write itself stores everything.
func TestProjectionOnWrites(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	body := userWith("pat", map[string]any{
		"name":     map[string]any{"givenName": "Pat", "familyName": "Lee"},
		"emails":   []any{email("work", "pat@example.com", true)},
		"password": "correct horse battery staple",
	})
	created := c.Must(http.StatusCreated, http.MethodPost, urlWith("/Users", "attributes", "userName"), body)
	u := created.JSON(t)
	wantKeys(t, "POST ?attributes=userName", u, "id", "schemas", "userName")
	id := idOf(t, u)
	if created.Header.Get("Location") == "" || created.Header.Get("ETag") == "" {
		t.Fatalf("projection dropped Location or ETag: %v", created.Header)
	}
	stored := okJSON(t, c, "/Users/"+id)
	if obj(stored, "name")["familyName"] != "Lee" || len(arr(stored, "emails")) != 1 {
		t.Fatalf("the projection changed what was stored: %v", stored)
	}

	body["title"] = "Boss"
	put := c.Must(http.StatusOK, http.MethodPut, urlWith("/Users/"+id, "excludedAttributes", "emails,name.givenName"), body).JSON(t)
	wantKeys(t, "PUT ?excludedAttributes", put, "id", "schemas", "userName", "name", "title", "groups", hqUserURN, "meta")
	if !reflect.DeepEqual(put["name"], map[string]any{"familyName": "Lee"}) {
		t.Fatalf("PUT: name = %v", put["name"])
	}
	badProjection(t, c.Do(http.MethodPost, urlWith("/Users", "attributes", "bogus"), userWith("other", nil)), "bogus")
}

func TestProjectionOnGroups(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	eng := "/Groups/" + f.ids["Engineering"]
	wantValues(t, okJSON(t, f.c, eng), "members", f.ids["Bob"], f.ids["Eve"], f.ids["heidi"])
	cases := map[string]projCase{
		"excludedAttributes=members": {[]string{"excludedAttributes", "members"},
			[]string{"id", "schemas", "displayName", "meta"}, nil},
		"attributes=displayName": {[]string{"attributes", "displayName"},
			[]string{"id", "schemas", "displayName"}, nil},
		"attributes=members.value": {[]string{"attributes", "members.value"},
			[]string{"id", "schemas", "members"}, nil},
	}
	for name, pc := range cases {
		t.Run(name, func(t *testing.T) {
			pc.check(t, "GET by id", okJSON(t, f.c, urlWith(eng, pc.params...)))
			for _, g := range resourcesOf(t, okJSON(t, f.c, urlWith("/Groups", pc.params...))) {
				pc.check(t, "list", g)
			}
		})
	}
	// members.value alone: each member keeps only its value.
	for _, m := range arr(okJSON(t, f.c, urlWith(eng, "attributes", "members.value")), "members") {
		if keys := keysOf(m.(map[string]any)); !slices.Equal(keys, []string{"value"}) {
			t.Fatalf("attributes=members.value: member with keys %v", keys)
		}
	}
	// A PUT answers with the projection too.
	put := f.c.Must(http.StatusOK, http.MethodPut, urlWith(eng, "excludedAttributes", "members"), groupBody("Engineering", nil)).JSON(t)
	cases["excludedAttributes=members"].check(t, "PUT", put)
	wantValues(t, okJSON(t, f.c, eng), "members", f.ids["Bob"], f.ids["Eve"], f.ids["heidi"])
}
