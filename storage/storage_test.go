package storage_test

import (
	"testing"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/storage/conformance"
	"github.com/scimhq/scimhq/storage/storagetest"
)

func TestMain(m *testing.M) { storagetest.Main(m) }

// TestConformance runs the store contract on the test engine: the embedded FerretDB, or
// the MongoDB named by SCIMHQ_TEST_MONGODB_URI.
func TestConformance(t *testing.T) {
	t.Logf("engine: %s", storagetest.Engine())
	conformance.Run(t, func(t *testing.T) resources.Store { return storagetest.OpenStore(t) })
}
