package scim

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// Paging defaults: RFC 7644 §3.4.2.4 leaves the default page size to the server; the
// maximum is advertised in ServiceProviderConfig as filter.maxResults.
const (
	DefaultCount = 100
	MaxCount     = 1000
)

// resourceHandler serves one resource type's endpoint. Handlers stay thin: parse the
// request, call the service, render the result.
type resourceHandler struct {
	s  *Server
	rt *schemas.ResourceType
}

func (h resourceHandler) create(w http.ResponseWriter, r *http.Request) {
	body, err := h.s.readJSONObject(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	res, err := h.s.Service.Create(r.Context(), tenantOf(r.Context()), h.rt, body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	rd := h.s.renderer(r)
	w.Header().Set("Location", rd.location(h.rt, res.ID))
	h.writeResource(w, r, http.StatusCreated, res)
}

func (h resourceHandler) get(w http.ResponseWriter, r *http.Request) {
	res, err := h.s.Service.Get(r.Context(), tenantOf(r.Context()), h.rt, mux.Vars(r)["id"], resources.GetOptions{})
	if err != nil {
		writeError(w, r, err)
		return
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && resources.ETagMatches(inm, res.Meta.ETag()) {
		w.Header().Set("ETag", res.Meta.ETag())
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.writeResource(w, r, http.StatusOK, res)
}

func (h resourceHandler) replace(w http.ResponseWriter, r *http.Request) {
	body, err := h.s.readJSONObject(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	res, err := h.s.Service.Replace(r.Context(), tenantOf(r.Context()), h.rt, mux.Vars(r)["id"], body, precondition(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	h.writeResource(w, r, http.StatusOK, res)
}

func (h resourceHandler) delete(w http.ResponseWriter, r *http.Request) {
	if err := h.s.Service.Delete(r.Context(), tenantOf(r.Context()), h.rt, mux.Vars(r)["id"], precondition(r)); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h resourceHandler) list(w http.ResponseWriter, r *http.Request) {
	q, err := listQuery(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	page, err := h.s.Service.List(r.Context(), tenantOf(r.Context()), h.rt, q, resources.GetOptions{})
	if err != nil {
		writeError(w, r, err)
		return
	}
	rd := h.s.renderer(r)
	items := make([]any, len(page.Resources))
	for i, res := range page.Resources {
		items[i] = rd.resource(res)
	}
	writeJSON(w, http.StatusOK, listResponse(page.TotalResults, q.StartIndex, items))
}

func (h resourceHandler) writeResource(w http.ResponseWriter, r *http.Request, status int, res *resources.Resource) {
	w.Header().Set("ETag", res.Meta.ETag())
	writeJSON(w, status, h.s.renderer(r).resource(res))
}

func precondition(r *http.Request) resources.Precondition {
	return resources.Precondition{IfMatch: r.Header.Get("If-Match")}
}

// listQuery reads the paging parameters (RFC 7644 §3.4.2.4): startIndex below 1 means
// 1, a negative count means 0, and count is capped at MaxCount.
func listQuery(r *http.Request) (resources.ListQuery, error) {
	q := resources.ListQuery{StartIndex: 1, Count: DefaultCount}
	params := r.URL.Query()
	for key := range params {
		switch strings.ToLower(key) {
		case "filter", "sortby", "sortorder", "attributes", "excludedattributes":
			return q, resources.Errorf(resources.KindInvalidValue, "the query parameter %q is not supported yet by this server (see /ServiceProviderConfig)", key)
		}
	}
	if v, ok := param(params, "startIndex"); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return q, resources.Errorf(resources.KindInvalidValue, "startIndex must be an integer, not %q", v)
		}
		q.StartIndex = max(n, 1)
	}
	if v, ok := param(params, "count"); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return q, resources.Errorf(resources.KindInvalidValue, "count must be an integer, not %q", v)
		}
		q.Count = min(max(n, 0), MaxCount)
	}
	return q, nil
}

// param returns a query parameter matched case-insensitively (clients send startindex).
func param(params map[string][]string, name string) (string, bool) {
	for k, v := range params {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}
