package latchkey

import (
	"net/http"
	"slices"
	"time"
)

// Organization policy decisions. They are pure functions of the organization's settings and
// the person's email or session factors, used alike by login, invites, discovery and session
// exchange, so every path enforces the same rules.

// Authentication methods, as Stytch names them in allowed_auth_methods.
const (
	MethodMagicLink = "magic_link"
	MethodEmailOTP  = "email_otp"
	MethodPassword  = "password"
)

// CheckAuthMethod allows method unless the organization restricts methods and leaves it out.
// Breakglass members may always log in, so an admin locked out by a policy change can recover.
func (o Organization) CheckAuthMethod(method string, m *Member) error {
	if o.AuthMethods != Restricted || slices.Contains(o.AllowedAuthMethods, method) || m != nil && m.IsBreakglass {
		return nil
	}
	return Errorf(http.StatusBadRequest, "operation_restricted_by_organization_auth_methods",
		"This organization does not allow logging in with %s.", method)
}

// CheckEmailJIT decides whether a person with this verified email may become a new member by
// logging in, with no invite.
func (o Organization) CheckEmailJIT(email string) error {
	switch {
	case o.EmailJITProvisioning != Restricted:
		return Errorf(http.StatusBadRequest, "email_jit_provisioning_not_allowed",
			"This organization does not allow new members to sign up by email; ask an admin for an invite.")
	case !o.AllowsEmailDomain(email):
		return Errorf(http.StatusBadRequest, "invalid_email_for_jit_provisioning",
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
		return Errorf(http.StatusBadRequest, "invalid_email_for_invites",
			"This organization only allows invites to its allowed email domains.")
	}
	return Errorf(http.StatusBadRequest, "invalid_email_for_invites", "This organization does not allow email invites.")
}

// MFA methods, as Stytch names them in allowed_mfa_methods and default_mfa_method.
const (
	MFAMethodSMS  = "sms_otp"
	MFAMethodTOTP = "totp"
)

// RequiresMFA tells whether the organization demands a second factor the factors lack: for
// everyone under REQUIRED_FOR_ALL, and for members who enrolled (mfa_enrolled) under OPTIONAL.
// A second factor counts only in the organization whose member proved it (it is that
// member's TOTP or phone), and not when its method is restricted away (breakglass members are
// not restricted), except a recovery code, which replaces the member's TOTP.
func (o Organization) RequiresMFA(m *Member, factors []AuthFactor) bool {
	if o.MFAPolicy != MFARequiredAll && (m == nil || !m.MFAEnrolled) {
		return false
	}
	return !slices.ContainsFunc(factors, func(f AuthFactor) bool {
		k, ok := KindOf(f)
		return ok && k.Second() && f.Organization == o.OrganizationID && (k.MFAMethod == "" || o.AllowsMFAMethod(k.MFAMethod, m))
	})
}

// AllowsMFAMethod tells whether member m (nil: any member) may use method as its second
// factor: mfa_methods RESTRICTED limits it to allowed_mfa_methods, except for breakglass
// members, as Stytch documents.
func (o Organization) AllowsMFAMethod(method string, m *Member) bool {
	return o.MFAMethods != Restricted || slices.Contains(o.AllowedMFAMethods, method) || m != nil && m.IsBreakglass
}

// CheckMFAMethod refuses a second factor the organization does not allow the member.
func (o Organization) CheckMFAMethod(method string, m *Member) error {
	if o.AllowsMFAMethod(method, m) {
		return nil
	}
	return Errorf(http.StatusBadRequest, "operation_restricted_by_organization_mfa_methods",
		"This organization does not allow %s as a second factor.", method)
}

// CheckJIT decides whether the person the factors prove (email) may join as a new member.
// Each way in has its own rule: an SSO login is vouched for by its connection
// (sso_jit_provisioning), every other proof of an address by the address's domain
// (email_jit_provisioning). Any factor whose rule allows it is enough; when none does, the
// refusal is the one of the most recent factor.
func (o Organization) CheckJIT(email string, factors []AuthFactor) error {
	var refused error
	var at time.Time
	for _, f := range factors {
		k, ok := KindOf(f)
		if !ok || k.Second() || f.Organization != "" && f.Organization != o.OrganizationID || !provesAddress(f, email) {
			continue
		}
		var err error
		if sso := SSOFactorOf(f); sso != nil {
			err = o.CheckSSOJIT(sso.ProviderID)
		} else if k.ProvesEmail {
			err = o.CheckEmailJIT(email)
		} else {
			continue
		}
		if err == nil {
			return nil
		}
		if refused == nil || !f.LastAuthenticatedAt.Before(at) {
			refused, at = err, f.LastAuthenticatedAt
		}
	}
	if refused == nil {
		return o.CheckEmailJIT(email)
	}
	return refused
}

// provesAddress tells whether f proved email: a rule that admits a person by what a factor
// proved (a domain, a connection, an auth method) must judge the factor that proved the
// person's address, not one that proved another address held in the same intermediate session.
func provesAddress(f AuthFactor, email string) bool {
	return f.EmailFactor != nil && f.EmailFactor.EmailAddress == email
}

// Membership types in discovery, as Stytch names them.
const (
	MembershipActive   = "active_member"
	MembershipPending  = "pending_member"
	MembershipInvited  = "invited_member"
	MembershipEligible = "eligible_to_join_by_email_domain"
)

// Admission is how a person with a verified email and some factors may enter an organization.
type Admission struct {
	Membership      string
	Member          *Member  // nil when they would join by email domain
	PrimaryRequired []string // the organization's allowed methods, when no factor satisfies them
	MFARequired     bool
}

// Authenticated tells whether the factors are enough to start a session right away.
func (a Admission) Authenticated() bool { return len(a.PrimaryRequired) == 0 && !a.MFARequired }

// Admit decides whether and how the person the factors prove (with member m in this
// organization, if any: the member found by the proven email) may enter the organization. It
// refuses when the person has no membership and may not join by domain. The email that decides
// is the one a factor proved, never a member's email_address, which another organization
// could have set to anything. This one decision serves login, discovery, intermediate-session
// exchange and session exchange.
func (o Organization) Admit(m *Member, factors []AuthFactor) (Admission, error) {
	var a Admission
	email, _, proven := ProvenEmailIn(factors, o.OrganizationID)
	if !proven {
		return a, NoProvenEmail()
	}
	if m != nil && m.EmailAddress != email {
		// Callers find m by the proven email; it changed address between the two reads of that
		// lookup. Never admit on another address: the client retries.
		return a, ConcurrentUpdate()
	}
	switch {
	case m != nil && m.Status == StatusActive:
		a.Membership, a.Member = MembershipActive, m
	case m != nil && m.Status == StatusInvited:
		a.Membership, a.Member = MembershipInvited, m
	case m != nil && m.Status == StatusPending:
		a.Membership, a.Member = MembershipPending, m
	default:
		if err := o.CheckJIT(email, factors); err != nil {
			return a, err
		}
		a.Membership = MembershipEligible
	}
	if o.AuthMethods == Restricted && !(m != nil && m.IsBreakglass) {
		ok := slices.ContainsFunc(factors, func(f AuthFactor) bool {
			k, ok := KindOf(f)
			return ok && k.Method != "" && slices.Contains(o.AllowedAuthMethods, k.Method) && (f.Organization == "" || f.Organization == o.OrganizationID) &&
				(!k.ProvesEmail || provesAddress(f, email))
		})
		if !ok {
			a.PrimaryRequired = slices.Clone(o.AllowedAuthMethods)
		}
	}
	a.MFARequired = o.RequiresMFA(m, factors)
	return a, nil
}
