package api_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
	b2bdiscovery "github.com/stytchauth/stytch-go/v18/stytch/b2b/discovery"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations/members"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/passwords"
	pwdiscovery "github.com/stytchauth/stytch-go/v18/stytch/b2b/passwords/discovery"
	pwdiscoveryemail "github.com/stytchauth/stytch-go/v18/stytch/b2b/passwords/discovery/email"
	pwemail "github.com/stytchauth/stytch-go/v18/stytch/b2b/passwords/email"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/passwords/existingpassword"
	pwsession "github.com/stytchauth/stytch-go/v18/stytch/b2b/passwords/session"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sessions"
	consumersessions "github.com/stytchauth/stytch-go/v18/stytch/consumer/sessions"
	"golang.org/x/crypto/bcrypt"

	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/app/apptest"
)

// Further strong passwords, distinct from strongPassword, for the flows that change one.
const (
	strongPassword2 = "ember-Falcon-92-tundra-whistle"
	strongPassword3 = "copper-Meadow-58-glacier-orbit"
	strongPassword4 = "saffron-Harbor-31-nebula-quill"
)

// sgPwClient is a stytch-go client against a Latchkey server (env.URL or a variant's).
func sgPwClient(t *testing.T, base string) *b2bstytchapi.API {
	t.Helper()
	c, err := b2bstytchapi.NewClient(env.ProjectID, env.Secret, b2bstytchapi.WithBaseURI(base))
	if err != nil {
		t.Fatalf("NewClient (JWKS fetch) at %s: %v", base, err)
	}
	return c
}

// sgPwLinkToken reads the newest email to addr, checks its link is a password link with the
// token, and returns the token.
func sgPwLinkToken(t *testing.T, addr string, wantSlug bool) string {
	t.Helper()
	link := env.LastEmail(t, addr).Link()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("reset email to %s has no token link: %q", addr, link)
	}
	if wantSlug && u.Query().Get("slug") == "" {
		t.Errorf("reset link lacks the organization slug: %q", link)
	}
	return u.Query().Get("token")
}

// sgPwFactor is the session's first factor type, or "" without one.
func sgPwFactor(s *sessions.MemberSession) string {
	if s == nil || len(s.AuthenticationFactors) == 0 {
		return ""
	}
	return string(s.AuthenticationFactors[0].Type)
}

// sgPwLogin logs in by password and fails the test unless a full session comes back.
func sgPwLogin(ctx context.Context, t *testing.T, c *b2bstytchapi.API, org, addr, password string) *passwords.AuthenticateResponse {
	t.Helper()
	a, err := c.Passwords.Authenticate(ctx, &passwords.AuthenticateParams{OrganizationID: org, EmailAddress: addr, Password: password})
	if err != nil {
		t.Fatalf("Passwords.Authenticate(%s, %s): %v", org, addr, err)
	}
	if !a.MemberAuthenticated || a.SessionToken == "" || a.SessionJWT == "" || a.MemberSession == nil || a.IntermediateSessionToken != "" {
		t.Fatalf("Passwords.Authenticate did not give a full session: %+v", a)
	}
	return a
}

// sgPwRefused asserts a password login is refused with this status and type.
func sgPwRefused(ctx context.Context, t *testing.T, c *b2bstytchapi.API, org, addr, password string, status int, errorType string) {
	t.Helper()
	a, err := c.Passwords.Authenticate(ctx, &passwords.AuthenticateParams{OrganizationID: org, EmailAddress: addr, Password: password})
	if err == nil {
		t.Errorf("Passwords.Authenticate(%s, %s) succeeded, want %d %s: %+v", org, addr, status, errorType, a)
		return
	}
	sgWantErr(t, err, status, errorType)
}

func TestStytchGoPasswordStrengthCheck(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := sgPwClient(t, env.URL)

	weak, err := c.Passwords.StrengthCheck(ctx, &passwords.StrengthCheckParams{Password: "password"})
	if err != nil {
		t.Fatalf("StrengthCheck(weak): %v", err)
	}
	sgEnvelope(t, weak.StatusCode, weak.RequestID)
	if weak.ValidPassword {
		t.Errorf("\"password\" is valid_password")
	}
	sgEq(t, "strength_policy", weak.StrengthPolicy, "zxcvbn")
	if weak.Score < 1 || weak.Score >= 3 {
		t.Errorf("score of \"password\": %d", weak.Score)
	}
	if weak.LudsFeedback != nil {
		t.Errorf("luds_feedback under zxcvbn: %+v", weak.LudsFeedback)
	}
	if weak.ZxcvbnFeedback == nil {
		t.Fatalf("no zxcvbn_feedback: %+v", weak)
	}
	sgEq(t, "zxcvbn_feedback.warning", weak.ZxcvbnFeedback.Warning, "This is a top-10 common password")
	if len(weak.ZxcvbnFeedback.Suggestions) == 0 || slices.Contains(weak.ZxcvbnFeedback.Suggestions, "") {
		t.Errorf("zxcvbn_feedback.suggestions: %q", weak.ZxcvbnFeedback.Suggestions)
	}

	strong, err := c.Passwords.StrengthCheck(ctx, &passwords.StrengthCheckParams{Password: strongPassword, EmailAddress: newEmail()})
	if err != nil {
		t.Fatalf("StrengthCheck(strong): %v", err)
	}
	sgEnvelope(t, strong.StatusCode, strong.RequestID)
	if !strong.ValidPassword || strong.Score < 3 || strong.Score > 4 || strong.BreachedPassword {
		t.Errorf("strong password: valid %v score %d breached %v", strong.ValidPassword, strong.Score, strong.BreachedPassword)
	}
	sgEq(t, "strength_policy", strong.StrengthPolicy, "zxcvbn")
	if strong.ZxcvbnFeedback == nil || strong.ZxcvbnFeedback.Warning != "" {
		t.Errorf("zxcvbn_feedback of a strong password: %+v", strong.ZxcvbnFeedback)
	}

	_, err = c.Passwords.StrengthCheck(ctx, &passwords.StrengthCheckParams{})
	sgWantErr(t, err, http.StatusBadRequest, "")
}

// One member through every organization-scoped password call: set by email, log in, change it
// knowing the old one, change it from a session, and have it deleted.
func TestStytchGoPasswordMemberLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := sgPwClient(t, env.URL)
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	addr := newEmail()
	member := createMember(t, org, map[string]any{"email_address": addr}).Str("member_id")
	var passwordID string

	sgStep(t, "Email.ResetStart and Email.Reset", func(t *testing.T) {
		start, err := c.Passwords.Email.ResetStart(ctx, &pwemail.ResetStartParams{OrganizationID: org, EmailAddress: strings.ToUpper(addr),
			ResetPasswordRedirectURL: "http://localhost:3000/reset"})
		if err != nil {
			t.Fatalf("ResetStart: %v", err)
		}
		sgEnvelope(t, start.StatusCode, start.RequestID)
		sgEq(t, "reset start member_id", start.MemberID, member)
		sgEq(t, "reset start member.email_address", start.Member.EmailAddress, addr)
		if start.MemberEmailID == "" {
			t.Errorf("reset start member_email_id empty")
		}
		mail := env.LastEmail(t, addr)
		if !strings.HasPrefix(mail.Link(), "http://localhost:3000/reset?") ||
			!strings.Contains(mail.Link(), "stytch_token_type=multi_tenant_passwords") {
			t.Errorf("reset link %q", mail.Link())
		}
		token := sgPwLinkToken(t, addr, true)

		// The policy applies to the new password; the token survives the refusal.
		_, err = c.Passwords.Email.Reset(ctx, &pwemail.ResetParams{PasswordResetToken: token, Password: "password"})
		sgWantErr(t, err, http.StatusBadRequest, "weak_password")

		r, err := c.Passwords.Email.Reset(ctx, &pwemail.ResetParams{PasswordResetToken: token, Password: strongPassword,
			SessionDurationMinutes: 30})
		if err != nil {
			t.Fatalf("Reset: %v", err)
		}
		sgEnvelope(t, r.StatusCode, r.RequestID)
		sgEq(t, "reset member_id", r.MemberID, member)
		sgEq(t, "reset organization_id", r.OrganizationID, org)
		if r.Member.MemberPasswordID == "" || r.MemberEmailID == "" || !r.Member.EmailAddressVerified {
			t.Errorf("reset member: password_id %q member_email_id %q verified %v", r.Member.MemberPasswordID, r.MemberEmailID, r.Member.EmailAddressVerified)
		}
		if !r.MemberAuthenticated || r.SessionToken == "" || r.SessionJWT == "" || r.MemberSession == nil {
			t.Fatalf("reset gave no session: %+v", r)
		}
		sgEq(t, "reset session factor", sgPwFactor(r.MemberSession), "password")
		if r.MemberSession.ExpiresAt == nil || r.MemberSession.ExpiresAt.Sub(time.Now()) > 31*time.Minute {
			t.Errorf("session_duration_minutes 30 not honoured: expires %v", r.MemberSession.ExpiresAt)
		}
		passwordID = r.Member.MemberPasswordID

		_, err = c.Passwords.Email.Reset(ctx, &pwemail.ResetParams{PasswordResetToken: token, Password: strongPassword2})
		sgWantErr(t, err, http.StatusUnauthorized, "unable_to_auth_password_reset_token")
	})

	sgStep(t, "Authenticate", func(t *testing.T) {
		a := sgPwLogin(ctx, t, c, org, strings.ToUpper(addr), strongPassword)
		sgEnvelope(t, a.StatusCode, a.RequestID)
		sgEq(t, "member_id", a.MemberID, member)
		sgEq(t, "organization_id", a.OrganizationID, org)
		sgEq(t, "member.member_password_id", a.Member.MemberPasswordID, passwordID)
		sgEq(t, "factor type", sgPwFactor(a.MemberSession), "password")
		sgEq(t, "factor delivery_method", string(a.MemberSession.AuthenticationFactors[0].DeliveryMethod), "knowledge")
		if f := a.MemberSession.AuthenticationFactors[0].EmailFactor; f == nil || f.EmailAddress != addr {
			t.Errorf("factor email: %+v", f)
		}
		s, err := c.Sessions.Authenticate(ctx, &sessions.AuthenticateParams{SessionToken: a.SessionToken})
		if err != nil || s.Member.MemberID != member {
			t.Errorf("Sessions.Authenticate of the password session: %+v %v", s, err)
		}

		sgPwRefused(ctx, t, c, org, addr, strongPassword+"x", http.StatusUnauthorized, "unauthorized_credentials")
		sgPwRefused(ctx, t, c, org, newEmail(), strongPassword, http.StatusUnauthorized, "unauthorized_credentials")
	})

	sgStep(t, "ExistingPassword.Reset", func(t *testing.T) {
		_, err := c.Passwords.ExistingPassword.Reset(ctx, &existingpassword.ResetParams{OrganizationID: org, EmailAddress: addr,
			ExistingPassword: strongPassword + "x", NewPassword: strongPassword2})
		sgWantErr(t, err, http.StatusUnauthorized, "unauthorized_credentials")

		r, err := c.Passwords.ExistingPassword.Reset(ctx, &existingpassword.ResetParams{OrganizationID: org, EmailAddress: addr,
			ExistingPassword: strongPassword, NewPassword: strongPassword2})
		if err != nil {
			t.Fatalf("ExistingPassword.Reset: %v", err)
		}
		sgEnvelope(t, r.StatusCode, r.RequestID)
		sgEq(t, "member_id", r.MemberID, member)
		if !r.MemberAuthenticated || r.SessionToken == "" || sgPwFactor(r.MemberSession) != "password" {
			t.Errorf("existing password reset gave no password session: %+v", r)
		}
		if r.Member.MemberPasswordID == "" {
			t.Errorf("member_password_id empty after reset")
		}
		passwordID = r.Member.MemberPasswordID

		sgPwRefused(ctx, t, c, org, addr, strongPassword, http.StatusUnauthorized, "unauthorized_credentials")
		sgEq(t, "login with the new password", sgPwLogin(ctx, t, c, org, addr, strongPassword2).MemberID, member)
	})

	sgStep(t, "Sessions.Reset", func(t *testing.T) {
		fresh := sgPwLogin(ctx, t, c, org, addr, strongPassword2)
		r, err := c.Passwords.Sessions.Reset(ctx, &pwsession.ResetParams{OrganizationID: org, SessionToken: fresh.SessionToken,
			Password: strongPassword3})
		if err != nil {
			t.Fatalf("Sessions.Reset: %v", err)
		}
		sgEnvelope(t, r.StatusCode, r.RequestID)
		sgEq(t, "member_id", r.MemberID, member)
		sgEq(t, "organization.organization_id", r.Organization.OrganizationID, org)
		if !r.MemberAuthenticated || r.SessionToken == "" || r.SessionToken == fresh.SessionToken || r.MemberSession == nil {
			t.Fatalf("session reset gave no new session: %+v", r)
		}
		if !slices.ContainsFunc(r.MemberSession.AuthenticationFactors, func(f consumersessions.AuthenticationFactor) bool { return string(f.Type) == "password" }) {
			t.Errorf("session reset factors: %+v", r.MemberSession.AuthenticationFactors)
		}
		if r.Member.MemberPasswordID == "" || r.Member.MemberPasswordID == passwordID {
			t.Errorf("member_password_id after session reset: %q (was %q)", r.Member.MemberPasswordID, passwordID)
		}
		passwordID = r.Member.MemberPasswordID

		// The session passed in is superseded.
		_, err = c.Sessions.Authenticate(ctx, &sessions.AuthenticateParams{SessionToken: fresh.SessionToken})
		sgWantErr(t, err, http.StatusNotFound, "session_not_found")
		if _, err := c.Sessions.Authenticate(ctx, &sessions.AuthenticateParams{SessionToken: r.SessionToken}); err != nil {
			t.Errorf("the new session does not authenticate: %v", err)
		}

		sgPwRefused(ctx, t, c, org, addr, strongPassword2, http.StatusUnauthorized, "unauthorized_credentials")
		sgEq(t, "login with the session-set password", sgPwLogin(ctx, t, c, org, addr, strongPassword3).MemberID, member)

		_, err = c.Passwords.Sessions.Reset(ctx, &pwsession.ResetParams{OrganizationID: org, SessionToken: "not-a-session", Password: strongPassword4})
		sgWantErr(t, err, http.StatusNotFound, "session_not_found")
	})

	sgStep(t, "Organizations.Members.DeletePassword", func(t *testing.T) {
		_, err := c.Organizations.Members.DeletePassword(ctx, &members.DeletePasswordParams{OrganizationID: org,
			MemberPasswordID: "member-password-test-00000000-0000-4000-8000-000000000000"})
		sgWantErr(t, err, http.StatusNotFound, "member_password_not_found")

		d, err := c.Organizations.Members.DeletePassword(ctx, &members.DeletePasswordParams{OrganizationID: org, MemberPasswordID: passwordID})
		if err != nil {
			t.Fatalf("DeletePassword: %v", err)
		}
		sgEnvelope(t, d.StatusCode, d.RequestID)
		sgEq(t, "member_id", d.MemberID, member)
		sgEq(t, "member.member_password_id", d.Member.MemberPasswordID, "")
		sgEq(t, "organization.organization_id", d.Organization.OrganizationID, org)

		got, err := c.Organizations.Members.Get(ctx, &members.GetParams{OrganizationID: org, MemberID: member})
		if err != nil || got.Member.MemberPasswordID != "" {
			t.Errorf("member after delete: %+v %v", got, err)
		}
		sgPwRefused(ctx, t, c, org, addr, strongPassword3, http.StatusUnauthorized, "unauthorized_credentials")

		_, err = c.Organizations.Members.DeletePassword(ctx, &members.DeletePasswordParams{OrganizationID: org, MemberPasswordID: passwordID})
		sgWantErr(t, err, http.StatusNotFound, "member_password_not_found")
	})
}

func TestStytchGoPasswordMigrate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := sgPwClient(t, env.URL)
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	addr := newEmail()
	hash, err := bcrypt.GenerateFromPassword([]byte(strongPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}

	m, err := c.Passwords.Migrate(ctx, &passwords.MigrateParams{OrganizationID: org, EmailAddress: addr, Hash: string(hash),
		HashType: passwords.MigrateRequestHashTypeBcrypt, Name: "Migrated Person",
		TrustedMetadata: map[string]any{"source": "legacy"}})
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	sgEnvelope(t, m.StatusCode, m.RequestID)
	if !m.MemberCreated || m.MemberID == "" || m.Member.MemberID != m.MemberID {
		t.Errorf("migrate: member_created %v member_id %q member %q", m.MemberCreated, m.MemberID, m.Member.MemberID)
	}
	sgEq(t, "member.email_address", m.Member.EmailAddress, addr)
	sgEq(t, "member.name", m.Member.Name, "Migrated Person")
	sgEq(t, "member.trusted_metadata", m.Member.TrustedMetadata, map[string]any{"source": "legacy"})
	sgEq(t, "organization.organization_id", m.Organization.OrganizationID, org)
	if m.Member.MemberPasswordID == "" || !m.Member.EmailAddressVerified {
		t.Errorf("migrated member: member_password_id %q verified %v", m.Member.MemberPasswordID, m.Member.EmailAddressVerified)
	}

	sgPwRefused(ctx, t, c, org, addr, strongPassword2, http.StatusUnauthorized, "unauthorized_credentials")
	a := sgPwLogin(ctx, t, c, org, addr, strongPassword)
	sgEq(t, "login after migrate: member_id", a.MemberID, m.MemberID)
	sgEq(t, "login after migrate: factor", sgPwFactor(a.MemberSession), "password")
	// The login upgraded the hash; the password still works.
	sgEq(t, "second login: member_id", sgPwLogin(ctx, t, c, org, addr, strongPassword).MemberID, m.MemberID)

	_, err = c.Passwords.Migrate(ctx, &passwords.MigrateParams{OrganizationID: org, EmailAddress: addr, Hash: string(hash),
		HashType: passwords.MigrateRequestHashTypeBcrypt})
	sgWantErr(t, err, http.StatusBadRequest, "password_already_exists")

	_, err = c.Passwords.Migrate(ctx, &passwords.MigrateParams{OrganizationID: org, EmailAddress: newEmail(), Hash: "not-bcrypt",
		HashType: passwords.MigrateRequestHashTypeBcrypt})
	sgWantErr(t, err, http.StatusBadRequest, "invalid_bcrypt_hash")
}

// The calls that exist only for cross-organization passwords are refused on the default
// (organization-scoped) server.
func TestStytchGoPasswordCrossOrgCallsRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := sgPwClient(t, env.URL)
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	addr := newEmail()
	createMember(t, org, map[string]any{"email_address": addr})

	_, err := c.Passwords.Discovery.Authenticate(ctx, &pwdiscovery.AuthenticateParams{EmailAddress: addr, Password: strongPassword})
	sgWantErr(t, err, http.StatusBadRequest, "cross_org_passwords_not_enabled")
	_, err = c.Passwords.Discovery.Email.ResetStart(ctx, &pwdiscoveryemail.ResetStartParams{EmailAddress: addr})
	sgWantErr(t, err, http.StatusBadRequest, "cross_org_passwords_not_enabled")
	_, err = c.Passwords.Discovery.Email.Reset(ctx, &pwdiscoveryemail.ResetParams{PasswordResetToken: "x", Password: strongPassword})
	sgWantErr(t, err, http.StatusBadRequest, "cross_org_passwords_not_enabled")
	_, err = c.Passwords.Email.RequireReset(ctx, &pwemail.RequireResetParams{EmailAddress: addr, OrganizationID: org})
	sgWantErr(t, err, http.StatusBadRequest, "cross_org_passwords_not_enabled")
	if n := len(env.Emails(t, addr)); n != 0 {
		t.Errorf("%d emails sent to %s by refused calls", n, addr)
	}
}

func TestStytchGoPasswordCrossOrganization(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, srv, err := env.Variant(ctx, func(c *app.Config) { c.PasswordScope = "cross_organization" })
	if err != nil {
		t.Fatalf("cross-organization variant: %v", err)
	}
	defer srv.Close()
	cross := env.At(srv.URL)
	c := sgPwClient(t, srv.URL)

	orgA := createOrg(t, map[string]any{}).Str("organization.organization_id")
	orgB := createOrg(t, map[string]any{}).Str("organization.organization_id")
	addr := newEmail()
	memberA := createMember(t, orgA, map[string]any{"email_address": addr}).Str("member_id")
	memberB := createMember(t, orgB, map[string]any{"email_address": addr}).Str("member_id")
	if memberA == memberB {
		t.Fatalf("one member_id for two organizations: %s", memberA)
	}

	sgStep(t, "Discovery.Email.ResetStart and Reset", func(t *testing.T) {
		start, err := c.Passwords.Discovery.Email.ResetStart(ctx, &pwdiscoveryemail.ResetStartParams{EmailAddress: addr,
			ResetPasswordRedirectURL: "http://localhost:3000/reset"})
		if err != nil {
			t.Fatalf("Discovery.Email.ResetStart: %v", err)
		}
		sgEnvelope(t, start.StatusCode, start.RequestID)
		token := sgPwLinkToken(t, addr, false)

		r, err := c.Passwords.Discovery.Email.Reset(ctx, &pwdiscoveryemail.ResetParams{PasswordResetToken: token, Password: strongPassword})
		if err != nil {
			t.Fatalf("Discovery.Email.Reset: %v", err)
		}
		sgEnvelope(t, r.StatusCode, r.RequestID)
		sgEq(t, "email_address", r.EmailAddress, addr)
		if r.IntermediateSessionToken == "" {
			t.Errorf("no intermediate_session_token")
		}
		sgPwDiscovered(t, r.DiscoveredOrganizations, map[string]string{orgA: memberA, orgB: memberB})

		_, err = c.Passwords.Discovery.Email.Reset(ctx, &pwdiscoveryemail.ResetParams{PasswordResetToken: token, Password: strongPassword2})
		sgWantErr(t, err, http.StatusUnauthorized, "unable_to_auth_password_reset_token")
		_, err = c.Passwords.Discovery.Email.Reset(ctx, &pwdiscoveryemail.ResetParams{PasswordResetToken: "nope", Password: strongPassword2})
		sgWantErr(t, err, http.StatusUnauthorized, "unable_to_auth_password_reset_token")
	})

	sgStep(t, "Discovery.Authenticate", func(t *testing.T) {
		_, err := c.Passwords.Discovery.Authenticate(ctx, &pwdiscovery.AuthenticateParams{EmailAddress: addr, Password: strongPassword + "x"})
		sgWantErr(t, err, http.StatusUnauthorized, "unauthorized_credentials")

		d, err := c.Passwords.Discovery.Authenticate(ctx, &pwdiscovery.AuthenticateParams{EmailAddress: strings.ToUpper(addr), Password: strongPassword})
		if err != nil {
			t.Fatalf("Discovery.Authenticate: %v", err)
		}
		sgEnvelope(t, d.StatusCode, d.RequestID)
		sgEq(t, "email_address", d.EmailAddress, addr)
		if d.IntermediateSessionToken == "" {
			t.Errorf("no intermediate_session_token")
		}
		sgPwDiscovered(t, d.DiscoveredOrganizations, map[string]string{orgA: memberA, orgB: memberB})

		// The intermediate session carries the password factor into an organization.
		in := cross.Do(t, "POST", "/v1/b2b/discovery/intermediate_sessions/exchange", map[string]any{
			"intermediate_session_token": d.IntermediateSessionToken, "organization_id": orgB})
		apptest.ExpectOK(t, in)
		if in.Str("member_id") != memberB || in.Str("member_session.authentication_factors.0.type") != "password" {
			t.Errorf("exchange into B: %s", in.Raw)
		}
	})

	sgStep(t, "one password, every organization", func(t *testing.T) {
		start, err := c.Passwords.Email.ResetStart(ctx, &pwemail.ResetStartParams{OrganizationID: orgA, EmailAddress: addr})
		if err != nil {
			t.Fatalf("Email.ResetStart in A: %v", err)
		}
		sgEq(t, "reset start member_id", start.MemberID, memberA)
		token := sgPwLinkToken(t, addr, true)
		// An organization's reset token is not a discovery one; refusing it does not spend it.
		_, err = c.Passwords.Discovery.Email.Reset(ctx, &pwdiscoveryemail.ResetParams{PasswordResetToken: token, Password: strongPassword2})
		sgWantErr(t, err, http.StatusUnauthorized, "unable_to_auth_password_reset_token")
		r, err := c.Passwords.Email.Reset(ctx, &pwemail.ResetParams{PasswordResetToken: token, Password: strongPassword2})
		if err != nil {
			t.Fatalf("Email.Reset in A: %v", err)
		}
		sgEq(t, "reset member_id", r.MemberID, memberA)
		sgEq(t, "reset organization_id", r.OrganizationID, orgA)
		if r.Member.MemberPasswordID == "" || r.MemberEmailID == "" || r.SessionToken == "" {
			t.Errorf("reset in A: %+v", r)
		}

		inB := sgPwLogin(ctx, t, c, orgB, addr, strongPassword2)
		sgEq(t, "login in B: member_id", inB.MemberID, memberB)
		sgEq(t, "login in B: organization_id", inB.OrganizationID, orgB)
		sgEq(t, "login in B: member email", inB.Member.EmailAddress, addr)
		sgEq(t, "login in B: factor", sgPwFactor(inB.MemberSession), "password")
		inA := sgPwLogin(ctx, t, c, orgA, addr, strongPassword2)
		sgEq(t, "login in A: member_id", inA.MemberID, memberA)
		// The discovery-set password was replaced everywhere.
		sgPwRefused(ctx, t, c, orgB, addr, strongPassword, http.StatusUnauthorized, "unauthorized_credentials")
		_, err = c.Passwords.Discovery.Authenticate(ctx, &pwdiscovery.AuthenticateParams{EmailAddress: addr, Password: strongPassword})
		sgWantErr(t, err, http.StatusUnauthorized, "unauthorized_credentials")
	})

	sgStep(t, "Email.RequireReset with two members", func(t *testing.T) {
		rr, err := c.Passwords.Email.RequireReset(ctx, &pwemail.RequireResetParams{EmailAddress: addr, OrganizationID: orgA})
		if err != nil {
			t.Fatalf("RequireReset: %v", err)
		}
		sgEnvelope(t, rr.StatusCode, rr.RequestID)
		sgEq(t, "require_reset member_id", rr.MemberID, memberA)
		if rr.Member == nil || rr.Member.MemberID != memberA || rr.Organization == nil || rr.Organization.OrganizationID != orgA {
			t.Errorf("require_reset member/organization: %+v %+v", rr.Member, rr.Organization)
		}

		sgPwRefused(ctx, t, c, orgA, addr, strongPassword2, http.StatusUnauthorized, "member_reset_password")
		sgPwRefused(ctx, t, c, orgB, addr, strongPassword2, http.StatusUnauthorized, "member_reset_password")
		_, err = c.Passwords.Discovery.Authenticate(ctx, &pwdiscovery.AuthenticateParams{EmailAddress: addr, Password: strongPassword2})
		sgWantErr(t, err, http.StatusUnauthorized, "member_reset_password")
		// A wrong password still says only that it is wrong.
		sgPwRefused(ctx, t, c, orgA, addr, strongPassword3, http.StatusUnauthorized, "unauthorized_credentials")

		// A reset by email lifts it.
		if _, err := c.Passwords.Email.ResetStart(ctx, &pwemail.ResetStartParams{OrganizationID: orgB, EmailAddress: addr}); err != nil {
			t.Fatalf("ResetStart in B: %v", err)
		}
		if _, err := c.Passwords.Email.Reset(ctx, &pwemail.ResetParams{PasswordResetToken: sgPwLinkToken(t, addr, true), Password: strongPassword3}); err != nil {
			t.Fatalf("Reset in B: %v", err)
		}
		sgEq(t, "login in A after reset", sgPwLogin(ctx, t, c, orgA, addr, strongPassword3).MemberID, memberA)
	})

	sgStep(t, "Email.RequireReset with one member", func(t *testing.T) {
		orgC := createOrg(t, map[string]any{}).Str("organization.organization_id")
		solo := newEmail()
		memberC := createMember(t, orgC, map[string]any{"email_address": solo}).Str("member_id")
		if _, err := c.Passwords.Email.ResetStart(ctx, &pwemail.ResetStartParams{OrganizationID: orgC, EmailAddress: solo}); err != nil {
			t.Fatalf("ResetStart: %v", err)
		}
		if _, err := c.Passwords.Email.Reset(ctx, &pwemail.ResetParams{PasswordResetToken: sgPwLinkToken(t, solo, true), Password: strongPassword4}); err != nil {
			t.Fatalf("Reset: %v", err)
		}
		sgEq(t, "login", sgPwLogin(ctx, t, c, orgC, solo, strongPassword4).MemberID, memberC)

		rr, err := c.Passwords.Email.RequireReset(ctx, &pwemail.RequireResetParams{EmailAddress: solo})
		if err != nil {
			t.Fatalf("RequireReset: %v", err)
		}
		sgEnvelope(t, rr.StatusCode, rr.RequestID)
		if rr.MemberID != "" || rr.Member != nil {
			t.Errorf("require_reset without organization named a member: %+v", rr)
		}
		// Deleted outright: the right password is now just no password.
		sgPwRefused(ctx, t, c, orgC, solo, strongPassword4, http.StatusUnauthorized, "unauthorized_credentials")
		_, err = c.Passwords.Email.RequireReset(ctx, &pwemail.RequireResetParams{EmailAddress: solo})
		sgWantErr(t, err, http.StatusNotFound, "member_password_not_found")
	})
}

// sgPwDiscovered checks the discovered organizations include each org with its member, as an
// active member who is fully authenticated there.
func sgPwDiscovered(t *testing.T, got []b2bdiscovery.DiscoveredOrganization, want map[string]string) {
	t.Helper()
	seen := map[string]bool{}
	for _, d := range got {
		if d.Organization == nil {
			t.Errorf("discovered organization without organization: %+v", d)
			continue
		}
		id := d.Organization.OrganizationID
		member, ok := want[id]
		if !ok {
			continue
		}
		seen[id] = true
		if d.Membership == nil || d.Membership.Type != "active_member" || d.Membership.Member == nil || d.Membership.Member.MemberID != member {
			t.Errorf("membership in %s: %+v", id, d.Membership)
		}
		if !d.MemberAuthenticated {
			t.Errorf("member_authenticated false in %s", id)
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("organization %s not discovered (got %d)", id, len(got))
		}
	}
}
