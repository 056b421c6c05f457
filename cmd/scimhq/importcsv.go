package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
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
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, p)
		}
		return exitStatus{1, fmt.Errorf("%d problem(s) in %s; nothing was sent", len(problems), fs.Arg(0))}
	}
	if *dryRun {
		fmt.Fprintf(stdout, "%d users in %s are valid; nothing was sent (--dry-run)\n", len(rows), fs.Arg(0))
		return nil
	}
	if *base == "" || *token == "" {
		return exitStatus{2, errors.New("import: --url and --token are required (or SCIMHQ_URL and SCIMHQ_TOKEN)")}
	}
	imp := &importer{c: newSCIMClient(*base, *token), out: stdout, progress: newProgress(stderr, len(rows))}
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

// importer carries an import through.
type importer struct {
	c        *scimClient
	out      io.Writer
	progress *progress
	bulkSize int               // 0: no bulk
	users    map[string]string // lower-cased userName → id
	groups   map[string]string // lower-cased displayName → id

	created, updated int
	failures         []string
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

// change is what one row becomes: a create or an update of the user, and the groups it
// joins.
func (imp *importer) change(row csvRow) (method, path string, body map[string]any) {
	if id, ok := imp.users[strings.ToLower(row.userName)]; ok {
		u := row.user()
		delete(u, "schemas")
		delete(u, "userName")
		return http.MethodPatch, "/Users/" + id, map[string]any{
			"schemas":    []string{schemas.PatchOpURN},
			"Operations": []any{map[string]any{"op": "replace", "value": u}},
		}
	}
	return http.MethodPost, "/Users", row.user()
}

func (imp *importer) fail(row csvRow, why string) {
	imp.failures = append(imp.failures, fmt.Sprintf("line %d (%s): %s", row.line, row.userName, why))
}

func (imp *importer) succeed(method string) {
	if method == http.MethodPost {
		imp.created++
	} else {
		imp.updated++
	}
}

func (imp *importer) run(ctx context.Context, rows []csvRow) {
	if imp.bulkSize == 0 {
		for _, row := range rows {
			imp.single(ctx, row)
			imp.progress.add(1)
		}
		return
	}
	for start := 0; start < len(rows); start += imp.bulkSize / 2 {
		chunk := rows[start:min(start+imp.bulkSize/2, len(rows))]
		imp.bulk(ctx, chunk)
		imp.progress.add(len(chunk))
	}
}

// single sends one row as single requests.
func (imp *importer) single(ctx context.Context, row csvRow) {
	method, path, body := imp.change(row)
	var res struct{ ID string }
	if _, err := imp.c.do(ctx, method, path, body, &res); err != nil {
		imp.fail(row, err.Error())
		return
	}
	imp.succeed(method)
	for _, g := range row.groups {
		if _, err := imp.c.do(ctx, http.MethodPatch, "/Groups/"+imp.groups[strings.ToLower(g)], addMembers(res.ID), nil); err != nil {
			imp.fail(row, fmt.Sprintf("joining group %q: %v", g, err))
		}
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

// bulk sends a chunk of rows as one bulk request: the users' creates and updates, then
// one PATCH per group adding the chunk's members (new users by bulkId reference).
func (imp *importer) bulk(ctx context.Context, chunk []csvRow) {
	var ops []any
	owner := map[int]csvRow{}      // operation index → row
	joins := map[string][]string{} // group id → member references
	for _, row := range chunk {
		method, path, body := imp.change(row)
		op := map[string]any{"method": method, "path": path, "data": body}
		ref := strings.TrimPrefix(path, "/Users/")
		if method == http.MethodPost {
			op["bulkId"] = fmt.Sprintf("line%d", row.line)
			ref = "bulkId:" + op["bulkId"].(string)
		}
		owner[len(ops)] = row
		ops = append(ops, op)
		for _, g := range row.groups {
			gid := imp.groups[strings.ToLower(g)]
			joins[gid] = append(joins[gid], ref)
		}
	}
	for gid, refs := range joins {
		ops = append(ops, map[string]any{"method": http.MethodPatch, "path": "/Groups/" + gid, "data": addMembers(refs...)})
	}
	var resp struct {
		Operations []struct {
			Status   string
			Response struct{ Detail string }
		}
	}
	body := map[string]any{"schemas": []string{schemas.BulkRequestURN}, "Operations": ops}
	if _, err := imp.c.do(ctx, http.MethodPost, "/Bulk", body, &resp); err != nil {
		for _, row := range chunk {
			imp.fail(row, err.Error())
		}
		return
	}
	for i, r := range resp.Operations {
		row, isRow := owner[i]
		ok := strings.HasPrefix(r.Status, "2")
		switch {
		case isRow && ok:
			imp.succeed(ops[i].(map[string]any)["method"].(string))
		case isRow:
			imp.fail(row, r.Response.Detail)
		case !ok:
			imp.failures = append(imp.failures, "adding members to a group: "+r.Response.Detail)
		}
	}
}
