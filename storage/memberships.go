package storage

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// Memberships live in their own collection, one document per (group, member):
//
//	{_id: "<group>/<member>", _tenant, group, value: member id, type, display}
//
// Adding or removing a member is one single-document write whatever the group's size,
// and the _id makes adding an existing member a harmless duplicate.

// idChunk bounds the ids sent in one $in query.
const idChunk = 5000

// MemberTargets looks the ids up among the tenant's Users and Groups.
func (s *Store) MemberTargets(ctx context.Context, tenant string, ids []string) (map[string]resources.MemberTarget, error) {
	out := make(map[string]resources.MemberTarget, len(ids))
	proj := options.Find().SetProjection(bson.D{{Key: "userName", Value: 1}, {Key: "displayName", Value: 1}})
	for start := 0; start < len(ids); start += idChunk {
		chunk := ids[start:min(start+idChunk, len(ids))]
		for _, rt := range []*schemas.ResourceType{schemas.UserResourceType, schemas.GroupResourceType} {
			filter := bson.D{{Key: fTenant, Value: tenant}, {Key: "_id", Value: bson.D{{Key: "$in", Value: chunk}}}}
			cur, err := s.collection(rt).Find(ctx, filter, proj)
			if err != nil {
				return nil, dbError("looking up members", err)
			}
			var docs []bson.M
			if err := cur.All(ctx, &docs); err != nil {
				return nil, dbError("looking up members", err)
			}
			for _, d := range docs {
				id, _ := d["_id"].(string)
				out[id] = resources.MemberTarget{ID: id, Type: rt.ID, Display: displayOf(d)}
			}
		}
	}
	return out, nil
}

func membershipID(groupID, memberID string) string { return groupID + "/" + memberID }

// AddMembers inserts the memberships that do not exist yet.
func (s *Store) AddMembers(ctx context.Context, tenant, groupID string, members []resources.Member) error {
	if len(members) == 0 {
		return nil
	}
	docs := make([]any, len(members))
	for i, m := range members {
		docs[i] = bson.D{
			{Key: "_id", Value: membershipID(groupID, m.Value)},
			{Key: fTenant, Value: tenant},
			{Key: "group", Value: groupID},
			{Key: "value", Value: m.Value},
			{Key: "type", Value: m.Type},
			{Key: "display", Value: m.Display},
		}
	}
	_, err := s.memberships.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err == nil {
		return nil
	}
	// Members that already exist fail as duplicates; that is the desired outcome.
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && bwe.WriteConcernError == nil {
		for _, we := range bwe.WriteErrors {
			if !mongo.IsDuplicateKeyError(we) {
				return dbError("adding members", err)
			}
		}
		return nil
	}
	return dbError("adding members", err)
}

// RemoveMembers deletes the given memberships of a group.
func (s *Store) RemoveMembers(ctx context.Context, tenant, groupID string, memberIDs []string) error {
	for start := 0; start < len(memberIDs); start += idChunk {
		chunk := memberIDs[start:min(start+idChunk, len(memberIDs))]
		filter := bson.D{{Key: fTenant, Value: tenant}, {Key: "group", Value: groupID}, {Key: "value", Value: bson.D{{Key: "$in", Value: chunk}}}}
		if _, err := s.memberships.DeleteMany(ctx, filter); err != nil {
			return dbError("removing members", err)
		}
	}
	return nil
}

// Members returns a group's members ordered by id.
func (s *Store) Members(ctx context.Context, tenant, groupID string) ([]resources.Member, error) {
	cur, err := s.memberships.Find(ctx,
		bson.D{{Key: fTenant, Value: tenant}, {Key: "group", Value: groupID}},
		options.Find().SetSort(bson.D{{Key: "value", Value: 1}}))
	if err != nil {
		return nil, dbError("reading members", err)
	}
	defer cur.Close(ctx)
	members := []resources.Member{}
	for cur.Next(ctx) {
		var d struct{ Value, Type, Display string }
		if err := cur.Decode(&d); err != nil {
			return nil, dbError("reading members", err)
		}
		members = append(members, resources.Member{Value: d.Value, Type: d.Type, Display: d.Display})
	}
	if err := cur.Err(); err != nil {
		return nil, dbError("reading members", err)
	}
	return members, nil
}

// GroupsOf returns the groups memberID directly belongs to, with their display names.
func (s *Store) GroupsOf(ctx context.Context, tenant, memberID string) ([]resources.GroupRef, error) {
	cur, err := s.memberships.Find(ctx,
		bson.D{{Key: fTenant, Value: tenant}, {Key: "value", Value: memberID}},
		options.Find().SetProjection(bson.D{{Key: "group", Value: 1}}))
	if err != nil {
		return nil, dbError("reading group memberships", err)
	}
	var rows []struct{ Group string }
	if err := cur.All(ctx, &rows); err != nil {
		return nil, dbError("reading group memberships", err)
	}
	if len(rows) == 0 {
		return []resources.GroupRef{}, nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.Group
	}
	cur, err = s.groups.Find(ctx,
		bson.D{{Key: fTenant, Value: tenant}, {Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}},
		options.Find().SetProjection(bson.D{{Key: "displayName", Value: 1}}).SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, dbError("reading groups", err)
	}
	var docs []bson.M
	if err := cur.All(ctx, &docs); err != nil {
		return nil, dbError("reading groups", err)
	}
	refs := make([]resources.GroupRef, 0, len(docs))
	for _, d := range docs {
		id, _ := d["_id"].(string)
		refs = append(refs, resources.GroupRef{Value: id, Display: displayOf(d)})
	}
	return refs, nil
}

// DropMemberships removes id from every group and, if it is a group, every member.
func (s *Store) DropMemberships(ctx context.Context, tenant, id string) error {
	for _, field := range []string{"value", "group"} {
		if _, err := s.memberships.DeleteMany(ctx, bson.D{{Key: fTenant, Value: tenant}, {Key: field, Value: id}}); err != nil {
			return dbError("removing memberships", err)
		}
	}
	return nil
}
