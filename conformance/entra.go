package conformance

import (
	"net/http"
	"slices"
)

// The Entra suite replays what Microsoft Entra ID's provisioning service sends, as
// Microsoft documents it ("Tutorial: Develop and plan provisioning for a SCIM
// endpoint", its compatibility notes, and its Postman collection; see
// shared/IDP-NOTES.md): capitalised PATCH ops, string booleans, a bare manager id,
// member removal by a value list, lower-case endpoints and capitalised attribute names.

func init() {
	register(
		Case{Suite: "entra", Name: "filter probes: a random id, lower-case paths, capitalised names", Source: "Microsoft: test connection and matching (GET /users?filter=…)",
			Needs: []Feature{FeatureFilter},
			Run: func(t *T) {
				_, u := t.createUser("probe", nil)
				t.Check(t.list(filterPath("/users/", `userName eq "`+t.Name("7c1e8f40-0000-4000-8000-000000000000")+`"`))["totalResults"] == float64(0), "a random userName must find nothing")
				m := t.list(filterPath("/Users", `UserName eq "`+u["userName"].(string)+`"`))
				t.Check(m["totalResults"] == float64(1), "a capitalised attribute name must match: %v", m["totalResults"])
				m = t.list(filterPath("/Users", `emails[type eq "work"].value eq "`+u["userName"].(string)+`"`))
				t.Check(m["totalResults"] == float64(1), "Entra's emails[type eq \"work\"].value eq matching must work: %v", m["totalResults"])
			}},
		Case{Suite: "entra", Name: "create with the enterprise extension and string booleans", Source: "Microsoft Postman collection: Post EnterpriseUser, Post emp1 with string \"True\"",
			Run: func(t *T) {
				r := t.Do(http.MethodPost, "/Users", map[string]any{
					"schemas":  []any{userURN, enterpriseURN},
					"userName": t.Name("entra") + "@example.com", "active": "True", "externalId": t.Name("mailnick"),
					"emails":      []any{map[string]any{"Primary": true, "type": "work", "value": t.Name("entra") + "@example.com"}},
					enterpriseURN: map[string]any{"Department": "Sales"}, "roles": []any{},
				})
				t.Status(r, http.StatusCreated)
				t.Created("/Users", r)
				u := r.JSON()
				t.Check(u["active"] == true && obj(u, enterpriseURN)["department"] == "Sales", "string \"True\" and capitalised keys must be understood: %v", u)
			}},
		Case{Suite: "entra", Name: "PATCH in Entra's dialect: Replace, \"False\", manager id, work e-mail", Source: "Microsoft: SCIM compatibility (default, without aadOptscim062020)",
			Needs: []Feature{FeaturePatch},
			Run: func(t *T) {
				mgr, _ := t.createUser("manager", nil)
				id, _ := t.createUser("employee", nil)
				r := t.Do(http.MethodPatch, "/Users/"+id, patch(
					op("Replace", "active", "False"),
					op("Replace", `emails[type eq "work"].value`, t.Name("new")+"@example.com"),
					op("Replace", "name.familyName", "Entra"),
					op("Add", enterpriseURN+":manager", mgr),
					op("Replace", enterpriseURN+":employeeNumber", "42"),
				))
				t.Check(r.Status == http.StatusOK || r.Status == http.StatusNoContent, "PATCH answered %d", r.Status)
				u := t.Do(http.MethodGet, "/Users/"+id, nil).JSON()
				ext := obj(u, enterpriseURN)
				t.Check(u["active"] == false && obj(u, "name")["familyName"] == "Entra" && obj(ext, "manager")["value"] == mgr && ext["employeeNumber"] == "42",
					"the PATCH did not apply as Entra ID means it: %v", u)
			}},
		Case{Suite: "entra", Name: "group members removed by a value list: exactly those", Source: "Microsoft: SCIM compatibility (member removal)",
			Needs: []Feature{FeaturePatch},
			Run: func(t *T) {
				a, _ := t.createUser("m-a", nil)
				b, _ := t.createUser("m-b", nil)
				c, _ := t.createUser("m-c", nil)
				gid, _ := t.createGroup("entra-group", a, b, c)
				r := t.Do(http.MethodPatch, "/Groups/"+gid, patch(op("Remove", "members", []any{map[string]any{"value": a}, map[string]any{"value": b}})))
				t.Check(r.Status == http.StatusOK || r.Status == http.StatusNoContent, "PATCH answered %d", r.Status)
				var left []string
				for _, m := range arr(t.Do(http.MethodGet, "/Groups/"+gid, nil).JSON(), "members") {
					left = append(left, m.(map[string]any)["value"].(string))
				}
				t.Check(slices.Equal(left, []string{c}), "members left: %v, want only %s", left, c)
			}},
		Case{Suite: "entra", Name: "soft delete keeps the user findable; hard delete removes it", Source: "Microsoft: deprovisioning (active false, then DELETE)",
			Needs: []Feature{FeaturePatch, FeatureFilter},
			Run: func(t *T) {
				id, u := t.createUser("soft", nil)
				t.Do(http.MethodPatch, "/Users/"+id, patch(op("Replace", "active", false)))
				m := t.list(filterPath("/Users", `userName eq "`+u["userName"].(string)+`" and active eq false`))
				t.Check(m["totalResults"] == float64(1), "an inactive user must still be found: %v", m["totalResults"])
				t.Status(t.Do(http.MethodDelete, "/Users/"+id, nil), http.StatusNoContent)
				t.scimError(t.Do(http.MethodGet, "/Users/"+id, nil), http.StatusNotFound, "")
			}},
		Case{Suite: "entra", Name: "group reads without members, and the membership probe", Source: "Microsoft: GET /Groups?filter=id eq … and members eq …&excludedAttributes=members",
			Needs: []Feature{FeatureFilter},
			Run: func(t *T) {
				u, _ := t.createUser("probe-member", nil)
				gid, _ := t.createGroup("probe-group", u)
				g := t.Do(http.MethodGet, "/Groups/"+gid+"?excludedAttributes=members", nil)
				t.Status(g, http.StatusOK)
				t.Check(g.JSON()["members"] == nil, "excludedAttributes=members must leave members out")
				m := t.list(filterPath("/Groups", `id eq "`+gid+`" and members eq "`+u+`"`, "excludedAttributes", "members"))
				t.Check(m["totalResults"] == float64(1), "the membership probe must find the group: %v", m["totalResults"])
			}},
		Case{Suite: "entra", Name: "a misspelled attribute in a PUT is ignored", Source: "Microsoft Postman collection: Put a user misspelled attribute",
			Run: func(t *T) {
				id, u := t.createUser("misspelled", nil)
				body := user(u["userName"].(string), map[string]any{"adreses": []any{map[string]any{"country": "Germany"}}})
				r := t.Do(http.MethodPut, "/Users/"+id, body)
				t.Status(r, http.StatusOK)
				t.Check(r.JSON()["adreses"] == nil && r.JSON()["addresses"] == nil, "the misspelled attribute came back")
			}},
	)
}
