package storage

import (
	"context"
	"database/sql"
	"path/filepath"
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
