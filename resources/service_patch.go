package resources

import (
	"context"
	"reflect"
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
// unless the client sent If-Match). Member changes are single-membership writes; under
// If-Match a compare-and-swap of the version claims the group first.
func (s *Service) Patch(ctx context.Context, tenant string, rt *schemas.ResourceType, id string, ops []PatchOp, pre Precondition) (*Resource, error) {
	cur, err := s.Store.Get(ctx, tenant, rt, id) // a missing resource is 404 before anything else
	if err != nil {
		return nil, err
	}
	attrOps, memberOps, err := s.splitMemberOps(ctx, tenant, rt, id, ops)
	if err != nil {
		return nil, err
	}
	// replaced: the attributes were stored by a compare-and-swap on the version that
	// passed If-Match, which claims the resource for this request's member changes too.
	replaced := false
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			if cur, err = s.Store.Get(ctx, tenant, rt, id); err != nil {
				return nil, err
			}
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
		if reflect.DeepEqual(next.Attributes, cur.Attributes) && next.PasswordHash == cur.PasswordHash {
			break // nothing changes, so neither does the version
		}
		again, err := lostRace(ctx, s.replaceStored(ctx, cur, next), pre, attempt)
		if again {
			continue
		}
		if err != nil {
			return nil, err
		}
		cur, replaced = next, true
		break
	}
	if changesMembers(memberOps) {
		if pinsVersion(pre) && !replaced {
			// checkIfMatch read the version before this point: two requests with the same
			// If-Match can both pass it, so only the one whose compare-and-swap wins goes
			// on; the other is 412 before it writes a membership (RFC 7644 §3.14).
			if _, err := s.Store.Touch(ctx, tenant, rt, id, cur.Meta.Version, s.now()); err != nil {
				return nil, err
			}
		}
		if err := s.applyMemberOps(ctx, tenant, id, memberOps); err != nil {
			return nil, err
		}
		// Bumped again after the writes: a reader between the claim and the writes saw
		// the claimed version with the old members, and must not keep that ETag.
		if cur.Meta, err = s.Store.Touch(ctx, tenant, rt, id, 0, s.now()); err != nil {
			return nil, err
		}
	}
	return cur, nil
}

// pinsVersion reports whether If-Match names versions; "*" accepts any version, so
// concurrent requests with it must not fail each other.
func pinsVersion(pre Precondition) bool {
	return pre.IfMatch != "" && !ETagMatches(pre.IfMatch, "*")
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
	if err := applyHQ(cur.Tenant, cur.Type, p.attrs, cur.Attributes, s.policy(cur.Tenant)); err != nil {
		return nil, err
	}
	if err := checkUser(cur.Type, p.attrs); err != nil {
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
	state := &memberState{added: map[string]bool{}, removed: map[string]bool{}}
	for _, op := range ops {
		if op.Path == nil && op.Op == "remove" {
			// Checked before members are taken out of the map: the patcher would never
			// see a remove whose only key is members, and it must not empty the group.
			return nil, nil, errRemoveWithoutPath()
		}
		if op.Path == nil {
			// A path-less map may carry members among other attributes (Okta).
			m, _ := op.Value.(map[string]any)
			rest := map[string]any{}
			for k, v := range m {
				if strings.EqualFold(k, "members") {
					mo, err := s.memberOp(ctx, tenant, groupID, op.Op, nil, v, state)
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
			mo, err := s.memberOp(ctx, tenant, groupID, op.Op, op.Path, op.Value, state)
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

// memberState follows the membership through the operations of one request, so that
// a later operation sees what earlier ones did (add a member, then remove it).
type memberState struct {
	added, removed map[string]bool
	all            bool // every member stored before the request was removed
}

func (st *memberState) record(mo memberOp) {
	if mo.removeAll || mo.replace {
		st.all, st.added, st.removed = true, map[string]bool{}, map[string]bool{}
	}
	for _, m := range mo.add {
		st.added[m.Value], st.removed[m.Value] = true, false
	}
	for _, id := range mo.remove {
		st.added[id], st.removed[id] = false, true
	}
}

// memberOp resolves one operation on members, given what the request's earlier
// operations did.
func (s *Service) memberOp(ctx context.Context, tenant, groupID, op string, path *PatchPath, raw any, st *memberState) (memberOp, error) {
	mo, err := s.resolveMemberOp(ctx, tenant, groupID, op, path, raw, st)
	if err == nil {
		st.record(mo)
	}
	return mo, err
}

func (s *Service) resolveMemberOp(ctx context.Context, tenant, groupID, op string, path *PatchPath, raw any, st *memberState) (memberOp, error) {
	v := &validator{rt: schemas.GroupResourceType}
	switch {
	case path != nil && (path.Sub != nil || path.Target.Sub != nil):
		return memberOp{}, patchError(KindMutability, path, "members' sub-attributes cannot be changed; remove the member and add it again")
	case op == "remove" && path != nil && path.Filter != nil:
		ids, err := s.matchingMembers(ctx, tenant, groupID, path.Filter, st)
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
		f := Filter(Nothing{})
		for _, m := range members {
			f = Or{Left: f, Right: valueIs(m.Value)}
		}
		ids, err := s.matchingMembers(ctx, tenant, groupID, f, st)
		return memberOp{remove: ids}, err
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
	if op == "replace" {
		return memberOp{add: members, replace: true}, nil
	}
	// Adding a member that is one already changes nothing (RFC 7644 §3.5.2.1).
	f := Filter(Nothing{})
	for _, m := range members {
		f = Or{Left: f, Right: valueIs(m.Value)}
	}
	present, err := s.matchingMembers(ctx, tenant, groupID, f, st)
	if err != nil {
		return memberOp{}, err
	}
	isPresent := map[string]bool{}
	for _, id := range present {
		isPresent[id] = true
	}
	var add []Member
	for _, m := range members {
		if !isPresent[m.Value] {
			add = append(add, m)
		}
	}
	return memberOp{add: add}, nil
}

// valueIs is the filter value eq "id" on a member.
func valueIs(id string) Filter {
	return Compare{Path: Path{Attr: schemas.Group.Attribute("members").Sub("value")}, Op: OpEq, Value: id}
}

// matchingMembers returns the ids of the members a filter selects. Filters on value
// alone (value eq "id", or several joined by or), which is what identity providers
// send, are answered by looking up those memberships, without reading the member list.
func (s *Service) matchingMembers(ctx context.Context, tenant, groupID string, f Filter, st *memberState) ([]string, error) {
	var stored []string
	if ids, ok := valueEqualities(f); ok {
		found, err := s.Store.MembersAmong(ctx, tenant, groupID, ids)
		if err != nil {
			return nil, err
		}
		// Members added earlier in this request count too.
		for _, id := range ids {
			if st.added[id] {
				found = append(found, id)
			}
		}
		stored = found
	} else {
		members, err := s.Store.Members(ctx, tenant, groupID)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			elem := Attributes{"value": m.Value, "type": m.Type, "display": m.Display}
			if f.Match(elem, "", Meta{}) {
				stored = append(stored, m.Value)
			}
		}
	}
	var ids []string
	seen := map[string]bool{}
	for _, id := range stored {
		// Leave out what earlier operations of the request removed.
		if seen[id] || st.removed[id] || (st.all && !st.added[id]) {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	return ids, nil
}

// valueEqualities returns the ids of a filter made only of value eq "id" joined by or.
func valueEqualities(f Filter) ([]string, bool) {
	switch x := f.(type) {
	case Nothing:
		return nil, true
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

func changesMembers(ops []memberOp) bool {
	for _, op := range ops {
		if op.replace || op.removeAll || len(op.add) > 0 || len(op.remove) > 0 {
			return true
		}
	}
	return false
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
