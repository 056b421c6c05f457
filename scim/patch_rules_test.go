package scim_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/scimhq/scimhq/scim/scimtest"
)

// TestPatchIfMatchOnMembers: PATCHes that change only members, sent at the same moment
// with the same If-Match, must not all succeed: the version they all saw can be
// replaced once (RFC 7644 §3.14). Exactly one wins; the others are 412 and add nothing.
func TestPatchIfMatchOnMembers(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	const n = 8
	ids := make([]string, n)
	for i := range n {
		ids[i] = idOf(t, c.CreateUser(fmt.Sprintf("racer%d@example.com", i), nil))
	}
	for round, ops := range []func(id string) map[string]any{
		func(id string) map[string]any { return op("add", "members", refs(id)) },
		// Entra ID's removal by value list, on a group holding every one of them.
		func(id string) map[string]any { return op("Remove", "members", refs(id)) },
	} {
		url := "/Groups/" + idOf(t, c.CreateGroup(fmt.Sprint("Race ", round)))
		if round == 1 {
			c.Must(http.StatusNoContent, http.MethodPatch, url, patchOf(op("add", "members", refs(ids...))))
		}
		etag := c.Must(http.StatusOK, http.MethodGet, url, nil).Header.Get("ETag")
		responses := make([]*scimtest.Response, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				responses[i] = c.Do(http.MethodPatch, url, patchOf(ops(ids[i])), "If-Match: "+etag)
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, r := range responses {
			switch r.Status {
			case http.StatusNoContent:
				if winner >= 0 {
					t.Fatalf("round %d: PATCHes %d and %d both succeeded with If-Match %s", round, winner, i, etag)
				}
				winner = i
			default:
				scimtest.ExpectError(t, r, http.StatusPreconditionFailed, "")
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no PATCH succeeded with the current If-Match %s", round, etag)
		}
		want := []string{ids[winner]} // round 0 added only the winner's member
		if round == 1 {
			want = append(append([]string{}, ids[:winner]...), ids[winner+1:]...)
		}
		after := c.Must(http.StatusOK, http.MethodGet, url, nil)
		wantValues(t, after.JSON(t), "members", want...)
		if after.Header.Get("ETag") == etag {
			t.Fatalf("round %d: the version did not change", round)
		}
	}
}

// TestPatchImmutable: a group member's value, $ref and type are immutable (RFC 7643
// §4.2): a PATCH that changes one is 400 mutability and changes nothing.
func TestPatchImmutable(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	a := idOf(t, c.CreateUser("a@example.com", nil))
	b := idOf(t, c.CreateUser("b@example.com", nil))
	url := "/Groups/" + idOf(t, c.CreateGroup("Fixed", a))
	member := fmt.Sprintf(`members[value eq %q]`, a)
	for _, o := range []map[string]any{
		op("replace", member+".value", b),
		op("add", member+".type", "Group"),
		op("replace", "members.value", b),
		op("replace", member+".$ref", c.Base+"/Users/"+b),
	} {
		checkPatch(t, c, url, patchOf(o), fails(http.StatusBadRequest, "mutability"))
	}
	wantValues(t, getJSON(t, c, url), "members", a)
}
