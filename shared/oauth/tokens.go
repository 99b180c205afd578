package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
)

// MemberTokens is Members.OAuthProviders.Google / Microsoft: the provider's tokens from the
// member's last login with it.
type MemberTokens struct {
	ProviderType         string
	ProviderSubject      string
	IDToken              string
	AccessToken          string
	AccessTokenExpiresIn int
	RefreshToken         string
	Scopes               []string
	Member               latchkey.Member
	Organization         latchkey.Organization
}

// MemberTokens returns the tokens of the member's last login with provider; the refresh token
// only when asked for.
func (s *Service) MemberTokens(ctx context.Context, orgID, memberID, provider string, withRefresh bool) (MemberTokens, error) {
	var out MemberTokens
	m, org, err := latchkey.MemberAndOrg(ctx, s.Store, orgID, memberID)
	if err == nil && m.Status == latchkey.StatusDeleted {
		err = latchkey.MemberNotFound()
	}
	if err != nil {
		return out, err
	}
	if provider != Google && provider != Microsoft {
		return out, latchkey.Errorf(http.StatusNotFound, "invalid_oauth_provider", "Latchkey supports the OAuth providers google and microsoft, not %q.", provider)
	}
	p, err := s.Store.ProviderTokens(ctx, org.OrganizationID, m.MemberID, provider)
	if errors.Is(err, latchkey.ErrNotFound) {
		return out, latchkey.Errorf(http.StatusNotFound, "oauth_user_registration_not_found",
			"The member has not logged in with %s, so there are no tokens.", providerType(provider))
	}
	if err != nil {
		return out, err
	}
	var v Values
	raw, err := s.Seal.Open(ctx, p.Sealed, binding(org.OrganizationID, provider, p.Subject))
	if err != nil || json.Unmarshal(raw, &v) != nil {
		return out, latchkey.Internal(errors.New("oauth: the member's provider tokens do not open"))
	}
	out = MemberTokens{ProviderType: providerType(provider), ProviderSubject: p.Subject, IDToken: v.IDToken, AccessToken: v.AccessToken,
		Scopes: v.Scopes, Member: m.Presented(org), Organization: org}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	if !v.ExpiresAt.IsZero() {
		out.AccessTokenExpiresIn = max(0, int(v.ExpiresAt.Sub(s.Clock.Now())/time.Second))
	}
	if withRefresh {
		out.RefreshToken = v.RefreshToken
	}
	return out, nil
}
