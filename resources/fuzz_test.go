package resources

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/scimhq/scimhq/schemas"
)

// FuzzParseResource: no JSON object, however malformed as a User, makes the validator
// panic, and every rejection is a client error with a detail.
func FuzzParseResource(f *testing.F) {
	const user = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`
	const ent = `"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
	for _, s := range []string{
		`{` + user + `,"userName":"bjensen"}`,
		`{` + user + `,"userName":"bjensen","name":{"givenName":"Barbara","familyName":"Jensen"},"emails":[{"value":"b@example.com","type":"work","primary":true}],"active":true}`,
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",` + ent + `],"userName":"b",` + ent + `:{"department":"Sales","manager":{"value":"m1"}}}`,
		`{` + user + `,"userName":"b","password":"s3cret","x509Certificates":[{"value":"QUJD"}],"urn:ietf:params:scim:schemas:extension:scimhq:2.0:User":{"products":[{"value":"hire"}]}}`,
		`{` + user + `,"userName":"b","meta":{"created":"2020-01-01T00:00:00Z"},"id":"x","groups":[{"value":"g"}]}`,
		// malformed
		`{}`, `{"schemas":null}`, `{"schemas":"urn:ietf:params:scim:schemas:core:2.0:User"}`, `{"schemas":[5]}`, `{"schemas":[]}`, `{"schemas":[null]}`,
		`{` + user + `}`, `{` + user + `,"userName":5}`, `{` + user + `,"userName":""}`, `{` + user + `,"userName":["a"]}`, `{` + user + `,"userName":{"a":1}}`,
		`{` + user + `,"userName":"a","USERNAME":"b"}`, `{` + user + `,"userName":"a","name":[]}`, `{` + user + `,"userName":"a","name":"x"}`,
		`{` + user + `,"userName":"a","name":{"givenName":5,"GivenName":"x"}}`, `{` + user + `,"userName":"a","emails":"a@b"}`,
		`{` + user + `,"userName":"a","emails":["a@b"]}`, `{` + user + `,"userName":"a","emails":[5,null,[]]}`, `{` + user + `,"userName":"a","emails":{"value":"a@b"}}`,
		`{` + user + `,"userName":"a","emails":[{"value":"x","primary":true},{"value":"y","primary":true}]}`, `{` + user + `,"userName":"a","emails":[{"primary":"maybe"}]}`,
		`{` + user + `,"userName":"a","active":"maybe"}`, `{` + user + `,"userName":"a","active":1}`, `{` + user + `,"userName":"a","password":5}`,
		`{` + user + `,"userName":"a",` + ent + `:"x"}`, `{` + user + `,"userName":"a",` + ent + `:[]}`, `{` + user + `,"userName":"a",` + ent + `:{"manager":"m"}}`,
		`{` + user + `,"userName":"a",` + ent + `:{"manager":{"value":5}}}`, `{` + user + `,"userName":"a","x509Certificates":[{"value":"not base64!"}]}`,
		`{` + user + `,"userName":"a","urn:unknown:schema":{"x":1}}`, `{` + user + `,"userName":"a","meta":{"created":"garbage"}}`,
		`{` + user + `,"userName":"a","urn:ietf:params:scim:schemas:extension:scimhq:2.0:User":{"products":"x"}}`,
		`{` + user + `,"userName":"a","urn:ietf:params:scim:schemas:extension:scimhq:2.0:User":{"products":[5,{"value":7},{"value":"x","role":[]}]}}`,
		`{` + user + `,"userName":"a","entitlements":[{"value":1e999}],"timezone":1.5,"locale":{}}`,
		`{` + user + `,"userName":"a\u0000b","displayName":"\ud800","nickName":"` + "\xff\xfe" + `"}`,
		`{` + user + `,"userName":"a","` + strings.Repeat("k", 2000) + `":1}`,
		`{` + user + `,"userName":"a","name":` + strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100) + `}`,
		`{` + user + `,"userName":"a","emails":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var body map[string]any
		if dec.Decode(&body) != nil || body == nil {
			return
		}
		for _, strict := range []bool{false, true} {
			in, err := parseResource(schemas.UserResourceType, body, strict)
			if err != nil {
				e, ok := err.(*Error)
				if !ok || e.Kind == KindInternal || strings.TrimSpace(e.Detail) == "" {
					t.Fatalf("parseResource(%s, strict=%v): want a client error with a detail, got %T %v", data, strict, err, err)
				}
				continue
			}
			if in == nil || in.attrs == nil {
				t.Fatalf("parseResource(%s, strict=%v): no error and no input", data, strict)
			}
			if _, ok := in.attrs["userName"].(string); !ok {
				t.Fatalf("parseResource(%s, strict=%v): accepted without a userName: %v", data, strict, in.attrs)
			}
		}
	})
}
