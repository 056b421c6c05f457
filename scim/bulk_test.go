package scim_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scimhq/scimhq/scim/scimtest"
)

const bulkURN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"

func urlQuery(s string) string { return url.QueryEscape(s) }

func bulkRequest(failOnErrors int, ops ...map[string]any) map[string]any {
	body := map[string]any{"schemas": []string{bulkURN}, "Operations": ops}
	if failOnErrors > 0 {
		body["failOnErrors"] = failOnErrors
	}
	return body
}

func postUser(bulkID, userName string, extra map[string]any) map[string]any {
	return map[string]any{"method": "POST", "path": "/Users", "bulkId": bulkID, "data": userWith(userName, extra)}
}

func postGroup(bulkID, name string, memberRefs ...string) map[string]any {
	members := []any{}
	for _, ref := range memberRefs {
		members = append(members, map[string]any{"value": ref})
	}
	return map[string]any{"method": "POST", "path": "/Groups", "bulkId": bulkID, "data": groupBody(name, members)}
}

// bulkStatuses returns the status of each operation in the response, by bulkId or, for
// operations without one, by method and position.
func bulkStatuses(t *testing.T, resp map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i, e := range arr(resp, "Operations") {
		op := e.(map[string]any)
		name, _ := op["bulkId"].(string)
		if name == "" {
			name = fmt.Sprintf("%v#%d", op["method"], i)
		}
		status, _ := op["status"].(string)
		out[name] = status
	}
	return out
}

func TestBulkOperationsAndReferences(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{})
	c := srv.Client()
	existing := idOf(t, c.CreateUser("existing", nil))
	doomed := idOf(t, c.CreateUser("doomed", nil))
	patch := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": false}}}}
	resp := c.Must(http.StatusOK, http.MethodPost, "/Bulk", bulkRequest(0,
		// A forward reference: the group names a user created later in the request.
		postGroup("team", "Team", "bulkId:ann", existing),
		postUser("ann", "ann", map[string]any{enterpriseURN: map[string]any{"manager": map[string]any{"value": "bulkId:boss"}}}),
		postUser("boss", "boss", nil),
		map[string]any{"method": "PATCH", "path": "/Users/" + existing, "data": patch},
		map[string]any{"method": "PUT", "path": "/Users/bulkId:boss", "data": userWith("boss", map[string]any{"title": "CEO"})},
		map[string]any{"method": "DELETE", "path": "/Users/" + doomed},
	)).JSON(t)
	got := bulkStatuses(t, resp)
	want := map[string]string{"team": "201", "ann": "201", "boss": "201", "PATCH#3": "200", "PUT#4": "200", "DELETE#5": "204"}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("status of %s = %q, want %s; all: %v\n%v", k, got[k], v, got, resp)
		}
	}
	// Results come in request order with locations and versions.
	first := arr(resp, "Operations")[0].(map[string]any)
	if first["bulkId"] != "team" || !strings.Contains(first["location"].(string), "/Groups/") || first["version"] == nil {
		t.Fatalf("first result = %v", first)
	}
	team := okJSON(t, c, "/Groups?filter="+urlQuery(`displayName eq "Team"`))
	members := arr(arr(team, "Resources")[0].(map[string]any), "members")
	if len(members) != 2 {
		t.Fatalf("team members = %v, want ann and existing", members)
	}
	ann := arr(okJSON(t, c, "/Users?filter="+urlQuery(`userName eq "ann"`)), "Resources")[0].(map[string]any)
	boss := arr(okJSON(t, c, "/Users?filter="+urlQuery(`userName eq "boss"`)), "Resources")[0].(map[string]any)
	if obj(obj(ann, enterpriseURN), "manager")["value"] != boss["id"] || boss["title"] != "CEO" {
		t.Fatalf("bulkId references not resolved: ann %v, boss %v", ann[enterpriseURN], boss)
	}
	if okJSON(t, c, "/Users/"+existing)["active"] != false {
		t.Fatal("the PATCH did not apply")
	}
	c.Must(http.StatusNotFound, http.MethodGet, "/Users/"+doomed, nil)
}

func TestBulkCircularReferences(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	resp := c.Must(http.StatusOK, http.MethodPost, "/Bulk", bulkRequest(0,
		postGroup("a", "A", "bulkId:b"),
		postGroup("b", "B", "bulkId:a"),
	)).JSON(t)
	if s := bulkStatuses(t, resp); s["a"] != "201" || s["b"] != "201" {
		t.Fatalf("statuses %v: %v", s, resp)
	}
	list := okJSON(t, c, "/Groups")
	if list["totalResults"] != float64(2) {
		t.Fatalf("%v groups, want exactly 2 (nothing created twice)", list["totalResults"])
	}
	names := map[string]string{}
	for _, g := range arr(list, "Resources") {
		names[g.(map[string]any)["id"].(string)] = g.(map[string]any)["displayName"].(string)
	}
	for _, g := range arr(list, "Resources") {
		g := g.(map[string]any)
		m := arr(g, "members")
		other := map[string]string{"A": "B", "B": "A"}[g["displayName"].(string)]
		if len(m) != 1 || names[m[0].(map[string]any)["value"].(string)] != other {
			t.Fatalf("group %v members %v, want %s", g["displayName"], m, other)
		}
	}
}

func TestBulkErrors(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	// A duplicate inside one request fails only its own operation.
	resp := c.Must(http.StatusOK, http.MethodPost, "/Bulk", bulkRequest(0,
		postUser("one", "dup@example.com", nil),
		postUser("two", "DUP@example.com", nil),
		postUser("three", "three@example.com", nil),
		map[string]any{"method": "DELETE", "path": "/Users/bulkId:two"},
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "bad", "data": map[string]any{"schemas": []string{userURN}}},
		map[string]any{"method": "GET", "path": "/Users"},
		postUser("ghost-ref", "g", map[string]any{enterpriseURN: map[string]any{"manager": map[string]any{"value": "bulkId:nobody"}}}),
	)).JSON(t)
	got := bulkStatuses(t, resp)
	for k, v := range map[string]string{"one": "201", "two": "409", "three": "201", "DELETE#3": "409", "bad": "400", "GET#5": "400", "ghost-ref": "400"} {
		if got[k] != v {
			t.Fatalf("status of %s = %q, want %s; all %v", k, got[k], v, got)
		}
	}
	two := arr(resp, "Operations")[1].(map[string]any)
	if r := obj(two, "response"); r["scimType"] != "uniqueness" || !strings.Contains(r["detail"].(string), "DUP@example.com") {
		t.Fatalf("duplicate's error = %v", two)
	}

	// failOnErrors: processing stops after that many errors; the rest is not reported.
	resp = c.Must(http.StatusOK, http.MethodPost, "/Bulk", bulkRequest(2,
		postUser("f1", "dup@example.com", nil),
		postUser("f2", "ok1@example.com", nil),
		postUser("f3", "three@example.com", nil),
		postUser("f4", "never@example.com", nil),
	)).JSON(t)
	if got := bulkStatuses(t, resp); len(got) != 3 || got["f1"] != "409" || got["f2"] != "201" || got["f3"] != "409" {
		t.Fatalf("failOnErrors=2: %v", got)
	}
	c.Must(http.StatusOK, http.MethodGet, "/Users?filter="+urlQuery(`userName eq "never@example.com"`), nil)
	if n := okJSON(t, c, "/Users?filter="+urlQuery(`userName eq "never@example.com"`))["totalResults"]; n != float64(0) {
		t.Fatal("an operation after failOnErrors was reached ran")
	}

	// Errors count in request order: a malformed operation after a valid one does not
	// stop the valid one from running, and one before it does (RFC 7644 §3.7.3).
	get := map[string]any{"method": "GET", "path": "/Users"}
	resp = c.Must(http.StatusOK, http.MethodPost, "/Bulk", bulkRequest(1, postUser("v1", "valid-first@example.com", nil), get)).JSON(t)
	if got := bulkStatuses(t, resp); len(got) != 2 || got["v1"] != "201" || got["GET#1"] != "400" {
		t.Fatalf("failOnErrors=1, valid then malformed: %v", got)
	}
	if n := okJSON(t, c, "/Users?filter="+urlQuery(`userName eq "valid-first@example.com"`))["totalResults"]; n != float64(1) {
		t.Fatal("the valid operation before the malformed one did not run")
	}
	resp = c.Must(http.StatusOK, http.MethodPost, "/Bulk", bulkRequest(1, get, postUser("v2", "valid-after@example.com", nil))).JSON(t)
	if got := bulkStatuses(t, resp); len(got) != 1 || got["GET#0"] != "400" {
		t.Fatalf("failOnErrors=1, malformed then valid: %v", got)
	}
	if n := okJSON(t, c, "/Users?filter="+urlQuery(`userName eq "valid-after@example.com"`))["totalResults"]; n != float64(0) {
		t.Fatal("an operation after the malformed one that reached failOnErrors ran")
	}
	// Without failOnErrors, a malformed operation between creates leaves them all to run
	// (they would otherwise be batched around it).
	resp = c.Must(http.StatusOK, http.MethodPost, "/Bulk", bulkRequest(0,
		postUser("b1", "batch1@example.com", nil), get, postUser("b2", "batch2@example.com", nil))).JSON(t)
	if got := bulkStatuses(t, resp); got["b1"] != "201" || got["GET#1"] != "400" || got["b2"] != "201" {
		t.Fatalf("malformed between creates: %v", got)
	}

	// Malformed requests are SCIM errors.
	scimtest.ExpectError(t, c.Do(http.MethodPost, "/Bulk", map[string]any{"Operations": []any{}}), http.StatusBadRequest, "invalidSyntax", "BulkRequest")
	scimtest.ExpectError(t, c.Do(http.MethodPost, "/Bulk", map[string]any{"schemas": []string{bulkURN}}), http.StatusBadRequest, "invalidSyntax", "Operations")
	empty := c.Must(http.StatusOK, http.MethodPost, "/Bulk", map[string]any{"schemas": []string{bulkURN}, "Operations": []any{}}).JSON(t)
	if len(arr(empty, "Operations")) != 0 {
		t.Fatalf("an empty bulk request answered %v", empty)
	}
}

func TestBulkLimits(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	ops := make([]map[string]any, 1001)
	for i := range ops {
		ops[i] = map[string]any{"method": "DELETE", "path": fmt.Sprintf("/Users/%d", i)}
	}
	scimtest.ExpectError(t, c.Do(http.MethodPost, "/Bulk", bulkRequest(0, ops...)), http.StatusRequestEntityTooLarge, "", "maxOperations", "1000")

	big := strings.Repeat("x", 17<<20)
	scimtest.ExpectError(t, c.Do(http.MethodPost, "/Bulk", bulkRequest(0, postUser("big", big, nil))), http.StatusRequestEntityTooLarge, "", "maxPayloadSize")

	spc := okJSON(t, c, "/ServiceProviderConfig")
	if b := obj(spc, "bulk"); b["supported"] != true || b["maxOperations"] != float64(1000) || b["maxPayloadSize"] != float64(16<<20) {
		t.Fatalf("bulk in ServiceProviderConfig = %v", b)
	}
}

func TestBulkTenantScope(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{})
	mine := idOf(t, srv.Client().CreateUser("mine", nil))
	other := srv.As(srv.NewToken("other"))
	resp := other.Must(http.StatusOK, http.MethodPost, "/Bulk", bulkRequest(0,
		map[string]any{"method": "DELETE", "path": "/Users/" + mine},
		postGroup("g", "G", mine),
	)).JSON(t)
	if got := bulkStatuses(t, resp); got["DELETE#0"] != "404" || got["g"] != "400" {
		t.Fatalf("another tenant's bulk reached this tenant's user: %v", got)
	}
	srv.Client().Must(http.StatusOK, http.MethodGet, "/Users/"+mine, nil)
}

func TestBulkRetryCreatesNothingTwice(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	request := bulkRequest(0,
		postUser("u1", "retry1@example.com", nil),
		postUser("u2", "retry2@example.com", nil),
		postGroup("g", "Retried", "bulkId:u1", "bulkId:u2"),
	)
	first := c.Must(http.StatusOK, http.MethodPost, "/Bulk", request).JSON(t)
	if got := bulkStatuses(t, first); got["u1"] != "201" || got["u2"] != "201" || got["g"] != "201" {
		t.Fatalf("first send: %v", got)
	}
	second := c.Must(http.StatusOK, http.MethodPost, "/Bulk", request).JSON(t)
	for i, e := range arr(second, "Operations") {
		op := e.(map[string]any)
		was := arr(first, "Operations")[i].(map[string]any)
		if op["status"] != "409" || op["location"] != was["location"] || !strings.Contains(obj(op, "response")["detail"].(string), "already created") {
			t.Fatalf("second send, operation %d = %v; want 409 naming the resource created first (%v)", i, op, was["location"])
		}
	}
	for path, want := range map[string]float64{"/Users": 2, "/Groups": 1} {
		if n := okJSON(t, c, path)["totalResults"]; n != want {
			t.Fatalf("%s has %v resources after the retry, want %v", path, n, want)
		}
	}
	// A changed operation is a new one: it runs.
	changed := c.Must(http.StatusOK, http.MethodPost, "/Bulk", bulkRequest(0,
		postGroup("g", "Retried again", "bulkId:u1"), postUser("u1", "retry1@example.com", nil))).JSON(t)
	if got := bulkStatuses(t, changed); got["g"] != "201" || got["u1"] != "409" {
		t.Fatalf("changed request: %v", got)
	}
}

func TestBulkVersionIsIfMatch(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	u := c.CreateUser("versioned", nil)
	id, v1 := idOf(t, u), obj(u, "meta")["version"].(string)
	put := func(version, title string) map[string]any {
		return map[string]any{"method": "PUT", "path": "/Users/" + id, "version": version, "data": userWith("versioned", map[string]any{"title": title})}
	}
	resp := c.Must(http.StatusOK, http.MethodPost, "/Bulk", bulkRequest(0, put(v1, "first"), put(v1, "stale"), put("*", "any"))).JSON(t)
	got := bulkStatuses(t, resp)
	if got["PUT#0"] != "200" || got["PUT#1"] != "412" || got["PUT#2"] != "200" {
		t.Fatalf("statuses %v", got)
	}
	if okJSON(t, c, "/Users/"+id)["title"] != "any" {
		t.Fatal("the stale PUT applied")
	}
}
