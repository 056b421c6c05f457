package scim_test

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"testing"

	"github.com/scimhq/scimhq/scim/scimtest"
)

// The product catalog per tenant: its discovery (/Products, /Schemas, /ResourceTypes)
// and grants through core roles, which obey the catalog like direct grants.

// TestHQCatalogDiscovery: /Products, /Schemas and /ResourceTypes show each tenant its own
// catalog.
func TestHQCatalogDiscovery(t *testing.T) {
	t.Parallel()
	clients := newHQServer(t)
	for tenant, ids := range map[string][]string{"default": {"hire", "perform", "insights"}, "acme": {"hire"}, "nobody": {}} {
		t.Run(tenant, func(t *testing.T) {
			c := clients[tenant]
			wantIDs, wantRoles, wantList := []any{}, []any{}, []any{}
			for _, p := range hqCatalog {
				if !slices.Contains(ids, p.ID) {
					scimtest.ExpectError(t, c.Do(http.MethodGet, "/Products/"+p.ID, nil), http.StatusNotFound, "", p.ID)
					continue
				}
				roles := []any{}
				for _, r := range p.Roles {
					roles = append(roles, r)
				}
				wantIDs, wantRoles = append(wantIDs, p.ID), append(wantRoles, roles...)
				want := map[string]any{"schemas": []any{productURN}, "id": p.ID, "displayName": p.DisplayName, "roles": roles,
					"meta": map[string]any{"resourceType": "Product", "location": c.Base + "/Products/" + p.ID}}
				if got := okJSON(t, c, "/Products/"+p.ID); !reflect.DeepEqual(got, want) {
					t.Fatalf("/Products/%s =\n%v\nwant\n%v", p.ID, got, want)
				}
				wantList = append(wantList, want)
			}
			list := okJSON(t, c, "/Products")
			if got := arr(list, "Resources"); !reflect.DeepEqual(got, wantList) || list["totalResults"] != float64(len(ids)) {
				t.Fatalf("/Products = %v, want %d products: %v", list, len(ids), wantList)
			}
			for _, urn := range []string{hqUserURN, hqGroupURN} {
				schema := okJSON(t, c, "/Schemas/"+urn)
				if v, r := canonical(schema, "products", "value"), canonical(schema, "products", "role"); !reflect.DeepEqual(v, wantIDs) || !reflect.DeepEqual(r, wantRoles) {
					t.Fatalf("%s: canonicalValues of products.value %v and .role %v, want %v and %v", urn, v, r, wantIDs, wantRoles)
				}
			}
		})
	}
	c := clients["default"]
	var product map[string]any
	for _, rt := range resourcesOf(t, okJSON(t, c, "/ResourceTypes")) {
		if rt["id"] == "Product" {
			product = rt
		}
	}
	if product["endpoint"] != "/Products" || product["schema"] != productURN {
		t.Fatalf("/ResourceTypes lists Product as %v, want endpoint /Products and schema %s", product, productURN)
	}
	getJSON(t, c, "/Schemas/"+productURN)
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		path := "/Products"
		if method != http.MethodPost {
			path += "/hire"
		}
		scimtest.ExpectError(t, c.Do(method, path, map[string]any{"id": "crm", "displayName": "CRM"}), http.StatusMethodNotAllowed, "")
	}
	wantNames(t, "products after the refused writes", namesOf(t, okJSON(t, c, "/Products")), "Hire", "Perform", "Insights")
}

// canonical returns the canonicalValues of attr.sub in a schema's representation.
func canonical(schema map[string]any, attr, sub string) any {
	for _, a := range arr(schema, "attributes") {
		if a := a.(map[string]any); a["name"] == attr {
			for _, sa := range arr(a, "subAttributes") {
				if sa := sa.(map[string]any); sa["name"] == sub {
					return sa["canonicalValues"]
				}
			}
		}
	}
	return nil
}

// TestHQProductsList: /Products takes the paging and filter parameters of every list
// endpoint (RFC 7644 §3.4.2) and applies them to the tenant's catalog.
func TestHQProductsList(t *testing.T) {
	t.Parallel()
	clients := newHQServer(t)
	c := clients["default"]
	for _, tc := range []struct {
		query                 []string
		total, start, perPage int
		names                 []string
	}{
		{[]string{"startIndex", "1", "count", "10"}, 3, 1, 3, []string{"Hire", "Perform", "Insights"}},
		{[]string{"startIndex", "2", "count", "1"}, 3, 2, 1, []string{"Perform"}},
		{[]string{"startIndex", "3"}, 3, 3, 1, []string{"Insights"}},
		{[]string{"startIndex", "9"}, 3, 9, 0, nil},
		{[]string{"count", "0"}, 3, 1, 0, nil},
		{[]string{"startIndex", "-4", "count", "2"}, 3, 1, 2, []string{"Hire", "Perform"}},
		{[]string{"filter", `displayName eq "Perform"`}, 1, 1, 1, []string{"Perform"}},
		{[]string{"filter", `roles eq "analyst" or id eq "hire"`, "count", "1"}, 2, 1, 1, []string{"Hire"}},
	} {
		list := okJSON(t, c, urlWith("/Products", tc.query...))
		if list["totalResults"] != float64(tc.total) || list["startIndex"] != float64(tc.start) || list["itemsPerPage"] != float64(tc.perPage) {
			t.Fatalf("%v: totalResults %v, startIndex %v, itemsPerPage %v; want %d, %d, %d", tc.query, list["totalResults"], list["startIndex"], list["itemsPerPage"], tc.total, tc.start, tc.perPage)
		}
		wantNames(t, fmt.Sprint(tc.query), namesOf(t, list), tc.names...)
	}
	if list := okJSON(t, clients["acme"], urlWith("/Products", "startIndex", "1", "count", "10")); list["totalResults"] != float64(1) {
		t.Fatalf("acme's products: %v, want hire alone", list)
	}
	for _, query := range [][]string{{"count", "ten"}, {"filter", "displayName eq"}, {"sortBy", "displayName"}, {"attributes", "roles"}} {
		scimtest.ExpectError(t, c.Do(http.MethodGet, urlWith("/Products", query...), nil), http.StatusBadRequest, orDefault(map[string]string{"filter": "invalidFilter"}[query[0]], "invalidValue"))
	}
}

// TestHQRoleGrantsByPatch: a core role naming a product is a grant, so a PATCH of roles
// (in Entra ID's app-role shape too) obeys the tenant's subscription and the product's
// roles; a role naming no product is an ordinary role.
func TestHQRoleGrantsByPatch(t *testing.T) {
	t.Parallel()
	c := newHQServer(t)["acme"]
	url := "/Users/" + idOf(t, c.Must(http.StatusCreated, http.MethodPost, "/Users", hqUser("ace", nil, "hire")).JSON(t))
	appRole := `roles[primary eq "True"].value`
	for _, ops := range [][]any{
		{op("add", "roles", roleList("perform:manager"))},
		{op("Add", appRole, "perform:manager")},
		{op("replace", "roles", roleList("insights"))},
		{op("add", "roles", roleList("hire:boss"))},
		{op("add", hqUserURN+":products", []any{grant("perform", "role", "manager")})}, // the same grant, direct
	} {
		checkPatch(t, c, url, patchOf(ops...), fails(http.StatusBadRequest, "invalidValue"))
	}
	after := checkPatch(t, c, url, patchOf(op("Add", appRole, "hire:recruiter"), op("add", "roles", roleList("payroll:admin"))), outcome{})
	wantAccess(t, "after the app role", after, map[string]acc{"hire": {"recruiter", true, []string{"roles", "roles"}}})
	wantValues(t, after, "roles", "hire", "hire:recruiter", "payroll:admin")
}
