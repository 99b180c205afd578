package latchkey

import (
	"context"
	"errors"
)

// Service holds the organization and member rules over a Store.
type Service struct {
	Store Store
	Clock Clock
	IDs   IDs
	// Sessions revokes a deleted member's sessions.
	Sessions *Authn
}

// CreateOrganization creates an organization with Stytch's defaults overlaid by p.
func (s *Service) CreateOrganization(ctx context.Context, p OrganizationPatch) (Organization, error) {
	o := p.Apply(NewOrganization(s.IDs.New("organization"), s.Clock.Now()))
	if err := ValidateOrganization(o); err != nil {
		return o, err
	}
	err := s.Store.CreateOrganization(ctx, o)
	switch conflictOn(err) {
	case "":
	case ConflictSlug:
		return o, slugUsed()
	case ConflictExternalID:
		return o, duplicateOrgExternalID()
	default:
		return o, Internal(err)
	}
	if err != nil {
		return o, err
	}
	o.Version = 1
	return o, nil
}

// Organization finds an organization by id or, when the value is not id-shaped, by slug.
func (s *Service) Organization(ctx context.Context, idOrSlug string) (Organization, error) {
	id := idOrSlug
	if !LooksLike("organization", idOrSlug) {
		var err error
		if id, err = s.Store.OrganizationIDBySlug(ctx, NormalizeSlug(idOrSlug)); err != nil {
			return Organization{}, OrgErr(err)
		}
	}
	o, err := s.Store.Organization(ctx, id)
	return o, OrgErr(err)
}

// UpdateOrganization applies a partial update, retrying if another writer got in between.
func (s *Service) UpdateOrganization(ctx context.Context, id string, p OrganizationPatch) (Organization, error) {
	for attempt := range maxAttempts {
		backoff(ctx, attempt)
		prev, err := s.Store.Organization(ctx, id)
		if err != nil {
			return prev, OrgErr(err)
		}
		next := p.Apply(prev)
		next.UpdatedAt = s.Clock.Now()
		if err := ValidateOrganization(next); err != nil {
			return prev, err
		}
		err = s.Store.ReplaceOrganization(ctx, prev, next)
		switch conflictOn(err) {
		case "":
			if err != nil {
				return prev, err
			}
			next.Version = prev.Version + 1
			return next, nil
		case ConflictVersion:
			continue
		case ConflictSlug:
			return prev, slugUsed()
		case ConflictExternalID:
			return prev, duplicateOrgExternalID()
		default:
			return prev, Internal(err)
		}
	}
	return Organization{}, concurrentUpdate()
}

// DeleteOrganization removes the organization and everything stored under it.
func (s *Service) DeleteOrganization(ctx context.Context, id string) error {
	o, err := s.Store.Organization(ctx, id)
	if err != nil {
		return OrgErr(err)
	}
	return OrgErr(s.Store.DeleteOrganization(ctx, o))
}

// CreateMember adds a member to an organization; the email must be new to it.
func (s *Service) CreateMember(ctx context.Context, orgID string, p MemberPatch) (Member, Organization, error) {
	org, err := s.Store.Organization(ctx, orgID)
	if err != nil {
		return Member{}, org, OrgErr(err)
	}
	m, err := NewMember(s.IDs.New("member"), org.OrganizationID, p, s.Clock.Now())
	if err != nil {
		return m, org, err
	}
	err = s.Store.CreateMember(ctx, m)
	switch conflictOn(err) {
	case "":
	case ConflictEmail:
		return m, org, duplicateEmail()
	case ConflictExternalID:
		return m, org, duplicateMemberExternalID()
	case ConflictOrganization:
		return m, org, OrganizationNotFound()
	default:
		return m, org, Internal(err)
	}
	if err != nil {
		return m, org, err
	}
	m.Version = 1
	return m.Presented(org), org, nil
}

// Member returns a live (not deleted) member of orgID by member id or, if memberID is empty,
// by email.
func (s *Service) Member(ctx context.Context, orgID, memberID, email string) (Member, Organization, error) {
	if memberID == "" {
		if email == "" {
			return Member{}, Organization{}, badRequest(TypeBadRequest, "Either member_id or email_address is required.")
		}
		e, err := NormalizeEmail(email)
		if err != nil {
			return Member{}, Organization{}, err
		}
		if memberID, err = s.Store.MemberIDByEmail(ctx, orgID, e); err != nil {
			return Member{}, Organization{}, MemberLookupErr(ctx, s.Store, orgID, err)
		}
	}
	m, org, err := LiveMember(ctx, s.Store, orgID, memberID)
	return m.Presented(org), org, err
}

// DangerouslyGetMember finds a member by id alone, across organizations.
func (s *Service) DangerouslyGetMember(ctx context.Context, memberID string, includeDeleted bool) (Member, Organization, error) {
	m, err := s.Store.MemberByID(ctx, memberID)
	if errors.Is(err, ErrNotFound) || err == nil && m.Status == StatusDeleted && !includeDeleted {
		return m, Organization{}, MemberNotFound()
	}
	if err != nil {
		return m, Organization{}, err
	}
	org, err := s.Store.Organization(ctx, m.OrganizationID)
	if err != nil {
		return m, org, OrgErr(err)
	}
	return m.Presented(org), org, nil
}

// UpdateMember applies a partial update to a live member.
func (s *Service) UpdateMember(ctx context.Context, orgID, memberID string, p MemberPatch) (Member, Organization, error) {
	return s.changeMember(ctx, orgID, memberID, func(m Member) (Member, error) {
		if m.Status == StatusDeleted {
			return m, MemberNotFound()
		}
		next, err := p.Apply(m)
		if err != nil {
			return m, err
		}
		next = Settle(m, next, p.UnlinkEmail, s.Clock.Now())
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
func (s *Service) UnlinkRetiredEmail(ctx context.Context, orgID, memberID string, r UnlinkRetiredEmailRequest) (Member, Organization, error) {
	return s.changeMember(ctx, orgID, memberID, func(m Member) (Member, error) {
		if m.Status == StatusDeleted {
			return m, MemberNotFound()
		}
		return m.UnlinkRetiredEmail(r.EmailID, r.EmailAddress)
	})
}

// DeleteMember marks a member deleted and frees its email and external id for reuse.
func (s *Service) DeleteMember(ctx context.Context, orgID, memberID string) error {
	_, _, err := s.changeMember(ctx, orgID, memberID, func(m Member) (Member, error) {
		if m.Status == StatusDeleted {
			return m, MemberNotFound()
		}
		next := m
		next.Status = StatusDeleted
		return Settle(m, next, false, s.Clock.Now()), nil
	})
	if err != nil {
		return err
	}
	return s.Sessions.Revoke(ctx, RevokeRequest{MemberID: memberID})
}

// ReactivateMember brings a deleted member back as active, if its email is still free.
func (s *Service) ReactivateMember(ctx context.Context, orgID, memberID string) (Member, Organization, error) {
	return s.changeMember(ctx, orgID, memberID, func(m Member) (Member, error) {
		if m.Status != StatusDeleted {
			return m, badRequest("no_deleted_member_found_for_reactivation", "Only a deleted member can be reactivated.")
		}
		m.Status = StatusActive
		return m, nil
	})
}

func (s *Service) changeMember(ctx context.Context, orgID, memberID string, change func(Member) (Member, error)) (Member, Organization, error) {
	for attempt := range maxAttempts {
		backoff(ctx, attempt)
		prev, org, err := MemberAndOrg(ctx, s.Store, orgID, memberID)
		if err != nil {
			return prev, org, err
		}
		next, err := change(prev)
		if err != nil {
			return prev, org, err
		}
		next.UpdatedAt = s.Clock.Now()
		err = s.Store.ReplaceMember(ctx, prev, next)
		switch conflictOn(err) {
		case "":
			if err != nil {
				return prev, org, err
			}
			next.Version = prev.Version + 1
			return next.Presented(org), org, nil
		case ConflictVersion:
			continue
		case ConflictEmail:
			return prev, org, duplicateEmail()
		case ConflictExternalID:
			return prev, org, duplicateMemberExternalID()
		default:
			return prev, org, Internal(err)
		}
	}
	return Member{}, Organization{}, concurrentUpdate()
}
