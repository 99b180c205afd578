// Command latchkey-migrate moves organizations and members into a Latchkey table, and out of
// one, in the JSON Lines format of shared/migrate (README, "Migrating to Latchkey"):
//
//	latchkey-migrate import --file data.jsonl [--dry-run] [--update] [--report report.json] ...
//	latchkey-migrate import --file people.csv ...                  the flat case, one member a row
//	latchkey-migrate import --from stytch --stytch-project-id project-live-... --file stytch.jsonl
//	                                                  a Stytch project, secret in $STYTCH_SECRET
//	latchkey-migrate export --out latchkey.jsonl [--include-secrets]
//	make import FILE=data.jsonl        make export OUT=latchkey.jsonl
//
// An import is idempotent (running it again changes nothing) and resumable: it writes a
// checkpoint (by default <file>.checkpoint) as it goes, and the same command run again after
// an interruption continues after the checkpoint's line. Lines that cannot be imported are
// reported with their number and reason (--report writes them all as JSON) and the rest goes
// on. It talks to the table with the caller's AWS credentials, configured as for
// project-secret: flags, or LATCHKEY_TABLE, LATCHKEY_PROJECT_ID, AWS_REGION and, for DynamoDB
// Local, LATCHKEY_DYNAMODB_ENDPOINT. An import needs dynamodb:GetItem, BatchGetItem, Query,
// PutItem, UpdateItem, DeleteItem, ConditionCheckItem and TransactWriteItems on the table; an
// export Query and BatchGetItem.
//
// Exit status: 0 when every line was imported (or left as it is), 1 when some lines failed,
// 2 when the run could not start or stopped before the end (run it again to resume).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/migrate"
	"github.com/latchkey/latchkey/shared/rbac"
	"github.com/latchkey/latchkey/shared/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code, err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "latchkey-migrate:", err)
	}
	os.Exit(code)
}

const usage = `usage: latchkey-migrate import --file FILE [flags]
       latchkey-migrate export --out FILE [flags]

  import   read organizations and members from a JSON Lines file (or a CSV file, one member
           a row), or with --from stytch from a Stytch project's API, into the table;
           idempotent and resumable
  export   write the table's organizations and members as JSON Lines

flags:`

// A source is what `import --from` reads: a stream of JSON Lines in the import format. The
// importer reads its input more than once (merging duplicates, hashing it for the
// checkpoint), so a stream is first written to --file, which is then imported, and an
// interrupted run resumes from that file. "file" is --file itself.
//
// "stytch" (stytch.go) reads a Stytch project through stytch-go; its reader ends with the
// export's error if the export fails, so a truncated export is never imported.
type source func(ctx context.Context, c *config, stderr io.Writer) (io.ReadCloser, error)

var sources = map[string]source{}

type config struct {
	command                                string
	projectID, table, region, endpoint     string
	passwordScope, rbacPolicy              string
	from, file, format, checkpoint         string
	report, out                            string
	dryRun, update, resume, secrets, quiet bool
	concurrency, batch, every              int
	maxRate                                float64
	progress                               string

	stytchProjectID, stytchBaseURL string
	includeDeleted                 bool
	organizations                  []string
}

var projectIDPattern = regexp.MustCompile(`^project-(test|live)-[0-9A-Za-z-]+$`)

func parse(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return nil, errors.New("name a command: import or export (see -h)")
	}
	c.command, args = args[0], args[1:]
	if c.command != "import" && c.command != "export" {
		return nil, fmt.Errorf("unknown command %q: want import or export", c.command)
	}
	fs := flag.NewFlagSet("latchkey-migrate "+c.command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, usage); fs.PrintDefaults() }
	fs.StringVar(&c.projectID, "project-id", os.Getenv("LATCHKEY_PROJECT_ID"), "project id the table serves (its test/live decides new ids' and checks given ones'; default $LATCHKEY_PROJECT_ID)")
	fs.StringVar(&c.table, "table", envOr("LATCHKEY_TABLE", "latchkey"), "DynamoDB table (the stack's TableName output)")
	fs.StringVar(&c.region, "region", os.Getenv("AWS_REGION"), "AWS region (default: $AWS_REGION, then the AWS profile's region)")
	fs.StringVar(&c.endpoint, "endpoint", os.Getenv("LATCHKEY_DYNAMODB_ENDPOINT"), "DynamoDB endpoint override, for DynamoDB Local only")
	fs.StringVar(&c.passwordScope, "password-scope", envOr("LATCHKEY_PASSWORD_SCOPE", migrate.ScopeOrganization), "organization or cross_organization, as the deployment's LATCHKEY_PASSWORD_SCOPE")
	if c.command == "import" {
		fs.StringVar(&c.from, "from", "file", "where to read: file (--file), or stytch (a Stytch project's API, written to --file first)")
		fs.StringVar(&c.file, "file", "", "the input: JSON Lines (.jsonl) or CSV (.csv); - reads standard input; with --from stytch, where the export is written")
		fs.StringVar(&c.stytchProjectID, "stytch-project-id", os.Getenv("STYTCH_PROJECT_ID"), "--from stytch: the source project (default $STYTCH_PROJECT_ID); its secret is read from $STYTCH_SECRET")
		fs.StringVar(&c.stytchBaseURL, "stytch-base-url", os.Getenv("STYTCH_BASE_URL"), "--from stytch: the source API's base URL (default $STYTCH_BASE_URL, then Stytch's live or test API by the project id)")
		fs.BoolVar(&c.includeDeleted, "include-deleted-members", false, "--from stytch: also read members whose status is deleted")
		fs.Func("organization", "--from stytch: read only this organization id (repeat or comma-separate for several)", func(v string) error {
			for _, id := range strings.Split(v, ",") {
				if id = strings.TrimSpace(id); id != "" {
					c.organizations = append(c.organizations, id)
				}
			}
			return nil
		})
		fs.StringVar(&c.format, "format", "", "jsonl or csv (default: from the file name)")
		fs.BoolVar(&c.dryRun, "dry-run", false, "read and compare everything, write nothing; report what would change")
		fs.BoolVar(&c.update, "update", false, "write records that exist and differ from their line (default: leave them and report them skipped)")
		fs.StringVar(&c.checkpoint, "checkpoint", "", "checkpoint file (default <file>.checkpoint); removed when the run completes")
		fs.BoolVar(&c.resume, "resume", true, "continue after the checkpoint's line; -resume=false starts over")
		fs.IntVar(&c.every, "checkpoint-every", migrate.DefaultCheckpointEvery, "write the checkpoint every N lines")
		fs.StringVar(&c.report, "report", "", "write the JSON report (counts, every failure with its line and reason) to this file")
		fs.IntVar(&c.concurrency, "concurrency", migrate.DefaultConcurrency, "batches read and written at once")
		fs.IntVar(&c.batch, "batch", migrate.DefaultBatchSize, "members per batch (one BatchGetItem, one TransactWriteItems)")
		fs.Float64Var(&c.maxRate, "max-rate", 0, "at most this many members per second (0: as fast as the table takes them)")
		fs.StringVar(&c.rbacPolicy, "rbac-policy", os.Getenv("LATCHKEY_RBAC_POLICY"), "the deployment's RBAC policy (file or JSON, as LATCHKEY_RBAC_POLICY): roles must be in it; empty checks role ids' shape only")
		fs.StringVar(&c.progress, "progress", "auto", "auto (a bar on a terminal, lines otherwise), bar, lines or none")
	} else {
		fs.StringVar(&c.out, "out", "", "the output file (JSON Lines); - writes standard output")
		fs.BoolVar(&c.secrets, "include-secrets", false, "include password hashes and TOTP secrets (the file is then a credential: protect it)")
		fs.BoolVar(&c.quiet, "quiet", false, "no progress on stderr")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch {
	case c.command == "import" && c.file == "":
		return nil, errors.New("--file is required: the file to import (or, with --from, the file the source is written to)")
	case c.command == "export" && c.out == "":
		return nil, errors.New("--out is required: the file to write")
	case c.passwordScope != migrate.ScopeOrganization && c.passwordScope != migrate.ScopeCrossOrganization:
		return nil, fmt.Errorf("--password-scope %q: want organization or cross_organization", c.passwordScope)
	case c.command == "import" && c.projectID == "":
		return nil, errors.New("--project-id is required: the project the table serves (project-test-<uuid> or project-live-<uuid>)")
	case c.projectID != "" && !projectIDPattern.MatchString(c.projectID):
		return nil, fmt.Errorf("--project-id %q must look like project-live-<uuid> or project-test-<uuid>", c.projectID)
	case c.format != "" && c.format != migrate.FormatJSONL && c.format != migrate.FormatCSV:
		return nil, fmt.Errorf("--format %q: want jsonl or csv", c.format)
	case c.command == "import" && (c.concurrency < 1 || c.concurrency > 256):
		return nil, errors.New("--concurrency must be between 1 and 256")
	case c.command == "import" && (c.batch < 1 || c.batch > 100):
		return nil, errors.New("--batch must be between 1 and 100")
	case c.command == "import" && c.from != "file" && sources[c.from] == nil:
		return nil, fmt.Errorf("--from %q: no such source (want file or stytch)", c.from)
	case c.command == "import" && c.from == "stytch" && c.file == "-":
		return nil, errors.New("--from stytch needs --file to name a file: the export is written there and imported from it")
	case c.progress != "" && c.progress != "auto" && c.progress != "bar" && c.progress != "lines" && c.progress != "none":
		return nil, fmt.Errorf("--progress %q: want auto, bar, lines or none", c.progress)
	}
	if c.checkpoint == "" && c.file != "" && c.file != "-" {
		c.checkpoint = c.file + ".checkpoint"
	}
	return c, nil
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	c, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0, nil
	}
	if err != nil {
		return 2, err
	}
	cfg, err := store.AWSConfig(ctx, c.region, c.endpoint)
	if err != nil {
		return 2, err
	}
	if cfg.Region == "" {
		return 2, errors.New("no AWS region: pass --region or set AWS_REGION")
	}
	st := store.New(cfg, c.endpoint, c.table)
	if c.command == "export" {
		return export(ctx, c, st, stdout, stderr)
	}
	return importFile(ctx, c, st, stdin, stderr)
}

func importFile(ctx context.Context, c *config, st *store.Store, stdin io.Reader, stderr io.Writer) (int, error) {
	im := &migrate.Importer{Store: st, Clock: latchkey.SystemClock{}, IDs: latchkey.IDsForProject(c.projectID), PasswordScope: c.passwordScope}
	if c.rbacPolicy != "" {
		p, err := rbac.Load(c.rbacPolicy)
		if err != nil {
			return 2, fmt.Errorf("--rbac-policy: %w", err)
		}
		im.Policy = &p
	}
	in, cleanup, err := input(ctx, c, stdin, stderr)
	if err != nil {
		return 2, err
	}
	defer cleanup()
	if c.format != "" {
		in.Format = c.format
	}
	prog := newProgress(c.progress, stderr)
	opt := migrate.Options{DryRun: c.dryRun, Update: c.update, Concurrency: c.concurrency, BatchSize: c.batch,
		Checkpoint: c.checkpoint, CheckpointEvery: c.every, Resume: c.resume, MaxRate: c.maxRate, Progress: prog.update}
	fmt.Fprintf(stderr, "latchkey-migrate: importing %s into table %s (%s)%s\n", in.Path, c.table, c.projectID, map[bool]string{true: ", dry run", false: ""}[c.dryRun])
	rep, err := im.Import(ctx, in, opt)
	prog.done()
	if rep == nil {
		return 2, err
	}
	rep.WriteSummary(stderr, 20)
	if c.report != "" {
		if werr := writeJSON(c.report, rep); werr != nil && err == nil {
			err = werr
		}
	}
	switch {
	case err != nil && c.checkpoint != "":
		return 2, fmt.Errorf("%w (the checkpoint %s holds where to resume: run the same command again)", err, c.checkpoint)
	case err != nil:
		return 2, err
	case rep.Organizations.Failed+rep.Members.Failed > 0:
		return 1, nil
	}
	return 0, nil
}

// input is what --from and --file name: the file itself, or a stream written to it first.
func input(ctx context.Context, c *config, stdin io.Reader, stderr io.Writer) (migrate.Input, func(), error) {
	none := func() {}
	switch {
	case c.from != "file":
		if c.resume && fileExists(c.checkpoint) && fileExists(c.file) {
			// Resuming: the source was written out whole before, and the checkpoint is for
			// that file; reading the source again could give another one.
			return migrate.FileInput(c.file), none, nil
		}
		rc, err := sources[c.from](ctx, c, stderr)
		if err != nil {
			return migrate.Input{}, none, err
		}
		defer rc.Close()
		in, err := migrate.SpoolInput(rc, c.file)
		return in, none, err
	case c.file == "-":
		f, err := os.CreateTemp("", "latchkey-migrate-*.jsonl")
		if err != nil {
			return migrate.Input{}, none, err
		}
		f.Close()
		in, err := migrate.SpoolInput(stdin, f.Name())
		in.Path = "standard input"
		return in, func() { os.Remove(f.Name()) }, err
	}
	if _, err := os.Stat(c.file); err != nil {
		return migrate.Input{}, none, err
	}
	return migrate.FileInput(c.file), none, nil
}

func export(ctx context.Context, c *config, st *store.Store, stdout, stderr io.Writer) (int, error) {
	w := stdout
	var f *os.File
	if c.out != "-" {
		var err error
		// Written beside the target and renamed at the end: a failed export leaves no half file.
		if f, err = os.CreateTemp(filepath.Dir(c.out), ".latchkey-export-*"); err != nil {
			return 2, err
		}
		defer os.Remove(f.Name())
		if c.secrets {
			_ = f.Chmod(0o600)
		} else {
			_ = f.Chmod(0o644)
		}
		w = f
	}
	start := time.Now()
	ex := &migrate.Exporter{Store: st, PasswordScope: c.passwordScope}
	var last time.Time
	opt := migrate.ExportOptions{IncludeSecrets: c.secrets, Progress: func(s migrate.ExportStats) {
		if !c.quiet && time.Since(last) > 2*time.Second {
			last = time.Now()
			fmt.Fprintf(stderr, "latchkey-migrate: %d organizations, %d members so far\n", s.Organizations, s.Members)
		}
	}}
	stats, err := ex.Export(ctx, w, opt)
	if err == nil && f != nil {
		if err = f.Sync(); err == nil {
			err = f.Close()
		}
		if err == nil {
			err = os.Rename(f.Name(), c.out)
		}
	}
	if err != nil {
		return 2, err
	}
	secrets := ""
	if c.secrets {
		secrets = fmt.Sprintf(", %d password hashes, %d TOTP secrets", stats.Passwords, stats.TOTPs)
	}
	fmt.Fprintf(stderr, "latchkey-migrate: exported %d organizations and %d members%s from table %s to %s in %.1fs (%d deleted members left out)\n",
		stats.Organizations, stats.Members, secrets, c.table, c.out, time.Since(start).Seconds(), stats.DeletedMembers)
	return 0, nil
}

func writeJSON(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(raw, '\n'), 0o644)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return path != "" && err == nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
