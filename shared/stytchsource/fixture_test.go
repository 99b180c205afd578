package stytchsource_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/magiclinks/email"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations/members"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/passwords"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/scim/connection"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sso"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sso/oidc"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sso/saml"
	"golang.org/x/crypto/bcrypt"

	"github.com/latchkey/latchkey/shared/app/apptest"
)

// fixture is the project every test reads: seeded once, through stytch-go, as a Stytch
// customer would have built it, and never changed afterwards, so every export of it is the
// same bytes.
type fixture struct {
	orgs     []string            // in creation order, which is Latchkey's listing order
	members  map[string][]string // organization id → ids of its members that are not deleted
	deleted  map[string][]string // organization id → ids of its deleted members
	acme     string              // many members: more than one page
	ssoOrg   string              // a SAML, an OIDC and a SCIM connection
	empty    string              // no members, no connections
	statuses map[string]int
}

var (
	fixOnce sync.Once
	fix     *fixture
)

// theFixture seeds the project on first use. The identity providers it configures stop with
// the first test; the connections keep what was read from them.
func theFixture(t *testing.T) *fixture {
	t.Helper()
	fixOnce.Do(func() { fix = seed(t) })
	if fix == nil {
		t.Fatal("seeding the project failed in an earlier test")
	}
	return fix
}

func sdk(t testing.TB, opts ...b2bstytchapi.Option) *b2bstytchapi.API {
	t.Helper()
	c, err := b2bstytchapi.NewClient(env.ProjectID, env.Secret, append([]b2bstytchapi.Option{b2bstytchapi.WithBaseURI(env.URL)}, opts...)...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func seed(t *testing.T) *fixture {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := sdk(t)
	tag := uuid.NewString()[:8]
	domain := "acme-" + tag + ".example.com"
	f := &fixture{members: map[string][]string{}, deleted: map[string][]string{}}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seeding, %s: %v", what, err)
		}
	}
	newOrg := func(p *organizations.CreateParams) string {
		t.Helper()
		o, err := c.Organizations.Create(ctx, p)
		must("Organizations.Create "+p.OrganizationSlug, err)
		f.orgs = append(f.orgs, o.Organization.OrganizationID)
		return o.Organization.OrganizationID
	}
	addMember := func(p *members.CreateParams) string {
		t.Helper()
		m, err := c.Organizations.Members.Create(ctx, p)
		must("Members.Create "+p.EmailAddress, err)
		f.members[p.OrganizationID] = append(f.members[p.OrganizationID], m.MemberID)
		return m.MemberID
	}

	f.acme = newOrg(&organizations.CreateParams{
		OrganizationName:       "Acme " + tag,
		OrganizationSlug:       "acme-" + tag,
		OrganizationLogoURL:    "https://logo.example/" + tag + ".png",
		OrganizationExternalID: "acme-ext-" + tag,
		TrustedMetadata:        map[string]any{"plan": "enterprise", "seats": 250, "billing": map[string]any{"id": "cus_" + tag}},
		EmailAllowedDomains:    []string{domain},
		EmailJITProvisioning:   "RESTRICTED",
		EmailInvites:           "RESTRICTED",
		AuthMethods:            "RESTRICTED",
		AllowedAuthMethods:     []string{"magic_link", "password", "sso"},
		MFAPolicy:              "OPTIONAL",
		RBACEmailImplicitRoleAssignments: []*organizations.EmailImplicitRoleAssignment{
			{Domain: domain, RoleID: "editor"},
		},
	})
	addMember(&members.CreateParams{OrganizationID: f.acme, EmailAddress: "ada@" + domain, Name: "Ada Lovelace",
		ExternalID: "ada-" + tag, TrustedMetadata: map[string]any{"employee_id": 1815, "dept": "math"},
		UntrustedMetadata: map[string]any{"theme": "dark"}, Roles: []string{"viewer"}, IsBreakglass: true,
		MFAPhoneNumber: "+15555550123"})
	addMember(&members.CreateParams{OrganizationID: f.acme, EmailAddress: "pat@" + domain, Name: "Pat Pending",
		CreateMemberAsPending: true})
	inv, err := c.MagicLinks.Email.Invite(ctx, &email.InviteParams{OrganizationID: f.acme, EmailAddress: "ivy@" + domain,
		Name: "Ivy Invited", Roles: []string{"member-admin"}, UntrustedMetadata: map[string]any{"invited_by": "ada"}})
	must("MagicLinks.Email.Invite", err)
	f.members[f.acme] = append(f.members[f.acme], inv.MemberID)
	hash, err := bcrypt.GenerateFromPassword([]byte("violet-anchor-Quarry-47-lantern"), bcrypt.MinCost)
	must("bcrypt", err)
	mig, err := c.Passwords.Migrate(ctx, &passwords.MigrateParams{OrganizationID: f.acme, EmailAddress: "pw@" + domain,
		Hash: string(hash), HashType: passwords.MigrateRequestHashTypeBcrypt, Name: "Pia Password",
		TrustedMetadata: map[string]any{"source": "legacy"}})
	must("Passwords.Migrate", err)
	f.members[f.acme] = append(f.members[f.acme], mig.MemberID)
	for _, name := range []string{"u1", "u2"} {
		addMember(&members.CreateParams{OrganizationID: f.acme, EmailAddress: name + "@" + domain})
	}
	addMember(&members.CreateParams{OrganizationID: f.acme, EmailAddress: "outsider@other-" + tag + ".example.org",
		ExternalID: "outsider-" + tag})
	gone, err := c.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: f.acme, EmailAddress: "gone@" + domain})
	must("Members.Create gone", err)
	_, err = c.Organizations.Members.Delete(ctx, &members.DeleteParams{OrganizationID: f.acme, MemberID: gone.MemberID})
	must("Members.Delete", err)
	f.deleted[f.acme] = []string{gone.MemberID}

	f.ssoOrg = newOrg(&organizations.CreateParams{OrganizationName: "SSO Co " + tag, OrganizationSlug: "sso-" + tag,
		TrustedMetadata: map[string]any{"color": "teal"}})
	idp := apptest.StartSAMLIdP(t)
	sc, err := c.SSO.SAML.CreateConnection(ctx, &saml.CreateConnectionParams{OrganizationID: f.ssoOrg, DisplayName: "Okta SAML"})
	must("SAML.CreateConnection", err)
	_, err = c.SSO.SAML.UpdateByURL(ctx, &saml.UpdateByURLParams{OrganizationID: f.ssoOrg, ConnectionID: sc.Connection.ConnectionID,
		MetadataURL: idp.MetadataURL})
	must("SAML.UpdateByURL", err)
	_, err = c.SSO.SAML.UpdateConnection(ctx, &saml.UpdateConnectionParams{OrganizationID: f.ssoOrg, ConnectionID: sc.Connection.ConnectionID,
		AttributeMapping:                      map[string]any{"email": apptest.SAMLAttrEmail, "groups": apptest.SAMLAttrGroups},
		SAMLConnectionImplicitRoleAssignments: []*sso.SAMLConnectionImplicitRoleAssignment{{RoleID: "sso-user"}},
		SAMLGroupImplicitRoleAssignments:      []*sso.SAMLGroupImplicitRoleAssignment{{RoleID: "engineer", Group: "engineering"}},
	})
	must("SAML.UpdateConnection", err)
	oc, err := c.SSO.OIDC.CreateConnection(ctx, &oidc.CreateConnectionParams{OrganizationID: f.ssoOrg, DisplayName: "Zitadel"})
	must("OIDC.CreateConnection", err)
	op := apptest.StartOIDCProvider(t, oc.Connection.RedirectURL)
	_, err = c.SSO.OIDC.UpdateConnection(ctx, &oidc.UpdateConnectionParams{OrganizationID: f.ssoOrg, ConnectionID: oc.Connection.ConnectionID,
		ClientID: apptest.OIDCClientID, ClientSecret: apptest.OIDCClientSecret, Issuer: op.Issuer})
	must("OIDC.UpdateConnection", err)
	okta := connection.CreateRequestIdentityProviderOkta
	scim, err := c.SCIM.Connection.Create(ctx, &connection.CreateParams{OrganizationID: f.ssoOrg, DisplayName: "Okta SCIM", IdentityProvider: &okta})
	must("SCIM.Connection.Create", err)
	// A member provisioned the way an identity provider does it, so it has a scim_registration.
	base, err := url.Parse(scim.Connection.BaseURL)
	must("SCIM base_url", err)
	scimEmail := "scim-" + tag + "@sso-" + tag + ".example.com"
	status, _, raw := env.Send(t, "POST", base.Path+"/Users", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": scimEmail, "active": true,
		"externalId": "00u" + tag, "name": map[string]any{"givenName": "Sam", "familyName": "Scim"},
		"emails": []any{map[string]any{"primary": true, "value": scimEmail, "type": "work"}},
	}, http.Header{"Content-Type": {"application/scim+json"}, "Authorization": {"Bearer " + scim.Connection.BearerToken}})
	if status != http.StatusCreated {
		t.Fatalf("seeding, SCIM POST /Users: %d %s", status, raw)
	}
	found, err := c.Organizations.Members.Get(ctx, &members.GetParams{OrganizationID: f.ssoOrg, EmailAddress: scimEmail})
	must("Members.Get SCIM member", err)
	f.members[f.ssoOrg] = append(f.members[f.ssoOrg], found.MemberID)
	for _, name := range []string{"sso1", "sso2"} {
		addMember(&members.CreateParams{OrganizationID: f.ssoOrg, EmailAddress: name + "-" + tag + "@sso-" + tag + ".example.com",
			Roles: []string{"engineer"}})
	}

	f.empty = newOrg(&organizations.CreateParams{OrganizationName: "Empty " + tag, OrganizationSlug: "empty-" + tag})
	plain := newOrg(&organizations.CreateParams{OrganizationName: "Plain " + tag, OrganizationSlug: "plain-" + tag})
	addMember(&members.CreateParams{OrganizationID: plain, EmailAddress: "solo@plain-" + tag + ".example.com", Name: "Solo"})

	f.statuses = map[string]int{"active": 9, "pending": 1, "invited": 1, "deleted": 1}
	if !strings.HasPrefix(f.acme, "organization-") {
		t.Fatalf("seeding: organization id %q", f.acme)
	}
	return f
}
