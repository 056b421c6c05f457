// Package bench drives a SCIM 2.0 server with the loads identity providers put on it
// and measures, per kind of request, throughput, latency percentiles and errors. It
// prepares its own data (named with a run tag), cleans it up, and stops by itself after
// a number of requests or a duration.
package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config says what to run.
type Config struct {
	URL, Token  string
	Workload    string        // one of Workloads
	Users       int           // users to prepare (and, for onboard, to create)
	Concurrency int           // clients sending at once
	Requests    int           // stop after exactly this many requests (0: use Duration); onboard ignores it
	Duration    time.Duration // stop after this long (when Requests is 0)
	HTTPClient  *http.Client
	// KindHeader names each request's kind in the X-Bench-Kind header, so that a
	// server run in-process can attribute its database commands to kinds.
	KindHeader bool
	// GroupSizes are the sizes of the groups workload's groups (default 10, 10,000 and
	// 100,000).
	GroupSizes []int
	// SkipCleanup leaves the run's data in place (for a scratch database dropped whole).
	SkipCleanup bool
	// Progress, when set, gets a progress line twice a second during the measured run
	// (the command sets it to a terminal).
	Progress io.Writer
	// Prepared, when set, is called between the preparation and the measured run.
	Prepared func()
	// Baseline, when set, is run after the measured run once for every request sent,
	// with the operation of the request's kind on the same target, at the same
	// concurrency: the figures it gives are each kind's baseline (see Stat.Baseline).
	Baseline BaselineFunc
}

// Op is the logical operation of a request kind: what its baseline does straight
// through the database.
type Op string

const (
	OpGetUser        Op = "get user"
	OpFindUserName   Op = "find user by userName"
	OpFindExternalID Op = "find user by externalId"
	OpPage           Op = "page of 100 users"
	OpSetActive      Op = "set active"
	OpSetAttributes  Op = "set active and title"
	OpCreateUser     Op = "create a user"
	OpCreateUsers    Op = "create users in one batch"
	OpMemberAdd      Op = "add a group member"
	OpMemberRemove   Op = "remove a group member"
)

// Ops are every kind's possible operations, in the order their baselines run: a
// baseline member is added before it is removed.
var Ops = []Op{OpGetUser, OpFindUserName, OpFindExternalID, OpPage, OpSetActive, OpSetAttributes,
	OpCreateUser, OpCreateUsers, OpMemberAdd, OpMemberRemove}

// BaselineFunc does op with the least database work it needs, on target.
type BaselineFunc func(ctx context.Context, op Op, target Target) error

// Target is what a baseline operation works on.
type Target struct {
	// A prepared user, by id, userName and externalId.
	UserID, UserName, ExternalID string
	// The group and the member of a membership change.
	GroupID, MemberID string
	// Skip is where a page starts.
	Skip int
	// New are the users to create: one for OpCreateUser, a /Bulk's worth for
	// OpCreateUsers.
	New []NewUser
}

// NewUser is a user for a baseline to create: its id and its attributes as the SCIM
// request carried them (without "schemas").
type NewUser struct {
	ID         string
	Attributes map[string]any
}

// Workloads are the loads the tool knows.
var Workloads = []string{"read", "okta-sync", "entra-sync", "onboard", "groups"}

// Stat is the figures of one kind of request.
type Stat struct {
	Kind string `json:"kind"`
	Op   Op     `json:"operation"`
	// Requests sent, and how many failed: a wrong status, or a /Bulk answer with a
	// failed operation.
	Requests int `json:"requests"`
	Errors   int `json:"errors"`
	// Operations the requests carried (a /Bulk request's operations, one otherwise),
	// and how many failed.
	Operations       int `json:"operations"`
	FailedOperations int `json:"failedOperations"`
	// PerSecond and OperationsPerSecond are over the time the kind's phase of the
	// workload ran (onboard creates users one by one, then through /Bulk).
	PerSecond           float64       `json:"perSecond"`
	OperationsPerSecond float64       `json:"operationsPerSecond"`
	P50                 time.Duration `json:"p50Ns"`
	P90                 time.Duration `json:"p90Ns"`
	P99                 time.Duration `json:"p99Ns"`
	Max                 time.Duration `json:"maxNs"`
	Mean                time.Duration `json:"meanNs"`
	DBCommands          float64       `json:"dbCommandsPerRequest,omitempty"`
	// Baseline is the mean time of the kind's logical operation done straight through
	// the database driver, at the same concurrency (see Config.Baseline).
	Baseline time.Duration `json:"baselineMeanNs,omitempty"`
}

// BaselineRatio is the baseline's time over the SCIM request's: the share of a request's
// time that is the database work it cannot avoid (1 would be no overhead at all).
func (s Stat) BaselineRatio() float64 {
	if s.Baseline == 0 || s.Mean == 0 {
		return 0
	}
	return float64(s.Baseline) / float64(s.Mean)
}

// Report is the outcome of a run.
type Report struct {
	Workload    string        `json:"workload"`
	URL         string        `json:"url"`
	Concurrency int           `json:"concurrency"`
	Duration    time.Duration `json:"durationNs"`
	Sent        int           `json:"requestsSent"`
	Stats       []Stat        `json:"stats"`
}

// ref is what a measured request worked on, for its baseline to work on the same.
type ref struct {
	user  int    // a prepared user's index, or the first new user's
	count int    // users a create makes
	group string // the group of a member change
	skip  int    // where a page starts
}

// request is one request for a client to send.
type request struct {
	kind string
	op   Op  // "" for preparation and clean-up, which are not measured
	at   ref // for the baseline
	// phase numbers a workload's consecutive parts, each kind's rates being over its
	// own part's time.
	phase        int
	method, path string
	body         any
	want         int // the expected status; anything else is an error
	ops          int // operations the request carries; 0 means 1
}

// accepts reports whether a status is the request's success: its want, or for a
// PATCH that wants 200 also 204, since RFC 7644 §3.5.2 lets the server choose (scimhq
// answers a Group's PATCH without a body: it would carry every member).
func (r request) accepts(status int) bool {
	return status == r.want || r.method == http.MethodPatch && r.want == http.StatusOK && status == http.StatusNoContent
}

// sample is one request's outcome, with what of the request the report and the
// baseline need (not its body: samples are kept for the whole run).
type sample struct {
	kind      string
	op        Op
	at        ref
	phase     int
	ops       int
	start     time.Time
	latency   time.Duration
	failed    bool
	failedOps int
}

// recorder collects samples from concurrent clients.
type recorder struct {
	mu      sync.Mutex
	samples []sample
	sent    atomic.Int64
}

func (r *recorder) add(s sample) {
	r.mu.Lock()
	r.samples = append(r.samples, s)
	r.mu.Unlock()
}

// client sends requests and records them.
type client struct {
	base, token string
	http        *http.Client
	rec         *recorder
	kindHeader  bool
}

// partial is an answer that reports which of the operations its request carried
// succeeded: a /Bulk response, whose status is 200 however many of them failed.
type partial interface{ succeeded() int }

// do sends a request and records its outcome. out, when given, receives the decoded
// JSON answer; when it is a partial, the operations it does not report as succeeded
// failed, and make the request an error.
func (c *client) do(ctx context.Context, r request, out any) error {
	if r.ops == 0 {
		r.ops = 1
	}
	var reader io.Reader
	if r.body != nil {
		data, err := json.Marshal(r.body)
		if err != nil {
			return err
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, reader)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/scim+json")
	if c.kindHeader {
		req.Header.Set("X-Bench-Kind", r.kind)
	}
	c.rec.sent.Add(1)
	s := sample{kind: r.kind, op: r.op, at: r.at, phase: r.phase, ops: r.ops, start: time.Now(), failedOps: r.ops}
	defer func() { c.rec.add(s) }()
	resp, err := c.http.Do(req)
	var data []byte
	if err == nil {
		data, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	s.latency = time.Since(s.start)
	s.failed = true
	switch {
	case err != nil:
		return err
	case !r.accepts(resp.StatusCode):
		return fmt.Errorf("%s %s: %d %s", r.method, r.path, resp.StatusCode, bytes.TrimSpace(data))
	case out != nil:
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: %w", r.method, r.path, err)
		}
	}
	s.failedOps = 0
	if p, ok := out.(partial); ok {
		s.failedOps = r.ops - min(p.succeeded(), r.ops)
	}
	s.failed = s.failedOps > 0
	return nil
}

// Run runs a workload and returns its report.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if !slices.Contains(Workloads, cfg.Workload) {
		return Report{}, fmt.Errorf("unknown workload %q (known: %s)", cfg.Workload, strings.Join(Workloads, ", "))
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}
	if cfg.Users < 1 {
		cfg.Users = 100
	}
	if cfg.Requests == 0 && cfg.Duration == 0 {
		cfg.Requests = 1000
	}
	if len(cfg.GroupSizes) == 0 {
		cfg.GroupSizes = []int{10, 10_000, 100_000}
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Minute}
	}
	rec := &recorder{}
	c := &client{base: strings.TrimRight(cfg.URL, "/"), token: cfg.Token, http: hc, rec: rec, kindHeader: cfg.KindHeader}
	w := &workload{c: c, cfg: cfg, tag: tag()}
	defer w.cleanUp()
	if err := w.prepare(ctx); err != nil {
		return Report{}, fmt.Errorf("preparing the data: %w", err)
	}
	rec.samples = nil // preparation is not measured
	rec.sent.Store(0)
	if cfg.Prepared != nil {
		cfg.Prepared()
	}
	start := time.Now()
	stopProgress := progressLine(cfg, rec, start)
	w.run(ctx)
	stopProgress()
	report := Report{Workload: cfg.Workload, URL: c.base, Concurrency: cfg.Concurrency, Duration: time.Since(start), Sent: int(rec.sent.Load())}
	report.Stats = summarise(rec.samples)
	if cfg.Baseline != nil {
		if err := w.baseline(ctx, report.Stats, rec.samples); err != nil {
			return report, fmt.Errorf("baseline: %w", err)
		}
	}
	return report, nil
}

func tag() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "bench-" + hex.EncodeToString(b)
}

// summarise turns samples into per-kind figures, kinds in name order. A kind's rates
// are over its phase's time, from the phase's first request sent to its last answered.
func summarise(samples []sample) []Stat {
	type span struct{ first, last time.Time }
	phases := map[int]*span{}
	byKind := map[string][]sample{}
	for _, s := range samples {
		byKind[s.kind] = append(byKind[s.kind], s)
		end := s.start.Add(s.latency)
		if p := phases[s.phase]; p == nil {
			phases[s.phase] = &span{s.start, end}
		} else {
			p.first, p.last = minTime(p.first, s.start), maxTime(p.last, end)
		}
	}
	var out []Stat
	for kind, ss := range byKind {
		lat := make([]time.Duration, len(ss))
		st := Stat{Kind: kind, Op: ss[0].op, Requests: len(ss)}
		var sum time.Duration
		for i, s := range ss {
			lat[i] = s.latency
			sum += s.latency
			st.Operations += s.ops
			st.FailedOperations += s.failedOps
			if s.failed {
				st.Errors++
			}
		}
		st.Mean = sum / time.Duration(len(ss))
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		st.P50, st.P90, st.P99, st.Max = pct(0.50), pct(0.90), pct(0.99), lat[len(lat)-1]
		p := phases[ss[0].phase]
		seconds := max(p.last.Sub(p.first), time.Microsecond).Seconds()
		st.PerSecond, st.OperationsPerSecond = float64(st.Requests)/seconds, float64(st.Operations)/seconds
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// WriteText writes the report as a table, and for the kinds that create users how
// many per second, which is what compares single POSTs with /Bulk.
func (r Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "workload %s against %s, %d clients, %v, %d requests\n", r.Workload, r.URL, r.Concurrency, r.Duration.Round(time.Millisecond), r.Sent)
	fmt.Fprintf(w, "%-28s %8s %6s %8s %10s %10s %10s %10s %7s %10s %9s\n", "kind", "requests", "errors", "req/s", "p50", "p90", "p99", "max", "db/req", "baseline", "base/scim")
	for _, s := range r.Stats {
		db, base, vs := "-", "-", "-"
		if s.DBCommands > 0 {
			db = fmt.Sprintf("%.1f", s.DBCommands)
		}
		if s.Baseline > 0 {
			base, vs = s.Baseline.Round(time.Microsecond).String(), fmt.Sprintf("%.2f", s.BaselineRatio())
		}
		fmt.Fprintf(w, "%-28s %8d %6d %8.1f %10v %10v %10v %10v %7s %10s %9s\n", s.Kind, s.Requests, s.Errors, s.PerSecond,
			s.P50.Round(time.Microsecond), s.P90.Round(time.Microsecond), s.P99.Round(time.Microsecond), s.Max.Round(time.Microsecond), db, base, vs)
	}
	for _, s := range r.Stats {
		if s.Op == OpCreateUser || s.Op == OpCreateUsers {
			fmt.Fprintf(w, "%-28s %d users, %d failed, %.1f users/s\n", s.Kind+":", s.Operations, s.FailedOperations, s.OperationsPerSecond)
		}
	}
}

type kindKey struct{}

// WithKinds wraps a server's handler so that each request's context carries the kind
// the bench sent in X-Bench-Kind (see KindOf).
func WithKinds(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if kind := r.Header.Get("X-Bench-Kind"); kind != "" {
			r = r.WithContext(context.WithValue(r.Context(), kindKey{}, kind))
		}
		next.ServeHTTP(w, r)
	})
}

// KindOf returns the bench kind a context carries, or "".
func KindOf(ctx context.Context) string {
	k, _ := ctx.Value(kindKey{}).(string)
	return k
}

// CommandCounter counts database commands per bench kind.
type CommandCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

// Count records a command issued for a context.
func (c *CommandCounter) Count(ctx context.Context) {
	kind := KindOf(ctx)
	if kind == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	c.counts[kind]++
}

// Reset forgets the counts (after the preparation).
func (c *CommandCounter) Reset() {
	c.mu.Lock()
	c.counts = nil
	c.mu.Unlock()
}

// Apply sets each stat's database commands per request.
func (c *CommandCounter) Apply(stats []Stat) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range stats {
		if n := c.counts[stats[i].Kind]; n > 0 {
			stats[i].DBCommands = float64(n) / float64(stats[i].Requests)
		}
	}
}

// progressLine redraws "workload: N requests, T s" on cfg.Progress until stopped.
func progressLine(cfg Config, rec *recorder, start time.Time) func() {
	if cfg.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(cfg.Progress, "\r\033[K")
				return
			case <-tick.C:
				fmt.Fprintf(cfg.Progress, "\r\033[K%s: %d requests, %.0f s", cfg.Workload, rec.sent.Load(), time.Since(start).Seconds())
			}
		}
	}()
	return func() { close(done); <-finished }
}
