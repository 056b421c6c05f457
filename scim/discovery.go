package scim

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// resourceTypes are the stored resource types, which searches cover.
var resourceTypes = []*schemas.ResourceType{schemas.UserResourceType, schemas.GroupResourceType}

// discoveryTypes are all resource types /ResourceTypes lists, the read-only Product too.
var discoveryTypes = []*schemas.ResourceType{schemas.UserResourceType, schemas.GroupResourceType, schemas.ProductResourceType}

// allSchemas are the schemas /Schemas lists: every resource type's schema and extensions.
func allSchemas() []*schemas.Schema {
	var out []*schemas.Schema
	for _, rt := range discoveryTypes {
		out = append(out, rt.Schema)
		for _, e := range rt.Extensions {
			out = append(out, e.Schema)
		}
	}
	return out
}

// capabilities are what ServiceProviderConfig advertises. Each flag is true only when the
// feature is implemented and tested (RFC 7643 §5); the conformance harness checks that
// what is claimed works.
type capabilities struct {
	patch, bulk, filter, sort, etag, changePassword bool
}

var served = capabilities{etag: true, changePassword: true, filter: true, sort: true, patch: true, bulk: true}

func (s *Server) serviceProviderConfig(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	supported := func(b bool) map[string]any { return map[string]any{"supported": b} }
	out := object{}
	out.add("schemas", []string{schemas.ServiceProviderConfigURN})
	out.add("documentationUri", "https://github.com/scimhq/scimhq#readme")
	out.add("patch", supported(served.patch))
	out.add("bulk", map[string]any{"supported": served.bulk, "maxOperations": MaxBulkOperations, "maxPayloadSize": MaxBulkPayload})
	out.add("filter", map[string]any{"supported": served.filter, "maxResults": MaxCount})
	out.add("changePassword", supported(served.changePassword))
	out.add("sort", supported(served.sort))
	out.add("etag", supported(served.etag))
	// RFC 9865 §4: both paging methods; cursors are keyset positions and never expire,
	// so no cursorTimeout is given.
	out.add("pagination", map[string]any{
		"cursor": true, "index": true, "defaultPaginationMethod": "index",
		"defaultPageSize": DefaultCount, "maxPageSize": MaxCount,
	})
	out.add("authenticationSchemes", []map[string]any{{
		"type":        "oauthbearertoken",
		"name":        "OAuth Bearer Token",
		"description": "Authentication with a bearer token issued by `scimhq token create`.",
		"specUri":     "https://www.rfc-editor.org/rfc/rfc6750",
		"primary":     true,
	}})
	out.add("meta", map[string]any{"resourceType": "ServiceProviderConfig", "location": base + "/ServiceProviderConfig"})
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) resourceTypeObject(r *http.Request, rt *schemas.ResourceType) map[string]any {
	m := rt.Representation()
	m["meta"] = map[string]any{"resourceType": "ResourceType", "location": s.baseURL(r) + "/ResourceTypes/" + rt.ID}
	return m
}

func (s *Server) schemaObject(r *http.Request, sc *schemas.Schema) map[string]any {
	m := sc.Representation()
	if sc == schemas.HQUser || sc == schemas.HQGroup {
		tenantCatalog(m, s.Service.PolicyOf(tenantOf(r.Context())).Products)
	}
	m["meta"] = map[string]any{"resourceType": "Schema", "location": s.baseURL(r) + "/Schemas/" + sc.ID}
	return m
}

// tenantCatalog writes a tenant's products and their roles into an HQ schema's
// representation as the canonical values of products.value and products.role, so that
// tools (and identity providers' attribute mapping) see what this tenant allows.
func tenantCatalog(schema map[string]any, products []resources.Product) {
	ids, roles := []string{}, []string{}
	seen := map[string]bool{}
	for _, p := range products {
		ids = append(ids, p.ID)
		for _, role := range p.Roles {
			if !seen[role] {
				seen[role] = true
				roles = append(roles, role)
			}
		}
	}
	attrs, _ := schema["attributes"].([]map[string]any)
	for _, a := range attrs {
		if a["name"] != "products" {
			continue
		}
		subs, _ := a["subAttributes"].([]map[string]any)
		for _, sub := range subs {
			switch sub["name"] {
			case "value":
				sub["canonicalValues"] = ids
			case "role":
				sub["canonicalValues"] = roles
			}
		}
	}
}

func (s *Server) resourceTypes(w http.ResponseWriter, r *http.Request) {
	items := make([]any, 0, len(discoveryTypes))
	for _, rt := range discoveryTypes {
		items = append(items, s.resourceTypeObject(r, rt))
	}
	writeJSON(w, http.StatusOK, listResponse(len(items), 1, items))
}

func (s *Server) resourceType(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	for _, rt := range discoveryTypes {
		if strings.EqualFold(rt.ID, id) {
			writeJSON(w, http.StatusOK, s.resourceTypeObject(r, rt))
			return
		}
	}
	writeErrorStatus(w, http.StatusNotFound, "", "there is no resource type "+id)
}

func (s *Server) schemaList(w http.ResponseWriter, r *http.Request) {
	var items []any
	for _, sc := range allSchemas() {
		items = append(items, s.schemaObject(r, sc))
	}
	writeJSON(w, http.StatusOK, listResponse(len(items), 1, items))
}

func (s *Server) schema(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	for _, sc := range allSchemas() {
		if strings.EqualFold(sc.ID, id) {
			writeJSON(w, http.StatusOK, s.schemaObject(r, sc))
			return
		}
	}
	writeErrorStatus(w, http.StatusNotFound, "", "there is no schema "+id)
}

// products answers GET /Products: the tenant's catalog, read-only, in the catalog's
// order, with a filter and index paging (startIndex, count) as on every list endpoint.
func (s *Server) products(w http.ResponseWriter, r *http.Request) {
	p, err := paramsFromURL(r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	if p.sortBy != nil || p.sortOrder != nil || p.cursor != nil || p.attributes != nil || p.excluded != nil {
		// The catalog's order is the one it defines, and a product is four attributes:
		// these would be accepted only to be ignored.
		writeError(w, r, resources.Errorf(resources.KindInvalidValue, "/Products takes filter, startIndex and count; sorting, cursors and attribute selection do not apply to it"))
		return
	}
	q, err := p.listQuery(schemas.ProductResourceType, false)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var matched []resources.Product
	for _, prod := range s.Service.PolicyOf(tenantOf(r.Context())).Products {
		if q.Filter == nil || q.Filter.Match(productAttributes(prod), prod.ID, resources.Meta{}) {
			matched = append(matched, prod)
		}
	}
	items := []any{}
	first := min(q.StartIndex-1, len(matched))
	for _, prod := range matched[first:min(first+q.Count, len(matched))] {
		items = append(items, s.productObject(r, prod))
	}
	writeJSON(w, http.StatusOK, listResponse(len(matched), q.StartIndex, items))
}

// productAttributes are a product's attributes as a filter sees them.
func productAttributes(p resources.Product) resources.Attributes {
	roles := make([]any, len(p.Roles))
	for i, role := range p.Roles {
		roles[i] = role
	}
	return resources.Attributes{"displayName": p.DisplayName, "roles": roles}
}

// product answers GET /Products/{id}.
func (s *Server) product(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	for _, p := range s.Service.PolicyOf(tenantOf(r.Context())).Products {
		if p.ID == id {
			writeJSON(w, http.StatusOK, s.productObject(r, p))
			return
		}
	}
	writeErrorStatus(w, http.StatusNotFound, "", "this tenant has no product "+id)
}

func (s *Server) productObject(r *http.Request, p resources.Product) object {
	o := object{}
	o.add("schemas", []string{schemas.ProductURN})
	o.add("id", p.ID)
	o.add("displayName", p.DisplayName)
	o.add("roles", p.Roles)
	o.add("meta", map[string]any{"resourceType": schemas.ProductResourceType.ID, "location": s.baseURL(r) + "/Products/" + p.ID})
	return o
}
