package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
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
	BaselineMemberAdd    BaselineOp = "add a member to a group"
	BaselineMemberRemove BaselineOp = "remove a member from a group"
)

// BaselineTarget is what an operation works on.
type BaselineTarget struct {
	Tenant, UserID, UserName, ExternalID, GroupID string
	Skip                                          int
}

// Baseline runs an operation on the store's collections directly.
func (s *Store) Baseline(ctx context.Context, op BaselineOp, t BaselineTarget) error {
	one := func(filter bson.D, opt *options.FindOptionsBuilder) error {
		cur, err := s.users.Find(ctx, filter, opt)
		if err != nil {
			return err
		}
		var docs []bson.M
		return cur.All(ctx, &docs)
	}
	var err error
	switch op {
	case BaselineGet:
		err = s.users.FindOne(ctx, byKey(key(t.Tenant, t.UserID))).Err()
	case BaselineFindUserName:
		err = one(bson.D{{Key: fTenant, Value: t.Tenant}, {Key: fLower + ".userName", Value: strings.ToLower(t.UserName)}}, options.Find().SetLimit(100))
	case BaselineFindExternal:
		err = one(bson.D{{Key: fTenant, Value: t.Tenant}, {Key: "externalId", Value: t.ExternalID}}, options.Find().SetLimit(100))
	case BaselinePage:
		err = one(bson.D{{Key: fTenant, Value: t.Tenant}}, options.Find().
			SetSort(bson.D{{Key: fSort + ".name_familyName", Value: -1}, {Key: "_id", Value: -1}}).SetSkip(int64(t.Skip)).SetLimit(100))
	case BaselineSetActive, BaselineSetTitle:
		set := bson.D{{Key: "active", Value: true}, {Key: "meta.lastModified", Value: time.Now()}}
		if op == BaselineSetTitle {
			set = append(set, bson.E{Key: "title", Value: "Baseline"})
		}
		_, err = s.users.UpdateOne(ctx, byKey(key(t.Tenant, t.UserID)), bson.D{{Key: "$set", Value: set}, {Key: "$inc", Value: bson.D{{Key: fVersion, Value: int64(1)}}}})
	case BaselineMemberAdd:
		_, err = s.memberships.InsertOne(ctx, bson.D{{Key: "_id", Value: membershipKey(t.Tenant, t.GroupID, t.UserID)},
			{Key: fTenant, Value: t.Tenant}, {Key: "group", Value: t.GroupID}, {Key: "value", Value: t.UserID}, {Key: "type", Value: "User"}})
		if isDuplicateKey(err) {
			err = nil
		}
	case BaselineMemberRemove:
		_, err = s.memberships.DeleteOne(ctx, byKey(membershipKey(t.Tenant, t.GroupID, t.UserID)))
	default:
		return fmt.Errorf("no baseline for %q", op)
	}
	return err
}
