package resources

import (
	"reflect"
	"strings"

	"github.com/scimhq/scimhq/schemas"
)

// PatchOp is one operation of a PATCH request (RFC 7644 §3.5.2), its path resolved.
type PatchOp struct {
	Op    string     // "add", "replace" or "remove" (lower-cased by the parser)
	Path  *PatchPath // nil: the value is a map of attributes to add or replace
	Value any        // the raw JSON value (json.Number for numbers)
}

// PatchPath is a resolved PATCH path: attr, attr.sub, attr[filter] or attr[filter].sub.
type PatchPath struct {
	Target Path   // the attribute, and its sub-attribute when there is no filter
	Filter Filter // for attr[filter]: selects values of the multi-valued Target.Attr
	Sub    *schemas.Attribute
	Text   string // as the client wrote it, for messages
}

// patcher applies operations to a copy of a resource's attributes.
type patcher struct {
	rt     *schemas.ResourceType
	attrs  Attributes
	v      *validator
	id     string
	meta   Meta
	pwHash *string
}

func patchError(kind Kind, path *PatchPath, format string, args ...any) error {
	e := Errorf(kind, format, args...)
	if path != nil {
		e.Detail = "path " + quote(path.Text) + ": " + e.Detail
	}
	return e
}

func quote(s string) string { return "\"" + s + "\"" }

// apply runs one operation.
func (p *patcher) apply(op PatchOp) error {
	if op.Path == nil {
		return p.applyMap(op)
	}
	if op.Op == "remove" {
		return p.remove(op.Path, op.Value)
	}
	return p.set(op.Op, op.Path, op.Value)
}

// applyMap applies a path-less add or replace: each key is an attribute name (or a
// dotted path, or an extension URN whose value is a map of its attributes), as Okta and
// Entra ID send them.
func (p *patcher) applyMap(op PatchOp) error {
	if op.Op == "remove" {
		return errRemoveWithoutPath()
	}
	m, ok := op.Value.(map[string]any)
	if !ok {
		return Errorf(KindInvalidValue, "an %s operation without a path needs an object of attributes as its value", op.Op)
	}
	for key, raw := range m {
		if ignoredInMap(key) {
			continue // Okta echoes the id; schemas and meta are the server's
		}
		if ext := p.rt.Extension(key); ext != nil {
			sub, ok := raw.(map[string]any)
			if !ok {
				return Errorf(KindInvalidValue, "the value of %q must be an object of its attributes", ext.ID)
			}
			for name, v := range sub {
				path, err := resolveSimplePath(p.rt, ext.ID, name)
				if err != nil {
					if err := p.v.unknown(ext.ID + ":" + name); err != nil {
						return err
					}
					continue
				}
				if err := p.set(op.Op, path, v); err != nil {
					return err
				}
			}
			continue
		}
		path, err := resolveKey(p.rt, key)
		if err != nil {
			if err := p.v.unknown(key); err != nil {
				return err
			}
			continue
		}
		if err := p.set(op.Op, path, raw); err != nil {
			return err
		}
	}
	return nil
}

// errRemoveWithoutPath is RFC 7644 §3.5.2.2's answer to a remove without a path.
func errRemoveWithoutPath() error {
	return Errorf(KindNoTarget, "a remove operation needs a path (RFC 7644 §3.5.2.2)")
}

func ignoredInMap(key string) bool {
	switch strings.ToLower(key) {
	case "id", "schemas", "meta":
		return true
	}
	return false
}

// resolveKey resolves a key of a path-less value map: "name", "name.givenName", or
// "urn:…:User:department".
func resolveKey(rt *schemas.ResourceType, key string) (*PatchPath, error) {
	uri, rest := "", key
	if strings.HasPrefix(strings.ToLower(key), "urn:") {
		i := strings.LastIndexByte(key, ':')
		uri, rest = key[:i], key[i+1:]
	}
	return resolveSimplePath(rt, uri, rest)
}

// resolveSimplePath resolves "attr" or "attr.sub" of the given schema ("" for core).
func resolveSimplePath(rt *schemas.ResourceType, uri, name string) (*PatchPath, error) {
	attr, sub, _ := strings.Cut(name, ".")
	var s *schemas.Schema
	switch {
	case uri == "" || strings.EqualFold(uri, rt.Schema.ID):
		s, uri = rt.Schema, ""
	default:
		if s = rt.Extension(uri); s == nil {
			return nil, Errorf(KindInvalidPath, "%q is not a schema of a %s", uri, rt.ID)
		}
		uri = s.ID
	}
	a := s.Attribute(attr)
	if a == nil && uri == "" {
		a = schemas.Common(attr)
	}
	if a == nil {
		return nil, Errorf(KindInvalidPath, "a %s has no attribute %q", rt.ID, name)
	}
	path := &PatchPath{Target: Path{Schema: uri, Attr: a}, Text: name}
	if sub != "" {
		if path.Target.Sub = a.Sub(sub); path.Target.Sub == nil {
			return nil, Errorf(KindInvalidPath, "%q has no sub-attribute %q", a.Name, sub)
		}
	}
	return path, nil
}

// container returns the map holding the path's top-level attribute (the resource, or
// its extension's map, created when create is set).
func (p *patcher) container(path *PatchPath, create bool) Attributes {
	if path.Target.Schema == "" {
		return p.attrs
	}
	ext, ok := p.attrs[path.Target.Schema].(Attributes)
	if !ok && create {
		ext = Attributes{}
		p.attrs[path.Target.Schema] = ext
	}
	return ext
}

// writable rejects changes to attributes the client may not change.
func (p *patcher) writable(path *PatchPath) error {
	for _, a := range []*schemas.Attribute{path.Target.Attr, path.Target.Sub, path.Sub} {
		if a != nil && a.Mutability == schemas.ReadOnly {
			return patchError(KindMutability, path, "%q is read-only", a.Name)
		}
	}
	return nil
}

// set applies add or replace at a path.
func (p *patcher) set(op string, path *PatchPath, raw any) error {
	if err := p.writable(path); err != nil {
		return err
	}
	t := path.Target
	if t.Schema == "" && t.Attr.Name == "password" {
		s, ok := raw.(string)
		if !ok || s == "" {
			return patchError(KindInvalidValue, path, "the password must be a non-empty string")
		}
		p.pwHash = &s
		return nil
	}
	if path.Filter != nil {
		return p.setFiltered(op, path, raw)
	}
	c := p.container(path, true)
	if t.Sub != nil {
		return p.setSub(op, path, c, raw)
	}
	val, err := p.v.value(t.Attr, p.coerce(t.Attr, raw), t.String())
	if err != nil {
		return err
	}
	if val == nil {
		if op == "replace" {
			delete(c, t.Attr.Name) // replacing with null or [] clears (RFC 7643 §2.5)
		}
		return nil
	}
	changed, _ := val.([]any) // the values of a multi-valued attribute this sets
	switch {
	case t.Attr.MultiValued && op == "add":
		list, _ := c[t.Attr.Name].([]any)
		changed = nil
		for _, item := range val.([]any) {
			i := indexEqual(list, item)
			switch m, _ := item.(Attributes); {
			case i < 0:
				list = append(list, item)
				changed = append(changed, item)
			case m["primary"] == true:
				// The value is there already, and only its being primary is news: the
				// client makes an existing address the primary one this way.
				list[i].(Attributes)["primary"] = true
				changed = append(changed, list[i])
			}
			// An equal value re-sent without primary changes nothing, and its stored
			// primary must not outvote a value this request makes primary.
		}
		c[t.Attr.Name] = list
	case t.Attr.Type == schemas.Complex && !t.Attr.MultiValued:
		// add and replace on a complex value merge its sub-attributes: those not given
		// are left unchanged (RFC 7644 §3.5.2.1, §3.5.2.3).
		merged, _ := c[t.Attr.Name].(Attributes)
		if merged == nil {
			merged = Attributes{}
		}
		for k, v := range val.(Attributes) {
			merged[k] = v
		}
		c[t.Attr.Name] = merged
	default:
		c[t.Attr.Name] = val
	}
	if t.Attr.MultiValued {
		keepOnePrimary(c[t.Attr.Name].([]any), changed)
	}
	return nil
}

// coerce adapts two common shapes: Entra ID's bare manager id stands for the complex
// value {"value": id}, and one object given for a multi-valued attribute is a list of
// one.
func (p *patcher) coerce(a *schemas.Attribute, raw any) any {
	if s, ok := raw.(string); ok && a.Type == schemas.Complex && !a.MultiValued && a.Sub("value") != nil {
		return map[string]any{"value": s}
	}
	if m, ok := raw.(map[string]any); ok && a.MultiValued {
		return []any{m}
	}
	return raw
}

// setSub sets a sub-attribute of a singular complex attribute (name.givenName), or of
// every value of a multi-valued one.
func (p *patcher) setSub(op string, path *PatchPath, c Attributes, raw any) error {
	t := path.Target
	val, err := p.v.value(t.Sub, raw, t.String())
	if err != nil {
		return err
	}
	if !t.Attr.MultiValued {
		m, _ := c[t.Attr.Name].(Attributes)
		if m == nil {
			m = Attributes{}
		}
		if val == nil {
			delete(m, t.Sub.Name)
		} else {
			m[t.Sub.Name] = val
		}
		if len(m) == 0 {
			delete(c, t.Attr.Name)
		} else {
			c[t.Attr.Name] = m
		}
		return nil
	}
	list, _ := c[t.Attr.Name].([]any)
	if len(list) == 0 {
		return patchError(KindNoTarget, path, "%q has no values whose %q could be set", t.Attr.Name, t.Sub.Name)
	}
	for _, item := range list {
		if m, ok := item.(Attributes); ok {
			m[t.Sub.Name] = val
		}
	}
	return nil
}

// setFiltered applies add or replace to the values of a multi-valued attribute that
// match the path's filter: their sub-attribute (attr[filter].sub), or the whole value.
func (p *patcher) setFiltered(op string, path *PatchPath, raw any) error {
	t := path.Target
	c := p.container(path, true)
	list, _ := c[t.Attr.Name].([]any)
	matched := false
	var changed []any
	for i, item := range list {
		m, ok := item.(Attributes)
		if !ok || !path.Filter.Match(m, p.id, p.meta) {
			continue
		}
		matched = true
		changed = append(changed, m)
		if path.Sub != nil {
			val, err := p.v.value(path.Sub, raw, path.Text)
			if err != nil {
				return err
			}
			if val == nil {
				delete(m, path.Sub.Name)
			} else {
				m[path.Sub.Name] = val
			}
			continue
		}
		val, err := p.v.singular(t.Attr, raw, path.Text)
		if err != nil {
			return err
		}
		elem, _ := val.(Attributes)
		if op == "add" {
			for k, v := range elem {
				m[k] = v
			}
		} else {
			list[i] = elem
			changed[len(changed)-1] = elem
		}
	}
	if !matched {
		// attr[type eq "x"].sub on a value that does not exist yet creates it: Entra ID
		// sets emails[type eq "work"].value this way (RFC 7644 leaves this open).
		elem, ok := creatable(path)
		if !ok {
			return patchError(KindNoTarget, path, "no value of %q matches the filter", t.Attr.Name)
		}
		val, err := p.v.value(path.Sub, raw, path.Text)
		if err != nil {
			return err
		}
		if val == nil {
			return nil
		}
		elem[path.Sub.Name] = val
		list = append(list, elem)
		changed = append(changed, elem)
	}
	c[t.Attr.Name] = list
	keepOnePrimary(list, changed)
	return nil
}

// creatable returns the value that attr[sub eq "x"].other creates when nothing
// matches: a filter that is one equality on a sub-attribute, followed by another
// sub-attribute.
func creatable(path *PatchPath) (Attributes, bool) {
	c, ok := path.Filter.(Compare)
	if !ok || path.Sub == nil || c.Op != OpEq || c.Path.Attr == nil {
		return nil, false
	}
	return Attributes{c.Path.Attr.Name: c.Value}, true
}

// remove applies a remove operation. With a value (Entra ID removes group members by
// sending them), only the values equal to one given are removed.
func (p *patcher) remove(path *PatchPath, raw any) error {
	if err := p.writable(path); err != nil {
		return err
	}
	t := path.Target
	if t.Attr.Required && path.Filter == nil && t.Sub == nil {
		return patchError(KindMutability, path, "%q is required and cannot be removed", t.Attr.Name)
	}
	c := p.container(path, false)
	if c == nil {
		return nil
	}
	switch {
	case path.Filter != nil:
		list, _ := c[t.Attr.Name].([]any)
		var kept []any
		matched := false
		for _, item := range list {
			m, ok := item.(Attributes)
			if !ok || !path.Filter.Match(m, p.id, p.meta) {
				kept = append(kept, item)
				continue
			}
			matched = true
			if path.Sub != nil {
				delete(m, path.Sub.Name)
				if len(m) > 0 {
					kept = append(kept, m)
				}
			}
		}
		if !matched {
			return patchError(KindNoTarget, path, "no value of %q matches the filter", t.Attr.Name)
		}
		setOrDelete(c, t.Attr.Name, kept)
	case t.Sub != nil:
		if list, ok := c[t.Attr.Name].([]any); ok {
			for _, item := range list {
				if m, ok := item.(Attributes); ok {
					delete(m, t.Sub.Name)
				}
			}
			return nil
		}
		if m, ok := c[t.Attr.Name].(Attributes); ok {
			delete(m, t.Sub.Name)
			if len(m) == 0 {
				delete(c, t.Attr.Name)
			}
		}
	case raw != nil && t.Attr.MultiValued:
		val, err := p.v.value(t.Attr, raw, t.String())
		if err != nil {
			return err
		}
		gone, _ := val.([]any)
		list, _ := c[t.Attr.Name].([]any)
		var kept []any
		for _, item := range list {
			if !containsSame(gone, item) {
				kept = append(kept, item)
			}
		}
		setOrDelete(c, t.Attr.Name, kept)
	default:
		delete(c, t.Attr.Name)
	}
	if t.Schema != "" && len(c) == 0 {
		delete(p.attrs, t.Schema)
	}
	return nil
}

func setOrDelete(c Attributes, name string, list []any) {
	if len(list) == 0 {
		delete(c, name)
	} else {
		c[name] = list
	}
}

// indexEqual returns the index of the value of list equal to item, or -1, so that add
// does not duplicate values (RFC 7644 §3.5.2.1). "primary" does not make values
// different.
func indexEqual(list []any, item any) int {
	for i, v := range list {
		if equalIgnoringPrimary(v, item) {
			return i
		}
	}
	return -1
}

// containsSame reports whether a value to remove names item: complex values match on
// "value" when the removal gives one, otherwise on all the sub-attributes given.
func containsSame(gone []any, item any) bool {
	for _, g := range gone {
		gm, ok1 := g.(Attributes)
		im, ok2 := item.(Attributes)
		if !ok1 || !ok2 {
			if reflect.DeepEqual(g, item) {
				return true
			}
			continue
		}
		if v, ok := gm["value"]; ok {
			if v == im["value"] {
				return true
			}
			continue
		}
		if equalIgnoringPrimary(gm, im) {
			return true
		}
	}
	return false
}

func equalIgnoringPrimary(a, b any) bool {
	am, ok1 := a.(Attributes)
	bm, ok2 := b.(Attributes)
	if !ok1 || !ok2 {
		return reflect.DeepEqual(a, b)
	}
	strip := func(m Attributes) Attributes {
		out := Attributes{}
		for k, v := range m {
			if k != "primary" {
				out[k] = v
			}
		}
		return out
	}
	return reflect.DeepEqual(strip(am), strip(bm))
}

// keepOnePrimary enforces "primary": true on at most one value (RFC 7643 §2.4): the
// value just set wins, and the others lose the flag.
func keepOnePrimary(list, added []any) {
	var winner Attributes
	for _, v := range added {
		if m, ok := v.(Attributes); ok && m["primary"] == true {
			winner = m
		}
	}
	if winner == nil {
		// Without a newly added primary, the last primary in the list wins.
		for _, v := range list {
			if m, ok := v.(Attributes); ok && m["primary"] == true {
				winner = m
			}
		}
	}
	for _, v := range list {
		if m, ok := v.(Attributes); ok && m["primary"] == true && !equalIgnoringPrimary(m, winner) {
			delete(m, "primary")
		}
	}
}
