package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// scimClient talks to any SCIM 2.0 server.
type scimClient struct {
	base, token string
	http        *http.Client
}

func newSCIMClient(base, token string) *scimClient {
	return &scimClient{base: strings.TrimRight(base, "/"), token: token, http: &http.Client{Timeout: 5 * time.Minute}}
}

// reply is what a request's answer says besides its body.
type reply struct {
	status   int
	location string // the Location header: a create's address, when the body has no id
}

// do sends a request and decodes a JSON answer into out (when given). A status of 400
// or more is returned as an error carrying the server's detail.
func (c *scimClient) do(ctx context.Context, method, path string, body, out any) (reply, error) {
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return reply{}, err
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, reader)
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/scim+json, application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	rep := reply{status: resp.StatusCode, location: resp.Header.Get("Location")}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return rep, err
	}
	if resp.StatusCode >= 400 {
		var e struct{ Detail string }
		_ = json.Unmarshal(data, &e)
		if e.Detail == "" {
			e.Detail = strings.TrimSpace(string(data))
		}
		return rep, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, e.Detail)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return rep, fmt.Errorf("%s %s: the answer is not JSON: %v", method, path, err)
		}
	}
	return rep, nil
}

// products reads the server's product catalog. ok is false when the server has no
// /Products (scimhq's own read-only resource type): grants are then left to the server.
// The first page is asked for bare (a server may take no query parameters there), the
// rest by startIndex when it says there are more.
func (c *scimClient) products(ctx context.Context) (catalog []product, ok bool, err error) {
	catalog, rep, err := readAll[product](ctx, c, "/Products", func(start int) string { return fmt.Sprintf("/Products?startIndex=%d", start) })
	switch {
	case rep.status == http.StatusNotFound || rep.status == http.StatusMethodNotAllowed || rep.status == http.StatusNotImplemented:
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	return catalog, true, nil
}

// readAll pages through a list: first is the first page's path and next(start) that of
// the page from start on. It stops at an empty page or once totalResults are read, and
// returns what it read and the last reply (whose status tells a missing endpoint).
func readAll[T any](ctx context.Context, c *scimClient, first string, next func(start int) string) ([]T, reply, error) {
	var all []T
	for path := first; ; path = next(len(all) + 1) {
		var page struct {
			TotalResults int
			Resources    []T
		}
		rep, err := c.do(ctx, http.MethodGet, path, nil, &page)
		if err != nil {
			return nil, rep, err
		}
		all = append(all, page.Resources...)
		if len(page.Resources) == 0 || len(all) >= page.TotalResults {
			return all, rep, nil
		}
	}
}

// userID finds the id of the user with userName: for servers that answer a create or
// an update without the resource.
func (c *scimClient) userID(ctx context.Context, userName string) (string, error) {
	var page struct{ Resources []struct{ ID string } }
	filter := url.QueryEscape(fmt.Sprintf("userName eq %q", userName))
	if _, err := c.do(ctx, http.MethodGet, "/Users?attributes=id&filter="+filter, nil, &page); err != nil {
		return "", err
	}
	if len(page.Resources) != 1 || page.Resources[0].ID == "" {
		return "", fmt.Errorf("the server reports the user done but does not find %q", userName)
	}
	return page.Resources[0].ID, nil
}

// lastSegment is the id at the end of a resource's location.
func lastSegment(location string) string {
	u, err := url.Parse(location)
	if err != nil || strings.Trim(u.Path, "/") == "" {
		return ""
	}
	return path.Base(strings.TrimRight(u.Path, "/"))
}

// index pages through an endpoint and maps a lower-cased attribute to ids.
func (c *scimClient) index(ctx context.Context, endpoint, attr string) (map[string]string, error) {
	pageFrom := func(start int) string {
		return fmt.Sprintf("%s?attributes=%s&startIndex=%d&count=1000", endpoint, url.QueryEscape(attr), start)
	}
	resources, _, err := readAll[map[string]any](ctx, c, pageFrom(1), pageFrom)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range resources {
		id, _ := r["id"].(string)
		v, _ := r[attr].(string)
		out[strings.ToLower(v)] = id
	}
	return out, nil
}
