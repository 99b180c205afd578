package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/app/apptest"
	"github.com/latchkey/latchkey/shared/pwhash"
)

// viaGateway sends a request to the passwords function the way API Gateway does, as an HTTP
// API (payload v2) event from sourceIP: the client address the lock counts by is the one the
// gateway saw, which no header of the caller changes.
func viaGateway(t *testing.T, sourceIP, path string, body map[string]any) apptest.Response {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	auth := base64.StdEncoding.EncodeToString([]byte(env.ProjectID + ":" + env.Secret))
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "POST " + path, RawPath: path,
		Headers: map[string]string{"authorization": "Basic " + auth, "content-type": "application/json",
			"x-forwarded-for": "198.51.100.250"}, // a header the caller sets: ignored
		RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "req", Stage: "$default", RouteKey: "POST " + path,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: path, Protocol: "HTTP/1.1", SourceIP: sourceIP}},
		Body: string(raw)}
	resp, err := env.App.LambdaHandler(api.FunctionPasswords)(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	out := apptest.Response{Status: resp.StatusCode, Raw: []byte(resp.Body)}
	if err := json.Unmarshal(out.Raw, &out.Body); err != nil {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	return out
}

var testIP atomic.Int32

// newIP is a documentation address no other test uses.
func newIP() string {
	n := testIP.Add(1)
	return fmt.Sprintf("203.0.%d.%d", 113+n/250, n%250+1)
}

// memberWithPassword is a new member of a new organization whose password is strongPassword.
func memberWithPassword(t *testing.T) (org, member, addr string) {
	t.Helper()
	org = createOrg(t, map[string]any{}).Str("organization.organization_id")
	addr = newEmail()
	member = createMember(t, org, map[string]any{"email_address": addr}).Str("member_id")
	setPassword(t, env, org, addr, strongPassword)
	return org, member, addr
}

// Ten wrong passwords in a row from one client lock that client out of the address until the
// hour ends (Stytch's user lock), even with the right password; the member logs in from
// anywhere else, so a guesser cannot lock a member out. A success clears the count. Parallel
// guesses get no more than ten: each try is reserved before the hash.
func TestPasswordLockIsPerAddressAndClient(t *testing.T) {
	org, member, addr := memberWithPassword(t)
	// Start a minute into an hour, so the counters' hourly window holds the whole test. (The
	// organization above is created first: nothing is created at a future time.)
	now := env.Clock.Now()
	restoreStart := env.Clock.Advance(now.Truncate(time.Hour).Add(time.Hour + time.Minute).Sub(now))
	defer restoreStart()
	attack, home := newIP(), newIP()
	authn := func(ip, pw string) apptest.Response {
		return viaGateway(t, ip, "/v1/b2b/passwords/authenticate", map[string]any{"organization_id": org, "email_address": addr, "password": pw})
	}
	// Nine wrong, one right: the count starts again.
	for range 9 {
		apptest.ExpectError(t, authn(attack, "wrong-"+strongPassword), http.StatusUnauthorized, "unauthorized_credentials")
	}
	apptest.ExpectOK(t, authn(attack, strongPassword))
	for i := range 10 {
		apptest.ExpectError(t, authn(attack, fmt.Sprintf("wrong-%d-%s", i, strongPassword)), http.StatusUnauthorized, "unauthorized_credentials")
	}
	apptest.ExpectError(t, authn(attack, strongPassword), http.StatusTooManyRequests, "user_lock_limit_reached")
	ok := authn(home, strongPassword)
	apptest.ExpectOK(t, ok)
	if ok.Str("member_id") != member {
		t.Fatalf("home login: %s", ok.Raw)
	}
	// The lock lasts until the hour ends.
	restore := env.Clock.Advance(61 * time.Minute)
	defer restore()
	apptest.ExpectOK(t, authn(attack, strongPassword))

	// Thirty guesses at once from a fresh client: ten are tried, the rest are locked out.
	burst := newIP()
	codes := concurrently(30, func(i int) int { return authn(burst, fmt.Sprintf("guess-%d-%s", i, strongPassword)).Status })
	tried, locked := 0, 0
	for _, c := range codes {
		switch c {
		case http.StatusUnauthorized:
			tried++
		case http.StatusTooManyRequests:
			locked++
		default:
			t.Fatalf("burst answered %d", c)
		}
	}
	if tried != 10 || locked != 20 {
		t.Fatalf("a burst of 30 guesses: %d tried, %d locked; want 10 and 20", tried, locked)
	}
}

// A guesser gets the same answer, after the same work, for an address with no member, a
// member with no password, and a wrong password: the hash runs in every case (pwhash.Burn),
// so response times do not tell them apart. Measured as medians of interleaved samples
// through the Lambda handler; skipping the hash would show as a gap of a whole hash time.
func TestPasswordFailuresTakeTheSameTime(t *testing.T) {
	org, _, addr := memberWithPassword(t)
	noPassword := createMember(t, org, map[string]any{"email_address": newEmail()}).Str("member.email_address")
	const n = 25
	var wrong, unknown, nopw, hashes []time.Duration
	// A hash's time is a median too, sampled between the requests: one sample (the first hash
	// of the process pays for its memory) on a loaded machine is no yardstick.
	hash := func() {
		start := time.Now()
		if _, err := pwhash.Hash(strongPassword); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, time.Since(start))
	}
	measure := func(email string) time.Duration {
		begin := time.Now()
		r := viaGateway(t, newIP(), "/v1/b2b/passwords/authenticate", map[string]any{"organization_id": org, "email_address": email,
			"password": "not-the-" + strongPassword})
		apptest.ExpectError(t, r, http.StatusUnauthorized, "unauthorized_credentials")
		return time.Since(begin)
	}
	median := func(d []time.Duration) time.Duration {
		s := slices.Clone(d)
		slices.Sort(s)
		return s[len(s)/2]
	}
	for i := range n {
		wrong = append(wrong, measure(addr))
		unknown = append(unknown, measure(newEmail()))
		nopw = append(nopw, measure(noPassword))
		if i%3 == 0 {
			hash()
		}
	}
	hashTime := median(hashes)
	mw, mu, mn := median(wrong), median(unknown), median(nopw)
	t.Logf("median wrong password %v, unknown address %v, no password %v; one hash %v", mw, mu, mn, hashTime)
	for name, m := range map[string]time.Duration{"unknown address": mu, "no password": mn} {
		if diff := (m - mw).Abs(); diff > hashTime/3 {
			t.Errorf("%s answers in %v, a wrong password in %v: a gap of %v, more than a third of a hash (%v)", name, m, mw, diff, hashTime)
		}
	}
	if mu < hashTime/2 {
		t.Errorf("an unknown address answers in %v, faster than half a hash (%v): the hash is skipped", mu, hashTime)
	}
}

// TestPasswordDynamoDBCalls holds password routes to their round trips. A login makes three
// calls side by side (the member from the email index, one BatchGetItem of organization and
// password, and the transaction reserving the try on the lock and caps), then, if the password
// is right, one transaction writing the session and giving the tries back: two round trips
// and the hash. A failure is the first round trip alone.
func TestPasswordDynamoDBCalls(t *testing.T) {
	org, _, addr := memberWithPassword(t)
	other := createMember(t, org, map[string]any{"email_address": newEmail()}).Str("member.email_address")
	cases := []struct {
		name, path string
		body       map[string]any
		status     int
		ops        string
	}{
		{"authenticate", "/v1/b2b/passwords/authenticate", map[string]any{"organization_id": org, "email_address": addr, "password": strongPassword},
			200, "BatchGetItem:1,Query:1,TransactWriteItems:2"},
		{"authenticate, wrong password", "/v1/b2b/passwords/authenticate", map[string]any{"organization_id": org, "email_address": addr, "password": "x" + strongPassword},
			401, "BatchGetItem:1,Query:1,TransactWriteItems:1"},
		{"authenticate, unknown address", "/v1/b2b/passwords/authenticate", map[string]any{"organization_id": org, "email_address": newEmail(), "password": strongPassword},
			401, "BatchGetItem:1,Query:1,TransactWriteItems:1"},
		// A success after failures clears the lock's count in its one transaction.
		{"authenticate after a failure", "/v1/b2b/passwords/authenticate", map[string]any{"organization_id": org, "email_address": addr, "password": strongPassword},
			200, "BatchGetItem:1,Query:1,TransactWriteItems:2"},
		{"strength check", "/v1/b2b/passwords/strength_check", map[string]any{"password": strongPassword}, 200, ""},
		// The member by email (guard, then member and organization), the send counters (side by
		// side), the token.
		{"reset start", "/v1/b2b/passwords/email/reset/start", map[string]any{"organization_id": org, "email_address": other},
			200, "BatchGetItem:1,GetItem:1,PutItem:1,UpdateItem:2"},
		// The member by email, the password, the member's creation with it.
		{"migrate, new member", "/v1/b2b/passwords/migrate", map[string]any{"organization_id": org, "email_address": newEmail(),
			"hash_type": "phpass", "hash": "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"}, 200, "GetItem:3,TransactWriteItems:1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := env.Do(t, "POST", c.path, c.body)
			if r.Status != c.status {
				t.Fatalf("status %d: %s", r.Status, r.Raw)
			}
			line := logLine(t, r)
			if line["dynamodb_ops"] != c.ops && !(c.ops == "" && line["dynamodb_ops"] == nil) {
				t.Fatalf("want %s, got %v (%v calls)", c.ops, line["dynamodb_ops"], line["dynamodb_calls"])
			}
		})
	}
	// Reset by link: the token, the member and organization, the password, the transaction,
	// then the member's other sessions (an index Query; none to delete here).
	tok := resetToken(t, env, org, other)
	r := env.Do(t, "POST", "/v1/b2b/passwords/email/reset", map[string]any{"password_reset_token": tok, "password": strongPassword})
	apptest.ExpectOK(t, r)
	if line := logLine(t, r); line["dynamodb_ops"] != "BatchGetItem:1,GetItem:2,Query:1,TransactWriteItems:1" {
		t.Fatalf("reset: %v", line["dynamodb_ops"])
	}
}
