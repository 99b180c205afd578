package app_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/app/apptest"
	"github.com/latchkey/latchkey/shared/store"
)

var env *apptest.Env

func TestMain(m *testing.M) { apptest.Run(m, &env) }

// faultyProxy sits between the app and the real DynamoDB Local and drops the connection of
// chosen operations (or of all of them), the way a network failure or an outage would. Nothing
// about DynamoDB is imitated: requests that are not dropped reach the real emulator.
type faultyProxy struct {
	srv  *httptest.Server
	down atomic.Bool
	mu   sync.Mutex
	drop map[string]bool
	hits atomic.Int64
}

func newFaultyProxy(t *testing.T, backend string) *faultyProxy {
	target, _ := url.Parse(backend)
	rp := httputil.NewSingleHostReverseProxy(target)
	p := &faultyProxy{drop: map[string]bool{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
		p.mu.Lock()
		dropped := p.down.Load() || p.drop[op]
		p.mu.Unlock()
		if dropped {
			p.hits.Add(1)
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.(*net.TCPConn).SetLinger(0) // reset, not a clean close
				conn.Close()
			}
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *faultyProxy) dropOps(ops ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drop = map[string]bool{}
	for _, op := range ops {
		p.drop[op] = true
	}
}

// faulty returns an Env whose app reaches DynamoDB through a fault-injecting proxy.
func faulty(t *testing.T, change func(*app.Config)) (*apptest.Env, *faultyProxy) {
	p := newFaultyProxy(t, env.Stack.DynamoDBEndpoint)
	_, srv, err := env.Variant(context.Background(), func(c *app.Config) {
		c.DynamoDBEndpoint = p.srv.URL
		if change != nil {
			change(c)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return env.At(srv.URL), p
}

func createOrg(t *testing.T, e *apptest.Env) string {
	t.Helper()
	r := e.Do(t, "POST", "/v1/b2b/organizations", map[string]any{"organization_name": "Faults", "organization_slug": "f-" + uuid.NewString()[:8]})
	apptest.ExpectOK(t, r)
	return r.Str("organization.organization_id")
}

// A write lost in the network fails the request cleanly and leaves nothing half-written.
func TestWriteDroppedMidRequest(t *testing.T) {
	f, proxy := faulty(t, nil)
	org := createOrg(t, f)
	email := "fault-" + uuid.NewString()[:8] + "@acme.com"

	proxy.dropOps("TransactWriteItems")
	r := f.Do(t, "POST", "/v1/b2b/organizations/"+org+"/members", map[string]any{"email_address": email})
	apptest.ExpectError(t, r, http.StatusServiceUnavailable, "internal_server_error")
	if strings.Contains(string(r.Raw), "127.0.0.1") || strings.Contains(string(r.Raw), "dial") {
		t.Fatalf("internal details leaked: %s", r.Raw)
	}
	if proxy.hits.Load() == 0 {
		t.Fatal("the fault was never injected")
	}
	proxy.dropOps()
	// Neither the member nor its email guard exists: the same create now succeeds.
	apptest.ExpectError(t, f.Do(t, "GET", "/v1/b2b/organizations/"+org+"/member?email_address="+email, nil), 404, "member_not_found")
	apptest.ExpectOK(t, f.Do(t, "POST", "/v1/b2b/organizations/"+org+"/members", map[string]any{"email_address": email}))
}

// A magic link whose redemption failed in the network is still good afterwards: the token,
// member and session are one transaction, so none of it happened.
func TestRedemptionDroppedLeavesTokenUsable(t *testing.T) {
	f, proxy := faulty(t, nil)
	org := createOrg(t, f)
	email := "redeem-" + uuid.NewString()[:8] + "@acme.com"
	apptest.ExpectOK(t, f.Do(t, "POST", "/v1/b2b/organizations/"+org+"/members", map[string]any{"email_address": email}))
	apptest.ExpectOK(t, f.Do(t, "POST", "/v1/b2b/magic_links/email/login_or_signup", map[string]any{"organization_id": org, "email_address": email}))
	token := f.LastEmail(t, email).Token()

	proxy.dropOps("TransactWriteItems")
	apptest.ExpectError(t, f.Do(t, "POST", "/v1/b2b/magic_links/authenticate", map[string]any{"magic_links_token": token}), 503, "internal_server_error")
	proxy.dropOps()
	a := f.Do(t, "POST", "/v1/b2b/magic_links/authenticate", map[string]any{"magic_links_token": token})
	apptest.ExpectOK(t, a)
	if a.Str("member.status") != "active" {
		t.Fatalf("after recovery: %s", a.Raw)
	}
}

// With DynamoDB unreachable every route answers a Stytch-shaped 503 within a bounded time.
func TestDatabaseOutage(t *testing.T) {
	f, proxy := faulty(t, nil)
	org := createOrg(t, f)
	proxy.down.Store(true)
	defer proxy.down.Store(false)
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/b2b/organizations/" + org},
		{"POST", "/v1/b2b/organizations/" + org + "/members"},
		{"POST", "/v1/b2b/sessions/authenticate"},
	} {
		start := time.Now()
		r := f.Do(t, c.method, c.path, map[string]any{"email_address": "x@acme.com", "session_token": "AAAA"})
		if c.path == "/v1/b2b/sessions/authenticate" {
			// A malformed token is refused before any read.
			apptest.ExpectError(t, r, 404, "session_not_found")
			continue
		}
		apptest.ExpectError(t, r, http.StatusServiceUnavailable, "internal_server_error")
		if d := time.Since(start); d > 15*time.Second {
			t.Fatalf("%s %s took %s during the outage", c.method, c.path, d)
		}
	}
}

// When SES fails, login_or_signup fails cleanly and leaves no usable token behind.
func TestMailFailureLeavesNoUsableLink(t *testing.T) {
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + dead.Addr().String()
	dead.Close()
	f, _ := faulty(t, func(c *app.Config) { c.SESEndpoint = deadURL })
	org := createOrg(t, f)
	email := "nomail-" + uuid.NewString()[:8] + "@acme.com"
	apptest.ExpectOK(t, f.Do(t, "POST", "/v1/b2b/organizations/"+org+"/members", map[string]any{"email_address": email}))

	r := f.Do(t, "POST", "/v1/b2b/magic_links/email/login_or_signup", map[string]any{"organization_id": org, "email_address": email})
	apptest.ExpectError(t, r, http.StatusServiceUnavailable, "internal_server_error")
	if n := tokensFor(t, email); n != 0 {
		t.Fatalf("%d tokens left for an email that was never sent", n)
	}
	// The probe does see a token when a send succeeds.
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/magic_links/email/login_or_signup", map[string]any{"organization_id": org, "email_address": email}))
	if n := tokensFor(t, email); n != 1 {
		t.Fatalf("probe found %d tokens after a successful send, want 1", n)
	}
}

// tokensFor counts magic-link token items for an email, by reading the expiry buckets the
// next two hours' tokens live in (test-only inspection of the table).
func tokensFor(t *testing.T, email string) int {
	t.Helper()
	client := store.NewClient(env.App.AWS, env.Config.DynamoDBEndpoint)
	n := 0
	for h := range 3 {
		out, err := client.Query(context.Background(), &dynamodb.QueryInput{
			TableName:              aws.String(env.Config.Table),
			IndexName:              aws.String(store.IndexGSI1),
			KeyConditionExpression: aws.String("gsi1pk = :b"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":b": &types.AttributeValueMemberS{Value: store.ExpiryBucket(time.Now().Add(time.Duration(h) * time.Hour))},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range out.Items {
			if v, ok := it["Email"].(*types.AttributeValueMemberS); ok && v.Value == email {
				n++
			}
		}
	}
	return n
}

// When SES fails, start_email_update leaves neither a usable link nor a reservation: another
// member may start an update to the same address at once.
func TestMailFailureReleasesEmailUpdateReservation(t *testing.T) {
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + dead.Addr().String()
	dead.Close()
	f, _ := faulty(t, func(c *app.Config) { c.SESEndpoint = deadURL })
	org := createOrg(t, env)
	verified := func() string {
		email := "upd-" + uuid.NewString()[:8] + "@acme.com"
		id := env.Do(t, "POST", "/v1/b2b/organizations/"+org+"/members", map[string]any{"email_address": email}).Str("member_id")
		apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/magic_links/email/login_or_signup", map[string]any{"organization_id": org, "email_address": email}))
		apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/magic_links/authenticate", map[string]any{"magic_links_token": env.LastEmail(t, email).Token()}))
		return id
	}
	a, b := verified(), verified()
	target := "wanted-" + uuid.NewString()[:8] + "@acme.com"
	start := func(e *apptest.Env, member string) apptest.Response {
		return e.Do(t, "POST", "/v1/b2b/organizations/"+org+"/members/"+member+"/start_email_update", map[string]any{"email_address": target})
	}
	apptest.ExpectError(t, start(f, a), http.StatusServiceUnavailable, "internal_server_error")
	if n := tokensFor(t, target); n != 0 {
		t.Fatalf("%d tokens left for an email update that was never sent", n)
	}
	apptest.ExpectOK(t, start(env, b))
}
