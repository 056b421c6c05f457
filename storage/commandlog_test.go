package storage_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/scimhq/scimhq/storage"
	"github.com/scimhq/scimhq/storage/storagetest"
)

// commandLog records the commands a store sends, each as "<command> <collection>", with
// " scanning with <filter>" appended when its filter is not exactly {_id: "<string>"}:
// on the embedded engine only such a filter is answered without a scan.
type commandLog struct {
	mu       sync.Mutex
	commands []string
}

// openLoggedStore opens a test store whose commands log records.
func openLoggedStore(t *testing.T, log *commandLog) *storage.Store {
	return storagetest.OpenStoreWith(t, storage.Options{Monitor: &event.CommandMonitor{
		Started: func(_ context.Context, e *event.CommandStartedEvent) {
			what := e.CommandName
			if coll, err := e.Command.LookupErr(e.CommandName); err == nil && coll.Type == bson.TypeString {
				what += " " + coll.StringValue()
			}
			if filter, err := e.Command.LookupErr("filter"); err == nil {
				elems, _ := filter.Document().Elements()
				if len(elems) != 1 || elems[0].Key() != "_id" || elems[0].Value().Type != bson.TypeString {
					what += " scanning with " + filter.String()
				}
			}
			log.mu.Lock()
			defer log.mu.Unlock()
			log.commands = append(log.commands, what)
		},
	}})
}

// reset forgets what was recorded.
func (l *commandLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.commands = nil
}

// since returns what was recorded since the last reset.
func (l *commandLog) since() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.commands)
}
