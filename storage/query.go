package storage

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
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

// translate returns the query for f (the tenant's resources when f is nil), and whether
// it is exact.
func (s *Store) translate(ctx context.Context, tenant string, rt *schemas.ResourceType, f resources.Filter) (bson.D, bool, error) {
	t := &translator{s: s, ctx: ctx, tenant: tenant, rt: rt, exact: true}
	q := bson.D{{Key: fTenant, Value: tenant}}
	if f == nil {
		return q, true, nil
	}
	cond, err := t.node(f, false)
	if err != nil {
		return nil, false, err
	}
	return append(q, bson.E{Key: "$and", Value: bson.A{cond}}), t.exact, nil
}

// matchAll and matchNone are conditions that every and no document satisfies.
var (
	matchAll  = bson.D{}
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
	}
	return nil, resources.Errorf(resources.KindInvalidFilter, "unsupported filter expression %T", f)
}

// pair translates two filters joined by $and (and=true) or $or.
func (t *translator) pair(l, r resources.Filter, neg, and bool) (bson.D, error) {
	lq, err := t.node(l, neg)
	if err != nil {
		return nil, err
	}
	rq, err := t.node(r, neg)
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
	if t.rt == schemas.GroupResourceType && f.Path.Is("members", "") {
		return t.membersCondition(f.Filter, neg)
	}
	if t.rt == schemas.UserResourceType && f.Path.Is("groups", "") {
		return nil, resources.Errorf(resources.KindInvalidFilter, "filters inside groups[...] are not supported; use groups.value or groups.display")
	}
	field := fieldOf(f.Path)
	if t.s.elemMatch {
		inner, err := elementQuery(f.Filter, "")
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
	return elementQuery(f.Filter, field+".")
}

// elementQuery translates the filter inside attr[...], whose paths are sub-attributes,
// with prefix prepended to field names ("" inside $elemMatch).
func elementQuery(f resources.Filter, prefix string) (bson.D, error) {
	sub := &translator{exact: true}
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
		case resources.Not:
			return walk(x.Filter, !neg)
		case resources.Compare:
			q, err := sub.field(prefix+x.Path.Attr.Name, x)
			if err != nil || !neg {
				return q, err
			}
			return bson.D{{Key: "$nor", Value: bson.A{q}}}, nil
		}
		return nil, resources.Errorf(resources.KindInvalidFilter, "unsupported expression inside a value filter")
	}
	return walk(f, false)
}

// compare translates one comparison on the resource.
func (t *translator) compare(c resources.Compare) (bson.D, error) {
	p := c.Path
	switch {
	case p.Is("id", ""):
		return t.idCondition(c)
	case p.Schema == "" && p.Attr.Name == "meta":
		return t.metaCondition(c)
	case t.rt == schemas.GroupResourceType && p.Schema == "" && p.Attr.Name == "members":
		// A condition on members is one on a membership's value, display or type;
		// "members pr" asks for any membership at all.
		inner := c
		inner.Path = resources.Path{Attr: p.Leaf()}
		if p.Sub == nil {
			inner = resources.Compare{Path: resources.Path{Attr: p.Attr.Sub("value")}, Op: resources.OpPr}
		}
		return t.membersCondition(inner, false)
	case t.rt == schemas.UserResourceType && p.Schema == "" && p.Attr.Name == "groups":
		return t.groupsCondition(c)
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

// membersCondition answers a condition on a Group's members from the memberships
// collection and returns it as a condition on the groups' _id. f's paths are
// sub-attributes of members (value, display, type).
func (t *translator) membersCondition(f resources.Filter, neg bool) (bson.D, error) {
	inner, err := elementQuery(f, "")
	if err != nil {
		return nil, err
	}
	q := bson.D{{Key: fTenant, Value: t.tenant}, {Key: "$and", Value: bson.A{inner}}}
	// "$ref" of a member is derived from type and value; it is not stored.
	var ids []string
	if err := t.s.memberships.Distinct(t.ctx, "group", q).Decode(&ids); err != nil {
		return nil, dbError("filtering on members", err)
	}
	op := "$in"
	if neg {
		op = "$nin"
	}
	return bson.D{{Key: "_id", Value: bson.D{{Key: op, Value: keys(t.tenant, ids)}}}}, nil
}

// groupsCondition answers a condition on a User's groups: groups.value from _groups,
// groups.display by finding the groups with that display name first.
func (t *translator) groupsCondition(c resources.Compare) (bson.D, error) {
	sub := "value"
	if c.Path.Sub != nil {
		sub = c.Path.Sub.Name
	}
	switch sub {
	case "value":
		if c.Op == resources.OpPr {
			return bson.D{{Key: fGroups + ".0", Value: bson.D{{Key: "$exists", Value: true}}}}, nil
		}
		return t.field(fGroups, c)
	case "display":
		gq, _, err := t.s.translate(t.ctx, t.tenant, schemas.GroupResourceType,
			resources.Compare{Path: resources.Path{Attr: schemas.Group.Attribute("displayName")}, Op: c.Op, Value: c.Value})
		if err != nil {
			return nil, err
		}
		cur, err := t.s.groups.Find(t.ctx, gq, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			return nil, dbError("filtering on groups", err)
		}
		var docs []bson.M
		if err := cur.All(t.ctx, &docs); err != nil {
			return nil, dbError("filtering on groups", err)
		}
		ids := bson.A{}
		for _, d := range docs {
			k, _ := d["_id"].(string)
			ids = append(ids, idOf(k))
		}
		return bson.D{{Key: fGroups, Value: bson.D{{Key: "$in", Value: ids}}}}, nil
	case "type":
		// Every listed group is a direct membership.
		if c.Op == resources.OpEq && c.Value == "direct" || c.Op == resources.OpPr {
			return bson.D{{Key: fGroups + ".0", Value: bson.D{{Key: "$exists", Value: true}}}}, nil
		}
		return matchNone, nil
	}
	return nil, resources.Errorf(resources.KindInvalidFilter, "filtering on groups.%s is not supported", sub)
}
