package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/magiclinks"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/magiclinks/email"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations/members"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sessions"

	"github.com/latchkey/latchkey/shared/app/apptest"
)

// Stytch takes an organization's slug or external id wherever it takes an organization_id,
// and a member's external_id wherever it takes a member_id: in the path, the query and the
// body. Through stytch-go, with no id in sight.
func TestStytchGoSlugsAndExternalIDsForIDs(t *testing.T) {
	ctx := context.Background()
	client, err := b2bstytchapi.NewClient(env.ProjectID, env.Secret, b2bstytchapi.WithBaseURI(env.URL))
	if err != nil {
		t.Fatal(err)
	}
	slug, orgExt := newSlug(), "crm-"+uuid.NewString()[:8]
	created, err := client.Organizations.Create(ctx, &organizations.CreateParams{OrganizationName: "Refs",
		OrganizationSlug: slug, OrganizationExternalID: orgExt})
	if err != nil {
		t.Fatal(err)
	}
	orgID := created.Organization.OrganizationID

	// Organizations: by slug and by external id.
	for _, ref := range []string{slug, orgExt} {
		got, err := client.Organizations.Get(ctx, &organizations.GetParams{OrganizationID: ref})
		if err != nil || got.Organization.OrganizationID != orgID {
			t.Fatalf("Organizations.Get(%s): %v %+v", ref, err, got)
		}
	}
	up, err := client.Organizations.Update(ctx, &organizations.UpdateParams{OrganizationID: orgExt, OrganizationName: "Refs Renamed"})
	if err != nil || up.Organization.OrganizationID != orgID || up.Organization.OrganizationName != "Refs Renamed" {
		t.Fatalf("Organizations.Update by external id: %v %+v", err, up)
	}

	// Members: created in the organization named by slug, then found, changed by external ids.
	memberExt, addr := "emp-"+uuid.NewString()[:8], newEmail()
	m, err := client.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: slug, EmailAddress: addr, ExternalID: memberExt})
	if err != nil || m.Member.OrganizationID != orgID {
		t.Fatalf("Members.Create by slug: %v %+v", err, m)
	}
	got, err := client.Organizations.Members.Get(ctx, &members.GetParams{OrganizationID: orgExt, MemberID: memberExt})
	if err != nil || got.MemberID != m.MemberID {
		t.Fatalf("Members.Get by external ids: %v %+v", err, got)
	}
	mu, err := client.Organizations.Members.Update(ctx, &members.UpdateParams{OrganizationID: slug, MemberID: memberExt, Name: "Ext Ernal"})
	if err != nil || mu.MemberID != m.MemberID || mu.Member.Name != "Ext Ernal" {
		t.Fatalf("Members.Update by external ids: %v %+v", err, mu)
	}

	// A body's organization_id: a login link for the organization named by its slug.
	if _, err := client.MagicLinks.Email.LoginOrSignup(ctx, &email.LoginOrSignupParams{OrganizationID: slug, EmailAddress: addr}); err != nil {
		t.Fatalf("LoginOrSignup by slug: %v", err)
	}
	auth, err := client.MagicLinks.Authenticate(ctx, &magiclinks.AuthenticateParams{MagicLinksToken: env.LastEmail(t, addr).Token()})
	if err != nil || auth.OrganizationID != orgID || auth.MemberID != m.MemberID {
		t.Fatalf("the link logs into the organization: %v %+v", err, auth)
	}
	// A query's: the member's sessions, by both external ids.
	ss, err := client.Sessions.Get(ctx, &sessions.GetParams{OrganizationID: orgExt, MemberID: memberExt})
	if err != nil || len(ss.MemberSessions) != 1 || ss.MemberSessions[0].MemberSessionID != auth.MemberSession.MemberSessionID {
		t.Fatalf("Sessions.Get by external ids: %v %+v", err, ss)
	}

	// What nobody has is not found, and a member's external id is looked up only inside the
	// organization named: another organization's slug does not reach it.
	_, err = client.Organizations.Get(ctx, &organizations.GetParams{OrganizationID: "no-such-" + uuid.NewString()[:8]})
	sgWantErr(t, err, http.StatusNotFound, "organization_not_found")
	other, err := client.Organizations.Create(ctx, &organizations.CreateParams{OrganizationName: "Other", OrganizationSlug: newSlug()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Organizations.Members.Get(ctx, &members.GetParams{OrganizationID: other.Organization.OrganizationSlug, MemberID: memberExt})
	sgWantErr(t, err, http.StatusNotFound, "member_not_found")
	_, err = client.Organizations.Members.Update(ctx, &members.UpdateParams{OrganizationID: other.Organization.OrganizationID, MemberID: memberExt, Name: "X"})
	sgWantErr(t, err, http.StatusNotFound, "member_not_found")

	// Reactivate takes a member id only (Stytch: "this endpoint does not accept an external_id").
	if _, err := client.Organizations.Members.Delete(ctx, &members.DeleteParams{OrganizationID: slug, MemberID: memberExt}); err != nil {
		t.Fatalf("Members.Delete by external ids: %v", err)
	}
	_, err = client.Organizations.Members.Reactivate(ctx, &members.ReactivateParams{OrganizationID: slug, MemberID: memberExt})
	sgWantErr(t, err, http.StatusNotFound, "member_not_found")
	re, err := client.Organizations.Members.Reactivate(ctx, &members.ReactivateParams{OrganizationID: slug, MemberID: m.MemberID})
	if err != nil || re.Member.Status != "active" {
		t.Fatalf("Members.Reactivate by id in the organization named by slug: %v %+v", err, re)
	}
}

// The request log names the organization by id, whatever the caller named it by.
func TestReferencesResolveToIDs(t *testing.T) {
	slug := newSlug()
	id := createOrg(t, map[string]any{"organization_slug": slug}).Str("organization.organization_id")
	r := env.Do(t, "GET", "/v1/b2b/organizations/"+slug, nil)
	apptest.ExpectOK(t, r)
	if line := logLine(t, r); r.Str("organization.organization_id") != id || line["organization_id"] != id {
		t.Fatalf("by slug: %s, logged as %v", r.Raw, line["organization_id"])
	}
	// An over-long reference is not found without a read.
	long := make([]byte, 200)
	for i := range long {
		long[i] = 'a'
	}
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/magic_links/email/login_or_signup",
		map[string]any{"organization_id": string(long), "email_address": newEmail()}), http.StatusNotFound, "organization_not_found")
}

// Slugs and external ids are unique each on its own, so one organization's slug can be
// another's external id, and end users choose slugs (discovery). Such a name is refused, not
// given to either: otherwise someone could create an organization whose slug takes over every
// call a backend makes by another organization's external id, in any letter case.
func TestAReferenceTwoOrganizationsShareIsRefused(t *testing.T) {
	ext := "CUST-" + uuid.NewString()[:8]
	victim := createOrg(t, map[string]any{"organization_external_id": ext}).Str("organization.organization_id")
	apptest.ExpectOK(t, env.Do(t, "GET", "/v1/b2b/organizations/"+ext, nil))
	attacker := createOrg(t, map[string]any{"organization_slug": strings.ToLower(ext)}).Str("organization.organization_id")

	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/b2b/organizations/" + ext},
		{"POST", "/v1/b2b/organizations/" + ext + "/members"},
	} {
		r := env.Do(t, c.method, c.path, map[string]any{"email_address": newEmail()})
		apptest.ExpectError(t, r, http.StatusBadRequest, "organization_reference_ambiguous")
	}
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/magic_links/email/login_or_signup",
		map[string]any{"organization_id": ext, "email_address": newEmail()}), http.StatusBadRequest, "organization_reference_ambiguous")
	// Nothing landed in the attacker's organization; both stay reachable by id, and the slug
	// alone (which is not the external id's exact spelling) still names the attacker's.
	if n, _ := env.Do(t, "POST", "/v1/b2b/organizations/members/search", map[string]any{"organization_ids": []string{attacker}}).
		Get("members").([]any); len(n) != 0 {
		t.Fatalf("members were created in %s: %v", attacker, n)
	}
	apptest.ExpectOK(t, env.Do(t, "GET", "/v1/b2b/organizations/"+victim, nil))
	if r := env.Do(t, "GET", "/v1/b2b/organizations/"+strings.ToLower(ext), nil); r.Str("organization.organization_id") != attacker {
		t.Fatalf("the lower-case slug: %s", r.Raw)
	}
}

// A public route resolves nothing before its own credential check: the SSO start does not
// tell an anonymous caller which slugs and external ids exist.
func TestPublicRoutesDoNotResolveReferences(t *testing.T) {
	ext := "crm-" + uuid.NewString()[:8]
	createOrg(t, map[string]any{"organization_external_id": ext})
	known, _, _ := env.Send(t, "GET", "/v1/public/sso/start?organization_id="+ext, nil, nil)
	unknown, _, _ := env.Send(t, "GET", "/v1/public/sso/start?organization_id=nope-"+uuid.NewString()[:8], nil, nil)
	if known != unknown {
		t.Fatalf("an anonymous SSO start tells a known external id (%d) from an unknown one (%d)", known, unknown)
	}
}
