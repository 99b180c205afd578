package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/rbac"
)

// RBAC: the policy routes, the authorization check of sessions/authenticate, and the
// enforcement of the member session a management call carries (X-Stytch-Member-Session /
// X-Stytch-Member-SessionJWT) against the table in routes_rbac.go.

type policyResponse struct {
	envelope
	Policy rbac.Policy `json:"policy"`
}

type orgPolicy struct {
	Roles []rbac.Role `json:"roles"`
}

type orgPolicyResponse struct {
	envelope
	OrgPolicy orgPolicy `json:"org_policy"`
}

func (s *Server) rbacPolicy(r *http.Request) (stamper, error) {
	return &policyResponse{Policy: s.Policy}, nil
}

func (s *Server) getOrgPolicy(r *http.Request) (stamper, error) {
	id := r.PathValue("organization_id")
	setOrg(r, id)
	org, err := s.Orgs.Store.Organization(r.Context(), id)
	if err != nil {
		return nil, latchkey.OrgErr(err)
	}
	return &orgPolicyResponse{OrgPolicy: orgPolicy{Roles: nonNil(org.CustomRoles)}}, nil
}

func (s *Server) setOrgPolicy(r *http.Request) (stamper, error) {
	var req struct {
		OrgPolicy *orgPolicy `json:"org_policy"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if req.OrgPolicy == nil {
		return nil, latchkey.BadRequest(latchkey.TypeBadRequest, "org_policy is required.")
	}
	if err := s.Policy.ValidateOrgRoles(req.OrgPolicy.Roles); err != nil {
		return nil, rbacErr(err)
	}
	id := r.PathValue("organization_id")
	setOrg(r, id)
	org, err := s.Orgs.SetCustomRoles(r.Context(), id, req.OrgPolicy.Roles)
	if err != nil {
		return nil, err
	}
	return &orgPolicyResponse{OrgPolicy: orgPolicy{Roles: nonNil(org.CustomRoles)}}, nil
}

func nonNil(roles []rbac.Role) []rbac.Role {
	if roles == nil {
		return []rbac.Role{}
	}
	return roles
}

func rbacErr(err error) error {
	var e *rbac.Error
	if errors.As(err, &e) {
		return latchkey.BadRequest("invalid_rbac_custom_role", "%s", e.Error())
	}
	return err
}

// Authorization errors, as Stytch's: the tenancy error is checked first.
func tenancyError() *latchkey.Error {
	return latchkey.Errorf(http.StatusForbidden, "session_authorization_tenancy_error",
		"The member session belongs to another organization than the one this request is for.")
}

func authorizationError(resource, action string) *latchkey.Error {
	return latchkey.Errorf(http.StatusForbidden, "session_authorization_error",
		"The Member is not authorized to perform the requested action on that resource: %s on %s.", action, resource)
}

// verdict is sessions/authenticate's answer to an authorization check.
type verdict struct {
	Authorized    bool     `json:"authorized"`
	GrantingRoles []string `json:"granting_roles"`
}

// check evaluates an authorization check for a session of member m in org.
func (s *Server) check(c *authn.AuthorizationCheck, sess authn.Session, m latchkey.Member, org latchkey.Organization) (*verdict, error) {
	if c.OrganizationID == "" || c.ResourceID == "" || c.Action == "" || latchkey.KeyTooLong(c.ResourceID) || latchkey.KeyTooLong(c.Action) {
		return nil, latchkey.BadRequest("invalid_authorization_check", "authorization_check needs organization_id, resource_id and action.")
	}
	if c.OrganizationID != org.OrganizationID {
		return nil, tenancyError()
	}
	granting := s.Policy.Authorize(org.CustomRoles, latchkey.SessionRoles(m, sess.AuthenticationFactors), c.ResourceID, c.Action)
	if len(granting) == 0 {
		return nil, authorizationError(c.ResourceID, c.Action)
	}
	return &verdict{Authorized: true, GrantingRoles: granting}, nil
}

// Member-session headers: Stytch's SDKs send them when the application passes a member's
// session to a management call, and Stytch then enforces that member's permissions. The
// second arrives canonicalised as X-Stytch-Member-Sessionjwt; Header.Get matches either.
const (
	headerMemberSession    = "X-Stytch-Member-Session"
	headerMemberSessionJWT = "X-Stytch-Member-SessionJWT"
)

func memberSession(r *http.Request) (token, jwt string) {
	return r.Header.Get(headerMemberSession), r.Header.Get(headerMemberSessionJWT)
}

// enforce checks the member session a call carries against what the route requires (its
// guard). The session read brings the member and organization with it, and the policy is in
// memory, so a check costs the session's read alone (and, for a few routes, the read that
// names whom the call acts on).
func (s *Server) enforce(r *http.Request, g guard) error {
	token, jwt := memberSession(r)
	sess, m, org, err := s.Sessions.Lookup(r.Context(), token, jwt)
	if err != nil {
		return err
	}
	var body map[string]json.RawMessage
	var raw []byte
	if r.Body != nil {
		if raw, err = io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody)); err != nil {
			return latchkey.Errorf(http.StatusBadRequest, "request_body_too_large", "The request body must be at most %d bytes.", maxBody)
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		_ = json.Unmarshal(raw, &body) // a malformed body is the handler's to refuse
	}
	t, err := g.target(s, r, raw, m)
	if err != nil {
		return err
	}
	if t.orgs != nil && slices.ContainsFunc(t.orgs, func(id string) bool { return id != org.OrganizationID && id != org.OrganizationSlug }) {
		return tenancyError()
	}
	roles := latchkey.SessionRoles(m, sess.AuthenticationFactors)
	allowed := func(p permission) bool {
		if len(s.Policy.Authorize(org.CustomRoles, roles, p.Resource, p.Action)) > 0 {
			return true
		}
		// A member acting on itself may hold the action on stytch.self instead.
		return p.Self && t.member != "" && t.member == m.MemberID &&
			len(s.Policy.Authorize(org.CustomRoles, roles, resSelf, p.Action)) > 0
	}
	for _, p := range g.required(body) {
		if p.Forbidden {
			return latchkey.Errorf(http.StatusUnauthorized, "cannot_update_trusted_metadata",
				"%s cannot be set by a call made as a member (with a member session); only direct API calls may set it.", p.Field)
		}
		if !allowed(p) {
			return authorizationError(p.Resource, p.Action)
		}
	}
	return nil
}

// roleIDs lists the role ids of some role assignments.
func roleIDs[T any](items []T, id func(T) string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

// checkRoles refuses role assignments (explicit, implicit by email domain, SCIM group or SSO
// connection) naming a role that is neither the project's (the policy) nor the organization's
// own. The organization is read only when a role is not the project's.
func (s *Server) checkRoles(r *http.Request, orgID string, roles []string) error {
	var org *latchkey.Organization
	for _, role := range roles {
		if s.Policy.HasRole(role) || !latchkey.ValidRoleID(role) {
			continue // a malformed role id is the service's to refuse, with its own error
		}
		if org == nil {
			o, err := s.Orgs.Store.Organization(r.Context(), orgID)
			if err != nil {
				return latchkey.OrgErr(err)
			}
			org = &o
		}
		if !slices.ContainsFunc(org.CustomRoles, func(c rbac.Role) bool { return c.RoleID == role }) {
			return latchkey.BadRequest("invalid_rbac_role_assignment",
				"Role %q is not in the project's RBAC policy or the organization's roles.", role)
		}
	}
	return nil
}
