package resources

import (
	"context"
	"strings"

	"go.uber.org/zap"
)

// EmailsOf returns a user's e-mail addresses, lower-cased, without repeats.
func EmailsOf(attrs Attributes) []string {
	var out []string
	seen := map[string]bool{}
	for _, item := range listOf(attrs["emails"]) {
		m, _ := item.(Attributes)
		if v, ok := m["value"].(string); ok && v != "" && !seen[strings.ToLower(v)] {
			seen[strings.ToLower(v)] = true
			out = append(out, strings.ToLower(v))
		}
	}
	return out
}

// minus returns the addresses of a that are not in b.
func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

// emailClaims runs write with the tenant's e-mail policy: when addresses must be unique,
// the addresses next gains are claimed before the write (and given back if it fails),
// and those it loses are released after it.
func (s *Service) emailClaims(ctx context.Context, tenant, userID string, before, after Attributes, write func() error) error {
	if !s.policy(tenant).UniqueEmails {
		return write()
	}
	old, now := EmailsOf(before), EmailsOf(after)
	gained, lost := minus(now, old), minus(old, now)
	if err := s.Store.ClaimEmails(ctx, tenant, userID, gained); err != nil {
		return err
	}
	if err := write(); err != nil {
		if rerr := s.Store.ReleaseEmails(ctx, tenant, userID, gained); rerr != nil {
			Logger(ctx).Warn("could not release e-mail claims after a failed write", zap.Error(rerr))
		}
		return err
	}
	if err := s.Store.ReleaseEmails(ctx, tenant, userID, lost); err != nil {
		// A claim left behind is stale and taken over by the next claimer.
		Logger(ctx).Warn("could not release e-mail claims", zap.Error(err))
	}
	return nil
}
