package storage

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// BaselineOp is a logical operation a SCIM request performs, done with the least
// database work it needs: what `scimhq bench --baseline` measures SCIM requests against.
type BaselineOp string

const (
	BaselineGet          BaselineOp = "get a user by id"
	BaselineFindUserName BaselineOp = "find a user by userName"
	BaselineFindExternal BaselineOp = "find a user by externalId"
	BaselinePage         BaselineOp = "a page of 100 users sorted by family name"
	BaselineSetActive    BaselineOp = "set a user's active flag"
	BaselineSetTitle     BaselineOp = "set a user's title and active flag"
	BaselineCreate       BaselineOp = "insert a user"
	BaselineCreateMany   BaselineOp = "insert users in one unordered batch"
	BaselineMemberAdd    BaselineOp = "add a member to a group"
	BaselineMemberRemove BaselineOp = "remove a member from a group"
)

// BaselineOps are all the operations Baseline knows.
var BaselineOps = []BaselineOp{BaselineGet, BaselineFindUserName, BaselineFindExternal, BaselinePage,
	BaselineSetActive, BaselineSetTitle, BaselineCreate, BaselineCreateMany, BaselineMemberAdd, BaselineMemberRemove}

// BaselineTarget is what an operation works on.
type BaselineTarget struct {
	Tenant, UserID, UserName, ExternalID string
	// GroupID and MemberID are the group and the member of a membership change.
	GroupID, MemberID string
	// Skip is where a page starts.
	Skip int
	// New are the users to insert (one for BaselineCreate).
	New []BaselineUser
}

// BaselineUser is a user to insert: its id and its attributes under their canonical
// names, as a validated SCIM body would have them.
type BaselineUser struct {
	ID         string
	Attributes resources.Attributes
}

// Baseline runs an operation on the store's collections directly, with the commands
// its result needs and no others: no token lookup, no existence checks, no read before
// a write, no locks. The documents it writes are the ones the store would write
// (encode), so that index maintenance, which is database work, is the same: on the
// embedded engine that includes the lookups (members' too), which also answer its
// finds there.
func (s *Store) Baseline(ctx context.Context, op BaselineOp, t BaselineTarget) error {
	var err error
	switch op {
	case BaselineGet:
		err = s.users.FindOne(ctx, byKey(key(t.Tenant, t.UserID))).Err()
	case BaselineFindUserName:
		err = s.findAll(ctx, t.Tenant, resources.Path{Attr: schemas.User.Attribute("userName")}, t.UserName, bson.D{{Key: fTenant, Value: t.Tenant}, {Key: fLower + ".userName", Value: fold(t.UserName)}})
	case BaselineFindExternal:
		err = s.findAll(ctx, t.Tenant, resources.Path{Attr: schemas.Common("externalId")}, t.ExternalID, bson.D{{Key: fTenant, Value: t.Tenant}, {Key: "externalId", Value: t.ExternalID}})
	case BaselinePage:
		err = readAll(ctx)(s.users.Find(ctx, bson.D{{Key: fTenant, Value: t.Tenant}}, options.Find().
			SetSort(bson.D{{Key: fSort + ".name_familyName", Value: -1}, {Key: "_id", Value: -1}}).SetSkip(int64(t.Skip)).SetLimit(100)))
	case BaselineSetActive, BaselineSetTitle:
		set := bson.D{{Key: "active", Value: true}, {Key: "meta.lastModified", Value: time.Now()}}
		if op == BaselineSetTitle {
			set = append(set, bson.E{Key: "title", Value: "Baseline"})
		}
		_, err = s.users.UpdateOne(ctx, byKey(key(t.Tenant, t.UserID)), bson.D{{Key: "$set", Value: set}, {Key: "$inc", Value: bson.D{{Key: fVersion, Value: int64(1)}}}})
	case BaselineCreate:
		if len(t.New) != 1 {
			return fmt.Errorf("%s: one user to insert, not %d", op, len(t.New))
		}
		u := newUser(t.Tenant, t.New[0])
		if s.idOnly {
			err = s.addKeys(ctx, keysFor(u.ID, keysOf(u)))
		}
		if err == nil {
			_, err = s.users.InsertOne(ctx, encode(u))
		}
	case BaselineCreateMany:
		users := make([]*resources.Resource, len(t.New))
		docs := make([]any, len(t.New))
		for i, nu := range t.New {
			users[i] = newUser(t.Tenant, nu)
			docs[i] = encode(users[i])
		}
		if s.idOnly {
			err = s.addKeysMany(ctx, users)
		}
		if err == nil {
			_, err = s.users.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
		}
	case BaselineMemberAdd:
		var done func()
		if done, err = s.linkMembers(ctx, t.Tenant, t.GroupID, []string{t.MemberID}); err == nil {
			_, err = s.memberships.InsertOne(ctx, bson.D{{Key: "_id", Value: membershipKey(t.Tenant, t.GroupID, t.MemberID)},
				{Key: fTenant, Value: t.Tenant}, {Key: "group", Value: t.GroupID}, {Key: "value", Value: t.MemberID}, {Key: "type", Value: "User"}})
			done()
		}
		if err == nil {
			err = s.bumpVersion(ctx, t.Tenant, t.GroupID)
		}
	case BaselineMemberRemove:
		unlink := s.unlinking(t.Tenant, map[string][]string{t.MemberID: {t.GroupID}})
		if _, err = s.memberships.DeleteOne(ctx, byKey(membershipKey(t.Tenant, t.GroupID, t.MemberID))); err == nil {
			unlink(ctx)
			err = s.bumpVersion(ctx, t.Tenant, t.GroupID)
		}
	default:
		return fmt.Errorf("no baseline for %q", op)
	}
	return err
}

// findAll finds the tenant's users whose keyed attribute p (see lookups.go) has a
// value, and reads every document found, as a list response must: with query on
// MongoDB, by key on the embedded engine.
func (s *Store) findAll(ctx context.Context, tenant string, p resources.Path, value string, query bson.D) error {
	if !s.idOnly {
		return readAll(ctx)(s.users.Find(ctx, query, options.Find().SetLimit(100)))
	}
	_, err := s.candidates(ctx, tenant, schemas.UserResourceType, probe{lookup: lookupKey(tenant, schemas.UserResourceType, p, value)})
	return err
}

// readAll returns a function that reads every document a query returns.
func readAll(ctx context.Context) func(*mongo.Cursor, error) error {
	return func(cur *mongo.Cursor, err error) error {
		if err != nil {
			return err
		}
		var docs []bson.M
		return cur.All(ctx, &docs)
	}
}

// bumpVersion is the least a membership change must do to its group besides the
// membership itself: a new version (ETag) and lastModified, in one update.
func (s *Store) bumpVersion(ctx context.Context, tenant, groupID string) error {
	_, err := s.groups.UpdateOne(ctx, byKey(key(tenant, groupID)), touch(time.Now().UTC()))
	return err
}

func newUser(tenant string, u BaselineUser) *resources.Resource {
	now := time.Now().UTC()
	return &resources.Resource{Type: schemas.UserResourceType, Tenant: tenant, ID: u.ID, Attributes: u.Attributes,
		Meta: resources.Meta{Created: now, LastModified: now, Version: 1}}
}
