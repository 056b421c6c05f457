package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Feature is an optional capability a server advertises in ServiceProviderConfig.
type Feature string

const (
	FeaturePatch  Feature = "patch"
	FeatureBulk   Feature = "bulk"
	FeatureFilter Feature = "filter"
	FeatureSort   Feature = "sort"
	FeatureETag   Feature = "etag"
	FeatureCursor Feature = "cursor paging (RFC 9865)"
	FeatureGroups Feature = "a Group resource type (/ResourceTypes)"
)

// Capabilities is what the server claims.
type Capabilities struct {
	Features      map[Feature]bool `json:"features"`
	MaxResults    int              `json:"maxResults"`
	MaxOperations int              `json:"maxOperations"`
}

// discover reads ServiceProviderConfig (RFC 7643 §5).
func discover(ctx context.Context, c *client) (Capabilities, error) {
	resp, err := c.do(ctx, http.MethodGet, "/ServiceProviderConfig", nil)
	if err != nil {
		return Capabilities{}, fmt.Errorf("reading ServiceProviderConfig: %w", err)
	}
	if resp.Status != http.StatusOK {
		return Capabilities{}, fmt.Errorf("GET /ServiceProviderConfig answered %d: %s", resp.Status, resp.Body)
	}
	m := resp.JSON()
	supported := func(name string) bool {
		f, _ := m[name].(map[string]any)
		b, _ := f["supported"].(bool)
		return b
	}
	caps := Capabilities{Features: map[Feature]bool{}}
	for _, f := range []Feature{FeaturePatch, FeatureBulk, FeatureFilter, FeatureSort, FeatureETag} {
		caps.Features[f] = supported(string(f))
	}
	if p, ok := m["pagination"].(map[string]any); ok {
		caps.Features[FeatureCursor], _ = p["cursor"].(bool)
	}
	if f, ok := m["filter"].(map[string]any); ok {
		caps.MaxResults = toInt(f["maxResults"])
	}
	if b, ok := m["bulk"].(map[string]any); ok {
		caps.MaxOperations = toInt(b["maxOperations"])
	}
	// Resource types are claims too: a server may serve Users only (RFC 7643 §6).
	if rt, err := c.do(ctx, http.MethodGet, "/ResourceTypes", nil); err == nil && rt.Status == http.StatusOK {
		for _, r := range arr(rt.JSON(), "Resources") {
			if m, ok := r.(map[string]any); ok && strings.EqualFold(fmt.Sprint(m["endpoint"]), "/Groups") {
				caps.Features[FeatureGroups] = true
			}
		}
	}
	return caps, nil
}

func toInt(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// client sends requests to the server under test.
type client struct {
	base, token string
	http        *http.Client
}

// Response is a server's answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	x      *Exchange
}

// JSON decodes the body as an object; nil when it is not one.
func (r *Response) JSON() map[string]any {
	var m map[string]any
	if json.Unmarshal(r.Body, &m) != nil {
		return nil
	}
	return m
}

func (c *client) do(ctx context.Context, method, path string, body any, headers ...string) (*Response, error) {
	var reader io.Reader
	var shown string
	switch b := body.(type) {
	case nil:
	case string:
		reader, shown = strings.NewReader(b), b
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		reader, shown = bytes.NewReader(data), string(data)
	}
	url := c.base + path
	req, err := http.NewRequestWithContext(ctx, method, url, reader)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/scim+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data,
		x: &Exchange{Method: method, URL: url, RequestBody: clip(shown), Status: resp.StatusCode, ResponseBody: clip(string(data))}}, nil
}

func clip(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

// T is what a case works with: requests that record the last exchange, checks that end
// the case on failure, and a record of what it created for clean-up.
type T struct {
	ctx     context.Context
	c       *client
	caps    Capabilities
	tag     string // unique to this run and case: names of created resources carry it
	last    *Exchange
	created []string // paths of created resources, deleted at the end
}

// failure ends a case; runCase recovers it.
type failure struct{ reason string }

// Do sends a request. A case that reaches for /Groups on a server without a Group
// resource type is skipped there: it needs what the server does not claim.
func (t *T) Do(method, path string, body any, headers ...string) *Response {
	if strings.HasPrefix(strings.ToLower(path), "/groups") && !t.caps.Features[FeatureGroups] {
		t.Skipf("the server does not claim %s", FeatureGroups)
	}
	r, err := t.c.do(t.ctx, method, path, body, headers...)
	if err != nil {
		t.last = &Exchange{Method: method, URL: t.c.base + path}
		t.Fatalf("%s %s failed: %v", method, path, err)
	}
	t.last = r.x
	return r
}

// Fatalf fails the case with a reason.
func (t *T) Fatalf(format string, args ...any) {
	panic(failure{reason: fmt.Sprintf(format, args...)})
}

// Check fails the case unless ok.
func (t *T) Check(ok bool, format string, args ...any) {
	if !ok {
		t.Fatalf(format, args...)
	}
}

// Status fails the case unless the response has the status.
func (t *T) Status(r *Response, want int) {
	t.Check(r.Status == want, "expected HTTP %d, got %d", want, r.Status)
}

// Name returns a unique name for a resource this case creates.
func (t *T) Name(base string) string { return "scimhq-conformance-" + t.tag + "-" + base }

// Created records the resource a create answered with (at endpoint, e.g. "/Users") for
// deletion when the case ends, and returns its id.
func (t *T) Created(endpoint string, r *Response) string {
	id, _ := r.JSON()["id"].(string)
	if id != "" {
		t.created = append(t.created, endpoint+"/"+id)
	}
	return id
}

// cleanUp deletes what the case created, newest first, whatever happened.
func (t *T) cleanUp() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := len(t.created) - 1; i >= 0; i-- {
		_, _ = t.c.do(ctx, http.MethodDelete, t.created[i], nil)
	}
}

// runCase runs one case: skipped when it needs a feature the server does not claim.
func runCase(ctx context.Context, c *client, caps Capabilities, run string, tc Case) (res Result) {
	res = Result{Suite: tc.Suite, Case: tc.Name, Source: tc.Source}
	for _, f := range tc.Needs {
		if !caps.Features[f] {
			res.Status, res.Reason = Skip, fmt.Sprintf("the server does not claim %s in ServiceProviderConfig", f)
			return res
		}
	}
	t := &T{ctx: ctx, c: c, caps: caps, tag: run + "-" + shortHash(tc.Suite+tc.Name)}
	start := time.Now()
	defer func() {
		res.Duration = time.Since(start)
		t.cleanUp()
	}()
	defer func() {
		switch v := recover().(type) {
		case nil:
			res.Status = Pass
		case failure:
			res.Status, res.Reason, res.Exchange = Fail, v.reason, t.last
		case skip:
			res.Status, res.Reason = Skip, v.reason
		default:
			res.Status, res.Reason, res.Exchange = Fail, fmt.Sprintf("the case broke: %v", v), t.last
		}
	}()
	tc.Run(t)
	return res
}

// skip ends a case as skipped (a feature the server turns out not to offer).
type skip struct{ reason string }

// Skipf ends the case as skipped.
func (t *T) Skipf(format string, args ...any) { panic(skip{reason: fmt.Sprintf(format, args...)}) }

func shortHash(s string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return fmt.Sprintf("%06x", h&0xffffff)
}
