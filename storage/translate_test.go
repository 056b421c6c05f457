package storage

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// TestTranslateMongoDB checks the query documents of the MongoDB ($elemMatch) paths,
// which the embedded engine cannot run; the expected documents are written as Extended
// JSON.
func TestTranslateMongoDB(t *testing.T) {
	emails := schemas.User.Attribute("emails")
	sub := func(name string) resources.Path { return resources.Path{Attr: emails.Sub(name)} }
	cmp := func(p resources.Path, op resources.Operator, v any) resources.Compare {
		return resources.Compare{Path: p, Op: op, Value: v}
	}
	full := func(name string) resources.Path { return resources.Path{Attr: emails, Sub: emails.Sub(name)} }
	const present = `{"$exists":true,"$nin":[null,""]}`
	cases := []struct {
		name      string
		elemMatch bool
		filter    resources.Filter
		want      string
		superset  bool // the query is a superset that Filter.Match finishes
	}{
		{"pr on a sub-attribute: one element has it", true, cmp(full("value"), resources.OpPr, nil),
			`{"emails":{"$elemMatch":{"value":` + present + `}}}`, false},
		{"pr on FerretDB: the dotted path", false, cmp(full("value"), resources.OpPr, nil),
			`{"emails.value":` + present + `}`, false},
		{"not pr", true, resources.Not{Filter: cmp(full("display"), resources.OpPr, nil)},
			`{"$nor":[{"emails":{"$elemMatch":{"display":` + present + `}}}]}`, false},
		{"Entra's emails[type eq work].value eq: the indexed lower-cased copy too", true,
			resources.ValueFilter{Path: resources.Path{Attr: emails}, Filter: resources.And{
				Left: cmp(sub("type"), resources.OpEq, "work"), Right: cmp(sub("value"), resources.OpEq, "Ada@Example.com")}},
			`{"$and":[{"_lc.emails_type":"work"},{"_lc.emails_value":"ada@example.com"},` +
				`{"emails":{"$elemMatch":{"$and":[{"type":{"$regex":"^work$","$options":"i"}},{"value":{"$regex":"^Ada@Example\\.com$","$options":"i"}}]}}}]}`, false},
		{"no equality to add under or", true,
			resources.ValueFilter{Path: resources.Path{Attr: emails}, Filter: resources.Or{
				Left: cmp(sub("value"), resources.OpEq, "a@x"), Right: cmp(sub("value"), resources.OpEq, "b@x")}},
			`{"emails":{"$elemMatch":{"$or":[{"value":{"$regex":"^a@x$","$options":"i"}},{"value":{"$regex":"^b@x$","$options":"i"}}]}}}`, false},
		{"case-insensitive ordering in [...]: a superset finished in memory", true,
			resources.ValueFilter{Path: resources.Path{Attr: emails}, Filter: resources.And{
				Left: cmp(sub("type"), resources.OpEq, "work"), Right: cmp(sub("value"), resources.OpLt, "c")}},
			`{"$and":[{"_lc.emails_type":"work"},{"emails":{"$elemMatch":{"$and":[{"type":{"$regex":"^work$","$options":"i"}},` +
				`{"$or":[{"value":{"$exists":true}},{"value":{"$exists":false}}]}]}}}]}`, true},
		{"its negation bounds nothing", true,
			resources.Not{Filter: resources.ValueFilter{Path: resources.Path{Attr: emails}, Filter: cmp(sub("value"), resources.OpGe, "c")}},
			`{"_id":{"$exists":true}}`, true},
		{"a boolean inside [...] stays exact", true,
			resources.ValueFilter{Path: resources.Path{Attr: emails}, Filter: cmp(sub("primary"), resources.OpEq, true)},
			`{"emails":{"$elemMatch":{"primary":true}}}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &Store{elemMatch: tc.elemMatch}
			q, post, err := s.translate(context.Background(), "t", schemas.UserResourceType, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			got, err := bson.MarshalExtJSON(q[1].Value.(bson.A)[0], false, false)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Fatalf("query\n%s\nwant\n%s", got, tc.want)
			}
			if (post != nil) != tc.superset {
				t.Fatalf("finished in memory: %v, want %v", post != nil, tc.superset)
			}
		})
	}
}

func TestInGroupsUsesTheKeyRange(t *testing.T) {
	for _, tc := range []struct {
		ids  []string
		want string
	}{
		{nil, `{"_id":{"$in":[]}}`},
		{[]string{"g"}, `{"_id":{"$gte":"t/g/","$lt":"t/g0"}}`},
		{[]string{"g", "h"}, `{"$or":[{"_id":{"$gte":"t/g/","$lt":"t/g0"}},{"_id":{"$gte":"t/h/","$lt":"t/h0"}}]}`},
	} {
		got, err := bson.MarshalExtJSON(inGroups("t", tc.ids), false, false)
		if err != nil || string(got) != tc.want {
			t.Fatalf("inGroups(%v) = %s (%v), want %s", tc.ids, got, err, tc.want)
		}
	}
}
