// Package oauth is login with Google and Microsoft: the browser flow through the provider
// (organization and discovery), the redemption of its single-use token through the one door,
// and the provider tokens a member's login leaves (Members.OAuthProviders).
//
// Which logins prove an address follows Stytch: a Google Workspace account (the ID token
// carries hd) does, a consumer Google account does not (its login answers an intermediate
// session and primary_required); a Microsoft work or school account does, by its user
// principal name, and personal Microsoft accounts are refused, as Stytch's B2B product does.
package oauth

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/oidcrp"
	"github.com/latchkey/latchkey/shared/safehttp"
)

// Provider names, as in the routes.
const (
	Google    = "google"
	Microsoft = "microsoft"
)

// Provider is one configured provider (LATCHKEY_OAUTH_<NAME>_CLIENT_ID, _CLIENT_SECRET,
// _ISSUER).
type Provider struct {
	ClientID     string
	ClientSecret string
	Issuer       string
}

// Default issuers.
const (
	GoogleIssuer    = "https://accounts.google.com"
	MicrosoftIssuer = "https://login.microsoftonline.com/common/v2.0"
)

// personalTenant is the tenant of personal Microsoft accounts (Outlook, Xbox, Skype).
const personalTenant = "9188040d-6c67-4c5b-b112-36a304b66dad"

// Service runs OAuth logins.
type Service struct {
	Auth        *authn.Service
	Store       Store
	Clock       latchkey.Clock
	IDs         latchkey.IDs
	Seal        Sealer
	Fetch       safehttp.Policy
	BaseURL     string
	Redirects   authn.Redirects
	PublicToken string
	Providers   map[string]Provider

	once      sync.Once
	discovery *oidcrp.DiscoveryCache
	keys      *oidcrp.KeyCache
	http      *http.Client
}

// Sealer encrypts small secrets bound to a context (see shared/seal).
type Sealer interface {
	Seal(ctx context.Context, plaintext []byte, binding map[string]string) (string, error)
	Open(ctx context.Context, sealed string, binding map[string]string) ([]byte, error)
}

// Store is what OAuth needs persisted, besides what the pipeline needs.
type Store interface {
	authn.Store
	OrganizationIDBySlug(ctx context.Context, slug string) (string, error)
	PutOAuthState(ctx context.Context, st State) error
	OAuthState(ctx context.Context, hash string) (State, error)
	// CompleteOAuthCallback writes the token and consumes the state in one transaction.
	CompleteOAuthCallback(ctx context.Context, stateHash string, t Token, now time.Time) error
	OAuthToken(ctx context.Context, hash string) (Token, error)
	PutProviderTokens(ctx context.Context, p ProviderTokens) error
	ProviderTokens(ctx context.Context, orgID, memberID, provider string) (ProviderTokens, error)
}

// State is a browser flow between the start and the provider's redirect back.
type State struct {
	Hash              string
	Provider          string
	Discovery         bool
	OrganizationID    string
	LoginRedirect     string
	SignupRedirect    string
	DiscoveryRedirect string
	PKCEChallenge     string
	Nonce             string
	Verifier          string
	CreatedAt         time.Time
	ExpiresAt         time.Time
}

// Token is the single-use token the callback hands the application (stytch_token_type oauth or
// discovery_oauth): who the provider says logged in, until Authenticate redeems it.
type Token struct {
	Hash           string
	Provider       string
	Discovery      bool
	OrganizationID string
	Email          string
	// Verified tells whether the provider's login proves Email (see the package comment).
	Verified bool
	Subject  string
	TenantID string // Microsoft's tid, Google's hd
	Name     string
	Picture  string
	Locale   string
	// Tokens are the provider's tokens, sealed (Values).
	Tokens        string
	PKCEChallenge string
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// Values are the provider's tokens, as OAuth.Authenticate's provider_values.
type Values struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	IDToken      string    `json:"id_token"`
	ExpiresAt    time.Time `json:"expires_at"`
	Scopes       []string  `json:"scopes"`
}

// ProviderTokens are a member's tokens from its last login with a provider, sealed.
type ProviderTokens struct {
	OrganizationID string
	MemberID       string
	Provider       string
	Subject        string
	Sealed         string
	UpdatedAt      time.Time
}

// Lifetimes.
const (
	StateLifetime = 10 * time.Minute
	TokenLifetime = 10 * time.Minute
)

// Conflicts an OAuth write can meet.
const ConflictState = "oauth_state"

func (s *Service) init() {
	s.once.Do(func() {
		s.discovery, s.keys, s.http = oidcrp.NewDiscoveryCache(), oidcrp.NewKeyCache(), s.Fetch.Client()
	})
}

// provider finds a configured provider.
func (s *Service) provider(name string) (Provider, error) {
	p, ok := s.Providers[name]
	if name != Google && name != Microsoft {
		return p, latchkey.Errorf(http.StatusNotFound, "invalid_oauth_provider", "Latchkey supports the OAuth providers google and microsoft, not %q.", name)
	}
	if !ok || p.ClientID == "" || p.ClientSecret == "" {
		return p, latchkey.BadRequest("oauth_config_not_found",
			"OAuth with %s is not configured for this project: set LATCHKEY_OAUTH_%s_CLIENT_ID and _CLIENT_SECRET.", name, strings.ToUpper(name))
	}
	return p, nil
}

// client is the relying party for a provider, its endpoints from the issuer's discovery
// document (fetched on first use and cached, so a provider may start after the server).
func (s *Service) client(ctx context.Context, name string, p Provider) (oidcrp.Client, error) {
	s.init()
	issuer := p.Issuer
	if issuer == "" {
		issuer = map[string]string{Google: GoogleIssuer, Microsoft: MicrosoftIssuer}[name]
	}
	ep, err := oidcrp.DiscoverCached(ctx, s.http, issuer, s.discovery)
	if err != nil {
		return oidcrp.Client{}, latchkey.Errorf(http.StatusServiceUnavailable, "oauth_provider_unavailable",
			"The %s sign-in service could not be reached; try again.", name)
	}
	scopes := []string{"openid", "email", "profile"}
	if name == Microsoft {
		scopes = append(scopes, "User.Read")
	}
	return oidcrp.Client{Endpoints: ep, ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: s.CallbackURL(name),
		Scopes: scopes, HTTP: s.http, Keys: s.keys, Now: s.Clock.Now}, nil
}

// CallbackURL is Latchkey's redirect URI at the provider (registered in its console).
func (s *Service) CallbackURL(provider string) string {
	return trimSlash(s.BaseURL) + "/v1/b2b/oauth/callback/" + provider
}

func trimSlash(u string) string { return strings.TrimRight(u, "/") }

// binding ties sealed provider tokens to the organization (none for discovery), the provider
// and the person there, so they open for that login only.
func binding(orgID, provider, subject string) map[string]string {
	return map[string]string{"organization_id": orgID, "provider": provider, "subject": subject, "purpose": "oauth_tokens"}
}

func tokenNotFound() *latchkey.Error {
	return latchkey.Errorf(http.StatusNotFound, "oauth_token_not_found", "The OAuth token could not be found, has expired or was already used.")
}

func providerType(name string) string {
	if name == Microsoft {
		return "Microsoft"
	}
	return "Google"
}
