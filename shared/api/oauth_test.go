package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
	b2bdiscovery "github.com/stytchauth/stytch-go/v18/stytch/b2b/discovery"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/discovery/intermediatesessions"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/magiclinks"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/magiclinks/email"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/oauth"
	oauthdiscovery "github.com/stytchauth/stytch-go/v18/stytch/b2b/oauth/discovery"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations/members"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations/members/oauthproviders"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sessions"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/app/apptest"
	latchoauth "github.com/latchkey/latchkey/shared/oauth"
)

// OAuth tests run against a variant of the test server whose Google and Microsoft are one
// in-process OpenID provider (zitadel's example OP), with a client for each: the providers'
// endpoints are configuration, as they are in production.

const (
	googleClient    = "google-client"
	microsoftClient = "microsoft-client"

	googleStart    = "/v1/b2b/public/oauth/google/start"
	microsoftStart = "/v1/b2b/public/oauth/microsoft/start"
	googleDiscover = "/v1/b2b/public/oauth/google/discovery/start"

	// personalMicrosoftTenant is the tid of personal Microsoft accounts (Outlook, Xbox, Skype).
	personalMicrosoftTenant = "9188040d-6c67-4c5b-b112-36a304b66dad"
)

type oauthFixture struct {
	op  *apptest.OIDCProvider
	url string // the variant server
	c   *b2bstytchapi.API
}

func newOAuthFixture(t *testing.T) *oauthFixture {
	t.Helper()
	base := "http://localhost:8080/v1/b2b/oauth/callback/"
	op := apptest.StartOIDCProviderWith(t, map[string]string{googleClient: base + "google", microsoftClient: base + "microsoft"})
	_, srv, err := env.Variant(context.Background(), func(c *app.Config) {
		c.OAuth = map[string]latchoauth.Provider{
			latchoauth.Google:    {ClientID: googleClient, ClientSecret: apptest.OIDCClientSecret, Issuer: op.Issuer},
			latchoauth.Microsoft: {ClientID: microsoftClient, ClientSecret: apptest.OIDCClientSecret, Issuer: op.Issuer},
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &oauthFixture{op: op, url: srv.URL, c: sgPwClient(t, srv.URL)}
}

// oauthStart is the browser opening a start URL of server base (path, query q; the public
// token is added unless given).
func oauthStart(t *testing.T, base, path string, q url.Values) page {
	t.Helper()
	if !q.Has("public_token") {
		q.Set("public_token", env.Config.PublicToken)
	}
	req, _ := http.NewRequest(http.MethodGet, base+path+"?"+q.Encode(), nil)
	return browse(t, req)
}

// begin opens the start URL and logs in at the provider as username, and returns the
// provider's redirect back to the callback, not yet followed.
func (f *oauthFixture) begin(t *testing.T, path string, q url.Values, username string) (start page, back *url.URL) {
	t.Helper()
	st := oauthStart(t, f.url, path, q)
	if st.status != http.StatusFound || !strings.HasPrefix(st.to, f.op.Issuer) {
		t.Fatalf("start answered %d %q %v, want a redirect to the provider", st.status, st.to, st.body)
	}
	return st, f.op.Login(t, st.to, username)
}

// callback is the browser following the provider's redirect back to Latchkey.
func (f *oauthFixture) callback(t *testing.T, back *url.URL) page {
	t.Helper()
	cb, _ := http.NewRequest(http.MethodGet, f.url+back.RequestURI(), nil)
	return browse(t, cb)
}

// login runs the browser from the start URL (query q, path for provider) through the
// provider's login as username, and returns the callback's redirect to the application.
func (f *oauthFixture) login(t *testing.T, path string, q url.Values, username string) page {
	t.Helper()
	_, back := f.begin(t, path, q, username)
	return f.callback(t, back)
}

// orgQuery is a start query for an organization, with the login and signup redirect URLs.
func orgQuery(orgID string) url.Values {
	return url.Values{"organization_id": {orgID}, "login_redirect_url": {ssoRedirect}, "signup_redirect_url": {ssoRedirect + "?signup=1"}}
}

// orgLogin logs username in to the organization through the provider's start path, and
// returns the callback's redirect.
func (f *oauthFixture) orgLogin(t *testing.T, path, orgID, username string) page {
	t.Helper()
	return f.login(t, path, orgQuery(orgID), username)
}

// oauthToken checks the callback redirected to the application with a token of that type.
func oauthToken(t *testing.T, p page, tokenType string) string {
	t.Helper()
	u, err := url.Parse(p.to)
	if p.status != http.StatusFound || err != nil || u.Query().Get("stytch_token_type") != tokenType || u.Query().Get("token") == "" {
		t.Fatalf("callback answered %d %q %v, want a redirect with stytch_token_type=%s", p.status, p.to, p.body, tokenType)
	}
	return u.Query().Get("token")
}

// wentToSignup tells whether the callback's redirect went to the signup redirect URL (true)
// or the login one (false).
func wentToSignup(t *testing.T, p page) bool {
	t.Helper()
	switch {
	case strings.HasPrefix(p.to, ssoRedirect+"?signup=1&"):
		return true
	case strings.HasPrefix(p.to, ssoRedirect+"?") && !strings.Contains(p.to, "signup=1"):
		return false
	}
	t.Fatalf("callback redirected to %q, neither the login nor the signup redirect URL", p.to)
	return false
}

func (f *oauthFixture) authenticate(t *testing.T, p *oauth.AuthenticateParams) *oauth.AuthenticateResponse {
	t.Helper()
	a, err := f.c.OAuth.Authenticate(context.Background(), p)
	if err != nil {
		t.Fatalf("OAuth.Authenticate: %v", err)
	}
	return a
}

// loginAs runs a whole organization login (start, provider, callback, OAuth.Authenticate) and
// requires a session.
func (f *oauthFixture) loginAs(t *testing.T, path, orgID, username string) *oauth.AuthenticateResponse {
	t.Helper()
	a := f.authenticate(t, &oauth.AuthenticateParams{OAuthToken: oauthToken(t, f.orgLogin(t, path, orgID, username), "oauth")})
	if !a.MemberAuthenticated || a.SessionToken == "" || a.MemberSession == nil {
		t.Fatalf("OAuth login without a session: %+v", a)
	}
	return a
}

// oauthUser is a person at the test provider.
type oauthUser struct {
	username, subject, email string
}

func (f *oauthFixture) addUser(email string, claims map[string]any) oauthUser {
	u := oauthUser{username: "u" + strings.ReplaceAll(uuid.NewString()[:8], "-", ""), subject: "sub-" + uuid.NewString(), email: email}
	f.op.AddUser(apptest.OIDCUser{Subject: u.subject, Username: u.username, Email: email, EmailVerified: true,
		FirstName: "Pat", LastName: "Lee", Claims: claims})
	return u
}

// workspaceUser is a Google Workspace account: its ID token carries hd, the domain.
func (f *oauthFixture) workspaceUser(email string) oauthUser {
	return f.addUser(email, map[string]any{"hd": latchkey.EmailDomain(email)})
}

// consumerUser is a consumer Google account: no hd.
func (f *oauthFixture) consumerUser(email string) oauthUser { return f.addUser(email, nil) }

// workUser is a Microsoft work or school account in tenant tid, known by its user principal
// name upn; its email claim is mail, which Stytch does not trust.
func (f *oauthFixture) workUser(upn, mail, tid string) oauthUser {
	u := f.addUser(mail, map[string]any{"tid": tid, "preferred_username": upn})
	u.email = upn
	return u
}

func newDomain(prefix string) string { return prefix + "-" + uuid.NewString()[:8] + ".example.com" }

func newOAuthOrg(t *testing.T, c *b2bstytchapi.API, p *organizations.CreateParams) organizations.Organization {
	t.Helper()
	if p == nil {
		p = &organizations.CreateParams{}
	}
	if p.OrganizationName == "" {
		p.OrganizationName = "OAuth Co"
	}
	p.OrganizationSlug = newSlug()
	o, err := c.Organizations.Create(context.Background(), p)
	if err != nil {
		t.Fatalf("Organizations.Create: %v", err)
	}
	return o.Organization
}

func registrationTypes(m organizations.Member) []string {
	out := []string{}
	for _, r := range m.OAuthRegistrations {
		out = append(out, r.ProviderType)
	}
	slices.Sort(out)
	return out
}

// A Google Workspace login proves the address: it joins an organization that lets the domain
// in, lands on the same member the next time, and leaves its provider tokens on the member.
func TestOAuthGoogleWorkspaceLogin(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := context.Background()
	domain := "ws-" + uuid.NewString()[:8] + ".example.com"
	o, err := f.c.Organizations.Create(ctx, &organizations.CreateParams{OrganizationName: "Workspace Co", OrganizationSlug: newSlug(),
		EmailJITProvisioning: "RESTRICTED", EmailAllowedDomains: []string{domain}})
	if err != nil {
		t.Fatal(err)
	}
	email := "gina@" + domain
	f.op.AddUser(apptest.OIDCUser{Subject: "g-" + uuid.NewString(), Username: "gina", Email: email, EmailVerified: true,
		FirstName: "Gina", LastName: "G", Claims: map[string]any{"hd": domain}})
	p := f.login(t, googleStart, url.Values{"organization_id": {o.Organization.OrganizationID},
		"login_redirect_url": {ssoRedirect}, "signup_redirect_url": {ssoRedirect + "?signup=1"}}, "gina")
	token := oauthToken(t, p, "oauth")
	a, err := f.c.OAuth.Authenticate(ctx, &oauth.AuthenticateParams{OAuthToken: token})
	if err != nil {
		t.Fatalf("OAuth.Authenticate: %v", err)
	}
	if !a.MemberAuthenticated || a.Member.EmailAddress != email || !a.Member.EmailAddressVerified || len(a.Member.OAuthRegistrations) != 1 ||
		a.ProviderType != "Google" || a.ProviderValues.AccessToken == "" {
		t.Fatalf("OAuth login: %+v", a)
	}
	if fs := a.MemberSession.AuthenticationFactors; len(fs) != 1 || fs[0].DeliveryMethod != "oauth_google" || fs[0].GoogleOAuthFactor == nil {
		t.Fatalf("factors: %+v", fs)
	}
	if !latchkey.LooksLike("oauth-user", a.Member.OAuthRegistrations[0].MemberOAuthRegistrationID) {
		t.Errorf("registration: %+v", a.Member.OAuthRegistrations[0])
	}
}

// A member who signed up by magic link and later logs in with Google Workspace, then with a
// Microsoft work account, by the same address, stays one member: each provider adds an
// oauth_registration, no JIT setting is needed, and Microsoft's account is known by its user
// principal name (preferred_username), not its mutable email claim.
func TestOAuthDedupWithMagicLinkMember(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := context.Background()
	domain := newDomain("dedup")
	org := newOAuthOrg(t, f.c, nil).OrganizationID // email_jit_provisioning NOT_ALLOWED
	addr := "mona@" + domain
	made, err := f.c.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: org, EmailAddress: addr, Name: "Mona M"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.MagicLinks.Email.LoginOrSignup(ctx, &email.LoginOrSignupParams{OrganizationID: org, EmailAddress: addr,
		LoginRedirectURL: redirect, SignupRedirectURL: redirect}); err != nil {
		t.Fatalf("MagicLinks.Email.LoginOrSignup: %v", err)
	}
	ml, err := f.c.MagicLinks.Authenticate(ctx, &magiclinks.AuthenticateParams{MagicLinksToken: env.LastEmail(t, addr).Token()})
	if err != nil || ml.MemberID != made.MemberID || !ml.Member.EmailAddressVerified || len(ml.Member.OAuthRegistrations) != 0 {
		t.Fatalf("magic-link login: %+v %v", ml, err)
	}

	g := f.workspaceUser(addr)
	p := f.orgLogin(t, googleStart, org, g.username)
	if wentToSignup(t, p) {
		t.Errorf("an existing member's Google login went to the signup redirect: %q", p.to)
	}
	a := f.authenticate(t, &oauth.AuthenticateParams{OAuthToken: oauthToken(t, p, "oauth")})
	if !a.MemberAuthenticated || a.MemberID != made.MemberID || a.Member.Name != "Mona M" || a.ProviderSubject != g.subject ||
		!slices.Equal(registrationTypes(a.Member), []string{"Google"}) || a.Member.OAuthRegistrations[0].ProviderSubject != g.subject {
		t.Fatalf("Google login of the magic-link member: %+v", a)
	}

	ms := f.workUser(addr, "mona.alias@"+newDomain("mail"), uuid.NewString())
	p = f.orgLogin(t, microsoftStart, org, ms.username)
	if wentToSignup(t, p) {
		t.Errorf("an existing member's Microsoft login went to the signup redirect: %q", p.to)
	}
	m := f.authenticate(t, &oauth.AuthenticateParams{OAuthToken: oauthToken(t, p, "oauth")})
	if !m.MemberAuthenticated || m.MemberID != made.MemberID || m.ProviderType != "Microsoft" || m.Member.EmailAddress != addr ||
		!slices.Equal(registrationTypes(m.Member), []string{"Google", "Microsoft"}) {
		t.Fatalf("Microsoft login of the same member: %+v", m)
	}
	if fs := m.MemberSession.AuthenticationFactors; len(fs) != 1 || fs[0].DeliveryMethod != "oauth_microsoft" || fs[0].MicrosoftOAuthFactor == nil ||
		fs[0].MicrosoftOAuthFactor.ProviderSubject != ms.subject {
		t.Errorf("Microsoft factors: %+v", fs)
	}
	got, err := f.c.Organizations.Members.Get(ctx, &members.GetParams{OrganizationID: org, MemberID: made.MemberID})
	if err != nil || !slices.Equal(registrationTypes(got.Member), []string{"Google", "Microsoft"}) {
		t.Fatalf("Members.Get after both logins: %+v %v", got, err)
	}
	// Logging in again with Google adds no registration.
	again := f.loginAs(t, googleStart, org, g.username)
	if again.MemberID != made.MemberID || len(again.Member.OAuthRegistrations) != 2 {
		t.Errorf("second Google login: %+v", again.Member)
	}
}

// A new person may join by OAuth only as email_jit_provisioning allows: RESTRICTED with the
// address's domain listed provisions the member (the callback sends a newcomer to the signup
// redirect URL and a member to the login one); NOT_ALLOWED, the default, and an unlisted
// domain refuse, and a refused token stays unspent.
func TestOAuthDomainJIT(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := context.Background()
	domain := newDomain("jit")
	open := newOAuthOrg(t, f.c, &organizations.CreateParams{EmailJITProvisioning: "RESTRICTED", EmailAllowedDomains: []string{domain}})
	closed := newOAuthOrg(t, f.c, nil)
	elsewhere := newOAuthOrg(t, f.c, &organizations.CreateParams{EmailJITProvisioning: "RESTRICTED", EmailAllowedDomains: []string{newDomain("other")}})

	u := f.workspaceUser("newt@" + domain)
	p := f.orgLogin(t, googleStart, open.OrganizationID, u.username)
	if !wentToSignup(t, p) {
		t.Errorf("a newcomer's login went to the login redirect: %q", p.to)
	}
	a := f.authenticate(t, &oauth.AuthenticateParams{OAuthToken: oauthToken(t, p, "oauth")})
	if !a.MemberAuthenticated || a.Member.EmailAddress != u.email || !a.Member.EmailAddressVerified || a.Member.Status != "active" ||
		a.Member.Name != "Pat Lee" || a.OrganizationID != open.OrganizationID {
		t.Fatalf("JIT by domain: %+v", a)
	}
	p = f.orgLogin(t, googleStart, open.OrganizationID, u.username)
	if wentToSignup(t, p) {
		t.Errorf("a member's login went to the signup redirect: %q", p.to)
	}
	if b := f.authenticate(t, &oauth.AuthenticateParams{OAuthToken: oauthToken(t, p, "oauth")}); b.MemberID != a.MemberID {
		t.Errorf("second login landed on %s, want %s", b.MemberID, a.MemberID)
	}

	// A Microsoft work account joins the same way.
	w := f.workUser("wren@"+domain, "wren@"+domain, uuid.NewString())
	if mw := f.loginAs(t, microsoftStart, open.OrganizationID, w.username); mw.Member.EmailAddress != w.email || mw.MemberID == a.MemberID {
		t.Errorf("Microsoft JIT: %+v", mw.Member)
	}

	refused := oauthToken(t, f.orgLogin(t, googleStart, closed.OrganizationID, u.username), "oauth")
	_, err := f.c.OAuth.Authenticate(ctx, &oauth.AuthenticateParams{OAuthToken: refused})
	wantSDKError(t, err, 400, "email_jit_provisioning_not_allowed")
	_, err = f.c.OAuth.Authenticate(ctx, &oauth.AuthenticateParams{OAuthToken: oauthToken(t, f.orgLogin(t, googleStart, elsewhere.OrganizationID, u.username), "oauth")})
	wantSDKError(t, err, 400, "invalid_email_for_jit_provisioning")

	// The refusal consumed nothing: once the organization lets the domain in, the same token works.
	if _, err := f.c.Organizations.Update(ctx, &organizations.UpdateParams{OrganizationID: closed.OrganizationID, EmailJITProvisioning: "RESTRICTED",
		EmailAllowedDomains: []string{domain}}); err != nil {
		t.Fatal(err)
	}
	if c := f.authenticate(t, &oauth.AuthenticateParams{OAuthToken: refused}); !c.MemberAuthenticated || c.OrganizationID != closed.OrganizationID {
		t.Errorf("the refused token after the organization opened: %+v", c)
	}
}

// A consumer Google account (no hd claim) proves no address, as Stytch treats it: its login
// answers member_authenticated false, an intermediate session and primary_required (magic
// link or email OTP), and no session; the intermediate session completes with a magic link.
// Discovery, which needs a proven address, refuses such an account at the callback.
func TestOAuthConsumerGoogle(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := context.Background()
	org := newOAuthOrg(t, f.c, nil).OrganizationID
	addr := "casey-" + uuid.NewString()[:8] + "@gmail.com"
	made, err := f.c.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: org, EmailAddress: addr})
	if err != nil {
		t.Fatal(err)
	}
	u := f.consumerUser(addr)
	a := f.authenticate(t, &oauth.AuthenticateParams{OAuthToken: oauthToken(t, f.orgLogin(t, googleStart, org, u.username), "oauth"),
		SessionDurationMinutes: 60})
	if a.MemberAuthenticated || a.IntermediateSessionToken == "" || a.SessionToken != "" || a.SessionJWT != "" || a.MemberSession != nil ||
		a.PrimaryRequired == nil || !slices.Equal(a.PrimaryRequired.AllowedAuthMethods, []string{"magic_link", "email_otp"}) ||
		a.ProviderType != "Google" || a.ProviderSubject != u.subject {
		t.Fatalf("consumer Google login: %+v", a)
	}
	// The account did not verify the member's address.
	got, err := f.c.Organizations.Members.Get(ctx, &members.GetParams{OrganizationID: org, MemberID: made.MemberID})
	if err != nil || got.Member.EmailAddressVerified || len(got.Member.OAuthRegistrations) != 0 {
		t.Fatalf("member after an unproven login: %+v %v", got, err)
	}

	// The primary step the response asks for, with its intermediate session, ends in a session.
	if _, err := f.c.MagicLinks.Email.LoginOrSignup(ctx, &email.LoginOrSignupParams{OrganizationID: org, EmailAddress: addr,
		LoginRedirectURL: redirect, SignupRedirectURL: redirect}); err != nil {
		t.Fatalf("MagicLinks.Email.LoginOrSignup: %v", err)
	}
	ml, err := f.c.MagicLinks.Authenticate(ctx, &magiclinks.AuthenticateParams{MagicLinksToken: env.LastEmail(t, addr).Token(),
		IntermediateSessionToken: a.IntermediateSessionToken})
	if err != nil || !ml.MemberAuthenticated || ml.MemberID != made.MemberID || ml.MemberSession == nil {
		t.Fatalf("magic link with the OAuth intermediate session: %+v %v", ml, err)
	}

	// So does an email code, the other method it names.
	again := f.authenticate(t, &oauth.AuthenticateParams{OAuthToken: oauthToken(t, f.orgLogin(t, googleStart, org, u.username), "oauth")})
	apptest.ExpectOK(t, otpSend(t, org, addr, nil))
	byCode := otpAuthenticate(t, org, addr, env.LastEmail(t, addr).Code(), map[string]any{"intermediate_session_token": again.IntermediateSessionToken})
	apptest.ExpectOK(t, byCode)
	if byCode.Get("member_authenticated") != true || byCode.Str("member_id") != made.MemberID {
		t.Fatalf("email code with the OAuth intermediate session: %s", byCode.Raw)
	}

	st := oauthStart(t, f.url, googleDiscover, url.Values{"discovery_redirect_url": {ssoRedirect}})
	if st.status != http.StatusFound {
		t.Fatalf("discovery start: %d %v", st.status, st.body)
	}
	wantErrorType(t, f.callback(t, f.op.Login(t, st.to, u.username)), http.StatusBadRequest, "oauth_unverified_email")
}

// Personal Microsoft accounts (the consumer tenant) are refused at the callback, as Stytch's
// B2B product allows only work and school accounts; so is an ID token with no tenant.
func TestOAuthMicrosoftPersonalAccountRefused(t *testing.T) {
	f := newOAuthFixture(t)
	org := newOAuthOrg(t, f.c, nil).OrganizationID
	addr := "pat-" + uuid.NewString()[:8] + "@outlook.com"
	personal := f.workUser(addr, addr, personalMicrosoftTenant)
	wantErrorType(t, f.orgLogin(t, microsoftStart, org, personal.username), http.StatusBadRequest, "invalid_microsoft_tenant_type")
	noTenant := f.addUser("nt-"+uuid.NewString()[:8]+"@example.com", nil)
	wantErrorType(t, f.orgLogin(t, microsoftStart, org, noTenant.username), http.StatusBadRequest, "invalid_microsoft_tenant_type")
}

// The provider's redirect is good once: fetched again, its state is spent; a state Latchkey
// never issued, one issued for the other provider, and a callback without state are refused;
// the provider's refusal and a login finished too late are refused; the token the callback
// hands out is single-use and expires.
func TestOAuthCallbackReplayAndForgery(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := context.Background()
	domain := newDomain("replay")
	org := newOAuthOrg(t, f.c, &organizations.CreateParams{EmailJITProvisioning: "RESTRICTED", EmailAllowedDomains: []string{domain}}).OrganizationID
	u := f.workspaceUser("rae@" + domain)

	_, back := f.begin(t, googleStart, orgQuery(org), u.username)
	token := oauthToken(t, f.callback(t, back), "oauth")
	replay := f.callback(t, back)
	if replay.status != http.StatusBadRequest || (replay.body["error_type"] != "oauth_state_used" && replay.body["error_type"] != "oauth_invalid_state") {
		t.Errorf("replayed callback: %d %v, want 400 oauth_state_used or oauth_invalid_state", replay.status, replay.body)
	}

	_, back = f.begin(t, googleStart, orgQuery(org), u.username)
	forged := *back
	q := forged.Query()
	q.Set("state", "forged-"+uuid.NewString())
	forged.RawQuery = q.Encode()
	wantErrorType(t, f.callback(t, &forged), http.StatusBadRequest, "oauth_invalid_state")
	// The Google login's state at the Microsoft callback.
	other := *back
	other.Path = strings.Replace(other.Path, "/google", "/microsoft", 1)
	wantErrorType(t, f.callback(t, &other), http.StatusBadRequest, "oauth_invalid_state")
	q.Del("state")
	forged.RawQuery = q.Encode()
	wantErrorType(t, f.callback(t, &forged), http.StatusBadRequest, "oauth_invalid_callback_request")
	// The genuine redirect still works after those.
	late := oauthToken(t, f.callback(t, back), "oauth")

	// The provider's refusal, and a login finished after the state's lifetime.
	_, back = f.begin(t, googleStart, orgQuery(org), u.username)
	refusal := *back
	q = refusal.Query()
	q.Del("code")
	q.Set("error", "access_denied")
	refusal.RawQuery = q.Encode()
	wantErrorType(t, f.callback(t, &refusal), http.StatusBadRequest, "oauth_auth_code_error")
	restore := env.Clock.Advance(latchoauth.StateLifetime + time.Minute)
	wantErrorType(t, f.callback(t, back), http.StatusBadRequest, "oauth_invalid_state")
	// A token redeemed after its lifetime is gone.
	_, err := f.c.OAuth.Authenticate(ctx, &oauth.AuthenticateParams{OAuthToken: late})
	restore()
	wantSDKError(t, err, 404, "oauth_token_not_found")

	a := f.authenticate(t, &oauth.AuthenticateParams{OAuthToken: token})
	if !a.MemberAuthenticated {
		t.Fatalf("first use of the token: %+v", a)
	}
	_, err = f.c.OAuth.Authenticate(ctx, &oauth.AuthenticateParams{OAuthToken: token})
	wantSDKError(t, err, 404, "oauth_token_not_found")
	_, err = f.c.OAuth.Authenticate(ctx, &oauth.AuthenticateParams{OAuthToken: "not-a-token-" + uuid.NewString()})
	wantSDKError(t, err, 404, "oauth_token_not_found")
}

// A PKCE challenge given at the start binds the OAuth token to its verifier: Authenticate
// without it, or with another, is refused (and spends nothing), and with it succeeds; a
// malformed challenge is refused at the start.
func TestOAuthPKCE(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := context.Background()
	domain := newDomain("pkce")
	org := newOAuthOrg(t, f.c, &organizations.CreateParams{EmailJITProvisioning: "RESTRICTED", EmailAllowedDomains: []string{domain}}).OrganizationID
	u := f.workspaceUser("pia@" + domain)
	verifier := "a-verifier-with-enough-entropy-" + uuid.NewString()
	q := orgQuery(org)
	q.Set("pkce_code_challenge", pkceChallenge(verifier))
	token := oauthToken(t, f.login(t, googleStart, q, u.username), "oauth")
	_, err := f.c.OAuth.Authenticate(ctx, &oauth.AuthenticateParams{OAuthToken: token})
	wantSDKError(t, err, 400, "pkce_expected_code_verifier")
	_, err = f.c.OAuth.Authenticate(ctx, &oauth.AuthenticateParams{OAuthToken: token, PkceCodeVerifier: "wrong-" + verifier})
	wantSDKError(t, err, 400, "pkce_mismatch")
	if a := f.authenticate(t, &oauth.AuthenticateParams{OAuthToken: token, PkceCodeVerifier: verifier}); !a.MemberAuthenticated {
		t.Fatalf("with the verifier: %+v", a)
	}

	q.Set("pkce_code_challenge", "short")
	wantErrorType(t, oauthStart(t, f.url, googleStart, q), http.StatusBadRequest, "invalid_pkce_code_challenge")
}

// jwtKeyID is the kid in a JWT's header.
func jwtKeyID(t *testing.T, jwt string) string {
	t.Helper()
	head, _, _ := strings.Cut(jwt, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	var h struct {
		Kid string `json:"kid"`
	}
	if err != nil || json.Unmarshal(raw, &h) != nil || h.Kid == "" {
		t.Fatalf("not a JWT with a kid: %.40q", jwt)
	}
	return h.Kid
}

// When the provider rotates its signing key (new kid, the old key gone from its JWKS), logins
// keep working on the same server: the key cache fetches the new key instead of refusing.
func TestOAuthProviderKeyRotation(t *testing.T) {
	f := newOAuthFixture(t)
	domain := newDomain("rot")
	org := newOAuthOrg(t, f.c, &organizations.CreateParams{EmailJITProvisioning: "RESTRICTED", EmailAllowedDomains: []string{domain}}).OrganizationID
	ms := f.workUser("rory@"+domain, "rory@"+domain, uuid.NewString())
	g := f.workspaceUser("gale@" + domain)

	before := f.loginAs(t, microsoftStart, org, ms.username)
	f.loginAs(t, googleStart, org, g.username)
	f.op.RotateKey()
	after := f.loginAs(t, microsoftStart, org, ms.username)
	if after.MemberID != before.MemberID {
		t.Errorf("after the rotation the login landed on %s, want %s", after.MemberID, before.MemberID)
	}
	if k1, k2 := jwtKeyID(t, before.ProviderValues.IDToken), jwtKeyID(t, after.ProviderValues.IDToken); k1 == k2 {
		t.Errorf("both ID tokens are signed under kid %s: the provider did not rotate", k1)
	}
	f.loginAs(t, googleStart, org, g.username)
}

// Discovery with Google: the start sends the browser back with stytch_token_type
// discovery_oauth, and OAuth.Discovery.Authenticate answers the proven address, the provider
// and its tenant (the Workspace domain), the name, and the organizations it may enter (one
// where it is a member, one that lets its domain join); the intermediate session then enters
// one of them.
func TestOAuthDiscovery(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := context.Background()
	domain := newDomain("disc")
	addr := "dana@" + domain
	memberOrg := newOAuthOrg(t, f.c, nil).OrganizationID
	made, err := f.c.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: memberOrg, EmailAddress: addr})
	if err != nil {
		t.Fatal(err)
	}
	jitOrg := newOAuthOrg(t, f.c, &organizations.CreateParams{EmailJITProvisioning: "RESTRICTED", EmailAllowedDomains: []string{domain}}).OrganizationID
	u := f.workspaceUser(addr)

	p := f.login(t, googleDiscover, url.Values{"discovery_redirect_url": {ssoRedirect}}, u.username)
	if !strings.HasPrefix(p.to, ssoRedirect+"?") {
		t.Errorf("discovery callback went to %q, want the discovery redirect URL", p.to)
	}
	token := oauthToken(t, p, "discovery_oauth")
	// A discovery token is not an organization login's.
	_, err = f.c.OAuth.Authenticate(ctx, &oauth.AuthenticateParams{OAuthToken: token})
	wantSDKError(t, err, 404, "oauth_token_not_found")
	d, err := f.c.OAuth.Discovery.Authenticate(ctx, &oauthdiscovery.AuthenticateParams{DiscoveryOAuthToken: token})
	if err != nil {
		t.Fatalf("OAuth.Discovery.Authenticate: %v", err)
	}
	if d.IntermediateSessionToken == "" || d.EmailAddress != addr || d.ProviderType != "Google" || d.ProviderTenantID != domain ||
		!slices.Equal(d.ProviderTenantIds, []string{domain}) || d.FullName != "Pat Lee" {
		t.Fatalf("discovery: %+v", d)
	}
	byOrg := map[string]b2bdiscovery.DiscoveredOrganization{}
	for _, o := range d.DiscoveredOrganizations {
		byOrg[o.Organization.OrganizationID] = o
	}
	if m := byOrg[memberOrg]; m.Membership == nil || m.Membership.Type != "active_member" || m.Membership.Member == nil ||
		m.Membership.Member.MemberID != made.MemberID || !m.MemberAuthenticated {
		t.Errorf("the member's organization: %+v", m)
	}
	if j := byOrg[jitOrg]; j.Membership == nil || j.Membership.Type != "eligible_to_join_by_email_domain" || j.Membership.Member != nil {
		t.Errorf("the domain-JIT organization: %+v", j)
	}
	_, err = f.c.OAuth.Discovery.Authenticate(ctx, &oauthdiscovery.AuthenticateParams{DiscoveryOAuthToken: token})
	wantSDKError(t, err, 404, "oauth_token_not_found")

	in, err := f.c.Discovery.IntermediateSessions.Exchange(ctx, &intermediatesessions.ExchangeParams{IntermediateSessionToken: d.IntermediateSessionToken,
		OrganizationID: jitOrg, SessionDurationMinutes: 60})
	if err != nil || !in.MemberAuthenticated || in.SessionToken == "" || in.Organization.OrganizationID != jitOrg || in.Member.EmailAddress != addr ||
		!in.Member.EmailAddressVerified {
		t.Fatalf("IntermediateSessions.Exchange into the domain-JIT organization: %+v %v", in, err)
	}
	if fs := in.MemberSession.AuthenticationFactors; len(fs) != 1 || fs[0].DeliveryMethod != "oauth_google" {
		t.Errorf("exchanged session's factors: %+v", fs)
	}
}

// Members.OAuthProviders returns the tokens of a member's last login with a provider: its
// subject, access token and scopes, the refresh token only with include_refresh_token, and
// Microsoft's ID token; a member who never logged in with the provider has none.
func TestOAuthMemberProviderTokens(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := context.Background()
	domain := newDomain("tok")
	org := newOAuthOrg(t, f.c, &organizations.CreateParams{EmailJITProvisioning: "RESTRICTED", EmailAllowedDomains: []string{domain}}).OrganizationID
	g := f.workspaceUser("gus@" + domain)
	// offline_access asks the provider for a refresh token.
	q := orgQuery(org)
	q.Set("custom_scopes", "offline_access")
	a := f.authenticate(t, &oauth.AuthenticateParams{OAuthToken: oauthToken(t, f.login(t, googleStart, q, g.username), "oauth")})
	if !a.MemberAuthenticated || a.ProviderValues == nil || a.ProviderValues.AccessToken == "" || a.ProviderValues.IDToken != "" {
		t.Fatalf("Google login's provider_values (Stytch returns no Google id_token): %+v", a.ProviderValues)
	}
	pv := a.ProviderValues
	withOut, err := f.c.Organizations.Members.OAuthProviders.Google(ctx, &oauthproviders.ProviderInformationParams{OrganizationID: org, MemberID: a.MemberID})
	if err != nil {
		t.Fatalf("OAuthProviders.Google: %v", err)
	}
	if withOut.ProviderType != "Google" || withOut.ProviderSubject != g.subject || withOut.AccessToken != pv.AccessToken ||
		!slices.Equal(withOut.Scopes, pv.Scopes) || !slices.Contains(withOut.Scopes, "openid") || withOut.RefreshToken != "" || withOut.AccessTokenExpiresIn <= 0 {
		t.Errorf("OAuthProviders.Google without the refresh token: %+v (login's %+v)", withOut, pv)
	}
	with, err := f.c.Organizations.Members.OAuthProviders.Google(ctx, &oauthproviders.ProviderInformationParams{OrganizationID: org, MemberID: a.MemberID,
		IncludeRefreshToken: true})
	if err != nil || with.RefreshToken != pv.RefreshToken || with.AccessToken != pv.AccessToken {
		t.Errorf("OAuthProviders.Google with include_refresh_token: %+v %v (login's refresh token %q)", with, err, pv.RefreshToken)
	}
	if pv.RefreshToken == "" {
		t.Errorf("the login asked for offline_access but its provider_values hold no refresh token: %+v", pv)
	}

	// Another login replaces the tokens.
	b := f.loginAs(t, googleStart, org, g.username)
	if now, err := f.c.Organizations.Members.OAuthProviders.Google(ctx, &oauthproviders.ProviderInformationParams{OrganizationID: org,
		MemberID: a.MemberID}); err != nil || now.AccessToken != b.ProviderValues.AccessToken || now.AccessToken == pv.AccessToken {
		t.Errorf("after a second login: %+v %v", now, err)
	}

	// No Microsoft login, no Microsoft tokens; no login at all, none either.
	_, err = f.c.Organizations.Members.OAuthProviders.Microsoft(ctx, &oauthproviders.ProviderInformationParams{OrganizationID: org, MemberID: a.MemberID})
	wantSDKError(t, err, 404, "oauth_user_registration_not_found")
	plain, err := f.c.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: org, EmailAddress: "plain@" + domain})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.c.Organizations.Members.OAuthProviders.Google(ctx, &oauthproviders.ProviderInformationParams{OrganizationID: org, MemberID: plain.MemberID})
	wantSDKError(t, err, 404, "oauth_user_registration_not_found")

	ms := f.workUser("mia@"+domain, "mia@"+domain, uuid.NewString())
	m := f.loginAs(t, microsoftStart, org, ms.username)
	if m.ProviderValues == nil || m.ProviderValues.IDToken == "" || m.ProviderValues.AccessToken == "" {
		t.Fatalf("Microsoft login's provider_values: %+v", m.ProviderValues)
	}
	mt, err := f.c.Organizations.Members.OAuthProviders.Microsoft(ctx, &oauthproviders.ProviderInformationParams{OrganizationID: org, MemberID: m.MemberID})
	if err != nil || mt.ProviderType != "Microsoft" || mt.ProviderSubject != ms.subject || mt.IDToken != m.ProviderValues.IDToken ||
		mt.AccessToken != m.ProviderValues.AccessToken || mt.RefreshToken != "" {
		t.Errorf("OAuthProviders.Microsoft: %+v %v", mt, err)
	}
}

// The start refuses what Stytch refuses: a project with no OAuth configured (the main test
// server), a provider Latchkey does not support, a wrong public token, an unlisted redirect
// URL and a missing or doubled organization locator; an organization's slug does as well as
// its id.
func TestOAuthStartRefusals(t *testing.T) {
	f := newOAuthFixture(t)
	org := newOAuthOrg(t, f.c, nil)
	id := org.OrganizationID
	wantErrorType(t, oauthStart(t, env.URL, googleStart, orgQuery(id)), http.StatusBadRequest, "oauth_config_not_found")
	wantErrorType(t, oauthStart(t, env.URL, googleDiscover, url.Values{"discovery_redirect_url": {ssoRedirect}}), http.StatusBadRequest, "oauth_config_not_found")
	wantErrorType(t, oauthStart(t, f.url, "/v1/b2b/public/oauth/github/start", orgQuery(id)), http.StatusNotFound, "invalid_oauth_provider")
	q := orgQuery(id)
	q.Set("public_token", latchkey.PublicTokenFor("project-test-"+uuid.NewString()))
	wantErrorType(t, oauthStart(t, f.url, googleStart, q), http.StatusUnauthorized, "public_token_not_found")
	q = orgQuery(id)
	q.Set("login_redirect_url", "https://evil.example.com/steal")
	wantErrorType(t, oauthStart(t, f.url, googleStart, q), http.StatusBadRequest, "no_match_for_provided_oauth_url")
	q = orgQuery(id)
	q.Set("signup_redirect_url", "https://evil.example.com/steal")
	wantErrorType(t, oauthStart(t, f.url, microsoftStart, q), http.StatusBadRequest, "no_match_for_provided_oauth_url")
	wantErrorType(t, oauthStart(t, f.url, googleDiscover, url.Values{"discovery_redirect_url": {"https://evil.example.com/steal"}}),
		http.StatusBadRequest, "no_match_for_provided_oauth_url")
	wantErrorType(t, oauthStart(t, f.url, googleStart, url.Values{"login_redirect_url": {ssoRedirect}}), http.StatusBadRequest,
		"missing_oauth_organization_locator")
	q = orgQuery(id)
	q.Set("slug", org.OrganizationSlug)
	wantErrorType(t, oauthStart(t, f.url, googleStart, q), http.StatusBadRequest, "too_many_oauth_organization_locators")
	wantErrorType(t, oauthStart(t, f.url, googleStart, orgQuery("organization-test-"+uuid.NewString())), http.StatusNotFound, "organization_not_found")
	wantErrorType(t, oauthStart(t, f.url, googleStart, url.Values{"slug": {newSlug()}}), http.StatusNotFound, "organization_not_found")

	bySlug := oauthStart(t, f.url, microsoftStart, url.Values{"slug": {org.OrganizationSlug}, "login_redirect_url": {ssoRedirect}})
	if bySlug.status != http.StatusFound || !strings.HasPrefix(bySlug.to, f.op.Issuer) {
		t.Fatalf("start by slug: %d %q %v", bySlug.status, bySlug.to, bySlug.body)
	}
	auth, _ := url.Parse(bySlug.to)
	if aq := auth.Query(); aq.Get("client_id") != microsoftClient || aq.Get("state") == "" || aq.Get("nonce") == "" ||
		aq.Get("code_challenge_method") != "S256" || aq.Get("redirect_uri") != "http://localhost:8080/v1/b2b/oauth/callback/microsoft" ||
		!slices.Equal(strings.Fields(aq.Get("scope")), []string{"openid", "email", "profile", "User.Read"}) {
		t.Errorf("Microsoft authorization request: %s", bySlug.to)
	}
}

// The factor of a Google Workspace login proves the address beyond its organization: its
// session enters (Sessions.Exchange) another organization where the address is a member,
// unlike an SSO session, which proves the address to its own organization only.
func TestOAuthSessionExchangeAcrossOrganizations(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := context.Background()
	domain := newDomain("xchg")
	addr := "xena@" + domain
	home := newOAuthOrg(t, f.c, &organizations.CreateParams{EmailJITProvisioning: "RESTRICTED", EmailAllowedDomains: []string{domain}}).OrganizationID
	other := newOAuthOrg(t, f.c, nil).OrganizationID
	there, err := f.c.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: other, EmailAddress: addr})
	if err != nil {
		t.Fatal(err)
	}
	u := f.workspaceUser(addr)
	a := f.loginAs(t, googleStart, home, u.username)
	x, err := f.c.Sessions.Exchange(ctx, &sessions.ExchangeParams{OrganizationID: other, SessionToken: a.SessionToken})
	if err != nil || !x.MemberAuthenticated || x.MemberID != there.MemberID || x.Organization.OrganizationID != other || x.SessionToken == "" {
		t.Fatalf("Sessions.Exchange of the Google Workspace session: %+v %v", x, err)
	}
	if _, err := f.c.Sessions.Authenticate(ctx, &sessions.AuthenticateParams{SessionToken: x.SessionToken}); err != nil {
		t.Errorf("the exchanged session: %v", err)
	}
}

// A Microsoft account is known by its user principal name only, as Stytch deduplicates: the
// ID token's email claim is mutable and unverified (any tenant's admin can set it to any
// address, the "nOAuth" takeover), so an account whose preferred_username is no address is
// refused with invalid_microsoft_user_principal_name, and never logs in by its email claim as
// the member who owns that address.
func TestOAuthMicrosoftEmailClaimNotTrusted(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := context.Background()
	org := newOAuthOrg(t, f.c, nil).OrganizationID
	addr := "ceo@" + newDomain("victim")
	victim, err := f.c.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: org, EmailAddress: addr})
	if err != nil {
		t.Fatal(err)
	}
	// Another tenant's account, whose admin set its mail to the victim's address.
	rogue := f.addUser(addr, map[string]any{"tid": uuid.NewString(), "preferred_username": "rogue"})
	p := f.orgLogin(t, microsoftStart, org, rogue.username)
	if p.status == http.StatusFound {
		a, err := f.c.OAuth.Authenticate(ctx, &oauth.AuthenticateParams{OAuthToken: oauthToken(t, p, "oauth")})
		if err == nil && a.MemberID == victim.MemberID {
			t.Fatalf("a Microsoft account with no user principal name logged in as member %s by its email claim %s (authenticated %v)",
				a.MemberID, addr, a.MemberAuthenticated)
		}
		t.Fatalf("callback accepted an account with no user principal name: %q (authenticate: %v)", p.to, err)
	}
	wantErrorType(t, p, http.StatusBadRequest, "invalid_microsoft_user_principal_name")
}

// An organization that restricts its auth methods takes OAuth logins only when it lists the
// provider's method (google_oauth, microsoft_oauth); one that allows no method that proves an
// address refuses a consumer Google account outright.
func TestOAuthAllowedAuthMethods(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := context.Background()
	domain := newDomain("methods")
	jit := func(methods ...string) string {
		return newOAuthOrg(t, f.c, &organizations.CreateParams{EmailJITProvisioning: "RESTRICTED", EmailAllowedDomains: []string{domain},
			AuthMethods: "RESTRICTED", AllowedAuthMethods: methods}).OrganizationID
	}
	g := f.workspaceUser("gil@" + domain)
	ms := f.workUser("max@"+domain, "max@"+domain, uuid.NewString())
	magicOnly, microsoftOnly := jit("magic_link"), jit("microsoft_oauth")
	_, err := f.c.OAuth.Authenticate(ctx, &oauth.AuthenticateParams{OAuthToken: oauthToken(t, f.orgLogin(t, googleStart, magicOnly, g.username), "oauth")})
	wantSDKError(t, err, 400, "operation_restricted_by_organization_auth_methods")
	_, err = f.c.OAuth.Authenticate(ctx, &oauth.AuthenticateParams{OAuthToken: oauthToken(t, f.orgLogin(t, googleStart, microsoftOnly, g.username), "oauth")})
	wantSDKError(t, err, 400, "operation_restricted_by_organization_auth_methods")
	if a := f.loginAs(t, microsoftStart, microsoftOnly, ms.username); a.Member.EmailAddress != ms.email {
		t.Errorf("Microsoft login where microsoft_oauth is allowed: %+v", a.Member)
	}

	googleOnly := jit("google_oauth")
	c := f.consumerUser("cal-" + uuid.NewString()[:8] + "@gmail.com")
	_, err = f.c.OAuth.Authenticate(ctx, &oauth.AuthenticateParams{OAuthToken: oauthToken(t, f.orgLogin(t, googleStart, googleOnly, c.username), "oauth")})
	wantSDKError(t, err, 400, "oauth_unverified_email")
}

// A provider account stays with the member it first logged in as: when its address changes
// at the provider, its next login does not make a second member with the same account, but is
// refused until an admin moves the member to the new address.
func TestOAuthAccountKeepsItsMember(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := context.Background()
	domain := newDomain("rename")
	org := newOAuthOrg(t, f.c, &organizations.CreateParams{EmailJITProvisioning: "RESTRICTED", EmailAllowedDomains: []string{domain}}).OrganizationID
	u := f.workspaceUser("old@" + domain)
	first := f.loginAs(t, googleStart, org, u.username)
	f.op.AddUser(apptest.OIDCUser{Subject: u.subject, Username: u.username, Email: "new@" + domain, EmailVerified: true, Claims: map[string]any{"hd": domain}})
	_, err := f.c.OAuth.Authenticate(ctx, &oauth.AuthenticateParams{OAuthToken: oauthToken(t, f.orgLogin(t, googleStart, org, u.username), "oauth")})
	wantSDKError(t, err, 400, "sso_subject_belongs_to_another_member")
	if _, err := f.c.Organizations.Members.Update(ctx, &members.UpdateParams{OrganizationID: org, MemberID: first.MemberID,
		EmailAddress: "new@" + domain}); err != nil {
		t.Fatalf("Members.Update email: %v", err)
	}
	if a := f.loginAs(t, googleStart, org, u.username); a.MemberID != first.MemberID || a.Member.EmailAddress != "new@"+domain {
		t.Errorf("login after the member moved to the new address: %+v", a.Member)
	}
}

// oauthCalls is the DynamoDB use a request logged.
func oauthCalls(t *testing.T, requestID any) string {
	t.Helper()
	id, _ := requestID.(string)
	if id == "" {
		t.Fatalf("no request_id (%v)", requestID)
	}
	return ssoCalls(t, id)
}

// TestOAuthDynamoDBCalls pins what each leg of an OAuth login costs in DynamoDB calls: the
// start, the provider's redirect back and OAuth.Authenticate, for a new member (JIT) and an
// existing one, and a discovery login.
func TestOAuthDynamoDBCalls(t *testing.T) {
	f := newOAuthFixture(t)
	domain := newDomain("bud")
	org := newOAuthOrg(t, f.c, &organizations.CreateParams{EmailJITProvisioning: "RESTRICTED", EmailAllowedDomains: []string{domain}}).OrganizationID
	u := f.workspaceUser("bud@" + domain)
	got := map[string]string{}
	for _, round := range []string{"new member", "existing member"} {
		st, back := f.begin(t, googleStart, orgQuery(org), u.username)
		got[round+": start"] = oauthCalls(t, st.body["request_id"])
		cb := f.callback(t, back)
		token := oauthToken(t, cb, "oauth")
		got[round+": callback"] = oauthCalls(t, cb.body["request_id"])
		a := f.authenticate(t, &oauth.AuthenticateParams{OAuthToken: token})
		got[round+": authenticate"] = oauthCalls(t, a.RequestID)
	}
	st, back := f.begin(t, googleDiscover, url.Values{"discovery_redirect_url": {ssoRedirect}}, u.username)
	got["discovery: start"] = oauthCalls(t, st.body["request_id"])
	cb := f.callback(t, back)
	token := oauthToken(t, cb, "discovery_oauth")
	got["discovery: callback"] = oauthCalls(t, cb.body["request_id"])
	d, err := f.c.OAuth.Discovery.Authenticate(context.Background(), &oauthdiscovery.AuthenticateParams{DiscoveryOAuthToken: token})
	if err != nil {
		t.Fatal(err)
	}
	got["discovery: authenticate"] = oauthCalls(t, d.RequestID)

	want := map[string]string{
		// The organization, then the state.
		"new member: start": "2 GetItem:1,PutItem:1",
		// The state, the member by email (login or signup redirect), then the token written and
		// the state consumed in one transaction.
		"new member: callback": "3 GetItem:2,TransactWriteItems:1",
		// The token, the organization, the member by email; the login's transaction; the
		// provider tokens for Members.OAuthProviders.
		"new member: authenticate":      "5 GetItem:3,PutItem:1,TransactWriteItems:1",
		"existing member: start":        "2 GetItem:1,PutItem:1",
		"existing member: callback":     "3 GetItem:2,TransactWriteItems:1",
		"existing member: authenticate": "5 BatchGetItem:1,GetItem:2,PutItem:1,TransactWriteItems:1",
		// No organization to read.
		"discovery: start":    "1 PutItem:1",
		"discovery: callback": "2 GetItem:1,TransactWriteItems:1",
		// The token; the intermediate session's transaction; the memberships by email, the
		// organizations by domain, then the organizations in one batch.
		"discovery: authenticate": "5 BatchGetItem:1,GetItem:1,Query:2,TransactWriteItems:1",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s DynamoDB calls, want %s", k, got[k], w)
		}
	}
}
