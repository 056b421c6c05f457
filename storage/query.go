package storage

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// translator turns a resolved SCIM filter into a MongoDB query for one tenant and
// resource type. Most of a filter maps one to one; the exceptions:
//
//   - case-insensitive strings are compared on their lower-cased copies in _lc, so that
//     "userName eq" is an index lookup, not a case-insensitive scan;
//   - id is the tenant-prefixed _id;
//   - a Group's members and a User's groups live outside the document: conditions on
//     them are answered first (from memberships, or from groups) and become a condition
//     on _id or _groups;
//   - "attr[filter]" needs all its conditions to hold for one element, which MongoDB
//     expresses with $elemMatch. The embedded FerretDB has no $elemMatch on documents,
//     so there the translation is a superset (each condition on any element) and the
//     caller filters the candidates with Filter.Match: exact is false.
type translator struct {
	s      *Store
	ctx    context.Context
	tenant string
	rt     *schemas.ResourceType
	exact  bool
}

// translate returns the query for f (the tenant's resources when f is nil) and, when
// the query is only a superset, the filter that finishes the selection in memory:
// f with its conditions on members and groups resolved into id sets.
func (s *Store) translate(ctx context.Context, tenant string, rt *schemas.ResourceType, f resources.Filter) (bson.D, resources.Filter, error) {
	t := &translator{s: s, ctx: ctx, tenant: tenant, rt: rt, exact: true}
	q := bson.D{{Key: fTenant, Value: tenant}}
	if f == nil {
		return q, nil, nil
	}
	resolved, err := t.resolveIndirect(f)
	if err != nil {
		return nil, nil, err
	}
	cond, err := t.node(resolved, false)
	if err != nil {
		return nil, nil, err
	}
	q = append(q, bson.E{Key: "$and", Value: bson.A{cond}})
	if t.exact {
		return q, nil, nil
	}
	return q, resolved, nil
}

// resolveIndirect replaces the conditions on a Group's members and a User's groups,
// which live in the memberships collection, by the set of ids they select.
func (t *translator) resolveIndirect(f resources.Filter) (resources.Filter, error) {
	switch x := f.(type) {
	case resources.And, resources.Or:
		var l, r resources.Filter
		if a, ok := x.(resources.And); ok {
			l, r = a.Left, a.Right
		} else {
			l, r = x.(resources.Or).Left, x.(resources.Or).Right
		}
		l, err := t.resolveIndirect(l)
		if err != nil {
			return nil, err
		}
		if r, err = t.resolveIndirect(r); err != nil {
			return nil, err
		}
		if _, ok := x.(resources.And); ok {
			return resources.And{Left: l, Right: r}, nil
		}
		return resources.Or{Left: l, Right: r}, nil
	case resources.Not:
		inner, err := t.resolveIndirect(x.Filter)
		return resources.Not{Filter: inner}, err
	case resources.ValueFilter:
		if t.rt == schemas.GroupResourceType && x.Path.Is("members", "") {
			return t.membersIDs(x.Filter)
		}
	case resources.Compare:
		p := x.Path
		switch {
		case t.rt == schemas.GroupResourceType && p.Schema == "" && p.Attr.Name == "members":
			inner := x
			inner.Path = resources.Path{Attr: p.Leaf()}
			if p.Sub == nil {
				inner = resources.Compare{Path: resources.Path{Attr: p.Attr.Sub("value")}, Op: resources.OpPr}
			}
			return t.membersIDs(inner)
		case t.rt == schemas.UserResourceType && p.Schema == "" && p.Attr.Name == "groups":
			return t.groupsIDs(x)
		case t.rt == schemas.UserResourceType && p.Schema == schemas.HQUserURN && p.Attr.Name == "access":
			return t.accessFilter(x)
		}
	}
	return f, nil
}

// accessFilter rewrites a condition on the computed access into the grants it comes
// from: access.value eq "x" holds for a user with a direct grant of x, a core role "x"
// or "x:<role>", or membership of a group that grants x.
func (t *translator) accessFilter(c resources.Compare) (resources.Filter, error) {
	id, _ := c.Value.(string)
	if c.Path.Sub == nil || c.Path.Sub.Name != "value" || (c.Op != resources.OpEq && c.Op != resources.OpNe) {
		return nil, resources.Errorf(resources.KindInvalidFilter, "access is computed; filter on access.value with eq or ne (e.g. access.value eq \"hire\"), or on the grants themselves (products, roles, groups)")
	}
	hqProducts := schemas.HQUser.Attribute("products")
	roles := schemas.User.Attribute("roles")
	direct := resources.Compare{Path: resources.Path{Schema: schemas.HQUserURN, Attr: hqProducts, Sub: hqProducts.Sub("value")}, Op: resources.OpEq, Value: id}
	byRole := resources.Or{
		Left:  resources.Compare{Path: resources.Path{Attr: roles, Sub: roles.Sub("value")}, Op: resources.OpEq, Value: id},
		Right: resources.Compare{Path: resources.Path{Attr: roles, Sub: roles.Sub("value")}, Op: resources.OpSw, Value: id + ":"},
	}
	// The groups that grant the product, then their members.
	groupGrant := bson.D{{Key: fTenant, Value: t.tenant}, {Key: storageKey(schemas.HQGroupURN) + ".products.value", Value: id}}
	granting, err := t.s.distinct(t.ctx, t.s.groups, "_id", groupGrant)
	if err != nil {
		return nil, dbError("filtering on access", err)
	}
	for i := range granting {
		granting[i] = idOf(granting[i])
	}
	members, err := t.s.distinct(t.ctx, t.s.memberships, "value",
		bson.D{{Key: fTenant, Value: t.tenant}, {Key: "group", Value: bson.D{{Key: "$in", Value: granting}}}})
	if err != nil {
		return nil, dbError("filtering on access", err)
	}
	var f resources.Filter = resources.Or{Left: direct, Right: resources.Or{Left: byRole, Right: idSet(members)}}
	if c.Op == resources.OpNe {
		f = resources.Not{Filter: f}
	}
	return f, nil
}

// matchAll and matchNone are conditions that every and no document satisfies. (An empty
// document would do for matchAll on MongoDB, but not inside $and on FerretDB v1.)
var (
	matchAll  = bson.D{{Key: "_id", Value: bson.D{{Key: "$exists", Value: true}}}}
	matchNone = bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{}}}}}
)

// node translates f, negated when neg is set. Negation is pushed down to the leaves
// (De Morgan), so that where only a superset can be expressed it stays a superset.
func (t *translator) node(f resources.Filter, neg bool) (bson.D, error) {
	switch x := f.(type) {
	case resources.And:
		return t.pair(x.Left, x.Right, neg, !neg)
	case resources.Or:
		return t.pair(x.Left, x.Right, neg, neg)
	case resources.Not:
		return t.node(x.Filter, !neg)
	case resources.Compare:
		q, err := t.compare(x)
		if err != nil || !neg {
			return q, err
		}
		return bson.D{{Key: "$nor", Value: bson.A{q}}}, nil
	case resources.ValueFilter:
		return t.valueFilter(x, neg)
	case resources.Nothing:
		if neg {
			return matchAll, nil
		}
		return matchNone, nil
	case resources.IDIn:
		ids := make([]string, 0, len(x))
		for id := range x {
			ids = append(ids, key(t.tenant, id))
		}
		op := "$in"
		if neg {
			op = "$nin"
		}
		return bson.D{{Key: "_id", Value: bson.D{{Key: op, Value: ids}}}}, nil
	}
	return nil, resources.Errorf(resources.KindInvalidFilter, "unsupported filter expression %T", f)
}

// pair translates two filters joined by $and (and=true) or $or.
func (t *translator) pair(l, r resources.Filter, neg, and bool) (bson.D, error) {
	return joined(l, r, neg, and, t.node)
}

// joined translates two filters with walk and joins them by $and (and=true) or $or.
func joined(l, r resources.Filter, neg, and bool, walk func(resources.Filter, bool) (bson.D, error)) (bson.D, error) {
	lq, err := walk(l, neg)
	if err != nil {
		return nil, err
	}
	rq, err := walk(r, neg)
	if err != nil {
		return nil, err
	}
	op := "$or"
	if and {
		op = "$and"
	}
	return bson.D{{Key: op, Value: bson.A{lq, rq}}}, nil
}

func (t *translator) valueFilter(f resources.ValueFilter, neg bool) (bson.D, error) {
	if t.rt == schemas.UserResourceType && f.Path.Is("groups", "") {
		return nil, resources.Errorf(resources.KindInvalidFilter, "filters inside groups[...] are not supported; use groups.value or groups.display")
	}
	if !f.Path.Attr.MultiValued {
		// One value, so "all on one element" is plain conjunction on its sub-attributes.
		return t.node(rebase(f.Filter, f.Path), neg)
	}
	field := fieldOf(f.Path)
	if t.s.elemMatch {
		inner, err := elementQuery(f.Filter, "", f.Path)
		if err != nil {
			return nil, err
		}
		q := bson.D{{Key: field, Value: bson.D{{Key: "$elemMatch", Value: inner}}}}
		if neg {
			q = bson.D{{Key: "$nor", Value: bson.A{q}}}
		}
		return q, nil
	}
	t.exact = false
	if neg {
		return matchAll, nil // the complement of a superset bounds nothing
	}
	// Each condition on any element: a superset of "all on one element".
	return elementQuery(f.Filter, field+".", f.Path)
}

// rebase turns the sub-attribute paths of a filter inside parent[...] into full paths.
func rebase(f resources.Filter, parent resources.Path) resources.Filter {
	switch x := f.(type) {
	case resources.And:
		return resources.And{Left: rebase(x.Left, parent), Right: rebase(x.Right, parent)}
	case resources.Or:
		return resources.Or{Left: rebase(x.Left, parent), Right: rebase(x.Right, parent)}
	case resources.Not:
		return resources.Not{Filter: rebase(x.Filter, parent)}
	case resources.Compare:
		x.Path = resources.Path{Schema: parent.Schema, Attr: parent.Attr, Sub: x.Path.Attr}
		return x
	}
	return f
}

// elementQuery translates the filter inside attr[...], whose paths are sub-attributes.
// Inside $elemMatch (prefix ""), conditions apply to one element: case-insensitive
// strings are compared with case-insensitive regular expressions (the lower-cased
// copies in _lc are separate arrays, not parts of the element). As a superset (prefix
// "attr."), each condition may hold on a different element, a negated condition
// bounds nothing and matches all, and case-insensitive strings use _lc.
func elementQuery(f resources.Filter, prefix string, parent resources.Path) (bson.D, error) {
	superset := prefix != ""
	var walk func(resources.Filter, bool) (bson.D, error)
	walk = func(f resources.Filter, neg bool) (bson.D, error) {
		switch x := f.(type) {
		case resources.And, resources.Or:
			var l, r resources.Filter
			and := !neg
			if a, ok := x.(resources.And); ok {
				l, r = a.Left, a.Right
			} else {
				o := x.(resources.Or)
				l, r, and = o.Left, o.Right, neg
			}
			return joined(l, r, neg, and, walk)
		case resources.Not:
			return walk(x.Filter, !neg)
		case resources.Compare:
			if neg && superset {
				return matchAll, nil
			}
			q, err := elementCompare(x, prefix, parent)
			if err != nil || !neg {
				return q, err
			}
			return bson.D{{Key: "$nor", Value: bson.A{q}}}, nil
		}
		return nil, resources.Errorf(resources.KindInvalidFilter, "unsupported expression inside a value filter")
	}
	return walk(f, false)
}

// elementCompare translates one comparison on a sub-attribute of parent.
func elementCompare(c resources.Compare, prefix string, parent resources.Path) (bson.D, error) {
	field := prefix + c.Path.Attr.Name
	s, isString := c.Value.(string)
	if !caseInsensitive(c.Path.Attr) || !isString || c.Op == resources.OpPr {
		return (&translator{}).field(field, c)
	}
	if prefix != "" {
		lc := resources.Path{Schema: parent.Schema, Attr: parent.Attr, Sub: c.Path.Attr}
		return (&translator{}).lowered(fLower+"."+derivedKey(lc), c)
	}
	var pattern string
	switch c.Op {
	case resources.OpEq, resources.OpNe:
		pattern = "^" + regexp.QuoteMeta(s) + "$"
	case resources.OpCo:
		pattern = regexp.QuoteMeta(s)
	case resources.OpSw:
		pattern = "^" + regexp.QuoteMeta(s)
	case resources.OpEw:
		pattern = regexp.QuoteMeta(s) + "$"
	default: // ordering comparisons are rare inside [...]; compare as stored
		return (&translator{}).field(field, c)
	}
	q := bson.D{{Key: field, Value: bson.D{{Key: "$regex", Value: pattern}, {Key: "$options", Value: "i"}}}}
	if c.Op == resources.OpNe {
		return bson.D{{Key: "$nor", Value: bson.A{q}}}, nil
	}
	return q, nil
}

// compare translates one comparison on the resource.
func (t *translator) compare(c resources.Compare) (bson.D, error) {
	p := c.Path
	switch {
	case p.Is("id", ""):
		return t.idCondition(c)
	case p.Schema == "" && p.Attr.Name == "meta":
		return t.metaCondition(c)
	}
	if caseInsensitive(p.Leaf()) && c.Op != resources.OpPr {
		return t.lowered(fLower+"."+derivedKey(p), c)
	}
	return t.field(fieldOf(p), c)
}

// lowered compares a case-insensitive string on its lower-cased copy.
func (t *translator) lowered(field string, c resources.Compare) (bson.D, error) {
	if s, ok := c.Value.(string); ok {
		c.Value = strings.ToLower(s)
	}
	return t.field(field, c)
}

// field translates a comparison on a document field.
func (t *translator) field(field string, c resources.Compare) (bson.D, error) {
	cond := func(op string, v any) (bson.D, error) {
		return bson.D{{Key: field, Value: bson.D{{Key: op, Value: v}}}}, nil
	}
	switch c.Op {
	case resources.OpPr:
		return bson.D{{Key: field, Value: bson.D{{Key: "$exists", Value: true}, {Key: "$nin", Value: bson.A{nil, ""}}}}}, nil
	case resources.OpEq:
		return bson.D{{Key: field, Value: c.Value}}, nil
	case resources.OpNe:
		return cond("$ne", c.Value)
	case resources.OpGt:
		return cond("$gt", c.Value)
	case resources.OpGe:
		return cond("$gte", c.Value)
	case resources.OpLt:
		return cond("$lt", c.Value)
	case resources.OpLe:
		return cond("$lte", c.Value)
	}
	s, ok := c.Value.(string)
	if !ok {
		return nil, resources.Errorf(resources.KindInvalidFilter, "operator %q needs a string", c.Op)
	}
	pattern := regexp.QuoteMeta(s)
	switch c.Op {
	case resources.OpSw:
		pattern = "^" + pattern
	case resources.OpEw:
		pattern += "$"
	}
	return cond("$regex", pattern)
}

// idCondition compares ids through the tenant-prefixed _id. All the tenant's keys share
// the prefix, so ordering and prefix comparisons carry over unchanged.
func (t *translator) idCondition(c resources.Compare) (bson.D, error) {
	s, _ := c.Value.(string)
	prefix := t.tenant + "/"
	switch c.Op {
	case resources.OpPr:
		return matchAll, nil
	case resources.OpCo:
		return bson.D{{Key: "_id", Value: bson.D{{Key: "$regex", Value: "^" + regexp.QuoteMeta(prefix) + ".*" + regexp.QuoteMeta(s)}}}}, nil
	case resources.OpSw:
		return bson.D{{Key: "_id", Value: bson.D{{Key: "$regex", Value: "^" + regexp.QuoteMeta(prefix+s)}}}}, nil
	}
	c.Value = prefix + s
	return t.field("_id", c)
}

func (t *translator) metaCondition(c resources.Compare) (bson.D, error) {
	if c.Path.Sub == nil {
		if c.Op == resources.OpPr {
			return matchAll, nil
		}
		return nil, resources.Errorf(resources.KindInvalidFilter, "meta is complex; filter on one of its sub-attributes, e.g. meta.lastModified")
	}
	switch c.Path.Sub.Name {
	case "created", "lastModified":
		return t.field("meta."+c.Path.Sub.Name, c)
	case "resourceType":
		if c.Op == resources.OpPr || c.Op == resources.OpEq && strings.EqualFold(fmt.Sprint(c.Value), t.rt.ID) {
			return matchAll, nil
		}
		if c.Op == resources.OpNe && !strings.EqualFold(fmt.Sprint(c.Value), t.rt.ID) {
			return matchAll, nil
		}
		if c.Op == resources.OpEq || c.Op == resources.OpNe {
			return matchNone, nil
		}
	case "version":
		s, _ := c.Value.(string)
		n, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(s, "W/"), `"`), 10, 64)
		if c.Op == resources.OpEq && err == nil {
			return bson.D{{Key: fVersion, Value: n}}, nil
		}
	}
	return nil, resources.Errorf(resources.KindInvalidFilter, "filtering on meta.%s with %q is not supported", c.Path.Sub.Name, c.Op)
}

// membersIDs answers a condition on a Group's members from the memberships: the ids of
// the groups with a membership that satisfies f (whose paths are value, display, type).
func (t *translator) membersIDs(f resources.Filter) (resources.IDIn, error) {
	inner, err := elementQuery(f, "", resources.Path{Attr: schemas.Group.Attribute("members")})
	if err != nil {
		return nil, err
	}
	q := bson.D{{Key: fTenant, Value: t.tenant}, {Key: "$and", Value: bson.A{inner}}}
	ids, err := t.s.distinct(t.ctx, t.s.memberships, "group", q)
	if err != nil {
		return nil, dbError("filtering on members", err)
	}
	return idSet(ids), nil
}

func idSet(ids []string) resources.IDIn {
	set := make(resources.IDIn, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set
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
		ids, err := t.s.distinct(t.ctx, t.s.groups, "_id", gq)
		if err != nil {
			return nil, dbError("filtering on groups", err)
		}
		for i := range ids {
			ids[i] = idOf(ids[i])
		}
		membership = bson.D{{Key: "group", Value: bson.D{{Key: "$in", Value: ids}}}}
	default:
		return nil, resources.Errorf(resources.KindInvalidFilter, "filtering on groups.%s is not supported", sub)
	}
	q := bson.D{{Key: fTenant, Value: t.tenant}, {Key: "$and", Value: bson.A{membership}}}
	members, err := t.s.distinct(t.ctx, t.s.memberships, "value", q)
	if err != nil {
		return nil, dbError("filtering on groups", err)
	}
	return idSet(members), nil
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
