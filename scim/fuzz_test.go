package scim

import (
	"strings"
	"testing"
	"time"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// clientError fails the fuzz run unless err is nil or an error a client can act on: a
// *resources.Error of a client kind with a detail (never an internal error, a 500).
func clientError(t *testing.T, what, input string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	e, ok := err.(*resources.Error)
	if !ok || e.Kind == resources.KindInternal || strings.TrimSpace(e.Detail) == "" {
		t.Fatalf("%s(%q): want a client error with a detail, got %T %v", what, input, err, err)
	}
}

// fuzzUser is a stored user to evaluate parsed filters on.
var fuzzUser = resources.Attributes{
	"userName": "ada@example.com",
	"active":   true,
	"name":     resources.Attributes{"givenName": "Ada", "familyName": "Lovelace"},
	"emails": []any{
		resources.Attributes{"value": "ada@example.com", "type": "work", "primary": true},
		resources.Attributes{"value": "ada@home.example", "type": "home"},
	},
	schemas.EnterpriseUserURN: resources.Attributes{"department": "Sales", "manager": resources.Attributes{"value": "m1"}},
}

var fuzzMeta = resources.Meta{Created: time.Unix(1700000000, 0).UTC(), LastModified: time.Unix(1700000500, 0).UTC(), Version: 3}

// FuzzParseFilter: no filter string makes the parser (or evaluating what it returns)
// panic, and every rejection is a client error.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		`userName eq "bjensen"`,
		`userName Eq "ada@example.com" and active eq true`,
		`name.familyName co "O'Malley"`,
		`title pr`,
		`externalId ne null`,
		`meta.lastModified gt "2011-05-13T04:42:34Z"`,
		`meta.resourceType eq "User"`,
		`emails[type eq "work" and value co "@example.com"]`,
		`emails[type eq "work"].value eq "ada@example.com"`,
		`emails[not (type eq "work")] or userName sw "a"`,
		`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
		`not (userName eq "x")`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m1"`,
		`urn:ietf:params:scim:schemas:core:2.0:User:name.givenName sw "A"`,
		`members eq "x" and displayName eq "y"`,
		`id eq "x" and userName eq "a \"quoted\" and more"`,
		// nasty ones
		``, ` `, `(`, `)`, `()`, `[`, `]`, `[]`, `emails[`, `emails]`, `emails[]`, `emails[type eq]`,
		`emails[type eq "work"`, `emails[type eq "work"]]`, `emails[type eq "work"].`, `emails[emails[type pr]]`,
		`a[b[c[d eq 1]]]`, `[type eq "x"]`, `.[x eq 1]`, `"unterminated`, `userName eq "\`, `userName eq "\u12"`,
		`userName eq "\ud800"`, `userName eq "\u0000"`, "userName eq \"\x00\"", "userName eq \"\xff\xfe\"",
		"\xff", "userName\x00eq \"x\"", `userName eq`, `eq "x"`, `userName xx "x"`, `userName eq x`,
		`active eq "maybe"`, `meta.created gt "yesterday"`, `meta.created co "2020"`, `active gt true`,
		`userName gt null`, `userName eq 1e999999`, `userName eq -`, `name eq "x"`, `name.nope eq "x"`,
		`x509Certificates.value gt "AA=="`, `urn: eq "x"`, `urn:x eq "x"`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User eq "x"`,
		`scimhqValueFilter0 pr`, `scimhqValueFilter99 pr`, `scimhqValueFilter-1 pr`, `emails[type pr] and scimhqValueFilter5 pr`,
		`not`, `not ()`, `not (not (not userName pr))`, `userName pr and`, `and or not`, `userName pr or or userName pr`,
		`a.b.c eq 1`, `..`, `:`, `::::`, `$ref eq "x"`, `groups.$ref pr`,
		strings.Repeat("(", 200) + `userName eq "x"` + strings.Repeat(")", 200),
		strings.Repeat("(", 50),
		strings.Repeat(`emails[type eq "a"] and `, 30) + `userName pr`,
		strings.Repeat("not (", 40) + "title pr" + strings.Repeat(")", 40),
		"ユーザー名 eq \"山田\" and 🙂 pr",
		// strings.ToLower changes the byte length of these (the Kelvin sign K, the dotted İ)
		"displayName eq \"\u212A\u212A\u212A\u212A\u212A\u212A\" and title pr", `name.givenName eq "İİİİİİ" and title pr`, "0\x95\x950 And 000",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, rt := range []*schemas.ResourceType{schemas.UserResourceType, schemas.GroupResourceType} {
			for _, lenient := range []bool{false, true} {
				flt, err := filterResolver{rt: rt, lenient: lenient}.parse(s)
				clientError(t, "parseFilter", s, err)
				if err == nil && flt == nil {
					t.Fatalf("parseFilter(%q): neither a filter nor an error", s)
				}
				if flt != nil {
					flt.Match(fuzzUser, "u1", fuzzMeta)
				}
			}
		}
	})
}

// FuzzParsePatchPath: no PATCH path makes the path parser panic, and every rejection
// is a client error.
func FuzzParsePatchPath(f *testing.F) {
	for _, s := range []string{
		`userName`, `name.givenName`, `emails`, `emails.value`, `emails[type eq "work"]`,
		`emails[type eq "work"].value`, `emails[type eq "work" and primary eq true].display`,
		`emails[not (type eq "work")]`, `members[value eq "2819c223"]`, `members`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`,
		`urn:ietf:params:scim:schemas:extension:scimhq:2.0:User:products[value eq "hire"].enabled`,
		`urn:ietf:params:scim:schemas:core:2.0:User:name.familyName`,
		// nasty ones
		``, ` `, `.`, `..`, `a.b.c`, `name.givenName.x`, `urn:`, `urn:x`, `urn::`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:`,
		`emails[`, `emails]`, `emails[]`, `emails[]]`, `emails[type eq "work"`, `emails[type eq "work"].`, `emails[type eq "work"]x`,
		`emails[type eq "work"].value.x`, `emails[type eq "work"][value pr]`, `members[value eq]`, `members[value eq "x"].display`,
		`name[givenName eq "x"]`, `userName[value eq "x"]`, `emails[nope eq "x"]`, `emails[value eq 5]`, `emails[primary eq "x"]`,
		`emails[emails[type pr]]`, `[type eq "x"]`, `$ref`, `emails.$ref`, "\x00", "\xff\xfe", "user\x00Name", "emails[type eq \"\xff\"]",
		`emails[type eq "\u0000"]`, `emails[type eq "\ud800"]`, `emails[type eq "\"]`,
		strings.Repeat("emails[", 100), strings.Repeat("(", 100), strings.Repeat("a.", 100) + "b",
		"emails[" + strings.Repeat("(", 100) + `type eq "x"` + strings.Repeat(")", 100) + "]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, rt := range []*schemas.ResourceType{schemas.UserResourceType, schemas.GroupResourceType} {
			p, err := parsePatchPath(rt, s)
			clientError(t, "parsePatchPath", s, err)
			if err == nil && (p == nil || p.Target.Attr == nil) {
				t.Fatalf("parsePatchPath(%q): no error and no attribute: %+v", s, p)
			}
			if p != nil && p.Filter != nil {
				p.Filter.Match(fuzzUser, "u1", fuzzMeta)
			}
		}
	})
}
