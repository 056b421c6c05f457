package resources

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/scimhq/scimhq/schemas"
)

// A User as Okta and Entra ID create them, for the hot-path benchmarks:
//
//	go test ./resources -run '^$' -bench . -benchmem
var benchUser = []byte(`{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "userName": "ada.lovelace@example.com", "externalId": "ada", "active": true, "displayName": "Ada Lovelace",
  "name": {"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada Lovelace"},
  "emails": [{"value": "ada.lovelace@example.com", "type": "work", "primary": true}, {"value": "ada@home.example", "type": "home"}],
  "phoneNumbers": [{"value": "+44 20 7946 0000", "type": "work"}],
  "addresses": [{"type": "work", "streetAddress": "1 Analytical Way", "locality": "London", "country": "GB"}],
  "locale": "en-GB", "timezone": "Europe/London", "title": "Mathematician",
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Engineering", "employeeNumber": "1815"}
}`)

func decode(b *testing.B, data []byte) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkDecodeValidateUser: JSON decoding and schema validation of a create.
func BenchmarkDecodeValidateUser(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseResource(schemas.UserResourceType, decode(b, benchUser), false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyPatch: an Entra ID style PATCH (four operations) applied and checked.
func BenchmarkApplyPatch(b *testing.B) {
	in, err := parseResource(schemas.UserResourceType, decode(b, benchUser), false)
	if err != nil {
		b.Fatal(err)
	}
	user := schemas.User
	emails := user.Attribute("emails")
	ops := []PatchOp{
		{Op: "replace", Path: &PatchPath{Target: Path{Attr: user.Attribute("active")}, Text: "active"}, Value: "False"},
		{Op: "replace", Path: &PatchPath{Target: Path{Attr: user.Attribute("name"), Sub: user.Attribute("name").Sub("familyName")}, Text: "name.familyName"}, Value: "King"},
		{Op: "replace", Path: &PatchPath{Target: Path{Attr: emails}, Sub: emails.Sub("value"), Text: `emails[type eq "work"].value`,
			Filter: Compare{Path: Path{Attr: emails.Sub("type")}, Op: OpEq, Value: "work"}}, Value: "ada.king@example.com"},
		{Op: "add", Value: map[string]any{"title": "Countess"}},
	}
	b.ReportAllocs()
	for b.Loop() {
		p := &patcher{rt: schemas.UserResourceType, attrs: deepCopy(in.attrs).(Attributes), v: &validator{rt: schemas.UserResourceType}}
		for _, op := range ops {
			if err := p.apply(op); err != nil {
				b.Fatal(err)
			}
		}
		if err := keepImmutable(schemas.UserResourceType, in.attrs, p.attrs); err != nil {
			b.Fatal(err)
		}
	}
}
