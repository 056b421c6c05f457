package resources

import (
	"context"

	"github.com/google/uuid"

	"github.com/scimhq/scimhq/schemas"
)

// Created is the outcome of one create in a batch: the resource, or why it was not
// created.
type Created struct {
	Resource *Resource
	Err      error
}

// CreateMany creates Users in one database batch, with exactly the validation and rules
// of Create applied to each: one body's failure (a taken userName, a bad attribute)
// fails only that body. ids gives each new resource its id (see CreateWithID). Groups,
// and users of tenants whose e-mail addresses must be unique (each needs its own
// claims), are created one by one.
func (s *Service) CreateMany(ctx context.Context, tenant string, rt *schemas.ResourceType, ids []string, bodies []map[string]any) []Created {
	out := make([]Created, len(bodies))
	if rt != schemas.UserResourceType || s.policy(tenant).UniqueEmails {
		for i, body := range bodies {
			out[i].Resource, out[i].Err = s.CreateWithID(ctx, tenant, rt, ids[i], body)
		}
		return out
	}
	now := s.now()
	var batch []*Resource
	var at []int
	for i, body := range bodies {
		in, err := s.parse(ctx, tenant, rt, body)
		if err != nil {
			out[i].Err = err
			continue
		}
		r := &Resource{
			Type: rt, Tenant: tenant, ID: ids[i], Attributes: in.attrs,
			Meta: Meta{Created: now, LastModified: now, Version: 1},
		}
		if in.password != nil {
			r.PasswordHash = HashPassword(*in.password)
		}
		batch = append(batch, r)
		at = append(at, i)
	}
	if len(batch) == 0 {
		return out
	}
	errs, err := s.Store.CreateMany(ctx, batch)
	for j, r := range batch {
		switch {
		case err != nil:
			out[at[j]].Err = err
		case errs[j] != nil:
			out[at[j]].Err = errs[j]
		default:
			out[at[j]].Resource = r
		}
	}
	return out
}

// RepeatID is the id of the resource a repeatable create (a bulk POST) makes: derived
// from what identifies the operation, so that repeating it creates no second resource
// but collides with the first (see Existing).
func RepeatID(tenant, opKey string) string {
	return uuid.NewSHA1(repeatNamespace, []byte(tenant+"\x00"+opKey)).String()
}

var repeatNamespace = uuid.MustParse("6f1c6a43-5c0b-4a53-9a2e-7c1d3e0f8b21")

// Existing returns those of ids that are resources of the tenant.
func (s *Service) Existing(ctx context.Context, tenant string, ids []string) (map[string]bool, error) {
	found, err := s.Store.MemberTargets(ctx, tenant, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(found))
	for id := range found {
		out[id] = true
	}
	return out, nil
}
