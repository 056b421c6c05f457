package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/scim"
	"github.com/scimhq/scimhq/storage"
)

// defaultTenant owns the bootstrap token.
const defaultTenant = "default"

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("scimhq serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := parseConfig(fs, args, "addr", "data-dir", "mongodb-uri", "database", "token", "base-url", "max-body-bytes", "log-format")
	if err != nil {
		return err
	}
	logger, err := newLogger(cfg.LogFormat, stderr)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()

	if cfg.exampleCatalog {
		logger.Info("no configuration defines products: using the example catalog and tenants (see cmd/scimhq/scimhq.example.yaml)")
	}
	store, closeStore, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer closeStore()

	if err := bootstrapToken(ctx, store, cfg.Token, stdout, logger); err != nil {
		return err
	}

	service := &resources.Service{Store: store, Policy: cfg.policy()}
	go purgePeriodically(ctx, service, cfg.retention(), logger)
	srv := &scim.Server{
		Service:      service,
		Ready:        store.Ping,
		BaseURL:      cfg.BaseURL,
		MaxBodyBytes: cfg.MaxBodyBytes,
		Logger:       logger,
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	httpServer := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          zap.NewStdLog(logger.Named("http")),
	}
	logger.Info("serving SCIM", zap.String("addr", ln.Addr().String()), zap.String("scim_root", "http://"+ln.Addr().String()+scim.Prefix))

	errc := make(chan error, 1)
	go func() { errc <- httpServer.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Graceful shutdown: stop accepting, let in-flight requests finish (bounded).
	logger.Info("shutting down; finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

func newLogger(format string, w io.Writer) (*zap.Logger, error) {
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	switch format {
	case "json":
		enc = zapcore.NewJSONEncoder(encCfg)
	case "console":
		encCfg.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(encCfg)
	default:
		return nil, fmt.Errorf("--log-format must be json or console, not %q", format)
	}
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(w), zap.InfoLevel)), nil
}

// openStore connects to the configured MongoDB, or starts the embedded engine when no
// URI is configured. The returned function closes both.
func openStore(ctx context.Context, cfg *Config, logger *zap.Logger) (*storage.Store, func(), error) {
	return openStoreWith(ctx, cfg, logger, storage.Options{Database: cfg.Database})
}

// openStoreWith is openStore with storage options (a command monitor, a timeout).
func openStoreWith(ctx context.Context, cfg *Config, logger *zap.Logger, opts storage.Options) (*storage.Store, func(), error) {
	uri := cfg.MongoDBURI
	var embedded *storage.Embedded
	if uri == "" {
		var err error
		embedded, err = storage.StartEmbedded(cfg.DataDir, nil)
		if err != nil {
			return nil, nil, err
		}
		uri = embedded.URI()
		opts.Embedded = embedded
		logger.Info("no MongoDB URI configured: started the embedded database (FerretDB on SQLite)", zap.String("data_dir", cfg.DataDir))
	}
	openCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	store, err := storage.Open(openCtx, uri, opts)
	if err != nil {
		if embedded != nil {
			_ = embedded.Close()
		}
		return nil, nil, err
	}
	closeAll := func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := store.Close(closeCtx); err != nil {
			logger.Warn("closing the database connection", zap.Error(err))
		}
		if embedded != nil {
			if err := embedded.Close(); err != nil {
				logger.Warn("stopping the embedded database", zap.Error(err))
			}
		}
	}
	return store, closeAll, nil
}

// bootstrapToken makes sure the server can be used: it registers the --token secret for
// the default tenant, or, when the database has no token at all, creates one and prints
// it once.
func bootstrapToken(ctx context.Context, store *storage.Store, secret string, stdout io.Writer, logger *zap.Logger) error {
	if secret != "" {
		if err := resources.EnsureToken(ctx, store, defaultTenant, "--token", secret); err != nil {
			return fmt.Errorf("registering --token: %w", err)
		}
		return nil
	}
	existing, err := store.ListTokens(ctx, "")
	if err != nil {
		return err
	}
	if len(existing) > 0 {
		return nil
	}
	t, secret, err := resources.NewToken(ctx, store, defaultTenant, "bootstrap")
	if err != nil {
		return err
	}
	logger.Info("created the first bearer token for tenant default; it is printed once on standard output", zap.String("token_id", t.ID))
	fmt.Fprintf(stdout, "\nNo token existed, so scimhq created one for tenant %q. It is shown only this once:\n\n    %s\n\nUse it as: Authorization: Bearer %s\n\n", defaultTenant, secret, secret)
	return nil
}

// purgePeriodically removes deleted users past their retention, at start and hourly,
// until ctx ends. Every replica may run it: purging is idempotent.
func purgePeriodically(ctx context.Context, s *resources.Service, retention time.Duration, logger *zap.Logger) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		if n, err := s.Purge(ctx, retention); err != nil {
			if ctx.Err() == nil {
				logger.Warn("purging deleted users failed", zap.Error(err))
			}
		} else if n > 0 {
			logger.Info("purged deleted users past their retention", zap.Int("count", n), zap.Duration("retention", retention))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
