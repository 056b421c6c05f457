package storage

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// Conditions on data outside a resource's document: a Group's members and a User's
// groups live in the memberships collection, and a User's access is computed from
// grants. They are answered first, by their own queries, and become sets of ids.

// resolveIndirect replaces the conditions on a Group's members, a User's groups and a
// User's access by the set of ids they select.
func (t *translator) resolveIndirect(f resources.Filter) (resources.Filter, error) {
	return resources.MapLeaves(f, func(leaf resources.Filter) (resources.Filter, error) {
		var p resources.Path
		switch x := leaf.(type) {
		case resources.ValueFilter:
			p = x.Path
		case resources.Compare:
			p = x.Path
		default:
			return leaf, nil
		}
		switch {
		case t.rt == schemas.GroupResourceType && p.Schema == "" && p.Attr.Name == "members":
			return resources.NoneEqual(leaf, t.members)
		case t.rt == schemas.UserResourceType && p.Schema == "" && p.Attr.Name == "groups":
			c, ok := leaf.(resources.Compare)
			if !ok {
				return nil, resources.Errorf(resources.KindInvalidFilter, "filters inside groups[...] are not supported; use groups.value or groups.display")
			}
			return resources.NoneEqual(c, func(c resources.Filter) (resources.Filter, error) { return t.groupsIDs(c.(resources.Compare)) })
		case t.rt == schemas.UserResourceType && p.Schema == schemas.HQUserURN && p.Attr.Name == "access":
			return t.accessGrants(leaf)
		}
		return leaf, nil
	})
}

// members answers a condition on a Group's members: "members[filter]", or a
// comparison on members or one of its sub-attributes.
func (t *translator) members(f resources.Filter) (resources.Filter, error) {
	c, ok := f.(resources.Compare)
	if !ok {
		return t.membersIDs(f.(resources.ValueFilter).Filter)
	}
	if c.Path.Sub == nil { // only "members pr" has no sub-attribute (see scim's comparison)
		return t.membersIDs(resources.Compare{Path: resources.Path{Attr: c.Path.Attr.Sub("value")}, Op: resources.OpPr})
	}
	c.Path = resources.Path{Attr: c.Path.Sub}
	return t.membersIDs(c)
}

// membersIDs answers a condition on a Group's members from the memberships: the ids of
// the groups with a membership that satisfies f (whose paths are value, display, type).
// Memberships keep no lower-cased display, so an ordering comparison on it is finished
// here, on the memberships a broader query returns.
func (t *translator) membersIDs(f resources.Filter) (resources.IDIn, error) {
	if member, ok := requiredMember(f); ok && t.s.idOnly {
		// The embedded engine would decode every membership for the query below; the
		// member's lookup document names the groups to check instead.
		docs, err := t.s.membershipsByLookup(t.ctx, t.tenant, []string{member}, nil)
		if err != nil {
			return nil, dbError("filtering on members", err)
		}
		rows := make([]membershipRow, len(docs))
		for i, d := range docs {
			rows[i] = membershipRow{Group: str(d["group"]), Value: str(d["value"]), Type: str(d["type"]), Display: str(d["display"])}
		}
		return matchingGroups(rows, f), nil
	}
	inner, exact, err := elementQuery(f, "", resources.Path{Attr: schemas.Group.Attribute("members")})
	if err != nil {
		return nil, err
	}
	q := bson.D{{Key: fTenant, Value: t.tenant}, {Key: "$and", Value: bson.A{inner}}}
	if exact {
		ids, err := t.s.distinct(t.ctx, t.s.memberships, "group", q)
		if err != nil {
			return nil, dbError("filtering on members", err)
		}
		return idSet(ids), nil
	}
	cur, err := t.s.memberships.Find(t.ctx, q, options.Find().SetProjection(bson.D{
		{Key: "group", Value: 1}, {Key: "value", Value: 1}, {Key: "type", Value: 1}, {Key: "display", Value: 1}}))
	if err != nil {
		return nil, dbError("filtering on members", err)
	}
	var rows []membershipRow
	if err := cur.All(t.ctx, &rows); err != nil {
		return nil, dbError("filtering on members", err)
	}
	return matchingGroups(rows, f), nil
}

type membershipRow struct{ Group, Value, Type, Display string }

// matchingGroups returns the groups of the memberships that satisfy f.
func matchingGroups(rows []membershipRow, f resources.Filter) resources.IDIn {
	set := resources.IDIn{}
	for _, m := range rows {
		member := resources.Attributes{"value": m.Value, "type": m.Type, "display": m.Display}
		if f.Match(member, "", resources.Meta{}) {
			set[m.Group] = true
		}
	}
	return set
}

func idSet(ids []string) resources.IDIn {
	set := make(resources.IDIn, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set
}

// inGroups is the condition for the memberships of any of the groups: their _id ranges
// (see memberRange), which the primary key answers; the group field has no index.
func inGroups(tenant string, ids []string) bson.D {
	switch len(ids) {
	case 0:
		return matchNone
	case 1:
		return memberRange(tenant, ids[0])
	}
	ranges := make(bson.A, len(ids))
	for i, id := range ids {
		ranges[i] = memberRange(tenant, id)
	}
	return bson.D{{Key: "$or", Value: ranges}}
}

// groupsIDs answers a condition on a User's groups from the memberships: the ids of
// the users it selects. groups.value compares the membership's group id,
// groups.display the group's displayName (found first), groups.type is "direct" for
// every membership.
func (t *translator) groupsIDs(c resources.Compare) (resources.Filter, error) {
	sub := "value"
	if c.Path.Sub != nil {
		sub = c.Path.Sub.Name
	}
	var membership bson.D
	switch {
	case c.Op == resources.OpPr || sub == "type" && c.Op == resources.OpEq && c.Value == "direct":
		membership = matchAll
	case sub == "type":
		return resources.Nothing{}, nil
	case sub == "value" && c.Op == resources.OpEq:
		id, _ := c.Value.(string)
		membership = inGroups(t.tenant, []string{id})
	case sub == "value":
		q, err := t.field("group", c)
		if err != nil {
			return nil, err
		}
		membership = q
	case sub == "display":
		gq, _, err := t.s.translate(t.ctx, t.tenant, schemas.GroupResourceType,
			resources.Compare{Path: resources.Path{Attr: schemas.Group.Attribute("displayName")}, Op: c.Op, Value: c.Value})
		if err != nil {
			return nil, err
		}
		ids, err := t.groupIDs(gq)
		if err != nil {
			return nil, err
		}
		membership = inGroups(t.tenant, ids)
	default:
		return nil, resources.Errorf(resources.KindInvalidFilter, "filtering on groups.%s is not supported", sub)
	}
	return t.memberIDs(membership, "filtering on groups")
}

// groupIDs returns the ids of the groups that match q.
func (t *translator) groupIDs(q bson.D) ([]string, error) {
	ids, err := t.s.distinct(t.ctx, t.s.groups, "_id", q)
	if err != nil {
		return nil, dbError("filtering on groups", err)
	}
	for i := range ids {
		ids[i] = idOf(ids[i])
	}
	return ids, nil
}

// memberIDs returns the ids of the members of the memberships that match membership.
func (t *translator) memberIDs(membership bson.D, what string) (resources.IDIn, error) {
	q := bson.D{{Key: fTenant, Value: t.tenant}, {Key: "$and", Value: bson.A{membership}}}
	ids, err := t.s.distinct(t.ctx, t.s.memberships, "value", q)
	if err != nil {
		return nil, dbError(what, err)
	}
	return idSet(ids), nil
}

// accessGrants answers a condition on the computed access with the users holding a
// grant that could produce a value satisfying it: a superset, which resources.Service
// narrows by computing those users' access (the effective role and enabled flag
// depend on all of a product's grants and on the catalog, which the store does not
// know). When the condition names a product (access.value eq "x", or access[value eq
// "x" and ...]), the grants are those of x: a direct grant, a core role "x" or
// "x:<role>", or membership of a group that grants x; otherwise any grant. Only a user
// with some access can satisfy a condition other than ne, which the service resolves
// as "not eq" before it gets here.
func (t *translator) accessGrants(cond resources.Filter) (resources.Filter, error) {
	products := schemas.HQUser.Attribute("products")
	roles := schemas.User.Attribute("roles")
	groupGrant := storageKey(schemas.HQGroupURN) + ".products.value"
	var direct, byRole resources.Filter
	var granting bson.D
	if id, ok := pinnedProduct(cond); ok {
		direct = resources.Compare{Path: resources.Path{Schema: schemas.HQUserURN, Attr: products, Sub: products.Sub("value")}, Op: resources.OpEq, Value: id}
		byRole = resources.Or{
			Left:  resources.Compare{Path: resources.Path{Attr: roles, Sub: roles.Sub("value")}, Op: resources.OpEq, Value: id},
			Right: resources.Compare{Path: resources.Path{Attr: roles, Sub: roles.Sub("value")}, Op: resources.OpSw, Value: id + ":"},
		}
		granting = bson.D{{Key: groupGrant, Value: id}}
	} else {
		direct = resources.Compare{Path: resources.Path{Schema: schemas.HQUserURN, Attr: products}, Op: resources.OpPr}
		byRole = resources.Compare{Path: resources.Path{Attr: roles}, Op: resources.OpPr}
		granting = bson.D{{Key: groupGrant, Value: bson.D{{Key: "$exists", Value: true}}}}
	}
	groups, err := t.groupIDs(bson.D{{Key: fTenant, Value: t.tenant}, {Key: "$and", Value: bson.A{granting}}})
	if err != nil {
		return nil, err
	}
	byGroup, err := t.memberIDs(inGroups(t.tenant, groups), "filtering on access")
	if err != nil {
		return nil, err
	}
	return resources.Or{Left: direct, Right: resources.Or{Left: byRole, Right: byGroup}}, nil
}

// pinnedProduct returns the product a condition on access requires, if it requires
// one: access.value eq "x", or a value filter with "value eq x" among its conjuncts.
func pinnedProduct(f resources.Filter) (string, bool) {
	return conjunct(f, func(c resources.Compare) (string, bool) {
		id, ok := c.Value.(string)
		return id, ok && c.Op == resources.OpEq && c.Path.Leaf().Name == "value"
	})
}

// distinct returns the distinct string values of field among the documents matching
// filter. It reads them with a projected find rather than the distinct command, whose
// answer FerretDB v1 shapes differently from MongoDB.
func (s *Store) distinct(ctx context.Context, coll *mongo.Collection, field string, filter bson.D) ([]string, error) {
	cur, err := coll.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: field, Value: 1}}))
	if err != nil {
		return nil, err
	}
	var docs []bson.M
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(docs))
	for _, d := range docs {
		if v, ok := d[field].(string); ok && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out, nil
}
