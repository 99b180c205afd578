package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
)

// The enforcement table: for each management route Stytch documents as RBAC-enforced, what a
// member session passed in X-Stytch-Member-Session(JWT) must be allowed to do (resource and
// action, as Stytch names them on each endpoint's page), whom the call acts on (for the
// stytch.self alternative) and which organization (the tenancy check). Calls with project
// credentials alone are not checked, as in Stytch; routes not listed here ignore the headers,
// as Stytch's do.

// The built-in resources.
const (
	resOrganization = "stytch.organization"
	resMember       = "stytch.member"
	resSelf         = "stytch.self"
	resSSO          = "stytch.sso"
	resSCIM         = "stytch.scim"
)

// permission is one thing a call requires. Self lets a member acting on itself hold Action on
// stytch.self instead; Forbidden marks a field no member session may set (Field names it).
type permission struct {
	Resource, Action string
	Self             bool
	Forbidden        bool
	Field            string
}

// undocumented is the action asked for on fields whose page names none: only a role with
// "*" on the resource (stytch_admin's) holds it, so no member gains a field Stytch has not
// said who may change.
const undocumented = "*"

// guard is a route's entry in the table.
type guard struct {
	// Base is required on every call; Fields add what each body field present requires.
	Base   *permission
	Fields map[string]permission
	// Target says which organization(s) and member the call acts on; nil means the path's
	// organization_id and member_id.
	Target func(s *Server, r *http.Request, body []byte, caller latchkey.Member) (target, error)
}

type target struct {
	orgs   []string // the organizations the call touches; the session must be of each
	member string   // the member acted on, "" when none
}

func (g guard) target(s *Server, r *http.Request, body []byte, caller latchkey.Member) (target, error) {
	if g.Target != nil {
		return g.Target(s, r, body, caller)
	}
	t := target{member: r.PathValue("member_id")}
	if org := r.PathValue("organization_id"); org != "" {
		t.orgs = []string{org}
	}
	return t, nil
}

// required lists what the call needs, given the body fields present. A field counts however
// its name is cased: the handler decodes with encoding/json, which matches names
// case-insensitively (with Unicode folding, as strings.EqualFold does), so a check on the exact
// name alone would let "Roles" through.
func (g guard) required(body map[string]json.RawMessage) []permission {
	var out []permission
	if g.Base != nil {
		out = append(out, *g.Base)
	}
	names := make([]string, 0, len(g.Fields))
	for name := range g.Fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		present := false
		for k, raw := range body {
			present = present || strings.EqualFold(k, name) && string(raw) != "null"
		}
		if present {
			p := g.Fields[name]
			p.Field = name
			out = append(out, p)
		}
	}
	return out
}

func on(resource, action string) *permission { return &permission{Resource: resource, Action: action} }

func onOrSelf(action string) *permission {
	return &permission{Resource: resMember, Action: action, Self: true}
}

var forbidden = permission{Forbidden: true}

// orgSettings maps each Organizations.Update field to the action stytch-go documents for it.
var orgSettings = map[string]permission{
	"organization_name":                        {Resource: resOrganization, Action: "update.info.name"},
	"organization_slug":                        {Resource: resOrganization, Action: "update.info.slug"},
	"organization_logo_url":                    {Resource: resOrganization, Action: "update.info.logo-url"},
	"trusted_metadata":                         forbidden,
	"sso_default_connection_id":                {Resource: resOrganization, Action: "update.settings.default-sso-connection"},
	"sso_jit_provisioning":                     {Resource: resOrganization, Action: "update.settings.sso-jit-provisioning"},
	"sso_jit_provisioning_allowed_connections": {Resource: resOrganization, Action: "update.settings.sso-jit-provisioning"},
	"email_allowed_domains":                    {Resource: resOrganization, Action: "update.settings.allowed-domains"},
	"email_jit_provisioning":                   {Resource: resOrganization, Action: "update.settings.email-jit-provisioning"},
	"email_invites":                            {Resource: resOrganization, Action: "update.settings.email-invites"},
	"auth_methods":                             {Resource: resOrganization, Action: "update.settings.allowed-auth-methods"},
	"allowed_auth_methods":                     {Resource: resOrganization, Action: "update.settings.allowed-auth-methods"},
	"mfa_policy":                               {Resource: resOrganization, Action: "update.settings.mfa-policy"},
	"mfa_methods":                              {Resource: resOrganization, Action: "update.settings.allowed-mfa-methods"},
	"allowed_mfa_methods":                      {Resource: resOrganization, Action: "update.settings.allowed-mfa-methods"},
	"rbac_email_implicit_role_assignments":     {Resource: resOrganization, Action: "update.settings.implicit-roles"},
	"oauth_tenant_jit_provisioning":            {Resource: resOrganization, Action: "update.settings.oauth-tenant-jit-provisioning"},
	"allowed_oauth_tenants":                    {Resource: resOrganization, Action: "update.settings.allowed-oauth-tenants"},
	"organization_external_id":                 {Resource: resOrganization, Action: undocumented},
	"claimed_email_domains":                    {Resource: resOrganization, Action: undocumented},
	"first_party_connected_apps_allowed_type":  {Resource: resOrganization, Action: undocumented},
	"allowed_first_party_connected_apps":       {Resource: resOrganization, Action: undocumented},
	"third_party_connected_apps_allowed_type":  {Resource: resOrganization, Action: undocumented},
	"allowed_third_party_connected_apps":       {Resource: resOrganization, Action: undocumented},
}

// memberFields maps each Members.Update field to its action; Self where a member may change
// its own (members may not change their own roles, breakglass flag or email address).
var memberFields = map[string]permission{
	"name":                       {Resource: resMember, Action: "update.info.name", Self: true},
	"untrusted_metadata":         {Resource: resMember, Action: "update.info.untrusted-metadata", Self: true},
	"trusted_metadata":           forbidden,
	"is_breakglass":              {Resource: resMember, Action: "update.settings.is-breakglass"},
	"mfa_phone_number":           {Resource: resMember, Action: "update.info.mfa-phone", Self: true},
	"mfa_enrolled":               {Resource: resMember, Action: "update.settings.mfa-enrolled", Self: true},
	"roles":                      {Resource: resMember, Action: "update.settings.roles"},
	"default_mfa_method":         {Resource: resMember, Action: "update.settings.default-mfa-method", Self: true},
	"email_address":              {Resource: resMember, Action: "update.info.email"},
	"external_id":                {Resource: resMember, Action: undocumented},
	"unlink_email":               {Resource: resMember, Action: undocumented},
	"preserve_existing_sessions": {Resource: resMember, Action: undocumented},
}

// newMemberFields are the fields of a call that creates a member (Members.Create, invites)
// that need more than stytch.member create: no one escalates by creating an admin.
var newMemberFields = map[string]permission{
	"roles":            {Resource: resMember, Action: "update.settings.roles"},
	"trusted_metadata": forbidden,
	"is_breakglass":    {Resource: resMember, Action: "update.settings.is-breakglass"},
}

// bodyOrg is a call whose organization is the body's organization_id (and, for RequireReset,
// whose member is member_id or the one with email_address).
func bodyOrg(_ *Server, _ *http.Request, body []byte, caller latchkey.Member) (target, error) {
	var b struct {
		OrganizationID  string   `json:"organization_id"`
		OrganizationIDs []string `json:"organization_ids"`
		MemberID        string   `json:"member_id"`
		EmailAddress    string   `json:"email_address"`
	}
	fields(body, &b)
	t := target{orgs: b.OrganizationIDs, member: b.MemberID}
	if b.OrganizationID != "" || len(b.OrganizationIDs) == 0 {
		t.orgs = append(t.orgs, b.OrganizationID)
	}
	if e, err := latchkey.NormalizeEmail(b.EmailAddress); t.member == "" && err == nil && e == caller.EmailAddress {
		t.member = caller.MemberID
	}
	return t, nil
}

// passwordOwner is Members.DeletePassword: the caller acts on itself when the password is its
// own.
func passwordOwner(_ *Server, r *http.Request, _ []byte, caller latchkey.Member) (target, error) {
	t := target{orgs: []string{r.PathValue("organization_id")}}
	if id := r.PathValue("member_password_id"); id != "" && id == caller.MemberPasswordID {
		t.member = caller.MemberID
	}
	return t, nil
}

// revokedSessions is Sessions.Revoke: the member whose sessions end, and its organization.
func revokedSessions(s *Server, r *http.Request, body []byte, _ latchkey.Member) (target, error) {
	var b authn.RevokeRequest
	fields(body, &b)
	orgID, memberID, err := s.Sessions.Owner(r.Context(), b)
	if err != nil {
		return target{}, err
	}
	return target{orgs: []string{orgID}, member: memberID}, nil
}

// fields reads the body into v exactly as the handler will (encoding/json on the same bytes:
// names in any case, the last of repeated fields), so the check judges what the handler
// acts on. What does not fit is ignored: the handler refuses it.
func fields(body []byte, v any) {
	_ = json.Unmarshal(body, v)
}

// enforced is the table, by route ("METHOD path" as in Routes).
var enforced = map[string]guard{
	"PUT /v1/b2b/organizations/{organization_id}":    {Fields: orgSettings},
	"DELETE /v1/b2b/organizations/{organization_id}": {Base: on(resOrganization, "delete")},

	"POST /v1/b2b/organizations/{organization_id}/members":                                  {Base: on(resMember, "create"), Fields: newMemberFields},
	"PUT /v1/b2b/organizations/{organization_id}/members/{member_id}":                       {Fields: memberFields},
	"DELETE /v1/b2b/organizations/{organization_id}/members/{member_id}":                    {Base: onOrSelf("delete")},
	"PUT /v1/b2b/organizations/{organization_id}/members/{member_id}/reactivate":            {Base: on(resMember, "create")},
	"POST /v1/b2b/organizations/{organization_id}/members/{member_id}/unlink_retired_email": {Base: onOrSelf("update.info.unlink.retired-email")},
	"POST /v1/b2b/organizations/{organization_id}/members/{member_id}/start_email_update":   {Base: onOrSelf("update.info.email")},
	"POST /v1/b2b/organizations/members/search":                                             {Base: on(resMember, "search"), Target: bodyOrg},
	"DELETE /v1/b2b/organizations/{organization_id}/members/passwords/{member_password_id}": {Base: onOrSelf("update.info.delete.password"), Target: passwordOwner},
	"DELETE /v1/b2b/organizations/{organization_id}/members/{member_id}/totp":               {Base: onOrSelf("update.info.delete.mfa-totp")},
	"DELETE /v1/b2b/organizations/{organization_id}/members/mfa_phone_numbers/{member_id}":  {Base: onOrSelf("update.info.delete.mfa-phone")},

	"POST /v1/b2b/magic_links/email/invite":      {Base: on(resMember, "create"), Fields: newMemberFields, Target: bodyOrg},
	"POST /v1/b2b/passwords/email/require_reset": {Base: onOrSelf("update.info.delete.password"), Target: bodyOrg},
	"POST /v1/b2b/sessions/revoke":               {Base: onOrSelf("revoke-sessions"), Target: revokedSessions},

	"GET /v1/b2b/sso/{organization_id}":                                                                                {Base: on(resSSO, "get")},
	"DELETE /v1/b2b/sso/{organization_id}/connections/{connection_id}":                                                 {Base: on(resSSO, "delete")},
	"POST /v1/b2b/sso/saml/{organization_id}":                                                                          {Base: on(resSSO, "create")},
	"PUT /v1/b2b/sso/saml/{organization_id}/connections/{connection_id}":                                               {Base: on(resSSO, "update")},
	"PUT /v1/b2b/sso/saml/{organization_id}/connections/{connection_id}/url":                                           {Base: on(resSSO, "update")},
	"POST /v1/b2b/sso/oidc/{organization_id}":                                                                          {Base: on(resSSO, "create")},
	"PUT /v1/b2b/sso/oidc/{organization_id}/connections/{connection_id}":                                               {Base: on(resSSO, "update")},
	"DELETE /v1/b2b/sso/saml/{organization_id}/connections/{connection_id}/verification_certificates/{certificate_id}": {Base: on(resSSO, "update")},
	"DELETE /v1/b2b/sso/saml/{organization_id}/connections/{connection_id}/encryption_private_keys/{private_key_id}":   {Base: on(resSSO, "update")},

	"POST /v1/b2b/scim/{organization_id}/connection": {Base: on(resSCIM, "create")},
	"GET /v1/b2b/scim/{organization_id}/connection":  {Base: on(resSCIM, "get")},
	"PUT /v1/b2b/scim/{organization_id}/connection/{connection_id}": {Base: on(resSCIM, "update"),
		Fields: map[string]permission{"scim_group_implicit_role_assignments": {Resource: resOrganization, Action: "update.settings.implicit-roles"}}},
	"DELETE /v1/b2b/scim/{organization_id}/connection/{connection_id}":               {Base: on(resSCIM, "delete")},
	"GET /v1/b2b/scim/{organization_id}/connection/{connection_id}":                  {Base: on(resSCIM, "get")},
	"POST /v1/b2b/scim/{organization_id}/connection/{connection_id}/rotate/start":    {Base: on(resSCIM, "update")},
	"POST /v1/b2b/scim/{organization_id}/connection/{connection_id}/rotate/complete": {Base: on(resSCIM, "update")},
	"POST /v1/b2b/scim/{organization_id}/connection/{connection_id}/rotate/cancel":   {Base: on(resSCIM, "update")},
}

// EnforcedRoute describes a table entry, for tests and documentation.
type EnforcedRoute struct {
	Base   *Permission           // nil when only fields are checked
	Fields map[string]Permission // body field -> what it needs
}

// Permission is what an EnforcedRoute requires.
type Permission struct {
	Resource, Action string
	Self, Forbidden  bool
}

// EnforcedRoutes lists the enforcement table by route ("METHOD path", as in Routes).
func EnforcedRoutes() map[string]EnforcedRoute {
	export := func(p permission) Permission {
		return Permission{Resource: p.Resource, Action: p.Action, Self: p.Self, Forbidden: p.Forbidden}
	}
	out := map[string]EnforcedRoute{}
	for key, g := range enforced {
		e := EnforcedRoute{Fields: map[string]Permission{}}
		if g.Base != nil {
			b := export(*g.Base)
			e.Base = &b
		}
		for name, p := range g.Fields {
			e.Fields[name] = export(p)
		}
		out[key] = e
	}
	return out
}
