package api_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/latchkey/latchkey/shared/app/apptest"
)

func newSlug() string { return "acme-" + uuid.NewString()[:8] }

func createOrg(t *testing.T, body map[string]any) apptest.Response {
	t.Helper()
	if _, ok := body["organization_name"]; !ok {
		body["organization_name"] = "Acme"
	}
	if _, ok := body["organization_slug"]; !ok {
		body["organization_slug"] = newSlug()
	}
	r := env.Do(t, "POST", "/v1/b2b/organizations", body)
	apptest.ExpectOK(t, r)
	return r
}

func TestOrganizationLifecycle(t *testing.T) {
	slug := newSlug()
	r := createOrg(t, map[string]any{
		"organization_name": "Acme Inc", "organization_slug": slug,
		"email_allowed_domains": []string{"Acme.com"}, "email_jit_provisioning": "RESTRICTED",
		"trusted_metadata": map[string]any{"plan": "pro"},
	})
	id := r.Str("organization.organization_id")
	if r.Str("organization.organization_slug") != slug || r.Str("organization.email_jit_provisioning") != "RESTRICTED" ||
		r.Get("organization.email_allowed_domains").([]any)[0] != "acme.com" ||
		r.Str("organization.mfa_policy") != "OPTIONAL" || r.Str("organization.created_at") == "" {
		t.Fatalf("unexpected organization: %s", r.Raw)
	}

	byID := env.Do(t, "GET", "/v1/b2b/organizations/"+id, nil)
	apptest.ExpectOK(t, byID)
	bySlug := env.Do(t, "GET", "/v1/b2b/organizations/"+slug, nil)
	apptest.ExpectOK(t, bySlug)
	if bySlug.Str("organization.organization_id") != id {
		t.Fatalf("slug lookup found %s", bySlug.Raw)
	}

	// Partial update: only organization_name changes.
	up := env.Do(t, "PUT", "/v1/b2b/organizations/"+id, map[string]any{"organization_name": "Acme Corp"})
	apptest.ExpectOK(t, up)
	if up.Str("organization.organization_name") != "Acme Corp" || up.Str("organization.email_jit_provisioning") != "RESTRICTED" ||
		up.Get("organization.trusted_metadata.plan") != "pro" {
		t.Fatalf("partial update changed more than it should: %s", up.Raw)
	}

	del := env.Do(t, "DELETE", "/v1/b2b/organizations/"+id, nil)
	apptest.ExpectOK(t, del)
	apptest.ExpectError(t, env.Do(t, "GET", "/v1/b2b/organizations/"+id, nil), http.StatusNotFound, "organization_not_found")
	// The slug is free again.
	createOrg(t, map[string]any{"organization_slug": slug})
}

// Stytch's creation default for email_invites depends on the request: ALL_ALLOWED when no
// authentication setting is sent, NOT_ALLOWED when some are but email_invites is not; an
// explicit value always stands, and an update never re-applies the rule.
func TestEmailInvitesCreationDefault(t *testing.T) {
	cases := []struct {
		name string
		body map[string]any
		want string
	}{
		{"no settings", map[string]any{}, "ALL_ALLOWED"},
		{"only metadata and MFA", map[string]any{"trusted_metadata": map[string]any{"tier": 1}, "mfa_policy": "REQUIRED_FOR_ALL"}, "ALL_ALLOWED"},
		{"allowed domains", map[string]any{"email_allowed_domains": []string{"acme-" + uuid.NewString()[:6] + ".com"}}, "NOT_ALLOWED"},
		{"auth methods", map[string]any{"auth_methods": "RESTRICTED", "allowed_auth_methods": []string{"sso"}}, "NOT_ALLOWED"},
		{"sso JIT", map[string]any{"sso_jit_provisioning": "NOT_ALLOWED"}, "NOT_ALLOWED"},
		{"explicit", map[string]any{"email_jit_provisioning": "NOT_ALLOWED", "email_invites": "ALL_ALLOWED"}, "ALL_ALLOWED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			org := createOrg(t, c.body)
			if got := org.Str("organization.email_invites"); got != c.want {
				t.Fatalf("email_invites %s, want %s: %s", got, c.want, org.Raw)
			}
			id := org.Str("organization.organization_id")
			if c.want == "NOT_ALLOWED" {
				apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/magic_links/email/invite", map[string]any{"organization_id": id,
					"email_address": newEmail(), "invite_redirect_url": redirect}), http.StatusBadRequest, "invalid_email_for_invites")
			}
			up := env.Do(t, "PUT", "/v1/b2b/organizations/"+id, map[string]any{"email_jit_provisioning": "NOT_ALLOWED"})
			apptest.ExpectOK(t, up)
			if up.Str("organization.email_invites") != c.want {
				t.Fatalf("an update changed email_invites: %s", up.Raw)
			}
		})
	}
}
