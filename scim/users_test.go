package scim_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/scimhq/scimhq/scim/scimtest"
)

func TestMain(m *testing.M) { scimtest.Main(m) }

const (
	userURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupURN      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	hqUserURN     = "urn:ietf:params:scim:schemas:extension:scimhq:2.0:User"
	hqGroupURN    = "urn:ietf:params:scim:schemas:extension:scimhq:2.0:Group"
	productURN    = "urn:ietf:params:scim:schemas:scimhq:2.0:Product"
)

func TestUserLifecycle(t *testing.T) {
	srv := scimtest.New(t, scimtest.Options{})
	c := srv.Client()

	created := c.Do(http.MethodPost, "/Users", map[string]any{
		"schemas":  []string{userURN, enterpriseURN},
		"userName": "alice@example.com",
		"name":     map[string]any{"givenName": "Alice", "familyName": "Smith"},
		"emails":   []any{map[string]any{"value": "alice@example.com", "type": "work", "primary": true}},
		"active":   true,
		"password": "correct horse battery staple",
		enterpriseURN: map[string]any{
			"department": "Sales",
		},
	})
	if created.Status != http.StatusCreated {
		t.Fatalf("create: %s", created)
	}
	u := created.JSON(t)
	id, _ := u["id"].(string)
	if id == "" {
		t.Fatalf("no id: %s", created)
	}
	meta, _ := u["meta"].(map[string]any)
	wantLocation := srv.URL + "/Users/" + id
	if created.Header.Get("Location") != wantLocation || meta["location"] != wantLocation {
		t.Fatalf("Location header %q, meta.location %v, want %q", created.Header.Get("Location"), meta["location"], wantLocation)
	}
	if meta["resourceType"] != "User" || meta["created"] == nil || meta["lastModified"] == nil {
		t.Fatalf("incomplete meta: %v", meta)
	}
	if etag := created.Header.Get("ETag"); etag == "" || etag != meta["version"] {
		t.Fatalf("ETag header %q does not equal meta.version %v", etag, meta["version"])
	}
	if strings.Contains(string(created.Body), "password") || strings.Contains(string(created.Body), "correct horse") {
		t.Fatalf("the password came back: %s", created.Body)
	}
	if ext, _ := u[enterpriseURN].(map[string]any); ext["department"] != "Sales" {
		t.Fatalf("enterprise department not kept: %s", created.Body)
	}

	got := c.Must(http.StatusOK, http.MethodGet, "/Users/"+id, nil)
	if string(got.Body) != string(created.Body) {
		t.Fatalf("GET differs from the POST response:\nPOST %s\nGET  %s", created.Body, got.Body)
	}

	replaced := c.Must(http.StatusOK, http.MethodPut, "/Users/"+id, map[string]any{
		"schemas":  []string{userURN},
		"id":       id,
		"userName": "alice@example.com",
		"active":   false,
		"name":     map[string]any{"givenName": "Alice", "familyName": "Jones"},
		"meta":     map[string]any{"created": "1999-01-01T00:00:00Z"},
	}).JSON(t)
	if replaced["active"] != false {
		t.Fatalf("PUT did not deactivate: %v", replaced)
	}
	if n, _ := replaced["name"].(map[string]any); n["familyName"] != "Jones" {
		t.Fatalf("PUT did not replace name: %v", replaced)
	}
	if _, ok := replaced["emails"]; ok {
		t.Fatalf("PUT without emails kept them: %v", replaced)
	}
	if _, ok := replaced[enterpriseURN]; ok {
		t.Fatalf("PUT without the extension kept it: %v", replaced)
	}
	rmeta, _ := replaced["meta"].(map[string]any)
	if rmeta["created"] != meta["created"] {
		t.Fatalf("meta.created changed from %v to %v (readOnly meta in the body must be ignored)", meta["created"], rmeta["created"])
	}
	if rmeta["version"] == meta["version"] {
		t.Fatalf("version did not change on PUT: %v", rmeta["version"])
	}
	stored, err := srv.Store.Get(t.Context(), "default", usersRT, id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$") {
		t.Fatalf("password stored as %q, want an argon2id hash", stored.PasswordHash)
	}

	c.Must(http.StatusNoContent, http.MethodDelete, "/Users/"+id, nil)
	scimtest.ExpectError(t, c.Do(http.MethodGet, "/Users/"+id, nil), http.StatusNotFound, "", id)
	scimtest.ExpectError(t, c.Do(http.MethodDelete, "/Users/"+id, nil), http.StatusNotFound, "", id)
	// The userName is free again at once.
	c.CreateUser("alice@example.com", nil)
}
