package scim

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	filter "github.com/scim2/filter-parser/v2"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// patch answers PATCH /{endpoint}/{id} (RFC 7644 §3.5.2 allows 200 with the resource or
// 204). A User answers 200 with the resource unless the client prefers no body
// (Prefer: return=minimal, RFC 7240). A Group answers 204: its representation carries
// every member, and identity providers change one member at a time, so a 200 would read
// and send 100,000 members to add one. A client that asks for a representation
// (attributes, excludedAttributes, or Prefer: return=representation) gets 200 with it.
func (h resourceHandler) patch(w http.ResponseWriter, r *http.Request) {
	proj, body, err := h.writeRequest(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ops, err := parsePatch(h.rt, body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ctx, tenant, id := r.Context(), tenantOf(r.Context()), mux.Vars(r)["id"]
	res, err := h.s.Service.Patch(ctx, tenant, h.rt, id, ops, precondition(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	wantsBody := proj != nil || prefers(r, "return=representation")
	if !wantsBody && (h.rt == schemas.GroupResourceType || prefers(r, "return=minimal")) {
		w.Header().Set("ETag", res.Meta.ETag())
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h.respond(w, r, http.StatusOK, res, proj)
}

// prefers reports whether the Prefer header (RFC 7240) holds the preference, e.g.
// "return=minimal".
func prefers(r *http.Request, preference string) bool {
	for _, v := range r.Header.Values("Prefer") {
		for _, pref := range strings.Split(v, ",") {
			if strings.EqualFold(strings.ReplaceAll(strings.TrimSpace(pref), " ", ""), preference) {
				return true
			}
		}
	}
	return false
}

// parsePatch reads a PatchOp message: its operations with their paths resolved. The op
// names are case-insensitive (Entra ID sends "Replace"); keys other than op, path and
// value are ignored (Microsoft's validator sends "name").
func parsePatch(rt *schemas.ResourceType, body map[string]any) ([]resources.PatchOp, error) {
	if !hasSchema(body, schemas.PatchOpURN) {
		return nil, resources.Errorf(resources.KindInvalidSyntax, "a PATCH request must have \"schemas\": [%q]", schemas.PatchOpURN)
	}
	raw, present := lookupKey(body, "Operations")
	list, ok := raw.([]any)
	if !present || (!ok && raw != nil) {
		return nil, resources.Errorf(resources.KindInvalidSyntax, "a PATCH request needs an \"Operations\" array")
	}
	ops := make([]resources.PatchOp, 0, len(list))
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, resources.Errorf(resources.KindInvalidSyntax, "operation %d must be an object with op, path and value", i+1)
		}
		op, err := parseOperation(rt, m)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func lookupKey(body map[string]any, key string) (any, bool) {
	for k, v := range body {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func parseOperation(rt *schemas.ResourceType, m map[string]any) (resources.PatchOp, error) {
	name, _ := lookup(m, "op").(string)
	op := resources.PatchOp{Op: strings.ToLower(name), Value: lookup(m, "value")}
	switch op.Op {
	case "add", "replace", "remove":
	default:
		return op, resources.Errorf(resources.KindInvalidSyntax, "op must be add, replace or remove, not %q", name)
	}
	pathValue, present := lookupKey(m, "path")
	rawPath, isString := pathValue.(string)
	if present && pathValue != nil && !isString {
		return op, resources.Errorf(resources.KindInvalidPath, "path must be a string such as \"name.givenName\" or \"emails[type eq \\\"work\\\"].value\", not %v", pathValue)
	}
	if strings.TrimSpace(rawPath) == "" {
		if op.Op != "remove" && op.Value == nil {
			return op, resources.Errorf(resources.KindInvalidValue, "an %s operation needs a value", op.Op)
		}
		return op, nil
	}
	if ext := rt.Extension(strings.TrimSpace(rawPath)); ext != nil {
		// The path names a whole extension: its value is a map of its attributes.
		if op.Op == "remove" {
			return op, resources.Errorf(resources.KindInvalidPath, "remove one attribute of %q at a time", ext.ID)
		}
		op.Value = map[string]any{ext.ID: op.Value}
		return op, nil
	}
	path, err := parsePatchPath(rt, rawPath)
	if err != nil {
		return op, err
	}
	op.Path = path
	if op.Op != "remove" && op.Value == nil {
		return op, resources.Errorf(resources.KindInvalidValue, "path %q: an %s operation needs a value", rawPath, op.Op)
	}
	return op, nil
}

// parsePatchPath resolves attr, attr.sub, urn:…:attr, attr[filter] and attr[filter].sub
// (RFC 7644 §3.5.2, the PATH rule of Figure 1).
func parsePatchPath(rt *schemas.ResourceType, raw string) (*resources.PatchPath, error) {
	parsed, err := filter.ParsePathNumber([]byte(strings.TrimSpace(raw)))
	if err != nil {
		return nil, resources.Errorf(resources.KindInvalidPath, "the path %q is not valid; use attribute, attribute.subAttribute, or attribute[filter].subAttribute, e.g. emails[type eq \"work\"].value", raw)
	}
	ap := parsed.AttributePath
	target, err := resolvePath(rt, ap.URI(), ap.AttributeName, ap.SubAttributeName())
	if err != nil {
		return nil, err
	}
	path := &resources.PatchPath{Target: target, Text: raw}
	if parsed.ValueExpression == nil {
		return path, nil
	}
	if target.Sub != nil || target.Attr.Type != schemas.Complex || !target.Attr.MultiValued {
		return nil, resources.Errorf(resources.KindInvalidPath, "the path %q filters %q, which is not a multi-valued complex attribute", raw, target)
	}
	if path.Filter, err = (elementResolver{attr: target.Attr}).expression(parsed.ValueExpression); err != nil {
		return nil, resources.Errorf(resources.KindInvalidPath, "the path %q: %s", raw, err.(*resources.Error).Detail)
	}
	if sub := parsed.SubAttributeName(); sub != "" {
		if path.Sub = target.Attr.Sub(sub); path.Sub == nil {
			return nil, resources.Errorf(resources.KindInvalidPath, "the path %q: %q has no sub-attribute %q", raw, target.Attr.Name, sub)
		}
	}
	return path, nil
}
