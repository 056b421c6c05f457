package resources

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/scimhq/scimhq/schemas"
)

// input is a client's resource representation after validation against its schemas.
type input struct {
	attrs    Attributes
	password *string

	// members is set for Groups when the client sent a members attribute (possibly
	// empty); nil means the client did not mention members.
	members []Member

	// ignored lists the attribute paths that were dropped because no schema defines
	// them; they are logged, and rejected in strict mode.
	ignored []string
}

// validator checks one resource representation against a resource type's schemas,
// canonicalising attribute names (which are case-insensitive, RFC 7643 §2.1) and
// converting values to their domain types.
type validator struct {
	rt      *schemas.ResourceType
	strict  bool
	ignored []string
}

// parseResource validates a full representation as sent with POST or PUT.
func parseResource(rt *schemas.ResourceType, body map[string]any, strict bool) (*input, error) {
	v := &validator{rt: rt, strict: strict}
	in := &input{attrs: Attributes{}}
	if err := v.checkSchemas(body); err != nil {
		return nil, err
	}
	seen := map[string]string{}
	for key, raw := range body {
		if err := v.noDuplicate(seen, key, ""); err != nil {
			return nil, err
		}
		switch {
		case strings.EqualFold(key, "schemas"):
			continue // checked above; the response lists what the resource really has
		case strings.EqualFold(key, "password") && rt == schemas.UserResourceType:
			if raw == nil {
				continue
			}
			s, ok := raw.(string)
			if !ok || s == "" {
				return nil, Errorf(KindInvalidValue, "attribute \"password\" must be a non-empty string")
			}
			in.password = &s
			continue
		case strings.EqualFold(key, "members") && rt == schemas.GroupResourceType:
			members, err := v.members(raw)
			if err != nil {
				return nil, err
			}
			in.members = members
			continue
		}
		if ext := rt.Extension(key); ext != nil {
			obj, ok := raw.(map[string]any)
			if raw != nil && !ok {
				return nil, Errorf(KindInvalidValue, "extension %q must be a JSON object of its attributes", ext.ID)
			}
			attrs, err := v.complexValue(ext.Attributes, obj, ext.ID+":")
			if err != nil {
				return nil, err
			}
			if len(attrs) > 0 {
				in.attrs[ext.ID] = attrs
			}
			continue
		}
		a := v.topLevel(key)
		if a == nil {
			if err := v.unknown(key); err != nil {
				return nil, err
			}
			continue
		}
		if a.Mutability == schemas.ReadOnly {
			continue // RFC 7644 §3.3: readOnly values in a request are ignored
		}
		val, err := v.value(a, raw, a.Name)
		if err != nil {
			return nil, err
		}
		if val != nil {
			in.attrs[a.Name] = val
		}
	}
	if err := checkRequired(rt.Schema.Attributes, in.attrs, ""); err != nil {
		return nil, err
	}
	for _, ext := range rt.Extensions {
		sub, _ := in.attrs[ext.Schema.ID].(Attributes)
		if ext.Required && sub == nil {
			return nil, Errorf(KindInvalidValue, "the extension %q is required", ext.Schema.ID)
		}
		if sub != nil {
			if err := checkRequired(ext.Schema.Attributes, sub, ext.Schema.ID+":"); err != nil {
				return nil, err
			}
		}
	}
	sort.Strings(v.ignored)
	in.ignored = v.ignored
	return in, nil
}

// topLevel returns the core or common attribute named key.
func (v *validator) topLevel(key string) *schemas.Attribute {
	if a := v.rt.Schema.Attribute(key); a != nil {
		return a
	}
	return schemas.Common(key)
}

// checkSchemas enforces RFC 7643 §3: the schemas attribute lists the core schema, and
// every extension with data in the body is one the resource type has. A URN the server
// does not know is tolerated when the body carries no data for it (Entra ID sends a
// Microsoft group schema URN that way); with data, it is an unknown attribute.
func (v *validator) checkSchemas(body map[string]any) error {
	var raw any
	for k, val := range body {
		if strings.EqualFold(k, "schemas") {
			raw = val
		}
	}
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		return Errorf(KindInvalidSyntax, "the request body must have a \"schemas\" array listing %q", v.rt.Schema.ID)
	}
	core := false
	for _, item := range list {
		urn, ok := item.(string)
		if !ok {
			return Errorf(KindInvalidSyntax, "\"schemas\" must be an array of schema URN strings")
		}
		if strings.EqualFold(urn, v.rt.Schema.ID) {
			core = true
		}
	}
	if !core {
		return Errorf(KindInvalidSyntax, "\"schemas\" must include %q for a %s", v.rt.Schema.ID, v.rt.ID)
	}
	return nil
}

// unknown handles an attribute no schema defines: ignored and reported by default
// (identity providers send some, and Microsoft's validator requires a misspelled
// attribute to be ignored), rejected in strict mode.
func (v *validator) unknown(path string) error {
	if v.strict {
		return Errorf(KindInvalidSyntax, "attribute %q is not defined by the schemas of a %s", path, v.rt.ID)
	}
	v.ignored = append(v.ignored, path)
	return nil
}

func (v *validator) noDuplicate(seen map[string]string, key, prefix string) error {
	lower := strings.ToLower(key)
	if first, dup := seen[lower]; dup {
		return Errorf(KindInvalidSyntax, "attribute %q is given twice (as %q and %q); attribute names are case-insensitive", prefix+key, prefix+first, prefix+key)
	}
	seen[lower] = key
	return nil
}

// value validates a value of attribute a (singular or multi-valued). A nil result means
// the attribute is unassigned (null, an empty array or an empty complex value, RFC 7643
// §2.5).
func (v *validator) value(a *schemas.Attribute, raw any, path string) (any, error) {
	if raw == nil {
		return nil, nil
	}
	if !a.MultiValued {
		return v.singular(a, raw, path)
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, Errorf(KindInvalidValue, "attribute %q is multi-valued and must be a JSON array", path)
	}
	out := make([]any, 0, len(list))
	primaries := 0
	for _, item := range list {
		val, err := v.singular(a, item, path)
		if err != nil {
			return nil, err
		}
		if val == nil {
			continue
		}
		if m, ok := val.(Attributes); ok && m["primary"] == true {
			primaries++
		}
		out = append(out, val)
	}
	if primaries > 1 {
		return nil, Errorf(KindInvalidValue, "attribute %q has %d values marked primary; at most one may be (RFC 7643 §2.4)", path, primaries)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// singular validates one value of attribute a.
func (v *validator) singular(a *schemas.Attribute, raw any, path string) (any, error) {
	if raw == nil {
		return nil, nil
	}
	if a.Type == schemas.Complex {
		obj, ok := raw.(map[string]any)
		if !ok {
			return nil, Errorf(KindInvalidValue, "attribute %q must be a JSON object", path)
		}
		attrs, err := v.complexValue(a.SubAttributes, obj, path+".")
		if err != nil || len(attrs) == 0 {
			return nil, err
		}
		return attrs, nil
	}
	return scalar(a, raw, path)
}

// complexValue validates the sub-attributes of a complex value (or an extension's
// attributes), prefix being the path of the value for messages.
func (v *validator) complexValue(defs []*schemas.Attribute, obj map[string]any, prefix string) (Attributes, error) {
	out := Attributes{}
	seen := map[string]string{}
	for key, raw := range obj {
		if err := v.noDuplicate(seen, key, prefix); err != nil {
			return nil, err
		}
		a := findAttr(defs, key)
		if a == nil {
			if err := v.unknown(prefix + key); err != nil {
				return nil, err
			}
			continue
		}
		if a.Mutability == schemas.ReadOnly {
			continue
		}
		val, err := v.value(a, raw, prefix+a.Name)
		if err != nil {
			return nil, err
		}
		if val != nil {
			out[a.Name] = val
		}
	}
	// A complex value's required sub-attributes are checked only when the value is
	// present at all: an absent complex attribute is not an error.
	if len(out) > 0 {
		if err := checkRequired(defs, out, prefix); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func findAttr(defs []*schemas.Attribute, name string) *schemas.Attribute {
	for _, a := range defs {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

func checkRequired(defs []*schemas.Attribute, attrs Attributes, prefix string) error {
	for _, a := range defs {
		if !a.Required || a.Mutability == schemas.ReadOnly {
			continue
		}
		v, ok := attrs[a.Name]
		if !ok {
			return Errorf(KindInvalidValue, "attribute %q is required", prefix+a.Name)
		}
		if s, isString := v.(string); isString && strings.TrimSpace(s) == "" {
			return Errorf(KindInvalidValue, "attribute %q is required and must not be empty", prefix+a.Name)
		}
	}
	return nil
}

// scalar validates and converts a value of a simple type (RFC 7643 §2.3).
func scalar(a *schemas.Attribute, raw any, path string) (any, error) {
	mismatch := func(want string) error {
		return Errorf(KindInvalidValue, "attribute %q must be %s, not %s", path, want, describe(raw))
	}
	switch a.Type {
	case schemas.String, schemas.Reference:
		s, ok := raw.(string)
		if !ok {
			return nil, mismatch("a string")
		}
		if len(a.CanonicalValues) > 0 {
			if c, ok := a.Canonical(s); ok {
				return c, nil
			}
			if a.EnforceCanonical {
				return nil, Errorf(KindInvalidValue, "attribute %q must be one of %s, not %q", path, strings.Join(a.CanonicalValues, ", "), s)
			}
		}
		return s, nil
	case schemas.Boolean:
		switch b := raw.(type) {
		case bool:
			return b, nil
		case string:
			// Entra ID sends booleans as "True" and "False".
			if strings.EqualFold(b, "true") || strings.EqualFold(b, "false") {
				return strings.EqualFold(b, "true"), nil
			}
		}
		return nil, mismatch("a boolean (true or false)")
	case schemas.Integer:
		if n, ok := raw.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				return i, nil
			}
		}
		return nil, mismatch("an integer")
	case schemas.Decimal:
		if n, ok := raw.(json.Number); ok {
			if f, err := n.Float64(); err == nil {
				return f, nil
			}
		}
		return nil, mismatch("a number")
	case schemas.DateTime:
		s, ok := raw.(string)
		if !ok {
			return nil, mismatch("a dateTime string")
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, Errorf(KindInvalidValue, "attribute %q must be an xsd:dateTime such as 2024-05-01T12:00:00Z, not %q", path, s)
		}
		return t.UTC(), nil
	case schemas.Binary:
		s, ok := raw.(string)
		if !ok {
			return nil, mismatch("a base64-encoded string")
		}
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			return nil, Errorf(KindInvalidValue, "attribute %q must be base64-encoded", path)
		}
		return s, nil
	}
	return nil, Errorf(KindInvalidValue, "attribute %q has a type this server cannot handle", path)
}

func describe(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// members validates a Group's members attribute. Only value and type are taken from the
// client; display is checked for type and kept when given.
func (v *validator) members(raw any) ([]Member, error) {
	if raw == nil {
		return []Member{}, nil
	}
	list, ok := raw.([]any)
	if !ok {
		if s, isString := raw.(string); isString {
			return nil, Errorf(KindInvalidValue, "attribute \"members\" must be a JSON array of {\"value\": id} objects, not the string %q; send [{\"value\": %q}]", s, s)
		}
		return nil, Errorf(KindInvalidValue, "attribute \"members\" must be a JSON array of {\"value\": id} objects")
	}
	def := schemas.Group.Attribute("members")
	out := make([]Member, 0, len(list))
	seen := map[string]bool{}
	for _, item := range list {
		val, err := v.singular(def, item, "members")
		if err != nil {
			return nil, err
		}
		m, _ := val.(Attributes)
		if m == nil {
			continue
		}
		id, _ := m["value"].(string)
		if id == "" {
			return nil, Errorf(KindInvalidValue, "every member needs a non-empty \"value\" holding the member's id")
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		typ, _ := m["type"].(string)
		display, _ := m["display"].(string)
		out = append(out, Member{Value: id, Type: typ, Display: display})
	}
	return out, nil
}
