package api

import (
	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/discovery"
	"github.com/latchkey/latchkey/shared/events"
	"github.com/latchkey/latchkey/shared/magiclink"
	"github.com/latchkey/latchkey/shared/mfa"
	"github.com/latchkey/latchkey/shared/oauth"
	"github.com/latchkey/latchkey/shared/orgs"
	"github.com/latchkey/latchkey/shared/otp"
	"github.com/latchkey/latchkey/shared/passwords"
	"github.com/latchkey/latchkey/shared/scim"
	"github.com/latchkey/latchkey/shared/sessionmigrate"
	"github.com/latchkey/latchkey/shared/sso"
)

// routeDoc is what the OpenAPI document says of one route beyond what its Go types say. Every
// route in Routes has one, keyed "METHOD path"; a test fails on a route without one.
type routeDoc struct {
	// ID is the operationId: the stytch-go method that makes the call, where there is one.
	ID          string
	Summary     string
	Description string
	// Body is the type the handler decodes the request body into (a zero value); nil: no body.
	Body any
	// Required are the body fields the route refuses to go without.
	Required []string
	// Form: the body is application/x-www-form-urlencoded (SAML's POST binding), not JSON.
	Form  bool
	Query []queryParam
	// Response is the type of the success body (a zero value); nil: no body, or no success.
	Response any
	// Status is the success status: 0 is 200 (302 for browser routes).
	Status int
	// Example is an example request body. Its ids, tokens, codes and addresses are the
	// placeholders of ExamplePlaceholders, for which the example test puts real ones.
	Example any
	// Path gives example path values where the default for the name (pathExamples) does not
	// fit the route.
	Path map[string]string
}

type queryParam struct {
	Name, Description, Example string
	Required                   bool
}

type obj = map[string]any

// crossOrgOnly describes the password routes that exist only with cross-organization passwords.
const crossOrgOnly = "Needs cross-organization passwords (LATCHKEY_PASSWORD_SCOPE=cross_organization), as in Stytch; " +
	"otherwise it answers 400 cross_org_passwords_not_enabled."

// Example values. Each is a realistic value of its kind; where a route needs a real one (an
// organization that exists, a token that was issued), the example test substitutes it for the
// placeholder wherever a whole path value, query value or JSON string of an example equals it.
const (
	exProjectID         = "project-test-00000000-0000-4000-8000-000000000000" // make dev's default project
	exOrgID             = "organization-test-07971b06-ac8b-4cdb-9c15-63b17e653931"
	exOtherOrgID        = "organization-test-4e3f9b2a-1c5d-4f6e-8a7b-9c0d1e2f3a4b"
	exSlug              = "acme-corp"
	exMemberID          = "member-test-32fc5024-9c09-4da3-bd2e-c9ce4da9375f"
	exMemberEmail       = "ada.lovelace@example.com"
	exNewEmail          = "grace.hopper@example.com"
	exRetiredEmail      = "ada@old.example.com"
	exPassword          = "correct-Horse-battery-staple-42"
	exNewPassword       = "violet-anchor-Quarry-47-lantern"
	exSessionToken      = "mZAYn5aLEqKUlZ_Ad9U_fWr38GaAQ1oFAhT8ds245v7Q"
	exMemberSessionID   = "member-session-test-e2b7c5a0-8f1d-4c3e-9b6a-0d4f2e1c3b5a"
	exIST               = "SeiGwdj5lKkrEVgcEY3QNJXt6srxS3IK2Nwkar6mXD4="
	exMagicLinkToken    = "DOYoip3rvIMMW5lgItikFK-Ak1CfMsgjuiCyI7uuU94="
	exDiscoveryToken    = "Bs1OZUo6Eu7ymnQ4bxqY3m5vJrsEaO_tiO9bWbpvSw4="
	exResetToken        = "Ru6hPl0xGfP0CqNB3eWX1zJrMm5Y3a7tQ2kVdS8nLcE="
	exDiscoveryReset    = "k9Wq2xTzL4mN7pR1sV3uY6bC8dF0gH5jK2lM4nP7qRs="
	exEmailCode         = "482916"
	exDiscoveryCode     = "593027"
	exSMSCode           = "671204"
	exTOTPCode          = "305718"
	exRecoveryCode      = "wx2v-8rkt-9hpa"
	exMemberPasswordID  = "member-password-test-51660ab1-6acd-4e7d-bc3e-8b1f0d6a5f3d"
	exSAMLConnectionID  = "saml-connection-test-51861cbc-d3b9-428b-9761-227f5fb12be9"
	exOIDCConnectionID  = "oidc-connection-test-9c2b1a7e-3f4d-4e5a-8b6c-7d8e9f0a1b2c"
	exCertificateID     = "saml-verification-key-5b0e7f9a2c4d6e8f0a1b3c5d7e9f1a2b"
	exPrivateKeyID      = "saml-encryption-key-8d6c4b2a0f9e7d5c3b1a9f8e7d6c5b4a"
	exSAMLMetadataURL   = "https://acme.okta.example/app/exk1fxp8h3rbbWo9T5d7/sso/saml/metadata"
	exSCIMConnectionID  = "scim-connection-test-2d6f1b9e-5a3c-4e7f-9b1d-8c0a2e4f6b3d"
	exSCIMUserID        = "member-test-a6c9e2f4-7b1d-4a3e-8c5f-0d2b4e6a8c1f"
	exSCIMGroupID       = "scim-group-test-f3a8d1c6-9e2b-4f7a-8d5c-1b3e6a9f2c4d"
	exSSOToken          = "ZVb5J6nuUb6s5Pc2HEIHOwcmO5pTJeeWpI3O_Gy6m8c="
	exOAuthToken        = "hdPVZHHX0UoRa7hJTuuPHi1vlddffSnoweRbaR9ZLAU="
	exDiscoveryOAuth    = "3Aq7Ip0BfXcrNJdmKxE4rmHEwU3L0I8qzgDjdGtcEQU="
	exOAuthCode         = "4/0AeanS0a9fQ1pX2vM7nK3bT6yR8wE5uI"
	exOAuthState        = "Rm9zM0xxa2tqUnpBN1dnQkNhcGZHc0RyZ0ZQb0g"
	exSSOCode           = "sPz3l7mYz2Cq8Tn0VbH4xW9eLr6Ku1Jd"
	exSSOState          = "b3BlbmFwaS1leGFtcGxlLXNzby1zdGF0ZQ"
	exSAMLResponse      = "PHNhbWxwOlJlc3BvbnNlIHhtbG5zOnNhbWxwPSJ1cm46b2FzaXM6bmFtZXM6dGM6U0FNTDoyLjA6cHJvdG9jb2wiLz4="
	exRedirectURL       = "http://localhost:3000/authenticate"
	exPhone             = "+14155550123"
	exTOTPSecret        = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	exWebhookEndpointID = "webhook-endpoint-test-8f14e45f-ceea-467a-9575-3f6c2b8d1e90"
	exWebhookURL        = "https://app.example.com/webhooks/latchkey"
	// exExternalSession is a session token of the application's previous auth system.
	exExternalSession = "legacy-session-4f1c9a2e7b3d4e6f8a0b1c2d3e4f5a6b"
)

var exPublicToken = latchkey.PublicTokenFor(exProjectID)

// ExamplePlaceholders names every placeholder value the document's examples use, by kind
// ("organization_id"). A kind the example test cannot resolve fails it, so a new placeholder
// comes with a way to make a real value.
func ExamplePlaceholders() map[string]string {
	return map[string]string{
		"project_id": exProjectID, "public_token": exPublicToken,
		"organization_id": exOrgID, "other_organization_id": exOtherOrgID, "new_slug": exSlug,
		"member_id": exMemberID, "member_email": exMemberEmail, "new_email": exNewEmail, "retired_email": exRetiredEmail,
		"password": exPassword, "session_token": exSessionToken, "member_session_id": exMemberSessionID,
		"intermediate_session_token": exIST, "magic_links_token": exMagicLinkToken, "discovery_magic_links_token": exDiscoveryToken,
		"password_reset_token": exResetToken, "discovery_password_reset_token": exDiscoveryReset,
		"email_otp_code": exEmailCode, "discovery_email_otp_code": exDiscoveryCode, "sms_otp_code": exSMSCode,
		"totp_code": exTOTPCode, "recovery_code": exRecoveryCode, "member_password_id": exMemberPasswordID,
		"saml_connection_id": exSAMLConnectionID, "oidc_connection_id": exOIDCConnectionID,
		"certificate_id": exCertificateID, "private_key_id": exPrivateKeyID, "saml_metadata_url": exSAMLMetadataURL,
		"scim_connection_id": exSCIMConnectionID, "scim_user_id": exSCIMUserID, "scim_group_id": exSCIMGroupID,
		"sso_token": exSSOToken, "oauth_token": exOAuthToken, "discovery_oauth_token": exDiscoveryOAuth,
		"oauth_callback_code": exOAuthCode, "oauth_callback_state": exOAuthState,
		"sso_callback_code": exSSOCode, "sso_callback_state": exSSOState, "saml_response": exSAMLResponse,
		"external_session_token": exExternalSession,
		"webhook_endpoint_id":    exWebhookEndpointID,
	}
}

// pathExamples is the example value of each path parameter, unless a route says otherwise.
var pathExamples = map[string]string{
	"organization_id": exOrgID, "member_id": exMemberID, "project_id": exProjectID,
	"member_password_id": exMemberPasswordID, "certificate_id": exCertificateID, "private_key_id": exPrivateKeyID,
	"provider": "google", "connection_id": exSCIMConnectionID, "id": exSCIMUserID,
	"endpoint_id": exWebhookEndpointID,
}

// exCertificate is a self-signed X.509 certificate, as an identity provider's SAML metadata
// carries one.
const exCertificate = `-----BEGIN CERTIFICATE-----
MIIDQTCCAimgAwIBAgIUMN4hxhxnpuKqMVb+gXV+qbokJ84wDQYJKoZIhvcNAQEL
BQAwLzEaMBgGA1UEAwwRYWNtZS5va3RhLmV4YW1wbGUxETAPBgNVBAoMCEFjbWUg
SWRQMCAXDTI2MTIwMjA2NTczN1oYDzIxMjYxMTA4MDY1NzM3WjAvMRowGAYDVQQD
DBFhY21lLm9rdGEuZXhhbXBsZTERMA8GA1UECgwIQWNtZSBJZFAwggEiMA0GCSqG
SIb3DQEBAQUAA4IBDwAwggEKAoIBAQDJw5HFkjNt5cDDP8TOu/NCTo8Qd0nNFd1N
e09suaneBVvoF6y/DmiPjam32lLv0OlKlqi4dbLMJPFiEQPGkzPIwKvRkIuSoGQq
zGJIqcBg+kbcNoJYSXfhpyomLGtmg66LG95fpsi/GrD/LPxBqm9bbEiuqogQRrTb
hOvoLfB/xYqz/S4J+1JSmoCc2MPsjCmYLC1nC8xZ0elR0g7MmvZxZxJ2Y2iuellA
j5fVwWlOADOp2mHsb2kqpvxFaQJl+UtfXooGFab6O425vveBCxm1DN51QizC6np/
ZFSehsTEk5CxY2l7HMXpBXMRm7T3F4B/7ZqzeUf2CNwGWki53lTbAgMBAAGjUzBR
MB0GA1UdDgQWBBRDHRD14GH0Q2H1ZmMHbUY3hCwF4jAfBgNVHSMEGDAWgBRDHRD1
4GH0Q2H1ZmMHbUY3hCwF4jAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUA
A4IBAQC9wBIzpNDlqsJseZOkL7S3P3cRuIiwDlmhCAvmWN3rA6BOXeOHQxHZXD5U
4/YkOORsURu0zOiVtfpha5PFhPsb3UYEpecA32u88Pmgv7vXdPrvtg6HfVpchhJ4
1bFCqjGT2/DsHKQw6b29b2W9VkMFMMyNBVfEP3bElSBO6Udjs/ngpc7mMg+umVuN
WzND3z7Ch6nVZL4YCaJxA6u9Ws7RUrgG06xPBZrfO/t57kfR8EoRvz3uX/MNmuHo
6nRHrRuB/0tOf2m1sEn8uqQtHECVvfYoUTfhyg0d8nEWg26JV2ti0MIRZ6newNu8
NTIe/Rkg274kT5hrgk6mEPX9ueAu
-----END CERTIFICATE-----`

// Query parameters several routes share.
var (
	qPublicToken  = queryParam{Name: "public_token", Description: "The project's public token.", Example: exPublicToken, Required: true}
	qPKCE         = queryParam{Name: "pkce_code_challenge", Description: "A PKCE S256 code challenge; the redemption then needs its verifier."}
	qLoginURL     = queryParam{Name: "login_redirect_url", Description: "Where an existing member goes with the token.", Example: exRedirectURL}
	qSignupURL    = queryParam{Name: "signup_redirect_url", Description: "Where a new member goes with the token.", Example: exRedirectURL}
	qError        = queryParam{Name: "error", Description: "The provider's error, when the login failed there."}
	qSCIMAttrs    = queryParam{Name: "attributes", Description: "Attributes to return (RFC 7644 §3.9), comma-separated."}
	qSCIMExcluded = queryParam{Name: "excludedAttributes", Description: "Attributes to leave out (RFC 7644 §3.9), comma-separated."}
	qSCIMList     = []queryParam{
		{Name: "filter", Description: "A SCIM filter (RFC 7644 §3.4.2.2), e.g. userName eq \"ada@example.com\"."},
		{Name: "startIndex", Description: "1-based index of the first result.", Example: "1"},
		{Name: "count", Description: "Results per page (at most 100).", Example: "100"},
		qSCIMAttrs, qSCIMExcluded,
	}
)

var exOrgSettings = obj{
	"organization_name": "Acme Corp", "organization_slug": exSlug,
	"organization_logo_url": "https://acme.example.com/logo.png",
	"email_allowed_domains": []string{"acme.example.com"}, "email_jit_provisioning": "RESTRICTED",
	"email_invites": "ALL_ALLOWED", "auth_methods": "ALL_ALLOWED", "mfa_policy": "OPTIONAL",
	"trusted_metadata": obj{"plan": "enterprise", "seats": 250},
}

func scimUserExample(email string) obj {
	return obj{
		"schemas":    []string{scim.UserSchema},
		"userName":   email,
		"externalId": "00u1a2b3c4d5e6f7g8h9",
		"name":       obj{"givenName": "Grace", "familyName": "Hopper"},
		"emails":     []any{obj{"primary": true, "value": email, "type": "work"}},
		"active":     true,
	}
}

// routeDocs describes every route in Routes.
var routeDocs = map[string]routeDoc{
	// Organizations
	"POST /v1/b2b/organizations": {ID: "Organizations.Create", Summary: "Create an organization",
		Body: latchkey.OrganizationPatch{}, Required: []string{"organization_name"}, Response: organizationResponse{},
		Example: exOrgSettings},
	"POST /v1/b2b/organizations/search": {ID: "Organizations.Search", Summary: "Search organizations",
		Body: orgs.SearchRequest{}, Response: organizationSearchResponse{},
		Example: obj{"limit": 20, "query": obj{"operator": "AND", "operands": []any{
			obj{"filter_name": "organization_name_fuzzy", "filter_value": "acme"}}}}},
	"GET /v1/b2b/organizations/{organization_id}": {ID: "Organizations.Get", Summary: "Get an organization",
		Response: organizationResponse{}},
	"PUT /v1/b2b/organizations/{organization_id}": {ID: "Organizations.Update", Summary: "Update an organization",
		Description: "Only the fields sent change.",
		Body:        latchkey.OrganizationPatch{}, Response: organizationResponse{},
		Example: obj{"organization_name": "Acme Corporation", "mfa_policy": "REQUIRED_FOR_ALL", "allowed_mfa_methods": []string{"totp", "sms_otp"},
			"mfa_methods": "RESTRICTED"}},
	"DELETE /v1/b2b/organizations/{organization_id}": {ID: "Organizations.Delete", Summary: "Delete an organization and everything it owns",
		Response: organizationDeleteResponse{}},

	// Members
	"POST /v1/b2b/organizations/{organization_id}/members": {ID: "Organizations.Members.Create", Summary: "Create a member",
		Body: latchkey.MemberPatch{}, Required: []string{"email_address"}, Response: memberResponse{},
		Example: obj{"email_address": exNewEmail, "name": "Grace Hopper", "untrusted_metadata": obj{"title": "Rear Admiral"},
			"create_member_as_pending": true}},
	"GET /v1/b2b/organizations/{organization_id}/member": {ID: "Organizations.Members.Get", Summary: "Get a member by id or email",
		Query: []queryParam{
			{Name: "member_id", Description: "The member's id; or give email_address.", Example: exMemberID},
			{Name: "email_address", Description: "The member's email address; or give member_id."},
		}, Response: memberResponse{}},
	"PUT /v1/b2b/organizations/{organization_id}/members/{member_id}": {ID: "Organizations.Members.Update", Summary: "Update a member",
		Description: "Only the fields sent change. A new email_address is unverified until proven.",
		Body:        latchkey.MemberPatch{}, Response: memberResponse{},
		Example: obj{"name": "Ada King, Countess of Lovelace", "trusted_metadata": obj{"department": "Analytical Engines"},
			"is_breakglass": false}},
	"DELETE /v1/b2b/organizations/{organization_id}/members/{member_id}": {ID: "Organizations.Members.Delete", Summary: "Delete a member",
		Response: memberDeleteResponse{}},
	"PUT /v1/b2b/organizations/{organization_id}/members/{member_id}/reactivate": {ID: "Organizations.Members.Reactivate",
		Summary: "Reactivate a deleted member", Response: memberResponse{}},
	"POST /v1/b2b/organizations/{organization_id}/members/{member_id}/unlink_retired_email": {ID: "Organizations.Members.UnlinkRetiredEmail",
		Summary: "Release one of a member's retired email addresses", Body: orgs.UnlinkRetiredEmailRequest{},
		Response: unlinkRetiredEmailResponse{}, Example: obj{"email_address": exRetiredEmail}},
	"POST /v1/b2b/organizations/{organization_id}/members/{member_id}/start_email_update": {ID: "Organizations.Members.StartEmailUpdate",
		Summary: "Email a link (or code) that moves the member to a new address", Body: magiclink.StartEmailUpdateRequest{},
		Required: []string{"email_address"}, Response: memberResponse{},
		Example: obj{"email_address": exNewEmail, "login_redirect_url": exRedirectURL, "delivery_method": "EMAIL_MAGIC_LINK"}},
	"GET /v1/b2b/organizations/members/dangerously_get/{member_id}": {ID: "Organizations.Members.DangerouslyGet",
		Summary: "Get a member by id alone, in whatever organization", Query: []queryParam{
			{Name: "include_deleted", Description: "true: also find a deleted member.", Example: "false"},
		}, Response: memberResponse{}},
	"POST /v1/b2b/organizations/members/search": {ID: "Organizations.Members.Search", Summary: "Search members of some organizations",
		Body: orgs.SearchRequest{}, Required: []string{"organization_ids"}, Response: memberSearchResponse{},
		Example: obj{"organization_ids": []string{exOrgID}, "limit": 50, "query": obj{"operator": "OR", "operands": []any{
			obj{"filter_name": "member_emails", "filter_value": []string{exMemberEmail}},
			obj{"filter_name": "statuses", "filter_value": []string{"active"}}}}}},

	// Magic links
	"POST /v1/b2b/magic_links/email/login_or_signup": {ID: "MagicLinks.Email.LoginOrSignup",
		Summary: "Email a login (or signup) magic link for an organization", Body: magiclink.LoginOrSignupRequest{},
		Required: []string{"organization_id", "email_address"}, Response: loginOrSignupResponse{},
		Example: obj{"organization_id": exOrgID, "email_address": exMemberEmail, "login_redirect_url": exRedirectURL,
			"signup_redirect_url": exRedirectURL, "login_expiration_minutes": 30}},
	"POST /v1/b2b/magic_links/email/invite": {ID: "MagicLinks.Email.Invite", Summary: "Invite a new member by email",
		Body: magiclink.InviteRequest{}, Required: []string{"organization_id", "email_address"}, Response: memberResponse{},
		Example: obj{"organization_id": exOrgID, "email_address": exNewEmail, "name": "Grace Hopper", "invite_redirect_url": exRedirectURL,
			"invited_by_member_id": exMemberID, "invite_expiration_minutes": 10080}},
	"POST /v1/b2b/magic_links/authenticate": {ID: "MagicLinks.Authenticate", Summary: "Redeem a magic link token",
		Body: magiclink.AuthenticateRequest{}, Required: []string{"magic_links_token"}, Response: authenticateResponse{},
		Example: obj{"magic_links_token": exMagicLinkToken, "session_duration_minutes": 60}},
	"POST /v1/b2b/magic_links/email/discovery/send": {ID: "MagicLinks.Email.Discovery.Send",
		Summary: "Email a discovery magic link", Body: magiclink.DiscoverySendRequest{}, Required: []string{"email_address"},
		Response: envelope{}, Example: obj{"email_address": exMemberEmail, "discovery_redirect_url": exRedirectURL}},
	"POST /v1/b2b/magic_links/discovery/authenticate": {ID: "MagicLinks.Discovery.Authenticate",
		Summary: "Redeem a discovery magic link token for an intermediate session", Body: magiclink.DiscoveryAuthenticateRequest{},
		Required: []string{"discovery_magic_links_token"}, Response: discoveryAuthenticateResponse{},
		Example: obj{"discovery_magic_links_token": exDiscoveryToken}},

	// Email one-time passcodes
	"POST /v1/b2b/otps/email/login_or_signup": {ID: "OTPs.Email.LoginOrSignup", Summary: "Email a one-time passcode for an organization",
		Body: otp.LoginOrSignupRequest{}, Required: []string{"organization_id", "email_address"}, Response: loginOrSignupResponse{},
		Example: obj{"organization_id": exOrgID, "email_address": exMemberEmail, "login_expiration_minutes": 10}},
	"POST /v1/b2b/otps/email/authenticate": {ID: "OTPs.Email.Authenticate", Summary: "Redeem an emailed one-time passcode",
		Body: otp.AuthenticateRequest{}, Required: []string{"organization_id", "email_address", "code"}, Response: authenticateResponse{},
		Example: obj{"organization_id": exOrgID, "email_address": exMemberEmail, "code": exEmailCode, "session_duration_minutes": 60}},
	"POST /v1/b2b/otps/email/discovery/send": {ID: "OTPs.Email.Discovery.Send", Summary: "Email a discovery one-time passcode",
		Body: otp.DiscoverySendRequest{}, Required: []string{"email_address"}, Response: envelope{},
		Example: obj{"email_address": exMemberEmail}},
	"POST /v1/b2b/otps/email/discovery/authenticate": {ID: "OTPs.Email.Discovery.Authenticate",
		Summary: "Redeem a discovery passcode for an intermediate session", Body: otp.DiscoveryAuthenticateRequest{},
		Required: []string{"email_address", "code"}, Response: discoveryAuthenticateResponse{},
		Example: obj{"email_address": exMemberEmail, "code": exDiscoveryCode}},

	// Passwords
	"POST /v1/b2b/passwords/authenticate": {ID: "Passwords.Authenticate", Summary: "Log in with email and password",
		Body: passwords.AuthenticateRequest{}, Required: []string{"organization_id", "email_address", "password"}, Response: authenticateResponse{},
		Example: obj{"organization_id": exOrgID, "email_address": exMemberEmail, "password": exPassword, "session_duration_minutes": 60}},
	"POST /v1/b2b/passwords/strength_check": {ID: "Passwords.StrengthCheck", Summary: "Check a password's strength",
		Body: strengthCheckRequest{}, Required: []string{"password"}, Response: strengthResponse{},
		Example: obj{"password": exNewPassword, "email_address": exMemberEmail}},
	"POST /v1/b2b/passwords/migrate": {ID: "Passwords.Migrate", Summary: "Import a member with a password hash from another system",
		Body: passwords.MigrateRequest{}, Required: []string{"organization_id", "email_address", "hash", "hash_type"},
		Response: loginOrSignupResponse{},
		Example: obj{"organization_id": exOrgID, "email_address": exNewEmail, "name": "Grace Hopper", "hash_type": "bcrypt",
			"hash": "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}},
	"POST /v1/b2b/passwords/email/reset/start": {ID: "Passwords.Email.ResetStart", Summary: "Email a password reset link",
		Body: passwords.ResetStartRequest{}, Required: []string{"organization_id", "email_address"}, Response: resetStartResponse{},
		Example: obj{"organization_id": exOrgID, "email_address": exMemberEmail, "reset_password_redirect_url": exRedirectURL,
			"reset_password_expiration_minutes": 30}},
	"POST /v1/b2b/passwords/email/reset": {ID: "Passwords.Email.Reset", Summary: "Set a new password with a reset token",
		Body: passwords.ResetRequest{}, Required: []string{"password_reset_token", "password"}, Response: passwordAuthResponse{},
		Example: obj{"password_reset_token": exResetToken, "password": exNewPassword, "session_duration_minutes": 60}},
	"POST /v1/b2b/passwords/email/require_reset": {ID: "Passwords.Email.RequireReset", Summary: "Require a member to reset their password",
		Body: passwords.RequireResetRequest{}, Required: []string{"email_address"}, Response: requireResetResponse{},
		Description: crossOrgOnly,
		Example:     obj{"organization_id": exOrgID, "email_address": exMemberEmail}},
	"POST /v1/b2b/passwords/existing_password/reset": {ID: "Passwords.ExistingPassword.Reset", Summary: "Change a password, knowing the current one",
		Body:     passwords.ExistingResetRequest{},
		Required: []string{"organization_id", "email_address", "existing_password", "new_password"}, Response: authenticateResponse{},
		Example: obj{"organization_id": exOrgID, "email_address": exMemberEmail, "existing_password": exPassword,
			"new_password": exNewPassword}},
	"POST /v1/b2b/passwords/session/reset": {ID: "Passwords.Sessions.Reset", Summary: "Set a new password for a recently authenticated session",
		Body: passwords.SessionResetRequest{}, Required: []string{"organization_id", "password"}, Response: authenticateResponse{},
		Description: "Needs session_token or session_jwt, of a session with a factor authenticated in the last 5 minutes.",
		Example:     obj{"organization_id": exOrgID, "password": exNewPassword, "session_token": exSessionToken}},
	"POST /v1/b2b/passwords/discovery/authenticate": {ID: "Passwords.Discovery.Authenticate",
		Summary: "Log in with email and password for an intermediate session", Body: passwords.DiscoveryAuthenticateRequest{},
		Description: crossOrgOnly,
		Required:    []string{"email_address", "password"}, Response: discoveryAuthenticateResponse{},
		Example: obj{"email_address": exMemberEmail, "password": exPassword}},
	"POST /v1/b2b/passwords/discovery/email/reset/start": {ID: "Passwords.Discovery.Email.ResetStart",
		Summary: "Email a discovery password reset link", Body: passwords.DiscoveryResetStartRequest{}, Required: []string{"email_address"},
		Description: crossOrgOnly,
		Response:    envelope{}, Example: obj{"email_address": exMemberEmail, "reset_password_redirect_url": exRedirectURL,
			"discovery_redirect_url": exRedirectURL}},
	"POST /v1/b2b/passwords/discovery/email/reset": {ID: "Passwords.Discovery.Email.Reset",
		Summary: "Set a new password with a discovery reset token", Body: passwords.DiscoveryResetRequest{},
		Description: crossOrgOnly,
		Required:    []string{"password_reset_token", "password"}, Response: discoveryAuthenticateResponse{},
		Example: obj{"password_reset_token": exDiscoveryReset, "password": exNewPassword}},
	"DELETE /v1/b2b/organizations/{organization_id}/members/passwords/{member_password_id}": {ID: "Organizations.Members.DeletePassword",
		Summary: "Delete a member's password", Response: memberResponse{}},

	// Second factors
	"POST /v1/b2b/totp": {ID: "TOTPs.Create", Summary: "Create a TOTP registration (and recovery codes) for a member",
		Body: mfa.CreateRequest{}, Required: []string{"organization_id", "member_id"}, Response: totpResponse{},
		Example: obj{"organization_id": exOrgID, "member_id": exMemberID, "session_token": exSessionToken, "expiration_minutes": 60}},
	"POST /v1/b2b/totp/authenticate": {ID: "TOTPs.Authenticate", Summary: "Authenticate a TOTP code",
		Body: mfa.AuthenticateRequest{}, Required: []string{"organization_id", "member_id", "code"}, Response: secondFactorResponse{},
		Description: "Needs intermediate_session_token, session_token or session_jwt.",
		Example: obj{"organization_id": exOrgID, "member_id": exMemberID, "code": exTOTPCode, "session_token": exSessionToken,
			"set_mfa_enrollment": "enroll"}},
	"POST /v1/b2b/totp/migrate": {ID: "TOTPs.Migrate", Summary: "Import a member's TOTP secret and recovery codes",
		Body: mfa.MigrateRequest{}, Required: []string{"organization_id", "member_id", "secret", "recovery_codes"}, Response: totpResponse{},
		Example: obj{"organization_id": exOrgID, "member_id": exMemberID, "secret": exTOTPSecret,
			"recovery_codes": []string{"ckss-2skx-ebow", "spbc-424h-usy0", "hi08-n5tk-lns5"}}},
	"DELETE /v1/b2b/organizations/{organization_id}/members/{member_id}/totp": {ID: "Organizations.Members.DeleteTOTP",
		Summary: "Delete a member's TOTP registration", Response: memberResponse{}},
	"POST /v1/b2b/otps/sms/send": {ID: "OTPs.SMS.Send", Summary: "Text a one-time passcode to a member",
		Body: mfa.SendRequest{}, Required: []string{"organization_id", "member_id"}, Response: memberResponse{},
		Example: obj{"organization_id": exOrgID, "member_id": exMemberID, "mfa_phone_number": exPhone, "session_token": exSessionToken}},
	"POST /v1/b2b/otps/sms/authenticate": {ID: "OTPs.SMS.Authenticate", Summary: "Authenticate a texted passcode",
		Body: mfa.SMSAuthenticateRequest{}, Required: []string{"organization_id", "member_id", "code"}, Response: secondFactorResponse{},
		Example: obj{"organization_id": exOrgID, "member_id": exMemberID, "code": exSMSCode, "session_token": exSessionToken}},
	"DELETE /v1/b2b/organizations/{organization_id}/members/mfa_phone_numbers/{member_id}": {ID: "Organizations.Members.DeleteMFAPhoneNumber",
		Summary: "Delete a member's MFA phone number", Response: memberResponse{}},
	"GET /v1/b2b/recovery_codes/{organization_id}/{member_id}": {ID: "RecoveryCodes.Get", Summary: "Get a member's recovery codes",
		Description: "Latchkey keeps recovery codes only as hashes, so this always answers 400 recovery_codes_shown_once " +
			"(for a member that exists): the codes are shown once, by TOTPs.Create, TOTPs.Migrate and RecoveryCodes.Rotate."},
	"POST /v1/b2b/recovery_codes/rotate": {ID: "RecoveryCodes.Rotate", Summary: "Replace a member's recovery codes",
		Body: recoveryCodesRotateRequest{}, Required: []string{"organization_id", "member_id"}, Response: recoveryCodesResponse{},
		Example: obj{"organization_id": exOrgID, "member_id": exMemberID}},
	"POST /v1/b2b/recovery_codes/recover": {ID: "RecoveryCodes.Recover", Summary: "Authenticate with a recovery code",
		Body: mfa.RecoverRequest{}, Required: []string{"organization_id", "member_id", "recovery_code"}, Response: secondFactorResponse{},
		Example: obj{"organization_id": exOrgID, "member_id": exMemberID, "recovery_code": exRecoveryCode, "session_token": exSessionToken}},

	// SSO
	"POST /v1/b2b/sso/saml/{organization_id}": {ID: "SSO.SAML.CreateConnection", Summary: "Create a SAML connection",
		Body: sso.CreateRequest{}, Response: samlConnectionResponse{},
		Example: obj{"display_name": "Okta", "identity_provider": "okta"}},
	"PUT /v1/b2b/sso/saml/{organization_id}/connections/{connection_id}": {ID: "SSO.SAML.UpdateConnection",
		Summary: "Configure a SAML connection", Body: sso.SAMLPatch{}, Response: samlConnectionResponse{},
		Path: map[string]string{"connection_id": exSAMLConnectionID},
		Example: obj{"idp_entity_id": "http://www.okta.com/exk1fxp8h3rbbWo9T5d7", "idp_sso_url": "https://acme.okta.example/app/exk1fxp8h3rbbWo9T5d7/sso/saml",
			"x509_certificate": exCertificate, "display_name": "Okta",
			"attribute_mapping":                    obj{"email": "email", "first_name": "firstName", "last_name": "lastName", "groups": "groups"},
			"saml_group_implicit_role_assignments": []any{obj{"role_id": "stytch_admin", "group": "IT Admins"}}}},
	"PUT /v1/b2b/sso/saml/{organization_id}/connections/{connection_id}/url": {ID: "SSO.SAML.UpdateByURL",
		Summary: "Configure a SAML connection from the identity provider's metadata URL", Body: samlMetadataURLRequest{},
		Required: []string{"metadata_url"}, Response: samlConnectionResponse{},
		Path: map[string]string{"connection_id": exSAMLConnectionID}, Example: obj{"metadata_url": exSAMLMetadataURL}},
	"DELETE /v1/b2b/sso/saml/{organization_id}/connections/{connection_id}/verification_certificates/{certificate_id}": {
		ID: "SSO.SAML.DeleteVerificationCertificate", Summary: "Delete one of a SAML connection's verification certificates",
		Description: "The last certificate of a connection cannot be deleted.",
		Response:    ssoDeleteResponse{}, Path: map[string]string{"connection_id": exSAMLConnectionID}},
	"DELETE /v1/b2b/sso/saml/{organization_id}/connections/{connection_id}/encryption_private_keys/{private_key_id}": {
		ID: "SSO.SAML.DeleteEncryptionPrivateKey", Summary: "Delete one of a SAML connection's encryption private keys",
		Response: ssoDeleteResponse{}, Path: map[string]string{"connection_id": exSAMLConnectionID}},
	"POST /v1/b2b/sso/oidc/{organization_id}": {ID: "SSO.OIDC.CreateConnection", Summary: "Create an OIDC connection",
		Body: sso.CreateRequest{}, Response: oidcConnectionResponse{},
		Example: obj{"display_name": "Okta OIDC", "identity_provider": "okta"}},
	"PUT /v1/b2b/sso/oidc/{organization_id}/connections/{connection_id}": {ID: "SSO.OIDC.UpdateConnection",
		Summary: "Configure an OIDC connection", Body: sso.OIDCPatch{}, Response: oidcConnectionResponse{},
		Description: "With an issuer and no endpoints, the endpoints are read from the issuer's discovery document.",
		Path:        map[string]string{"connection_id": exOIDCConnectionID},
		Example: obj{"display_name": "Okta OIDC", "client_id": "0oa1b2c3d4e5f6g7h8i9", "client_secret": "s3cr3t-from-the-idp-console",
			"issuer": "https://acme.okta.example", "authorization_url": "https://acme.okta.example/oauth2/v1/authorize",
			"token_url": "https://acme.okta.example/oauth2/v1/token", "userinfo_url": "https://acme.okta.example/oauth2/v1/userinfo",
			"jwks_url": "https://acme.okta.example/oauth2/v1/keys"}},
	"GET /v1/b2b/sso/{organization_id}": {ID: "SSO.GetConnections", Summary: "List an organization's SSO connections",
		Response: ssoConnectionsResponse{}},
	"DELETE /v1/b2b/sso/{organization_id}/connections/{connection_id}": {ID: "SSO.DeleteConnection", Summary: "Delete an SSO connection",
		Response: ssoDeleteResponse{}, Path: map[string]string{"connection_id": exSAMLConnectionID}},
	"POST /v1/b2b/sso/authenticate": {ID: "SSO.Authenticate", Summary: "Redeem an SSO token",
		Body: sso.AuthenticateRequest{}, Required: []string{"sso_token"}, Response: ssoAuthenticateResponse{},
		Example: obj{"sso_token": exSSOToken, "session_duration_minutes": 60}},
	"GET /v1/public/sso/start": {ID: "SSO.Start", Summary: "Start an SSO login (browser)",
		Description: "Redirects the browser to the identity provider of the connection (or of the organization's default connection).",
		Query: []queryParam{
			{Name: "connection_id", Description: "The SSO connection; or give organization_id.", Example: exSAMLConnectionID},
			{Name: "organization_id", Description: "The organization, whose default connection is used."},
			qPublicToken, qLoginURL, qSignupURL, qPKCE,
		}, Response: redirectResponse{}},
	"POST /v1/b2b/sso/callback/{connection_id}": {ID: "SSO.SAMLCallback", Summary: "The SAML assertion consumer service (browser)",
		Description: "The identity provider's POST binding. Redirects to the login or signup redirect URL with an SSO token.",
		Body:        samlCallbackForm{}, Form: true, Required: []string{"SAMLResponse"}, Response: redirectResponse{},
		Path: map[string]string{"connection_id": exSAMLConnectionID}, Example: obj{"SAMLResponse": exSAMLResponse}},
	"GET /v1/b2b/sso/callback/{connection_id}": {ID: "SSO.OIDCCallback", Summary: "The OIDC redirect URI (browser)",
		Description: "Redirects to the login or signup redirect URL with an SSO token.",
		Query: []queryParam{
			{Name: "code", Description: "The authorization code the provider issued.", Example: exSSOCode},
			{Name: "state", Description: "The state Latchkey sent to the provider.", Example: exSSOState}, qError,
		}, Response: redirectResponse{}, Path: map[string]string{"connection_id": exOIDCConnectionID}},

	// OAuth
	"GET /v1/b2b/public/oauth/{provider}/start": {ID: "OAuth.Start", Summary: "Start an OAuth login for an organization (browser)",
		Description: "provider is google or microsoft. Query parameters named provider_<name> are passed on to the provider as <name>.",
		Query: []queryParam{
			qPublicToken,
			{Name: "organization_id", Description: "The organization; or give slug.", Example: exOrgID},
			{Name: "slug", Description: "The organization's slug; or give organization_id."},
			qLoginURL, qSignupURL,
			{Name: "custom_scopes", Description: "Scopes to ask for beyond openid, email and profile, space-separated."},
			qPKCE,
		}, Response: redirectResponse{}},
	"GET /v1/b2b/public/oauth/{provider}/discovery/start": {ID: "OAuth.Discovery.Start", Summary: "Start an OAuth discovery login (browser)",
		Query: []queryParam{
			qPublicToken,
			{Name: "discovery_redirect_url", Description: "Where the browser goes with the discovery token.", Example: exRedirectURL},
			{Name: "custom_scopes", Description: "Scopes to ask for beyond openid, email and profile, space-separated."},
			qPKCE,
		}, Response: redirectResponse{}},
	"GET /v1/b2b/oauth/callback/{provider}": {ID: "OAuth.Callback", Summary: "The OAuth redirect URI (browser)",
		Description: "Redirects to the application with an OAuth (or discovery OAuth) token.",
		Query: []queryParam{
			{Name: "code", Description: "The authorization code the provider issued.", Example: exOAuthCode},
			{Name: "state", Description: "The state Latchkey sent to the provider.", Example: exOAuthState}, qError,
		}, Response: redirectResponse{}},
	"POST /v1/b2b/oauth/authenticate": {ID: "OAuth.Authenticate", Summary: "Redeem an OAuth token",
		Body: oauth.AuthenticateRequest{}, Required: []string{"oauth_token"}, Response: oauthAuthenticateResponse{},
		Example: obj{"oauth_token": exOAuthToken, "session_duration_minutes": 60}},
	"POST /v1/b2b/oauth/discovery/authenticate": {ID: "OAuth.Discovery.Authenticate",
		Summary: "Redeem a discovery OAuth token for an intermediate session", Body: oauth.DiscoveryAuthenticateRequest{},
		Required: []string{"discovery_oauth_token"}, Response: oauthDiscoveryResponse{},
		Example: obj{"discovery_oauth_token": exDiscoveryOAuth}},
	"GET /v1/b2b/organizations/{organization_id}/members/{member_id}/oauth_providers/{provider}": {
		ID: "Organizations.Members.OAuthProviders.Get", Summary: "Get a member's tokens at an OAuth provider",
		Query:    []queryParam{{Name: "include_refresh_token", Description: "true: include the refresh token.", Example: "false"}},
		Response: oauthProviderResponse{}},

	// RBAC
	"GET /v1/b2b/rbac/policy": {ID: "RBAC.Policy", Summary: "Get the project's RBAC policy", Response: policyResponse{}},
	"GET /v1/b2b/rbac/organizations/{organization_id}": {ID: "RBAC.Organizations.GetOrgPolicy",
		Summary: "Get an organization's own roles", Response: orgPolicyResponse{}},
	"PUT /v1/b2b/rbac/organizations/{organization_id}": {ID: "RBAC.Organizations.SetOrgPolicy",
		Summary: "Set an organization's own roles", Body: orgPolicyRequest{}, Required: []string{"org_policy"}, Response: orgPolicyResponse{},
		Example: obj{"org_policy": obj{"roles": []any{obj{"role_id": "billing-admin", "description": "Manages the organization's members",
			"permissions": []any{obj{"resource_id": "stytch.member", "actions": []string{"search", "update.info.name"}}}}}}}},

	// Discovery
	"POST /v1/b2b/discovery/organizations": {ID: "Discovery.Organizations.List",
		Summary: "List the organizations an intermediate session (or session) may enter", Body: discovery.ListRequest{},
		Description: "Needs intermediate_session_token, session_token or session_jwt.",
		Response:    discoveryListResponse{}, Example: obj{"intermediate_session_token": exIST}},
	"POST /v1/b2b/discovery/intermediate_sessions/exchange": {ID: "Discovery.IntermediateSessions.Exchange",
		Summary: "Exchange an intermediate session for a session in an organization", Body: authn.ExchangeRequest{},
		Required: []string{"intermediate_session_token", "organization_id"}, Response: authenticateResponse{},
		Example: obj{"intermediate_session_token": exIST, "organization_id": exOrgID, "session_duration_minutes": 60}},
	"POST /v1/b2b/discovery/organizations/create": {ID: "Discovery.Organizations.Create",
		Summary: "Create an organization with the intermediate session's email as its first member", Body: discovery.CreateRequest{},
		Required: []string{"intermediate_session_token"}, Response: authenticateResponse{},
		Example: obj{"intermediate_session_token": exIST, "organization_name": "Acme Corp", "organization_slug": exSlug,
			"session_duration_minutes": 60}},

	// Sessions
	"POST /v1/b2b/sessions/authenticate": {ID: "Sessions.Authenticate", Summary: "Authenticate a session (and optionally an RBAC check)",
		Body: authn.SessionAuthenticateRequest{}, Response: sessionAuthenticateResponse{},
		Description: "Needs session_token or session_jwt.",
		Example: obj{"session_token": exSessionToken, "session_duration_minutes": 60,
			"authorization_check": obj{"organization_id": exOrgID, "resource_id": "stytch.self", "action": "update.info.name"}}},
	"GET /v1/b2b/sessions": {ID: "Sessions.Get", Summary: "List a member's sessions", Query: []queryParam{
		{Name: "organization_id", Description: "The member's organization.", Example: exOrgID, Required: true},
		{Name: "member_id", Description: "The member.", Example: exMemberID, Required: true},
	}, Response: sessionsResponse{}},
	"POST /v1/b2b/sessions/revoke": {ID: "Sessions.Revoke", Summary: "Revoke a session, or every session of a member",
		Description: "Takes exactly one of member_session_id, session_token, session_jwt and member_id.",
		Body:        authn.RevokeRequest{}, Response: envelope{}, Example: obj{"member_session_id": exMemberSessionID}},
	"POST /v1/b2b/sessions/exchange": {ID: "Sessions.Exchange", Summary: "Exchange a session for one in another organization",
		Body: authn.ExchangeRequest{}, Required: []string{"organization_id"}, Response: authenticateResponse{},
		Description: "Needs session_token or session_jwt.",
		Example:     obj{"session_token": exSessionToken, "organization_id": exOtherOrgID, "session_duration_minutes": 60}},
	"POST /v1/b2b/sessions/migrate": {ID: "Sessions.Migrate", Summary: "Migrate a session of the previous auth system",
		Description: "Calls the userinfo endpoint LATCHKEY_SESSION_MIGRATE_USERINFO_URL with session_token as a bearer token and logs " +
			"in the existing member of the organization with the email it returns; never creates a member. Without the endpoint " +
			"configured it answers 400 migrate_from_external_missing_userinfo. When the organization requires MFA, the answer " +
			"has member_authenticated false, an intermediate_session_token and mfa_required instead of a session.",
		Body: sessionmigrate.MigrateRequest{}, Required: []string{"session_token", "organization_id"}, Response: sessionMigrateResponse{},
		Example: obj{"session_token": exExternalSession, "organization_id": exOrgID, "session_duration_minutes": 60}},
	"GET /v1/b2b/sessions/jwks/{project_id}": {ID: "Sessions.GetJWKS", Summary: "The keys session JWTs are signed with",
		Description: "Needs no credentials: stytch-go fetches it when a client is created.", Response: jwksResponse{}},

	// SCIM connections
	"POST /v1/b2b/scim/{organization_id}/connection": {ID: "SCIM.Connection.Create", Summary: "Create the organization's SCIM connection",
		Description: "The bearer token is shown once, here.",
		Body:        scimConnectionCreateRequest{}, Response: scimConnectionResponse{},
		Example: obj{"display_name": "Okta provisioning", "identity_provider": "okta"}},
	"GET /v1/b2b/scim/{organization_id}/connection": {ID: "SCIM.Connection.Get", Summary: "Get the organization's SCIM connection",
		Response: scimConnectionResponse{}},
	"PUT /v1/b2b/scim/{organization_id}/connection/{connection_id}": {ID: "SCIM.Connection.Update", Summary: "Update a SCIM connection",
		Body: scim.ConnectionPatch{}, Response: scimConnectionResponse{},
		Example: obj{"display_name": "Okta provisioning (production)",
			"scim_group_implicit_role_assignments": []any{obj{"role_id": "stytch_admin", "group_id": exSCIMGroupID}}}},
	"DELETE /v1/b2b/scim/{organization_id}/connection/{connection_id}": {ID: "SCIM.Connection.Delete", Summary: "Delete a SCIM connection",
		Response: scimConnectionDeleteResponse{}},
	"GET /v1/b2b/scim/{organization_id}/connection/{connection_id}": {ID: "SCIM.Connection.GetGroups",
		Summary: "List the groups a SCIM connection provisioned", Query: []queryParam{
			{Name: "cursor", Description: "next_cursor of the previous page."},
			{Name: "limit", Description: "Groups per page.", Example: "100"},
		}, Response: scimGroupsResponse{}},
	"POST /v1/b2b/scim/{organization_id}/connection/{connection_id}/rotate/start": {ID: "SCIM.Connection.RotateStart",
		Summary: "Start rotating a SCIM connection's bearer token", Description: "The next bearer token is shown once, here.",
		Response: scimConnectionResponse{}},
	"POST /v1/b2b/scim/{organization_id}/connection/{connection_id}/rotate/complete": {ID: "SCIM.Connection.RotateComplete",
		Summary: "Complete a rotation: the next token replaces the current one", Response: scimConnectionResponse{}},
	"POST /v1/b2b/scim/{organization_id}/connection/{connection_id}/rotate/cancel": {ID: "SCIM.Connection.RotateCancel",
		Summary: "Cancel a rotation: the next token is dropped", Response: scimConnectionResponse{}},

	// Webhooks and the audit trail
	"POST /v1/b2b/webhooks/endpoints": {ID: "Webhooks.Endpoints.Create", Summary: "Add a webhook endpoint",
		Description: "Events the endpoint wants (event_types: source.object_type.action, * for any one segment; organization_ids) " +
			"are POSTed to url signed as Svix signs. The signing secret (whsec_...) is shown once, here.",
		Body: events.EndpointPatch{}, Required: []string{"url"}, Response: webhookSecretResponse{},
		Example: obj{"url": exWebhookURL, "description": "Sync members to our users table",
			"event_types": []string{"*.member.*", "direct.organization.*"}, "organization_ids": []string{exOrgID}}},
	"GET /v1/b2b/webhooks/endpoints": {ID: "Webhooks.Endpoints.List", Summary: "List the project's webhook endpoints",
		Response: webhookEndpointsResponse{}},
	"GET /v1/b2b/webhooks/endpoints/{endpoint_id}": {ID: "Webhooks.Endpoints.Get", Summary: "Get a webhook endpoint",
		Response: webhookEndpointResponse{}},
	"PUT /v1/b2b/webhooks/endpoints/{endpoint_id}": {ID: "Webhooks.Endpoints.Update", Summary: "Update a webhook endpoint",
		Description: "Fields left out are unchanged; an empty event_types or organization_ids list means every one.",
		Body:        events.EndpointPatch{}, Response: webhookEndpointResponse{},
		Example: obj{"description": "Members only", "event_types": []string{"*.member.*"}, "disabled": false}},
	"DELETE /v1/b2b/webhooks/endpoints/{endpoint_id}": {ID: "Webhooks.Endpoints.Delete", Summary: "Delete a webhook endpoint",
		Description: "Deliveries still queued for it are dropped.", Response: webhookDeleteResponse{}},
	"POST /v1/b2b/webhooks/endpoints/{endpoint_id}/rotate_secret": {ID: "Webhooks.Endpoints.RotateSecret",
		Summary:     "Give a webhook endpoint a new signing secret",
		Description: "The new secret is shown once, here. The one it replaces keeps signing deliveries, beside the new one, for 24 hours.",
		Response:    webhookSecretResponse{}},
	"POST /v1/b2b/webhooks/endpoints/{endpoint_id}/replay": {ID: "Webhooks.Endpoints.Replay",
		Summary: "Deliver the audit trail's events in a time range to an endpoint again",
		Description: "Queues the events from start_time (inclusive) to end_time (exclusive; default now), of one organization or every one, " +
			"that the endpoint's filters want, to be delivered even if they were before. At most 1000 events are read a call: " +
			"while next_cursor is not empty, call again with it. Answers 503 webhook_delivery_not_configured where no queue is.",
		Body: webhookReplayRequest{}, Required: []string{"start_time"}, Response: webhookReplayResponse{},
		Example: obj{"start_time": "2026-03-09T08:00:00Z", "organization_id": exOrgID}},
	"GET /v1/b2b/events": {ID: "Events.List", Summary: "Read the audit trail of events",
		Description: "Events oldest first, as they are delivered, kept for LATCHKEY_EVENT_RETENTION_DAYS. Without organization_id, every organization's.",
		Query: []queryParam{
			{Name: "organization_id", Description: "The organization whose events to read.", Example: exOrgID},
			{Name: "start_time", Description: "RFC 3339, inclusive; default the retention before end_time.", Example: "2026-03-09T08:00:00Z"},
			{Name: "end_time", Description: "RFC 3339, exclusive; default now."},
			{Name: "limit", Description: "Events per page (1 to 500, default 100).", Example: "100"},
			{Name: "cursor", Description: "next_cursor of the previous page."},
		}, Response: eventsResponse{}},

	// The SCIM 2.0 server
	"GET /scim/v2/{connection_id}/Users": {ID: "SCIMv2.Users.List", Summary: "List or filter users", Query: qSCIMList,
		Response: scimUserList{}},
	"POST /scim/v2/{connection_id}/Users": {ID: "SCIMv2.Users.Create", Summary: "Provision a user (a member)",
		Body: scimUser{}, Required: []string{"userName"}, Response: scimUser{}, Status: 201,
		Example: scimUserExample(exNewEmail)},
	"GET /scim/v2/{connection_id}/Users/{id}": {ID: "SCIMv2.Users.Get", Summary: "Get a user",
		Query: []queryParam{qSCIMAttrs, qSCIMExcluded}, Response: scimUser{}},
	"PUT /scim/v2/{connection_id}/Users/{id}": {ID: "SCIMv2.Users.Replace", Summary: "Replace a user",
		Description: "Attributes left out are cleared, except active, which is kept when absent.",
		Body:        scimUser{}, Required: []string{"userName"}, Response: scimUser{}, Example: scimUserExample(exNewEmail)},
	"PATCH /scim/v2/{connection_id}/Users/{id}": {ID: "SCIMv2.Users.Patch", Summary: "Patch a user (RFC 7644 §3.5.2)",
		Body: scim.PatchRequest{}, Required: []string{"Operations"}, Response: scimUser{},
		Example: obj{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": []any{
			obj{"op": "replace", "path": "name.givenName", "value": "Augusta Ada"},
			obj{"op": "replace", "value": obj{"active": true}}}}},
	"DELETE /scim/v2/{connection_id}/Users/{id}": {ID: "SCIMv2.Users.Delete", Summary: "Deprovision a user (the member is deleted)",
		Status: 204},
	"GET /scim/v2/{connection_id}/Groups": {ID: "SCIMv2.Groups.List", Summary: "List or filter groups", Query: qSCIMList,
		Response: scimGroupList{}},
	"POST /scim/v2/{connection_id}/Groups": {ID: "SCIMv2.Groups.Create", Summary: "Create a group",
		Body: scimGroup{}, Required: []string{"displayName"}, Response: scimGroup{}, Status: 201,
		Example: obj{"schemas": []string{scim.GroupSchema}, "displayName": "Engineering", "members": []any{obj{"value": exSCIMUserID}}}},
	"GET /scim/v2/{connection_id}/Groups/{id}": {ID: "SCIMv2.Groups.Get", Summary: "Get a group",
		Query: []queryParam{qSCIMAttrs, qSCIMExcluded}, Response: scimGroup{}, Path: map[string]string{"id": exSCIMGroupID}},
	"PUT /scim/v2/{connection_id}/Groups/{id}": {ID: "SCIMv2.Groups.Replace", Summary: "Replace a group",
		Body: scimGroup{}, Required: []string{"displayName"}, Response: scimGroup{}, Path: map[string]string{"id": exSCIMGroupID},
		Example: obj{"schemas": []string{scim.GroupSchema}, "displayName": "Engineering", "members": []any{obj{"value": exSCIMUserID}}}},
	"PATCH /scim/v2/{connection_id}/Groups/{id}": {ID: "SCIMv2.Groups.Patch", Summary: "Patch a group (membership changes)",
		Body: scim.PatchRequest{}, Required: []string{"Operations"}, Status: 204, Path: map[string]string{"id": exSCIMGroupID},
		Example: obj{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": []any{
			obj{"op": "add", "path": "members", "value": []any{obj{"value": exSCIMUserID}}},
			obj{"op": "replace", "path": "displayName", "value": "Engineering (all)"}}}},
	"DELETE /scim/v2/{connection_id}/Groups/{id}": {ID: "SCIMv2.Groups.Delete", Summary: "Delete a group", Status: 204,
		Path: map[string]string{"id": exSCIMGroupID}},
	"GET /scim/v2/{connection_id}/ServiceProviderConfig": {ID: "SCIMv2.ServiceProviderConfig", Summary: "What this SCIM server supports",
		Response: scimServiceProviderConfig{}},
	"GET /scim/v2/{connection_id}/ResourceTypes": {ID: "SCIMv2.ResourceTypes.List", Summary: "The resource types (User, Group)",
		Response: scimResourceList{}},
	"GET /scim/v2/{connection_id}/ResourceTypes/{id}": {ID: "SCIMv2.ResourceTypes.Get", Summary: "One resource type",
		Response: scimResourceType{}, Path: map[string]string{"id": "User"}},
	"GET /scim/v2/{connection_id}/Schemas": {ID: "SCIMv2.Schemas.List", Summary: "The schemas of the resources",
		Response: scimResourceList{}},
	"GET /scim/v2/{connection_id}/Schemas/{id}": {ID: "SCIMv2.Schemas.Get", Summary: "One schema",
		Response: scimSchema{}, Path: map[string]string{"id": scim.UserSchema}},
}
