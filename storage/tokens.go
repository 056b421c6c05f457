package storage

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/scimhq/scimhq/resources"
)

// Tokens are stored as {_id: sha256(secret), id, tenant, name, created}: looking a
// presented secret up is one read of the primary key.

type tokenDoc struct {
	Hash    string    `bson:"_id"`
	ID      string    `bson:"id"`
	Tenant  string    `bson:"tenant"`
	Name    string    `bson:"name"`
	Created time.Time `bson:"created"`
}

func (d tokenDoc) token() resources.Token {
	return resources.Token{ID: d.ID, Tenant: d.Tenant, Name: d.Name, Hash: d.Hash, Created: d.Created.UTC()}
}

// CreateToken stores a token.
func (s *Store) CreateToken(ctx context.Context, t resources.Token) error {
	_, err := s.tokens.InsertOne(ctx, tokenDoc{Hash: t.Hash, ID: t.ID, Tenant: t.Tenant, Name: t.Name, Created: t.Created})
	if mongo.IsDuplicateKeyError(err) {
		return resources.Errorf(resources.KindConflict, "this token exists already")
	}
	if err != nil {
		return dbError("storing the token", err)
	}
	return nil
}

// TokenByHash finds a token by the hash of its secret.
func (s *Store) TokenByHash(ctx context.Context, hash string) (resources.Token, error) {
	var d tokenDoc
	err := s.tokens.FindOne(ctx, bson.D{{Key: "_id", Value: hash}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return resources.Token{}, resources.Errorf(resources.KindNotFound, "no such token")
	}
	if err != nil {
		return resources.Token{}, dbError("reading tokens", err)
	}
	return d.token(), nil
}

// ListTokens returns a tenant's tokens, oldest first; an empty tenant lists all.
func (s *Store) ListTokens(ctx context.Context, tenant string) ([]resources.Token, error) {
	filter := bson.D{}
	if tenant != "" {
		filter = bson.D{{Key: "tenant", Value: tenant}}
	}
	cur, err := s.tokens.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "created", Value: 1}}))
	if err != nil {
		return nil, dbError("listing tokens", err)
	}
	var docs []tokenDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, dbError("listing tokens", err)
	}
	out := make([]resources.Token, len(docs))
	for i, d := range docs {
		out[i] = d.token()
	}
	return out, nil
}

// RevokeToken deletes a tenant's token.
func (s *Store) RevokeToken(ctx context.Context, tenant, id string) error {
	res, err := s.tokens.DeleteOne(ctx, bson.D{{Key: "tenant", Value: tenant}, {Key: "id", Value: id}})
	if err != nil {
		return dbError("revoking the token", err)
	}
	if res.DeletedCount == 0 {
		return resources.Errorf(resources.KindNotFound, "tenant %q has no token %q", tenant, id)
	}
	return nil
}
