package resources

import (
	"context"
	"math"
	"slices"

	"github.com/scimhq/scimhq/schemas"
)

// Conditions on a User's access (the HQ extension's computed "access") cannot be
// answered by the database alone: access is computed when read, from direct grants,
// core roles and group grants, under the tenant's catalog, and the effective role and
// enabled flag depend on all of a product's grants together. The store narrows such a
// condition to the users holding a grant that could produce it (a superset; see
// storage's translator); the service computes those users' access and keeps the ones
// that satisfy the condition, which then enters the query as an exact set of ids.

// accessBatch bounds how many candidates' memberships are read in one query.
const accessBatch = 1000

// isAccess reports whether f is a comparison or value filter on access.
func isAccess(f Filter) bool {
	var p Path
	switch x := f.(type) {
	case Compare:
		p = x.Path
	case ValueFilter:
		p = x.Path
	default:
		return false
	}
	return p.Schema == schemas.HQUserURN && p.Attr.Name == "access"
}

// resolveAccess replaces the conditions on access in a Users filter by the ids of the
// users that satisfy them.
func (s *Service) resolveAccess(ctx context.Context, tenant string, f Filter) (Filter, error) {
	return MapLeaves(f, func(leaf Filter) (Filter, error) {
		if !isAccess(leaf) {
			return leaf, nil
		}
		// "ne" holds when no value equals the operand, also for a user without any
		// access: the complement of "eq", whose candidates are the few with a grant.
		return NoneEqual(leaf, func(f Filter) (Filter, error) { return s.accessIDs(ctx, tenant, f) })
	})
}

// accessIDs returns the ids of the users whose computed access satisfies cond, a
// condition that only a user with some access can satisfy.
func (s *Service) accessIDs(ctx context.Context, tenant string, cond Filter) (IDIn, error) {
	candidates, err := s.Store.List(ctx, tenant, schemas.UserResourceType, ListQuery{Filter: cond, StartIndex: 1, Count: math.MaxInt32})
	if err != nil {
		return nil, err
	}
	ids := IDIn{}
	for batch := range slices.Chunk(candidates.Resources, accessBatch) {
		if err := s.completeAll(ctx, batch, GetOptions{}); err != nil {
			return nil, err
		}
		for _, r := range batch {
			if cond.Match(r.Attributes, r.ID, r.Meta) {
				ids[r.ID] = true
			}
		}
	}
	return ids, nil
}
