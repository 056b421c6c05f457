package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/scimhq/scimhq/conformance"
)

// conformanceCommand checks any SCIM server against RFC 7643/7644, Okta and Entra ID.
// Exit status: 0 when no case failed, 1 when some did, 2 for a usage error or a server
// whose configuration cannot be read.
func conformanceCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("scimhq conformance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", os.Getenv("SCIMHQ_URL"), "SCIM root of the server to check (env SCIMHQ_URL)")
	token := fs.String("token", os.Getenv("SCIMHQ_TOKEN"), "bearer token (env SCIMHQ_TOKEN)")
	suites := fs.String("suite", strings.Join(conformance.Suites, ","), "suites to run, comma-separated: "+strings.Join(conformance.Suites, ", "))
	junit := fs.String("junit", "", "also write JUnit XML to this file")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *base == "" || *token == "" {
		return exitStatus{2, errors.New("conformance: --url and --token are required (or SCIMHQ_URL and SCIMHQ_TOKEN)")}
	}
	report, err := conformance.Run(ctx, conformance.Config{URL: *base, Token: *token, Suites: strings.Split(*suites, ",")})
	if err != nil {
		return exitStatus{2, fmt.Errorf("conformance: %w", err)}
	}
	report.WriteText(stdout)
	write := func(path string, fn func(io.Writer) error) error {
		if path == "" {
			return nil
		}
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if err := write(*junit, report.WriteJUnit); err != nil {
		return err
	}
	if err := write(*jsonOut, report.WriteJSON); err != nil {
		return err
	}
	if n := report.Count(conformance.Fail); n > 0 {
		return exitStatus{1, fmt.Errorf("%d conformance case(s) failed", n)}
	}
	return nil
}
