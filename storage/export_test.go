package storage

import (
	"context"
	"database/sql"
	"path/filepath"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// IDLookupPlan returns SQLite's query plan for the statement FerretDB v1.24 runs to find
// a document of the collection by _id (internal/backends/sqlite/collection.go: WHERE
// _ferretdb_sjson->'$._id' = ?), so tests can check that it uses an index.
func IDLookupPlan(ctx context.Context, e *Embedded, database, collection string) (string, error) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.dir, database+".sqlite"))
	if err != nil {
		return "", err
	}
	defer db.Close()
	var table string
	if err := db.QueryRowContext(ctx, `SELECT table_name FROM _ferretdb_collections WHERE name = ?`, collection).Scan(&table); err != nil {
		return "", err
	}
	var id, parent, notUsed int
	var detail string
	err = db.QueryRowContext(ctx, `EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM "`+table+`" WHERE _ferretdb_sjson->'$._id' = ?`, `"x"`).Scan(&id, &parent, &notUsed, &detail)
	return detail, err
}

// AddLookupID puts id among the candidates of the lookup key of value at p, as a write
// that stopped half-way, or a removal that failed, leaves a stale id.
func AddLookupID(ctx context.Context, s *Store, tenant string, rt *schemas.ResourceType, p resources.Path, value, id string) error {
	return s.addToKey(ctx, lookupKey(tenant, rt, p, value), []string{id})
}

// DropLookups removes the lookups and their marker, as in a database written before
// lookups existed.
func DropLookups(ctx context.Context, s *Store) error { return s.lookups.Drop(ctx) }

// GroupsOfByScan is GroupsOf answered by the query on the memberships' value field,
// which the embedded engine answers with a scan: what its lookups must agree with.
func GroupsOfByScan(ctx context.Context, s *Store, tenant string, memberIDs []string) (map[string][]string, error) {
	return s.groupsOf(ctx, tenant, memberIDs, false)
}

// AddMemberLookupID puts group among the candidate groups of member, as a write that
// stopped half-way leaves a stale id.
func AddMemberLookupID(ctx context.Context, s *Store, tenant, member, group string) error {
	return s.addToKey(ctx, memberLookupKey(tenant, member), []string{group})
}

// MemberLookupIDs returns the candidate groups in member's lookup document.
func MemberLookupIDs(ctx context.Context, s *Store, tenant, member string) ([]string, error) {
	return s.lookupIDs(ctx, memberLookupKey(tenant, member))
}

// DropMemberLookups removes the members' lookup documents and their marker, as in a
// database whose lookups were built before members had any.
func DropMemberLookups(ctx context.Context, s *Store) error {
	_, err := s.lookups.DeleteMany(ctx, bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "_id", Value: bson.D{{Key: "$regex", Value: "^[^/]*/member/"}}}},
		byKey(membersBuiltMarker),
	}}})
	return err
}

// WideGroups returns the tenant's wide groups (see member_lookups.go).
func WideGroups(ctx context.Context, s *Store, tenant string) ([]string, error) {
	return s.lookupIDs(ctx, wideKey(tenant))
}

// Definite is definite, for tests.
var Definite = definite
