package scim_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/scimhq/scimhq/scim/scimtest"
)

// Concurrent PATCHes of one resource must all take effect: none may undo another's
// change (a lost update), and none may fail because another came first.

// patchResult is what one concurrent request got, checked on the test's goroutine.
type patchResult struct {
	status int
	body   []byte
	err    error
}

// patchAll sends the PATCH bodies to url at the same moment, one goroutine each. Every
// one must succeed (patchStatus); it reports those that were not as errors of t and returns
// which were.
func patchAll(t *testing.T, srv *scimtest.Server, url string, bodies []map[string]any) []bool {
	t.Helper()
	results := make([]patchResult, len(bodies))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, body := range bodies {
		wg.Go(func() {
			<-start
			var r patchResult
			r.status, r.body, r.err = rawRequest(http.MethodPatch, srv.URL+url, srv.Token, body)
			results[i] = r
		})
	}
	close(start)
	wg.Wait()
	ok := make([]bool, len(results))
	failed := 0
	for i, r := range results {
		if ok[i] = r.err == nil && r.status == patchStatus(url); !ok[i] {
			failed++
			t.Errorf("concurrent PATCH %d %v: %d %v %s", i, bodies[i]["Operations"], r.status, r.err, r.body)
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d concurrent PATCHes of %s failed", failed, len(bodies), url)
	}
	return ok
}

func TestConcurrentMemberAdds(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{})
	c := srv.Client()
	const n = 50
	ids := make([]string, n)
	bodies := make([]map[string]any, n)
	for i := range n {
		ids[i] = idOf(t, c.CreateUser(fmt.Sprintf("member%02d@example.com", i), nil))
		bodies[i] = patchOf(op("add", "members", refs(ids[i])))
	}
	gid := idOf(t, c.CreateGroup("Crowd"))
	before := versionOf(t, c.Must(http.StatusOK, http.MethodGet, "/Groups/"+gid, nil))

	patchAll(t, srv, "/Groups/"+gid, bodies)
	after := c.Must(http.StatusOK, http.MethodGet, "/Groups/"+gid, nil)
	wantValues(t, after.JSON(t), "members", ids...)
	if versionOf(t, after) == before {
		t.Fatalf("version %v unchanged after %d member adds", before, n)
	}
	for _, id := range []string{ids[0], ids[n/2], ids[n-1]} {
		wantValues(t, getJSON(t, c, "/Users/"+id), "groups", gid)
	}
}

func TestConcurrentAttributePatches(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{})
	c := srv.Client()
	id := idOf(t, c.Must(http.StatusCreated, http.MethodPost, "/Users", startUser("busy@example.com", nil)).JSON(t))
	ent := func(name string) string { return enterpriseURN + ":" + name }
	// Each PATCH changes one attribute no other PATCH touches: path, value sent, and the
	// path and value a GET must show afterwards.
	changes := []struct {
		op, path string
		value    any
		at       string
		want     any
	}{
		{"replace", "title", "Director", "title", "Director"},
		{"add", "nickName", "Ally", "nickName", "Ally"},
		{"add", "displayName", "Alice S.", "displayName", "Alice S."},
		{"add", "userType", "Employee", "userType", "Employee"},
		{"add", "locale", "en-GB", "locale", "en-GB"},
		{"add", "preferredLanguage", "en", "preferredLanguage", "en"},
		{"add", "profileUrl", "https://example.com/alice", "profileUrl", "https://example.com/alice"},
		{"add", "timezone", "Europe/London", "timezone", "Europe/London"},
		{"add", "externalId", "ext-alice", "externalId", "ext-alice"},
		{"replace", "name.givenName", "Alicia", "name.givenName", "Alicia"},
		{"replace", "name.familyName", "Smythe", "name.familyName", "Smythe"},
		{"add", "name.middleName", "Q", "name.middleName", "Q"},
		{"replace", "active", false, "active", false},
		{"replace", ent("department"), "Research", ent("department"), "Research"},
		{"add", ent("division"), "Labs", ent("division"), "Labs"},
		{"add", ent("costCenter"), "CC-1", ent("costCenter"), "CC-1"},
		{"add", ent("organization"), "Example Corp", ent("organization"), "Example Corp"},
		{"add", ent("employeeNumber"), "42", ent("employeeNumber"), "42"},
		{"add", "phoneNumbers", []any{map[string]any{"value": "+1 555 0100", "type": "work"}},
			"phoneNumbers", []any{map[string]any{"value": "+1 555 0100", "type": "work"}}},
		{"replace", `addresses[type eq "home"].locality`, "Springfield",
			"addresses", []any{map[string]any{"type": "home", "streetAddress": "1 Home Road", "locality": "Springfield"}}},
	}
	bodies := make([]map[string]any, len(changes))
	for i, ch := range changes {
		bodies[i] = patchOf(op(ch.op, ch.path, ch.value))
	}
	answered := patchAll(t, srv, "/Users/"+id, bodies)
	// Every change that was answered 200 is there (no lost update); with all answered
	// 200, that is all of them.
	want := map[string]any{}
	for i, ch := range changes {
		if answered[i] {
			want[ch.at] = ch.want
		}
	}
	after := getJSON(t, c, "/Users/"+id)
	wantAttrs(t, after, want)
	// What no PATCH touched is as it was.
	wantAttrs(t, after, map[string]any{
		"userName": "busy@example.com",
		"emails":   []any{email("work", "alice@work.example", true), email("home", "alice@home.example", false)},
	})
}
