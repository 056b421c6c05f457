package scim

import (
	"cmp"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

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
// §3.4.3): Users, then Groups, paged as one list; with sortBy, one list in that order.
func (s *Server) rootSearch(w http.ResponseWriter, r *http.Request) {
	s.searchBody(w, r, resourceTypes)
}

// typeQuery is a search's query on one resource type.
type typeQuery struct {
	rt   *schemas.ResourceType
	q    resources.ListQuery
	proj *resources.Projection
}

// search runs a query over one or more resource types and writes the ListResponse.
// Over several types, attributes a type lacks are treated as having no value (RFC 7644
// §3.4.2.1).
func (s *Server) search(w http.ResponseWriter, r *http.Request, p searchParams, types []*schemas.ResourceType) {
	lenient := len(types) > 1
	if lenient && p.cursor != nil {
		writeError(w, r, resources.Errorf(resources.KindInvalidValue, "cursor paging is available on /Users and /Groups, not across resource types"))
		return
	}
	queries := make([]typeQuery, 0, len(types))
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
		queries = append(queries, typeQuery{rt: rt, q: q, proj: proj})
	}
	var out object
	var err error
	if lenient && p.sortBy != nil && strings.TrimSpace(*p.sortBy) != "" {
		out, err = s.mergedSearch(r, queries)
	} else {
		out, err = s.concatenatedSearch(r, queries, p.cursor != nil)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// concatenatedSearch pages through the types' results one after the other, with one
// startIndex and count: each type's window is shifted by what the earlier types held.
func (s *Server) concatenatedSearch(r *http.Request, queries []typeQuery, cursor bool) (object, error) {
	ctx, tenant, rd := r.Context(), tenantOf(r.Context()), s.renderer(r)
	items := []any{}
	total, skipped := 0, 0
	var next, previous string
	for _, tq := range queries {
		q := tq.q
		want := q.Count - len(items)
		q.StartIndex = max(q.StartIndex-skipped, 1)
		q.Count = max(want, 0)
		page, err := s.Service.List(ctx, tenant, tq.rt, q, getOptions(tq.rt, tq.proj))
		if err != nil {
			return nil, err
		}
		total += page.TotalResults
		skipped += page.TotalResults
		for _, res := range page.Resources {
			items = append(items, rd.resource(res, tq.proj))
		}
		next, previous = page.NextCursor, page.PreviousCursor
	}
	if cursor {
		// RFC 9865: cursor responses carry cursors instead of a startIndex.
		return cursorListResponse(total, items, next, previous), nil
	}
	return listResponse(total, queries[0].q.StartIndex, items), nil
}

// sorted is a resource found by a search across types, with what it sorts by.
type sorted struct {
	res   *resources.Resource
	query *typeQuery
	key   any // nil: no value
}

// mergedSearch answers a search across types with sortBy: the collections cannot be
// sorted together by the database, so each type's first startIndex-1+count matches
// are read in the order and merged, and the page is the window of the merged list.
// The cost grows with startIndex, which a query across types (rare, and never with a
// cursor) can afford; every page is a slice of one order, so pages never overlap or
// leave gaps. Computed attributes are loaded for the page only.
func (s *Server) mergedSearch(r *http.Request, queries []typeQuery) (object, error) {
	ctx, tenant, rd := r.Context(), tenantOf(r.Context()), s.renderer(r)
	start, count := queries[0].q.StartIndex, queries[0].q.Count
	need := 0 // how many of each type's first matches the window can hold
	if count > 0 {
		need = min(start-1, math.MaxInt32) + count // no overflow with startIndex near MaxInt
	}
	var lists [][]sorted
	total := 0
	for i := range queries {
		tq := &queries[i]
		q := tq.q
		q.StartIndex, q.Count = 1, need
		page, err := s.Service.List(ctx, tenant, tq.rt, q, resources.GetOptions{WithoutMembers: true, WithoutGroups: true})
		if err != nil {
			return nil, err
		}
		total += page.TotalResults
		list := make([]sorted, len(page.Resources))
		for j, res := range page.Resources {
			list[j] = sorted{res: res, query: tq, key: sortValue(res, q.SortBy)}
		}
		lists = append(lists, list)
	}
	merged := mergeSorted(lists, queries[0].q.Descending)
	from := min(start-1, len(merged))
	window := merged[from:min(from+count, len(merged))]
	page := map[*typeQuery][]*resources.Resource{}
	for _, item := range window {
		page[item.query] = append(page[item.query], item.res)
	}
	for tq, rs := range page {
		if err := s.Service.CompleteAll(ctx, rs, getOptions(tq.rt, tq.proj)); err != nil {
			return nil, err
		}
	}
	items := make([]any, 0, len(window))
	for _, item := range window {
		items = append(items, rd.resource(item.res, item.query.proj))
	}
	return listResponse(total, start, items), nil
}

// mergeSorted merges lists that are each in the order, taking the earlier list's
// resource on a tie, so that the result is in the order too.
func mergeSorted(lists [][]sorted, descending bool) []sorted {
	var out []sorted
	for {
		best := -1
		for i, l := range lists {
			if len(l) > 0 && (best < 0 || sortsBefore(l[0].key, lists[best][0].key, descending)) {
				best = i
			}
		}
		if best < 0 {
			return out
		}
		out = append(out, lists[best][0])
		lists[best] = lists[best][1:]
	}
}

// sortsBefore reports whether a sorts strictly before b, with storage's rule that
// resources without a value come last in ascending order and first in descending.
func sortsBefore(a, b any, descending bool) bool {
	var c int
	switch {
	case a == nil && b == nil:
		return false
	case a == nil:
		c = 1
	case b == nil:
		c = -1
	default:
		c = compareValues(a, b)
	}
	if descending {
		c = -c
	}
	return c < 0
}

// compareValues orders two sort values of the types attributes have.
func compareValues(a, b any) int {
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case bool:
		if y, ok := b.(bool); ok {
			return cmp.Compare(boolRank(x), boolRank(y))
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	case int64, float64:
		if y, ok := number(b); ok {
			n, _ := number(a)
			return cmp.Compare(n, y)
		}
	}
	// Values of different types (an attribute one type defines differently from
	// the other): any fixed order will do.
	return strings.Compare(fmt.Sprintf("%T", a), fmt.Sprintf("%T", b))
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// sortValue is what a resource sorts by on path p, as storage orders it (see its
// sortKey): a multi-valued attribute by its primary value, else its first;
// case-insensitive strings lower-cased. nil means no value (or no path: the type
// lacks the attribute).
func sortValue(r *resources.Resource, p *resources.Path) any {
	switch {
	case p == nil:
		return nil
	case p.Is("id", ""):
		return r.ID
	case p.Is("meta", "created"):
		return r.Meta.Created
	case p.Is("meta", "lastModified"):
		return r.Meta.LastModified
	case p.Schema == "" && p.Attr.Name == "meta":
		return nil // storage keeps no other meta sort key
	}
	items := resources.PathValues(r.Attributes, resources.Path{Schema: p.Schema, Attr: p.Attr})
	if len(items) == 0 {
		return nil
	}
	v := items[0]
	for _, item := range items {
		if elem, ok := item.(resources.Attributes); ok && elem["primary"] == true {
			v = item
			break
		}
	}
	if p.Sub != nil {
		elem, _ := v.(resources.Attributes)
		v = elem[p.Sub.Name]
	}
	if s, ok := v.(string); ok && !p.Leaf().CaseExact {
		return strings.ToLower(s)
	}
	return v
}
