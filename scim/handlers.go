package scim

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// resourceHandler serves one resource type's endpoint. Handlers stay thin: parse the
// request, call the service, render the result.
type resourceHandler struct {
	s  *Server
	rt *schemas.ResourceType
}

// projection reads attributes / excludedAttributes, which apply to every response that
// carries a resource (RFC 7644 §3.4.2.5, §3.9).
func (h resourceHandler) projection(r *http.Request) (*resources.Projection, error) {
	p, err := paramsFromURL(r.URL.Query())
	if err != nil {
		return nil, err
	}
	return p.projection(h.rt, false)
}

// writeRequest reads what every write needs: the projection of its response and its
// JSON body.
func (h resourceHandler) writeRequest(w http.ResponseWriter, r *http.Request) (*resources.Projection, map[string]any, error) {
	proj, err := h.projection(r)
	if err != nil {
		return nil, nil, err
	}
	body, err := h.s.readJSONObject(w, r)
	return proj, body, err
}

// respond answers a write with the resource as a GET would show it: computed attributes
// (members, groups, access) included, as the projection asks.
func (h resourceHandler) respond(w http.ResponseWriter, r *http.Request, status int, res *resources.Resource, proj *resources.Projection) {
	if err := h.s.Service.Complete(r.Context(), res, getOptions(h.rt, proj)); err != nil {
		writeError(w, r, err)
		return
	}
	h.writeResource(w, r, status, res, proj)
}

func (h resourceHandler) create(w http.ResponseWriter, r *http.Request) {
	proj, body, err := h.writeRequest(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	res, err := h.s.Service.Create(r.Context(), tenantOf(r.Context()), h.rt, body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Location", h.s.renderer(r).location(h.rt, res.ID))
	h.respond(w, r, http.StatusCreated, res, proj)
}

func (h resourceHandler) get(w http.ResponseWriter, r *http.Request) {
	proj, err := h.projection(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	res, err := h.s.Service.Get(r.Context(), tenantOf(r.Context()), h.rt, mux.Vars(r)["id"], getOptions(h.rt, proj))
	if err != nil {
		writeError(w, r, err)
		return
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && resources.ETagMatches(inm, res.Meta.ETag()) {
		w.Header().Set("ETag", res.Meta.ETag())
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.writeResource(w, r, http.StatusOK, res, proj)
}

func (h resourceHandler) replace(w http.ResponseWriter, r *http.Request) {
	proj, body, err := h.writeRequest(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	res, err := h.s.Service.Replace(r.Context(), tenantOf(r.Context()), h.rt, mux.Vars(r)["id"], body, precondition(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	h.respond(w, r, http.StatusOK, res, proj)
}

func (h resourceHandler) delete(w http.ResponseWriter, r *http.Request) {
	if err := h.s.Service.Delete(r.Context(), tenantOf(r.Context()), h.rt, mux.Vars(r)["id"], precondition(r)); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h resourceHandler) list(w http.ResponseWriter, r *http.Request) {
	p, err := paramsFromURL(r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	h.s.search(w, r, p, []*schemas.ResourceType{h.rt})
}

// search answers POST /{endpoint}/.search with a SearchRequest body (RFC 7644 §3.4.3).
func (h resourceHandler) search(w http.ResponseWriter, r *http.Request) {
	h.s.searchBody(w, r, []*schemas.ResourceType{h.rt})
}

func (h resourceHandler) writeResource(w http.ResponseWriter, r *http.Request, status int, res *resources.Resource, proj *resources.Projection) {
	w.Header().Set("ETag", res.Meta.ETag())
	writeJSON(w, status, h.s.renderer(r).resource(res, proj))
}

// getOptions skips loading the computed attributes a projection leaves out, so that
// excludedAttributes=members on a large group never reads its members. A User's
// memberships are needed for its groups and for its access, which group grants are
// part of: they are skipped only when neither is returned.
func getOptions(rt *schemas.ResourceType, proj *resources.Projection) resources.GetOptions {
	return resources.GetOptions{
		WithoutMembers: rt == schemas.GroupResourceType && !proj.Returns(rt, "members"),
		WithoutGroups: rt == schemas.UserResourceType && !proj.Returns(rt, "groups") &&
			!proj.ReturnsExtension(rt, schemas.HQUserURN, "access"),
	}
}

func precondition(r *http.Request) resources.Precondition {
	return resources.Precondition{IfMatch: r.Header.Get("If-Match")}
}
