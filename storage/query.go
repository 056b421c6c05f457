package storage

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// translator turns a resolved SCIM filter into a MongoDB query for one tenant and
// resource type. Most of a filter maps one to one; the exceptions:
//
//   - case-insensitive strings are compared on their lower-cased copies in _lc, so that
//     "userName eq" is an index lookup, not a case-insensitive scan;
//   - id is the tenant-prefixed _id;
//   - a Group's members, a User's groups and a User's computed access live outside the
//     document: conditions on them are answered first (see resolveIndirect) and become
//     a condition on _id;
//   - "attr[filter]" needs all its conditions to hold for one element, which MongoDB
//     expresses with $elemMatch. The embedded FerretDB has no $elemMatch on documents,
//     so there the translation is a superset (each condition on any element) and the
//     caller filters the candidates with Filter.Match: exact is false. MongoDB takes
//     that way too where $elemMatch cannot say it exactly (ordering comparisons of
//     case-insensitive strings, see elementQuery).
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
	q, resolved, exact, err := s.translation(ctx, tenant, rt, f)
	if err != nil || exact {
		return q, nil, err
	}
	return q, asStored(resolved), nil
}

// translation returns the query for f, f with its indirect conditions resolved (nil
// when f is), and whether the query selects exactly what f does.
func (s *Store) translation(ctx context.Context, tenant string, rt *schemas.ResourceType, f resources.Filter) (bson.D, resources.Filter, bool, error) {
	t := &translator{s: s, ctx: ctx, tenant: tenant, rt: rt, exact: true}
	q := bson.D{{Key: fTenant, Value: tenant}}
	if f == nil {
		return q, nil, true, nil
	}
	resolved, err := t.resolveIndirect(f)
	if err != nil {
		return nil, nil, false, err
	}
	cond, err := t.node(resolved, false)
	if err != nil {
		return nil, nil, false, err
	}
	return append(q, bson.E{Key: "$and", Value: bson.A{cond}}), resolved, t.exact, nil
}

// asStored returns f for Match to evaluate as the query evaluates it, where the two
// differ: meta.version eq compares the number in the ETag (see metaCondition), not the
// ETag's text, and times compare at the millisecond precision the database keeps.
func asStored(f resources.Filter) resources.Filter {
	out, _ := resources.MapLeaves(f, func(leaf resources.Filter) (resources.Filter, error) {
		c, ok := leaf.(resources.Compare)
		if !ok {
			return leaf, nil
		}
		if c.Path.Is("meta", "") && c.Op == resources.OpPr {
			return always{}, nil // every resource has meta, as the database query says
		}
		if c.Path.Is("meta", "version") && c.Op == resources.OpEq {
			if n, err := versionOf(c.Value); err == nil {
				return versionIs(n), nil
			}
		}
		if t, ok := c.Value.(time.Time); ok {
			c.Value = t.Truncate(time.Millisecond)
		}
		return c, nil
	})
	return out
}

// always matches every resource.
type always struct{}

func (always) Match(resources.Attributes, string, resources.Meta) bool { return true }

// versionIs matches the resources at one version.
type versionIs int64

func (v versionIs) Match(_ resources.Attributes, _ string, m resources.Meta) bool {
	return m.Version == int64(v)
}

// versionOf reads a version from a filter value: an ETag (W/"3") or its number.
func versionOf(v any) (int64, error) {
	s, _ := v.(string)
	return strconv.ParseInt(strings.Trim(strings.TrimPrefix(s, "W/"), `"`), 10, 64)
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
	if !f.Path.Attr.MultiValued {
		// One value, so "all on one element" is plain conjunction on its sub-attributes.
		return t.node(rebase(f.Filter, f.Path), neg)
	}
	field := fieldOf(f.Path)
	if t.s.elemMatch {
		inner, exact, err := elementQuery(f.Filter, "", f.Path)
		if err != nil {
			return nil, err
		}
		q := bson.D{{Key: field, Value: bson.D{{Key: "$elemMatch", Value: inner}}}}
		if !exact {
			t.exact = false
			if neg {
				return matchAll, nil // the complement of a superset bounds nothing
			}
		}
		if neg {
			return bson.D{{Key: "$nor", Value: bson.A{q}}}, nil
		}
		if eqs := loweredEqualities(f.Filter, f.Path); len(eqs) > 0 {
			// Implied by the $elemMatch, whose case-insensitive regular expressions no
			// index answers; the lower-cased copies are indexed (_lc.emails_value), so
			// Entra ID's emails[type eq "work"].value eq "x" is an index lookup.
			return bson.D{{Key: "$and", Value: append(eqs, q)}}, nil
		}
		return q, nil
	}
	t.exact = false
	if neg {
		return matchAll, nil // the complement of a superset bounds nothing
	}
	// Each condition on any element: a superset of "all on one element".
	q, _, err := elementQuery(f.Filter, field+".", f.Path)
	return q, err
}

// loweredEqualities returns, for the case-insensitive "sub eq value" conditions that
// every element matching f satisfies (the conjuncts at its top), the equality on the
// lower-cased copy.
func loweredEqualities(f resources.Filter, parent resources.Path) bson.A {
	switch x := f.(type) {
	case resources.And:
		return append(loweredEqualities(x.Left, parent), loweredEqualities(x.Right, parent)...)
	case resources.Compare:
		s, ok := x.Value.(string)
		if ok && x.Op == resources.OpEq && caseInsensitive(x.Path.Attr) {
			lc := resources.Path{Schema: parent.Schema, Attr: parent.Attr, Sub: x.Path.Attr}
			return bson.A{bson.D{{Key: fLower + "." + derivedKey(lc), Value: fold(s)}}}
		}
	}
	return nil
}

// conjunct returns what pick takes from the first comparison it accepts among f and the
// conditions f requires at its top (the conjuncts of an and, and those inside a value
// filter, with their paths made whole): the value a filter cannot match without.
func conjunct[T any](f resources.Filter, pick func(resources.Compare) (T, bool)) (T, bool) {
	switch x := f.(type) {
	case resources.And:
		if v, ok := conjunct(x.Left, pick); ok {
			return v, true
		}
		return conjunct(x.Right, pick)
	case resources.ValueFilter:
		return conjunct(rebase(x.Filter, x.Path), pick)
	case resources.Compare:
		return pick(x)
	}
	var none T
	return none, false
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

// elementQuery translates the filter inside attr[...], whose paths are sub-attributes,
// and reports whether the translation is exact.
//
// Per element (prefix "": inside $elemMatch, or on the flat membership documents),
// conditions apply to one element: case-insensitive strings are compared with
// case-insensitive regular expressions (the lower-cased copies in _lc are separate
// arrays, not parts of the element). No query orders strings case-insensitively there,
// so an ordering comparison on one becomes a condition every element meets, and the
// translation a superset that the caller finishes with Filter.Match.
//
// As a superset (prefix "attr."), each condition may hold on a different element and
// case-insensitive strings use _lc; a negated condition, or "ne", bounds nothing and
// matches all (an array holding the operand can hold other values too).
func elementQuery(f resources.Filter, prefix string, parent resources.Path) (bson.D, bool, error) {
	superset := prefix != ""
	exact := !superset
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
			if superset && (neg || x.Op == resources.OpNe) {
				return matchAll, nil
			}
			if !superset && lowerOrdering(x) {
				exact = false
				return anyValue(x.Path.Attr.Name), nil
			}
			q, err := elementCompare(x, prefix, parent)
			if err != nil || !neg {
				return q, err
			}
			return bson.D{{Key: "$nor", Value: bson.A{q}}}, nil
		}
		return nil, resources.Errorf(resources.KindInvalidFilter, "unsupported expression inside a value filter")
	}
	q, err := walk(f, false)
	return q, exact, err
}

// lowerOrdering reports whether c orders a case-insensitive string.
func lowerOrdering(c resources.Compare) bool {
	_, isString := c.Value.(string)
	switch c.Op {
	case resources.OpGt, resources.OpGe, resources.OpLt, resources.OpLe:
		return isString && caseInsensitive(c.Path.Attr)
	}
	return false
}

// anyValue is a condition that every element (or membership) meets, whether or not it
// has the field.
func anyValue(field string) bson.D {
	return bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: field, Value: bson.D{{Key: "$exists", Value: true}}}},
		bson.D{{Key: field, Value: bson.D{{Key: "$exists", Value: false}}}},
	}}}
}

// elementCompare translates one comparison on a sub-attribute of parent (ordering
// comparisons of case-insensitive strings only as a superset, see elementQuery).
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
	default:
		return nil, resources.Errorf(resources.KindInvalidFilter, "%s %s cannot be compared case-insensitively here", c.Path.Attr.Name, c.Op)
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
	if c.Op == resources.OpPr {
		return t.present(p), nil
	}
	if caseInsensitive(p.Leaf()) {
		return t.lowered(fLower+"."+derivedKey(p), c)
	}
	return t.field(fieldOf(p), c)
}

// present is the condition for "p pr": a value that is neither null nor empty. On a
// sub-attribute of a multi-valued attribute, MongoDB reads {"emails.value": {$nin:
// [null]}} as "no element lacks a value", which leaves out a user with one address
// without a value and another with one; $elemMatch asks whether one element has it.
// (FerretDB v1, which has no $elemMatch on documents, reads the dotted path as "some
// element has it".)
func (t *translator) present(p resources.Path) bson.D {
	if p.Sub != nil && p.Attr.MultiValued && t.s.elemMatch {
		elem := bson.D{{Key: p.Sub.Name, Value: presentValue}}
		return bson.D{{Key: fieldOf(resources.Path{Schema: p.Schema, Attr: p.Attr}), Value: bson.D{{Key: "$elemMatch", Value: elem}}}}
	}
	return bson.D{{Key: fieldOf(p), Value: presentValue}}
}

// presentValue is the condition on a field for "pr".
var presentValue = bson.D{{Key: "$exists", Value: true}, {Key: "$nin", Value: bson.A{nil, ""}}}

// lowered compares a case-insensitive string on its lower-cased copy.
func (t *translator) lowered(field string, c resources.Compare) (bson.D, error) {
	if s, ok := c.Value.(string); ok {
		c.Value = fold(s)
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
		return bson.D{{Key: field, Value: presentValue}}, nil
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
		n, err := versionOf(c.Value)
		if c.Op == resources.OpEq && err == nil {
			return bson.D{{Key: fVersion, Value: n}}, nil
		}
	}
	return nil, resources.Errorf(resources.KindInvalidFilter, "filtering on meta.%s with %q is not supported", c.Path.Sub.Name, c.Op)
}
