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

// Memberships live in their own collection, one document per (group, member):
//
//	{_id: "<tenant>/<group>/<member>", _tenant, group, value: member id, type, display}
//
// Adding a member is one insert and removing one is one delete, whatever the group's
// size; a group's members are the _id range of its prefix; a member's groups are the
// memberships with its id as value (indexed). On the embedded engine, which cannot use
// that index, a member's groups are also kept in its lookup document
// (member_lookups.go), which every membership change updates too.

func membershipKey(tenant, group, member string) string { return tenant + "/" + group + "/" + member }

// memberRange is the filter for all memberships of a group: the keys that start with
// "<tenant>/<group>/". '0' is the character after '/', so [prefix, prefix0) is exactly
// the keys with that prefix.
func memberRange(tenant, group string) bson.D {
	prefix := tenant + "/" + group + "/"
	return bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: prefix}, {Key: "$lt", Value: tenant + "/" + group + "0"}}}}
}

// MemberTargets looks the ids up among the tenant's Users and Groups.
func (s *Store) MemberTargets(ctx context.Context, tenant string, ids []string) (map[string]resources.MemberTarget, error) {
	out := make(map[string]resources.MemberTarget, len(ids))
	proj := bson.D{{Key: "userName", Value: 1}, {Key: "displayName", Value: 1}}
	remaining := ids
	for _, rt := range []*schemas.ResourceType{schemas.UserResourceType, schemas.GroupResourceType} {
		docs, err := s.findByKeys(ctx, s.collection(rt), keys(tenant, remaining), proj)
		if err != nil {
			return nil, dbError("looking up members", err)
		}
		for _, d := range docs {
			k, _ := d["_id"].(string)
			out[idOf(k)] = resources.MemberTarget{ID: idOf(k), Type: rt.ID, Display: displayOf(d)}
		}
		var left []string
		for _, id := range remaining {
			if _, ok := out[id]; !ok {
				left = append(left, id)
			}
		}
		remaining = left
	}
	return out, nil
}

// AddMembers adds members to a group. Existing members only get their display set.
func (s *Store) AddMembers(ctx context.Context, tenant, groupID string, members []resources.Member) error {
	if len(members) == 0 {
		return nil
	}
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.Value
	}
	done, err := s.linkMembers(ctx, tenant, groupID, ids)
	if err != nil {
		return dbError("adding members", err)
	}
	defer done()
	docs := make([]any, len(members))
	for i, m := range members {
		docs[i] = bson.D{
			{Key: "_id", Value: membershipKey(tenant, groupID, m.Value)},
			{Key: fTenant, Value: tenant},
			{Key: "group", Value: groupID},
			{Key: "value", Value: m.Value},
			{Key: "type", Value: m.Type},
			{Key: "display", Value: m.Display},
		}
	}
	_, err = s.memberships.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	existing, ok := duplicates(err)
	if !ok {
		return dbError("adding members", err)
	}
	for _, i := range existing {
		m := members[i]
		set := bson.D{{Key: "$set", Value: bson.D{{Key: "display", Value: m.Display}}}}
		if _, err := s.memberships.UpdateOne(ctx, byKey(membershipKey(tenant, groupID, m.Value)), set); err != nil {
			return dbError("updating members", err)
		}
	}
	return nil
}

// duplicates returns the indexes of the documents a bulk insert did not insert because
// their keys exist, and whether that was its only failure.
func duplicates(err error) ([]int, bool) {
	if err == nil {
		return nil, true
	}
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil {
		return nil, false
	}
	idx := make([]int, 0, len(bwe.WriteErrors))
	for _, we := range bwe.WriteErrors {
		if !mongo.IsDuplicateKeyError(we) {
			return nil, false
		}
		idx = append(idx, we.Index)
	}
	return idx, true
}

// RemoveMembers removes the members with the given ids from a group.
func (s *Store) RemoveMembers(ctx context.Context, tenant, groupID string, memberIDs []string) error {
	if len(memberIDs) == 0 {
		return nil
	}
	mkeys := make([]string, len(memberIDs))
	leaving := make(map[string][]string, len(memberIDs))
	for i, id := range memberIDs {
		mkeys[i] = membershipKey(tenant, groupID, id)
		leaving[id] = []string{groupID}
	}
	unlink := s.unlinking(tenant, leaving)
	if err := s.deleteByKeys(ctx, s.memberships, mkeys); err != nil {
		return dbError("removing members", err)
	}
	unlink(ctx)
	return nil
}

// MembersAmong returns those of ids that are members of the group, by looking up their
// memberships' keys.
func (s *Store) MembersAmong(ctx context.Context, tenant, groupID string, ids []string) ([]string, error) {
	mkeys := make([]string, len(ids))
	for i, id := range ids {
		mkeys[i] = membershipKey(tenant, groupID, id)
	}
	docs, err := s.findByKeys(ctx, s.memberships, mkeys, bson.D{{Key: "value", Value: 1}})
	if err != nil {
		return nil, dbError("reading members", err)
	}
	out := make([]string, 0, len(docs))
	for _, d := range docs {
		if v, ok := d["value"].(string); ok {
			out = append(out, v)
		}
	}
	return out, nil
}

// Members returns a group's members ordered by id.
func (s *Store) Members(ctx context.Context, tenant, groupID string) ([]resources.Member, error) {
	cur, err := s.memberships.Find(ctx, memberRange(tenant, groupID), options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
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

// GroupsOf returns the ids of the groups each of memberIDs is a direct member of, in
// membership key order: with one query on MongoDB, from the members' lookup documents
// on the embedded engine.
func (s *Store) GroupsOf(ctx context.Context, tenant string, memberIDs []string) (map[string][]string, error) {
	return s.groupsOf(ctx, tenant, memberIDs, s.idOnly)
}

// groupsOf is GroupsOf, from the lookup documents or by a query on value.
func (s *Store) groupsOf(ctx context.Context, tenant string, memberIDs []string, byLookup bool) (map[string][]string, error) {
	out := map[string][]string{}
	if len(memberIDs) == 0 {
		return out, nil
	}
	proj := bson.D{{Key: "group", Value: 1}, {Key: "value", Value: 1}}
	var docs []bson.M
	var err error
	if byLookup {
		docs, err = s.membershipsByLookup(ctx, tenant, memberIDs, proj)
	} else {
		filter := bson.D{{Key: fTenant, Value: tenant}, {Key: "value", Value: bson.D{{Key: "$in", Value: memberIDs}}}}
		var cur *mongo.Cursor
		if cur, err = s.memberships.Find(ctx, filter, options.Find().SetProjection(proj).SetSort(bson.D{{Key: "_id", Value: 1}})); err == nil {
			err = cur.All(ctx, &docs)
		}
	}
	if err != nil {
		return nil, dbError("reading group memberships", err)
	}
	for _, d := range docs {
		member, _ := d["value"].(string)
		group, _ := d["group"].(string)
		out[member] = append(out[member], group)
	}
	return out, nil
}

// GroupsByID returns the tenant's groups with the given ids.
func (s *Store) GroupsByID(ctx context.Context, tenant string, ids []string) (map[string]*resources.Resource, error) {
	docs, err := s.findByKeys(ctx, s.groups, keys(tenant, ids), nil)
	if err != nil {
		return nil, dbError("reading groups", err)
	}
	out := make(map[string]*resources.Resource, len(docs))
	for _, d := range docs {
		g := decode(schemas.GroupResourceType, d)
		out[g.ID] = g
	}
	return out, nil
}

// leaveGroups removes a deleted resource's memberships, touches the groups it left, and
// returns their ids.
func (s *Store) leaveGroups(ctx context.Context, tenant, memberID string, at time.Time) ([]string, error) {
	of, err := s.GroupsOf(ctx, tenant, []string{memberID})
	if err != nil {
		return nil, err
	}
	groupIDs := of[memberID]
	if len(groupIDs) == 0 {
		return nil, nil
	}
	mkeys := make([]string, len(groupIDs))
	for i, g := range groupIDs {
		mkeys[i] = membershipKey(tenant, g, memberID)
	}
	unlink := s.unlinking(tenant, map[string][]string{memberID: groupIDs})
	if err := s.deleteByKeys(ctx, s.memberships, mkeys); err != nil {
		return nil, dbError("removing memberships", err)
	}
	unlink(ctx)
	for _, g := range groupIDs {
		if _, err := s.Touch(ctx, tenant, schemas.GroupResourceType, g, 0, at); err != nil && resources.KindOf(err) != resources.KindNotFound {
			return nil, err
		}
	}
	return groupIDs, nil
}

// dropAllMembers removes every membership of a deleted group, and the group from the
// tenant's wide groups (member_lookups.go). On the embedded engine its id stays in its
// members' lookup documents: taking it out would mean reading the
// members first (one more scan of every membership, as the range filter is there) and
// one update per member, where a stale id costs the member's next read of its groups
// one lookup by _id, after which that read takes it out (membershipsByLookup). A group
// created later with the same id is confirmed by its own memberships, not by these.
func (s *Store) dropAllMembers(ctx context.Context, tenant, groupID string) error {
	unwiden := s.dropWide(ctx, tenant, groupID)
	if _, err := s.memberships.DeleteMany(ctx, memberRange(tenant, groupID)); err != nil {
		return dbError("removing members", err)
	}
	unwiden(ctx)
	return nil
}

func keys(tenant string, ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = key(tenant, id)
	}
	return out
}
