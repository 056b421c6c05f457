package resources

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"
)

// Token is a bearer token as stored: never the secret itself, only its SHA-256 hash. The
// secrets scimhq issues carry 256 bits of randomness, so a fast hash is enough: there is
// nothing to brute-force, and verification costs one indexed lookup.
type Token struct {
	ID      string // public, for listing and revoking
	Tenant  string
	Name    string
	Hash    string // hex SHA-256 of the secret
	Created time.Time
}

// TokenStore persists tokens.
type TokenStore interface {
	CreateToken(ctx context.Context, t Token) error
	// TokenByHash returns the token with the given hash, or a KindNotFound error.
	TokenByHash(ctx context.Context, hash string) (Token, error)
	ListTokens(ctx context.Context, tenant string) ([]Token, error)
	// RevokeToken deletes the tenant's token with the given id, or fails with KindNotFound.
	RevokeToken(ctx context.Context, tenant, id string) error
}

const tokenPrefix = "scimhq_"

// NewToken creates a token for the tenant and returns it with its secret, which is shown
// to the caller once and stored nowhere.
func NewToken(ctx context.Context, store TokenStore, tenant, name string) (Token, string, error) {
	if err := ValidateTenantName(tenant); err != nil {
		return Token{}, "", err
	}
	secret := tokenPrefix + randomString(32)
	t := Token{ID: randomString(9), Tenant: tenant, Name: name, Hash: HashToken(secret), Created: time.Now().UTC()}
	if err := store.CreateToken(ctx, t); err != nil {
		return Token{}, "", err
	}
	return t, secret, nil
}

// EnsureToken registers a secret chosen by the operator (the --token flag) for the
// tenant, unless it is registered already. It is idempotent so that a server can be
// restarted with the same flag.
func EnsureToken(ctx context.Context, store TokenStore, tenant, name, secret string) error {
	if len(secret) < 16 {
		return Errorf(KindInvalidValue, "a token must be at least 16 characters long")
	}
	existing, err := store.TokenByHash(ctx, HashToken(secret))
	switch {
	case err == nil && existing.Tenant != tenant:
		return Errorf(KindConflict, "this token already belongs to tenant %q", existing.Tenant)
	case err == nil:
		return nil
	case KindOf(err) != KindNotFound:
		return err
	}
	t := Token{ID: randomString(9), Tenant: tenant, Name: name, Hash: HashToken(secret), Created: time.Now().UTC()}
	return store.CreateToken(ctx, t)
}

// Authenticate returns the tenant a presented bearer secret belongs to, or a
// KindUnauthorized error that does not say why (unknown and revoked look the same).
func (s *Service) Authenticate(ctx context.Context, secret string) (string, error) {
	return authenticate(ctx, s.Store, secret)
}

func authenticate(ctx context.Context, store TokenStore, secret string) (string, error) {
	unauthorized := Errorf(KindUnauthorized, "the bearer token is not valid")
	if secret == "" {
		return "", unauthorized
	}
	hash := HashToken(secret)
	t, err := store.TokenByHash(ctx, hash)
	if err != nil {
		if KindOf(err) == KindNotFound {
			return "", unauthorized
		}
		return "", err
	}
	if subtle.ConstantTimeCompare([]byte(t.Hash), []byte(hash)) != 1 {
		return "", unauthorized
	}
	return t.Tenant, nil
}

// HashToken returns the stored form of a secret.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ValidateTenantName accepts names made of letters, digits, '-', '_' and '.', which
// keeps tenant names safe in URLs, logs and database keys.
func ValidateTenantName(name string) error {
	if name == "" || len(name) > 64 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "" {
		return Errorf(KindInvalidValue, "tenant name %q must be 1 to 64 letters, digits, '-', '_' or '.'", name)
	}
	return nil
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("crypto/rand failed: " + err.Error())) // never happens on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
