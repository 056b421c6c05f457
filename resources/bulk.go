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
// fails only that body. Groups, and users of tenants whose e-mail addresses must be
// unique (each needs its own claims), are created one by one.
func (s *Service) CreateMany(ctx context.Context, tenant string, rt *schemas.ResourceType, bodies []map[string]any) []Created {
	out := make([]Created, len(bodies))
	if rt != schemas.UserResourceType || s.policy(tenant).UniqueEmails {
		for i, body := range bodies {
			out[i].Resource, out[i].Err = s.Create(ctx, tenant, rt, body)
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
			Type: rt, Tenant: tenant, ID: uuid.NewString(), Attributes: in.attrs,
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

// BulkRecords and RecordBulk expose the store's record of bulk creates (see Store).
func (s *Service) BulkRecords(ctx context.Context, tenant string, keys []string) (map[string]string, error) {
	return s.Store.BulkRecords(ctx, tenant, keys)
}

func (s *Service) RecordBulk(ctx context.Context, tenant string, created map[string]string) error {
	return s.Store.RecordBulk(ctx, tenant, created)
}

// Exists returns those of ids that are resources of the tenant.
func (s *Service) Exists(ctx context.Context, tenant string, ids []string) (map[string]bool, error) {
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
