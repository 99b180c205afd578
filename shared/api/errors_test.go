package api_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/app/apptest"
)

// fillPath replaces {param} with values that exist, so auth is the only thing that can fail.
func fillPath(path string, vals map[string]string) string {
	for k, v := range vals {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	return path
}

// Every route in the route table except JWKS refuses missing, wrong or foreign project
// credentials with 401 and changes nothing; SCIM routes refuse anything but their bearer token.
func TestEveryPrivateRouteNeedsCredentials(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	m := createMember(t, org, map[string]any{}).Str("member_id")
	vals := map[string]string{"organization_id": org, "member_id": m, "project_id": env.ProjectID}
	creds := []struct{ name, id, secret string }{
		{"none", "", ""},
		{"wrong secret", env.ProjectID, env.Secret + "x"},
		{"wrong project", "project-test-00000000-0000-4000-8000-000000000001", env.Secret},
		{"empty secret", env.ProjectID, ""},
	}
	for _, rt := range api.Routes {
		path := fillPath(rt.Path, vals)
		for _, c := range creds {
			r := env.DoAs(t, c.id, c.secret, rt.Method, path, map[string]any{"organization_name": "Hijack"})
			if strings.HasPrefix(rt.Path, "/scim/") {
				// SCIM routes take the connection's bearer token instead; Basic is not it.
				if r.Status != http.StatusUnauthorized {
					t.Errorf("%s %s answered %d without a bearer token", rt.Method, rt.Path, r.Status)
				}
				continue
			}
			if rt.Public && (strings.Contains(rt.Path, "/sso/") || strings.Contains(rt.Path, "/oauth/")) {
				// Browser routes do not take project credentials: the public token (start) or
				// the identity provider's proof (callbacks) is their check, and here is absent.
				if r.Status < 400 || r.Status >= 500 || r.Str("error_type") == "unauthorized_credentials" {
					t.Errorf("%s %s answered %d %s without its own credential", rt.Method, rt.Path, r.Status, r.Raw)
				}
				continue
			}
			if rt.Public {
				if r.Status != http.StatusOK {
					t.Errorf("%s %s is public but answered %d", rt.Method, rt.Path, r.Status)
				}
				continue
			}
			apptest.ExpectError(t, r, http.StatusUnauthorized, "unauthorized_credentials")
		}
	}
	// Nothing was changed or deleted by the refused calls.
	if got := env.Do(t, "GET", "/v1/b2b/organizations/"+org, nil); got.Str("organization.organization_name") != "Acme" {
		t.Fatalf("refused calls changed the organization: %s", got.Raw)
	}
	apptest.ExpectOK(t, getMember(t, org, m, ""))
}

// Unknown routes, wrong methods, malformed, mistyped and oversized bodies all get Stytch-shaped
// 4xx errors.
func TestRouteAndBodyErrors(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	cases := []struct {
		name, method, path string
		body               any
		status             int
		errType            string
	}{
		{"unknown route", "GET", "/v1/b2b/nope", nil, 404, "route_not_found"},
		{"wrong method", "PATCH", "/v1/b2b/organizations/" + org, nil, 405, "method_not_allowed"},
		{"malformed JSON", "POST", "/v1/b2b/organizations", `{"organization_name":`, 400, "bad_request"},
		{"JSON array", "POST", "/v1/b2b/organizations", `[1,2]`, 400, "bad_request"},
		{"wrong field type", "POST", "/v1/b2b/organizations", `{"organization_name":5,"organization_slug":"x-y"}`, 400, "bad_request"},
		{"oversized body", "POST", "/v1/b2b/organizations", `{"organization_name":"` + strings.Repeat("a", 70<<10) + `"}`, 400, "request_body_too_large"},
		{"malformed member JSON", "POST", "/v1/b2b/organizations/" + org + "/members", `{`, 400, "bad_request"},
		{"malformed search", "POST", "/v1/b2b/organizations/search", `{"limit":"ten"}`, 400, "bad_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := env.Do(t, c.method, c.path, c.body)
			apptest.ExpectError(t, r, c.status, c.errType)
			if c.status == 405 && r.Header.Get("Allow") == "" {
				t.Error("405 without Allow header")
			}
		})
	}
}

func TestOrganizationBadInput(t *testing.T) {
	existing := createOrg(t, map[string]any{"email_allowed_domains": []string{"acme.com"}})
	id := existing.Str("organization.organization_id")
	slug := existing.Str("organization.organization_slug")
	cases := []struct {
		name    string
		body    map[string]any
		status  int
		errType string
	}{
		{"missing name", map[string]any{"organization_name": "", "organization_slug": newSlug()}, 400, "invalid_organization_name"},
		{"slug too short", map[string]any{"organization_slug": "a"}, 400, "invalid_organization_slug"},
		{"slug bad chars", map[string]any{"organization_slug": "a b/c"}, 400, "invalid_organization_slug"},
		{"slug too long", map[string]any{"organization_slug": strings.Repeat("a", 129)}, 400, "invalid_organization_slug"},
		{"slug taken", map[string]any{"organization_slug": strings.ToUpper(slug)}, 400, "organization_slug_already_used"},
		{"consumer domain", map[string]any{"email_allowed_domains": []string{"gmail.com"}}, 400, "organization_settings_domain_too_common"},
		{"bad domain", map[string]any{"email_allowed_domains": []string{"not a domain"}}, 400, "organization_settings_invalid_domain"},
		{"bad email_jit", map[string]any{"email_jit_provisioning": "ALL_ALLOWED"}, 400, "invalid_email_jit_provisioning"},
		{"bad email_invites", map[string]any{"email_invites": "SOMETIMES"}, 400, "invalid_email_invites"},
		{"bad sso_jit", map[string]any{"sso_jit_provisioning": "yes"}, 400, "invalid_sso_jit_provisioning"},
		{"bad auth_methods", map[string]any{"auth_methods": "NOT_ALLOWED"}, 400, "invalid_auth_methods"},
		{"restricted without list", map[string]any{"auth_methods": "RESTRICTED"}, 400, "allowed_auth_methods_required_for_restricted"},
		{"bad allowed method", map[string]any{"auth_methods": "RESTRICTED", "allowed_auth_methods": []string{"carrier_pigeon"}}, 400, "invalid_allowed_auth_methods"},
		{"bad mfa_policy", map[string]any{"mfa_policy": "ALWAYS"}, 400, "invalid_mfa_policy"},
		{"bad mfa method", map[string]any{"allowed_mfa_methods": []string{"fax"}}, 400, "invalid_allowed_mfa_methods"},
		{"metadata too large", map[string]any{"trusted_metadata": map[string]any{"blob": strings.Repeat("x", 5000)}}, 400, "metadata_too_large"},
		{"id-shaped slug", map[string]any{"organization_slug": "organization-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00"}, 400, "invalid_organization_slug"},
	}
	for _, c := range cases {
		t.Run("create/"+c.name, func(t *testing.T) {
			body := map[string]any{"organization_name": "X", "organization_slug": newSlug()}
			for k, v := range c.body {
				body[k] = v
			}
			apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/organizations", body), c.status, c.errType)
		})
		if c.name == "slug taken" {
			continue
		}
		t.Run("update/"+c.name, func(t *testing.T) {
			apptest.ExpectError(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+id, c.body), c.status, c.errType)
		})
	}
	// No refused update changed anything.
	after := env.Do(t, "GET", "/v1/b2b/organizations/"+id, nil)
	if after.Str("organization.updated_at") != existing.Str("organization.updated_at") ||
		after.Str("organization.organization_slug") != slug {
		t.Fatalf("a refused update changed the organization:\nbefore %s\nafter  %s", existing.Raw, after.Raw)
	}
	apptest.ExpectError(t, env.Do(t, "GET", "/v1/b2b/organizations/organization-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00", nil), 404, "organization_not_found")
	apptest.ExpectError(t, env.Do(t, "GET", "/v1/b2b/organizations/no-such-slug", nil), 404, "organization_not_found")
	apptest.ExpectError(t, env.Do(t, "PUT", "/v1/b2b/organizations/organization-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00", map[string]any{"organization_name": "x"}), 404, "organization_not_found")
	apptest.ExpectError(t, env.Do(t, "DELETE", "/v1/b2b/organizations/organization-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00", nil), 404, "organization_not_found")
}

func TestMemberBadInput(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	m := createMember(t, org, map[string]any{})
	id := m.Str("member_id")
	members := "/v1/b2b/organizations/" + org + "/members"
	cases := []struct {
		name    string
		body    map[string]any
		status  int
		errType string
	}{
		{"bad email", map[string]any{"email_address": "not-an-email"}, 400, "invalid_email"},
		{"display-name email", map[string]any{"email_address": "Bob <bob@acme.com>"}, 400, "invalid_email"},
		{"stytch_member role", map[string]any{"roles": []string{"stytch_member"}}, 400, "invalid_rbac_stytch_role_edit"},
		{"bad role id", map[string]any{"roles": []string{"has space"}}, 400, "invalid_rbac_role_id"},
		{"too many metadata keys", map[string]any{"untrusted_metadata": manyKeys(21)}, 400, "metadata_too_many_keys"},
		{"bad default mfa", map[string]any{"default_mfa_method": "fax"}, 400, "invalid_mfa_default_method"},
	}
	for _, c := range cases {
		t.Run("create/"+c.name, func(t *testing.T) {
			body := map[string]any{"email_address": newEmail()}
			for k, v := range c.body {
				body[k] = v
			}
			apptest.ExpectError(t, env.Do(t, "POST", members, body), c.status, c.errType)
		})
		t.Run("update/"+c.name, func(t *testing.T) {
			apptest.ExpectError(t, env.Do(t, "PUT", members+"/"+id, c.body), c.status, c.errType)
		})
	}
	apptest.ExpectError(t, env.Do(t, "POST", members, map[string]any{"name": "no email"}), 400, "invalid_email")
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/organizations/organization-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00/members",
		map[string]any{"email_address": newEmail()}), 404, "organization_not_found")
	apptest.ExpectError(t, getMember(t, org, "", ""), 400, "bad_request")
	apptest.ExpectError(t, getMember(t, org, "member-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00", ""), 404, "member_not_found")
	apptest.ExpectError(t, getMember(t, "organization-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00", id, ""), 404, "organization_not_found")
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/organizations/members/search", map[string]any{}), 400, "member_search_missing_organization_id")
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/organizations/members/search", map[string]any{
		"organization_ids": []string{org}, "query": map[string]any{"operands": []any{map[string]any{"filter_name": "shoe_size", "filter_value": []string{"9"}}}},
	}), 400, "member_search_filter_name_not_recognized")
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/organizations/members/search", map[string]any{
		"organization_ids": []string{org}, "cursor": "%%%"}), 400, "invalid_cursor")
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/organizations/search", map[string]any{"limit": 5000}), 400, "invalid_limit")
	// The member is as it was.
	if got := getMember(t, org, id, ""); got.Str("member.updated_at") != m.Str("member.updated_at") {
		t.Fatalf("refused updates changed the member: %s", got.Raw)
	}
}

func manyKeys(n int) map[string]any {
	out := map[string]any{}
	for i := range n {
		out[strings.Repeat("k", i+1)] = i
	}
	return out
}

// A management call that carries a member's session (stytch-go's options with a member
// session) is checked against that member's permissions, whichever header carries it and in
// any case of its name: a plain member may not delete another member, and nothing changes.
func TestMemberSessionHeadersAreEnforced(t *testing.T) {
	org, _, auth := login(t)
	other := createMember(t, org, map[string]any{}).Str("member_id")
	for _, h := range []string{"X-Stytch-Member-Session", "X-Stytch-Member-SessionJWT", "x-stytch-member-sessionjwt"} {
		header := http.Header{"Content-Type": {"application/json"},
			"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(env.ProjectID+":"+env.Secret))}}
		v := auth.Str("session_token")
		if strings.Contains(strings.ToLower(h), "jwt") {
			v = auth.Str("session_jwt")
		}
		header.Set(h, v)
		status, _, raw := env.Send(t, "DELETE", "/v1/b2b/organizations/"+org+"/members/"+other, nil, header)
		if status != http.StatusForbidden || !strings.Contains(string(raw), "session_authorization_error") {
			t.Fatalf("%s: %d %s", h, status, raw)
		}
	}
	if got := getMember(t, org, other, ""); got.Str("member.status") != "active" {
		t.Fatalf("the member changed: %s", got.Raw)
	}
}

// Every error links Stytch's documentation of it, as Stytch's error bodies do:
// error_url is https://stytch.com/docs/api-reference/b2b/api/errors/<status>#<error_type>.
func TestErrorsCarryErrorURL(t *testing.T) {
	for _, c := range []struct {
		method, path string
		status       int
		errType      string
	}{
		{"GET", "/v1/b2b/nowhere", 404, "route_not_found"},
		{"GET", "/v1/b2b/organizations/organization-test-00000000-0000-4000-8000-000000000000", 404, "organization_not_found"},
		{"POST", "/v1/b2b/magic_links/authenticate", 400, "bad_request"},
	} {
		r := env.Do(t, c.method, c.path, nil)
		apptest.ExpectError(t, r, c.status, c.errType)
		if want := fmt.Sprintf("https://stytch.com/docs/api-reference/b2b/api/errors/%d#%s", c.status, c.errType); r.Str("error_url") != want {
			t.Errorf("%s %s: error_url %q, want %q", c.method, c.path, r.Str("error_url"), want)
		}
	}
}
