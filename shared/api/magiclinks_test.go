package api_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchkey/latchkey/shared/app/apptest"
)

const redirect = "http://localhost:3000/authenticate"

func loginOrSignup(t *testing.T, org, email string, extra map[string]any) apptest.Response {
	t.Helper()
	body := map[string]any{"organization_id": org, "email_address": email, "login_redirect_url": redirect, "signup_redirect_url": redirect}
	for k, v := range extra {
		body[k] = v
	}
	return env.Do(t, "POST", "/v1/b2b/magic_links/email/login_or_signup", body)
}

func authenticate(t *testing.T, token string, extra map[string]any) apptest.Response {
	t.Helper()
	body := map[string]any{"magic_links_token": token}
	for k, v := range extra {
		body[k] = v
	}
	return env.Do(t, "POST", "/v1/b2b/magic_links/authenticate", body)
}

// domainOrg creates an organization that lets people of a fresh domain join by email.
func domainOrg(t *testing.T, extra map[string]any) (orgID, domain string) {
	t.Helper()
	domain = "d" + uuid.NewString()[:8] + ".com"
	body := map[string]any{"email_allowed_domains": []string{domain}, "email_jit_provisioning": "RESTRICTED"}
	for k, v := range extra {
		body[k] = v
	}
	return createOrg(t, body).Str("organization.organization_id"), domain
}

func TestLoginExistingMember(t *testing.T) {
	org := createOrg(t, map[string]any{"organization_name": "Globex"}).Str("organization.organization_id")
	email := newEmail()
	id := createMember(t, org, map[string]any{"email_address": email}).Str("member_id")

	r := loginOrSignup(t, org, strings.ToUpper(email), nil)
	apptest.ExpectOK(t, r)
	if r.Str("member_id") != id || r.Get("member_created") != false {
		t.Fatalf("login_or_signup: %s", r.Raw)
	}
	mail := env.LastEmail(t, email)
	if !strings.Contains(mail.Subject, "Globex") || mail.From != "no-reply@latchkey.test" ||
		!strings.HasPrefix(mail.Link(), redirect+"?stytch_token_type=multi_tenant_magic_links&token=") ||
		!strings.Contains(mail.Body.HTML, "stytch_token_type=multi_tenant_magic_links") {
		t.Fatalf("email: %+v", mail)
	}
	a := authenticate(t, mail.Token(), nil)
	apptest.ExpectOK(t, a)
	if a.Str("member_id") != id || a.Get("member_authenticated") != true || a.Str("session_token") == "" ||
		a.Str("session_jwt") == "" || a.Str("member_session.member_id") != id || a.Get("member.email_address_verified") != true ||
		a.Str("member_session.authentication_factors.0.type") != "magic_link" {
		t.Fatalf("authenticate: %s", a.Raw)
	}
	factors := a.Get("member_session.authentication_factors").([]any)
	if len(factors) != 1 || factors[0].(map[string]any)["type"] != "magic_link" {
		t.Fatalf("factors: %v", factors)
	}
	// The link works once.
	apptest.ExpectError(t, authenticate(t, mail.Token(), nil), http.StatusNotFound, "magic_link_not_found")
	apptest.ExpectError(t, authenticate(t, "not-a-token", nil), http.StatusNotFound, "magic_link_not_found")
}

func TestSignupPolicy(t *testing.T) {
	closed := createOrg(t, map[string]any{}).Str("organization.organization_id")
	org, domain := domainOrg(t, nil)

	cases := []struct {
		name, org, email, errType string
	}{
		{"JIT not allowed", closed, newEmail(), "email_jit_provisioning_not_allowed"},
		{"domain not allowed", org, "x-" + uuid.NewString()[:6] + "@other.com", "invalid_email_for_jit_provisioning"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			apptest.ExpectError(t, loginOrSignup(t, c.org, c.email, nil), http.StatusBadRequest, c.errType)
			if n := len(env.Emails(t, c.email)); n != 0 {
				t.Fatalf("%d emails sent on refusal", n)
			}
			apptest.ExpectError(t, getMember(t, c.org, "", c.email), http.StatusNotFound, "member_not_found")
		})
	}

	email := "new-" + uuid.NewString()[:6] + "@" + domain
	r := loginOrSignup(t, org, email, nil)
	apptest.ExpectOK(t, r)
	if r.Get("member_created") != true || r.Str("member.status") != "pending" {
		t.Fatalf("signup: %s", r.Raw)
	}
	mail := env.LastEmail(t, email)
	if !strings.Contains(mail.Subject, "Finish signing up") {
		t.Fatalf("signup email subject %q", mail.Subject)
	}
	a := authenticate(t, mail.Token(), nil)
	apptest.ExpectOK(t, a)
	if a.Str("member.status") != "active" || a.Get("member.email_address_verified") != true {
		t.Fatalf("signup redemption: %s", a.Raw)
	}
	// Logging in again is a login, not a second member.
	again := loginOrSignup(t, org, email, nil)
	if again.Get("member_created") != false || again.Str("member_id") != r.Str("member_id") {
		t.Fatalf("second login: %s", again.Raw)
	}
}

func TestAuthMethodRestriction(t *testing.T) {
	org := createOrg(t, map[string]any{"auth_methods": "RESTRICTED", "allowed_auth_methods": []string{"sso"}}).Str("organization.organization_id")
	email := newEmail()
	createMember(t, org, map[string]any{"email_address": email})
	apptest.ExpectError(t, loginOrSignup(t, org, email, nil), http.StatusBadRequest, "operation_restricted_by_organization_auth_methods")
	if len(env.Emails(t, email)) != 0 {
		t.Fatal("email sent despite the restriction")
	}
	// A breakglass member may still log in.
	bg := newEmail()
	createMember(t, org, map[string]any{"email_address": bg, "is_breakglass": true})
	apptest.ExpectOK(t, loginOrSignup(t, org, bg, nil))
	apptest.ExpectOK(t, authenticate(t, env.LastEmail(t, bg).Token(), nil))
}

func TestInvites(t *testing.T) {
	restricted, domain := domainOrg(t, map[string]any{"email_invites": "RESTRICTED"})
	closed := createOrg(t, map[string]any{"email_invites": "NOT_ALLOWED"}).Str("organization.organization_id")
	open := createOrg(t, map[string]any{"organization_name": "Initech"}).Str("organization.organization_id")
	invite := func(org, email string, extra map[string]any) apptest.Response {
		body := map[string]any{"organization_id": org, "email_address": email, "invite_redirect_url": redirect}
		for k, v := range extra {
			body[k] = v
		}
		return env.Do(t, "POST", "/v1/b2b/magic_links/email/invite", body)
	}
	apptest.ExpectError(t, invite(closed, newEmail(), nil), http.StatusBadRequest, "invalid_email_for_invites")
	apptest.ExpectError(t, invite(restricted, "x-"+uuid.NewString()[:6]+"@elsewhere.com", nil), http.StatusBadRequest, "invalid_email_for_invites")
	apptest.ExpectOK(t, invite(restricted, "ok-"+uuid.NewString()[:6]+"@"+domain, nil))

	email := "friend-" + uuid.NewString()[:6] + "@gmail.com" // any domain when invites are ALL_ALLOWED
	r := invite(open, email, map[string]any{"name": "Milton", "roles": []string{"stytch_admin"}, "invite_expiration_minutes": 1440})
	apptest.ExpectOK(t, r)
	if r.Str("member.status") != "invited" || r.Str("member.name") != "Milton" || r.Get("member.is_admin") != true {
		t.Fatalf("invite: %s", r.Raw)
	}
	mail := env.LastEmail(t, email)
	if !strings.Contains(mail.Subject, "invited to Initech") || !strings.Contains(mail.Body.Text, "1 day") {
		t.Fatalf("invite email: %q %q", mail.Subject, mail.Body.Text)
	}
	// login_or_signup for an invited member resends an invite link.
	apptest.ExpectOK(t, loginOrSignup(t, open, email, nil))
	if resent := env.LastEmail(t, email); !strings.Contains(resent.Subject, "invited") || resent.Token() == mail.Token() {
		t.Fatalf("invited member's login email: %q", resent.Subject)
	}
	a := authenticate(t, mail.Token(), nil)
	apptest.ExpectOK(t, a)
	if a.Str("member.status") != "active" || a.Get("member_session.roles").([]any)[1] != "stytch_admin" {
		t.Fatalf("invite redemption: %s", a.Raw)
	}
	apptest.ExpectError(t, invite(open, email, nil), http.StatusBadRequest, "duplicate_member_email")
}

func TestRedirectAndInputValidation(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	email := newEmail()
	createMember(t, org, map[string]any{"email_address": email})
	cases := []struct {
		name    string
		extra   map[string]any
		errType string
	}{
		{"redirect not allowed", map[string]any{"login_redirect_url": "https://evil.example/steal"}, "no_match_for_provided_magic_link_url"},
		{"redirect not a URL", map[string]any{"login_redirect_url": "javascript:alert(1)"}, "invalid_login_redirect_url"},
		{"expiry too long", map[string]any{"login_expiration_minutes": 100000}, "invalid_login_expiration_minutes"},
		{"bad pkce challenge", map[string]any{"pkce_code_challenge": "short"}, "invalid_pkce_code_challenge"},
		{"bad email", map[string]any{"email_address": "nope"}, "invalid_email"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			apptest.ExpectError(t, loginOrSignup(t, org, email, c.extra), http.StatusBadRequest, c.errType)
		})
	}
	if len(env.Emails(t, email)) != 0 {
		t.Fatal("an email was sent for a refused request")
	}
	apptest.ExpectError(t, loginOrSignup(t, "organization-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00", email, nil), 404, "organization_not_found")
	// An allowed pattern with a path prefix.
	apptest.ExpectOK(t, loginOrSignup(t, org, email, map[string]any{"login_redirect_url": "https://app.example.com/auth/callback"}))
	apptest.ExpectError(t, authenticate(t, "", nil), 400, "bad_request")
}

// A magic link sent with a PKCE challenge is redeemed only with the matching verifier, and failed
// attempts do not burn it.
func TestPKCE(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	email := newEmail()
	createMember(t, org, map[string]any{"email_address": email})
	verifier := "verifier-" + uuid.NewString() + uuid.NewString()
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	apptest.ExpectOK(t, loginOrSignup(t, org, email, map[string]any{"pkce_code_challenge": challenge}))
	token := env.LastEmail(t, email).Token()
	apptest.ExpectError(t, authenticate(t, token, nil), 400, "pkce_expected_code_verifier")
	apptest.ExpectError(t, authenticate(t, token, map[string]any{"pkce_code_verifier": "wrong"}), 400, "pkce_mismatch")
	// Failed PKCE attempts do not burn the token.
	apptest.ExpectOK(t, authenticate(t, token, map[string]any{"pkce_code_verifier": verifier}))

	apptest.ExpectOK(t, loginOrSignup(t, org, email, nil))
	apptest.ExpectError(t, authenticate(t, env.LastEmail(t, email).Token(), map[string]any{"pkce_code_verifier": verifier}),
		400, "pkce_did_not_expect_code_verifier")
}

// A magic link past its expiry is refused (time is moved by the injected clock, not slept).
func TestMagicLinkExpiry(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	email := newEmail()
	createMember(t, org, map[string]any{"email_address": email})
	apptest.ExpectOK(t, loginOrSignup(t, org, email, map[string]any{"login_expiration_minutes": 10}))
	token := env.LastEmail(t, email).Token()
	restore := env.Clock.Advance(11 * time.Minute)
	r := authenticate(t, token, nil)
	restore()
	apptest.ExpectError(t, r, http.StatusNotFound, "magic_link_not_found")
}

// A hundred concurrent redemptions of one token: exactly one session is created.
func TestConcurrentRedemption(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	email := newEmail()
	id := createMember(t, org, map[string]any{"email_address": email}).Str("member_id")
	apptest.ExpectOK(t, loginOrSignup(t, org, email, nil))
	token := env.LastEmail(t, email).Token()
	const n = 100
	statuses := concurrently(n, func(int) int { return authenticate(t, token, nil).Status })
	ok := 0
	for _, s := range statuses {
		switch s {
		case 200:
			ok++
		case 404:
		default:
			t.Errorf("unexpected status %d", s)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d redemptions succeeded", ok, n)
	}
	s := env.Do(t, "GET", "/v1/b2b/sessions?organization_id="+org+"&member_id="+id, nil)
	apptest.ExpectOK(t, s)
	if got := len(s.Get("member_sessions").([]any)); got != 1 {
		t.Fatalf("%d sessions exist", got)
	}
}

// Magic-link sends to one address are capped per hour with 429 too_many_requests, and the cap
// does not affect other addresses.
func TestSendRateLimit(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	email := newEmail()
	createMember(t, org, map[string]any{"email_address": email})
	for range apptest.EmailSendsPerHour {
		apptest.ExpectOK(t, loginOrSignup(t, org, email, nil))
	}
	apptest.ExpectError(t, loginOrSignup(t, org, email, nil), http.StatusTooManyRequests, "too_many_requests")
	if n := len(env.Emails(t, email)); n != apptest.EmailSendsPerHour {
		t.Fatalf("%d emails sent, want %d", n, apptest.EmailSendsPerHour)
	}
	// Another address is not affected.
	other := newEmail()
	createMember(t, org, map[string]any{"email_address": other})
	apptest.ExpectOK(t, loginOrSignup(t, org, other, nil))
}
