package scim

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// Paging limits: RFC 7644 §3.4.2.4 leaves the default page size to the server; the
// maximum is advertised in ServiceProviderConfig (filter.maxResults and, per RFC 9865,
// pagination.maxPageSize). A larger count is clamped, which RFC 7644 allows ("MAY return
// fewer").
const (
	DefaultCount = 100
	MaxCount     = 1000
)

// searchParams are the query parameters of RFC 7644 §3.4.2 and RFC 9865, read from a
// URL (GET) or a SearchRequest body (POST .search). Absent values are nil.
type searchParams struct {
	filter, sortBy, sortOrder *string
	startIndex, count         *int
	cursor                    *string
	attributes, excluded      []string
}

// paramsFromURL reads the parameters of a GET; names are matched case-insensitively
// (clients send startindex and excludedattributes).
func paramsFromURL(values url.Values) (searchParams, error) {
	var p searchParams
	for key, vals := range values {
		v := ""
		if len(vals) > 0 {
			v = vals[0]
		}
		var err error
		switch strings.ToLower(key) {
		case "filter":
			p.filter = &v
		case "sortby":
			p.sortBy = &v
		case "sortorder":
			p.sortOrder = &v
		case "startindex":
			p.startIndex, err = atoi("startIndex", v)
		case "count":
			p.count, err = atoi("count", v)
		case "cursor":
			p.cursor = &v
		case "attributes":
			p.attributes = splitList(v)
		case "excludedattributes":
			p.excluded = splitList(v)
		}
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

func atoi(name, v string) (*int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return nil, resources.Errorf(resources.KindInvalidValue, "%s must be an integer, not %q", name, v)
	}
	return &n, nil
}

// splitList splits a comma-separated attribute list, ignoring commas inside a value
// filter (Microsoft's validator asks for attributes=emails[type eq "work"]).
func splitList(v string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range v {
		switch c {
		case '[':
			depth++
		case ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	out = append(out, v[start:])
	list := out[:0]
	for _, s := range out {
		if s = strings.TrimSpace(s); s != "" {
			list = append(list, s)
		}
	}
	return list
}

// paramsFromBody reads a SearchRequest (RFC 7644 §3.4.3).
func paramsFromBody(body map[string]any) (searchParams, error) {
	var p searchParams
	if !hasSchema(body, schemas.SearchRequestURN) {
		return p, resources.Errorf(resources.KindInvalidSyntax, "a search request must have \"schemas\": [%q]", schemas.SearchRequestURN)
	}
	for key, raw := range body {
		name := strings.ToLower(key)
		switch name {
		case "schemas":
		case "filter", "sortby", "sortorder", "cursor":
			s, ok := raw.(string)
			if !ok {
				return p, resources.Errorf(resources.KindInvalidValue, "%q must be a string", key)
			}
			switch name {
			case "filter":
				p.filter = &s
			case "sortby":
				p.sortBy = &s
			case "sortorder":
				p.sortOrder = &s
			default:
				p.cursor = &s
			}
		case "startindex", "count":
			n, ok := raw.(json.Number)
			i, err := n.Int64()
			if !ok || err != nil {
				return p, resources.Errorf(resources.KindInvalidValue, "%q must be an integer", key)
			}
			v := int(i)
			if name == "count" {
				p.count = &v
			} else {
				p.startIndex = &v
			}
		case "attributes", "excludedattributes":
			list, err := stringList(key, raw)
			if err != nil {
				return p, err
			}
			if name == "attributes" {
				p.attributes = list
			} else {
				p.excluded = list
			}
		default:
			return p, resources.Errorf(resources.KindInvalidSyntax, "a search request has no attribute %q", key)
		}
	}
	return p, nil
}

func stringList(key string, raw any) ([]string, error) {
	items, ok := raw.([]any)
	if !ok {
		return nil, resources.Errorf(resources.KindInvalidValue, "%q must be an array of attribute names", key)
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := it.(string)
		if !ok {
			return nil, resources.Errorf(resources.KindInvalidValue, "%q must be an array of attribute names", key)
		}
		out = append(out, s)
	}
	return out, nil
}

// hasSchema reports whether a message body lists the schema URN in "schemas".
func hasSchema(body map[string]any, urn string) bool {
	urns, _ := lookup(body, "schemas").([]any)
	for _, u := range urns {
		if s, ok := u.(string); ok && strings.EqualFold(s, urn) {
			return true
		}
	}
	return false
}

func lookup(body map[string]any, key string) any {
	for k, v := range body {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// listQuery turns the parameters into a query on one resource type. lenient resolves
// attributes the type lacks as having no value (a search across resource types).
func (p searchParams) listQuery(rt *schemas.ResourceType, lenient bool) (resources.ListQuery, error) {
	q := resources.ListQuery{StartIndex: 1, Count: DefaultCount}
	if p.filter != nil {
		f, err := filterResolver{rt: rt, lenient: lenient}.parse(*p.filter)
		if err != nil {
			return q, err
		}
		q.Filter = f
	}
	if p.sortBy != nil && strings.TrimSpace(*p.sortBy) != "" {
		path, err := parseAttributePath(rt, *p.sortBy)
		if err != nil && !lenient {
			return q, resources.Errorf(resources.KindInvalidValue, "sortBy: %s", err.(*resources.Error).Detail)
		}
		if err == nil {
			if computed(rt, path) {
				return q, resources.Errorf(resources.KindInvalidValue, "sortBy %q: %s is multi-valued and computed when read (from memberships or grants), so it has no order to sort by; sort by a stored attribute such as %s", *p.sortBy, path.Attr.Name, defaultSortHint(rt))
			}
			if path.Attr.Type == schemas.Complex && path.Sub == nil {
				return q, resources.Errorf(resources.KindInvalidValue, "sortBy %q is complex; sort by one of its sub-attributes, e.g. %s.%s", *p.sortBy, path, path.Attr.SubAttributes[0].Name)
			}
			q.SortBy = &path
		}
	}
	if p.sortOrder != nil {
		switch strings.ToLower(*p.sortOrder) {
		case "ascending", "":
		case "descending":
			q.Descending = true
		default:
			return q, resources.Errorf(resources.KindInvalidValue, "sortOrder must be \"ascending\" or \"descending\", not %q", *p.sortOrder)
		}
	}
	if p.startIndex != nil {
		q.StartIndex = max(*p.startIndex, 1) // RFC 7644 §3.4.2.4: below 1 means 1
	}
	if p.count != nil {
		q.Count = min(max(*p.count, 0), MaxCount) // negative means 0
	}
	if p.cursor != nil {
		if p.startIndex != nil {
			return q, resources.Errorf(resources.KindInvalidValue, "use either startIndex (index paging) or cursor (cursor paging, RFC 9865), not both")
		}
		q.UseCursor, q.Cursor = true, *p.cursor
		q.Fingerprint = rt.ID + "\x00" + deref(p.filter) + "\x00" + deref(p.sortBy) + "\x00" + strings.ToLower(deref(p.sortOrder))
	}
	return q, nil
}

// computed reports whether a path is part of an attribute that is not stored in the
// resource's document, and so has no sort key: a Group's members, a User's groups and
// its HQ access.
func computed(rt *schemas.ResourceType, p resources.Path) bool {
	switch {
	case rt == schemas.GroupResourceType:
		return p.Schema == "" && p.Attr.Name == "members"
	case rt == schemas.UserResourceType:
		return p.Schema == "" && p.Attr.Name == "groups" || p.Schema == schemas.HQUserURN && p.Attr.Name == "access"
	}
	return false
}

// defaultSortHint names an attribute a resource type can be sorted by.
func defaultSortHint(rt *schemas.ResourceType) string {
	if rt == schemas.GroupResourceType {
		return "displayName"
	}
	return "userName"
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// projection resolves attributes / excludedAttributes (RFC 7644 §3.4.2.5).
func (p searchParams) projection(rt *schemas.ResourceType, lenient bool) (*resources.Projection, error) {
	if len(p.attributes) > 0 && len(p.excluded) > 0 {
		return nil, resources.Errorf(resources.KindInvalidValue, "attributes and excludedAttributes are mutually exclusive (RFC 7644 §3.9); send one of them")
	}
	if len(p.attributes) == 0 && len(p.excluded) == 0 {
		return nil, nil
	}
	resolve := func(names []string) ([]resources.Path, error) {
		var out []resources.Path
		for _, n := range names {
			if i := strings.IndexByte(n, '['); i > 0 {
				n = n[:i] // attributes=emails[type eq "work"]: the attribute, not a filter
			}
			path, err := parseAttributePath(rt, n)
			if err != nil {
				if lenient {
					continue
				}
				return nil, err
			}
			out = append(out, path)
		}
		return out, nil
	}
	var proj resources.Projection
	var err error
	if proj.Include, err = resolve(p.attributes); err != nil {
		return nil, err
	}
	if proj.Exclude, err = resolve(p.excluded); err != nil {
		return nil, err
	}
	if len(p.attributes) > 0 && len(proj.Include) == 0 {
		proj.Include = []resources.Path{{Attr: schemas.Common("id")}} // only what is always returned
	}
	return &proj, nil
}

// parseAttributePath resolves "name", "name.sub", "urn:…:name" or "urn:…:name.sub"
// (RFC 7644 §3.10), as used by sortBy, attributes and excludedAttributes.
func parseAttributePath(rt *schemas.ResourceType, s string) (resources.Path, error) {
	s = strings.TrimSpace(s)
	uri, rest := "", s
	if strings.HasPrefix(strings.ToLower(s), "urn:") {
		i := strings.LastIndexByte(s, ':')
		uri, rest = s[:i], s[i+1:]
		// "urn:…:enterprise:2.0:User" names a whole extension.
		if ext := rt.Extension(s); ext != nil {
			return resources.Path{}, resources.Errorf(resources.KindInvalidPath, "%q is a schema; name one of its attributes", s)
		}
	}
	name, sub, _ := strings.Cut(rest, ".")
	return resolvePath(rt, uri, name, sub)
}
