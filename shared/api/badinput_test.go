package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/app/apptest"
	"github.com/latchkey/latchkey/shared/store"
)

// Bad-input values, one per class the matrix sends.
var (
	longValue = strings.Repeat("a", 3000)
	longEmail = strings.Repeat("a", 3000) + "@acme.com"
	badEmails = map[string]string{
		"long email":        longEmail,
		"zero-width space":  "pat\u200b@acme.com",
		"right-to-left":     "pat\u202egro@acme.com",
		"non-ascii space":   "pat\u00a0x@acme.com",
		"byte order mark":   "\ufeffpat@acme.com",
		"line separator":    "pat\u2028@acme.com",
		"soft hyphen":       "pa\u00adt@acme.com",
		"word joiner":       "pat\u2060@acme.com",
		"left-to-right iso": "pat\u2066@acme.com",
	}
	badNames = map[string]string{"NUL": "Ac\x00me", "CR LF": "Acme\r\nBcc: x@evil.test", "RTL override": "Ac\u202eme"}
)

// nested is a document n levels deep ({"a":{"a":…}}).
func nested(n int) map[string]any {
	m := map[string]any{"a": 1}
	for range n - 1 {
		m = map[string]any{"a": m}
	}
	return m
}

func badDocs() map[string]map[string]any {
	return map[string]map[string]any{
		"40 levels deep": nested(40),
		"empty key":      {"": 1},
		"1e200":          {"n": 1e200},
		"1e-200":         {"n": 1e-200},
		"-1e200":         {"n": -1e200},
		"long key":       {strings.Repeat("k", 300): 1},
		"array nesting":  {"a": []any{[]any{[]any{[]any{[]any{[]any{[]any{[]any{[]any{[]any{[]any{[]any{[]any{[]any{[]any{[]any{[]any{1}}}}}}}}}}}}}}}}}},
	}
}

// badFixture is one organization with a member, a session, unused single-use tokens and a
// SCIM connection with a user and a group: everything a route may address, shared by every
// route of the matrix.
type badFixture struct {
	org, slug, member, email, session, sessionID string
	magicToken, discoveryToken, ist              string
	scim                                         scimConnection
	scimUser, scimEmail, scimGroup               string
	ssoSAML, ssoOIDC                             string // pending SSO connections
}

func newBadFixture(t *testing.T) *badFixture {
	t.Helper()
	f := &badFixture{}
	o := createOrg(t, map[string]any{})
	f.org, f.slug = o.Str("organization.organization_id"), o.Str("organization.organization_slug")
	f.email = newEmail()
	f.member = createMember(t, f.org, map[string]any{"email_address": f.email}).Str("member_id")
	apptest.ExpectOK(t, loginOrSignup(t, f.org, f.email, nil))
	auth := authenticate(t, env.LastEmail(t, f.email).Token(), nil)
	apptest.ExpectOK(t, auth)
	f.session, f.sessionID = auth.Str("session_token"), auth.Str("member_session.member_session_id")
	apptest.ExpectOK(t, loginOrSignup(t, f.org, f.email, nil))
	f.magicToken = env.LastEmail(t, f.email).Token()
	f.ist = discover(t, f.email).Str("intermediate_session_token")
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/magic_links/email/discovery/send",
		map[string]any{"email_address": f.email, "discovery_redirect_url": redirect}))
	f.discoveryToken = env.LastEmail(t, f.email).Token()
	f.scim = scimConnect(t, f.org, "okta")
	f.scimEmail = newEmail()
	u := f.scim.do(t, "POST", "/Users", oktaUser(f.scimEmail, "Ada", "Lovelace", "00u-bad", true))
	expectSCIM(t, u, http.StatusCreated)
	f.scimUser = u.Str("id")
	g := f.scim.do(t, "POST", "/Groups", map[string]any{"displayName": "Bad input " + f.scimUser[len(f.scimUser)-8:],
		"members": []any{map[string]any{"value": f.scimUser}}})
	expectSCIM(t, g, http.StatusCreated)
	f.scimGroup = g.Str("id")
	f.ssoSAML = env.Do(t, "POST", "/v1/b2b/sso/saml/"+f.org, map[string]any{"display_name": "Okta"}).Str("connection.connection_id")
	f.ssoOIDC = env.Do(t, "POST", "/v1/b2b/sso/oidc/"+f.org, map[string]any{"display_name": "Zitadel"}).Str("connection.connection_id")
	for name, v := range map[string]string{"SAML connection": f.ssoSAML, "OIDC connection": f.ssoOIDC, "magic link": f.magicToken, "discovery link": f.discoveryToken, "intermediate session": f.ist,
		"session": f.session, "SCIM user": f.scimUser, "SCIM group": f.scimGroup} {
		if v == "" {
			t.Fatalf("fixture: no %s", name)
		}
	}
	return f
}

func (f *badFixture) pathValues() map[string]string {
	return map[string]string{"organization_id": f.org, "member_id": f.member, "project_id": env.ProjectID,
		"connection_id": f.scim.id, "id": f.scimUser, "member_password_id": "member-password-test-00000000-0000-4000-8000-000000000000",
		"certificate_id": "saml-verification-key-00000000", "private_key_id": "saml-encryption-key-00000000", "provider": "google"}
}

// routeInput is what a route reads: a request it would accept, and which of its fields hold
// ids, documents, emails and names. set places a value in a field when that is not simply
// body[field] (SCIM resources and patch operations).
type routeInput struct {
	body    func(f *badFixture) map[string]any
	query   func(f *badFixture) url.Values
	ids     []string // fields naming something: ids, slugs, tokens, external ids
	docs    []string // JSON documents: metadata, custom claims, SCIM attributes
	emails  []string
	names   []string
	lookups []func(f *badFixture, long string) (body map[string]any, query url.Values) // long values that match nothing
	pathID  string                                                                     // what {id} names on SCIM routes
	set     func(body map[string]any, class, field string, v any)
}

func scimPatch(ops ...any) map[string]any {
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}
}

// setSCIMUser places a bad value where a SCIM User resource carries it.
func setSCIMUser(body map[string]any, class, field string, v any) {
	switch class {
	case "email":
		body["userName"] = v
		body["emails"] = []any{map[string]any{"primary": true, "value": v, "type": "work"}}
	case "name":
		body["name"] = map[string]any{"givenName": v, "familyName": "X"}
		body["displayName"] = v
	default:
		body[field] = v
	}
}

// setSCIMPatch places a bad value in a PATCH operation.
func setSCIMPatch(body map[string]any, class, field string, v any) {
	switch class {
	case "email":
		body["Operations"] = []any{map[string]any{"op": "replace", "path": "userName", "value": v},
			map[string]any{"op": "replace", "path": "emails", "value": []any{map[string]any{"primary": true, "value": v}}}}
	case "name":
		body["Operations"] = []any{map[string]any{"op": "replace", "path": "name.givenName", "value": v}}
	case "id":
		body["Operations"] = []any{map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": v}}}}
	default:
		body["Operations"] = []any{map[string]any{"op": "add", "value": map[string]any{field: v}}}
	}
}

func setSCIMGroup(body map[string]any, class, field string, v any) {
	body["members"] = []any{map[string]any{"value": v}}
}

func searchFilter(name string, v string) map[string]any {
	return map[string]any{"operator": "AND", "operands": []any{map[string]any{"filter_name": name, "filter_value": []string{v}}}}
}

func orgSearchLookup(filter string) func(*badFixture, string) (map[string]any, url.Values) {
	return func(_ *badFixture, long string) (map[string]any, url.Values) {
		return map[string]any{"query": searchFilter(filter, long)}, nil
	}
}

func memberSearchLookup(filter string) func(*badFixture, string) (map[string]any, url.Values) {
	return func(f *badFixture, long string) (map[string]any, url.Values) {
		return map[string]any{"organization_ids": []string{f.org}, "query": searchFilter(filter, long)}, nil
	}
}

// scimFilterLookup filters on a 1500-character value: SCIM filters are bounded at 2048
// characters, and 1500 is still beyond what a DynamoDB sort key holds.
func scimFilterLookup(filter string) func(*badFixture, string) (map[string]any, url.Values) {
	return func(_ *badFixture, long string) (map[string]any, url.Values) {
		return nil, url.Values{"filter": {fmt.Sprintf(filter, long[:1500])}}
	}
}

var orgFields = routeInput{
	ids:   []string{"organization_slug", "organization_external_id"},
	docs:  []string{"trusted_metadata", "allowed_oauth_tenants"},
	names: []string{"organization_name"},
}

// badInputs lists, for every route in api.Routes, what it reads. A route missing here fails
// the test: a new route must say what bad input it takes.
var badInputs = map[string]routeInput{
	"POST /v1/b2b/organizations": {body: func(*badFixture) map[string]any {
		return map[string]any{"organization_name": "Acme", "organization_slug": newSlug()}
	}, ids: orgFields.ids, docs: orgFields.docs, names: orgFields.names},
	"POST /v1/b2b/organizations/search": {ids: []string{"cursor"}, lookups: []func(*badFixture, string) (map[string]any, url.Values){
		orgSearchLookup("organization_ids"), orgSearchLookup("organization_slugs"), orgSearchLookup("organization_external_ids"),
		orgSearchLookup("member_emails"), orgSearchLookup("allowed_domains")}},
	"GET /v1/b2b/organizations/{organization_id}": {},
	"PUT /v1/b2b/organizations/{organization_id}": {body: func(*badFixture) map[string]any {
		return map[string]any{"organization_name": "Acme"}
	}, ids: orgFields.ids, docs: orgFields.docs, names: orgFields.names},
	"DELETE /v1/b2b/organizations/{organization_id}": {},
	"POST /v1/b2b/organizations/{organization_id}/members": {body: func(*badFixture) map[string]any {
		return map[string]any{"email_address": newEmail()}
	}, ids: []string{"external_id"}, docs: []string{"trusted_metadata", "untrusted_metadata"}, emails: []string{"email_address"}, names: []string{"name"}},
	"GET /v1/b2b/organizations/{organization_id}/member": {query: func(f *badFixture) url.Values {
		return url.Values{"email_address": {f.email}}
	}, ids: []string{"member_id"}, emails: []string{"email_address"}},
	"PUT /v1/b2b/organizations/{organization_id}/members/{member_id}": {body: func(*badFixture) map[string]any {
		return map[string]any{"name": "Pat"}
	}, ids: []string{"external_id"}, docs: []string{"trusted_metadata", "untrusted_metadata"}, emails: []string{"email_address"}, names: []string{"name"}},
	"DELETE /v1/b2b/organizations/{organization_id}/members/{member_id}":         {},
	"PUT /v1/b2b/organizations/{organization_id}/members/{member_id}/reactivate": {},
	"POST /v1/b2b/organizations/{organization_id}/members/{member_id}/unlink_retired_email": {body: func(*badFixture) map[string]any {
		return map[string]any{"email_address": newEmail()}
	}, ids: []string{"email_id"}, emails: []string{"email_address"}},
	"POST /v1/b2b/organizations/{organization_id}/members/{member_id}/start_email_update": {body: func(*badFixture) map[string]any {
		return map[string]any{"email_address": newEmail(), "login_redirect_url": redirect}
	}, emails: []string{"email_address"}},
	"GET /v1/b2b/organizations/members/dangerously_get/{member_id}": {},
	"POST /v1/b2b/organizations/members/search": {body: func(f *badFixture) map[string]any {
		return map[string]any{"organization_ids": []string{f.org}}
	}, ids: []string{"organization_ids", "cursor"}, lookups: []func(*badFixture, string) (map[string]any, url.Values){
		memberSearchLookup("member_ids"), memberSearchLookup("member_emails"), memberSearchLookup("member_external_ids")}},
	"POST /v1/b2b/magic_links/email/login_or_signup": {body: func(f *badFixture) map[string]any {
		return map[string]any{"organization_id": f.org, "email_address": f.email, "login_redirect_url": redirect, "signup_redirect_url": redirect}
	}, ids: []string{"organization_id"}, emails: []string{"email_address"}},
	"POST /v1/b2b/magic_links/email/invite": {body: func(f *badFixture) map[string]any {
		return map[string]any{"organization_id": f.org, "email_address": newEmail(), "invite_redirect_url": redirect}
	}, ids: []string{"organization_id", "invited_by_member_id"}, docs: []string{"trusted_metadata", "untrusted_metadata"},
		emails: []string{"email_address"}, names: []string{"name"}},
	"POST /v1/b2b/magic_links/authenticate": {body: func(f *badFixture) map[string]any {
		return map[string]any{"magic_links_token": f.magicToken}
	}, ids: []string{"magic_links_token", "session_token"}, docs: []string{"session_custom_claims"}},
	"POST /v1/b2b/magic_links/email/discovery/send": {body: func(*badFixture) map[string]any {
		return map[string]any{"email_address": newEmail(), "discovery_redirect_url": redirect}
	}, emails: []string{"email_address"}},
	"POST /v1/b2b/magic_links/discovery/authenticate": {body: func(f *badFixture) map[string]any {
		return map[string]any{"discovery_magic_links_token": f.discoveryToken}
	}, ids: []string{"discovery_magic_links_token"}},
	// A code's try is counted before it is compared, so only the inputs refused before that
	// are sent here; a wrong code is a 404 that counts a try (TestEmailOTPTries).
	"POST /v1/b2b/otps/email/login_or_signup": {body: func(f *badFixture) map[string]any {
		return map[string]any{"organization_id": f.org, "email_address": f.email}
	}, ids: []string{"organization_id"}, emails: []string{"email_address"}},
	"POST /v1/b2b/otps/email/authenticate": {body: func(f *badFixture) map[string]any {
		return map[string]any{"organization_id": f.org, "email_address": f.email, "code": "000000"}
	}, ids: []string{"organization_id"}, emails: []string{"email_address"}, docs: []string{"session_custom_claims"}},
	"POST /v1/b2b/otps/email/discovery/send": {body: func(*badFixture) map[string]any {
		return map[string]any{"email_address": newEmail()}
	}, emails: []string{"email_address"}},
	"POST /v1/b2b/otps/email/discovery/authenticate": {body: func(f *badFixture) map[string]any {
		return map[string]any{"email_address": f.email, "code": "000000"}
	}, emails: []string{"email_address"}},
	"POST /v1/b2b/passwords/authenticate": {body: func(f *badFixture) map[string]any {
		return map[string]any{"organization_id": f.org, "email_address": f.email, "password": strongPassword}
	}, ids: []string{"organization_id", "session_token", "intermediate_session_token"}, emails: []string{"email_address"},
		docs: []string{"session_custom_claims"}},
	"POST /v1/b2b/passwords/strength_check": {body: func(f *badFixture) map[string]any {
		return map[string]any{"password": strongPassword, "email_address": f.email}
	}, emails: []string{"email_address"}},
	"POST /v1/b2b/passwords/migrate": {body: func(f *badFixture) map[string]any {
		return map[string]any{"organization_id": f.org, "email_address": newEmail(), "hash_type": "phpass",
			"hash": "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"}
	}, ids: []string{"organization_id", "external_id"}, docs: []string{"trusted_metadata", "untrusted_metadata"},
		emails: []string{"email_address"}, names: []string{"name"}},
	"POST /v1/b2b/passwords/email/reset/start": {body: func(f *badFixture) map[string]any {
		return map[string]any{"organization_id": f.org, "email_address": f.email}
	}, ids: []string{"organization_id"}, emails: []string{"email_address"}},
	"POST /v1/b2b/passwords/email/reset": {body: func(f *badFixture) map[string]any {
		return map[string]any{"password_reset_token": f.magicToken, "password": strongPassword}
	}, ids: []string{"password_reset_token", "session_token", "intermediate_session_token"}, docs: []string{"session_custom_claims"}},
	"POST /v1/b2b/passwords/email/require_reset": {body: func(f *badFixture) map[string]any {
		return map[string]any{"organization_id": f.org, "email_address": f.email}
	}, ids: []string{"organization_id", "member_id"}, emails: []string{"email_address"}},
	"POST /v1/b2b/passwords/existing_password/reset": {body: func(f *badFixture) map[string]any {
		return map[string]any{"organization_id": f.org, "email_address": f.email, "existing_password": strongPassword,
			"new_password": strongPassword + "-2"}
	}, ids: []string{"organization_id", "session_token"}, emails: []string{"email_address"}, docs: []string{"session_custom_claims"}},
	"POST /v1/b2b/passwords/session/reset": {body: func(f *badFixture) map[string]any {
		return map[string]any{"organization_id": f.org, "password": strongPassword, "session_token": f.session}
	}, ids: []string{"organization_id", "session_token"}, docs: []string{"session_custom_claims"}},
	"POST /v1/b2b/passwords/discovery/authenticate": {body: func(f *badFixture) map[string]any {
		return map[string]any{"email_address": f.email, "password": strongPassword}
	}, emails: []string{"email_address"}},
	"POST /v1/b2b/passwords/discovery/email/reset/start": {body: func(f *badFixture) map[string]any {
		return map[string]any{"email_address": f.email}
	}, emails: []string{"email_address"}},
	"POST /v1/b2b/passwords/discovery/email/reset": {body: func(f *badFixture) map[string]any {
		return map[string]any{"password_reset_token": f.discoveryToken, "password": strongPassword}
	}, ids: []string{"password_reset_token"}},
	"DELETE /v1/b2b/organizations/{organization_id}/members/passwords/{member_password_id}": {},
	"POST /v1/b2b/totp": {body: func(f *badFixture) map[string]any {
		return map[string]any{"organization_id": f.org, "member_id": f.member, "session_token": f.session}
	}, ids: []string{"organization_id", "member_id", "session_token", "intermediate_session_token"}},
	"POST /v1/b2b/totp/authenticate": {body: func(f *badFixture) map[string]any {
		return map[string]any{"organization_id": f.org, "member_id": f.member, "code": "123456", "intermediate_session_token": f.ist}
	}, ids: []string{"organization_id", "member_id", "intermediate_session_token", "session_token"}, docs: []string{"session_custom_claims"}},
	"POST /v1/b2b/totp/migrate": {body: func(f *badFixture) map[string]any {
		return map[string]any{"organization_id": f.org, "member_id": f.member, "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}
	}, ids: []string{"organization_id", "member_id"}},
	"DELETE /v1/b2b/organizations/{organization_id}/members/{member_id}/totp": {},
	"POST /v1/b2b/otps/sms/send": {body: func(f *badFixture) map[string]any {
		return map[string]any{"organization_id": f.org, "member_id": f.member, "mfa_phone_number": "+15555550199", "session_token": f.session}
	}, ids: []string{"organization_id", "member_id", "session_token", "intermediate_session_token"}},
	"POST /v1/b2b/otps/sms/authenticate": {body: func(f *badFixture) map[string]any {
		return map[string]any{"organization_id": f.org, "member_id": f.member, "code": "123456", "intermediate_session_token": f.ist}
	}, ids: []string{"organization_id", "member_id", "intermediate_session_token", "session_token"}, docs: []string{"session_custom_claims"}},
	"DELETE /v1/b2b/organizations/{organization_id}/members/mfa_phone_numbers/{member_id}": {},
	"GET /v1/b2b/recovery_codes/{organization_id}/{member_id}":                             {},
	"POST /v1/b2b/recovery_codes/rotate": {body: func(f *badFixture) map[string]any {
		return map[string]any{"organization_id": f.org, "member_id": f.member}
	}, ids: []string{"organization_id", "member_id"}},
	"POST /v1/b2b/recovery_codes/recover": {body: func(f *badFixture) map[string]any {
		return map[string]any{"organization_id": f.org, "member_id": f.member, "recovery_code": "abcd-efgh-ijkl", "intermediate_session_token": f.ist}
	}, ids: []string{"organization_id", "member_id", "intermediate_session_token", "session_token"}, docs: []string{"session_custom_claims"}},
	"POST /v1/b2b/discovery/organizations": {body: func(f *badFixture) map[string]any {
		return map[string]any{"intermediate_session_token": f.ist}
	}, ids: []string{"intermediate_session_token"}},
	"POST /v1/b2b/discovery/intermediate_sessions/exchange": {body: func(f *badFixture) map[string]any {
		return map[string]any{"intermediate_session_token": f.ist, "organization_id": f.org}
	}, ids: []string{"intermediate_session_token", "organization_id"}, docs: []string{"session_custom_claims"}},
	"POST /v1/b2b/discovery/organizations/create": {body: func(f *badFixture) map[string]any {
		return map[string]any{"intermediate_session_token": f.ist, "organization_name": "Acme", "organization_slug": newSlug()}
	}, ids: []string{"intermediate_session_token", "organization_slug", "organization_external_id"},
		docs: []string{"trusted_metadata", "session_custom_claims"}, names: []string{"organization_name"}},
	"POST /v1/b2b/sso/saml/{organization_id}": {body: func(f *badFixture) map[string]any {
		return map[string]any{"display_name": "Okta", "identity_provider": "okta"}
	}, names: []string{"display_name"}, ids: []string{"identity_provider"}},
	"PUT /v1/b2b/sso/saml/{organization_id}/connections/{connection_id}": {body: func(f *badFixture) map[string]any {
		return map[string]any{"display_name": "Okta", "idp_sso_url": "https://idp.example.com/sso"}
	}, names: []string{"display_name"}, ids: []string{"idp_entity_id", "idp_sso_url", "x509_certificate", "signing_private_key"},
		docs: []string{"attribute_mapping"}},
	"PUT /v1/b2b/sso/saml/{organization_id}/connections/{connection_id}/url": {body: func(f *badFixture) map[string]any {
		return map[string]any{"metadata_url": "https://idp.example.com/metadata"}
	}, ids: []string{"metadata_url"}},
	"DELETE /v1/b2b/sso/saml/{organization_id}/connections/{connection_id}/verification_certificates/{certificate_id}": {},
	"DELETE /v1/b2b/sso/saml/{organization_id}/connections/{connection_id}/encryption_private_keys/{private_key_id}":   {},
	"POST /v1/b2b/sso/oidc/{organization_id}": {body: func(f *badFixture) map[string]any {
		return map[string]any{"display_name": "Zitadel"}
	}, names: []string{"display_name"}, ids: []string{"identity_provider"}},
	"PUT /v1/b2b/sso/oidc/{organization_id}/connections/{connection_id}": {body: func(f *badFixture) map[string]any {
		return map[string]any{"display_name": "Zitadel", "client_id": "latchkey"}
	}, names: []string{"display_name"}, ids: []string{"client_id", "client_secret", "issuer", "token_url", "jwks_url"},
		docs: []string{"attribute_mapping"}},
	"GET /v1/b2b/sso/{organization_id}":                                {},
	"DELETE /v1/b2b/sso/{organization_id}/connections/{connection_id}": {},
	"POST /v1/b2b/sso/authenticate": {body: func(f *badFixture) map[string]any {
		return map[string]any{"sso_token": "not-a-token"}
	}, ids: []string{"sso_token", "intermediate_session_token", "session_token", "pkce_code_verifier"}, docs: []string{"session_custom_claims"}},
	"GET /v1/public/sso/start": {query: func(f *badFixture) url.Values {
		return url.Values{"connection_id": {f.ssoSAML}, "public_token": {env.Config.PublicToken}}
	}, ids: []string{"connection_id", "organization_id", "public_token", "login_redirect_url", "pkce_code_challenge"}},
	"POST /v1/b2b/sso/callback/{connection_id}": {},
	"GET /v1/b2b/sso/callback/{connection_id}": {query: func(f *badFixture) url.Values {
		return url.Values{"code": {"a-code"}, "state": {"a-state"}}
	}, ids: []string{"code", "state"}},
	"GET /v1/b2b/public/oauth/{provider}/start": {query: func(f *badFixture) url.Values {
		return url.Values{"organization_id": {f.org}, "public_token": {env.Config.PublicToken}}
	}, ids: []string{"organization_id", "slug", "public_token", "login_redirect_url", "pkce_code_challenge", "custom_scopes"}},
	"GET /v1/b2b/public/oauth/{provider}/discovery/start": {query: func(f *badFixture) url.Values {
		return url.Values{"public_token": {env.Config.PublicToken}}
	}, ids: []string{"public_token", "discovery_redirect_url", "pkce_code_challenge"}},
	"GET /v1/b2b/oauth/callback/{provider}": {query: func(f *badFixture) url.Values {
		return url.Values{"code": {"a-code"}, "state": {"a-state"}}
	}, ids: []string{"code", "state"}},
	"POST /v1/b2b/oauth/authenticate": {body: func(f *badFixture) map[string]any {
		return map[string]any{"oauth_token": "not-a-token"}
	}, ids: []string{"oauth_token", "intermediate_session_token", "session_token", "pkce_code_verifier"}, docs: []string{"session_custom_claims"}},
	"POST /v1/b2b/oauth/discovery/authenticate": {body: func(f *badFixture) map[string]any {
		return map[string]any{"discovery_oauth_token": "not-a-token"}
	}, ids: []string{"discovery_oauth_token", "pkce_code_verifier"}},
	"GET /v1/b2b/organizations/{organization_id}/members/{member_id}/oauth_providers/{provider}": {},
	"GET /v1/b2b/rbac/policy":                          {},
	"GET /v1/b2b/rbac/organizations/{organization_id}": {},
	"PUT /v1/b2b/rbac/organizations/{organization_id}": {body: func(f *badFixture) map[string]any {
		return map[string]any{"org_policy": map[string]any{"roles": []any{map[string]any{"role_id": "x", "permissions": []any{}}}}}
	}},
	"POST /v1/b2b/sessions/authenticate": {body: func(f *badFixture) map[string]any {
		return map[string]any{"session_token": f.session}
	}, ids: []string{"session_token"}, docs: []string{"session_custom_claims"}},
	"GET /v1/b2b/sessions": {query: func(f *badFixture) url.Values {
		return url.Values{"organization_id": {f.org}, "member_id": {f.member}}
	}, ids: []string{"organization_id", "member_id"}},
	// Revoke takes exactly one of its fields: each bad value is the only one sent.
	"POST /v1/b2b/sessions/revoke": {ids: []string{"member_session_id", "session_token", "session_jwt", "member_id"}},
	"POST /v1/b2b/sessions/exchange": {body: func(f *badFixture) map[string]any {
		return map[string]any{"session_token": f.session, "organization_id": f.org}
	}, ids: []string{"session_token", "organization_id"}, docs: []string{"session_custom_claims"}},
	// The test server has no userinfo endpoint for migrations: what is read is checked first.
	"POST /v1/b2b/sessions/migrate": {body: func(f *badFixture) map[string]any {
		return map[string]any{"session_token": "legacy-token", "organization_id": f.org}
	}, ids: []string{"session_token", "organization_id"}, docs: []string{"session_custom_claims"}},
	"GET /v1/b2b/sessions/jwks/{project_id}": {},

	"POST /v1/b2b/scim/{organization_id}/connection": {body: func(*badFixture) map[string]any {
		return map[string]any{"display_name": "IdP", "identity_provider": "okta"}
	}},
	"GET /v1/b2b/scim/{organization_id}/connection":                                  {},
	"PUT /v1/b2b/scim/{organization_id}/connection/{connection_id}":                  {body: func(*badFixture) map[string]any { return map[string]any{"display_name": "Renamed"} }},
	"DELETE /v1/b2b/scim/{organization_id}/connection/{connection_id}":               {},
	"GET /v1/b2b/scim/{organization_id}/connection/{connection_id}":                  {query: func(*badFixture) url.Values { return url.Values{} }, ids: []string{"cursor"}},
	"POST /v1/b2b/scim/{organization_id}/connection/{connection_id}/rotate/start":    {},
	"POST /v1/b2b/scim/{organization_id}/connection/{connection_id}/rotate/complete": {},
	"POST /v1/b2b/scim/{organization_id}/connection/{connection_id}/rotate/cancel":   {},
	"POST /v1/b2b/webhooks/endpoints": {body: func(*badFixture) map[string]any {
		return map[string]any{"url": "http://127.0.0.1:9/not-created", "event_types": []string{"*"}}
	}, ids: []string{"url", "organization_ids"}, names: []string{"description"}},
	"GET /v1/b2b/webhooks/endpoints":               {},
	"GET /v1/b2b/webhooks/endpoints/{endpoint_id}": {},
	"PUT /v1/b2b/webhooks/endpoints/{endpoint_id}": {body: func(*badFixture) map[string]any {
		return map[string]any{"description": "Renamed"}
	}, ids: []string{"url", "organization_ids"}, names: []string{"description"}},
	"DELETE /v1/b2b/webhooks/endpoints/{endpoint_id}":             {},
	"POST /v1/b2b/webhooks/endpoints/{endpoint_id}/rotate_secret": {},
	"POST /v1/b2b/webhooks/endpoints/{endpoint_id}/replay": {body: func(f *badFixture) map[string]any {
		return map[string]any{"start_time": "2026-03-09T08:00:00Z", "organization_id": f.org}
	}, ids: []string{"organization_id", "cursor", "start_time", "end_time"}},
	"GET /v1/b2b/events": {query: func(f *badFixture) url.Values {
		return url.Values{"organization_id": {f.org}}
	}, ids: []string{"organization_id", "cursor", "start_time", "end_time", "limit"}},
	"GET /scim/v2/{connection_id}/ServiceProviderConfig": {},
	"GET /scim/v2/{connection_id}/ResourceTypes":         {},
	"GET /scim/v2/{connection_id}/ResourceTypes/{id}":    {pathID: "User"},
	"GET /scim/v2/{connection_id}/Schemas":               {},
	"GET /scim/v2/{connection_id}/Schemas/{id}":          {pathID: "urn:ietf:params:scim:schemas:core:2.0:User"},
	"GET /scim/v2/{connection_id}/Users/{id}":            {},
	"DELETE /scim/v2/{connection_id}/Users/{id}":         {},
	"GET /scim/v2/{connection_id}/Groups/{id}":           {pathID: "group"},
	"DELETE /scim/v2/{connection_id}/Groups/{id}":        {pathID: "group"},
	"GET /scim/v2/{connection_id}/Users": {lookups: []func(*badFixture, string) (map[string]any, url.Values){
		scimFilterLookup(`userName eq "%s"`), scimFilterLookup(`externalId eq "%s"`), scimFilterLookup(`emails eq "%s"`),
		scimFilterLookup(`id eq "%s"`)}},
	"GET /scim/v2/{connection_id}/Groups": {lookups: []func(*badFixture, string) (map[string]any, url.Values){
		scimFilterLookup(`displayName eq "%s"`), scimFilterLookup(`id eq "%s"`)}},
	"POST /scim/v2/{connection_id}/Users": {body: func(*badFixture) map[string]any {
		return oktaUser(newEmail(), "Bad", "Input", "", true)
	}, ids: []string{"externalId", "userName"}, docs: []string{"x-latchkey"}, emails: []string{"userName"}, names: []string{"name"}, set: setSCIMUser},
	"PUT /scim/v2/{connection_id}/Users/{id}": {body: func(f *badFixture) map[string]any {
		return oktaUser(f.scimEmail, "Ada", "Lovelace", "00u-bad", true)
	}, ids: []string{"externalId", "userName"}, docs: []string{"x-latchkey"}, emails: []string{"userName"}, names: []string{"name"}, set: setSCIMUser},
	"PATCH /scim/v2/{connection_id}/Users/{id}": {body: func(*badFixture) map[string]any {
		return scimPatch(map[string]any{"op": "replace", "path": "displayName", "value": "Ada L"})
	}, docs: []string{"x-latchkey"}, emails: []string{"userName"}, names: []string{"name"}, set: setSCIMPatch},
	"POST /scim/v2/{connection_id}/Groups": {body: func(*badFixture) map[string]any {
		return map[string]any{"displayName": "Bad group"}
	}, ids: []string{"members"}, set: setSCIMGroup},
	"PUT /scim/v2/{connection_id}/Groups/{id}": {pathID: "group", body: func(*badFixture) map[string]any {
		return map[string]any{"displayName": "Bad group"}
	}, ids: []string{"members"}, set: setSCIMGroup},
	"PATCH /scim/v2/{connection_id}/Groups/{id}": {pathID: "group", body: func(*badFixture) map[string]any {
		return scimPatch(map[string]any{"op": "replace", "path": "displayName", "value": "Renamed"})
	}, ids: []string{"members"}, set: setSCIMPatch},
}

// badCase is one request of the matrix.
type badCase struct {
	name   string
	method string
	path   string
	query  url.Values
	body   map[string]any
	scim   bool
	lookup bool // a long value in a filter: it matches nothing, so the answer is an empty 200
}

var pathParamPattern = regexp.MustCompile(`\{([a-z_]+)\}`)

func cloneBody(in routeInput, f *badFixture) map[string]any {
	if in.body == nil {
		return map[string]any{}
	}
	return in.body(f)
}

// badCases builds every request for one route: each path parameter, each query parameter and
// each field the route reads, filled with each bad value of its class.
func badCases(rt api.Route, in routeInput, f *badFixture) []badCase {
	vals := f.pathValues()
	switch in.pathID {
	case "group":
		vals["id"] = f.scimGroup
	case "":
	default:
		vals["id"] = in.pathID
	}
	switch {
	case strings.Contains(rt.Path, "/sso/oidc/"):
		vals["connection_id"] = f.ssoOIDC
	case strings.Contains(rt.Path, "/sso/"):
		vals["connection_id"] = f.ssoSAML
	}
	isSCIM := strings.HasPrefix(rt.Path, "/scim/")
	baseQuery := func() url.Values {
		if in.query == nil {
			return url.Values{}
		}
		return in.query(f)
	}
	var out []badCase
	add := func(name, path string, q url.Values, body map[string]any) {
		if rt.Method == "GET" || rt.Method == "DELETE" {
			body = nil
		}
		out = append(out, badCase{name: name, method: rt.Method, path: path, query: q, body: body, scim: isSCIM})
	}
	set := func(body map[string]any, class, field string, v any) {
		switch {
		case in.set != nil:
			in.set(body, class, field, v)
		case field == "organization_ids":
			body[field] = []string{fmt.Sprint(v)}
		default:
			body[field] = v
		}
	}
	for _, m := range pathParamPattern.FindAllStringSubmatch(rt.Path, -1) {
		p := map[string]string{}
		for k, v := range vals {
			p[k] = v
		}
		p[m[1]] = longValue
		add("path "+m[1]+" of 3000 characters", fillPath(rt.Path, p), baseQuery(), cloneBody(in, f))
	}
	path := fillPath(rt.Path, vals)
	for _, field := range in.ids {
		if in.query != nil {
			q := baseQuery()
			q.Set(field, longValue)
			add("query "+field+" of 3000 characters", path, q, nil)
			continue
		}
		body := cloneBody(in, f)
		if rt.Path == "/v1/b2b/sessions/revoke" {
			body = map[string]any{}
		}
		set(body, "id", field, longValue)
		add(field+" of 3000 characters", path, nil, body)
	}
	for _, field := range in.emails {
		for name, v := range badEmails {
			if in.query != nil {
				q := baseQuery()
				q.Set(field, v)
				add("query "+field+": "+name, path, q, nil)
				continue
			}
			body := cloneBody(in, f)
			set(body, "email", field, v)
			add(field+": "+name, path, nil, body)
		}
	}
	for _, field := range in.names {
		for name, v := range badNames {
			body := cloneBody(in, f)
			set(body, "name", field, v)
			add(field+" with "+name, path, nil, body)
		}
	}
	for _, field := range in.docs {
		for name, doc := range badDocs() {
			body := cloneBody(in, f)
			set(body, "doc", field, doc)
			add(field+" "+name, path, nil, body)
		}
	}
	for i, lookup := range in.lookups {
		body, q := lookup(f, longValue)
		if body == nil {
			body = cloneBody(in, f)
		}
		if q == nil {
			q = baseQuery()
		}
		add(fmt.Sprintf("lookup %d of a 3000-character value", i), path, q, body)
		out[len(out)-1].lookup = true
	}
	return out
}

// tableSnapshot renders every item of the test table, keyed by pk and sk.
func tableSnapshot(t *testing.T) map[string]string {
	t.Helper()
	client := store.NewClient(env.App.AWS, env.Config.DynamoDBEndpoint)
	out := map[string]string{}
	var start map[string]types.AttributeValue
	for {
		page, err := client.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(env.Config.Table),
			ExclusiveStartKey: start, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			out[str(it["pk"])+" | "+str(it["sk"])] = renderItem(&types.AttributeValueMemberM{Value: it})
		}
		if page.LastEvaluatedKey == nil {
			return out
		}
		start = page.LastEvaluatedKey
	}
}

// renderItem is a deterministic rendering of an attribute value, maps in key order.
func renderItem(v types.AttributeValue) string {
	switch x := v.(type) {
	case *types.AttributeValueMemberM:
		keys := make([]string, 0, len(x.Value))
		for k := range x.Value {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("{")
		for _, k := range keys {
			fmt.Fprintf(&b, "%q:%s,", k, renderItem(x.Value[k]))
		}
		return b.String() + "}"
	case *types.AttributeValueMemberL:
		parts := make([]string, 0, len(x.Value))
		for _, e := range x.Value {
			parts = append(parts, renderItem(e))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case *types.AttributeValueMemberS:
		return fmt.Sprintf("S%q", x.Value)
	case *types.AttributeValueMemberN:
		return "N" + x.Value
	case *types.AttributeValueMemberSS:
		s := slices.Sorted(slices.Values(x.Value))
		return fmt.Sprintf("SS%q", s)
	case *types.AttributeValueMemberB:
		return fmt.Sprintf("B%x", x.Value)
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprint(x.Value)
	case *types.AttributeValueMemberNULL:
		return "null"
	}
	return fmt.Sprintf("%T%v", v, v)
}

// diffSnapshots names the items added, removed or changed between two snapshots.
func diffSnapshots(before, after map[string]string) []string {
	var out []string
	for k, v := range after {
		if w, ok := before[k]; !ok {
			out = append(out, "added "+k)
		} else if w != v {
			out = append(out, "changed "+k+"\n  before "+w+"\n  after  "+v)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out = append(out, "removed "+k)
		}
	}
	sort.Strings(out)
	return out
}

// Every route in the route table refuses every class of bad input it can be sent (values of
// 3000 characters in each path parameter, query parameter and id, slug, token or email field;
// emails with invisible, bidi or space characters; names with NUL, CR LF or an RTL override;
// metadata, custom claims and SCIM attributes nested 40 levels deep, with an empty or
// 300-byte key, or with the numbers 1e200, -1e200 and 1e-200) with a 4xx, never a 5xx, and
// not one item of the table changes: no single-use token (magic link, discovery link,
// intermediate session) is consumed, no rate counter moves, no email is sent. A value in a
// search or SCIM filter too long to be stored matches nothing (an empty 200). The routes come
// from api.Routes, so a new route must declare what it reads or the test fails.
func TestBadInputMatrix(t *testing.T) {
	f := newBadFixture(t)
	sentBefore := len(env.Emails(t, f.email))
	var cases []badCase
	for _, rt := range api.Routes {
		key := rt.Method + " " + rt.Path
		in, ok := badInputs[key]
		if !ok {
			t.Errorf("route %s is not in badInputs: say what bad input it reads", key)
			continue
		}
		cases = append(cases, badCases(rt, in, f)...)
	}
	if len(badInputs) != len(api.Routes) {
		t.Errorf("badInputs lists %d routes, api.Routes has %d", len(badInputs), len(api.Routes))
	}
	before := tableSnapshot(t)
	for _, c := range cases {
		target := c.path
		if len(c.query) > 0 {
			target += "?" + c.query.Encode()
		}
		var body any
		if c.body != nil {
			body = c.body
		}
		label := c.method + " " + c.path[:min(len(c.path), 90)] + ": " + c.name
		var status int
		var raw []byte
		if c.scim {
			r := scimDo(t, f.scim.token, c.method, target, body)
			status, raw = r.Status, r.Raw
			if c.lookup && (status != http.StatusOK || r.total() != 0) {
				t.Errorf("%s: want an empty 200, got %d %s", label, status, raw)
				continue
			}
		} else {
			r := env.Do(t, c.method, target, body)
			status, raw = r.Status, r.Raw
			if c.lookup {
				list, _ := r.Get("organizations").([]any)
				members, _ := r.Get("members").([]any)
				if status != http.StatusOK || len(list)+len(members) != 0 {
					t.Errorf("%s: want an empty 200, got %d %s", label, status, raw)
				}
				continue
			}
			if status >= 400 && status < 500 && (r.Str("error_type") == "" || r.Get("status_code") != float64(status) || r.Str("request_id") == "") {
				t.Errorf("%s: error not in Stytch's shape: %s", label, raw)
			}
		}
		if !c.lookup && (status < 400 || status >= 500) {
			t.Errorf("%s: want 4xx, got %d %.300s", label, status, raw)
		}
	}
	after := tableSnapshot(t)
	if len(before) < 10 {
		t.Fatalf("the snapshot saw %d items: it did not read the table", len(before))
	}
	if d := diffSnapshots(before, after); len(d) > 0 {
		t.Errorf("refused requests changed the table (%d items):\n%s", len(d), strings.Join(d[:min(len(d), 20)], "\n"))
	}
	if sent := len(env.Emails(t, f.email)); sent != sentBefore {
		t.Errorf("refused requests sent %d emails", sent-sentBefore)
	}
	t.Logf("%d requests over %d routes", len(cases), len(api.Routes))
	redeemFixtureTokens(t, f)
}

// After the matrix, the single-use tokens every refused request carried still work: a
// refused request consumed none of them.
func redeemFixtureTokens(t *testing.T, f *badFixture) {
	t.Helper()
	apptest.ExpectOK(t, authenticate(t, f.magicToken, nil))
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/magic_links/discovery/authenticate", map[string]any{"discovery_magic_links_token": f.discoveryToken}))
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/discovery/intermediate_sessions/exchange",
		map[string]any{"intermediate_session_token": f.ist, "organization_id": f.org}))
}

// One email is one member: an address typed with a precomposed é and with e + U+0301 is the
// same address (Unicode NFC), so the second create is a 409 duplicate_member_email and a
// lookup by either spelling finds the one member.
func TestEmailNFCIsOneMember(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	tag := newSlug()[5:]
	precomposed, decomposed := "jos\u00e9-"+tag+"@acme.com", "jose\u0301-"+tag+"@acme.com"
	created := createMember(t, org, map[string]any{"email_address": precomposed})
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/organizations/"+org+"/members", map[string]any{"email_address": decomposed}),
		http.StatusBadRequest, "duplicate_member_email")
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/organizations/"+org+"/members",
		map[string]any{"email_address": strings.ToUpper(decomposed)}), http.StatusBadRequest, "duplicate_member_email")
	found := getMember(t, org, "", decomposed)
	apptest.ExpectOK(t, found)
	if found.Str("member_id") != created.Str("member_id") || found.Str("member.email_address") != precomposed {
		t.Fatalf("decomposed lookup found %s (%q), want %s", found.Str("member_id"), found.Str("member.email_address"), created.Str("member_id"))
	}
}

// Emails with invisible, bidi-control or non-ASCII space characters are refused as
// invalid_email wherever an email comes in, and no member is created for them.
func TestInvisibleCharacterEmailsRefused(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	for name, email := range badEmails {
		if name == "long email" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/organizations/"+org+"/members", map[string]any{"email_address": email}),
				http.StatusBadRequest, "invalid_email")
			apptest.ExpectError(t, loginOrSignup(t, org, email, nil), http.StatusBadRequest, "invalid_email")
			apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/magic_links/email/invite",
				map[string]any{"organization_id": org, "email_address": email, "invite_redirect_url": redirect}), http.StatusBadRequest, "invalid_email")
			apptest.ExpectError(t, getMember(t, org, "", email), http.StatusBadRequest, "invalid_email")
		})
	}
	search := env.Do(t, "POST", "/v1/b2b/organizations/members/search", map[string]any{"organization_ids": []string{org}})
	apptest.ExpectOK(t, search)
	if n := len(search.Get("members").([]any)); n != 0 {
		t.Fatalf("refused emails created %d members: %s", n, search.Raw)
	}
}

// NUL, CR LF, bidi overrides and other control characters are refused in organization and
// member names (invalid_organization_name, invalid_name) on create and update; a name that
// needs a zero-width non-joiner (Persian) is still accepted.
func TestControlCharactersInNamesRefused(t *testing.T) {
	org := createOrg(t, map[string]any{})
	id := org.Str("organization.organization_id")
	m := createMember(t, id, map[string]any{"name": "Pat"})
	for name, v := range badNames {
		t.Run(name, func(t *testing.T) {
			apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/organizations", map[string]any{"organization_name": v, "organization_slug": newSlug()}),
				http.StatusBadRequest, "invalid_organization_name")
			apptest.ExpectError(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+id, map[string]any{"organization_name": v}),
				http.StatusBadRequest, "invalid_organization_name")
			apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/organizations/"+id+"/members", map[string]any{"email_address": newEmail(), "name": v}),
				http.StatusBadRequest, "invalid_name")
			apptest.ExpectError(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+id+"/members/"+m.Str("member_id"), map[string]any{"name": v}),
				http.StatusBadRequest, "invalid_name")
		})
	}
	persian := "می\u200cخواهم"
	r := env.Do(t, "PUT", "/v1/b2b/organizations/"+id+"/members/"+m.Str("member_id"), map[string]any{"name": persian})
	apptest.ExpectOK(t, r)
	if r.Str("member.name") != persian {
		t.Fatalf("name with ZWNJ: %s", r.Raw)
	}
}

// An organization name holding CR LF (stored before names were checked, here written to the
// table directly) never reaches an email's headers: the invite's subject is one line and the
// raw message has no header the name tried to add.
func TestOrganizationNameNeverSplitsAnEmailHeader(t *testing.T) {
	id := createOrg(t, map[string]any{}).Str("organization.organization_id")
	client := store.NewClient(env.App.AWS, env.Config.DynamoDBEndpoint)
	_, err := client.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: aws.String(env.Config.Table),
		Key:              map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "ORG#" + id}, "sk": &types.AttributeValueMemberS{Value: "ORG"}},
		UpdateExpression: aws.String("SET OrganizationName = :n"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":n": &types.AttributeValueMemberS{Value: "Acme\r\nBcc: victim@evil.test\r\nX-Injected: 1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := env.Do(t, "GET", "/v1/b2b/organizations/"+id, nil); !strings.Contains(got.Str("organization.organization_name"), "\r\n") {
		t.Fatalf("the stored name was not written: %s", got.Raw)
	}
	invitee := newEmail()
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/magic_links/email/invite",
		map[string]any{"organization_id": id, "email_address": invitee, "invite_redirect_url": redirect}))
	mail := env.LastEmail(t, invitee)
	if strings.ContainsAny(mail.Subject, "\r\n") || !strings.HasPrefix(mail.Subject, "You're invited to Acme") {
		t.Fatalf("subject: %q", mail.Subject)
	}
	resp, err := http.Get(env.Stack.SESEndpoint + "/get-emlContent?messageId=" + url.QueryEscape(mail.MessageID))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// The emulator answers the message as a Node Buffer: {"body":{"data":[bytes…]}}.
	var eml struct {
		Body struct {
			Data []int `json:"data"`
		} `json:"body"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&eml); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("raw message: %d %v", resp.StatusCode, err)
	}
	raw := make([]byte, len(eml.Body.Data))
	for i, b := range eml.Body.Data {
		raw[i] = byte(b)
	}
	if !strings.Contains(string(raw), "Subject:") {
		t.Fatalf("raw message has no subject: %.300q", raw)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		l := strings.ToLower(strings.TrimSpace(line))
		if strings.HasPrefix(l, "bcc:") || strings.HasPrefix(l, "x-injected:") {
			t.Fatalf("the organization name added a header: %q\n%s", line, raw)
		}
	}
}

// Documents at the edge of every bound (16 levels deep, 256-byte keys, the largest and
// smallest numbers DynamoDB holds) are accepted and stored as sent, in organization metadata,
// member metadata and SCIM attributes: the bounds refuse only what DynamoDB cannot store.
func TestDocumentsAtTheLimitsAreStored(t *testing.T) {
	edge := map[string]any{"deep": nested(15), strings.Repeat("k", 256): "v",
		"big": 9.999999999999998e125, "small": -1e-130, "zero": 0.0, "int": 12345678901234567.0}
	org := createOrg(t, map[string]any{"trusted_metadata": edge})
	id := org.Str("organization.organization_id")
	got := env.Do(t, "GET", "/v1/b2b/organizations/"+id, nil)
	apptest.ExpectOK(t, got)
	want, _ := json.Marshal(edge)
	stored, _ := json.Marshal(got.Get("organization.trusted_metadata"))
	if string(stored) != string(want) {
		t.Fatalf("metadata changed in storage:\nsent   %s\nstored %s", want, stored)
	}
	m := createMember(t, id, map[string]any{"untrusted_metadata": edge})
	if b, _ := json.Marshal(getMember(t, id, m.Str("member_id"), "").Get("member.untrusted_metadata")); string(b) != string(want) {
		t.Fatalf("member metadata changed in storage: %s", b)
	}
	c := scimConnect(t, id, "okta")
	u := oktaUser(newEmail(), "Edge", "Case", "", true)
	u["x-latchkey"] = map[string]any{"deep": nested(12), "big": 9.999999999999998e125, "small": 1e-130}
	expectSCIM(t, c.do(t, "POST", "/Users", u), http.StatusCreated)
}
