package main

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConformanceCommand: `scimhq conformance` exits 0 and writes its reports against
// scimhq, 1 against a server that breaks a rule, 2 when it cannot start.
func TestConformanceCommand(t *testing.T) {
	const token = "conformance-cli-token-1"
	srv := startServe(t, "--data-dir", t.TempDir(), "--token", token)
	dir := t.TempDir()
	junit, jsonFile := filepath.Join(dir, "report.xml"), filepath.Join(dir, "report.json")

	out, errOut, err := runCommand(t, "conformance", "--url", srv.base+"/scim/v2", "--token", token,
		"--suite", "okta", "--junit", junit, "--json", jsonFile)
	if err != nil || !strings.Contains(out, "\nokta\n") {
		t.Fatalf("against scimhq: exit %d (%v)\n%s%s", exitCode(err), err, out, errOut)
	}
	var x struct {
		Suites []struct {
			Name  string `xml:"name,attr"`
			Tests int    `xml:"tests,attr"`
		} `xml:"testsuite"`
	}
	data, err := os.ReadFile(junit)
	if err != nil || xml.Unmarshal(data, &x) != nil || len(x.Suites) != 1 || x.Suites[0].Name != "scim-conformance.okta" || x.Suites[0].Tests == 0 {
		t.Fatalf("JUnit file: %v %+v", err, x)
	}
	var report struct {
		Results []struct{ Suite, Status string }
	}
	data, err = os.ReadFile(jsonFile)
	if err != nil || json.Unmarshal(data, &report) != nil || len(report.Results) != x.Suites[0].Tests {
		t.Fatalf("JSON file: %v, %d results, JUnit has %d", err, len(report.Results), x.Suites[0].Tests)
	}

	// The same server behind a proxy that drops Location from created resources.
	target, _ := url.Parse(srv.base)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.StatusCode == http.StatusCreated {
			resp.Header.Del("Location")
		}
		return nil
	}
	broken := httptest.NewServer(proxy)
	defer broken.Close()
	out, _, err = runCommand(t, "conformance", "--url", broken.URL+"/scim/v2", "--token", token, "--suite", "rfc")
	if exitCode(err) != 1 || !strings.Contains(out, "Location") {
		t.Fatalf("against a server without Location: exit %d (%v), want 1 and a failure naming Location\n%s", exitCode(err), err, out)
	}

	for _, args := range [][]string{
		{"conformance", "--url", srv.base + "/scim/v2"},                          // no token
		{"conformance", "--url", "http://127.0.0.1:1/scim/v2", "--token", token}, // nothing listening
		{"conformance", "--url", srv.base + "/scim/v2", "--token", token, "--suite", "nosuch"},
	} {
		if _, _, err := runCommand(t, args...); exitCode(err) != 2 {
			t.Errorf("scimhq %v: exit %d (%v), want 2", args[1:], exitCode(err), err)
		}
	}
}
