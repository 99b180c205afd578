package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations/members"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sessions"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sso"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sso/oidc"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sso/saml"
	"github.com/stytchauth/stytch-go/v18/stytch/stytcherror"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/app/apptest"
	"github.com/latchkey/latchkey/shared/samlsp"
	"github.com/latchkey/latchkey/shared/store"
)

// The SSO tests drive every API call through stytch-go and the browser legs over plain HTTP:
// the application's page sends the browser to GET /v1/public/sso/start, Latchkey redirects to
// the identity provider (crewjam's samlidp, zitadel's OP, both in process), the provider sends
// the browser back to the callback, and Latchkey redirects to the application with the token.

const ssoRedirect = "http://localhost:3000/sso/callback"

// ssoBrowser is a user agent that shows each redirect instead of following it.
var ssoBrowser = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

// local turns a URL Latchkey handed out (its BaseURL) into one on the test server.
func local(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return env.URL + u.RequestURI()
}

// page is what one browser request got back: the status, the redirect target and the body.
type page struct {
	status int
	to     string
	body   map[string]any
}

// browse sends one browser request.
func browse(t *testing.T, req *http.Request) page {
	t.Helper()
	res, err := ssoBrowser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	p := page{status: res.StatusCode, to: res.Header.Get("Location")}
	_ = json.Unmarshal(raw, &p.body)
	return p
}

// ssoStart is the browser opening the start URL with these query parameters (the public token
// and redirect URLs are added unless given).
func ssoStart(t *testing.T, q url.Values) page {
	t.Helper()
	if !q.Has("public_token") {
		q.Set("public_token", env.Config.PublicToken)
	}
	if !q.Has("login_redirect_url") {
		q.Set("login_redirect_url", ssoRedirect)
		q.Set("signup_redirect_url", ssoRedirect+"?signup=1")
	}
	req, _ := http.NewRequest(http.MethodGet, env.URL+"/v1/public/sso/start?"+q.Encode(), nil)
	return browse(t, req)
}

// postACS is the browser posting the IdP's auto-post form to the connection's ACS URL.
func postACS(t *testing.T, p apptest.SAMLPost) page {
	t.Helper()
	form := url.Values{"SAMLResponse": {p.SAMLResponse}}
	if p.RelayState != "" {
		form.Set("RelayState", p.RelayState)
	}
	req, _ := http.NewRequest(http.MethodPost, local(t, p.ACS), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return browse(t, req)
}

// ssoToken checks that the callback redirected to the application with an SSO token and
// returns it.
func ssoToken(t *testing.T, p page) string {
	t.Helper()
	if p.status != http.StatusFound {
		t.Fatalf("callback answered %d %v, want a redirect to the application", p.status, p.body)
	}
	u, err := url.Parse(p.to)
	if err != nil || u.Query().Get("stytch_token_type") != "sso" || u.Query().Get("token") == "" {
		t.Fatalf("callback redirected to %q, want the application with stytch_token_type=sso and a token", p.to)
	}
	return u.Query().Get("token")
}

func wantErrorType(t *testing.T, p page, wantStatus int, wantType string) {
	t.Helper()
	if p.status != wantStatus || p.body["error_type"] != wantType {
		t.Fatalf("got %d %v, want %d %s", p.status, p.body, wantStatus, wantType)
	}
}

func wantSDKError(t *testing.T, err error, status int, errType string) {
	t.Helper()
	se, ok := err.(stytcherror.Error)
	if !ok {
		t.Fatalf("error %v (%T), want stytcherror.Error %d %s", err, err, status, errType)
	}
	if int(se.StatusCode) != status || string(se.ErrorType) != errType {
		t.Fatalf("error %d %s (%s), want %d %s", se.StatusCode, se.ErrorType, se.ErrorMessage, status, errType)
	}
}

// samlFixture is an organization with an active SAML connection to a test IdP.
type samlFixture struct {
	c      *b2bstytchapi.API
	org    organizations.Organization
	conn   *sso.SAMLConnection
	idp    *apptest.SAMLIdP
	domain string
}

// newSAMLFixture creates the organization (with settings), a SAML connection configured from
// the IdP's metadata URL and with attribute and role mappings, and registers the connection at
// the IdP from what the connection reports.
func newSAMLFixture(t *testing.T, orgParams *organizations.CreateParams) *samlFixture {
	t.Helper()
	ctx := context.Background()
	c := sgPwClient(t, env.URL)
	f := &samlFixture{c: c, idp: apptest.StartSAMLIdP(t), domain: "sso-" + uuid.NewString()[:8] + ".example.com"}
	if orgParams == nil {
		orgParams = &organizations.CreateParams{}
	}
	orgParams.OrganizationName, orgParams.OrganizationSlug = "SSO Co", newSlug()
	o, err := c.Organizations.Create(ctx, orgParams)
	if err != nil {
		t.Fatalf("Organizations.Create: %v", err)
	}
	f.org = o.Organization
	created, err := c.SSO.SAML.CreateConnection(ctx, &saml.CreateConnectionParams{OrganizationID: f.org.OrganizationID, DisplayName: "Okta"})
	if err != nil {
		t.Fatalf("SAML.CreateConnection: %v", err)
	}
	conn := created.Connection
	if conn.Status != "pending" || conn.AcsURL != "http://localhost:8080/v1/b2b/sso/callback/"+conn.ConnectionID ||
		conn.AudienceURI != conn.AcsURL || len(conn.SigningCertificates) != 1 || !latchkey.LooksLike("saml-connection", conn.ConnectionID) {
		t.Fatalf("new SAML connection: %+v", conn)
	}
	if _, err := c.SSO.SAML.UpdateByURL(ctx, &saml.UpdateByURLParams{OrganizationID: f.org.OrganizationID, ConnectionID: conn.ConnectionID,
		MetadataURL: f.idp.MetadataURL}); err != nil {
		t.Fatalf("SAML.UpdateByURL: %v", err)
	}
	up, err := c.SSO.SAML.UpdateConnection(ctx, &saml.UpdateConnectionParams{OrganizationID: f.org.OrganizationID, ConnectionID: conn.ConnectionID,
		AttributeMapping: map[string]any{"email": apptest.SAMLAttrEmail, "first_name": apptest.SAMLAttrGivenName,
			"last_name": apptest.SAMLAttrSurname, "groups": apptest.SAMLAttrGroups},
		SAMLConnectionImplicitRoleAssignments: []*sso.SAMLConnectionImplicitRoleAssignment{{RoleID: "sso-user"}},
		SAMLGroupImplicitRoleAssignments:      []*sso.SAMLGroupImplicitRoleAssignment{{RoleID: "engineer", Group: "engineering"}},
	})
	if err != nil {
		t.Fatalf("SAML.UpdateConnection: %v", err)
	}
	f.conn = up.Connection
	if f.conn.Status != "active" || f.conn.IDPEntityID != f.idp.Metadata.EntityID || f.conn.IDPSSOURL != f.idp.Metadata.SSOURL ||
		len(f.conn.VerificationCertificates) != 1 {
		t.Fatalf("configured SAML connection: %+v", f.conn)
	}
	f.idp.RegisterSP(t, "latchkey", f.conn.AcsURL, f.conn.AudienceURI, f.conn.SigningCertificates[0].Certificate)
	return f
}

func (f *samlFixture) user(t *testing.T, name string, groups ...string) string {
	t.Helper()
	email := name + "@" + f.domain
	f.idp.AddUser(t, apptest.SAMLUser{Name: name, Email: email, Groups: groups, GivenName: "Ada", Surname: "Lovelace"})
	return email
}

// login runs an SP-initiated login of user to the fixture's connection and returns the
// callback's redirect.
func (f *samlFixture) login(t *testing.T, user string, q url.Values) page {
	t.Helper()
	if q == nil {
		q = url.Values{}
	}
	q.Set("connection_id", f.conn.ConnectionID)
	st := ssoStart(t, q)
	if st.status != http.StatusFound || !strings.HasPrefix(st.to, f.idp.URL) || st.body["redirect_url"] != st.to {
		t.Fatalf("start answered %d %q %v, want a redirect to the IdP", st.status, st.to, st.body)
	}
	post := f.idp.Login(t, st.to, user)
	if post.ACS != f.conn.AcsURL {
		t.Fatalf("the IdP posts to %q, want the connection's acs_url %q", post.ACS, f.conn.AcsURL)
	}
	return postACS(t, post)
}

func (f *samlFixture) authenticate(t *testing.T, token string) *sso.AuthenticateResponse {
	t.Helper()
	a, err := f.c.SSO.Authenticate(context.Background(), &sso.AuthenticateParams{SSOToken: token})
	if err != nil {
		t.Fatalf("SSO.Authenticate: %v", err)
	}
	return a
}

func ssoRoleSources(m organizations.Member) map[string]string {
	out := map[string]string{}
	for _, r := range m.Roles {
		for _, s := range r.Sources {
			out[r.RoleID] = s.Type
		}
	}
	return out
}

// An SP-initiated SAML login through a real IdP provisions the member (JIT), records its
// registration and the sso factor, grants the connection's and the group's roles with their
// sources, makes the token single-use, sends new members to the signup redirect and known ones
// to the login redirect, and gives a session that cannot enter another organization on what
// the organization's IdP asserted.
func TestSAMLSPInitiatedJITWithRoles(t *testing.T) {
	f := newSAMLFixture(t, nil)
	email := f.user(t, "ada", "engineering", "staff")

	first := f.login(t, "ada", nil)
	token := ssoToken(t, first)
	if !strings.HasPrefix(first.to, ssoRedirect+"?signup=1") {
		t.Errorf("a new member's login went to %q, want the signup redirect", first.to)
	}
	a := f.authenticate(t, token)
	if !a.MemberAuthenticated || a.SessionToken == "" || a.SessionJWT == "" || a.OrganizationID != f.org.OrganizationID {
		t.Fatalf("SSO.Authenticate: %+v", a)
	}
	m := a.Member
	if m.EmailAddress != email || !m.EmailAddressVerified || m.Name != "Ada Lovelace" || len(m.SSORegistrations) != 1 {
		t.Fatalf("JIT member: %+v", m)
	}
	reg := m.SSORegistrations[0]
	if reg.ConnectionID != f.conn.ConnectionID || reg.ExternalID != email || !latchkey.LooksLike("saml-registration", reg.RegistrationID) {
		t.Errorf("registration: %+v", reg)
	}
	src := ssoRoleSources(m)
	if src["sso-user"] != "sso_connection" || src["engineer"] != "sso_connection_group" || src["stytch_member"] != "direct_assignment" {
		t.Errorf("roles: %+v", m.Roles)
	}
	if _, ok := src["staff"]; ok {
		t.Errorf("a group with no role assignment gave a role: %+v", m.Roles)
	}
	fs := a.MemberSession.AuthenticationFactors
	if len(fs) != 1 || fs[0].Type != "sso" || fs[0].DeliveryMethod != "sso_saml" || fs[0].SAMLSSOFactor == nil ||
		fs[0].SAMLSSOFactor.ProviderID != f.conn.ConnectionID || fs[0].SAMLSSOFactor.ExternalID != email ||
		fs[0].SAMLSSOFactor.ID != reg.RegistrationID {
		t.Errorf("session factors: %+v", fs)
	}
	if !slices.Contains(a.MemberSession.Roles, "engineer") {
		t.Errorf("session roles %v lack the group role", a.MemberSession.Roles)
	}

	// The token is single-use.
	_, err := f.c.SSO.Authenticate(context.Background(), &sso.AuthenticateParams{SSOToken: token})
	wantSDKError(t, err, 404, "sso_token_not_found")

	// The member exists now: the next login goes to the login redirect and lands on it.
	next := f.login(t, "ada", nil)
	if !strings.HasPrefix(next.to, ssoRedirect+"?") || strings.Contains(next.to, "signup=1") {
		t.Errorf("an existing member's login went to %q, want the login redirect", next.to)
	}
	again := f.authenticate(t, ssoToken(t, next))
	if again.MemberID != m.MemberID || len(again.Member.SSORegistrations) != 1 {
		t.Errorf("second login: member %s with %d registrations, want %s with 1", again.MemberID, len(again.Member.SSORegistrations), m.MemberID)
	}

	// What the IdP asserts proves the address in this organization only: the session cannot
	// enter another one on its strength.
	other, err := f.c.Organizations.Create(context.Background(), &organizations.CreateParams{OrganizationName: "Other", OrganizationSlug: newSlug(),
		EmailJITProvisioning: "RESTRICTED", EmailAllowedDomains: []string{f.domain}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.c.Sessions.Exchange(context.Background(), &sessions.ExchangeParams{OrganizationID: other.Organization.OrganizationID, SessionToken: a.SessionToken})
	wantSDKError(t, err, 400, "session_email_not_proven")
}

// An SSO login with an existing member's address lands on that member (and verifies its
// address), even where SSO JIT provisioning is off; someone new is refused.
func TestSAMLDedupWithExistingMember(t *testing.T) {
	f := newSAMLFixture(t, &organizations.CreateParams{SSOJITProvisioning: "NOT_ALLOWED"})
	email := f.user(t, "grace")
	made, err := f.c.Organizations.Members.Create(context.Background(), &members.CreateParams{OrganizationID: f.org.OrganizationID,
		EmailAddress: email, Name: "Grace H"})
	if err != nil {
		t.Fatal(err)
	}
	if made.Member.EmailAddressVerified {
		t.Fatal("a member created by the API starts verified")
	}
	a := f.authenticate(t, ssoToken(t, f.login(t, "grace", nil)))
	if a.MemberID != made.MemberID || !a.Member.EmailAddressVerified || a.Member.Name != "Grace H" || len(a.Member.SSORegistrations) != 1 {
		t.Fatalf("SSO login of an existing member: %+v", a.Member)
	}

	// JIT NOT_ALLOWED still refuses someone new.
	f.user(t, "eve")
	_, err = f.c.SSO.Authenticate(context.Background(), &sso.AuthenticateParams{SSOToken: ssoToken(t, f.login(t, "eve", nil))})
	wantSDKError(t, err, 400, "invalid_connection_for_jit_provisioning")
}

// sso_jit_provisioning RESTRICTED provisions only through the listed connections, and a
// refused redemption consumes nothing.
func TestSAMLJITRestrictedByConnection(t *testing.T) {
	f := newSAMLFixture(t, &organizations.CreateParams{SSOJITProvisioning: "RESTRICTED"})
	f.user(t, "lin")
	token := ssoToken(t, f.login(t, "lin", nil))
	_, err := f.c.SSO.Authenticate(context.Background(), &sso.AuthenticateParams{SSOToken: token})
	wantSDKError(t, err, 400, "invalid_connection_for_jit_provisioning")

	if _, err := f.c.Organizations.Update(context.Background(), &organizations.UpdateParams{OrganizationID: f.org.OrganizationID,
		SSOJITProvisioningAllowedConnections: []string{f.conn.ConnectionID}}); err != nil {
		t.Fatal(err)
	}
	// The refused token was not consumed: nothing was written.
	a := f.authenticate(t, token)
	if !a.MemberAuthenticated || a.Member.EmailAddress != "lin@"+f.domain {
		t.Fatalf("JIT through an allowed connection: %+v", a)
	}
}

// IdP-initiated SAML lands on the default redirect URL, a replayed response is refused, and a
// connection can refuse IdP-initiated logins while SP-initiated ones keep working.
func TestSAMLIdPInitiated(t *testing.T) {
	f := newSAMLFixture(t, nil)
	email := f.user(t, "ida")
	post := f.idp.LoginIdPInitiated(t, f.conn.AudienceURI, "ida", "")
	got := postACS(t, post)
	token := ssoToken(t, got)
	if !strings.HasPrefix(got.to, env.Config.DefaultRedirectURL+"?") {
		t.Errorf("IdP-initiated login went to %q, want the default redirect URL", got.to)
	}
	if a := f.authenticate(t, token); a.Member.EmailAddress != email {
		t.Fatalf("IdP-initiated member: %+v", a.Member)
	}
	// The same response again is a replay.
	wantErrorType(t, (postACS(t, post)), http.StatusBadRequest, "duplicate_saml_response")

	// A connection may refuse IdP-initiated logins.
	if _, err := f.c.SSO.SAML.UpdateConnection(context.Background(), &saml.UpdateConnectionParams{OrganizationID: f.org.OrganizationID,
		ConnectionID: f.conn.ConnectionID, IDPInitiatedAuthDisabled: true}); err != nil {
		t.Fatal(err)
	}
	post = f.idp.LoginIdPInitiated(t, f.conn.AudienceURI, "ida", "")
	wantErrorType(t, (postACS(t, post)), http.StatusBadRequest, "unsolicited_saml_response")
	// SP-initiated logins still work.
	f.authenticate(t, ssoToken(t, f.login(t, "ida", nil)))
}

// SAML responses that a relying party must refuse are refused: replayed, tampered, expired,
// for another audience, signed by another IdP's key, malformed or missing.
func TestSAMLResponsesRefused(t *testing.T) {
	f := newSAMLFixture(t, nil)
	f.user(t, "mal")
	start := func() string {
		st := ssoStart(t, url.Values{"connection_id": {f.conn.ConnectionID}})
		if st.status != http.StatusFound {
			t.Fatalf("start: %d %v", st.status, st.body)
		}
		return st.to
	}

	t.Run("replayed SP-initiated response", func(t *testing.T) {
		post := f.idp.Login(t, start(), "mal")
		ssoToken(t, postACS(t, post))
		// The state is spent: the response no longer answers a login in progress.
		wantErrorType(t, (postACS(t, post)), http.StatusBadRequest, "unsolicited_saml_response")
	})
	t.Run("tampered assertion", func(t *testing.T) {
		post := f.idp.Login(t, start(), "mal")
		raw, _ := base64.StdEncoding.DecodeString(post.SAMLResponse)
		evil := bytes.ReplaceAll(raw, []byte("mal@"+f.domain), []byte("admin@"+f.domain))
		if bytes.Equal(evil, raw) {
			t.Fatal("the response does not carry the address")
		}
		post.SAMLResponse = base64.StdEncoding.EncodeToString(evil)
		wantErrorType(t, (postACS(t, post)), http.StatusBadRequest, "invalid_signature_saml_response")
	})
	t.Run("expired assertion", func(t *testing.T) {
		post := f.idp.LoginIdPInitiated(t, f.conn.AudienceURI, "mal", "")
		restore := env.Clock.Advance(2 * time.Hour)
		defer restore()
		wantErrorType(t, (postACS(t, post)), http.StatusBadRequest, "expired_saml_response")
	})
	t.Run("wrong audience", func(t *testing.T) {
		// The IdP is told the service provider is someone else; its response says so.
		f.idp.RegisterSP(t, "elsewhere", f.conn.AcsURL, "https://elsewhere.example.com/sp", f.conn.SigningCertificates[0].Certificate)
		post := f.idp.LoginIdPInitiated(t, "https://elsewhere.example.com/sp", "mal", "")
		wantErrorType(t, (postACS(t, post)), http.StatusBadRequest, "invalid_audience_saml_response")
	})
	t.Run("signed by another key", func(t *testing.T) {
		other := apptest.StartSAMLIdP(t)
		other.AddUser(t, apptest.SAMLUser{Name: "mal", Email: "mal@" + f.domain})
		other.RegisterSP(t, "latchkey", f.conn.AcsURL, f.conn.AudienceURI, f.conn.SigningCertificates[0].Certificate)
		post := other.LoginIdPInitiated(t, f.conn.AudienceURI, "mal", "")
		got := postACS(t, post)
		if got.status != http.StatusBadRequest || got.body["error_type"] != "invalid_signature_saml_response" {
			t.Fatalf("response of another IdP: %d %v", got.status, got.body)
		}
	})
	t.Run("not a SAML response", func(t *testing.T) {
		wantErrorType(t, (postACS(t, apptest.SAMLPost{ACS: f.conn.AcsURL, SAMLResponse: "bm90IHhtbA=="})), http.StatusBadRequest, "invalid_xml_saml_response")
		wantErrorType(t, (postACS(t, apptest.SAMLPost{ACS: f.conn.AcsURL})), http.StatusBadRequest, "missing_saml_response")
	})
}

// The browser start refuses an unknown or missing public token, an unlisted redirect URL, an
// unknown connection and a malformed PKCE challenge; a deleted connection takes no more
// logins, even one that had started, and leaves the organization's active connections.
func TestSSOStartRefusals(t *testing.T) {
	f := newSAMLFixture(t, nil)
	id := f.conn.ConnectionID
	wantErrorType(t, (ssoStart(t, url.Values{"connection_id": {id}, "public_token": {latchkey.PublicTokenFor("project-test-" + uuid.NewString())}})),
		http.StatusUnauthorized, "public_token_not_found")
	wantErrorType(t, (ssoStart(t, url.Values{"connection_id": {id}, "public_token": {""}})), http.StatusBadRequest, "public_token_required")
	wantErrorType(t, (ssoStart(t, url.Values{"connection_id": {id}, "login_redirect_url": {"https://evil.example.com/steal"}})),
		http.StatusBadRequest, "no_match_for_provided_sso_url")
	wantErrorType(t, (ssoStart(t, url.Values{})), http.StatusBadRequest, "missing_sso_connection_locator")
	wantErrorType(t, (ssoStart(t, url.Values{"connection_id": {"saml-connection-test-" + uuid.NewString()}})), http.StatusNotFound, "sso_connection_not_found")
	wantErrorType(t, (ssoStart(t, url.Values{"connection_id": {id}, "pkce_code_challenge": {"short"}})), http.StatusBadRequest, "invalid_pkce_code_challenge")

	// By organization: its one active connection, then its default among several.
	byOrg := ssoStart(t, url.Values{"organization_id": {f.org.OrganizationID}})
	if byOrg.status != http.StatusFound || !strings.HasPrefix(byOrg.to, f.idp.URL) {
		t.Fatalf("start by organization: %d %q", byOrg.status, byOrg.to)
	}

	// A deleted connection takes no more logins, even one started before.
	f.user(t, "del")
	started := ssoStart(t, url.Values{"connection_id": {id}})
	if started.status != http.StatusFound {
		t.Fatal("start failed")
	}
	post := f.idp.Login(t, started.to, "del")
	if _, err := f.c.SSO.DeleteConnection(context.Background(), &sso.DeleteConnectionParams{OrganizationID: f.org.OrganizationID, ConnectionID: id}); err != nil {
		t.Fatalf("DeleteConnection: %v", err)
	}
	wantErrorType(t, (ssoStart(t, url.Values{"connection_id": {id}})), http.StatusNotFound, "sso_connection_not_found")
	wantErrorType(t, (postACS(t, post)), http.StatusNotFound, "sso_connection_not_found")
	got, err := f.c.SSO.GetConnections(context.Background(), &sso.GetConnectionsParams{OrganizationID: f.org.OrganizationID})
	if err != nil || len(got.SAMLConnections) != 0 {
		t.Fatalf("GetConnections after delete: %+v %v", got, err)
	}
	o, err := f.c.Organizations.Get(context.Background(), &organizations.GetParams{OrganizationID: f.org.OrganizationID})
	if err != nil || len(o.Organization.SSOActiveConnections) != 0 {
		t.Fatalf("sso_active_connections after delete: %+v %v", o.Organization.SSOActiveConnections, err)
	}
}

// A PKCE challenge given at the start binds the SSO token to its verifier, and an organization
// that requires MFA gets an intermediate session, not a session, from an SSO login.
func TestSSOPKCEAndMFA(t *testing.T) {
	f := newSAMLFixture(t, &organizations.CreateParams{MFAPolicy: "REQUIRED_FOR_ALL"})
	f.user(t, "pk")
	verifier := "a-verifier-with-enough-entropy-" + uuid.NewString()
	challenge := pkceChallenge(verifier)
	token := ssoToken(t, f.login(t, "pk", url.Values{"pkce_code_challenge": {challenge}}))
	_, err := f.c.SSO.Authenticate(context.Background(), &sso.AuthenticateParams{SSOToken: token})
	wantSDKError(t, err, 400, "pkce_expected_code_verifier")
	_, err = f.c.SSO.Authenticate(context.Background(), &sso.AuthenticateParams{SSOToken: token, PkceCodeVerifier: "wrong-" + verifier})
	wantSDKError(t, err, 400, "pkce_mismatch")
	a, err := f.c.SSO.Authenticate(context.Background(), &sso.AuthenticateParams{SSOToken: token, PkceCodeVerifier: verifier})
	if err != nil {
		t.Fatal(err)
	}
	// MFA still applies to SSO logins where the organization requires it.
	if a.MemberAuthenticated || a.IntermediateSessionToken == "" || a.SessionToken != "" || a.MFARequired == nil {
		t.Fatalf("SSO login into an MFA organization: %+v", a)
	}
}

func pkceChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// SAML connections rotate verification certificates (an active connection keeps at least
// one), refuse bad certificates and metadata URLs aimed at instance metadata, keep the default
// connection until another is chosen, are invisible to other organizations, and hold their
// private keys sealed, never in clear.
func TestSAMLConnectionManagement(t *testing.T) {
	ctx := context.Background()
	f := newSAMLFixture(t, nil)
	org, id := f.org.OrganizationID, f.conn.ConnectionID
	other := apptest.StartSAMLIdP(t)
	up, err := f.c.SSO.SAML.UpdateConnection(ctx, &saml.UpdateConnectionParams{OrganizationID: org, ConnectionID: id, X509Certificate: other.CertPEM})
	if err != nil || len(up.Connection.VerificationCertificates) != 2 {
		t.Fatalf("adding a certificate: %+v %v", up, err)
	}
	first := up.Connection.VerificationCertificates[0].CertificateID
	if _, err := f.c.SSO.SAML.DeleteVerificationCertificate(ctx, &saml.DeleteVerificationCertificateParams{OrganizationID: org, ConnectionID: id,
		CertificateID: first}); err != nil {
		t.Fatalf("DeleteVerificationCertificate: %v", err)
	}
	// The last one cannot go while the connection is active.
	_, err = f.c.SSO.SAML.DeleteVerificationCertificate(ctx, &saml.DeleteVerificationCertificateParams{OrganizationID: org, ConnectionID: id,
		CertificateID: up.Connection.VerificationCertificates[1].CertificateID})
	wantSDKError(t, err, 400, "cannot_delete_last_sso_verification_key")
	_, err = f.c.SSO.SAML.DeleteVerificationCertificate(ctx, &saml.DeleteVerificationCertificateParams{OrganizationID: org, ConnectionID: id,
		CertificateID: "saml-verification-key-nope"})
	wantSDKError(t, err, 404, "sso_verification_key_not_found")
	// Now only the other IdP's certificate verifies: the first IdP's responses are refused.
	f.user(t, "rot")
	wantErrorType(t, (f.login(t, "rot", nil)), http.StatusBadRequest, "invalid_signature_saml_response")

	_, err = f.c.SSO.SAML.UpdateConnection(ctx, &saml.UpdateConnectionParams{OrganizationID: org, ConnectionID: id, X509Certificate: "not a certificate"})
	wantSDKError(t, err, 400, "invalid_x509_certificate")
	_, err = f.c.SSO.SAML.UpdateConnection(ctx, &saml.UpdateConnectionParams{OrganizationID: org, ConnectionID: id,
		AttributeMapping: map[string]any{"email": map[string]any{"nested": "x"}}})
	wantSDKError(t, err, 400, "saml_connection_no_nested_keys_in_attribute_mapping")
	_, err = f.c.SSO.SAML.UpdateConnection(ctx, &saml.UpdateConnectionParams{OrganizationID: org, ConnectionID: id,
		AttributeMapping: map[string]any{"email": apptest.SAMLAttrEmail}})
	wantSDKError(t, err, 400, "saml_connection_attribute_mapping_missing_groups_key")
	_, err = f.c.SSO.SAML.UpdateConnection(ctx, &saml.UpdateConnectionParams{OrganizationID: org, ConnectionID: "saml-connection-test-" + uuid.NewString()})
	wantSDKError(t, err, 404, "saml_connection_not_found")
	_, err = f.c.SSO.SAML.UpdateByURL(ctx, &saml.UpdateByURLParams{OrganizationID: org, ConnectionID: id, MetadataURL: "http://169.254.169.254/latest/meta-data/"})
	wantSDKError(t, err, 400, "invalid_saml_metadata_url")

	// An encryption key is listed by id, never shown, and can be deleted.
	keyPEM, _, err := samlsp.NewKeyPair("enc", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := f.c.SSO.SAML.UpdateConnection(ctx, &saml.UpdateConnectionParams{OrganizationID: org, ConnectionID: id, SAMLEncryptionPrivateKey: keyPEM})
	if err != nil || len(enc.Connection.EncryptionPrivateKeys) != 1 || enc.Connection.EncryptionPrivateKeys[0].PrivateKey != "" {
		t.Fatalf("adding an encryption key: %+v %v", enc, err)
	}
	if _, err := f.c.SSO.SAML.DeleteEncryptionPrivateKey(ctx, &saml.DeleteEncryptionPrivateKeyParams{OrganizationID: org, ConnectionID: id,
		PrivateKeyID: enc.Connection.EncryptionPrivateKeys[0].PrivateKeyID}); err != nil {
		t.Fatalf("DeleteEncryptionPrivateKey: %v", err)
	}
	_, err = f.c.SSO.SAML.DeleteEncryptionPrivateKey(ctx, &saml.DeleteEncryptionPrivateKeyParams{OrganizationID: org, ConnectionID: id,
		PrivateKeyID: enc.Connection.EncryptionPrivateKeys[0].PrivateKeyID})
	wantSDKError(t, err, 404, "sso_encryption_private_key_not_found")

	// The default connection cannot be deleted until another is the default.
	if _, err := f.c.Organizations.Update(ctx, &organizations.UpdateParams{OrganizationID: org, SSODefaultConnectionID: id}); err != nil {
		t.Fatal(err)
	}
	_, err = f.c.SSO.DeleteConnection(ctx, &sso.DeleteConnectionParams{OrganizationID: org, ConnectionID: id})
	wantSDKError(t, err, 400, "cannot_delete_default_sso_connection")
	_, err = f.c.Organizations.Update(ctx, &organizations.UpdateParams{OrganizationID: org, SSODefaultConnectionID: "saml-connection-test-" + uuid.NewString()})
	wantSDKError(t, err, 400, "invalid_sso_default_connection_id")

	// Another organization cannot see or change this one's connection.
	stranger, err := f.c.Organizations.Create(ctx, &organizations.CreateParams{OrganizationName: "Stranger", OrganizationSlug: newSlug()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.c.SSO.SAML.UpdateConnection(ctx, &saml.UpdateConnectionParams{OrganizationID: stranger.Organization.OrganizationID, ConnectionID: id, DisplayName: "mine"})
	wantSDKError(t, err, 404, "saml_connection_not_found")
	_, err = f.c.SSO.DeleteConnection(ctx, &sso.DeleteConnectionParams{OrganizationID: stranger.Organization.OrganizationID, ConnectionID: id})
	wantSDKError(t, err, 404, "sso_connection_not_found")

	// The stored connection holds no secret in clear.
	item := rawItem(t, "ORG#"+org, "SSOCONN#"+id)
	if strings.Contains(item, "PRIVATE KEY") || !strings.Contains(item, "kms1:") {
		t.Errorf("the connection item holds its key in clear, or not sealed: %.300s", item)
	}
}

// An OIDC connection takes its endpoints from the issuer's discovery document, never returns
// its client secret (stored sealed), and logs a member in through the authorization-code flow
// with state, nonce and PKCE; a spent or forged state is refused.
func TestOIDCCodeFlow(t *testing.T) {
	ctx := context.Background()
	c := sgPwClient(t, env.URL)
	o, err := c.Organizations.Create(ctx, &organizations.CreateParams{OrganizationName: "OIDC Co", OrganizationSlug: newSlug()})
	if err != nil {
		t.Fatal(err)
	}
	org := o.Organization.OrganizationID
	created, err := c.SSO.OIDC.CreateConnection(ctx, &oidc.CreateConnectionParams{OrganizationID: org, DisplayName: "Zitadel"})
	if err != nil {
		t.Fatalf("OIDC.CreateConnection: %v", err)
	}
	conn := created.Connection
	if conn.Status != "pending" || conn.RedirectURL != "http://localhost:8080/v1/b2b/sso/callback/"+conn.ConnectionID ||
		!latchkey.LooksLike("oidc-connection", conn.ConnectionID) {
		t.Fatalf("new OIDC connection: %+v", conn)
	}
	op := apptest.StartOIDCProvider(t, conn.RedirectURL)
	email := "oidc-" + uuid.NewString()[:8] + "@example.com"
	op.AddUser(apptest.OIDCUser{Subject: "sub-" + uuid.NewString(), Username: "olive", Email: email, EmailVerified: true, FirstName: "Olive", LastName: "Oyl"})
	up, err := c.SSO.OIDC.UpdateConnection(ctx, &oidc.UpdateConnectionParams{OrganizationID: org, ConnectionID: conn.ConnectionID,
		ClientID: apptest.OIDCClientID, ClientSecret: apptest.OIDCClientSecret, Issuer: op.Issuer})
	if err != nil {
		t.Fatalf("OIDC.UpdateConnection: %v", err)
	}
	if up.Connection.Status != "active" || up.Connection.AuthorizationURL == "" || up.Connection.JWKSURL == "" || up.Connection.TokenURL == "" ||
		up.Connection.UserinfoURL == "" || up.Connection.ClientSecret != "" {
		t.Fatalf("OIDC connection after update (endpoints from discovery, no secret shown): %+v", up.Connection)
	}

	st := ssoStart(t, url.Values{"connection_id": {conn.ConnectionID}})
	if st.status != http.StatusFound || !strings.HasPrefix(st.to, op.Issuer) {
		t.Fatalf("start: %d %q %v", st.status, st.to, st.body)
	}
	authURL, _ := url.Parse(st.to)
	if q := authURL.Query(); q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("state") == "" {
		t.Errorf("authorization request lacks PKCE, nonce or state: %s", st.to)
	}
	back := op.Login(t, st.to, "olive")
	callback := func() page {
		req, _ := http.NewRequest(http.MethodGet, local(t, back.String()), nil)
		return browse(t, req)
	}
	token := ssoToken(t, callback())
	a, err := c.SSO.Authenticate(ctx, &sso.AuthenticateParams{SSOToken: token})
	if err != nil {
		t.Fatalf("SSO.Authenticate: %v", err)
	}
	m := a.Member
	if !a.MemberAuthenticated || m.EmailAddress != email || m.Name != "Olive Oyl" || len(m.SSORegistrations) != 1 ||
		!strings.HasPrefix(m.SSORegistrations[0].ExternalID, "sub-") {
		t.Fatalf("OIDC login: %+v", m)
	}
	if fs := a.MemberSession.AuthenticationFactors; len(fs) != 1 || fs[0].DeliveryMethod != "sso_oidc" || fs[0].OIDCSSOFactor == nil {
		t.Errorf("session factors: %+v", fs)
	}
	// The same callback again: its state is spent.
	wantErrorType(t, (callback()), http.StatusBadRequest, "unsolicited_oidc_response")
	// A callback without state, or with one Latchkey never issued.
	q := back.Query()
	q.Set("state", "forged")
	forged, _ := http.NewRequest(http.MethodGet, env.URL+back.Path+"?"+q.Encode(), nil)
	wantErrorType(t, (browse(t, forged)), http.StatusBadRequest, "unsolicited_oidc_response")

	// The client secret is stored sealed.
	item := rawItem(t, "ORG#"+org, "SSOCONN#"+conn.ConnectionID)
	if strings.Contains(item, apptest.OIDCClientSecret) {
		t.Errorf("the connection item holds the client secret in clear")
	}
}

// rawItem renders one item of the test table as stored.
func rawItem(t *testing.T, pk, sk string) string {
	t.Helper()
	client := store.NewClient(env.App.AWS, env.Config.DynamoDBEndpoint)
	out, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(env.Config.Table),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk}}})
	if err != nil || out.Item == nil {
		t.Fatalf("GetItem %s %s: %v", pk, sk, err)
	}
	return renderItem(&types.AttributeValueMemberM{Value: out.Item})
}

// ssoCalls is the DynamoDB use a request logged.
func ssoCalls(t *testing.T, requestID string) string {
	t.Helper()
	line, err := env.Logs.LogLine(requestID)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%v %v", line["dynamodb_calls"], line["dynamodb_ops"])
}

// TestSSODynamoDBCalls pins what each leg of an SSO login costs in DynamoDB calls.
func TestSSODynamoDBCalls(t *testing.T) {
	f := newSAMLFixture(t, nil)
	f.user(t, "bud")
	want := func(what, requestID, calls string) {
		t.Helper()
		if got := ssoCalls(t, requestID); got != calls {
			t.Errorf("%s: %s DynamoDB calls, want %s", what, got, calls)
		}
	}
	for _, round := range []string{"new member", "existing member"} {
		st := ssoStart(t, url.Values{"connection_id": {f.conn.ConnectionID}})
		want(round+": start", st.body["request_id"].(string), "2 PutItem:1,Query:1")
		cb := postACS(t, f.idp.Login(t, st.to, "bud"))
		token := ssoToken(t, cb)
		want(round+": SAML callback", cb.body["request_id"].(string), "4 GetItem:2,Query:1,TransactWriteItems:1")
		a := f.authenticate(t, token)
		if round == "new member" {
			want(round+": authenticate", a.RequestID, "4 GetItem:3,TransactWriteItems:1")
		} else {
			want(round+": authenticate", a.RequestID, "4 BatchGetItem:1,GetItem:2,TransactWriteItems:1")
		}
	}
	got, err := f.c.SSO.GetConnections(context.Background(), &sso.GetConnectionsParams{OrganizationID: f.org.OrganizationID})
	if err != nil {
		t.Fatal(err)
	}
	want("get connections", got.RequestID, "2 GetItem:1,Query:1")
}
