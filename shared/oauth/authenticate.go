package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/google/uuid"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/secret"
)

// AuthenticateRequest is the body of OAuth.Authenticate.
type AuthenticateRequest struct {
	OAuthToken               string         `json:"oauth_token"`
	SessionToken             string         `json:"session_token"`
	SessionJWT               string         `json:"session_jwt"`
	SessionDurationMinutes   int            `json:"session_duration_minutes"`
	SessionCustomClaims      map[string]any `json:"session_custom_claims"`
	PKCECodeVerifier         string         `json:"pkce_code_verifier"`
	Locale                   string         `json:"locale"`
	IntermediateSessionToken string         `json:"intermediate_session_token"`
	TelemetryID              string         `json:"telemetry_id"`
}

// Result is an OAuth login: the pipeline's result and what the provider said.
type Result struct {
	authn.Result
	ProviderType    string
	ProviderSubject string
	TenantID        string
	FullName        string
	Values          *Values
}

// redeem reads a token of the flow (discovery or not) and checks its PKCE verifier.
func (s *Service) redeem(ctx context.Context, token string, discovery bool, verifier string) (Token, Values, error) {
	if token == "" {
		return Token{}, Values{}, latchkey.BadRequest(latchkey.TypeBadRequest, "The OAuth token is required.")
	}
	t, err := s.Store.OAuthToken(ctx, secret.Hash(token))
	if errors.Is(err, latchkey.ErrNotFound) || err == nil && (t.Discovery != discovery || !s.Clock.Now().Before(t.ExpiresAt)) {
		return t, Values{}, tokenNotFound()
	}
	if err != nil {
		return t, Values{}, err
	}
	if err := authn.CheckPKCE(t.PKCEChallenge, verifier); err != nil {
		return t, Values{}, err
	}
	var v Values
	raw, err := s.Seal.Open(ctx, t.Tokens, binding(t.OrganizationID, t.Provider, t.Subject))
	if err != nil || json.Unmarshal(raw, &v) != nil {
		return t, v, latchkey.Internal(errors.New("oauth: the provider tokens do not open"))
	}
	return t, v, nil
}

// factor is the login's authentication factor; it proves the address when the provider
// verified it.
func (s *Service) factor(t Token) latchkey.AuthFactor {
	kind := latchkey.FactorGoogleOAuth
	if t.Provider == Microsoft {
		kind = latchkey.FactorMicrosoftOAuth
	}
	f := kind.Proved(t.Email, s.Clock.Now())
	detail := &latchkey.OAuthFactor{ID: s.registrationID(t), ProviderSubject: t.Subject}
	if t.Verified {
		detail.EmailID = f.EmailFactor.EmailID
	} else {
		// It proves no address, so it is nothing outside the login it belongs to.
		f.EmailFactor, f.Organization = nil, t.OrganizationID
	}
	if t.Provider == Microsoft {
		f.MicrosoftOAuthFactor = detail
	} else {
		f.GoogleOAuthFactor = detail
	}
	return f
}

// key identifies the person at the provider: Microsoft's subjects are per tenant.
func key(t Token) string {
	if t.Provider == Microsoft {
		return t.TenantID + ":" + t.Subject
	}
	return t.Subject
}

// registrationID names a member's registration with a provider account, derived from it so
// every login of that account names the same registration with no read to find it.
func (s *Service) registrationID(t Token) string {
	return "oauth-user-" + s.IDs.Env + "-" + uuid.NewSHA1(uuid.NameSpaceURL, []byte(t.Provider+"\x00"+key(t))).String()
}

// Authenticate redeems an OAuth token through the one door: the member with the address (the
// same member a magic link or SSO finds), or a new one where the organization lets the
// address's domain join; its oauth_registrations; the oauth factor; MFA. A consumer Google
// account proves no address: its login answers an intermediate session and primary_required.
func (s *Service) Authenticate(ctx context.Context, r AuthenticateRequest) (Result, error) {
	duration, err := authn.SessionOptions(r.SessionDurationMinutes, r.SessionCustomClaims)
	if err != nil {
		return Result{}, err
	}
	t, v, err := s.redeem(ctx, r.OAuthToken, false, r.PKCECodeVerifier)
	if err != nil {
		return Result{}, err
	}
	out := Result{ProviderType: providerType(t.Provider), ProviderSubject: t.Subject, TenantID: t.TenantID, FullName: t.Name, Values: &v}
	f := s.factor(t)
	hash := secret.Hash(r.OAuthToken)
	if !t.Verified {
		org, err := s.Store.Organization(ctx, t.OrganizationID)
		if err != nil {
			return out, latchkey.OrgErr(err)
		}
		out.Result, err = s.Auth.HoldUnproven(ctx, org, []latchkey.AuthFactor{f}, t.Email, hash, tokenNotFound())
		return out, err
	}
	method := latchkey.MethodGoogleOAuth
	if t.Provider == Microsoft {
		method = latchkey.MethodMicrosoftOAuth
	}
	reg := latchkey.OAuthRegistration{ProviderType: providerType(t.Provider), ProviderSubject: t.Subject,
		MemberOAuthRegistrationID: s.registrationID(t), ProfilePictureURL: bounded(t.Picture, latchkey.MaxURLLength),
		Locale: bounded(t.Locale, 32), Key: key(t)}
	at := authn.Attempt{OrganizationID: t.OrganizationID, Factors: []latchkey.AuthFactor{f}, TokenHash: hash, Spent: tokenNotFound(),
		Duration: duration, Claims: r.SessionCustomClaims,
		Check: func(org latchkey.Organization, m *latchkey.Member) error { return org.CheckAuthMethod(method, m) },
		Update: func(m latchkey.Member) latchkey.Member {
			if m.Name == "" && len(t.Name) <= latchkey.MaxNameLength && latchkey.ValidName(t.Name) {
				m.Name = t.Name
			}
			return m.WithOAuthRegistration(reg)
		}}
	if out.Result, err = s.Auth.Continue(ctx, at, r.IntermediateSessionToken, r.SessionToken, r.SessionJWT); err != nil {
		return out, err
	}
	if m := out.Member; m.MemberID != "" {
		// The member's tokens from this login, for Members.OAuthProviders: still sealed to the
		// provider account. A failure here loses no login, only the tokens.
		_ = s.Store.PutProviderTokens(ctx, ProviderTokens{OrganizationID: t.OrganizationID, MemberID: m.MemberID, Provider: t.Provider,
			Subject: t.Subject, Sealed: t.Tokens, UpdatedAt: s.Clock.Now()})
	}
	return out, nil
}

func bounded(s string, n int) string {
	if len(s) > n {
		return ""
	}
	return s
}

// DiscoveryAuthenticateRequest is the body of OAuth.Discovery.Authenticate.
type DiscoveryAuthenticateRequest struct {
	DiscoveryOAuthToken    string         `json:"discovery_oauth_token"`
	SessionToken           string         `json:"session_token"`
	SessionJWT             string         `json:"session_jwt"`
	SessionDurationMinutes int            `json:"session_duration_minutes"`
	SessionCustomClaims    map[string]any `json:"session_custom_claims"`
	PKCECodeVerifier       string         `json:"pkce_code_verifier"`
}

// Discovered is a discovery login: the proven address, its intermediate session, where it may
// go, and what the provider said.
type Discovered struct {
	authn.Discovered
	ProviderType string
	TenantID     string
	FullName     string
}

// DiscoveryAuthenticate redeems a discovery OAuth token: the proven address is kept in an
// intermediate session, with the organizations it may enter.
func (s *Service) DiscoveryAuthenticate(ctx context.Context, r DiscoveryAuthenticateRequest) (Discovered, error) {
	t, _, err := s.redeem(ctx, r.DiscoveryOAuthToken, true, r.PKCECodeVerifier)
	if err != nil {
		return Discovered{}, err
	}
	d, err := s.Auth.Hold(ctx, authn.Attempt{Factors: []latchkey.AuthFactor{s.factor(t)}, TokenHash: secret.Hash(r.DiscoveryOAuthToken),
		Spent: tokenNotFound()})
	return Discovered{Discovered: d, ProviderType: providerType(t.Provider), TenantID: t.TenantID, FullName: strings.TrimSpace(t.Name)}, err
}
