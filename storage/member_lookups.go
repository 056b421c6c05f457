package storage

import (
	"context"
	"maps"
	"slices"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/scimhq/scimhq/resources"
)

// Reverse lookups: a member's groups on the embedded engine. A membership's member is
// its "value" field, which MongoDB indexes and FerretDB v1.24 can only find by decoding
// every membership (0.45 s of a "userName eq" request with users in a group of
// 10,000). So there, and only there, the lookups collection (lookups.go) also has a key
// space for members:
//
//	{_id: "<tenant>/member/<member id>", ids: [ids of groups it may directly belong to]}
//
// ("member" cannot be a resource type's id, which the other key spaces start with.) It
// is a superset under the same rules: a group id is added to a member's document before
// the membership is inserted and taken out after it is deleted, and every read confirms
// each candidate by its membership's key (exact, by _id). A member's groups are thus a
// read by _id of one lookup document and of one membership per candidate.
//
// One thing differs from a resource's keys: nothing serialises the writes of one
// membership (two PATCHes of a group may add and remove the same member at once). A
// removal that took the group id out while an add of the same pair was between its
// $addToSet and its insert would leave a membership its lookup does not name, which
// no read would find. So removals consult addGuard, and take an id out only when no add
// to that member's document was under way when they began and none began since;
// otherwise the id stays behind, stale, which reads tolerate. Reads that find stale
// ids take them out the same way, so each costs one extra read once.

// memberLookupKey is the _id of the lookup document of a member's groups.
func memberLookupKey(tenant, member string) string { return tenant + "/member/" + member }

// Wide groups. A member's document is inserted with its first group, in the same bulk
// insert as every other new member's; adding a group to an existing document is an
// update, which costs about 2 ms on the embedded engine (an insert in a batch, 0.05
// ms), and a batch of updates is no cheaper (FerretDB v1.24 takes longer still). So
// when one AddMembers finds more than wideAfter of its members' documents existing
// (a large group of users who are in some group already), it does not update them:
// it adds the group to the tenant's wide groups instead, a document every read of
// members' groups takes as candidates for all of them, confirmed like the rest.
// A group stays wide until it is deleted.
const wideAfter = 100

// wideKey is the _id of the lookup document of a tenant's wide groups.
func wideKey(tenant string) string { return tenant + "/wide" }

// wideCache keeps the tenants' wide groups in memory, so that reading a member's groups
// does not read them every time: only this process writes the embedded engine's files,
// and every write of a wide groups document invalidates its tenant here after it is
// done. gen makes a read that raced with such a write leave the cache alone.
type wideCache struct {
	mu     sync.Mutex
	gen    uint64
	tenant map[string][]string
}

// wideGroups returns the tenant's wide groups.
func (s *Store) wideGroups(ctx context.Context, tenant string) ([]string, error) {
	c := s.wide
	c.mu.Lock()
	ids, ok := c.tenant[tenant]
	gen := c.gen
	c.mu.Unlock()
	if ok {
		return ids, nil
	}
	ids, err := s.lookupIDs(ctx, wideKey(tenant))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen {
		c.tenant[tenant] = ids
	}
	c.mu.Unlock()
	return ids, nil
}

// changedWide forgets a tenant's wide groups after its document was written.
func (s *Store) changedWide(tenant string) {
	s.wide.mu.Lock()
	s.wide.gen++
	delete(s.wide.tenant, tenant)
	s.wide.mu.Unlock()
}

// membersBuiltMarker says the lookups cover every membership too: databases whose
// lookups were built before members had any have builtMarker alone (see ensureLookups).
const membersBuiltMarker = "_built_members"

// addGuard counts the adds to lookup documents that are under way, per stripe of keys
// (unrelated keys that share a stripe cost at most a stale id). Only in-process adds
// need counting: the embedded engine's files belong to this process alone.
type addGuard struct{ stripes[guardStripe] }

type guardStripe struct {
	sync.Mutex
	started, running int64
}

// addWindow is what a removal saw of a key's stripe before it deleted anything.
type addWindow struct {
	stripe  *guardStripe
	started int64
	quiet   bool
}

func newAddGuard() *addGuard { return &addGuard{newStripes[guardStripe]()} }

// begin records adds to the keys, before their ids are added; the function it returns
// records their end, once what they index is written (or failed to be).
func (g *addGuard) begin(lks []string) func() {
	for _, lk := range lks {
		st := g.of(lk)
		st.Lock()
		st.started++
		st.running++
		st.Unlock()
	}
	return func() {
		for _, lk := range lks {
			st := g.of(lk)
			st.Lock()
			st.running--
			st.Unlock()
		}
	}
}

// watch returns the window of a removal from key lk that begins now.
func (g *addGuard) watch(lk string) addWindow {
	st := g.of(lk)
	st.Lock()
	defer st.Unlock()
	return addWindow{stripe: st, started: st.started, quiet: st.running == 0}
}

// ifUntouched runs fn, holding the stripe so that no add begins meanwhile, when no add
// was running at the start of the window and none has started since.
func (w addWindow) ifUntouched(fn func()) {
	w.stripe.Lock()
	defer w.stripe.Unlock()
	if w.quiet && w.stripe.started == w.started {
		fn()
	}
}

// linkMembers adds group to the lookup documents of members, before their memberships
// are written, and returns the function to call after: a no-op off the embedded engine.
// Members new to every group get their documents in one unordered insert (insertKeys),
// so storing a large group costs one more bulk write, and at most wideAfter updates.
func (s *Store) linkMembers(ctx context.Context, tenant, group string, memberIDs []string) (func(), error) {
	if !s.idOnly {
		return func() {}, nil
	}
	add := make(map[string][]string, len(memberIDs))
	for _, m := range memberIDs {
		add[memberLookupKey(tenant, m)] = []string{group}
	}
	ends := []func(){s.memberGuard.begin(slices.Collect(maps.Keys(add)))}
	end := func() {
		for _, e := range ends {
			e()
		}
	}
	existing, err := s.insertKeys(ctx, add)
	wide := len(existing) > wideAfter
	if wide {
		existing = []string{wideKey(tenant)}
		ends = append(ends, s.memberGuard.begin(existing))
	}
	for i := 0; err == nil && i < len(existing); i++ {
		err = s.addToKey(ctx, existing[i], []string{group})
	}
	if wide {
		s.changedWide(tenant)
	}
	if err != nil {
		end()
		return nil, err
	}
	return end, nil
}

// unlinking starts the removal of memberships (groups maps a member to the groups it
// leaves) from the members' lookup documents: call it before deleting them, and the
// function it returns after. Off the embedded engine both do nothing.
func (s *Store) unlinking(tenant string, groups map[string][]string) func(context.Context) {
	if !s.idOnly || len(groups) == 0 {
		return func(context.Context) {}
	}
	pulls := make(map[string][]string, len(groups))
	for m, gs := range groups {
		pulls[memberLookupKey(tenant, m)] = gs
	}
	windows := s.watch(slices.Collect(maps.Keys(pulls)))
	return func(ctx context.Context) { s.unlink(ctx, windows, pulls) }
}

func (s *Store) watch(lks []string) map[string]addWindow {
	windows := make(map[string]addWindow, len(lks))
	for _, lk := range lks {
		windows[lk] = s.memberGuard.watch(lk)
	}
	return windows
}

// unlink takes group ids out of lookup documents (pulls maps a key to them), where the
// window opened before the memberships went allows it. Like dropKeys it is best
// effort: an id left behind is stale, which reads confirm away.
func (s *Store) unlink(ctx context.Context, windows map[string]addWindow, pulls map[string][]string) {
	for lk, gs := range pulls {
		pull := bson.D{{Key: "$pullAll", Value: bson.D{{Key: "ids", Value: gs}}}}
		windows[lk].ifUntouched(func() {
			defer s.lookupLocks.lock(lk)()
			_, _ = s.lookups.UpdateOne(ctx, byKey(lk), pull)
		})
	}
}

// dropWide takes a deleted group out of the tenant's wide groups, if it is one: call it
// before deleting the group's memberships, and the function it returns after.
func (s *Store) dropWide(ctx context.Context, tenant, group string) func(context.Context) {
	if !s.idOnly {
		return func(context.Context) {}
	}
	wk := wideKey(tenant)
	windows := s.watch([]string{wk})
	if wide, err := s.wideGroups(ctx, tenant); err != nil || !slices.Contains(wide, group) {
		return func(context.Context) {}
	}
	return func(ctx context.Context) {
		s.unlink(ctx, windows, map[string][]string{wk: {group}})
		s.changedWide(tenant)
	}
}

// membershipsByLookup returns the memberships of members (projected by proj, with _id),
// ordered by _id as the query on value would return them, from their lookup documents
// and the tenant's wide groups: the embedded engine's GroupsOf. The stale ids it meets
// in members' documents are taken out.
func (s *Store) membershipsByLookup(ctx context.Context, tenant string, memberIDs []string, proj bson.D) ([]bson.M, error) {
	memberIDs = slices.Compact(slices.Sorted(slices.Values(memberIDs)))
	lks := make([]string, len(memberIDs))
	for i, m := range memberIDs {
		lks[i] = memberLookupKey(tenant, m)
	}
	windows := s.watch(lks)
	wide, err := s.wideGroups(ctx, tenant)
	if err != nil {
		return nil, err
	}
	type candidate struct {
		lk, group string
		named     bool // by the member's document, from which it is taken out if stale
	}
	pair := map[string]candidate{} // by membership key
	for i, m := range memberIDs {
		groups, err := s.lookupIDs(ctx, lks[i])
		if err != nil {
			return nil, err
		}
		for _, g := range wide {
			pair[membershipKey(tenant, g, m)] = candidate{lk: lks[i], group: g}
		}
		for _, g := range groups {
			pair[membershipKey(tenant, g, m)] = candidate{lk: lks[i], group: g, named: true}
		}
	}
	docs, err := s.findByKeys(ctx, s.memberships, slices.Sorted(maps.Keys(pair)), proj)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		k, _ := d["_id"].(string)
		delete(pair, k)
	}
	stale := map[string][]string{}
	for _, c := range pair {
		if c.named {
			stale[c.lk] = append(stale[c.lk], c.group)
		}
	}
	s.unlink(ctx, windows, stale)
	return docs, nil
}

// buildMemberLookups adds every membership to its member's lookup document, from one
// scan of the memberships, a batch at a time.
func (s *Store) buildMemberLookups(ctx context.Context) error {
	cur, err := s.memberships.Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: fTenant, Value: 1}, {Key: "group", Value: 1}, {Key: "value", Value: 1}}))
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	add := map[string][]string{}
	for cur.Next(ctx) {
		var m struct {
			Tenant       string `bson:"_tenant"`
			Group, Value string
		}
		if err := cur.Decode(&m); err != nil {
			return err
		}
		lk := memberLookupKey(m.Tenant, m.Value)
		add[lk] = append(add[lk], m.Group)
	}
	if err := cur.Err(); err != nil {
		return err
	}
	// Every member's groups are gathered before anything is written (memberships come
	// group by group), so that each key is one insert: adding to a key that exists is
	// an update, about a hundred times dearer on this engine. Written in parts, so that
	// no one command outlasts the store's time-out.
	return eachChunk(slices.Sorted(maps.Keys(add)), func(keys []string) error {
		part := make(map[string][]string, len(keys))
		for _, lk := range keys {
			part[lk] = add[lk]
		}
		return s.addKeys(ctx, part)
	})
}

// requiredMember returns the member id a condition on a membership requires (value
// eq "x", alone or among the conjuncts at its top), if it requires one.
func requiredMember(f resources.Filter) (string, bool) {
	return conjunct(f, func(c resources.Compare) (string, bool) {
		id, ok := c.Value.(string)
		return id, ok && c.Op == resources.OpEq && c.Path.Leaf().Name == "value" && !caseInsensitive(c.Path.Leaf())
	})
}

// str is v if it is a string, and "" otherwise.
func str(v any) string {
	s, _ := v.(string)
	return s
}
