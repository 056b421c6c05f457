package storage

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// E-mail claims make addresses unique within a tenant that asks for it. A claim is a
// document {_id: "<tenant>/<address, lower-cased>", user}: claiming is an insert, so of
// any number of concurrent claimers exactly one wins, on both engines (a unique partial
// index on the users would do on MongoDB, but FerretDB has no partial indexes).

func claimKey(tenant, email string) string { return tenant + "/" + strings.ToLower(email) }

// claimGrace is how long a new claim is never taken as stale: its owner's write (which
// follows the claim) may not have happened yet. It exceeds any database timeout.
const claimGrace = 2 * time.Minute

// ClaimEmails claims the addresses for the user, or fails with KindUniqueness naming the
// first address another user holds (claiming none of them then).
func (s *Store) ClaimEmails(ctx context.Context, tenant, userID string, emails []string) error {
	var claimed []string
	for _, e := range emails {
		err := s.claim(ctx, tenant, userID, e)
		if err != nil {
			_ = s.ReleaseEmails(ctx, tenant, userID, claimed)
			return err
		}
		claimed = append(claimed, e)
	}
	return nil
}

func (s *Store) claim(ctx context.Context, tenant, userID, email string) error {
	k := claimKey(tenant, email)
	_, err := s.emailClaims.InsertOne(ctx, bson.D{{Key: "_id", Value: k}, {Key: "user", Value: userID}, {Key: "at", Value: time.Now().UTC()}})
	if err == nil {
		return nil
	}
	if !isDuplicateKey(err) {
		return dbError("claiming an e-mail address", err)
	}
	var claim struct {
		User string
		At   time.Time
	}
	if err := s.emailClaims.FindOne(ctx, byKey(k)).Decode(&claim); err != nil {
		if errors.Is(err, mongo.ErrNoDocuments) { // released meanwhile: try again
			return s.claim(ctx, tenant, userID, email)
		}
		return dbError("reading an e-mail claim", err)
	}
	if claim.User == userID {
		return nil
	}
	taken := resources.Errorf(resources.KindUniqueness, "the e-mail address %q is already used by another user (this tenant requires unique e-mail addresses)", email)
	if time.Since(claim.At) < claimGrace {
		return taken
	}
	// An old claim whose owner does not have the address (its write failed after the
	// claim, say) is stale: take it over, if nobody else did meanwhile.
	if held, err := s.holds(ctx, tenant, claim.User, email); err != nil || held {
		if err != nil {
			return err
		}
		return taken
	}
	res, err := s.emailClaims.ReplaceOne(ctx, bson.D{{Key: "_id", Value: k}, {Key: "user", Value: claim.User}},
		bson.D{{Key: "_id", Value: k}, {Key: "user", Value: userID}, {Key: "at", Value: time.Now().UTC()}})
	if err != nil {
		return dbError("claiming an e-mail address", err)
	}
	if res.MatchedCount == 0 {
		return s.claim(ctx, tenant, userID, email)
	}
	return nil
}

// holds reports whether the user exists and has the address.
func (s *Store) holds(ctx context.Context, tenant, userID, email string) (bool, error) {
	u, err := s.Get(ctx, tenant, schemas.UserResourceType, userID)
	if resources.KindOf(err) == resources.KindNotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, e := range resources.EmailsOf(u.Attributes) {
		if strings.EqualFold(e, email) {
			return true, nil
		}
	}
	return false, nil
}

// ReleaseEmails gives up the user's claims on the addresses.
func (s *Store) ReleaseEmails(ctx context.Context, tenant, userID string, emails []string) error {
	for _, e := range emails {
		if _, err := s.emailClaims.DeleteOne(ctx, bson.D{{Key: "_id", Value: claimKey(tenant, e)}, {Key: "user", Value: userID}}); err != nil {
			return dbError("releasing an e-mail claim", err)
		}
	}
	return nil
}
