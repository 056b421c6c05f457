package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
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

// do sends a request and decodes a JSON answer into out (when given). A status of 400
// or more is returned as an error carrying the server's detail.
func (c *scimClient) do(ctx context.Context, method, path string, body, out any) (int, error) {
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, reader)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/scim+json, application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 400 {
		var e struct{ Detail string }
		_ = json.Unmarshal(data, &e)
		if e.Detail == "" {
			e.Detail = strings.TrimSpace(string(data))
		}
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, e.Detail)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: the answer is not JSON: %v", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// index pages through an endpoint and maps a lower-cased attribute to ids.
func (c *scimClient) index(ctx context.Context, endpoint, attr string) (map[string]string, error) {
	out := map[string]string{}
	for start := 1; ; {
		var page struct {
			TotalResults, ItemsPerPage int
			Resources                  []map[string]any
		}
		path := fmt.Sprintf("%s?attributes=%s&startIndex=%d&count=1000", endpoint, url.QueryEscape(attr), start)
		if _, err := c.do(ctx, http.MethodGet, path, nil, &page); err != nil {
			return nil, err
		}
		for _, r := range page.Resources {
			id, _ := r["id"].(string)
			v, _ := r[attr].(string)
			out[strings.ToLower(v)] = id
		}
		start += len(page.Resources)
		if len(page.Resources) == 0 || start > page.TotalResults {
			return out, nil
		}
	}
}
