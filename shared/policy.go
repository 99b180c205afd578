package latchkey

import (
	"net/http"
	"slices"
)

// Organization policy decisions. They are pure functions of the organization's settings and
// the person's email or session factors, used alike by login, invites, discovery and session
// exchange, so every path enforces the same rules.

// Authentication methods, as Stytch names them in allowed_auth_methods.
const MethodMagicLink = "magic_link"

// CheckAuthMethod allows method unless the organization restricts methods and leaves it out.
// Breakglass members may always log in, so an admin locked out by a policy change can recover.
func (o Organization) CheckAuthMethod(method string, m *Member) error {
	if o.AuthMethods != Restricted || slices.Contains(o.AllowedAuthMethods, method) || m != nil && m.IsBreakglass {
		return nil
	}
	return Errorf(http.StatusForbidden, "operation_restricted_by_organization_auth_methods",
		"This organization does not allow logging in with %s.", method)
}

// CheckEmailJIT decides whether a person with this verified email may become a new member by
// logging in, with no invite.
func (o Organization) CheckEmailJIT(email string) error {
	switch {
	case o.EmailJITProvisioning != Restricted:
		return Errorf(http.StatusForbidden, "email_jit_provisioning_not_allowed",
			"This organization does not allow new members to sign up by email; ask an admin for an invite.")
	case !o.AllowsEmailDomain(email):
		return Errorf(http.StatusForbidden, "invalid_email_for_jit_provisioning",
			"Members with this email domain cannot join this organization by signing up.")
	}
	return nil
}

// CheckInvite decides whether email may be invited into the organization.
func (o Organization) CheckInvite(email string) error {
	switch o.EmailInvites {
	case AllAllowed:
		return nil
	case Restricted:
		if o.AllowsEmailDomain(email) {
			return nil
		}
		return Errorf(http.StatusForbidden, "invalid_email_for_invites",
			"This organization only allows invites to its allowed email domains.")
	}
	return Errorf(http.StatusForbidden, "email_invites_not_allowed", "This organization does not allow email invites.")
}

// RequiresMFA tells whether the organization demands a second factor the session lacks.
// Latchkey has no second factors yet, so a REQUIRED_FOR_ALL organization can only be entered
// through an intermediate session that reports mfa_required.
func (o Organization) RequiresMFA(factors []AuthFactor) bool {
	if o.MFAPolicy != MFARequiredAll {
		return false
	}
	return !slices.ContainsFunc(factors, func(f AuthFactor) bool { return f.Type == "otp" || f.Type == "totp" })
}
