package passwords

import (
	"context"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
)

// DiscoveryAuthenticateRequest is the body of Passwords.Discovery.Authenticate.
type DiscoveryAuthenticateRequest struct {
	EmailAddress string `json:"email_address"`
	Password     string `json:"password"`
	Client       string `json:"-"`
}

// DiscoveryResult is a proven address, its intermediate session and where it may go.
type DiscoveryResult = authn.Discovered

// DiscoveryAuthenticate checks an address's password with no organization chosen
// (cross-organization passwords only) and answers an intermediate session with the
// organizations the address may enter.
func (s *Service) DiscoveryAuthenticate(ctx context.Context, r DiscoveryAuthenticateRequest) (DiscoveryResult, error) {
	var res DiscoveryResult
	if !s.crossOrg() {
		return res, CrossOrgOnly()
	}
	email, err := latchkey.NormalizeEmail(r.EmailAddress)
	if err != nil {
		return res, err
	}
	p, err := s.prove(ctx, "", email, r.Password, r.Client)
	if err != nil {
		return res, err
	}
	return s.Auth.Hold(ctx, s.attempt(p))
}

// DiscoveryResetStartRequest is the body of Passwords.Discovery.Email.ResetStart.
type DiscoveryResetStartRequest struct {
	EmailAddress                   string `json:"email_address"`
	ResetPasswordRedirectURL       string `json:"reset_password_redirect_url"`
	DiscoveryRedirectURL           string `json:"discovery_redirect_url"`
	ResetPasswordTemplateID        string `json:"reset_password_template_id"`
	ResetPasswordExpirationMinutes int    `json:"reset_password_expiration_minutes"`
	PKCECodeChallenge              string `json:"pkce_code_challenge"`
	Locale                         string `json:"locale"`
	VerifyEmailTemplateID          string `json:"verify_email_template_id"`
}

// DiscoveryResetStart emails an address a link to set its password, with no organization
// chosen (cross-organization passwords only).
func (s *Service) DiscoveryResetStart(ctx context.Context, r DiscoveryResetStartRequest) error {
	if !s.crossOrg() {
		return CrossOrgOnly()
	}
	email, err := latchkey.NormalizeEmail(r.EmailAddress)
	if err != nil {
		return err
	}
	if err := authn.ValidatePKCEChallenge(r.PKCECodeChallenge); err != nil {
		return err
	}
	ttl, err := resetExpiry(r.ResetPasswordExpirationMinutes)
	if err != nil {
		return err
	}
	link, err := s.Redirects.Resolve("reset_password_redirect_url", r.ResetPasswordRedirectURL)
	if err != nil {
		return err
	}
	if r.DiscoveryRedirectURL != "" {
		if _, err := s.Redirects.Resolve("discovery_redirect_url", r.DiscoveryRedirectURL); err != nil {
			return err
		}
	}
	now := s.Clock.Now()
	if err := s.Limits.Allow(ctx, s.Store, now, "", email); err != nil {
		return err
	}
	prev, err := s.Store.Password(ctx, "", email)
	first := err != nil || prev == nil
	t := authn.EmailToken{Kind: TokenDiscoveryReset, Email: email, PKCEChallenge: r.PKCECodeChallenge, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	return s.sendToken(ctx, t, "", link, LinkType, first)
}

// DiscoveryResetRequest is the body of Passwords.Discovery.Email.Reset.
type DiscoveryResetRequest struct {
	PasswordResetToken string `json:"password_reset_token"`
	Password           string `json:"password"`
	PKCECodeVerifier   string `json:"pkce_code_verifier"`
}

// DiscoveryReset sets the address's password from an emailed link and answers an intermediate
// session with the organizations it may enter. Every session of every member with the address
// ends.
func (s *Service) DiscoveryReset(ctx context.Context, r DiscoveryResetRequest) (DiscoveryResult, error) {
	var res DiscoveryResult
	if !s.crossOrg() {
		return res, CrossOrgOnly()
	}
	if err := checkShape(r.Password); err != nil {
		return res, err
	}
	t, err := s.redeemable(ctx, r.PasswordResetToken, TokenDiscoveryReset, r.PKCECodeVerifier)
	if err != nil {
		return res, err
	}
	if err := s.acceptable(ctx, r.Password, t.Email); err != nil {
		return res, err
	}
	change, err := s.replace(ctx, "", latchkey.Member{}, t.Email, r.Password)
	if err != nil {
		return res, err
	}
	at := authn.Attempt{Factors: []latchkey.AuthFactor{latchkey.FactorPassword.Proved(t.Email, s.Clock.Now())},
		TokenHash: t.Hash, Spent: TokenNotFound(), Password: change}
	if res, err = s.Auth.Hold(ctx, at); err != nil {
		return res, err
	}
	s.dropStaleSessions(ctx, latchkey.Member{EmailAddress: t.Email}, authn.Result{})
	return res, nil
}
