package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/shared/app/apptest"
)

// logLine returns the request's structured log line.
func logLine(t *testing.T, r apptest.Response) map[string]any {
	t.Helper()
	line, err := env.Logs.LogLine(r.Str("request_id"))
	if err != nil {
		t.Fatal(err)
	}
	return line
}

// TestDynamoDBCallsPerRoute holds each route to the round trips its semantics need. Project
// credentials are cached after first use, so they add nothing here.
func TestDynamoDBCallsPerRoute(t *testing.T) {
	org := createOrg(t, map[string]any{})
	orgID, slug := org.Str("organization.organization_id"), org.Str("organization.organization_slug")
	m := createMember(t, orgID, map[string]any{})
	memberID, email := m.Str("member_id"), m.Str("member.email_address")
	members := "/v1/b2b/organizations/" + orgID + "/members"
	verified := createMember(t, orgID, map[string]any{}).Str("member_id")
	verify(t, orgID, verified)
	verifiedEmail := getMember(t, orgID, verified, "").Str("member.email_address")
	// Deleted and reactivated: reactivation needs a verified address. Its login left a session.
	leaver := createMember(t, orgID, map[string]any{}).Str("member_id")
	verify(t, orgID, leaver)

	cases := []struct {
		name, method, path string
		body               any
		calls              int
		ops                string
	}{
		{"create organization", "POST", "/v1/b2b/organizations", map[string]any{"organization_name": "B", "organization_slug": newSlug()}, 1, "TransactWriteItems:1"},
		{"get organization by id", "GET", "/v1/b2b/organizations/" + orgID, nil, 1, "GetItem:1"},
		// The slug and external-id guards in one read, then the organization.
		{"get organization by slug", "GET", "/v1/b2b/organizations/" + slug, nil, 2, "BatchGetItem:1,GetItem:1"},
		{"update organization", "PUT", "/v1/b2b/organizations/" + orgID, map[string]any{"organization_name": "C"}, 2, "GetItem:1,PutItem:1"},
		{"update organization slug", "PUT", "/v1/b2b/organizations/" + orgID, map[string]any{"organization_slug": newSlug()}, 2, "GetItem:1,TransactWriteItems:1"},
		{"create member", "POST", members, map[string]any{"email_address": newEmail()}, 2, "GetItem:1,TransactWriteItems:1"},
		{"get member by id", "GET", "/v1/b2b/organizations/" + orgID + "/member?member_id=" + memberID, nil, 1, "BatchGetItem:1"},
		{"get member by email", "GET", "/v1/b2b/organizations/" + orgID + "/member?email_address=" + email, nil, 2, "BatchGetItem:1,GetItem:1"},
		{"update member", "PUT", members + "/" + memberID, map[string]any{"name": "N"}, 2, "BatchGetItem:1,PutItem:1"},
		{"update member email", "PUT", members + "/" + memberID, map[string]any{"email_address": newEmail()}, 2, "BatchGetItem:1,TransactWriteItems:1"},
		{"unlink retired email", "POST", members + "/" + memberID + "/unlink_retired_email", map[string]any{"email_address": email}, 2, "BatchGetItem:1,TransactWriteItems:1"},
		// Member and organization, the address's guard, the two send counters side by side (one
		// round trip, no transaction), token and reservation.
		{"start email update", "POST", members + "/" + verified + "/start_email_update", map[string]any{"email_address": newEmail(),
			"login_redirect_url": redirect}, 5, "BatchGetItem:1,GetItem:1,TransactWriteItems:1,UpdateItem:2"},
		{"dangerously get member", "GET", "/v1/b2b/organizations/members/dangerously_get/" + memberID, nil, 2, "GetItem:1,Query:1"},
		// The member write, then its sessions found and deleted in one batch.
		{"delete member (and revoke its session)", "DELETE", members + "/" + leaver, nil, 4, "BatchGetItem:1,BatchWriteItem:1,Query:1,TransactWriteItems:1"},
		{"reactivate member", "PUT", members + "/" + leaver + "/reactivate", nil, 2, "BatchGetItem:1,TransactWriteItems:1"},
		{"search members by id", "POST", "/v1/b2b/organizations/members/search", map[string]any{"organization_ids": []string{orgID},
			"query": map[string]any{"operands": []any{operand("member_ids", []string{memberID})}}}, 2, "BatchGetItem:2"},
		// The same, then the address's daily failures (a read), then code, reservation and guard
		// check.
		{"start email update by code", "POST", members + "/" + verified + "/start_email_update", map[string]any{"email_address": newEmail(),
			"delivery_method": "EMAIL_OTP"}, 6, "BatchGetItem:1,GetItem:2,TransactWriteItems:1,UpdateItem:2"},
		// Guard, member and organization, the send counters with the address's daily failures (two
		// updates and a read side by side: one round trip), the code.
		{"email OTP login_or_signup", "POST", "/v1/b2b/otps/email/login_or_signup", map[string]any{"organization_id": orgID, "email_address": verifiedEmail}, 6, "BatchGetItem:1,GetItem:2,PutItem:1,UpdateItem:2"},
		{"jwks (keys cached)", "GET", "/v1/b2b/sessions/jwks/" + env.ProjectID, nil, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := env.Do(t, c.method, c.path, c.body)
			apptest.ExpectOK(t, r)
			line := logLine(t, r)
			if int(line["dynamodb_calls"].(float64)) != c.calls || line["dynamodb_ops"] != c.ops {
				t.Fatalf("want %d calls (%s), got %v (%v)", c.calls, c.ops, line["dynamodb_calls"], line["dynamodb_ops"])
			}
		})
	}
}

// Every request logs one JSON line with request_id, route, organization_id, status, latency and
// DynamoDB calls and capacity, and the project secret never appears in the logs.
func TestRequestLogLine(t *testing.T) {
	org := createOrg(t, map[string]any{"organization_name": "Logged"})
	line := logLine(t, org)
	for _, k := range []string{"request_id", "route", "organization_id", "status", "latency_ms", "dynamodb_calls"} {
		if _, ok := line[k]; !ok {
			t.Errorf("log line lacks %s: %v", k, line)
		}
	}
	if line["route"] != "POST /v1/b2b/organizations" || line["organization_id"] != org.Str("organization.organization_id") || line["status"] != float64(200) {
		t.Fatalf("log line: %v", line)
	}
	// A transaction writing the organization and its slug guard costs 2 WCU per item.
	if wcu, _ := line["dynamodb_wcu"].(float64); wcu < 4 {
		t.Fatalf("consumed write capacity not logged: %v", line)
	}
	if logs := env.Logs.String(); strings.Contains(logs, env.Secret) {
		t.Fatal("the project secret appears in the logs")
	}
}

// concurrently runs f n times at once and returns each result by index.
func concurrently(n int, f func(i int) int) []int {
	out := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = f(i)
		}()
	}
	wg.Wait()
	return out
}

// Concurrent creation of one slug: exactly one organization exists afterwards.
func TestConcurrentSlugCreation(t *testing.T) {
	slug := newSlug()
	statuses := concurrently(20, func(int) int {
		return env.Do(t, "POST", "/v1/b2b/organizations", map[string]any{"organization_name": "Race", "organization_slug": slug}).Status
	})
	won := 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			won++
		case http.StatusBadRequest: // organization_slug_already_used, as Stytch answers it
		default:
			t.Fatalf("unexpected status %d", s)
		}
	}
	if won != 1 {
		t.Fatalf("%d creations of one slug succeeded", won)
	}
}

// Concurrent partial updates of one member, each to a different field, never lose a write:
// a server that wrote back a stale copy of the member would drop some of the fields. Each call
// either applies or fails with a clean 409, and every applied change is in the final state.
func TestConcurrentMemberUpdatesLoseNothing(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	id := createMember(t, org, map[string]any{}).Str("member_id")
	path := "/v1/b2b/organizations/" + org + "/members/" + id
	updates := []struct {
		body  map[string]any
		field string
		want  any
	}{
		{map[string]any{"name": "Grace"}, "member.name", "Grace"},
		{map[string]any{"trusted_metadata": map[string]any{"t": "1"}}, "member.trusted_metadata.t", "1"},
		{map[string]any{"untrusted_metadata": map[string]any{"u": "2"}}, "member.untrusted_metadata.u", "2"},
		{map[string]any{"mfa_phone_number": "+15555550100"}, "member.mfa_phone_number", "+15555550100"},
		{map[string]any{"external_id": "ext-race"}, "member.external_id", "ext-race"},
		{map[string]any{"is_breakglass": true}, "member.is_breakglass", true},
		{map[string]any{"default_mfa_method": "totp"}, "member.default_mfa_method", "totp"},
		{map[string]any{"mfa_enrolled": true}, "member.mfa_enrolled", true},
	}
	// Seven writers per field (56 in all), each with its own value where the field allows one.
	base := updates
	updates = nil
	for w := range 7 {
		for _, u := range base {
			body, want := u.body, u.want
			switch u.field {
			case "member.name", "member.external_id":
				key := strings.TrimPrefix(u.field, "member.")
				v := fmt.Sprintf("%s-%d", body[key], w)
				body, want = map[string]any{key: v}, v
			case "member.mfa_phone_number":
				v := fmt.Sprintf("+1555555010%d", w)
				body, want = map[string]any{"mfa_phone_number": v}, v
			}
			updates = append(updates, struct {
				body  map[string]any
				field string
				want  any
			}{body, u.field, want})
		}
	}
	var wg sync.WaitGroup
	applied := make([]bool, len(updates))
	for i, u := range updates {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := env.Do(t, "PUT", path, u.body)
			switch r.Status {
			case http.StatusOK:
				applied[i] = true
			case http.StatusConflict:
				apptest.ExpectError(t, r, http.StatusConflict, "concurrent_update")
			default:
				t.Errorf("status %d: %s", r.Status, r.Raw)
			}
		}()
	}
	wg.Wait()
	final := getMember(t, org, id, "")
	n := 0
	// For each field, the final value must be one an applied writer of that field wrote.
	wrote := map[string][]any{}
	for i, u := range updates {
		if applied[i] {
			n++
			wrote[u.field] = append(wrote[u.field], u.want)
		}
	}
	for field, values := range wrote {
		got := final.Get(field)
		found := false
		for _, v := range values {
			found = found || v == got
		}
		if !found {
			t.Errorf("applied updates of %s lost: final %v, written %v", field, got, values)
		}
	}
	if n == 0 {
		t.Fatal("no update applied")
	}
	t.Logf("%d of %d concurrent updates applied, the rest were clean conflicts", n, len(updates))
}

// Redeeming an emailed code costs what a magic link does: the counted try that reads the
// code, the member with its organization, and the one transaction.
func TestEmailOTPAuthenticateBudget(t *testing.T) {
	org, _, auth := login(t)
	addr := auth.Str("member.email_address")
	apptest.ExpectOK(t, otpSend(t, org, addr, nil))
	r := otpAuthenticate(t, org, addr, env.LastEmail(t, addr).Code(), nil)
	apptest.ExpectOK(t, r)
	line := logLine(t, r)
	if line["dynamodb_calls"] != float64(3) || line["dynamodb_ops"] != "BatchGetItem:1,TransactWriteItems:1,UpdateItem:1" {
		t.Fatalf("want 3 calls (BatchGetItem:1,TransactWriteItems:1,UpdateItem:1), got %v (%v)", line["dynamodb_calls"], line["dynamodb_ops"])
	}
}
