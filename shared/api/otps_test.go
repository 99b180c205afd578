package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/otp/email"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/otp/email/discovery"

	"github.com/latchkey/latchkey/shared/app/apptest"
)

func otpSend(t *testing.T, org, addr string, extra map[string]any) apptest.Response {
	t.Helper()
	body := map[string]any{"organization_id": org, "email_address": addr}
	for k, v := range extra {
		body[k] = v
	}
	return env.Do(t, "POST", "/v1/b2b/otps/email/login_or_signup", body)
}

func otpAuthenticate(t *testing.T, org, addr, code string, extra map[string]any) apptest.Response {
	t.Helper()
	body := map[string]any{"organization_id": org, "email_address": addr, "code": code}
	for k, v := range extra {
		body[k] = v
	}
	return env.Do(t, "POST", "/v1/b2b/otps/email/authenticate", body)
}

// wrong returns a six-digit code that is not code.
func wrong(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

// One email is one member whatever the way in: a member who logs in by magic link and then
// by code is the same member_id, and the code's session records an otp factor for the email.
// A code works once; a wrong code is a 404 that does not burn the right one.
func TestEmailOTPLoginIsTheSameMember(t *testing.T) {
	org, member, auth := login(t)
	addr := auth.Str("member.email_address")
	sent := otpSend(t, org, addr, nil)
	apptest.ExpectOK(t, sent)
	if sent.Str("member_id") != member || sent.Get("member_created") != false {
		t.Fatalf("login_or_signup: %s", sent.Raw)
	}
	mail := env.LastEmail(t, addr)
	code := mail.Code()
	if code == "" || !strings.Contains(mail.Subject, "login code") || strings.Contains(mail.Subject, code) {
		t.Fatalf("email %q: %q", mail.Subject, mail.Body.Text)
	}
	apptest.ExpectError(t, otpAuthenticate(t, org, addr, wrong(code), nil), http.StatusNotFound, "otp_code_not_found")
	a := otpAuthenticate(t, org, addr, code, nil)
	apptest.ExpectOK(t, a)
	if a.Str("member_id") != member || a.Get("member_authenticated") != true || a.Str("session_token") == "" ||
		a.Str("member_session.authentication_factors.0.type") != "otp" ||
		a.Str("member_session.authentication_factors.0.delivery_method") != "email" ||
		a.Str("member_session.authentication_factors.0.email_factor.email_address") != addr || a.Str("method_id") == "" {
		t.Fatalf("authenticate: %s", a.Raw)
	}
	apptest.ExpectError(t, otpAuthenticate(t, org, addr, code, nil), http.StatusNotFound, "otp_code_not_found")

	// With the magic-link session passed in, the new session carries both factors.
	apptest.ExpectOK(t, otpSend(t, org, addr, nil))
	both := otpAuthenticate(t, org, addr, env.LastEmail(t, addr).Code(), map[string]any{"session_token": auth.Str("session_token")})
	apptest.ExpectOK(t, both)
	if f, _ := both.Get("member_session.authentication_factors").([]any); len(f) != 2 || both.Str("member_id") != member {
		t.Fatalf("factors: %s", both.Raw)
	}
	apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_token": auth.Str("session_token")}), http.StatusNotFound, "session_not_found")
}

// A person the organization lets join by domain signs up by code: a pending member until the
// code is redeemed, then active and verified. Organizations that restrict auth methods to
// others refuse codes.
func TestEmailOTPSignupAndPolicy(t *testing.T) {
	org, domain := domainOrg(t, nil)
	addr := "new-" + newEmail()[5:13] + "@" + domain
	s := otpSend(t, org, addr, nil)
	apptest.ExpectOK(t, s)
	if s.Get("member_created") != true || s.Str("member.status") != "pending" {
		t.Fatalf("signup: %s", s.Raw)
	}
	mail := env.LastEmail(t, addr)
	if !strings.Contains(mail.Subject, "Your code for") {
		t.Fatalf("signup subject %q", mail.Subject)
	}
	a := otpAuthenticate(t, org, addr, mail.Code(), nil)
	apptest.ExpectOK(t, a)
	if a.Str("member.status") != "active" || a.Get("member.email_address_verified") != true || a.Str("member_id") != s.Str("member_id") {
		t.Fatalf("signup redemption: %s", a.Raw)
	}
	closed := createOrg(t, map[string]any{}).Str("organization.organization_id")
	apptest.ExpectError(t, otpSend(t, closed, newEmail(), nil), http.StatusBadRequest, "email_jit_provisioning_not_allowed")
	linksOnly := createOrg(t, map[string]any{"auth_methods": "RESTRICTED", "allowed_auth_methods": []string{"magic_link"}}).Str("organization.organization_id")
	m := newEmail()
	createMember(t, linksOnly, map[string]any{"email_address": m})
	apptest.ExpectError(t, otpSend(t, linksOnly, m, nil), http.StatusBadRequest, "operation_restricted_by_organization_auth_methods")
	apptest.ExpectError(t, otpSend(t, org, addr, map[string]any{"login_expiration_minutes": 16}), http.StatusBadRequest, "invalid_login_expiration_minutes")
	apptest.ExpectError(t, otpSend(t, org, addr, map[string]any{"login_expiration_minutes": 1}), http.StatusBadRequest, "invalid_login_expiration_minutes")
}

// Tries are bounded: after five wrong codes even the right one fails, and only the most
// recently sent code works. A code expires after its minutes (time moved, not slept).
func TestEmailOTPTries(t *testing.T) {
	org, _, auth := login(t)
	addr := auth.Str("member.email_address")
	apptest.ExpectOK(t, otpSend(t, org, addr, nil))
	code := env.LastEmail(t, addr).Code()
	for range 5 {
		apptest.ExpectError(t, otpAuthenticate(t, org, addr, wrong(code), nil), http.StatusNotFound, "otp_code_not_found")
	}
	apptest.ExpectError(t, otpAuthenticate(t, org, addr, code, nil), http.StatusNotFound, "otp_code_not_found")

	apptest.ExpectOK(t, otpSend(t, org, addr, nil))
	older := env.LastEmail(t, addr).Code()
	apptest.ExpectOK(t, otpSend(t, org, addr, nil))
	newer := env.LastEmail(t, addr).Code()
	if older != newer {
		apptest.ExpectError(t, otpAuthenticate(t, org, addr, older, nil), http.StatusNotFound, "otp_code_not_found")
	}
	apptest.ExpectOK(t, otpAuthenticate(t, org, addr, newer, nil))

	apptest.ExpectOK(t, otpSend(t, org, addr, map[string]any{"login_expiration_minutes": 2}))
	late := env.LastEmail(t, addr).Code()
	restore := env.Clock.Advance(3 * time.Minute)
	defer restore()
	apptest.ExpectError(t, otpAuthenticate(t, org, addr, late, nil), http.StatusNotFound, "otp_code_not_found")
}

// Twenty concurrent redemptions of one right code: exactly one session.
func TestEmailOTPConcurrentRedemption(t *testing.T) {
	org, _, auth := login(t)
	addr := auth.Str("member.email_address")
	apptest.ExpectOK(t, otpSend(t, org, addr, nil))
	code := env.LastEmail(t, addr).Code()
	ok := 0
	for _, status := range concurrently(20, func(int) int { return otpAuthenticate(t, org, addr, code, nil).Status }) {
		if status == http.StatusOK {
			ok++
		} else if status != http.StatusNotFound && status != http.StatusConflict {
			t.Fatalf("unexpected status %d", status)
		}
	}
	if ok != 1 {
		t.Fatalf("%d redemptions succeeded, want exactly 1", ok)
	}
}

// Discovery by code: the code proves the address, the intermediate session lists its
// organizations, and exchanging it gives a session with the otp factor.
func TestEmailOTPDiscovery(t *testing.T) {
	org, member, auth := login(t)
	addr := auth.Str("member.email_address")
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/otps/email/discovery/send", map[string]any{"email_address": addr}))
	code := env.LastEmail(t, addr).Code()
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/otps/email/discovery/authenticate",
		map[string]any{"email_address": addr, "code": wrong(code)}), http.StatusNotFound, "otp_code_not_found")
	d := env.Do(t, "POST", "/v1/b2b/otps/email/discovery/authenticate", map[string]any{"email_address": addr, "code": code})
	apptest.ExpectOK(t, d)
	if d.Str("email_address") != addr || memberships(d, "discovered_organizations")[org] == nil {
		t.Fatalf("discovery: %s", d.Raw)
	}
	// A discovery code is not an organization's code.
	apptest.ExpectError(t, otpAuthenticate(t, org, addr, code, nil), http.StatusNotFound, "otp_code_not_found")
	ex := env.Do(t, "POST", "/v1/b2b/discovery/intermediate_sessions/exchange",
		map[string]any{"intermediate_session_token": d.Str("intermediate_session_token"), "organization_id": org})
	apptest.ExpectOK(t, ex)
	if ex.Str("member_id") != member || ex.Str("member_session.authentication_factors.0.type") != "otp" {
		t.Fatalf("exchange: %s", ex.Raw)
	}
}

// The same calls through the official SDK.
func TestStytchGoEmailOTP(t *testing.T) {
	ctx := context.Background()
	client, err := b2bstytchapi.NewClient(env.ProjectID, env.Secret, b2bstytchapi.WithBaseURI(env.URL))
	if err != nil {
		t.Fatal(err)
	}
	org, member, auth := login(t)
	addr := auth.Str("member.email_address")
	sent, err := client.OTPs.Email.LoginOrSignup(ctx, &email.LoginOrSignupParams{OrganizationID: org, EmailAddress: addr})
	if err != nil || sent.MemberID != member || sent.MemberCreated {
		t.Fatalf("LoginOrSignup: %+v %v", sent, err)
	}
	a, err := client.OTPs.Email.Authenticate(ctx, &email.AuthenticateParams{OrganizationID: org, EmailAddress: addr,
		Code: env.LastEmail(t, addr).Code(), SessionDurationMinutes: 30})
	if err != nil || a.MemberID != member || a.SessionToken == "" || a.MemberSession == nil || !a.MemberAuthenticated {
		t.Fatalf("Authenticate: %+v %v", a, err)
	}
	_, err = client.OTPs.Email.Authenticate(ctx, &email.AuthenticateParams{OrganizationID: org, EmailAddress: addr, Code: "123456"})
	sgWantErr(t, err, http.StatusNotFound, "otp_code_not_found")

	if _, err := client.OTPs.Email.Discovery.Send(ctx, &discovery.SendParams{EmailAddress: addr}); err != nil {
		t.Fatalf("Discovery.Send: %v", err)
	}
	d, err := client.OTPs.Email.Discovery.Authenticate(ctx, &discovery.AuthenticateParams{EmailAddress: addr, Code: env.LastEmail(t, addr).Code()})
	if err != nil || d.IntermediateSessionToken == "" || d.EmailAddress != addr || len(d.DiscoveredOrganizations) == 0 {
		t.Fatalf("Discovery.Authenticate: %+v %v", d, err)
	}
}

// Wrong tries are bounded per address across codes: after ten failures in a day no new code
// is sent to the address, in any organization, so fresh codes do not bring fresh guesses. A
// malformed code is a 400 that counts no try.
func TestEmailOTPDailyFailures(t *testing.T) {
	org, domain := domainOrg(t, nil)
	addr := "guessed-" + newEmail()[5:13] + "@" + domain
	apptest.ExpectOK(t, otpSend(t, org, addr, nil))
	code := env.LastEmail(t, addr).Code()
	apptest.ExpectError(t, otpAuthenticate(t, org, addr, "12 34", nil), http.StatusBadRequest, "invalid_code")
	apptest.ExpectOK(t, otpAuthenticate(t, org, addr, code, nil)) // the malformed code burnt nothing
	for range 2 {
		apptest.ExpectOK(t, otpSend(t, org, addr, nil))
		code := env.LastEmail(t, addr).Code()
		for range 5 {
			apptest.ExpectError(t, otpAuthenticate(t, org, addr, wrong(code), nil), http.StatusNotFound, "otp_code_not_found")
		}
	}
	apptest.ExpectError(t, otpSend(t, org, addr, nil), http.StatusTooManyRequests, "too_many_requests")
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/otps/email/discovery/send", map[string]any{"email_address": addr}),
		http.StatusTooManyRequests, "too_many_requests")
	// Magic links, which cannot be guessed, still go out.
	apptest.ExpectOK(t, loginOrSignup(t, org, addr, nil))
}
