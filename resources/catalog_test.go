package resources

import (
	"reflect"
	"strings"
	"testing"

	"github.com/scimhq/scimhq/schemas"
)

var testCatalog = subscription{
	{ID: "hire", DisplayName: "Hire", Roles: []string{"interviewer", "recruiter", "admin"}},
	{ID: "perform", DisplayName: "Perform", Roles: []string{"employee", "manager", "hr-admin"}},
}

func TestValidateCatalog(t *testing.T) {
	ok := []Product{{ID: "hire", Roles: []string{"a"}}, {ID: "perform-2", Roles: []string{"a", "b"}}}
	if err := ValidateCatalog(ok); err != nil {
		t.Fatalf("a valid catalog: %v", err)
	}
	for _, tc := range []struct {
		name     string
		products []Product
		detail   string
	}{
		{"empty id", []Product{{ID: "", Roles: []string{"a"}}}, `""`},
		{"colon in id", []Product{{ID: "hire:x", Roles: []string{"a"}}}, `"hire:x"`},
		{"space in id", []Product{{ID: "hire x", Roles: []string{"a"}}}, `"hire x"`},
		{"defined twice", []Product{{ID: "hire", Roles: []string{"a"}}, {ID: "hire", Roles: []string{"b"}}}, "twice"},
		{"no roles", []Product{{ID: "hire"}}, "role"},
	} {
		if err := ValidateCatalog(tc.products); err == nil || !strings.Contains(err.Error(), tc.detail) {
			t.Errorf("%s: %v, want an error mentioning %s", tc.name, err, tc.detail)
		}
	}
}

// TestComputeAccess covers what HTTP cannot reach: grants stored before the catalog
// changed (a role or a product that is gone), and the order of the result.
func TestComputeAccess(t *testing.T) {
	user := func(active any, products []any, roles ...string) *Resource {
		attrs := Attributes{schemas.HQUserURN: Attributes{"products": products}}
		if active != nil {
			attrs["active"] = active
		}
		var rs []any
		for _, r := range roles {
			rs = append(rs, Attributes{"value": r})
		}
		if rs != nil {
			attrs["roles"] = rs
		}
		return &Resource{Type: schemas.UserResourceType, Attributes: attrs}
	}
	g := func(product, role string, enabled ...bool) Attributes {
		a := Attributes{"value": product, "role": role}
		if len(enabled) > 0 {
			a["enabled"] = enabled[0]
		}
		return a
	}
	entry := func(product, display, role string, enabled bool, sources ...any) any {
		return Attributes{"value": product, "display": display, "role": role, "enabled": enabled, "sources": sources}
	}
	for _, tc := range []struct {
		name   string
		r      *Resource
		groups map[string]Attributes
		want   []any
	}{
		{"catalog order, not grant order", user(true, []any{g("perform", "manager"), g("hire", "admin")}), nil,
			[]any{entry("hire", "Hire", "admin", true, "direct"), entry("perform", "Perform", "manager", true, "direct")}},
		{"a role gone from the catalog counts for nothing", user(nil, []any{g("hire", "superuser")}, "hire"), nil,
			[]any{entry("hire", "Hire", "interviewer", true, "direct", "roles")}},
		{"only a gone role: no access", user(nil, []any{g("hire", "superuser")}), nil, nil},
		{"a product gone from the subscription", user(nil, []any{g("insights", "viewer")}, "insights:analyst"), nil, nil},
		{"ordinary roles", user(nil, nil, "sales-lead", "perform:hr-admin"), nil,
			[]any{entry("perform", "Perform", "hr-admin", true, "roles")}},
		{"groups in id order, highest role, disabled by direct", user(nil, []any{g("perform", "employee", false)}),
			map[string]Attributes{"g2": {"products": []any{g("perform", "hr-admin")}}, "g1": {"products": []any{g("perform", "manager")}}, "g3": nil},
			[]any{entry("perform", "Perform", "hr-admin", false, "direct", "group:g1", "group:g2")}},
		{"inactive", user(false, nil, "hire:recruiter"), map[string]Attributes{"g": {"products": []any{g("perform", "")}}},
			[]any{entry("hire", "Hire", "recruiter", false, "roles"), entry("perform", "Perform", "employee", false, "group:g")}},
	} {
		if got := computeAccess(tc.r, tc.groups, testCatalog); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\ngot  %v\nwant %v", tc.name, got, tc.want)
		}
	}
}

func TestApplyHQ(t *testing.T) {
	// A group's grants get the lowest role, but no enabled or display: those are a user's.
	attrs := Attributes{schemas.HQGroupURN: Attributes{"products": []any{Attributes{"value": "hire"}}}}
	if err := applyHQ("t", schemas.GroupResourceType, attrs, nil, Policy{Products: testCatalog}); err != nil {
		t.Fatal(err)
	}
	want := Attributes{schemas.HQGroupURN: Attributes{"products": []any{Attributes{"value": "hire", "role": "interviewer"}}}}
	if !reflect.DeepEqual(attrs, want) {
		t.Fatalf("group: %v, want %v", attrs, want)
	}
	// A user without the extension gets it with hqRole basic.
	attrs = Attributes{"userName": "u"}
	if err := applyHQ("t", schemas.UserResourceType, attrs, nil, Policy{Products: testCatalog}); err != nil {
		t.Fatal(err)
	}
	if ext, _ := attrs[schemas.HQUserURN].(Attributes); !reflect.DeepEqual(ext, Attributes{"hqRole": "basic"}) {
		t.Fatalf("user: %v, want the extension with hqRole basic", attrs)
	}
	// A role grant the user already holds is not judged again by a PATCH (the tenant no
	// longer subscribes to perform); one the PATCH adds is.
	onlyHire := Policy{Products: testCatalog[:1], Catalog: testCatalog}
	stored := Attributes{"userName": "u", "roles": []any{Attributes{"value": "perform:manager"}}}
	next := Attributes{"userName": "u", "active": false, "roles": []any{Attributes{"value": "perform:manager"}}}
	if err := applyHQ("t", schemas.UserResourceType, next, stored, onlyHire); err != nil {
		t.Errorf("a PATCH keeping a role grant held before: %v", err)
	}
	next = Attributes{"userName": "u", "roles": []any{Attributes{"value": "perform:manager"}, Attributes{"value": "perform:employee"}}}
	if err := applyHQ("t", schemas.UserResourceType, next, stored, onlyHire); KindOf(err) != KindInvalidValue {
		t.Errorf("a PATCH adding an unsubscribed role grant: %v, want invalidValue", err)
	}
	// Errors name the tenant's products, or the product's roles lowest first.
	for _, tc := range []struct {
		grant  Attributes
		detail string
	}{
		{Attributes{"value": "crm"}, "hire, perform"},
		{Attributes{"value": "hire", "role": "boss"}, "interviewer, recruiter, admin"},
	} {
		attrs := Attributes{schemas.HQUserURN: Attributes{"products": []any{tc.grant}}}
		err := applyHQ("t", schemas.UserResourceType, attrs, nil, Policy{Products: testCatalog})
		if KindOf(err) != KindInvalidValue || !strings.Contains(err.Error(), tc.detail) {
			t.Errorf("grant %v: %v, want invalidValue mentioning %q", tc.grant, err, tc.detail)
		}
	}
}
