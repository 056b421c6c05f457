package scim_test

import (
	"net/http"
	"strings"
	"testing"
	"unicode"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/scim/scimtest"
)

// userWith is a User body with a userName and extra attributes.
func userWith(userName string, extra map[string]any) map[string]any {
	b := map[string]any{"schemas": []string{userURN}, "userName": userName}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

var strictPolicy = scimtest.Options{Policy: func(string) resources.Policy { return resources.Policy{Strict: true} }}

func TestRejectedRepresentations(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	cases := []struct {
		name     string
		path     string
		body     any // a map (sent as JSON) or a raw JSON string
		scimType string
		detail   []string
	}{
		{"missing userName", "/Users", map[string]any{"schemas": []string{userURN}, "displayName": "x"}, "invalidValue", []string{"userName"}},
		{"empty userName", "/Users", userWith("", nil), "invalidValue", []string{"userName"}},
		{"null userName", "/Users", userWith("", map[string]any{"userName": nil}), "invalidValue", []string{"userName"}},
		{"missing Group displayName", "/Groups", map[string]any{"schemas": []string{groupURN}}, "invalidValue", []string{"displayName"}},
		{"schemas missing", "/Users", map[string]any{"userName": "a"}, "invalidSyntax", []string{"schemas"}},
		{"schemas empty", "/Users", map[string]any{"schemas": []string{}, "userName": "a"}, "invalidSyntax", []string{"schemas"}},
		{"schemas not an array", "/Users", map[string]any{"schemas": userURN, "userName": "a"}, "invalidSyntax", []string{"schemas"}},
		{"schemas without the core URN", "/Users", map[string]any{"schemas": []string{enterpriseURN}, "userName": "a"}, "invalidSyntax", []string{userURN}},
		{"Group schema on /Users", "/Users", map[string]any{"schemas": []string{groupURN}, "userName": "a"}, "invalidSyntax", []string{userURN}},
		{"User schema on /Groups", "/Groups", map[string]any{"schemas": []string{userURN}, "displayName": "g"}, "invalidSyntax", []string{groupURN}},
		{"userName a number", "/Users", `{"schemas":["` + userURN + `"],"userName":42}`, "invalidValue", []string{"userName"}},
		{"displayName a boolean", "/Groups", `{"schemas":["` + groupURN + `"],"displayName":true}`, "invalidValue", []string{"displayName"}},
		{"active maybe", "/Users", userWith("a", map[string]any{"active": "maybe"}), "invalidValue", []string{"active"}},
		{"active a number", "/Users", userWith("a", map[string]any{"active": 1}), "invalidValue", []string{"active"}},
		{"emails not an array", "/Users", userWith("a", map[string]any{"emails": map[string]any{"value": "a@example.com"}}), "invalidValue", []string{"emails"}},
		{"emails of strings", "/Users", userWith("a", map[string]any{"emails": []any{"a@example.com"}}), "invalidValue", []string{"emails"}},
		{"email value a number", "/Users", userWith("a", map[string]any{"emails": []any{map[string]any{"value": 7}}}), "invalidValue", []string{"emails.value"}},
		{"name not an object", "/Users", userWith("a", map[string]any{"name": "Alice Smith"}), "invalidValue", []string{"name"}},
		{"two primary emails", "/Users", userWith("a", map[string]any{"emails": []any{
			map[string]any{"value": "a@example.com", "primary": true},
			map[string]any{"value": "b@example.com", "primary": true},
		}}), "invalidValue", []string{"emails", "primary"}},
		{"two primary emails, Entra strings", "/Users", userWith("a", map[string]any{"emails": []any{
			map[string]any{"value": "a@example.com", "primary": "True"},
			map[string]any{"value": "b@example.com", "Primary": "true"},
		}}), "invalidValue", []string{"emails", "primary"}},
		{"enterprise extension not an object", "/Users", map[string]any{"schemas": []string{userURN, enterpriseURN}, "userName": "a", enterpriseURN: "Sales"}, "invalidValue", []string{enterpriseURN}},
		{"x509 certificate not base64", "/Users", userWith("a", map[string]any{"x509Certificates": []any{map[string]any{"value": "not base64!"}}}), "invalidValue", []string{"x509Certificates.value"}},
		{"password a number", "/Users", `{"schemas":["` + userURN + `"],"userName":"a","password":12345}`, "invalidValue", []string{"password"}},
		{"member type Robot", "/Groups", groupBody("g", []any{map[string]any{"value": "x", "type": "Robot"}}), "invalidValue", []string{"members.type", "Robot"}},
		{"members not an array", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "g", "members": map[string]any{"value": "x"}}, "invalidValue", []string{"members"}},
		{"userName twice", "/Users", `{"schemas":["` + userURN + `"],"userName":"a","username":"b"}`, "invalidSyntax", []string{"userName", "username"}},
		{"sub-attribute twice", "/Users", `{"schemas":["` + userURN + `"],"userName":"a","name":{"givenName":"A","GIVENNAME":"B"}}`, "invalidSyntax", []string{"givenName", "GIVENNAME"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			scimtest.ExpectError(t, c.Do(http.MethodPost, tc.path, tc.body), http.StatusBadRequest, tc.scimType, tc.detail...)
		})
	}
	for _, path := range []string{"/Users", "/Groups"} {
		if n := getJSON(t, c, path)["totalResults"]; n != float64(0) {
			t.Fatalf("%s: totalResults = %v after rejected creates, want 0", path, n)
		}
	}
}

// TestAcceptedRepresentations checks what a successful POST stores, in the POST
// response and in a later GET.
func TestAcceptedRepresentations(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	manager := idOf(t, c.CreateUser("boss@example.com", nil))
	cases := []struct {
		name  string
		body  any
		check func(t *testing.T, u map[string]any)
	}{
		{"unknown extension URN without data", map[string]any{
			"schemas":  []string{userURN, "urn:ietf:params:scim:schemas:extension:microsoft:2.0:Group", "urn:example:nothing"},
			"userName": "ext@example.com",
		}, func(t *testing.T, u map[string]any) {
			// Every user has the HQ extension (its hqRole defaults to basic).
			if s := arr(u, "schemas"); len(s) != 2 || s[0] != userURN || s[1] != hqUserURN {
				t.Fatalf("schemas = %v, want only the core and the HQ URN", s)
			}
		}},
		{"active True", userWith("true@example.com", map[string]any{"active": "True"}), wantAttr("active", true)},
		{"active False", userWith("false@example.com", map[string]any{"active": "False"}), wantAttr("active", false)},
		{"capitalised keys", map[string]any{
			"Schemas":  []string{userURN, enterpriseURN},
			"UserName": "caps@example.com",
			"Name":     map[string]any{"GivenName": "Cap", "FamilyName": "Italised"},
			"Emails":   []any{map[string]any{"Value": "caps@example.com", "Type": "Work", "Primary": true}},
			strings.ToUpper(enterpriseURN): map[string]any{
				"Department": "R&D", "Manager": map[string]any{"Value": manager},
			},
		}, func(t *testing.T, u map[string]any) {
			noCapitalisedKeys(t, u)
			if u["userName"] != "caps@example.com" || obj(u, "name")["givenName"] != "Cap" || obj(u, "name")["familyName"] != "Italised" {
				t.Fatalf("core attributes not kept: %v", u)
			}
			emails := arr(u, "emails")
			if len(emails) != 1 {
				t.Fatalf("emails = %v", emails)
			}
			if e := emails[0].(map[string]any); e["value"] != "caps@example.com" || e["primary"] != true || e["type"] != "work" {
				t.Fatalf("email = %v, want value, primary true and the canonical type \"work\"", e)
			}
			ext := obj(u, enterpriseURN)
			if ext["department"] != "R&D" || obj(ext, "manager")["value"] != manager {
				t.Fatalf("enterprise extension = %v", u[enterpriseURN])
			}
			if s := arr(u, "schemas"); len(s) != 3 || s[1] != enterpriseURN || s[2] != hqUserURN {
				t.Fatalf("schemas = %v, want the core, the enterprise and the HQ URN", s)
			}
		}},
		{"null values are absent", userWith("null@example.com", map[string]any{
			"displayName": nil, "name": nil, "emails": nil, "active": nil, "externalId": nil,
			"phoneNumbers": []any{}, "nickName": "Nulls",
			"addresses": []any{nil}, enterpriseURN: nil,
		}), func(t *testing.T, u map[string]any) {
			for _, k := range []string{"displayName", "name", "emails", "active", "externalId", "phoneNumbers", "addresses", enterpriseURN} {
				if v, ok := u[k]; ok {
					t.Fatalf("%s = %v, want it absent", k, v)
				}
			}
			if u["nickName"] != "Nulls" {
				t.Fatalf("nickName not kept: %v", u)
			}
		}},
		{"readOnly id, meta and groups ignored", userWith("ro@example.com", map[string]any{
			"id":     "chosen-by-client",
			"meta":   map[string]any{"created": "1999-01-01T00:00:00Z", "version": `W/"99"`, "resourceType": "Group"},
			"groups": refs(manager),
		}), func(t *testing.T, u map[string]any) {
			meta := obj(u, "meta")
			if u["id"] == "chosen-by-client" || meta["created"] == "1999-01-01T00:00:00Z" || meta["version"] == `W/"99"` || meta["resourceType"] != "User" {
				t.Fatalf("readOnly values from the body were used: %v", u)
			}
			wantValues(t, u, "groups")
		}},
		{"unknown attributes ignored", userWith("unknown@example.com", map[string]any{
			"favouriteColour": "blue",
			"name":            map[string]any{"givenName": "U", "nickname": "not here"},
			"urn:example:ext": map[string]any{"x": 1},
		}), func(t *testing.T, u map[string]any) {
			if _, ok := u["favouriteColour"]; ok {
				t.Fatalf("an unknown attribute came back: %v", u)
			}
			if _, ok := u["urn:example:ext"]; ok {
				t.Fatalf("an unknown extension came back: %v", u)
			}
			if n := obj(u, "name"); len(n) != 1 || n["givenName"] != "U" {
				t.Fatalf("name = %v, want only givenName", n)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := c.Must(http.StatusCreated, http.MethodPost, "/Users", tc.body).JSON(t)
			tc.check(t, u)
			tc.check(t, getJSON(t, c, "/Users/"+idOf(t, u)))
		})
	}
}

func wantAttr(name string, want any) func(*testing.T, map[string]any) {
	return func(t *testing.T, u map[string]any) {
		t.Helper()
		if u[name] != want {
			t.Fatalf("%s = %#v, want %#v", name, u[name], want)
		}
	}
}

// noCapitalisedKeys fails if any key of v, at any depth, is not in its canonical
// (lower camel case) spelling; schema URNs are the only keys allowed to differ.
func noCapitalisedKeys(t *testing.T, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if !strings.HasPrefix(k, "urn:") && k != "$ref" && unicode.IsUpper([]rune(k)[0]) {
				t.Fatalf("key %q is not in its canonical spelling", k)
			}
			noCapitalisedKeys(t, val)
		}
	case []any:
		for _, item := range x {
			noCapitalisedKeys(t, item)
		}
	}
}

func TestStrictPolicyRejectsUnknownAttributes(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, strictPolicy).Client()
	cases := []struct {
		name  string
		path  string
		body  map[string]any
		named string
	}{
		{"top level", "/Users", userWith("a", map[string]any{"favouriteColour": "blue"}), "favouriteColour"},
		{"sub-attribute", "/Users", userWith("a", map[string]any{"name": map[string]any{"nickname": "x"}}), "name.nickname"},
		{"extension attribute", "/Users", map[string]any{"schemas": []string{userURN, enterpriseURN}, "userName": "a", enterpriseURN: map[string]any{"shoeSize": "9"}}, "shoeSize"},
		{"unknown extension with data", "/Users", userWith("a", map[string]any{"urn:example:ext": map[string]any{"x": 1}}), "urn:example:ext"},
		{"group attribute", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "g", "owner": "me"}, "owner"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			scimtest.ExpectError(t, c.Do(http.MethodPost, tc.path, tc.body), http.StatusBadRequest, "invalidSyntax", tc.named)
		})
	}
	// Known attributes and a data-less unknown URN are still fine in strict mode.
	c.Must(http.StatusCreated, http.MethodPost, "/Users", map[string]any{
		"schemas": []string{userURN, "urn:example:nothing"}, "userName": "ok@example.com", "UserType": "Employee",
	})
}

func TestPutIDMismatch(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	u := c.CreateUser("a@example.com", nil)
	uid := idOf(t, u)
	gid := idOf(t, c.CreateGroup("G"))
	cases := []struct{ path, id string }{
		{"/Users/" + uid, "another-id"},
		{"/Users/" + uid, strings.ToUpper(uid)},
		{"/Groups/" + gid, uid},
	}
	for _, tc := range cases {
		body := userWith("renamed@example.com", map[string]any{"id": tc.id})
		if strings.HasPrefix(tc.path, "/Groups/") {
			body = groupBody("Renamed", nil)
			body["id"] = tc.id
		}
		scimtest.ExpectError(t, c.Do(http.MethodPut, tc.path, body), http.StatusBadRequest, "mutability", tc.id)
	}
	// Nothing changed; with the right id (or none) the PUT succeeds.
	if got := getJSON(t, c, "/Users/"+uid); got["userName"] != "a@example.com" || obj(got, "meta")["version"] != obj(u, "meta")["version"] {
		t.Fatalf("a rejected PUT changed the user: %v", got)
	}
	c.Must(http.StatusOK, http.MethodPut, "/Users/"+uid, userWith("b@example.com", map[string]any{"id": uid}))
	c.Must(http.StatusOK, http.MethodPut, "/Users/"+uid, userWith("c@example.com", nil))
}

func TestPasswordNeverReturned(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{})
	c := srv.Client()
	const first, second = "first-Secret-1234", "second-Secret-5678"
	created := c.Must(http.StatusCreated, http.MethodPost, "/Users", userWith("p@example.com", map[string]any{"password": first}))
	id := idOf(t, created.JSON(t))
	responses := []*scimtest.Response{
		created,
		c.Must(http.StatusOK, http.MethodGet, "/Users/"+id, nil),
		c.Must(http.StatusOK, http.MethodPut, "/Users/"+id, userWith("p@example.com", map[string]any{"Password": second})),
		c.Must(http.StatusOK, http.MethodGet, "/Users/"+id, nil),
		c.Must(http.StatusOK, http.MethodGet, "/Users", nil),
		c.Must(http.StatusOK, http.MethodGet, "/Users?startIndex=1&count=10", nil),
	}
	for _, r := range responses {
		body := strings.ToLower(string(r.Body))
		if strings.Contains(body, "password") || strings.Contains(body, strings.ToLower(first)) || strings.Contains(body, strings.ToLower(second)) {
			t.Fatalf("the password came back: %s", r)
		}
	}
	// The PUT replaced the stored hash, which was really stored.
	stored, err := srv.Store.Get(t.Context(), "default", usersRT, id)
	if err != nil {
		t.Fatal(err)
	}
	if !resources.VerifyPassword(stored.PasswordHash, second) || resources.VerifyPassword(stored.PasswordHash, first) {
		t.Fatalf("the stored hash does not match the password set last")
	}
}
