package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/latchkey/latchkey/shared/app/apptest"
)

// login creates an organization and member and logs in by magic link; it returns the
// authenticate response.
func login(t *testing.T) (org, member string, auth apptest.Response) {
	t.Helper()
	org = createOrg(t, map[string]any{}).Str("organization.organization_id")
	email := newEmail()
	member = createMember(t, org, map[string]any{"email_address": email}).Str("member_id")
	apptest.ExpectOK(t, loginOrSignup(t, org, email, nil))
	auth = authenticate(t, env.LastEmail(t, email).Token(), map[string]any{"session_custom_claims": map[string]any{"tier": "gold"}})
	apptest.ExpectOK(t, auth)
	return org, member, auth
}

func sessionAuth(t *testing.T, body map[string]any) apptest.Response {
	t.Helper()
	return env.Do(t, "POST", "/v1/b2b/sessions/authenticate", body)
}

func TestSessionAuthenticate(t *testing.T) {
	org, member, a := login(t)
	token, jwt := a.Str("session_token"), a.Str("session_jwt")

	byToken := sessionAuth(t, map[string]any{"session_token": token})
	apptest.ExpectOK(t, byToken)
	if byToken.Str("member.member_id") != member || byToken.Str("organization.organization_id") != org ||
		byToken.Str("member_session.custom_claims.tier") != "gold" || byToken.Str("session_jwt") == "" {
		t.Fatalf("session authenticate: %s", byToken.Raw)
	}
	byJWT := sessionAuth(t, map[string]any{"session_jwt": jwt})
	apptest.ExpectOK(t, byJWT)
	if byJWT.Str("member_session.member_session_id") != a.Str("member_session.member_session_id") {
		t.Fatalf("JWT authenticate: %s", byJWT.Raw)
	}

	// Extending sets a new expiry from now; claims merge.
	ext := sessionAuth(t, map[string]any{"session_token": token, "session_duration_minutes": 600, "session_custom_claims": map[string]any{"seat": 3}})
	apptest.ExpectOK(t, ext)
	exp, _ := time.Parse(time.RFC3339, ext.Str("member_session.expires_at"))
	if d := time.Until(exp); d < 9*time.Hour || d > 11*time.Hour || ext.Str("member_session.custom_claims.tier") != "gold" ||
		ext.Get("member_session.custom_claims.seat") != float64(3) {
		t.Fatalf("extension: %s", ext.Raw)
	}

	// Expired: the clock passes the (extended) expiry.
	restore := env.Clock.Advance(601 * time.Minute)
	apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_token": token}), http.StatusNotFound, "session_not_found")
	restore()
	apptest.ExpectOK(t, sessionAuth(t, map[string]any{"session_token": token}))

	for name, body := range map[string]map[string]any{
		"garbage token":     {"session_token": "garbage"},
		"forged token":      {"session_token": token[:len(token)-4] + "AAAA"},
		"garbage jwt":       {"session_jwt": "a.b.c"},
		"jwt signed by me?": {"session_jwt": jwt[:len(jwt)-6] + "AAAAAA"},
	} {
		t.Run(name, func(t *testing.T) {
			apptest.ExpectError(t, sessionAuth(t, body), http.StatusNotFound, "session_not_found")
		})
	}
	apptest.ExpectError(t, sessionAuth(t, map[string]any{}), 400, "bad_request")
	apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_token": token, "session_duration_minutes": 1}), 400, "invalid_session_duration")
	apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_token": token, "session_custom_claims": map[string]any{"sub": "x"}}), 400, "invalid_session_custom_claims")
	apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_token": token,
		"authorization_check": map[string]any{"organization_id": org, "resource_id": "docs", "action": "read"}}), 403, "session_authorization_error")
	apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_token": token,
		"authorization_check": map[string]any{"organization_id": "organization-test-00000000-0000-4000-8000-000000000000", "resource_id": "stytch.self", "action": "delete"}}),
		403, "session_authorization_tenancy_error")
	apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_token": token, "authorization_check": map[string]any{"organization_id": org}}),
		400, "invalid_authorization_check")
	ok := sessionAuth(t, map[string]any{"session_token": token,
		"authorization_check": map[string]any{"organization_id": org, "resource_id": "stytch.self", "action": "update.info.name"}})
	apptest.ExpectOK(t, ok)
	if ok.Get("verdict.authorized") != true || fmt.Sprint(ok.Get("verdict.granting_roles")) != "[stytch_member]" {
		t.Fatalf("verdict: %s", ok.Raw)
	}
}

// A session revoked by id, token, JWT or member no longer authenticates by token or JWT, and is
// gone from the member's sessions.
func TestSessionRevoke(t *testing.T) {
	ways := []struct {
		name string
		body func(a apptest.Response) map[string]any
	}{
		{"by id", func(a apptest.Response) map[string]any {
			return map[string]any{"member_session_id": a.Str("member_session.member_session_id")}
		}},
		{"by token", func(a apptest.Response) map[string]any {
			return map[string]any{"session_token": a.Str("session_token")}
		}},
		{"by jwt", func(a apptest.Response) map[string]any { return map[string]any{"session_jwt": a.Str("session_jwt")} }},
		{"by member", func(a apptest.Response) map[string]any { return map[string]any{"member_id": a.Str("member_id")} }},
	}
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			org, member, a := login(t)
			apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/sessions/revoke", w.body(a)))
			apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_token": a.Str("session_token")}), 404, "session_not_found")
			apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_jwt": a.Str("session_jwt")}), 404, "session_not_found")
			list := env.Do(t, "GET", "/v1/b2b/sessions?organization_id="+org+"&member_id="+member, nil)
			apptest.ExpectOK(t, list)
			if n := len(list.Get("member_sessions").([]any)); n != 0 {
				t.Fatalf("%d sessions left", n)
			}
		})
	}
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/sessions/revoke", map[string]any{}), 400, "bad_request")
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/sessions/revoke", map[string]any{"member_session_id": "member-session-test-nope"}), 404, "session_not_found")
}

// Deleting a member ends its sessions.
func TestDeletingAMemberEndsItsSessions(t *testing.T) {
	org, member, a := login(t)
	apptest.ExpectOK(t, env.Do(t, "DELETE", "/v1/b2b/organizations/"+org+"/members/"+member, nil))
	apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_token": a.Str("session_token")}), 404, "session_not_found")
}

func TestSessionsList(t *testing.T) {
	org, member, a := login(t)
	r := env.Do(t, "GET", "/v1/b2b/sessions?organization_id="+org+"&member_id="+member, nil)
	apptest.ExpectOK(t, r)
	list := r.Get("member_sessions").([]any)
	if len(list) != 1 || list[0].(map[string]any)["member_session_id"] != a.Str("member_session.member_session_id") {
		t.Fatalf("sessions: %s", r.Raw)
	}
	other := createOrg(t, map[string]any{}).Str("organization.organization_id")
	apptest.ExpectError(t, env.Do(t, "GET", "/v1/b2b/sessions?organization_id="+other+"&member_id="+member, nil), 404, "member_not_found")
	apptest.ExpectError(t, env.Do(t, "GET", "/v1/b2b/sessions?organization_id="+org, nil), 400, "bad_request")
}

func TestAuthDynamoDBBudgets(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	email := newEmail()
	createMember(t, org, map[string]any{"email_address": email})
	send := loginOrSignup(t, org, email, nil)
	apptest.ExpectOK(t, send)
	a := authenticate(t, env.LastEmail(t, email).Token(), nil)
	apptest.ExpectOK(t, a)
	s := sessionAuth(t, map[string]any{"session_token": a.Str("session_token")})
	apptest.ExpectOK(t, s)
	j := sessionAuth(t, map[string]any{"session_jwt": a.Str("session_jwt")})
	apptest.ExpectOK(t, j)
	cases := []struct {
		name  string
		r     apptest.Response
		calls int
		ops   string
	}{
		// The guard, the member and organization, the two send counters side by side (one round
		// trip, no transaction), the token.
		{"login_or_signup (existing member)", send, 5, "BatchGetItem:1,GetItem:1,PutItem:1,UpdateItem:2"},
		{"magic link authenticate: 1 transaction + 2 reads", a, 3, "BatchGetItem:1,GetItem:1,TransactWriteItems:1"},
		{"session authenticate by token: 1 read", s, 1, "BatchGetItem:1"},
		{"session authenticate by JWT", j, 2, "BatchGetItem:1,GetItem:1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			line := logLine(t, c.r)
			if int(line["dynamodb_calls"].(float64)) != c.calls || line["dynamodb_ops"] != c.ops {
				t.Fatalf("want %d (%s), got %v (%v)", c.calls, c.ops, line["dynamodb_calls"], line["dynamodb_ops"])
			}
		})
	}
}
