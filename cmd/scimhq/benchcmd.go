package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.uber.org/zap"

	"github.com/scimhq/scimhq/cmd/scimhq/bench"
	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/scim"
	"github.com/scimhq/scimhq/storage"
)

// benchCommand measures a SCIM server under provisioning loads: a server given by --url,
// or scimhq started in-process (on the embedded engine in a scratch directory, or on
// --mongodb-uri), where --trace-db also counts the database commands of each request
// kind.
func benchCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("scimhq bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", os.Getenv("SCIMHQ_URL"), "SCIM root of the server to measure; empty starts scimhq in-process")
	token := fs.String("token", os.Getenv("SCIMHQ_TOKEN"), "bearer token for --url")
	workloads := fs.String("workload", "read", "workloads, comma-separated, or all: "+strings.Join(bench.Workloads, ", "))
	users := fs.Int("users", 200, "users to prepare (onboard: to create, twice)")
	concurrency := fs.Int("concurrency", 4, "clients sending at once")
	requests := fs.Int("requests", 0, "stop after exactly this many requests (default 1000 unless --duration; onboard sends what --users takes)")
	duration := fs.Duration("duration", 0, "stop after this long")
	jsonOut := fs.String("json", "", "also write the reports as JSON to this file")
	groupSizes := fs.String("group-sizes", "10,10000,100000", "sizes of the groups workload's groups")
	traceDB := fs.Bool("trace-db", true, "count database commands per request kind (in-process only)")
	baseline := fs.Bool("baseline", false, "also run each request kind's logical operation straight through the MongoDB driver and print SCIM throughput as a ratio of it (in-process only)")
	cfg, err := parseConfig(fs, args, "mongodb-uri", "database")
	if err != nil {
		return err
	}
	var counter bench.CommandCounter
	var baselineFn bench.BaselineFunc
	scratch := *base == ""
	if *base == "" {
		url, secret, store, stop, err := inProcessServer(ctx, cfg, &counter, *traceDB)
		if err != nil {
			return err
		}
		defer stop()
		*base, *token = url, secret
		fmt.Fprintf(stdout, "measuring scimhq in-process at %s (%s)\n", url, engineName(cfg))
		if *baseline {
			baselineFn = driverBaseline(store)
		}
	} else if *token == "" {
		return exitStatus{2, errors.New("bench: --token is required with --url")}
	} else if *baseline {
		return exitStatus{2, errors.New("bench: --baseline measures the database under an in-process scimhq; leave out --url")}
	}
	var sizes []int
	for _, f := range strings.Split(*groupSizes, ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil || n < 1 {
			return exitStatus{2, fmt.Errorf("bench: --group-sizes takes positive numbers, not %q", f)}
		}
		sizes = append(sizes, n)
	}
	list := bench.Workloads
	if *workloads != "all" {
		list = strings.Split(*workloads, ",")
	}
	var reports []bench.Report
	for _, w := range list {
		report, err := bench.Run(ctx, bench.Config{
			URL: *base, Token: *token, Workload: strings.TrimSpace(w), Users: *users, Concurrency: *concurrency,
			Requests: *requests, Duration: *duration, KindHeader: true, Prepared: counter.Reset, Baseline: baselineFn,
			GroupSizes: sizes, SkipCleanup: scratch && cfg.MongoDBURI == "", Progress: terminal(stderr),
		})
		if err != nil {
			return err
		}
		counter.Apply(report.Stats)
		report.WriteText(stdout)
		fmt.Fprintln(stdout)
		reports = append(reports, report)
	}
	if *jsonOut != "" {
		data, _ := json.MarshalIndent(reports, "", "  ")
		if err := os.WriteFile(*jsonOut, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func engineName(cfg *Config) string {
	if cfg.MongoDBURI != "" {
		return "MongoDB"
	}
	return "embedded FerretDB v1.24 on SQLite"
}

// inProcessServer starts scimhq on a loopback port with a fresh token, on a scratch
// embedded database unless a MongoDB URI is configured.
func inProcessServer(ctx context.Context, cfg *Config, counter *bench.CommandCounter, trace bool) (string, string, *storage.Store, func(), error) {
	scratch := ""
	if cfg.MongoDBURI == "" {
		dir, err := os.MkdirTemp("", "scimhq-bench-*")
		if err != nil {
			return "", "", nil, nil, err
		}
		scratch, cfg.DataDir = dir, dir
	}
	opts := storage.Options{Database: cfg.Database, Timeout: 10 * time.Minute}
	if trace {
		opts.Monitor = &event.CommandMonitor{Started: func(ctx context.Context, _ *event.CommandStartedEvent) { counter.Count(ctx) }}
	}
	store, closeStore, err := openStoreWith(ctx, cfg, zap.NewNop(), opts)
	if err != nil {
		return "", "", nil, nil, err
	}
	_, secret, err := resources.NewToken(ctx, store, defaultTenant, "bench")
	if err != nil {
		closeStore()
		return "", "", nil, nil, err
	}
	srv := &scim.Server{Service: &resources.Service{Store: store, Policy: cfg.policy()}, Ready: store.Ping}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		closeStore()
		return "", "", nil, nil, err
	}
	hs := &http.Server{Handler: bench.WithKinds(srv.Handler())}
	go func() { _ = hs.Serve(ln) }()
	stop := func() {
		_ = hs.Close()
		closeStore()
		if scratch != "" {
			_ = os.RemoveAll(scratch)
		}
	}
	return "http://" + ln.Addr().String() + scim.Prefix, secret, store, stop, nil
}

// baselineOps maps the bench's logical operations to the store's.
var baselineOps = map[bench.Op]storage.BaselineOp{
	bench.OpGetUser:        storage.BaselineGet,
	bench.OpFindUserName:   storage.BaselineFindUserName,
	bench.OpFindExternalID: storage.BaselineFindExternal,
	bench.OpPage:           storage.BaselinePage,
	bench.OpSetActive:      storage.BaselineSetActive,
	bench.OpSetAttributes:  storage.BaselineSetTitle,
	bench.OpCreateUser:     storage.BaselineCreate,
	bench.OpCreateUsers:    storage.BaselineCreateMany,
	bench.OpMemberAdd:      storage.BaselineMemberAdd,
	bench.OpMemberRemove:   storage.BaselineMemberRemove,
}

// driverBaseline runs an operation on the in-process server's store, in the tenant the
// bench's token belongs to.
func driverBaseline(store *storage.Store) bench.BaselineFunc {
	return func(ctx context.Context, op bench.Op, t bench.Target) error {
		sop, ok := baselineOps[op]
		if !ok {
			return fmt.Errorf("no baseline for %q", op)
		}
		users := make([]storage.BaselineUser, len(t.New))
		for i, u := range t.New {
			users[i] = storage.BaselineUser{ID: u.ID, Attributes: u.Attributes}
		}
		return store.Baseline(ctx, sop, storage.BaselineTarget{Tenant: defaultTenant, UserID: t.UserID, UserName: t.UserName,
			ExternalID: t.ExternalID, GroupID: t.GroupID, MemberID: t.MemberID, Skip: t.Skip, New: users})
	}
}

// terminal returns w when it is a terminal, else nil (no progress lines in logs).
func terminal(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return w
		}
	}
	return nil
}
