// Command project-secret creates a new secret for the deployed project and prints it once.
//
//	go run ./infra/cmd/project-secret -project-id project-live-... [-table latchkey] [-region eu-west-1]
//	make project-secret PROJECT_ID=project-live-...
//
// It talks to the DynamoDB table with the caller's AWS credentials (the usual environment,
// profile or SSO configuration; it needs dynamodb:PutItem on the table). Only the SHA-256 hash
// of the secret is stored, as shared/store.PutProjectSecret does for `make dev`; the secret
// itself goes to stdout once and nowhere else, so `SECRET=$(make -s project-secret ...)` works
// and everything for people goes to stderr. Several secrets may be active at once (rotation):
// run it again for a new one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"github.com/latchkey/latchkey/shared/secret"
	"github.com/latchkey/latchkey/shared/store"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "project-secret:", err)
		os.Exit(2)
	}
}

var projectIDPattern = regexp.MustCompile(`^project-(test|live)-[0-9A-Za-z-]+$`)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("project-secret", flag.ContinueOnError)
	fs.SetOutput(stderr)
	projectID := fs.String("project-id", os.Getenv("LATCHKEY_PROJECT_ID"), "project id the stack was deployed with (projectId context; default $LATCHKEY_PROJECT_ID)")
	table := fs.String("table", envOr("LATCHKEY_TABLE", "latchkey"), "DynamoDB table (the stack's TableName output)")
	region := fs.String("region", os.Getenv("AWS_REGION"), "AWS region of the stack (default: $AWS_REGION, then the AWS profile's region)")
	endpoint := fs.String("endpoint", os.Getenv("LATCHKEY_DYNAMODB_ENDPOINT"), "DynamoDB endpoint override, for DynamoDB Local only")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *projectID == "" {
		return errors.New("-project-id is required: the projectId the stack was deployed with (the ProjectId stack output)")
	}
	if !projectIDPattern.MatchString(*projectID) {
		return fmt.Errorf("-project-id %q must look like project-live-<uuid> or project-test-<uuid>", *projectID)
	}
	cfg, err := store.AWSConfig(ctx, *region, *endpoint)
	if err != nil {
		return err
	}
	if cfg.Region == "" {
		return errors.New("no AWS region: pass -region or set AWS_REGION")
	}
	value, _ := secret.New()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := store.New(cfg, *endpoint, *table).PutProjectSecret(ctx, *projectID, value, time.Now().UTC()); err != nil {
		return fmt.Errorf("store the secret in table %s (%s): %w", *table, cfg.Region, err)
	}
	fmt.Fprintf(stderr, "Created a project secret for %s in table %s (%s), ending in …%s.\n", *projectID, *table, cfg.Region, secret.LastFour(value))
	fmt.Fprintln(stderr, "It is printed once, below; only its hash is stored. Keep it in your secret manager.")
	fmt.Fprintln(stdout, value)
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
