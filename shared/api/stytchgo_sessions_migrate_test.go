package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/discovery/organizations"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sessions"

	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/app/apptest"
)

// Sessions.Migrate tests run the application's previous auth system as a real OpenID provider
// (zitadel's example OP, in process): a person logs in there with the authorization code flow,
// and the access token it issues is the session token the application migrates. Latchkey runs
// in a variant of the test server whose userinfo URL (configuration, as in a deployment) is the
// provider's userinfo endpoint.

// legacyRedirect is where the previous system's own login sent the browser back.
const legacyRedirect = "http://localhost:3000/legacy/callback"

type migrateFixture struct {
	op  *apptest.OIDCProvider
	env *apptest.Env // the variant's
	c   *b2bstytchapi.API
}

// migrateServer is a variant of the test server whose userinfo endpoint for Sessions.Migrate is
// userinfoURL.
func migrateServer(t *testing.T, userinfoURL string) (*apptest.Env, *b2bstytchapi.API) {
	t.Helper()
	_, srv, err := env.Variant(context.Background(), func(c *app.Config) { c.SessionMigrateUserinfoURL = userinfoURL })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return env.At(srv.URL), sgPwClient(t, srv.URL)
}

func newMigrateFixture(t *testing.T) *migrateFixture {
	t.Helper()
	op := apptest.StartOIDCProvider(t, legacyRedirect)
	e, c := migrateServer(t, op.UserinfoURL(t))
	return &migrateFixture{op: op, env: e, c: c}
}

// legacySession logs a person with this address in at the previous system and returns the
// access token that session holds. claims go into its userinfo as they are.
func (f *migrateFixture) legacySession(t *testing.T, email string, claims map[string]any) string {
	t.Helper()
	user := "u" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	f.op.AddUser(apptest.OIDCUser{Subject: "legacy-" + uuid.NewString(), Username: user, Email: email, EmailVerified: true,
		FirstName: "Ada", LastName: "Lovelace", Claims: claims})
	return f.op.AccessToken(t, apptest.OIDCClientID, user)
}

func (f *migrateFixture) migrate(t *testing.T, token, org string) (*sessions.MigrateResponse, error) {
	t.Helper()
	return f.c.Sessions.Migrate(context.Background(), &sessions.MigrateParams{SessionToken: token, OrganizationID: org})
}

// A person logged in to the previous system gets a session for the member of the organization
// with the address its userinfo names: a working session (remote and local authentication), in
// Stytch's shape, whose factor is the migration's (type imported, delivery_method
// session_migration, the email it proved), with the custom claims and duration asked for. The
// member's address is verified by it. The organization may be named by its slug. It costs the
// member lookup and one transaction.
func TestStytchGoSessionsMigrate(t *testing.T) {
	ctx := context.Background()
	f := newMigrateFixture(t)
	o := createOrg(t, map[string]any{})
	org, slug := o.Str("organization.organization_id"), o.Str("organization.organization_slug")
	addr := newEmail()
	member := createMember(t, org, map[string]any{"email_address": addr}).Str("member_id")
	token := f.legacySession(t, addr, nil)
	// The variant checks the project's credentials once, then caches them.
	apptest.ExpectOK(t, f.env.Do(t, "GET", "/v1/b2b/organizations/"+org, nil))

	res, err := f.c.Sessions.Migrate(ctx, &sessions.MigrateParams{SessionToken: token, OrganizationID: org,
		SessionDurationMinutes: 30, SessionCustomClaims: map[string]any{"tier": "gold"}})
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	sgEnvelope(t, res.StatusCode, res.RequestID)
	s := res.MemberSession
	if res.MemberID != member || res.SessionToken == "" || strings.Count(res.SessionJWT, ".") != 2 || s == nil ||
		s.MemberID != member || s.OrganizationID != org || res.Organization.OrganizationID != org || res.Member.MemberID != member ||
		!res.Member.EmailAddressVerified || res.Member.Status != "active" || s.CustomClaims["tier"] != "gold" {
		t.Fatalf("Migrate: %+v", res)
	}
	if d := time.Until(*s.ExpiresAt); d < 25*time.Minute || d > 35*time.Minute {
		t.Errorf("session_duration_minutes 30 gave expires_at %v", s.ExpiresAt)
	}
	if len(s.AuthenticationFactors) != 1 || s.AuthenticationFactors[0].Type != "imported" ||
		s.AuthenticationFactors[0].DeliveryMethod != "session_migration" || s.AuthenticationFactors[0].EmailFactor == nil ||
		s.AuthenticationFactors[0].EmailFactor.EmailAddress != addr || s.AuthenticationFactors[0].LastAuthenticatedAt == nil {
		t.Fatalf("factors: %+v", s.AuthenticationFactors)
	}
	line, err := env.Logs.LogLine(res.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	// The email's guard, the member with its organization, and the transaction that verifies
	// the member and writes the session.
	if line["dynamodb_calls"] != float64(3) || line["dynamodb_ops"] != "BatchGetItem:1,GetItem:1,TransactWriteItems:1" ||
		line["route"] != "POST /v1/b2b/sessions/migrate" || line["organization_id"] != org {
		t.Errorf("log line: %v", line)
	}

	remote, err := f.c.Sessions.Authenticate(ctx, &sessions.AuthenticateParams{SessionToken: res.SessionToken})
	if err != nil || remote.MemberSession.MemberSessionID != s.MemberSessionID || remote.Member.MemberID != member {
		t.Fatalf("Sessions.Authenticate: %+v %v", remote, err)
	}
	local, err := f.c.Sessions.AuthenticateJWTLocal(ctx, res.SessionJWT, time.Minute, nil)
	if err != nil || local.MemberSessionID != s.MemberSessionID || len(local.AuthenticationFactors) != 1 ||
		local.AuthenticationFactors[0].DeliveryMethod != "session_migration" {
		t.Fatalf("AuthenticateJWTLocal: %+v %v", local, err)
	}

	// The previous system's session goes on (Latchkey consumes nothing of it): a second
	// migration, naming the organization by slug, is a second session. The member is as it was,
	// so the transaction only checks it.
	again, err := f.migrate(t, token, slug)
	if err != nil || again.MemberID != member || again.SessionToken == "" || again.MemberSession.MemberSessionID == s.MemberSessionID {
		t.Fatalf("second Migrate: %+v %v", again, err)
	}
	line, err = env.Logs.LogLine(again.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	// The slug is resolved first, with one more read.
	if line["dynamodb_calls"] != float64(4) || line["dynamodb_ops"] != "BatchGetItem:2,GetItem:1,TransactWriteItems:1" {
		t.Errorf("second migration, by slug: %v %v", line["dynamodb_calls"], line["dynamodb_ops"])
	}
}

// Migration never creates a member: an address no member has is refused, 404
// migrate_from_external_email_does_not_exist, even where the organization lets anyone of the
// domain join by email, and nothing is created.
func TestSessionsMigrateNeedsAnExistingMember(t *testing.T) {
	f := newMigrateFixture(t)
	org := createOrg(t, map[string]any{"email_jit_provisioning": "RESTRICTED", "email_allowed_domains": []string{"acme.com"}}).
		Str("organization.organization_id")
	addr := newEmail() // @acme.com: it could join by domain
	_, err := f.migrate(t, f.legacySession(t, addr, nil), org)
	sgWantErr(t, err, http.StatusNotFound, "migrate_from_external_email_does_not_exist")
	apptest.ExpectError(t, getMember(t, org, "", addr), http.StatusNotFound, "member_not_found")
	// An organization that does not exist.
	_, err = f.migrate(t, f.legacySession(t, addr, nil), "organization-test-"+uuid.NewString())
	sgWantErr(t, err, http.StatusNotFound, "organization_not_found")
}

// What the userinfo endpoint says of the address decides: email_verified false (a boolean, or
// the string some providers send) is refused, 400 oidc_response_unverified_email; true, or no
// email_verified at all (the previous system vouches for its users' addresses), counts.
func TestSessionsMigrateEmailVerified(t *testing.T) {
	f := newMigrateFixture(t)
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	addr := newEmail()
	member := createMember(t, org, map[string]any{"email_address": addr}).Str("member_id")
	for _, v := range []any{false, "false", nil} {
		_, err := f.migrate(t, f.legacySession(t, addr, map[string]any{"email_verified": v}), org)
		sgWantErr(t, err, http.StatusBadRequest, "oidc_response_unverified_email")
	}
	if m := getMember(t, org, member, ""); m.Get("member.email_address_verified") != false {
		t.Fatalf("a refused migration verified the member: %s", m.Raw)
	}
	// The test provider leaves email_verified out for a user whose address it has not verified.
	user := "u" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	f.op.AddUser(apptest.OIDCUser{Subject: "legacy-" + uuid.NewString(), Username: user, Email: addr, EmailVerified: false})
	res, err := f.migrate(t, f.op.AccessToken(t, apptest.OIDCClientID, user), org)
	if err != nil || res.MemberID != member || res.SessionToken == "" {
		t.Fatalf("no email_verified: %+v %v", res, err)
	}
	// A userinfo answer without an email names no one.
	_, err = f.migrate(t, f.legacySession(t, "", nil), org)
	sgWantErr(t, err, http.StatusBadRequest, "oidc_response_email_missing")
}

// A token the previous system does not know (its userinfo endpoint answers 401) is the caller's:
// 404 session_not_found.
func TestSessionsMigrateUnknownToken(t *testing.T) {
	f := newMigrateFixture(t)
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	_, err := f.migrate(t, "not-a-token-of-the-previous-system", org)
	sgWantErr(t, err, http.StatusNotFound, "session_not_found")
}

// A previous system that cannot be reached, fails (5xx, 429) or answers something that is not
// userinfo: 503 server_unavailable for what may pass (so the caller retries),
// 400 migrate_from_external_unexpected_response for the rest. Neither logs a body. Without an
// endpoint configured (the test server's default), 400 migrate_from_external_missing_userinfo.
func TestSessionsMigrateUserinfoFailures(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	addr := newEmail()
	createMember(t, org, map[string]any{"email_address": addr})
	var answer func(w http.ResponseWriter, r *http.Request)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { answer(w, r) }))
	t.Cleanup(upstream.Close)
	_, c := migrateServer(t, upstream.URL+"/userinfo")
	cases := []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		status int
		typ    string
	}{
		{"500", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }, 503, "server_unavailable"},
		{"429", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTooManyRequests) }, 503, "server_unavailable"},
		{"connection dropped", func(w http.ResponseWriter, _ *http.Request) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}, 503, "server_unavailable"},
		{"404", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) }, 400, "migrate_from_external_unexpected_response"},
		{"redirect, not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}, 400, "migrate_from_external_unexpected_response"},
		{"not JSON", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("<html>login</html>")) }, 400, "migrate_from_external_unexpected_response"},
		{"too large", func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte(`{"email":"` + addr + `","pad":"` + strings.Repeat("x", 70<<10) + `"}`))
		}, 400, "migrate_from_external_unexpected_response"},
		{"403", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusForbidden) }, 404, "session_not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var auth string
			answer = func(w http.ResponseWriter, r *http.Request) {
				auth = r.Header.Get("Authorization")
				tc.answer(w, r)
			}
			_, err := c.Sessions.Migrate(context.Background(), &sessions.MigrateParams{SessionToken: "legacy-token", OrganizationID: org})
			sgWantErr(t, err, tc.status, tc.typ)
			if auth != "Bearer legacy-token" {
				t.Errorf("the userinfo endpoint got Authorization %q", auth)
			}
		})
	}
	t.Run("nothing listening", func(t *testing.T) {
		gone := httptest.NewServer(http.NotFoundHandler())
		gone.Close()
		_, c := migrateServer(t, gone.URL+"/userinfo")
		_, err := c.Sessions.Migrate(context.Background(), &sessions.MigrateParams{SessionToken: "legacy-token", OrganizationID: org})
		sgWantErr(t, err, http.StatusServiceUnavailable, "server_unavailable")
	})
	t.Run("not configured", func(t *testing.T) {
		_, err := sgPwClient(t, env.URL).Sessions.Migrate(context.Background(), &sessions.MigrateParams{SessionToken: "legacy-token", OrganizationID: org})
		sgWantErr(t, err, http.StatusBadRequest, "migrate_from_external_missing_userinfo")
	})
	if logs := env.Logs.String(); strings.Contains(logs, "legacy-token") || strings.Contains(logs, "<html>") {
		t.Error("the log holds the token or the userinfo answer")
	}
}

// The factor a migration records proves the address in its own organization only: its session
// cannot be exchanged into another organization where the same address is a member (400
// session_email_not_proven), nor list organizations by discovery. The previous system's account
// management is not an identity across organizations.
func TestSessionsMigrateStaysInItsOrganization(t *testing.T) {
	ctx := context.Background()
	f := newMigrateFixture(t)
	a := createOrg(t, map[string]any{}).Str("organization.organization_id")
	b := createOrg(t, map[string]any{}).Str("organization.organization_id")
	addr := newEmail()
	createMember(t, a, map[string]any{"email_address": addr})
	createMember(t, b, map[string]any{"email_address": addr})
	res, err := f.migrate(t, f.legacySession(t, addr, nil), a)
	if err != nil || res.SessionToken == "" {
		t.Fatalf("Migrate: %+v %v", res, err)
	}
	_, err = f.c.Sessions.Exchange(ctx, &sessions.ExchangeParams{SessionToken: res.SessionToken, OrganizationID: b})
	sgWantErr(t, err, http.StatusBadRequest, "session_email_not_proven")
	_, err = f.c.Discovery.Organizations.List(ctx, &organizations.ListParams{SessionToken: res.SessionToken})
	sgWantErr(t, err, http.StatusBadRequest, "session_email_not_proven")
	// In its own organization the session is the member's as any other.
	if _, err := f.c.Sessions.Authenticate(ctx, &sessions.AuthenticateParams{SessionToken: res.SessionToken}); err != nil {
		t.Fatalf("Sessions.Authenticate: %v", err)
	}
}

// The organization's policy applies as to any login. Under mfa_policy REQUIRED_FOR_ALL the
// migration answers an intermediate session with mfa_required (stytch-go's MigrateResponse has
// no field for either, so it shows no session), which the member's TOTP turns into a session
// holding both factors. Under auth_methods RESTRICTED a migration is refused, 400
// operation_restricted_by_organization_auth_methods, except for breakglass members.
func TestSessionsMigrateOrganizationPolicy(t *testing.T) {
	f := newMigrateFixture(t)
	t.Run("MFA required", func(t *testing.T) {
		org := createOrg(t, map[string]any{"mfa_policy": "REQUIRED_FOR_ALL"}).Str("organization.organization_id")
		addr := newEmail()
		member := createMember(t, org, map[string]any{"email_address": addr}).Str("member_id")
		res, err := f.migrate(t, f.legacySession(t, addr, nil), org)
		if err != nil || res.SessionToken != "" || res.MemberSession != nil || res.MemberID != member {
			t.Fatalf("stytch-go Migrate under REQUIRED_FOR_ALL: %+v %v", res, err)
		}
		raw := f.env.Do(t, "POST", "/v1/b2b/sessions/migrate", map[string]any{"session_token": f.legacySession(t, addr, nil), "organization_id": org})
		apptest.ExpectOK(t, raw)
		ist := raw.Str("intermediate_session_token")
		if raw.Get("member_authenticated") != false || ist == "" || raw.Get("mfa_required") == nil || raw.Str("session_token") != "" ||
			raw.Get("member_session") != nil {
			t.Fatalf("migrate under REQUIRED_FOR_ALL: %s", raw.Raw)
		}
		// The member lookup, and the intermediate session alone: the member is left as it is
		// until the second factor.
		if line, err := env.Logs.LogLine(raw.Str("request_id")); err != nil || line["dynamodb_ops"] != "BatchGetItem:1,GetItem:1,PutItem:1" {
			t.Errorf("log line: %v %v", line, err)
		}
		created := f.env.Do(t, "POST", "/v1/b2b/totp", map[string]any{"organization_id": org, "member_id": member, "intermediate_session_token": ist})
		apptest.ExpectOK(t, created)
		done := f.env.Do(t, "POST", "/v1/b2b/totp/authenticate", map[string]any{"organization_id": org, "member_id": member,
			"code": totpCode(t, created.Str("secret"), env.Clock.Now()), "intermediate_session_token": ist})
		apptest.ExpectOK(t, done)
		if done.Str("session_token") == "" || done.Str("member_session.authentication_factors.0.delivery_method") != "session_migration" ||
			done.Str("member_session.authentication_factors.1.type") != "totp" || done.Get("member.email_address_verified") != true {
			t.Fatalf("TOTP on the migration's intermediate session: %s", done.Raw)
		}
	})
	t.Run("auth methods restricted", func(t *testing.T) {
		org := createOrg(t, map[string]any{"auth_methods": "RESTRICTED", "allowed_auth_methods": []string{"magic_link"}}).
			Str("organization.organization_id")
		addr, glass := newEmail(), newEmail()
		createMember(t, org, map[string]any{"email_address": addr})
		breakglass := createMember(t, org, map[string]any{"email_address": glass, "is_breakglass": true}).Str("member_id")
		_, err := f.migrate(t, f.legacySession(t, addr, nil), org)
		sgWantErr(t, err, http.StatusBadRequest, "operation_restricted_by_organization_auth_methods")
		res, err := f.migrate(t, f.legacySession(t, glass, nil), org)
		if err != nil || res.MemberID != breakglass || res.SessionToken == "" {
			t.Fatalf("a breakglass member: %+v %v", res, err)
		}
	})
}

// What the route reads is checked before the previous system is called: required fields, the
// token's shape (it goes out as a header), and the session options.
func TestSessionsMigrateBadInput(t *testing.T) {
	var calls int
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { calls++ }))
	t.Cleanup(upstream.Close)
	e, _ := migrateServer(t, upstream.URL)
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	for _, c := range []struct {
		body   map[string]any
		status int
		typ    string
	}{
		{map[string]any{"session_token": "t"}, 400, "bad_request"},
		{map[string]any{"organization_id": org}, 400, "bad_request"},
		{map[string]any{"organization_id": org, "session_token": "a b"}, 400, "bad_request"},
		{map[string]any{"organization_id": org, "session_token": "a\r\nX-Evil: 1"}, 400, "bad_request"},
		{map[string]any{"organization_id": org, "session_token": strings.Repeat("t", 8193)}, 400, "bad_request"},
		{map[string]any{"organization_id": org, "session_token": "t", "session_duration_minutes": 1}, 400, "invalid_session_duration"},
	} {
		apptest.ExpectError(t, e.Do(t, "POST", "/v1/b2b/sessions/migrate", c.body), c.status, c.typ)
	}
	if calls != 0 {
		t.Fatalf("refused requests called the userinfo endpoint %d times", calls)
	}
}
