package magiclink

import (
	"context"
	"errors"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/secret"
)

// DiscoverySendRequest is the body of MagicLinks.Email.Discovery.Send.
type DiscoverySendRequest struct {
	EmailAddress               string `json:"email_address"`
	DiscoveryRedirectURL       string `json:"discovery_redirect_url"`
	PKCECodeChallenge          string `json:"pkce_code_challenge"`
	LoginTemplateID            string `json:"login_template_id"`
	Locale                     string `json:"locale"`
	DiscoveryExpirationMinutes int    `json:"discovery_expiration_minutes"`
}

// DiscoverySend emails a discovery link: it proves the address, with no organization chosen.
func (a *Service) DiscoverySend(ctx context.Context, r DiscoverySendRequest) error {
	email, err := latchkey.NormalizeEmail(r.EmailAddress)
	if err != nil {
		return err
	}
	if err := authn.ValidatePKCEChallenge(r.PKCECodeChallenge); err != nil {
		return err
	}
	ttl, err := LinkExpiry("discovery_expiration_minutes", r.DiscoveryExpirationMinutes, DefaultLoginMinutes)
	if err != nil {
		return err
	}
	link, err := a.Redirects.Resolve("discovery_redirect_url", r.DiscoveryRedirectURL)
	if err != nil {
		return err
	}
	if err := a.limit(ctx, "", email); err != nil {
		return err
	}
	now := a.Clock.Now()
	return a.sendToken(ctx, Token{Kind: TokenDiscovery, Email: email, PKCEChallenge: r.PKCECodeChallenge,
		CreatedAt: now, ExpiresAt: now.Add(ttl)}, "", link, "discovery")
}

// DiscoveryResult is a verified email, its intermediate session and where it may go.
type DiscoveryResult = authn.Discovered

// DiscoveryAuthenticateRequest is the body of MagicLinks.Discovery.Authenticate.
type DiscoveryAuthenticateRequest struct {
	DiscoveryMagicLinksToken string `json:"discovery_magic_links_token"`
	PKCECodeVerifier         string `json:"pkce_code_verifier"`
}

// DiscoveryAuthenticate redeems a discovery link for an intermediate session, consuming the
// link and creating the intermediate session in one transaction.
func (a *Service) DiscoveryAuthenticate(ctx context.Context, r DiscoveryAuthenticateRequest) (DiscoveryResult, error) {
	var res DiscoveryResult
	if r.DiscoveryMagicLinksToken == "" {
		return res, latchkey.BadRequest(latchkey.TypeBadRequest, "discovery_magic_links_token is required.")
	}
	hash := secret.Hash(r.DiscoveryMagicLinksToken)
	t, err := a.Store.MagicToken(ctx, hash)
	now := a.Clock.Now()
	if errors.Is(err, latchkey.ErrNotFound) || err == nil && (!now.Before(t.ExpiresAt) || t.Kind != TokenDiscovery) {
		return res, MagicLinkNotFound()
	}
	if err != nil {
		return res, err
	}
	if err := authn.CheckPKCE(t.PKCEChallenge, r.PKCECodeVerifier); err != nil {
		return res, err
	}
	factors := []latchkey.AuthFactor{latchkey.FactorMagicLink.Proved(t.Email, now)}
	return a.Auth.Hold(ctx, authn.Attempt{Factors: factors, TokenHash: hash, Spent: MagicLinkNotFound()})
}
