package rbac

import "strings"

// Built-in resource ids. Stytch reserves the "stytch." prefix for them.
const (
	ResourceOrganization   = "stytch.organization"
	ResourceMember         = "stytch.member"
	ResourceSSO            = "stytch.sso"
	ResourceSelf           = "stytch.self"
	ResourceSCIM           = "stytch.scim"
	ResourceCustomOrgRoles = "stytch.custom-org-roles"
)

// reservedPrefix starts every built-in resource id; a configured resource may not use it.
const reservedPrefix = "stytch."

// builtinResources are Stytch's, with their actions spelled as Stytch spells them: the
// hyphenated update.info/update.settings forms of stytch-browser's useRbac.ts and of
// stytch-go's per-field comments, not the underscore forms of the older guide. The last
// actions of stytch.member and stytch.self (retired emails, connected apps, self email
// update) are newer than useRbac.ts and come from stytch-browser's @rbac tags. The
// descriptions are those of Stytch's bootstrap data; stytch.custom-org-roles has none there,
// so its description follows the same form.
func builtinResources() []Resource {
	return []Resource{
		{
			ResourceID:  ResourceOrganization,
			Description: "Builtin resource for Stytch organization objects",
			Actions: []string{
				"update.info.name",
				"update.info.slug",
				"update.info.logo-url",
				"update.settings.allowed-auth-methods",
				"update.settings.allowed-mfa-methods",
				"update.settings.email-jit-provisioning",
				"update.settings.email-invites",
				"update.settings.allowed-domains",
				"update.settings.default-sso-connection",
				"update.settings.sso-jit-provisioning",
				"update.settings.mfa-policy",
				"update.settings.implicit-roles",
				"update.settings.oauth-tenant-jit-provisioning",
				"update.settings.allowed-oauth-tenants",
				"delete",
			},
		},
		{
			ResourceID:  ResourceMember,
			Description: "Builtin resource for Stytch member objects",
			Actions: []string{
				"create",
				"update.info.name",
				"update.info.email",
				"update.info.untrusted-metadata",
				"update.info.mfa-phone",
				"update.info.delete.mfa-phone",
				"update.info.delete.mfa-totp",
				"update.info.delete.password",
				"update.settings.is-breakglass",
				"update.settings.mfa-enrolled",
				"update.settings.default-mfa-method",
				"update.settings.roles",
				"search",
				"delete",
				"revoke-sessions",
				"update.info.unlink.retired-email",
				"get.connected-apps",
				"revoke.connected-app",
			},
		},
		{
			ResourceID:  ResourceSSO,
			Description: "Builtin resource for Stytch SSO Connection objects",
			Actions:     []string{"create", "get", "update", "delete"},
		},
		{
			ResourceID:  ResourceSelf,
			Description: "Builtin resource for the logged-in Stytch member object",
			Actions: []string{
				"update.info.name",
				"update.info.untrusted-metadata",
				"update.info.mfa-phone",
				"update.info.delete.mfa-phone",
				"update.info.delete.password",
				"update.info.delete.mfa-totp",
				"update.settings.mfa-enrolled",
				"update.settings.default-mfa-method",
				"delete",
				"revoke-sessions",
				"update.info.unlink.retired-email",
				"get.connected-apps",
				"revoke.connected-app",
				"update.info.email",
			},
		},
		{
			ResourceID:  ResourceSCIM,
			Description: "Builtin resource for Stytch SCIM Connection objects",
			Actions:     []string{"create", "get", "update", "delete"},
		},
		{
			ResourceID:  ResourceCustomOrgRoles,
			Description: "Builtin resource for Stytch custom organization role objects",
			Actions:     []string{"create", "get", "update", "delete"},
		},
	}
}

// defaultRoles are Stytch's two, with its descriptions and default permissions (those of its
// bootstrap data: stytch_admin covers stytch.scim too, though the guide's prose names only the
// organization, member and SSO resources).
func defaultRoles() []Role {
	return []Role{
		{
			RoleID:      RoleMember,
			Description: "Granted to all Members upon creation; grants permissions already implicitly granted to logged in Members via the SDK. Cannot be deleted.",
			Permissions: []Permission{{ResourceID: ResourceSelf, Actions: []string{Wildcard}}},
		},
		{
			RoleID:      RoleAdmin,
			Description: "Granted to Members who create an organization through the Stytch discovery flow. Admins will also have the stytch_member role. Cannot be deleted.",
			Permissions: []Permission{
				{ResourceID: ResourceOrganization, Actions: []string{Wildcard}},
				{ResourceID: ResourceMember, Actions: []string{Wildcard}},
				{ResourceID: ResourceSSO, Actions: []string{Wildcard}},
				{ResourceID: ResourceSCIM, Actions: []string{Wildcard}},
			},
		},
	}
}

// Defaults is the policy of a project that configures none: the built-in resources and the
// two default roles. Each call returns a fresh copy.
func Defaults() Policy {
	return Policy{Roles: defaultRoles(), Resources: builtinResources(), Scopes: []Scope{}}
}

func isBuiltinResource(id string) bool {
	switch id {
	case ResourceOrganization, ResourceMember, ResourceSSO, ResourceSelf, ResourceSCIM, ResourceCustomOrgRoles:
		return true
	}
	return false
}

func isDefaultRole(id string) bool { return id == RoleMember || id == RoleAdmin }

func hasReservedPrefix(id string) bool { return strings.HasPrefix(id, reservedPrefix) }
