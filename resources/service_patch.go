package resources

import (
	"context"
	"strings"

	"go.uber.org/zap"

	"github.com/scimhq/scimhq/schemas"
)

// memberOp is a PATCH operation on a Group's members, resolved to the memberships it
// adds or removes. Member changes never read or rewrite the member list: each is an
// insert or a delete of one membership, so they cost the same on a group of ten and a
// group of a hundred thousand, and concurrent member changes cannot undo each other.
type memberOp struct {
	add       []Member
	remove    []string
	removeAll bool
	replace   bool // the members become exactly add
}

// Patch applies a PATCH request (RFC 7644 §3.5.2): all of it or, on any error, none of
// it. Attribute changes are applied to a copy of the resource, checked like a PUT, and
// stored with a compare-and-swap on the version (retried against concurrent writers
// unless the client sent If-Match). Member changes are single-membership writes.
func (s *Service) Patch(ctx context.Context, tenant string, rt *schemas.ResourceType, id string, ops []PatchOp, pre Precondition) (*Resource, error) {
	attrOps, memberOps, err := s.splitMemberOps(ctx, tenant, rt, id, ops)
	if err != nil {
		return nil, err
	}
	var cur *Resource
	for attempt := 1; ; attempt++ {
		if cur, err = s.Store.Get(ctx, tenant, rt, id); err != nil {
			return nil, err
		}
		if err := checkIfMatch(pre, cur.Meta); err != nil {
			return nil, err
		}
		if len(attrOps) == 0 {
			break
		}
		next, err := s.patched(ctx, cur, attrOps)
		if err != nil {
			return nil, err
		}
		err = s.Store.Replace(ctx, next, cur.Meta.Version)
		if KindOf(err) == KindPreconditionFailed && pre.IfMatch == "" && attempt < maxReplaceAttempts {
			continue // a concurrent writer won; apply the operations to its result
		}
		if err != nil {
			return nil, err
		}
		cur = next
		break
	}
	if len(memberOps) > 0 {
		if err := s.applyMemberOps(ctx, tenant, id, memberOps); err != nil {
			return nil, err
		}
		if cur.Meta, err = s.Store.Touch(ctx, tenant, rt, id, s.now()); err != nil {
			return nil, err
		}
	}
	return cur, nil
}

// patched returns the resource cur with the operations applied and checked.
func (s *Service) patched(ctx context.Context, cur *Resource, ops []PatchOp) (*Resource, error) {
	p := &patcher{
		rt: cur.Type, attrs: deepCopy(cur.Attributes).(Attributes), id: cur.ID, meta: cur.Meta,
		v: &validator{rt: cur.Type, strict: s.policy(cur.Tenant).Strict},
	}
	for _, op := range ops {
		if err := p.apply(op); err != nil {
			return nil, err
		}
	}
	if len(p.v.ignored) > 0 {
		Logger(ctx).Info("ignored attributes no schema defines", zap.String("resourceType", cur.Type.ID), zap.Strings("attributes", p.v.ignored))
	}
	if err := checkRequired(cur.Type.Schema.Attributes, p.attrs, ""); err != nil {
		return nil, err
	}
	if err := keepImmutable(cur.Type, cur.Attributes, p.attrs); err != nil {
		return nil, err
	}
	next := &Resource{
		Type: cur.Type, Tenant: cur.Tenant, ID: cur.ID, Attributes: p.attrs,
		Meta:         Meta{Created: cur.Meta.Created, LastModified: s.now()},
		PasswordHash: cur.PasswordHash,
	}
	if p.pwHash != nil {
		next.PasswordHash = HashPassword(*p.pwHash)
	}
	return next, nil
}

// splitMemberOps separates a Group's member operations from attribute operations and
// resolves them (members must exist) before anything is written.
func (s *Service) splitMemberOps(ctx context.Context, tenant string, rt *schemas.ResourceType, groupID string, ops []PatchOp) ([]PatchOp, []memberOp, error) {
	if rt != schemas.GroupResourceType {
		return ops, nil, nil
	}
	var attrOps []PatchOp
	var memberOps []memberOp
	for _, op := range ops {
		if op.Path == nil {
			// A path-less map may carry members among other attributes (Okta).
			m, _ := op.Value.(map[string]any)
			rest := map[string]any{}
			for k, v := range m {
				if strings.EqualFold(k, "members") {
					mo, err := s.memberOp(ctx, tenant, groupID, op.Op, nil, v)
					if err != nil {
						return nil, nil, err
					}
					memberOps = append(memberOps, mo)
					continue
				}
				rest[k] = v
			}
			if m == nil || len(rest) > 0 {
				attrOps = append(attrOps, PatchOp{Op: op.Op, Value: restOr(m, rest, op.Value)})
			}
			continue
		}
		if op.Path.Target.Schema == "" && op.Path.Target.Attr.Name == "members" {
			mo, err := s.memberOp(ctx, tenant, groupID, op.Op, op.Path, op.Value)
			if err != nil {
				return nil, nil, err
			}
			memberOps = append(memberOps, mo)
			continue
		}
		attrOps = append(attrOps, op)
	}
	return attrOps, memberOps, nil
}

// restOr returns the rest of a map when the original was one, else the original value
// (so that a malformed value still reaches the patcher and its error).
func restOr(m, rest map[string]any, orig any) any {
	if m == nil {
		return orig
	}
	return rest
}

// memberOp resolves one operation on members.
func (s *Service) memberOp(ctx context.Context, tenant, groupID, op string, path *PatchPath, raw any) (memberOp, error) {
	v := &validator{rt: schemas.GroupResourceType}
	switch {
	case path != nil && (path.Sub != nil || path.Target.Sub != nil):
		return memberOp{}, patchError(KindMutability, path, "members' sub-attributes cannot be changed; remove the member and add it again")
	case op == "remove" && path != nil && path.Filter != nil:
		ids, err := s.matchingMembers(ctx, tenant, groupID, path.Filter)
		if err != nil {
			return memberOp{}, err
		}
		if len(ids) == 0 {
			return memberOp{}, patchError(KindNoTarget, path, "no member matches the filter")
		}
		return memberOp{remove: ids}, nil
	case op == "remove" && raw == nil:
		return memberOp{removeAll: true}, nil
	case op == "remove":
		// Entra ID: {"op":"Remove","path":"members","value":[{"value":"id"}]} removes
		// exactly those members.
		members, err := v.members(raw)
		if err != nil {
			return memberOp{}, err
		}
		ids := make([]string, len(members))
		for i, m := range members {
			ids[i] = m.Value
		}
		return memberOp{remove: ids}, nil
	case path != nil && path.Filter != nil:
		return memberOp{}, patchError(KindInvalidPath, path, "members[...] can only be removed; to change members, add or replace them")
	}
	members, err := v.members(raw)
	if err != nil {
		return memberOp{}, err
	}
	if members, err = s.resolveMembers(ctx, tenant, groupID, members); err != nil {
		return memberOp{}, err
	}
	return memberOp{add: members, replace: op == "replace"}, nil
}

// matchingMembers returns the ids of the members a filter selects. Filters on value
// alone (value eq "id", or several joined by or), which is what identity providers
// send, are answered by looking up those memberships, without reading the member list.
func (s *Service) matchingMembers(ctx context.Context, tenant, groupID string, f Filter) ([]string, error) {
	if ids, ok := valueEqualities(f); ok {
		return s.Store.MembersAmong(ctx, tenant, groupID, ids)
	}
	members, err := s.Store.Members(ctx, tenant, groupID)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, m := range members {
		elem := Attributes{"value": m.Value, "type": m.Type, "display": m.Display}
		if f.Match(elem, "", Meta{}) {
			ids = append(ids, m.Value)
		}
	}
	return ids, nil
}

// valueEqualities returns the ids of a filter made only of value eq "id" joined by or.
func valueEqualities(f Filter) ([]string, bool) {
	switch x := f.(type) {
	case Compare:
		id, ok := x.Value.(string)
		return []string{id}, ok && x.Op == OpEq && x.Path.Attr != nil && x.Path.Attr.Name == "value"
	case Or:
		l, ok1 := valueEqualities(x.Left)
		r, ok2 := valueEqualities(x.Right)
		return append(l, r...), ok1 && ok2
	}
	return nil, false
}

func (s *Service) applyMemberOps(ctx context.Context, tenant, groupID string, ops []memberOp) error {
	for _, op := range ops {
		var err error
		switch {
		case op.replace:
			err = s.replaceMembers(ctx, tenant, groupID, op.add)
		case op.removeAll:
			err = s.replaceMembers(ctx, tenant, groupID, nil)
		case len(op.remove) > 0:
			err = s.Store.RemoveMembers(ctx, tenant, groupID, op.remove)
		default:
			err = s.Store.AddMembers(ctx, tenant, groupID, op.add)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// deepCopy copies attribute values so that a patch never changes the stored original.
func deepCopy(v any) any {
	switch x := v.(type) {
	case Attributes:
		out := make(Attributes, len(x))
		for k, val := range x {
			out[k] = deepCopy(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = deepCopy(val)
		}
		return out
	}
	return v
}
