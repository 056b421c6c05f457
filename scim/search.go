package scim

import (
	"net/http"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// searchBody answers a POST .search: the parameters come in a SearchRequest body.
func (s *Server) searchBody(w http.ResponseWriter, r *http.Request, types []*schemas.ResourceType) {
	body, err := s.readJSONObject(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	p, err := paramsFromBody(body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.search(w, r, p, types)
}

// rootSearch answers POST /.search, a query across all resource types (RFC 7644
// §3.4.3): Users, then Groups, each in the requested order, paged as one list.
func (s *Server) rootSearch(w http.ResponseWriter, r *http.Request) {
	s.searchBody(w, r, resourceTypes)
}

// search runs a query over one or more resource types and writes the ListResponse.
// Over several types, attributes a type lacks are treated as having no value (RFC 7644
// §3.4.2.1), and the types' results are concatenated with one startIndex and count.
func (s *Server) search(w http.ResponseWriter, r *http.Request, p searchParams, types []*schemas.ResourceType) {
	lenient := len(types) > 1
	if lenient && p.cursor != nil {
		writeError(w, r, resources.Errorf(resources.KindInvalidValue, "cursor paging is available on /Users and /Groups, not across resource types"))
		return
	}
	ctx, tenant, rd := r.Context(), tenantOf(r.Context()), s.renderer(r)
	items := []any{}
	total, startIndex := 0, 1
	var next, previous string
	skipped := 0 // resources of earlier types that fell before startIndex
	for _, rt := range types {
		q, err := p.listQuery(rt, lenient)
		if err != nil {
			writeError(w, r, err)
			return
		}
		proj, err := p.projection(rt, lenient)
		if err != nil {
			writeError(w, r, err)
			return
		}
		startIndex = q.StartIndex
		want := q.Count - len(items)
		// Shift the window of this type by what the earlier types held.
		q.StartIndex = max(q.StartIndex-skipped, 1)
		q.Count = max(want, 0)
		page, err := s.Service.List(ctx, tenant, rt, q, getOptions(rt, proj))
		if err != nil {
			writeError(w, r, err)
			return
		}
		total += page.TotalResults
		skipped += page.TotalResults
		for _, res := range page.Resources {
			items = append(items, rd.resource(res, proj))
		}
		next, previous = page.NextCursor, page.PreviousCursor
	}
	out := listResponse(total, startIndex, items)
	if p.cursor != nil {
		// RFC 9865: cursor responses carry cursors instead of a startIndex.
		out = cursorListResponse(total, items, next, previous)
	}
	writeJSON(w, http.StatusOK, out)
}
