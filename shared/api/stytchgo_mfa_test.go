package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"image/png"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/magiclinks"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/magiclinks/email"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations/members"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/otp/sms"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/recoverycodes"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sessions"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/totps"
	consumersessions "github.com/stytchauth/stytch-go/v18/stytch/consumer/sessions"
)

var sgMFARecoveryCodePattern = regexp.MustCompile(`^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$`)

// sgMFAOrg creates an organization with this MFA policy through stytch-go and deletes it at
// the end. Its name has no digits, so the first six digits of a text are the code.
func sgMFAOrg(ctx context.Context, t *testing.T, c *b2bstytchapi.API, policy string) organizations.Organization {
	t.Helper()
	tag := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return 'g' + (r - '0')
		}
		return r
	}, strings.ReplaceAll(uuid.NewString()[:8], "-", ""))
	resp, err := c.Organizations.Create(ctx, &organizations.CreateParams{
		OrganizationName: "SG MFA " + tag, OrganizationSlug: newSlug(), MFAPolicy: policy,
	})
	if err != nil {
		t.Fatalf("Organizations.Create(mfa_policy %s): %v", policy, err)
	}
	sgEnvelope(t, resp.StatusCode, resp.RequestID)
	sgEq(t, "mfa_policy", resp.Organization.MFAPolicy, policy)
	id := resp.Organization.OrganizationID
	t.Cleanup(func() {
		_, _ = c.Organizations.Delete(context.Background(), &organizations.DeleteParams{OrganizationID: id})
	})
	return resp.Organization
}

// sgMFAMember creates a member through stytch-go and returns its id and address.
func sgMFAMember(ctx context.Context, t *testing.T, c *b2bstytchapi.API, org string) (string, string) {
	t.Helper()
	addr := newEmail()
	resp, err := c.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: org, EmailAddress: addr})
	if err != nil {
		t.Fatalf("Members.Create(%s): %v", addr, err)
	}
	return resp.MemberID, addr
}

// sgMFAMagicLink logs addr in by magic link through stytch-go (LoginOrSignup, then
// MagicLinks.Authenticate with the emailed token).
func sgMFAMagicLink(ctx context.Context, t *testing.T, c *b2bstytchapi.API, org, addr string) *magiclinks.AuthenticateResponse {
	t.Helper()
	if _, err := c.MagicLinks.Email.LoginOrSignup(ctx, &email.LoginOrSignupParams{
		OrganizationID: org, EmailAddress: addr, LoginRedirectURL: redirect, SignupRedirectURL: redirect,
	}); err != nil {
		t.Fatalf("MagicLinks.Email.LoginOrSignup(%s): %v", addr, err)
	}
	a, err := c.MagicLinks.Authenticate(ctx, &magiclinks.AuthenticateParams{MagicLinksToken: env.LastEmail(t, addr).Token()})
	if err != nil {
		t.Fatalf("MagicLinks.Authenticate(%s): %v", addr, err)
	}
	sgEnvelope(t, a.StatusCode, a.RequestID)
	return a
}

// sgMFALogin is a magic-link login that must stop at the second factor: member_authenticated
// false, an intermediate session, no session, and mfa_required.
func sgMFALogin(ctx context.Context, t *testing.T, c *b2bstytchapi.API, org, addr string) *magiclinks.AuthenticateResponse {
	t.Helper()
	a := sgMFAMagicLink(ctx, t, c, org, addr)
	if a.MemberAuthenticated || a.IntermediateSessionToken == "" || a.SessionToken != "" || a.SessionJWT != "" ||
		a.MemberSession != nil || a.MFARequired == nil || a.PrimaryRequired != nil {
		t.Fatalf("a login that owes a second factor: %+v", a)
	}
	return a
}

// sgMFACode is the authenticator app's code for the secret now (on the server's clock).
func sgMFACode(t *testing.T, secret string) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, env.Clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatalf("totp.GenerateCodeCustom: %v", err)
	}
	return code
}

// sgMFAFactors lists the session's factors as type/delivery_method.
func sgMFAFactors(s *sessions.MemberSession) []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, f := range s.AuthenticationFactors {
		out = append(out, string(f.Type)+"/"+string(f.DeliveryMethod))
	}
	return out
}

// sgMFAFactor is the session's factor of this type, or nil.
func sgMFAFactor(s *sessions.MemberSession, typ string) *consumersessions.AuthenticationFactor {
	if s == nil {
		return nil
	}
	for i := range s.AuthenticationFactors {
		if string(s.AuthenticationFactors[i].Type) == typ {
			return &s.AuthenticationFactors[i]
		}
	}
	return nil
}

// sgMFASession checks a second factor's session: a token and JWT, the session of this member,
// a magic link and then the factor, and that Sessions.Authenticate and the JWT agree.
func sgMFASession(ctx context.Context, t *testing.T, c *b2bstytchapi.API, member, token, jwt string, s *sessions.MemberSession, want string) {
	t.Helper()
	if token == "" || jwt == "" || s == nil {
		t.Fatalf("no session: token %q, jwt %q, member_session %+v", token, jwt, s)
	}
	sgEq(t, "member_session.member_id", s.MemberID, member)
	sgEq(t, "authentication_factors", sgMFAFactors(s), []string{"magic_link/email", want})
	remote, err := c.Sessions.Authenticate(ctx, &sessions.AuthenticateParams{SessionToken: token})
	if err != nil {
		t.Fatalf("Sessions.Authenticate: %v", err)
	}
	sgEq(t, "Sessions.Authenticate member_session_id", remote.MemberSession.MemberSessionID, s.MemberSessionID)
	sgEq(t, "Sessions.Authenticate factors", sgMFAFactors(&remote.MemberSession), []string{"magic_link/email", want})
	local, err := c.Sessions.AuthenticateJWTLocal(ctx, jwt, time.Minute, nil)
	if err != nil {
		t.Fatalf("Sessions.AuthenticateJWTLocal: %v", err)
	}
	sgEq(t, "JWT factors", sgMFAFactors(local), []string{"magic_link/email", want})
}

// sgMFAPhone is a random number of the form +1555555xxxx.
func sgMFAPhone(t *testing.T) string {
	t.Helper()
	n, err := rand.Int(rand.Reader, big.NewInt(10000))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("+1555555%04d", n.Int64())
}

// sgMFAGetMember reads a member through stytch-go.
func sgMFAGetMember(ctx context.Context, t *testing.T, c *b2bstytchapi.API, org, member string) organizations.Member {
	t.Helper()
	g, err := c.Organizations.Members.Get(ctx, &members.GetParams{OrganizationID: org, MemberID: member})
	if err != nil {
		t.Fatalf("Members.Get(%s): %v", member, err)
	}
	return g.Member
}

// A REQUIRED_FOR_ALL organization through stytch-go: a magic link stops at an intermediate
// session; a TOTP enrolled with it and its first code give a session; recovery codes stand in
// for the TOTP once each and rotate; a second member enrolls by SMS; and the member calls
// remove both factors.
func TestStytchGoMFARequiredForAll(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := sgPwClient(t, env.URL)
	org := sgMFAOrg(ctx, t, c, "REQUIRED_FOR_ALL")
	orgID := org.OrganizationID
	member, addr := sgMFAMember(ctx, t, c, orgID)
	var totpID, secret, usedCode string
	var codes []string

	sgStep(t, "TOTPs.Create and Authenticate with the intermediate session", func(t *testing.T) {
		first := sgMFALogin(ctx, t, c, orgID, addr)
		sgEq(t, "member_id", first.MemberID, member)
		if o := first.MFARequired.MemberOptions; o != nil && (o.TOTPRegistrationID != "" || o.MFAPhoneNumber != "") {
			t.Errorf("member_options before enrollment: %+v", o)
		}
		ist := first.IntermediateSessionToken

		created, err := c.TOTPs.Create(ctx, &totps.CreateParams{OrganizationID: orgID, MemberID: member, IntermediateSessionToken: ist})
		if err != nil {
			t.Fatalf("TOTPs.Create: %v", err)
		}
		sgEnvelope(t, created.StatusCode, created.RequestID)
		sgEq(t, "member_id", created.MemberID, member)
		sgEq(t, "member.member_id", created.Member.MemberID, member)
		sgEq(t, "organization.organization_id", created.Organization.OrganizationID, orgID)
		if !strings.HasPrefix(created.TOTPRegistrationID, "member-totp-") {
			t.Errorf("totp_registration_id %q", created.TOTPRegistrationID)
		}
		sgEq(t, "member.totp_registration_id while pending", created.Member.TOTPRegistrationID, "")
		if len(created.Secret) != 32 {
			t.Errorf("secret %q is not 32 base32 characters", created.Secret)
		}
		const prefix = "data:image/png;base64,"
		if !strings.HasPrefix(created.QrCode, prefix) {
			t.Errorf("qr_code is not a PNG data URL: %.40q", created.QrCode)
		} else if raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(created.QrCode, prefix)); err != nil {
			t.Errorf("qr_code base64: %v", err)
		} else if cfg, err := png.DecodeConfig(bytes.NewReader(raw)); err != nil || cfg.Width != 200 || cfg.Height != 200 {
			t.Errorf("qr_code PNG: %+v %v", cfg, err)
		}
		if len(created.RecoveryCodes) != 10 {
			t.Fatalf("recovery_codes: %q", created.RecoveryCodes)
		}
		seen := map[string]bool{}
		for _, rc := range created.RecoveryCodes {
			if !sgMFARecoveryCodePattern.MatchString(rc) || seen[rc] {
				t.Errorf("recovery code %q malformed or repeated", rc)
			}
			seen[rc] = true
		}
		totpID, secret, codes = created.TOTPRegistrationID, created.Secret, created.RecoveryCodes

		usedCode = sgMFACode(t, secret)
		a, err := c.TOTPs.Authenticate(ctx, &totps.AuthenticateParams{OrganizationID: orgID, MemberID: member, Code: usedCode, IntermediateSessionToken: ist})
		if err != nil {
			t.Fatalf("TOTPs.Authenticate: %v", err)
		}
		sgEnvelope(t, a.StatusCode, a.RequestID)
		sgEq(t, "member_id", a.MemberID, member)
		sgEq(t, "member.totp_registration_id", a.Member.TOTPRegistrationID, totpID)
		sgEq(t, "member.mfa_enrolled (REQUIRED_FOR_ALL enrolls)", a.Member.MFAEnrolled, true)
		sgEq(t, "member.default_mfa_method", a.Member.DefaultMFAMethod, "totp")
		sgEq(t, "organization.organization_id", a.Organization.OrganizationID, orgID)
		sgMFASession(ctx, t, c, member, a.SessionToken, a.SessionJWT, a.MemberSession, "totp/authenticator_app")
		if f := sgMFAFactor(a.MemberSession, "totp"); f == nil || f.AuthenticatorAppFactor == nil || f.AuthenticatorAppFactor.TOTPID != totpID {
			t.Errorf("totp factor: %+v", f)
		}

		// The intermediate session is spent.
		_, err = c.TOTPs.Authenticate(ctx, &totps.AuthenticateParams{OrganizationID: orgID, MemberID: member, Code: usedCode, IntermediateSessionToken: ist})
		sgWantErr(t, err, http.StatusNotFound, "intermediate_session_not_found")
	})

	sgStep(t, "TOTPs.Authenticate replayed code", func(t *testing.T) {
		next := sgMFALogin(ctx, t, c, orgID, addr)
		if o := next.MFARequired.MemberOptions; o == nil || o.TOTPRegistrationID != totpID {
			t.Errorf("member_options after enrollment: %+v", o)
		}
		_, err := c.TOTPs.Authenticate(ctx, &totps.AuthenticateParams{OrganizationID: orgID, MemberID: member, Code: usedCode,
			IntermediateSessionToken: next.IntermediateSessionToken})
		sgWantErr(t, err, http.StatusBadRequest, "totp_code_already_authenticated")
	})

	sgStep(t, "RecoveryCodes.Recover, Rotate and Get", func(t *testing.T) {
		ist := sgMFALogin(ctx, t, c, orgID, addr).IntermediateSessionToken
		rec, err := c.RecoveryCodes.Recover(ctx, &recoverycodes.RecoverParams{OrganizationID: orgID, MemberID: member,
			RecoveryCode: codes[0], IntermediateSessionToken: ist})
		if err != nil {
			t.Fatalf("RecoveryCodes.Recover: %v", err)
		}
		sgEnvelope(t, rec.StatusCode, rec.RequestID)
		sgEq(t, "member_id", rec.MemberID, member)
		sgEq(t, "recovery_codes_remaining", rec.RecoveryCodesRemaining, int32(9))
		sgMFASession(ctx, t, c, member, rec.SessionToken, rec.SessionJWT, rec.MemberSession, "recovery_codes/recovery_code")
		if f := sgMFAFactor(rec.MemberSession, "recovery_codes"); f == nil || f.RecoveryCodeFactor == nil || f.RecoveryCodeFactor.TOTPRecoveryCodeID == "" {
			t.Errorf("recovery code factor: %+v", f)
		}

		ist2 := sgMFALogin(ctx, t, c, orgID, addr).IntermediateSessionToken
		_, err = c.RecoveryCodes.Recover(ctx, &recoverycodes.RecoverParams{OrganizationID: orgID, MemberID: member,
			RecoveryCode: codes[0], IntermediateSessionToken: ist2})
		sgWantErr(t, err, http.StatusUnauthorized, "unable_to_authenticate_recovery_code")

		rot, err := c.RecoveryCodes.Rotate(ctx, &recoverycodes.RotateParams{OrganizationID: orgID, MemberID: member})
		if err != nil {
			t.Fatalf("RecoveryCodes.Rotate: %v", err)
		}
		sgEnvelope(t, rot.StatusCode, rot.RequestID)
		sgEq(t, "member_id", rot.MemberID, member)
		sgEq(t, "member.totp_registration_id", rot.Member.TOTPRegistrationID, totpID)
		if len(rot.RecoveryCodes) != 10 {
			t.Fatalf("rotated recovery_codes: %q", rot.RecoveryCodes)
		}
		old := map[string]bool{}
		for _, rc := range codes {
			old[rc] = true
		}
		for _, rc := range rot.RecoveryCodes {
			if !sgMFARecoveryCodePattern.MatchString(rc) || old[rc] {
				t.Errorf("rotated code %q malformed or an old one", rc)
			}
		}
		// An old unused code is gone; a new one works (the failures did not spend ist2).
		_, err = c.RecoveryCodes.Recover(ctx, &recoverycodes.RecoverParams{OrganizationID: orgID, MemberID: member,
			RecoveryCode: codes[1], IntermediateSessionToken: ist2})
		sgWantErr(t, err, http.StatusUnauthorized, "unable_to_authenticate_recovery_code")
		fresh, err := c.RecoveryCodes.Recover(ctx, &recoverycodes.RecoverParams{OrganizationID: orgID, MemberID: member,
			RecoveryCode: rot.RecoveryCodes[0], IntermediateSessionToken: ist2})
		if err != nil {
			t.Fatalf("Recover with a rotated code: %v", err)
		}
		sgEq(t, "recovery_codes_remaining after rotate", fresh.RecoveryCodesRemaining, int32(9))
		codes = rot.RecoveryCodes

		// A deliberate deviation: the codes are kept only as hashes and shown once.
		got, err := c.RecoveryCodes.Get(ctx, &recoverycodes.GetParams{OrganizationID: orgID, MemberID: member})
		if err == nil {
			t.Errorf("RecoveryCodes.Get answered codes: %+v", got)
		}
		sgWantErr(t, err, http.StatusBadRequest, "recovery_codes_shown_once")
	})

	sgStep(t, "OTPs.Sms.Send and Authenticate", func(t *testing.T) {
		smsMember, smsAddr := sgMFAMember(ctx, t, c, orgID)
		phone := sgMFAPhone(t)
		first := sgMFALogin(ctx, t, c, orgID, smsAddr)
		if o := first.MFARequired.MemberOptions; o != nil && (o.TOTPRegistrationID != "" || o.MFAPhoneNumber != "") {
			t.Errorf("member_options before enrollment: %+v", o)
		}
		ist := first.IntermediateSessionToken

		_, err := c.OTPs.Sms.Send(ctx, &sms.SendParams{OrganizationID: orgID, MemberID: smsMember, MFAPhoneNumber: "555-0100", IntermediateSessionToken: ist})
		sgWantErr(t, err, http.StatusBadRequest, "invalid_phone_number")

		sent, err := c.OTPs.Sms.Send(ctx, &sms.SendParams{OrganizationID: orgID, MemberID: smsMember, MFAPhoneNumber: phone, IntermediateSessionToken: ist})
		if err != nil {
			t.Fatalf("OTPs.Sms.Send: %v", err)
		}
		sgEnvelope(t, sent.StatusCode, sent.RequestID)
		sgEq(t, "member_id", sent.MemberID, smsMember)
		// The number becomes the member's only when a code sent to it is authenticated.
		sgEq(t, "member.mfa_phone_number before a code", sent.Member.MFAPhoneNumber, "")
		sgEq(t, "organization.organization_id", sent.Organization.OrganizationID, orgID)

		text := env.LastText(t, phone)
		if !strings.Contains(text.Body, org.OrganizationName) {
			t.Errorf("text to %s is not this organization's: %q", phone, text.Body)
		}
		code := text.Code()
		if code == "" {
			t.Fatalf("no code in the text: %q", text.Body)
		}

		a, err := c.OTPs.Sms.Authenticate(ctx, &sms.AuthenticateParams{OrganizationID: orgID, MemberID: smsMember, Code: code, IntermediateSessionToken: ist})
		if err != nil {
			t.Fatalf("OTPs.Sms.Authenticate: %v", err)
		}
		sgEnvelope(t, a.StatusCode, a.RequestID)
		sgEq(t, "member_id", a.MemberID, smsMember)
		sgEq(t, "member.mfa_phone_number", a.Member.MFAPhoneNumber, phone)
		sgEq(t, "member.mfa_phone_number_verified", a.Member.MFAPhoneNumberVerified, true)
		sgEq(t, "member.mfa_enrolled", a.Member.MFAEnrolled, true)
		sgEq(t, "member.default_mfa_method", a.Member.DefaultMFAMethod, "sms_otp")
		sgMFASession(ctx, t, c, smsMember, a.SessionToken, a.SessionJWT, a.MemberSession, "otp/sms")
		if f := sgMFAFactor(a.MemberSession, "otp"); f == nil || f.PhoneNumberFactor == nil || f.PhoneNumberFactor.PhoneNumber != phone {
			t.Errorf("sms factor: %+v", f)
		}
		sgEq(t, "Members.Get mfa_phone_number_verified", sgMFAGetMember(ctx, t, c, orgID, smsMember).MFAPhoneNumberVerified, true)

		// The intermediate session is spent, and the code too.
		_, err = c.OTPs.Sms.Authenticate(ctx, &sms.AuthenticateParams{OrganizationID: orgID, MemberID: smsMember, Code: code, IntermediateSessionToken: ist})
		sgWantErr(t, err, http.StatusNotFound, "intermediate_session_not_found")
		next := sgMFALogin(ctx, t, c, orgID, smsAddr)
		if o := next.MFARequired.MemberOptions; o == nil || o.MFAPhoneNumber != phone {
			t.Errorf("member_options after SMS enrollment: %+v", o)
		}
		_, err = c.OTPs.Sms.Authenticate(ctx, &sms.AuthenticateParams{OrganizationID: orgID, MemberID: smsMember, Code: code,
			IntermediateSessionToken: next.IntermediateSessionToken})
		sgWantErr(t, err, http.StatusNotFound, "otp_code_not_found")

		del, err := c.Organizations.Members.DeleteMFAPhoneNumber(ctx, &members.DeleteMFAPhoneNumberParams{OrganizationID: orgID, MemberID: smsMember})
		if err != nil {
			t.Fatalf("Members.DeleteMFAPhoneNumber: %v", err)
		}
		sgEnvelope(t, del.StatusCode, del.RequestID)
		sgEq(t, "member_id", del.MemberID, smsMember)
		sgEq(t, "member.mfa_phone_number after delete", del.Member.MFAPhoneNumber, "")
		sgEq(t, "member.mfa_phone_number_verified after delete", del.Member.MFAPhoneNumberVerified, false)
		got := sgMFAGetMember(ctx, t, c, orgID, smsMember)
		sgEq(t, "Members.Get mfa_phone_number after delete", got.MFAPhoneNumber, "")
		sgEq(t, "Members.Get mfa_phone_number_verified after delete", got.MFAPhoneNumberVerified, false)
		_, err = c.Organizations.Members.DeleteMFAPhoneNumber(ctx, &members.DeleteMFAPhoneNumberParams{OrganizationID: orgID, MemberID: smsMember})
		sgWantErr(t, err, http.StatusNotFound, "member_phone_number_not_found")
	})

	sgStep(t, "Members.DeleteTOTP", func(t *testing.T) {
		del, err := c.Organizations.Members.DeleteTOTP(ctx, &members.DeleteTOTPParams{OrganizationID: orgID, MemberID: member})
		if err != nil {
			t.Fatalf("Members.DeleteTOTP: %v", err)
		}
		sgEnvelope(t, del.StatusCode, del.RequestID)
		sgEq(t, "member_id", del.MemberID, member)
		sgEq(t, "member.totp_registration_id after delete", del.Member.TOTPRegistrationID, "")
		sgEq(t, "Members.Get totp_registration_id after delete", sgMFAGetMember(ctx, t, c, orgID, member).TOTPRegistrationID, "")
		_, err = c.Organizations.Members.DeleteTOTP(ctx, &members.DeleteTOTPParams{OrganizationID: orgID, MemberID: member})
		sgWantErr(t, err, http.StatusNotFound, "totp_not_found")
		// Its recovery codes went with it.
		ist := sgMFALogin(ctx, t, c, orgID, addr).IntermediateSessionToken
		_, err = c.RecoveryCodes.Recover(ctx, &recoverycodes.RecoverParams{OrganizationID: orgID, MemberID: member,
			RecoveryCode: codes[1], IntermediateSessionToken: ist})
		sgWantErr(t, err, http.StatusNotFound, "no_active_recovery_code_backed_factor")
	})
}

// Step-up in an OPTIONAL organization through stytch-go: a magic-link session adds a TOTP
// and enrolls the member, and from then on a magic link alone is not a login.
func TestStytchGoMFAStepUpInOptionalOrg(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := sgPwClient(t, env.URL)
	orgID := sgMFAOrg(ctx, t, c, "OPTIONAL").OrganizationID
	member, addr := sgMFAMember(ctx, t, c, orgID)
	var totpID string

	sgStep(t, "TOTPs.Create and Authenticate with a session", func(t *testing.T) {
		auth := sgMFAMagicLink(ctx, t, c, orgID, addr)
		if !auth.MemberAuthenticated || auth.SessionToken == "" || auth.IntermediateSessionToken != "" || auth.MFARequired != nil {
			t.Fatalf("an OPTIONAL organization's first login: %+v", auth)
		}
		sgEq(t, "member.mfa_enrolled before", auth.Member.MFAEnrolled, false)

		created, err := c.TOTPs.Create(ctx, &totps.CreateParams{OrganizationID: orgID, MemberID: member, SessionToken: auth.SessionToken})
		if err != nil {
			t.Fatalf("TOTPs.Create: %v", err)
		}
		sgEnvelope(t, created.StatusCode, created.RequestID)
		if created.Secret == "" || len(created.RecoveryCodes) != 10 || created.TOTPRegistrationID == "" {
			t.Fatalf("TOTPs.Create: %+v", created)
		}
		totpID = created.TOTPRegistrationID

		up, err := c.TOTPs.Authenticate(ctx, &totps.AuthenticateParams{OrganizationID: orgID, MemberID: member,
			Code: sgMFACode(t, created.Secret), SessionToken: auth.SessionToken, SetMFAEnrollment: "enroll"})
		if err != nil {
			t.Fatalf("TOTPs.Authenticate (step-up): %v", err)
		}
		sgEnvelope(t, up.StatusCode, up.RequestID)
		sgEq(t, "member.mfa_enrolled", up.Member.MFAEnrolled, true)
		sgEq(t, "member.totp_registration_id", up.Member.TOTPRegistrationID, totpID)
		sgEq(t, "member.default_mfa_method", up.Member.DefaultMFAMethod, "totp")
		sgMFASession(ctx, t, c, member, up.SessionToken, up.SessionJWT, up.MemberSession, "totp/authenticator_app")
		sgEq(t, "Members.Get mfa_enrolled", sgMFAGetMember(ctx, t, c, orgID, member).MFAEnrolled, true)

		// The stepped-up session replaces the old one.
		_, err = c.Sessions.Authenticate(ctx, &sessions.AuthenticateParams{SessionToken: auth.SessionToken})
		sgWantErr(t, err, http.StatusNotFound, "session_not_found")
	})

	sgStep(t, "the next magic link owes the TOTP", func(t *testing.T) {
		next := sgMFALogin(ctx, t, c, orgID, addr)
		if o := next.MFARequired.MemberOptions; o == nil || o.TOTPRegistrationID != totpID {
			t.Errorf("member_options: %+v", o)
		}
	})
}
