package storage

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// List returns one page of the tenant's resources that match q.Filter, in q's order,
// with the number of all matches. With an exact translation it costs one count and one
// find; where the engine needs Filter.Match to finish a filter (see translator), it
// reads the candidates in order and pages in memory. On the embedded engine, a filter
// that requires a keyed value (userName eq, externalId eq, ...) is answered from the
// lookups instead (listKeyed).
func (s *Store) List(ctx context.Context, tenant string, rt *schemas.ResourceType, q resources.ListQuery) (resources.Page, error) {
	filter, resolved, exact, err := s.translation(ctx, tenant, rt, q.Filter)
	if err != nil {
		return resources.Page{}, err
	}
	o := orderOf(q)
	if s.idOnly {
		if p, ok := probeOf(tenant, rt, resolved); ok {
			return s.listKeyed(ctx, tenant, rt, p, resolved, o, q)
		}
	}
	var post resources.Filter
	if !exact {
		post = asStored(resolved)
	}
	if q.UseCursor {
		return cursorPage(ctx, rt, tenant, o, q, querySource{s: s, rt: rt, filter: filter, post: post, o: o})
	}
	page := resources.Page{Resources: []*resources.Resource{}}
	skip := int64(max(q.StartIndex, 1) - 1)
	if post != nil {
		docs, matched, err := s.scan(ctx, rt, filter, post, o.sort(false), skip, int64(q.Count))
		if err != nil {
			return resources.Page{}, err
		}
		page.TotalResults = matched
		page.Resources = decodeAll(rt, docs)
		return page, nil
	}
	// The page first: when it starts at the beginning and is not full, its length is
	// the total, and the count (a second pass over the matches) is not needed. Lookups
	// by userName or externalId, most of what identity providers send, are one query.
	var docs []bson.M
	if q.Count > 0 {
		var err error
		if docs, _, err = s.scan(ctx, rt, filter, nil, o.sort(false), skip, int64(q.Count)); err != nil {
			return resources.Page{}, err
		}
	}
	if skip == 0 && q.Count > 0 && len(docs) < q.Count {
		page.TotalResults = len(docs)
	} else {
		total, err := s.collection(rt).CountDocuments(ctx, filter)
		if err != nil {
			return resources.Page{}, dbError("counting "+rt.ID+"s", err)
		}
		page.TotalResults = int(total)
	}
	page.Resources = decodeAll(rt, docs)
	return page, nil
}

func decodeAll(rt *schemas.ResourceType, docs []bson.M) []*resources.Resource {
	out := make([]*resources.Resource, 0, len(docs))
	for _, d := range docs {
		out = append(out, decode(rt, d))
	}
	return out
}

// order is the database sort of a query: a field (a sort key under _sk, or _id) and a
// direction, always followed by _id as the tie-break. Sort keys are stored reversed
// (see sortKey), so an ascending request sorts them descending: dir is the database
// direction, not the client's.
type order struct {
	field string
	dir   int
}

func orderOf(q resources.ListQuery) order {
	o := order{field: fSort + ".meta_created", dir: -1}
	switch {
	case q.SortBy == nil:
	case q.SortBy.Is("id", ""):
		o = order{field: "_id", dir: 1}
	case q.SortBy.Schema == "" && q.SortBy.Attr.Name == "meta" && q.SortBy.Sub != nil:
		o.field = fSort + ".meta_" + q.SortBy.Sub.Name
	default:
		o.field = fSort + "." + derivedKey(*q.SortBy)
	}
	if q.Descending {
		o.dir = -o.dir
	}
	return o
}

// sort returns the sort document, reversed for reading backwards from a cursor.
func (o order) sort(reverse bool) bson.D {
	dir := o.dir
	if reverse {
		dir = -dir
	}
	if o.field == "_id" {
		return bson.D{{Key: "_id", Value: dir}}
	}
	return bson.D{{Key: o.field, Value: dir}, {Key: "_id", Value: dir}}
}

// keyOf returns a document's sort key and whether it has one.
func (o order) keyOf(doc bson.M) (string, bool) {
	if o.field == "_id" {
		return "", true
	}
	sk, _ := fromBSON(doc[fSort]).(resources.Attributes)
	v, ok := sk[o.field[len(fSort)+1:]].(string)
	return v, ok
}

// after is the condition for the documents that come after the position (key, id) in
// the order (before it when reverse is set). Documents without a key come first in an
// ascending database sort and last in a descending one, and compare by _id among
// themselves.
func (o order) after(key string, hasKey bool, id string, reverse bool) bson.D {
	up := (o.dir > 0) != reverse // does the database order run upwards from here?
	op := "$lt"
	if up {
		op = "$gt"
	}
	idAfter := bson.D{{Key: "_id", Value: bson.D{{Key: op, Value: id}}}}
	if o.field == "_id" {
		return idAfter
	}
	missing := bson.D{{Key: o.field, Value: bson.D{{Key: "$exists", Value: false}}}}
	present := bson.D{{Key: o.field, Value: bson.D{{Key: "$exists", Value: true}}}}
	if !hasKey {
		sameGroup := bson.D{{Key: "$and", Value: bson.A{missing, idAfter}}}
		if up { // keyless documents come first: all keyed ones follow
			return bson.D{{Key: "$or", Value: bson.A{sameGroup, present}}}
		}
		return sameGroup
	}
	keyed := bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: o.field, Value: bson.D{{Key: op, Value: key}}}},
		bson.D{{Key: o.field, Value: key}, {Key: "$and", Value: bson.A{idAfter}}},
	}}}
	if up {
		return keyed
	}
	return bson.D{{Key: "$or", Value: bson.A{keyed, missing}}} // keyless ones come last
}

// scan reads the documents matching filter in sort order, skipping skip and returning
// at most limit. With post set, only documents that also satisfy post count, and scan
// reads all candidates to return the number of matches too.
func (s *Store) scan(ctx context.Context, rt *schemas.ResourceType, filter bson.D, post resources.Filter, sort bson.D, skip, limit int64) ([]bson.M, int, error) {
	opt := options.Find().SetSort(sort)
	if post == nil {
		opt.SetSkip(skip).SetLimit(limit)
	}
	cur, err := s.collection(rt).Find(ctx, filter, opt)
	if err != nil {
		return nil, 0, dbError("listing "+rt.ID+"s", err)
	}
	defer cur.Close(ctx)
	var out []bson.M
	matched := 0
	for cur.Next(ctx) {
		var doc bson.M
		if err := cur.Decode(&doc); err != nil {
			return nil, 0, dbError("listing "+rt.ID+"s", err)
		}
		if post != nil {
			r := decode(rt, doc)
			if !post.Match(r.Attributes, r.ID, r.Meta) {
				continue
			}
			matched++
			if int64(matched) <= skip || int64(len(out)) >= limit {
				continue
			}
		}
		out = append(out, doc)
	}
	if err := cur.Err(); err != nil {
		return nil, 0, dbError("listing "+rt.ID+"s", err)
	}
	return out, matched, nil
}

// cursorState is what a cursor (RFC 9865) carries: the position of the item it points
// from, the direction, and a fingerprint of the query it belongs to. Cursors are keyset
// positions, not server state: they survive restarts, work on every replica, never
// expire, and stay valid while other clients insert and delete.
type cursorState struct {
	Query  string `json:"q"`
	Key    string `json:"k,omitempty"`
	NoKey  bool   `json:"n,omitempty"` // the item has no value to sort by
	ID     string `json:"i"`
	Before bool   `json:"b,omitempty"`
}

func fingerprint(q resources.ListQuery, tenant string) string {
	sum := sha256.Sum256([]byte(tenant + "\x00" + q.Fingerprint))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

func encodeCursor(c cursorState) string {
	data, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(data)
}

func decodeCursor(s string) (cursorState, bool) {
	var c cursorState
	data, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(data, &c) != nil || c.ID == "" {
		return cursorState{}, false
	}
	return c, true
}

// source is where a cursor page's documents come from: a query, or the candidates of a
// lookup held in memory (memorySource).
type source interface {
	// total is the number of all matches.
	total(ctx context.Context) (int, error)
	// read returns at most limit matches in the order, starting after the position from
	// (at the start when nil), reading backwards when from.before is set.
	read(ctx context.Context, from *position, limit int64) ([]bson.M, error)
}

// querySource is a query, finished by post when the query is only a superset.
type querySource struct {
	s      *Store
	rt     *schemas.ResourceType
	filter bson.D
	post   resources.Filter
	o      order
}

func (q querySource) total(ctx context.Context) (int, error) {
	if q.post != nil {
		_, matched, err := q.s.scan(ctx, q.rt, q.filter, q.post, q.o.sort(false), 0, 0)
		return matched, err
	}
	total, err := q.s.collection(q.rt).CountDocuments(ctx, q.filter)
	if err != nil {
		return 0, dbError("counting "+q.rt.ID+"s", err)
	}
	return int(total), nil
}

func (q querySource) read(ctx context.Context, from *position, limit int64) ([]bson.M, error) {
	filter, reverse := q.filter, false
	if from != nil {
		reverse = from.before
		filter = append(slices.Clip(filter), bson.E{Key: "$and", Value: bson.A{q.o.after(from.key, from.hasKey, from.id, reverse)}})
	}
	docs, _, err := q.s.scan(ctx, q.rt, filter, q.post, q.o.sort(reverse), 0, limit)
	return docs, err
}

// position is a place in an order: a document's sort key (if it has one) and _id, and
// for a cursor, whether it reads backwards from there.
type position struct {
	key    string
	hasKey bool
	id     string
	before bool
}

// cursorPage reads the page after (or before) the client's cursor: count+1 documents
// in the order, the extra one telling whether another page follows.
func cursorPage(ctx context.Context, rt *schemas.ResourceType, tenant string, o order, q resources.ListQuery, src source) (resources.Page, error) {
	fp := fingerprint(q, tenant)
	page := resources.Page{Resources: []*resources.Resource{}}
	total, err := src.total(ctx)
	if err != nil {
		return resources.Page{}, err
	}
	page.TotalResults = total
	var from cursorState
	var at *position
	if q.Cursor != "" {
		var ok bool
		from, ok = decodeCursor(q.Cursor)
		if !ok || from.Query != fp {
			return resources.Page{}, resources.Errorf(resources.KindInvalidCursor, "the cursor is not one this server issued for this filter and sort order; start again without a cursor value")
		}
		at = &position{key: from.Key, hasKey: !from.NoKey, id: key(tenant, from.ID), before: from.Before}
	}
	if q.Count <= 0 {
		return page, nil
	}
	docs, err := src.read(ctx, at, int64(q.Count)+1)
	if err != nil {
		return resources.Page{}, err
	}
	more := len(docs) > q.Count
	if more {
		docs = docs[:q.Count]
	}
	if from.Before {
		slices.Reverse(docs)
	}
	cursorAt := func(doc bson.M, before bool) string {
		k, _ := doc["_id"].(string)
		sortKey, has := o.keyOf(doc)
		return encodeCursor(cursorState{Query: fp, Key: sortKey, NoKey: !has, ID: idOf(k), Before: before})
	}
	if len(docs) > 0 {
		first, last := docs[0], docs[len(docs)-1]
		// Reading forwards, "more" means a next page; the previous page exists when
		// the client came from a cursor. Reading backwards, the reverse.
		if (more && !from.Before) || from.Before {
			page.NextCursor = cursorAt(last, false)
		}
		if (more && from.Before) || (q.Cursor != "" && !from.Before) {
			page.PreviousCursor = cursorAt(first, true)
		}
	}
	page.Resources = decodeAll(rt, docs)
	return page, nil
}
