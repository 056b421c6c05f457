package scim

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// Hot paths of the HTTP layer, with allocation counts:
//
//	go test ./scim -run '^$' -bench 'Render|ParseFilter' -benchmem

// BenchmarkRenderUser: a stored User to its JSON representation.
func BenchmarkRenderUser(b *testing.B) {
	now := time.Now()
	r := &resources.Resource{Type: schemas.UserResourceType, Tenant: "t", ID: "2819c223-7f76-453a-919d-413861904646",
		Attributes: resources.Attributes{
			"userName": "ada.lovelace@example.com", "active": true, "displayName": "Ada Lovelace",
			"name":                    resources.Attributes{"givenName": "Ada", "familyName": "Lovelace"},
			"emails":                  []any{resources.Attributes{"value": "ada.lovelace@example.com", "type": "work", "primary": true}},
			schemas.EnterpriseUserURN: resources.Attributes{"department": "Engineering"},
		},
		Meta:   resources.Meta{Created: now, LastModified: now, Version: 3},
		Groups: []resources.GroupRef{{Value: "e9e30dba-f08f-4109-8486-d5c6a331660a", Display: "Analysts"}},
	}
	rd := renderer{baseURL: "https://hq.example.com/scim/v2"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(rd.resource(r, nil)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseFilter: parsing and resolving the filters identity providers send.
func BenchmarkParseFilter(b *testing.B) {
	for _, f := range []string{
		`userName eq "ada.lovelace@example.com"`,
		`emails[type eq "work" and value co "@example.com"] and active eq true`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Engineering" or (title sw "Math" and not (nickName pr))`,
	} {
		b.Run(f[:12], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parseFilter(schemas.UserResourceType, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
