package resources

import (
	"strings"
	"time"

	"github.com/scimhq/scimhq/schemas"
)

// Filter is a SCIM filter (RFC 7644 §3.4.2.2) whose attribute paths have been resolved
// against a resource type's schemas and whose comparison values have the attributes'
// types. Package scim builds it from the filter syntax; package storage translates it
// into a database query; Match evaluates it in memory.
type Filter interface {
	// Match reports whether the attribute values satisfy the filter.
	Match(attrs Attributes, id string, meta Meta) bool
}

// Operator is a comparison operator.
type Operator string

const (
	OpEq Operator = "eq"
	OpNe Operator = "ne"
	OpCo Operator = "co"
	OpSw Operator = "sw"
	OpEw Operator = "ew"
	OpGt Operator = "gt"
	OpGe Operator = "ge"
	OpLt Operator = "lt"
	OpLe Operator = "le"
	OpPr Operator = "pr"
)

// Path is a resolved attribute path: a top-level attribute (of the core schema, an
// extension, or the common attributes) and possibly one of its sub-attributes.
type Path struct {
	// Schema is the URN of the extension the attribute belongs to, or "" for core and
	// common attributes.
	Schema string
	Attr   *schemas.Attribute
	Sub    *schemas.Attribute
}

// Leaf is the attribute whose values a comparison looks at.
func (p Path) Leaf() *schemas.Attribute {
	if p.Sub != nil {
		return p.Sub
	}
	return p.Attr
}

// MultiValued reports whether the path can hold several values.
func (p Path) MultiValued() bool { return p.Attr.MultiValued || (p.Sub != nil && p.Sub.MultiValued) }

func (p Path) String() string {
	s := p.Attr.Name
	if p.Schema != "" {
		s = p.Schema + ":" + s
	}
	if p.Sub != nil {
		s += "." + p.Sub.Name
	}
	return s
}

// Is reports whether the path is the given core or common attribute (and sub-attribute).
func (p Path) Is(attr, sub string) bool {
	if p.Schema != "" || p.Attr.Name != attr {
		return false
	}
	if sub == "" {
		return p.Sub == nil
	}
	return p.Sub != nil && p.Sub.Name == sub
}

// And, Or and Not combine filters.
type (
	And struct{ Left, Right Filter }
	Or  struct{ Left, Right Filter }
	Not struct{ Filter Filter }
)

// Compare is "path op value". Value is nil for pr; otherwise a string, bool, float64
// (integer and decimal attributes) or time.Time, matching the attribute's type.
type Compare struct {
	Path  Path
	Op    Operator
	Value any
}

// ValueFilter is "attr[filter]": the inner filter's paths are sub-attributes of attr,
// and all of it must hold for one and the same value of the multi-valued attribute.
type ValueFilter struct {
	Path   Path // the multi-valued complex attribute
	Filter Filter
}

// Nothing matches no resource: it stands for a comparison on an attribute a resource
// type does not have, in a query across types (RFC 7644 §3.4.2.1).
type Nothing struct{}

func (Nothing) Match(Attributes, string, Meta) bool { return false }

// IDIn matches the resources whose id is in the set. Storage rewrites conditions on
// data outside the resource's document (a Group's members, a User's groups) into it.
type IDIn map[string]bool

func (f IDIn) Match(_ Attributes, id string, _ Meta) bool { return f[id] }

func (f And) Match(a Attributes, id string, m Meta) bool {
	return f.Left.Match(a, id, m) && f.Right.Match(a, id, m)
}
func (f Or) Match(a Attributes, id string, m Meta) bool {
	return f.Left.Match(a, id, m) || f.Right.Match(a, id, m)
}
func (f Not) Match(a Attributes, id string, m Meta) bool { return !f.Filter.Match(a, id, m) }

func (f ValueFilter) Match(a Attributes, id string, m Meta) bool {
	for _, v := range values(a, Path{Schema: f.Path.Schema, Attr: f.Path.Attr}, id, m) {
		if elem, ok := v.(Attributes); ok && f.Filter.Match(elem, id, m) {
			return true
		}
	}
	return false
}

func (f Compare) Match(a Attributes, id string, m Meta) bool {
	vals := values(a, f.Path, id, m)
	if f.Op == OpPr {
		for _, v := range vals {
			if present(v) {
				return true
			}
		}
		return false
	}
	if f.Op == OpNe {
		// "ne" holds when no value equals the operand (also when there is none).
		return !(Compare{Path: f.Path, Op: OpEq, Value: f.Value}).Match(a, id, m)
	}
	caseExact := f.Path.Leaf().CaseExact
	for _, v := range vals {
		if compare(v, f.Op, f.Value, caseExact) {
			return true
		}
	}
	return false
}

// values returns the values at a path of a resource (or, for a ValueFilter's inner
// filter, of one complex value). The common attributes id and meta live outside
// Attributes and are supplied separately.
func values(a Attributes, p Path, id string, m Meta) []any {
	if p.Schema == "" && p.Attr.Name == "id" {
		return []any{id}
	}
	if p.Schema == "" && p.Attr.Name == "meta" && p.Sub != nil {
		switch p.Sub.Name {
		case "created":
			return []any{m.Created}
		case "lastModified":
			return []any{m.LastModified}
		case "version":
			return []any{m.ETag()}
		}
		return nil
	}
	return PathValues(a, p)
}

// PathValues returns the values stored at a path: the attribute's value (or values,
// for a multi-valued one), or its sub-attribute's values.
func PathValues(a Attributes, p Path) []any {
	container := a
	if p.Schema != "" {
		container, _ = a[p.Schema].(Attributes)
	}
	top, ok := container[p.Attr.Name]
	if !ok {
		return nil
	}
	items := []any{top}
	if list, ok := top.([]any); ok {
		items = list
	}
	if p.Sub == nil {
		return items
	}
	var out []any
	for _, item := range items {
		if elem, ok := item.(Attributes); ok {
			if v, ok := elem[p.Sub.Name]; ok {
				// A multi-valued sub-attribute (access.sources) contributes each value,
				// so that a comparison looks at the values, not at their list.
				if list, ok := v.([]any); ok {
					out = append(out, list...)
				} else {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// MapLeaves rebuilds f with each comparison and value filter replaced by what fn
// returns for it; And, Or and Not are kept.
func MapLeaves(f Filter, fn func(Filter) (Filter, error)) (Filter, error) {
	switch x := f.(type) {
	case And:
		l, r, err := mapBoth(x.Left, x.Right, fn)
		return And{Left: l, Right: r}, err
	case Or:
		l, r, err := mapBoth(x.Left, x.Right, fn)
		return Or{Left: l, Right: r}, err
	case Not:
		inner, err := MapLeaves(x.Filter, fn)
		return Not{Filter: inner}, err
	}
	return fn(f)
}

func mapBoth(l, r Filter, fn func(Filter) (Filter, error)) (Filter, Filter, error) {
	l, err := MapLeaves(l, fn)
	if err != nil {
		return nil, nil, err
	}
	r, err = MapLeaves(r, fn)
	return l, r, err
}

func present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case Attributes:
		return len(x) > 0
	}
	return true
}

// compare applies a comparison operator to one stored value.
func compare(v any, op Operator, operand any, caseExact bool) bool {
	switch want := operand.(type) {
	case string:
		got, ok := v.(string)
		if !ok {
			return false
		}
		if !caseExact {
			got, want = strings.ToLower(got), strings.ToLower(want)
		}
		switch op {
		case OpEq:
			return got == want
		case OpCo:
			return strings.Contains(got, want)
		case OpSw:
			return strings.HasPrefix(got, want)
		case OpEw:
			return strings.HasSuffix(got, want)
		}
		return ordered(strings.Compare(got, want), op)
	case bool:
		got, ok := v.(bool)
		return ok && op == OpEq && got == want
	case float64:
		var got float64
		switch n := v.(type) {
		case int64:
			got = float64(n)
		case float64:
			got = n
		default:
			return false
		}
		switch {
		case got < want:
			return ordered(-1, op)
		case got > want:
			return ordered(1, op)
		}
		return ordered(0, op)
	case time.Time:
		got, ok := v.(time.Time)
		if !ok {
			return false
		}
		return ordered(got.Compare(want), op)
	}
	return false
}

// ordered turns a three-way comparison into the result of op.
func ordered(c int, op Operator) bool {
	switch op {
	case OpEq:
		return c == 0
	case OpGt:
		return c > 0
	case OpGe:
		return c >= 0
	case OpLt:
		return c < 0
	case OpLe:
		return c <= 0
	}
	return false
}

// NoneEqual resolves a condition with resolve, reading "path ne v" as "not (path eq v)":
// on a multi-valued attribute, ne holds when no value equals v, also when there is no
// value at all (a group without members, a user in no group). Resolving ne directly
// would select the resources with some other value instead.
func NoneEqual(f Filter, resolve func(Filter) (Filter, error)) (Filter, error) {
	c, ok := f.(Compare)
	if !ok || c.Op != OpNe {
		return resolve(f)
	}
	c.Op = OpEq
	eq, err := resolve(c)
	if err != nil {
		return nil, err
	}
	return Not{Filter: eq}, nil
}
