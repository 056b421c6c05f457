package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	_ "modernc.org/sqlite" // the SQLite driver FerretDB itself uses, for indexIDs
)

// Embedded is a FerretDB instance running inside this process on SQLite files in a
// directory. scimhq talks to it through the MongoDB wire protocol on a loopback port,
// with the same driver and code as for a real MongoDB: there is one storage code path.
type Embedded struct {
	dir    string
	uri    string
	cancel context.CancelFunc
	done   chan struct{}
}

// StartEmbedded starts FerretDB with its data in dir (created if missing).
func StartEmbedded(dir string, logger *slog.Logger) (*Embedded, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	if logger == nil {
		// FerretDB logs every error response it sends (a duplicate key is one) at warn
		// level; only its own errors are worth an operator's attention.
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
		Logger:    logger,
	})
	if err != nil {
		return nil, fmt.Errorf("starting embedded FerretDB: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Embedded{dir: abs, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		_ = f.Run(ctx)
	}()
	// MongoDBURI waits until the listener is bound, which Run does first.
	e.uri = f.MongoDBURI()
	return e, nil
}

// URI is the MongoDB URI of the embedded instance.
func (e *Embedded) URI() string { return e.uri }

// Close stops FerretDB and waits (a bounded time) for it to flush and close its files.
func (e *Embedded) Close() error {
	e.cancel()
	select {
	case <-e.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("embedded FerretDB did not stop within 10s")
	}
}

// indexIDs gives every table of the database an index that FerretDB's own _id lookups
// can use. FerretDB v1.24's SQLite backend answers a bare {_id: value} filter (the only
// filter it evaluates in SQL) with WHERE _ferretdb_sjson->'$._id' = ?, but it indexes
// _id as _ferretdb_sjson->"_id"; SQLite uses an expression index only for the very
// same expression, so without this every read, update and delete by _id scans its
// table: measured at 100,000 documents, 0.9 s for a find, update, insert and delete by
// _id, and 3 ms with the index. The index is FerretDB's business as much as ours, so it
// is created under a name of our own and only if missing; FerretDB drops it with its
// table. Call it once the database's collections exist (a table is made on first use).
func (e *Embedded) indexIDs(ctx context.Context, database string) error {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.dir, database+".sqlite")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM _ferretdb_collections`)
	if err != nil {
		return fmt.Errorf("reading the embedded database's tables: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for _, t := range tables {
		quoted := `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
		index := `"` + strings.ReplaceAll(t+"_scimhq_id", `"`, `""`) + `"`
		if _, err := db.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS `+index+` ON `+quoted+` (_ferretdb_sjson->'$._id')`); err != nil {
			return fmt.Errorf("indexing %s in the embedded database: %w", t, err)
		}
	}
	return nil
}
