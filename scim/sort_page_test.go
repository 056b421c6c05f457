package scim_test

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimhq/scimhq/scim/scimtest"
)

// intField returns an integer member of a ListResponse, failing unless it is one.
func intField(t testing.TB, list map[string]any, key string) int {
	t.Helper()
	f, ok := list[key].(float64)
	if !ok || f != math.Trunc(f) {
		t.Fatalf("%s = %v is not an integer: %v", key, list[key], list)
	}
	return int(f)
}

// lowerAt returns the lower-cased string at a path of a resource ("" when absent).
func lowerAt(r map[string]any, attr, sub string) string {
	v := r[attr]
	if sub != "" {
		m, _ := v.(map[string]any)
		v = m[sub]
	}
	s, _ := v.(string)
	return strings.ToLower(s)
}

// createdKey is meta.created in a fixed-width form that sorts chronologically.
func createdKey(t testing.TB, r map[string]any) string {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, fmt.Sprint(obj(r, "meta")["created"]))
	if err != nil {
		t.Fatalf("meta.created of %s: %v", nameOf(r), err)
	}
	return ts.UTC().Format("2006-01-02T15:04:05.000000000")
}

// pagedValueFilter matches alice, Eve, Grace and heidi; Bob has a work email and an
// "example" one but not both in one, so on the embedded engine he is a candidate that
// the in-memory check drops. (frank is left out so that these paging tests do not
// depend on the case-insensitive matching of his upper-case address, which
// TestFilterValuePaths checks.)
const pagedValueFilter = `emails[type eq "work" and value co "example"] and userName ne "frank"`

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func TestSortBy(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	familyAsc := []string{"adams", "brown", "jones", "jones", "smith", "smith", "zimmer", ""}
	deptAsc := []string{"engineering", "engineering", "sales", "sales", "", "", "", ""}
	var created []string
	for _, r := range resourcesOf(t, okJSON(t, f.c, "/Users")) {
		created = append(created, createdKey(t, r))
	}
	slices.Sort(created)
	byName := func(r map[string]any) string { return nameOf(r) }
	cases := []struct {
		sortBy, order string
		key           func(map[string]any) string
		want          []string
	}{
		// userName is case-insensitive, so is its order.
		{"userName", "", byName, allUsers},
		{"userName", "ascending", byName, allUsers},
		{"USERNAME", "descending", byName, reversed(allUsers)},
		// Resources without a value come last ascending, first descending.
		{"name.familyName", "", func(r map[string]any) string { return lowerAt(r, "name", "familyName") }, familyAsc},
		{"name.familyName", "descending", func(r map[string]any) string { return lowerAt(r, "name", "familyName") }, reversed(familyAsc)},
		{enterpriseURN + ":department", "", func(r map[string]any) string { return lowerAt(r, enterpriseURN, "department") }, deptAsc},
		// A multi-valued attribute sorts by its primary value, else its first: Grace by
		// grace@example.com, not aaa-grace@example.net.
		{"emails.value", "", byName, []string{"alice", "Bob", "carol", "Eve", "frank", "Grace", "heidi", "dave"}},
		{"emails.value", "descending", byName, []string{"dave", "heidi", "Grace", "frank", "Eve", "carol", "Bob", "alice"}},
		{"meta.created", "", func(r map[string]any) string { return createdKey(t, r) }, created},
		{"meta.created", "descending", func(r map[string]any) string { return createdKey(t, r) }, reversed(created)},
	}
	for _, tc := range cases {
		t.Run(tc.sortBy+" "+tc.order, func(t *testing.T) {
			params := []string{"sortBy", tc.sortBy}
			if tc.order != "" {
				params = append(params, "sortOrder", tc.order)
			}
			var got []string
			for _, r := range resourcesOf(t, okJSON(t, f.c, urlWith("/Users", params...))) {
				got = append(got, tc.key(r))
			}
			wantNames(t, "sortBy="+tc.sortBy, got, tc.want...)
		})
	}

	errs := []struct {
		params   []string
		scimType string
		detail   string
	}{
		{[]string{"sortBy", "nosuch"}, "invalidValue", "nosuch"},
		{[]string{"sortBy", "name.nosuch"}, "invalidValue", "nosuch"},
		{[]string{"sortBy", "emails"}, "invalidValue", "emails"},
		{[]string{"sortBy", "userName", "sortOrder", "sideways"}, "invalidValue", "sideways"},
	}
	for _, e := range errs {
		scimtest.ExpectError(t, f.c.Do(http.MethodGet, urlWith("/Users", e.params...), nil), http.StatusBadRequest, e.scimType, e.detail)
	}
}

// collectPages pages through /Users with count=2, by index or by cursor, and returns
// the ids in the order seen.
func collectPages(t *testing.T, c *scimtest.Client, cursor bool, params ...string) []string {
	t.Helper()
	var ids []string
	next := ""
	for start := 1; ; start += 2 {
		p := append([]string{"count", "2"}, params...)
		if cursor {
			p = append(p, "cursor", next)
		} else {
			p = append(p, "startIndex", fmt.Sprint(start))
		}
		list := okJSON(t, c, urlWith("/Users", p...))
		page := resourcesOf(t, list)
		for _, r := range page {
			ids = append(ids, idOf(t, r))
		}
		next, _ = list["nextCursor"].(string)
		if (cursor && next == "") || (!cursor && len(page) < 2) || len(ids) > 100 {
			return ids
		}
	}
}

// TestSortTiesArePaged: users that tie on the sort key keep one order across pages,
// so paging neither repeats nor skips any of them.
func TestSortTiesArePaged(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	want := map[string]bool{}
	for i := range 9 {
		family := "Same"
		if i%4 == 3 {
			family = "Other"
		}
		want[idOf(t, c.CreateUser(fmt.Sprintf("tie%d", i), map[string]any{"name": map[string]any{"familyName": family}}))] = true
	}
	for _, order := range []string{"ascending", "descending"} {
		for _, cursor := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s cursor=%v", order, cursor), func(t *testing.T) {
				params := []string{"sortBy", "name.familyName", "sortOrder", order}
				var whole []string
				for _, r := range resourcesOf(t, okJSON(t, c, urlWith("/Users", params...))) {
					whole = append(whole, idOf(t, r))
				}
				paged := collectPages(t, c, cursor, params...)
				if !slices.Equal(paged, whole) || len(paged) != len(want) {
					t.Fatalf("pages of 2 listed %v, want every one of %d users once, as in one page: %v", paged, len(want), whole)
				}
			})
		}
	}
}

func TestIndexPaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cases := []struct {
		name      string
		params    []string
		total     int
		wantStart int
		want      []string
	}{
		{"first page", []string{"startIndex", "1", "count", "3"}, 8, 1, allUsers[:3]},
		{"middle page", []string{"startIndex", "4", "count", "3"}, 8, 4, allUsers[3:6]},
		{"last partial page", []string{"startIndex", "7", "count", "3"}, 8, 7, allUsers[6:]},
		{"past the end", []string{"startIndex", "9", "count", "3"}, 8, 9, nil},
		{"far past the end", []string{"startIndex", "1000"}, 8, 1000, nil},
		{"count=0: only totalResults", []string{"count", "0"}, 8, 1, nil},
		{"startIndex=0 means 1", []string{"startIndex", "0", "count", "2"}, 8, 1, allUsers[:2]},
		{"negative startIndex means 1", []string{"startIndex", "-5", "count", "2"}, 8, 1, allUsers[:2]},
		// The maximum (1000) is enforced by TestPageSizeCap; a larger count is clamped, not an error.
		{"count above the maximum", []string{"count", "5000"}, 8, 1, allUsers},
		{"filtered", []string{"filter", "active eq true", "startIndex", "2", "count", "2"}, 5, 2, []string{"Bob", "Eve"}},
		{"filtered last page", []string{"filter", "active eq true", "startIndex", "5", "count", "2"}, 5, 5, []string{"heidi"}},
		{"value filter", []string{"filter", pagedValueFilter, "startIndex", "2", "count", "2"}, 4, 2, []string{"Eve", "Grace"}},
		{"value filter past the end", []string{"filter", pagedValueFilter, "startIndex", "5"}, 4, 5, nil},
		{"value filter count=0", []string{"filter", pagedValueFilter, "count", "0"}, 4, 1, nil},
		{"descending", []string{"sortOrder", "descending", "startIndex", "2", "count", "3"}, 8, 2, []string{"Grace", "frank", "Eve"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			list := okJSON(t, f.c, urlWith("/Users", append([]string{"sortBy", "userName"}, tc.params...)...))
			wantNames(t, tc.name, namesOf(t, list), tc.want...)
			if total, per, start := intField(t, list, "totalResults"), intField(t, list, "itemsPerPage"), intField(t, list, "startIndex"); total != tc.total || per != len(tc.want) || start != tc.wantStart {
				t.Fatalf("totalResults %d, itemsPerPage %d, startIndex %d; want %d, %d, %d", total, per, start, tc.total, len(tc.want), tc.wantStart)
			}
		})
	}
}

// cursorPage is one page of cursor paging (RFC 9865).
type cursorPage struct {
	names          []string
	next, previous string
	total          int
}

// getCursorPage GETs a cursor page and checks what every cursor page must have: no
// startIndex, an itemsPerPage that counts the Resources.
func getCursorPage(t testing.TB, c *scimtest.Client, p string) cursorPage {
	t.Helper()
	list := okJSON(t, c, p)
	if _, ok := list["startIndex"]; ok {
		t.Fatalf("%s: a cursor page has a startIndex: %v", p, list)
	}
	pg := cursorPage{names: namesOf(t, list), total: intField(t, list, "totalResults")}
	if intField(t, list, "itemsPerPage") != len(pg.names) {
		t.Fatalf("%s: itemsPerPage does not count the Resources: %v", p, list)
	}
	for key, into := range map[string]*string{"nextCursor": &pg.next, "previousCursor": &pg.previous} {
		if v, ok := list[key]; ok {
			if s, _ := v.(string); s == "" {
				t.Fatalf("%s: %s = %v is not a non-empty string", p, key, v)
			}
			*into = v.(string)
		}
	}
	return pg
}

// walkCursor follows nextCursor from the first page to the last and returns the pages.
func walkCursor(t testing.TB, c *scimtest.Client, params ...string) []cursorPage {
	t.Helper()
	var pages []cursorPage
	cursor := ""
	for len(pages) < 50 {
		pg := getCursorPage(t, c, urlWith("/Users", append(params, "cursor", cursor)...))
		if len(pages) == 0 && pg.previous != "" {
			t.Fatalf("the first page has a previousCursor")
		}
		pages = append(pages, pg)
		if pg.next == "" {
			return pages
		}
		cursor = pg.next
	}
	t.Fatalf("more than 50 pages: %v", pages)
	return nil
}

func flatten(pages []cursorPage) []string {
	var out []string
	for _, p := range pages {
		out = append(out, p.names...)
	}
	return out
}

func TestCursorPaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.c
	byUserName := []string{"sortBy", "userName", "count", "3"}

	// An empty cursor asks for the first page.
	pages := walkCursor(t, c, byUserName...)
	if len(pages) != 3 {
		t.Fatalf("8 users in pages of 3: want 3 pages, got %v", pages)
	}
	wantNames(t, "cursor pages by userName", flatten(pages), allUsers...)
	for _, p := range pages {
		if p.total != 8 {
			t.Fatalf("totalResults %d, want 8: %v", p.total, p)
		}
	}
	// previousCursor leads back one page, and that page links forward again.
	for i := 1; i < len(pages); i++ {
		if pages[i].previous == "" {
			t.Fatalf("page %d has no previousCursor", i+1)
		}
		back := getCursorPage(t, c, urlWith("/Users", append(byUserName, "cursor", pages[i].previous)...))
		wantNames(t, fmt.Sprintf("previousCursor of page %d", i+1), back.names, pages[i-1].names...)
		if (i == 1) != (back.previous == "") || back.next == "" {
			t.Fatalf("page %d reached backwards: previousCursor %q, nextCursor %q", i, back.previous, back.next)
		}
		fwd := getCursorPage(t, c, urlWith("/Users", append(byUserName, "cursor", back.next)...))
		wantNames(t, "forward again", fwd.names, pages[i].names...)
	}

	// Other orders, the default one and a filter visit every match once.
	var created []string
	for _, r := range resourcesOf(t, okJSON(t, c, "/Users")) {
		created = append(created, nameOf(r))
	}
	for _, tc := range []struct {
		params []string
		want   []string
	}{
		{[]string{"sortBy", "userName", "sortOrder", "descending", "count", "3"}, reversed(allUsers)},
		{[]string{"count", "3"}, created},
		{[]string{"sortBy", "name.familyName", "filter", "active eq true", "count", "2"}, []string{"Eve", "Bob", "heidi", "alice", "frank"}},
		{[]string{"sortBy", "name.familyName", "filter", "active eq true", "count", "2", "sortOrder", "descending"}, []string{"frank", "alice", "heidi", "Bob", "Eve"}},
		// A value filter, answered in memory on the embedded engine.
		{[]string{"sortBy", "userName", "filter", pagedValueFilter, "count", "1"}, []string{"alice", "Eve", "Grace", "heidi"}},
	} {
		got := flatten(walkCursor(t, c, tc.params...))
		if tc.params[1] == "name.familyName" {
			// Bob and heidi are both Joneses: their order is the tie-break's.
			slices.Sort(got)
			tc.want = slices.Sorted(slices.Values(tc.want))
		}
		wantNames(t, fmt.Sprint(tc.params), got, tc.want...)
	}
}

func TestCursorErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// "?cursor" with no value asks for the first page.
	first := getCursorPage(t, f.c, "/Users?cursor&count=3&sortBy=userName")
	wantNames(t, "?cursor&count=3", first.names, "alice", "Bob", "carol")
	if first.next == "" || first.previous != "" {
		t.Fatalf("first page: nextCursor %q, previousCursor %q", first.next, first.previous)
	}
	cases := []struct {
		name     string
		params   []string
		scimType string
		detail   string
	}{
		{"garbage", []string{"sortBy", "userName", "count", "3", "cursor", "not-a-cursor"}, "invalidCursor", "cursor"},
		{"another filter", []string{"sortBy", "userName", "count", "3", "cursor", first.next, "filter", "active eq true"}, "invalidCursor", "cursor"},
		{"another sortBy", []string{"sortBy", "name.familyName", "count", "3", "cursor", first.next}, "invalidCursor", "cursor"},
		{"another sortOrder", []string{"sortBy", "userName", "sortOrder", "descending", "count", "3", "cursor", first.next}, "invalidCursor", "cursor"},
		{"with startIndex", []string{"sortBy", "userName", "startIndex", "1", "cursor", ""}, "invalidValue", "startIndex"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			scimtest.ExpectError(t, f.c.Do(http.MethodGet, urlWith("/Users", tc.params...), nil), http.StatusBadRequest, tc.scimType, tc.detail)
		})
	}
	// Another tenant cannot use the cursor either.
	other := f.srv.As(f.srv.NewToken("other"))
	scimtest.ExpectError(t, other.Do(http.MethodGet, urlWith("/Users", "sortBy", "userName", "count", "3", "cursor", first.next), nil),
		http.StatusBadRequest, "invalidCursor")
}

// TestCursorStability changes the data between page requests: a visited user is
// deleted (the one the cursor points from) and a user is created after the position.
// No user repeats, none is skipped, and the new one appears.
func TestCursorStability(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	params := []string{"sortBy", "userName", "count", "3"}
	first := getCursorPage(t, f.c, urlWith("/Users", append(params, "cursor", "")...))
	wantNames(t, "first page", first.names, "alice", "Bob", "carol")

	f.c.Must(http.StatusNoContent, http.MethodDelete, "/Users/"+f.ids["carol"], nil)
	f.c.Must(http.StatusNoContent, http.MethodDelete, "/Users/"+f.ids["Bob"], nil)
	f.c.CreateUser("zed", nil)
	f.c.CreateUser("aaron", nil) // before the position: not seen by this walk

	seen := slices.Clone(first.names)
	next := first.next
	for next != "" {
		pg := getCursorPage(t, f.c, urlWith("/Users", append(params, "cursor", next)...))
		seen = append(seen, pg.names...)
		next = pg.next
		if len(seen) > 20 {
			t.Fatalf("the walk does not end: %v", seen)
		}
	}
	wantNames(t, "pages across changes", seen, "alice", "Bob", "carol", "dave", "Eve", "frank", "Grace", "heidi", "zed")
}
