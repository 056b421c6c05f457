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

// tokenCommand manages bearer tokens directly in the database. With the embedded
// engine, run it while the server is stopped (both would open the same files).
func tokenCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return exitStatus{2, errors.New("token: say create, list or revoke")}
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("scimhq token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	tenant := fs.String("tenant", "", "tenant the token belongs to")
	name := fs.String("name", "", "a note on what the token is for (create)")
	id := fs.String("id", "", "id of the token to revoke (revoke)")
	cfg, err := parseConfig(fs, args, "data-dir", "mongodb-uri", "database")
	if err != nil {
		return err
	}
	// Check the arguments before opening (and perhaps creating) the database.
	switch {
	case sub == "create" && *tenant == "":
		return exitStatus{2, errors.New("token create: --tenant is required")}
	case sub == "revoke" && (*tenant == "" || *id == ""):
		return exitStatus{2, errors.New("token revoke: --tenant and --id are required")}
	case sub != "create" && sub != "list" && sub != "revoke":
		return exitStatus{2, fmt.Errorf("token: unknown subcommand %q (create, list, revoke)", sub)}
	}
	store, closeStore, err := openStore(ctx, cfg, zap.NewNop())
	if err != nil {
		return err
	}
	defer closeStore()

	switch sub {
	case "create":
		t, secret, err := resources.NewToken(ctx, store, *tenant, *name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "token %s for tenant %q (shown only this once):\n", t.ID, t.Tenant)
		fmt.Fprintln(stdout, secret)
		return nil
	case "list":
		tokens, err := store.ListTokens(ctx, *tenant)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTENANT\tNAME\tCREATED")
		for _, t := range tokens {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, t.Tenant, t.Name, t.Created.Format(time.RFC3339))
		}
		return tw.Flush()
	default: // revoke
		if err := store.RevokeToken(ctx, *tenant, *id); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "revoked token %s of tenant %q\n", *id, *tenant)
		return nil
	}
}
