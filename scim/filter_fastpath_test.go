package scim

import (
	"reflect"
	"testing"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/scimhq/scimhq/schemas"
)

// TestSimpleFilterMatchesParser: the fast path resolves every filter it takes exactly
// as the general parser does, and leaves the others to it.
func TestSimpleFilterMatchesParser(t *testing.T) {
	fr := filterResolver{rt: schemas.UserResourceType}
	for _, f := range []string{
		`userName eq "ada@example.com"`,
		`USERNAME Eq "Ada"`,
		`name.familyName sw "Love"`,
		`title pr`,
		`active eq false`,
		`externalId ne null`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales"`,
		`urn:ietf:params:scim:schemas:core:2.0:User:name.givenName co "a"`,
		`id eq "x" and userName eq "a \"quoted\" and more" and active eq true`,
		`meta.lastModified gt "2024-01-01T00:00:00Z"`,
	} {
		expr, ok := simpleFilter(f)
		if !ok {
			t.Errorf("%s: the fast path did not take it", f)
			continue
		}
		fast, err1 := fr.expression(expr)
		parsed, err := filter.ParseFilterNumber([]byte(f))
		if err != nil {
			t.Fatalf("%s: the parser rejects it: %v", f, err)
		}
		general, err2 := fr.expression(parsed)
		if !reflect.DeepEqual(fast, general) || (err1 == nil) != (err2 == nil) {
			t.Errorf("%s:\nfast    %#v %v\ngeneral %#v %v", f, fast, err1, general, err2)
		}
	}
	for _, f := range []string{
		`userName eq "a" or userName eq "b"`,
		`not (title pr)`,
		`emails[type eq "work"]`,
		`(userName eq "a")`,
		`userName eq`,
		`userName eq unquoted`,
		`title eq "unterminated`,
	} {
		if _, ok := simpleFilter(f); ok {
			t.Errorf("%s: the fast path took a filter it must leave to the parser", f)
		}
	}
}
