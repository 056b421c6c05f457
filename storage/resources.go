package storage

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// Create inserts a new resource. A taken userName fails on the unique index, which is
// what makes uniqueness hold under concurrent creates.
func (s *Store) Create(ctx context.Context, r *resources.Resource) error {
	_, err := s.collection(r.Type).InsertOne(ctx, encode(r))
	if err != nil {
		return writeError(r, "storing the "+r.Type.ID, err)
	}
	return nil
}

// writeError maps a failed write of r to a domain error.
func writeError(r *resources.Resource, what string, err error) error {
	if isDuplicateKey(err) {
		if r.Type == schemas.UserResourceType {
			name, _ := r.Attributes["userName"].(string)
			return resources.Errorf(resources.KindUniqueness, "userName %q is already taken (userName is unique, case-insensitively)", name)
		}
		return resources.Errorf(resources.KindUniqueness, "a %s with id %q already exists", r.Type.ID, r.ID)
	}
	return dbError(what, err)
}

// isDuplicateKey reports whether a write failed on a unique index. MongoDB says so with
// error code 11000; FerretDB v1.24 does for inserts, but reports an update that breaks a
// unique index as an InternalError carrying SQLite's message.
func isDuplicateKey(err error) bool {
	return mongo.IsDuplicateKeyError(err) || strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// Get returns one resource of the tenant.
func (s *Store) Get(ctx context.Context, tenant string, rt *schemas.ResourceType, id string) (*resources.Resource, error) {
	var doc bson.M
	err := s.collection(rt).FindOne(ctx, scoped(tenant, id)).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, notFound(rt, id)
	}
	if err != nil {
		return nil, dbError("reading the "+rt.ID, err)
	}
	return decode(rt, doc), nil
}

// Replace swaps the stored document for r if its version is still expectVersion: a
// compare-and-swap on _rev, so a concurrent change is never overwritten unseen.
func (s *Store) Replace(ctx context.Context, r *resources.Resource, expectVersion int64) error {
	r.Meta.Version = expectVersion + 1
	filter := append(scoped(r.Tenant, r.ID), bson.E{Key: fVersion, Value: expectVersion})
	res, err := s.collection(r.Type).ReplaceOne(ctx, filter, encode(r))
	if err != nil {
		return writeError(r, "storing the "+r.Type.ID, err)
	}
	if res.MatchedCount == 1 {
		return nil
	}
	return s.missOrConflict(ctx, r.Type, r.Tenant, r.ID)
}

// missOrConflict explains why a write conditioned on a version matched nothing.
func (s *Store) missOrConflict(ctx context.Context, rt *schemas.ResourceType, tenant, id string) error {
	n, err := s.collection(rt).CountDocuments(ctx, scoped(tenant, id))
	if err != nil {
		return dbError("reading the "+rt.ID, err)
	}
	if n == 0 {
		return notFound(rt, id)
	}
	return resources.Errorf(resources.KindPreconditionFailed, "%s %q was changed by another request", rt.ID, id)
}

// Delete removes a resource, if expectVersion is 0 or its current version.
func (s *Store) Delete(ctx context.Context, tenant string, rt *schemas.ResourceType, id string, expectVersion int64) error {
	filter := scoped(tenant, id)
	if expectVersion != 0 {
		filter = append(filter, bson.E{Key: fVersion, Value: expectVersion})
	}
	res, err := s.collection(rt).DeleteOne(ctx, filter)
	if err != nil {
		return dbError("deleting the "+rt.ID, err)
	}
	if res.DeletedCount == 1 {
		return nil
	}
	return s.missOrConflict(ctx, rt, tenant, id)
}

// Touch bumps a resource's version and lastModified in one atomic update.
func (s *Store) Touch(ctx context.Context, tenant string, rt *schemas.ResourceType, id string, at time.Time) (resources.Meta, error) {
	var doc bson.M
	err := s.collection(rt).FindOneAndUpdate(ctx, scoped(tenant, id),
		bson.D{
			{Key: "$inc", Value: bson.D{{Key: fVersion, Value: int64(1)}}},
			{Key: "$set", Value: bson.D{{Key: "meta.lastModified", Value: at}}},
		},
		// No projection: FerretDB v1.24 does not implement findAndModify's "fields".
		options.FindOneAndUpdate().SetReturnDocument(options.After),
	).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return resources.Meta{}, notFound(rt, id)
	}
	if err != nil {
		return resources.Meta{}, dbError("updating the "+rt.ID, err)
	}
	return decode(rt, doc).Meta, nil
}

// List returns a page of a tenant's resources in creation order (ties broken by id, so
// pages never overlap or skip), with the total count.
func (s *Store) List(ctx context.Context, tenant string, rt *schemas.ResourceType, q resources.ListQuery) (resources.Page, error) {
	coll := s.collection(rt)
	filter := bson.D{{Key: fTenant, Value: tenant}}
	total, err := coll.CountDocuments(ctx, filter)
	if err != nil {
		return resources.Page{}, dbError("counting "+rt.ID+"s", err)
	}
	page := resources.Page{TotalResults: int(total), Resources: []*resources.Resource{}}
	skip := int64(q.StartIndex - 1)
	if q.Count <= 0 || skip >= total {
		return page, nil
	}
	cur, err := coll.Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "meta.created", Value: 1}, {Key: "_id", Value: 1}}).
		SetSkip(skip).SetLimit(int64(q.Count)))
	if err != nil {
		return resources.Page{}, dbError("listing "+rt.ID+"s", err)
	}
	var docs []bson.M
	if err := cur.All(ctx, &docs); err != nil {
		return resources.Page{}, dbError("listing "+rt.ID+"s", err)
	}
	for _, d := range docs {
		page.Resources = append(page.Resources, decode(rt, d))
	}
	return page, nil
}

// displayOf is what a member or a group is shown as: its displayName, or a User's
// userName when it has none.
func displayOf(doc bson.M) string {
	if d, _ := doc["displayName"].(string); strings.TrimSpace(d) != "" {
		return d
	}
	u, _ := doc["userName"].(string)
	return u
}
