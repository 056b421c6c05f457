package resources

import (
	"context"
	"errors"
	"time"
)

// DefaultRetention is how long a deleted user can be restored unless configured.
const DefaultRetention = 30 * 24 * time.Hour

// ListDeleted returns the tenant's deleted users that can still be restored.
func (s *Service) ListDeleted(ctx context.Context, tenant string) ([]Deleted, error) {
	return s.Store.ListDeleted(ctx, tenant)
}

// Restore brings a deleted user back with its group memberships, if it was deleted
// less than retention ago. It fails with KindUniqueness when its userName (or, where
// addresses are unique, an e-mail address) was taken meanwhile; the user then stays
// deleted.
func (s *Service) Restore(ctx context.Context, tenant, id string, retention time.Duration) (*Resource, error) {
	deleted, err := s.Store.ListDeleted(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var found *Deleted
	for i := range deleted {
		if deleted[i].User.ID == id {
			found = &deleted[i]
		}
	}
	if found == nil {
		return nil, Errorf(KindNotFound, "there is no deleted user %q in tenant %q to restore (it may have been purged)", id, tenant)
	}
	// A tombstone past its retention is kept only until the next purge; restoring it
	// would make the outcome depend on when that purge happens to run.
	if age := s.now().Sub(found.DeletedAt); age > retention {
		return nil, Errorf(KindConflict, "deleted user %q (%v) was deleted at %s, longer ago than the retention of %v: it can no longer be restored, and the next purge removes it",
			id, found.User.Attributes["userName"], found.DeletedAt.Format(time.RFC3339), retention)
	}
	var restored *Resource
	err = s.emailClaims(ctx, tenant, id, nil, found.User.Attributes, func() error {
		var err error
		restored, err = s.Store.Restore(ctx, tenant, id, s.now())
		return err
	})
	if e := (*Error)(nil); errors.As(err, &e) && e.Kind == KindUniqueness {
		return nil, Errorf(KindUniqueness, "deleted user %q cannot be restored: %s; rename or delete the user that has it, then restore again", id, e.Detail)
	}
	return restored, err
}

// Purge removes for good the users deleted longer ago than retention.
func (s *Service) Purge(ctx context.Context, retention time.Duration) (int, error) {
	return s.Store.PurgeDeleted(ctx, s.now().Add(-retention))
}
