package latchkey

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Member statuses, as Stytch spells them.
const (
	StatusActive  = "active"
	StatusInvited = "invited"
	StatusPending = "pending"
	StatusDeleted = "deleted"
)

// Built-in roles. stytch_member is held by every member implicitly and cannot be assigned.
const (
	RoleMember = "stytch_member"
	RoleAdmin  = "stytch_admin"
)

// Member is one person's account inside one organization. JSON keys are Stytch's Member object.
type Member struct {
	OrganizationID         string              `json:"organization_id"`
	MemberID               string              `json:"member_id"`
	EmailAddress           string              `json:"email_address"`
	Status                 string              `json:"status"`
	Name                   string              `json:"name"`
	EmailAddressVerified   bool                `json:"email_address_verified"`
	IsBreakglass           bool                `json:"is_breakglass"`
	IsAdmin                bool                `json:"is_admin" dynamo:"-"`
	IsLocked               bool                `json:"is_locked"`
	MFAEnrolled            bool                `json:"mfa_enrolled"`
	MFAPhoneNumber         string              `json:"mfa_phone_number"`
	MFAPhoneNumberVerified bool                `json:"mfa_phone_number_verified"`
	DefaultMFAMethod       string              `json:"default_mfa_method"`
	TOTPRegistrationID     string              `json:"totp_registration_id"`
	MemberPasswordID       string              `json:"member_password_id"`
	Roles                  []MemberRole        `json:"roles" dynamo:"-"`
	TrustedMetadata        map[string]any      `json:"trusted_metadata"`
	UntrustedMetadata      map[string]any      `json:"untrusted_metadata"`
	ExternalID             string              `json:"external_id"`
	SSORegistrations       []SSORegistration   `json:"sso_registrations" dynamo:",omitempty"`
	OAuthRegistrations     []OAuthRegistration `json:"oauth_registrations" dynamo:",omitempty"`
	RetiredEmailAddresses  []RetiredEmail      `json:"retired_email_addresses"`
	SCIMRegistration       *SCIMRegistration   `json:"scim_registration"`
	CreatedAt              time.Time           `json:"created_at"`
	UpdatedAt              time.Time           `json:"updated_at"`

	// DirectRoles are the roles assigned to the member explicitly; Roles, which the API returns,
	// adds the implicit ones and names where each came from.
	DirectRoles []string `json:"-"`
	// SCIMGroupIDs are the SCIM groups (of the organization's SCIM connection) the member is in;
	// with the connection's scim_group_implicit_role_assignments they give it roles. Kept on the
	// member, a string set, so presenting a member never needs another read.
	SCIMGroupIDs []string `json:"-" dynamo:",set"`
	// TokensValidAfter ends every emailed token issued to the member up to that moment: set
	// when the member is deleted or its email changes, so a link sent before is dead after.
	TokensValidAfter time.Time `json:"-" dynamo:",omitempty"`
	// SessionsValidAfter ends every session of the member started before it: set by a
	// password reset in the transaction that writes the new password, so no session outlives
	// the reset, whatever happens after the commit.
	SessionsValidAfter time.Time `json:"-" dynamo:",omitempty"`
	Version            int       `json:"-"`
}

type SCIMRegistration struct {
	ConnectionID   string         `json:"connection_id"`
	RegistrationID string         `json:"registration_id"`
	ExternalID     string         `json:"external_id"`
	SCIMAttributes map[string]any `json:"scim_attributes"`
}

type MemberRole struct {
	RoleID  string             `json:"role_id"`
	Sources []MemberRoleSource `json:"sources"`
}

type MemberRoleSource struct {
	Type    string         `json:"type"`
	Details map[string]any `json:"details"`
}

// Presented returns the member as the API shows it within org: effective roles with their
// sources (direct, email-domain or SCIM-group assignment), is_admin, and [] rather than null.
func (m Member) Presented(org Organization) Member {
	byRole := map[string][]MemberRoleSource{}
	var order []string
	add := func(role string, src MemberRoleSource) {
		if _, ok := byRole[role]; !ok {
			order = append(order, role)
		}
		byRole[role] = append(byRole[role], src)
	}
	add(RoleMember, MemberRoleSource{Type: "direct_assignment", Details: map[string]any{}})
	for _, r := range m.DirectRoles {
		add(r, MemberRoleSource{Type: "direct_assignment", Details: map[string]any{}})
	}
	domain := EmailDomain(m.EmailAddress)
	for _, a := range org.RBACEmailImplicitRoleAssignments {
		if a.Domain == domain && m.EmailAddressVerified {
			add(a.RoleID, MemberRoleSource{Type: "email_assignment", Details: map[string]any{"email_domain": domain}})
		}
	}
	org.ssoRoles(m, add)
	if c := org.SCIMActiveConnection; c != nil {
		for _, a := range c.GroupRoles {
			if slices.Contains(m.SCIMGroupIDs, a.GroupID) {
				add(a.RoleID, MemberRoleSource{Type: "scim_connection_group",
					Details: map[string]any{"connection_id": c.ConnectionID, "group_id": a.GroupID}})
			}
		}
	}
	m.Roles = make([]MemberRole, 0, len(order))
	for _, r := range order {
		m.Roles = append(m.Roles, MemberRole{RoleID: r, Sources: byRole[r]})
	}
	m.IsAdmin = slices.Contains(order, RoleAdmin)
	if m.TrustedMetadata == nil {
		m.TrustedMetadata = map[string]any{}
	}
	if m.UntrustedMetadata == nil {
		m.UntrustedMetadata = map[string]any{}
	}
	if m.SSORegistrations == nil {
		m.SSORegistrations = []SSORegistration{}
	}
	m.SSORegistrations = slices.Clone(m.SSORegistrations)
	for i, r := range m.SSORegistrations {
		if r.SSOAttributes == nil {
			m.SSORegistrations[i].SSOAttributes = map[string]any{}
		}
	}
	if m.OAuthRegistrations == nil {
		m.OAuthRegistrations = []OAuthRegistration{}
	}
	if m.RetiredEmailAddresses == nil {
		m.RetiredEmailAddresses = []RetiredEmail{}
	}
	return m
}

// MemberPatch is the body of Members.Create and Members.Update; nil means absent.
type MemberPatch struct {
	EmailAddress             *string         `json:"email_address"`
	Name                     *string         `json:"name"`
	TrustedMetadata          *map[string]any `json:"trusted_metadata"`
	UntrustedMetadata        *map[string]any `json:"untrusted_metadata"`
	IsBreakglass             *bool           `json:"is_breakglass"`
	MFAPhoneNumber           *string         `json:"mfa_phone_number"`
	MFAEnrolled              *bool           `json:"mfa_enrolled"`
	Roles                    *[]string       `json:"roles"`
	ExternalID               *string         `json:"external_id"`
	DefaultMFAMethod         *string         `json:"default_mfa_method"`
	CreateMemberAsPending    bool            `json:"create_member_as_pending"`
	PreserveExistingSessions bool            `json:"preserve_existing_sessions"`
	UnlinkEmail              bool            `json:"unlink_email"`
}

// Apply sets the patch's present fields on m, normalising the email. It returns an error only
// for an email that cannot be normalised; Validate checks the rest.
func (p MemberPatch) Apply(m Member) (Member, error) {
	if p.EmailAddress != nil {
		e, err := NormalizeEmail(*p.EmailAddress)
		if err != nil {
			return m, err
		}
		// What a new address means (unverified, the old one retired) is settled by Settle,
		// which needs the member as it was.
		m.EmailAddress = e
	}
	set(&m.Name, trimmed(p.Name))
	set(&m.TrustedMetadata, p.TrustedMetadata)
	set(&m.UntrustedMetadata, p.UntrustedMetadata)
	set(&m.IsBreakglass, p.IsBreakglass)
	if n := trimmed(p.MFAPhoneNumber); n != nil && *n != m.MFAPhoneNumber {
		// A new number is not verified, whatever the old one was.
		m.MFAPhoneNumber, m.MFAPhoneNumberVerified = *n, false
	}
	set(&m.MFAEnrolled, p.MFAEnrolled)
	set(&m.ExternalID, trimmed(p.ExternalID))
	set(&m.DefaultMFAMethod, p.DefaultMFAMethod)
	if p.Roles != nil {
		m.DirectRoles = nil
		for _, r := range *p.Roles {
			if r = strings.TrimSpace(r); !slices.Contains(m.DirectRoles, r) {
				m.DirectRoles = append(m.DirectRoles, r)
			}
		}
	}
	return m, nil
}

// Validate checks a member's fields after a patch.
func (m Member) Validate() error {
	if _, err := NormalizeEmail(m.EmailAddress); err != nil {
		return err
	}
	switch {
	case len(m.Name) > MaxNameLength:
		return BadRequest("invalid_name", "name must be at most %d characters.", MaxNameLength)
	case !ValidName(m.Name):
		return BadRequest("invalid_name", "name may not contain control or invisible characters.")
	case len(m.ExternalID) > MaxExternalIDLength:
		return BadRequest("invalid_external_id", "external_id must be at most %d characters.", MaxExternalIDLength)
	case len(m.MFAPhoneNumber) > 32:
		return BadRequest("invalid_phone_number", "mfa_phone_number is not a valid phone number.")
	case m.DefaultMFAMethod != "" && !slices.Contains(mfaMethodValues, m.DefaultMFAMethod):
		return BadRequest("invalid_mfa_default_method", "default_mfa_method must be one of %s.", strings.Join(mfaMethodValues, ", "))
	case len(m.DirectRoles) > MaxListLength:
		return BadRequest("too_many_roles", "A member may have at most %d roles.", MaxListLength)
	}
	for _, r := range m.DirectRoles {
		if r == RoleMember {
			return BadRequest("invalid_rbac_stytch_role_edit", "stytch_member is held by every member and cannot be assigned.")
		}
		if !roleIDPattern.MatchString(r) {
			return BadRequest("invalid_rbac_role_id", "%q is not a valid role_id.", r)
		}
	}
	if err := ValidateMetadata("trusted_metadata", m.TrustedMetadata); err != nil {
		return err
	}
	return ValidateMetadata("untrusted_metadata", m.UntrustedMetadata)
}

// NewMember builds a member of org from a create request.
func NewMember(id, orgID string, p MemberPatch, now time.Time) (Member, error) {
	if p.EmailAddress == nil {
		return Member{}, Errorf(http.StatusBadRequest, "invalid_email", "email_address is required.")
	}
	m := Member{OrganizationID: orgID, MemberID: id, Status: StatusActive, CreatedAt: now, UpdatedAt: now}
	if p.CreateMemberAsPending {
		m.Status = StatusPending
	}
	m, err := p.Apply(m)
	if err != nil {
		return m, err
	}
	return m, m.Validate()
}
