package api_test

import (
	"context"
	"testing"

	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sso"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sso/oidc"

	"github.com/latchkey/latchkey/shared/app/apptest"
)

// An SSO login cannot build on another member's session: that member's second factor would
// otherwise satisfy the organization's MFA for the person the IdP logged in.
func TestSSOOnAnotherMembersSessionIsRefused(t *testing.T) {
	f := newSAMLFixture(t, &organizations.CreateParams{MFAPolicy: "REQUIRED_FOR_ALL"})
	org := f.org.OrganizationID

	// Attacker: an ordinary member with their own TOTP and a full session.
	atk := "atk@" + f.domain
	atkID := createMember(t, org, map[string]any{"email_address": atk}).Str("member_id")
	ist := mfaLogin(t, org, atk).Str("intermediate_session_token")
	created := env.Do(t, "POST", "/v1/b2b/totp", map[string]any{"organization_id": org, "member_id": atkID, "intermediate_session_token": ist})
	apptest.ExpectOK(t, created)
	a := env.Do(t, "POST", "/v1/b2b/totp/authenticate", map[string]any{"organization_id": org, "member_id": atkID,
		"code": totpCode(t, created.Str("secret"), env.Clock.Now()), "intermediate_session_token": ist})
	apptest.ExpectOK(t, a)
	atkSession := a.Str("session_token")

	// Victim: an admin whose IdP password the attacker has, but not their second factor.
	victim := f.user(t, "victim")
	vic := createMember(t, org, map[string]any{"email_address": victim, "roles": []string{"stytch_admin"}})
	apptest.ExpectOK(t, vic)

	// Without a session: MFA is owed.
	tok := ssoToken(t, f.login(t, "victim", nil))
	plain, err := f.c.SSO.Authenticate(context.Background(), &sso.AuthenticateParams{SSOToken: tok})
	if err != nil || plain.MemberAuthenticated {
		t.Fatalf("baseline: %+v %v", plain, err)
	}

	// With the attacker's own session attached.
	tok = ssoToken(t, f.login(t, "victim", nil))
	_, err = f.c.SSO.Authenticate(context.Background(), &sso.AuthenticateParams{SSOToken: tok, SessionToken: atkSession})
	wantSDKError(t, err, 400, "session_member_mismatch")
	// Nor on its intermediate session.
	ist = mfaLogin(t, org, atk).Str("intermediate_session_token")
	_, err = f.c.SSO.Authenticate(context.Background(), &sso.AuthenticateParams{SSOToken: tok, IntermediateSessionToken: ist})
	wantSDKError(t, err, 400, "session_member_mismatch")
	// The refused token was not spent: the victim still owes MFA with it.
	if res, err := f.c.SSO.Authenticate(context.Background(), &sso.AuthenticateParams{SSOToken: tok}); err != nil || res.MemberAuthenticated {
		t.Fatalf("the token after the refusals: %+v %v", res, err)
	}
}

// A factor proving one address does not admit another: an intermediate session holding a magic
// link for an unrelated address does not let an SSO connection provision a member where
// sso_jit_provisioning refuses it, though that address's domain may join by email.
func TestSSOJITIsJudgedOnTheAddressTheFactorProved(t *testing.T) {
	f := newSAMLFixture(t, &organizations.CreateParams{SSOJITProvisioning: "NOT_ALLOWED",
		EmailJITProvisioning: "RESTRICTED"})
	// The fixture's domain is only known now; allow it for email JIT.
	if _, err := f.c.Organizations.Update(context.Background(), &organizations.UpdateParams{OrganizationID: f.org.OrganizationID,
		EmailAllowedDomains: []string{f.domain}}); err != nil {
		t.Fatal(err)
	}
	f.user(t, "newbie")

	tok := ssoToken(t, f.login(t, "newbie", nil))
	_, err := f.c.SSO.Authenticate(context.Background(), &sso.AuthenticateParams{SSOToken: tok})
	wantSDKError(t, err, 400, "invalid_connection_for_jit_provisioning")

	// Any address at all proven by a discovery magic link.
	ist := discover(t, "someone-else@unrelated-example.org").Str("intermediate_session_token")
	_, err = f.c.SSO.Authenticate(context.Background(), &sso.AuthenticateParams{SSOToken: tok, IntermediateSessionToken: ist})
	wantSDKError(t, err, 400, "session_member_mismatch")
}

// An OIDC connection refuses a multi-tenant issuer (Microsoft's common endpoint), which would
// accept users of every tenant.
func TestOIDCConnectionRefusesMultiTenantIssuer(t *testing.T) {
	ctx := context.Background()
	c := sgPwClient(t, env.URL)
	o, err := c.Organizations.Create(ctx, &organizations.CreateParams{OrganizationName: "Tenant Co", OrganizationSlug: newSlug()})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.SSO.OIDC.CreateConnection(ctx, &oidc.CreateConnectionParams{OrganizationID: o.Organization.OrganizationID})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SSO.OIDC.UpdateConnection(ctx, &oidc.UpdateConnectionParams{OrganizationID: o.Organization.OrganizationID,
		ConnectionID: conn.Connection.ConnectionID, ClientID: "x", ClientSecret: "y",
		Issuer: "https://login.microsoftonline.com/{tenantid}/v2.0", AuthorizationURL: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
		TokenURL: "https://login.microsoftonline.com/common/oauth2/v2.0/token", JWKSURL: "https://login.microsoftonline.com/common/discovery/v2.0/keys",
		UserinfoURL: "https://graph.microsoft.com/oidc/userinfo"})
	wantSDKError(t, err, 400, "oidc_connection_issuer_url_invalid_format")
}
