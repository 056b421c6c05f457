package scim_test

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/scimhq/scimhq/scim/scimtest"
)

func TestErrorsAreSCIMErrors(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{})
	c := srv.Client()
	uid := idOf(t, c.CreateUser("a@example.com", nil))
	valid := userWith("b@example.com", nil)
	anonymous := srv.As("")
	cases := []struct {
		name     string
		client   *scimtest.Client // nil: the default tenant's client
		method   string
		path     string
		body     any
		headers  []string
		status   int
		scimType string
		detail   []string
	}{
		{name: "invalid JSON", method: http.MethodPost, path: "/Users", body: `{"schemas": [`, status: 400, scimType: "invalidSyntax", detail: []string{"JSON"}},
		{name: "JSON syntax error position", method: http.MethodPost, path: "/Users", body: "{\n  \"userName\": x\n}", status: 400, scimType: "invalidSyntax", detail: []string{"line 2"}},
		{name: "JSON array", method: http.MethodPost, path: "/Users", body: `[{"schemas":["` + userURN + `"],"userName":"x"}]`, status: 400, scimType: "invalidSyntax"},
		{name: "JSON string", method: http.MethodPost, path: "/Users", body: `"hello"`, status: 400, scimType: "invalidSyntax"},
		{name: "empty body", method: http.MethodPost, path: "/Users", body: "", status: 400, scimType: "invalidSyntax"},
		{name: "data after the object", method: http.MethodPost, path: "/Users", body: `{"a":1} {"b":2}`, status: 400, scimType: "invalidSyntax"},
		{name: "invalid JSON on PUT", method: http.MethodPut, path: "/Users/" + uid, body: `{`, status: 400, scimType: "invalidSyntax"},
		{name: "text/plain", method: http.MethodPost, path: "/Users", body: valid, headers: []string{"Content-Type: text/plain"}, status: 415, detail: []string{"text/plain"}},
		{name: "text/plain on PUT", method: http.MethodPut, path: "/Users/" + uid, body: valid, headers: []string{"Content-Type: text/plain"}, status: 415},
		{name: "unknown endpoint", method: http.MethodGet, path: "/Widgets", status: 404, detail: []string{"/Widgets"}},
		{name: "too deep a path", method: http.MethodGet, path: "/Users/" + uid + "/emails", status: 404},
		{name: "unknown user", method: http.MethodGet, path: "/Users/no-such-user", status: 404, detail: []string{"no-such-user"}},
		{name: "user id on /Groups", method: http.MethodGet, path: "/Groups/" + uid, status: 404, detail: []string{uid}},
		{name: "PUT of an unknown user", method: http.MethodPut, path: "/Users/no-such-user", body: valid, status: 404},
		{name: "PATCH /ServiceProviderConfig", method: http.MethodPatch, path: "/ServiceProviderConfig", body: `{}`, status: 405, detail: []string{"PATCH"}},
		{name: "POST /ServiceProviderConfig", method: http.MethodPost, path: "/ServiceProviderConfig", body: `{}`, status: 405},
		{name: "DELETE /Users", method: http.MethodDelete, path: "/Users", status: 405, detail: []string{"DELETE"}},
		{name: "PUT /Groups", method: http.MethodPut, path: "/Groups", body: `{}`, status: 405},
		{name: "POST /Schemas", method: http.MethodPost, path: "/Schemas", body: `{}`, status: 405},
		{name: "no Authorization", client: anonymous, method: http.MethodGet, path: "/Users", status: 401},
		{name: "no Authorization, unknown endpoint", client: anonymous, method: http.MethodGet, path: "/Widgets", status: 401},
		{name: "no Authorization, discovery", client: anonymous, method: http.MethodGet, path: "/ServiceProviderConfig", status: 401},
		{name: "wrong token", client: srv.As("scimhq_not-a-real-token"), method: http.MethodGet, path: "/Users", status: 401},
		{name: "Basic scheme", method: http.MethodGet, path: "/Users", headers: []string{"Authorization: Basic " + srv.Token}, status: 401},
		{name: "Bearer without a token", method: http.MethodGet, path: "/Users", headers: []string{"Authorization: Bearer "}, status: 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client := tc.client
			if client == nil {
				client = c
			}
			r := client.Do(tc.method, tc.path, tc.body, tc.headers...)
			scimtest.ExpectError(t, r, tc.status, tc.scimType, tc.detail...)
			if tc.status == http.StatusUnauthorized && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("401 without a Bearer WWW-Authenticate challenge: %v", r.Header)
			}
		})
	}
	if n := getJSON(t, c, "/Users")["totalResults"]; n != float64(1) {
		t.Fatalf("totalResults = %v after rejected requests, want 1", n)
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{MaxBodyBytes: 1024}).Client()
	uid := idOf(t, c.CreateUser("small@example.com", nil))
	big := userWith("big@example.com", map[string]any{"displayName": strings.Repeat("x", 2000)})
	scimtest.ExpectError(t, c.Do(http.MethodPost, "/Users", big), http.StatusRequestEntityTooLarge, "", "1024")
	scimtest.ExpectError(t, c.Do(http.MethodPut, "/Users/"+uid, big), http.StatusRequestEntityTooLarge, "", "1024")
	c.Must(http.StatusCreated, http.MethodPost, "/Users", userWith("fits@example.com", map[string]any{"displayName": strings.Repeat("x", 800)}))
	if n := getJSON(t, c, "/Users")["totalResults"]; n != float64(2) {
		t.Fatalf("totalResults = %v, want 2", n)
	}
}

func TestHealthWithoutToken(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{})
	anonymous := srv.As("")
	for _, path := range []string{"/healthz", "/readyz"} {
		anonymous.Must(http.StatusOK, http.MethodGet, srv.HTTP.URL+path, nil)
	}
}

func TestEndpointSpelling(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	uid := idOf(t, c.CreateUser("a@example.com", nil))
	gid := idOf(t, c.CreateGroup("G"))
	listOf := func(n float64) func(*testing.T, map[string]any) {
		return func(t *testing.T, m map[string]any) {
			if s := arr(m, "schemas"); len(s) != 1 || s[0] != "urn:ietf:params:scim:api:messages:2.0:ListResponse" || m["totalResults"] != n {
				t.Fatalf("want a ListResponse of %v: %v", n, m)
			}
		}
	}
	withID := func(id string) func(*testing.T, map[string]any) {
		return func(t *testing.T, m map[string]any) {
			if m["id"] != id {
				t.Fatalf("id = %v, want %s", m["id"], id)
			}
		}
	}
	spc := func(t *testing.T, m map[string]any) {
		if s := arr(m, "schemas"); len(s) != 1 || s[0] != "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig" {
			t.Fatalf("not a ServiceProviderConfig: %v", m)
		}
	}
	cases := []struct {
		path  string
		check func(*testing.T, map[string]any)
	}{
		{"/users", listOf(1)},
		{"/USERS/", listOf(1)},
		{"/Users/", listOf(1)},
		{"/Users/?startIndex=1", listOf(1)},
		{"/uSeRs?STARTINDEX=1&Count=10", listOf(1)},
		{"/users/" + uid, withID(uid)},
		{"/Users/" + uid + "/", withID(uid)},
		{"/groups", listOf(1)},
		{"/groups/" + gid + "/", withID(gid)},
		{"/serviceproviderconfig", spc},
		{"/ServiceProviderConfig/", spc},
		{"/serviceConfiguration", spc},
		{"/resourcetypes/", listOf(3)},
		{"/resourcetypes/user", withID("User")},
		{"/schemas", listOf(6)},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) { tc.check(t, getJSON(t, c, tc.path)) })
	}
	c.Must(http.StatusCreated, http.MethodPost, "/users/", userWith("b@example.com", nil))
	c.Must(http.StatusOK, http.MethodPut, "/USERS/"+uid+"/", userWith("a2@example.com", nil))
	c.Must(http.StatusNoContent, http.MethodDelete, "/groups/"+gid+"/", nil)
	// Ids keep their case: the upper-cased id is another (unknown) resource.
	scimtest.ExpectError(t, c.Do(http.MethodGet, "/Users/"+strings.ToUpper(uid), nil), http.StatusNotFound, "")
}

// page GETs a page of /Users and checks the ListResponse's invariants.
func page(t *testing.T, c *scimtest.Client, query string) (total, perPage, start int, ids []string) {
	t.Helper()
	m := getJSON(t, c, "/Users"+query)
	num := func(key string) int {
		f, ok := m[key].(float64)
		if !ok || f != math.Trunc(f) {
			t.Fatalf("%s: %s = %v is not an integer: %v", query, key, m[key], m)
		}
		return int(f)
	}
	for _, r := range arr(m, "Resources") {
		ids = append(ids, idOf(t, r.(map[string]any)))
	}
	total, perPage, start = num("totalResults"), num("itemsPerPage"), num("startIndex")
	if perPage != len(ids) {
		t.Fatalf("%s: itemsPerPage %d but %d Resources", query, perPage, len(ids))
	}
	return total, perPage, start, ids
}

func TestPaging(t *testing.T) {
	t.Parallel()
	client := scimtest.New(t, scimtest.Options{}).Client()
	created := map[string]bool{}
	for i := range 12 {
		created[idOf(t, client.CreateUser(fmt.Sprintf("user%02d@example.com", i), nil))] = true
	}
	cases := []struct {
		query                string
		wantItems, wantStart int
	}{
		{"", 12, 1},
		{"?startIndex=1&count=5", 5, 1},
		{"?startIndex=6&count=5", 5, 6},
		{"?startIndex=11&count=5", 2, 11},
		{"?startIndex=12&count=5", 1, 12},
		{"?startIndex=13&count=5", 0, 13},
		{"?startIndex=500", 0, 500},
		{"?count=0", 0, 1},
		{"?startIndex=0&count=5", 5, 1},
		{"?startIndex=-3&count=2", 2, 1},
		{"?count=-1", 0, 1},
		{"?count=5000", 12, 1},
		{"?startindex=11&COUNT=5", 2, 11},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			total, perPage, start, _ := page(t, client, tc.query)
			if total != 12 || perPage != tc.wantItems || start != tc.wantStart {
				t.Fatalf("totalResults %d, itemsPerPage %d, startIndex %d; want 12, %d, %d", total, perPage, start, tc.wantItems, tc.wantStart)
			}
		})
	}
	for _, q := range []string{"?count=abc", "?startIndex=abc", "?count=1.5", "?startIndex="} {
		name := strings.Split(strings.TrimPrefix(q, "?"), "=")[0]
		scimtest.ExpectError(t, client.Do(http.MethodGet, "/Users"+q, nil), http.StatusBadRequest, "invalidValue", name)
	}

	// Pages of 5 never overlap and together list every user exactly once, in the same
	// order as one big page.
	_, _, _, all := page(t, client, "?count=100")
	var paged []string
	for start := 1; start <= 12; start += 5 {
		_, _, _, ids := page(t, client, fmt.Sprintf("?startIndex=%d&count=5", start))
		paged = append(paged, ids...)
	}
	seen := map[string]bool{}
	for i, id := range paged {
		if seen[id] || !created[id] {
			t.Fatalf("page entry %d (%s) repeated or unknown: %v", i, id, paged)
		}
		seen[id] = true
	}
	if len(seen) != len(created) || strings.Join(paged, ",") != strings.Join(all, ",") {
		t.Fatalf("pages listed %v, want every one of %d users in the order %v", paged, len(created), all)
	}
}

// TestPageSizeCap needs more users than the cap; they are stored through the HTTP API
// by a few concurrent clients.
func TestPageSizeCap(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 1001 users")
	}
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{})
	c := srv.Client()
	const n, workers = 1001, 8
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := w; i < n; i += workers {
				if status, body, err := rawRequest(http.MethodPost, srv.URL+"/Users", srv.Token, userWith(fmt.Sprintf("u%04d", i), nil)); err != nil || status != http.StatusCreated {
					errs <- fmt.Errorf("creating user %d: %d %s %v", i, status, body, err)
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	total, perPage, _, _ := page(t, c, "?count=5000")
	if total != n || perPage != 1000 {
		t.Fatalf("count=5000: totalResults %d, itemsPerPage %d; want %d, 1000", total, perPage, n)
	}
	if total, perPage, _, _ := page(t, c, ""); total != n || perPage != 100 {
		t.Fatalf("default page: totalResults %d, itemsPerPage %d; want %d, 100", total, perPage, n)
	}
}

func TestETags(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	// etagOf checks that the ETag header equals meta.version and returns it.
	etagOf := func(r *scimtest.Response) string {
		t.Helper()
		tag := r.Header.Get("ETag")
		if tag == "" || tag != obj(r.JSON(t), "meta")["version"] {
			t.Fatalf("ETag header %q does not equal meta.version: %s", tag, r)
		}
		return tag
	}
	for _, path := range []string{"/Users", "/Groups"} {
		body := userWith("etag@example.com", nil)
		if path == "/Groups" {
			body = groupBody("ETag", nil)
		}
		post := c.Must(http.StatusCreated, http.MethodPost, path, body)
		url := path + "/" + idOf(t, post.JSON(t))
		v1 := etagOf(post)
		if got := etagOf(c.Must(http.StatusOK, http.MethodGet, url, nil)); got != v1 {
			t.Fatalf("GET ETag %s, POST ETag %s", got, v1)
		}
		notModified := c.Must(http.StatusNotModified, http.MethodGet, url, nil, "If-None-Match: "+v1)
		if len(notModified.Body) != 0 || notModified.Header.Get("ETag") != v1 {
			t.Fatalf("304 with a body or without the ETag: %s %v", notModified, notModified.Header)
		}
		v2 := etagOf(c.Must(http.StatusOK, http.MethodPut, url, body))
		if v2 == v1 {
			t.Fatalf("PUT did not change the ETag %s", v1)
		}
		etagOf(c.Must(http.StatusOK, http.MethodGet, url, nil, "If-None-Match: "+v1))
		c.Must(http.StatusNotModified, http.MethodGet, url, nil, `If-None-Match: W/"999", `+v2)

		scimtest.ExpectError(t, c.Do(http.MethodPut, url, body, "If-Match: "+v1), http.StatusPreconditionFailed, "")
		scimtest.ExpectError(t, c.Do(http.MethodDelete, url, nil, "If-Match: "+v1), http.StatusPreconditionFailed, "")
		if got := etagOf(c.Must(http.StatusOK, http.MethodGet, url, nil)); got != v2 {
			t.Fatalf("a failed precondition changed the resource: ETag %s, want %s", got, v2)
		}
		v3 := etagOf(c.Must(http.StatusOK, http.MethodPut, url, body, "If-Match: "+v2))
		v4 := etagOf(c.Must(http.StatusOK, http.MethodPut, url, body, "If-Match: *"))
		if v3 == v2 || v4 == v3 {
			t.Fatalf("conditional PUTs did not change the ETag: %s %s %s", v2, v3, v4)
		}
		scimtest.ExpectError(t, c.Do(http.MethodDelete, url, nil, "If-Match: "+v3), http.StatusPreconditionFailed, "")
		c.Must(http.StatusNoContent, http.MethodDelete, url, nil, "If-Match: "+v4)
		c.Must(http.StatusNotFound, http.MethodGet, url, nil)
	}
	u := idOf(t, c.CreateUser("star@example.com", nil))
	c.Must(http.StatusNoContent, http.MethodDelete, "/Users/"+u, nil, "If-Match: *")
	c.Must(http.StatusNotFound, http.MethodDelete, "/Users/"+u, nil, "If-Match: *")
}

func TestServiceProviderConfig(t *testing.T) {
	t.Parallel()
	m := getJSON(t, scimtest.New(t, scimtest.Options{}).Client(), "/ServiceProviderConfig")
	for feature, want := range map[string]bool{"patch": true, "bulk": true, "filter": true, "sort": true, "etag": true} {
		if got, ok := obj(m, feature)["supported"].(bool); !ok || got != want {
			t.Errorf("%s.supported = %v, want %v", feature, obj(m, feature)["supported"], want)
		}
	}
	if max := obj(m, "filter")["maxResults"]; max != float64(1000) {
		t.Errorf("filter.maxResults = %v, want 1000", max)
	}
	pg := obj(m, "pagination")
	if pg["cursor"] != true || pg["index"] != true || pg["maxPageSize"] != float64(1000) || pg["defaultPaginationMethod"] != "index" {
		t.Errorf("pagination (RFC 9865) = %v", pg)
	}
	schemes := arr(m, "authenticationSchemes")
	if len(schemes) == 0 {
		t.Fatalf("no authenticationSchemes: %v", m)
	}
	for _, s := range schemes {
		s := s.(map[string]any)
		if s["type"] == nil || s["name"] == nil || s["description"] == nil {
			t.Errorf("authentication scheme lacks type, name or description: %v", s)
		}
	}
}

func TestResourceTypes(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	list := getJSON(t, c, "/ResourceTypes")
	byID := map[string]map[string]any{}
	for _, r := range arr(list, "Resources") {
		byID[idOf(t, r.(map[string]any))] = r.(map[string]any)
	}
	if list["totalResults"] != float64(3) || len(byID) != 3 {
		t.Fatalf("want User, Group and Product: %v", list)
	}
	want := map[string][2]string{"User": {"/Users", userURN}, "Group": {"/Groups", groupURN}, "Product": {"/Products", productURN}}
	for id, w := range want {
		for _, rt := range []map[string]any{byID[id], getJSON(t, c, "/ResourceTypes/"+id)} {
			if rt["id"] != id || rt["name"] != id || rt["endpoint"] != w[0] || rt["schema"] != w[1] {
				t.Fatalf("resource type %s = %v", id, rt)
			}
		}
	}
	exts := arr(byID["User"], "schemaExtensions")
	if len(exts) != 2 || exts[0].(map[string]any)["schema"] != enterpriseURN || exts[0].(map[string]any)["required"] != false ||
		exts[1].(map[string]any)["schema"] != hqUserURN {
		t.Fatalf("User schemaExtensions = %v, want the optional enterprise and HQ extensions", exts)
	}
	scimtest.ExpectError(t, c.Do(http.MethodGet, "/ResourceTypes/Robot", nil), http.StatusNotFound, "", "Robot")
}

func TestSchemas(t *testing.T) {
	t.Parallel()
	c := scimtest.New(t, scimtest.Options{}).Client()
	list := getJSON(t, c, "/Schemas")
	listed := map[string]bool{}
	for _, s := range arr(list, "Resources") {
		listed[idOf(t, s.(map[string]any))] = true
	}
	all := []string{userURN, groupURN, enterpriseURN, hqUserURN, hqGroupURN, productURN}
	if list["totalResults"] != float64(len(all)) || len(listed) != len(all) {
		t.Fatalf("want %d schemas: %v", len(all), list)
	}
	for _, urn := range all {
		if !listed[urn] {
			t.Fatalf("%s not listed", urn)
		}
		for _, asked := range []string{urn, strings.ToUpper(urn), strings.ToLower(urn)} {
			s := getJSON(t, c, "/Schemas/"+asked)
			if s["id"] != urn || len(arr(s, "attributes")) == 0 {
				t.Fatalf("/Schemas/%s = %v", asked, s)
			}
			checkAttributes(t, urn, arr(s, "attributes"))
		}
	}
	scimtest.ExpectError(t, c.Do(http.MethodGet, "/Schemas/urn:example:nope", nil), http.StatusNotFound, "", "urn:example:nope")

	var password map[string]any
	for _, a := range arr(getJSON(t, c, "/Schemas/"+userURN), "attributes") {
		if a.(map[string]any)["name"] == "password" {
			password = a.(map[string]any)
		}
	}
	if password["returned"] != "never" || password["mutability"] != "writeOnly" {
		t.Fatalf("password = %v, want returned never and mutability writeOnly", password)
	}
}

// checkAttributes requires every characteristic of RFC 7643 §7 on every attribute and
// sub-attribute.
func checkAttributes(t *testing.T, path string, attrs []any) {
	t.Helper()
	for _, raw := range attrs {
		a := raw.(map[string]any)
		for _, key := range []string{"name", "type", "multiValued", "required", "caseExact", "mutability", "returned", "uniqueness"} {
			if _, ok := a[key]; !ok {
				t.Fatalf("%s.%v lacks %q: %v", path, a["name"], key, a)
			}
		}
		if a["type"] == "complex" {
			if len(arr(a, "subAttributes")) == 0 {
				t.Fatalf("%s.%v is complex without subAttributes", path, a["name"])
			}
			checkAttributes(t, fmt.Sprint(path, ".", a["name"]), arr(a, "subAttributes"))
		}
	}
}
