package scim_test

import (
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/scim/scimtest"
)

// Queries on what is computed or stored outside a resource's document: the HQ access
// (projection, filters, sorting), members and groups under "ne" and case-insensitive
// ordering, POST /.search sorted across types, and the router's 405 and /Me answers.

// qfCatalog is the catalog of these tests; roles are lowest first.
var qfCatalog = []resources.Product{
	{ID: "hire", DisplayName: "Hire", Roles: []string{"interviewer", "recruiter", "admin"}},
	{ID: "perform", DisplayName: "Perform", Roles: []string{"employee", "manager", "hr-admin"}},
}

func qfServer(t *testing.T) *scimtest.Client {
	return scimtest.New(t, scimtest.Options{Policy: func(string) resources.Policy {
		return resources.Policy{Products: qfCatalog}
	}}).Client()
}

// qfUser creates a user with direct product grants (product → extra fields) and roles,
// and returns its id.
func qfUser(t *testing.T, c *scimtest.Client, userName string, extra map[string]any, grants map[string]map[string]any, roles ...string) string {
	t.Helper()
	body := userWith(userName, map[string]any{"schemas": []string{userURN, hqUserURN}})
	for k, v := range extra {
		body[k] = v
	}
	products := []any{}
	for id, fields := range grants {
		g := map[string]any{"value": id}
		for k, v := range fields {
			g[k] = v
		}
		products = append(products, g)
	}
	body[hqUserURN] = map[string]any{"products": products}
	if len(roles) > 0 {
		list := []any{}
		for _, r := range roles {
			list = append(list, map[string]any{"value": r})
		}
		body["roles"] = list
	}
	return idOf(t, c.Must(http.StatusCreated, http.MethodPost, "/Users", body).JSON(t))
}

// accessFixture: ann hire/admin; bob hire disabled and perform; cid hire interviewer
// directly but admin through a group; dee perform/manager by role; eve only an
// ordinary role "HIRE:admin" (no such product: product ids are case-exact); fay
// inactive with perform; gus hire/admin through the group only; hal nothing.
func accessFixture(t *testing.T) (*scimtest.Client, map[string]string) {
	c := qfServer(t)
	ids := map[string]string{
		"ann": qfUser(t, c, "ann", nil, map[string]map[string]any{"hire": {"role": "admin"}}),
		"bob": qfUser(t, c, "bob", nil, map[string]map[string]any{"hire": {"enabled": false}, "perform": nil}),
		"cid": qfUser(t, c, "cid", nil, map[string]map[string]any{"hire": {"role": "interviewer"}}),
		"dee": qfUser(t, c, "dee", nil, nil, "perform:manager"),
		"eve": qfUser(t, c, "eve", nil, nil, "HIRE:admin"),
		"fay": qfUser(t, c, "fay", map[string]any{"active": false}, map[string]map[string]any{"perform": nil}),
		"gus": qfUser(t, c, "gus", nil, nil),
		"hal": qfUser(t, c, "hal", nil, nil),
	}
	group := groupBody("Recruiters", refs(ids["cid"], ids["gus"]))
	group["schemas"] = []string{groupURN, hqGroupURN}
	group[hqGroupURN] = map[string]any{"products": []any{map[string]any{"value": "hire", "role": "admin"}}}
	c.Must(http.StatusCreated, http.MethodPost, "/Groups", group)
	return c, ids
}

func TestProjectionKeepsComputedAccess(t *testing.T) {
	t.Parallel()
	c, ids := accessFixture(t)
	cid := "/Users/" + ids["cid"]
	for _, tc := range []struct {
		name       string
		params     []string
		wantGroups bool
	}{
		{"attributes=access", []string{"attributes", hqUserURN + ":access"}, false},
		{"attributes=access.role", []string{"attributes", hqUserURN + ":access.role"}, false},
		{"excludedAttributes=groups", []string{"excludedAttributes", "groups"}, false},
		{"attributes=groups,access", []string{"attributes", "groups," + hqUserURN + ":access"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check := func(what string, user map[string]any) {
				t.Helper()
				// cid's only access is hire, admin through the group (its direct grant
				// is interviewer): it needs the memberships.
				access := arr(obj(user, hqUserURN), "access")
				if len(access) != 1 || access[0].(map[string]any)["role"] != "admin" {
					t.Fatalf("%s: access = %v, want hire with the group's role admin", what, access)
				}
				if _, has := user["groups"]; has != tc.wantGroups {
					t.Fatalf("%s: groups present = %v, want %v: %v", what, has, tc.wantGroups, user)
				}
			}
			check("GET by id", okJSON(t, c, urlWith(cid, tc.params...)))
			list := okJSON(t, c, urlWith("/Users", append([]string{"filter", `userName eq "cid"`}, tc.params...)...))
			check("list", resourcesOf(t, list)[0])
		})
	}
}

func TestFilterOnComputedAccess(t *testing.T) {
	t.Parallel()
	c, _ := accessFixture(t)
	a := hqUserURN + ":access"
	runFilters(t, c, "/Users", []filterCase{
		{a + `.value eq "hire"`, []string{"ann", "bob", "cid", "gus"}},
		{a + ` eq "hire"`, []string{"ann", "bob", "cid", "gus"}},
		{a + `[value eq "hire"]`, []string{"ann", "bob", "cid", "gus"}},
		{a + `.value eq "perform"`, []string{"bob", "dee", "fay"}},
		{a + `.value ne "hire"`, []string{"dee", "eve", "fay", "hal"}},
		{`not (` + a + `.value eq "hire")`, []string{"dee", "eve", "fay", "hal"}},
		{a + `[value eq "hire" and role eq "admin"]`, []string{"ann", "cid", "gus"}},
		{a + `[value eq "hire" and role eq "interviewer"]`, []string{"bob"}},
		{a + `[value eq "hire" and enabled eq true]`, []string{"ann", "cid", "gus"}},
		{a + `[value eq "perform" and enabled eq false]`, []string{"fay"}},
		{a + `[value eq "perform" and not (enabled eq true)]`, []string{"fay"}},
		{a + `.role eq "interviewer"`, []string{"bob"}},
		{a + `.role eq "manager"`, []string{"dee"}},
		{a + `.role ne "admin"`, []string{"bob", "dee", "eve", "fay", "hal"}},
		{a + `.role gt "employee"`, []string{"bob", "dee"}},
		{a + `.enabled eq false`, []string{"bob", "fay"}},
		{a + `.display eq "HIRE"`, []string{"ann", "bob", "cid", "gus"}},
		{a + `.sources eq "roles"`, []string{"dee"}},
		{a + ` pr`, []string{"ann", "bob", "cid", "dee", "fay", "gus"}},
		{`not (` + a + ` pr)`, []string{"eve", "hal"}},
		{a + `[value eq "hire"] and userName sw "c"`, []string{"cid"}},
		{a + `.value eq "perform" or ` + a + `.role eq "admin"`, []string{"ann", "bob", "cid", "dee", "fay", "gus"}},
		{a + `.value eq "nothing"`, nil},
	})
	// The same through a SearchRequest, with paging over the exact matches.
	list := postSearch(t, c, "/Users/.search", map[string]any{"filter": a + `.value eq "hire"`, "sortBy": "userName", "startIndex": 2, "count": 2})
	wantNames(t, "paged access filter", namesOf(t, list), "bob", "cid")
	if list["totalResults"] != float64(4) {
		t.Fatalf("totalResults = %v, want 4", list["totalResults"])
	}
}

func TestSortByComputedAttributesRejected(t *testing.T) {
	t.Parallel()
	c := qfServer(t)
	for _, tc := range []struct{ endpoint, sortBy string }{
		{"/Users", hqUserURN + ":access.value"},
		{"/Users", hqUserURN + ":access.role"},
		{"/Users", "groups.display"},
		{"/Groups", "members.display"},
	} {
		r := c.Do(http.MethodGet, urlWith(tc.endpoint, "sortBy", tc.sortBy), nil)
		scimtest.ExpectError(t, r, http.StatusBadRequest, "invalidValue", "computed", "sort by a stored attribute")
	}
}

func TestFilterMembershipsNeAndCaseInsensitiveOrder(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	alice := idOf(t, c.CreateUser("alice", nil))
	bob := idOf(t, c.CreateUser("Bob", nil))
	frank := idOf(t, c.CreateUser("frank", nil))
	c.CreateUser("loner", nil)
	eng := idOf(t, c.CreateGroup("Engineering", alice, bob))
	sales := idOf(t, c.CreateGroup("Sales", alice))
	c.CreateGroup("Empty")
	c.CreateGroup("Mixed", eng, sales, frank)
	c.CreateGroup("Bobs", bob)
	runFilters(t, c, "/Groups", []filterCase{
		// ne: no member equals; groups without members match.
		{`members.value ne "` + bob + `"`, []string{"Sales", "Empty", "Mixed"}},
		{`members ne "` + bob + `"`, []string{"Sales", "Empty", "Mixed"}},
		{`not (members.value eq "` + bob + `")`, []string{"Sales", "Empty", "Mixed"}},
		{`members.display ne "BOB"`, []string{"Sales", "Empty", "Mixed"}},
		{`members[value ne "` + bob + `"]`, []string{"Engineering", "Sales", "Mixed"}},
		// display is caseExact false: Engineering, Sales and frank are not before "c".
		{`members.display lt "c"`, []string{"Engineering", "Sales", "Bobs"}},
		{`members[display lt "c"]`, []string{"Engineering", "Sales", "Bobs"}},
		{`members[display ge "C"]`, []string{"Mixed"}},
		{`members[display gt "ALICE" and type eq "User"]`, []string{"Engineering", "Mixed", "Bobs"}},
		{`not (members[display lt "c"])`, []string{"Empty", "Mixed"}},
	})
	runFilters(t, c, "/Users", []filterCase{
		{`groups.value ne "` + eng + `"`, []string{"frank", "loner"}},
		{`groups ne "` + sales + `"`, []string{"Bob", "frank", "loner"}},
		{`groups.display ne "engineering"`, []string{"frank", "loner"}},
		{`groups.value eq "` + sales + `"`, []string{"alice"}},
		{`groups.value eq "` + eng + `" and not (groups.value eq "` + sales + `")`, []string{"Bob"}},
	})
}

// TestRootSearchSortedAcrossTypes: POST /.search with sortBy is one order over Users
// and Groups, paged as one list.
func TestRootSearchSortedAcrossTypes(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	bravo := idOf(t, c.CreateUser("u-bravo", map[string]any{"displayName": "Bravo"}))
	c.CreateUser("u-delta", map[string]any{"displayName": "delta"})
	c.CreateUser("u-none", nil)
	c.CreateGroup("alpha", bravo)
	c.CreateGroup("Charlie")
	ascending := []string{"alpha", "u-bravo", "Charlie", "u-delta", "u-none"}
	for _, tc := range []struct {
		start, count int
		order        string
		want         []string
	}{
		{1, 10, "ascending", ascending},
		{1, 10, "descending", []string{"u-none", "u-delta", "Charlie", "u-bravo", "alpha"}},
		{2, 2, "ascending", ascending[1:3]},
		{4, 2, "ascending", ascending[3:5]},
		{5, 3, "ascending", ascending[4:]},
		{6, 3, "ascending", nil},
		{3, 0, "ascending", nil},
	} {
		list := postSearch(t, c, "/.search", map[string]any{"sortBy": "displayName", "sortOrder": tc.order, "startIndex": tc.start, "count": tc.count})
		wantNames(t, "POST /.search "+tc.order, namesOf(t, list), tc.want...)
		if list["totalResults"] != float64(5) || list["startIndex"] != float64(tc.start) || list["itemsPerPage"] != float64(len(tc.want)) {
			t.Fatalf("start %d count %d: totalResults %v startIndex %v itemsPerPage %v, want 5 %d %d",
				tc.start, tc.count, list["totalResults"], list["startIndex"], list["itemsPerPage"], tc.start, len(tc.want))
		}
		for _, r := range resourcesOf(t, list) {
			// The computed attributes are loaded for the page.
			if nameOf(r) == "alpha" && len(arr(r, "members")) != 1 || nameOf(r) == "u-bravo" && len(arr(r, "groups")) != 1 {
				t.Fatalf("%s lacks its members or groups: %v", nameOf(r), r)
			}
		}
	}
	list := postSearch(t, c, "/.search", map[string]any{"filter": "displayName pr", "sortBy": "displayName", "count": 10})
	wantNames(t, "filtered", namesOf(t, list), "alpha", "u-bravo", "Charlie", "u-delta")
	list = postSearch(t, c, "/.search", map[string]any{"sortBy": "displayName", "startIndex": int64(math.MaxInt64), "count": 10})
	wantNames(t, "past the end", namesOf(t, list))
}

func TestMethodNotAllowedAndMe(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{})
	c := srv.Client()
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodDelete, "/Users", "GET, POST"},
		{http.MethodPost, "/Users/some-id", "GET, PUT, PATCH, DELETE"},
		{http.MethodPut, "/ServiceProviderConfig", "GET"},
		{http.MethodGet, "/.search", "POST"},
	} {
		r := c.Do(tc.method, tc.path, nil)
		scimtest.ExpectError(t, r, http.StatusMethodNotAllowed, "", tc.allow)
		if got := r.Header.Get("Allow"); got != tc.allow {
			t.Fatalf("%s %s: Allow = %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		scimtest.ExpectError(t, c.Do(method, "/Me", nil), http.StatusNotImplemented, "", "/Me")
		scimtest.ExpectError(t, c.Do(method, "/me/", nil), http.StatusNotImplemented, "", "/Me")
	}
	anonymous := srv.As("")
	if r := anonymous.Do(http.MethodGet, "/Me", nil); r.Status != http.StatusUnauthorized || strings.Contains(string(r.Body), "/Me") {
		t.Fatalf("/Me without a token: %s", r)
	}
}
