package storage

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Reads and writes of a known set of documents. On MongoDB one command with an $in on
// _id is always best. On an engine that only answers bare _id filters without a scan
// (s.idOnly), a few lookups by _id beat one scan of the collection; past keysPerScan
// documents, one scan wins.

// keysPerScan is where one collection scan becomes cheaper than that many lookups by
// _id on the embedded engine; chunk bounds the size of one $in.
const (
	keysPerScan = 32
	chunk       = 5000
)

// eachChunk calls fn with the keys in slices of at most chunk.
func eachChunk(keys []string, fn func([]string) error) error {
	for start := 0; start < len(keys); start += chunk {
		if err := fn(keys[start:min(start+chunk, len(keys))]); err != nil {
			return err
		}
	}
	return nil
}

func inKeys(keys []string) bson.D {
	return bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: keys}}}}
}

func (s *Store) perKey(keys []string) bool { return s.idOnly && len(keys) <= keysPerScan }

// findByKeys returns the documents with the given keys that exist.
func (s *Store) findByKeys(ctx context.Context, coll *mongo.Collection, keys []string, proj bson.D) ([]bson.M, error) {
	var out []bson.M
	if s.perKey(keys) {
		for _, k := range keys {
			var doc bson.M
			opt := options.FindOne()
			if proj != nil {
				opt.SetProjection(proj)
			}
			err := coll.FindOne(ctx, byKey(k), opt).Decode(&doc)
			if err == mongo.ErrNoDocuments {
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, doc)
		}
		return out, nil
	}
	err := eachChunk(keys, func(part []string) error {
		opt := options.Find()
		if proj != nil {
			opt.SetProjection(proj)
		}
		cur, err := coll.Find(ctx, inKeys(part), opt)
		if err != nil {
			return err
		}
		var docs []bson.M
		if err := cur.All(ctx, &docs); err != nil {
			return err
		}
		out = append(out, docs...)
		return nil
	})
	return out, err
}

// deleteByKeys deletes the documents with the given keys.
func (s *Store) deleteByKeys(ctx context.Context, coll *mongo.Collection, keys []string) error {
	if s.perKey(keys) {
		for _, k := range keys {
			if _, err := coll.DeleteOne(ctx, byKey(k)); err != nil {
				return err
			}
		}
		return nil
	}
	return eachChunk(keys, func(part []string) error {
		_, err := coll.DeleteMany(ctx, inKeys(part))
		return err
	})
}
