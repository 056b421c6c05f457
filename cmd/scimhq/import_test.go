package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func listJSON(t *testing.T, srv *running, token, path string) map[string]any {
	t.Helper()
	status, body := srv.do(t, http.MethodGet, path, token, "")
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, status, body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// userNamed returns the user with userName, failing the test when there is none.
func userNamed(t *testing.T, srv *running, token, userName string) map[string]any {
	t.Helper()
	list := listJSON(t, srv, token, "/Users?filter="+url.QueryEscape(`userName eq "`+userName+`"`))
	if list["totalResults"] != float64(1) {
		t.Fatalf("user %s: %v", userName, list)
	}
	return list["Resources"].([]any)[0].(map[string]any)
}

// memberNames returns the userNames of the members of the group named name.
func memberNames(t *testing.T, srv *running, token, name string) []string {
	t.Helper()
	list := listJSON(t, srv, token, "/Groups?filter="+url.QueryEscape(`displayName eq "`+name+`"`))
	if list["totalResults"] != float64(1) {
		t.Fatalf("group %s: %v", name, list)
	}
	var out []string
	members, _ := list["Resources"].([]any)[0].(map[string]any)["members"].([]any)
	for _, m := range members {
		user := listJSON(t, srv, token, "/Users/"+m.(map[string]any)["value"].(string))
		out = append(out, user["userName"].(string))
	}
	return out
}

func wantReport(t *testing.T, report string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %s:\n%s", want, report)
		}
	}
}

// proxy is an httptest reverse proxy in front of scimhq that makes it look like another
// SCIM server.
type proxy struct {
	hideProducts bool // /Products answers 404: the server has no catalog
	noBulk       bool // ServiceProviderConfig says bulk.supported=false; /Bulk answers 501
	patch204     bool // PATCH answers 204 without a body (RFC 7644 §3.5.2 allows it)
	bulkCalls    atomic.Int32
}

func (p *proxy) start(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		switch {
		case p.noBulk && strings.HasSuffix(resp.Request.URL.Path, "/ServiceProviderConfig"):
			var spc map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&spc); err != nil {
				return err
			}
			spc["bulk"].(map[string]any)["supported"] = false
			data, _ := json.Marshal(spc)
			resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(data)), int64(len(data))
			resp.Header.Del("Content-Length")
		case p.patch204 && resp.Request.Method == http.MethodPatch && resp.StatusCode == http.StatusOK:
			resp.StatusCode, resp.Status = http.StatusNoContent, "204 No Content"
			resp.Body, resp.ContentLength = http.NoBody, 0
			resp.Header.Del("Content-Length")
			resp.Header.Del("Content-Type")
		}
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case p.hideProducts && strings.Contains(r.URL.Path, "/Products"):
			http.Error(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404","detail":"no such endpoint"}`, http.StatusNotFound)
		case strings.HasSuffix(r.URL.Path, "/Bulk"):
			p.bulkCalls.Add(1)
			if p.noBulk {
				http.Error(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"501","detail":"bulk is not supported"}`, http.StatusNotImplemented)
				return
			}
			rp.ServeHTTP(w, r)
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/scim/v2"
}

func TestImportTemplateAndHeadings(t *testing.T) {
	// The template has headings an admin reads, an example row, and imports as it is.
	tmpl, _, err := runCommand(t, "import", "--template")
	if err != nil || !strings.HasPrefix(tmpl, "First name,Last name,Email,Role in HQ") || strings.Count(tmpl, "\n") != 2 {
		t.Fatalf("template: %q %v", tmpl, err)
	}
	if out, _, err := runCommand(t, "import", "--dry-run", writeFile(t, "t.csv", tmpl)); err != nil || !strings.Contains(out, "1 users") {
		t.Fatalf("the template does not validate: %q %v", out, err)
	}
	// The headings of HQ's own bulk-upload file, and its words for the HQ roles.
	for _, header := range []string{
		"Name,Last Name,Email,Role in Mitratech HQ,Role in the individual products",
		"Name,Last Name,Email,Role in HQ,Role in the individual products",
	} {
		file := header + "\nAda,Lovelace,ada@example.com,Admin users,hire:recruiter\nGrace,Hopper,grace@example.com,Basic users,\n"
		if out, errOut, err := runCommand(t, "import", "--dry-run", writeFile(t, "hq.csv", file)); err != nil || !strings.Contains(out, "2 users") {
			t.Fatalf("headings %q: %q %q %v", header, out, errOut, err)
		}
	}
}

func TestImportReportsLineAndColumn(t *testing.T) {
	// Line 2's department spans two lines and line 4 is blank: rows are not counted but
	// found where they are. Errors name the admin's column by letter and heading.
	bad := "First name,Surname,Email,Role in HQ,Products,Timezone,Department\n" +
		"Ada,Lovelace,ada@example.com,admin,hire:recruiter,Europe/London,\"Research\nand Development\"\n" +
		"\n" +
		",Hopper,grace at example,superuser,,Mars/Base,\n" +
		"Alan,Turing,ada@example.com,basic,:x,,\n" +
		"Bob,\"Two\nLines\",bob@example.com,,,Nowhere/Town,\n" +
		"Carl,Sagan,carl@example.com,basic,,\"Europe/London\"x,\n"
	_, errOut, err := runCommand(t, "import", "--dry-run", writeFile(t, "bad.csv", bad))
	if exitCode(err) != 1 {
		t.Fatalf("bad file: exit %d (%v), want 1", exitCode(err), err)
	}
	wantReport(t, errOut, `line 5, column A "First name": is empty`, `line 5, column C "Email": "grace at example"`,
		`line 5, column D "Role in HQ": "superuser"`, `line 5, column F "Timezone": "Mars/Base"`,
		`line 6, column C "Email": "ada@example.com" is also on line 2`, `line 6, column E "Products"`,
		`line 8, column F "Timezone": "Nowhere/Town"`, `line 9: is not valid CSV`)
	if strings.Contains(errOut, `column B "Surname"`) {
		t.Errorf("a filled-in last name was reported:\n%s", errOut)
	}

	// Unknown and repeated headings, and missing required ones.
	_, errOut, _ = runCommand(t, "import", "--dry-run", writeFile(t, "h.csv", "Name,First name,Colour\nAda,Ada,red\n"))
	wantReport(t, errOut, `line 1, column B "First name": is the first name, like column A "Name"`,
		`line 1, column C "Colour": is not a column this import knows`, `no column for the last name (e.g. "Last name")`)
}

func TestImportCSV(t *testing.T) {
	const token = "import-test-token-1"
	srv := startServe(t, "--data-dir", t.TempDir(), "--token", token)
	base := srv.base + "/scim/v2"
	count := func(path string) float64 { return listJSON(t, srv, token, path+"?count=0")["totalResults"].(float64) }

	// Products are checked against the server's /Products before anything is created,
	// a group included, and by --dry-run too, naming what is allowed.
	wrong := "Name,Last Name,Email,Role in Mitratech HQ,Role in the individual products,Groups\n" +
		"Ada,Lovelace,ada@example.com,admin,hire:boss,Team\n" +
		"Grace,Hopper,grace@example.com,,notaproduct,Team\n"
	for _, dry := range []bool{true, false} {
		args := []string{"import", "--url", base, "--token", token, writeFile(t, "wrong.csv", wrong)}
		if dry {
			args = append(args[:1], append([]string{"--dry-run"}, args[1:]...)...)
		}
		_, errOut, err := runCommand(t, args...)
		if exitCode(err) != 1 {
			t.Fatalf("wrong products (dry run %v): exit %d %v", dry, exitCode(err), err)
		}
		wantReport(t, errOut, `line 2, column E "Role in the individual products": hire has no role "boss"; its roles, lowest first, are: interviewer, recruiter, admin`,
			`line 3, column E "Role in the individual products": "notaproduct" is not a product of this organisation; its products are: hire (Hire), perform (Perform), insights (Insights)`)
	}
	if count("/Users") != 0 || count("/Groups") != 0 {
		t.Fatal("a file with a wrong product created something")
	}

	// HQ's own headings; product names as the admin writes them.
	good := "Name,Last Name,Email,Role in Mitratech HQ,Role in the individual products,Department,Timezone,Groups\n" +
		"Ada,Lovelace,ada@example.com,Admin users,Hire:Recruiter; perform,Engineering,Europe/London,Analysts; London\n" +
		"Grace,Hopper,grace@example.com,,insights,,,Analysts\n"
	out, errOut, err := runCommand(t, "import", "--url", base, "--token", token, writeFile(t, "good.csv", good))
	if err != nil || !strings.Contains(out, "created 2, updated 0, failed 0") {
		t.Fatalf("import: %v %q %q", err, out, errOut)
	}
	ada := userNamed(t, srv, token, "ada@example.com")
	hq := ada["urn:ietf:params:scim:schemas:extension:scimhq:2.0:User"].(map[string]any)
	grant := hq["products"].([]any)[0].(map[string]any)
	if hq["hqRole"] != "admin" || grant["value"] != "hire" || grant["role"] != "recruiter" || len(ada["groups"].([]any)) != 2 || ada["timezone"] != "Europe/London" {
		t.Fatalf("imported user: %v", ada)
	}
	if got := memberNames(t, srv, token, "Analysts"); len(got) != 2 {
		t.Fatalf("group Analysts: %v", got)
	}

	// Running it again updates the users instead of duplicating them.
	fixed := strings.Replace(good, "Ada,Lovelace", "Ada,King", 1)
	out, _, err = runCommand(t, "import", "--url", base, "--token", token, "--no-bulk", writeFile(t, "fixed.csv", fixed))
	if err != nil || !strings.Contains(out, "created 0, updated 2, failed 0") || count("/Users") != 2 {
		t.Fatalf("re-run: %q %v", out, err)
	}
	if name := userNamed(t, srv, token, "ada@example.com")["name"].(map[string]any); name["familyName"] != "King" {
		t.Fatalf("the re-run did not update: %v", name)
	}
}

// A row the server rejects fails alone: the rows beside it in the same /Bulk request
// still join their groups.
func TestImportOneBadRowKeepsOtherMemberships(t *testing.T) {
	const token = "import-test-token-2"
	srv := startServe(t, "--data-dir", t.TempDir(), "--token", token)
	p := &proxy{hideProducts: true} // no catalog: the product is the server's to reject
	base := p.start(t, srv.base)
	file := "First name,Last name,Email,Products,Groups\n" +
		"Ann,Able,a@example.com,hire,Team\n" +
		"Ben,Bad,b@example.com,notaproduct,Team\n" +
		"Cat,Cole,c@example.com,,Team\n"
	out, _, err := runCommand(t, "import", "--dry-run", "--url", base, "--token", token, writeFile(t, "f.csv", file))
	if err != nil || !strings.Contains(out, "the server has no /Products catalog") {
		t.Fatalf("dry run without a catalog: %q %v", out, err)
	}
	out, errOut, err := runCommand(t, "import", "--url", base, "--token", token, writeFile(t, "f.csv", file))
	if exitCode(err) != 1 || !strings.Contains(out, "created 2, updated 0, failed 1") || p.bulkCalls.Load() == 0 {
		t.Fatalf("import: exit %d, %q, %q (%d bulk requests)", exitCode(err), out, errOut, p.bulkCalls.Load())
	}
	wantReport(t, errOut, "line 3 (b@example.com):", "notaproduct")
	if strings.Contains(errOut, "line 2") || strings.Contains(errOut, "line 4") {
		t.Fatalf("good rows reported as failed:\n%s", errOut)
	}
	if got := strings.Join(memberNames(t, srv, token, "Team"), " "); got != "a@example.com c@example.com" && got != "c@example.com a@example.com" {
		t.Fatalf("Team members: %q, want a and c", got)
	}
}

// Against a server without /Bulk whose PATCH answers 204, updated users join groups by
// the ids they are known by.
func TestImportFallbackWithoutBulk(t *testing.T) {
	const token = "import-test-token-3"
	srv := startServe(t, "--data-dir", t.TempDir(), "--token", token)
	p := &proxy{noBulk: true, patch204: true}
	base := p.start(t, srv.base)
	file := "First name,Last name,Email,Groups\nAnn,Able,a@example.com,Team\nCat,Cole,c@example.com,Team\n"
	out, errOut, err := runCommand(t, "import", "--url", base, "--token", token, writeFile(t, "f.csv", file))
	if err != nil || !strings.Contains(out, "created 2, updated 0, failed 0") {
		t.Fatalf("first import: %v %q %q", err, out, errOut)
	}
	// The second run updates both users (PATCH, 204) and adds them to a new group.
	again := strings.ReplaceAll(file, ",Team\n", ",Team; Second\n")
	out, errOut, err = runCommand(t, "import", "--url", base, "--token", token, writeFile(t, "g.csv", again))
	if err != nil || !strings.Contains(out, "created 0, updated 2, failed 0") {
		t.Fatalf("second import: %v %q %q", err, out, errOut)
	}
	if p.bulkCalls.Load() != 0 {
		t.Fatalf("%d /Bulk requests to a server that does not support bulk", p.bulkCalls.Load())
	}
	for _, g := range []string{"Team", "Second"} {
		if got := memberNames(t, srv, token, g); len(got) != 2 {
			t.Fatalf("group %s members: %v", g, got)
		}
	}
}
