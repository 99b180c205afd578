package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/app/apptest"
)

// victim is Bob, at a domain of his own: an admin of organization B, and eligible to join
// organization C by his domain. Neither knows anything of organization A.
type victim struct {
	email, domain string
	orgB, bobID   string
	orgC          string
}

func newVictim(t *testing.T) victim {
	t.Helper()
	v := victim{domain: "victim-" + uuid.NewString()[:8] + ".example"}
	v.email = "bob@" + v.domain
	v.orgB = createOrg(t, map[string]any{}).Str("organization.organization_id")
	v.bobID = createMember(t, v.orgB, map[string]any{"email_address": v.email, "roles": []string{"stytch_admin"},
		"trusted_metadata": map[string]any{"salary": 1}}).Str("member_id")
	v.orgC = createOrg(t, map[string]any{"email_allowed_domains": []string{v.domain}, "email_jit_provisioning": "RESTRICTED"}).
		Str("organization.organization_id")
	return v
}

// expectTakeoverRefused checks that a session of organization A whose member was renamed to
// Bob's address carries only the email it proved: it cannot enter Bob's organization, list his
// memberships or JIT-join where his domain may, and it still works in its own organization.
func expectTakeoverRefused(t *testing.T, v victim, orgA, aliceEmail, session string) {
	t.Helper()
	ex := env.Do(t, "POST", "/v1/b2b/sessions/exchange", map[string]any{"session_token": session, "organization_id": v.orgB})
	apptest.ExpectError(t, ex, http.StatusNotFound, "member_not_found")
	jit := env.Do(t, "POST", "/v1/b2b/sessions/exchange", map[string]any{"session_token": session, "organization_id": v.orgC})
	apptest.ExpectError(t, jit, http.StatusNotFound, "member_not_found")

	list := env.Do(t, "POST", "/v1/b2b/discovery/organizations", map[string]any{"session_token": session})
	apptest.ExpectOK(t, list)
	if list.Str("email_address") != aliceEmail {
		t.Fatalf("discovery lists as %q, want the proven %q: %s", list.Str("email_address"), aliceEmail, list.Raw)
	}
	orgs := memberships(list, "discovered_organizations")
	if _, ok := orgs[v.orgB]; ok {
		t.Fatalf("discovery listed Bob's organization: %s", list.Raw)
	}
	if _, ok := orgs[v.orgC]; ok {
		t.Fatalf("discovery listed the organization Bob's domain may join: %s", list.Raw)
	}

	// Nothing was created for the attacker in C, and Bob in B is untouched.
	if r := getMember(t, v.orgC, "", v.email); r.Status != http.StatusNotFound {
		t.Fatalf("a member for Bob's address appeared in C: %s", r.Raw)
	}
	bob := getMember(t, v.orgB, v.bobID, "")
	apptest.ExpectOK(t, bob)
	if bob.Str("member.email_address") != v.email || bob.Get("member.trusted_metadata.salary") != float64(1) {
		t.Fatalf("Bob changed: %s", bob.Raw)
	}

	// The session stays valid where it was made, and keeps the email it proved.
	own := sessionAuth(t, map[string]any{"session_token": session})
	apptest.ExpectOK(t, own)
	if own.Str("organization.organization_id") != orgA ||
		own.Str("member_session.authentication_factors.0.email_factor.email_address") != aliceEmail {
		t.Fatalf("own session: %s", own.Raw)
	}
}

// The reported takeover: organization A's identity provider renames its logged-in member to
// Bob's address over SCIM. Before the fix, exchanging that member's session into B answered
// 200 as Bob, with his roles, and the session listed and joined Bob's organizations.
func TestEmailChangeTakeoverThroughSCIM(t *testing.T) {
	v := newVictim(t)
	orgA := createOrg(t, map[string]any{}).Str("organization.organization_id")
	c := scimConnect(t, orgA, "okta")
	alice := "alice-" + uuid.NewString()[:8] + "@a.example"
	u := c.do(t, "POST", "/Users", oktaUser(alice, "Alice", "A", "00ualice", true))
	expectSCIM(t, u, http.StatusCreated)
	memberID := u.Str("id")
	apptest.ExpectOK(t, loginOrSignup(t, orgA, alice, nil))
	auth := authenticate(t, env.LastEmail(t, alice).Token(), nil)
	apptest.ExpectOK(t, auth)

	patched := c.do(t, "PATCH", "/Users/"+memberID, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{
			map[string]any{"op": "replace", "path": "userName", "value": v.email},
			map[string]any{"op": "replace", "path": `emails[type eq "work"].value`, "value": v.email},
		},
	})
	expectSCIM(t, patched, http.StatusOK)
	m := getMember(t, orgA, memberID, "")
	if m.Str("member.email_address") != v.email || m.Get("member.email_address_verified") != false ||
		m.Str("member.retired_email_addresses.0.email_address") != alice {
		t.Fatalf("after the rename the member must be unverified with Alice's address retired: %s", m.Raw)
	}
	expectTakeoverRefused(t, v, orgA, alice, auth.Str("session_token"))
}

// The same takeover through Members.Update, by an admin of organization A.
func TestEmailChangeTakeoverThroughMembersUpdate(t *testing.T) {
	v := newVictim(t)
	orgA, memberID, auth := login(t)
	alice := auth.Str("member.email_address")
	up := env.Do(t, "PUT", "/v1/b2b/organizations/"+orgA+"/members/"+memberID, map[string]any{"email_address": v.email})
	apptest.ExpectOK(t, up)
	if up.Get("member.email_address_verified") != false || up.Str("member.retired_email_addresses.0.email_address") != alice {
		t.Fatalf("update: %s", up.Raw)
	}
	expectTakeoverRefused(t, v, orgA, alice, auth.Str("session_token"))

	// The JWT of the same session fares no better, and an intermediate session made from it
	// carries the proven email too.
	ex := env.Do(t, "POST", "/v1/b2b/sessions/exchange", map[string]any{"session_jwt": auth.Str("session_jwt"), "organization_id": v.orgB})
	apptest.ExpectError(t, ex, http.StatusNotFound, "member_not_found")
}

// A session's proven email still lets the person move between organizations that know that
// email, even after their own organization renamed them: the person proved it.
func TestExchangeUsesTheProvenEmailAfterARename(t *testing.T) {
	orgA, memberID, auth := login(t)
	alice := auth.Str("member.email_address")
	orgD := createOrg(t, map[string]any{}).Str("organization.organization_id")
	inD := createMember(t, orgD, map[string]any{"email_address": alice}).Str("member_id")
	apptest.ExpectOK(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+orgA+"/members/"+memberID, map[string]any{"email_address": newEmail()}))
	ex := env.Do(t, "POST", "/v1/b2b/sessions/exchange", map[string]any{"session_token": auth.Str("session_token"), "organization_id": orgD})
	apptest.ExpectOK(t, ex)
	if ex.Str("member_id") != inD || ex.Str("member.email_address") != alice || ex.Get("member.email_address_verified") != true {
		t.Fatalf("exchange into D: %s", ex.Raw)
	}
}

// Retired addresses: no other member takes one; the member may switch back; unlink_email
// deletes the old address instead of retiring it; a link sent to an address before the change
// never works afterwards, even once the member is back on that address.
func TestRetiredEmailAddresses(t *testing.T) {
	org, id, auth := login(t)
	first := auth.Str("member.email_address")
	apptest.ExpectOK(t, loginOrSignup(t, org, first, nil))
	oldLink := env.LastEmail(t, first).Token()

	second := newEmail()
	put := func(body map[string]any) apptest.Response {
		return env.Do(t, "PUT", "/v1/b2b/organizations/"+org+"/members/"+id, body)
	}
	apptest.ExpectOK(t, put(map[string]any{"email_address": second}))
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/organizations/"+org+"/members", map[string]any{"email_address": first}),
		http.StatusBadRequest, "duplicate_member_email")
	apptest.ExpectError(t, loginOrSignup(t, org, first, nil), http.StatusBadRequest, "email_jit_provisioning_not_allowed")

	back := put(map[string]any{"email_address": first})
	apptest.ExpectOK(t, back)
	if back.Str("member.email_address") != first || back.Str("member.retired_email_addresses.0.email_address") != second ||
		back.Get("member.email_address_verified") != false {
		t.Fatalf("switching back: %s", back.Raw)
	}
	apptest.ExpectError(t, authenticate(t, oldLink, nil), http.StatusNotFound, "magic_link_not_found")

	third := newEmail()
	unlinked := put(map[string]any{"email_address": third, "unlink_email": true})
	apptest.ExpectOK(t, unlinked)
	retired, _ := unlinked.Get("member.retired_email_addresses").([]any)
	if len(retired) != 1 || unlinked.Str("member.retired_email_addresses.0.email_address") != second {
		t.Fatalf("unlink_email must delete %s and keep %s retired: %s", first, second, unlinked.Raw)
	}
	// The deleted address is free; the retired one is released by UnlinkRetiredEmail.
	createMember(t, org, map[string]any{"email_address": first})
	unlink := "/v1/b2b/organizations/" + org + "/members/" + id + "/unlink_retired_email"
	apptest.ExpectError(t, env.Do(t, "POST", unlink, map[string]any{"email_address": first}), http.StatusNotFound, "retired_email_not_found")
	apptest.ExpectError(t, env.Do(t, "POST", unlink, map[string]any{"email_id": "email-" + uuid.NewString(), "email_address": second}),
		http.StatusNotFound, "retired_email_not_found")
	apptest.ExpectOK(t, env.Do(t, "POST", unlink, map[string]any{"email_id": unlinked.Str("member.retired_email_addresses.0.email_id")}))
	createMember(t, org, map[string]any{"email_address": second})
}

// A link sent before a member was deleted does not work after the member is reactivated.
func TestDeletionEndsOutstandingLinks(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	email := newEmail()
	id := createMember(t, org, map[string]any{"email_address": email}).Str("member_id")
	verify(t, org, id) // reactivation needs a verified address
	apptest.ExpectOK(t, loginOrSignup(t, org, email, nil))
	before := env.LastEmail(t, email).Token()
	apptest.ExpectOK(t, env.Do(t, "DELETE", "/v1/b2b/organizations/"+org+"/members/"+id, nil))
	apptest.ExpectOK(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+org+"/members/"+id+"/reactivate", nil))
	apptest.ExpectError(t, authenticate(t, before, nil), http.StatusNotFound, "magic_link_not_found")
	// A link sent after the reactivation works.
	apptest.ExpectOK(t, loginOrSignup(t, org, email, nil))
	apptest.ExpectOK(t, authenticate(t, env.LastEmail(t, email).Token(), nil))
}

// Members.StartEmailUpdate: the link goes to the new address and, redeemed, makes it current
// and verified with the old one retired; the preconditions Stytch documents are enforced; the
// address is reserved for one member at a time.
func TestStartEmailUpdate(t *testing.T) {
	org, id, auth := login(t)
	old := auth.Str("member.email_address")
	path := "/v1/b2b/organizations/" + org + "/members/" + id + "/start_email_update"
	start := func(memberPath, email string, extra map[string]any) apptest.Response {
		body := map[string]any{"email_address": email, "login_redirect_url": redirect}
		for k, v := range extra {
			body[k] = v
		}
		return env.Do(t, "POST", memberPath, body)
	}

	taken := createMember(t, org, map[string]any{"email_address": newEmail()}).Str("member.email_address")
	apptest.ExpectError(t, start(path, taken, nil), http.StatusBadRequest, "duplicate_member_email")
	apptest.ExpectError(t, start(path, old, nil), http.StatusBadRequest, "email_address_unchanged")
	apptest.ExpectError(t, start(path, "nope", nil), http.StatusBadRequest, "invalid_email")
	apptest.ExpectError(t, start(path, newEmail(), map[string]any{"delivery_method": "SMS"}), http.StatusBadRequest, "invalid_delivery_method")
	apptest.ExpectError(t, start(path, newEmail(), map[string]any{"login_redirect_url": "https://evil.example/cb"}), http.StatusBadRequest, "no_match_for_provided_magic_link_url")
	// An unverified member cannot start one (a new member has never proven its address).
	fresh := createMember(t, org, map[string]any{"email_address": newEmail()}).Str("member_id")
	apptest.ExpectError(t, start("/v1/b2b/organizations/"+org+"/members/"+fresh+"/start_email_update", newEmail(), nil),
		http.StatusBadRequest, "member_email_not_verified")

	next := newEmail()
	r := start(path, next, nil)
	apptest.ExpectOK(t, r)
	if r.Str("member.email_address") != old || r.Str("organization.organization_id") != org {
		t.Fatalf("start changed the member before the link was redeemed: %s", r.Raw)
	}
	mail := env.LastEmail(t, next)
	// Another member cannot start an update to the same address while the link is live.
	sameOrg := createMember(t, org, map[string]any{"email_address": newEmail()}).Str("member_id")
	verify(t, org, sameOrg)
	apptest.ExpectError(t, start("/v1/b2b/organizations/"+org+"/members/"+sameOrg+"/start_email_update", next, nil),
		http.StatusBadRequest, "email_update_in_progress")

	a := authenticate(t, mail.Token(), nil)
	apptest.ExpectOK(t, a)
	if a.Str("member_id") != id || a.Str("member.email_address") != next || a.Get("member.email_address_verified") != true ||
		a.Str("member.retired_email_addresses.0.email_address") != old ||
		a.Str("member_session.authentication_factors.0.email_factor.email_address") != next {
		t.Fatalf("redeemed email update: %s", a.Raw)
	}
	apptest.ExpectError(t, authenticate(t, mail.Token(), nil), http.StatusNotFound, "magic_link_not_found")
	if got := getMember(t, org, "", next); got.Str("member_id") != id {
		t.Fatalf("the new address does not find the member: %s", got.Raw)
	}
	apptest.ExpectError(t, getMember(t, org, "", old), http.StatusNotFound, "member_not_found")
	// The old session keeps the email it proved.
	s := sessionAuth(t, map[string]any{"session_token": auth.Str("session_token")})
	apptest.ExpectOK(t, s)
	factors, _ := s.Get("member_session.authentication_factors").([]any)
	if !slices.ContainsFunc(factors, func(f any) bool {
		e, _ := f.(map[string]any)["email_factor"].(map[string]any)
		return e["email_address"] == old
	}) {
		t.Fatalf("the old session lost the email it proved: %s", s.Raw)
	}
}

// verify makes a fresh member verified the way a person would, by redeeming a login link.
func verify(t *testing.T, org, member string) {
	t.Helper()
	email := getMember(t, org, member, "").Str("member.email_address")
	apptest.ExpectOK(t, loginOrSignup(t, org, email, nil))
	apptest.ExpectOK(t, authenticate(t, env.LastEmail(t, email).Token(), nil))
}

// A retired address stays its member's even where the organization lets its domain sign up:
// signing up or JIT-joining with it is refused as a duplicate, not created twice.
func TestRetiredEmailBlocksJIT(t *testing.T) {
	org, domain := domainOrg(t, nil)
	first := "pat@" + domain
	id := createMember(t, org, map[string]any{"email_address": first}).Str("member_id")
	apptest.ExpectOK(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+org+"/members/"+id, map[string]any{"email_address": "pat.new@" + domain}))
	apptest.ExpectError(t, loginOrSignup(t, org, first, nil), http.StatusBadRequest, "duplicate_member_email")

	// The person who proves the retired address through discovery cannot JIT-join as it either
	// (a session exchange creates no members at all).
	ist := discover(t, first).Str("intermediate_session_token")
	ex := env.Do(t, "POST", "/v1/b2b/discovery/intermediate_sessions/exchange", map[string]any{"intermediate_session_token": ist, "organization_id": org})
	apptest.ExpectError(t, ex, http.StatusBadRequest, "duplicate_member_email")
}

// A user renamed by its identity provider while deactivated held no address then, so when it
// is reactivated it claims only its current one: another member who took its old address keeps
// it, and the reactivation succeeds.
func TestSCIMRenameWhileDeactivatedReleasesTheOldAddress(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	c := scimConnect(t, org, "okta")
	old := "lin-" + uuid.NewString()[:8] + "@acme.com"
	u := c.do(t, "POST", "/Users", oktaUser(old, "Lin", "L", "00ulin", true))
	expectSCIM(t, u, http.StatusCreated)
	id := u.Str("id")
	patch := func(value map[string]any) scimResponse {
		return c.do(t, "PATCH", "/Users/"+id, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "replace", "value": value}}})
	}
	expectSCIM(t, patch(map[string]any{"active": false}), http.StatusOK)
	renamed := "lin.new-" + uuid.NewString()[:8] + "@acme.com"
	expectSCIM(t, patch(map[string]any{"userName": renamed, "emails": []any{map[string]any{"primary": true, "value": renamed}}}), http.StatusOK)
	taker := createMember(t, org, map[string]any{"email_address": old}).Str("member_id")
	expectSCIM(t, patch(map[string]any{"active": true}), http.StatusOK)
	m := getMember(t, org, id, "")
	if m.Str("member.email_address") != renamed || m.Str("member.status") != "active" {
		t.Fatalf("reactivated: %s", m.Raw)
	}
	if r, _ := m.Get("member.retired_email_addresses").([]any); len(r) != 0 {
		t.Fatalf("a member reactivated after a rename claims its released address: %s", m.Raw)
	}
	if got := getMember(t, org, "", old); got.Str("member_id") != taker {
		t.Fatalf("the old address moved away from the member who took it: %s", got.Raw)
	}
}

// A member keeps at most MaxRetiredEmails retired addresses, releasing the oldest, so a member
// with a long history of addresses can still be deleted in one transaction.
func TestManyEmailChangesThenDelete(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	first := newEmail()
	id := createMember(t, org, map[string]any{"email_address": first}).Str("member_id")
	var last apptest.Response
	for range 25 {
		last = env.Do(t, "PUT", "/v1/b2b/organizations/"+org+"/members/"+id, map[string]any{"email_address": newEmail()})
		apptest.ExpectOK(t, last)
	}
	if r, _ := last.Get("member.retired_email_addresses").([]any); len(r) != latchkey.MaxRetiredEmails {
		t.Fatalf("retired addresses: %d, want %d", len(r), latchkey.MaxRetiredEmails)
	}
	// The oldest were released: the first address is free again.
	createMember(t, org, map[string]any{"email_address": first})
	apptest.ExpectOK(t, env.Do(t, "DELETE", "/v1/b2b/organizations/"+org+"/members/"+id, nil))
}

// StartEmailUpdate by EMAIL_OTP mails a code to the new address; OTPs.Email.Authenticate with
// the new address and that code makes it current and verified, as the link does. The code is
// refused for the old address, and it works once.
func TestStartEmailUpdateByCode(t *testing.T) {
	org, id, auth := login(t)
	old := auth.Str("member.email_address")
	next := newEmail()
	r := env.Do(t, "POST", "/v1/b2b/organizations/"+org+"/members/"+id+"/start_email_update",
		map[string]any{"email_address": next, "delivery_method": "EMAIL_OTP"})
	apptest.ExpectOK(t, r)
	mail := env.LastEmail(t, next)
	code := mail.Code()
	if code == "" || !strings.Contains(mail.Subject, "Confirm your new email address") {
		t.Fatalf("email update code email: %q %q", mail.Subject, mail.Body.Text)
	}
	if got := getMember(t, org, id, ""); got.Str("member.email_address") != old {
		t.Fatalf("the address changed before the code was redeemed: %s", got.Raw)
	}
	apptest.ExpectError(t, otpAuthenticate(t, org, old, code, nil), http.StatusNotFound, "otp_code_not_found")
	// Another member cannot start an update to the same address while the code is live.
	other := createMember(t, org, map[string]any{"email_address": newEmail()}).Str("member_id")
	verify(t, org, other)
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/organizations/"+org+"/members/"+other+"/start_email_update",
		map[string]any{"email_address": next, "login_redirect_url": redirect}), http.StatusBadRequest, "email_update_in_progress")

	a := otpAuthenticate(t, org, next, code, nil)
	apptest.ExpectOK(t, a)
	if a.Str("member_id") != id || a.Str("member.email_address") != next || a.Get("member.email_address_verified") != true ||
		a.Str("member.retired_email_addresses.0.email_address") != old ||
		a.Str("member_session.authentication_factors.0.email_factor.email_address") != next {
		t.Fatalf("redeemed email update code: %s", a.Raw)
	}
	apptest.ExpectError(t, otpAuthenticate(t, org, next, code, nil), http.StatusNotFound, "otp_code_not_found")
	// The reservation was released with the redemption: once the member gives the address up
	// (unlink_email), another member may start an update to it at once.
	apptest.ExpectOK(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+org+"/members/"+id, map[string]any{"email_address": newEmail(), "unlink_email": true}))
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/organizations/"+org+"/members/"+other+"/start_email_update",
		map[string]any{"email_address": next, "login_redirect_url": redirect}))
}
