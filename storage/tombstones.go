package storage

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// A deleted user is kept as a tombstone: {_id: "<tenant>/<id>", _tenant, deletedAt,
// user: the user's document, groups: the ids of its groups}. The user is gone for SCIM
// (404, out of every group, its userName free), but an operator can restore it until
// the tombstone expires and is purged.

// entomb stores the tombstone of a deleted user document.
func (s *Store) entomb(ctx context.Context, tenant string, doc bson.M, groups []string, at time.Time) error {
	k, _ := doc["_id"].(string)
	tomb := bson.D{
		{Key: "_id", Value: k}, {Key: fTenant, Value: tenant}, {Key: "deletedAt", Value: at},
		{Key: "user", Value: doc}, {Key: "groups", Value: groups},
	}
	_, err := s.tombstones.ReplaceOne(ctx, byKey(k), tomb, options.Replace().SetUpsert(true))
	if err != nil {
		return dbError("keeping the deleted user", err)
	}
	return nil
}

// ListDeleted returns the tenant's deleted users that can still be restored.
func (s *Store) ListDeleted(ctx context.Context, tenant string) ([]resources.Deleted, error) {
	cur, err := s.tombstones.Find(ctx, bson.D{{Key: fTenant, Value: tenant}}, options.Find().SetSort(bson.D{{Key: "deletedAt", Value: 1}}))
	if err != nil {
		return nil, dbError("listing deleted users", err)
	}
	var docs []bson.M
	if err := cur.All(ctx, &docs); err != nil {
		return nil, dbError("listing deleted users", err)
	}
	out := make([]resources.Deleted, 0, len(docs))
	for _, d := range docs {
		r := decode(schemas.UserResourceType, asM(d["user"]))
		at, _ := fromBSON(d["deletedAt"]).(time.Time)
		out = append(out, resources.Deleted{User: r, DeletedAt: at})
	}
	return out, nil
}

// Restore brings a deleted user back, with its memberships in the groups that still
// exist, at a new version. Its userName (or an e-mail claim, which the caller handles)
// may have been taken meanwhile: then it fails with KindUniqueness and stays deleted.
func (s *Store) Restore(ctx context.Context, tenant, id string, at time.Time) (*resources.Resource, error) {
	k := key(tenant, id)
	var tomb bson.M
	err := s.tombstones.FindOne(ctx, byKey(k)).Decode(&tomb)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, resources.Errorf(resources.KindNotFound, "there is no deleted user %q in tenant %q to restore (it may have been purged)", id, tenant)
	}
	if err != nil {
		return nil, dbError("reading the deleted user", err)
	}
	doc := asM(tomb["user"])
	r := decode(schemas.UserResourceType, doc)
	r.Meta.Version++
	r.Meta.LastModified = at
	if err := s.Create(ctx, r); err != nil {
		return nil, err
	}
	var groups []string
	for _, g := range listStrings(tomb["groups"]) {
		groups = append(groups, g)
	}
	existing, err := s.GroupsByID(ctx, tenant, groups)
	if err != nil {
		return nil, err
	}
	display := displayOf(doc)
	for gid := range existing {
		if err := s.AddMembers(ctx, tenant, gid, []resources.Member{{Value: id, Type: schemas.UserResourceType.ID, Display: display}}); err != nil {
			return nil, err
		}
		if _, err := s.Touch(ctx, tenant, schemas.GroupResourceType, gid, 0, at); err != nil && resources.KindOf(err) != resources.KindNotFound {
			return nil, err
		}
	}
	if _, err := s.tombstones.DeleteOne(ctx, byKey(k)); err != nil {
		return nil, dbError("removing the restored user's tombstone", err)
	}
	return r, nil
}

// PurgeDeleted removes for good the tombstones of users deleted before the given time
// and returns how many it removed. (The lookups, see lookups.go, lost a user's values
// when it was deleted, and get them back from Restore's Create.)
func (s *Store) PurgeDeleted(ctx context.Context, before time.Time) (int, error) {
	res, err := s.tombstones.DeleteMany(ctx, bson.D{{Key: "deletedAt", Value: bson.D{{Key: "$lt", Value: before}}}})
	if err != nil {
		return 0, dbError("purging deleted users", err)
	}
	return int(res.DeletedCount), nil
}

func listStrings(v any) []string {
	list, _ := fromBSON(v).([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// asM returns a nested document as a bson.M (the driver decodes nested documents of a
// bson.M as bson.D).
func asM(v any) bson.M {
	switch x := v.(type) {
	case bson.M:
		return x
	case bson.D:
		m := make(bson.M, len(x))
		for _, e := range x {
			m[e.Key] = e.Value
		}
		return m
	}
	return bson.M{}
}
