package scim_test

import (
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/scim/scimtest"
)

// The HQ domain over HTTP (issue 5): the HQ role, product grants (direct, by group and by
// core roles), computed access, deactivation, the catalog per tenant and its discovery.

// hqCatalog is the example configuration's catalog; roles are lowest first.
var hqCatalog = []resources.Product{
	{ID: "hire", DisplayName: "Hire", Roles: []string{"interviewer", "recruiter", "admin"}},
	{ID: "perform", DisplayName: "Perform", Roles: []string{"employee", "manager", "hr-admin"}},
	{ID: "insights", DisplayName: "Insights", Roles: []string{"viewer", "analyst"}},
}

// hqPolicy subscribes "default" to every product and "acme" to hire only; any other
// tenant has no products. The catalog is the same for all.
func hqPolicy(tenant string) resources.Policy {
	switch tenant {
	case "default":
		return resources.Policy{Products: hqCatalog, Catalog: hqCatalog}
	case "acme":
		return resources.Policy{Products: hqCatalog[:1], Catalog: hqCatalog}
	}
	return resources.Policy{Catalog: hqCatalog}
}

// newHQServer starts a server with hqPolicy and returns a client per tenant.
func newHQServer(t *testing.T) map[string]*scimtest.Client {
	srv := scimtest.New(t, scimtest.Options{Policy: hqPolicy})
	return map[string]*scimtest.Client{
		"default": srv.Client(),
		"acme":    srv.As(srv.NewToken("acme")),
		"nobody":  srv.As(srv.NewToken("nobody")),
	}
}

func displayOf(product string) string {
	for _, p := range hqCatalog {
		if p.ID == product {
			return p.DisplayName
		}
	}
	return ""
}

// grant is a product grant {"value": product} with more key/value pairs.
func grant(product string, kv ...any) map[string]any {
	m := map[string]any{"value": product}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// roleList turns role strings into the core roles attribute.
func roleList(values ...string) []any {
	out := []any{}
	for _, v := range values {
		out = append(out, map[string]any{"value": v})
	}
	return out
}

// hqUser is a User with the HQ extension hq (nil leaves it out) and roles.
func hqUser(userName string, hq map[string]any, roles ...string) map[string]any {
	u := userWith(userName, map[string]any{"schemas": []string{userURN, hqUserURN}})
	if hq != nil {
		u[hqUserURN] = hq
	}
	if roles != nil {
		u["roles"] = roleList(roles...)
	}
	return u
}

// hqGroup is a Group granting products to the members.
func hqGroup(name string, products []any, memberIDs ...string) map[string]any {
	g := groupBody(name, refs(memberIDs...))
	g["schemas"] = []string{groupURN, hqGroupURN}
	g[hqGroupURN] = map[string]any{"products": products}
	return g
}

// hqPatch is a PatchOp message; each operation is op, path ("" for none), value.
func hqPatch(ops ...[]any) map[string]any {
	list := []any{}
	for _, o := range ops {
		m := map[string]any{"op": o[0]}
		if o[1] != "" {
			m["path"] = o[1]
		}
		if len(o) > 2 {
			m["value"] = o[2]
		}
		list = append(list, m)
	}
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": list}
}

// indexed is byValue that accepts a missing attribute as no entries.
func indexed(t testing.TB, m map[string]any, attr string) map[string]map[string]any {
	t.Helper()
	if _, ok := m[attr]; !ok {
		return map[string]map[string]any{}
	}
	return byValue(t, m, attr)
}

// stored is a direct grant as the server stores and returns it.
func stored(product, role string, enabled bool) map[string]any {
	return map[string]any{"value": product, "role": role, "enabled": enabled, "display": displayOf(product)}
}

// acc is an expected access entry; a source "group:N" stands for the N-th group made.
type acc struct {
	role    string
	enabled bool
	sources []string
}

// wantGrants checks that m[attr] holds exactly the entries of want, by value.
func wantGrants(t testing.TB, what string, m map[string]any, attr string, want ...map[string]any) {
	t.Helper()
	w := map[string]map[string]any{}
	for _, e := range want {
		w[e["value"].(string)] = e
	}
	if got := indexed(t, m, attr); !reflect.DeepEqual(got, w) {
		t.Fatalf("%s: %s =\n%v\nwant\n%v", what, attr, got, w)
	}
}

// wantAccess checks a user's access exactly: one entry per product of want with the
// catalog's display, the role, enabled and the sources (in any order).
func wantAccess(t testing.TB, what string, user map[string]any, want map[string]acc, gids ...string) {
	t.Helper()
	got := indexed(t, obj(user, hqUserURN), "access")
	for _, e := range got {
		slices.SortFunc(arr(e, "sources"), compareStrings)
	}
	exp := map[string]map[string]any{}
	for product, a := range want {
		src := []any{}
		for _, s := range a.sources {
			if n, ok := strings.CutPrefix(s, "group:"); ok {
				i, _ := strconv.Atoi(n)
				s = "group:" + gids[i]
			}
			src = append(src, s)
		}
		slices.SortFunc(src, compareStrings)
		exp[product] = map[string]any{"value": product, "display": displayOf(product), "role": a.role, "enabled": a.enabled, "sources": src}
	}
	if !reflect.DeepEqual(got, exp) {
		t.Fatalf("%s: access =\n%v\nwant\n%v\nin %v", what, got, exp, user)
	}
}

func compareStrings(a, b any) int { return strings.Compare(a.(string), b.(string)) }

// wantInOrder checks that detail mentions parts in this order.
func wantInOrder(t testing.TB, r *scimtest.Response, parts ...string) {
	t.Helper()
	detail, _ := r.JSON(t)["detail"].(string)
	rest := detail
	for _, p := range parts {
		i := strings.Index(rest, p)
		if i < 0 {
			t.Fatalf("detail %q does not mention %q after the values before it (want %q in order)", detail, p, parts)
		}
		rest = rest[i+len(p):]
	}
}

func TestHQGrantValidation(t *testing.T) {
	t.Parallel()
	clients := newHQServer(t)
	products := func(gs ...any) map[string]any { return map[string]any{"products": gs} }
	for _, tc := range []struct {
		name     string
		tenant   string // "" is default
		group    bool   // POST a Group granting hq["products"]
		hq       map[string]any
		roles    []string
		hqRole   string           // wanted on success; "" is basic
		want     []map[string]any // the products stored, exactly
		detail   []string         // a 400 invalidValue mentioning these in order
		notInErr string
	}{
		{name: "hqRole defaults to basic"},
		{name: "hqRole admin", hq: map[string]any{"hqRole": "admin"}, hqRole: "admin"},
		{name: "hqRole normalised", hq: map[string]any{"hqRole": "Admin"}, hqRole: "admin"},
		{name: "hqRole unknown", hq: map[string]any{"hqRole": "superuser"}, detail: []string{"basic", "admin"}},
		{name: "lowest role by default", hq: products(grant("hire")), want: []map[string]any{stored("hire", "interviewer", true)}},
		{name: "explicit role kept", hq: products(grant("perform", "role", "manager")), want: []map[string]any{stored("perform", "manager", true)}},
		{name: "role case-insensitive", hq: products(grant("hire", "role", "RECRUITER")), want: []map[string]any{stored("hire", "recruiter", true)}},
		{name: "client display ignored", hq: products(grant("insights", "display", "Fake", "enabled", false)), want: []map[string]any{stored("insights", "viewer", false)}},
		{name: "unknown product", hq: products(grant("payroll")), detail: []string{"payroll", "hire", "perform", "insights"}},
		{name: "outside subscription", tenant: "acme", hq: products(grant("perform")), detail: []string{"perform", "hire"}, notInErr: "insights"},
		{name: "acme grant", tenant: "acme", hq: products(grant("hire", "role", "admin")), want: []map[string]any{stored("hire", "admin", true)}},
		{name: "unknown role", hq: products(grant("hire", "role", "boss")), detail: []string{"boss", "interviewer", "recruiter", "admin"}},
		{name: "same product twice", hq: products(grant("hire"), grant("hire", "role", "admin")), detail: []string{"hire"}},
		{name: "roles grant with a bad role", roles: []string{"hire:boss"}, detail: []string{"boss", "interviewer", "recruiter", "admin"}},
		{name: "ordinary roles and role grants", roles: []string{"sales-lead", "insights:analyst", "hire"}},
		// A role naming a catalog product obeys the subscription like a direct grant.
		{name: "roles grant outside subscription", tenant: "acme", roles: []string{"perform:manager"}, detail: []string{"perform", "hire"}, notInErr: "insights"},
		{name: "roles grant of a product alone outside subscription", tenant: "acme", roles: []string{"insights"}, detail: []string{"insights", "hire"}},
		{name: "roles grant with a bad role in acme", tenant: "acme", roles: []string{"hire:boss"}, detail: []string{"boss", "interviewer", "recruiter", "admin"}},
		{name: "acme roles: a grant and roles naming no product", tenant: "acme", roles: []string{"hire:recruiter", "payroll:admin", "sales-lead"}},
		{name: "roles grant in a tenant without products", tenant: "nobody", roles: []string{"hire:admin"}, detail: []string{"hire", "none"}},
		{name: "no products: grant", tenant: "nobody", hq: products(grant("hire")), detail: []string{"hire", "none"}},
		{name: "no products: no grants", tenant: "nobody", hq: map[string]any{"hqRole": "admin"}, hqRole: "admin"},
		{name: "group grant gets the lowest role", group: true, hq: products(grant("perform"), grant("insights", "role", "Analyst")),
			want: []map[string]any{{"value": "perform", "role": "employee"}, {"value": "insights", "role": "analyst"}}},
		{name: "group unknown role", group: true, hq: products(grant("insights", "role", "admin")), detail: []string{"admin", "viewer", "analyst"}},
		{name: "group outside subscription", tenant: "acme", group: true, hq: products(grant("insights")), detail: []string{"insights", "hire"}},
		{name: "group in a tenant without products", tenant: "nobody", group: true, hq: products(grant("hire")), detail: []string{"hire", "none"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := clients[orDefault(tc.tenant, "default")]
			endpoint, body, urn := "/Users", hqUser(tc.name, tc.hq, tc.roles...), hqUserURN
			if tc.group {
				endpoint, body, urn = "/Groups", hqGroup(tc.name, tc.hq["products"].([]any)), hqGroupURN
			}
			r := c.Do(http.MethodPost, endpoint, body)
			if tc.detail != nil {
				scimtest.ExpectError(t, r, http.StatusBadRequest, "invalidValue")
				wantInOrder(t, r, tc.detail...)
				if tc.notInErr != "" && strings.Contains(string(r.Body), tc.notInErr) {
					t.Fatalf("the error offers %q, which the tenant lacks: %s", tc.notInErr, r)
				}
				return
			}
			created := must(t, r, http.StatusCreated).JSON(t)
			for what, res := range map[string]map[string]any{"POST": created, "GET": okJSON(t, c, endpoint+"/"+idOf(t, created))} {
				ext := obj(res, urn)
				if !tc.group && ext["hqRole"] != orDefault(tc.hqRole, "basic") {
					t.Fatalf("%s: hqRole = %v, want %q", what, ext["hqRole"], orDefault(tc.hqRole, "basic"))
				}
				wantGrants(t, what, ext, "products", tc.want...)
				if tc.roles != nil && !reflect.DeepEqual(arr(res, "roles"), roleList(tc.roles...)) {
					t.Fatalf("%s: roles = %v, want %v as sent", what, res["roles"], tc.roles)
				}
			}
		})
	}
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func TestHQEffectiveAccess(t *testing.T) {
	t.Parallel()
	c := newHQServer(t)["default"]
	for _, tc := range []struct {
		name     string
		products []any
		roles    []string
		groups   [][]any // each group's grants; the user is a member of every one
		inactive bool
		want     map[string]acc
	}{
		{name: "no grants"},
		{name: "direct grant", products: []any{grant("hire")},
			want: map[string]acc{"hire": {"interviewer", true, []string{"direct"}}}},
		{name: "group grant", groups: [][]any{{grant("perform", "role", "manager")}},
			want: map[string]acc{"perform": {"manager", true, []string{"group:0"}}}},
		{name: "two groups: the highest role", groups: [][]any{{grant("perform", "role", "manager")}, {grant("perform", "role", "employee")}},
			want: map[string]acc{"perform": {"manager", true, []string{"group:0", "group:1"}}}},
		{name: "group above direct", products: []any{grant("hire")}, groups: [][]any{{grant("hire", "role", "recruiter")}},
			want: map[string]acc{"hire": {"recruiter", true, []string{"direct", "group:0"}}}},
		{name: "core roles", products: []any{grant("hire")}, roles: []string{"insights:analyst", "hire", "sales-lead"},
			want: map[string]acc{
				"hire":     {"interviewer", true, []string{"direct", "roles"}},
				"insights": {"analyst", true, []string{"roles"}},
			}},
		{name: "disabled direct beats a group", products: []any{grant("hire", "enabled", false), grant("perform")}, groups: [][]any{{grant("hire", "role", "admin")}},
			want: map[string]acc{
				"hire":    {"admin", false, []string{"direct", "group:0"}},
				"perform": {"employee", true, []string{"direct"}},
			}},
		{name: "inactive user", inactive: true, products: []any{grant("hire")}, roles: []string{"insights"}, groups: [][]any{{grant("perform", "role", "hr-admin")}},
			want: map[string]acc{
				"hire":     {"interviewer", false, []string{"direct"}},
				"insights": {"viewer", false, []string{"roles"}},
				"perform":  {"hr-admin", false, []string{"group:0"}},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			userName := strings.ReplaceAll(tc.name, " ", "-")
			body := hqUser(userName, map[string]any{"products": tc.products}, tc.roles...)
			body["active"] = !tc.inactive
			created := must(t, c.Do(http.MethodPost, "/Users", body), http.StatusCreated).JSON(t)
			uid := idOf(t, created)
			var gids []string
			for i, gs := range tc.groups {
				g := must(t, c.Do(http.MethodPost, "/Groups", hqGroup(userName+strconv.Itoa(i), gs, uid)), http.StatusCreated)
				gids = append(gids, idOf(t, g.JSON(t)))
			}
			u := okJSON(t, c, "/Users/"+uid)
			wantAccess(t, "GET", u, tc.want, gids...)
			if tc.groups == nil { // the POST response is the resource, computed access included
				wantAccess(t, "POST response", created, tc.want)
			}
			if u["active"] != !tc.inactive {
				t.Fatalf("active = %v, want %v", u["active"], !tc.inactive)
			}
			listed := resourcesOf(t, okJSON(t, c, urlWith("/Users", "filter", `userName eq "`+userName+`"`)))
			if len(listed) != 1 {
				t.Fatalf("the filter on userName found %d users", len(listed))
			}
			wantAccess(t, "list", listed[0], tc.want, gids...)
		})
	}
}

// TestHQAccessFollowsGroups changes groups (grants, membership, deletion) and reads the
// member's access after each change.
func TestHQAccessFollowsGroups(t *testing.T) {
	t.Parallel()
	c := newHQServer(t)["default"]
	uid := idOf(t, c.CreateUser("member", nil))
	var gids []string
	for i, gs := range [][]any{{grant("perform", "role", "manager")}, {grant("perform")}, {grant("hire", "role", "recruiter")}} {
		gids = append(gids, idOf(t, c.Must(http.StatusCreated, http.MethodPost, "/Groups", hqGroup("g"+strconv.Itoa(i), gs, uid)).JSON(t)))
	}
	products := hqGroupURN + ":products"
	for _, step := range []struct {
		name         string
		method, path string
		body         any
		want         map[string]acc
	}{
		{"start", "", "", nil, map[string]acc{
			"perform": {"manager", true, []string{"group:0", "group:1"}},
			"hire":    {"recruiter", true, []string{"group:2"}},
		}},
		{"group 0's grant raised", http.MethodPatch, "/Groups/" + gids[0], hqPatch([]any{"replace", products, []any{grant("perform", "role", "hr-admin")}}), map[string]acc{
			"perform": {"hr-admin", true, []string{"group:0", "group:1"}},
			"hire":    {"recruiter", true, []string{"group:2"}},
		}},
		{"removed from group 0", http.MethodPatch, "/Groups/" + gids[0], hqPatch([]any{"remove", `members[value eq "` + uid + `"]`}), map[string]acc{
			"perform": {"employee", true, []string{"group:1"}},
			"hire":    {"recruiter", true, []string{"group:2"}},
		}},
		{"group 2's grant removed", http.MethodPatch, "/Groups/" + gids[2], hqPatch([]any{"remove", products}), map[string]acc{
			"perform": {"employee", true, []string{"group:1"}},
		}},
		{"group 1 deleted", http.MethodDelete, "/Groups/" + gids[1], nil, nil},
	} {
		if step.method != "" {
			if r := c.Do(step.method, step.path, step.body); r.Status >= 300 {
				t.Fatalf("%s: %s", step.name, r)
			}
		}
		wantAccess(t, step.name, getJSON(t, c, "/Users/"+uid), step.want, gids...)
	}
}

// TestHQDeactivation: active false (PUT, or PATCH as Okta or Entra ID send it) switches
// all access off and keeps everything stored; re-activation restores access exactly.
func TestHQDeactivation(t *testing.T) {
	t.Parallel()
	c := newHQServer(t)["default"]
	body := hqUser("dee", map[string]any{"hqRole": "admin", "products": []any{grant("hire", "role", "recruiter"), grant("insights", "enabled", false)}}, "perform:manager", "sales-lead")
	body["schemas"] = []string{userURN, enterpriseURN, hqUserURN}
	body[enterpriseURN] = map[string]any{"department": "Sales"}
	body["active"] = true
	uid := idOf(t, c.Must(http.StatusCreated, http.MethodPost, "/Users", body).JSON(t))
	c.Must(http.StatusCreated, http.MethodPost, "/Groups", hqGroup("admins", []any{grant("hire", "role", "admin")}, uid))
	url := "/Users/" + uid
	before := getJSON(t, c, url)
	if len(arr(obj(before, hqUserURN), "access")) != 3 {
		t.Fatalf("want access to three products: %v", before)
	}
	for _, way := range []string{"PUT", "PATCH as Okta", "PATCH as Entra ID"} {
		t.Run(way, func(t *testing.T) {
			send := func(active bool) {
				var r *scimtest.Response
				switch way {
				case "PUT": // sends back what GET shows, read-only parts included
					u := maps.Clone(okJSON(t, c, url))
					u["active"] = active
					r = c.Do(http.MethodPut, url, u)
				case "PATCH as Okta":
					r = c.Do(http.MethodPatch, url, hqPatch([]any{"replace", "", map[string]any{"active": active}}))
				default: // Entra ID sends string booleans
					r = c.Do(http.MethodPatch, url, hqPatch([]any{"Replace", "active", map[bool]string{true: "True", false: "False"}[active]}))
				}
				must(t, r, http.StatusOK)
			}
			send(false)
			off := okJSON(t, c, url)
			if off["active"] != false {
				t.Fatalf("not deactivated: %v", off)
			}
			wantOff := []any{}
			for _, e := range arr(obj(before, hqUserURN), "access") {
				e := maps.Clone(e.(map[string]any))
				e["enabled"] = false
				wantOff = append(wantOff, e)
			}
			if got := arr(obj(off, hqUserURN), "access"); !reflect.DeepEqual(got, wantOff) {
				t.Fatalf("inactive access =\n%v\nwant every entry disabled:\n%v", got, wantOff)
			}
			kept := func(m map[string]any) map[string]any {
				out := omit(m, "meta", "active")
				out[hqUserURN] = omit(obj(m, hqUserURN), "access")
				return out
			}
			if !reflect.DeepEqual(kept(off), kept(before)) {
				t.Fatalf("deactivation changed what is stored:\nbefore %v\nafter  %v", before, off)
			}
			found := okJSON(t, c, urlWith("/Users", "filter", `active eq false and userName eq "dee"`))
			wantSet(t, "active eq false", found, "dee")

			send(true)
			if on := okJSON(t, c, url); !reflect.DeepEqual(omit(on, "meta"), omit(before, "meta")) {
				t.Fatalf("re-activation did not restore the user exactly:\nbefore %v\nafter  %v", before, on)
			}
		})
	}
}

// TestHQPatchGrants walks one user through PATCHes of its grants; a rejected PATCH
// leaves the user unchanged.
func TestHQPatchGrants(t *testing.T) {
	t.Parallel()
	c := newHQServer(t)["default"]
	pat := hqUser("pat", map[string]any{"products": []any{grant("hire", "role", "recruiter"), grant("insights")}})
	pat["active"] = true
	url := "/Users/" + idOf(t, c.Must(http.StatusCreated, http.MethodPost, "/Users", pat).JSON(t))
	products := hqUserURN + ":products"
	for _, step := range []struct {
		name     string
		ops      [][]any
		scimType string // a 400 with this scimType, and nothing changes
		products []map[string]any
		hqRole   string
		same     bool // a 200 that changes nothing, not even meta.version
	}{
		{name: "Entra ID adds a product", ops: [][]any{{"Add", products, []any{grant("perform")}}},
			products: []map[string]any{stored("hire", "recruiter", true), stored("insights", "viewer", true), stored("perform", "employee", true)}},
		{name: "disable one product", ops: [][]any{{"replace", products + `[value eq "hire"].enabled`, false}},
			products: []map[string]any{stored("hire", "recruiter", false), stored("insights", "viewer", true), stored("perform", "employee", true)}},
		{name: "change a role", ops: [][]any{{"replace", products + `[value eq "perform"].role`, "Manager"}},
			products: []map[string]any{stored("hire", "recruiter", false), stored("insights", "viewer", true), stored("perform", "manager", true)}},
		// §3.5.2.1: adding values that are there changes nothing, although the stored
		// grants have an enabled and a display the client did not send.
		{name: "re-adding grants that are there", ops: [][]any{{"add", products, []any{grant("insights"), grant("perform", "role", "manager"), grant("hire", "role", "Recruiter", "enabled", false)}}},
			products: []map[string]any{stored("hire", "recruiter", false), stored("insights", "viewer", true), stored("perform", "manager", true)}, same: true},
		{name: "adding a grant that differs from the one there", ops: [][]any{{"add", products, []any{grant("perform", "role", "employee")}}}, scimType: "invalidValue"},
		{name: "remove a grant by filter", ops: [][]any{{"remove", products + `[value eq "insights"]`}},
			products: []map[string]any{stored("hire", "recruiter", false), stored("perform", "manager", true)}},
		{name: "path-less hqRole", ops: [][]any{{"replace", "", map[string]any{hqUserURN: map[string]any{"hqRole": "admin"}}}},
			products: []map[string]any{stored("hire", "recruiter", false), stored("perform", "manager", true)}, hqRole: "admin"},
		{name: "unknown product", ops: [][]any{{"add", products, []any{grant("payroll")}}}, scimType: "invalidValue"},
		{name: "unknown role", ops: [][]any{{"replace", products + `[value eq "hire"].role`, "boss"}}, scimType: "invalidValue"},
		{name: "unknown hqRole", ops: [][]any{{"replace", hqUserURN + ":hqRole", "root"}}, scimType: "invalidValue"},
		{name: "access is read-only", ops: [][]any{{"add", hqUserURN + ":access", []any{grant("insights")}}}, scimType: "mutability"},
	} {
		before := getJSON(t, c, url)
		r := c.Do(http.MethodPatch, url, hqPatch(step.ops...))
		after := getJSON(t, c, url)
		if step.scimType != "" {
			scimtest.ExpectError(t, r, http.StatusBadRequest, step.scimType)
			if !reflect.DeepEqual(before, after) {
				t.Fatalf("%s: a rejected PATCH changed the user:\n%v\n%v", step.name, before, after)
			}
			continue
		}
		if res := must(t, r, http.StatusOK).JSON(t); !reflect.DeepEqual(res, after) {
			t.Fatalf("%s: the PATCH response differs from a GET after it:\n%v\n%v", step.name, res, after)
		}
		if step.same && !reflect.DeepEqual(before, after) {
			t.Fatalf("%s: the PATCH changed the user:\n%v\n%v", step.name, before, after)
		}
		ext := obj(after, hqUserURN)
		wantGrants(t, step.name, ext, "products", step.products...)
		want := map[string]acc{}
		for _, p := range step.products {
			want[p["value"].(string)] = acc{p["role"].(string), p["enabled"].(bool), []string{"direct"}}
		}
		wantAccess(t, step.name, after, want)
		if after["active"] != true || ext["hqRole"] != orDefault(step.hqRole, "basic") {
			t.Fatalf("%s: active %v, hqRole %v, want true and %q", step.name, after["active"], ext["hqRole"], orDefault(step.hqRole, "basic"))
		}
	}
	// Access sent by a client is ignored on create.
	u := c.Must(http.StatusCreated, http.MethodPost, "/Users", hqUser("sneaky", map[string]any{"access": []any{grant("perform", "role", "hr-admin")}})).JSON(t)
	wantAccess(t, "access sent in POST", getJSON(t, c, "/Users/"+idOf(t, u)), nil)
}

func TestHQFiltersAndSorting(t *testing.T) {
	t.Parallel()
	c := newHQServer(t)["default"]
	for _, u := range []map[string]any{
		hqUser("ann", map[string]any{"hqRole": "admin", "products": []any{grant("hire", "role", "admin")}}),
		hqUser("bob", map[string]any{"products": []any{grant("hire", "enabled", false), grant("perform")}}),
		hqUser("cid", map[string]any{"products": []any{grant("perform", "role", "manager")}}),
		hqUser("dee", map[string]any{"hqRole": "admin"}, "insights"),
	} {
		c.Must(http.StatusCreated, http.MethodPost, "/Users", u)
	}
	runFilters(t, c, "/Users", []filterCase{
		{hqUserURN + `:hqRole eq "admin"`, []string{"ann", "dee"}},
		{hqUserURN + `:hqRole eq "basic"`, []string{"bob", "cid"}},
		{hqUserURN + `:products.value eq "hire"`, []string{"ann", "bob"}},
		{hqUserURN + `:products[value eq "hire" and enabled eq false]`, []string{"bob"}},
		{hqUserURN + `:products[value eq "perform" and role eq "manager"]`, []string{"cid"}},
		{`not (` + hqUserURN + `:products pr)`, []string{"dee"}},
	})
	for _, order := range []string{"ascending", "descending"} {
		list := okJSON(t, c, urlWith("/Users", "sortBy", hqUserURN+":hqRole", "sortOrder", order))
		var roles []string
		for _, r := range resourcesOf(t, list) {
			roles = append(roles, obj(r, hqUserURN)["hqRole"].(string))
		}
		want := []string{"admin", "admin", "basic", "basic"}
		if order == "descending" {
			slices.Reverse(want)
		}
		wantNames(t, "hqRole sorted "+order, roles, want...)
	}
	filter := hqUserURN + `:access.value eq "perform"`
	wantSet(t, filter, okJSON(t, c, urlWith("/Users", "filter", filter)), "bob", "cid")
}
