package resources

import (
	"context"
	"time"
)

// DefaultRetention is how long a deleted user can be restored unless configured.
const DefaultRetention = 30 * 24 * time.Hour

// ListDeleted returns the tenant's deleted users that can still be restored.
func (s *Service) ListDeleted(ctx context.Context, tenant string) ([]Deleted, error) {
	return s.Store.ListDeleted(ctx, tenant)
}

// Restore brings a deleted user back with its group memberships. It fails with
// KindUniqueness when its userName (or, where addresses are unique, an e-mail address)
// was taken meanwhile; the user then stays deleted.
func (s *Service) Restore(ctx context.Context, tenant, id string) (*Resource, error) {
	deleted, err := s.Store.ListDeleted(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var before Attributes
	for _, d := range deleted {
		if d.User.ID == id {
			before = d.User.Attributes
		}
	}
	if before == nil {
		return nil, Errorf(KindNotFound, "there is no deleted user %q in tenant %q to restore (it may have been purged)", id, tenant)
	}
	var restored *Resource
	err = s.emailClaims(ctx, tenant, id, nil, before, func() error {
		var err error
		restored, err = s.Store.Restore(ctx, tenant, id, s.now())
		return err
	})
	return restored, err
}

// Purge removes for good the users deleted longer ago than retention.
func (s *Service) Purge(ctx context.Context, retention time.Duration) (int, error) {
	return s.Store.PurgeDeleted(ctx, s.now().Add(-retention))
}
