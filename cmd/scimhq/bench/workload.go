package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

const (
	userURN  = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupURN = "urn:ietf:params:scim:schemas:core:2.0:Group"
	patchURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	bulkURN  = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
)

// workload holds a run's data: the users and group it prepared, for the requests to
// use and for clean-up.
type workload struct {
	c      *client
	cfg    Config
	tag    string
	users  []string // ids
	group  string
	groups []string // the groups workload's groups, one per size
	batch  int      // users per /Bulk request; 0 without /Bulk
	mu     sync.Mutex
	extra  []string // paths of resources created during the run
}

func userName(tag string, i int) string   { return fmt.Sprintf("%s-%06d@example.com", tag, i) }
func externalID(tag string, i int) string { return fmt.Sprintf("%s-ext-%06d", tag, i) }

// attributes are user i's attributes; tag tells runs (and the baseline's users) apart.
func (w *workload) attributes(tag string, i int) map[string]any {
	return map[string]any{
		"userName": userName(tag, i), "externalId": externalID(tag, i),
		"name":   map[string]any{"givenName": "Bench", "familyName": fmt.Sprintf("Family%06d", (i*7919)%max(w.cfg.Users, 1))},
		"emails": []any{map[string]any{"value": userName(tag, i), "type": "work", "primary": true}},
		"active": true,
	}
}

func (w *workload) userBody(i int) map[string]any {
	body := w.attributes(w.tag, i)
	body["schemas"] = []any{userURN}
	return body
}

// prepare creates the users and the group the workload reads and changes.
func (w *workload) prepare(ctx context.Context) error {
	switch w.cfg.Workload {
	case "onboard":
		w.batch = w.bulkBatch(ctx)
		return nil
	case "groups":
		w.batch = w.bulkBatch(ctx)
		return w.prepareGroups(ctx)
	}
	for i := 0; i < w.cfg.Users; i++ {
		var created struct{ ID string }
		if err := w.c.do(ctx, prep(http.MethodPost, "/Users", w.userBody(i), http.StatusCreated), &created); err != nil {
			return err
		}
		w.users = append(w.users, created.ID)
	}
	var g struct{ ID string }
	body := map[string]any{"schemas": []any{groupURN}, "displayName": w.tag + "-group", "members": []any{}}
	if err := w.c.do(ctx, prep(http.MethodPost, "/Groups", body, http.StatusCreated), &g); err != nil {
		return err
	}
	w.group = g.ID
	return nil
}

// prep is a preparation request: sent, but not measured.
func prep(method, path string, body any, want int) request {
	return request{kind: "prepare", method: method, path: path, body: body, want: want}
}

// cleanUp deletes what the run created.
func (w *workload) cleanUp() {
	if w.cfg.SkipCleanup {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	paths := append([]string{}, w.extra...)
	if w.group != "" {
		paths = append(paths, "/Groups/"+w.group)
	}
	for _, id := range w.users {
		paths = append(paths, "/Users/"+id)
	}
	for _, p := range paths {
		_ = w.c.do(ctx, request{kind: "cleanup", method: http.MethodDelete, path: p, want: http.StatusNoContent}, nil)
	}
}

// run sends the workload's requests from Concurrency clients until the request budget
// or the duration is spent. The budget counts HTTP requests: every step sends one.
func (w *workload) run(ctx context.Context) {
	if w.cfg.Workload == "onboard" {
		w.onboard(ctx)
		return
	}
	var budget atomic.Int64
	budget.Store(int64(w.cfg.Requests))
	deadline := time.Now().Add(w.cfg.Duration)
	more := func() bool {
		if w.cfg.Requests > 0 {
			return budget.Add(-1) >= 0
		}
		return time.Now().Before(deadline) && ctx.Err() == nil
	}
	if w.cfg.Workload == "groups" {
		w.runGroups(ctx, more)
		return
	}
	var wg sync.WaitGroup
	for n := range w.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := &lane{n: n, r: rand.New(rand.NewPCG(uint64(n), uint64(time.Now().UnixNano()))), pending: -1}
			for more() {
				w.step(ctx, l)
			}
		}()
	}
	wg.Wait()
}

// lane is one client's state between its requests.
type lane struct {
	n int
	r *rand.Rand
	// pending is the user this client added to the group and must remove next (-1:
	// none): Okta pushes a membership as an add, then a remove, one request each.
	pending int
}

// next is the lane's next choice among n kinds of request, or -1 when it must first
// remove the member it added: adds and removes pair up, so that every remove takes out
// a real membership, as identity providers remove members they assigned.
func (l *lane) next(n int) int {
	if l.pending >= 0 {
		return -1
	}
	return l.r.IntN(n)
}

func patchBody(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for k, op := range ops {
		list[k] = op
	}
	return map[string]any{"schemas": []any{patchURN}, "Operations": list}
}

// step sends one request of the workload's mix. Client n works on its own share of the
// users, so that clients never undo each other's member changes.
func (w *workload) step(ctx context.Context, l *lane) {
	share := max(len(w.users)/w.cfg.Concurrency, 1)
	i := min(l.n%len(w.users)+w.cfg.Concurrency*l.r.IntN(share), len(w.users)-1)
	id := w.users[i]
	user := ref{user: i}
	member := ref{user: i, group: w.group}
	filter := func(f string) string { return url.QueryEscape(f) }
	var r request
	switch w.cfg.Workload {
	case "read":
		switch l.r.IntN(3) {
		case 0:
			r = request{kind: "GET user", op: OpGetUser, at: user, method: http.MethodGet, path: "/Users/" + id}
		case 1:
			r = request{kind: "filter userName eq", op: OpFindUserName, at: user, method: http.MethodGet,
				path: "/Users?filter=" + filter(`userName eq "`+userName(w.tag, i)+`"`)}
		default:
			skip := l.r.IntN(max(len(w.users)-99, 1))
			r = request{kind: "page of 100 sorted", op: OpPage, at: ref{skip: skip}, method: http.MethodGet,
				path: fmt.Sprintf("/Users?sortBy=name.familyName&count=100&startIndex=%d", 1+skip)}
		}
	case "okta-sync":
		switch l.next(4) {
		case -1:
			gone := w.users[l.pending]
			r = request{kind: "okta: member remove", op: OpMemberRemove, at: ref{user: l.pending, group: w.group}, method: http.MethodPatch,
				path: "/Groups/" + w.group, body: patchBody(map[string]any{"op": "remove", "path": `members[value eq "` + gone + `"]`})}
			l.pending = -1
		case 0:
			r = request{kind: "okta: find by userName", op: OpFindUserName, at: user, method: http.MethodGet,
				path: "/Users?filter=" + filter(`userName eq "`+userName(w.tag, i)+`"`) + "&startIndex=1&count=100"}
		case 1:
			r = request{kind: "okta: GET user", op: OpGetUser, at: user, method: http.MethodGet, path: "/Users/" + id}
		case 2:
			r = request{kind: "okta: deactivate", op: OpSetActive, at: user, method: http.MethodPatch, path: "/Users/" + id,
				body: patchBody(map[string]any{"op": "replace", "value": map[string]any{"active": l.r.IntN(2) == 0}})}
		default:
			r = request{kind: "okta: member add", op: OpMemberAdd, at: member, method: http.MethodPatch, path: "/Groups/" + w.group,
				body: patchBody(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id}}})}
			l.pending = i
		}
	case "entra-sync":
		switch l.next(3) {
		case -1:
			gone := w.users[l.pending]
			r = request{kind: "entra: member remove", op: OpMemberRemove, at: ref{user: l.pending, group: w.group}, method: http.MethodPatch, path: "/Groups/" + w.group,
				body: patchBody(map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": gone}}})}
			l.pending = -1
		case 0:
			r = request{kind: "entra: find by externalId", op: OpFindExternalID, at: user, method: http.MethodGet,
				path: "/Users?filter=" + filter(`externalId eq "`+externalID(w.tag, i)+`"`)}
		case 1:
			r = request{kind: "entra: patch attributes", op: OpSetAttributes, at: user, method: http.MethodPatch, path: "/Users/" + id, body: patchBody(
				map[string]any{"op": "Replace", "path": "active", "value": []string{"True", "False"}[l.r.IntN(2)]},
				map[string]any{"op": "Replace", "path": "title", "value": fmt.Sprintf("Title %d", l.r.IntN(100))},
			)}
		default:
			r = request{kind: "entra: member add", op: OpMemberAdd, at: member, method: http.MethodPatch, path: "/Groups/" + w.group,
				body: patchBody(map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"value": id}}})}
			l.pending = i
		}
	}
	r.want = http.StatusOK
	_ = w.c.do(ctx, r, nil)
}
