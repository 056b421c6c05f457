package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/scimhq/scimhq/schemas"
)

// importCommand onboards the users of a CSV file into any SCIM server: every row is
// checked first (nothing is sent when one is wrong); users that exist (same userName)
// are updated, the others created; groups named in the file are created when missing;
// requests go through /Bulk when the server supports it, one by one otherwise.
// Exit status: 0 when every row made it, 1 when some did not, 2 for a usage error.
func importCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("scimhq import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", os.Getenv("SCIMHQ_URL"), "SCIM root of the server, e.g. http://localhost:8080/scim/v2 (env SCIMHQ_URL)")
	token := fs.String("token", os.Getenv("SCIMHQ_TOKEN"), "bearer token (env SCIMHQ_TOKEN)")
	template := fs.Bool("template", false, "print the CSV template (header and an example row) and exit")
	dryRun := fs.Bool("dry-run", false, "check the file only; send nothing")
	noBulk := fs.Bool("no-bulk", false, "send one request per change even when the server supports /Bulk")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: scimhq import [flags] users.csv | scimhq import --template")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *template {
		return writeTemplate(stdout)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitStatus{2, errors.New("import: name one CSV file")}
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return exitStatus{2, err}
	}
	rows, problems := readCSV(f)
	f.Close()
	var c *scimClient
	if *base != "" && *token != "" {
		c = newSCIMClient(*base, *token)
	}
	wrong, catalogNote, err := checkCatalog(ctx, c, rows)
	if err != nil {
		return err
	}
	problems = append(problems, wrong...)
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].line < problems[j].line })
		for _, p := range problems {
			fmt.Fprintln(stderr, p)
		}
		return exitStatus{1, fmt.Errorf("%d problem(s) in %s; nothing was sent", len(problems), fs.Arg(0))}
	}
	if *dryRun {
		fmt.Fprintf(stdout, "%d users in %s are valid%s; nothing was sent (--dry-run)\n", len(rows), fs.Arg(0), catalogNote)
		return nil
	}
	if c == nil {
		return exitStatus{2, errors.New("import: --url and --token are required (or SCIMHQ_URL and SCIMHQ_TOKEN)")}
	}
	imp := &importer{c: c, progress: newProgress(stderr, len(rows))}
	if err := imp.prepare(ctx, rows, !*noBulk); err != nil {
		return err
	}
	imp.run(ctx, rows)
	imp.progress.done()
	for _, f := range imp.failures {
		fmt.Fprintln(stderr, f)
	}
	fmt.Fprintf(stdout, "created %d, updated %d, failed %d (of %d rows)\n", imp.created, imp.updated, len(imp.failures), len(rows))
	if len(imp.failures) > 0 {
		return exitStatus{1, fmt.Errorf("%d row(s) did not make it", len(imp.failures))}
	}
	return nil
}

// checkCatalog checks the rows' product grants against the server's /Products with the
// rest of the file: before anything (a group included) is created, and by --dry-run
// too. note says when they could not be checked.
func checkCatalog(ctx context.Context, c *scimClient, rows []csvRow) (problems []rowError, note string, err error) {
	if !slices.ContainsFunc(rows, func(r csvRow) bool { return len(r.products) > 0 }) {
		return nil, "", nil
	}
	if c == nil {
		return nil, "; product roles were not checked (give --url and --token to check them against the server)", nil
	}
	catalog, ok, err := c.products(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("reading the server's product catalog: %w", err)
	}
	if !ok {
		return nil, "; the server has no /Products catalog, so it checks the product roles itself", nil
	}
	return checkProducts(rows, catalog), "", nil
}

// importer carries an import through.
type importer struct {
	c        *scimClient
	progress *progress
	bulkSize int               // 0: no bulk
	users    map[string]string // lower-cased userName → id
	groups   map[string]string // lower-cased displayName → id

	created, updated int
	failures         []string // one per row that did not make it
}

// prepare learns what the server supports, which users and groups exist, and creates
// the groups the file names that do not.
func (imp *importer) prepare(ctx context.Context, rows []csvRow, useBulk bool) error {
	var spc struct {
		Bulk struct {
			Supported     bool
			MaxOperations int
		}
	}
	if _, err := imp.c.do(ctx, http.MethodGet, "/ServiceProviderConfig", nil, &spc); err != nil {
		return fmt.Errorf("reading the server's configuration: %w", err)
	}
	if useBulk && spc.Bulk.Supported {
		imp.bulkSize = min(max(spc.Bulk.MaxOperations, 0), 500)
		if imp.bulkSize < 2 {
			imp.bulkSize = 0
		}
	}
	var err error
	if imp.users, err = imp.c.index(ctx, "/Users", "userName"); err != nil {
		return fmt.Errorf("listing existing users: %w", err)
	}
	if imp.groups, err = imp.c.index(ctx, "/Groups", "displayName"); err != nil {
		return fmt.Errorf("listing existing groups: %w", err)
	}
	for _, row := range rows {
		for _, g := range row.groups {
			if _, ok := imp.groups[strings.ToLower(g)]; ok {
				continue
			}
			var created struct{ ID string }
			body := map[string]any{"schemas": []string{schemas.GroupURN}, "displayName": g}
			if _, err := imp.c.do(ctx, http.MethodPost, "/Groups", body, &created); err != nil {
				return fmt.Errorf("creating group %q: %w", g, err)
			}
			imp.groups[strings.ToLower(g)] = created.ID
		}
	}
	return nil
}

// request is one SCIM change: sent alone, or as an operation of a /Bulk request.
type request struct {
	Method string         `json:"method"`
	Path   string         `json:"path"`
	BulkID string         `json:"bulkId,omitempty"`
	Data   map[string]any `json:"data,omitempty"`
}

// outcome is how a request went: the id of the resource it created, or why it failed.
type outcome struct {
	id  string
	err error
}

// done is a row whose user was created or updated; joining its groups comes next.
type done struct {
	row    csvRow
	method string
	id     string
	errs   []string // groups it could not join
}

// change is what one row becomes: a create of the user, or an update of the user that
// has its userName (whose id is then known).
func (imp *importer) change(row csvRow) (request, string) {
	if id, ok := imp.users[strings.ToLower(row.userName)]; ok {
		u := row.user()
		delete(u, "schemas")
		delete(u, "userName")
		return request{Method: http.MethodPatch, Path: "/Users/" + id, Data: map[string]any{
			"schemas":    []string{schemas.PatchOpURN},
			"Operations": []any{map[string]any{"op": "replace", "value": u}},
		}}, id
	}
	return request{Method: http.MethodPost, Path: "/Users", BulkID: fmt.Sprintf("line%d", row.line), Data: row.user()}, ""
}

func (imp *importer) fail(row csvRow, why string) {
	imp.failures = append(imp.failures, fmt.Sprintf("line %d (%s): %s", row.line, row.userName, why))
}

// run sends the rows chunk by chunk: first the users, then, with the ids of those that
// made it, their group memberships.
func (imp *importer) run(ctx context.Context, rows []csvRow) {
	size := imp.bulkSize
	if size == 0 {
		size = 50 // one request per change: the progress bar moves every 50 rows
	}
	for start := 0; start < len(rows); start += size {
		chunk := rows[start:min(start+size, len(rows))]
		ok := imp.sendUsers(ctx, chunk)
		imp.join(ctx, ok)
		for _, d := range ok {
			switch {
			case len(d.errs) > 0:
				verb := map[string]string{http.MethodPost: "created", http.MethodPatch: "updated"}[d.method]
				imp.fail(d.row, fmt.Sprintf("the user was %s, but %s", verb, strings.Join(d.errs, "; ")))
			case d.method == http.MethodPost:
				imp.created++
			default:
				imp.updated++
			}
		}
		imp.progress.add(len(chunk))
	}
}

// sendUsers creates or updates the chunk's users and returns those that made it.
func (imp *importer) sendUsers(ctx context.Context, chunk []csvRow) []*done {
	reqs := make([]request, len(chunk))
	known := make([]string, len(chunk))
	for i, row := range chunk {
		reqs[i], known[i] = imp.change(row)
	}
	var ok []*done
	for i, o := range imp.send(ctx, reqs) {
		if o.err != nil {
			imp.fail(chunk[i], o.err.Error())
			continue
		}
		// An update's answer may carry no resource (PATCH may answer 204): its id is
		// the one it was sent to.
		id := cmp.Or(known[i], o.id)
		ok = append(ok, &done{row: chunk[i], method: reqs[i].Method, id: id})
	}
	return ok
}

// membership is members to add to a group.
type membership struct {
	group   string
	members []*done
}

// join adds the users just created or updated to their groups, by their ids, in
// requests sent after the users' own: a group PATCH naming a user whose create failed
// would fail whole, and take the other rows' memberships with it.
func (imp *importer) join(ctx context.Context, ok []*done) {
	byGroup := map[string]*membership{}
	var joins []membership
	var order []string
	for _, d := range ok {
		if len(d.row.groups) > 0 && d.id == "" {
			id, err := imp.c.userID(ctx, d.row.userName)
			if err != nil {
				d.errs = append(d.errs, "its groups could not be joined: "+err.Error())
				continue
			}
			d.id = id
		}
		for _, g := range d.row.groups {
			key := strings.ToLower(g)
			if byGroup[key] == nil {
				byGroup[key] = &membership{group: g}
				order = append(order, key)
			}
			byGroup[key].members = append(byGroup[key].members, d)
		}
	}
	for _, key := range order {
		joins = append(joins, *byGroup[key])
	}
	imp.patchGroups(ctx, joins, true)
}

// patchGroups sends one PATCH per group. One that fails with several members is tried
// again member by member, so that the failure lands on the rows it belongs to.
func (imp *importer) patchGroups(ctx context.Context, joins []membership, retry bool) {
	reqs := make([]request, len(joins))
	for i, j := range joins {
		ids := make([]string, len(j.members))
		for k, d := range j.members {
			ids[k] = d.id
		}
		reqs[i] = request{Method: http.MethodPatch, Path: "/Groups/" + imp.groups[strings.ToLower(j.group)], Data: addMembers(ids...)}
	}
	var again []membership
	for i, o := range imp.send(ctx, reqs) {
		switch {
		case o.err == nil:
		case retry && len(joins[i].members) > 1:
			for _, d := range joins[i].members {
				again = append(again, membership{group: joins[i].group, members: []*done{d}})
			}
		default:
			for _, d := range joins[i].members {
				d.errs = append(d.errs, fmt.Sprintf("joining group %q failed: %v", joins[i].group, o.err))
			}
		}
	}
	if len(again) > 0 {
		imp.patchGroups(ctx, again, false)
	}
}

func addMembers(ids ...string) map[string]any {
	members := []any{}
	for _, id := range ids {
		members = append(members, map[string]any{"value": id})
	}
	return map[string]any{"schemas": []string{schemas.PatchOpURN},
		"Operations": []any{map[string]any{"op": "add", "path": "members", "value": members}}}
}

// send sends requests: in /Bulk requests of at most bulkSize operations when the server
// has /Bulk, one by one otherwise.
func (imp *importer) send(ctx context.Context, reqs []request) []outcome {
	out := make([]outcome, len(reqs))
	if imp.bulkSize == 0 {
		for i, r := range reqs {
			var res struct{ ID string }
			rep, err := imp.c.do(ctx, r.Method, r.Path, r.Data, &res)
			out[i] = outcome{id: cmp.Or(res.ID, lastSegment(rep.location)), err: err}
		}
		return out
	}
	for start := 0; start < len(reqs); start += imp.bulkSize {
		end := min(start+imp.bulkSize, len(reqs))
		imp.bulk(ctx, reqs[start:end], out[start:end])
	}
	return out
}

// bulk sends requests as one /Bulk request and writes their outcomes into out.
func (imp *importer) bulk(ctx context.Context, reqs []request, out []outcome) {
	var resp struct {
		Operations []struct {
			Method, BulkID, Location, Status string
			Response                         struct{ Detail string }
		}
	}
	body := map[string]any{"schemas": []string{schemas.BulkRequestURN}, "Operations": reqs}
	if _, err := imp.c.do(ctx, http.MethodPost, "/Bulk", body, &resp); err != nil {
		for i := range out {
			out[i].err = err
		}
		return
	}
	answered := make([]bool, len(reqs))
	for _, r := range resp.Operations {
		i := answers(reqs, answered, r.BulkID, r.Method, r.Location)
		if i < 0 {
			continue
		}
		answered[i] = true
		if !strings.HasPrefix(r.Status, "2") {
			out[i].err = fmt.Errorf("%s (status %s)", cmp.Or(r.Response.Detail, "no detail given"), r.Status)
			continue
		}
		out[i].id = lastSegment(r.Location)
	}
	for i := range out {
		if !answered[i] {
			out[i].err = errors.New("the server's bulk response does not mention this operation")
		}
	}
}

// answers finds the request a BulkResponse entry answers: by bulkId, else by location
// (the path of a PATCH), else the first not yet answered: servers answer in request
// order, though RFC 7644 does not promise it.
func answers(reqs []request, answered []bool, bulkID, method, location string) int {
	first := -1
	for i, r := range reqs {
		switch {
		case answered[i]:
		case bulkID != "":
			if r.BulkID == bulkID {
				return i
			}
		case location != "" && r.BulkID == "" && strings.EqualFold(method, r.Method) && strings.HasSuffix(location, r.Path):
			return i
		case first < 0:
			first = i
		}
	}
	if bulkID != "" {
		return -1
	}
	return first
}
