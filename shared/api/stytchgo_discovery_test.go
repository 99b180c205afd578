package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/discovery/intermediatesessions"
	discoveryorgs "github.com/stytchauth/stytch-go/v18/stytch/b2b/discovery/organizations"
	mldiscovery "github.com/stytchauth/stytch-go/v18/stytch/b2b/magiclinks/discovery"
	emaildiscovery "github.com/stytchauth/stytch-go/v18/stytch/b2b/magiclinks/email/discovery"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sessions"
)

// Discovery and organization switching through the official SDK, end to end.
func TestStytchGoDiscoveryFlow(t *testing.T) {
	ctx := context.Background()
	client, err := b2bstytchapi.NewClient(env.ProjectID, env.Secret, b2bstytchapi.WithBaseURI(env.URL))
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t)

	if _, err := client.MagicLinks.Email.Discovery.Send(ctx, &emaildiscovery.SendParams{
		EmailAddress: w.email, DiscoveryRedirectURL: "http://localhost:3000/discover",
	}); err != nil {
		t.Fatalf("Discovery.Send: %v", err)
	}
	auth, err := client.MagicLinks.Discovery.Authenticate(ctx, &mldiscovery.AuthenticateParams{
		DiscoveryMagicLinksToken: env.LastEmail(t, w.email).Token(),
	})
	if err != nil || auth.IntermediateSessionToken == "" || auth.EmailAddress != w.email || len(auth.DiscoveredOrganizations) != 6 {
		t.Fatalf("Discovery.Authenticate: %+v %v", auth, err)
	}
	types := map[string]string{}
	for _, d := range auth.DiscoveredOrganizations {
		types[d.Organization.OrganizationID] = d.Membership.Type
	}
	if types[w.eligible] != "eligible_to_join_by_email_domain" || types[w.invited] != "invited_member" {
		t.Fatalf("membership types: %v", types)
	}

	list, err := client.Discovery.Organizations.List(ctx, &discoveryorgs.ListParams{IntermediateSessionToken: auth.IntermediateSessionToken})
	if err != nil || len(list.DiscoveredOrganizations) != 6 {
		t.Fatalf("Organizations.List: %+v %v", list, err)
	}

	inA, err := client.Discovery.IntermediateSessions.Exchange(ctx, &intermediatesessions.ExchangeParams{
		IntermediateSessionToken: auth.IntermediateSessionToken, OrganizationID: w.active, SessionDurationMinutes: 60,
	})
	if err != nil || !inA.MemberAuthenticated || inA.SessionToken == "" || inA.Organization.OrganizationID != w.active {
		t.Fatalf("IntermediateSessions.Exchange: %+v %v", inA, err)
	}

	// Sessions.Exchange accepts an invite but creates no member by email domain.
	_, err = client.Sessions.Exchange(ctx, &sessions.ExchangeParams{SessionToken: inA.SessionToken, OrganizationID: w.eligible})
	sgWantErr(t, err, http.StatusNotFound, "member_not_found")
	inB, err := client.Sessions.Exchange(ctx, &sessions.ExchangeParams{SessionToken: inA.SessionToken, OrganizationID: w.invited})
	if err != nil || !inB.MemberAuthenticated || inB.Organization.OrganizationID != w.invited || inB.Member.Status != "active" {
		t.Fatalf("Sessions.Exchange: %+v %v", inB, err)
	}
	if _, err := client.Sessions.Authenticate(ctx, &sessions.AuthenticateParams{SessionJWT: inB.SessionJWT}); err != nil {
		t.Fatalf("session in B: %v", err)
	}

	// A fresh intermediate session creates a new organization with the person as its admin.
	if _, err := client.MagicLinks.Email.Discovery.Send(ctx, &emaildiscovery.SendParams{EmailAddress: w.email}); err != nil {
		t.Fatal(err)
	}
	auth2, err := client.MagicLinks.Discovery.Authenticate(ctx, &mldiscovery.AuthenticateParams{
		DiscoveryMagicLinksToken: env.LastEmail(t, w.email).Token(),
	})
	if err != nil {
		t.Fatal(err)
	}
	slug := newSlug()
	created, err := client.Discovery.Organizations.Create(ctx, &discoveryorgs.CreateParams{
		IntermediateSessionToken: auth2.IntermediateSessionToken, OrganizationName: "Pat's Co", OrganizationSlug: slug,
	})
	if err != nil || !created.MemberAuthenticated || created.Organization.OrganizationSlug != slug || !created.Member.IsAdmin {
		t.Fatalf("Organizations.Create: %+v %v", created, err)
	}
}
