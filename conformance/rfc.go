package conformance

import (
	"net/http"
	"slices"
	"strings"
)

func init() {
	register(
		Case{Suite: "rfc", Name: "discovery: resource types and their schemas agree", Source: "RFC 7643 §6, §7; RFC 7644 §4",
			Run: func(t *T) {
				rts := t.list("/ResourceTypes")
				schemas := t.list("/Schemas")
				known := map[string]bool{}
				for _, s := range arr(schemas, "Resources") {
					id, _ := s.(map[string]any)["id"].(string)
					known[strings.ToLower(id)] = true
				}
				endpoints := map[string]bool{}
				for _, r := range arr(rts, "Resources") {
					rt := r.(map[string]any)
					endpoints[rt["endpoint"].(string)] = true
					schema, _ := rt["schema"].(string)
					t.Check(known[strings.ToLower(schema)], "resource type %v names schema %q, which /Schemas does not list", rt["id"], schema)
					for _, e := range arr(rt, "schemaExtensions") {
						ext, _ := e.(map[string]any)["schema"].(string)
						t.Check(known[strings.ToLower(ext)], "resource type %v names extension %q, which /Schemas does not list", rt["id"], ext)
					}
				}
				t.Check(endpoints["/Users"], "/ResourceTypes must list /Users, got %v", endpoints)
			}},
		Case{Suite: "rfc", Name: "users: create, read, replace, delete", Source: "RFC 7644 §3.3, §3.4.1, §3.5.1, §3.6",
			Run: func(t *T) {
				id, created := t.createUser("crud", nil)
				meta := obj(created, "meta")
				t.Check(id != "" && meta["resourceType"] == "User" && meta["created"] != nil && meta["location"] != nil, "a created user needs id and meta (resourceType, created, location): %v", created)
				got := t.Do(http.MethodGet, "/Users/"+id, nil)
				t.Status(got, http.StatusOK)
				t.Check(got.JSON()["userName"] == created["userName"], "GET returns another userName than POST")
				body := user(created["userName"].(string), map[string]any{"title": "Replaced"})
				put := t.Do(http.MethodPut, "/Users/"+id, body)
				t.Status(put, http.StatusOK)
				t.Check(put.JSON()["title"] == "Replaced", "PUT did not replace the title")
				del := t.Do(http.MethodDelete, "/Users/"+id, nil)
				t.Status(del, http.StatusNoContent)
				t.scimError(t.Do(http.MethodGet, "/Users/"+id, nil), http.StatusNotFound, "")
			}},
		Case{Suite: "rfc", Name: "users: a create answers with a Location header", Source: "RFC 7644 §3.3",
			Run: func(t *T) {
				r := t.Do(http.MethodPost, "/Users", user(t.Name("location")+"@example.com", nil))
				t.Status(r, http.StatusCreated)
				id := idOf(r)
				loc := r.Header.Get("Location")
				t.Check(loc != "" && strings.HasSuffix(loc, "/Users/"+id), "the Location header must be the new user's URL, got %q", loc)
				t.Check(obj(r.JSON(), "meta")["location"] == loc, "meta.location must equal the Location header")
			}},
		Case{Suite: "rfc", Name: "users: userName is unique", Source: "RFC 7643 §4.1.1; RFC 7644 §3.3, §3.12",
			Run: func(t *T) {
				_, u := t.createUser("unique", nil)
				r := t.Do(http.MethodPost, "/Users", user(u["userName"].(string), nil))
				t.scimError(r, http.StatusConflict, "uniqueness")
			}},
		Case{Suite: "rfc", Name: "errors: unknown resource, bad JSON, missing required attribute", Source: "RFC 7644 §3.12",
			Run: func(t *T) {
				t.scimError(t.Do(http.MethodGet, "/Users/"+t.Name("missing"), nil), http.StatusNotFound, "")
				r := t.Do(http.MethodPost, "/Users", `{"schemas": [`)
				t.Check(r.Status == http.StatusBadRequest, "invalid JSON must be 400, got %d", r.Status)
				t.scimError(r, http.StatusBadRequest, "")
				r = t.Do(http.MethodPost, "/Users", map[string]any{"schemas": []any{userURN}})
				t.scimError(r, http.StatusBadRequest, "")
			}},
		Case{Suite: "rfc", Name: "filters: operators and logic", Source: "RFC 7644 §3.4.2.2", Needs: []Feature{FeatureFilter},
			Run: func(t *T) {
				a, ua := t.createUser("filter-a", map[string]any{"title": "Alpha Engineer"})
				b, _ := t.createUser("filter-b", map[string]any{"title": "Beta Manager", "active": false})
				tag := t.Name("filter")
				for _, tc := range []struct {
					filter string
					want   []string
				}{
					{`userName eq "` + strings.ToUpper(ua["userName"].(string)) + `"`, []string{a}},
					{`userName sw "` + tag + `" and title co "engineer"`, []string{a}},
					{`userName sw "` + tag + `" and active eq false`, []string{b}},
					{`userName sw "` + tag + `" and (title sw "alpha" or title ew "manager")`, []string{a, b}},
					{`userName sw "` + tag + `" and not (title pr)`, nil},
					{`userName sw "` + tag + `" and emails[type eq "work" and value co "filter-b"]`, []string{b}},
				} {
					got := ids(t.list(filterPath("/Users", tc.filter)))
					slices.Sort(got)
					want := slices.Clone(tc.want)
					slices.Sort(want)
					t.Check(slices.Equal(got, want), "filter %s: got %v, want %v", tc.filter, got, want)
				}
				t.scimError(t.Do(http.MethodGet, filterPath("/Users", `userName eq`), nil), http.StatusBadRequest, "invalidFilter")
			}},
		Case{Suite: "rfc", Name: "paging: startIndex, count, past the end, count=0", Source: "RFC 7644 §3.4.2.4", Needs: []Feature{FeatureFilter},
			Run: func(t *T) {
				for _, n := range []string{"p1", "p2", "p3"} {
					t.createUser("page-"+n, nil)
				}
				f := `userName sw "` + t.Name("page") + `"`
				all := t.list(filterPath("/Users", f))
				t.Check(all["totalResults"] == float64(3), "totalResults = %v, want 3", all["totalResults"])
				page := t.list(filterPath("/Users", f, "startIndex", "2", "count", "2"))
				t.Check(page["totalResults"] == float64(3) && page["itemsPerPage"] == float64(2) && page["startIndex"] == float64(2) && len(ids(page)) == 2,
					"page 2 of 2: %v", page)
				past := t.list(filterPath("/Users", f, "startIndex", "10"))
				t.Check(past["totalResults"] == float64(3) && len(ids(past)) == 0, "past the end: %v", past)
				zero := t.list(filterPath("/Users", f, "count", "0"))
				t.Check(zero["totalResults"] == float64(3) && len(ids(zero)) == 0, "count=0 must give only totalResults: %v", zero)
			}},
		Case{Suite: "rfc", Name: "sorting: sortBy and sortOrder", Source: "RFC 7644 §3.4.2.3", Needs: []Feature{FeatureFilter, FeatureSort},
			Run: func(t *T) {
				b, _ := t.createUser("sort-b", map[string]any{"title": "b"})
				a, _ := t.createUser("sort-a", map[string]any{"title": "A"})
				f := `userName sw "` + t.Name("sort") + `"`
				asc := ids(t.list(filterPath("/Users", f, "sortBy", "title")))
				desc := ids(t.list(filterPath("/Users", f, "sortBy", "title", "sortOrder", "descending")))
				t.Check(slices.Equal(asc, []string{a, b}) && slices.Equal(desc, []string{b, a}), "sortBy title (case-insensitive): ascending %v, descending %v", asc, desc)
			}},
		Case{Suite: "rfc", Name: "projection: attributes and excludedAttributes", Source: "RFC 7644 §3.4.2.5, §3.9; RFC 7643 §7",
			Run: func(t *T) {
				id, _ := t.createUser("projection", map[string]any{"title": "Shown"})
				r := t.Do(http.MethodGet, "/Users/"+id+"?attributes=userName", nil)
				t.Status(r, http.StatusOK)
				m := r.JSON()
				t.Check(m["id"] == id && m["userName"] != nil && m["title"] == nil, "attributes=userName must return id and userName only: %v", m)
				r = t.Do(http.MethodGet, "/Users/"+id+"?excludedAttributes=title", nil)
				t.Status(r, http.StatusOK)
				t.Check(r.JSON()["title"] == nil && r.JSON()["userName"] != nil, "excludedAttributes=title must leave title out")
			}},
		Case{Suite: "rfc", Name: "patch: add, replace, remove and value paths", Source: "RFC 7644 §3.5.2", Needs: []Feature{FeaturePatch},
			Run: func(t *T) {
				id, _ := t.createUser("patch", nil)
				r := t.Do(http.MethodPatch, "/Users/"+id, patch(
					op("replace", "name.givenName", "Patched"),
					op("add", "emails", []any{map[string]any{"value": t.Name("home") + "@example.com", "type": "home"}}),
					op("replace", `emails[type eq "work"].value`, t.Name("work2")+"@example.com"),
					op("add", "title", "Added"),
				))
				t.Check(r.Status == http.StatusOK || r.Status == http.StatusNoContent, "PATCH must answer 200 or 204, got %d", r.Status)
				u := t.Do(http.MethodGet, "/Users/"+id, nil).JSON()
				t.Check(obj(u, "name")["givenName"] == "Patched" && u["title"] == "Added" && len(arr(u, "emails")) == 2, "PATCH did not apply: %v", u)
				r = t.Do(http.MethodPatch, "/Users/"+id, patch(op("remove", "title", nil)))
				t.Check(r.Status == http.StatusOK || r.Status == http.StatusNoContent, "remove: %d", r.Status)
				t.Check(t.Do(http.MethodGet, "/Users/"+id, nil).JSON()["title"] == nil, "remove did not remove title")
				t.scimError(t.Do(http.MethodPatch, "/Users/"+id, patch(op("remove", "", nil))), http.StatusBadRequest, "noTarget")
				t.scimError(t.Do(http.MethodPatch, "/Users/"+id, patch(op("remove", `emails[type eq "nonexistent"]`, nil))), http.StatusBadRequest, "noTarget")
			}},
		Case{Suite: "rfc", Name: "groups: members, and a member removed by PATCH", Source: "RFC 7643 §4.2; RFC 7644 §3.5.2.2", Needs: []Feature{FeaturePatch},
			Run: func(t *T) {
				u1, _ := t.createUser("member-1", nil)
				u2, _ := t.createUser("member-2", nil)
				gid, g := t.createGroup("group", u1, u2)
				t.Check(len(arr(g, "members")) == 2, "the group must have its 2 members: %v", g)
				r := t.Do(http.MethodPatch, "/Groups/"+gid, patch(op("remove", `members[value eq "`+u1+`"]`, nil)))
				t.Check(r.Status == http.StatusOK || r.Status == http.StatusNoContent, "PATCH: %d", r.Status)
				members := arr(t.Do(http.MethodGet, "/Groups/"+gid, nil).JSON(), "members")
				t.Check(len(members) == 1 && members[0].(map[string]any)["value"] == u2, "after removing %s the members are %v", u1, members)
			}},
		Case{Suite: "rfc", Name: "etags: If-Match and If-None-Match", Source: "RFC 7644 §3.14", Needs: []Feature{FeatureETag},
			Run: func(t *T) {
				id, u := t.createUser("etag", nil)
				v1, _ := obj(u, "meta")["version"].(string)
				t.Check(v1 != "", "meta.version is missing")
				t.Status(t.Do(http.MethodGet, "/Users/"+id, nil, "If-None-Match: "+v1), http.StatusNotModified)
				t.Status(t.Do(http.MethodPut, "/Users/"+id, user(u["userName"].(string), map[string]any{"title": "v2"}), "If-Match: "+v1), http.StatusOK)
				t.scimError(t.Do(http.MethodPut, "/Users/"+id, user(u["userName"].(string), map[string]any{"title": "v3"}), "If-Match: "+v1), http.StatusPreconditionFailed, "")
			}},
		Case{Suite: "rfc", Name: "bulk: a forward bulkId reference", Source: "RFC 7644 §3.7", Needs: []Feature{FeatureBulk},
			Run: func(t *T) {
				name := t.Name("bulk")
				body := map[string]any{"schemas": []any{bulkURN}, "Operations": []any{
					map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g", "data": map[string]any{"schemas": []any{groupURN}, "displayName": name, "members": []any{map[string]any{"value": "bulkId:u"}}}},
					map[string]any{"method": "POST", "path": "/Users", "bulkId": "u", "data": user(name+"@example.com", nil)},
				}}
				r := t.Do(http.MethodPost, "/Bulk", body) // records every location before any check
				t.Status(r, http.StatusOK)
				results := arr(r.JSON(), "Operations")
				t.Check(len(results) == 2, "a bulk request of 2 operations must answer 2 results: %v", results)
				for _, e := range results {
					op, _ := e.(map[string]any)
					t.Check(op["status"] == "201" && op["location"] != nil, "bulk operation %v: status %v (want \"201\") and location %v", op["bulkId"], op["status"], op["location"])
				}
			}},
		// RFC 7643 §5 has no flag of its own for /.search: it is the POST form of the
		// filtered query that filter.supported claims, so a server claiming filter must
		// answer it, and a 404 there is a failure, not a skip.
		Case{Suite: "rfc", Name: "search: POST .search", Source: "RFC 7644 §3.4.3; RFC 7643 §5 (filter)", Needs: []Feature{FeatureFilter},
			Run: func(t *T) {
				id, u := t.createUser("search", nil)
				r := t.Do(http.MethodPost, "/Users/.search", map[string]any{"schemas": []any{searchURN}, "filter": `userName eq "` + u["userName"].(string) + `"`})
				t.Status(r, http.StatusOK)
				t.Check(slices.Equal(ids(r.JSON()), []string{id}), "search found %v, want [%s]", ids(r.JSON()), id)
			}},
	)
}
