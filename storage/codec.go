package storage

import (
	"fmt"
	"math"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// storageKey maps an attribute name to its document field: extension URNs contain dots
// (…:2.0:User), which MongoDB field paths cannot, so those become underscores.
func storageKey(name string) string {
	if strings.HasPrefix(name, "urn:") {
		return strings.ReplaceAll(name, ".", "_")
	}
	return name
}

// encode turns a new resource into its document.
func encode(r *resources.Resource) bson.D {
	doc := bson.D{
		{Key: "_id", Value: key(r.Tenant, r.ID)},
		{Key: fTenant, Value: r.Tenant},
		{Key: fVersion, Value: r.Meta.Version},
		{Key: "meta", Value: bson.D{
			{Key: "created", Value: r.Meta.Created},
			{Key: "lastModified", Value: r.Meta.LastModified},
		}},
	}
	for name, v := range r.Attributes {
		doc = append(doc, bson.E{Key: storageKey(name), Value: v})
	}
	if r.PasswordHash != "" {
		doc = append(doc, bson.E{Key: fPassword, Value: r.PasswordHash})
	}
	if lc := lowerDoc(r); len(lc) > 0 {
		doc = append(doc, bson.E{Key: fLower, Value: lc})
	}
	doc = append(doc, bson.E{Key: fSort, Value: sortDoc(r)})
	return doc
}

// replacement returns the $set and $unset of an update that makes a stored resource
// equal to r at version: r's attributes are set, the other attributes its resource type
// defines are unset.
func replacement(r *resources.Resource, version int64) (set, unset bson.D) {
	set = bson.D{
		{Key: fVersion, Value: version},
		{Key: "meta.lastModified", Value: r.Meta.LastModified},
	}
	for name, v := range r.Attributes {
		set = append(set, bson.E{Key: storageKey(name), Value: v})
	}
	for _, name := range attributeNames(r.Type) {
		if _, ok := r.Attributes[name]; !ok {
			unset = append(unset, bson.E{Key: storageKey(name), Value: ""})
		}
	}
	optional := func(field string, v any, present bool) {
		if present {
			set = append(set, bson.E{Key: field, Value: v})
		} else {
			unset = append(unset, bson.E{Key: field, Value: ""})
		}
	}
	optional(fPassword, r.PasswordHash, r.PasswordHash != "")
	lc := lowerDoc(r)
	optional(fLower, lc, len(lc) > 0)
	set = append(set, bson.E{Key: fSort, Value: sortDoc(r)})
	return set, unset
}

// attributeNames lists the top-level attribute names a resource of type rt can store.
func attributeNames(rt *schemas.ResourceType) []string {
	names := []string{"externalId"}
	for _, a := range rt.Schema.Attributes {
		names = append(names, a.Name)
	}
	for _, e := range rt.Extensions {
		names = append(names, e.Schema.ID)
	}
	return names
}

// lowerDoc builds the _lc document of r: for every case-insensitive string path that
// has values, the lower-cased value (or array of values for multi-valued paths).
func lowerDoc(r *resources.Resource) bson.D {
	lc := bson.D{}
	for _, p := range pathsOf(r.Type) {
		if !caseInsensitive(p.Leaf()) {
			continue
		}
		var lowered bson.A
		for _, v := range resources.PathValues(r.Attributes, p) {
			if str, ok := v.(string); ok {
				lowered = append(lowered, fold(str))
			}
		}
		switch {
		case len(lowered) == 0:
		case p.MultiValued():
			lc = append(lc, bson.E{Key: derivedKey(p), Value: lowered})
		default:
			lc = append(lc, bson.E{Key: derivedKey(p), Value: lowered[0]})
		}
	}
	return lc
}

// sortDoc builds the _sk document of r: the sort keys (see sortKey) of the paths that
// have a value. Paths without one get no field, which is what puts them last.
func sortDoc(r *resources.Resource) bson.D {
	sk := bson.D{
		{Key: "meta_created", Value: invertKey(r.Meta.Created.UTC().Format(sortTime))},
		{Key: "meta_lastModified", Value: invertKey(r.Meta.LastModified.UTC().Format(sortTime))},
	}
	for _, p := range pathsOf(r.Type) {
		if k, ok := sortKey(p, r.Attributes); ok {
			sk = append(sk, bson.E{Key: derivedKey(p), Value: k})
		}
	}
	return sk
}

// Internal document fields derived from the attributes.
const (
	fLower = "_lc" // lower-cased copies of case-insensitive strings, for comparisons
	fSort  = "_sk" // sort keys of every attribute path
)

// derivedKey is the field name of a path inside _lc and _sk: the storage path with its
// dots replaced, so that one flat field holds it.
func derivedKey(p resources.Path) string {
	return strings.ReplaceAll(fieldOf(p), ".", "_")
}

// fieldOf is the document field path of an attribute path.
func fieldOf(p resources.Path) string {
	f := p.Attr.Name
	if p.Schema != "" {
		f = storageKey(p.Schema) + "." + f
	}
	if p.Sub != nil {
		f += "." + p.Sub.Name
	}
	return f
}

// fold is the case folding of case-insensitive strings: what _lc holds, what queries on
// _lc compare with, and what the embedded engine's lookup keys are made of (lookups.go),
// so that the three always agree.
func fold(s string) string { return strings.ToLower(s) }

func caseInsensitive(a *schemas.Attribute) bool {
	return !a.CaseExact && (a.Type == schemas.String || a.Type == schemas.Reference)
}

// pathsOf lists every stored attribute path of a resource type with a simple-typed leaf:
// top-level simple attributes and the sub-attributes of complex ones, in core and
// extension schemas. These are what _lc and _sk cover.
var pathsOf = func() func(*schemas.ResourceType) []resources.Path {
	cache := map[*schemas.ResourceType][]resources.Path{}
	build := func(rt *schemas.ResourceType) []resources.Path {
		var out []resources.Path
		add := func(schema string, attrs []*schemas.Attribute) {
			for _, a := range attrs {
				if a.Mutability == schemas.ReadOnly || a.Returned == schemas.Never {
					continue // not stored in the document (groups) or never compared (password)
				}
				if a.Type != schemas.Complex {
					out = append(out, resources.Path{Schema: schema, Attr: a})
					continue
				}
				for _, sub := range a.SubAttributes {
					if sub.Mutability != schemas.ReadOnly {
						out = append(out, resources.Path{Schema: schema, Attr: a, Sub: sub})
					}
				}
			}
		}
		add("", []*schemas.Attribute{schemas.Common("externalId")})
		add("", rt.Schema.Attributes)
		for _, e := range rt.Extensions {
			add(e.Schema.ID, e.Schema.Attributes)
		}
		return out
	}
	for _, rt := range []*schemas.ResourceType{schemas.UserResourceType, schemas.GroupResourceType} {
		cache[rt] = build(rt)
	}
	return func(rt *schemas.ResourceType) []resources.Path {
		if paths, ok := cache[rt]; ok {
			return paths
		}
		return build(rt)
	}
}()

// sortTime formats times so that their strings sort chronologically.
const sortTime = "2006-01-02T15:04:05.000000000Z"

// sortKey is a string that orders in reverse of the value at path p (RFC 7644
// §3.4.2.3), and whether p has a value. Queries sort on it in the opposite direction,
// so MongoDB's rule that a missing field sorts before everything else puts resources
// without a value last in ascending and first in descending order, as the RFC asks,
// on MongoDB and FerretDB alike and without collations. Case-insensitive strings are
// lower-cased; a multi-valued attribute sorts by its primary value, else its first.
func sortKey(p resources.Path, attrs resources.Attributes) (string, bool) {
	container := attrs
	if p.Schema != "" {
		container, _ = attrs[p.Schema].(resources.Attributes)
	}
	v, ok := container[p.Attr.Name]
	if !ok {
		return "", false
	}
	if list, ok := v.([]any); ok {
		v = primaryOrFirst(list)
	}
	if p.Sub != nil {
		elem, _ := v.(resources.Attributes)
		if v, ok = elem[p.Sub.Name]; !ok {
			return "", false
		}
	}
	return invertKey(encodeSortable(v, caseInsensitive(p.Leaf()))), true
}

// invertKey maps s to a string that sorts in reverse: each byte complemented, written
// in hex, and closed by "g", which sorts after every hex digit so that a prefix sorts
// after its extensions (as "ab" before "abc" requires, reversed).
func invertKey(s string) string {
	out := make([]byte, 0, 2*len(s)+1)
	for i := 0; i < len(s); i++ {
		out = fmt.Appendf(out, "%02x", 255-s[i])
	}
	return string(append(out, 'g'))
}

func primaryOrFirst(list []any) any {
	for _, item := range list {
		if elem, ok := item.(resources.Attributes); ok && elem["primary"] == true {
			return elem
		}
	}
	if len(list) == 0 {
		return nil
	}
	return list[0]
}

// encodeSortable encodes a value as a string whose byte order is the value's order.
func encodeSortable(v any, lower bool) string {
	switch x := v.(type) {
	case string:
		if lower {
			return strings.ToLower(x)
		}
		return x
	case bool:
		if x {
			return "1"
		}
		return "0"
	case int64:
		return sortableFloat(float64(x))
	case float64:
		return sortableFloat(x)
	case time.Time:
		return x.UTC().Format(sortTime)
	}
	return ""
}

// sortableFloat maps a float64 to 16 hex digits that sort like the numbers: the IEEE
// bits with the sign bit flipped for positives and all bits flipped for negatives.
func sortableFloat(f float64) string {
	bits := math.Float64bits(f)
	if bits&(1<<63) != 0 {
		bits = ^bits
	} else {
		bits |= 1 << 63
	}
	return fmt.Sprintf("%016x", bits)
}

// decode turns a document back into a resource.
func decode(rt *schemas.ResourceType, doc bson.M) *resources.Resource {
	r := &resources.Resource{Type: rt, Attributes: resources.Attributes{}}
	k, _ := doc["_id"].(string)
	r.ID = idOf(k)
	r.Tenant, _ = doc[fTenant].(string)
	r.PasswordHash, _ = doc[fPassword].(string)
	r.Meta.Version = toInt64(doc[fVersion])
	if meta, ok := fromBSON(doc["meta"]).(resources.Attributes); ok {
		r.Meta.Created, _ = meta["created"].(time.Time)
		r.Meta.LastModified, _ = meta["lastModified"].(time.Time)
	}
	exts := map[string]string{}
	for _, e := range rt.Extensions {
		exts[storageKey(e.Schema.ID)] = e.Schema.ID
	}
	for k, v := range doc {
		if strings.HasPrefix(k, "_") || k == "meta" {
			continue
		}
		if urn, ok := exts[k]; ok {
			k = urn
		}
		r.Attributes[k] = fromBSON(v)
	}
	return r
}

// fromBSON converts decoded BSON values to the domain's value types.
func fromBSON(v any) any {
	switch x := v.(type) {
	case bson.M:
		m := make(resources.Attributes, len(x))
		for k, val := range x {
			m[k] = fromBSON(val)
		}
		return m
	case bson.D:
		m := make(resources.Attributes, len(x))
		for _, e := range x {
			m[e.Key] = fromBSON(e.Value)
		}
		return m
	case bson.A:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = fromBSON(val)
		}
		return out
	case bson.DateTime:
		return x.Time().UTC()
	case int32:
		return int64(x)
	}
	return v
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int32:
		return int64(n)
	case float64:
		return int64(n)
	}
	return 0
}
