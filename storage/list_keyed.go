package storage

import (
	"context"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// Lists answered by key on the embedded engine (see lookups.go): the candidates are
// read by _id, checked against the whole filter, and sorted and paged in memory, which
// is cheap because an equality on a keyed value selects few. The page is the one the
// query would return: the same matches (Match with asStored evaluates a filter as the
// query does), in the database's order (order.compare), counted and paged alike.

// probe is how a list finds a superset of its matches by key: the ids in the lookup
// document lookup, or the one resource id.
type probe struct{ lookup, id string }

// probeOf returns the probe for f when f requires an equality on a keyed value (or on
// id): f is one, or one of the conjuncts at its top is. A value filter on emails
// requires its "value eq" conjunct (Entra ID's emails[type eq "work"].value eq "x").
func probeOf(tenant string, rt *schemas.ResourceType, f resources.Filter) (probe, bool) {
	return conjunct(f, func(c resources.Compare) (probe, bool) {
		v, ok := c.Value.(string)
		switch {
		case !ok || c.Op != resources.OpEq:
		case c.Path.Is("id", ""):
			return probe{id: v}, true
		case isKeyed(rt, c.Path):
			return probe{lookup: lookupKey(tenant, rt, c.Path, v)}, true
		}
		return probe{}, false
	})
}

// candidates reads the resources a probe names that exist.
func (s *Store) candidates(ctx context.Context, tenant string, rt *schemas.ResourceType, p probe) ([]bson.M, error) {
	ids := []string{p.id}
	if p.lookup != "" {
		var err error
		if ids, err = s.lookupIDs(ctx, p.lookup); err != nil {
			return nil, err
		}
	}
	return s.findByKeys(ctx, s.collection(rt), keys(tenant, ids), nil)
}

// listKeyed is List for a filter f (resolved) that probe p bounds.
func (s *Store) listKeyed(ctx context.Context, tenant string, rt *schemas.ResourceType, p probe, f resources.Filter, o order, q resources.ListQuery) (resources.Page, error) {
	docs, err := s.candidates(ctx, tenant, rt, p)
	if err != nil {
		return resources.Page{}, dbError("listing "+rt.ID+"s", err)
	}
	check := asStored(f)
	matched := docs[:0]
	for _, d := range docs {
		r := decode(rt, d)
		if check.Match(r.Attributes, r.ID, r.Meta) {
			matched = append(matched, d)
		}
	}
	slices.SortFunc(matched, func(a, b bson.M) int { return o.compare(o.positionOf(a), o.positionOf(b)) })
	src := memorySource{docs: matched, o: o}
	if q.UseCursor {
		return cursorPage(ctx, rt, tenant, o, q, src)
	}
	skip := min(max(q.StartIndex, 1)-1, len(matched))
	page := matched[skip:min(skip+max(q.Count, 0), len(matched))]
	return resources.Page{Resources: decodeAll(rt, page), TotalResults: len(matched)}, nil
}

// memorySource is matches held in memory, sorted in the order.
type memorySource struct {
	docs []bson.M
	o    order
}

func (m memorySource) total(context.Context) (int, error) { return len(m.docs), nil }

func (m memorySource) read(_ context.Context, from *position, limit int64) ([]bson.M, error) {
	var out []bson.M
	take := func(d bson.M) bool {
		out = append(out, d)
		return int64(len(out)) < limit
	}
	switch {
	case limit <= 0:
	case from == nil:
		for _, d := range m.docs {
			if !take(d) {
				break
			}
		}
	case from.before:
		for _, d := range slices.Backward(m.docs) {
			if m.o.compare(m.o.positionOf(d), *from) < 0 && !take(d) {
				break
			}
		}
	default:
		for _, d := range m.docs {
			if m.o.compare(m.o.positionOf(d), *from) > 0 && !take(d) {
				break
			}
		}
	}
	return out, nil
}

// positionOf returns a document's position in the order.
func (o order) positionOf(doc bson.M) position {
	k, has := o.keyOf(doc)
	id, _ := doc["_id"].(string)
	return position{key: k, hasKey: has, id: id}
}

// compare orders two positions as the database sorts by o (o.sort): by the sort key,
// where a document without one sorts before every key, then by _id, all in o.dir.
// Strings compare bytewise, as the database compares them without a collation.
func (o order) compare(a, b position) int {
	c := 0
	if o.field != "_id" {
		switch {
		case a.hasKey != b.hasKey && a.hasKey:
			c = 1
		case a.hasKey != b.hasKey:
			c = -1
		default:
			c = strings.Compare(a.key, b.key)
		}
	}
	if c == 0 {
		c = strings.Compare(a.id, b.id)
	}
	return c * o.dir
}
