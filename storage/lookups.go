package storage

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// Lookups: the embedded engine's stand-in for the indexes identity providers' queries
// use on MongoDB. FerretDB v1.24's SQLite backend evaluates only a bare {_id: value}
// filter in SQL; any other filter decodes every document of the collection (0.28 ms a
// user: 2.8 s for "userName eq" among 10,000 users). So on that engine (s.idOnly), and
// only there, the values resources are looked up by are kept in a collection of their
// own, keyed by the value:
//
//	{_id: "<tenant>/<resource type>/<key space>/<value>", ids: [resource ids]}
//
// for a User's userName, externalId and emails.value and a Group's displayName and
// externalId (keyed). Case-insensitive values are folded as in _lc, so a key matches
// exactly what a comparison on _lc would (see lookupKey for the key spaces). An
// equality filter on one of them is then answered by reading the lookup document and
// the candidates by _id (listKeyed).
//
// The lookups are a superset: every resource that has a value is among the ids of its
// key, and an id may be there that no longer has it (a stale id). Reads therefore check
// every candidate against the whole filter. That is what makes them safe without
// transactions: a write adds the keys a resource gains before the resource is written
// and removes those it loses after (rekey), so a failure in between leaves only stale
// ids. Each change is a single-document insert or update by _id ($addToSet, $pull).
// FerretDB v1.24 does not make an update atomic, though: it reads the document, applies
// the operators and writes it back, and concurrent updates of one document lose each
// other's changes (32 concurrent $inc of one field added 6). So updates of a lookup
// document are serialised in this process (lookupLocks), which is enough because the
// embedded engine's files belong to this process alone, as keyLocks already assume.
// Writes of one resource are serialised by keyLocks, which they hold throughout.
// Lookup documents are never deleted: one emptied by renames costs a few bytes.

// builtMarker is the _id of the lookup document that says the lookups cover every
// resource: stores written before lookups existed get them built at Open. It cannot be
// a key, which always contains '/'.
const builtMarker = "_built"

// keyed lists the attribute paths of each resource type that lookups cover.
var keyed = map[*schemas.ResourceType][]resources.Path{
	schemas.UserResourceType: {
		{Attr: schemas.User.Attribute("userName")},
		{Attr: schemas.Common("externalId")},
		{Attr: schemas.User.Attribute("emails"), Sub: schemas.User.Attribute("emails").Sub("value")},
	},
	schemas.GroupResourceType: {
		{Attr: schemas.Group.Attribute("displayName")},
		{Attr: schemas.Common("externalId")},
	},
}

// isKeyed reports whether lookups cover path p of rt.
func isKeyed(rt *schemas.ResourceType, p resources.Path) bool {
	return slices.ContainsFunc(keyed[rt], func(k resources.Path) bool { return derivedKey(k) == derivedKey(p) })
}

// lookupKey is the _id of the lookup document of value v at path p. Case-insensitive
// attributes share one key space, "folded": a userName is most often also the user's
// e-mail address, and one document for both makes onboarding cheaper (each lookup
// document is an insert, about 0.1 ms on the embedded engine). A key's ids are
// candidates anyway, so one that has the value in the other attribute is left out by
// the check every read makes.
func lookupKey(tenant string, rt *schemas.ResourceType, p resources.Path, v string) string {
	space := derivedKey(p)
	if caseInsensitive(p.Leaf()) {
		space, v = "folded", fold(v)
	}
	return tenant + "/" + rt.ID + "/" + space + "/" + v
}

// keysOf returns the lookup keys of a resource, sorted and without repeats.
func keysOf(r *resources.Resource) []string {
	var out []string
	for _, p := range keyed[r.Type] {
		for _, v := range resources.PathValues(r.Attributes, p) {
			if s, ok := v.(string); ok {
				out = append(out, lookupKey(r.Tenant, r.Type, p, s))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// keyedProjection is the projection of a stored document that keysOfDoc needs.
func keyedProjection(rt *schemas.ResourceType) bson.D {
	proj := bson.D{{Key: fTenant, Value: 1}}
	for _, p := range keyed[rt] {
		field := fieldOf(resources.Path{Schema: p.Schema, Attr: p.Attr})
		if !slices.ContainsFunc(proj, func(e bson.E) bool { return e.Key == field }) {
			proj = append(proj, bson.E{Key: field, Value: 1})
		}
	}
	return proj
}

// keysOfDoc returns the lookup keys of a stored document (at least keyedProjection).
func keysOfDoc(rt *schemas.ResourceType, doc bson.M) []string {
	return keysOf(decode(rt, doc))
}

// lookupIDs returns the ids in the lookup document with key lk, without repeats.
func (s *Store) lookupIDs(ctx context.Context, lk string) ([]string, error) {
	var doc struct{ IDs []string }
	err := s.lookups.FindOne(ctx, byKey(lk)).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	slices.Sort(doc.IDs)
	return slices.Compact(doc.IDs), nil
}

// addToKey adds ids to the lookup document lk, creating it if need be.
func (s *Store) addToKey(ctx context.Context, lk string, ids []string) error {
	defer s.lookupLocks.lock(lk)()
	update := bson.D{{Key: "$addToSet", Value: bson.D{{Key: "ids", Value: bson.D{{Key: "$each", Value: ids}}}}}}
	_, err := s.lookups.UpdateOne(ctx, byKey(lk), update, options.UpdateOne().SetUpsert(true))
	if isDuplicateKey(err) {
		// Two upserts of a new key raced and the other one created the document.
		_, err = s.lookups.UpdateOne(ctx, byKey(lk), update)
	}
	return err
}

// addKeys adds ids to lookup documents (add maps a key to its ids). Most keys of a new
// resource are new too, so it inserts first (insertKeys) and updates only those that
// exist already: on the embedded engine an insert costs a fraction of an upsert, and a
// batch of them one round trip.
func (s *Store) addKeys(ctx context.Context, add map[string][]string) error {
	_, err := s.addKeysReporting(ctx, add)
	return err
}

// addKeysReporting is addKeys, also returning the keys whose documents existed.
func (s *Store) addKeysReporting(ctx context.Context, add map[string][]string) ([]string, error) {
	existing, err := s.insertKeys(ctx, add)
	if err != nil {
		return nil, err
	}
	for _, lk := range existing {
		if err := s.addToKey(ctx, lk, add[lk]); err != nil {
			return nil, dbError("indexing values", err)
		}
	}
	return existing, nil
}

// insertKeys inserts the lookup documents of add, all in one unordered command, and
// returns the keys whose documents exist already, which it left as they are.
func (s *Store) insertKeys(ctx context.Context, add map[string][]string) ([]string, error) {
	if len(add) == 0 {
		return nil, nil
	}
	order := slices.Sorted(maps.Keys(add))
	docs := make([]any, len(order))
	for i, lk := range order {
		docs[i] = bson.D{{Key: "_id", Value: lk}, {Key: "ids", Value: add[lk]}}
	}
	_, err := s.lookups.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	dup, ok := duplicates(err)
	if !ok {
		return nil, dbError("indexing values", err)
	}
	existing := make([]string, len(dup))
	for i, d := range dup {
		existing[i] = order[d]
	}
	return existing, nil
}

// dropKeys takes resource id out of the lookup documents of keys. It is best effort by
// design: an id left behind is a stale id, which every read checks and leaves out.
func (s *Store) dropKeys(ctx context.Context, id string, keys []string) {
	pull := bson.D{{Key: "$pull", Value: bson.D{{Key: "ids", Value: id}}}}
	for _, lk := range keys {
		unlock := s.lookupLocks.lock(lk)
		_, _ = s.lookups.UpdateOne(ctx, byKey(lk), pull)
		unlock()
	}
}

// keysFor maps each of keys to the one id.
func keysFor(id string, keys []string) map[string][]string {
	add := make(map[string][]string, len(keys))
	for _, lk := range keys {
		add[lk] = []string{id}
	}
	return add
}

// rekey runs write, which writes document k so that its lookup keys change from before
// to after: on the embedded engine it adds the keys gained before, and drops those lost after
// the write succeeded (see the top of this file). When the write fails or matches
// nothing, the keys it added are dropped again, but not those the stored document has.
// Callers hold k's lock (keyLocks).
func (s *Store) rekey(ctx context.Context, rt *schemas.ResourceType, k string, before, after []string, write func() (bool, error)) (bool, error) {
	if !s.idOnly {
		return write()
	}
	id := idOf(k)
	gained, lost := without(after, before), without(before, after)
	err := s.addKeys(ctx, keysFor(id, gained))
	matched := false
	if err == nil {
		matched, err = write()
	}
	if err != nil || !matched {
		if err == nil || definite(err) {
			s.undoKeys(ctx, rt, k, gained)
		}
		return matched, err
	}
	s.dropKeys(ctx, id, lost)
	return true, nil
}

// undoKeys drops the keys a failed write of document k added, except those that the
// stored document, if there is one (a create can fail because the id exists), has.
func (s *Store) undoKeys(ctx context.Context, rt *schemas.ResourceType, k string, added []string) {
	if len(added) == 0 {
		return
	}
	var stored bson.M
	err := s.collection(rt).FindOne(ctx, byKey(k), options.FindOne().SetProjection(keyedProjection(rt))).Decode(&stored)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		s.dropKeys(ctx, idOf(k), added)
	case err == nil:
		s.dropKeys(ctx, idOf(k), without(added, keysOfDoc(rt, stored)))
	}
}

// definite reports whether a failed write is known not to have happened: the server
// answered with an error. A time-out or a lost connection leaves that open (the write
// may still land), and undoing its keys then could make a stored resource unfindable;
// leaving them costs at worst a stale id, which reads leave out.
func definite(err error) bool {
	var we mongo.WriteException
	var bwe mongo.BulkWriteException
	var ce mongo.CommandError
	var e *resources.Error
	// writeError turns a duplicate key into a uniqueness error of the domain.
	refused := errors.As(err, &e) && e.Kind != resources.KindInternal
	return refused || errors.As(err, &we) || errors.As(err, &bwe) || errors.As(err, &ce)
}

// without returns the elements of a that are not in b (both sorted).
func without(a, b []string) []string {
	var out []string
	for _, x := range a {
		if _, found := slices.BinarySearch(b, x); !found {
			out = append(out, x)
		}
	}
	return out
}

// addKeysMany adds the keys of new resources (see addKeys): onboarding a batch of users
// thus costs about one more command, not one per key.
func (s *Store) addKeysMany(ctx context.Context, rs []*resources.Resource) error {
	_, err := s.addKeysReporting(ctx, keysOfMany(rs))
	return err
}

// keysOfMany maps each lookup key of the resources to the ids that have it.
func keysOfMany(rs []*resources.Resource) map[string][]string {
	add := map[string][]string{}
	for _, r := range rs {
		for _, lk := range keysOf(r) {
			add[lk] = append(add[lk], r.ID)
		}
	}
	return add
}

// ensureLookups builds the lookups of a store written before they existed (or whose
// build was interrupted), each key space with the marker that says it is complete:
// every user's and group's keys, from one scan of each, and (absent from stores built
// before members had lookups) every membership's, from one scan of the memberships.
// Adding keys is idempotent, so a build that stops half-way is simply done again at
// the next Open. It runs in Open, before the store serves writes, and the embedded
// engine's files belong to one process, so nothing writes resources meanwhile.
func (s *Store) ensureLookups(ctx context.Context) error {
	for _, b := range []struct {
		marker, what string
		build        func(context.Context) error
	}{
		{builtMarker, "users and groups", s.buildResourceLookups},
		{membersBuiltMarker, "memberships", s.buildMemberLookups},
	} {
		err := s.lookups.FindOne(ctx, byKey(b.marker)).Err()
		if err == nil {
			continue
		}
		if !errors.Is(err, mongo.ErrNoDocuments) {
			return fmt.Errorf("reading the lookups: %w", err)
		}
		if err := b.build(ctx); err != nil {
			return fmt.Errorf("building the lookups of %s: %w", b.what, err)
		}
		_, err = s.lookups.InsertOne(ctx, bson.D{{Key: "_id", Value: b.marker}})
		if err != nil && !isDuplicateKey(err) {
			return fmt.Errorf("marking the lookups of %s built: %w", b.what, err)
		}
	}
	return nil
}

func (s *Store) buildResourceLookups(ctx context.Context) error {
	for _, rt := range []*schemas.ResourceType{schemas.UserResourceType, schemas.GroupResourceType} {
		if err := s.buildLookups(ctx, rt); err != nil {
			return fmt.Errorf("%ss: %w", rt.ID, err)
		}
	}
	return nil
}

// buildLookups adds the keys of every resource of a type, a batch at a time.
func (s *Store) buildLookups(ctx context.Context, rt *schemas.ResourceType) error {
	cur, err := s.collection(rt).Find(ctx, bson.D{}, options.Find().SetProjection(keyedProjection(rt)))
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	var batch []*resources.Resource
	for cur.Next(ctx) {
		var doc bson.M
		if err := cur.Decode(&doc); err != nil {
			return err
		}
		if batch = append(batch, decode(rt, doc)); len(batch) == 1000 {
			if err := s.addKeysMany(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := cur.Err(); err != nil {
		return err
	}
	return s.addKeysMany(ctx, batch)
}
