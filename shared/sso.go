package latchkey

import (
	"net/http"
	"slices"
)

// Enterprise SSO in the core model: the factors an SSO login records, the registration it
// leaves on the member, and the organization's rule for provisioning members from it.

// MethodSSO is the allowed_auth_methods value SSO logins satisfy.
const MethodSSO = "sso"

// The SSO factors. Each proves the address its identity provider asserted, but only in the
// organization that owns the connection (AuthFactor.Organization): the provider is configured
// by that organization's admins, who can make it assert any address, so what it says is never
// an identity in another organization.
var (
	FactorSAML = FactorKind{Type: "sso", DeliveryMethod: "sso_saml", Method: MethodSSO, ProvesEmail: true}
	FactorOIDC = FactorKind{Type: "sso", DeliveryMethod: "sso_oidc", Method: MethodSSO, ProvesEmail: true}
)

// SSOFactor is the saml_sso_factor / oidc_sso_factor of an authentication factor: the
// member's registration, its connection and the identity provider's subject.
type SSOFactor struct {
	ID         string `json:"id"`
	ProviderID string `json:"provider_id"`
	ExternalID string `json:"external_id"`
}

// SSOFactorOf is the SSO details of f, nil for other factors.
func SSOFactorOf(f AuthFactor) *SSOFactor {
	if f.SAMLSSOFactor != nil {
		return f.SAMLSSOFactor
	}
	return f.OIDCSSOFactor
}

// SSORegistration is one entry of a member's sso_registrations: the member logged in through
// the connection as the provider's subject ExternalID (a SAML NameID or an OIDC sub).
type SSORegistration struct {
	ConnectionID   string         `json:"connection_id"`
	ExternalID     string         `json:"external_id"`
	RegistrationID string         `json:"registration_id"`
	SSOAttributes  map[string]any `json:"sso_attributes"`
	// Groups are the groups the provider asserted at the last login; with the connection's
	// group role assignments they give the member roles.
	Groups []string `json:"-" dynamo:",omitempty"`
}

// WithSSORegistration returns m with reg recorded: it replaces the member's earlier
// registration with the same connection.
func (m Member) WithSSORegistration(reg SSORegistration) Member {
	regs := slices.DeleteFunc(slices.Clone(m.SSORegistrations), func(r SSORegistration) bool { return r.ConnectionID == reg.ConnectionID })
	m.SSORegistrations = append(regs, reg)
	return m
}

// WithoutSSOConnection drops the member's registration with a deleted connection.
func (m Member) WithoutSSOConnection(connectionID string) Member {
	m.SSORegistrations = slices.DeleteFunc(slices.Clone(m.SSORegistrations), func(r SSORegistration) bool { return r.ConnectionID == connectionID })
	return m
}

// SSOGroupRole is one saml_group_implicit_role_assignments entry: members the provider puts in
// Group hold RoleID.
type SSOGroupRole struct {
	RoleID string `json:"role_id"`
	Group  string `json:"group"`
}

// SSORole is one saml_connection_implicit_role_assignments entry.
type SSORole struct {
	RoleID string `json:"role_id"`
}

// CheckSSOJIT decides whether a person the connection vouches for may become a new member by
// logging in through it (sso_jit_provisioning).
func (o Organization) CheckSSOJIT(connectionID string) error {
	switch {
	case o.SSOJITProvisioning == AllAllowed:
		return nil
	case o.SSOJITProvisioning == Restricted && slices.Contains(o.SSOJITProvisioningAllowedConnections, connectionID):
		return nil
	case o.SSOJITProvisioning == Restricted:
		return Errorf(http.StatusBadRequest, "invalid_connection_for_jit_provisioning",
			"This organization does not provision new members from this SSO connection; ask an admin for an invite.")
	}
	return Errorf(http.StatusBadRequest, "invalid_connection_for_jit_provisioning",
		"This organization does not provision new members by SSO; ask an admin for an invite.")
}

// ActiveSSOConnection finds one of the organization's active SSO connections.
func (o Organization) ActiveSSOConnection(id string) (SSOConnection, bool) {
	i := slices.IndexFunc(o.SSOActiveConnections, func(c SSOConnection) bool { return c.ConnectionID == id })
	if i < 0 {
		return SSOConnection{}, false
	}
	return o.SSOActiveConnections[i], true
}

// ssoRoles are the roles member m holds through its SSO registrations with the
// organization's active connections.
func (o Organization) ssoRoles(m Member, add func(role string, src MemberRoleSource)) {
	for _, reg := range m.SSORegistrations {
		c, ok := o.ActiveSSOConnection(reg.ConnectionID)
		if !ok {
			continue
		}
		for _, r := range c.ConnectionRoles {
			add(r.RoleID, MemberRoleSource{Type: "sso_connection", Details: map[string]any{"connection_id": c.ConnectionID}})
		}
		for _, g := range c.GroupRoles {
			if slices.Contains(reg.Groups, g.Group) {
				add(g.RoleID, MemberRoleSource{Type: "sso_connection_group",
					Details: map[string]any{"connection_id": c.ConnectionID, "group": g.Group}})
			}
		}
	}
}

// CheckSSODefault refuses a patch that names as sso_default_connection_id a connection that is
// not one of the organization's active connections. Only a patch that sets it is checked: a
// default that became inactive since does not block unrelated updates.
func (o Organization) CheckSSODefault(p OrganizationPatch) error {
	if p.SSODefaultConnectionID == nil || *p.SSODefaultConnectionID == "" {
		return nil
	}
	if _, ok := o.ActiveSSOConnection(*p.SSODefaultConnectionID); !ok {
		return BadRequest("invalid_sso_default_connection_id", "sso_default_connection_id must be one of the organization's active SSO connections.")
	}
	return nil
}

// SessionRoles are the roles a session of member m (as presented) holds: all of the member's
// roles, except those it holds only through SSO connections the session did not log in
// through. Stytch grants a connection's roles (and its groups') to sessions that carry a
// factor from that connection, so a member who once used SSO does not keep its roles when
// logging in by email.
func SessionRoles(m Member, factors []AuthFactor) []string {
	through := map[string]bool{}
	for _, f := range factors {
		if sso := SSOFactorOf(f); sso != nil {
			through[sso.ProviderID] = true
		}
	}
	out := make([]string, 0, len(m.Roles))
	for _, r := range m.Roles {
		if slices.ContainsFunc(r.Sources, func(s MemberRoleSource) bool {
			if s.Type != "sso_connection" && s.Type != "sso_connection_group" {
				return true
			}
			id, _ := s.Details["connection_id"].(string)
			return through[id]
		}) {
			out = append(out, r.RoleID)
		}
	}
	return out
}
