package authn

import (
	"context"

	latchkey "github.com/latchkey/latchkey/shared"
)

// DiscoveredOrganization is one organization a verified email can enter or join, in Stytch's
// shape.
type DiscoveredOrganization struct {
	MemberAuthenticated bool                  `json:"member_authenticated"`
	Organization        latchkey.Organization `json:"organization"`
	Membership          Membership            `json:"membership"`
	PrimaryRequired     *PrimaryRequired      `json:"primary_required"`
	MFARequired         *MFARequired          `json:"mfa_required"`
}

type Membership struct {
	Type    string           `json:"type"`
	Details map[string]any   `json:"details"`
	Member  *latchkey.Member `json:"member"`
}

type PrimaryRequired struct {
	AllowedAuthMethods []string `json:"allowed_auth_methods"`
}

type MFARequired struct {
	MemberOptions          *MFAMemberOptions `json:"member_options"`
	SecondaryAuthInitiated *string           `json:"secondary_auth_initiated"`
}

type MFAMemberOptions struct {
	MFAPhoneNumber     string `json:"mfa_phone_number"`
	TOTPRegistrationID string `json:"totp_registration_id"`
}

// Requirements renders what an admission still lacks, for API responses.
func Requirements(adm latchkey.Admission, m *latchkey.Member) (*PrimaryRequired, *MFARequired) {
	var p *PrimaryRequired
	var f *MFARequired
	if len(adm.PrimaryRequired) > 0 {
		p = &PrimaryRequired{AllowedAuthMethods: adm.PrimaryRequired}
	}
	if adm.MFARequired {
		f = &MFARequired{MemberOptions: &MFAMemberOptions{}}
		if m != nil {
			f.MemberOptions.MFAPhoneNumber, f.MemberOptions.TOTPRegistrationID = m.MFAPhoneNumber, m.TOTPRegistrationID
		}
	}
	return p, f
}

// Discover lists the organizations the email that factors proved may enter: those where it
// has a live membership (gsi1 by email) and those that let its domain join (the domain
// index), each with what the factors still lack. Three round trips, whatever the table holds.
func (a *Service) Discover(ctx context.Context, email string, factors []latchkey.AuthFactor) ([]DiscoveredOrganization, error) {
	if proven, _, ok := latchkey.ProvenEmail(factors); !ok || proven != email {
		return nil, latchkey.NoProvenEmail()
	}
	members, err := a.Store.MembersByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	byOrg := map[string]*latchkey.Member{}
	ids := []string{}
	for i := range members {
		if members[i].Status != latchkey.StatusDeleted {
			byOrg[members[i].OrganizationID] = &members[i]
			ids = append(ids, members[i].OrganizationID)
		}
	}
	domainOrgs, err := a.Store.OrganizationIDsByDomain(ctx, latchkey.EmailDomain(email))
	if err != nil {
		return nil, err
	}
	for _, id := range domainOrgs {
		if byOrg[id] == nil {
			ids = append(ids, id)
		}
	}
	orgs, err := a.Store.Organizations(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := map[string]latchkey.Organization{}
	for _, o := range orgs {
		byID[o.OrganizationID] = o
	}
	out := []DiscoveredOrganization{}
	for _, id := range ids {
		org, ok := byID[id]
		if !ok {
			continue
		}
		m := byOrg[id]
		adm, err := org.Admit(m, factors)
		if err != nil {
			continue // no membership and not allowed to join
		}
		d := DiscoveredOrganization{MemberAuthenticated: adm.Authenticated(), Organization: org,
			Membership: Membership{Type: adm.Membership, Details: nil}}
		if m != nil {
			pm := m.Presented(org)
			d.Membership.Member = &pm
		} else {
			d.Membership.Details = map[string]any{"domain": latchkey.EmailDomain(email)}
		}
		d.PrimaryRequired, d.MFARequired = Requirements(adm, m)
		out = append(out, d)
	}
	return out, nil
}

// Discovered is a proven email, its intermediate session and where it may go: what every
// discovery authenticate answers.
type Discovered struct {
	IntermediateToken string
	Email             string
	Organizations     []DiscoveredOrganization
}

// Hold runs a discovery attempt (one with no organization) through the door, which keeps the
// proof in an intermediate session, and lists the organizations the email may enter.
func (a *Service) Hold(ctx context.Context, at Attempt) (Discovered, error) {
	email, _, _ := latchkey.ProvenEmail(at.Factors)
	held, err := a.Login(ctx, at)
	if err != nil {
		return Discovered{}, err
	}
	orgs, err := a.Discover(ctx, email, at.Factors)
	return Discovered{IntermediateToken: held.IntermediateToken, Email: email, Organizations: orgs}, err
}
