package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/app/apptest"
)

// The resources on which each role an actor of these tests holds grants every action ("*"),
// as rbac_policy.json and Stytch's defaults define them. The matrix derives what each actor may
// do from this, not from the server's own policy code.
var rbacRoleResources = map[string][]string{
	"stytch_member": {"stytch.self"},
	"stytch_admin":  {"stytch.organization", "stytch.member", "stytch.sso", "stytch.scim"},
	"member-admin":  {"stytch.member"},
}

// phpassHash is phpass's own test vector ("test12345"): a password to migrate in.
const phpassHash = "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"

// rbacActor is a logged-in member whose session a test sends in the member-session headers.
type rbacActor struct {
	name, org, member, email string
	token, jwt               string
	passwordID               string
	grants                   map[string]bool // resources its roles grant "*" on
}

// newRBACActor creates a member of org with these roles (besides stytch_member), optionally
// with a migrated password, and logs it in by magic link.
func newRBACActor(t *testing.T, name, org string, roles []string, withPassword bool) *rbacActor {
	t.Helper()
	a := &rbacActor{name: name, org: org, email: newEmail(), grants: map[string]bool{}}
	body := map[string]any{"email_address": a.email}
	if roles != nil {
		body["roles"] = roles
	}
	a.member = createMember(t, org, body).Str("member_id")
	if withPassword {
		apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/passwords/migrate", map[string]any{
			"organization_id": org, "email_address": a.email, "hash_type": "phpass", "hash": phpassHash}))
	}
	apptest.ExpectOK(t, loginOrSignup(t, org, a.email, nil))
	auth := authenticate(t, env.LastEmail(t, a.email).Token(), nil)
	apptest.ExpectOK(t, auth)
	a.token, a.jwt = auth.Str("session_token"), auth.Str("session_jwt")
	if a.token == "" || a.jwt == "" {
		t.Fatalf("login of %s: %s", name, auth.Raw)
	}
	if withPassword {
		a.passwordID = getMember(t, org, a.member, "").Str("member.member_password_id")
		if a.passwordID == "" {
			t.Fatalf("%s has no member_password_id after the migration", name)
		}
	}
	for _, role := range append([]string{"stytch_member"}, roles...) {
		for _, res := range rbacRoleResources[role] {
			a.grants[res] = true
		}
	}
	return a
}

// refresh fetches a fresh session JWT (they live minutes), writing nothing.
func (a *rbacActor) refresh(t *testing.T) {
	t.Helper()
	r := sessionAuth(t, map[string]any{"session_token": a.token})
	apptest.ExpectOK(t, r)
	a.jwt = r.Str("session_jwt")
}

// sendAs sends a request with project credentials and, unless a is nil, a's session: the
// session JWT in X-Stytch-Member-SessionJWT when useJWT, else the token in
// X-Stytch-Member-Session, spelled as stytch-go spells them. body is a map to marshal (nil:
// none) or a string sent as is.
func sendAs(t *testing.T, a *rbacActor, useJWT bool, method, path string, body any) apptest.Response {
	t.Helper()
	return sendAsTo(t, env, a, useJWT, method, path, body)
}

// sendAsTo is sendAs against another server (a variant's).
func sendAsTo(t *testing.T, e *apptest.Env, a *rbacActor, useJWT bool, method, path string, body any) apptest.Response {
	t.Helper()
	h := http.Header{"Content-Type": {"application/json"},
		"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(env.ProjectID+":"+env.Secret))}}
	if a != nil {
		if useJWT {
			h["X-Stytch-Member-SessionJWT"] = []string{a.jwt}
		} else {
			h["X-Stytch-Member-Session"] = []string{a.token}
		}
	}
	if m, ok := body.(map[string]any); ok && m == nil {
		body = nil
	}
	status, header, raw := e.Send(t, method, path, body, h)
	out := apptest.Response{Status: status, Header: header, Raw: raw}
	if err := json.Unmarshal(raw, &out.Body); err != nil {
		t.Fatalf("%s %s: status %d, body is not JSON: %q", method, path, status, raw)
	}
	return out
}

// rbacRefused tells whether a response is a refusal by the RBAC check.
func rbacRefused(r apptest.Response) bool {
	typ := r.Str("error_type")
	return r.Status == http.StatusForbidden && strings.HasPrefix(typ, "session_authorization") ||
		r.Status == http.StatusUnauthorized && typ == "cannot_update_trusted_metadata"
}

// rbacFixture is the organization the matrix acts on, with its members and connections, and an
// admin of another organization.
type rbacFixture struct {
	org, slug         string
	m, a, ma          *rbacActor // a plain member, an admin, a member-admin
	other, otherEmail string     // a member nobody acts as
	foreign           *rbacActor // an admin of another organization
	scim              scimConnection
	saml, oidc        string
}

const unusedPasswordID = "member-password-test-00000000-0000-4000-8000-000000000000"

func newRBACFixture(t *testing.T) *rbacFixture {
	t.Helper()
	o := createOrg(t, map[string]any{})
	f := &rbacFixture{org: o.Str("organization.organization_id"), slug: o.Str("organization.organization_slug")}
	f.m = newRBACActor(t, "plain member M", f.org, nil, false)
	f.a = newRBACActor(t, "admin A", f.org, []string{"stytch_admin"}, false)
	f.ma = newRBACActor(t, "member-admin MA", f.org, []string{"member-admin"}, false)
	f.otherEmail = newEmail()
	f.other = createMember(t, f.org, map[string]any{"email_address": f.otherEmail}).Str("member_id")
	f.scim = scimConnect(t, f.org, "okta")
	f.saml = env.Do(t, "POST", "/v1/b2b/sso/saml/"+f.org, map[string]any{"display_name": "Okta"}).Str("connection.connection_id")
	f.oidc = env.Do(t, "POST", "/v1/b2b/sso/oidc/"+f.org, map[string]any{"display_name": "Zitadel"}).Str("connection.connection_id")
	if f.saml == "" || f.oidc == "" {
		t.Fatalf("fixture: SAML %q, OIDC %q", f.saml, f.oidc)
	}
	b := createOrg(t, map[string]any{}).Str("organization.organization_id")
	f.foreign = newRBACActor(t, "admin of another organization", b, []string{"stytch_admin"}, false)
	return f
}

// rbacTarget is the member a call acts on.
type rbacTarget struct{ member, email, passwordID string }

// rbacSpec is how to call an enforced route: a body it accepts (nil: none), and whether the
// call acts on a member (then the member acting on itself is tried too).
type rbacSpec struct {
	body   func(f *rbacFixture, tg rbacTarget) map[string]any
	member bool
}

func noBody(*rbacFixture, rbacTarget) map[string]any { return map[string]any{} }

// rbacSpecs lists every route of api.EnforcedRoutes. A route missing here fails the matrix: a
// newly enforced route must say how it is called.
var rbacSpecs = map[string]rbacSpec{
	"PUT /v1/b2b/organizations/{organization_id}":    {body: noBody},
	"DELETE /v1/b2b/organizations/{organization_id}": {},
	"POST /v1/b2b/organizations/{organization_id}/members": {body: func(*rbacFixture, rbacTarget) map[string]any {
		return map[string]any{"email_address": newEmail()}
	}},
	"PUT /v1/b2b/organizations/{organization_id}/members/{member_id}":            {body: noBody, member: true},
	"DELETE /v1/b2b/organizations/{organization_id}/members/{member_id}":         {member: true},
	"PUT /v1/b2b/organizations/{organization_id}/members/{member_id}/reactivate": {member: true},
	"POST /v1/b2b/organizations/{organization_id}/members/{member_id}/unlink_retired_email": {member: true,
		body: func(*rbacFixture, rbacTarget) map[string]any { return map[string]any{"email_address": newEmail()} }},
	"POST /v1/b2b/organizations/{organization_id}/members/{member_id}/start_email_update": {member: true,
		body: func(*rbacFixture, rbacTarget) map[string]any {
			return map[string]any{"email_address": newEmail(), "login_redirect_url": redirect}
		}},
	"POST /v1/b2b/organizations/members/search": {body: func(f *rbacFixture, _ rbacTarget) map[string]any {
		return map[string]any{"organization_ids": []string{f.org}}
	}},
	"DELETE /v1/b2b/organizations/{organization_id}/members/passwords/{member_password_id}": {member: true},
	"DELETE /v1/b2b/organizations/{organization_id}/members/{member_id}/totp":               {member: true},
	"DELETE /v1/b2b/organizations/{organization_id}/members/mfa_phone_numbers/{member_id}":  {member: true},
	"POST /v1/b2b/magic_links/email/invite": {body: func(f *rbacFixture, _ rbacTarget) map[string]any {
		return map[string]any{"organization_id": f.org, "email_address": newEmail(), "invite_redirect_url": redirect}
	}},
	"POST /v1/b2b/passwords/email/require_reset": {member: true, body: func(f *rbacFixture, tg rbacTarget) map[string]any {
		return map[string]any{"organization_id": f.org, "email_address": tg.email}
	}},
	"POST /v1/b2b/sessions/revoke": {member: true, body: func(_ *rbacFixture, tg rbacTarget) map[string]any {
		return map[string]any{"member_id": tg.member}
	}},
	"GET /v1/b2b/sso/{organization_id}":                                {},
	"DELETE /v1/b2b/sso/{organization_id}/connections/{connection_id}": {},
	"POST /v1/b2b/sso/saml/{organization_id}": {body: func(*rbacFixture, rbacTarget) map[string]any {
		return map[string]any{"display_name": "Okta 2"}
	}},
	"PUT /v1/b2b/sso/saml/{organization_id}/connections/{connection_id}": {body: func(*rbacFixture, rbacTarget) map[string]any {
		return map[string]any{"display_name": "Okta renamed"}
	}},
	// A port nothing listens on: an allowed call fails to fetch at once.
	"PUT /v1/b2b/sso/saml/{organization_id}/connections/{connection_id}/url": {body: func(*rbacFixture, rbacTarget) map[string]any {
		return map[string]any{"metadata_url": "http://127.0.0.1:1/metadata"}
	}},
	"POST /v1/b2b/sso/oidc/{organization_id}": {body: func(*rbacFixture, rbacTarget) map[string]any {
		return map[string]any{"display_name": "Zitadel 2"}
	}},
	"PUT /v1/b2b/sso/oidc/{organization_id}/connections/{connection_id}": {body: func(*rbacFixture, rbacTarget) map[string]any {
		return map[string]any{"display_name": "Zitadel renamed"}
	}},
	"DELETE /v1/b2b/sso/saml/{organization_id}/connections/{connection_id}/verification_certificates/{certificate_id}": {},
	"DELETE /v1/b2b/sso/saml/{organization_id}/connections/{connection_id}/encryption_private_keys/{private_key_id}":   {},
	"POST /v1/b2b/scim/{organization_id}/connection": {body: func(*rbacFixture, rbacTarget) map[string]any {
		return map[string]any{"display_name": "IdP 2", "identity_provider": "okta"}
	}},
	"GET /v1/b2b/scim/{organization_id}/connection": {},
	"PUT /v1/b2b/scim/{organization_id}/connection/{connection_id}": {body: func(*rbacFixture, rbacTarget) map[string]any {
		return map[string]any{"display_name": "IdP renamed"}
	}},
	"DELETE /v1/b2b/scim/{organization_id}/connection/{connection_id}":               {},
	"GET /v1/b2b/scim/{organization_id}/connection/{connection_id}":                  {},
	"POST /v1/b2b/scim/{organization_id}/connection/{connection_id}/rotate/start":    {},
	"POST /v1/b2b/scim/{organization_id}/connection/{connection_id}/rotate/complete": {},
	"POST /v1/b2b/scim/{organization_id}/connection/{connection_id}/rotate/cancel":   {},
}

// rbacFieldValue is a value of the right type for a body field the table names, fresh on each
// call, and mild enough that an allowed update does not lock anyone out.
func rbacFieldValue(f *rbacFixture, field string) (any, bool) {
	switch field {
	case "organization_name", "name":
		return "New name", true
	case "organization_slug":
		return newSlug(), true
	case "organization_logo_url":
		return "https://example.com/logo.png", true
	case "trusted_metadata":
		return map[string]any{"plan": "gold"}, true
	case "untrusted_metadata":
		return map[string]any{"theme": "dark"}, true
	case "sso_default_connection_id":
		return f.saml, true
	case "sso_jit_provisioning":
		return "ALL_ALLOWED", true
	case "sso_jit_provisioning_allowed_connections":
		return []string{f.saml}, true
	case "email_allowed_domains", "claimed_email_domains":
		return []string{"example.org"}, true
	case "email_jit_provisioning", "oauth_tenant_jit_provisioning":
		return "NOT_ALLOWED", true
	case "email_invites", "auth_methods", "mfa_methods", "first_party_connected_apps_allowed_type", "third_party_connected_apps_allowed_type":
		return "ALL_ALLOWED", true
	case "allowed_auth_methods":
		return []string{"magic_link", "password"}, true
	case "mfa_policy":
		return "OPTIONAL", true
	case "allowed_mfa_methods":
		return []string{"totp", "sms_otp"}, true
	case "rbac_email_implicit_role_assignments":
		return []any{map[string]any{"domain": "example.org", "role_id": "viewer"}}, true
	case "allowed_oauth_tenants":
		return map[string]any{}, true
	case "allowed_first_party_connected_apps", "allowed_third_party_connected_apps":
		return []string{}, true
	case "organization_external_id", "external_id":
		return "ext-" + uuid.NewString()[:8], true
	case "is_breakglass", "mfa_enrolled", "unlink_email", "preserve_existing_sessions":
		return true, true
	case "mfa_phone_number":
		return fmt.Sprintf("+1415555%04d", rand.IntN(10000)), true
	case "roles":
		return []string{"viewer"}, true
	case "default_mfa_method":
		return "totp", true
	case "email_address":
		return newEmail(), true
	case "scim_group_implicit_role_assignments":
		return []any{}, true
	}
	return nil, false
}

// rbacCase is one way to call an enforced route: its base permission alone, or with one body
// field and what that field adds.
type rbacCase struct {
	route, method, path string
	field               string // "" for the base case
	spec                rbacSpec
	needs               []api.Permission
}

func (c rbacCase) label() string {
	if c.field == "" {
		return c.route
	}
	return c.route + " [" + c.field + "]"
}

// request builds the path and body for a target; org replaces the fixture's organization.
func (c rbacCase) request(f *rbacFixture, org string, tg rbacTarget) (string, map[string]any) {
	vals := map[string]string{"organization_id": org, "member_id": tg.member, "member_password_id": tg.passwordID,
		"certificate_id": "saml-verification-key-00000000", "private_key_id": "saml-encryption-key-00000000"}
	switch {
	case strings.HasPrefix(c.path, "/v1/b2b/scim/"):
		vals["connection_id"] = f.scim.id
	case strings.HasPrefix(c.path, "/v1/b2b/sso/saml/"):
		vals["connection_id"] = f.saml
	default:
		vals["connection_id"] = f.oidc
	}
	var body map[string]any
	if c.spec.body != nil {
		body = c.spec.body(f, tg)
	}
	if c.field != "" {
		if body == nil {
			body = map[string]any{}
		}
		body[c.field], _ = rbacFieldValue(f, c.field)
	}
	if c.method == "GET" || c.method == "DELETE" {
		body = nil
	}
	return fillPath(c.path, vals), body
}

// rbacOutcome is a refusal a request may get.
type rbacOutcome struct {
	status    int
	errorType string
}

var (
	refusedByRole  = rbacOutcome{http.StatusForbidden, "session_authorization_error"}
	refusedTenancy = rbacOutcome{http.StatusForbidden, "session_authorization_tenancy_error"}
	refusedField   = rbacOutcome{http.StatusUnauthorized, "cannot_update_trusted_metadata"}
)

// rbacRefusals is what an actor with these grants gets for a call needing needs: none when it
// is allowed. A call that fails on two counts may be refused for either.
func rbacRefusals(grants map[string]bool, self bool, needs []api.Permission) []rbacOutcome {
	var out []rbacOutcome
	for _, p := range needs {
		switch {
		case p.Forbidden:
			out = append(out, refusedField)
		case grants[p.Resource], p.Self && self && grants["stytch.self"]:
		default:
			out = append(out, refusedByRole)
		}
	}
	return out
}

// rbacRequest is one request of the matrix.
type rbacRequest struct {
	c       rbacCase
	who     string
	actor   *rbacActor // nil: project credentials only
	org     string
	tg      rbacTarget
	refuse  []rbacOutcome // nil: must not be refused by RBAC
	prepare func(t *testing.T, r *rbacRequest)
}

func rbacCases(t *testing.T, f *rbacFixture) []rbacCase {
	t.Helper()
	var cases []rbacCase
	table := api.EnforcedRoutes()
	keys := make([]string, 0, len(table))
	for k := range table {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		e := table[key]
		spec, ok := rbacSpecs[key]
		if !ok {
			t.Errorf("enforced route %s is not in rbacSpecs: say how it is called", key)
			continue
		}
		method, path, _ := strings.Cut(key, " ")
		if e.Base != nil {
			cases = append(cases, rbacCase{route: key, method: method, path: path, spec: spec, needs: []api.Permission{*e.Base}})
		}
		fields := make([]string, 0, len(e.Fields))
		for name := range e.Fields {
			fields = append(fields, name)
		}
		sort.Strings(fields)
		for _, name := range fields {
			if _, ok := rbacFieldValue(f, name); !ok {
				t.Errorf("%s: field %s has no value in rbacFieldValue", key, name)
				continue
			}
			needs := []api.Permission{e.Fields[name]}
			if e.Base != nil {
				needs = append([]api.Permission{*e.Base}, needs...)
			}
			cases = append(cases, rbacCase{route: key, method: method, path: path, field: name, spec: spec, needs: needs})
		}
	}
	for key := range rbacSpecs {
		if _, ok := table[key]; !ok {
			t.Errorf("rbacSpecs lists %s, which is not enforced", key)
		}
	}
	return cases
}

// Every route of the enforcement table (api.EnforcedRoutes), with its base permission and with
// each body field it checks, is called by members holding different roles, with their session
// in X-Stytch-Member-Session (token) or X-Stytch-Member-SessionJWT (JWT) in turn:
//   - a plain member (stytch_member only) acting on another member or on the organization is
//     refused with 403 session_authorization_error on everything, and trusted_metadata is 401
//     cannot_update_trusted_metadata;
//   - a plain member acting on itself is allowed exactly where Stytch offers the stytch.self
//     alternative, and refused its roles, breakglass flag, email address and reactivation;
//   - an admin (stytch_admin) is never refused, except trusted_metadata (401);
//   - a member-admin (stytch.member "*") is allowed the stytch.member permissions and refused
//     the organization, SSO and SCIM ones;
//   - an admin of another organization is refused everything with 403
//     session_authorization_tenancy_error;
//   - project credentials alone are never checked.
//
// No refused request changes a single item of the table. The allowed calls run afterwards, on
// fresh members and organizations, so a deletion destroys nothing the matrix needs. Each
// permission's action is one its resource declares in GET /v1/b2b/rbac/policy (or "*"), a
// stytch.self alternative names an action stytch.self has, and every field Organizations.Update
// and Members.Update read is one the table checks.
func TestRBACEnforcementMatrix(t *testing.T) {
	f := newRBACFixture(t)
	cases := rbacCases(t, f)
	if len(cases) < 60 {
		t.Fatalf("only %d cases from %d enforced routes", len(cases), len(api.EnforcedRoutes()))
	}

	t.Run("the table names declared actions", func(t *testing.T) {
		pol := env.Do(t, "GET", "/v1/b2b/rbac/policy", nil)
		apptest.ExpectOK(t, pol)
		declared := map[string][]string{}
		for _, r := range pol.Get("policy.resources").([]any) {
			res := r.(map[string]any)
			for _, a := range res["actions"].([]any) {
				declared[res["resource_id"].(string)] = append(declared[res["resource_id"].(string)], a.(string))
			}
		}
		routes := map[string]bool{}
		for _, rt := range api.Routes {
			routes[rt.Method+" "+rt.Path] = true
		}
		for key := range api.EnforcedRoutes() {
			if !routes[key] {
				t.Errorf("enforced route %s is not in api.Routes", key)
			}
		}
		for _, c := range cases {
			for _, p := range c.needs {
				if p.Forbidden {
					continue
				}
				if _, ok := declared[p.Resource]; !ok || p.Action != "*" && !slices.Contains(declared[p.Resource], p.Action) {
					t.Errorf("%s: %s on %s is not an action the policy declares", c.label(), p.Action, p.Resource)
				}
				if p.Self && !slices.Contains(declared["stytch.self"], p.Action) {
					t.Errorf("%s: the stytch.self alternative names %s, which stytch.self lacks", c.label(), p.Action)
				}
			}
		}
	})

	t.Run("every field the update handlers read is checked", func(t *testing.T) {
		table := api.EnforcedRoutes()
		for _, c := range []struct {
			route  string
			patch  any
			exempt []string
		}{
			{"PUT /v1/b2b/organizations/{organization_id}", latchkey.OrganizationPatch{}, nil},
			// create_member_as_pending is read on create only.
			{"PUT /v1/b2b/organizations/{organization_id}/members/{member_id}", latchkey.MemberPatch{}, []string{"create_member_as_pending"}},
		} {
			typ := reflect.TypeOf(c.patch)
			for i := range typ.NumField() {
				name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
				if _, ok := table[c.route].Fields[name]; !ok && !slices.Contains(c.exempt, name) {
					t.Errorf("%s reads %s, which the enforcement table does not check", c.route, name)
				}
			}
		}
	})

	other := rbacTarget{member: f.other, email: f.otherEmail, passwordID: unusedPasswordID}
	self := rbacTarget{member: f.m.member, email: f.m.email, passwordID: f.m.passwordID}
	var refused, allowed []*rbacRequest
	add := func(r *rbacRequest) {
		if r.org == "" {
			r.org = f.org
		}
		if r.refuse != nil {
			refused = append(refused, r)
		} else {
			allowed = append(allowed, r)
		}
	}
	// freshMember makes an allowed call act on a member of its own, not on one the matrix uses.
	freshMember := func(t *testing.T, r *rbacRequest) {
		if r.c.spec.member {
			email := newEmail()
			r.tg = rbacTarget{member: createMember(t, f.org, map[string]any{"email_address": email}).Str("member_id"),
				email: email, passwordID: unusedPasswordID}
		}
	}
	for _, c := range cases {
		deletesOrg := c.route == "DELETE /v1/b2b/organizations/{organization_id}"
		for _, a := range []*rbacActor{f.m, f.ma, f.a} {
			r := &rbacRequest{c: c, who: a.name + " on another member", actor: a, tg: other,
				refuse: rbacRefusals(a.grants, false, c.needs)}
			if r.refuse == nil {
				r.prepare = freshMember
				if deletesOrg {
					// An organization of its own, with its own admin.
					r.prepare = func(t *testing.T, r *rbacRequest) {
						r.org = createOrg(t, map[string]any{}).Str("organization.organization_id")
						r.actor = newRBACActor(t, "admin of a throwaway organization", r.org, []string{"stytch_admin"}, false)
					}
				}
			}
			add(r)
		}
		add(&rbacRequest{c: c, who: f.foreign.name, actor: f.foreign, tg: other, refuse: []rbacOutcome{refusedTenancy}})
		if c.spec.member {
			r := &rbacRequest{c: c, who: f.m.name + " on itself", actor: f.m, tg: self, refuse: rbacRefusals(f.m.grants, true, c.needs)}
			if r.refuse == nil {
				// A plain member of its own: the call may delete it, end its sessions or its password.
				r.prepare = func(t *testing.T, r *rbacRequest) {
					r.actor = newRBACActor(t, "plain member on itself", f.org, nil, true)
					r.tg = rbacTarget{member: r.actor.member, email: r.actor.email, passwordID: r.actor.passwordID}
				}
			}
			add(r)
		}
		r := &rbacRequest{c: c, who: "project credentials only", prepare: freshMember}
		if deletesOrg {
			r.prepare = func(t *testing.T, r *rbacRequest) {
				r.org = createOrg(t, map[string]any{}).Str("organization.organization_id")
			}
		}
		add(r)
	}

	n, byHeader := 0, map[bool]int{}
	send := func(t *testing.T, r *rbacRequest) apptest.Response {
		t.Helper()
		useJWT := n%2 == 1
		n++
		if r.actor != nil {
			byHeader[useJWT]++
		}
		path, body := r.c.request(f, r.org, r.tg)
		return sendAs(t, r.actor, useJWT, r.c.method, path, body)
	}

	// Refusals first, and only they, between two snapshots of the table.
	for _, a := range []*rbacActor{f.m, f.a, f.ma, f.foreign} {
		a.refresh(t)
	}
	refusedRoutes := map[string]int{}
	before := tableSnapshot(t)
	for _, r := range refused {
		got := send(t, r)
		refusedRoutes[r.c.route]++
		ok := slices.ContainsFunc(r.refuse, func(o rbacOutcome) bool { return got.Status == o.status && got.Str("error_type") == o.errorType })
		if !ok {
			t.Errorf("%s, as %s: want %v, got %d %.300s", r.c.label(), r.who, r.refuse, got.Status, got.Raw)
			continue
		}
		if got.Get("status_code") != float64(got.Status) || !strings.HasPrefix(got.Str("request_id"), "request-id-") || got.Str("error_message") == "" {
			t.Errorf("%s, as %s: refusal not in Stytch's shape: %s", r.c.label(), r.who, got.Raw)
		}
	}
	after := tableSnapshot(t)
	if d := diffSnapshots(before, after); len(d) > 0 {
		t.Errorf("refused requests changed the table (%d items):\n%s", len(d), strings.Join(d[:min(len(d), 20)], "\n"))
	}
	for key := range api.EnforcedRoutes() {
		if refusedRoutes[key] == 0 {
			t.Errorf("%s: no refusal was checked", key)
		}
	}

	// Then the allowed calls, deletions last: everything they act on is made for them first,
	// before an allowed organization update could change how members log in.
	sort.SliceStable(allowed, func(i, j int) bool { return allowed[i].c.method != "DELETE" && allowed[j].c.method == "DELETE" })
	for _, r := range allowed {
		if r.prepare != nil {
			r.prepare(t, r)
		}
	}
	for _, a := range []*rbacActor{f.m, f.a, f.ma} {
		a.refresh(t)
	}
	succeeded := 0
	for _, r := range allowed {
		got := send(t, r)
		switch {
		case rbacRefused(got):
			t.Errorf("%s, as %s: refused by RBAC: %d %.300s", r.c.label(), r.who, got.Status, got.Raw)
		case got.Status >= 500:
			t.Errorf("%s, as %s: %d %.300s", r.c.label(), r.who, got.Status, got.Raw)
		case got.Status == http.StatusOK:
			succeeded++
		}
	}
	if byHeader[true] == 0 || byHeader[false] == 0 {
		t.Errorf("header use: %v; both spellings must be exercised", byHeader)
	}
	t.Logf("%d requests (%d refused, %d allowed of which %d answered 200; %d with the token header, %d with the JWT header) over %d cases of %d enforced routes",
		n, len(refused), len(allowed), succeeded, byHeader[false], byHeader[true], len(cases), len(api.EnforcedRoutes()))
}

// Routes the enforcement table does not list ignore the member-session headers, as Stytch's do
// (Organizations.Get and Members.Get take no session options in stytch-go): even an admin of
// another organization reads through them.
func TestRBACUnenforcedRoutesIgnoreMemberSessions(t *testing.T) {
	f := newRBACFixture(t)
	for _, key := range []string{"GET /v1/b2b/organizations/{organization_id}", "GET /v1/b2b/organizations/{organization_id}/member"} {
		if _, ok := api.EnforcedRoutes()[key]; ok {
			t.Fatalf("%s is enforced", key)
		}
	}
	for i, path := range []string{"/v1/b2b/organizations/" + f.org, "/v1/b2b/organizations/" + f.org + "/member?member_id=" + f.other} {
		apptest.ExpectOK(t, sendAs(t, f.foreign, i%2 == 1, "GET", path, nil))
	}
}

// The body fields a member session is checked for are read as the handlers read them.
// encoding/json matches a field name in any case, with Unicode folding ("ROLES" and "Roles"
// fill roles, "truſted_metadata" fills trusted_metadata), so a field sent in another case must
// be checked like the field itself: a plain member may not grant itself stytch_admin with
// {"Roles": [...]}, rename another member or the organization with {"NAME": ...} or
// {"ORGANIZATION_NAME": ...}, or set trusted metadata with {"Trusted_Metadata": ...}; and
// nothing changes.
func TestRBACFieldNamesInAnyCaseAreChecked(t *testing.T) {
	f := newRBACFixture(t)
	f.m.refresh(t)
	self := "/v1/b2b/organizations/" + f.org + "/members/" + f.m.member
	tries := []struct {
		name, method, path string
		body               map[string]any
		want               rbacOutcome
	}{
		{"own roles as Roles", "PUT", self, map[string]any{"Roles": []string{"stytch_admin"}}, refusedByRole},
		{"own roles as ROLES", "PUT", self, map[string]any{"ROLES": []string{"stytch_admin"}}, refusedByRole},
		{"own breakglass as Is_Breakglass", "PUT", self, map[string]any{"Is_Breakglass": true}, refusedByRole},
		{"own trusted metadata as Trusted_Metadata", "PUT", self, map[string]any{"Trusted_Metadata": map[string]any{"plan": "free-forever"}}, refusedField},
		{"own trusted metadata with a long s (U+017F)", "PUT", self, map[string]any{"tru\u017fted_metadata": map[string]any{"plan": "free-forever"}}, refusedField},
		{"another member's name as NAME", "PUT", "/v1/b2b/organizations/" + f.org + "/members/" + f.other, map[string]any{"NAME": "Renamed"}, refusedByRole},
		{"organization name as ORGANIZATION_NAME", "PUT", "/v1/b2b/organizations/" + f.org, map[string]any{"ORGANIZATION_NAME": "Pwned"}, refusedByRole},
		{"organization metadata as Trusted_metadata", "PUT", "/v1/b2b/organizations/" + f.org, map[string]any{"Trusted_metadata": map[string]any{"plan": "x"}}, refusedField},
	}
	before := tableSnapshot(t)
	for i, c := range tries {
		got := sendAs(t, f.m, i%2 == 1, c.method, c.path, c.body)
		if got.Status != c.want.status || got.Str("error_type") != c.want.errorType {
			t.Errorf("%s: want %d %s, got %d %.300s", c.name, c.want.status, c.want.errorType, got.Status, got.Raw)
		}
	}
	wantNothingWritten(t, before, "refused requests")
	if src := roleSources(t, f.org, f.m.member); src["stytch_admin"] != nil {
		t.Errorf("the plain member made itself an admin: %v", src)
	}
}

// The organization and member a call made as a member acts on are read from its body as the
// handler reads it. When a body names them twice, once as organization_id or member_id and once
// in another case (encoding/json fills the field from the last of the two), the check must not
// judge the first while the handler serves the second: a plain member may not end the sessions
// of a member of another organization by naming itself first, an admin may not invite a new
// admin into another organization by naming its own first, and a member-admin may not search
// another organization's members that way; with cross-organization passwords, a plain member
// may not delete another member's password through Passwords.Email.RequireReset by naming its
// own email first. Nothing changes and nothing leaks.
func TestRBACTargetsNamedTwiceAreChecked(t *testing.T) {
	f := newRBACFixture(t)
	for _, a := range []*rbacActor{f.m, f.a, f.ma, f.foreign} {
		a.refresh(t)
	}
	b := f.foreign.org
	invitee := newEmail()
	tries := []struct {
		name   string
		as     *rbacActor
		method string
		path   string
		body   string
	}{
		{"Sessions.Revoke of another organization's admin", f.m, "POST", "/v1/b2b/sessions/revoke",
			fmt.Sprintf(`{"member_id":%q,"Member_ID":%q}`, f.m.member, f.foreign.member)},
		{"invite of an admin into another organization", f.a, "POST", "/v1/b2b/magic_links/email/invite",
			fmt.Sprintf(`{"organization_id":%q,"Organization_ID":%q,"email_address":%q,"invite_redirect_url":%q,"roles":["stytch_admin"]}`,
				f.org, b, invitee, redirect)},
		{"search of another organization's members", f.ma, "POST", "/v1/b2b/organizations/members/search",
			fmt.Sprintf(`{"organization_ids":[%q],"Organization_IDs":[%q]}`, f.org, b)},
	}
	before := tableSnapshot(t)
	for i, c := range tries {
		got := sendAs(t, c.as, i%2 == 1, c.method, c.path, c.body)
		if got.Status == http.StatusOK {
			t.Errorf("%s: served with 200: %.400s", c.name, got.Raw)
		} else if got.Status >= 500 {
			t.Errorf("%s: %d %.300s", c.name, got.Status, got.Raw)
		}
	}
	wantNothingWritten(t, before, "refused requests")
	if r := sessionAuth(t, map[string]any{"session_token": f.foreign.token}); r.Status != http.StatusOK {
		t.Errorf("the other organization's admin lost its session: %d %s", r.Status, r.Raw)
	}
	if r := getMember(t, b, "", invitee); r.Status != http.StatusNotFound {
		t.Errorf("the invitee is a member of the other organization: %d %.300s", r.Status, r.Raw)
	}
	if n := len(env.Emails(t, invitee)); n != 0 {
		t.Errorf("the invitee was sent %d emails", n)
	}

	t.Run("Passwords.Email.RequireReset of another member", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, srv, err := env.Variant(ctx, func(c *app.Config) { c.PasswordScope = "cross_organization" })
		if err != nil {
			t.Fatalf("cross-organization variant: %v", err)
		}
		defer srv.Close()
		cross := env.At(srv.URL)
		victim := newEmail()
		createMember(t, f.org, map[string]any{"email_address": victim})
		apptest.ExpectOK(t, cross.Do(t, "POST", "/v1/b2b/passwords/migrate", map[string]any{
			"organization_id": f.org, "email_address": victim, "hash_type": "phpass", "hash": phpassHash}))
		apptest.ExpectOK(t, pwAuthenticate(t, cross, f.org, victim, "test12345", nil))
		before := tableSnapshot(t)
		got := sendAsTo(t, cross, f.m, false, "POST", "/v1/b2b/passwords/email/require_reset",
			fmt.Sprintf(`{"organization_id":%q,"email_address":%q,"Email_Address":%q}`, f.org, f.m.email, victim))
		if got.Status == http.StatusOK || got.Status >= 500 {
			t.Errorf("served with %d: %.400s", got.Status, got.Raw)
		}
		wantNothingWritten(t, before, "the refused reset")
		if r := pwAuthenticate(t, cross, f.org, victim, "test12345", nil); r.Status != http.StatusOK {
			t.Errorf("the other member's password no longer logs in: %d %.300s", r.Status, r.Raw)
		}
	})
}

// wantNothingWritten asserts that the table is as it was in before.
func wantNothingWritten(t *testing.T, before map[string]string, what string) {
	t.Helper()
	if d := diffSnapshots(before, tableSnapshot(t)); len(d) > 0 {
		t.Errorf("%s changed the table (%d items):\n%s", what, len(d), strings.Join(d[:min(len(d), 20)], "\n"))
	}
}

// A role assignment must name a role of the project's policy or of the organization's own
// (RBAC.Organizations.SetOrgPolicy): an unknown role is 400 invalid_rbac_role_assignment and
// writes nothing, wherever roles are assigned (Members.Create and Update, invites,
// Passwords.Migrate, rbac_email_implicit_role_assignments, SCIM group and SAML connection and
// group role assignments). A role the organization defines is accepted there and only there;
// an organization role may not reuse a project role's id (400 invalid_rbac_custom_role).
func TestRoleAssignmentValidation(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	member := createMember(t, org, map[string]any{"roles": []string{"viewer"}}).Str("member_id")
	conn := scimConnect(t, org, "okta")
	g := conn.do(t, "POST", "/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": "Auditors " + uuid.NewString()[:8]})
	expectSCIM(t, g, http.StatusCreated)
	saml := env.Do(t, "POST", "/v1/b2b/sso/saml/"+org, map[string]any{"display_name": "Okta"}).Str("connection.connection_id")
	base := "/v1/b2b/organizations/" + org
	const unknown = "auditor"

	// Every assignment of a role neither policy has.
	invitee, migrated, created := newEmail(), newEmail(), newEmail()
	assignments := []struct {
		name, method, path string
		body               map[string]any
	}{
		{"Members.Create", "POST", base + "/members", map[string]any{"email_address": created, "roles": []string{"viewer", unknown}}},
		{"Members.Update", "PUT", base + "/members/" + member, map[string]any{"roles": []string{unknown}}},
		{"email implicit roles", "PUT", base, map[string]any{"rbac_email_implicit_role_assignments": []any{
			map[string]any{"domain": "example.org", "role_id": unknown}}}},
		{"SCIM group roles", "PUT", "/v1/b2b/scim/" + org + "/connection/" + conn.id, map[string]any{"scim_group_implicit_role_assignments": []any{
			map[string]any{"group_id": g.Str("id"), "role_id": unknown}}}},
		{"SAML connection roles", "PUT", "/v1/b2b/sso/saml/" + org + "/connections/" + saml, map[string]any{
			"saml_connection_implicit_role_assignments": []any{map[string]any{"role_id": unknown}}}},
		{"SAML group roles", "PUT", "/v1/b2b/sso/saml/" + org + "/connections/" + saml, map[string]any{
			"attribute_mapping":                    map[string]any{"email": "email", "first_name": "first", "last_name": "last", "groups": "groups"},
			"saml_group_implicit_role_assignments": []any{map[string]any{"role_id": unknown, "group": "auditors"}}}},
		{"invite", "POST", "/v1/b2b/magic_links/email/invite", map[string]any{"organization_id": org, "email_address": invitee,
			"invite_redirect_url": redirect, "roles": []string{unknown}}},
		{"Passwords.Migrate", "POST", "/v1/b2b/passwords/migrate", map[string]any{"organization_id": org, "email_address": migrated,
			"hash_type": "phpass", "hash": phpassHash, "roles": []string{unknown}}},
	}
	refuseAll := func(t *testing.T, why string) {
		before := tableSnapshot(t)
		for _, a := range assignments {
			r := env.Do(t, a.method, a.path, a.body)
			if r.Status != http.StatusBadRequest || r.Str("error_type") != "invalid_rbac_role_assignment" {
				t.Errorf("%s (%s): want 400 invalid_rbac_role_assignment, got %d %s", a.name, why, r.Status, r.Raw)
			}
		}
		wantNothingWritten(t, before, "refused role assignments ("+why+")")
		if n := len(env.Emails(t, invitee)); n != 0 {
			t.Errorf("a refused invite sent %d emails", n)
		}
	}
	t.Run("unknown role", func(t *testing.T) { refuseAll(t, "no such role anywhere") })

	// An organization role may not take a project role's id, nor a default role's.
	for _, id := range []string{"editor", "stytch_admin", "stytch_member"} {
		r := env.Do(t, "PUT", "/v1/b2b/rbac/organizations/"+org, map[string]any{"org_policy": map[string]any{"roles": []any{
			map[string]any{"role_id": id, "description": "mine", "permissions": []any{}}}}})
		apptest.ExpectError(t, r, http.StatusBadRequest, "invalid_rbac_custom_role")
	}

	// Once the organization defines the role, the same assignments are accepted there.
	set := env.Do(t, "PUT", "/v1/b2b/rbac/organizations/"+org, map[string]any{"org_policy": map[string]any{"roles": []any{
		map[string]any{"role_id": unknown, "description": "Reads documents", "permissions": []any{
			map[string]any{"resource_id": "documents", "actions": []string{"read"}}}}}}})
	apptest.ExpectOK(t, set)
	if got := env.Do(t, "GET", "/v1/b2b/rbac/organizations/"+org, nil); got.Str("org_policy.roles.0.role_id") != unknown {
		t.Fatalf("org policy: %s", got.Raw)
	}
	for _, a := range assignments {
		r := env.Do(t, a.method, a.path, a.body)
		if r.Status != http.StatusOK {
			t.Errorf("%s with the organization's role: want 200, got %d %s", a.name, r.Status, r.Raw)
		}
	}
	if src := roleSources(t, org, member); !slices.Equal(src[unknown], []string{"direct_assignment"}) {
		t.Errorf("the organization's role was not assigned: %v", src)
	}

	// In another organization the role is unknown again.
	otherOrg := createOrg(t, map[string]any{}).Str("organization.organization_id")
	r := env.Do(t, "POST", "/v1/b2b/organizations/"+otherOrg+"/members", map[string]any{"email_address": newEmail(), "roles": []string{unknown}})
	apptest.ExpectError(t, r, http.StatusBadRequest, "invalid_rbac_role_assignment")
}

// jwtSessionRoles reads the roles of the https://stytch.com/session claim of a session JWT.
func jwtSessionRoles(t *testing.T, jwt string) []string {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Session struct {
			Roles []string `json:"roles"`
		} `json:"https://stytch.com/session"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims.Session.Roles
}

func strs(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// memberRoleSources maps each role of a member object to its source types.
func memberRoleSources(r apptest.Response, path string) map[string][]string {
	out := map[string][]string{}
	roles, _ := r.Get(path).([]any)
	for _, role := range roles {
		m := role.(map[string]any)
		id := m["role_id"].(string)
		out[id] = []string{}
		for _, s := range m["sources"].([]any) {
			out[id] = append(out[id], s.(map[string]any)["type"].(string))
		}
	}
	return out
}

// A member's roles from every source appear in member.roles with Stytch's source types
// (direct_assignment for explicit roles and stytch_member, email_assignment for the verified
// email's domain, scim_connection_group for a SCIM group), in the session's roles and in the
// session JWT's https://stytch.com/session roles claim; whoever creates an organization through
// discovery is its stytch_admin. sessions/authenticate's authorization_check answers a verdict
// naming every granting role, 403 session_authorization_error for an action no role grants and
// 403 session_authorization_tenancy_error for another organization, at no DynamoDB call more
// than the authentication itself.
func TestSessionRolesAndChecks(t *testing.T) {
	domain := "r" + uuid.NewString()[:8] + ".com"
	org := createOrg(t, map[string]any{"email_allowed_domains": []string{domain}}).Str("organization.organization_id")
	email := "pat@" + domain
	conn := scimConnect(t, org, "okta")
	u := conn.do(t, "POST", "/Users", oktaUser(email, "Pat", "Lee", "00u-rbac", true))
	expectSCIM(t, u, http.StatusCreated)
	member := u.Str("id")
	grp := conn.do(t, "POST", "/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": "Sales " + domain, "members": []any{map[string]any{"value": member}}})
	expectSCIM(t, grp, http.StatusCreated)
	apptest.ExpectOK(t, env.Do(t, "PUT", "/v1/b2b/scim/"+org+"/connection/"+conn.id, map[string]any{
		"scim_group_implicit_role_assignments": []any{map[string]any{"group_id": grp.Str("id"), "role_id": "sales"}}}))
	apptest.ExpectOK(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+org+"/members/"+member, map[string]any{"roles": []string{"editor", "viewer"}}))
	apptest.ExpectOK(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+org, map[string]any{
		"rbac_email_implicit_role_assignments": []any{map[string]any{"domain": domain, "role_id": "engineer"}}}))

	apptest.ExpectOK(t, loginOrSignup(t, org, email, nil))
	login := authenticate(t, env.LastEmail(t, email).Token(), nil)
	apptest.ExpectOK(t, login)
	if login.Str("member_id") != member {
		t.Fatalf("logged in as %s, want the SCIM member %s", login.Str("member_id"), member)
	}
	token := login.Str("session_token")

	wantSources := map[string][]string{"stytch_member": {"direct_assignment"}, "editor": {"direct_assignment"},
		"viewer": {"direct_assignment"}, "engineer": {"email_assignment"}, "sales": {"scim_connection_group"}}
	wantRoles := []string{"stytch_member", "editor", "viewer", "engineer", "sales"}
	s := sessionAuth(t, map[string]any{"session_token": token})
	apptest.ExpectOK(t, s)
	if got := memberRoleSources(s, "member.roles"); fmt.Sprint(got) != fmt.Sprint(wantSources) {
		t.Errorf("member.roles sources: %v\nwant %v", got, wantSources)
	}
	for name, roles := range map[string][]string{
		"login member_session.roles":           strs(login.Get("member_session.roles")),
		"authenticate member_session.roles":    strs(s.Get("member_session.roles")),
		"login JWT session roles claim":        jwtSessionRoles(t, login.Str("session_jwt")),
		"authenticate JWT session roles claim": jwtSessionRoles(t, s.Str("session_jwt")),
	} {
		if !sgSameSet(roles, wantRoles) {
			t.Errorf("%s: %v, want %v", name, roles, wantRoles)
		}
	}

	check := func(cred map[string]any, orgID, resource, action string) apptest.Response {
		body := map[string]any{"authorization_check": map[string]any{"organization_id": orgID, "resource_id": resource, "action": action}}
		for k, v := range cred {
			body[k] = v
		}
		return sessionAuth(t, body)
	}
	byToken := map[string]any{"session_token": token}
	byJWT := map[string]any{"session_jwt": s.Str("session_jwt")}
	for _, cred := range []map[string]any{byToken, byJWT} {
		for _, c := range []struct {
			resource, action string
			want             []string
		}{
			{"documents", "read", []string{"editor", "viewer", "engineer"}},
			{"documents", "write", []string{"editor"}},
			{"stytch.self", "update.info.name", []string{"stytch_member", "editor"}},
		} {
			v := check(cred, org, c.resource, c.action)
			apptest.ExpectOK(t, v)
			got := strs(v.Get("verdict.granting_roles"))
			if v.Get("verdict.authorized") != true || !sgSameSet(got, c.want) {
				t.Errorf("%s %s: verdict %s, want granting roles %s", c.action, c.resource, v.Get("verdict"), c.want)
			}
		}
		apptest.ExpectError(t, check(cred, org, "documents", "delete"), http.StatusForbidden, "session_authorization_error")
		apptest.ExpectError(t, check(cred, org, "stytch.member", "delete"), http.StatusForbidden, "session_authorization_error")
		other := createOrg(t, map[string]any{}).Str("organization.organization_id")
		apptest.ExpectError(t, check(cred, other, "documents", "read"), http.StatusForbidden, "session_authorization_tenancy_error")
	}
	if s.Get("verdict") != nil {
		t.Errorf("verdict without a check: %s", s.Raw)
	}

	t.Run("the check costs no DynamoDB call", func(t *testing.T) {
		plain := sessionAuth(t, byToken)
		apptest.ExpectOK(t, plain)
		checked := check(byToken, org, "documents", "read")
		apptest.ExpectOK(t, checked)
		p, c := logLine(t, plain), logLine(t, checked)
		if p["dynamodb_calls"] != c["dynamodb_calls"] || p["dynamodb_ops"] != c["dynamodb_ops"] {
			t.Errorf("without the check %v (%v), with it %v (%v)", p["dynamodb_calls"], p["dynamodb_ops"], c["dynamodb_calls"], c["dynamodb_ops"])
		}
	})

	t.Run("the discovery creator is stytch_admin", func(t *testing.T) {
		founder := newEmail()
		ist := discover(t, founder).Str("intermediate_session_token")
		c := env.Do(t, "POST", "/v1/b2b/discovery/organizations/create", map[string]any{"intermediate_session_token": ist,
			"organization_name": "Founders", "organization_slug": newSlug()})
		apptest.ExpectOK(t, c)
		if got := memberRoleSources(c, "member.roles"); !slices.Equal(got["stytch_admin"], []string{"direct_assignment"}) || got["stytch_member"] == nil {
			t.Errorf("creator's roles: %v", got)
		}
		want := []string{"stytch_member", "stytch_admin"}
		if got := strs(c.Get("member_session.roles")); !sgSameSet(got, want) {
			t.Errorf("creator's session roles %v, want %v", got, want)
		}
		if got := jwtSessionRoles(t, c.Str("session_jwt")); !sgSameSet(got, want) {
			t.Errorf("creator's JWT roles %v, want %v", got, want)
		}
		v := check(map[string]any{"session_token": c.Str("session_token")}, c.Str("organization.organization_id"), "stytch.organization", "delete")
		apptest.ExpectOK(t, v)
		if got := strs(v.Get("verdict.granting_roles")); !slices.Equal(got, []string{"stytch_admin"}) {
			t.Errorf("creator's verdict: %s", v.Raw)
		}
	})
}
