package orgs

import (
	"context"
	"errors"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/rbac"
)

// Service holds the organization and member rules over a Store.
type Service struct {
	Store Store
	Clock latchkey.Clock
	IDs   latchkey.IDs
	// Sessions revokes a deleted member's sessions.
	Sessions *authn.Service
}

// CreateOrganization creates an organization with Stytch's defaults overlaid by p.
func (s *Service) CreateOrganization(ctx context.Context, p latchkey.OrganizationPatch) (latchkey.Organization, error) {
	o := p.Create(s.IDs.New("organization"), s.Clock.Now())
	if err := latchkey.ValidateOrganization(o); err != nil {
		return o, err
	}
	if err := o.CheckSSODefault(p); err != nil {
		return o, err
	}
	err := s.Store.CreateOrganization(ctx, o)
	switch latchkey.ConflictOn(err) {
	case "":
	case latchkey.ConflictSlug:
		return o, latchkey.SlugUsed()
	case latchkey.ConflictExternalID:
		return o, latchkey.DuplicateOrgExternalID()
	default:
		return o, latchkey.Internal(err)
	}
	if err != nil {
		return o, err
	}
	o.Version = 1
	return o, nil
}

// Organization finds an organization by id or, when the value is not id-shaped, by slug or
// external id (OrganizationID).
func (s *Service) Organization(ctx context.Context, ref string) (latchkey.Organization, error) {
	id, err := s.OrganizationID(ctx, ref)
	if err != nil {
		return latchkey.Organization{}, err
	}
	o, err := s.Store.Organization(ctx, id)
	return o, latchkey.OrgErr(err)
}

// OrganizationID resolves what Stytch accepts wherever it takes an organization_id: the id
// itself (returned as it is, with no read), or else the organization's slug or its
// organization_external_id.
//
// Slugs and external ids are unique each on its own, not together, so one organization's
// slug may be another's external id. Such a reference is refused rather than given to either:
// end users choose slugs (discovery creates organizations), so letting either side win would
// let someone create an organization that takes over the calls a backend makes by the other's
// name. The caller then uses the organization_id.
func (s *Service) OrganizationID(ctx context.Context, ref string) (string, error) {
	if ref == "" || latchkey.LooksLike("organization", ref) {
		return ref, nil
	}
	if len(ref) > latchkey.MaxExternalIDLength {
		return "", latchkey.OrganizationNotFound() // longer than any slug or external id
	}
	ids, err := s.Store.OrganizationIDsByRef(ctx, latchkey.NormalizeSlug(ref), ref)
	switch {
	case err != nil && !errors.Is(err, latchkey.ErrNotFound):
		return "", err
	case len(ids) == 0:
		return "", latchkey.OrganizationNotFound()
	case len(ids) > 1:
		return "", latchkey.BadRequest("organization_reference_ambiguous",
			"%q is the slug of one organization and the organization_external_id of another; name the organization by its organization_id.", ref)
	}
	return ids[0], nil
}

// MemberID resolves a member_id the way Stytch does: the id itself (no read), or else the
// external_id of a member of the organization.
func (s *Service) MemberID(ctx context.Context, orgID, ref string) (string, error) {
	if ref == "" || latchkey.LooksLike("member", ref) {
		return ref, nil
	}
	if len(ref) > latchkey.MaxExternalIDLength {
		return "", latchkey.MemberNotFound()
	}
	id, err := s.Store.MemberIDByExternalID(ctx, orgID, ref)
	if errors.Is(err, latchkey.ErrNotFound) {
		return "", latchkey.MemberNotFound()
	}
	return id, err
}

// UpdateOrganization applies a partial update, retrying if another writer got in between.
func (s *Service) UpdateOrganization(ctx context.Context, id string, p latchkey.OrganizationPatch) (latchkey.Organization, error) {
	for attempt := range latchkey.MaxAttempts {
		latchkey.Backoff(ctx, attempt)
		prev, err := s.Store.Organization(ctx, id)
		if err != nil {
			return prev, latchkey.OrgErr(err)
		}
		next := p.Apply(prev)
		next.UpdatedAt = s.Clock.Now()
		if err := latchkey.ValidateOrganization(next); err != nil {
			return prev, err
		}
		if err := next.CheckSSODefault(p); err != nil {
			return prev, err
		}
		err = s.Store.ReplaceOrganization(ctx, prev, next)
		switch latchkey.ConflictOn(err) {
		case "":
			if err != nil {
				return prev, err
			}
			next.Version = prev.Version + 1
			return next, nil
		case latchkey.ConflictVersion:
			continue
		case latchkey.ConflictSlug:
			return prev, latchkey.SlugUsed()
		case latchkey.ConflictExternalID:
			return prev, latchkey.DuplicateOrgExternalID()
		default:
			return prev, latchkey.Internal(err)
		}
	}
	return latchkey.Organization{}, latchkey.ConcurrentUpdate()
}

// DeleteOrganization removes the organization and everything stored under it.
func (s *Service) DeleteOrganization(ctx context.Context, id string) error {
	o, err := s.Store.Organization(ctx, id)
	if err != nil {
		return latchkey.OrgErr(err)
	}
	return latchkey.OrgErr(s.Store.DeleteOrganization(ctx, o))
}

// CreateMember adds a member to an organization; the email must be new to it.
func (s *Service) CreateMember(ctx context.Context, orgID string, p latchkey.MemberPatch) (latchkey.Member, latchkey.Organization, error) {
	org, err := s.Store.Organization(ctx, orgID)
	if err != nil {
		return latchkey.Member{}, org, latchkey.OrgErr(err)
	}
	m, err := latchkey.NewMember(s.IDs.New("member"), org.OrganizationID, p, s.Clock.Now())
	if err != nil {
		return m, org, err
	}
	err = s.Store.CreateMember(ctx, m)
	switch latchkey.ConflictOn(err) {
	case "":
	case latchkey.ConflictEmail:
		return m, org, latchkey.DuplicateEmail()
	case latchkey.ConflictExternalID:
		return m, org, latchkey.DuplicateMemberExternalID()
	case latchkey.ConflictPhone:
		return m, org, latchkey.DuplicatePhoneNumber()
	case latchkey.ConflictOrganization:
		return m, org, latchkey.OrganizationNotFound()
	default:
		return m, org, latchkey.Internal(err)
	}
	if err != nil {
		return m, org, err
	}
	m.Version = 1
	return m.Presented(org), org, nil
}

// Member returns a live (not deleted) member of orgID by member id or, if memberID is empty,
// by email.
func (s *Service) Member(ctx context.Context, orgID, memberID, email string) (latchkey.Member, latchkey.Organization, error) {
	if memberID == "" {
		if email == "" {
			return latchkey.Member{}, latchkey.Organization{}, latchkey.BadRequest(latchkey.TypeBadRequest, "Either member_id or email_address is required.")
		}
		e, err := latchkey.NormalizeEmail(email)
		if err != nil {
			return latchkey.Member{}, latchkey.Organization{}, err
		}
		if memberID, err = s.Store.MemberIDByEmail(ctx, orgID, e); err != nil {
			return latchkey.Member{}, latchkey.Organization{}, latchkey.MemberLookupErr(ctx, s.Store, orgID, err)
		}
	}
	m, org, err := latchkey.LiveMember(ctx, s.Store, orgID, memberID)
	return m.Presented(org), org, err
}

// DangerouslyGetMember finds a member by id alone, across organizations.
func (s *Service) DangerouslyGetMember(ctx context.Context, memberID string, includeDeleted bool) (latchkey.Member, latchkey.Organization, error) {
	m, err := s.Store.MemberByID(ctx, memberID)
	if errors.Is(err, latchkey.ErrNotFound) || err == nil && m.Status == latchkey.StatusDeleted && !includeDeleted {
		return m, latchkey.Organization{}, latchkey.MemberNotFound()
	}
	if err != nil {
		return m, latchkey.Organization{}, err
	}
	org, err := s.Store.Organization(ctx, m.OrganizationID)
	if err != nil {
		return m, org, latchkey.OrgErr(err)
	}
	return m.Presented(org), org, nil
}

// UpdateMember applies a partial update to a live member.
func (s *Service) UpdateMember(ctx context.Context, orgID, memberID string, p latchkey.MemberPatch) (latchkey.Member, latchkey.Organization, error) {
	return s.changeMember(ctx, orgID, memberID, func(m latchkey.Member) (latchkey.Member, error) {
		if m.Status == latchkey.StatusDeleted {
			return m, latchkey.MemberNotFound()
		}
		next, err := p.Apply(m)
		if err != nil {
			return m, err
		}
		next = latchkey.Settle(m, next, p.UnlinkEmail, s.Clock.Now())
		return next, next.Validate()
	})
}

// UnlinkRetiredEmailRequest is the body of Members.UnlinkRetiredEmail.
type UnlinkRetiredEmailRequest struct {
	EmailID      string `json:"email_id"`
	EmailAddress string `json:"email_address"`
}

// UnlinkRetiredEmail releases one of a member's retired addresses, so another member of the
// organization may use it.
func (s *Service) UnlinkRetiredEmail(ctx context.Context, orgID, memberID string, r UnlinkRetiredEmailRequest) (latchkey.Member, latchkey.Organization, error) {
	return s.changeMember(ctx, orgID, memberID, func(m latchkey.Member) (latchkey.Member, error) {
		if m.Status == latchkey.StatusDeleted {
			return m, latchkey.MemberNotFound()
		}
		return m.UnlinkRetiredEmail(r.EmailID, r.EmailAddress)
	})
}

// DeleteMember marks a member deleted and frees its email and external id for reuse.
func (s *Service) DeleteMember(ctx context.Context, orgID, memberID string) error {
	_, _, err := s.changeMember(ctx, orgID, memberID, func(m latchkey.Member) (latchkey.Member, error) {
		if m.Status == latchkey.StatusDeleted {
			return m, latchkey.MemberNotFound()
		}
		next := m
		next.Status = latchkey.StatusDeleted
		return latchkey.Settle(m, next, false, s.Clock.Now()), nil
	})
	if err != nil {
		return err
	}
	return s.Sessions.Revoke(ctx, authn.RevokeRequest{MemberID: memberID})
}

// ReactivateMember brings a deleted member back as active, as Stytch does: only a member whose
// email was verified (an unverified address proves nobody, and coming back would hand the
// account to whoever typed it), and only if no other member has taken the address meanwhile.
func (s *Service) ReactivateMember(ctx context.Context, orgID, memberID string) (latchkey.Member, latchkey.Organization, error) {
	m, org, err := s.changeMember(ctx, orgID, memberID, func(m latchkey.Member) (latchkey.Member, error) {
		if m.Status != latchkey.StatusDeleted {
			return m, latchkey.BadRequest("no_deleted_member_found_for_reactivation", "Only a deleted member can be reactivated.")
		}
		if !m.EmailAddressVerified {
			return m, latchkey.BadRequest("email_unverified_for_reactivation",
				"Only a member whose email address was verified can be reactivated.")
		}
		m.Status = latchkey.StatusActive
		return m, nil
	})
	if e, ok := errors.AsType[*latchkey.Error](err); ok && e.Type == latchkey.DuplicateEmail().Type {
		return m, org, latchkey.BadRequest("reactivation_email_belongs_to_another_member",
			"Another member of the organization has this member's email address now.")
	}
	return m, org, err
}

func (s *Service) changeMember(ctx context.Context, orgID, memberID string, change func(latchkey.Member) (latchkey.Member, error)) (latchkey.Member, latchkey.Organization, error) {
	for attempt := range latchkey.MaxAttempts {
		latchkey.Backoff(ctx, attempt)
		prev, org, err := latchkey.MemberAndOrg(ctx, s.Store, orgID, memberID)
		if err != nil {
			return prev, org, err
		}
		next, err := change(prev)
		if err != nil {
			return prev, org, err
		}
		next.UpdatedAt = s.Clock.Now()
		err = s.Store.ReplaceMember(ctx, prev, next)
		switch latchkey.ConflictOn(err) {
		case "":
			if err != nil {
				return prev, org, err
			}
			next.Version = prev.Version + 1
			return next.Presented(org), org, nil
		case latchkey.ConflictVersion:
			continue
		case latchkey.ConflictEmail:
			return prev, org, latchkey.DuplicateEmail()
		case latchkey.ConflictExternalID:
			return prev, org, latchkey.DuplicateMemberExternalID()
		case latchkey.ConflictPhone:
			return prev, org, latchkey.DuplicatePhoneNumber()
		default:
			return prev, org, latchkey.Internal(err)
		}
	}
	return latchkey.Member{}, latchkey.Organization{}, latchkey.ConcurrentUpdate()
}

// SetCustomRoles replaces the organization's own roles (RBAC.Organizations.SetOrgPolicy); the
// caller has validated them against the project's policy.
func (s *Service) SetCustomRoles(ctx context.Context, id string, roles []rbac.Role) (latchkey.Organization, error) {
	for attempt := range latchkey.MaxAttempts {
		latchkey.Backoff(ctx, attempt)
		prev, err := s.Store.Organization(ctx, id)
		if err != nil {
			return prev, latchkey.OrgErr(err)
		}
		next := prev
		next.CustomRoles, next.UpdatedAt = roles, s.Clock.Now()
		switch err := s.Store.ReplaceOrganization(ctx, prev, next); latchkey.ConflictOn(err) {
		case "":
			if err != nil {
				return prev, err
			}
			next.Version = prev.Version + 1
			next.FillEmpty()
			return next, nil
		case latchkey.ConflictVersion:
			continue
		default:
			return prev, latchkey.Internal(err)
		}
	}
	return latchkey.Organization{}, latchkey.ConcurrentUpdate()
}
