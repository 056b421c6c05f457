package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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

func TestImportCSV(t *testing.T) {
	const token = "import-test-token-1"
	srv := startServe(t, "--data-dir", t.TempDir(), "--token", token)
	url := srv.base + "/scim/v2"
	users := func() float64 { return listJSON(t, srv, token, "/Users?count=0")["totalResults"].(float64) }

	// The template is a valid file with one user.
	tmpl, _, err := runCommand(t, "import", "--template")
	if err != nil || !strings.HasPrefix(tmpl, "firstName,lastName,email,") {
		t.Fatalf("template: %q %v", tmpl, err)
	}
	if out, _, err := runCommand(t, "import", "--dry-run", writeFile(t, "t.csv", tmpl)); err != nil || !strings.Contains(out, "1 users") {
		t.Fatalf("the template does not validate: %q %v", out, err)
	}

	// A file with mistakes: every one reported by line and column, nothing sent.
	bad := "First name,Surname,Email,Role in HQ,Products,Timezone\n" +
		"Ada,Lovelace,ada@example.com,admin,hire:recruiter,Europe/London\n" +
		",Hopper,grace at example,superuser,,Mars/Base\n" +
		"Alan,Turing,ada@example.com,basic,:x,\n"
	_, errOut, err := runCommand(t, "import", "--url", url, "--token", token, writeFile(t, "bad.csv", bad))
	if exitCode(err) != 1 {
		t.Fatalf("bad file: exit %d (%v), want 1", exitCode(err), err)
	}
	for _, want := range []string{`line 3, column "firstName"`, `line 3, column "email": "grace at example"`, `line 3, column "hqRole"`,
		`line 3, column "timezone"`, `line 4, column "email": "ada@example.com" is also on line 2`, `line 4, column "products"`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the report lacks %s:\n%s", want, errOut)
		}
	}
	if users() != 0 {
		t.Fatal("a file with mistakes sent users")
	}

	good := "firstName,lastName,email,hqRole,products,department,timezone,groups\n" +
		"Ada,Lovelace,ada@example.com,admin,hire:recruiter; perform,Engineering,Europe/London,Analysts; London\n" +
		"Grace,Hopper,grace@example.com,,insights,,,Analysts\n" +
		"Nope,Product,nope@example.com,,notaproduct,,,\n"
	file := writeFile(t, "good.csv", good)
	out, errOut, err := runCommand(t, "import", "--url", url, "--token", token, file)
	if exitCode(err) != 1 || !strings.Contains(out, "created 2, updated 0, failed 1") || !strings.Contains(errOut, "line 4 (nope@example.com)") || !strings.Contains(errOut, "notaproduct") {
		t.Fatalf("import: exit %d, %q, %q", exitCode(err), out, errOut)
	}
	ada := listJSON(t, srv, token, `/Users?filter=userName+eq+%22ada%40example.com%22`)["Resources"].([]any)[0].(map[string]any)
	hq := ada["urn:ietf:params:scim:schemas:extension:scimhq:2.0:User"].(map[string]any)
	if hq["hqRole"] != "admin" || len(hq["products"].([]any)) != 2 || len(ada["groups"].([]any)) != 2 || ada["timezone"] != "Europe/London" {
		t.Fatalf("imported user: %v", ada)
	}
	analysts := listJSON(t, srv, token, `/Groups?filter=displayName+eq+%22Analysts%22`)
	if analysts["totalResults"] != float64(1) || len(analysts["Resources"].([]any)[0].(map[string]any)["members"].([]any)) != 2 {
		t.Fatalf("group Analysts: %v", analysts)
	}

	// Running it again updates the users instead of duplicating them; the fixed row now
	// goes in, one by one this time.
	fixed := strings.Replace(good, "notaproduct", "hire", 1)
	fixed = strings.Replace(fixed, "Ada,Lovelace", "Ada,King", 1)
	out, _, err = runCommand(t, "import", "--url", url, "--token", token, "--no-bulk", writeFile(t, "fixed.csv", fixed))
	if err != nil || !strings.Contains(out, "created 1, updated 2, failed 0") {
		t.Fatalf("re-run: %q %v", out, err)
	}
	if users() != 3 {
		t.Fatalf("%v users after the re-run, want 3", users())
	}
	ada = listJSON(t, srv, token, `/Users?filter=userName+eq+%22ada%40example.com%22`)["Resources"].([]any)[0].(map[string]any)
	if ada["name"].(map[string]any)["familyName"] != "King" {
		t.Fatalf("the re-run did not update: %v", ada["name"])
	}
}
