package scim_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimhq/scimhq/scim/scimtest"
)

// The query tests (filter_test.go, sort_page_test.go, projection_test.go,
// search_test.go) share one data set, built over HTTP by newFixture.

// email is one element of "emails".
func email(typ, value string, primary bool) map[string]any {
	e := map[string]any{"type": typ, "value": value}
	if primary {
		e["primary"] = true
	}
	return e
}

// fixtureUsers are the users of the fixture, in creation order. Things to know:
//   - Bob's work email is not @example.com, his home one is; Grace's likewise (value
//     filters must look at one element, not at any element per condition);
//   - dave has no name at all, Grace has no "active";
//   - externalId ext-2 is shared by Bob and dave; carol's EXT-1 differs from alice's
//     ext-1 only in case (externalId is caseExact);
//   - Grace's first email is not her primary one (sorting by emails.value uses the
//     primary one);
//   - userNames and familyNames mix upper and lower case.
var fixtureUsers = []struct {
	userName string
	attrs    map[string]any
}{
	{"alice", map[string]any{
		"name":   map[string]any{"givenName": "Alice", "familyName": "Smith"},
		"emails": []any{email("work", "alice@example.com", true), email("home", "alice@home.net", false)},
		"active": true, "title": "Engineer", "externalId": "ext-1",
		enterpriseURN: map[string]any{"department": "Sales", "employeeNumber": "100"},
	}},
	{"Bob", map[string]any{
		"name":   map[string]any{"givenName": "Bob", "familyName": "Jones"},
		"emails": []any{email("work", "bob@corp.test", false), email("home", "bob@example.com", false)},
		"active": true, "title": "Manager", "externalId": "ext-2",
		enterpriseURN: map[string]any{"department": "Engineering"},
	}},
	{"carol", map[string]any{
		"name":   map[string]any{"givenName": "Carol", "familyName": "Smith"},
		"emails": []any{email("other", "carol@example.org", false)},
		"active": false, "externalId": "EXT-1",
		enterpriseURN: map[string]any{"department": "Sales"},
	}},
	{"dave", map[string]any{"active": false, "title": "Engineer", "externalId": "ext-2"}},
	{"Eve", map[string]any{
		"name":        map[string]any{"givenName": "Eve", "familyName": "Adams"},
		"emails":      []any{email("work", "eve@example.com", false)},
		"active":      true,
		enterpriseURN: map[string]any{"department": "Engineering", "employeeNumber": "200"},
	}},
	{"frank", map[string]any{
		"name":   map[string]any{"givenName": "Frank", "familyName": "Zimmer"},
		"emails": []any{email("work", "frank@EXAMPLE.COM", false)},
		"active": true, "title": "Director",
	}},
	{"Grace", map[string]any{
		"name":   map[string]any{"givenName": "Grace", "familyName": "brown"},
		"emails": []any{email("work", "aaa-grace@example.net", false), email("home", "grace@example.com", true)},
	}},
	{"heidi", map[string]any{
		"name":   map[string]any{"givenName": "Heidi", "familyName": "Jones"},
		"emails": []any{email("work", "heidi@example.com", false)},
		"active": true, "title": "Engineer",
	}},
}

// allUsers are the fixture's userNames in case-insensitive order.
var allUsers = []string{"alice", "Bob", "carol", "dave", "Eve", "frank", "Grace", "heidi"}

// fixture is the data set on a fresh server: the users above and the groups
// Engineering {Bob, Eve, heidi}, Sales {alice, carol}, All Staff {Engineering, Sales,
// frank} (a nested group) and Empty {}.
type fixture struct {
	srv *scimtest.Server
	c   *scimtest.Client
	ids map[string]string // userName or displayName -> id
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := scimtest.New(t, scimtest.Options{})
	f := &fixture{srv: srv, c: srv.Client(), ids: map[string]string{}}
	for _, u := range fixtureUsers {
		attrs := map[string]any{"schemas": []string{userURN, enterpriseURN}}
		for k, v := range u.attrs {
			attrs[k] = v
		}
		f.ids[u.userName] = idOf(t, f.c.CreateUser(u.userName, attrs))
	}
	for _, g := range []struct {
		name    string
		members []string
	}{
		{"Engineering", []string{"Bob", "Eve", "heidi"}},
		{"Sales", []string{"alice", "carol"}},
		{"All Staff", []string{"Engineering", "Sales", "frank"}},
		{"Empty", nil},
	} {
		var ids []string
		for _, m := range g.members {
			ids = append(ids, f.ids[m])
		}
		f.ids[g.name] = idOf(t, f.c.CreateGroup(g.name, ids...))
	}
	return f
}

// urlWith builds endpoint?k1=v1&k2=v2… with the values URL-encoded.
func urlWith(endpoint string, params ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	if len(q) == 0 {
		return endpoint
	}
	return endpoint + "?" + q.Encode()
}

// okJSON GETs path and returns the JSON object, failing t (which may be a subtest's,
// unlike getJSON's client) unless the status is 200.
func okJSON(t testing.TB, c *scimtest.Client, path string) map[string]any {
	t.Helper()
	r := c.Do(http.MethodGet, path, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("want status 200: %s", r)
	}
	return r.JSON(t)
}

// resourcesOf returns the Resources of a ListResponse as objects.
func resourcesOf(t testing.TB, list map[string]any) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range arr(list, "Resources") {
		m, ok := r.(map[string]any)
		if !ok {
			t.Fatalf("a Resources entry is not an object: %v", list)
		}
		out = append(out, m)
	}
	return out
}

// nameOf is a resource's userName, or its displayName for a Group.
func nameOf(r map[string]any) string {
	if n, ok := r["userName"].(string); ok {
		return n
	}
	n, _ := r["displayName"].(string)
	return n
}

// namesOf lists the names of a ListResponse's resources in the order returned.
func namesOf(t testing.TB, list map[string]any) []string {
	t.Helper()
	out := []string{}
	for _, r := range resourcesOf(t, list) {
		out = append(out, nameOf(r))
	}
	return out
}

// wantNames checks a list of names against want, in order.
func wantNames(t testing.TB, what string, got []string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
}

// wantSet checks the names of a ListResponse against want in any order, and that
// totalResults counts them all.
func wantSet(t testing.TB, what string, list map[string]any, want ...string) {
	t.Helper()
	got := slices.Sorted(slices.Values(namesOf(t, list)))
	want = slices.Sorted(slices.Values(want))
	wantNames(t, what, got, want...)
	if list["totalResults"] != float64(len(want)) {
		t.Fatalf("%s: totalResults = %v, want %d", what, list["totalResults"], len(want))
	}
}

// filterCase is a filter on an endpoint and the exact set of names it must return.
type filterCase struct {
	filter string
	want   []string
}

// runFilters runs each filter as GET endpoint?filter=… in a subtest.
func runFilters(t *testing.T, c *scimtest.Client, endpoint string, cases []filterCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			list := okJSON(t, c, urlWith(endpoint, "filter", tc.filter))
			wantSet(t, tc.filter, list, tc.want...)
		})
	}
}

// except returns allUsers without the given names.
func except(names ...string) []string {
	return slices.DeleteFunc(slices.Clone(allUsers), func(n string) bool { return slices.Contains(names, n) })
}

func TestFilterOperators(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	aliceID := f.ids["alice"]
	runFilters(t, f.c, "/Users", []filterCase{
		// Strings: case-insensitive unless the attribute is caseExact.
		{`userName eq "ALICE"`, []string{"alice"}},
		{`userName ne "alice"`, except("alice")},
		{`userName co "A"`, []string{"alice", "carol", "dave", "frank", "Grace"}},
		{`userName sw "b"`, []string{"Bob"}},
		{`userName ew "E"`, []string{"alice", "dave", "Eve", "Grace"}},
		{`userName gt "dave"`, []string{"Eve", "frank", "Grace", "heidi"}},
		{`userName ge "DAVE"`, []string{"dave", "Eve", "frank", "Grace", "heidi"}},
		{`userName lt "carol"`, []string{"alice", "Bob"}},
		{`userName le "Carol"`, []string{"alice", "Bob", "carol"}},
		{`title pr`, []string{"alice", "Bob", "dave", "frank", "heidi"}},
		{`name.familyName pr`, except("dave")},
		{`name.familyName eq "BROWN"`, []string{"Grace"}},
		{`name.familyName ne "smith"`, except("alice", "carol")},
		{`title co "engine"`, []string{"alice", "dave", "heidi"}},
		// caseExact: externalId and id.
		{`externalId eq "ext-1"`, []string{"alice"}},
		{`externalId eq "EXT-1"`, []string{"carol"}},
		{`externalId eq "ext-2"`, []string{"Bob", "dave"}},
		{`externalId sw "EXT"`, []string{"carol"}},
		{`id eq "` + aliceID + `"`, []string{"alice"}},
		{`id eq "` + strings.ToUpper(aliceID) + `"`, nil},
		{`id ne "` + aliceID + `"`, except("alice")},
		// Booleans; Grace has no "active".
		{`active eq true`, []string{"alice", "Bob", "Eve", "frank", "heidi"}},
		{`active eq false`, []string{"carol", "dave"}},
		{`active ne true`, []string{"carol", "dave", "Grace"}},
		{`active pr`, except("Grace")},
		// null (RFC 7643 §2.5): eq null is "no value", ne null is "some value".
		{`title eq null`, []string{"carol", "Eve", "Grace"}},
		{`title ne null`, []string{"alice", "Bob", "dave", "frank", "heidi"}},
		{`name.familyName eq null`, []string{"dave"}},
		// Operators and attribute names are case-insensitive.
		{`USERNAME EQ "bob"`, []string{"Bob"}},
		{`name.FAMILYNAME eq "smith"`, []string{"alice", "carol"}},
		// The extension by full URN, also for an attribute only some users have.
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales"`, []string{"alice", "carol"}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber gt "150"`, []string{"Eve"}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber pr`, []string{"alice", "Eve"}},
		// A complex attribute without a sub-attribute means its value.
		{`emails co "example.com"`, []string{"alice", "Bob", "Eve", "frank", "Grace", "heidi"}},
		{`emails.type eq "other"`, []string{"carol"}},
		{`emails.value ew "@EXAMPLE.com"`, []string{"alice", "Bob", "Eve", "frank", "Grace", "heidi"}},
		{`emails pr`, except("dave")},
	})
}

// TestFilterDateTimes compares meta.created and meta.lastModified with the values the
// server reports; several users may share a millisecond, so the expected sets are
// computed from those values rather than from the creation order.
func TestFilterDateTimes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// A change after every create: alice's lastModified is later than her created.
	c := f.c
	c.Must(http.StatusOK, http.MethodPut, "/Users/"+f.ids["alice"], userWith("alice", map[string]any{"title": "Lead"}))

	created, modified := map[string]time.Time{}, map[string]time.Time{}
	for _, r := range resourcesOf(t, okJSON(t, c, "/Users?count=100")) {
		for key, into := range map[string]map[string]time.Time{"created": created, "lastModified": modified} {
			ts, err := time.Parse(time.RFC3339Nano, fmt.Sprint(obj(r, "meta")[key]))
			if err != nil {
				t.Fatalf("meta.%s of %s: %v", key, nameOf(r), err)
			}
			into[nameOf(r)] = ts
		}
	}
	if modified["alice"].Before(created["alice"]) {
		t.Fatalf("alice: lastModified %v before created %v", modified["alice"], created["alice"])
	}
	matching := func(of map[string]time.Time, keep func(time.Time) bool) []string {
		var out []string
		for n, ts := range of {
			if keep(ts) {
				out = append(out, n)
			}
		}
		return out
	}
	pivot := created["dave"] // the fourth user created
	lit := pivot.Format(time.RFC3339Nano)
	// The same instant in another zone.
	zoned := pivot.In(time.FixedZone("", 2*3600)).Format(time.RFC3339Nano)
	runFilters(t, c, "/Users", []filterCase{
		{`meta.created gt "` + lit + `"`, matching(created, func(x time.Time) bool { return x.After(pivot) })},
		{`meta.created ge "` + zoned + `"`, matching(created, func(x time.Time) bool { return !x.Before(pivot) })},
		{`meta.created lt "` + lit + `"`, matching(created, func(x time.Time) bool { return x.Before(pivot) })},
		{`meta.created le "` + lit + `"`, matching(created, func(x time.Time) bool { return !x.After(pivot) })},
		{`meta.created eq "` + lit + `"`, matching(created, func(x time.Time) bool { return x.Equal(pivot) })},
		{`meta.lastModified gt "` + lit + `"`, matching(modified, func(x time.Time) bool { return x.After(pivot) })},
		{`meta.lastModified gt "` + created["heidi"].Format(time.RFC3339Nano) + `"`,
			matching(modified, func(x time.Time) bool { return x.After(created["heidi"]) })},
		{`meta.created gt "2000-01-01T00:00:00Z"`, allUsers},
		{`meta.lastModified lt "2000-01-01T00:00:00Z"`, nil},
	})
}

func TestFilterLogic(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	runFilters(t, f.c, "/Users", []filterCase{
		// "and" binds tighter than "or": alice or (Bob and inactive).
		{`userName eq "alice" or userName eq "Bob" and active eq false`, []string{"alice"}},
		{`userName eq "Bob" and active eq false or userName eq "alice"`, []string{"alice"}},
		{`(userName eq "alice" or userName eq "carol") and active eq false`, []string{"carol"}},
		{`userName eq "alice" or (userName eq "carol" and active eq false)`, []string{"alice", "carol"}},
		{`userName sw "a" or userName sw "b" or userName sw "c"`, []string{"alice", "Bob", "carol"}},
		{`not (active eq true)`, []string{"carol", "dave", "Grace"}},
		{`not (title pr) and active eq true`, []string{"Eve"}},
		{`active eq true and not (name.familyName eq "Jones" or name.familyName eq "Smith")`, []string{"Eve", "frank"}},
		{`not (not (userName eq "dave"))`, []string{"dave"}},
		{`userName eq "alice" and userName eq "Bob"`, nil},
	})
}

// TestFilterValuePaths checks attr[filter]: all its conditions must hold for one and
// the same element. Bob and Grace each have a work email and an @example.com email,
// but not one that is both.
func TestFilterValuePaths(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const workAtExample = `emails[type eq "work" and value co "@example.com"]`
	runFilters(t, f.c, "/Users", []filterCase{
		{workAtExample, []string{"alice", "Eve", "frank", "heidi"}},
		{`not (` + workAtExample + `)`, []string{"Bob", "carol", "dave", "Grace"}},
		{workAtExample + ` and active eq true`, []string{"alice", "Eve", "frank", "heidi"}},
		{workAtExample + ` or userName eq "dave"`, []string{"alice", "dave", "Eve", "frank", "heidi"}},
		{`emails[type eq "home" and primary eq true]`, []string{"Grace"}},
		{`emails[TYPE eq "work" and VALUE co "corp"]`, []string{"Bob"}},
		{`emails[not (value ew ".com")]`, []string{"alice", "Bob", "carol", "Grace"}},
		// RFC 7644 §3.4.2.2 (ABNF): valFilter allows "not" beside "and" inside [...].
		{`emails[type eq "work" and not (value ew ".com")]`, []string{"Bob", "Grace"}},
		{`emails[type eq "other" or type eq "home"]`, []string{"alice", "Bob", "carol", "Grace"}},
		{`name[givenName sw "a" and familyName eq "smith"]`, []string{"alice"}},
		// Entra ID's form attr[filter].sub op value.
		{`emails[type eq "work"].value eq "bob@corp.test"`, []string{"Bob"}},
		{`emails[type eq "work"].value eq "bob@example.com"`, nil},
		{`emails[type eq "work"].value co "example.com"`, []string{"alice", "Eve", "frank", "heidi"}},
		// A value filter next to computed attributes and meta, on the in-memory path.
		{workAtExample + ` and groups.value eq "` + f.ids["Engineering"] + `"`, []string{"Eve", "heidi"}},
		{workAtExample + ` and meta.resourceType eq "User"`, []string{"alice", "Eve", "frank", "heidi"}},
		{workAtExample + ` and id ne "` + f.ids["alice"] + `"`, []string{"Eve", "frank", "heidi"}},
	})
}

func TestFilterMemberships(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	eng, sales, all := f.ids["Engineering"], f.ids["Sales"], f.ids["All Staff"]
	runFilters(t, f.c, "/Groups", []filterCase{
		{`members.value eq "` + f.ids["Bob"] + `"`, []string{"Engineering"}},
		{`members eq "` + f.ids["alice"] + `"`, []string{"Sales"}},
		{`members.value eq "` + eng + `"`, []string{"All Staff"}},
		{`members.value eq "` + f.ids["dave"] + `"`, nil},
		{`members[value eq "` + f.ids["frank"] + `"]`, []string{"All Staff"}},
		{`members.type eq "Group"`, []string{"All Staff"}},
		// A member's display (here the userName) is not caseExact.
		{`members.display eq "BOB"`, []string{"Engineering"}},
		{`members[type eq "User" and display sw "F"]`, []string{"All Staff"}},
		{`members pr`, []string{"Engineering", "Sales", "All Staff"}},
		{`not (members pr)`, []string{"Empty"}},
		{`displayName sw "ENG"`, []string{"Engineering"}},
		{`displayName eq "sales" or members eq "` + f.ids["Eve"] + `"`, []string{"Sales", "Engineering"}},
		{`id eq "` + sales + `"`, []string{"Sales"}},
	})
	runFilters(t, f.c, "/Users", []filterCase{
		{`groups.value eq "` + sales + `"`, []string{"alice", "carol"}},
		{`groups eq "` + eng + `"`, []string{"Bob", "Eve", "heidi"}},
		// groups lists direct memberships only (type "direct").
		{`groups.value eq "` + all + `"`, []string{"frank"}},
		{`groups.display eq "engineering"`, []string{"Bob", "Eve", "heidi"}},
		{`groups.display co "S"`, []string{"alice", "carol", "frank"}},
		{`groups pr`, except("dave", "Grace")},
		{`not (groups pr)`, []string{"dave", "Grace"}},
	})

	// Entra ID's membership probe: is this user a member of this group?
	for _, tc := range []struct {
		user string
		want []string
	}{{"Bob", []string{"Engineering"}}, {"alice", nil}} {
		probe := `id eq "` + eng + `" and members eq "` + f.ids[tc.user] + `"`
		list := okJSON(t, f.c, urlWith("/Groups", "filter", probe, "excludedAttributes", "members"))
		wantSet(t, probe, list, tc.want...)
		for _, g := range resourcesOf(t, list) {
			if _, ok := g["members"]; ok {
				t.Fatalf("%s: members returned despite excludedAttributes=members: %v", probe, g)
			}
		}
	}
}

func TestFilterErrors(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	c.CreateUser("alice", nil)
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	cases := []struct {
		endpoint, filter string
		detail           []string
	}{
		{"/Users", `nickname2 eq "x"`, []string{"nickname2"}},
		{"/Users", `name.nickName eq "x"`, []string{"name", "nickName"}},
		{"/Users", `userName.first eq "x"`, []string{"userName", "first"}},
		{"/Users", `urn:ietf:params:scim:schemas:extension:bogus:2.0:User:department eq "x"`, []string{"bogus"}},
		{"/Users", ent + `:nosuch eq "x"`, []string{"nosuch"}},
		{"/Users", `emails[nosuch eq "x"]`, []string{"nosuch"}},
		{"/Groups", `userName eq "alice"`, []string{"userName"}},
		{"/Users", `userName eq`, []string{"syntax"}},
		{"/Users", `userName eq "a" and`, []string{"syntax"}},
		{"/Users", `(userName eq "a"`, []string{"syntax"}},
		{"/Users", `emails[type eq "work"`, []string{"syntax"}},
		{"/Users", `userName eq alice`, []string{"syntax"}},
		{"/Users", `userName xx "a"`, []string{"syntax"}},
		{"/Users", `title eq 5`, []string{"title", "double quotes"}},
		{"/Users", `active gt true`, []string{"active", "boolean"}},
		{"/Users", `active co "t"`, []string{"active", "boolean"}},
		{"/Users", `active eq "yes"`, []string{"active", "boolean"}},
		{"/Users", `meta.created gt "yesterday"`, []string{"yesterday", "dateTime"}},
		{"/Users", `meta.created sw "2024"`, []string{"created", "dateTime"}},
		{"/Users", `userName gt null`, []string{"null"}},
		{"/Users", ` `, []string{"empty"}},
	}
	for _, tc := range cases {
		t.Run(tc.endpoint+" "+tc.filter, func(t *testing.T) {
			r := c.Do(http.MethodGet, urlWith(tc.endpoint, "filter", tc.filter), nil)
			scimtest.ExpectError(t, r, http.StatusBadRequest, "invalidFilter", tc.detail...)
		})
	}
}
