package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Feature is an optional capability a server claims in a discovery document.
type Feature string

const (
	FeaturePatch          Feature = "patch"
	FeatureBulk           Feature = "bulk"
	FeatureFilter         Feature = "filter"
	FeatureChangePassword Feature = "changePassword"
	FeatureSort           Feature = "sort"
	FeatureETag           Feature = "etag"
	FeatureMaxResults     Feature = "filter.maxResults"
	FeatureCursor         Feature = "cursor paging (RFC 9865)"
	FeatureGroups         Feature = "a Group resource type"
	FeatureEnterprise     Feature = "the enterprise User extension"
)

// Features are all the optional features, in the order discovery reads them.
var Features = []Feature{FeaturePatch, FeatureBulk, FeatureFilter, FeatureChangePassword, FeatureSort,
	FeatureETag, FeatureMaxResults, FeatureCursor, FeatureGroups, FeatureEnterprise}

// claimedIn names the discovery documents where a server claims the feature.
func (f Feature) claimedIn() string {
	switch f {
	case FeatureGroups:
		return "/ResourceTypes"
	case FeatureEnterprise:
		return "/ResourceTypes (the User type's schemaExtensions) and /Schemas"
	}
	return "ServiceProviderConfig"
}

// Capabilities is what the server claims.
type Capabilities struct {
	Features      map[Feature]bool `json:"features"`
	MaxResults    int              `json:"maxResults"`
	MaxOperations int              `json:"maxOperations"`
}

// discover reads the three discovery documents every SCIM server serves (RFC 7644 §4):
// ServiceProviderConfig (RFC 7643 §5), ResourceTypes (§6) and Schemas (§7). A server
// that cannot serve one of them cannot be checked: that is an error, not a skip.
func discover(ctx context.Context, c *client) (Capabilities, error) {
	spc, err := c.document(ctx, "/ServiceProviderConfig")
	if err != nil {
		return Capabilities{}, err
	}
	rts, err := c.document(ctx, "/ResourceTypes")
	if err != nil {
		return Capabilities{}, err
	}
	schemas, err := c.document(ctx, "/Schemas")
	if err != nil {
		return Capabilities{}, err
	}
	caps := Capabilities{Features: map[Feature]bool{}}
	for _, f := range Features {
		caps.Features[f] = false
	}
	for _, f := range []Feature{FeaturePatch, FeatureBulk, FeatureFilter, FeatureChangePassword, FeatureSort, FeatureETag} {
		caps.Features[f], _ = obj(spc, string(f))["supported"].(bool)
	}
	caps.Features[FeatureCursor], _ = obj(spc, "pagination")["cursor"].(bool)
	caps.MaxResults = toInt(obj(spc, "filter")["maxResults"])
	caps.Features[FeatureMaxResults] = caps.MaxResults > 0
	caps.MaxOperations = toInt(obj(spc, "bulk")["maxOperations"])

	// Resource types are claims too: a server may serve Users only (RFC 7643 §6), and
	// Users without the enterprise extension (§4.3). The extension is claimed when the
	// User type lists it and /Schemas describes it (§7).
	schemaIDs := map[string]bool{}
	for _, s := range arr(schemas, "Resources") {
		if m, ok := s.(map[string]any); ok {
			schemaIDs[strings.ToLower(fmt.Sprint(m["id"]))] = true
		}
	}
	for _, r := range arr(rts, "Resources") {
		rt, _ := r.(map[string]any)
		switch strings.ToLower(fmt.Sprint(rt["endpoint"])) {
		case "/groups":
			caps.Features[FeatureGroups] = true
		case "/users":
			for _, e := range arr(rt, "schemaExtensions") {
				ext, _ := e.(map[string]any)["schema"].(string)
				if strings.EqualFold(ext, enterpriseURN) && schemaIDs[strings.ToLower(enterpriseURN)] {
					caps.Features[FeatureEnterprise] = true
				}
			}
		}
	}
	return caps, nil
}

// document GETs a discovery document: a JSON object answered with 200.
func (c *client) document(ctx context.Context, path string) (map[string]any, error) {
	resp, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	m := resp.JSON()
	if resp.Status != http.StatusOK || m == nil {
		return nil, fmt.Errorf("GET %s answered %d, not 200 with a JSON object (RFC 7644 §4 requires it): %s", path, resp.Status, clip(string(resp.Body)))
	}
	return m, nil
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

// skip ends a case as skipped: it needs a feature the server does not claim.
type skip struct{ feature Feature }

// Do sends a request. A case that reaches for /Groups on a server without a Group
// resource type is skipped there: it needs what the server does not claim. Whatever a
// POST created is recorded for clean-up before the case can check (and fail on) the
// answer.
func (t *T) Do(method, path string, body any, headers ...string) *Response {
	if strings.HasPrefix(strings.ToLower(path), "/groups") {
		t.needs(FeatureGroups)
	}
	r, err := t.c.do(t.ctx, method, path, body, headers...)
	if err != nil {
		t.last = &Exchange{Method: method, URL: t.c.base + path}
		t.Fatalf("%s %s failed: %v", method, path, err)
	}
	t.last = r.x
	if method == http.MethodPost {
		t.record(path, r)
	}
	return r
}

// needs ends the case as skipped unless the server claims the feature.
func (t *T) needs(f Feature) {
	if !t.caps.Features[f] {
		panic(skip{feature: f})
	}
}

// record notes what a POST to path created, whatever its status said: any 2xx answer
// to a create (RFC 7644 §3.3) with an id or a Location, and every successful POST of a
// /Bulk answer (§3.7) with a location. A server that answers 200 instead of 201, or
// leaves out the body, still gets its resources deleted.
func (t *T) record(path string, r *Response) {
	if r.Status < 200 || r.Status > 299 {
		return
	}
	endpoint, _, _ := strings.Cut(path, "?")
	endpoint = strings.TrimRight(endpoint, "/")
	switch {
	case strings.EqualFold(endpoint, "/Bulk"):
		for _, e := range arr(r.JSON(), "Operations") {
			o, _ := e.(map[string]any)
			status, _ := o["status"].(string)
			if strings.EqualFold(fmt.Sprint(o["method"]), http.MethodPost) && strings.HasPrefix(status, "2") {
				loc, _ := o["location"].(string)
				t.rememberLocation(loc)
			}
		}
	case strings.Count(endpoint, "/") == 1 && !strings.HasSuffix(endpoint, ".search"):
		if id := idOf(r); id != "" {
			t.remember(endpoint + "/" + id)
		} else {
			t.rememberLocation(r.Header.Get("Location"))
		}
	}
}

// rememberLocation records a resource by its URL: the last two segments of its path
// are its endpoint and id.
func (t *T) rememberLocation(loc string) {
	u, err := url.Parse(loc)
	if err != nil {
		return
	}
	p := strings.TrimRight(u.Path, "/")
	i := strings.LastIndex(p, "/")
	if i <= 0 {
		return
	}
	if j := strings.LastIndex(p[:i], "/"); j >= 0 && i-j > 1 {
		t.remember(p[j:])
	}
}

// remember records a resource path (e.g. "/Users/2819c223") for deletion at the end.
func (t *T) remember(path string) {
	if !slices.Contains(t.created, path) {
		t.created = append(t.created, path)
	}
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

// idOf returns the id in a resource answer ("" when there is none). Do has already
// recorded the resource for clean-up.
func idOf(r *Response) string {
	id, _ := r.JSON()["id"].(string)
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

// skipped is the result of a case that needs a feature the server does not claim.
func skipped(res Result, f Feature) Result {
	res.Status, res.Unclaimed = Skip, f
	res.Reason = fmt.Sprintf("the server does not claim %s in %s", f, f.claimedIn())
	return res
}

// runCase runs one case: skipped when it needs a feature the server does not claim.
func runCase(ctx context.Context, c *client, caps Capabilities, run string, tc Case) (res Result) {
	res = Result{Suite: tc.Suite, Case: tc.Name, Source: tc.Source}
	for _, f := range tc.Needs {
		if !caps.Features[f] {
			return skipped(res, f)
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
			res = skipped(res, v.feature)
		default:
			res.Status, res.Reason, res.Exchange = Fail, fmt.Sprintf("the case broke: %v", v), t.last
		}
	}()
	tc.Run(t)
	return res
}

func shortHash(s string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return fmt.Sprintf("%06x", h&0xffffff)
}
