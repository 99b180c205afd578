package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"

	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/app/apptest"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/callcount"
	"github.com/latchkey/latchkey/shared/pwhash"
	"github.com/latchkey/latchkey/shared/secret"
	"github.com/latchkey/latchkey/shared/store"
	"github.com/latchkey/latchkey/shared/tokens"
)

// fixture is what every benchmark uses: the app built on the test stack's table (with the
// per-address send limit lifted, so one member can log in again and again), its handler, one
// organization and member, and a live session.
type fixture struct {
	env     *apptest.Env
	app     *app.App
	handler http.Handler
	logs    *sink
	server  *httptest.Server // the same handler over HTTP, for stytch-go
	ddb     *dynamodb.Client
	auth    string // Basic credentials

	org, member, email string
	sessionToken, jwt  string
	memberKey          map[string]types.AttributeValue
	// The raw baselines' reads: exactly the items session authenticate by token (session,
	// organization, member) and member get (organization, member) read, in one BatchGetItem.
	sessionBatch, memberBatch *dynamodb.BatchGetItemInput
}

var fx *fixture

func TestMain(m *testing.M) {
	flag.Parse()
	// Only benchmarks need the stack; `go test ./...` runs this package with nothing to do.
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	env, err := apptest.Start(ctx)
	if err == nil {
		fx, err = setup(ctx, env)
	}
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: setup:", err)
		if env != nil {
			env.Close()
		}
		os.Exit(1)
	}
	code := m.Run()
	fx.server.Close()
	env.Close()
	os.Exit(code)
}

func setup(ctx context.Context, env *apptest.Env) (*fixture, error) {
	f := &fixture{env: env, logs: &sink{}}
	cfg := env.Config
	cfg.EmailSendsPerHour, cfg.OrgSendsPerHour = 1<<30, 1<<30
	var err error
	if f.app, err = app.Build(ctx, cfg, f.logs); err != nil {
		return nil, err
	}
	f.handler = f.app.Server.Handler("")
	f.server = httptest.NewServer(f.handler)
	f.ddb = store.NewClient(env.App.AWS, env.Config.DynamoDBEndpoint)
	f.auth = "Basic " + basic(env.ProjectID, env.Secret)

	var org struct {
		Organization struct {
			OrganizationID string `json:"organization_id"`
		} `json:"organization"`
	}
	if err := f.call("POST", "/v1/b2b/organizations", map[string]any{
		"organization_name": "Bench", "organization_slug": "bench-" + uuid.NewString()[:8],
	}, &org); err != nil {
		return nil, err
	}
	f.org = org.Organization.OrganizationID
	f.email = "bench-" + uuid.NewString()[:8] + "@bench.example"
	var mem struct {
		MemberID string `json:"member_id"`
	}
	if err := f.call("POST", "/v1/b2b/organizations/"+f.org+"/members", map[string]any{"email_address": f.email, "name": "Bench"}, &mem); err != nil {
		return nil, err
	}
	f.member = mem.MemberID
	if f.sessionToken, f.jwt, err = f.login(); err != nil {
		return nil, err
	}
	f.memberKey = key("ORG#"+f.org, "MEMBER#"+f.member)
	out, err := f.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(cfg.Table), Key: f.memberKey, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	if len(out.Item) == 0 {
		return nil, errors.New("the baseline's member item key (ORG#<org> / MEMBER#<member>) names no item; update it")
	}
	// The same keys, in the same order, as shared/store's SessionBundle and MemberWithOrganization.
	orgKey := key("ORG#"+f.org, "ORG")
	f.sessionBatch = batchGet(cfg.Table, key("SESSION#"+secret.Hash(f.sessionToken), "SESSION"), orgKey, f.memberKey)
	f.memberBatch = batchGet(cfg.Table, orgKey, f.memberKey)
	for _, in := range []*dynamodb.BatchGetItemInput{f.sessionBatch, f.memberBatch} {
		if err := f.batchGet(ctx, in); err != nil {
			return nil, fmt.Errorf("%w (session SESSION#<sha256(token)> / SESSION, organization ORG#<org> / ORG, member ORG#<org> / MEMBER#<member>); update the keys", err)
		}
	}
	return f, f.warmUp(ctx)
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		store.AttrPK: &types.AttributeValueMemberS{Value: pk},
		store.AttrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// batchGet is the BatchGetItem the store sends for these keys: one table, strongly consistent,
// every attribute (the counting middleware adds ReturnConsumedCapacity, as on every app call).
func batchGet(table string, keys ...map[string]types.AttributeValue) *dynamodb.BatchGetItemInput {
	return &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{table: {Keys: keys, ConsistentRead: aws.Bool(true)}}}
}

// batchGet runs a baseline BatchGetItem and fails unless every item came back in the one call.
func (f *fixture) batchGet(ctx context.Context, in *dynamodb.BatchGetItemInput) error {
	out, err := f.ddb.BatchGetItem(ctx, in)
	if err != nil {
		return err
	}
	table := f.env.Config.Table
	if got, want := len(out.Responses[table]), len(in.RequestItems[table].Keys); got != want || len(out.UnprocessedKeys) > 0 {
		return fmt.Errorf("baseline BatchGetItem returned %d of its %d items", got, want)
	}
	return nil
}

// warmUp runs every benchmarked path for a while first: DynamoDB Local is a JVM, and whichever
// benchmark ran first would otherwise pay for its JIT warm-up.
func (f *fixture) warmUp(ctx context.Context) error {
	in := &dynamodb.GetItemInput{TableName: aws.String(f.env.Config.Table), Key: f.memberKey, ConsistentRead: aws.Bool(true)}
	token, _ := json.Marshal(map[string]string{"session_token": f.sessionToken})
	jwt, _ := json.Marshal(map[string]string{"session_jwt": f.jwt})
	member := "/v1/b2b/organizations/" + f.org + "/member?member_id=" + url.QueryEscape(f.member)
	for end, i := time.Now().Add(3*time.Second), 0; time.Now().Before(end); i++ {
		if _, err := f.ddb.GetItem(ctx, in); err != nil {
			return err
		}
		for _, in := range []*dynamodb.BatchGetItemInput{f.sessionBatch, f.memberBatch} {
			if err := f.batchGet(ctx, in); err != nil {
				return err
			}
		}
		for _, r := range []struct {
			method, path string
			body         []byte
		}{{"POST", "/v1/b2b/sessions/authenticate", token}, {"POST", "/v1/b2b/sessions/authenticate", jwt}, {"GET", member, nil}} {
			if w := f.serve(r.method, r.path, r.body); w.Code != http.StatusOK {
				return fmt.Errorf("warm-up %s %s: %d", r.method, r.path, w.Code)
			}
		}
		if i%10 == 0 {
			if _, _, err := f.login(); err != nil {
				return err
			}
		}
	}
	return nil
}

func basic(user, pass string) string {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, pass)
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}

// serve runs one request through the gateway's handler, in process, and returns the recorder.
func (f *fixture) serve(method, path string, body []byte) *httptest.ResponseRecorder {
	var r *http.Request
	if body != nil {
		r = httptest.NewRequest(method, path, bytes.NewReader(body))
	} else {
		r = httptest.NewRequest(method, path, nil)
	}
	r.Header.Set("Authorization", f.auth)
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, r)
	return w
}

// call serves a request that must answer 200 and decodes the answer into out (if not nil).
func (f *fixture) call(method, path string, body any, out any) error {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return err
		}
	}
	w := f.serve(method, path, raw)
	if w.Code != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, path, w.Code, w.Body.String())
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(w.Body.Bytes(), out)
}

// login is the whole magic-link login: send, read the email from the SES emulator, redeem.
func (f *fixture) login() (token, jwt string, err error) {
	since := time.Now().Unix() - 1
	if err := f.call("POST", "/v1/b2b/magic_links/email/login_or_signup", map[string]any{
		"organization_id": f.org, "email_address": f.email, "login_redirect_url": "http://localhost:3000/authenticate",
	}, nil); err != nil {
		return "", "", err
	}
	link, err := f.emailToken(since)
	if err != nil {
		return "", "", err
	}
	var res struct {
		SessionToken string `json:"session_token"`
		SessionJWT   string `json:"session_jwt"`
	}
	if err := f.call("POST", "/v1/b2b/magic_links/authenticate", map[string]any{"magic_links_token": link}, &res); err != nil {
		return "", "", err
	}
	return res.SessionToken, res.SessionJWT, nil
}

// emailToken returns the token in the newest email to the fixture's member since a second.
func (f *fixture) emailToken(since int64) (string, error) { return f.emailTokenTo(f.email, since) }

// emailTokenTo is emailToken for any address.
func (f *fixture) emailTokenTo(addr string, since int64) (string, error) {
	resp, err := http.Get(fmt.Sprintf("%s/store?since=%d", f.env.Stack.SESEndpoint, since))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var st struct {
		Emails []apptest.Email `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return "", err
	}
	for i := len(st.Emails) - 1; i >= 0; i-- {
		if to := st.Emails[i].Destination.To; len(to) == 1 && strings.EqualFold(to[0], addr) {
			if tok := st.Emails[i].Token(); tok != "" {
				return tok, nil
			}
		}
	}
	return "", fmt.Errorf("no email to %s", f.email)
}

// freshJWT returns a session JWT issued now (they live 5 minutes).
func (f *fixture) freshJWT(b *testing.B) string {
	var res struct {
		SessionJWT string `json:"session_jwt"`
	}
	if err := f.call("POST", "/v1/b2b/sessions/authenticate", map[string]any{"session_token": f.sessionToken}, &res); err != nil {
		b.Fatal(err)
	}
	return res.SessionJWT
}

// sink collects the app's request log lines; a benchmark reads what its own requests cost.
type sink struct {
	mu  sync.Mutex
	buf []byte
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.buf = append(s.buf, p...)
	s.mu.Unlock()
	return len(p), nil
}

func (s *sink) reset() {
	s.mu.Lock()
	s.buf = s.buf[:0]
	s.mu.Unlock()
}

// report adds what the request log lines since reset say, per operation: DynamoDB calls,
// consumed capacity, requests and the handler's own latency (also rounded up per request to
// whole milliseconds, as Lambda bills). Every request must have been a 200.
func (s *sink) report(b *testing.B, ops int) {
	s.mu.Lock()
	lines := bytes.Split(s.buf, []byte("\n"))
	s.mu.Unlock()
	var n, calls, rcu, wcu, lat, billed float64
	for _, line := range lines {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var l struct {
			Msg    string  `json:"msg"`
			Status int     `json:"status"`
			Calls  float64 `json:"dynamodb_calls"`
			RCU    float64 `json:"dynamodb_rcu"`
			WCU    float64 `json:"dynamodb_wcu"`
			Lat    float64 `json:"latency_ms"`
		}
		if err := json.Unmarshal(line, &l); err != nil || l.Msg != "request" {
			continue
		}
		if l.Status != http.StatusOK {
			b.Fatalf("a request answered %d: %s", l.Status, line)
		}
		n, calls, rcu, wcu, lat = n+1, calls+l.Calls, rcu+l.RCU, wcu+l.WCU, lat+l.Lat
		billed += max(1, math.Ceil(l.Lat)) // Lambda bills each invocation in whole milliseconds
	}
	per := func(v float64) float64 { return v / float64(ops) }
	b.ReportMetric(per(n), "requests/op")
	b.ReportMetric(per(calls), "ddb-calls/op")
	b.ReportMetric(per(rcu), "RCU/op")
	b.ReportMetric(per(wcu), "WCU/op")
	b.ReportMetric(per(lat), "handler-ms/op")
	b.ReportMetric(per(billed), "billed-ms/op")
}

// cpuMeter measures this process's CPU time (user + system, every thread) over a benchmark's
// loop. The emulators are other processes, so it is the CPU of what the benchmark runs in
// process: the handler and everything around it, or the SDK call, plus the runtime's GC.
type cpuMeter time.Duration

func cpuStart() cpuMeter { return cpuMeter(processCPU()) }

func (c cpuMeter) report(b *testing.B, ops int) {
	if ops > 0 {
		b.ReportMetric(float64(processCPU()-time.Duration(c))/float64(time.Millisecond)/float64(ops), "cpu-ms/op")
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGetItemBaseline is the yardstick: one strongly consistent GetItem of the member's
// item, through the same SDK client the app uses, against the same DynamoDB Local.
func BenchmarkGetItemBaseline(b *testing.B) {
	ctx, calls := callcount.With(context.Background())
	in := &dynamodb.GetItemInput{TableName: aws.String(fx.env.Config.Table), Key: fx.memberKey, ConsistentRead: aws.Bool(true)}
	b.ReportAllocs()
	cpu := cpuStart()
	n := 0
	for b.Loop() {
		out, err := fx.ddb.GetItem(ctx, in)
		if err != nil || len(out.Item) == 0 {
			b.Fatal("GetItem:", err)
		}
		n++
	}
	cpu.report(b, n)
	rcu, _ := calls.Capacity()
	b.ReportMetric(0, "requests/op")
	b.ReportMetric(float64(calls.Total())/float64(n), "ddb-calls/op")
	b.ReportMetric(rcu/float64(n), "RCU/op")
	b.ReportMetric(0, "WCU/op")
}

// BenchmarkBatchGetSessionBaseline is the raw DynamoDB work session authenticate by
// session_token cannot avoid: one strongly consistent BatchGetItem of the session, organization
// and member items it reads (shared/store SessionBundle), same client, same DynamoDB Local.
func BenchmarkBatchGetSessionBaseline(b *testing.B) { benchBatchGet(b, fx.sessionBatch) }

// BenchmarkBatchGetMemberBaseline is member get's: the organization and member items
// (shared/store MemberWithOrganization) in one BatchGetItem.
func BenchmarkBatchGetMemberBaseline(b *testing.B) { benchBatchGet(b, fx.memberBatch) }

func benchBatchGet(b *testing.B, in *dynamodb.BatchGetItemInput) {
	ctx, calls := callcount.With(context.Background())
	b.ReportAllocs()
	cpu := cpuStart()
	n := 0
	for b.Loop() {
		if err := fx.batchGet(ctx, in); err != nil {
			b.Fatal(err)
		}
		n++
	}
	cpu.report(b, n)
	rcu, _ := calls.Capacity()
	b.ReportMetric(0, "requests/op")
	b.ReportMetric(float64(calls.Total())/float64(n), "ddb-calls/op")
	b.ReportMetric(rcu/float64(n), "RCU/op")
	b.ReportMetric(0, "WCU/op")
}

// benchRoute serves one request per iteration through the gateway's handler (no network
// between client and handler; DynamoDB is over loopback as always).
func benchRoute(b *testing.B, method, path string, body []byte) {
	fx.logs.reset()
	b.ReportAllocs()
	cpu := cpuStart()
	n := 0
	for b.Loop() {
		if w := fx.serve(method, path, body); w.Code != http.StatusOK {
			b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body.String())
		}
		n++
	}
	cpu.report(b, n)
	fx.logs.report(b, n)
}

// BenchmarkSessionAuthenticateToken is POST /v1/b2b/sessions/authenticate with a session_token.
func BenchmarkSessionAuthenticateToken(b *testing.B) {
	body, _ := json.Marshal(map[string]string{"session_token": fx.sessionToken})
	benchRoute(b, "POST", "/v1/b2b/sessions/authenticate", body)
}

// BenchmarkSessionAuthenticateJWT is the same route with a session_jwt (the remote check).
func BenchmarkSessionAuthenticateJWT(b *testing.B) {
	body, _ := json.Marshal(map[string]string{"session_jwt": fx.freshJWT(b)})
	benchRoute(b, "POST", "/v1/b2b/sessions/authenticate", body)
}

// BenchmarkMemberGet is GET /v1/b2b/organizations/{organization_id}/member?member_id=.
func BenchmarkMemberGet(b *testing.B) {
	benchRoute(b, "GET", "/v1/b2b/organizations/"+fx.org+"/member?member_id="+url.QueryEscape(fx.member), nil)
}

// BenchmarkJWTLocalStytchGo verifies a session JWT with stytch-go's AuthenticateJWTLocal
// against the JWKS it fetched once: no request reaches Latchkey, so no DynamoDB call.
func BenchmarkJWTLocalStytchGo(b *testing.B) {
	client, err := b2bstytchapi.NewClient(fx.env.ProjectID, fx.env.Secret, b2bstytchapi.WithBaseURI(fx.server.URL))
	if err != nil {
		b.Fatal(err)
	}
	jwt := fx.freshJWT(b)
	ctx := context.Background()
	fx.logs.reset()
	b.ReportAllocs()
	cpu := cpuStart()
	n := 0
	for b.Loop() {
		s, err := client.Sessions.AuthenticateJWTLocal(ctx, jwt, time.Hour, nil)
		if err != nil || s.MemberID != fx.member {
			b.Fatal("AuthenticateJWTLocal:", err)
		}
		n++
	}
	cpu.report(b, n)
	fx.logs.report(b, n) // zero requests: the JWKS was fetched by NewClient, before the loop
}

// BenchmarkJWTLocalVerify is Latchkey's own verifier (tokens.SessionJWT.Verify) with the key
// set loaded: signature and claims, no DynamoDB call.
func BenchmarkJWTLocalVerify(b *testing.B) {
	v := tokens.SessionJWT{Keys: fx.app.Keys, ProjectID: fx.env.ProjectID}
	jwt := fx.freshJWT(b)
	ctx, calls := callcount.With(context.Background())
	b.ReportAllocs()
	cpu := cpuStart()
	n := 0
	for b.Loop() {
		if _, err := v.Verify(ctx, jwt); err != nil {
			b.Fatal("Verify:", err)
		}
		n++
	}
	cpu.report(b, n)
	b.ReportMetric(0, "requests/op")
	b.ReportMetric(float64(calls.Total())/float64(n), "ddb-calls/op")
}

// BenchmarkJWTIssue signs one session JWT (RS256, 2048-bit key, loaded): the part of every
// session authenticate, by token or by JWT, that is not DynamoDB, since each answer carries a
// fresh JWT.
func BenchmarkJWTIssue(b *testing.B) {
	var res struct {
		MemberSession authn.Session `json:"member_session"`
	}
	if err := fx.call("POST", "/v1/b2b/sessions/authenticate", map[string]any{"session_token": fx.sessionToken}, &res); err != nil {
		b.Fatal(err)
	}
	v := tokens.SessionJWT{Keys: fx.app.Keys, ProjectID: fx.env.ProjectID}
	ctx, calls := callcount.With(context.Background())
	b.ReportAllocs()
	cpu := cpuStart()
	n := 0
	for b.Loop() {
		if _, err := v.Issue(ctx, res.MemberSession, time.Now()); err != nil {
			b.Fatal("Issue:", err)
		}
		n++
	}
	cpu.report(b, n)
	b.ReportMetric(0, "requests/op")
	b.ReportMetric(float64(calls.Total())/float64(n), "ddb-calls/op")
}

// BenchmarkMagicLinkLogin is the whole login of an existing member: login_or_signup (which
// sends the email through the SES emulator), reading the email back from the emulator over
// HTTP, and magic_links/authenticate.
func BenchmarkMagicLinkLogin(b *testing.B) {
	fx.logs.reset()
	b.ReportAllocs()
	cpu := cpuStart()
	n := 0
	for b.Loop() {
		if _, _, err := fx.login(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	cpu.report(b, n)
	fx.logs.report(b, n)
}

// benchPassword is the password of the passwords benchmarks' member, who is not the fixture's
// member: a reset ends the member's other sessions, which the session benchmarks use.
const benchPassword = "violet-anchor-Quarry-47-lantern"

var pwMember struct {
	once  sync.Once
	email string
	err   error
}

// passwordMember returns the address of a member of the fixture's organization whose
// password is benchPassword.
func passwordMember(b *testing.B) string {
	pwMember.once.Do(func() {
		pwMember.email = "bench-pw-" + uuid.NewString()[:8] + "@bench.example"
		if pwMember.err = fx.call("POST", "/v1/b2b/organizations/"+fx.org+"/members", map[string]any{"email_address": pwMember.email}, nil); pwMember.err != nil {
			return
		}
		pwMember.err = fx.resetPassword(pwMember.email, benchPassword)
	})
	if pwMember.err != nil {
		b.Fatal(pwMember.err)
	}
	return pwMember.email
}

// resetPassword runs a whole reset by email: reset/start, the email read back from the SES
// emulator, and email/reset.
func (f *fixture) resetPassword(addr, password string) error {
	since := time.Now().Unix() - 1
	if err := f.call("POST", "/v1/b2b/passwords/email/reset/start", map[string]any{"organization_id": f.org, "email_address": addr}, nil); err != nil {
		return err
	}
	tok, err := f.emailTokenTo(addr, since)
	if err != nil {
		return err
	}
	return f.call("POST", "/v1/b2b/passwords/email/reset", map[string]any{"password_reset_token": tok, "password": password}, nil)
}

// BenchmarkPasswordHash is one argon2id hash with pwhash.Params (the cost of setting a
// password, and of checking one). Run with -tags purego for the portable code that arm64
// Lambdas run.
func BenchmarkPasswordHash(b *testing.B) {
	b.ReportAllocs()
	cpu := cpuStart()
	n := 0
	for b.Loop() {
		if _, err := pwhash.Hash(benchPassword); err != nil {
			b.Fatal(err)
		}
		n++
	}
	cpu.report(b, n)
	b.ReportMetric(0, "requests/op")
	b.ReportMetric(0, "ddb-calls/op")
}

// BenchmarkPasswordAuthenticate is POST /v1/b2b/passwords/authenticate with the right
// password: two round trips and the hash.
func BenchmarkPasswordAuthenticate(b *testing.B) {
	body, _ := json.Marshal(map[string]string{"organization_id": fx.org, "email_address": passwordMember(b), "password": benchPassword})
	benchRoute(b, "POST", "/v1/b2b/passwords/authenticate", body)
}

// BenchmarkPasswordReset is a whole reset by email: reset/start (which sends the email through
// the SES emulator), reading the email back over HTTP, and email/reset (hash, transaction, and
// the end of the member's other sessions).
func BenchmarkPasswordReset(b *testing.B) {
	addr := passwordMember(b)
	fx.logs.reset()
	b.ReportAllocs()
	cpu := cpuStart()
	n := 0
	for b.Loop() {
		if err := fx.resetPassword(addr, benchPassword); err != nil {
			b.Fatal(err)
		}
		n++
	}
	cpu.report(b, n)
	fx.logs.report(b, n)
}
