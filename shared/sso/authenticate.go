package sso

import (
	"context"
	"errors"
	"strings"

	"github.com/google/uuid"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/secret"
)

// AuthenticateRequest is the body of SSO.Authenticate.
type AuthenticateRequest struct {
	SSOToken                 string         `json:"sso_token"`
	PKCECodeVerifier         string         `json:"pkce_code_verifier"`
	SessionToken             string         `json:"session_token"`
	SessionJWT               string         `json:"session_jwt"`
	SessionDurationMinutes   int            `json:"session_duration_minutes"`
	SessionCustomClaims      map[string]any `json:"session_custom_claims"`
	Locale                   string         `json:"locale"`
	IntermediateSessionToken string         `json:"intermediate_session_token"`
	TelemetryID              string         `json:"telemetry_id"`
}

// Authenticate redeems an SSO token through the one door: the member with the asserted
// address, or a new one where the organization provisions members from the connection; its
// registration with the connection; the sso factor; then a session, or an intermediate session
// when the organization wants more (MFA, or another primary method). The token is consumed in
// the transaction that writes all of it.
func (s *Service) Authenticate(ctx context.Context, r AuthenticateRequest) (authn.Result, error) {
	var res authn.Result
	if r.SSOToken == "" {
		return res, latchkey.BadRequest(latchkey.TypeBadRequest, "sso_token is required.")
	}
	duration, err := authn.SessionOptions(r.SessionDurationMinutes, r.SessionCustomClaims)
	if err != nil {
		return res, err
	}
	hash := secret.Hash(r.SSOToken)
	t, err := s.Store.SSOToken(ctx, hash)
	now := s.Clock.Now()
	if errors.Is(err, latchkey.ErrNotFound) || err == nil && !now.Before(t.ExpiresAt) {
		return res, tokenNotFound()
	}
	if err != nil {
		return res, err
	}
	if err := authn.CheckPKCE(t.PKCEChallenge, r.PKCECodeVerifier); err != nil {
		return res, err
	}

	kind, regKind := latchkey.FactorSAML, "saml-registration"
	if t.Protocol == OIDC {
		kind, regKind = latchkey.FactorOIDC, "oidc-registration"
	}
	reg := latchkey.SSORegistration{ConnectionID: t.ConnectionID, ExternalID: t.Subject, RegistrationID: registrationID(s.IDs, regKind, t),
		SSOAttributes: t.Attributes, Groups: t.Groups}
	f := kind.ProvedIn(t.Email, t.OrganizationID, now)
	detail := &latchkey.SSOFactor{ID: reg.RegistrationID, ProviderID: t.ConnectionID, ExternalID: t.Subject}
	if t.Protocol == OIDC {
		f.OIDCSSOFactor = detail
	} else {
		f.SAMLSSOFactor = detail
	}
	at := authn.Attempt{OrganizationID: t.OrganizationID, Factors: []latchkey.AuthFactor{f}, TokenHash: hash, Spent: tokenNotFound(),
		Duration: duration, Claims: r.SessionCustomClaims,
		Check: func(org latchkey.Organization, m *latchkey.Member) error {
			if _, ok := org.ActiveSSOConnection(t.ConnectionID); !ok {
				return connectionInactive()
			}
			return org.CheckAuthMethod(latchkey.MethodSSO, m)
		},
		Update: func(m latchkey.Member) latchkey.Member {
			if m.Name == "" {
				m.Name = strings.TrimSpace(t.FirstName + " " + t.LastName)
				if len(m.Name) > latchkey.MaxNameLength || !latchkey.ValidName(m.Name) {
					m.Name = ""
				}
			}
			return m.WithSSORegistration(reg)
		}}

	return s.Auth.Continue(ctx, at, r.IntermediateSessionToken, r.SessionToken, r.SessionJWT)
}

// registrationID names a member's registration with a connection: derived from the connection
// and the provider's subject, so every login of that subject names the same registration with
// no read to find it.
func registrationID(ids latchkey.IDs, kind string, t Token) string {
	u := uuid.NewSHA1(uuid.NameSpaceURL, []byte(t.ConnectionID+"\x00"+t.Subject))
	return kind + "-" + ids.Env + "-" + u.String()
}
