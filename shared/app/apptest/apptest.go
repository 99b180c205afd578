// Package apptest runs Latchkey for integration tests: real emulators (or the endpoints in
// LATCHKEY_TEST_DYNAMODB_ENDPOINT / LATCHKEY_TEST_SES_ENDPOINT / LATCHKEY_TEST_SMS_ENDPOINT), a
// table unique to the test binary, a project with a fresh secret, and the local gateway behind
// an httptest server.
package apptest

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchkey/latchkey/localstack/emulators"
	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/rbac"
	"github.com/latchkey/latchkey/shared/secret"
	"github.com/latchkey/latchkey/shared/store"
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
	Clock     *Clock
	Config    app.Config
}

// Clock is the system clock shifted by an offset tests can move, so expiry is tested without
// sleeping.
type Clock struct{ offset atomic.Int64 }

func (c *Clock) Now() time.Time {
	return time.Now().UTC().Add(time.Duration(c.offset.Load())).Truncate(time.Millisecond)
}

// Advance moves the clock forward and returns a function that moves it back.
func (c *Clock) Advance(d time.Duration) (restore func()) {
	c.offset.Add(int64(d))
	return func() { c.offset.Add(-int64(d)) }
}

// Start brings up everything. Call it from TestMain and Close when done.
func Start(ctx context.Context) (*Env, error) {
	// The emulators live until Close, not until ctx (which only bounds start-up) ends.
	stack, err := emulators.FromEnv(context.Background(), emulators.Options{Log: emulatorLog()})
	if err != nil {
		return nil, err
	}
	env := &Env{Stack: stack, Logs: &SyncBuffer{}, Clock: &Clock{}}
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
		ProjectID:              e.ProjectID,
		Table:                  "latchkey-test-" + uuid.NewString()[:8],
		Region:                 "us-east-1",
		DynamoDBEndpoint:       e.Stack.DynamoDBEndpoint,
		SESEndpoint:            e.Stack.SESEndpoint,
		Sender:                 "no-reply@latchkey.test",
		SMSEndpoint:            e.Stack.SMSEndpoint,
		SMSOrigination:         TextOrigination,
		KMSEndpoint:            e.Stack.KMSEndpoint,
		SecretsManagerEndpoint: e.Stack.SecretsManagerEndpoint,
		KMSKeyID:               app.DefaultKMSKeyID,
		FetchAllowLoopback:     true,
		RedirectURLs:           []string{"http://localhost:*", "https://app.example.com/auth/*"},
		DefaultRedirectURL:     "http://localhost:3000/authenticate",
		EmailSendsPerHour:      EmailSendsPerHour,
		OrgSendsPerHour:        1000,
		Clock:                  e.Clock,
	}
	cfg.PublicToken = latchkey.PublicTokenFor(cfg.ProjectID)
	policy, err := rbac.Parse(testPolicy)
	if err != nil {
		return err
	}
	cfg.RBAC = policy
	e.Config = cfg
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
	e.Secret, _ = secret.New()
	e.Secret = "secret-test-" + e.Secret
	if err := a.Store.PutProjectSecret(ctx, e.ProjectID, e.Secret, time.Now()); err != nil {
		return err
	}
	e.Server = httptest.NewServer(a.Server.Handler(""))
	e.URL = e.Server.URL
	return nil
}

// testPolicy is the RBAC policy tests run with: a documents resource with editor and viewer
// roles (the README's sample), and the roles the tests assign.
//
//go:embed rbac_policy.json
var testPolicy []byte

// EmailSendsPerHour is the per-address send limit tests run with.
const EmailSendsPerHour = 5

// TextOrigination is the origination identity (a phone number) tests send texts from.
const TextOrigination = "+15555550199"

// Email is one message the SES emulator received.
type Email struct {
	MessageID   string `json:"messageId"`
	From        string `json:"from"`
	Subject     string `json:"subject"`
	Destination struct {
		To []string `json:"to"`
	} `json:"destination"`
	Body struct {
		HTML string `json:"html"`
		Text string `json:"text"`
	} `json:"body"`
	At int64 `json:"at"`
}

var linkPattern = regexp.MustCompile(`https?://[^\s"<>]+token=[A-Za-z0-9_\-]+`)

// Link returns the magic link in the email's text body.
func (m Email) Link() string { return linkPattern.FindString(m.Body.Text) }

// Token returns the token query parameter of the email's link.
func (m Email) Token() string {
	u, err := url.Parse(m.Link())
	if err != nil {
		return ""
	}
	return u.Query().Get("token")
}

// Code returns the one-time passcode in the email's text body.
func (m Email) Code() string {
	if c := codePattern.FindStringSubmatch(m.Body.Text); c != nil {
		return c[1]
	}
	return ""
}

var codePattern = regexp.MustCompile(`Your code: ([0-9]{6})`)

// Emails returns every message the SES emulator holds for an address, oldest first.
func (e *Env) Emails(t testing.TB, to string) []Email {
	t.Helper()
	resp, err := http.Get(e.Stack.SESEndpoint + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var store struct {
		Emails []Email `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		t.Fatal(err)
	}
	var out []Email
	for _, m := range store.Emails {
		for _, addr := range m.Destination.To {
			if strings.EqualFold(addr, to) {
				out = append(out, m)
			}
		}
	}
	return out
}

// LastEmail returns the newest message for an address, failing if there is none.
func (e *Env) LastEmail(t testing.TB, to string) Email {
	t.Helper()
	all := e.Emails(t, to)
	if len(all) == 0 {
		t.Fatalf("no email was sent to %s", to)
	}
	return all[len(all)-1]
}

// Text is one message the SMS emulator received.
type Text struct {
	To   string    `json:"to"`
	Body string    `json:"body"`
	At   time.Time `json:"at"`
}

var textCodePattern = regexp.MustCompile(`[0-9]{6}`)

// Code returns the first run of six digits in the text's body: its one-time passcode.
func (m Text) Code() string { return textCodePattern.FindString(m.Body) }

// Texts returns every text message the SMS emulator holds for a phone number, oldest first.
func (e *Env) Texts(t testing.TB, to string) []Text {
	t.Helper()
	resp, err := http.Get(e.Stack.SMSEndpoint + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/store: status %d", e.Stack.SMSEndpoint, resp.StatusCode)
	}
	var store struct {
		Messages []Text `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		t.Fatal(err)
	}
	var out []Text
	for _, m := range store.Messages {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

// LastText returns the newest text message for a phone number, failing if there is none.
func (e *Env) LastText(t testing.TB, to string) Text {
	t.Helper()
	all := e.Texts(t, to)
	if len(all) == 0 {
		t.Fatalf("no text message was sent to %s", to)
	}
	return all[len(all)-1]
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

// Get walks a dotted path through the body; a number indexes a list ("roles.0.role_id").
func (r Response) Get(path string) any {
	var cur any = r.Body
	for _, part := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
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
	h := http.Header{"Content-Type": {"application/json"}}
	if projectID != "" {
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(projectID+":"+secret)))
	}
	status, header, raw := e.Send(t, method, path, body, h)
	out := Response{Status: status, Header: header, Raw: raw}
	if err := json.Unmarshal(raw, &out.Body); err != nil {
		t.Fatalf("%s %s: status %d, body is not JSON: %q", method, path, status, raw)
	}
	return out
}

// Send makes one request to the Env's server with these headers and returns what came back.
// body may be nil, a string or []byte sent as is, or a value to marshal as JSON.
func (e *Env) Send(t testing.TB, method, path string, body any, header http.Header) (int, http.Header, []byte) {
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
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw
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

// Variant builds a second app on the same table and project with a changed configuration
// (say, DynamoDB behind a fault-injecting proxy) and serves it; Close the server when done.
func (e *Env) Variant(ctx context.Context, change func(*app.Config)) (*app.App, *httptest.Server, error) {
	cfg := e.Config
	change(&cfg)
	a, err := app.Build(ctx, cfg, e.Logs)
	if err != nil {
		return nil, nil, err
	}
	return a, httptest.NewServer(a.Server.Handler("")), nil
}

// Run is a test package's TestMain: it starts the stack into *env, runs the tests and stops it.
func Run(m *testing.M, env **Env) {
	flag.Parse()
	// Fuzzing runs only fuzz targets, in many worker processes: none needs the stack.
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		os.Exit(m.Run())
	}
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		os.Exit(m.Run())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	e, err := Start(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the local stack:", err)
		os.Exit(1)
	}
	*env = e
	code := m.Run()
	e.Close()
	os.Exit(code)
}

// At returns a copy of the Env whose requests go to another server (a Variant's).
func (e *Env) At(url string) *Env {
	c := *e
	c.URL = url
	return &c
}
