package scim_test

import (
	"bytes"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/scim/scimtest"
)

// uniqueEmails is a policy: tenant "default" requires unique e-mail addresses, "other"
// does not.
func uniqueEmails(tenant string) resources.Policy {
	return resources.Policy{UniqueEmails: tenant == "default"}
}

func withEmail(emails ...string) map[string]any {
	list := []any{}
	for _, e := range emails {
		list = append(list, map[string]any{"value": e, "type": "work"})
	}
	return map[string]any{"emails": list}
}

func TestUniqueEmails(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{Policy: uniqueEmails})
	c := srv.Client()
	a := c.CreateUser("a", withEmail("shared@example.com"))
	aID := idOf(t, a)

	// Another user with the address, in any case: 409 uniqueness naming it.
	r := c.Do(http.MethodPost, "/Users", userWith("b", withEmail("SHARED@example.com")))
	scimtest.ExpectError(t, r, http.StatusConflict, "uniqueness", "shared@example.com")
	b := idOf(t, c.CreateUser("b", withEmail("b@example.com")))

	// Taking it by PUT or PATCH fails too, and changes nothing.
	scimtest.ExpectError(t, c.Do(http.MethodPut, "/Users/"+b, userWith("b", withEmail("shared@example.com"))), http.StatusConflict, "uniqueness")
	patch := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "add", "path": "emails", "value": []any{map[string]any{"value": "Shared@Example.com"}}}}}
	scimtest.ExpectError(t, c.Do(http.MethodPatch, "/Users/"+b, patch), http.StatusConflict, "uniqueness")
	if got := okJSON(t, c, "/Users/"+b); len(arr(got, "emails")) != 1 {
		t.Fatalf("a rejected change altered the user: %v", got["emails"])
	}

	// When a lets the address go, b can have it; when a is deleted, its address is free.
	c.Must(http.StatusOK, http.MethodPut, "/Users/"+aID, userWith("a", withEmail("a2@example.com")))
	c.Must(http.StatusOK, http.MethodPatch, "/Users/"+b, patch)
	scimtest.ExpectError(t, c.Do(http.MethodPost, "/Users", userWith("c", withEmail("a2@example.com"))), http.StatusConflict, "uniqueness")
	c.Must(http.StatusNoContent, http.MethodDelete, "/Users/"+aID, nil)
	c.CreateUser("c", withEmail("a2@example.com"))

	// A tenant without the policy may repeat addresses (Entra ID does).
	other := srv.As(srv.NewToken("other"))
	other.CreateUser("x", withEmail("same@example.com"))
	other.CreateUser("y", withEmail("same@example.com"))
}

func TestUniqueEmailsUnderConcurrency(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{Policy: uniqueEmails})
	const n = 20
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u%d","emails":[{"value":"race@example.com"}]}`, i)
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/Users", bytes.NewBufferString(body))
			req.Header.Set("Authorization", "Bearer "+srv.Token)
			req.Header.Set("Content-Type", "application/scim+json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				statuses[i] = resp.StatusCode
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	created, conflicts := 0, 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
			conflicts++
		}
	}
	if created != 1 || conflicts != n-1 {
		t.Fatalf("statuses %v: want exactly one 201 and %d 409", statuses, n-1)
	}
	list := okJSON(t, srv.Client(), "/Users?filter=emails.value+eq+%22race%40example.com%22")
	if list["totalResults"] != float64(1) {
		t.Fatalf("%v users have the address, want 1", list["totalResults"])
	}
}
