package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// running is a `scimhq serve` started by a test.
type running struct {
	base           string // http://127.0.0.1:PORT
	stdout, stderr *syncBuffer
	stop           func() error
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe runs `scimhq serve args...` in the background until stop is called, and
// waits until it answers /readyz.
func startServe(t *testing.T, args ...string) *running {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{base: "http://" + addr, stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"serve", "--addr", addr}, args...), r.stdout, r.stderr) }()
	var once sync.Once
	var stopErr error
	r.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(30 * time.Second):
				stopErr = fmt.Errorf("serve did not stop within 30s")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { _ = r.stop() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, r.stderr)
		default:
		}
		if resp, err := http.Get(r.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("serve did not become ready:\n%s", r.stderr)
	return nil
}

func (r *running) do(t *testing.T, method, path, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, r.base+"/scim/v2"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

var idPattern = regexp.MustCompile(`"id":"([^"]+)"`)

func TestServePersistsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	const token = "restart-test-token-123"
	first := startServe(t, "--data-dir", dir, "--token", token)
	status, body := first.do(t, http.MethodPost, "/Users", token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"persist@example.com"}`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	id := idPattern.FindStringSubmatch(body)[1]
	if err := first.stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	if !strings.Contains(first.stderr.String(), `"msg":"request"`) {
		t.Fatalf("no structured request log line:\n%s", first.stderr)
	}

	second := startServe(t, "--data-dir", dir, "--token", token)
	status, body = second.do(t, http.MethodGet, "/Users/"+id, token, "")
	if status != http.StatusOK || !strings.Contains(body, "persist@example.com") {
		t.Fatalf("after restart: %d %s", status, body)
	}
}

func TestServePrintsBootstrapTokenOnce(t *testing.T) {
	dir := t.TempDir()
	first := startServe(t, "--data-dir", dir)
	secret := regexp.MustCompile(`scimhq_[A-Za-z0-9_-]{20,}`).FindString(first.stdout.String())
	if secret == "" {
		t.Fatalf("no token printed on first start:\n%s", first.stdout)
	}
	if status, body := first.do(t, http.MethodGet, "/Users", secret, ""); status != http.StatusOK {
		t.Fatalf("the printed token does not work: %d %s", status, body)
	}
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
	second := startServe(t, "--data-dir", dir)
	if strings.Contains(second.stdout.String(), "scimhq_") {
		t.Fatalf("a second token was printed on restart:\n%s", second.stdout)
	}
	if status, _ := second.do(t, http.MethodGet, "/Users", secret, ""); status != http.StatusOK {
		t.Fatalf("the first token stopped working after a restart: %d", status)
	}
}

func runCommand(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestTokenCommands(t *testing.T) {
	dir := t.TempDir()
	secret, _, err := runCommand(t, "token", "create", "--tenant", "acme", "--name", "okta", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	secret = strings.TrimSpace(secret)
	list, _, err := runCommand(t, "token", "list", "--data-dir", dir)
	if err != nil || !strings.Contains(list, "acme") || !strings.Contains(list, "okta") || strings.Contains(list, secret) {
		t.Fatalf("token list = %q, %v (want the token listed, its secret not)", list, err)
	}
	tokenID := strings.Fields(strings.Split(strings.TrimSpace(list), "\n")[1])[0]

	srv := startServe(t, "--data-dir", dir, "--token", "default-tenant-token-1")
	if status, body := srv.do(t, http.MethodPost, "/Users", secret, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@acme.test"}`); status != http.StatusCreated {
		t.Fatalf("acme token: %d %s", status, body)
	}
	// The default tenant does not see acme's user.
	if _, body := srv.do(t, http.MethodGet, "/Users", "default-tenant-token-1", ""); !strings.Contains(body, `"totalResults":0`) {
		t.Fatalf("tenant default sees acme's users: %s", body)
	}
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}

	if _, _, err := runCommand(t, "token", "revoke", "--tenant", "acme", "--id", tokenID, "--data-dir", dir); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCommand(t, "token", "revoke", "--tenant", "acme", "--id", tokenID, "--data-dir", dir); err == nil {
		t.Fatal("revoking a revoked token succeeded")
	}
	srv = startServe(t, "--data-dir", dir, "--token", "default-tenant-token-1")
	if status, _ := srv.do(t, http.MethodGet, "/Users", secret, ""); status != http.StatusUnauthorized {
		t.Fatalf("a revoked token still works: %d", status)
	}
}

func TestCommandLineErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "never-created")
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"token"},
		{"token", "create", "--data-dir", dir},
		{"token", "revoke", "--tenant", "x", "--data-dir", dir},
		{"token", "frob", "--data-dir", dir},
		{"serve", "--log-format", "xml", "--data-dir", dir},
		{"serve", "--max-body-bytes", "lots", "--data-dir", dir},
	} {
		if _, _, err := runCommand(t, args...); err == nil {
			t.Errorf("scimhq %v succeeded, want an error", args)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("a command that failed on its arguments created the data directory: %v", err)
	}
	out, _, err := runCommand(t, "help")
	if err != nil || !strings.Contains(out, "scimhq serve") {
		t.Fatalf("help: %v %q", err, out)
	}
	_, errOut, err := runCommand(t, "serve", "-h")
	if err != flag.ErrHelp || !strings.Contains(errOut, "SCIMHQ_MONGODB_URI") || !strings.Contains(errOut, "-data-dir") {
		t.Fatalf("serve -h: %v %q", err, errOut)
	}
}

func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "scimhq.yaml")
	if err := os.WriteFile(file, []byte("addr: ':7000'\ndataDir: /from/file\nbaseURL: https://file.example/scim/v2\nmaxBodyBytes: 4096\ntenants:\n  acme:\n    strict: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SCIMHQ_DATA_DIR", "/from/env")
	t.Setenv("SCIMHQ_ADDR", "")
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	cfg, err := parseConfig(fs, []string{"--config", file, "--base-url", "https://flag.example/scim/v2"}, "addr", "data-dir", "base-url", "max-body-bytes", "log-format")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":7000" || cfg.DataDir != "/from/env" || cfg.BaseURL != "https://flag.example/scim/v2" || cfg.MaxBodyBytes != 4096 || cfg.LogFormat != "json" {
		t.Fatalf("precedence wrong: %+v", cfg)
	}
	if !cfg.policy()("acme").Strict || cfg.policy()("other").Strict {
		t.Fatalf("tenant policy not read from the file: %+v", cfg.Tenants)
	}

	if err := os.WriteFile(file, []byte("adr: ':7000'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := parseConfig(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--config", file}, "addr"); err == nil || !strings.Contains(err.Error(), "adr") {
		t.Fatalf("a misspelled config key was accepted: %v", err)
	}
}

// TestUsersRestoreAndPurge walks a deleted user through the users commands: a restore
// that conflicts with a user created meanwhile under the same userName (as Entra ID
// deletes and re-creates), a restore with the group membership, a restore refused past
// the configured retention, a purge that defaults to it, and a restore after the purge.
func TestUsersRestoreAndPurge(t *testing.T) {
	dir := t.TempDir()
	const token = "users-cmd-token-123"
	users := func(args ...string) (string, error) {
		out, _, err := runCommand(t, append(append([]string{"users"}, args...), "--data-dir", dir)...)
		return out, err
	}
	request := func(srv *running, method, path, body string, want int) string {
		t.Helper()
		status, out := srv.do(t, method, path, token, body)
		if status != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, status, out, want)
		}
		return out
	}
	const user = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"back@example.com","title":"Boss"}`
	srv := startServe(t, "--data-dir", dir, "--token", token)
	id := idPattern.FindStringSubmatch(request(srv, http.MethodPost, "/Users", user, http.StatusCreated))[1]
	gbody := request(srv, http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team","members":[{"value":"`+id+`"}]}`, http.StatusCreated)
	gid := idPattern.FindStringSubmatch(gbody)[1]
	request(srv, http.MethodDelete, "/Users/"+id, "", http.StatusNoContent)
	request(srv, http.MethodGet, "/Users/"+id, "", http.StatusNotFound)
	newcomer := idPattern.FindStringSubmatch(request(srv, http.MethodPost, "/Users", user, http.StatusCreated))[1]
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}

	list, err := users("deleted", "--tenant", "default")
	if err != nil || !strings.Contains(list, id) || !strings.Contains(list, "back@example.com") {
		t.Fatalf("users deleted: %q %v", list, err)
	}
	_, err = users("restore", "--tenant", "default", "--id", id)
	if err == nil || !strings.Contains(err.Error(), "cannot be restored") || !strings.Contains(err.Error(), `"back@example.com" is already taken`) {
		t.Fatalf("restore while the userName is taken: %v, want an error naming the userName", err)
	}
	if list, _ := users("deleted", "--tenant", "default"); !strings.Contains(list, id) {
		t.Fatalf("the refused restore lost the deleted user: %q", list)
	}

	srv = startServe(t, "--data-dir", dir, "--token", token)
	request(srv, http.MethodDelete, "/Users/"+newcomer, "", http.StatusNoContent)
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	if out, err := users("restore", "--tenant", "default", "--id", id); err != nil || !strings.Contains(out, id) {
		t.Fatalf("users restore: %q %v", out, err)
	}
	srv = startServe(t, "--data-dir", dir, "--token", token)
	if body := request(srv, http.MethodGet, "/Users/"+id, "", http.StatusOK); !strings.Contains(body, "Boss") || !strings.Contains(body, gid) {
		t.Fatalf("restored user: %s (want its title and its group %s)", body, gid)
	}
	request(srv, http.MethodDelete, "/Users/"+id, "", http.StatusNoContent)
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}

	// Both tombstones are recent: the default retention (30 days) keeps them.
	if out, err := users("purge"); err != nil || !strings.Contains(out, "purged 0") {
		t.Fatalf("purge within the retention: %q %v", out, err)
	}
	config := filepath.Join(t.TempDir(), "scimhq.yaml")
	if err := os.WriteFile(config, []byte("deletedRetention: 1ms\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if _, err := users("restore", "--tenant", "default", "--id", id, "--config", config); err == nil || !strings.Contains(err.Error(), "retention") {
		t.Fatalf("restore past the retention: %v, want an error naming the retention", err)
	}
	if out, err := users("purge", "--config", config); err != nil || !strings.Contains(out, "purged 2") {
		t.Fatalf("purge with the configured retention: %q %v, want both tombstones purged", out, err)
	}
	if _, err := users("restore", "--tenant", "default", "--id", id); err == nil || !strings.Contains(err.Error(), "purged") {
		t.Fatalf("restore after the purge: %v, want an error saying it may have been purged", err)
	}
	if out, err := users("purge", "--older-than", "0s"); err != nil || !strings.Contains(out, "purged 0") {
		t.Fatalf("purge with nothing deleted: %q %v", out, err)
	}
}
