package api_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"github.com/latchkey/latchkey/shared/app/apptest"
)

func newEmail() string { return "user-" + uuid.NewString()[:8] + "@acme.com" }

func createMember(t *testing.T, orgID string, body map[string]any) apptest.Response {
	t.Helper()
	if _, ok := body["email_address"]; !ok {
		body["email_address"] = newEmail()
	}
	r := env.Do(t, "POST", "/v1/b2b/organizations/"+orgID+"/members", body)
	apptest.ExpectOK(t, r)
	return r
}

func getMember(t *testing.T, orgID, memberID, email string) apptest.Response {
	t.Helper()
	q := url.Values{}
	if memberID != "" {
		q.Set("member_id", memberID)
	}
	if email != "" {
		q.Set("email_address", email)
	}
	return env.Do(t, "GET", "/v1/b2b/organizations/"+orgID+"/member?"+q.Encode(), nil)
}

func TestMemberLifecycle(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	email := newEmail()
	r := createMember(t, org, map[string]any{
		"email_address": "  " + email + " ", "name": "Ada", "roles": []string{"stytch_admin"},
		"trusted_metadata": map[string]any{"tier": 1}, "external_id": "ext-1",
	})
	id := r.Str("member_id")
	if r.Str("member.email_address") != email || r.Str("member.status") != "active" || r.Get("member.is_admin") != true ||
		r.Str("organization.organization_id") != org || r.Str("member.external_id") != "ext-1" {
		t.Fatalf("unexpected member: %s", r.Raw)
	}

	// Same email again, in any case: duplicate. Nothing new is created.
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/organizations/"+org+"/members",
		map[string]any{"email_address": "  " + upper(email)}), http.StatusBadRequest, "duplicate_member_email")
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/organizations/"+org+"/members",
		map[string]any{"email_address": newEmail(), "external_id": "ext-1"}), http.StatusBadRequest, "duplicate_member_external_id")

	// Found by id and by email (any case).
	apptest.ExpectOK(t, getMember(t, org, id, ""))
	byEmail := getMember(t, org, "", upper(email))
	apptest.ExpectOK(t, byEmail)
	if byEmail.Str("member_id") != id {
		t.Fatalf("email lookup found %s", byEmail.Raw)
	}

	// Email change moves the key: the new address finds the member; the old one is retired,
	// found by nobody and taken by nobody else until it is unlinked.
	newAddr := newEmail()
	up := env.Do(t, "PUT", "/v1/b2b/organizations/"+org+"/members/"+id, map[string]any{"email_address": newAddr, "name": "Ada L"})
	apptest.ExpectOK(t, up)
	if up.Str("member.email_address") != newAddr || up.Str("member.name") != "Ada L" || up.Get("member.trusted_metadata.tier") != float64(1) ||
		up.Str("member.retired_email_addresses.0.email_address") != email {
		t.Fatalf("update: %s", up.Raw)
	}
	apptest.ExpectError(t, getMember(t, org, "", email), http.StatusNotFound, "member_not_found")
	apptest.ExpectOK(t, getMember(t, org, "", newAddr))
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/organizations/"+org+"/members", map[string]any{"email_address": email}),
		http.StatusBadRequest, "duplicate_member_email")
	unlink := env.Do(t, "POST", "/v1/b2b/organizations/"+org+"/members/"+id+"/unlink_retired_email", map[string]any{"email_address": email})
	apptest.ExpectOK(t, unlink)
	if n, _ := unlink.Get("member.retired_email_addresses").([]any); len(n) != 0 {
		t.Fatalf("unlink: %s", unlink.Raw)
	}
	other := createMember(t, org, map[string]any{"email_address": email}).Str("member_id")
	// Moving onto a taken address is refused and changes nothing.
	apptest.ExpectError(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+org+"/members/"+id,
		map[string]any{"email_address": email}), http.StatusBadRequest, "duplicate_member_email")
	if got := getMember(t, org, id, ""); got.Str("member.email_address") != newAddr {
		t.Fatalf("refused update changed the member: %s", got.Raw)
	}

	verify(t, org, id) // only a member with a verified address can be reactivated

	// Soft delete: gone from get, visible to dangerously_get with include_deleted, email freed.
	apptest.ExpectOK(t, env.Do(t, "DELETE", "/v1/b2b/organizations/"+org+"/members/"+id, nil))
	apptest.ExpectError(t, getMember(t, org, id, ""), http.StatusNotFound, "member_not_found")
	apptest.ExpectError(t, env.Do(t, "DELETE", "/v1/b2b/organizations/"+org+"/members/"+id, nil), http.StatusNotFound, "member_not_found")
	apptest.ExpectError(t, env.Do(t, "GET", "/v1/b2b/organizations/members/dangerously_get/"+id, nil), http.StatusNotFound, "member_not_found")
	dg := env.Do(t, "GET", "/v1/b2b/organizations/members/dangerously_get/"+id+"?include_deleted=true", nil)
	apptest.ExpectOK(t, dg)
	if dg.Str("member.status") != "deleted" {
		t.Fatalf("dangerously_get: %s", dg.Raw)
	}
	taker := createMember(t, org, map[string]any{"email_address": newAddr}).Str("member_id")

	// Reactivation needs the email back: refused while another member holds it.
	apptest.ExpectError(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+org+"/members/"+id+"/reactivate", nil),
		http.StatusBadRequest, "reactivation_email_belongs_to_another_member")
	if dg := env.Do(t, "GET", "/v1/b2b/organizations/members/dangerously_get/"+id+"?include_deleted=true", nil); dg.Str("member.status") != "deleted" {
		t.Fatalf("a refused reactivation changed the member: %s", dg.Raw)
	}
	apptest.ExpectOK(t, env.Do(t, "DELETE", "/v1/b2b/organizations/"+org+"/members/"+taker, nil))
	re := env.Do(t, "PUT", "/v1/b2b/organizations/"+org+"/members/"+id+"/reactivate", nil)
	apptest.ExpectOK(t, re)
	if re.Str("member.status") != "active" {
		t.Fatalf("reactivate: %s", re.Raw)
	}
	apptest.ExpectError(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+org+"/members/"+id+"/reactivate", nil),
		http.StatusBadRequest, "no_deleted_member_found_for_reactivation")
	_ = other
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

// A member of organization A addressed through organization B does not exist there.
func TestTenantIsolation(t *testing.T) {
	a := createOrg(t, map[string]any{}).Str("organization.organization_id")
	b := createOrg(t, map[string]any{}).Str("organization.organization_id")
	email := newEmail()
	m := createMember(t, a, map[string]any{"email_address": email}).Str("member_id")
	base := "/v1/b2b/organizations/" + b + "/members/" + m

	apptest.ExpectError(t, getMember(t, b, m, ""), http.StatusNotFound, "member_not_found")
	apptest.ExpectError(t, getMember(t, b, "", email), http.StatusNotFound, "member_not_found")
	apptest.ExpectError(t, env.Do(t, "PUT", base, map[string]any{"name": "x"}), http.StatusNotFound, "member_not_found")
	apptest.ExpectError(t, env.Do(t, "DELETE", base, nil), http.StatusNotFound, "member_not_found")
	apptest.ExpectError(t, env.Do(t, "PUT", base+"/reactivate", nil), http.StatusNotFound, "member_not_found")
	s := env.Do(t, "POST", "/v1/b2b/organizations/members/search", map[string]any{
		"organization_ids": []string{b}, "query": map[string]any{"operator": "AND",
			"operands": []any{map[string]any{"filter_name": "member_ids", "filter_value": []string{m}}}}})
	apptest.ExpectOK(t, s)
	if len(s.Get("members").([]any)) != 0 {
		t.Fatalf("search in B found A's member: %s", s.Raw)
	}
	// Still intact in A.
	if got := getMember(t, a, m, ""); got.Str("member.name") != "" || got.Str("member.status") != "active" {
		t.Fatalf("member changed through another org: %s", got.Raw)
	}
	// The same email is a separate member in B.
	if createMember(t, b, map[string]any{"email_address": email}).Str("member_id") == m {
		t.Fatal("same member id across organizations")
	}
}

// An address that was never verified proves nobody: a deleted member that never verified it
// stays deleted (Stytch's email_unverified_for_reactivation), whoever asks.
func TestReactivationNeedsAVerifiedEmail(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	id := createMember(t, org, map[string]any{"email_address": newEmail()}).Str("member_id")
	apptest.ExpectOK(t, env.Do(t, "DELETE", "/v1/b2b/organizations/"+org+"/members/"+id, nil))
	apptest.ExpectError(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+org+"/members/"+id+"/reactivate", nil),
		http.StatusBadRequest, "email_unverified_for_reactivation")
	if dg := env.Do(t, "GET", "/v1/b2b/organizations/members/dangerously_get/"+id+"?include_deleted=true", nil); dg.Str("member.status") != "deleted" {
		t.Fatalf("a refused reactivation changed the member: %s", dg.Raw)
	}
	// An active member is not "deleted": Stytch's own type for that.
	active := createMember(t, org, map[string]any{"email_address": newEmail()}).Str("member_id")
	apptest.ExpectError(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+org+"/members/"+active+"/reactivate", nil),
		http.StatusBadRequest, "no_deleted_member_found_for_reactivation")
}
