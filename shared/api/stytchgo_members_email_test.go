package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/magiclinks"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations/members"
)

// Changing a member's address through the official SDK: Members.Update retires the old one,
// Members.UnlinkRetiredEmail releases it, and Members.StartEmailUpdate's link, redeemed with
// MagicLinks.Authenticate, makes a new one current and verified.
func TestStytchGoMemberEmailChange(t *testing.T) {
	ctx := context.Background()
	client, err := b2bstytchapi.NewClient(env.ProjectID, env.Secret, b2bstytchapi.WithBaseURI(env.URL))
	if err != nil {
		t.Fatal(err)
	}
	mems := client.Organizations.Members
	org, id, auth := login(t)
	first := auth.Str("member.email_address")

	second := newEmail()
	up, err := mems.Update(ctx, &members.UpdateParams{OrganizationID: org, MemberID: id, EmailAddress: second})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	sgEq(t, "email_address", up.Member.EmailAddress, second)
	sgEq(t, "email_address_verified", up.Member.EmailAddressVerified, false)
	if len(up.Member.RetiredEmailAddresses) != 1 || up.Member.RetiredEmailAddresses[0].EmailAddress != first ||
		up.Member.RetiredEmailAddresses[0].EmailID == "" {
		t.Fatalf("retired_email_addresses %+v", up.Member.RetiredEmailAddresses)
	}

	un, err := mems.UnlinkRetiredEmail(ctx, &members.UnlinkRetiredEmailParams{OrganizationID: org, MemberID: id,
		EmailID: up.Member.RetiredEmailAddresses[0].EmailID, EmailAddress: first})
	if err != nil {
		t.Fatalf("UnlinkRetiredEmail: %v", err)
	}
	sgEnvelope(t, un.StatusCode, un.RequestID)
	sgEq(t, "organization_id", un.OrganizationID, org)
	sgEq(t, "retired after unlink", len(un.Member.RetiredEmailAddresses), 0)
	_, err = mems.UnlinkRetiredEmail(ctx, &members.UnlinkRetiredEmailParams{OrganizationID: org, MemberID: id, EmailAddress: first})
	sgWantErr(t, err, http.StatusNotFound, "retired_email_not_found")

	// Back on a proven address first: only a verified member may start an update.
	_, err = mems.StartEmailUpdate(ctx, &members.StartEmailUpdateParams{OrganizationID: org, MemberID: id,
		EmailAddress: newEmail(), LoginRedirectURL: redirect})
	sgWantErr(t, err, http.StatusBadRequest, "member_email_not_verified")
	verify(t, org, id)

	third := newEmail()
	magicLink := members.StartEmailUpdateRequestDeliveryMethodEMAILMAGICLINK
	st, err := mems.StartEmailUpdate(ctx, &members.StartEmailUpdateParams{OrganizationID: org, MemberID: id,
		EmailAddress: third, LoginRedirectURL: redirect, DeliveryMethod: &magicLink})
	if err != nil {
		t.Fatalf("StartEmailUpdate: %v", err)
	}
	sgEnvelope(t, st.StatusCode, st.RequestID)
	sgEq(t, "member unchanged until redeemed", st.Member.EmailAddress, second)
	a, err := client.MagicLinks.Authenticate(ctx, &magiclinks.AuthenticateParams{MagicLinksToken: env.LastEmail(t, third).Token()})
	if err != nil {
		t.Fatalf("Authenticate the email-update link: %v", err)
	}
	sgEq(t, "email_address after the link", a.Member.EmailAddress, third)
	sgEq(t, "verified after the link", a.Member.EmailAddressVerified, true)
	if len(a.Member.RetiredEmailAddresses) != 1 || a.Member.RetiredEmailAddresses[0].EmailAddress != second {
		t.Fatalf("retired_email_addresses %+v", a.Member.RetiredEmailAddresses)
	}
}
