package conformance

import (
	"fmt"
	"net/http"
	"slices"
)

func init() {
	register(
		Case{Suite: "rfc", Name: "filters: every comparison operator", Source: "RFC 7644 §3.4.2.2 (Table 3)", Needs: []Feature{FeatureFilter},
			Run: func(t *T) {
				a, _ := t.createUser("ops-a", map[string]any{"title": "aaa"})
				b, _ := t.createUser("ops-b", map[string]any{"title": "bbb"})
				c, _ := t.createUser("ops-c", nil)
				scope := `userName sw "` + t.Name("ops") + `" and `
				created := t.Do(http.MethodGet, "/Users/"+a, nil).JSON()
				when, _ := obj(created, "meta")["created"].(string)
				for _, tc := range []struct {
					filter string
					want   []string
				}{
					{`title eq "AAA"`, []string{a}},
					{`title ne "aaa"`, []string{b, c}},
					{`title co "b"`, []string{b}},
					{`title sw "a"`, []string{a}},
					{`title ew "bb"`, []string{b}},
					{`title gt "aaa"`, []string{b}},
					{`title ge "aaa"`, []string{a, b}},
					{`title lt "bbb"`, []string{a}},
					{`title le "bbb"`, []string{a, b}},
					{`title pr`, []string{a, b}},
					{`meta.created ge "` + when + `"`, []string{a, b, c}},
					{`meta.created lt "2000-01-01T00:00:00Z"`, nil},
				} {
					got := ids(t.list(filterPath("/Users", scope+"("+tc.filter+")")))
					slices.Sort(got)
					want := slices.Clone(tc.want)
					slices.Sort(want)
					t.Check(slices.Equal(got, want), "filter %s: got %v, want %v", tc.filter, got, want)
				}
				t.scimError(t.Do(http.MethodGet, filterPath("/Users", `active gt true`), nil), http.StatusBadRequest, "invalidFilter")
			}},
		Case{Suite: "rfc", Name: "paging: count above the maximum returns at most the maximum", Source: "RFC 7644 §3.4.2.4; RFC 7643 §5 (filter.maxResults)",
			Run: func(t *T) {
				if t.caps.MaxResults <= 0 {
					t.Skipf("the server does not advertise filter.maxResults")
				}
				m := t.list(fmt.Sprintf("/Users?count=%d", t.caps.MaxResults+1))
				t.Check(len(ids(m)) <= t.caps.MaxResults, "count above maxResults (%d) returned %d resources", t.caps.MaxResults, len(ids(m)))
			}},
		Case{Suite: "rfc", Name: "users: the password is written, never returned", Source: "RFC 7643 §4.1.1 (password: writeOnly, returned never)",
			Run: func(t *T) {
				id, u := t.createUser("password", map[string]any{"password": "Corr3ct horse battery"})
				t.Check(u["password"] == nil, "POST returned the password")
				for _, path := range []string{"/Users/" + id, "/Users/" + id + "?attributes=password"} {
					t.Check(t.Do(http.MethodGet, path, nil).JSON()["password"] == nil, "GET %s returned the password", path)
				}
			}},
		Case{Suite: "rfc", Name: "groups: replace and delete", Source: "RFC 7644 §3.5.1, §3.6",
			Run: func(t *T) {
				u1, _ := t.createUser("g-member-1", nil)
				u2, _ := t.createUser("g-member-2", nil)
				gid, g := t.createGroup("replace", u1)
				body := group(g["displayName"].(string)+"-renamed", u2)
				r := t.Do(http.MethodPut, "/Groups/"+gid, body)
				t.Status(r, http.StatusOK)
				members := arr(r.JSON(), "members")
				t.Check(r.JSON()["displayName"] == body["displayName"] && len(members) == 1 && members[0].(map[string]any)["value"] == u2,
					"PUT must replace the name and the members: %v", r.JSON())
				t.Status(t.Do(http.MethodDelete, "/Groups/"+gid, nil), http.StatusNoContent)
				t.scimError(t.Do(http.MethodGet, "/Groups/"+gid, nil), http.StatusNotFound, "")
			}},
		Case{Suite: "rfc", Name: "patch: errors leave the resource unchanged", Source: "RFC 7644 §3.5.2, §3.12 (mutability, invalidPath, noTarget)", Needs: []Feature{FeaturePatch},
			Run: func(t *T) {
				id, _ := t.createUser("patch-errors", map[string]any{"title": "Kept"})
				before := t.Do(http.MethodGet, "/Users/"+id, nil).Body
				t.scimError(t.Do(http.MethodPatch, "/Users/"+id, patch(op("replace", "id", "other"))), http.StatusBadRequest, "mutability")
				r := t.Do(http.MethodPatch, "/Users/"+id, patch(op("replace", "title", "Changed"), op("replace", "nosuchattribute", "x")))
				t.Check(r.Status == http.StatusBadRequest, "a PATCH with an unknown path must be 400, got %d", r.Status)
				after := t.Do(http.MethodGet, "/Users/"+id, nil).Body
				t.Check(string(before) == string(after), "a failed PATCH changed the user (operations apply all or none)")
			}},
		Case{Suite: "rfc", Name: "bulk: failOnErrors stops processing", Source: "RFC 7644 §3.7.3", Needs: []Feature{FeatureBulk},
			Run: func(t *T) {
				_, u := t.createUser("bulk-taken", nil)
				taken := u["userName"].(string)
				post := func(bulkID, userName string) map[string]any {
					return map[string]any{"method": "POST", "path": "/Users", "bulkId": bulkID, "data": user(userName, nil)}
				}
				r := t.Do(http.MethodPost, "/Bulk", map[string]any{"schemas": []any{bulkURN}, "failOnErrors": 1, "Operations": []any{
					post("dup", taken), post("never", t.Name("bulk-never")+"@example.com"),
				}})
				t.Status(r, http.StatusOK)
				results := arr(r.JSON(), "Operations")
				t.Check(len(results) == 1 && results[0].(map[string]any)["status"] == "409", "failOnErrors=1 must stop after the first error: %v", results)
				m := t.list(filterPath("/Users", `userName eq "`+t.Name("bulk-never")+`@example.com"`))
				for _, id := range ids(m) {
					t.created = append(t.created, "/Users/"+id)
				}
				t.Check(m["totalResults"] == float64(0), "an operation after failOnErrors was reached ran")
			}},
		Case{Suite: "rfc", Name: "paging: cursors visit every result once", Source: "RFC 9865 §2", Needs: []Feature{FeatureFilter, FeatureCursor},
			Run: func(t *T) {
				var want []string
				for i := range 5 {
					id, _ := t.createUser(fmt.Sprintf("cursor-%d", i), nil)
					want = append(want, id)
				}
				path := filterPath("/Users", `userName sw "`+t.Name("cursor")+`"`, "count", "2", "cursor", "")
				var seen []string
				for pages := 0; path != ""; pages++ {
					t.Check(pages < 10, "the cursors do not end")
					m := t.list(path)
					seen = append(seen, ids(m)...)
					next, _ := m["nextCursor"].(string)
					path = ""
					if next != "" {
						path = filterPath("/Users", `userName sw "`+t.Name("cursor")+`"`, "count", "2", "cursor", next)
					}
				}
				slices.Sort(seen)
				slices.Sort(want)
				t.Check(slices.Equal(seen, want), "the cursor pages listed %v, want each of %v once", seen, want)
				t.scimError(t.Do(http.MethodGet, "/Users?cursor=not-a-cursor&count=2", nil), http.StatusBadRequest, "invalidCursor")
			}},
	)
}
