package resources

import "github.com/scimhq/scimhq/schemas"

// Projection is a client's choice of attributes (RFC 7644 §3.4.2.5, §3.9): either the
// attributes to return (Include) or the ones to leave out (Exclude), never both. The
// attributes' "returned" characteristic has the last word (RFC 7643 §7): "always" ones
// are returned whatever the client asks, "never" ones never, "request" ones only when
// named in Include.
type Projection struct {
	Include []Path
	Exclude []Path
}

// returned reports whether a top-level attribute is returned.
func (p *Projection) returned(schema string, a *schemas.Attribute) bool {
	switch a.Returned {
	case schemas.Always:
		return true
	case schemas.Never:
		return false
	}
	if p != nil && len(p.Include) > 0 {
		for _, in := range p.Include {
			if in.Schema == schema && in.Attr == a {
				return true
			}
		}
		return false
	}
	if a.Returned == schemas.OnRequest {
		return false
	}
	if p != nil {
		for _, ex := range p.Exclude {
			if ex.Schema == schema && ex.Attr == a && ex.Sub == nil {
				return false
			}
		}
	}
	return true
}

// Returns reports whether the top-level attribute name of the core schema (or a
// common attribute) is part of the response.
func (p *Projection) Returns(rt *schemas.ResourceType, name string) bool {
	a := rt.Schema.Attribute(name)
	if a == nil {
		a = schemas.Common(name)
	}
	return a != nil && p.returned("", a)
}

// ReturnsExtension reports whether attribute name of the extension urn is part of the
// response (false when the resource type has no such extension).
func (p *Projection) ReturnsExtension(rt *schemas.ResourceType, urn, name string) bool {
	ext := rt.Extension(urn)
	if ext == nil {
		return false
	}
	a := ext.Attribute(name)
	return a != nil && p.returned(ext.ID, a)
}

// ReturnsSub reports whether sub-attribute sub of the core or common attribute name is
// part of the response (for the attributes rendered outside Attributes: meta, members,
// groups).
func (p *Projection) ReturnsSub(rt *schemas.ResourceType, name, sub string) bool {
	a := rt.Schema.Attribute(name)
	if a == nil {
		a = schemas.Common(name)
	}
	if a == nil || !p.returned("", a) {
		return false
	}
	if p == nil {
		return true
	}
	keep := p.subs("", a)
	s := a.Sub(sub)
	return keep == nil || (s != nil && keep(s))
}

// Apply removes from r's attributes what the projection does not return, down to
// sub-attributes (attributes=name.givenName returns name with givenName only).
func (p *Projection) Apply(r *Resource) {
	if p == nil {
		return
	}
	apply := func(schema string, defs []*schemas.Attribute, attrs Attributes) {
		for _, a := range defs {
			v, ok := attrs[a.Name]
			if !ok {
				continue
			}
			if !p.returned(schema, a) {
				delete(attrs, a.Name)
				continue
			}
			if subs := p.subs(schema, a); subs != nil {
				if v = keepSubs(a, v, subs); v == nil {
					delete(attrs, a.Name)
				} else {
					attrs[a.Name] = v
				}
			}
		}
	}
	apply("", append([]*schemas.Attribute{schemas.Common("externalId")}, r.Type.Schema.Attributes...), r.Attributes)
	for _, e := range r.Type.Extensions {
		ext, ok := r.Attributes[e.Schema.ID].(Attributes)
		if !ok {
			continue
		}
		apply(e.Schema.ID, e.Schema.Attributes, ext)
		if len(ext) == 0 {
			delete(r.Attributes, e.Schema.ID)
		}
	}
}

// subs returns, for a complex attribute, a function telling which sub-attributes to
// keep, or nil when all are kept.
func (p *Projection) subs(schema string, a *schemas.Attribute) func(*schemas.Attribute) bool {
	if a.Type != schemas.Complex {
		return nil
	}
	if len(p.Include) > 0 {
		named := map[*schemas.Attribute]bool{}
		for _, in := range p.Include {
			if in.Schema == schema && in.Attr == a {
				if in.Sub == nil {
					return nil // the whole attribute was asked for
				}
				named[in.Sub] = true
			}
		}
		return func(s *schemas.Attribute) bool { return named[s] || s.Returned == schemas.Always }
	}
	excluded := map[*schemas.Attribute]bool{}
	for _, ex := range p.Exclude {
		if ex.Schema == schema && ex.Attr == a && ex.Sub != nil {
			excluded[ex.Sub] = true
		}
	}
	if len(excluded) == 0 {
		return nil
	}
	return func(s *schemas.Attribute) bool { return !excluded[s] || s.Returned == schemas.Always }
}

// keepSubs keeps the chosen sub-attributes of a complex value of a (or of each value
// of a multi-valued one); nil when nothing is left.
func keepSubs(a *schemas.Attribute, v any, keep func(*schemas.Attribute) bool) any {
	one := func(m Attributes) Attributes {
		out := Attributes{}
		for k, val := range m {
			if d := a.Sub(k); d != nil && keep(d) {
				out[k] = val
			}
		}
		return out
	}
	switch x := v.(type) {
	case Attributes:
		if out := one(x); len(out) > 0 {
			return out
		}
		return nil
	case []any:
		var out []any
		for _, item := range x {
			if m, ok := item.(Attributes); ok {
				if kept := one(m); len(kept) > 0 {
					out = append(out, kept)
				}
			}
		}
		if len(out) > 0 {
			return out
		}
		return nil
	}
	return v
}
