package api_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchkey/latchkey/shared/app/apptest"
)

// discover sends a discovery email, redeems it and returns the authenticate response.
func discover(t *testing.T, email string) apptest.Response {
	t.Helper()
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/magic_links/email/discovery/send",
		map[string]any{"email_address": email, "discovery_redirect_url": "http://localhost:3000/discover"}))
	mail := env.LastEmail(t, email)
	if mail.Subject != "Your login link" || mail.Link() == "" || !strings.Contains(mail.Link(), "stytch_token_type=discovery") {
		t.Fatalf("discovery email: %q %q", mail.Subject, mail.Link())
	}
	r := env.Do(t, "POST", "/v1/b2b/magic_links/discovery/authenticate", map[string]any{"discovery_magic_links_token": mail.Token()})
	apptest.ExpectOK(t, r)
	return r
}

// memberships maps organization_id to membership type in a discovered_organizations list.
func memberships(r apptest.Response, key string) map[string]map[string]any {
	out := map[string]map[string]any{}
	list, _ := r.Get(key).([]any)
	for _, it := range list {
		d := it.(map[string]any)
		org := d["organization"].(map[string]any)
		out[org["organization_id"].(string)] = d
	}
	return out
}

func membershipType(d map[string]any) string {
	return d["membership"].(map[string]any)["type"].(string)
}

// world is one person (email at a fresh domain) with every kind of relation to organizations.
type world struct {
	email                                                             string
	active, pending, invited, eligible, closed, deleted, ssoOnly, mfa string
}

func newWorld(t *testing.T) world {
	t.Helper()
	domain := "w" + uuid.NewString()[:8] + ".com"
	w := world{email: "pat@" + domain}
	w.active = createOrg(t, map[string]any{}).Str("organization.organization_id")
	createMember(t, w.active, map[string]any{"email_address": w.email})
	w.pending = createOrg(t, map[string]any{}).Str("organization.organization_id")
	createMember(t, w.pending, map[string]any{"email_address": w.email, "create_member_as_pending": true})
	w.invited = createOrg(t, map[string]any{}).Str("organization.organization_id")
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/magic_links/email/invite",
		map[string]any{"organization_id": w.invited, "email_address": w.email, "invite_redirect_url": redirect}))
	w.eligible, _ = domainOrg(t, map[string]any{"email_allowed_domains": []string{domain}})
	// Allows the domain but not sign-up by email: not discoverable.
	w.closed = createOrg(t, map[string]any{"email_allowed_domains": []string{domain}}).Str("organization.organization_id")
	w.deleted = createOrg(t, map[string]any{}).Str("organization.organization_id")
	gone := createMember(t, w.deleted, map[string]any{"email_address": w.email}).Str("member_id")
	apptest.ExpectOK(t, env.Do(t, "DELETE", "/v1/b2b/organizations/"+w.deleted+"/members/"+gone, nil))
	w.ssoOnly = createOrg(t, map[string]any{"auth_methods": "RESTRICTED", "allowed_auth_methods": []string{"sso"}}).Str("organization.organization_id")
	createMember(t, w.ssoOnly, map[string]any{"email_address": w.email})
	w.mfa = createOrg(t, map[string]any{"mfa_policy": "REQUIRED_FOR_ALL"}).Str("organization.organization_id")
	createMember(t, w.mfa, map[string]any{"email_address": w.email})
	return w
}

func TestDiscoveredOrganizations(t *testing.T) {
	w := newWorld(t)
	r := discover(t, w.email)
	if r.Str("email_address") != w.email || r.Str("intermediate_session_token") == "" {
		t.Fatalf("discovery authenticate: %s", r.Raw)
	}
	got := memberships(r, "discovered_organizations")
	want := map[string]string{
		w.active: "active_member", w.pending: "pending_member", w.invited: "invited_member",
		w.eligible: "eligible_to_join_by_email_domain", w.ssoOnly: "active_member", w.mfa: "active_member",
	}
	if len(got) != len(want) {
		t.Fatalf("discovered %d organizations, want %d: %s", len(got), len(want), r.Raw)
	}
	for org, typ := range want {
		d, ok := got[org]
		if !ok || membershipType(d) != typ {
			t.Errorf("%s: want %s, got %v", org, typ, d)
		}
	}
	if got[w.active]["member_authenticated"] != true || got[w.eligible]["member_authenticated"] != true {
		t.Error("a magic link satisfies organizations without restrictions")
	}
	if got[w.ssoOnly]["member_authenticated"] != false ||
		got[w.ssoOnly]["primary_required"].(map[string]any)["allowed_auth_methods"].([]any)[0] != "sso" {
		t.Errorf("sso-only organization: %v", got[w.ssoOnly])
	}
	if got[w.mfa]["member_authenticated"] != false || got[w.mfa]["mfa_required"] == nil {
		t.Errorf("MFA organization: %v", got[w.mfa])
	}

	// The same list from the intermediate session, without consuming it.
	ist := r.Str("intermediate_session_token")
	list := env.Do(t, "POST", "/v1/b2b/discovery/organizations", map[string]any{"intermediate_session_token": ist})
	apptest.ExpectOK(t, list)
	if len(memberships(list, "discovered_organizations")) != len(want) || list.Str("email_address") != w.email {
		t.Fatalf("organizations list: %s", list.Raw)
	}
}

// An intermediate session enters only organizations its email may enter: no right means 403 and
// nothing created; a policy not met means no session and the IST kept; it is single use and
// expires after 10 minutes.
func TestIntermediateSessionExchange(t *testing.T) {
	w := newWorld(t)
	exchange := func(ist, org string) apptest.Response {
		return env.Do(t, "POST", "/v1/b2b/discovery/intermediate_sessions/exchange",
			map[string]any{"intermediate_session_token": ist, "organization_id": org})
	}
	// No right to the organization: refused, nothing created, the IST still usable.
	ist := discover(t, w.email).Str("intermediate_session_token")
	apptest.ExpectError(t, exchange(ist, w.closed), http.StatusBadRequest, "email_jit_provisioning_not_allowed")
	apptest.ExpectError(t, getMember(t, w.closed, "", w.email), http.StatusNotFound, "member_not_found")
	// Policy not met: nothing consumed, the answer says what is missing.
	p := exchange(ist, w.ssoOnly)
	apptest.ExpectOK(t, p)
	if p.Get("member_authenticated") != false || p.Str("session_token") != "" || p.Str("intermediate_session_token") != ist ||
		p.Get("primary_required.allowed_auth_methods").([]any)[0] != "sso" {
		t.Fatalf("primary required: %s", p.Raw)
	}
	m := exchange(ist, w.mfa)
	if m.Get("member_authenticated") != false || m.Get("mfa_required") == nil {
		t.Fatalf("mfa required: %s", m.Raw)
	}
	// JIT by domain: the member is created, active and verified, with a session.
	j := exchange(ist, w.eligible)
	apptest.ExpectOK(t, j)
	if j.Get("member_authenticated") != true || j.Str("member.status") != "active" || j.Get("member.email_address_verified") != true ||
		j.Str("session_token") == "" {
		t.Fatalf("JIT exchange: %s", j.Raw)
	}
	apptest.ExpectOK(t, sessionAuth(t, map[string]any{"session_token": j.Str("session_token")}))
	// Single use.
	apptest.ExpectError(t, exchange(ist, w.active), http.StatusNotFound, "intermediate_session_not_found")

	// Invited and pending members become active.
	for _, org := range []string{w.invited, w.pending} {
		e := exchange(discover(t, w.email).Str("intermediate_session_token"), org)
		apptest.ExpectOK(t, e)
		if e.Str("member.status") != "active" {
			t.Fatalf("exchange into %s: %s", org, e.Raw)
		}
	}

	// Expired.
	ist = discover(t, w.email).Str("intermediate_session_token")
	restore := env.Clock.Advance(11 * time.Minute)
	r := exchange(ist, w.active)
	restore()
	apptest.ExpectError(t, r, http.StatusNotFound, "intermediate_session_not_found")
	apptest.ExpectError(t, exchange("garbage", w.active), http.StatusNotFound, "intermediate_session_not_found")
}

func TestDiscoveryCreateOrganization(t *testing.T) {
	email := "founder-" + uuid.NewString()[:8] + "@startup.io"
	ist := discover(t, email).Str("intermediate_session_token")
	taken := createOrg(t, map[string]any{}).Str("organization.organization_slug")
	create := func(slug string) apptest.Response {
		return env.Do(t, "POST", "/v1/b2b/discovery/organizations/create", map[string]any{
			"intermediate_session_token": ist, "organization_name": "Startup", "organization_slug": slug,
			"email_invites": "RESTRICTED", "session_duration_minutes": 120})
	}
	// A taken slug refuses and leaves the IST usable.
	apptest.ExpectError(t, create(taken), http.StatusBadRequest, "organization_slug_already_used")
	apptest.ExpectError(t, create("x"), http.StatusBadRequest, "invalid_organization_slug")
	slug := newSlug()
	r := create(slug)
	apptest.ExpectOK(t, r)
	if r.Str("organization.organization_slug") != slug || r.Str("organization.email_invites") != "RESTRICTED" ||
		r.Str("member.email_address") != email || r.Get("member.is_admin") != true || r.Str("member.status") != "active" ||
		r.Get("member_authenticated") != true || r.Str("session_token") == "" {
		t.Fatalf("create via discovery: %s", r.Raw)
	}
	apptest.ExpectOK(t, env.Do(t, "GET", "/v1/b2b/organizations/"+slug, nil))
	apptest.ExpectError(t, create(newSlug()), http.StatusNotFound, "intermediate_session_not_found")
}

// A session moves to another organization only where the same email is a member (or invited)
// and the session's factors satisfy its policy; otherwise it is refused or answered with what
// is missing.
func TestSessionExchange(t *testing.T) {
	w := newWorld(t)
	apptest.ExpectOK(t, loginOrSignup(t, w.active, w.email, nil))
	a := authenticate(t, env.LastEmail(t, w.email).Token(), nil)
	apptest.ExpectOK(t, a)
	token := a.Str("session_token")
	exchange := func(org string) apptest.Response {
		return env.Do(t, "POST", "/v1/b2b/sessions/exchange", map[string]any{"session_token": token, "organization_id": org})
	}

	// No member is created, even where the email's domain may join (Stytch: exchange "can be
	// used to accept an invite, but not to create a new member via domain matching").
	for _, org := range []string{w.closed, w.eligible, w.deleted} {
		apptest.ExpectError(t, exchange(org), http.StatusNotFound, "member_not_found")
		apptest.ExpectError(t, getMember(t, org, "", w.email), http.StatusNotFound, "member_not_found")
	}

	// An invite is accepted.
	b := exchange(w.invited)
	apptest.ExpectOK(t, b)
	if b.Str("member.status") != "active" || b.Str("member.email_address") != w.email {
		t.Fatalf("exchange into the inviting organization: %s", b.Raw)
	}
	if b.Get("member_authenticated") != true || b.Str("organization.organization_id") != w.invited || b.Str("session_token") == "" ||
		b.Str("member_session.authentication_factors") != "" /* arrays are not walked */ {
		t.Fatalf("exchange: %s", b.Raw)
	}
	factors := b.Get("member_session.authentication_factors").([]any)
	if len(factors) != 1 || factors[0].(map[string]any)["type"] != "magic_link" {
		t.Fatalf("the new session carries the factors: %v", factors)
	}
	s := sessionAuth(t, map[string]any{"session_token": b.Str("session_token")})
	apptest.ExpectOK(t, s)
	if s.Str("organization.organization_id") != w.invited {
		t.Fatalf("new session is in %s", s.Str("organization.organization_id"))
	}

	p := exchange(w.ssoOnly)
	apptest.ExpectOK(t, p)
	if p.Get("member_authenticated") != false || p.Str("intermediate_session_token") == "" || p.Str("session_token") != "" ||
		p.Get("primary_required.allowed_auth_methods").([]any)[0] != "sso" {
		t.Fatalf("primary required: %s", p.Raw)
	}
	m := exchange(w.mfa)
	if m.Get("member_authenticated") != false || m.Get("mfa_required") == nil || m.Str("intermediate_session_token") == "" {
		t.Fatalf("mfa required: %s", m.Raw)
	}
	// The intermediate session remembers which organization it is for.
	hint := env.Do(t, "POST", "/v1/b2b/discovery/organizations", map[string]any{"intermediate_session_token": m.Str("intermediate_session_token")})
	apptest.ExpectOK(t, hint)
	if hint.Str("organization_id_hint") != w.mfa {
		t.Fatalf("organization_id_hint: %s", hint.Raw)
	}
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/discovery/organizations", map[string]any{}), 400, "bad_request")
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/sessions/exchange", map[string]any{"session_token": "nope", "organization_id": w.eligible}),
		http.StatusNotFound, "session_not_found")
}

func TestDiscoveryListWithSession(t *testing.T) {
	w := newWorld(t)
	apptest.ExpectOK(t, loginOrSignup(t, w.active, w.email, nil))
	a := authenticate(t, env.LastEmail(t, w.email).Token(), nil)
	r := env.Do(t, "POST", "/v1/b2b/discovery/organizations", map[string]any{"session_jwt": a.Str("session_jwt")})
	apptest.ExpectOK(t, r)
	var ids []string
	for id := range memberships(r, "discovered_organizations") {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if len(ids) != 6 {
		t.Fatalf("want 6 organizations, got %v", ids)
	}
}
