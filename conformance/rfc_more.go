package conformance

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
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
			Needs: []Feature{FeatureMaxResults},
			Run: func(t *T) {
				m := t.list(fmt.Sprintf("/Users?count=%d", t.caps.MaxResults+1))
				t.Check(len(ids(m)) <= t.caps.MaxResults, "count above maxResults (%d) returned %d resources", t.caps.MaxResults, len(ids(m)))
			}},
		Case{Suite: "rfc", Name: "users: the password is written, never returned", Source: "RFC 7643 §4.1.1 (password: writeOnly, returned never)",
			Run: func(t *T) {
				const pw = "Corr3ct horse battery"
				r := t.Do(http.MethodPost, "/Users", user(t.Name("password")+"@example.com", map[string]any{"password": pw}))
				t.Status(r, http.StatusCreated)
				t.noPassword(r, pw)
				t.readsNoPassword(idOf(r), pw)
			}},
		Case{Suite: "rfc", Name: "users: changePassword: PATCH and PUT set the password, never return it",
			Source: "RFC 7643 §5 (changePassword), §4.1.1 (password: writeOnly, returned never); RFC 7644 §3.5.1, §3.5.2",
			Needs:  []Feature{FeatureChangePassword, FeaturePatch},
			Run: func(t *T) {
				id, u := t.createUser("change-password", map[string]any{"password": "0ld pa55word"})
				const patched, put = "Patch3d pa55word", "Put pa55word 3"
				r := t.Do(http.MethodPatch, "/Users/"+id, patch(op("replace", "password", patched)))
				t.Check(r.Status == http.StatusOK || r.Status == http.StatusNoContent, "a PATCH of the password must be accepted with 200 or 204, got %d", r.Status)
				t.noPassword(r, patched)
				t.readsNoPassword(id, patched)
				r = t.Do(http.MethodPut, "/Users/"+id, user(u["userName"].(string), map[string]any{"password": put}))
				t.Status(r, http.StatusOK)
				t.noPassword(r, put)
				t.readsNoPassword(id, put)
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
		Case{Suite: "rfc", Name: "patch: errors carry their scimType and leave the resource unchanged",
			Source: "RFC 7644 §3.5.2 (all or none; mutability), §3.5.2.2, §3.5.2.3, §3.12 (Table 9: mutability, invalidPath, noTarget)", Needs: []Feature{FeaturePatch},
			Run: func(t *T) {
				id, _ := t.createUser("patch-errors", map[string]any{"title": "Kept"})
				before := string(t.Do(http.MethodGet, "/Users/"+id, nil).Body)
				for _, tc := range []struct {
					failing  map[string]any
					scimType string
				}{
					// §3.5.2: a client MUST NOT modify a readOnly attribute (id, RFC 7643 §3.1).
					{op("replace", "id", "other"), "mutability"},
					// Table 9, invalidPath: the path names no attribute of the schema, or is malformed.
					{op("replace", "nosuchattribute", "x"), "invalidPath"},
					{op("replace", `emails[type eq "work"`, "x"), "invalidPath"},
					// §3.5.2.2: remove without a path.
					{op("remove", "", nil), "noTarget"},
					// §3.5.2.3: a value filter that matches no value of a multi-valued attribute.
					{op("replace", `emails[value eq "`+t.Name("nobody")+`@example.com"]`, map[string]any{"value": t.Name("other") + "@example.com"}), "noTarget"},
				} {
					// A valid operation first: it must not apply when a later one fails.
					t.scimError(t.Do(http.MethodPatch, "/Users/"+id, patch(op("replace", "title", "Changed"), tc.failing)), http.StatusBadRequest, tc.scimType)
					after := string(t.Do(http.MethodGet, "/Users/"+id, nil).Body)
					t.Check(before == after, "a failed PATCH (%s %v) changed the user; operations apply all or none", tc.failing["op"], tc.failing["path"])
				}
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
					t.remember("/Users/" + id)
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

// noPassword checks that an answer does not return the password (RFC 7643 §4.1.1:
// returned "never"), neither as "password" nor anywhere in its body.
func (t *T) noPassword(r *Response, pw string) {
	t.Check(r.JSON()["password"] == nil && !strings.Contains(string(r.Body), pw), "the answer returned the password: %s", r.Body)
}

// readsNoPassword checks that reads of a user, also asking for the password by name,
// do not return it.
func (t *T) readsNoPassword(id, pw string) {
	for _, path := range []string{"/Users/" + id, "/Users/" + id + "?attributes=password"} {
		r := t.Do(http.MethodGet, path, nil)
		t.Status(r, http.StatusOK)
		t.noPassword(r, pw)
	}
}
