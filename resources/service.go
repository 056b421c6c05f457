package resources

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/scimhq/scimhq/schemas"
)

// Policy is what a tenant's configuration decides.
type Policy struct {
	// Strict rejects attributes no schema defines (400 invalidSyntax) instead of
	// ignoring and logging them.
	Strict bool
	// Products are the products the tenant subscribes to, from its catalog.
	Products []Product
	// Catalog is every product of the configuration, subscribed or not: a core role
	// "product:role" naming one of them is a grant (checked against Products), any
	// other role value an ordinary role. Nil means Products.
	Catalog []Product
	// UniqueEmails makes e-mail addresses unique within the tenant.
	UniqueEmails bool
}

// Service applies SCIM semantics to resources: validation, identifiers, metadata,
// preconditions, membership. It is safe for concurrent use and keeps no state between
// calls: every replica of the server can serve every request.
type Service struct {
	Store Store
	// Policy returns a tenant's policy; nil means the defaults for every tenant.
	Policy func(tenant string) Policy
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Precondition carries the client's conditional headers (RFC 7644 §3.14).
type Precondition struct {
	IfMatch string // the If-Match header, empty when absent
}

// maxReplaceAttempts bounds the compare-and-swap loop of a write without If-Match that
// keeps losing to concurrent writers. Each lost round lets one writer through, so the
// bound must exceed any realistic number of simultaneous writers to one resource; the
// request's context bounds the time.
const maxReplaceAttempts = 100

// lostRace reports whether a write failed only because a concurrent writer won and the
// client set no condition; it then waits (backoff) and the caller tries again on top of
// the winner's result. Otherwise it returns the error to answer with.
func lostRace(ctx context.Context, err error, pre Precondition, attempt int) (bool, error) {
	if KindOf(err) != KindPreconditionFailed || pre.IfMatch != "" || attempt >= maxReplaceAttempts {
		return false, err
	}
	if berr := backoff(ctx, attempt); berr != nil {
		return false, Internal("a write kept losing to concurrent writers", berr)
	}
	return true, nil
}

// replaceStored writes next in place of cur (a compare-and-swap on cur's version),
// claiming the e-mail addresses it gains where the tenant wants them unique.
func (s *Service) replaceStored(ctx context.Context, cur, next *Resource) error {
	return s.emailClaims(ctx, cur.Tenant, cur.ID, cur.Attributes, next.Attributes, func() error {
		return s.Store.Replace(ctx, next, cur.Meta.Version)
	})
}

// backoff waits before another attempt of a lost compare-and-swap: a random pause that
// grows with the attempt, so that the writers that lost do not collide again in step.
func backoff(ctx context.Context, attempt int) error {
	pause := time.Duration(rand.Int64N(int64(min(attempt, 20))*int64(time.Millisecond) + 1))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(pause):
		return nil
	}
}

// PolicyOf returns a tenant's policy (its products among them).
func (s *Service) PolicyOf(tenant string) Policy { return s.policy(tenant) }

func (s *Service) policy(tenant string) Policy {
	if s.Policy == nil {
		return Policy{}
	}
	return s.Policy(tenant)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Millisecond)
	}
	// Millisecond precision is what MongoDB stores; truncating here keeps what a create
	// returns equal to what a later read returns.
	return time.Now().UTC().Truncate(time.Millisecond)
}

func (s *Service) parse(ctx context.Context, tenant string, rt *schemas.ResourceType, body map[string]any) (*input, error) {
	policy := s.policy(tenant)
	in, err := parseResource(rt, body, policy.Strict)
	if err != nil {
		return nil, err
	}
	if err := applyHQ(tenant, rt, in.attrs, nil, policy); err != nil {
		return nil, err
	}
	if err := checkUser(rt, in.attrs); err != nil {
		return nil, err
	}
	if len(in.ignored) > 0 {
		Logger(ctx).Info("ignored attributes no schema defines",
			zap.String("resourceType", rt.ID), zap.Strings("attributes", in.ignored))
	}
	return in, nil
}

// Create validates body and stores it as a new resource.
func (s *Service) Create(ctx context.Context, tenant string, rt *schemas.ResourceType, body map[string]any) (*Resource, error) {
	return s.CreateWithID(ctx, tenant, rt, uuid.NewString(), body)
}

// CreateWithID is Create with the new resource's id chosen by the caller (RepeatID).
func (s *Service) CreateWithID(ctx context.Context, tenant string, rt *schemas.ResourceType, id string, body map[string]any) (*Resource, error) {
	in, err := s.parse(ctx, tenant, rt, body)
	if err != nil {
		return nil, err
	}
	now := s.now()
	r := &Resource{
		Type: rt, Tenant: tenant, ID: id, Attributes: in.attrs,
		Meta: Meta{Created: now, LastModified: now, Version: 1},
	}
	if in.password != nil {
		r.PasswordHash = HashPassword(*in.password)
	}
	var members []Member
	if rt == schemas.GroupResourceType {
		if members, err = s.resolveMembers(ctx, tenant, r.ID, in.members); err != nil {
			return nil, err
		}
	}
	if err := s.emailClaims(ctx, tenant, r.ID, nil, r.Attributes, func() error { return s.Store.Create(ctx, r) }); err != nil {
		return nil, err
	}
	if rt == schemas.GroupResourceType {
		if err := s.Store.AddMembers(ctx, tenant, r.ID, members); err != nil {
			// Without transactions, undo the group so that a failed create leaves nothing.
			if derr := s.Store.Delete(ctx, tenant, rt, r.ID, 0); derr != nil {
				Logger(ctx).Error("could not undo a group whose members failed to store", zap.String("id", r.ID), zap.Error(derr))
			}
			return nil, err
		}
		r.Members, r.MembersLoaded = members, true
	}
	return r, nil
}

// GetOptions says which computed parts of a resource to load.
type GetOptions struct {
	// WithoutMembers skips a Group's members, which may be many.
	WithoutMembers bool
	// WithoutGroups skips looking up a User's groups, and so its computed access
	// (group grants are part of it): set it only when neither is returned.
	WithoutGroups bool
}

// Get returns a resource with its computed attributes.
func (s *Service) Get(ctx context.Context, tenant string, rt *schemas.ResourceType, id string, opt GetOptions) (*Resource, error) {
	r, err := s.Store.Get(ctx, tenant, rt, id)
	if err != nil {
		return nil, err
	}
	return r, s.complete(ctx, r, opt)
}

// complete loads the attributes that are computed from memberships.
func (s *Service) complete(ctx context.Context, r *Resource, opt GetOptions) error {
	return s.completeAll(ctx, []*Resource{r}, opt)
}

// Complete loads the computed attributes (members, groups, access) of a resource
// returned by a write, as opt asks.
func (s *Service) Complete(ctx context.Context, r *Resource, opt GetOptions) error {
	return s.complete(ctx, r, opt)
}

// CompleteAll is Complete for several resources of one tenant, with one lookup of
// memberships for all of them.
func (s *Service) CompleteAll(ctx context.Context, rs []*Resource, opt GetOptions) error {
	return s.completeAll(ctx, rs, opt)
}

// completeAll loads the computed attributes of several resources of one tenant: the
// members of Groups, and the groups of Users (with one lookup of memberships and one of
// group names for all of them).
func (s *Service) completeAll(ctx context.Context, rs []*Resource, opt GetOptions) error {
	if len(rs) == 0 {
		return nil
	}
	var userIDs []string
	for _, r := range rs {
		switch {
		case r.Type == schemas.GroupResourceType && !opt.WithoutMembers && !r.MembersLoaded:
			members, err := s.Store.Members(ctx, r.Tenant, r.ID)
			if err != nil {
				return err
			}
			r.Members, r.MembersLoaded = members, true
		case r.Type == schemas.UserResourceType && !opt.WithoutGroups:
			userIDs = append(userIDs, r.ID)
		}
	}
	if len(userIDs) == 0 {
		return nil
	}
	tenant := rs[0].Tenant
	of, err := s.Store.GroupsOf(ctx, tenant, userIDs)
	if err != nil {
		return err
	}
	var groupIDs []string
	for _, ids := range of {
		groupIDs = append(groupIDs, ids...)
	}
	groups := map[string]*Resource{}
	if len(groupIDs) > 0 {
		if groups, err = s.Store.GroupsByID(ctx, tenant, groupIDs); err != nil {
			return err
		}
	}
	products := subscription(s.policy(tenant).Products)
	for _, r := range rs {
		if r.Type != schemas.UserResourceType || opt.WithoutGroups {
			continue
		}
		r.Groups = []GroupRef{}
		grants := map[string]Attributes{}
		for _, gid := range of[r.ID] {
			g, ok := groups[gid]
			if !ok { // a group deleted meanwhile is left out
				continue
			}
			name, _ := g.Attributes["displayName"].(string)
			r.Groups = append(r.Groups, GroupRef{Value: gid, Display: name})
			grants[gid], _ = g.Attributes[schemas.HQGroupURN].(Attributes)
		}
		if access := computeAccess(r, grants, products); len(access) > 0 {
			ext, _ := r.Attributes[schemas.HQUserURN].(Attributes)
			if ext == nil {
				ext = Attributes{}
				r.Attributes[schemas.HQUserURN] = ext
			}
			ext["access"] = access
		}
	}
	return nil
}

// List returns one page of a tenant's resources of a type.
func (s *Service) List(ctx context.Context, tenant string, rt *schemas.ResourceType, q ListQuery, opt GetOptions) (Page, error) {
	if rt == schemas.UserResourceType && q.Filter != nil {
		f, err := s.resolveAccess(ctx, tenant, q.Filter)
		if err != nil {
			return Page{}, err
		}
		q.Filter = f
	}
	page, err := s.Store.List(ctx, tenant, rt, q)
	if err != nil {
		return Page{}, err
	}
	return page, s.completeAll(ctx, page.Resources, opt)
}

// Replace replaces a resource's writable attributes with body (RFC 7644 §3.5.1).
// readOnly attributes in body are ignored; immutable ones must not change. A Group's
// membership is replaced when body has a members attribute and kept when it has none,
// so that a client unaware of members cannot empty a group by accident.
func (s *Service) Replace(ctx context.Context, tenant string, rt *schemas.ResourceType, id string, body map[string]any, pre Precondition) (*Resource, error) {
	in, err := s.parse(ctx, tenant, rt, body)
	if err != nil {
		return nil, err
	}
	if bodyID, ok := lookup(body, "id").(string); ok && bodyID != "" && bodyID != id {
		return nil, Errorf(KindMutability, "the \"id\" in the body (%q) is not the id in the URL (%q); id is read-only", bodyID, id)
	}
	var passwordHash string
	if in.password != nil {
		passwordHash = HashPassword(*in.password)
	}
	var members []Member
	if rt == schemas.GroupResourceType && in.members != nil {
		if members, err = s.resolveMembers(ctx, tenant, id, in.members); err != nil {
			return nil, err
		}
	}
	for attempt := 1; ; attempt++ {
		cur, err := s.Store.Get(ctx, tenant, rt, id)
		if err != nil {
			return nil, err
		}
		if err := checkIfMatch(pre, cur.Meta); err != nil {
			return nil, err
		}
		next := &Resource{
			Type: rt, Tenant: tenant, ID: id, Attributes: in.attrs,
			Meta:         Meta{Created: cur.Meta.Created, LastModified: s.now()},
			PasswordHash: cur.PasswordHash,
		}
		if passwordHash != "" {
			next.PasswordHash = passwordHash
		}
		if err := keepImmutable(rt, cur.Attributes, next.Attributes); err != nil {
			return nil, err
		}
		again, err := lostRace(ctx, s.replaceStored(ctx, cur, next), pre, attempt)
		if again {
			continue
		}
		if err != nil {
			return nil, err
		}
		if rt == schemas.GroupResourceType && in.members != nil {
			if err := s.replaceMembers(ctx, tenant, id, members); err != nil {
				return nil, err
			}
		}
		return next, nil
	}
}

// Delete removes a resource and every membership it takes part in.
func (s *Service) Delete(ctx context.Context, tenant string, rt *schemas.ResourceType, id string, pre Precondition) error {
	var expect int64
	var before Attributes
	if pre.IfMatch != "" || s.policy(tenant).UniqueEmails {
		cur, err := s.Store.Get(ctx, tenant, rt, id)
		if err != nil {
			return err
		}
		if err := checkIfMatch(pre, cur.Meta); err != nil {
			return err
		}
		expect, before = cur.Meta.Version, cur.Attributes
	}
	return s.emailClaims(ctx, tenant, id, before, nil, func() error {
		return s.Store.Delete(ctx, tenant, rt, id, expect)
	})
}

// resolveMembers checks that every member exists in the tenant, fills in its type and
// display, and rejects a group that would contain itself.
func (s *Service) resolveMembers(ctx context.Context, tenant, groupID string, members []Member) ([]Member, error) {
	if len(members) == 0 {
		return []Member{}, nil
	}
	ids := make([]string, len(members))
	for i, m := range members {
		if m.Value == groupID {
			return nil, Errorf(KindInvalidValue, "a group cannot be a member of itself (member %q)", m.Value)
		}
		ids[i] = m.Value
	}
	targets, err := s.Store.MemberTargets(ctx, tenant, ids)
	if err != nil {
		return nil, err
	}
	var missing []string
	out := make([]Member, 0, len(members))
	for _, m := range members {
		t, ok := targets[m.Value]
		if !ok {
			missing = append(missing, m.Value)
			continue
		}
		if m.Type != "" && m.Type != t.Type {
			return nil, Errorf(KindInvalidValue, "member %q is a %s, not a %s", m.Value, t.Type, m.Type)
		}
		m.Type = t.Type
		if m.Display == "" {
			m.Display = t.Display
		}
		out = append(out, m)
	}
	if len(missing) > 0 {
		const show = 10
		more := ""
		if len(missing) > show {
			more = " and " + strconv.Itoa(len(missing)-show) + " more"
			missing = missing[:show]
		}
		return nil, Errorf(KindInvalidValue, "no User or Group with id %s exists; members must refer to existing resources", quoteList(missing)+more)
	}
	return out, nil
}

// replaceMembers makes a group's membership exactly members, touching only the
// memberships that change (new members, gone members, and members whose display the
// client changed).
func (s *Service) replaceMembers(ctx context.Context, tenant, groupID string, members []Member) error {
	current, err := s.Store.Members(ctx, tenant, groupID)
	if err != nil {
		return err
	}
	want := make(map[string]bool, len(members))
	for _, m := range members {
		want[m.Value] = true
	}
	have := make(map[string]Member, len(current))
	var remove []string
	for _, m := range current {
		have[m.Value] = m
		if !want[m.Value] {
			remove = append(remove, m.Value)
		}
	}
	var add []Member
	for _, m := range members {
		if old, ok := have[m.Value]; !ok || old.Display != m.Display {
			add = append(add, m)
		}
	}
	if err := s.Store.RemoveMembers(ctx, tenant, groupID, remove); err != nil {
		return err
	}
	return s.Store.AddMembers(ctx, tenant, groupID, add)
}

// checkIfMatch evaluates If-Match against the current version (RFC 7232 §3.1 with weak
// comparison, as RFC 7644 §3.14 uses weak ETags).
func checkIfMatch(pre Precondition, m Meta) error {
	if pre.IfMatch == "" || ETagMatches(pre.IfMatch, m.ETag()) {
		return nil
	}
	return Errorf(KindPreconditionFailed, "the resource has changed: its version is %s, the request's If-Match was %s", m.ETag(), pre.IfMatch)
}

// ETagMatches reports whether an If-Match or If-None-Match header value (a list of
// entity tags, or "*") matches etag, comparing weakly.
func ETagMatches(header, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == want {
			return true
		}
	}
	return false
}

// keepImmutable enforces RFC 7643 §7 "immutable" on a replace: a value once set may not
// change, and a value the client omits is kept.
func keepImmutable(rt *schemas.ResourceType, old, next Attributes) error {
	if err := immutable(rt.Schema.Attributes, old, next, ""); err != nil {
		return err
	}
	for _, ext := range rt.Extensions {
		o, _ := old[ext.Schema.ID].(Attributes)
		n, _ := next[ext.Schema.ID].(Attributes)
		if o == nil {
			continue
		}
		if n == nil {
			n = Attributes{}
		}
		if err := immutable(ext.Schema.Attributes, o, n, ext.Schema.ID+":"); err != nil {
			return err
		}
		if len(n) > 0 {
			next[ext.Schema.ID] = n
		}
	}
	return nil
}

func immutable(defs []*schemas.Attribute, old, next Attributes, prefix string) error {
	for _, a := range defs {
		if a.MultiValued {
			continue // elements of multi-valued attributes have no identity to compare
		}
		o, had := old[a.Name]
		if !had {
			continue
		}
		if a.Type == schemas.Complex {
			om, _ := o.(Attributes)
			nm, _ := next[a.Name].(Attributes)
			if nm == nil {
				nm = Attributes{}
			}
			if err := immutable(a.SubAttributes, om, nm, prefix+a.Name+"."); err != nil {
				return err
			}
			if len(nm) > 0 {
				next[a.Name] = nm
			}
			continue
		}
		if a.Mutability != schemas.Immutable {
			continue
		}
		n, has := next[a.Name]
		if !has {
			next[a.Name] = o
			continue
		}
		if n != o {
			return Errorf(KindMutability, "attribute %q is immutable and cannot change from %v to %v", prefix+a.Name, o, n)
		}
	}
	return nil
}

// lookup returns the value of a top-level key of a JSON object, matched
// case-insensitively.
func lookup(body map[string]any, key string) any {
	for k, v := range body {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// quoteList renders ids as "a", "b", "c" for error details.
func quoteList(ids []string) string {
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = strconv.Quote(id)
	}
	return strings.Join(quoted, ", ")
}
