// Command scimhq is the scimhq SCIM 2.0 provisioning server and its tools.
//
//	scimhq serve          run the server
//	scimhq token ...      create, list and revoke bearer tokens
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `scimhq: a SCIM 2.0 provisioning server for Users and Groups on MongoDB.

Usage:
  scimhq serve [flags]                        run the server
  scimhq token create --tenant NAME [--name]  issue a bearer token (printed once)
  scimhq token list [--tenant NAME]           list tokens (never their secrets)
  scimhq token revoke --tenant NAME --id ID   revoke a token
  scimhq users deleted --tenant NAME          list deleted users that can be restored
  scimhq users restore --tenant NAME --id ID  restore a deleted user and its group memberships
  scimhq users purge [--older-than 720h]      remove deleted users for good
  scimhq import --url URL --token T users.csv onboard users from a CSV file (any SCIM server)
  scimhq import --template                    print the CSV template
  scimhq conformance --url URL --token T      check any SCIM server (RFC 7644, Okta, Entra ID)
  scimhq bench [--url URL --token T]          measure a SCIM server (default: scimhq in-process)

Run "scimhq COMMAND -h" for a command's flags. Every flag can also be set in the
environment (SCIMHQ_ADDR, SCIMHQ_MONGODB_URI, ...) or in a YAML file (--config).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "scimhq:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitStatus is an error that carries the process exit status.
type exitStatus struct {
	code int
	err  error
}

func (e exitStatus) Error() string { return e.err.Error() }

func exitCode(err error) int {
	var es exitStatus
	if errors.As(err, &es) {
		return es.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 1
}

// run dispatches a command line; tests call it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitStatus{2, errors.New("no command given")}
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "token":
		return tokenCommand(ctx, args[1:], stdout, stderr)
	case "users":
		return usersCommand(ctx, args[1:], stdout, stderr)
	case "import":
		return importCommand(ctx, args[1:], stdout, stderr)
	case "conformance":
		return conformanceCommand(ctx, args[1:], stdout, stderr)
	case "bench":
		return benchCommand(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return exitStatus{2, fmt.Errorf("unknown command %q", args[0])}
}
