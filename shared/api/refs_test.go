package api_test

import (
	"context"
	"net/http"
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

// The request log names the organization by id, whatever the caller named it by, and a slug
// that is also another organization's external id means the organization with the slug.
func TestReferencesResolveToIDs(t *testing.T) {
	shared := newSlug()
	bySlug := createOrg(t, map[string]any{"organization_slug": shared}).Str("organization.organization_id")
	byExt := createOrg(t, map[string]any{"organization_external_id": shared}).Str("organization.organization_id")
	r := env.Do(t, "GET", "/v1/b2b/organizations/"+shared, nil)
	apptest.ExpectOK(t, r)
	if r.Str("organization.organization_id") != bySlug {
		t.Fatalf("%s is %s's slug and %s's external id; got %s", shared, bySlug, byExt, r.Raw)
	}
	if line := logLine(t, r); line["organization_id"] != bySlug {
		t.Fatalf("log line names %v, want %s", line["organization_id"], bySlug)
	}
	// An over-long reference is not found without a read.
	long := make([]byte, 200)
	for i := range long {
		long[i] = 'a'
	}
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/magic_links/email/login_or_signup",
		map[string]any{"organization_id": string(long), "email_address": newEmail()}), http.StatusNotFound, "organization_not_found")
}
