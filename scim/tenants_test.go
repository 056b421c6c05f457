package scim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/scimhq/scimhq/scim"
	"github.com/scimhq/scimhq/scim/scimtest"
)

// rawRequest sends a JSON request without a testing.TB, so that goroutines other than
// the test's may use it; the caller checks the result on the test's goroutine.
func rawRequest(method, url, token string, body any) (int, []byte, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(data))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", scim.ContentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{})
	a := srv.Client()
	b := srv.As(srv.NewToken("acme"))

	alice := a.CreateUser("alice@example.com", map[string]any{"displayName": "Alice"})
	aliceID := idOf(t, alice)
	groupID := idOf(t, a.CreateGroup("A team", aliceID))

	// Tenant B sees nothing of tenant A.
	for _, path := range []string{"/Users", "/Groups"} {
		if m := getJSON(t, b, path); m["totalResults"] != float64(0) || len(arr(m, "Resources")) != 0 {
			t.Fatalf("tenant B lists tenant A's resources at %s: %v", path, m)
		}
	}
	denied := []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/Users/" + aliceID, nil},
		{http.MethodPut, "/Users/" + aliceID, userWith("hijacked@example.com", nil)},
		{http.MethodDelete, "/Users/" + aliceID, nil},
		{http.MethodGet, "/Groups/" + groupID, nil},
		{http.MethodPut, "/Groups/" + groupID, groupBody("Hijacked", refs())},
		{http.MethodDelete, "/Groups/" + groupID, nil},
	}
	for _, d := range denied {
		scimtest.ExpectError(t, b.Do(d.method, d.path, d.body), http.StatusNotFound, "")
		scimtest.ExpectError(t, b.Do(d.method, d.path, d.body, "If-Match: *"), http.StatusNotFound, "")
	}
	// A group in tenant B cannot reference tenant A's user or group.
	for _, id := range []string{aliceID, groupID} {
		scimtest.ExpectError(t, b.Do(http.MethodPost, "/Groups", groupBody("B team", refs(id))), http.StatusBadRequest, "invalidValue", id)
	}
	bGroup := idOf(t, b.CreateGroup("B team"))
	scimtest.ExpectError(t, b.Do(http.MethodPut, "/Groups/"+bGroup, groupBody("B team", refs(aliceID))), http.StatusBadRequest, "invalidValue", aliceID)
	// ...and tenant A's group cannot reference tenant B's.
	scimtest.ExpectError(t, a.Do(http.MethodPut, "/Groups/"+groupID, groupBody("A team", refs(aliceID, bGroup))), http.StatusBadRequest, "invalidValue", bGroup)

	// Both tenants may use the same userName, and each sees only its own.
	bAlice := idOf(t, b.CreateUser("alice@example.com", nil))
	if bAlice == aliceID {
		t.Fatalf("the same id in both tenants")
	}
	for client, want := range map[*scimtest.Client]string{a: aliceID, b: bAlice} {
		m := getJSON(t, client, "/Users")
		if m["totalResults"] != float64(1) || arr(m, "Resources")[0].(map[string]any)["id"] != want {
			t.Fatalf("want only %s: %v", want, m)
		}
	}

	// Tenant A's resources are untouched by everything tenant B tried.
	got := getJSON(t, a, "/Users/"+aliceID)
	if got["userName"] != "alice@example.com" || obj(got, "meta")["version"] != obj(alice, "meta")["version"] {
		t.Fatalf("tenant B changed tenant A's user: %v", got)
	}
	wantValues(t, got, "groups", groupID)
	g := getJSON(t, a, "/Groups/"+groupID)
	if g["displayName"] != "A team" {
		t.Fatalf("tenant B changed tenant A's group: %v", g)
	}
	wantValues(t, g, "members", aliceID)
}

func TestUserNameUniqueCaseInsensitively(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	c.CreateUser("Alice@Example.com", nil)
	for _, name := range []string{"Alice@Example.com", "alice@example.com", "ALICE@EXAMPLE.COM"} {
		scimtest.ExpectError(t, c.Do(http.MethodPost, "/Users", userWith(name, nil)), http.StatusConflict, "uniqueness", "userName", name)
	}
	if n := getJSON(t, c, "/Users")["totalResults"]; n != float64(1) {
		t.Fatalf("totalResults = %v, want 1", n)
	}
}

func TestConcurrentCreatesOfOneUserName(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{})
	const n = 20
	type result struct {
		status int
		body   []byte
		err    error
	}
	results := make([]result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			// Different spellings of one userName: uniqueness is case-insensitive.
			name := "race@example.com"
			if i%2 == 1 {
				name = strings.ToUpper(name)
			}
			var r result
			r.status, r.body, r.err = rawRequest(http.MethodPost, srv.URL+"/Users", srv.Token, userWith(name, nil))
			results[i] = r
		})
	}
	close(start)
	wg.Wait()

	created := 0
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("request %d: %v", i, r.err)
		}
		if r.status == http.StatusCreated {
			created++
			continue
		}
		resp := &scimtest.Response{Status: r.status, Header: http.Header{"Content-Type": {scim.ContentType}}, Body: r.body, Request: "concurrent POST /Users"}
		scimtest.ExpectError(t, resp, http.StatusConflict, "uniqueness", "userName")
	}
	if created != 1 {
		t.Fatalf("%d of %d concurrent creates succeeded, want exactly 1", created, n)
	}
	if m := getJSON(t, srv.Client(), "/Users"); m["totalResults"] != float64(1) {
		t.Fatalf("want one stored user: %v", m)
	}
}

func TestRenameToTakenUserName(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	c.CreateUser("alice@example.com", nil)
	bob := c.CreateUser("bob@example.com", map[string]any{"displayName": "Bob"})
	bobID := idOf(t, bob)

	for _, name := range []string{"alice@example.com", "Alice@Example.COM"} {
		scimtest.ExpectError(t, c.Do(http.MethodPut, "/Users/"+bobID, userWith(name, nil)), http.StatusConflict, "uniqueness", "userName")
	}
	got := getJSON(t, c, "/Users/"+bobID)
	if got["userName"] != "bob@example.com" || got["displayName"] != "Bob" || obj(got, "meta")["version"] != obj(bob, "meta")["version"] {
		t.Fatalf("a rejected rename changed the user: %v", got)
	}
	// Changing the case of one's own userName is not a conflict, and frees nothing.
	c.Must(http.StatusOK, http.MethodPut, "/Users/"+bobID, userWith("BOB@example.com", nil))
	scimtest.ExpectError(t, c.Do(http.MethodPost, "/Users", userWith("bob@example.com", nil)), http.StatusConflict, "uniqueness", "userName")
	// A rename frees the old name.
	c.Must(http.StatusOK, http.MethodPut, "/Users/"+bobID, userWith("robert@example.com", nil))
	c.CreateUser("bob@example.com", nil)
}
