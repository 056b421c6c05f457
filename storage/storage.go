// Package storage keeps scimhq's resources in MongoDB. It is the only package that knows
// MongoDB; everything else sees the resources.Store interface it implements.
//
// The same code serves a real MongoDB deployment (replica set or sharded cluster) and the
// embedded FerretDB that scimhq starts when no MongoDB URI is configured, so it uses only
// what both engines do: no multi-document transactions, no $lookup, no collations, no
// partial indexes. Every write that must be atomic is a single-document operation.
//
// Collections, each keyed so it can be sharded by tenant ({_tenant: 1, _id: 1}):
//
//	users, groups  one document per resource, _id "<tenant>/<id>": SCIM attributes at the
//	               top level under their canonical names, extension attributes under the
//	               extension URN with '.' replaced by '_' (so paths stay queryable), and
//	               internal fields whose names start with '_' (which no SCIM attribute
//	               name can): the version, the password hash, and the derived _lc and _sk.
//	memberships    one document per (group, member) pair, _id "<tenant>/<group>/<member>",
//	               so groups of any size never approach the 16 MB document limit and
//	               adding a member is one insert.
//	tokens         bearer tokens by the SHA-256 hash of their secret.
//	emailclaims    e-mail addresses claimed by users, in tenants that want them unique.
//	tombstones     deleted users, restorable until purged.
//	lookups        on the embedded engine only: the resources with a given userName,
//	               externalId, e-mail address or group displayName (see lookups.go),
//	               and the groups a member may belong to (member_lookups.go).

// Keys carry the tenant, so a resource is always read and written by its _id alone: the
// primary key on MongoDB, and the one filter the embedded FerretDB (SQLite) answers
// without scanning the collection (it pushes down exactly {_id: <string>}). A tenant's
// keys form one range, which is what lets a sharded cluster keep a tenant together.
package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// DefaultDatabase is the database used when the MongoDB URI names none.
const DefaultDatabase = "scimhq"

// Internal document fields.
const (
	fTenant   = "_tenant"
	fVersion  = "_rev"
	fPassword = "_pw"
)

// Store implements resources.Store on a MongoDB database.
type Store struct {
	client *mongo.Client
	db     *mongo.Database

	users, groups, memberships, tokens, emailClaims, tombstones, lookups *mongo.Collection

	// idOnly is set on engines that answer only a bare {_id: value} filter without a
	// collection scan (FerretDB's SQLite backend). Queries then prefer several _id
	// lookups over one broader filter, and conditional writes go through keyLocks.
	idOnly   bool
	keyLocks *keyLocks
	// lookupLocks serialise updates of one lookup document on such an engine (see
	// lookups.go). They are apart from keyLocks because a write holds its resource's
	// lock while it updates lookup documents.
	lookupLocks *keyLocks
	// memberGuard tells removals of memberships whether they may update their members'
	// lookup documents (see member_lookups.go).
	memberGuard *addGuard
	wide        *wideCache
	// elemMatch is set when the engine evaluates $elemMatch on arrays of documents
	// (MongoDB does, FerretDB v1 does not); see translator.
	elemMatch bool
}

var _ resources.Store = (*Store)(nil)

// Options tunes Open.
type Options struct {
	// Database overrides the database named in the URI (and DefaultDatabase).
	Database string
	// Monitor, when set, observes every command the driver sends (benchmarks count them).
	Monitor *event.CommandMonitor
	// Timeout bounds each database operation; 0 means 30 seconds.
	Timeout time.Duration
	// Embedded is the in-process engine behind the URI, if it is one: Open then gives
	// its tables the indexes its _id lookups need (see Embedded.indexIDs).
	Embedded *Embedded
}

// Open connects to the MongoDB deployment at uri and makes sure the collections'
// indexes exist. It does not wait for the server: see Ping.
func Open(ctx context.Context, uri string, opt Options) (*Store, error) {
	cs, err := connstring.ParseAndValidate(uri)
	if err != nil {
		return nil, fmt.Errorf("invalid MongoDB URI: %w", err)
	}
	name := opt.Database
	if name == "" {
		name = cs.Database
	}
	if name == "" {
		name = DefaultDatabase
	}
	timeout := opt.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	copts := options.Client().ApplyURI(uri).SetTimeout(timeout)
	if opt.Monitor != nil {
		copts.SetMonitor(opt.Monitor)
	}
	client, err := mongo.Connect(copts)
	if err != nil {
		return nil, fmt.Errorf("connecting to MongoDB: %w", err)
	}
	db := client.Database(name)
	s := &Store{
		client: client, db: db,
		users: db.Collection("users"), groups: db.Collection("groups"),
		memberships: db.Collection("memberships"), tokens: db.Collection("tokens"),
		emailClaims: db.Collection("emailclaims"), tombstones: db.Collection("tombstones"),
		lookups: db.Collection("lookups"),
	}
	var info bson.M
	if err := db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("asking the database what it is: %w", err)
	}
	_, s.idOnly = info["ferretdbVersion"]
	if s.idOnly {
		s.keyLocks, s.lookupLocks, s.memberGuard = newKeyLocks(), newKeyLocks(), newAddGuard()
		s.wide = &wideCache{tenant: map[string][]string{}}
	}
	if s.elemMatch, err = s.probeElemMatch(ctx); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, err
	}
	if err := s.ensureIndexes(ctx); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, err
	}
	if opt.Embedded != nil {
		if err := s.ensureCollections(ctx); err == nil {
			err = opt.Embedded.indexIDs(ctx, name)
		}
		if err != nil {
			_ = client.Disconnect(context.Background())
			return nil, err
		}
	}
	if s.idOnly {
		// Building the lookups of a large data directory written by an older scimhq can
		// outlast the caller's start-up deadline; each command is still bounded by the
		// store's time-out, and a build cut short starts over at the next Open.
		if err := s.ensureLookups(context.WithoutCancel(ctx)); err != nil {
			_ = client.Disconnect(context.Background())
			return nil, err
		}
	}
	return s, nil
}

// ensureCollections creates the collections that do not exist yet, so that everything
// done to a whole collection at start-up (the embedded engine's _id indexes) reaches
// those that are otherwise created by their first write.
func (s *Store) ensureCollections(ctx context.Context) error {
	existing, err := s.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("listing collections: %w", err)
	}
	have := make(map[string]bool, len(existing))
	for _, n := range existing {
		have[n] = true
	}
	for _, c := range []*mongo.Collection{s.users, s.groups, s.memberships, s.tokens, s.emailClaims, s.tombstones, s.lookups} {
		if have[c.Name()] {
			continue
		}
		// Another process may create it between the listing and this call.
		if err := s.db.CreateCollection(ctx, c.Name()); err != nil && !isNamespaceExists(err) {
			return fmt.Errorf("creating collection %s: %w", c.Name(), err)
		}
	}
	return nil
}

// isNamespaceExists reports MongoDB's NamespaceExists (48): the collection is there.
func isNamespaceExists(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && ce.Code == 48
}

// probeElemMatch asks the engine rather than assuming: it stores one document and runs
// a query of the shape the translator builds ($elemMatch with $and on an array of
// documents), which MongoDB answers and FerretDB v1 rejects. The engine evaluates an
// operator only against a document, hence the stored one.
func (s *Store) probeElemMatch(ctx context.Context) (bool, error) {
	probes := s.db.Collection("probes")
	doc := bson.D{{Key: "_id", Value: "elemMatch"}, {Key: "emails", Value: bson.A{bson.D{{Key: "type", Value: "work"}, {Key: "value", Value: "x"}}}}}
	if _, err := probes.ReplaceOne(ctx, byKey("elemMatch"), doc, options.Replace().SetUpsert(true)); err != nil {
		return false, fmt.Errorf("probing the database: %w", err)
	}
	both := bson.A{bson.D{{Key: "type", Value: "work"}}, bson.D{{Key: "value", Value: bson.D{{Key: "$regex", Value: "x"}}}}}
	query := bson.D{{Key: "_id", Value: "elemMatch"}, {Key: "emails", Value: bson.D{{Key: "$elemMatch", Value: bson.D{{Key: "$and", Value: both}}}}}}
	n, err := probes.CountDocuments(ctx, query)
	return err == nil && n == 1, nil
}

// Close disconnects from the database.
func (s *Store) Close(ctx context.Context) error { return s.client.Disconnect(ctx) }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.db.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err()
}

// DropDatabase removes every collection (tests use it to clean up).
func (s *Store) DropDatabase(ctx context.Context) error { return s.db.Drop(ctx) }

// ensureIndexes creates the indexes every query relies on. Creating an index that
// exists with the same definition changes nothing, so this runs at every start.
func (s *Store) ensureIndexes(ctx context.Context) error {
	idx := func(keys bson.D, unique bool) mongo.IndexModel {
		m := mongo.IndexModel{Keys: keys}
		if unique {
			m.Options = options.Index().SetUnique(true)
		}
		return m
	}
	plan := map[*mongo.Collection][]mongo.IndexModel{
		s.users: {
			// userName is unique per tenant, case-insensitively (RFC 7643 §4.1.1); the
			// unique index makes that hold under concurrent creates.
			idx(bson.D{{Key: fTenant, Value: 1}, {Key: fLower + ".userName", Value: 1}}, true),
			// What identity providers look users up by: externalId and e-mail addresses.
			idx(bson.D{{Key: fTenant, Value: 1}, {Key: "externalId", Value: 1}}, false),
			idx(bson.D{{Key: fTenant, Value: 1}, {Key: fLower + ".emails_value", Value: 1}}, false),
			// The default order and the common sort orders, with the _id tie-break.
			idx(bson.D{{Key: fTenant, Value: 1}, {Key: fSort + ".meta_created", Value: 1}, {Key: "_id", Value: 1}}, false),
			idx(bson.D{{Key: fTenant, Value: 1}, {Key: fSort + ".userName", Value: 1}, {Key: "_id", Value: 1}}, false),
			idx(bson.D{{Key: fTenant, Value: 1}, {Key: fSort + ".name_familyName", Value: 1}, {Key: "_id", Value: 1}}, false),
		},
		s.groups: {
			idx(bson.D{{Key: fTenant, Value: 1}, {Key: fLower + ".displayName", Value: 1}}, false),
			idx(bson.D{{Key: fTenant, Value: 1}, {Key: "externalId", Value: 1}}, false),
			idx(bson.D{{Key: fTenant, Value: 1}, {Key: fSort + ".meta_created", Value: 1}, {Key: "_id", Value: 1}}, false),
			idx(bson.D{{Key: fTenant, Value: 1}, {Key: fSort + ".displayName", Value: 1}, {Key: "_id", Value: 1}}, false),
		},
		// A group's members are the _id range "<tenant>/<group>/"; this index finds a
		// member's groups (User.groups, and filters on members.value and groups.value).
		s.memberships: {
			idx(bson.D{{Key: fTenant, Value: 1}, {Key: "value", Value: 1}}, false),
		},
		s.tokens: {
			idx(bson.D{{Key: "tenant", Value: 1}, {Key: "id", Value: 1}}, true),
		},
	}
	for coll, models := range plan {
		// One index per command: FerretDB v1.24 drops the connection when a single
		// createIndexes names several indexes of which some already exist.
		for _, m := range models {
			if _, err := coll.Indexes().CreateOne(ctx, m); err != nil {
				return fmt.Errorf("creating indexes on %s: %w", coll.Name(), err)
			}
		}
	}
	return nil
}

func (s *Store) collection(rt *schemas.ResourceType) *mongo.Collection {
	if rt == schemas.GroupResourceType {
		return s.groups
	}
	return s.users
}

// key is the _id of a tenant's resource. Tenant names cannot contain '/', so keys of
// different tenants never collide and a tenant's keys share the prefix "<tenant>/".
func key(tenant, id string) string { return tenant + "/" + id }

// byKey is the filter for one document.
func byKey(k string) bson.D { return bson.D{{Key: "_id", Value: k}} }

func notFound(rt *schemas.ResourceType, id string) error {
	return resources.Errorf(resources.KindNotFound, "%s %q not found", rt.ID, id)
}

// dbError wraps a driver error as an internal error, keeping context cancellation
// recognisable.
func dbError(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return resources.Internal(what+": the request was cancelled or timed out", err)
	}
	return resources.Internal(what, err)
}
