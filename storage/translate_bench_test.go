package storage

import (
	"context"
	"testing"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// BenchmarkTranslateFilter: a resolved filter to its MongoDB query (no database):
//
//	go test ./storage -run '^$' -bench Translate -benchmem
func BenchmarkTranslateFilter(b *testing.B) {
	user := schemas.User
	emails := user.Attribute("emails")
	f := resources.And{
		Left: resources.ValueFilter{Path: resources.Path{Attr: emails}, Filter: resources.And{
			Left:  resources.Compare{Path: resources.Path{Attr: emails.Sub("type")}, Op: resources.OpEq, Value: "work"},
			Right: resources.Compare{Path: resources.Path{Attr: emails.Sub("value")}, Op: resources.OpCo, Value: "@example.com"},
		}},
		Right: resources.Or{
			Left:  resources.Compare{Path: resources.Path{Attr: user.Attribute("userName")}, Op: resources.OpEq, Value: "Ada"},
			Right: resources.Not{Filter: resources.Compare{Path: resources.Path{Attr: user.Attribute("active")}, Op: resources.OpEq, Value: false}},
		},
	}
	for _, engine := range []struct {
		name      string
		elemMatch bool
	}{{"mongodb", true}, {"ferretdb", false}} {
		b.Run(engine.name, func(b *testing.B) {
			s := &Store{elemMatch: engine.elemMatch}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := s.translate(context.Background(), "t", schemas.UserResourceType, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
