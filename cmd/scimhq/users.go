package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"go.uber.org/zap"

	"github.com/scimhq/scimhq/resources"
)

// usersCommand lists, restores and purges deleted users. With the embedded engine, run
// it while the server is stopped (both would open the same files).
func usersCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return exitStatus{2, errors.New("users: say deleted, restore or purge")}
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("scimhq users "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	tenant := fs.String("tenant", "", "tenant of the users (deleted, restore)")
	id := fs.String("id", "", "id of the deleted user to restore (restore)")
	olderThan := fs.Duration("older-than", 0, "purge users deleted longer ago than this (purge) (default: the configuration's deletedRetention, else 720h)")
	cfg, err := parseConfig(fs, args, "data-dir", "mongodb-uri", "database")
	if err != nil {
		return err
	}
	// The configuration is read during parsing, so the flag's default can only be
	// filled in now; an explicit --older-than 0s (purge everything) stays.
	olderThanSet := false
	fs.Visit(func(f *flag.Flag) { olderThanSet = olderThanSet || f.Name == "older-than" })
	if !olderThanSet {
		*olderThan = cfg.retention()
	}
	switch {
	case sub == "deleted" && *tenant == "", sub == "restore" && (*tenant == "" || *id == ""):
		return exitStatus{2, fmt.Errorf("users %s: --tenant (and for restore --id) is required", sub)}
	case sub != "deleted" && sub != "restore" && sub != "purge":
		return exitStatus{2, fmt.Errorf("users: unknown subcommand %q (deleted, restore, purge)", sub)}
	}
	store, closeStore, err := openStore(ctx, cfg, zap.NewNop())
	if err != nil {
		return err
	}
	defer closeStore()
	svc := &resources.Service{Store: store, Policy: cfg.policy()}

	switch sub {
	case "deleted":
		deleted, err := svc.ListDeleted(ctx, *tenant)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSERNAME\tDELETED")
		for _, d := range deleted {
			fmt.Fprintf(tw, "%s\t%v\t%s\n", d.User.ID, d.User.Attributes["userName"], d.DeletedAt.Format(time.RFC3339))
		}
		return tw.Flush()
	case "restore":
		u, err := svc.Restore(ctx, *tenant, *id, cfg.retention())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "restored user %s (%v) of tenant %q\n", u.ID, u.Attributes["userName"], *tenant)
		return nil
	default: // purge
		n, err := svc.Purge(ctx, *olderThan)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "purged %d deleted users (deleted more than %v ago)\n", n, *olderThan)
		return nil
	}
}
