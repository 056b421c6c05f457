// Package conformance checks any SCIM 2.0 server over HTTP the way RFC 7643/7644, Okta
// and Microsoft Entra ID use it. Each case is a named scenario (a request sequence with
// checks on every response) that cites its source. The harness reads the server's
// discovery documents (ServiceProviderConfig, ResourceTypes, Schemas) first and runs
// what the server claims: a feature it does not claim is skipped with that reason, never
// passed; one it claims but breaks fails.
//
// It cleans up everything it creates, also when a case fails, and never touches a
// resource it did not create, so it can run against a server with data. Use it from
// Go (Run) or as `scimhq conformance`.
package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Suites are the suites the harness knows.
var Suites = []string{"rfc", "okta", "entra"}

// Config says what to check.
type Config struct {
	URL    string // the SCIM root, e.g. https://hq.example.com/scim/v2
	Token  string // bearer token
	Suites []string
	// HTTPClient sends the requests; nil means one with a 60 s timeout (Okta's limit).
	HTTPClient *http.Client
}

// Status is a case's outcome.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Exchange is a request and its response, kept for failure reports.
type Exchange struct {
	Method       string `json:"method"`
	URL          string `json:"url"`
	RequestBody  string `json:"requestBody,omitempty"`
	Status       int    `json:"status"`
	ResponseBody string `json:"responseBody,omitempty"`
}

// Result is the outcome of one case.
type Result struct {
	Suite  string `json:"suite"`
	Case   string `json:"case"`
	Source string `json:"source"`
	Status Status `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Unclaimed is, for a skipped case, the feature the server does not claim.
	Unclaimed Feature       `json:"unclaimed,omitempty"`
	Exchange  *Exchange     `json:"exchange,omitempty"`
	Duration  time.Duration `json:"durationNs"`
}

// Report is the outcome of a run.
type Report struct {
	URL          string        `json:"url"`
	Capabilities Capabilities  `json:"capabilities"`
	Started      time.Time     `json:"started"`
	Duration     time.Duration `json:"durationNs"`
	Results      []Result      `json:"results"`
}

// Count returns how many results have the status.
func (r Report) Count(s Status) int {
	n := 0
	for _, res := range r.Results {
		if res.Status == s {
			n++
		}
	}
	return n
}

// Run runs the configured suites against the server. The error is for a run that could
// not start (the server's configuration cannot be read); case failures are in the
// report.
func Run(ctx context.Context, cfg Config) (Report, error) {
	suites := cfg.Suites
	if len(suites) == 0 {
		suites = Suites
	}
	for _, s := range suites {
		if !slices.Contains(Suites, s) {
			return Report{}, fmt.Errorf("unknown suite %q (known: %s)", s, strings.Join(Suites, ", "))
		}
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	c := &client{base: strings.TrimRight(cfg.URL, "/"), token: cfg.Token, http: hc}
	report := Report{URL: c.base, Started: time.Now()}
	caps, err := discover(ctx, c)
	if err != nil {
		return report, err
	}
	report.Capabilities = caps
	run := randomTag()
	for _, suite := range Suites { // in the documented order, whatever the files' order
		if !slices.Contains(suites, suite) {
			continue
		}
		for _, tc := range cases {
			if tc.Suite == suite {
				report.Results = append(report.Results, runCase(ctx, c, caps, run, tc))
			}
		}
	}
	report.Duration = time.Since(report.Started)
	return report, nil
}

func randomTag() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Case is one scenario.
type Case struct {
	Suite  string
	Name   string
	Source string    // the RFC section or vendor document it comes from
	Needs  []Feature // optional features the server must claim for the case to run
	Run    func(t *T)
}

// cases holds every case, in the order they run; suite files add theirs in init.
var cases []Case

func register(cs ...Case) { cases = append(cases, cs...) }
