package storage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/storage"
)

// TestDefiniteFailures: only a write the server refused undoes the lookup keys it added;
// after a time-out or a lost connection the write may still land, and its keys stay.
func TestDefiniteFailures(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{resources.Errorf(resources.KindUniqueness, "userName taken"), true},
		{mongo.WriteException{WriteErrors: []mongo.WriteError{{Code: 11000}}}, true},
		{fmt.Errorf("storing: %w", mongo.CommandError{Code: 2}), true},
		{resources.Internal("storing the User: the request was cancelled or timed out", context.DeadlineExceeded), false},
		{context.DeadlineExceeded, false},
		{errors.New("connection reset by peer"), false},
	} {
		if got := storage.Definite(tc.err); got != tc.want {
			t.Errorf("Definite(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
