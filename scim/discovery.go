package scim

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/scimhq/scimhq/schemas"
)

// resourceTypes are the resource types this server serves, in the order listed.
var resourceTypes = []*schemas.ResourceType{schemas.UserResourceType, schemas.GroupResourceType}

// allSchemas are the schemas /Schemas lists: every resource type's schema and extensions.
func allSchemas() []*schemas.Schema {
	var out []*schemas.Schema
	for _, rt := range resourceTypes {
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

var served = capabilities{etag: true, changePassword: true, filter: true, sort: true, patch: true}

func (s *Server) serviceProviderConfig(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	supported := func(b bool) map[string]any { return map[string]any{"supported": b} }
	out := object{}
	out.add("schemas", []string{schemas.ServiceProviderConfigURN})
	out.add("documentationUri", "https://github.com/scimhq/scimhq#readme")
	out.add("patch", supported(served.patch))
	out.add("bulk", map[string]any{"supported": served.bulk, "maxOperations": 0, "maxPayloadSize": 0})
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
	m["meta"] = map[string]any{"resourceType": "Schema", "location": s.baseURL(r) + "/Schemas/" + sc.ID}
	return m
}

func (s *Server) resourceTypes(w http.ResponseWriter, r *http.Request) {
	items := make([]any, 0, len(resourceTypes))
	for _, rt := range resourceTypes {
		items = append(items, s.resourceTypeObject(r, rt))
	}
	writeJSON(w, http.StatusOK, listResponse(len(items), 1, items))
}

func (s *Server) resourceType(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	for _, rt := range resourceTypes {
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
