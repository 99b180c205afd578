// Command devserver is `make dev`: it starts the emulators (DynamoDB Local with data kept in
// .data/, aws-ses-v2-local, the SMS emulator), creates the table, makes sure the project and its secret exist,
// and serves every function's routes in one process on LATCHKEY_PORT. Ctrl-C stops it all.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/latchkey/latchkey/localstack/emulators"
	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/store"
)

// Documented defaults (README "Run it locally"); override with the environment.
const (
	defaultProjectID = "project-test-00000000-0000-4000-8000-000000000000"
	defaultSecret    = "secret-test-local-development-only-not-for-production"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "make dev:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	port, err := portEnv("LATCHKEY_PORT", 8080)
	if err != nil {
		return err
	}
	dynamoPort, err := portEnv("LATCHKEY_DYNAMODB_PORT", 8000)
	if err != nil {
		return err
	}
	sesPort, err := portEnv("LATCHKEY_SES_PORT", 8005)
	if err != nil {
		return err
	}
	smsPort, err := portEnv("LATCHKEY_SMS_PORT", 8006)
	if err != nil {
		return err
	}
	// The webhook inbox keeps its port: the dev endpoint stored in .data points at it.
	inboxPort, err := portEnv("LATCHKEY_WEBHOOK_INBOX_PORT", 8007)
	if err != nil {
		return err
	}
	// Fail before starting anything if the API port is taken.
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return fmt.Errorf("port %d is in use (set LATCHKEY_PORT): %w", port, err)
	}

	master, err := localKMSKey(filepath.Join(".data", "kms-master.key"))
	if err != nil {
		ln.Close()
		return err
	}
	fmt.Println("Starting DynamoDB Local, the SES, SMS, KMS and SQS emulators and the webhook inbox…")
	stack, err := emulators.Start(context.Background(), emulators.Options{
		DynamoDBPort: dynamoPort, SESPort: sesPort, SMSPort: smsPort, DynamoDBDir: filepath.Join(".data", "dynamodb"),
		KMSMasterKey: master, WebhookInboxPort: inboxPort,
	})
	if err != nil {
		ln.Close()
		return err
	}
	defer stack.Stop()

	if os.Getenv("LATCHKEY_PROJECT_ID") == "" {
		os.Setenv("LATCHKEY_PROJECT_ID", defaultProjectID)
	}
	cfg, err := app.ConfigFromEnv()
	if err != nil {
		return err
	}
	cfg.DynamoDBEndpoint, cfg.SESEndpoint, cfg.SMSEndpoint = stack.DynamoDBEndpoint, stack.SESEndpoint, stack.SMSEndpoint
	cfg.KMSEndpoint, cfg.SecretsManagerEndpoint = stack.KMSEndpoint, stack.SecretsManagerEndpoint
	// Identity providers a developer runs on this machine are on loopback.
	cfg.FetchAllowLoopback = true
	if os.Getenv("LATCHKEY_BASE_URL") == "" {
		// SCIM connections' base_url points at this gateway, whatever port it is on.
		cfg.BaseURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	}
	secret := envOr("LATCHKEY_PROJECT_SECRET", defaultSecret)
	if len(cfg.ProjectID) < 2 || len(secret) < 2 {
		return errors.New("LATCHKEY_PROJECT_ID and LATCHKEY_PROJECT_SECRET must be at least 2 characters")
	}
	awsCfg, err := store.AWSConfig(ctx, cfg.Region, cfg.DynamoDBEndpoint)
	if err != nil {
		return err
	}
	if err := store.CreateTable(ctx, store.NewClient(awsCfg, cfg.DynamoDBEndpoint), cfg.Table); err != nil {
		return err
	}
	// Webhook deliveries go through the SQS emulator's queue, with its dead-letter queue.
	cfg.SQSEndpoint = stack.SQSEndpoint
	if cfg.WebhookQueueURL, err = createWebhookQueues(ctx, app.NewSQSClient(awsCfg, cfg.SQSEndpoint)); err != nil {
		return err
	}
	a, err := app.Build(ctx, cfg, os.Stdout)
	if err != nil {
		return err
	}
	if err := a.Store.PutProjectSecret(ctx, cfg.ProjectID, secret, time.Now().UTC()); err != nil {
		return err
	}
	// The local event source mappings: the table's stream to the capture, the queue to the
	// delivery, as Lambda runs them.
	pipe, err := startPipeline(ctx, cfg, a, stack)
	if err != nil {
		return err
	}
	defer pipe.Stop()
	hooks := webhookBanner(ctx, a, stack, cfg)

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	handler, err := withOpenAPI(a.Server.Handler(""), base)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	printBanner(base, cfg.ProjectID, secret, cfg.PublicToken, stack, hooks)

	select {
	case <-ctx.Done():
		fmt.Println("\nStopping…")
	case err := <-errc:
		return err
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// withOpenAPI serves the API's OpenAPI document at GET /openapi.json beside the API, naming
// this server as its server.
func withOpenAPI(next http.Handler, base string) (http.Handler, error) {
	doc, err := api.OpenAPIJSON(base)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/openapi.json" || r.Method != http.MethodGet && r.Method != http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		// Swagger UI and editors served from another origin read it.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		_, _ = w.Write(doc)
	}), nil
}

// localKMSKey reads the KMS emulator's master key from path, creating it on first use: the
// connection secrets sealed in .data/dynamodb must open after a restart.
func localKMSKey(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil && len(b) == 32 {
		return b, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	return b, os.WriteFile(path, b, 0o600)
}

func printBanner(base, projectID, secret, publicToken string, stack *emulators.Stack, hooks string) {
	fmt.Printf(`
Latchkey is running.

  API base URL   %[1]s        (GET %[1]s/healthz)
  OpenAPI        %[1]s/openapi.json        (docs/openapi.json, for this server)
  Project ID     %[2]s
  Secret         %[3]s
  Public token   %[7]s        (browser routes: GET %[1]s/v1/public/sso/start?...)
  Email inbox    %[4]s/        (JSON: %[4]s/store)
  SMS inbox      %[6]s/        (JSON: %[6]s/store)
  DynamoDB       %[5]s        (data in .data/dynamodb)
%[8]s
Try it with curl:

  curl -s -u '%[2]s:%[3]s' %[1]s/v1/b2b/organizations \
    -H 'Content-Type: application/json' \
    -d '{"organization_name":"Acme","organization_slug":"acme"}'

or with stytch-go v18:

  client, err := b2bstytchapi.NewClient("%[2]s", "%[3]s",
      b2bstytchapi.WithBaseURI("%[1]s"))

Ctrl-C stops the API and the emulators.
`, base, projectID, secret, stack.SESEndpoint, stack.DynamoDBEndpoint, stack.SMSEndpoint, publicToken, hooks)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func portEnv(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("%s=%q is not a port number", name, v)
	}
	return p, nil
}
