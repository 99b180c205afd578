// Package apptest runs Latchkey for integration tests: real emulators (or the endpoints in
// LATCHKEY_TEST_DYNAMODB_ENDPOINT / LATCHKEY_TEST_SES_ENDPOINT), a table unique to the test
// binary, a project with a fresh secret, and the local gateway behind an httptest server.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchkey/latchkey/localstack/emulators"
	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/store"
	"github.com/latchkey/latchkey/shared/tokens"
)

// Env is a running Latchkey for tests.
type Env struct {
	Stack     *emulators.Stack
	App       *app.App
	Server    *httptest.Server
	URL       string
	ProjectID string
	Secret    string
	Logs      *SyncBuffer
}

// Start brings up everything. Call it from TestMain and Close when done.
func Start(ctx context.Context) (*Env, error) {
	// The emulators live until Close, not until ctx (which only bounds start-up) ends.
	stack, err := emulators.FromEnv(context.Background(), emulators.Options{Log: emulatorLog()})
	if err != nil {
		return nil, err
	}
	env := &Env{Stack: stack, Logs: &SyncBuffer{}}
	if err := env.build(ctx); err != nil {
		env.Close()
		return nil, err
	}
	return env, nil
}

func emulatorLog() io.Writer {
	if os.Getenv("LATCHKEY_TEST_VERBOSE") != "" {
		return os.Stderr
	}
	return nil
}

func (e *Env) build(ctx context.Context) error {
	e.ProjectID = "project-test-" + uuid.NewString()
	cfg := app.Config{
		ProjectID:        e.ProjectID,
		Table:            "latchkey-test-" + uuid.NewString()[:8],
		Region:           "us-east-1",
		DynamoDBEndpoint: e.Stack.DynamoDBEndpoint,
		SESEndpoint:      e.Stack.SESEndpoint,
		Sender:           "no-reply@latchkey.test",
	}
	awsCfg, err := store.AWSConfig(ctx, cfg.Region, cfg.DynamoDBEndpoint)
	if err != nil {
		return err
	}
	if err := store.CreateTable(ctx, store.NewClient(awsCfg, cfg.DynamoDBEndpoint), cfg.Table); err != nil {
		return err
	}
	var logOut io.Writer = e.Logs
	if os.Getenv("LATCHKEY_TEST_VERBOSE") != "" {
		logOut = io.MultiWriter(e.Logs, os.Stderr)
	}
	a, err := app.Build(ctx, cfg, logOut)
	if err != nil {
		return err
	}
	e.App = a
	e.Secret, _ = tokens.New()
	e.Secret = "secret-test-" + e.Secret
	if err := a.Store.PutProjectSecret(ctx, e.ProjectID, e.Secret, time.Now()); err != nil {
		return err
	}
	e.Server = httptest.NewServer(a.Server.Handler(""))
	e.URL = e.Server.URL
	return nil
}

// Close stops the server and the emulators this Env started.
func (e *Env) Close() {
	if e.Server != nil {
		e.Server.Close()
	}
	if e.Stack != nil {
		_ = e.Stack.Stop()
	}
}

// Response is a decoded JSON response.
type Response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// Str returns a string at a dotted path ("organization.organization_id").
func (r Response) Str(path string) string {
	v, _ := r.Get(path).(string)
	return v
}

// Get walks a dotted path through the body.
func (r Response) Get(path string) any {
	var cur any = r.Body
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// Do sends an authenticated request with a JSON body (nil for none).
func (e *Env) Do(t testing.TB, method, path string, body any) Response {
	t.Helper()
	return e.DoAs(t, e.ProjectID, e.Secret, method, path, body)
}

// DoAs sends a request with the given Basic credentials (empty id: no Authorization header).
// body may be a string, sent as is, or a value to marshal.
func (e *Env) DoAs(t testing.TB, projectID, secret, method, path string, body any) Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if projectID != "" {
		req.SetBasicAuth(projectID, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if err := json.Unmarshal(raw, &out.Body); err != nil {
		t.Fatalf("%s %s: status %d, body is not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return out
}

// ExpectError asserts a Stytch-shaped error with this status and error_type.
func ExpectError(t testing.TB, r Response, status int, errorType string) {
	t.Helper()
	if r.Status != status || r.Str("error_type") != errorType {
		t.Fatalf("want %d %s, got %d %s", status, errorType, r.Status, r.Raw)
	}
	if int(r.Get("status_code").(float64)) != status || !strings.HasPrefix(r.Str("request_id"), "request-id-") ||
		r.Str("error_message") == "" {
		t.Fatalf("error body not in Stytch shape: %s", r.Raw)
	}
}

// ExpectOK asserts a 200 with the envelope fields.
func ExpectOK(t testing.TB, r Response) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("want 200, got %d %s", r.Status, r.Raw)
	}
	if sc, _ := r.Get("status_code").(float64); int(sc) != 200 || r.Str("request_id") == "" {
		t.Fatalf("success body lacks status_code/request_id: %s", r.Raw)
	}
}

// SyncBuffer is a goroutine-safe log sink.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// LogLine returns the decoded log line for a request id.
func (b *SyncBuffer) LogLine(requestID string) (map[string]any, error) {
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.Contains(line, requestID) {
			var m map[string]any
			err := json.Unmarshal([]byte(line), &m)
			return m, err
		}
	}
	return nil, fmt.Errorf("no log line for %s", requestID)
}
