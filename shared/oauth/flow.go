package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/oidcrp"
	"github.com/latchkey/latchkey/shared/secret"
)

// StartRequest is the query of the browser starts: /v1/b2b/public/oauth/{provider}/start and
// …/discovery/start.
type StartRequest struct {
	Provider          string
	Discovery         bool
	PublicToken       string
	OrganizationID    string
	Slug              string
	LoginRedirectURL  string
	SignupRedirectURL string
	DiscoveryRedirect string
	CustomScopes      string
	PKCECodeChallenge string
	// ProviderParams are the provider_* parameters, passed on without the prefix
	// (provider_prompt=consent, provider_login_hint=…).
	ProviderParams url.Values
}

// Start begins a login with a provider and returns where to send the browser.
func (s *Service) Start(ctx context.Context, r StartRequest) (string, error) {
	if err := authn.CheckPublicToken(s.PublicToken, r.PublicToken); err != nil {
		return "", err
	}
	p, err := s.provider(r.Provider)
	if err != nil {
		return "", err
	}
	if err := authn.ValidatePKCEChallenge(r.PKCECodeChallenge); err != nil {
		return "", err
	}
	now := s.Clock.Now()
	token, hash := secret.New()
	st := State{Hash: hash, Provider: r.Provider, Discovery: r.Discovery, PKCEChallenge: r.PKCECodeChallenge, CreatedAt: now, ExpiresAt: now.Add(StateLifetime)}
	if r.Discovery {
		if st.DiscoveryRedirect, err = s.Redirects.ResolveFor("oauth", "discovery", r.DiscoveryRedirect); err != nil {
			return "", err
		}
	} else {
		if st.OrganizationID, err = s.organization(ctx, r.OrganizationID, r.Slug); err != nil {
			return "", err
		}
		if st.LoginRedirect, err = s.Redirects.ResolveFor("oauth", "login", r.LoginRedirectURL); err != nil {
			return "", err
		}
		if st.SignupRedirect, err = s.Redirects.ResolveFor("oauth", "signup", r.SignupRedirectURL); err != nil {
			return "", err
		}
	}
	cl, err := s.client(ctx, r.Provider, p)
	if err != nil {
		return "", err
	}
	for _, sc := range strings.Fields(r.CustomScopes) {
		if len(sc) > 256 || len(cl.Scopes) > 50 {
			return "", latchkey.BadRequest("oauth_invalid_scope_requested", "custom_scopes has too many or too long scopes.")
		}
		cl.Scopes = append(cl.Scopes, sc)
	}
	st.Nonce, _ = secret.New()
	st.Verifier = oidcrp.NewVerifier()
	if err := s.Store.PutOAuthState(ctx, st); err != nil {
		return "", err
	}
	return cl.AuthCodeURL(token, st.Nonce, st.Verifier, r.ProviderParams), nil
}

// organization resolves organization_id or slug (one of them).
func (s *Service) organization(ctx context.Context, id, slug string) (string, error) {
	switch {
	case id != "" && slug != "":
		return "", latchkey.BadRequest("too_many_oauth_organization_locators", "Give organization_id or slug, not both.")
	case id == "" && slug == "":
		return "", latchkey.BadRequest("missing_oauth_organization_locator", "organization_id or slug is required.")
	case id == "":
		var err error
		if id, err = s.Store.OrganizationIDBySlug(ctx, latchkey.NormalizeSlug(slug)); err != nil {
			return "", latchkey.OrgErr(err)
		}
	}
	org, err := s.Store.Organization(ctx, id)
	if err != nil {
		return "", latchkey.OrgErr(err)
	}
	return org.OrganizationID, nil
}

// Callback redeems the provider's authorization code (its redirect back to Latchkey) and
// returns where to send the browser: the application, with a single-use token.
func (s *Service) Callback(ctx context.Context, provider, code, state, providerError string) (string, error) {
	if state == "" {
		return "", latchkey.BadRequest("oauth_invalid_callback_request", "The callback carries no state.")
	}
	st, err := s.Store.OAuthState(ctx, secret.Hash(state))
	if errors.Is(err, latchkey.ErrNotFound) || err == nil && (st.Provider != provider || !s.Clock.Now().Before(st.ExpiresAt)) {
		return "", latchkey.BadRequest("oauth_invalid_state", "This login is unknown, expired or already finished; start it again from the application.")
	}
	if err != nil {
		return "", err
	}
	if providerError != "" {
		return "", latchkey.BadRequest("oauth_auth_code_error", "The provider refused the login: %s.", providerError)
	}
	if code == "" {
		return "", latchkey.BadRequest("oauth_invalid_callback_request", "The callback carries no code.")
	}
	p, err := s.provider(provider)
	if err != nil {
		return "", err
	}
	cl, err := s.client(ctx, provider, p)
	if err != nil {
		return "", err
	}
	id, err := cl.Exchange(ctx, code, st.Verifier, st.Nonce)
	if err != nil {
		var e *oidcrp.Error
		if errors.As(err, &e) && e.Reason == oidcrp.ReasonTokenExchange {
			return "", latchkey.BadRequest("oauth_auth_code_error", "The provider did not accept the authorization code.")
		}
		return "", latchkey.BadRequest("oauth_flow_callback_error", "The provider's answer could not be verified: %v.", err)
	}
	t, err := s.identity(provider, id)
	if err != nil {
		return "", err
	}
	if st.Discovery && !t.Verified {
		return "", latchkey.BadRequest("oauth_unverified_email",
			"This %s account's email address is not verified by the provider, so it cannot be used to discover organizations.", providerType(provider))
	}
	now := s.Clock.Now()
	raw, _ := json.Marshal(Values{AccessToken: id.AccessToken, RefreshToken: id.RefreshToken, IDToken: idTokenFor(provider, id),
		ExpiresAt: id.Expiry, Scopes: id.Scopes})
	if t.Tokens, err = s.Seal.Seal(ctx, raw, binding(st.OrganizationID, provider, t.Subject)); err != nil {
		return "", latchkey.Internal(err)
	}
	token, hash := secret.New()
	t.Hash, t.Discovery, t.OrganizationID, t.PKCEChallenge, t.CreatedAt, t.ExpiresAt = hash, st.Discovery, st.OrganizationID, st.PKCEChallenge, now, now.Add(TokenLifetime)
	to, kind := st.DiscoveryRedirect, "discovery_oauth"
	if !st.Discovery {
		to, kind = st.LoginRedirect, "oauth"
		if _, err := s.Store.MemberIDByEmail(ctx, st.OrganizationID, t.Email); errors.Is(err, latchkey.ErrNotFound) {
			to = st.SignupRedirect
		} else if err != nil {
			return "", err
		}
	}
	switch err := s.Store.CompleteOAuthCallback(ctx, st.Hash, t, now); latchkey.ConflictOn(err) {
	case "":
		if err != nil {
			return "", err
		}
	case ConflictState:
		return "", latchkey.BadRequest("oauth_state_used", "This login was already finished; start it again from the application.")
	default:
		return "", latchkey.ConcurrentUpdate()
	}
	return authn.LinkURL(to, kind, token), nil
}

// idTokenFor is the ID token OAuth.Authenticate returns: Stytch returns Microsoft's only.
func idTokenFor(provider string, id oidcrp.Identity) string {
	if provider == Microsoft {
		return id.IDToken
	}
	return ""
}

// identity is who the provider says logged in, and whether that proves the address.
func (s *Service) identity(provider string, id oidcrp.Identity) (Token, error) {
	t := Token{Provider: provider, Subject: id.Subject, Name: id.Name, Picture: id.Claim("picture"), Locale: id.Claim("locale")}
	if t.Name == "" {
		t.Name = strings.TrimSpace(id.GivenName + " " + id.FamilyName)
	}
	email := id.Email
	switch provider {
	case Google:
		// Stytch counts a Google login as proof of the address only for a Workspace account
		// (the hd claim), whose domain Google verified for the organization that owns it.
		t.TenantID = id.Claim("hd")
		t.Verified = t.TenantID != "" && (id.EmailVerified == nil || *id.EmailVerified)
	case Microsoft:
		t.TenantID = id.TenantID
		if t.TenantID == personalTenant || t.TenantID == "" {
			return t, latchkey.BadRequest("invalid_microsoft_tenant_type",
				"Personal Microsoft accounts cannot sign in here: use a work or school account.")
		}
		// As Stytch, a work or school account is known by its user principal name, an address
		// in one of the tenant's verified domains. Its email claim is whatever a tenant admin
		// typed, and Microsoft says never to authorize on it; it stands in only where Microsoft
		// says the domain's owner was verified (xms_edov).
		switch upn := id.Claim("preferred_username"); {
		case strings.Contains(upn, "@"):
			email = upn
		case id.Claims["xms_edov"] == true && email != "":
		default:
			return t, latchkey.BadRequest("invalid_microsoft_user_principal_name",
				"The Microsoft account has no user principal name that is an email address.")
		}
		t.Verified = true
	}
	norm, err := latchkey.NormalizeEmail(email)
	if err != nil {
		if provider == Microsoft {
			return t, latchkey.BadRequest("invalid_microsoft_user_principal_name", "The Microsoft account has no usable email address or user principal name.")
		}
		return t, latchkey.BadRequest("oauth_token_exchange_google_missing_information", "The Google account gave no usable email address.")
	}
	t.Email = norm
	if t.Subject == "" {
		return t, latchkey.BadRequest("oauth_flow_callback_error", "The provider's ID token has no subject.")
	}
	return t, nil
}
