package api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/latchkey/latchkey/shared/oauth"
)

// oauthStart is the browser's start of a login with a provider, for an organization or for
// discovery.
func oauthStart(discovery bool) func(*Server, *http.Request) (string, error) {
	return func(s *Server, r *http.Request) (string, error) {
		q := r.URL.Query()
		setOrg(r, q.Get("organization_id"))
		params := url.Values{}
		for k, v := range q {
			if name, ok := strings.CutPrefix(k, "provider_"); ok && name != "" && len(params) < 10 {
				params[name] = v
			}
		}
		return s.OAuth.Start(r.Context(), oauth.StartRequest{Provider: r.PathValue("provider"), Discovery: discovery,
			PublicToken: q.Get("public_token"), OrganizationID: q.Get("organization_id"), Slug: q.Get("slug"),
			LoginRedirectURL: q.Get("login_redirect_url"), SignupRedirectURL: q.Get("signup_redirect_url"),
			DiscoveryRedirect: q.Get("discovery_redirect_url"), CustomScopes: q.Get("custom_scopes"),
			PKCECodeChallenge: q.Get("pkce_code_challenge"), ProviderParams: params})
	}
}

func (s *Server) oauthCallback(r *http.Request) (string, error) {
	q := r.URL.Query()
	return s.OAuth.Callback(r.Context(), r.PathValue("provider"), q.Get("code"), q.Get("state"), q.Get("error"))
}

type providerValues struct {
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token"`
	IDToken      string   `json:"id_token"`
	ExpiresAt    string   `json:"expires_at,omitempty"`
	Scopes       []string `json:"scopes"`
}

type oauthAuthenticateResponse struct {
	*authenticateResponse
	ProviderSubject string          `json:"provider_subject"`
	ProviderType    string          `json:"provider_type"`
	ProviderValues  *providerValues `json:"provider_values"`
}

func (s *Server) oauthAuthenticate(r *http.Request) (stamper, error) {
	var req oauth.AuthenticateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	res, err := s.OAuth.Authenticate(r.Context(), req)
	if err != nil {
		return nil, err
	}
	setOrg(r, res.Organization.OrganizationID)
	out := &oauthAuthenticateResponse{authenticateResponse: s.primaryBody(r, res.Result), ProviderSubject: res.ProviderSubject,
		ProviderType: res.ProviderType}
	if v := res.Values; v != nil && res.MemberAuthenticated {
		out.ProviderValues = &providerValues{AccessToken: v.AccessToken, RefreshToken: v.RefreshToken, IDToken: v.IDToken, Scopes: v.Scopes}
		if !v.ExpiresAt.IsZero() {
			out.ProviderValues.ExpiresAt = v.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		if out.ProviderValues.Scopes == nil {
			out.ProviderValues.Scopes = []string{}
		}
	}
	return out, nil
}

type oauthDiscoveryResponse struct {
	*discoveryAuthenticateResponse
	ProviderType      string   `json:"provider_type"`
	ProviderTenantID  string   `json:"provider_tenant_id"`
	ProviderTenantIDs []string `json:"provider_tenant_ids"`
	FullName          string   `json:"full_name"`
}

func (s *Server) oauthDiscoveryAuthenticate(r *http.Request) (stamper, error) {
	var req oauth.DiscoveryAuthenticateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	d, err := s.OAuth.DiscoveryAuthenticate(r.Context(), req)
	body, err := discoveryBody(d.Discovered, err)
	if err != nil {
		return nil, err
	}
	out := &oauthDiscoveryResponse{discoveryAuthenticateResponse: body.(*discoveryAuthenticateResponse), ProviderType: d.ProviderType,
		ProviderTenantID: d.TenantID, ProviderTenantIDs: []string{}, FullName: d.FullName}
	if d.TenantID != "" {
		out.ProviderTenantIDs = []string{d.TenantID}
	}
	return out, nil
}

type oauthProviderResponse struct {
	envelope
	ProviderType         string   `json:"provider_type"`
	ProviderSubject      string   `json:"provider_subject"`
	IDToken              string   `json:"id_token"`
	AccessToken          string   `json:"access_token"`
	AccessTokenExpiresIn int      `json:"access_token_expires_in"`
	RefreshToken         string   `json:"refresh_token"`
	Scopes               []string `json:"scopes"`
}

func (s *Server) memberOAuthProvider(r *http.Request) (stamper, error) {
	org := r.PathValue("organization_id")
	setOrg(r, org)
	t, err := s.OAuth.MemberTokens(r.Context(), org, r.PathValue("member_id"), r.PathValue("provider"),
		r.URL.Query().Get("include_refresh_token") == "true")
	if err != nil {
		return nil, err
	}
	return &oauthProviderResponse{ProviderType: t.ProviderType, ProviderSubject: t.ProviderSubject, IDToken: t.IDToken,
		AccessToken: t.AccessToken, AccessTokenExpiresIn: t.AccessTokenExpiresIn, RefreshToken: t.RefreshToken, Scopes: t.Scopes}, nil
}
