package storage

import (
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// lowercased lists, per resource type, the case-insensitive attributes whose values are
// also stored lower-cased under _lc, so that equality on them (and userName uniqueness)
// is an indexed lookup rather than a case-insensitive scan.
var lowercased = map[string][]string{
	schemas.UserResourceType.ID:  {"userName", "displayName", "emails.value"},
	schemas.GroupResourceType.ID: {"displayName"},
}

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
	return doc
}

// replacement returns the $set and $unset of an update that makes a stored resource
// equal to r at version: r's attributes are set, the other attributes its resource type
// defines are unset. Fields outside the resource's own state (_groups) stay as they are.
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

// lowerDoc builds the _lc document of r.
func lowerDoc(r *resources.Resource) bson.D {
	lc := bson.D{}
	for _, path := range lowercased[r.Type.ID] {
		if v := lowerValues(r.Attributes, strings.Split(path, ".")); v != nil {
			lc = append(lc, bson.E{Key: lowerKey(path), Value: v})
		}
	}
	return lc
}

// lowerKey is the field under _lc that holds the lower-cased values of an attribute
// path: "emails.value" is stored as _lc.emails_value, one flat key.
func lowerKey(path string) string { return strings.ReplaceAll(path, ".", "_") }

// lowerValues returns the lower-cased string(s) at path: a string for a singular
// attribute, an array for a multi-valued one, nil when there is none.
func lowerValues(attrs resources.Attributes, path []string) any {
	v, ok := attrs[path[0]]
	if !ok {
		return nil
	}
	if len(path) == 1 {
		if s, ok := v.(string); ok {
			return strings.ToLower(s)
		}
		return nil
	}
	switch x := v.(type) {
	case resources.Attributes:
		return lowerValues(x, path[1:])
	case []any:
		var out bson.A
		for _, item := range x {
			if m, ok := item.(resources.Attributes); ok {
				if s, ok := lowerValues(m, path[1:]).(string); ok {
					out = append(out, s)
				}
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// decode turns a document back into a resource.
func decode(rt *schemas.ResourceType, doc bson.M) *resources.Resource {
	r := &resources.Resource{Type: rt, Attributes: resources.Attributes{}}
	k, _ := doc["_id"].(string)
	r.ID = idOf(k)
	r.Tenant, _ = doc[fTenant].(string)
	for _, g := range groupIDs(doc) {
		r.Groups = append(r.Groups, resources.GroupRef{Value: g})
	}
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
