package discovery

import (
	"context"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/secret"
)

// Discovery lists where a proven email may go and takes it there: intermediate-session
// exchange and organization creation, both through the pipeline.
type Service struct {
	Auth  *authn.Service
	Clock latchkey.Clock
	IDs   latchkey.IDs
}

// ListRequest is the body of Discovery.Organizations.List.
type ListRequest struct {
	IntermediateSessionToken string `json:"intermediate_session_token"`
	SessionToken             string `json:"session_token"`
	SessionJWT               string `json:"session_jwt"`
}

// List is where a person may go, and the organization their intermediate session is
// tied to, if any (an MFA step or an exchange that needs more factors).
type List struct {
	Email         string
	Organizations []authn.DiscoveredOrganization
	Hint          string
}

// DiscoveredOrganizations lists where the holder of an intermediate session or a session may go.
func (a *Service) DiscoveredOrganizations(ctx context.Context, r ListRequest) (List, error) {
	var out List
	var factors []latchkey.AuthFactor
	switch {
	case r.IntermediateSessionToken != "":
		ist, err := a.Auth.Intermediate(ctx, r.IntermediateSessionToken)
		if err != nil {
			return out, err
		}
		out.Email, out.Hint, factors = ist.Email, ist.OrganizationID, ist.Factors
	case r.SessionToken != "" || r.SessionJWT != "":
		s, _, _, err := a.Auth.Lookup(ctx, r.SessionToken, r.SessionJWT)
		if err != nil {
			return out, err
		}
		// The session's proven email, not its member's current address: an organization
		// that renames its member to someone else's address must not list their memberships.
		email, _, ok := latchkey.ProvenEmail(s.AuthenticationFactors)
		if !ok {
			return out, latchkey.NoProvenEmail()
		}
		out.Email, factors = email, s.AuthenticationFactors
	default:
		return out, latchkey.BadRequest(latchkey.TypeBadRequest, "One of intermediate_session_token, session_token or session_jwt is required.")
	}
	var err error
	out.Organizations, err = a.Auth.Discover(ctx, out.Email, factors)
	return out, err
}

// CreateRequest is the body of Discovery.Organizations.Create.
type CreateRequest struct {
	latchkey.OrganizationPatch
	IntermediateSessionToken string         `json:"intermediate_session_token"`
	SessionDurationMinutes   int            `json:"session_duration_minutes"`
	SessionCustomClaims      map[string]any `json:"session_custom_claims"`
}

// CreateOrganizationFromDiscovery creates an organization with the intermediate session's
// person as its first member (stytch_admin) and logs them in: one transaction consumes the
// intermediate session and writes the organization, its guards, the member and the session.
func (a *Service) CreateOrganizationFromDiscovery(ctx context.Context, r CreateRequest) (authn.Result, error) {
	ist, err := a.Auth.Intermediate(ctx, r.IntermediateSessionToken)
	if err != nil {
		return authn.Result{}, err
	}
	duration, err := authn.SessionOptions(r.SessionDurationMinutes, r.SessionCustomClaims)
	if err != nil {
		return authn.Result{}, err
	}
	now := a.Clock.Now()
	org := r.OrganizationPatch.Create(a.IDs.New("organization"), now)
	if err := latchkey.ValidateOrganization(org); err != nil {
		return authn.Result{}, err
	}
	org.Version = 1
	return a.Auth.Login(ctx, authn.Attempt{NewOrganization: &org, Factors: ist.Factors,
		IntermediateHash: secret.Hash(r.IntermediateSessionToken), Duration: duration, Claims: r.SessionCustomClaims})
}
