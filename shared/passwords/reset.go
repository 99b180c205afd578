package passwords

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/url"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/pwhash"
	"github.com/latchkey/latchkey/shared/secret"
)

// Kinds of emailed reset token, and the link type the email's URL carries: the same for
// discovery resets (whose links have no slug), since the app redeems both with a password reset
// call.
const (
	TokenReset          = "password_reset"
	TokenDiscoveryReset = "discovery_password_reset"
	LinkType            = "multi_tenant_passwords"
)

// Reset link expiry, in minutes, as Stytch's.
const (
	DefaultResetMinutes = 30
	MinResetMinutes     = 5
	MaxResetMinutes     = 7 * 24 * 60
)

func resetExpiry(minutes int) (time.Duration, error) {
	if minutes == 0 {
		minutes = DefaultResetMinutes
	}
	if minutes < MinResetMinutes || minutes > MaxResetMinutes {
		return 0, latchkey.BadRequest("invalid_reset_password_expiration_minutes",
			"reset_password_expiration_minutes must be between %d and %d.", MinResetMinutes, MaxResetMinutes)
	}
	return time.Duration(minutes) * time.Minute, nil
}

// ResetStartRequest is the body of Passwords.Email.ResetStart.
type ResetStartRequest struct {
	OrganizationID                 string `json:"organization_id"`
	EmailAddress                   string `json:"email_address"`
	ResetPasswordRedirectURL       string `json:"reset_password_redirect_url"`
	ResetPasswordExpirationMinutes int    `json:"reset_password_expiration_minutes"`
	CodeChallenge                  string `json:"code_challenge"`
	LoginRedirectURL               string `json:"login_redirect_url"`
	Locale                         string `json:"locale"`
	ResetPasswordTemplateID        string `json:"reset_password_template_id"`
	VerifyEmailTemplateID          string `json:"verify_email_template_id"`
}

// ResetStartResult is the member the email went to.
type ResetStartResult struct {
	Member latchkey.Member
}

// ResetStart emails a member a link to set a new password (or a first one: the email then asks
// to verify the address by setting it). The member must exist, as in Stytch: a reset never
// creates one.
func (s *Service) ResetStart(ctx context.Context, r ResetStartRequest) (ResetStartResult, error) {
	var res ResetStartResult
	email, err := latchkey.NormalizeEmail(r.EmailAddress)
	if err != nil {
		return res, err
	}
	if r.OrganizationID == "" {
		return res, latchkey.BadRequest(latchkey.TypeBadRequest, "organization_id is required.")
	}
	if err := authn.ValidatePKCEChallenge(r.CodeChallenge); err != nil {
		return res, err
	}
	ttl, err := resetExpiry(r.ResetPasswordExpirationMinutes)
	if err != nil {
		return res, err
	}
	link, err := s.Redirects.Resolve("reset_password_redirect_url", r.ResetPasswordRedirectURL)
	if err != nil {
		return res, err
	}
	if r.LoginRedirectURL != "" {
		if _, err := s.Redirects.Resolve("login_redirect_url", r.LoginRedirectURL); err != nil {
			return res, err
		}
	}
	m, org, found, err := latchkey.MemberByEmail(ctx, s.Store, r.OrganizationID, email)
	if err != nil {
		return res, err
	}
	if !found || m.Status == latchkey.StatusDeleted {
		return res, latchkey.MemberNotFound()
	}
	if err := org.CheckAuthMethod(latchkey.MethodPassword, &m); err != nil {
		return res, err
	}
	now := s.Clock.Now()
	if err := s.Limits.Allow(ctx, s.Store, now, org.OrganizationID, email); err != nil {
		return res, err
	}
	first := m.MemberPasswordID == ""
	t := authn.EmailToken{Kind: TokenReset, OrganizationID: org.OrganizationID, MemberID: m.MemberID, Email: email,
		PKCEChallenge: r.CodeChallenge, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	link = withSlug(link, org.OrganizationSlug)
	if err := s.sendToken(ctx, t, org.OrganizationName, link, LinkType, first); err != nil {
		return res, err
	}
	res.Member = m.Presented(org)
	return res, nil
}

// withSlug adds the organization's slug to the link, as Stytch's organization flows do.
func withSlug(link, slug string) string {
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	q := u.Query()
	q.Set("slug", slug)
	u.RawQuery = q.Encode()
	return u.String()
}

// sendToken stores the token under a fresh value's hash and emails the link; if the email
// cannot be sent the token is deleted, so no usable link exists that nobody received.
func (s *Service) sendToken(ctx context.Context, t authn.EmailToken, orgName, redirect, linkType string, first bool) error {
	token, hash := secret.New()
	t.Hash = hash
	if err := s.Store.PutMagicToken(ctx, t); err != nil {
		return err
	}
	msg := resetMessage(t.Email, orgName, authn.LinkURL(redirect, linkType, token), authn.HumanDuration(t.ExpiresAt.Sub(t.CreatedAt)), first)
	if err := s.Mail.Send(ctx, msg); err != nil {
		if derr := s.Store.DeleteMagicToken(context.WithoutCancel(ctx), t); derr != nil {
			return errors.Join(err, derr)
		}
		return err
	}
	return nil
}

// resetMessage is the reset email; a member with no password yet is asked to set one, which
// also verifies the address.
func resetMessage(to, orgName, link, valid string, first bool) latchkey.Message {
	where := ""
	if orgName != "" {
		where = " for " + latchkey.HeaderSafe(orgName)
	}
	subject, lead, action := "Reset your password"+where, "Someone asked to reset your password"+where+".", "Reset your password"
	if first {
		subject, lead, action = "Set your password"+where, "Use this link to verify your email address and set a password"+where+".", "Set a password"
	}
	text := fmt.Sprintf("%s\n\n%s: %s\n\nThe link works once and expires in %s. If you did not ask for it, ignore this email: your password stays as it is.\n",
		lead, action, link, valid)
	body := fmt.Sprintf(`<!doctype html><html><body style="font-family:sans-serif">
<p>%s</p>
<p><a href="%s" style="display:inline-block;padding:10px 16px;background:#1f2937;color:#fff;text-decoration:none;border-radius:6px">%s</a></p>
<p style="color:#6b7280">The link works once and expires in %s. If you did not ask for it, ignore this email: your password stays as it is.</p>
</body></html>`, html.EscapeString(lead), html.EscapeString(link), html.EscapeString(action), html.EscapeString(valid))
	return latchkey.Message{To: to, Subject: subject, Text: text, HTML: body}
}

// ResetRequest is the body of Passwords.Email.Reset.
type ResetRequest struct {
	PasswordResetToken       string         `json:"password_reset_token"`
	Password                 string         `json:"password"`
	SessionToken             string         `json:"session_token"`
	SessionJWT               string         `json:"session_jwt"`
	SessionDurationMinutes   int            `json:"session_duration_minutes"`
	SessionCustomClaims      map[string]any `json:"session_custom_claims"`
	CodeVerifier             string         `json:"code_verifier"`
	Locale                   string         `json:"locale"`
	IntermediateSessionToken string         `json:"intermediate_session_token"`
}

// redeemable reads an unused, unexpired reset token of the kind.
func (s *Service) redeemable(ctx context.Context, token, kind, verifier string) (authn.EmailToken, error) {
	if token == "" || latchkey.KeyTooLong(token) {
		return authn.EmailToken{}, TokenNotFound()
	}
	t, err := s.Store.MagicToken(ctx, secret.Hash(token))
	if errors.Is(err, latchkey.ErrNotFound) || err == nil && (t.Kind != kind || !s.Clock.Now().Before(t.ExpiresAt)) {
		return t, TokenNotFound()
	}
	if err != nil {
		return t, err
	}
	return t, authn.CheckPKCE(t.PKCEChallenge, verifier)
}

// Reset sets a new password from an emailed link and logs the member in. The link proves the
// address, so the member's email becomes verified; the token is consumed in the transaction
// that writes the password and the session. Every other session of the member ends.
func (s *Service) Reset(ctx context.Context, r ResetRequest) (authn.Result, error) {
	var res authn.Result
	if err := checkShape(r.Password); err != nil {
		return res, err
	}
	duration, err := authn.SessionOptions(r.SessionDurationMinutes, r.SessionCustomClaims)
	if err != nil {
		return res, err
	}
	t, err := s.redeemable(ctx, r.PasswordResetToken, TokenReset, r.CodeVerifier)
	if err != nil {
		return res, err
	}
	pres, err := s.present(ctx, r.SessionToken, r.SessionJWT, r.IntermediateSessionToken)
	if err != nil {
		return res, err
	}
	m, org, err := latchkey.MemberAndOrg(ctx, s.Store, t.OrganizationID, t.MemberID)
	if err != nil || m.Status == latchkey.StatusDeleted || !m.Accepts(t.CreatedAt) || m.EmailAddress != t.Email {
		// Deleted, or a new address since the link was sent.
		return res, TokenNotFound()
	}
	if err := org.CheckAuthMethod(latchkey.MethodPassword, &m); err != nil {
		return res, err
	}
	if err := s.acceptable(ctx, r.Password, t.Email); err != nil {
		return res, err
	}
	change, err := s.replace(ctx, org.OrganizationID, m, t.Email, r.Password)
	if err != nil {
		return res, err
	}
	at := authn.Attempt{OrganizationID: org.OrganizationID, Member: &m, Organization: org,
		Factors:   []latchkey.AuthFactor{s.factor(t.Email, org.OrganizationID, s.Clock.Now())},
		TokenHash: t.Hash, Spent: TokenNotFound(), Password: change, PasswordID: change.Next.PasswordID,
		EndSessions: true, Duration: duration, Claims: r.SessionCustomClaims}
	res, err = s.login(ctx, at, t.Email, pres)
	if err == nil {
		s.dropStaleSessions(ctx, m, res)
	}
	return res, err
}

// replace hashes a new password for the address and returns the change from the current one.
func (s *Service) replace(ctx context.Context, orgID string, m latchkey.Member, email, password string) (*latchkey.PasswordChange, error) {
	prev, err := s.Store.Password(ctx, s.passwordOrg(orgID), email)
	if err != nil && !errors.Is(err, latchkey.ErrNotFound) {
		return nil, err
	}
	hash, err := pwhash.Hash(password)
	if err != nil {
		return nil, err
	}
	return &latchkey.PasswordChange{Prev: prev, Next: s.newPassword(prev, orgID, m, email, hash, s.Clock.Now())}, nil
}

// dropStaleSessions deletes the sessions a reset ended. The member's own already fail: the
// reset's transaction moved its SessionsValidAfter. Across organizations the one password
// served every member with the address, so their sessions are ended here too, one member at a
// time and after the commit (a failure leaves them to expire).
func (s *Service) dropStaleSessions(ctx context.Context, m latchkey.Member, res authn.Result) {
	keep := ""
	if res.Session != nil {
		keep = res.Session.MemberSessionID
	}
	members := []latchkey.Member{m}
	if s.crossOrg() {
		if others, err := s.Store.MembersByEmail(ctx, m.EmailAddress); err == nil {
			members = append(members, others...)
		}
	}
	seen := map[string]bool{}
	for _, o := range members {
		if o.MemberID == "" || seen[o.MemberID] {
			continue
		}
		seen[o.MemberID] = true
		_ = s.Auth.RevokeOthers(ctx, o.MemberID, keep)
	}
}

// ExistingResetRequest is the body of Passwords.ExistingPassword.Reset.
type ExistingResetRequest struct {
	EmailAddress           string         `json:"email_address"`
	ExistingPassword       string         `json:"existing_password"`
	NewPassword            string         `json:"new_password"`
	OrganizationID         string         `json:"organization_id"`
	SessionToken           string         `json:"session_token"`
	SessionJWT             string         `json:"session_jwt"`
	SessionDurationMinutes int            `json:"session_duration_minutes"`
	SessionCustomClaims    map[string]any `json:"session_custom_claims"`
	Locale                 string         `json:"locale"`
	Client                 string         `json:"-"`
}

// ExistingReset replaces a password with a new one, given the current one (checked as a login
// checks it, lock included), and logs the member in.
func (s *Service) ExistingReset(ctx context.Context, r ExistingResetRequest) (authn.Result, error) {
	var res authn.Result
	if r.OrganizationID == "" {
		return res, latchkey.BadRequest(latchkey.TypeBadRequest, "organization_id is required.")
	}
	email, err := latchkey.NormalizeEmail(r.EmailAddress)
	if err != nil {
		return res, err
	}
	if err := checkShape(r.NewPassword); err != nil {
		return res, err
	}
	duration, err := authn.SessionOptions(r.SessionDurationMinutes, r.SessionCustomClaims)
	if err != nil {
		return res, err
	}
	pres, err := s.present(ctx, r.SessionToken, r.SessionJWT, "")
	if err != nil {
		return res, err
	}
	// A password that must be reset by email cannot be replaced by one who knows it: prove
	// refuses it as a login does.
	p, err := s.prove(ctx, r.OrganizationID, email, r.ExistingPassword, r.Client)
	if err != nil {
		return res, err
	}
	st := p.state
	if !st.Found {
		return res, Unauthorized()
	}
	if err := st.Organization.CheckAuthMethod(latchkey.MethodPassword, &st.Member); err != nil {
		return res, err
	}
	if err := s.acceptable(ctx, r.NewPassword, email); err != nil {
		return res, err
	}
	hash, err := pwhash.Hash(r.NewPassword)
	if err != nil {
		return res, err
	}
	at := s.attempt(p)
	next := s.newPassword(p.password, st.Organization.OrganizationID, st.Member, email, hash, s.Clock.Now())
	at.Password.Next, at.PasswordID, at.EndSessions = next, next.PasswordID, true
	at.OrganizationID, at.Member, at.Organization, at.Duration, at.Claims = st.Organization.OrganizationID, &st.Member, st.Organization, duration, r.SessionCustomClaims
	res, err = s.login(ctx, at, email, pres)
	if err == nil {
		s.dropStaleSessions(ctx, st.Member, res)
	}
	return res, err
}

// SessionResetRequest is the body of Passwords.Sessions.Reset.
type SessionResetRequest struct {
	OrganizationID         string         `json:"organization_id"`
	Password               string         `json:"password"`
	SessionToken           string         `json:"session_token"`
	SessionJWT             string         `json:"session_jwt"`
	SessionDurationMinutes int            `json:"session_duration_minutes"`
	SessionCustomClaims    map[string]any `json:"session_custom_claims"`
	Locale                 string         `json:"locale"`
}

// RecentFactor is how recently a session must have authenticated to set a password.
const RecentFactor = 5 * time.Minute

// SessionReset sets a password for the member of a recent session. The session must have
// proved the member's current address: a password proves its address from then on, and an
// organization can rename its members to anyone's address. The member gets a new session with
// the password factor added; every other session of the member, the presented one included,
// ends.
func (s *Service) SessionReset(ctx context.Context, r SessionResetRequest) (authn.Result, error) {
	var res authn.Result
	if r.OrganizationID == "" {
		return res, latchkey.BadRequest(latchkey.TypeBadRequest, "organization_id is required.")
	}
	if r.SessionToken == "" && r.SessionJWT == "" {
		return res, latchkey.BadRequest(latchkey.TypeBadRequest, "session_token or session_jwt is required.")
	}
	if err := checkShape(r.Password); err != nil {
		return res, err
	}
	duration, err := authn.SessionOptions(r.SessionDurationMinutes, r.SessionCustomClaims)
	if err != nil {
		return res, err
	}
	sess, m, org, err := s.Auth.Lookup(ctx, r.SessionToken, r.SessionJWT)
	if err != nil {
		return res, err
	}
	if org.OrganizationID != r.OrganizationID {
		return res, latchkey.BadRequest("session_organization_mismatch", "The session belongs to another organization.")
	}
	now := s.Clock.Now()
	recent := false
	for _, f := range sess.AuthenticationFactors {
		recent = recent || now.Sub(f.LastAuthenticatedAt) <= RecentFactor
	}
	if !recent {
		return res, sessionTooOld()
	}
	if proven, _, ok := latchkey.ProvenEmailIn(sess.AuthenticationFactors, org.OrganizationID); !ok || proven != m.EmailAddress || !m.EmailAddressVerified {
		return res, emailNotProven()
	}
	if err := org.CheckAuthMethod(latchkey.MethodPassword, &m); err != nil {
		return res, err
	}
	if err := s.acceptable(ctx, r.Password, m.EmailAddress); err != nil {
		return res, err
	}
	change, err := s.replace(ctx, org.OrganizationID, m, m.EmailAddress, r.Password)
	if err != nil {
		return res, err
	}
	factors := latchkey.AddFactor(sess.AuthenticationFactors, s.factor(m.EmailAddress, org.OrganizationID, now))
	res, err = s.Auth.Login(ctx, authn.Attempt{OrganizationID: org.OrganizationID, Member: &m, Organization: org, Factors: factors,
		Password: change, PasswordID: change.Next.PasswordID, EndSessions: true, Duration: duration, Claims: r.SessionCustomClaims})
	if err == nil {
		s.dropStaleSessions(ctx, m, res)
	}
	return res, err
}
