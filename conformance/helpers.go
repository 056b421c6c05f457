package conformance

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The URNs of RFC 7643/7644 the cases use.
const (
	userURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupURN      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	errorURN      = "urn:ietf:params:scim:api:messages:2.0:Error"
	listURN       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	patchURN      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	bulkURN       = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	searchURN     = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
)

// user returns a User body with the given userName and extra attributes.
func user(userName string, extra map[string]any) map[string]any {
	u := map[string]any{
		"schemas":  []any{userURN},
		"userName": userName,
		"name":     map[string]any{"givenName": "Conformance", "familyName": "Check"},
		"emails":   []any{map[string]any{"value": userName, "type": "work", "primary": true}},
		"active":   true,
	}
	for k, v := range extra {
		u[k] = v
	}
	return u
}

func group(displayName string, memberIDs ...string) map[string]any {
	members := []any{}
	for _, id := range memberIDs {
		members = append(members, map[string]any{"value": id})
	}
	return map[string]any{"schemas": []any{groupURN}, "displayName": displayName, "members": members}
}

func patch(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, op := range ops {
		list[i] = op
	}
	return map[string]any{"schemas": []any{patchURN}, "Operations": list}
}

func op(name, path string, value any) map[string]any {
	o := map[string]any{"op": name}
	if path != "" {
		o["path"] = path
	}
	if value != nil {
		o["value"] = value
	}
	return o
}

// filterPath is a list URL with a filter (and more query parameters).
func filterPath(endpoint, filter string, more ...string) string {
	q := url.Values{"filter": {filter}}
	for i := 0; i+1 < len(more); i += 2 {
		q.Set(more[i], more[i+1])
	}
	return endpoint + "?" + q.Encode()
}

// createUser creates a user (recorded for clean-up by Do) and returns its id and body.
func (t *T) createUser(base string, extra map[string]any) (string, map[string]any) {
	r := t.Do(http.MethodPost, "/Users", user(t.Name(base)+"@example.com", extra))
	t.Status(r, http.StatusCreated)
	return idOf(r), r.JSON()
}

func (t *T) createGroup(base string, memberIDs ...string) (string, map[string]any) {
	r := t.Do(http.MethodPost, "/Groups", group(t.Name(base), memberIDs...))
	t.Status(r, http.StatusCreated)
	return idOf(r), r.JSON()
}

// list GETs a list and checks the ListResponse's shape (RFC 7644 §3.4.2).
func (t *T) list(path string) map[string]any {
	r := t.Do(http.MethodGet, path, nil)
	t.Status(r, http.StatusOK)
	m := r.JSON()
	t.Check(m != nil, "the answer is not a JSON object")
	t.Check(hasString(m["schemas"], listURN), "a list answer must have schemas [%q]", listURN)
	_, ok := m["totalResults"].(float64)
	t.Check(ok, "totalResults must be an integer")
	return m
}

// ids returns the ids of a list's Resources.
func ids(m map[string]any) []string {
	var out []string
	list, _ := m["Resources"].([]any)
	for _, r := range list {
		if rm, ok := r.(map[string]any); ok {
			id, _ := rm["id"].(string)
			out = append(out, id)
		}
	}
	return out
}

func hasString(v any, want string) bool {
	list, _ := v.([]any)
	for _, x := range list {
		if s, ok := x.(string); ok && strings.EqualFold(s, want) {
			return true
		}
	}
	return false
}

// scimError checks an error answer (RFC 7644 §3.12): status, the Error schema, status
// as a string, and the scimType when one is expected.
func (t *T) scimError(r *Response, status int, scimType string) {
	t.Status(r, status)
	m := r.JSON()
	t.Check(m != nil && hasString(m["schemas"], errorURN), "an error answer must be a SCIM error with schemas [%q]", errorURN)
	s, ok := m["status"].(string)
	t.Check(ok && s == strconv.Itoa(status), "the error's status must be the string %q, got %v", strconv.Itoa(status), m["status"])
	if scimType != "" {
		t.Check(m["scimType"] == scimType, "scimType must be %q, got %v", scimType, m["scimType"])
	}
}

func obj(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

func arr(m map[string]any, key string) []any {
	a, _ := m[key].([]any)
	return a
}
