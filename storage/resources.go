package storage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// Create inserts a new resource. A taken userName fails on the unique index, which is
// what makes uniqueness hold under concurrent creates. On the embedded engine the
// resource's lookup keys are added first, under the key's lock (see rekey).
func (s *Store) Create(ctx context.Context, r *resources.Resource) error {
	k := key(r.Tenant, r.ID)
	if s.idOnly {
		defer s.keyLocks.lock(k)()
	}
	_, err := s.rekey(ctx, r.Type, k, nil, keysOf(r), func() (bool, error) {
		if _, err := s.collection(r.Type).InsertOne(ctx, encode(r)); err != nil {
			return false, writeError(r, "storing the "+r.Type.ID, err)
		}
		return true, nil
	})
	return err
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
	return err != nil && (mongo.IsDuplicateKeyError(err) || strings.Contains(err.Error(), "UNIQUE constraint failed"))
}

// Get returns one resource of the tenant.
func (s *Store) Get(ctx context.Context, tenant string, rt *schemas.ResourceType, id string) (*resources.Resource, error) {
	doc, err := s.findDoc(ctx, rt, key(tenant, id), nil)
	if err != nil {
		return nil, err
	}
	return decode(rt, doc), nil
}

// findDoc reads one document by key, or fails with KindNotFound.
func (s *Store) findDoc(ctx context.Context, rt *schemas.ResourceType, k string, proj bson.D) (bson.M, error) {
	opt := options.FindOne()
	if proj != nil {
		opt.SetProjection(proj)
	}
	var doc bson.M
	err := s.collection(rt).FindOne(ctx, byKey(k), opt).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, notFound(rt, idOf(k))
	}
	if err != nil {
		return nil, dbError("reading the "+rt.ID, err)
	}
	return doc, nil
}

// idOf returns the SCIM id in a key.
func idOf(k string) string {
	_, id, _ := strings.Cut(k, "/")
	return id
}

// conditional runs write as a compare-and-swap on the document's version: on MongoDB
// write's filter carries the expected version; on the embedded engine (see keyLocks)
// the version is compared under the key's lock and write filters by _id alone. write
// reports whether it matched the document. On the embedded engine, read is a projection
// of the stored document that write needs: it is read under the lock, with the version,
// and passed as stored (nil elsewhere, and when read is nil and no version is expected).
func (s *Store) conditional(ctx context.Context, rt *schemas.ResourceType, k string, expect int64, read bson.D, write func(filter bson.D, stored bson.M) (bool, error)) error {
	filter := byKey(k)
	var stored bson.M
	if s.idOnly {
		defer s.keyLocks.lock(k)()
		if expect != 0 || read != nil {
			doc, err := s.findDoc(ctx, rt, k, append(bson.D{{Key: fVersion, Value: 1}}, read...))
			if err != nil {
				return err
			}
			if expect != 0 && toInt64(doc[fVersion]) != expect {
				return changed(rt, idOf(k))
			}
			stored = doc
		}
	} else if expect != 0 {
		filter = append(filter, bson.E{Key: fVersion, Value: expect})
	}
	matched, err := write(filter, stored)
	if err != nil || matched {
		return err
	}
	if expect == 0 || s.idOnly {
		return notFound(rt, idOf(k))
	}
	// Nothing matched on MongoDB: either the resource is gone or its version moved.
	if _, err := s.findDoc(ctx, rt, k, bson.D{{Key: fVersion, Value: 1}}); err != nil {
		return err
	}
	return changed(rt, idOf(k))
}

func changed(rt *schemas.ResourceType, id string) error {
	return resources.Errorf(resources.KindPreconditionFailed, "%s %q was changed by another request", rt.ID, id)
}

// Replace stores r's attributes in place of version expectVersion: every attribute r has
// is set, every other attribute its schemas define is removed.
func (s *Store) Replace(ctx context.Context, r *resources.Resource, expectVersion int64) error {
	set, unset := replacement(r, expectVersion+1)
	update := bson.D{{Key: "$set", Value: set}}
	if len(unset) > 0 {
		update = append(update, bson.E{Key: "$unset", Value: unset})
	}
	k := key(r.Tenant, r.ID)
	var read bson.D
	if s.idOnly { // the keys it has, for rekey to add and drop only those that change
		read = keyedProjection(r.Type)
	}
	err := s.conditional(ctx, r.Type, k, expectVersion, read, func(filter bson.D, stored bson.M) (bool, error) {
		var before []string
		if stored != nil {
			before = keysOfDoc(r.Type, stored)
		}
		return s.rekey(ctx, r.Type, k, before, keysOf(r), func() (bool, error) {
			res, err := s.collection(r.Type).UpdateOne(ctx, filter, update)
			if err != nil {
				return false, writeError(r, "storing the "+r.Type.ID, err)
			}
			return res.MatchedCount == 1, nil
		})
	})
	if err == nil {
		r.Meta.Version = expectVersion + 1
	}
	return err
}

// Delete removes a resource, if expectVersion is 0 or its current version, and every
// membership it takes part in; the groups that lose it as a member are touched.
func (s *Store) Delete(ctx context.Context, tenant string, rt *schemas.ResourceType, id string, expectVersion int64) error {
	k := key(tenant, id)
	var doc bson.M
	err := s.conditional(ctx, rt, k, expectVersion, nil, func(filter bson.D, _ bson.M) (bool, error) {
		// No projection: FerretDB v1.24 does not implement findAndModify's "fields".
		err := s.collection(rt).FindOneAndDelete(ctx, filter).Decode(&doc)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return false, nil
		}
		if err != nil {
			return false, dbError("deleting the "+rt.ID, err)
		}
		if s.idOnly { // after the delete, and still under the lock (see rekey)
			s.dropKeys(ctx, id, keysOfDoc(rt, doc))
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	// Without transactions the memberships go after the resource: a failure here
	// leaves memberships of a deleted resource, which reads skip and a retry removes.
	now := time.Now().UTC()
	left, err := s.leaveGroups(ctx, tenant, id, now)
	if err != nil {
		return err
	}
	if rt == schemas.UserResourceType {
		if err := s.entomb(ctx, tenant, doc, left, now); err != nil {
			return err
		}
	}
	if rt == schemas.GroupResourceType {
		return s.dropAllMembers(ctx, tenant, id)
	}
	return nil
}

// Touch bumps a resource's version and lastModified in one atomic update, if
// expectVersion is 0 or the stored version.
func (s *Store) Touch(ctx context.Context, tenant string, rt *schemas.ResourceType, id string, expectVersion int64, at time.Time) (resources.Meta, error) {
	k := key(tenant, id)
	var doc bson.M
	err := s.conditional(ctx, rt, k, expectVersion, nil, func(filter bson.D, _ bson.M) (bool, error) {
		err := s.collection(rt).FindOneAndUpdate(ctx, filter, touch(at),
			// No projection: FerretDB v1.24 does not implement findAndModify's "fields".
			options.FindOneAndUpdate().SetReturnDocument(options.After),
		).Decode(&doc)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return false, nil
		}
		if err != nil {
			return false, dbError("updating the "+rt.ID, err)
		}
		return true, nil
	})
	if err != nil {
		return resources.Meta{}, err
	}
	return decode(rt, doc).Meta, nil
}

func touch(at time.Time) bson.D {
	return bson.D{
		{Key: "$inc", Value: bson.D{{Key: fVersion, Value: int64(1)}}},
		{Key: "$set", Value: bson.D{{Key: "meta.lastModified", Value: at}}},
	}
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

// CreateMany inserts new resources of one type in one unordered batch and returns, for
// each, nil or the error that kept it out (a taken userName fails only its own
// resource). On the embedded engine the batch's lookup keys are added first, in bulk,
// and those of the resources that failed are dropped again under their locks.
// Those adds do not hold the locks: only a create of the same id racing with the
// delete of a resource of that id could lose a key that way, which ids chosen by the
// server (and repeatable creates of operations not yet done) never are.
func (s *Store) CreateMany(ctx context.Context, rs []*resources.Resource) ([]error, error) {
	errs := make([]error, len(rs))
	if len(rs) == 0 {
		return errs, nil
	}
	rt := rs[0].Type
	var existed []string
	if s.idOnly {
		var err error
		if existed, err = s.addKeysReporting(ctx, keysOfMany(rs)); err != nil {
			return nil, err
		}
	}
	docs := make([]any, len(rs))
	for i, r := range rs {
		docs[i] = encode(r)
	}
	_, err := s.collection(rt).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	var bwe mongo.BulkWriteException
	if err != nil && (!errors.As(err, &bwe) || bwe.WriteConcernError != nil) {
		if definite(err) {
			for _, r := range rs {
				s.undoCreate(ctx, r)
			}
		}
		return nil, dbError("storing "+rt.ID+"s", err)
	}
	for _, we := range bwe.WriteErrors {
		if we.Index >= 0 && we.Index < len(rs) {
			errs[we.Index] = writeError(rs[we.Index], "storing the "+rs[we.Index].Type.ID, we)
			s.undoCreate(ctx, rs[we.Index])
		}
	}
	s.rekeyStored(ctx, rs, errs, existed)
	return errs, nil
}

// rekeyStored adds again, under each resource's lock, the keys of the stored resources
// of a batch whose lookup documents existed before the batch. The batch adds keys
// without the resources' locks, and a key that already listed the id (a repeated bulk
// request reuses the id of what it created before) may meanwhile lose it to a delete of
// that resource, which the batch's insert then brings back: without this, the resource
// would be stored but unfindable. Fresh keys, all of a normal onboarding, need nothing.
func (s *Store) rekeyStored(ctx context.Context, rs []*resources.Resource, errs []error, existed []string) {
	if len(existed) == 0 {
		return
	}
	slices.Sort(existed)
	for i, r := range rs {
		if errs[i] != nil {
			continue
		}
		var again []string
		for _, lk := range keysOf(r) {
			if _, found := slices.BinarySearch(existed, lk); found {
				again = append(again, lk)
			}
		}
		if len(again) == 0 {
			continue
		}
		unlock := s.keyLocks.lock(key(r.Tenant, r.ID))
		// Best effort like every key write after the resource's: a failure here is what
		// the race above would have done anyway.
		_ = s.addKeys(ctx, keysFor(r.ID, again))
		unlock()
	}
}

// undoCreate drops the lookup keys of a resource that a batch did not store.
func (s *Store) undoCreate(ctx context.Context, r *resources.Resource) {
	if s.idOnly {
		k := key(r.Tenant, r.ID)
		defer s.keyLocks.lock(k)()
		s.undoKeys(ctx, r.Type, k, keysOf(r))
	}
}
