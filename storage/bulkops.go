package storage

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Bulk records make a repeated bulk request safe: each create it carried out is
// recorded as {_id: "<tenant>/<operation key>", id, at}, the key identifying the
// operation (its resource type, bulkId and data).

// BulkRecords returns, for those of keys that were recorded, the id of the resource the
// operation created.
func (s *Store) BulkRecords(ctx context.Context, tenant string, opKeys []string) (map[string]string, error) {
	docs, err := s.findByKeys(ctx, s.bulkOps, keys(tenant, opKeys), bson.D{{Key: "id", Value: 1}})
	if err != nil {
		return nil, dbError("reading bulk records", err)
	}
	out := make(map[string]string, len(docs))
	for _, d := range docs {
		k, _ := d["_id"].(string)
		out[idOf(k)], _ = d["id"].(string)
	}
	return out, nil
}

// RecordBulk records creates carried out by bulk operations (operation key → id).
func (s *Store) RecordBulk(ctx context.Context, tenant string, created map[string]string) error {
	if len(created) == 0 {
		return nil
	}
	now := time.Now().UTC()
	docs := make([]any, 0, len(created))
	for k, id := range created {
		docs = append(docs, bson.D{{Key: "_id", Value: key(tenant, k)}, {Key: "id", Value: id}, {Key: "at", Value: now}})
	}
	_, err := s.bulkOps.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if _, ok := duplicates(err); !ok {
		return dbError("recording bulk operations", err)
	}
	return nil
}
