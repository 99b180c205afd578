package api_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/magiclinks"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/magiclinks/email"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sessions"
	"github.com/stytchauth/stytch-go/v18/stytch/stytcherror"
)

// The whole magic-link login through the official SDK: only the base URL differs from Stytch.
func TestStytchGoMagicLinkAndSessions(t *testing.T) {
	ctx := context.Background()
	client, err := b2bstytchapi.NewClient(env.ProjectID, env.Secret, b2bstytchapi.WithBaseURI(env.URL))
	if err != nil {
		t.Fatal(err)
	}
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	addr := newEmail()
	member := createMember(t, org, map[string]any{"email_address": addr}).Str("member_id")

	sent, err := client.MagicLinks.Email.LoginOrSignup(ctx, &email.LoginOrSignupParams{
		OrganizationID: org, EmailAddress: addr, LoginRedirectURL: redirect, SignupRedirectURL: redirect,
	})
	if err != nil || sent.MemberID != member || sent.MemberCreated {
		t.Fatalf("LoginOrSignup: %+v %v", sent, err)
	}
	auth, err := client.MagicLinks.Authenticate(ctx, &magiclinks.AuthenticateParams{
		MagicLinksToken: env.LastEmail(t, addr).Token(), SessionDurationMinutes: 30,
	})
	if err != nil || auth.SessionToken == "" || auth.SessionJWT == "" || !auth.MemberAuthenticated || auth.MemberSession == nil ||
		auth.MemberSession.MemberID != member || auth.Member.Status != "active" {
		t.Fatalf("Authenticate: %+v %v", auth, err)
	}

	remote, err := client.Sessions.Authenticate(ctx, &sessions.AuthenticateParams{SessionToken: auth.SessionToken})
	if err != nil || remote.MemberSession.MemberSessionID != auth.MemberSession.MemberSessionID || remote.Organization.OrganizationID != org {
		t.Fatalf("Sessions.Authenticate: %+v %v", remote, err)
	}

	// Verified locally against our JWKS: no request to the API.
	local, err := client.Sessions.AuthenticateJWTLocal(ctx, auth.SessionJWT, time.Minute, nil)
	if err != nil || local.MemberID != member || local.MemberSessionID != auth.MemberSession.MemberSessionID ||
		local.OrganizationID != org || len(local.AuthenticationFactors) != 1 || local.AuthenticationFactors[0].Type != "magic_link" {
		t.Fatalf("AuthenticateJWTLocal: %+v %v", local, err)
	}

	if _, err := client.Sessions.Revoke(ctx, &sessions.RevokeParams{MemberSessionID: auth.MemberSession.MemberSessionID}); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	_, err = client.Sessions.Authenticate(ctx, &sessions.AuthenticateParams{SessionToken: auth.SessionToken})
	var se stytcherror.Error
	if !errors.As(err, &se) || se.StatusCode != 404 || string(se.ErrorType) != "session_not_found" {
		t.Fatalf("authenticate after revoke: %v", err)
	}
}
