package scim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scimhq/scimhq/scim/scimtest"
)

// attack is one malformed request. reject marks input that is wrong beyond doubt: it
// must be answered with an error, not applied. allOpsFail (for /Bulk) marks a request
// every one of whose operations must fail.
type attack struct {
	method, path string
	body         any // nil, a string sent as is, or a value sent as JSON
	headers      []string
	reject       bool
	allOpsFail   bool
}

// knownSCIMTypes are the scimType values of RFC 7644 §3.12 and RFC 9865.
var knownSCIMTypes = map[string]bool{"invalidFilter": true, "tooMany": true, "uniqueness": true, "mutability": true,
	"invalidSyntax": true, "invalidPath": true, "noTarget": true, "invalidValue": true, "invalidVers": true,
	"sensitive": true, "invalidCursor": true}

func mj(v any) string { data, _ := json.Marshal(v); return string(data) }

func deepObj(n int) string         { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
func deepArr(n int) string         { return strings.Repeat("[", n) + strings.Repeat("]", n) }
func raw(s string) json.RawMessage { return json.RawMessage(s) }
func short(s string) string {
	if len(s) > 600 {
		return s[:600] + fmt.Sprintf("…(%d bytes)", len(s))
	}
	return s
}

// scimErrorProblem says what is wrong with an error response of status, or "".
func scimErrorProblem(status int, header http.Header, body []byte) string {
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
		return fmt.Sprintf("Content-Type %q is not application/scim+json", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return "the body is not a JSON object: " + err.Error()
	}
	if s, _ := m["schemas"].([]any); len(s) != 1 || s[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		return "the body lacks schemas [Error]"
	}
	if m["status"] != strconv.Itoa(status) {
		return fmt.Sprintf("status %v is not the string %q", m["status"], strconv.Itoa(status))
	}
	if d, _ := m["detail"].(string); strings.TrimSpace(d) == "" {
		return "no detail"
	}
	st, _ := m["scimType"].(string)
	if (st != "" && !knownSCIMTypes[st]) || (status == 400 && st == "") {
		return fmt.Sprintf("scimType %q is not one RFC 7644 §3.12 defines", st)
	}
	return ""
}

// checkBulk checks every operation of a BulkResponse: no 5xx, errors as SCIM errors,
// and with allOpsFail, one failed answer per operation sent.
func checkBulk(t *testing.T, a attack, r *scimtest.Response) {
	t.Helper()
	var resp, sent struct{ Operations []map[string]any }
	_ = json.Unmarshal([]byte(fmt.Sprint(a.body)), &sent)
	if err := json.Unmarshal(r.Body, &resp); err != nil || (a.allOpsFail && len(resp.Operations) != len(sent.Operations)) {
		t.Errorf("%s: %d operations sent, answered with %s", short(r.Request), len(sent.Operations), short(string(r.Body)))
	}
	for i, op := range resp.Operations {
		code, err := strconv.Atoi(fmt.Sprint(op["status"]))
		body, _ := json.Marshal(op["response"])
		switch {
		case err != nil || code >= 500:
			t.Errorf("%s: operation %d has status %v: %s", short(r.Request), i+1, op["status"], short(string(r.Body)))
		case code >= 400:
			if p := scimErrorProblem(code, http.Header{"Content-Type": {"application/scim+json"}}, body); p != "" {
				t.Errorf("%s: operation %d: %s: %s", short(r.Request), i+1, p, short(string(r.Body)))
			}
		case a.allOpsFail:
			t.Errorf("%s: malformed operation %d was accepted (%d): %s", short(r.Request), i+1, code, short(string(r.Body)))
		}
	}
}

// TestRobustness sends malformed requests to every endpoint and method: each gets a
// SCIM error (never a 5xx), and the user and group created first are unchanged.
func TestRobustness(t *testing.T) {
	t.Parallel()
	srv := scimtest.New(t, scimtest.Options{})
	c := srv.Client()
	uid := idOf(t, c.CreateUser("victim@example.com", map[string]any{
		"schemas":     []string{userURN, enterpriseURN},
		"name":        map[string]any{"givenName": "Vic", "familyName": "Tim"},
		"displayName": "Vic Tim", "active": true, "title": "Target",
		"emails":      []any{email("work", "victim@example.com", true), email("home", "vic@home.example", false)},
		enterpriseURN: map[string]any{"department": "Sales", "employeeNumber": "42"},
	}))
	gid := idOf(t, c.CreateGroup("Victims", uid))
	up, gp := "/Users/"+uid, "/Groups/"+gid
	snapshot := func() map[string]any {
		out := map[string]any{}
		for _, p := range []string{up, gp} {
			r := c.Do(http.MethodGet, p, nil)
			out[p] = []any{r.Status, r.Header.Get("ETag"), string(r.Body)}
		}
		return out
	}
	before := snapshot()
	first := before

	const garbageMatch = `If-Match: W/"garbage"`
	var cases []attack
	add := func(reject bool, method, path string, body any, headers ...string) {
		if bare, _, _ := strings.Cut(path, "?"); method == http.MethodDelete && (bare == up || bare == gp) && !strings.Contains(strings.Join(headers, "\n"), "If-Match") {
			headers = append(headers, garbageMatch) // without it, a DELETE would just delete
		}
		cases = append(cases, attack{method: method, path: path, body: body, headers: headers, reject: reject})
	}
	n := 0
	unique := func() string { n++; return fmt.Sprintf("robust-%d@example.com", n) }

	// 1. Junk bodies on every endpoint and method.
	paths := []string{"/Users", up, "/Groups", gp, "/Users/.search", "/Groups/.search", "/.search", "/Bulk",
		"/Products", "/Products/hire", "/Schemas/" + userURN, "/ResourceTypes/User", "/ServiceProviderConfig", "/Schemas", "/ResourceTypes", "/Users/no-such-id"}
	junk := []string{`null`, `42`, `-1e999`, `"a string"`, `true`, `[]`, `[{"schemas":["` + userURN + `"],"userName":"x"}]`, `{}`,
		deepObj(10000), deepObj(10001), deepArr(10000), deepArr(100000), `{"schemas": [`, `{"schemas":["` + userURN + `"]}{}`,
		"{\"userName\":\"a\x00b\"}", "{\"\xff\xfe\":\"\xc3\x28\"}", "\xef\xbb\xbf{}", `{"schemas":["\u0000"],"\ud800":1}`,
		`{"` + strings.Repeat("k", 1<<20) + `":1}`, `{"schemas":"` + userURN + `","userName":"x"}`}
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	for _, p := range paths {
		for _, m := range methods {
			for _, b := range junk {
				add(m != http.MethodGet && p != "/Users/no-such-id", m, p, b)
			}
			for _, ct := range []string{"text/plain", ";;;", "application/", "application/scim+json; charset=\"", "*/*"} {
				add(m != http.MethodGet, m, p, `{}`, "Content-Type: "+ct)
			}
		}
	}
	for _, id := range []string{"%00", "%ff", "..%2F..%2FUsers", "urn:", "%20", strings.Repeat("x", 8000), "bulkId:x", "%E2%80%AE"} {
		for _, p := range []string{"/Users/", "/Groups/", "/Schemas/", "/ResourceTypes/", "/Products/"} {
			add(false, http.MethodGet, p+id, nil)
			add(false, http.MethodDelete, p+id, nil)
			add(true, http.MethodPatch, p+id, `{}`)
		}
	}

	// 2. Users and Groups: wrong types in every position (on POST, on PUT of the victims,
	// and as the data of bulk operations).
	user := func(extra string) string {
		return `{"schemas":["` + userURN + `","` + enterpriseURN + `"],"userName":"` + unique() + `"` + extra + `}`
	}
	group := func(extra string) string {
		return `{"schemas":["` + groupURN + `"],"displayName":"G` + unique() + `"` + extra + `}`
	}
	var badUsers, badGroups []string
	for _, schemas := range []string{`"` + userURN + `"`, `[5]`, `[]`, `[null]`, `["urn:x:unknown"]`, `["` + groupURN + `"]`, `null`} {
		badUsers = append(badUsers, `{"schemas":`+schemas+`,"userName":"x"}`, `{"schemas":`+strings.ReplaceAll(schemas, groupURN, userURN)+`,"displayName":"x"}`)
	}
	badUsers = append(badUsers, `{"userName":"x"}`, `{"schemas":["`+userURN+`"]}`, `{"schemas":["`+userURN+`"],"userName":null}`)
	for _, frag := range []string{`"userName":5`, `"userName":""`, `"userName":"   "`, `"userName":["a"]`, `"userName":{"a":1}`, `"userName":true`, `"USERNAME":"dup"`,
		`"name":[]`, `"name":"x"`, `"name":[{"givenName":"a"}]`, `"name":{"givenName":5}`, `"name":{"givenName":{"x":1}}`, `"name":{"givenName":"a","GIVENNAME":"b"}`,
		`"emails":"a@b"`, `"emails":{"value":"a@b"}`, `"emails":["a@b"]`, `"emails":[5]`, `"emails":[[{"value":"a"}]]`, `"emails":[{"value":5}]`,
		`"emails":[{"value":"a","primary":"maybe"}]`, `"emails":[{"value":"a","primary":true},{"value":"b","primary":true}]`,
		`"active":"maybe"`, `"active":1`, `"active":[]`, `"password":5`, `"password":""`, `"x509Certificates":[{"value":"not base64!"}]`,
		`"timezone":"../../etc/passwd"`, `"timezone":"\u0000"`, `"` + enterpriseURN + `":"x"`, `"` + enterpriseURN + `":[]`, `"` + enterpriseURN + `":{"manager":[]}`, `"` + enterpriseURN + `":{"manager":{"value":5}}`,
		`"` + hqUserURN + `":{"products":"x"}`, `"` + hqUserURN + `":{"products":[5]}`, `"name":{"givenName":` + deepObj(9980) + `}`, `"emails":` + deepArr(9990),
		`"phoneNumbers":[{"value":"1","type":"work"}],"PhoneNumbers":[]`, `"meta":{"created":"garbage"},"userName":5`} {
		badUsers = append(badUsers, user(","+frag))
	}
	badGroups = append(badGroups, `{"schemas":"`+groupURN+`","displayName":"x"}`, `{"schemas":["`+groupURN+`"]}`)
	for _, frag := range []string{`"displayName":5`, `"displayName":""`, `"displayName":["x"]`, `"members":"x"`, `"members":["` + uid + `"]`, `"members":[1,2]`,
		`"members":{"value":"` + uid + `"}`, `"members":[{"value":5}]`, `"members":[{"value":""}]`, `"members":[{"value":"no-such-id"}]`, `"members":[{"value":"bulkId:x"}]`,
		`"members":[{"value":"` + uid + `","type":"Group"}]`, `"members":[[{"value":"` + uid + `"}]]`, `"members":[{"value":"` + uid + `","display":5}]`,
		`"members":[],"MEMBERS":[]`, `"` + hqGroupURN + `":"x"`, `"members":` + deepArr(9990)} {
		badGroups = append(badGroups, group(","+frag))
	}
	for _, b := range badUsers {
		add(true, http.MethodPost, "/Users", b)
		add(true, http.MethodPut, up, b)
		add(true, http.MethodPost, "/Groups", b)
	}
	for _, b := range badGroups {
		add(true, http.MethodPost, "/Groups", b)
		add(true, http.MethodPut, gp, b)
		add(true, http.MethodPost, "/Users", b)
	}
	// Strange but maybe valid values: only created, never written over the victims.
	for _, frag := range []string{`"nickName":"a\u0000b"`, "\"nickName\":\"\xff\xfe\xc3\x28\"", `"nickName":"\ud800"`, `"title":"` + strings.Repeat("ü", 100000) + `"`,
		`"` + strings.Repeat("k", 100000) + `":1`, `"urn:x:unknown:schema":{"a":1}`, `"unknown":` + deepObj(9990), `"name":{"` + strings.Repeat("n", 10000) + `":"x"}`,
		`"externalId":"\u202e\u0000\ufeff"`, `"name":` + deepObj(9990), `"locale":"` + strings.Repeat("x-", 5000) + `"`,
		`"preferredLanguage":"` + strings.Repeat("en;q=0.5,", 10000) + `"`, `"userName":"` + strings.Repeat("u", 200000) + `"`, `"userName":"🙂\u0000🙂` + unique() + `"`} {
		add(false, http.MethodPost, "/Users", user(","+frag))
	}
	add(false, http.MethodPost, "/Groups", group(`,"displayName":"\u0000\ud800"`))
	add(true, http.MethodPut, up, user(`,"id":"another-id"`))
	add(true, http.MethodPut, gp, group(`,"members":[{"value":"`+gid+`"}]`))

	// 3. PATCH: wrong types and paths, on the victims; every one is malformed.
	patch := func(ops ...string) string {
		return `{"schemas":["` + patchOpURN + `"],"Operations":[` + strings.Join(ops, ",") + `]}`
	}
	both := []string{`{"schemas":"` + patchOpURN + `","Operations":[{"op":"replace","path":"displayName","value":"pwned"}]}`,
		`{"schemas":["` + patchOpURN + `"],"Operations":{"op":"replace","path":"displayName","value":"pwned"}}`,
		`{"schemas":["` + patchOpURN + `"],"Operations":"replace"}`, `{"schemas":["` + patchOpURN + `"]}`, `{"Operations":[]}`,
		patch(`"replace"`), patch(`5`), patch(`null`), patch(`[]`), patch(`{}`),
		patch(`{"op":5,"path":"displayName","value":"pwned"}`), patch(`{"op":null,"value":{"displayName":"pwned"}}`), patch(`{"op":"copy","value":{"displayName":"pwned"}}`),
		patch(`{"op":["add"],"value":{"displayName":"pwned"}}`), patch(`{"op":"","value":{"displayName":"pwned"}}`),
		patch(`{"op":"replace","value":"pwned"}`), patch(`{"op":"replace","value":[{"displayName":"pwned"}]}`), patch(`{"op":"add","value":5}`),
		patch(`{"op":"replace","path":"displayName"}`), patch(`{"op":"replace","path":"displayName","value":null}`), patch(`{"op":"replace","path":"displayName","value":{"a":1}}`),
		patch(`{"op":"replace","path":"displayName","value":"pwned"}`, `{"op":"replace","path":"displayName","value":[5]}`),
		patch(`{"op":"remove"}`), patch(`{"op":"replace","path":"id","value":"x"}`), patch(`{"op":"replace","path":"meta.version","value":"x"}`),
		patch(`{"op":"replace","path":"displayName","value":` + deepObj(9980) + `}`)}
	for _, p := range []any{5, true, []any{}, map[string]any{}} {
		both = append(both, patch(mj(map[string]any{"op": "replace", "path": p, "value": map[string]any{"displayName": "pwned"}})))
	}
	for _, p := range []string{"emails[", "members[value eq]", "urn:", ".", "a.b.c", "emails]", `emails[type eq "work"`, `emails[type eq "work"]]`,
		"name.givenName.x", "urn:" + enterpriseURN, enterpriseURN + ":", `userName[value eq "x"]`, "\u0000", "\xff\xfe", "displayName\u0000",
		`emails[value eq "\u0000"].nope`, `emails[type eq "work"].nope`, `members[value eq "x"].display`, "groups", strings.Repeat("a.", 50000),
		"emails[" + strings.Repeat("(", 10000) + `type eq "x"` + strings.Repeat(")", 10000) + "]", `emails[type eq "work"][value pr]`} {
		for _, op := range []string{"add", "replace", "remove"} {
			both = append(both, patch(mj(map[string]any{"op": op, "path": p, "value": "x"})))
		}
	}
	userOnly := []string{patch(`{"op":"replace","path":"name","value":"str"}`), patch(`{"op":"add","path":"emails","value":"a@b"}`),
		patch(`{"op":"add","path":"emails","value":["a@b"]}`), patch(`{"op":"add","path":"emails","value":[5]}`), patch(`{"op":"replace","path":"userName","value":{"a":1}}`),
		patch(`{"op":"replace","path":"userName","value":["x"]}`), patch(`{"op":"replace","path":"userName","value":""}`), patch(`{"op":"remove","path":"userName"}`),
		patch(`{"op":"replace","path":"active","value":"maybe"}`), patch(`{"op":"replace","path":"name.givenName","value":{"x":1}}`),
		patch(`{"op":"replace","path":"emails[type eq \"work\"].value","value":5}`), patch(`{"op":"replace","path":"emails[type eq \"work\"]","value":"str"}`),
		patch(`{"op":"replace","value":{"name":[]}}`), patch(`{"op":"replace","value":{"emails":"x"}}`), patch(`{"op":"replace","value":{"` + enterpriseURN + `":"x"}}`),
		patch(`{"op":"replace","path":"` + enterpriseURN + `","value":"x"}`), patch(`{"op":"remove","path":"` + enterpriseURN + `"}`),
		patch(`{"op":"replace","path":"` + enterpriseURN + `:manager","value":5}`), patch(`{"op":"replace","path":"` + enterpriseURN + `:manager","value":{"value":[]}}`),
		patch(`{"op":"add","path":"` + hqUserURN + `:products","value":"hire"}`), patch(`{"op":"replace","path":"password","value":5}`),
		patch(`{"op":"add","path":"emails","value":[{"value":"a","primary":true},{"value":"b","primary":true}]}`),
		patch(`{"op":"remove","path":"emails[type eq \"work\"]"}`, `{"op":"add","path":"emails","value":"junk"}`)}
	groupOnly := []string{patch(`{"op":"add","path":"members","value":"` + uid + `"}`), patch(`{"op":"add","path":"members","value":["` + uid + `"]}`),
		patch(`{"op":"add","path":"members","value":[1,2]}`), patch(`{"op":"add","path":"members","value":{"value":"` + uid + `"}}`),
		patch(`{"op":"add","path":"members","value":[{"value":5}]}`), patch(`{"op":"add","path":"members","value":[{"value":""}]}`),
		patch(`{"op":"add","path":"members","value":[{"value":"no-such-id"}]}`), patch(`{"op":"add","path":"members","value":[{"value":"` + uid + `","type":"Group"}]}`),
		patch(`{"op":"add","path":"members","value":[{"value":"` + gid + `"}]}`), patch(`{"op":"add","path":"members","value":[["` + uid + `"]]}`),
		patch(`{"op":"replace","path":"members","value":"x"}`), patch(`{"op":"remove","path":"members","value":"x"}`), patch(`{"op":"remove","path":"members","value":[5]}`),
		patch(`{"op":"remove","path":"members[value eq \"nobody\"]"}`), patch(`{"op":"remove","path":"members[display eq 5]"}`),
		patch(`{"op":"add","path":"members[value eq \"x\"]","value":[{"value":"` + uid + `"}]}`), patch(`{"op":"replace","path":"members.value","value":"x"}`),
		patch(`{"op":"add","value":{"members":"x"}}`), patch(`{"op":"replace","value":{"members":[5]}}`), patch(`{"op":"replace","value":{"displayName":5}}`),
		patch(`{"op":"remove","path":"displayName"}`), patch(`{"op":"remove","path":"members"}`, `{"op":"add","path":"members","value":"junk"}`),
		patch(`{"op":"replace","path":"displayName","value":"pwned"}`, `{"op":"add","path":"members","value":[{"value":"no-such-id"}]}`),
		patch(`{"op":"remove","path":"members[value eq \"`+uid+`\"]"}`, `{"op":"replace","path":"displayName","value":[]}`)}
	for _, b := range append(both, userOnly...) {
		add(true, http.MethodPatch, up, b)
	}
	for _, b := range append(both, groupOnly...) {
		add(true, http.MethodPatch, gp, b)
	}

	// 4. If-Match garbage on valid writes and deletes of the victims: 412, nothing changes.
	validPut := map[string]string{up: user(""), gp: group(`,"members":[]`)}
	for _, h := range []string{"garbage", "W/", `W/""`, `""`, `"`, `W/"999999"`, `W/"-1"`, ",,,", `W/"1" junk`, `W/"ü"`, `"*"`, "**", strings.Repeat("x", 8000)} {
		for _, p := range []string{up, gp} {
			add(true, http.MethodPut, p, validPut[p], "If-Match: "+h)
			add(true, http.MethodPatch, p, patch(`{"op":"replace","path":"displayName","value":"pwned"}`), "If-Match: "+h)
			add(true, http.MethodDelete, p, nil, "If-Match: "+h)
			add(false, http.MethodGet, p, nil, "If-None-Match: "+h)
		}
	}

	// 5. Query parameters with weird values, on lists, reads and (with an invalid body) writes.
	queries := []string{"count=1e99", "count=NaN", "count=-5", "count=99999999999999999999", "count=", "count=%00", "startIndex=-5", "startIndex=0",
		"startIndex=9223372036854775807", "startIndex=-9223372036854775808", "startIndex=9223372036854775807&count=1000", "startIndex=1e99", "startIndex=NaN",
		"sortBy=emails[type", "sortBy=urn:", "sortBy=.", "sortBy=name", "sortBy=name.givenName.x", "sortBy=%ff", "sortOrder=sideways", "sortOrder=%00",
		"attributes=,,,,", "attributes=[", "attributes=emails[", "attributes=urn:", "attributes=.", "attributes=a.b.c", "excludedAttributes=%00",
		"attributes=userName&excludedAttributes=name", "excludedAttributes=" + url.QueryEscape(enterpriseURN), "filter=", "filter=%00", "filter=%ff",
		"filter=" + url.QueryEscape(strings.Repeat("(", 10000)+`userName eq "x"`+strings.Repeat(")", 10000)), "filter=" + url.QueryEscape(strings.Repeat("(", 10000)),
		"filter=" + url.QueryEscape("🙂🙂 eq ☃ \u202e\ufeff"), "filter=" + url.QueryEscape(`userName eq "`) + "%00" + url.QueryEscape(`"`),
		"filter=" + url.QueryEscape(`userName co "`) + "%00%ff" + url.QueryEscape(`"`), "filter=" + url.QueryEscape(`userName sw "`) + "%ff" + url.QueryEscape(`"`),
		"filter=" + url.QueryEscape(`emails[value ew "`) + "%00" + url.QueryEscape(`"]`), "filter=" + url.QueryEscape(`members eq "`) + "%00" + url.QueryEscape(`"`),
		"filter=" + url.QueryEscape(`emails[type eq "work"`), "filter=" + url.QueryEscape(`emails[type eq "work"]]`), "filter=" + url.QueryEscape(`meta.created gt "x"`),
		"filter=" + url.QueryEscape(strings.Repeat(`emails[type eq "a"] or `, 2000)+"title pr"),
		"filter=" + url.QueryEscape(strings.Repeat(`userName eq "a" or `, 300)+"title pr"), "filter=" + url.QueryEscape(strings.Repeat(`(title pr and `, 300)+"title pr"+strings.Repeat(")", 300)), "filter=" + url.QueryEscape(`userName eq "`+strings.Repeat("\\u0000", 1000)+`"`),
		"cursor=%ff", "cursor=garbage", "cursor&startIndex=1", "cursor=eyJxIjoiIiwiaSI6IngifQ", "cursor=" + strings.Repeat("A", 10000), "cursor&count=1e99",
		"filter=0%95%950+And+000", "filter=" + url.QueryEscape("displayName eq \"\u212A\u212A\u212A\u212A\u212A\u212A\" and title pr"),
		"filter=" + url.QueryEscape(`name.givenName eq "İİİİİİ" and title pr`), "filter=userName+pr&filter=%ff", "%ff=%ff", "sortBy=members.value", "sortBy=groups.value", "sortBy=password", "sortBy=meta.location",
		"sortBy=emails", "sortBy=" + hqUserURN + ":access.value", "sortBy=x509Certificates.value&sortOrder=descending&cursor", "count=1&count=NaN", "attributes=" + url.QueryEscape(`emails[type eq "work"`)}
	for _, f := range []string{`externalId eq "%ff"`, `externalId co "%00%ff"`, `id eq "%ff"`, `id co "%00"`, `id sw "%ff"`, `id gt "%ff"`,
		`x509Certificates.value eq "%ff"`, `members.value eq "%ff"`, `members[display co "%00"]`, `members[type gt "%ff"]`, `groups.value eq "%ff"`,
		`groups.display co "%ff"`, `groups[value eq "x"]`, `password eq "x"`, `password pr`, `meta.location eq "x"`, `meta.version gt "x"`,
		`meta[created gt "2020-01-01T00:00:00Z" and version eq "W/\"1\""]`, `meta.resourceType gt "%ff"`, hqUserURN + `:access pr`,
		hqUserURN + `:access.value co "%ff"`, `not (groups pr) and not (members pr)`, `emails[value eq "%ff" or not (type pr)]`, `meta.created gt "9999-99-99T99:99:99Z"`,
		`meta.lastModified lt "0000-01-01T00:00:00Z"`, `name[givenName eq "%ff"]`, `emails.primary eq "%ff"`, `members.value co "%ff"`, `members[display ew "%ff"]`,
		`x509Certificates.value co "%ff"`, `groups.value sw "%ff"`, enterpriseURN + `:employeeNumber co "%ff"`, `entitlements.value co "%ff"`, `profileUrl ew "%ff"`, `userName gt "%ff" and userName lt "%00"`} {
		queries = append(queries, "filter="+strings.NewReplacer(" ", "+", `"`, "%22", "[", "%5B", "]", "%5D", "#", "%23").Replace(f))
	}
	for _, q := range queries {
		for _, p := range []string{"/Users", "/Groups"} {
			add(false, http.MethodGet, p+"?"+q, nil)
			add(true, http.MethodPost, p+"?"+q, `{}`)
		}
		for _, p := range []string{up, gp} {
			add(false, http.MethodGet, p+"?"+q, nil)
			add(true, http.MethodPut, p+"?"+q, `{}`)
			add(true, http.MethodPatch, p+"?"+q, `{}`)
			add(true, http.MethodDelete, p+"?"+q, nil)
		}
		add(false, http.MethodGet, "/Products?"+q, nil)
		add(false, http.MethodGet, "/Schemas/"+userURN+"?"+q, nil)
	}

	// 6. SearchRequest bodies.
	search := func(extra string) string { return `{"schemas":["` + searchURN + `"]` + extra + `}` }
	searches := []string{`{"schemas":"` + searchURN + `"}`, `{"schemas":[]}`, `{"schemas":[5]}`, `{"filter":"userName pr"}`}
	for _, frag := range []string{`"filter":5`, `"filter":{}`, `"filter":[]`, `"filter":null`, `"filter":""`, `"filter":"(((("`, `"filter":"🙂 eq ☃"`,
		`"count":"10"`, `"count":1e99`, `"count":1.5`, `"count":true`, `"count":9223372036854775808`, `"startIndex":"1"`, `"startIndex":{}`,
		`"sortBy":5`, `"sortOrder":"sideways"`, `"sortOrder":5`, `"attributes":"userName"`, `"attributes":[5]`, `"excludedAttributes":{}`,
		`"attributes":["userName"],"excludedAttributes":["name"]`, `"bogus":1`, `"cursor":5`, `"cursor":"%ff"`, `"cursor":"","startIndex":1`,
		`"filter":"` + strings.Repeat("(", 10000) + `"`, `"filter":` + deepObj(9990)} {
		searches = append(searches, search(","+frag))
	}
	attrDependent := []string{search(`,"sortBy":"emails[type"`), search(`,"attributes":[",,,,"]`), search(`,"attributes":["urn:"]`)}
	weirdSearches := []string{search(`,"filter":"userName eq \"\u0000\""`), search(`,"filter":"userName co \"\u0000\ud800\""`), search(`,"count":-1`),
		search(`,"startIndex":9223372036854775807`), search(`,"filter":"` + strings.Repeat("(", 10000) + `title pr` + strings.Repeat(")", 10000) + `"`)}
	for _, p := range []string{"/Users/.search", "/Groups/.search", "/.search"} {
		for _, b := range searches {
			add(true, http.MethodPost, p, b)
		}
		for _, b := range attrDependent {
			add(p != "/.search", http.MethodPost, p, b)
		}
		for _, b := range weirdSearches {
			add(false, http.MethodPost, p, b)
		}
	}

	// 7. Bulk: malformed requests (400) and malformed operations (each fails on its own).
	bulk := func(ops ...string) string {
		return `{"schemas":["` + bulkURN + `"],"Operations":[` + strings.Join(ops, ",") + `]}`
	}
	add(true, http.MethodPost, "/Bulk", `{"schemas":"`+bulkURN+`","Operations":[]}`)
	add(true, http.MethodPost, "/Bulk", `{"Operations":[]}`)
	for _, frag := range []string{`"Operations":{}`, `"Operations":"x"`, `"Operations":null`, `"failOnErrors":"x","Operations":[]`, `"failOnErrors":-1,"Operations":[]`,
		`"failOnErrors":1e99,"Operations":[]`, `"failOnErrors":1.5,"Operations":[]`, `"failOnErrors":{},"Operations":[]`} {
		add(true, http.MethodPost, "/Bulk", `{"schemas":["`+bulkURN+`"],`+frag+`}`)
	}
	op := func(method, path, bulkID string, data any, extra ...string) string { // "" and nil count as absent
		s := mj(map[string]any{"method": method, "path": path, "bulkId": bulkID, "data": data})
		return s[:len(s)-1] + strings.Join(append([]string{""}, extra...), ",") + "}"
	}
	orphans := []string{"orphan-" + unique(), "orphan-" + unique()} // bulk POSTs that fail must not create them
	okUser := func() json.RawMessage { return raw(user("")) }
	pwned := raw(patch(`{"op":"replace","path":"displayName","value":"pwned"}`))
	badOps := [][]string{{`"POST"`, `5`, `null`, `[]`, `{}`}}
	for _, p := range []string{"", "/", "bulkId:x", "/Users/bulkId:", "/Users/x", "//", "/Products", "/Schemas/x", "/Users/../Groups"} {
		badOps = append(badOps, []string{op("POST", p, "b"+unique(), okUser())})
	}
	for _, p := range []string{"", "/", "/Users", "/Users/bulkId:", "/Users/bulkId:nope", "bulkId:x", "/Users//", "/Groups/bulkId:x", up + "/emails", "/Users/%00"} {
		for _, m := range []string{"PUT", "PATCH", "DELETE"} {
			badOps = append(badOps, []string{op(m, p, "", okUser())})
		}
	}
	badOps = append(badOps,
		[]string{op("GET", "/Users", "g1", okUser()), op("", "/Users", "g2", okUser()), op("HEAD", up, "", nil), `{"method":5,"path":"/Users","bulkId":"g3","data":{}}`},
		[]string{op("POST", "/Users", "d1", []any{okUser()}), op("POST", "/Users", "d2", "x"), op("POST", "/Users", "d3", 5), op("PUT", up, "", []any{}), op("PATCH", up, "", "x")},
		[]string{op("POST", "/Users", "", okUser()), `{"method":"POST","path":"/Users","bulkId":5,"data":` + user("") + `}`},
		[]string{op("POST", "/Groups", "m1", raw(group(`,"members":[{"value":"bulkId:nothing"}]`))), op("POST", "/Groups", "m2", raw(group(`,"members":[{"value":"bulkId:"}]`)))},
		[]string{op("POST", "/Groups", "m3", raw(group(`,"members":"bulkId:m3"`)))},
		[]string{op("POST", "/Groups", "m4", raw(group(`,"members":["bulkId:m4"]`)))},
		[]string{op("POST", "/Groups", "m5", raw(`{"schemas":["`+groupURN+`"],"displayName":"`+orphans[0]+`","members":[{"value":"bulkId:m5"}]}`))},
		[]string{op("POST", "/Groups", "m6", raw(`{"schemas":["`+groupURN+`"],"displayName":"`+orphans[1]+`","`+enterpriseURN+`":{"manager":{"value":"bulkId:m6"}}}`))},
		[]string{op("POST", "/Groups", "m7", raw(group(`,"members":{"value":"bulkId:m7"}`)))},
		[]string{op("POST", "/Users", "f1", raw(`{"schemas":["`+userURN+`"]}`)), op("POST", "/Groups", "f2", raw(group(`,"members":[{"value":"bulkId:f1"}]`)))},
		[]string{op("POST", "/Users", "e1", raw(`{"schemas":["`+userURN+`"],"userName":"`+unique()+`","`+enterpriseURN+`":{"manager":"bulkId:e1"}}`))},
		[]string{op("PUT", up, "", okUser(), `"version":"W/\"garbage\""`), op("DELETE", up, "", nil, `"version":"garbage"`), op("PATCH", gp, "", pwned, `"version":"W/\"0\""`)},
		[]string{op("PATCH", up, "", pwned, `"version":5`), op("PATCH", gp, "", pwned, `"version":{"etag":"x"}`)},
		[]string{op("PATCH", up, "", raw(patch(`{"op":"replace","path":5,"value":{"displayName":"pwned"}}`)))},
		[]string{op("POST", "/Users", "z1", raw(`{"schemas":["`+userURN+`"],"userName":`+deepObj(9980)+`}`)), op("PATCH", gp, "", raw(groupOnly[0]))},
	)
	for _, b := range badUsers {
		badOps = append(badOps, []string{op("POST", "/Users", "u"+unique(), raw(b)), op("PUT", up, "", raw(b))})
	}
	for _, b := range badGroups {
		badOps = append(badOps, []string{op("POST", "/Groups", "g"+unique(), raw(b)), op("PUT", gp, "", raw(b))})
	}
	for i, b := range append(append(append([]string{}, both...), userOnly...), groupOnly...) {
		target := up
		if i >= len(both)+len(userOnly) {
			target = gp
		}
		badOps = append(badOps, []string{op("PATCH", target, "", raw(b))})
	}
	for _, ops := range badOps {
		cases = append(cases, attack{method: http.MethodPost, path: "/Bulk", body: bulk(ops...), reject: false, allOpsFail: true})
	}

	// Run them all.
	slow := 0
	for i, a := range cases {
		start := time.Now()
		r := c.Do(a.method, a.path, a.body, a.headers...)
		if d := time.Since(start); d > 2*time.Second {
			slow++
			t.Logf("slow (%v): %s", d.Round(time.Millisecond), short(r.Request))
		}
		where := fmt.Sprintf("case %d: %s %s", i, a.method, short(r.Request))
		switch {
		case r.Status >= 500:
			t.Errorf("%s\n  -> %d %s", where, r.Status, short(string(r.Body)))
		case r.Status >= 400:
			if p := scimErrorProblem(r.Status, r.Header, r.Body); p != "" {
				t.Errorf("%s\n  -> %d, not a proper SCIM error (%s): %s", where, r.Status, p, short(string(r.Body)))
			}
		case a.reject:
			t.Errorf("%s\n  -> %d: malformed input was accepted: %s", where, r.Status, short(string(r.Body)))
		}
		if a.path == "/Bulk" && r.Status == http.StatusOK {
			checkBulk(t, a, r)
		}
		if a.method != http.MethodGet && r.Status < 300 {
			if now := snapshot(); !reflect.DeepEqual(now, before) {
				t.Errorf("%s\n  -> %d changed the user or group created first:\nbefore %v\nafter  %v", where, r.Status, short(fmt.Sprint(before)), short(fmt.Sprint(now)))
				before = now // report each change once
			}
		}
	}
	t.Logf("%d requests sent (%d of them bulk requests), %d slow", len(cases), len(badOps)+10, slow)
	for _, name := range orphans {
		if list := okJSON(t, c, "/Groups?filter="+url.QueryEscape(`displayName eq "`+name+`"`)); list["totalResults"] != float64(0) {
			t.Errorf("the bulk POST of group %q was answered with an error, yet the group exists: %v", name, list)
		}
	}
	if now := snapshot(); !reflect.DeepEqual(now, first) {
		t.Errorf("the user or group created first changed:\nbefore %v\nafter  %v", short(fmt.Sprint(first)), short(fmt.Sprint(now)))
	}
}
