package latchkey

import (
	"context"
	"errors"
)

// Directory is the part of the store every capability reads organizations and members
// through; each capability's own store interface embeds it.
type Directory interface {
	Organization(ctx context.Context, id string) (Organization, error)
	// MemberWithOrganization reads both in one round trip.
	MemberWithOrganization(ctx context.Context, orgID, memberID string) (Member, Organization, error)
	// MemberIDByEmail finds the member whose current address this is.
	MemberIDByEmail(ctx context.Context, orgID, email string) (string, error)
}

// OrgErr turns a store's not-found into organization_not_found.
func OrgErr(err error) error {
	if errors.Is(err, ErrNotFound) {
		return OrganizationNotFound()
	}
	return err
}

// NormalizeSlug is the form slugs are stored and looked up in.
func NormalizeSlug(s string) string {
	n := lowered(&s)
	return *n
}

// ValidateOrganization checks an organization about to be written.
func ValidateOrganization(o Organization) error {
	if err := o.Validate(); err != nil {
		return err
	}
	// An id-shaped slug would make GET /organizations/{id_or_slug} ambiguous.
	if LooksLike("organization", o.OrganizationSlug) {
		return BadRequest("invalid_organization_slug", "organization_slug may not have the shape of an organization_id.")
	}
	return nil
}

// MemberLookupErr distinguishes a missing organization from a missing member, which costs a
// read only on the error path.
func MemberLookupErr(ctx context.Context, d Directory, orgID string, err error) error {
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	if _, oerr := d.Organization(ctx, orgID); errors.Is(oerr, ErrNotFound) {
		return OrganizationNotFound()
	}
	return MemberNotFound()
}

// LiveMember is MemberAndOrg for a member that is not deleted.
func LiveMember(ctx context.Context, d Directory, orgID, memberID string) (Member, Organization, error) {
	m, org, err := MemberAndOrg(ctx, d, orgID, memberID)
	if err == nil && m.Status == StatusDeleted {
		return m, org, MemberNotFound()
	}
	return m, org, err
}

// MemberAndOrg reads a member of an organization with the organization, in one round trip,
// answering organization_not_found or member_not_found.
func MemberAndOrg(ctx context.Context, d Directory, orgID, memberID string) (Member, Organization, error) {
	m, org, err := d.MemberWithOrganization(ctx, orgID, memberID)
	switch {
	case err == nil:
		return m, org, nil
	case errors.Is(err, ErrNotFound) && org.OrganizationID == "":
		return m, org, OrganizationNotFound()
	case errors.Is(err, ErrNotFound):
		return m, org, MemberNotFound()
	}
	return m, org, err
}

// MemberByEmail finds the live member with this email in the organization: two reads when the
// member exists (email guard, then member and organization together), two when not.
func MemberByEmail(ctx context.Context, d Directory, orgID, email string) (Member, Organization, bool, error) {
	id, err := d.MemberIDByEmail(ctx, orgID, email)
	if errors.Is(err, ErrNotFound) {
		org, err := d.Organization(ctx, orgID)
		return Member{}, org, false, OrgErr(err)
	}
	if err != nil {
		return Member{}, Organization{}, false, err
	}
	m, org, err := MemberAndOrg(ctx, d, orgID, id)
	if errors.Is(err, ErrNotFound) || err != nil && AsError(err).Type == TypeMemberMissing {
		return Member{}, org, false, nil
	}
	return m, org, err == nil, err
}
