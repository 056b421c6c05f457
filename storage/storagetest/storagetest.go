// Package storagetest provides the database engine for tests: the embedded FerretDB,
// started once per test binary, or the MongoDB named by SCIMHQ_TEST_MONGODB_URI. Each
// test gets a fresh database that is dropped when it ends.
package storagetest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimhq/scimhq/storage"
)

// MongoURIEnv names the environment variable that points the tests at a real MongoDB.
const MongoURIEnv = "SCIMHQ_TEST_MONGODB_URI"

var (
	engineOnce sync.Once
	engineURI  string
	engineErr  error
	engine     *storage.Embedded
	engineDir  string
	dbCounter  atomic.Int64
)

// EngineURI returns the URI of the engine the tests use, starting the embedded one on
// first use.
func EngineURI(t testing.TB) string {
	t.Helper()
	engineOnce.Do(func() {
		if uri := os.Getenv(MongoURIEnv); uri != "" {
			engineURI = uri
			return
		}
		engineDir, engineErr = os.MkdirTemp("", "scimhq-test-*")
		if engineErr != nil {
			return
		}
		engine, engineErr = storage.StartEmbedded(engineDir, nil)
		if engineErr == nil {
			engineURI = engine.URI()
		}
	})
	if engineErr != nil {
		t.Fatalf("starting the test database engine: %v", engineErr)
	}
	return engineURI
}

// Embedded reports whether the tests run on the embedded FerretDB.
func Embedded() bool { return os.Getenv(MongoURIEnv) == "" }

// Engine names the engine the tests run on, for benchmark reports.
func Engine() string {
	if !Embedded() {
		return "MongoDB (" + MongoURIEnv + ")"
	}
	return "embedded FerretDB v1.24 on SQLite"
}

// Main runs a package's tests, then stops the embedded engine and removes its files.
// Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if engine != nil {
		_ = engine.Close()
		_ = os.RemoveAll(engineDir)
	}
	os.Exit(code)
}

// OpenStore opens a store on a fresh database that is dropped when the test ends.
func OpenStore(t testing.TB) *storage.Store { return OpenStoreWith(t, storage.Options{}) }

// OpenStoreWith is OpenStore with options (a command monitor, say); the database name
// is always a fresh one.
func OpenStoreWith(t testing.TB, opt storage.Options) *storage.Store {
	t.Helper()
	uri := EngineURI(t)
	opt.Embedded = engine // nil on a real MongoDB
	opt.Database = fmt.Sprintf("t%d_%d", time.Now().UnixNano()%1e9, dbCounter.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, err := storage.Open(ctx, uri, opt)
	if err != nil {
		t.Fatalf("opening the store: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = store.DropDatabase(ctx)
		_ = store.Close(ctx)
	})
	return store
}
