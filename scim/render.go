package scim

import (
	"bytes"
	"encoding/json"
	"sort"
	"time"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// object is a JSON object that keeps its keys in the order they were added, so that
// responses read like the RFC's examples: schemas and id first, attributes in schema
// order, meta last.
type object []field

type field struct {
	key   string
	value any
}

func (o *object) add(key string, value any) { *o = append(*o, field{key, value}) }

func (o object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := marshal(f.key)
		buf.Write(k)
		buf.WriteByte(':')
		v, err := marshal(f.value)
		if err != nil {
			return nil, err
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// marshal encodes v as JSON without HTML escaping: responses are read by programs and
// people, not embedded in HTML, and "<token>" should read as such.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// renderer turns domain resources into their SCIM JSON representation.
type renderer struct {
	baseURL string // e.g. https://hq.example.com/scim/v2
}

func (rd renderer) location(rt *schemas.ResourceType, id string) string {
	return rd.baseURL + rt.Endpoint + "/" + id
}

// resource renders r (RFC 7643 §3) as the projection asks (nil: the default set).
// Attributes whose returned is "never" are not in a Resource to begin with (the password
// is kept only as a hash).
func (rd renderer) resource(r *resources.Resource, proj *resources.Projection) object {
	proj.Apply(r)
	out := object{}
	urns := []string{r.Type.Schema.ID}
	for _, e := range r.Type.Extensions {
		if _, ok := r.Attributes[e.Schema.ID]; ok {
			urns = append(urns, e.Schema.ID)
		}
	}
	out.add("schemas", urns)
	out.add("id", r.ID)
	if v, ok := r.Attributes["externalId"]; ok {
		out.add("externalId", v)
	}
	out = append(out, attributes(r.Type.Schema.Attributes, r.Attributes)...)
	switch {
	case r.Type == schemas.GroupResourceType && r.MembersLoaded && proj.Returns(r.Type, "members"):
		out.add("members", rd.references(r.Type, "members", memberRefs(r.Members), proj))
	case r.Type == schemas.UserResourceType && proj.Returns(r.Type, "groups"):
		out.add("groups", rd.references(r.Type, "groups", groupRefs(r.Groups), proj))
	}
	for _, e := range r.Type.Extensions {
		if ext, ok := r.Attributes[e.Schema.ID].(resources.Attributes); ok {
			out.add(e.Schema.ID, attributes(e.Schema.Attributes, ext))
		}
	}
	if !proj.Returns(r.Type, "meta") {
		return out
	}
	meta := object{}
	for _, f := range []field{
		{"resourceType", r.Type.ID},
		{"created", formatTime(r.Meta.Created)},
		{"lastModified", formatTime(r.Meta.LastModified)},
		{"location", rd.location(r.Type, r.ID)},
		{"version", r.Meta.ETag()},
	} {
		if proj.ReturnsSub(r.Type, "meta", f.key) {
			meta = append(meta, f)
		}
	}
	out.add("meta", meta)
	return out
}

// attributes renders values in the order of their definitions; values without a
// definition (none should exist) follow in name order rather than being lost.
func attributes(defs []*schemas.Attribute, values resources.Attributes) object {
	out := object{}
	done := map[string]bool{}
	for _, a := range defs {
		v, ok := values[a.Name]
		if !ok || a.Returned == schemas.Never {
			continue
		}
		done[a.Name] = true
		out.add(a.Name, value(a, v))
	}
	var rest []string
	for k := range values {
		if !done[k] && k != "externalId" && !isURN(k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		out.add(k, plain(values[k]))
	}
	return out
}

func isURN(k string) bool { return len(k) > 4 && k[:4] == "urn:" }

func value(a *schemas.Attribute, v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = value(a, item)
		}
		return out
	case resources.Attributes:
		return attributes(a.SubAttributes, x)
	}
	return plain(v)
}

// plain renders a scalar.
func plain(v any) any {
	if t, ok := v.(time.Time); ok {
		return formatTime(t)
	}
	return v
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// reference is one value of members or groups.
type reference struct {
	value, display, typ string
	rt                  *schemas.ResourceType // what $ref points to
}

func memberRefs(ms []resources.Member) []reference {
	out := make([]reference, len(ms))
	for i, m := range ms {
		rt := schemas.UserResourceType
		if m.Type == schemas.GroupResourceType.ID {
			rt = schemas.GroupResourceType
		}
		out[i] = reference{value: m.Value, display: m.Display, typ: rt.ID, rt: rt}
	}
	return out
}

func groupRefs(gs []resources.GroupRef) []reference {
	out := make([]reference, len(gs))
	for i, g := range gs {
		out[i] = reference{value: g.Value, display: g.Display, typ: "direct", rt: schemas.GroupResourceType}
	}
	return out
}

// references renders members or groups with the sub-attributes the projection keeps.
func (rd renderer) references(rt *schemas.ResourceType, attr string, refs []reference, proj *resources.Projection) []object {
	out := make([]object, 0, len(refs))
	for _, ref := range refs {
		o := object{}
		for _, f := range []field{
			{"value", ref.value},
			{"$ref", rd.location(ref.rt, ref.value)},
			{"display", ref.display},
			{"type", ref.typ},
		} {
			if f.value != "" && proj.ReturnsSub(rt, attr, f.key) {
				o = append(o, f)
			}
		}
		out = append(out, o)
	}
	return out
}

// cursorListResponse is a ListResponse of cursor paging (RFC 9865): nextCursor on every
// page but the last, previousCursor where there is a page before.
func cursorListResponse(total int, items []any, next, previous string) object {
	out := object{}
	out.add("schemas", []string{schemas.ListResponseURN})
	out.add("totalResults", total)
	out.add("itemsPerPage", len(items))
	if previous != "" {
		out.add("previousCursor", previous)
	}
	if next != "" {
		out.add("nextCursor", next)
	}
	out.add("Resources", items)
	return out
}

// listResponse is the ListResponse message (RFC 7644 §3.4.2).
func listResponse(total, startIndex int, items []any) object {
	out := object{}
	out.add("schemas", []string{schemas.ListResponseURN})
	out.add("totalResults", total)
	out.add("itemsPerPage", len(items))
	out.add("startIndex", startIndex)
	out.add("Resources", items)
	return out
}
