package conformance

import (
	"net/http"
)

// The Okta suite replays what Okta's provisioning connector sends, as Okta documents it
// ("SCIM 2.0 protocol reference" and its SPEC test, see shared/IDP-NOTES.md): JSON with
// Content-Type application/json, lookups before creates, PUT or path-less PATCH updates,
// and group pushes.

const oktaJSON = "Content-Type: application/json"

func init() {
	register(
		Case{Suite: "okta", Name: "test connection: a lookup of an unknown user is an empty list", Source: "Okta SCIM reference: test connection; Okta SPEC test",
			Needs: []Feature{FeatureFilter},
			Run: func(t *T) {
				m := t.list(filterPath("/Users", `userName eq "`+t.Name("nobody")+`@example.com"`, "startIndex", "1", "count", "100"))
				t.Check(m["totalResults"] == float64(0), "totalResults = %v, want 0", m["totalResults"])
				_, ok := m["Resources"].([]any)
				t.Check(ok || m["Resources"] == nil, "Resources must be a list")
				t.scimError(t.Do(http.MethodGet, "/Users/"+t.Name("random-id"), nil), http.StatusNotFound, "")
			}},
		Case{Suite: "okta", Name: "import: pages of users with integer counts in a stable order", Source: "Okta SCIM reference: import; Okta SPEC test (GET /Users?count=1&startIndex=1)",
			Run: func(t *T) {
				t.createUser("import", nil)
				m := t.list("/Users?startIndex=1&count=1")
				for _, k := range []string{"totalResults", "itemsPerPage", "startIndex"} {
					_, ok := m[k].(float64)
					t.Check(ok, "%s must be an integer: %v", k, m[k])
				}
				first := ids(m)
				again := ids(t.list("/Users?startIndex=1&count=1"))
				t.Check(len(first) == 1 && len(again) == 1 && first[0] == again[0], "the first page changed between two reads: %v then %v", first, again)
			}},
		Case{Suite: "okta", Name: "create, find, update (PUT), deactivate and reactivate a user", Source: "Okta SCIM reference: create, update, deactivate; IDP-NOTES (Okta)",
			Needs: []Feature{FeatureFilter, FeaturePatch},
			Run: func(t *T) {
				name := t.Name("okta-user") + "@example.com"
				body := user(name, map[string]any{"displayName": "Okta User", "locale": "en-US", "externalId": t.Name("ext"), "groups": []any{}, "password": "t1meMa$heen"})
				r := t.Do(http.MethodPost, "/Users", body, oktaJSON)
				t.Status(r, http.StatusCreated)
				id := t.Created("/Users", r)
				t.Check(r.JSON()["password"] == nil, "the password came back in the answer")
				dup := t.Do(http.MethodPost, "/Users", body, oktaJSON)
				t.scimError(dup, http.StatusConflict, "")
				found := ids(t.list(filterPath("/Users", `userName eq "`+name+`"`)))
				t.Check(len(found) == 1 && found[0] == id, "the lookup by userName found %v", found)
				body["name"] = map[string]any{"givenName": "Renamed", "familyName": "User"}
				delete(body, "password")
				t.Status(t.Do(http.MethodPut, "/Users/"+id, body, oktaJSON), http.StatusOK)
				for _, active := range []bool{false, true} {
					r := t.Do(http.MethodPatch, "/Users/"+id, patch(op("replace", "", map[string]any{"active": active})), oktaJSON)
					t.Check(r.Status == http.StatusOK || r.Status == http.StatusNoContent, "deactivation PATCH answered %d", r.Status)
					u := t.Do(http.MethodGet, "/Users/"+id, nil).JSON()
					t.Check(u["active"] == active && obj(u, "name")["givenName"] == "Renamed", "after active=%v the user is %v", active, u)
				}
			}},
		Case{Suite: "okta", Name: "group push: create, find, rename with id echoed, members in and out, delete", Source: "Okta SCIM reference: group push; IDP-NOTES (Okta)",
			Needs: []Feature{FeatureFilter, FeaturePatch},
			Run: func(t *T) {
				u, _ := t.createUser("pushed", nil)
				name := t.Name("okta-group")
				r := t.Do(http.MethodPost, "/Groups", map[string]any{"schemas": []any{groupURN}, "displayName": name, "members": []any{}}, oktaJSON)
				t.Status(r, http.StatusCreated)
				gid := t.Created("/Groups", r)
				found := ids(t.list(filterPath("/Groups", `displayName eq "`+name+`"`)))
				t.Check(len(found) == 1 && found[0] == gid, "the lookup by displayName found %v", found)
				ok := func(r *Response) {
					t.Check(r.Status == http.StatusOK || r.Status == http.StatusNoContent, "group PATCH answered %d", r.Status)
				}
				ok(t.Do(http.MethodPatch, "/Groups/"+gid, patch(op("replace", "", map[string]any{"id": gid, "displayName": name + "-renamed"})), oktaJSON))
				ok(t.Do(http.MethodPatch, "/Groups/"+gid, patch(op("add", "members", []any{map[string]any{"value": u, "display": "pushed"}})), oktaJSON))
				g := t.Do(http.MethodGet, "/Groups/"+gid, nil).JSON()
				t.Check(g["displayName"] == name+"-renamed" && len(arr(g, "members")) == 1, "after rename and add: %v", g)
				ok(t.Do(http.MethodPatch, "/Groups/"+gid, patch(op("remove", `members[value eq "`+u+`"]`, nil)), oktaJSON))
				t.Check(len(arr(t.Do(http.MethodGet, "/Groups/"+gid, nil).JSON(), "members")) == 0, "the member was not removed")
				t.Status(t.Do(http.MethodDelete, "/Groups/"+gid, nil), http.StatusNoContent)
			}},
	)
}
