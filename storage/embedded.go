package storage

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Embedded is a FerretDB instance running inside this process on SQLite files in a
// directory. scimhq talks to it through the MongoDB wire protocol on a loopback port,
// with the same driver and code as for a real MongoDB: there is one storage code path.
type Embedded struct {
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
	e := &Embedded{cancel: cancel, done: make(chan struct{})}
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
