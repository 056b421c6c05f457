package scim_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/scimhq/scimhq/scim/scimtest"
)

const searchURN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

// searchRequest is a SearchRequest body with the given members.
func searchRequest(members map[string]any) map[string]any {
	b := map[string]any{"schemas": []string{searchURN}}
	for k, v := range members {
		b[k] = v
	}
	return b
}

// asQuery turns SearchRequest members into the query parameters of the same GET.
func asQuery(members map[string]any) []string {
	var params []string
	for k, v := range members {
		switch x := v.(type) {
		case []string:
			params = append(params, k, strings.Join(x, ","))
		default:
			params = append(params, k, fmt.Sprint(x))
		}
	}
	return params
}

// postSearch POSTs a SearchRequest, requiring 200, and returns the ListResponse.
func postSearch(t testing.TB, c *scimtest.Client, endpoint string, members map[string]any) map[string]any {
	t.Helper()
	r := c.Do(http.MethodPost, endpoint, searchRequest(members))
	if r.Status != http.StatusOK {
		t.Fatalf("want status 200: %s", r)
	}
	return r.JSON(t)
}

// TestSearchEqualsGet: POST /{endpoint}/.search answers exactly as the GET with the
// same parameters (RFC 7644 §3.4.3).
func TestSearchEqualsGet(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cases := []struct {
		endpoint string
		members  map[string]any
		want     []string // names in order; nil: not checked beyond equality with the GET
	}{
		{"/Users", map[string]any{}, nil},
		{"/Users", map[string]any{"filter": "active eq true", "sortBy": "userName", "sortOrder": "descending", "startIndex": 2, "count": 2},
			[]string{"frank", "Eve"}},
		{"/Users", map[string]any{"filter": pagedValueFilter, "sortBy": "userName", "attributes": []string{"userName", "name.givenName"}},
			[]string{"alice", "Eve", "Grace", "heidi"}},
		{"/Users", map[string]any{"sortBy": "emails.value", "excludedAttributes": []string{"emails", "meta"}, "count": 3},
			[]string{"alice", "Bob", "carol"}},
		{"/Users", map[string]any{"cursor": "", "sortBy": "userName", "count": 3}, []string{"alice", "Bob", "carol"}},
		{"/Groups", map[string]any{"filter": `members.value eq "` + f.ids["Bob"] + `"`, "excludedAttributes": []string{"members"}},
			[]string{"Engineering"}},
		{"/Groups", map[string]any{"sortBy": "displayName", "startIndex": 2, "count": 2, "attributes": []string{"displayName"}},
			[]string{"Empty", "Engineering"}},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprint(tc.endpoint, i), func(t *testing.T) {
			post := postSearch(t, f.c, tc.endpoint+"/.search", tc.members)
			get := okJSON(t, f.c, urlWith(tc.endpoint, asQuery(tc.members)...))
			if !reflect.DeepEqual(post, get) {
				t.Fatalf("POST .search differs from GET:\nPOST %v\nGET  %v", post, get)
			}
			if tc.want != nil {
				wantNames(t, "POST .search", namesOf(t, post), tc.want...)
			}
		})
	}
	// A cursor from one .search page leads to the next one.
	first := postSearch(t, f.c, "/Users/.search", map[string]any{"cursor": "", "sortBy": "userName", "count": 3})
	next := postSearch(t, f.c, "/Users/.search", map[string]any{"cursor": first["nextCursor"], "sortBy": "userName", "count": 3})
	wantNames(t, "second .search cursor page", namesOf(t, next), "dave", "Eve", "frank")
}

func TestSearchRequestErrors(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	c.CreateUser("alice", nil)
	cases := []struct {
		name     string
		body     any
		scimType string
		detail   string
	}{
		{"no schemas", map[string]any{"filter": `userName eq "alice"`}, "invalidSyntax", searchURN},
		{"another schema", map[string]any{"schemas": []string{userURN}}, "invalidSyntax", searchURN},
		{"unknown member", searchRequest(map[string]any{"filtre": `userName eq "alice"`}), "invalidSyntax", "filtre"},
		{"count not a number", searchRequest(map[string]any{"count": "x"}), "invalidValue", "count"},
		{"startIndex not an integer", searchRequest(map[string]any{"startIndex": 1.5}), "invalidValue", "startIndex"},
		{"filter not a string", searchRequest(map[string]any{"filter": 5}), "invalidValue", "filter"},
		{"attributes not a list", searchRequest(map[string]any{"attributes": "userName"}), "invalidValue", "attributes"},
		{"attributes not strings", searchRequest(map[string]any{"excludedAttributes": []any{1}}), "invalidValue", "excludedAttributes"},
		{"both projections", searchRequest(map[string]any{"attributes": []string{"userName"}, "excludedAttributes": []string{"emails"}}), "invalidValue", "excludedAttributes"},
		{"bad filter", searchRequest(map[string]any{"filter": `userName eq`}), "invalidFilter", "syntax"},
		{"bad sortOrder", searchRequest(map[string]any{"sortOrder": "up"}), "invalidValue", "up"},
		{"not JSON", `{"schemas": [`, "invalidSyntax", "JSON"},
	}
	for _, tc := range cases {
		for _, endpoint := range []string{"/Users/.search", "/.search"} {
			t.Run(tc.name+" "+endpoint, func(t *testing.T) {
				scimtest.ExpectError(t, c.Do(http.MethodPost, endpoint, tc.body), http.StatusBadRequest, tc.scimType, tc.detail)
			})
		}
	}
	// Cursor paging is per resource type.
	scimtest.ExpectError(t, c.Do(http.MethodPost, "/.search", searchRequest(map[string]any{"cursor": ""})), http.StatusBadRequest, "invalidValue", "cursor")
}

// TestRootSearch: POST /.search queries Users and Groups together (RFC 7644 §3.4.3).
// Resources come Users first, then Groups, and are paged as one list.
func TestRootSearch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	groups := namesOf(t, okJSON(t, f.c, "/Groups")) // the default order
	everyone := append(namesOf(t, okJSON(t, f.c, "/Users")), groups...)

	all := postSearch(t, f.c, "/.search", nil)
	wantNames(t, "everything", namesOf(t, all), everyone...)
	if all["totalResults"] != float64(len(allUsers)+len(groups)) {
		t.Fatalf("totalResults %v, want %d", all["totalResults"], len(allUsers)+len(groups))
	}
	for _, r := range resourcesOf(t, all) {
		typ, urn := "User", userURN
		if _, ok := r["userName"]; !ok {
			typ, urn = "Group", groupURN
		}
		if s := arr(r, "schemas"); len(s) == 0 || s[0] != urn || obj(r, "meta")["resourceType"] != typ {
			t.Fatalf("resource %s: schemas %v, meta.resourceType %v; want %s, %s", nameOf(r), s, obj(r, "meta")["resourceType"], urn, typ)
		}
	}

	for _, tc := range []filterCase{
		// An attribute only one type has: no error, the other type matches nothing.
		{`userName sw "a"`, []string{"alice"}},
		{`displayName sw "eng"`, []string{"Engineering"}},
		{`userName sw "a" or displayName eq "sales"`, []string{"alice", "Sales"}},
		{`meta.resourceType eq "Group"`, groups},
		// "ne" holds where there is no value (as for title ne "x" on /Users), and
		// RFC 7644 §3.4.2.1 treats an attribute a type lacks as having no value.
		{`userName ne "nobody"`, everyone},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			wantSet(t, tc.filter, postSearch(t, f.c, "/.search", map[string]any{"filter": tc.filter}), tc.want...)
		})
	}

	// Pages across the boundary between Users and Groups.
	ordered := append(append([]string{}, allUsers...), groups...)
	for _, w := range []struct{ start, count int }{
		{1, 3}, {7, 4}, {8, 1}, {9, 2}, {11, 5}, {6, 100}, {13, 2}, {20, 5}, {3, 0},
	} {
		t.Run(fmt.Sprintf("startIndex=%d count=%d", w.start, w.count), func(t *testing.T) {
			list := postSearch(t, f.c, "/.search", map[string]any{"sortBy": "userName", "startIndex": w.start, "count": w.count})
			from := min(w.start-1, len(ordered))
			want := ordered[from:min(from+w.count, len(ordered))]
			wantNames(t, "window", namesOf(t, list), want...)
			if intField(t, list, "totalResults") != len(ordered) || intField(t, list, "startIndex") != w.start || intField(t, list, "itemsPerPage") != len(want) {
				t.Fatalf("totalResults %v, startIndex %v, itemsPerPage %v; want %d, %d, %d",
					list["totalResults"], list["startIndex"], list["itemsPerPage"], len(ordered), w.start, len(want))
			}
		})
	}

	// A projection applies to each type as far as it has the attributes.
	for _, r := range resourcesOf(t, postSearch(t, f.c, "/.search", map[string]any{"attributes": []string{"userName"}, "filter": `userName eq "bob"`})) {
		wantKeys(t, "root search with attributes=userName", r, "id", "schemas", "userName")
	}
}
