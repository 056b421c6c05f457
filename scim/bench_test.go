package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
	"github.com/scimhq/scimhq/scim/scimtest"
	"github.com/scimhq/scimhq/storage"
	"github.com/scimhq/scimhq/storage/storagetest"
)

// BenchmarkQueries measures what identity providers ask for most, over HTTP, with 1,000
// and 100,000 users stored, and reports how many database commands each request issued
// (cmds/op; the bearer-token lookup is one of them):
//
//	go test ./scim -run '^$' -bench Queries -benchtime 5x -timeout 60m
//
// SCIMHQ_BENCH_USERS=1000,10000 chooses other sizes. The engine is named in the output:
// the embedded FerretDB scans a collection for every filter but a bare _id, so its times
// grow with the number of users; on MongoDB these are index lookups.
func BenchmarkQueries(b *testing.B) {
	b.Logf("engine: %s", storagetest.Engine())
	for _, n := range benchSizes(b) {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			srv, store, commands := monitoredServer(b, nil)
			groupID := seed(b, store, n)
			c := srv.Client()
			for _, q := range []struct{ name, path string }{
				{"userName_eq", "/Users?filter=" + url.QueryEscape(`userName eq "USER-0000042@EXAMPLE.COM"`)},
				{"externalId_eq", "/Users?filter=" + url.QueryEscape(`externalId eq "ext-0000042"`)},
				{"page100_sorted_familyName", "/Users?sortBy=name.familyName&count=100&startIndex=" + strconv.Itoa(n/2)},
				{"group_excluding_members", "/Groups/" + groupID + "?excludedAttributes=members"},
			} {
				b.Run(q.name, func(b *testing.B) {
					c.Must(http.StatusOK, http.MethodGet, q.path, nil) // warm up, check it works
					commands.Store(0)
					for b.Loop() {
						c.Must(http.StatusOK, http.MethodGet, q.path, nil)
					}
					b.ReportMetric(float64(commands.Load())/float64(b.N), "cmds/op")
				})
			}
		})
	}
}

func benchSizes(b *testing.B) []int {
	sizes := []int{1000, 100_000}
	if env := os.Getenv("SCIMHQ_BENCH_USERS"); env != "" {
		sizes = nil
		for _, f := range splitComma(env) {
			n, err := strconv.Atoi(f)
			if err != nil {
				b.Fatalf("SCIMHQ_BENCH_USERS: %v", err)
			}
			sizes = append(sizes, n)
		}
	}
	return sizes
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// seed stores n users straight through the store, in batches, and one group whose
// members are all of them; it returns the group's id.
func seed(b testing.TB, store *storage.Store, n int) string {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	now := time.Now().UTC().Truncate(time.Millisecond)
	members := make([]resources.Member, 0, n)
	for first := 0; first < n; first += 5000 {
		batch := make([]*resources.Resource, 0, 5000)
		for i := first; i < min(first+5000, n); i++ {
			id := fmt.Sprintf("u-%07d", i)
			batch = append(batch, &resources.Resource{
				Type: schemas.UserResourceType, Tenant: "default", ID: id,
				Attributes: resources.Attributes{
					"userName":   fmt.Sprintf("user-%07d@example.com", i),
					"externalId": fmt.Sprintf("ext-%07d", i),
					"name":       resources.Attributes{"givenName": "Given", "familyName": fmt.Sprintf("Family%05d", (i*7919)%n)},
					"emails":     []any{resources.Attributes{"value": fmt.Sprintf("user-%07d@example.com", i), "type": "work", "primary": true}},
					"active":     true,
				},
				Meta: resources.Meta{Created: now, LastModified: now, Version: 1},
			})
			members = append(members, resources.Member{Value: id, Type: "User"})
		}
		errs, err := store.CreateMany(ctx, batch)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range errs {
			if e != nil {
				b.Fatal(e)
			}
		}
	}
	group := &resources.Resource{Type: schemas.GroupResourceType, Tenant: "default", ID: "big-group",
		Attributes: resources.Attributes{"displayName": "Everyone"}, Meta: resources.Meta{Created: now, LastModified: now, Version: 1}}
	if err := store.Create(ctx, group); err != nil {
		b.Fatal(err)
	}
	if err := store.AddMembers(ctx, "default", group.ID, members); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d users and a group of all of them in %v", n, time.Since(start).Round(time.Millisecond))
	return group.ID
}

// BenchmarkPatch measures the PATCHes identity providers send most: a deactivation
// (Okta's path-less replace) and one member added to and removed from a group, on
// groups of 10 and 100,000 members (the group holds every seeded user), in Entra ID's
// form, as identity providers send it: no query parameters, so a group answers 204 and
// no response carries the member list:
//
//	go test ./scim -run '^$' -bench Patch -benchtime 5x -timeout 60m
func BenchmarkPatch(b *testing.B) {
	b.Logf("engine: %s", storagetest.Engine())
	for _, n := range benchSizesOr(b, 10, 100_000) {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			srv, store, commands := monitoredServer(b, nil)
			groupID := seed(b, store, n)
			c := srv.Client()
			newcomer := idOf(b, c.CreateUser("newcomer@example.com", nil))
			patch := func(ops ...map[string]any) map[string]any {
				return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}
			}
			deactivate := patch(map[string]any{"op": "replace", "value": map[string]any{"active": false}})
			reactivate := patch(map[string]any{"op": "replace", "value": map[string]any{"active": true}})
			add := patch(map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"value": newcomer}}})
			remove := patch(map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": newcomer}}})
			for _, step := range []struct {
				name   string
				path   string
				status int
				a, b   map[string]any
			}{
				{"deactivate_user", "/Users/u-0000001", http.StatusOK, deactivate, reactivate},
				{"add_remove_member", "/Groups/" + groupID, http.StatusNoContent, add, remove},
			} {
				b.Run(step.name, func(b *testing.B) {
					commands.Store(0)
					for b.Loop() {
						c.Must(step.status, http.MethodPatch, step.path, step.a)
						c.Must(step.status, http.MethodPatch, step.path, step.b)
					}
					b.ReportMetric(float64(commands.Load())/float64(2*b.N), "cmds/patch")
					b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(2*b.N)/1000, "ms/patch")
				})
			}
		})
	}
}

// BenchmarkGroupGrant measures changing the product grant of a group of 100,000 members
// and reading one member's computed access. A grant lives on the group and access is
// computed when read, so the change writes one document whatever the group's size:
//
//	go test ./scim -run '^$' -bench GroupGrant -benchtime 5x -timeout 60m
func BenchmarkGroupGrant(b *testing.B) {
	b.Logf("engine: %s", storagetest.Engine())
	catalog := []resources.Product{{ID: "perform", DisplayName: "Perform", Roles: []string{"employee", "manager", "hr-admin"}}}
	for _, n := range benchSizesOr(b, 100_000) {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			srv, store, commands := monitoredServer(b, func(string) resources.Policy {
				return resources.Policy{Products: catalog}
			})
			groupID := seed(b, store, n)
			c := srv.Client()
			grant := func(role string) map[string]any {
				return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
					"Operations": []any{map[string]any{"op": "replace", "path": schemas.HQGroupURN + ":products",
						"value": []any{map[string]any{"value": "perform", "role": role}}}}}
			}
			b.Run("change_group_grant", func(b *testing.B) {
				commands.Store(0)
				for b.Loop() {
					c.Must(http.StatusNoContent, http.MethodPatch, "/Groups/"+groupID, grant("manager"))
					c.Must(http.StatusNoContent, http.MethodPatch, "/Groups/"+groupID, grant("employee"))
				}
				b.ReportMetric(float64(commands.Load())/float64(2*b.N), "cmds/patch")
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(2*b.N)/1000, "ms/patch")
			})
			b.Run("read_member_access", func(b *testing.B) {
				u := okJSON(b, c, "/Users/u-0000001")
				if access := arr(obj(u, schemas.HQUserURN), "access"); len(access) != 1 {
					b.Fatalf("member's access = %v, want the group's grant", access)
				}
				commands.Store(0)
				for b.Loop() {
					c.Must(http.StatusOK, http.MethodGet, "/Users/u-0000001", nil)
				}
				b.ReportMetric(float64(commands.Load())/float64(b.N), "cmds/op")
			})
		})
	}
}

// benchSizesOr returns the sizes of SCIMHQ_BENCH_USERS, or def.
func benchSizesOr(b *testing.B, def ...int) []int {
	if os.Getenv("SCIMHQ_BENCH_USERS") != "" {
		return benchSizes(b)
	}
	return def
}

// monitoredServer starts a server whose store counts the database commands it sends.
func monitoredServer(b *testing.B, policy func(string) resources.Policy) (*scimtest.Server, *storage.Store, *atomic.Int64) {
	var commands atomic.Int64
	store := storagetest.OpenStoreWith(b, storage.Options{
		Monitor: &event.CommandMonitor{
			Started: func(context.Context, *event.CommandStartedEvent) { commands.Add(1) },
		},
		// A scan of 100,000 users on the embedded engine outlasts the default.
		Timeout: 10 * time.Minute,
	})
	return scimtest.New(b, scimtest.Options{Store: store, Policy: policy}), store, &commands
}

// BenchmarkOnboard onboards the same users three ways, each into an empty database:
// one POST per user, /Bulk in requests of 1,000, and the store's insertMany of the
// documents (no HTTP, no validation: the database's own speed). It reports users per
// second for each and the ratios (target: bulk ≥ 5× single POSTs, ≥ 0.5× insertMany):
//
//	go test ./scim -run '^$' -bench Onboard -benchtime 1x -timeout 60m
//
// SCIMHQ_BENCH_USERS sets the number of users (default 10,000).
func BenchmarkOnboard(b *testing.B) {
	b.Logf("engine: %s", storagetest.Engine())
	n := benchSizesOr(b, 10_000)[0]
	users := make([]map[string]any, n)
	for i := range users {
		users[i] = userWith(fmt.Sprintf("onboard-%06d@example.com", i), map[string]any{
			"name":   map[string]any{"givenName": "On", "familyName": fmt.Sprintf("Board%06d", i)},
			"emails": []any{map[string]any{"value": fmt.Sprintf("onboard-%06d@example.com", i), "type": "work", "primary": true}},
			"active": true,
		})
	}
	rate := func(d time.Duration) float64 { return float64(n) / d.Seconds() }
	for b.Loop() {
		single := func() time.Duration {
			c := scimtest.New(b, scimtest.Options{}).Client()
			start := time.Now()
			for _, u := range users {
				c.Must(http.StatusCreated, http.MethodPost, "/Users", u)
			}
			return time.Since(start)
		}()
		bulk := func() time.Duration {
			c := scimtest.New(b, scimtest.Options{}).Client()
			start := time.Now()
			for first := 0; first < n; first += 1000 {
				ops := make([]map[string]any, 0, 1000)
				for i := first; i < min(first+1000, n); i++ {
					ops = append(ops, map[string]any{"method": "POST", "path": "/Users", "bulkId": fmt.Sprint(i), "data": users[i]})
				}
				resp := c.Must(http.StatusOK, http.MethodPost, "/Bulk", bulkRequest(0, ops...)).JSON(b)
				for _, e := range arr(resp, "Operations") {
					if s := e.(map[string]any)["status"]; s != "201" {
						b.Fatalf("bulk create failed: %v", e)
					}
				}
			}
			return time.Since(start)
		}()
		raw := func() time.Duration {
			store := storagetest.OpenStore(b)
			now := time.Now().UTC()
			start := time.Now()
			for first := 0; first < n; first += 1000 {
				batch := make([]*resources.Resource, 0, 1000)
				for i := first; i < min(first+1000, n); i++ {
					u := users[i]
					batch = append(batch, &resources.Resource{Type: schemas.UserResourceType, Tenant: "default", ID: fmt.Sprintf("raw-%06d", i),
						Attributes: resources.Attributes{"userName": u["userName"], "active": true,
							"name":   resources.Attributes{"givenName": "On", "familyName": fmt.Sprintf("Board%06d", i)},
							"emails": []any{resources.Attributes{"value": u["userName"], "type": "work", "primary": true}}},
						Meta: resources.Meta{Created: now, LastModified: now, Version: 1}})
				}
				if _, err := store.CreateMany(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
			return time.Since(start)
		}()
		b.ReportMetric(rate(single), "single-users/s")
		b.ReportMetric(rate(bulk), "bulk-users/s")
		b.ReportMetric(rate(raw), "insertMany-users/s")
		b.ReportMetric(single.Seconds()/bulk.Seconds(), "bulk/single")
		b.ReportMetric(raw.Seconds()/bulk.Seconds(), "bulk/insertMany")
	}
}
