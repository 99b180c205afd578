package api_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/google/uuid"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/magiclinks"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/magiclinks/email"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/oauth"
	oauthdiscovery "github.com/stytchauth/stytch-go/v18/stytch/b2b/oauth/discovery"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations/members"

	"github.com/latchkey/latchkey/shared/app/apptest"
)

// A consumer Google login's intermediate session completes only with a proof of the address
// the provider named: a magic link for someone else's address cannot absorb it (which would
// carry an unrelated Google account into that person's session and its allowed-method checks).
func TestOAuthConsumerStepUpIsForTheNamedAddress(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := context.Background()
	domain := newDomain("poc1")
	victimAddr := "vic@" + domain
	orgA := newOAuthOrg(t, f.c, nil).OrganizationID
	orgB := newOAuthOrg(t, f.c, &organizations.CreateParams{AuthMethods: "RESTRICTED", AllowedAuthMethods: []string{"google_oauth"}}).OrganizationID
	if _, err := f.c.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: orgA, EmailAddress: victimAddr}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: orgB, EmailAddress: victimAddr}); err != nil {
		t.Fatal(err)
	}
	// Any consumer Google account at all, unrelated to the address.
	g := f.consumerUser("random-" + uuid.NewString()[:8] + "@gmail.com")
	a := f.authenticate(t, &oauth.AuthenticateParams{OAuthToken: oauthToken(t, f.orgLogin(t, googleStart, orgA, g.username), "oauth")})
	if a.IntermediateSessionToken == "" {
		t.Fatalf("no IST: %+v", a)
	}
	if _, err := f.c.MagicLinks.Email.LoginOrSignup(ctx, &email.LoginOrSignupParams{OrganizationID: orgA, EmailAddress: victimAddr,
		LoginRedirectURL: redirect, SignupRedirectURL: redirect}); err != nil {
		t.Fatal(err)
	}
	_, err := f.c.MagicLinks.Authenticate(ctx, &magiclinks.AuthenticateParams{MagicLinksToken: env.LastEmail(t, victimAddr).Token(),
		IntermediateSessionToken: a.IntermediateSessionToken})
	wantSDKError(t, err, 400, "session_member_mismatch")
}

// A discovery intermediate session proving one person's address (a Microsoft work account)
// cannot be merged into another person's magic link: bob's session would carry mallory's
// Microsoft factor into organizations that allow only Microsoft logins.
func TestOAuthDiscoveryISTIsNotMergedIntoAnotherPersonsLogin(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := context.Background()
	e2 := "bob@" + newDomain("poc2")
	orgA := newOAuthOrg(t, f.c, nil).OrganizationID
	orgC := newOAuthOrg(t, f.c, &organizations.CreateParams{AuthMethods: "RESTRICTED", AllowedAuthMethods: []string{"microsoft_oauth"}}).OrganizationID
	if _, err := f.c.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: orgA, EmailAddress: e2}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: orgC, EmailAddress: e2}); err != nil {
		t.Fatal(err)
	}
	e1 := "mallory@" + newDomain("attacker")
	ms := f.workUser(e1, e1, uuid.NewString())
	p := f.login(t, "/v1/b2b/public/oauth/microsoft/discovery/start", url.Values{"discovery_redirect_url": {ssoRedirect}}, ms.username)
	d, err := f.c.OAuth.Discovery.Authenticate(ctx, &oauthdiscovery.AuthenticateParams{DiscoveryOAuthToken: oauthToken(t, p, "discovery_oauth")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.MagicLinks.Email.LoginOrSignup(ctx, &email.LoginOrSignupParams{OrganizationID: orgA, EmailAddress: e2,
		LoginRedirectURL: redirect, SignupRedirectURL: redirect}); err != nil {
		t.Fatal(err)
	}
	_, err = f.c.MagicLinks.Authenticate(ctx, &magiclinks.AuthenticateParams{MagicLinksToken: env.LastEmail(t, e2).Token(),
		IntermediateSessionToken: d.IntermediateSessionToken})
	wantSDKError(t, err, 400, "session_member_mismatch")
}

// An OAuth login cannot build on another member's session: member X's second factor would
// otherwise satisfy MFA for Y, whose Google account the attacker holds.
func TestOAuthOnAnotherMembersSessionIsRefused(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := context.Background()
	domain := newDomain("poc3")
	org := newOAuthOrg(t, f.c, &organizations.CreateParams{MFAPolicy: "REQUIRED_FOR_ALL"}).OrganizationID
	xAddr, yAddr := "x@"+domain, "y@"+domain
	x, err := f.c.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: org, EmailAddress: xAddr})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: org, EmailAddress: yAddr}); err != nil {
		t.Fatal(err)
	}
	// X: magic link + TOTP enrollment -> full session.
	ist := mfaLogin(t, org, xAddr).Str("intermediate_session_token")
	created := env.Do(t, "POST", "/v1/b2b/totp", map[string]any{"organization_id": org, "member_id": x.MemberID, "intermediate_session_token": ist})
	apptest.ExpectOK(t, created)
	a := env.Do(t, "POST", "/v1/b2b/totp/authenticate", map[string]any{"organization_id": org, "member_id": x.MemberID,
		"code": totpCode(t, created.Str("secret"), env.Clock.Now()), "intermediate_session_token": ist})
	apptest.ExpectOK(t, a)
	xSession := a.Str("session_token")

	// Y's Google Workspace account (compromised, or Y colluding), but not Y's second factor.
	g := f.workspaceUser(yAddr)
	plain := f.authenticate(t, &oauth.AuthenticateParams{OAuthToken: oauthToken(t, f.orgLogin(t, googleStart, org, g.username), "oauth")})
	t.Logf("Y's Google login alone: member_authenticated=%v mfa_required=%v", plain.MemberAuthenticated, plain.MFARequired != nil)

	_, err = f.c.OAuth.Authenticate(ctx, &oauth.AuthenticateParams{OAuthToken: oauthToken(t, f.orgLogin(t, googleStart, org, g.username), "oauth"),
		SessionToken: xSession})
	wantSDKError(t, err, 400, "session_member_mismatch")
	if plain.MemberAuthenticated {
		t.Fatalf("Y's Google login alone skipped MFA: %+v", plain)
	}
}
