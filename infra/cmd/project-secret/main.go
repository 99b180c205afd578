// Command project-secret creates, lists and revokes the deployed project's secrets.
//
//	go run ./infra/cmd/project-secret [create] -project-id project-live-... [-table latchkey] [-region eu-west-1]
//	go run ./infra/cmd/project-secret list -project-id project-live-...
//	go run ./infra/cmd/project-secret revoke -project-id project-live-... [-force] <secret-id>
//	make project-secret PROJECT_ID=project-live-...            (create)
//	make project-secret-list PROJECT_ID=project-live-...
//	make project-secret-revoke PROJECT_ID=project-live-... SECRET_ID=secret-...
//
// It talks to the DynamoDB table with the caller's AWS credentials (the usual environment,
// profile or SSO configuration; create needs dynamodb:PutItem on the table, list dynamodb:Query,
// revoke both Query and DeleteItem). Only the SHA-256 hash of a secret is stored, as
// shared/store.PutProjectSecret does for `make dev`; a new secret goes to stdout once and
// nowhere else, so `SECRET=$(make -s project-secret ...)` works and everything for people goes
// to stderr. Several secrets may be active at once (rotation): create the new one, deploy it to
// the application, then revoke the old one.
//
// A secret's id is "secret-" and the first 16 hex digits of its hash: enough to name it, nothing
// to authenticate with. Revoking the project's last secret locks every backend out, so it needs
// -force. A running function remembers a verified secret for up to a minute (shared/api
// ProjectAuth), so a revoked secret stops working within a minute, not at once.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
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

const usage = `usage: project-secret [create|list|revoke] [flags] [secret-id]

  create   make a new secret and print it once on stdout (the default)
  list     list the stored secrets: id, last four characters, created
  revoke   delete the secret with the given id (-force to delete the last one)

flags:`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	command := "create"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		command, args = args[0], args[1:]
	}
	if command != "create" && command != "list" && command != "revoke" {
		return fmt.Errorf("unknown command %q: want create, list or revoke", command)
	}
	fs := flag.NewFlagSet("project-secret", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, usage); fs.PrintDefaults() }
	projectID := fs.String("project-id", os.Getenv("LATCHKEY_PROJECT_ID"), "project id the stack was deployed with (projectId context; default $LATCHKEY_PROJECT_ID)")
	table := fs.String("table", envOr("LATCHKEY_TABLE", "latchkey"), "DynamoDB table (the stack's TableName output)")
	region := fs.String("region", os.Getenv("AWS_REGION"), "AWS region of the stack (default: $AWS_REGION, then the AWS profile's region)")
	endpoint := fs.String("endpoint", os.Getenv("LATCHKEY_DYNAMODB_ENDPOINT"), "DynamoDB endpoint override, for DynamoDB Local only")
	force := fs.Bool("force", false, "revoke: allow revoking the project's last secret")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var secretID string
	switch {
	case command == "revoke" && fs.NArg() != 1:
		return errors.New("revoke takes one secret id (see `project-secret list`), after the flags")
	case command == "revoke":
		secretID = fs.Arg(0)
	case fs.NArg() > 0:
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
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st := store.New(cfg, *endpoint, *table)
	where := fmt.Sprintf("table %s (%s)", *table, cfg.Region)
	switch command {
	case "list":
		return list(ctx, st, *projectID, where, stdout)
	case "revoke":
		return revoke(ctx, st, *projectID, secretID, *force, where, stderr)
	}
	value, _ := secret.New()
	if err := st.PutProjectSecret(ctx, *projectID, value, time.Now().UTC()); err != nil {
		return fmt.Errorf("store the secret in %s: %w", where, err)
	}
	fmt.Fprintf(stderr, "Created project secret %s for %s in %s, ending in …%s.\n", secretIDOf(secret.Hash(value)), *projectID, where, secret.LastFour(value))
	fmt.Fprintln(stderr, "It is printed once, below; only its hash is stored. Keep it in your secret manager.")
	fmt.Fprintln(stdout, value)
	return nil
}

func secretIDOf(hash string) string { return "secret-" + hash[:16] }

func list(ctx context.Context, st *store.Store, projectID, where string, stdout io.Writer) error {
	secrets, err := st.ProjectSecrets(ctx, projectID)
	if err != nil {
		return fmt.Errorf("list the secrets in %s: %w", where, err)
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SECRET ID\tENDS IN\tCREATED")
	for _, s := range secrets {
		fmt.Fprintf(w, "%s\t…%s\t%s\n", secretIDOf(s.Hash), s.LastFour, s.CreatedAt.UTC().Format(time.RFC3339))
	}
	return w.Flush()
}

func revoke(ctx context.Context, st *store.Store, projectID, id string, force bool, where string, stderr io.Writer) error {
	secrets, err := st.ProjectSecrets(ctx, projectID)
	if err != nil {
		return fmt.Errorf("list the secrets in %s: %w", where, err)
	}
	i := slices.IndexFunc(secrets, func(s store.ProjectSecret) bool { return secretIDOf(s.Hash) == id })
	if i < 0 {
		return fmt.Errorf("no secret %s for %s in %s (see `project-secret list`)", id, projectID, where)
	}
	if len(secrets) == 1 && !force {
		return fmt.Errorf("%s is the project's only secret: revoking it locks every backend out; create a new one first, or pass -force", id)
	}
	if err := st.DeleteProjectSecret(ctx, projectID, secrets[i].Hash); err != nil {
		return fmt.Errorf("revoke %s in %s: %w", id, where, err)
	}
	fmt.Fprintf(stderr, "Revoked project secret %s (ending in …%s) of %s; running functions stop accepting it within a minute.\n",
		id, secrets[i].LastFour, projectID)
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
