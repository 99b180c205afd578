// Package rbac is Stytch's B2B role-based access control, as pure logic: the policy document
// (roles, resources, scopes) in Stytch's JSON shape, the built-in stytch.* resources and the
// two default roles, loading and validating a project's configured policy, validating an
// organization's custom roles, and the authorization check itself. It imports only the
// standard library.
package rbac

import (
	"encoding/json"
	"slices"
)

// The default roles. Stytch gives every member RoleMember and cannot take it away, and gives
// RoleAdmin to whoever creates an organization through discovery.
const (
	RoleMember = "stytch_member"
	RoleAdmin  = "stytch_admin"
)

// Wildcard, in a permission's actions, grants every action of the resource.
const Wildcard = "*"

// Permission links a resource to actions on it.
type Permission struct {
	ResourceID string   `json:"resource_id"`
	Actions    []string `json:"actions"`
}

// Role is a named set of permissions.
type Role struct {
	RoleID      string       `json:"role_id"`
	Description string       `json:"description"`
	Permissions []Permission `json:"permissions"`
}

// Resource is something permissions are granted on, with every action it has.
type Resource struct {
	ResourceID  string   `json:"resource_id"`
	Description string   `json:"description"`
	Actions     []string `json:"actions"`
}

// Scope is an OAuth scope (of M2M clients and connected apps) with the permissions it grants.
type Scope struct {
	Scope       string       `json:"scope"`
	Description string       `json:"description"`
	Permissions []Permission `json:"permissions"`
}

// Policy is a project's RBAC policy, as GET /v1/b2b/rbac/policy returns it.
type Policy struct {
	Roles     []Role     `json:"roles"`
	Resources []Resource `json:"resources"`
	Scopes    []Scope    `json:"scopes"`
}

// The MarshalJSON methods write empty lists as [] rather than null: Stytch does, and clients
// in other languages iterate these lists without a null check.

func (p Permission) MarshalJSON() ([]byte, error) {
	type plain Permission
	p.Actions = nonNil(p.Actions)
	return json.Marshal(plain(p))
}

func (r Role) MarshalJSON() ([]byte, error) {
	type plain Role
	r.Permissions = nonNil(r.Permissions)
	return json.Marshal(plain(r))
}

func (r Resource) MarshalJSON() ([]byte, error) {
	type plain Resource
	r.Actions = nonNil(r.Actions)
	return json.Marshal(plain(r))
}

func (s Scope) MarshalJSON() ([]byte, error) {
	type plain Scope
	s.Permissions = nonNil(s.Permissions)
	return json.Marshal(plain(s))
}

func (p Policy) MarshalJSON() ([]byte, error) {
	type plain Policy
	p.Roles = nonNil(p.Roles)
	p.Resources = nonNil(p.Resources)
	p.Scopes = nonNil(p.Scopes)
	return json.Marshal(plain(p))
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Role returns a copy of the project role id, so a caller cannot change the policy through it.
func (p Policy) Role(id string) (Role, bool) {
	for _, r := range p.Roles {
		if r.RoleID == id {
			return cloneRole(r), true
		}
	}
	return Role{}, false
}

// HasRole tells whether id is a project role.
func (p Policy) HasRole(id string) bool {
	_, ok := p.Role(id)
	return ok
}

// Resource returns a copy of the resource id (built-in or configured).
func (p Policy) Resource(id string) (Resource, bool) {
	for _, r := range p.Resources {
		if r.ResourceID == id {
			r.Actions = slices.Clone(r.Actions)
			return r, true
		}
	}
	return Resource{}, false
}

// Authorize returns the roles, of those given, that grant action on resourceID: a role grants
// when, among the project's roles or the organization's own (orgRoles, nil when it has none),
// it has a permission on resourceID whose actions hold "*" or action. This is the check of
// stytch-go's local authorization (shared/rbac_local.go), but it names every granting role, in
// the order of roles and without repeats, as the verdict's granting_roles does. Role ids that
// are in neither policy are ignored, as Stytch ignores a session role its policy has since
// dropped. The caller passes the session's roles, which always include stytch_member. It
// returns nil when no role grants; an empty resource or action is granted by none.
func (p Policy) Authorize(orgRoles []Role, roles []string, resourceID, action string) []string {
	if resourceID == "" || action == "" {
		return nil
	}
	var granting []string
	for _, id := range roles {
		if slices.Contains(granting, id) {
			continue
		}
		if grants(p.Roles, id, resourceID, action) || grants(orgRoles, id, resourceID, action) {
			granting = append(granting, id)
		}
	}
	return granting
}

func grants(roles []Role, id, resourceID, action string) bool {
	for _, r := range roles {
		if r.RoleID != id {
			continue
		}
		for _, perm := range r.Permissions {
			if perm.ResourceID == resourceID &&
				(slices.Contains(perm.Actions, Wildcard) || slices.Contains(perm.Actions, action)) {
				return true
			}
		}
	}
	return false
}

func cloneRole(r Role) Role {
	r.Permissions = clonePermissions(r.Permissions)
	return r
}

func clonePermissions(perms []Permission) []Permission {
	if perms == nil {
		return nil
	}
	out := make([]Permission, len(perms))
	for i, perm := range perms {
		out[i] = Permission{ResourceID: perm.ResourceID, Actions: slices.Clone(perm.Actions)}
	}
	return out
}
