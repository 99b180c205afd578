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
