package api_test

import (
	"bytes"
	"context"
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

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/app/apptest"
	latchoauth "github.com/latchkey/latchkey/shared/oauth"
	"github.com/latchkey/latchkey/shared/samlsp"
)

// openapiExceptions are the routes whose examples cannot succeed: the one that never does, by
// design. For each, the test asserts the server got past reading the request: it answers this
// specific error, not a bad request, 404 route_not_found or 405. (Tokens and codes that only
// a login at an identity provider issues are made by running that login against the test
// SAML, OIDC and OAuth providers: see the resolvers.)
var openapiExceptions = map[string]struct {
	status    int
	errorType string
	why       string
}{
	"GET /v1/b2b/recovery_codes/{organization_id}/{member_id}": {400, "recovery_codes_shown_once",
		"recovery codes are stored hashed, so this route always refuses (by design)"},
}

// openapiResponseDeviations are routes whose success body writes null where its schema, and
// Stytch, have a list or an object: the test accepts null there, and fails once the route no
// longer does it, so the entry is removed with the fix.
var openapiResponseDeviations = map[string]string{}

// openapiBadRequestTypes are the answers of a request the server could not read.
var openapiBadRequestTypes = []string{"bad_request", "invalid_request", "request_body_too_large", "route_not_found", "method_not_allowed"}

// Every example in the document is accepted by the server: each operation is sent with its
// example body, query and path values, real ids and tokens in place of the placeholders
// (ExamplePlaceholders), on a fresh organization and member. It must answer its documented
// success status with a body its response schema describes — or, for the few routes listed in
// openapiExceptions, the specific error listed there. No example may be answered 400
// bad_request, 404 route_not_found or 405.
func TestOpenAPIExamplesAreAccepted(t *testing.T) {
	doc := openapiDoc(t)
	kinds := map[string]string{} // placeholder value -> kind
	for kind, v := range api.ExamplePlaceholders() {
		if oaResolvers[kind] == nil {
			t.Errorf("placeholder kind %s has no resolver in the example test", kind)
		}
		kinds[v] = kind
	}
	for key := range openapiExceptions {
		if !slices.ContainsFunc(api.Routes, func(rt api.Route) bool { return rt.Method+" "+rt.Path == key }) {
			t.Errorf("openapiExceptions names %s, which is not a route", key)
		}
	}
	oaOAuth = oaOAuthServer(t)
	servers := map[string]string{"oauth": oaOAuth.url, "cross_organization": oaCrossOrgServer(t), "webhook_queue": oaWebhookQueueServer(t)}
	for _, op := range oaOperations(doc) {
		t.Run(op.key, func(t *testing.T) {
			base := env.URL
			if s, ok := oaServers[op.key]; ok {
				base = servers[s]
			}
			f := &oaFixture{t: t, memo: map[string]string{}, env: env.At(base)}
			if setup := oaSetups[op.key]; setup != nil {
				setup(f)
			}
			resolve := func(v string) string {
				if kind, ok := kinds[v]; ok {
					return f.get(kind)
				}
				return v
			}
			path := openapiPathParam.ReplaceAllStringFunc(op.path, func(m string) string {
				return url.PathEscape(resolve(op.param("path", m[1:len(m)-1])))
			})
			q := url.Values{}
			for _, p := range oaList(op.op["parameters"]) {
				p := p.(map[string]any)
				if ex, ok := p["example"].(string); ok && p["in"] == "query" {
					q.Set(p["name"].(string), resolve(ex))
				}
			}
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			h := http.Header{}
			var body []byte
			for ct, m := range op.bodies() {
				h.Set("Content-Type", ct)
				ex := oaSubstitute(m.(map[string]any)["example"], resolve)
				if ct == "application/x-www-form-urlencoded" {
					form := url.Values{}
					for k, v := range ex.(map[string]any) {
						form.Set(k, v.(string))
					}
					body = []byte(form.Encode())
				} else {
					body, _ = json.Marshal(ex)
				}
			}
			switch sec := op.security(doc); sec {
			case "project":
				h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(env.ProjectID+":"+env.Secret)))
			case "scim":
				h.Set("Authorization", "Bearer "+f.scimToken())
			}
			status, raw, header := oaSend(t, op.method, base+path, body, h)
			ct := header.Get("Content-Type")

			var got map[string]any
			_ = json.Unmarshal(raw, &got)
			errType, _ := got["error_type"].(string)
			if status == http.StatusNotFound && errType == "" && strings.HasPrefix(op.path, "/scim/") {
				errType = "scim_not_found"
			}
			if slices.Contains(openapiBadRequestTypes, errType) || status == http.StatusMethodNotAllowed ||
				status == http.StatusBadRequest && strings.Contains(ct, "scim") {
				t.Fatalf("the example was refused as malformed: %d %s\nsent %s %s %s", status, raw, op.method, path, body)
			}
			if want, ok := openapiExceptions[op.key]; ok {
				if status != want.status || errType != want.errorType {
					t.Fatalf("want %d %s (%s), got %d %s", want.status, want.errorType, want.why, status, raw)
				}
				return
			}
			resp, ok := op.success()
			if !ok {
				t.Fatalf("no success response documented")
			}
			if status != resp.status {
				t.Fatalf("want %d, got %d %s\nsent %s %s %s", resp.status, status, raw, op.method, path, body)
			}
			if resp.schema != nil {
				var v any
				if err := json.Unmarshal(raw, &v); err != nil {
					t.Fatalf("body is not JSON: %q", raw)
				}
				problems := oaValidate(doc, resp.schema, v, "response", true)
				if why, ok := openapiResponseDeviations[op.key]; ok {
					deviated := slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, ": null is not of type") })
					problems = slices.DeleteFunc(problems, func(p string) bool {
						return strings.Contains(p, ": null is not of type [array]") || strings.Contains(p, ": null is not of type [object]")
					})
					if !deviated {
						t.Errorf("openapiResponseDeviations lists this route (%s), but its response matches the schema now: remove the entry", why)
					}
				}
				for _, problem := range problems {
					t.Errorf("the response does not match its schema: %s", problem)
				}
				if t.Failed() {
					t.Logf("response: %s", raw)
				}
			}
		})
	}
}

// oaServers names the routes sent to a server configured otherwise than env's.
var oaServers = map[string]string{
	"GET /v1/b2b/public/oauth/{provider}/start":                                                  "oauth",
	"GET /v1/b2b/public/oauth/{provider}/discovery/start":                                        "oauth",
	"GET /v1/b2b/oauth/callback/{provider}":                                                      "oauth",
	"POST /v1/b2b/oauth/authenticate":                                                            "oauth",
	"POST /v1/b2b/oauth/discovery/authenticate":                                                  "oauth",
	"GET /v1/b2b/organizations/{organization_id}/members/{member_id}/oauth_providers/{provider}": "oauth",
	"POST /v1/b2b/sessions/migrate":                                                              "oauth",
	"POST /v1/b2b/passwords/email/require_reset":                                                 "cross_organization",
	"POST /v1/b2b/passwords/discovery/authenticate":                                              "cross_organization",
	"POST /v1/b2b/passwords/discovery/email/reset/start":                                         "cross_organization",
	"POST /v1/b2b/passwords/discovery/email/reset":                                               "cross_organization",
	"POST /v1/b2b/webhooks/endpoints/{endpoint_id}/replay":                                       "webhook_queue",
}

// oaWebhookQueueServer is a second server over the same table whose replays have a queue to go
// to (recordingQueue), as a deployment with LATCHKEY_WEBHOOK_QUEUE_URL has.
func oaWebhookQueueServer(t *testing.T) string {
	t.Helper()
	a, srv, err := env.Variant(context.Background(), func(*app.Config) {})
	if err != nil {
		t.Fatal(err)
	}
	a.Server.Webhooks.Queue = &recordingQueue{}
	t.Cleanup(srv.Close)
	return srv.URL
}

// oaCrossOrgServer is a second server over the same table with cross-organization passwords,
// which the discovery password routes need.
func oaCrossOrgServer(t *testing.T) string {
	t.Helper()
	_, srv, err := env.Variant(context.Background(), func(c *app.Config) { c.PasswordScope = "cross_organization" })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv.URL
}

// oaProviderServer is a server with OAuth providers configured, and the provider behind them.
type oaProviderServer struct {
	url string
	op  *apptest.OIDCProvider
}

// oaOAuth is the OAuth server of the running example test.
var oaOAuth oaProviderServer

// oaOAuthServer is a second server over the same table with Google and Microsoft configured
// against a local OIDC provider, for the OAuth routes. The same provider stands in for the
// previous auth system of Sessions.Migrate, whose userinfo endpoint it is.
func oaOAuthServer(t *testing.T) (out oaProviderServer) {
	t.Helper()
	base := "http://localhost:8080/v1/b2b/oauth/callback/"
	op := apptest.StartOIDCProviderWith(t, map[string]string{"openapi-google": base + "google", "openapi-microsoft": base + "microsoft"})
	_, srv, err := env.Variant(context.Background(), func(c *app.Config) {
		c.OAuth = map[string]latchoauth.Provider{
			latchoauth.Google:    {ClientID: "openapi-google", ClientSecret: apptest.OIDCClientSecret, Issuer: op.Issuer},
			latchoauth.Microsoft: {ClientID: "openapi-microsoft", ClientSecret: apptest.OIDCClientSecret, Issuer: op.Issuer},
		}
		c.SessionMigrateUserinfoURL = op.UserinfoURL(t)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	out.url, out.op = srv.URL, op
	return out
}

func oaSend(t *testing.T, method, u string, body []byte, h http.Header) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	// Browser routes answer 302: the test reads the redirect, it does not follow it.
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, resp.Header
}

// oaSubstitute copies an example, replacing each string that is a placeholder.
func oaSubstitute(v any, resolve func(string) string) any {
	switch v := v.(type) {
	case string:
		return resolve(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = oaSubstitute(e, resolve)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = oaSubstitute(e, resolve)
		}
		return out
	}
	return v
}

// oaFixture makes, on first use within one route's test, the real thing each placeholder
// kind names: an organization and member of its own, and what the route needs of theirs.
type oaFixture struct {
	t    *testing.T
	memo map[string]string
	env  *apptest.Env // the server the route is sent to
	scim string       // the SCIM connection's bearer token
	saml *apptest.SAMLIdP
	oidc *apptest.OIDCProvider // the SSO connection's provider
}

func (f *oaFixture) get(kind string) string {
	if v, ok := f.memo[kind]; ok {
		return v
	}
	r := oaResolvers[kind]
	if r == nil {
		f.t.Fatalf("no resolver for placeholder kind %s", kind)
	}
	v := r(f)
	if v == "" {
		f.t.Fatalf("resolver for %s gave nothing", kind)
	}
	f.memo[kind] = v
	return v
}

// do sends an authenticated call of the fixture's own and fails the test unless it succeeds.
func (f *oaFixture) do(method, path string, body any) apptest.Response {
	f.t.Helper()
	r := f.env.Do(f.t, method, path, body)
	if r.Status/100 != 2 {
		f.t.Fatalf("fixture: %s %s: %d %s", method, path, r.Status, r.Raw)
	}
	return r
}

func (f *oaFixture) org() string    { return f.get("organization_id") }
func (f *oaFixture) member() string { return f.get("member_id") }
func (f *oaFixture) email() string  { f.member(); return f.memo["_email"] }

func (f *oaFixture) scimToken() string {
	f.get("scim_connection_id")
	return f.scim
}

func oaEmail() string { return "openapi-" + uuid.NewString()[:12] + "@example.com" }

func oaSlug() string { return "openapi-" + uuid.NewString()[:12] }

// lastEmail is the newest email to addr, after the call that sent it.
func (f *oaFixture) lastEmail(addr string) apptest.Email {
	f.t.Helper()
	return env.LastEmail(f.t, addr)
}

// login logs the member in by magic link, for a session.
func (f *oaFixture) login() {
	f.t.Helper()
	if _, ok := f.memo["session_token"]; ok {
		return
	}
	f.member()
	f.do("POST", "/v1/b2b/magic_links/email/login_or_signup", map[string]any{"organization_id": f.org(), "email_address": f.email()})
	r := f.do("POST", "/v1/b2b/magic_links/authenticate", map[string]any{"magic_links_token": f.lastEmail(f.email()).Token()})
	f.memo["session_token"], f.memo["member_session_id"] = r.Str("session_token"), r.Str("member_session.member_session_id")
}

func (f *oaFixture) totpSecret() string {
	f.t.Helper()
	if s, ok := f.memo["_totp"]; ok {
		return s
	}
	r := f.do("POST", "/v1/b2b/totp", map[string]any{"organization_id": f.org(), "member_id": f.member(), "session_token": f.get("session_token")})
	f.memo["_totp"] = r.Str("secret")
	return f.memo["_totp"]
}

// samlCert is a fresh identity-provider certificate.
func (f *oaFixture) samlCert() string {
	f.t.Helper()
	_, cert, err := samlsp.NewKeyPair("openapi idp", time.Now().Add(-time.Hour), 365*24*time.Hour)
	if err != nil {
		f.t.Fatal(err)
	}
	return cert
}

var oaResolvers map[string]func(f *oaFixture) string

func init() {
	oaResolvers = map[string]func(f *oaFixture) string{
		"project_id":   func(*oaFixture) string { return env.ProjectID },
		"public_token": func(*oaFixture) string { return env.Config.PublicToken },
		"organization_id": func(f *oaFixture) string {
			return f.do("POST", "/v1/b2b/organizations", map[string]any{"organization_name": "OpenAPI example",
				"organization_slug": oaSlug()}).Str("organization.organization_id")
		},
		"new_slug":     func(*oaFixture) string { return oaSlug() },
		"member_email": func(f *oaFixture) string { return f.email() },
		"new_email":    func(*oaFixture) string { return oaEmail() },
		"member_id": func(f *oaFixture) string {
			f.memo["_email"] = oaEmail()
			return f.do("POST", "/v1/b2b/organizations/"+f.org()+"/members", map[string]any{"email_address": f.memo["_email"]}).Str("member_id")
		},
		// The same person (the fixture member's email) in a second organization.
		"other_organization_id": func(f *oaFixture) string {
			f.member()
			other := f.do("POST", "/v1/b2b/organizations", map[string]any{"organization_name": "OpenAPI other",
				"organization_slug": oaSlug()}).Str("organization.organization_id")
			f.do("POST", "/v1/b2b/organizations/"+other+"/members", map[string]any{"email_address": f.email()})
			return other
		},
		// Changing the member's address retires the old one.
		"retired_email": func(f *oaFixture) string {
			old := f.email()
			f.do("PUT", "/v1/b2b/organizations/"+f.org()+"/members/"+f.member(), map[string]any{"email_address": oaEmail()})
			return old
		},
		"session_token":     func(f *oaFixture) string { f.login(); return f.memo["session_token"] },
		"member_session_id": func(f *oaFixture) string { f.login(); return f.memo["member_session_id"] },
		"magic_links_token": func(f *oaFixture) string {
			f.member()
			f.do("POST", "/v1/b2b/magic_links/email/login_or_signup", map[string]any{"organization_id": f.org(), "email_address": f.email()})
			return f.lastEmail(f.email()).Token()
		},
		"discovery_magic_links_token": func(f *oaFixture) string {
			f.member()
			f.do("POST", "/v1/b2b/magic_links/email/discovery/send", map[string]any{"email_address": f.email()})
			return f.lastEmail(f.email()).Token()
		},
		"intermediate_session_token": func(f *oaFixture) string {
			return f.do("POST", "/v1/b2b/magic_links/discovery/authenticate",
				map[string]any{"discovery_magic_links_token": f.get("discovery_magic_links_token")}).Str("intermediate_session_token")
		},
		"password_reset_token": func(f *oaFixture) string {
			f.member()
			f.do("POST", "/v1/b2b/passwords/email/reset/start", map[string]any{"organization_id": f.org(), "email_address": f.email()})
			return f.lastEmail(f.email()).Token()
		},
		"discovery_password_reset_token": func(f *oaFixture) string {
			f.get("password")
			f.do("POST", "/v1/b2b/passwords/discovery/email/reset/start", map[string]any{"email_address": f.email()})
			return f.lastEmail(f.email()).Token()
		},
		// The member's password is set to the example's by a reset.
		"password": func(f *oaFixture) string {
			pw := api.ExamplePlaceholders()["password"]
			f.do("POST", "/v1/b2b/passwords/email/reset", map[string]any{"password_reset_token": f.get("password_reset_token"), "password": pw})
			delete(f.memo, "password_reset_token")
			return pw
		},
		"member_password_id": func(f *oaFixture) string {
			f.get("password")
			return f.do("GET", "/v1/b2b/organizations/"+f.org()+"/member?member_id="+f.member(), nil).Str("member.member_password_id")
		},
		"email_otp_code": func(f *oaFixture) string {
			f.member()
			f.do("POST", "/v1/b2b/otps/email/login_or_signup", map[string]any{"organization_id": f.org(), "email_address": f.email()})
			return f.lastEmail(f.email()).Code()
		},
		"discovery_email_otp_code": func(f *oaFixture) string {
			f.member()
			f.do("POST", "/v1/b2b/otps/email/discovery/send", map[string]any{"email_address": f.email()})
			return f.lastEmail(f.email()).Code()
		},
		"sms_otp_code": func(f *oaFixture) string {
			phone := fmt.Sprintf("+1415555%04d", time.Now().UnixNano()%10000)
			f.do("POST", "/v1/b2b/otps/sms/send", map[string]any{"organization_id": f.org(), "member_id": f.member(),
				"mfa_phone_number": phone, "session_token": f.get("session_token")})
			return env.LastText(f.t, phone).Code()
		},
		"totp_code": func(f *oaFixture) string {
			c, err := totp.GenerateCodeCustom(f.totpSecret(), env.Clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
			if err != nil {
				f.t.Fatal(err)
			}
			return c
		},
		// A migrated TOTP registration holds the example's recovery code.
		"recovery_code": func(f *oaFixture) string {
			code := api.ExamplePlaceholders()["recovery_code"]
			f.do("POST", "/v1/b2b/totp/migrate", map[string]any{"organization_id": f.org(), "member_id": f.member(),
				"secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "recovery_codes": []string{code}})
			return code
		},
		// An active SAML connection, configured from a running identity provider's metadata,
		// which knows the connection as a service provider.
		"saml_connection_id": func(f *oaFixture) string {
			idp := f.samlIdP()
			id := f.do("POST", "/v1/b2b/sso/saml/"+f.org(), map[string]any{"display_name": "Okta"}).Str("connection.connection_id")
			f.do("PUT", "/v1/b2b/sso/saml/"+f.org()+"/connections/"+id+"/url", map[string]any{"metadata_url": idp.MetadataURL})
			c := f.do("PUT", "/v1/b2b/sso/saml/"+f.org()+"/connections/"+id, map[string]any{"attribute_mapping": map[string]any{
				"email": apptest.SAMLAttrEmail, "first_name": apptest.SAMLAttrGivenName, "last_name": apptest.SAMLAttrSurname}})
			f.memo["_audience"] = c.Str("connection.audience_uri")
			idp.RegisterSP(f.t, id, c.Str("connection.acs_url"), f.memo["_audience"], c.Str("connection.signing_certificates.0.certificate"))
			return id
		},
		"saml_response": func(f *oaFixture) string { return f.samlLogin().SAMLResponse },
		"sso_token": func(f *oaFixture) string {
			post := f.samlLogin()
			form := url.Values{"SAMLResponse": {post.SAMLResponse}, "RelayState": {post.RelayState}}
			return f.tokenFrom(f.browse("POST", f.env.URL+"/v1/b2b/sso/callback/"+f.get("saml_connection_id"), form))
		},
		// A second certificate, so the first may be deleted.
		"certificate_id": func(f *oaFixture) string {
			id := f.get("saml_connection_id")
			r := f.do("PUT", "/v1/b2b/sso/saml/"+f.org()+"/connections/"+id, map[string]any{"x509_certificate": f.samlCert()})
			return r.Str("connection.verification_certificates.0.certificate_id")
		},
		"private_key_id": func(f *oaFixture) string {
			id := f.get("saml_connection_id")
			key, _, err := samlsp.NewKeyPair("openapi encryption", time.Now().Add(-time.Hour), 365*24*time.Hour)
			if err != nil {
				f.t.Fatal(err)
			}
			r := f.do("PUT", "/v1/b2b/sso/saml/"+f.org()+"/connections/"+id, map[string]any{"saml_encryption_private_key": key})
			return r.Str("connection.encryption_private_keys.0.private_key_id")
		},
		"saml_metadata_url": func(f *oaFixture) string { return f.samlIdP().MetadataURL },
		// An active OIDC connection to a running provider.
		"oidc_connection_id": func(f *oaFixture) string {
			c := f.do("POST", "/v1/b2b/sso/oidc/"+f.org(), map[string]any{"display_name": "Okta OIDC"})
			id := c.Str("connection.connection_id")
			f.oidc = apptest.StartOIDCProvider(f.t, c.Str("connection.redirect_url"))
			f.do("PUT", "/v1/b2b/sso/oidc/"+f.org()+"/connections/"+id, map[string]any{"client_id": apptest.OIDCClientID,
				"client_secret": apptest.OIDCClientSecret, "issuer": f.oidc.Issuer})
			return id
		},
		// The provider's redirect back to the callback, after an SSO login it started.
		"sso_callback_code": func(f *oaFixture) string {
			id := f.get("oidc_connection_id")
			user := f.providerUser(f.oidc, nil)
			q := url.Values{"connection_id": {id}, "public_token": {env.Config.PublicToken}, "login_redirect_url": {oaRedirect}}
			back := f.oidc.Login(f.t, f.redirectTo(f.browse("GET", f.env.URL+"/v1/public/sso/start?"+q.Encode(), nil)), user)
			f.memo["sso_callback_state"] = back.Query().Get("state")
			return back.Query().Get("code")
		},
		"sso_callback_state": func(f *oaFixture) string { f.get("sso_callback_code"); return f.memo["sso_callback_state"] },
		"oauth_callback_code": func(f *oaFixture) string {
			back := f.oauthLogin(false)
			f.memo["oauth_callback_state"] = back.Query().Get("state")
			return back.Query().Get("code")
		},
		"oauth_callback_state": func(f *oaFixture) string { f.get("oauth_callback_code"); return f.memo["oauth_callback_state"] },
		"oauth_token": func(f *oaFixture) string {
			return f.tokenFrom(f.browse("GET", oaOAuth.url+f.oauthLogin(false).RequestURI(), nil))
		},
		"discovery_oauth_token": func(f *oaFixture) string {
			return f.tokenFrom(f.browse("GET", oaOAuth.url+f.oauthLogin(true).RequestURI(), nil))
		},
		// The fixture member's session at the previous auth system: the provider's access token.
		"external_session_token": func(f *oaFixture) string {
			return oaOAuth.op.AccessToken(f.t, "openapi-google", f.providerUser(oaOAuth.op, nil))
		},
		"scim_connection_id": func(f *oaFixture) string {
			r := f.do("POST", "/v1/b2b/scim/"+f.org()+"/connection", map[string]any{"display_name": "Okta", "identity_provider": "okta"})
			f.scim = r.Str("connection.bearer_token")
			return r.Str("connection.connection_id")
		},
		"scim_user_id": func(f *oaFixture) string {
			return f.scimDo("POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
				"userName": oaEmail(), "name": map[string]any{"givenName": "Ada", "familyName": "Lovelace"}, "active": true})["id"].(string)
		},
		"webhook_endpoint_id": func(f *oaFixture) string {
			return f.do("POST", "/v1/b2b/webhooks/endpoints", map[string]any{"url": "https://app.example.com/webhooks/openapi"}).Str("endpoint.endpoint_id")
		},
		"scim_group_id": func(f *oaFixture) string {
			return f.scimDo("POST", "/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
				"displayName": "Group " + uuid.NewString()[:8]})["id"].(string)
		},
	}
}

func (f *oaFixture) scimDo(method, path string, body any) map[string]any {
	f.t.Helper()
	raw, _ := json.Marshal(body)
	status, out, _ := oaSend(f.t, method, f.env.URL+"/scim/v2/"+f.get("scim_connection_id")+path, raw,
		http.Header{"Authorization": {"Bearer " + f.scimToken()}, "Content-Type": {"application/scim+json"}})
	if status/100 != 2 {
		f.t.Fatalf("fixture: SCIM %s %s: %d %s", method, path, status, out)
	}
	var m map[string]any
	_ = json.Unmarshal(out, &m)
	return m
}

const oaRedirect = "http://localhost:3000/authenticate"

func (f *oaFixture) samlIdP() *apptest.SAMLIdP {
	if f.saml == nil {
		f.saml = apptest.StartSAMLIdP(f.t)
	}
	return f.saml
}

// samlLogin is an IdP-initiated login of the fixture member at the SAML connection's IdP.
func (f *oaFixture) samlLogin() apptest.SAMLPost {
	f.t.Helper()
	f.get("saml_connection_id")
	user := "u" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	f.samlIdP().AddUser(f.t, apptest.SAMLUser{Name: user, Email: f.email(), GivenName: "Ada", Surname: "Lovelace"})
	return f.samlIdP().LoginIdPInitiated(f.t, f.memo["_audience"], user, "")
}

// providerUser lets the fixture member log in at an OIDC provider, and returns the username.
func (f *oaFixture) providerUser(op *apptest.OIDCProvider, claims map[string]any) string {
	user := "u" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	op.AddUser(apptest.OIDCUser{Subject: "sub-" + uuid.NewString(), Username: user, Email: f.email(), EmailVerified: true,
		FirstName: "Ada", LastName: "Lovelace", Claims: claims})
	return user
}

// oauthLogin logs the fixture member in with Google (a Workspace account) from the OAuth
// start, for its organization or for discovery, and returns the provider's redirect back.
func (f *oaFixture) oauthLogin(discovery bool) *url.URL {
	f.t.Helper()
	user := f.providerUser(oaOAuth.op, map[string]any{"hd": "example.com"})
	q := url.Values{"public_token": {env.Config.PublicToken}}
	path := "/v1/b2b/public/oauth/google/start"
	if discovery {
		path = "/v1/b2b/public/oauth/google/discovery/start"
		q.Set("discovery_redirect_url", oaRedirect)
	} else {
		q.Set("organization_id", f.org())
		q.Set("login_redirect_url", oaRedirect)
	}
	return oaOAuth.op.Login(f.t, f.redirectTo(f.browse("GET", oaOAuth.url+path+"?"+q.Encode(), nil)), user)
}

// browse is a browser's request: it answers the status and the redirect, not followed.
func (f *oaFixture) browse(method, u string, form url.Values) (int, string, []byte) {
	f.t.Helper()
	h := http.Header{}
	var body []byte
	if form != nil {
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		body = []byte(form.Encode())
	}
	status, raw, header := oaSend(f.t, method, u, body, h)
	return status, header.Get("Location"), raw
}

func (f *oaFixture) redirectTo(status int, to string, raw []byte) string {
	f.t.Helper()
	if status != http.StatusFound || to == "" {
		f.t.Fatalf("fixture: want a redirect, got %d %s", status, raw)
	}
	return to
}

// tokenFrom is the token of a redirect to the application.
func (f *oaFixture) tokenFrom(status int, to string, raw []byte) string {
	f.t.Helper()
	u, err := url.Parse(f.redirectTo(status, to, raw))
	if err != nil || u.Query().Get("token") == "" {
		f.t.Fatalf("fixture: redirect to %q has no token", to)
	}
	return u.Query().Get("token")
}

// oaSetups prepare the state a route's example needs beyond its placeholders.
var oaSetups = map[string]func(f *oaFixture){
	// Provider tokens are kept once an OAuth login is redeemed.
	"GET /v1/b2b/organizations/{organization_id}/members/{member_id}/oauth_providers/{provider}": func(f *oaFixture) {
		f.do("POST", "/v1/b2b/oauth/authenticate", map[string]any{"oauth_token": f.get("oauth_token")})
		delete(f.memo, "oauth_token")
	},
	// Only a member whose address was proven may be reactivated, or move to another address.
	"PUT /v1/b2b/organizations/{organization_id}/members/{member_id}/reactivate": func(f *oaFixture) {
		f.login()
		f.do("DELETE", "/v1/b2b/organizations/"+f.org()+"/members/"+f.member(), nil)
	},
	"POST /v1/b2b/organizations/{organization_id}/members/{member_id}/start_email_update": func(f *oaFixture) { f.login() },
	"DELETE /v1/b2b/organizations/{organization_id}/members/{member_id}/totp":             func(f *oaFixture) { f.totpSecret() },
	"DELETE /v1/b2b/organizations/{organization_id}/members/mfa_phone_numbers/{member_id}": func(f *oaFixture) {
		f.do("PUT", "/v1/b2b/organizations/"+f.org()+"/members/"+f.member(), map[string]any{"mfa_phone_number": "+14155550188"})
	},
	"POST /v1/b2b/recovery_codes/rotate":            func(f *oaFixture) { f.get("recovery_code") },
	"POST /v1/b2b/passwords/email/require_reset":    func(f *oaFixture) { f.get("password") },
	"GET /v1/b2b/scim/{organization_id}/connection": func(f *oaFixture) { f.get("scim_connection_id") },
	"POST /v1/b2b/scim/{organization_id}/connection/{connection_id}/rotate/complete": func(f *oaFixture) {
		f.do("POST", "/v1/b2b/scim/"+f.org()+"/connection/"+f.get("scim_connection_id")+"/rotate/start", nil)
	},
	"POST /v1/b2b/scim/{organization_id}/connection/{connection_id}/rotate/cancel": func(f *oaFixture) {
		f.do("POST", "/v1/b2b/scim/"+f.org()+"/connection/"+f.get("scim_connection_id")+"/rotate/start", nil)
	},
}
