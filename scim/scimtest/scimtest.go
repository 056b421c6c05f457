// Package scimtest runs a real scimhq server for tests: real HTTP on a loopback port, the
// real storage on the engine of package storagetest (the embedded FerretDB, or the
// MongoDB named by SCIMHQ_TEST_MONGODB_URI), one fresh database per test.
package scimtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/scim"
	"github.com/scimhq/scimhq/storage"
	"github.com/scimhq/scimhq/storage/storagetest"
)

// Main runs a package's tests and then stops the embedded engine. Call it from TestMain.
func Main(m *testing.M) { storagetest.Main(m) }

// Options configures a test server.
type Options struct {
	// Policy is the per-tenant policy; nil means defaults.
	Policy func(tenant string) resources.Policy
	// MaxBodyBytes limits request bodies; 0 means the server default.
	MaxBodyBytes int64
	// Store, if set, is used instead of a fresh one (to restart a server on the same data).
	Store *storage.Store
	// Logger receives the server's logs; nil means the test's log.
	Logger *zap.Logger
	// Wrap, when set, wraps the server's handler (tests use it to break the server on
	// purpose).
	Wrap func(http.Handler) http.Handler
}

// Server is a running test server with a token for tenant "default".
type Server struct {
	URL   string // the SCIM root, e.g. http://127.0.0.1:PORT/scim/v2
	Token string
	Store *storage.Store
	HTTP  *httptest.Server
	t     testing.TB
}

// New starts a server on a fresh database.
func New(t testing.TB, opt Options) *Server {
	t.Helper()
	store := opt.Store
	if store == nil {
		store = storagetest.OpenStore(t)
	}
	logger := opt.Logger
	if logger == nil {
		logger = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	}
	srv := &scim.Server{
		Service:      &resources.Service{Store: store, Policy: opt.Policy},
		Ready:        store.Ping,
		MaxBodyBytes: opt.MaxBodyBytes,
		Logger:       logger,
	}
	handler := srv.Handler()
	if opt.Wrap != nil {
		handler = opt.Wrap(handler)
	}
	hs := httptest.NewServer(handler)
	t.Cleanup(hs.Close)
	s := &Server{URL: hs.URL + scim.Prefix, Store: store, HTTP: hs, t: t}
	s.Token = s.NewToken("default")
	return s
}

// NewToken issues a token for a tenant.
func (s *Server) NewToken(tenant string) string {
	s.t.Helper()
	_, secret, err := resources.NewToken(context.Background(), s.Store, tenant, "test")
	if err != nil {
		s.t.Fatalf("creating a token: %v", err)
	}
	return secret
}

// Response is a finished HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Request describes what was sent, for failure messages.
	Request string
}

// JSON decodes the body as a JSON object (numbers as float64); it fails the test if the
// body is not one.
func (r *Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s: response body is not a JSON object: %v\n%s", r.Request, err, r.Body)
	}
	return m
}

func (r *Response) String() string {
	return fmt.Sprintf("%s -> %d %s", r.Request, r.Status, r.Body)
}

// Client sends requests as one tenant.
type Client struct {
	Base  string
	Token string
	t     testing.TB
}

// Client returns a client using the server's default token.
func (s *Server) Client() *Client { return &Client{Base: s.URL, Token: s.Token, t: s.t} }

// As returns a client using another token.
func (s *Server) As(token string) *Client { return &Client{Base: s.URL, Token: token, t: s.t} }

// Do sends a request. body may be nil, a string or []byte (sent as is), or any other
// value (sent as JSON). headers are "Name: value" strings; Content-Type defaults to
// application/scim+json when there is a body.
func (c *Client) Do(method, path string, body any, headers ...string) *Response {
	c.t.Helper()
	var reader io.Reader
	var shown string
	switch b := body.(type) {
	case nil:
	case string:
		reader, shown = strings.NewReader(b), b
	case []byte:
		reader, shown = bytes.NewReader(b), string(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatalf("encoding the request body: %v", err)
		}
		reader, shown = bytes.NewReader(data), string(data)
	}
	url := path
	if !strings.HasPrefix(path, "http") {
		url = c.Base + path
	}
	req, err := http.NewRequest(method, url, reader)
	if err != nil {
		c.t.Fatalf("building the request: %v", err)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if body != nil {
		req.Header.Set("Content-Type", scim.ContentType)
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the response: %v", method, path, err)
	}
	if len(shown) > 500 {
		shown = shown[:500] + "…"
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data, Request: method + " " + path + " " + shown}
}

// Must sends a request and fails the test unless the status is want.
func (c *Client) Must(want int, method, path string, body any, headers ...string) *Response {
	c.t.Helper()
	r := c.Do(method, path, body, headers...)
	if r.Status != want {
		c.t.Fatalf("want status %d: %s", want, r)
	}
	return r
}

// CreateUser creates a user with the given userName plus extra attributes and returns
// its JSON.
func (c *Client) CreateUser(userName string, extra map[string]any) map[string]any {
	c.t.Helper()
	body := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": userName}
	for k, v := range extra {
		body[k] = v
	}
	return c.Must(http.StatusCreated, http.MethodPost, "/Users", body).JSON(c.t)
}

// CreateGroup creates a group with the given displayName and member ids.
func (c *Client) CreateGroup(displayName string, memberIDs ...string) map[string]any {
	c.t.Helper()
	members := []map[string]any{}
	for _, id := range memberIDs {
		members = append(members, map[string]any{"value": id})
	}
	body := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": displayName, "members": members}
	return c.Must(http.StatusCreated, http.MethodPost, "/Groups", body).JSON(c.t)
}

// ExpectError checks that r is a SCIM error with the given status and scimType ("" for
// none) whose detail contains every one of detailParts.
func ExpectError(t testing.TB, r *Response, status int, scimType string, detailParts ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("want status %d: %s", status, r)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, scim.ContentType) {
		t.Fatalf("error Content-Type = %q, want %s: %s", ct, scim.ContentType, r)
	}
	m := r.JSON(t)
	schemasList, _ := m["schemas"].([]any)
	if len(schemasList) != 1 || schemasList[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Fatalf("error body lacks the Error schema: %s", r)
	}
	if m["status"] != fmt.Sprint(status) {
		t.Fatalf("error body status = %v, want the string %q: %s", m["status"], fmt.Sprint(status), r)
	}
	got, _ := m["scimType"].(string)
	if got != scimType {
		t.Fatalf("scimType = %q, want %q: %s", got, scimType, r)
	}
	detail, _ := m["detail"].(string)
	if detail == "" {
		t.Fatalf("error body has no detail: %s", r)
	}
	for _, part := range detailParts {
		if !strings.Contains(detail, part) {
			t.Fatalf("detail %q does not mention %q: %s", detail, part, r)
		}
	}
}
