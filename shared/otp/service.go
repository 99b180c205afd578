package otp

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
)

// Service runs email one-time passcodes, for organizations and for discovery.
type Service struct {
	Auth   *authn.Service
	Store  Store
	Clock  latchkey.Clock
	Mail   latchkey.Mailer
	Limits latchkey.SendLimits
}

// LoginOrSignupRequest is the body of OTPs.Email.LoginOrSignup.
type LoginOrSignupRequest struct {
	OrganizationID          string `json:"organization_id"`
	EmailAddress            string `json:"email_address"`
	LoginTemplateID         string `json:"login_template_id"`
	SignupTemplateID        string `json:"signup_template_id"`
	Locale                  string `json:"locale"`
	LoginExpirationMinutes  int    `json:"login_expiration_minutes"`
	SignupExpirationMinutes int    `json:"signup_expiration_minutes"`
}

// LoginOrSignupResult is what the API returns.
type LoginOrSignupResult = authn.Sent

// LoginOrSignup mails a code to a member, or to a new person the organization lets join by
// email domain (who becomes a pending member), as magic links' LoginOrSignup does. Every
// refusal happens before anything is written or sent.
func (s *Service) LoginOrSignup(ctx context.Context, r LoginOrSignupRequest) (LoginOrSignupResult, error) {
	var res LoginOrSignupResult
	email, err := latchkey.NormalizeEmail(r.EmailAddress)
	if err != nil {
		return res, err
	}
	loginTTL, err := Expiry("login_expiration_minutes", r.LoginExpirationMinutes)
	if err != nil {
		return res, err
	}
	signupTTL, err := Expiry("signup_expiration_minutes", r.SignupExpirationMinutes)
	if err != nil {
		return res, err
	}
	rcpt, err := s.Auth.Recipient(ctx, r.OrganizationID, email, latchkey.MethodEmailOTP)
	res.Organization = rcpt.Organization
	if err != nil {
		return res, err
	}
	org := rcpt.Organization
	kind, ttl := KindLogin, loginTTL
	if !rcpt.Found || rcpt.Member.Status != latchkey.StatusActive {
		kind, ttl = KindSignup, signupTTL
	}
	if err := s.Limits.Allow(ctx, s.Store, s.Clock.Now(), org.OrganizationID, email, failures(email, true)); err != nil {
		return res, err
	}
	m, created, err := s.Auth.Enroll(ctx, rcpt)
	if err != nil {
		return res, err
	}
	res.MemberCreated = created
	if err := s.send(ctx, Code{Kind: kind, OrganizationID: org.OrganizationID, MemberID: m.MemberID, Email: email}, org.OrganizationName, ttl); err != nil {
		return res, err
	}
	res.Member = m.Presented(org)
	return res, nil
}

// send stores a fresh code and mails it; if the mail cannot be sent the code is deleted, so
// no usable code exists that nobody received.
func (s *Service) send(ctx context.Context, c Code, orgName string, ttl time.Duration) error {
	now := s.Clock.Now()
	code, salt, hash := NewCode()
	c.Salt, c.CodeHash, c.CreatedAt, c.ExpiresAt = salt, hash, now, now.Add(ttl)
	if err := s.Store.PutCode(ctx, c); err != nil {
		return err
	}
	if err := s.Mail.Send(ctx, message(c, orgName, code, ttl)); err != nil {
		if derr := s.Store.DeleteCode(context.WithoutCancel(ctx), c); derr != nil {
			return errors.Join(err, derr)
		}
		return err
	}
	return nil
}

// SendEmailUpdate mails a code to a member's new address (Members.StartEmailUpdate with
// EMAIL_OTP, whose other preconditions the caller has checked). An address with too many
// wrong tries today gets no code.
func (s *Service) SendEmailUpdate(ctx context.Context, org latchkey.Organization, m latchkey.Member, email string, ttl time.Duration) error {
	if err := s.Store.Hit(ctx, []latchkey.RateCounter{failures(email, true)}, s.Clock.Now()); err != nil {
		if errors.Is(err, latchkey.ErrRateLimited) {
			return tooManyFailures()
		}
		return err
	}
	return s.send(ctx, Code{Kind: KindEmailUpdate, OrganizationID: org.OrganizationID, MemberID: m.MemberID, Email: email},
		org.OrganizationName, ttl)
}

// message is the email that carries a code. The code is in the body only, never the subject,
// which mail clients show in notifications on a locked screen.
func message(c Code, orgName, code string, ttl time.Duration) latchkey.Message {
	subject, lead := "Your login code", "Use this code to log in and see your organizations."
	switch c.Kind {
	case KindLogin:
		subject, lead = "Your login code for "+latchkey.HeaderSafe(orgName), "Use this code to log in to "+orgName+"."
	case KindSignup:
		subject, lead = "Your code for "+latchkey.HeaderSafe(orgName), "Use this code to finish creating your account in "+orgName+"."
	case KindEmailUpdate:
		subject, lead = "Confirm your new email address for "+latchkey.HeaderSafe(orgName), "Use this code to make this your email address in "+orgName+"."
	}
	minutes := int(ttl / time.Minute)
	text := fmt.Sprintf("%s\n\nYour code: %s\n\nIt works once and expires in %d minutes. If you did not ask for it, ignore this email.\n", lead, code, minutes)
	body := fmt.Sprintf(`<!doctype html><html><body style="font-family:sans-serif">
<p>%s</p>
<p style="font-size:24px;letter-spacing:4px"><strong>%s</strong></p>
<p style="color:#6b7280">It works once and expires in %d minutes. If you did not ask for it, ignore this email.</p>
</body></html>`, html.EscapeString(lead), code, minutes)
	return latchkey.Message{To: c.Email, Subject: subject, Text: text, HTML: body}
}

// AuthenticateRequest is the body of OTPs.Email.Authenticate.
type AuthenticateRequest struct {
	OrganizationID           string         `json:"organization_id"`
	EmailAddress             string         `json:"email_address"`
	Code                     string         `json:"code"`
	IntermediateSessionToken string         `json:"intermediate_session_token"`
	SessionToken             string         `json:"session_token"`
	SessionJWT               string         `json:"session_jwt"`
	SessionDurationMinutes   int            `json:"session_duration_minutes"`
	SessionCustomClaims      map[string]any `json:"session_custom_claims"`
	Locale                   string         `json:"locale"`
}

// Authenticate redeems a code for a session (or an intermediate session, when the
// organization wants more). The try is counted before the code is compared, and the code is
// consumed in the same transaction that activates the member and writes the session, so it
// works once however many tries arrive at once.
func (s *Service) Authenticate(ctx context.Context, r AuthenticateRequest) (authn.Result, error) {
	var res authn.Result
	if r.OrganizationID == "" {
		return res, latchkey.BadRequest(latchkey.TypeBadRequest, "organization_id is required.")
	}
	email, err := latchkey.NormalizeEmail(r.EmailAddress)
	if err != nil {
		return res, err
	}
	if !WellFormed(r.Code) {
		return res, malformed()
	}
	duration, err := authn.SessionOptions(r.SessionDurationMinutes, r.SessionCustomClaims)
	if err != nil {
		return res, err
	}
	now := s.Clock.Now()
	c, err := s.try(ctx, r.OrganizationID, email, r.Code, now)
	if err != nil {
		return res, err
	}
	prev, org, err := latchkey.MemberAndOrg(ctx, s.Store, c.OrganizationID, c.MemberID)
	update := c.Kind == KindEmailUpdate
	if err != nil || prev.Status == latchkey.StatusDeleted || !prev.Accepts(c.CreatedAt) ||
		!update && prev.EmailAddress != c.Email || update && prev.Status != latchkey.StatusActive {
		// The member was deleted (even if reactivated since) or changed address after the code
		// was sent.
		return res, NotFound()
	}
	if err := org.CheckAuthMethod(latchkey.MethodEmailOTP, &prev); err != nil {
		return res, err
	}
	var existing *authn.Session
	if r.SessionToken != "" || r.SessionJWT != "" {
		sess, m, _, err := s.Auth.Lookup(ctx, r.SessionToken, r.SessionJWT)
		if err != nil {
			return res, err
		}
		if m.MemberID != prev.MemberID {
			return res, latchkey.BadRequest("session_member_mismatch", "The session belongs to another member.")
		}
		existing = &sess
	}
	at := authn.Attempt{Member: &prev, Organization: org,
		Factors: []latchkey.AuthFactor{latchkey.FactorEmailOTP.Proved(email, now)},
		Code:    &authn.CodeRef{OrganizationID: c.OrganizationID, Email: c.Email, Hash: c.CodeHash}, Spent: NotFound(),
		EmailUpdate: update, Duration: duration, Claims: r.SessionCustomClaims}
	if existing == nil && r.IntermediateSessionToken != "" && !update {
		// A step-up (a consumer Google login's intermediate session), completed by the code.
		if err := s.Auth.StepUp(ctx, &at, prev.MemberID, email, r.IntermediateSessionToken); err != nil {
			return res, err
		}
	}
	return s.Auth.LoginOnto(ctx, at, existing)
}

// DiscoverySendRequest is the body of OTPs.Email.Discovery.Send.
type DiscoverySendRequest struct {
	EmailAddress               string `json:"email_address"`
	LoginTemplateID            string `json:"login_template_id"`
	Locale                     string `json:"locale"`
	DiscoveryExpirationMinutes int    `json:"discovery_expiration_minutes"`
}

// DiscoverySend mails a code that proves the address, with no organization chosen.
func (s *Service) DiscoverySend(ctx context.Context, r DiscoverySendRequest) error {
	email, err := latchkey.NormalizeEmail(r.EmailAddress)
	if err != nil {
		return err
	}
	ttl, err := Expiry("discovery_expiration_minutes", r.DiscoveryExpirationMinutes)
	if err != nil {
		return err
	}
	if err := s.Limits.Allow(ctx, s.Store, s.Clock.Now(), "", email, failures(email, true)); err != nil {
		return err
	}
	return s.send(ctx, Code{Kind: KindDiscovery, Email: email}, "", ttl)
}

// DiscoveryAuthenticateRequest is the body of OTPs.Email.Discovery.Authenticate.
type DiscoveryAuthenticateRequest struct {
	EmailAddress string `json:"email_address"`
	Code         string `json:"code"`
}

// DiscoveryResult is a verified email, its intermediate session and where it may go.
type DiscoveryResult = authn.Discovered

// DiscoveryAuthenticate redeems a discovery code for an intermediate session and lists the
// organizations the address may enter.
func (s *Service) DiscoveryAuthenticate(ctx context.Context, r DiscoveryAuthenticateRequest) (DiscoveryResult, error) {
	var res DiscoveryResult
	email, err := latchkey.NormalizeEmail(r.EmailAddress)
	if err != nil {
		return res, err
	}
	if !WellFormed(r.Code) {
		return res, malformed()
	}
	now := s.Clock.Now()
	c, err := s.try(ctx, "", email, r.Code, now)
	if err != nil {
		return res, err
	}
	factors := []latchkey.AuthFactor{latchkey.FactorEmailOTP.Proved(email, now)}
	return s.Auth.Hold(ctx, authn.Attempt{Factors: factors, Code: &authn.CodeRef{Email: email, Hash: c.CodeHash}, Spent: NotFound()})
}

// try counts a try at the code for the organization (or discovery) and email and returns it if
// code is right. A wrong code also counts against the address's daily failures.
func (s *Service) try(ctx context.Context, orgID, email, code string, now time.Time) (Code, error) {
	c, err := s.Store.TryCode(ctx, orgID, email, now)
	if errors.Is(err, latchkey.ErrNotFound) {
		return c, NotFound()
	}
	if err != nil {
		return c, err
	}
	if !c.Matches(code) {
		if err := s.Store.Hit(ctx, []latchkey.RateCounter{failures(email, false)}, now); err != nil && !errors.Is(err, latchkey.ErrRateLimited) {
			return c, err
		}
		return c, NotFound()
	}
	return c, nil
}

func tooManyFailures() *latchkey.Error {
	return latchkey.Errorf(http.StatusTooManyRequests, "too_many_requests",
		"Too many wrong codes were tried for this email address today. Please try again tomorrow.")
}
