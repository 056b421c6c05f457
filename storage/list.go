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
// reads the candidates in order and pages in memory.
func (s *Store) List(ctx context.Context, tenant string, rt *schemas.ResourceType, q resources.ListQuery) (resources.Page, error) {
	filter, exact, err := s.translate(ctx, tenant, rt, q.Filter)
	if err != nil {
		return resources.Page{}, err
	}
	var post resources.Filter
	if !exact {
		post = q.Filter
	}
	o := orderOf(q)
	if q.UseCursor {
		return s.cursorPage(ctx, rt, filter, post, o, q)
	}
	page := resources.Page{Resources: []*resources.Resource{}}
	skip := int64(max(q.StartIndex, 1) - 1)
	if post == nil {
		total, err := s.collection(rt).CountDocuments(ctx, filter)
		if err != nil {
			return resources.Page{}, dbError("counting "+rt.ID+"s", err)
		}
		page.TotalResults = int(total)
		if q.Count <= 0 || skip >= total {
			return page, nil
		}
	}
	docs, matched, err := s.scan(ctx, rt, filter, post, o.sort(false), skip, int64(q.Count))
	if err != nil {
		return resources.Page{}, err
	}
	if post != nil {
		page.TotalResults = matched
	}
	for _, d := range docs {
		page.Resources = append(page.Resources, decode(rt, d))
	}
	return page, nil
}

// order is a sort order: a field (a sort key under _sk, or _id itself) and a direction,
// always followed by _id as the tie-break.
type order struct {
	field string
	dir   int
}

func orderOf(q resources.ListQuery) order {
	o := order{field: fSort + ".meta_created", dir: 1}
	if q.Descending {
		o.dir = -1
	}
	switch {
	case q.SortBy == nil:
	case q.SortBy.Is("id", ""):
		o.field = "_id"
	case q.SortBy.Schema == "" && q.SortBy.Attr.Name == "meta" && q.SortBy.Sub != nil:
		o.field = fSort + ".meta_" + q.SortBy.Sub.Name
	default:
		o.field = fSort + "." + derivedKey(*q.SortBy)
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

// keyOf returns a document's value of the order's field.
func (o order) keyOf(doc bson.M) string {
	if o.field == "_id" {
		k, _ := doc["_id"].(string)
		return k
	}
	sk, _ := fromBSON(doc[fSort]).(resources.Attributes)
	v, _ := sk[o.field[len(fSort)+1:]].(string)
	return v
}

// after is the condition for the documents that come after (key, id) in the order, or
// before it when reverse is set.
func (o order) after(key, id string, reverse bool) bson.D {
	op := "$gt"
	if (o.dir < 0) != reverse {
		op = "$lt"
	}
	if o.field == "_id" {
		return bson.D{{Key: "_id", Value: bson.D{{Key: op, Value: id}}}}
	}
	return bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: o.field, Value: bson.D{{Key: op, Value: key}}}},
		bson.D{{Key: o.field, Value: key}, {Key: "_id", Value: bson.D{{Key: op, Value: id}}}},
	}}}
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
	Key    string `json:"k"`
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

// cursorPage reads the page after (or before) the client's cursor: count+1 documents
// in the order, the extra one telling whether another page follows.
func (s *Store) cursorPage(ctx context.Context, rt *schemas.ResourceType, filter bson.D, post resources.Filter, o order, q resources.ListQuery) (resources.Page, error) {
	tenant, _ := filter[0].Value.(string)
	fp := fingerprint(q, tenant)
	page := resources.Page{Resources: []*resources.Resource{}}
	if post == nil {
		total, err := s.collection(rt).CountDocuments(ctx, filter)
		if err != nil {
			return resources.Page{}, dbError("counting "+rt.ID+"s", err)
		}
		page.TotalResults = int(total)
	} else {
		_, matched, err := s.scan(ctx, rt, filter, post, o.sort(false), 0, 0)
		if err != nil {
			return resources.Page{}, err
		}
		page.TotalResults = matched
	}
	var from cursorState
	if q.Cursor != "" {
		var ok bool
		from, ok = decodeCursor(q.Cursor)
		if !ok || from.Query != fp {
			return resources.Page{}, resources.Errorf(resources.KindInvalidCursor, "the cursor is not one this server issued for this filter and sort order; start again without a cursor value")
		}
		filter = append(filter, bson.E{Key: "$and", Value: bson.A{o.after(from.Key, key(tenant, from.ID), from.Before)}})
	}
	if q.Count <= 0 {
		return page, nil
	}
	docs, _, err := s.scan(ctx, rt, filter, post, o.sort(from.Before), 0, int64(q.Count)+1)
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
		sortKey := o.keyOf(doc)
		if o.field == "_id" {
			sortKey = ""
		}
		return encodeCursor(cursorState{Query: fp, Key: sortKey, ID: idOf(k), Before: before})
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
	for _, d := range docs {
		page.Resources = append(page.Resources, decode(rt, d))
	}
	return page, nil
}
