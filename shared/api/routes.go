package api

import "net/http"

// Route is one API route. Method and Path use the syntax both net/http.ServeMux and API
// Gateway HTTP APIs accept ("POST /v1/b2b/organizations/{organization_id}"), so this one table
// drives the local gateway, each Lambda's handler and the CDK stack.
type Route struct {
	Method   string
	Path     string
	Function string // the Lambda function that serves it (functions/<Function>)
	Public   bool   // served without project credentials
	handle   handlerFunc
	// serve, when set instead of handle, writes its own response: for protocols that are not
	// Stytch-shaped (SCIM answers application/scim+json and authenticates by bearer token).
	serve func(s *Server, w http.ResponseWriter, r *http.Request)
}

// Function names, one per folder under functions/.
const (
	FunctionOrganizations = "organizations"
	FunctionSessions      = "sessions"
	FunctionMagicLinks    = "magiclinks"
	FunctionDiscovery     = "discovery"
	FunctionSCIM          = "scim"
	FunctionPasswords     = "passwords"
	FunctionMFA           = "mfa"
	FunctionSSO           = "sso"
	FunctionOAuth         = "oauth"
	FunctionWebhooks      = "webhooks"
)

// Routes is every route Latchkey serves.
var Routes = []Route{
	{"POST", "/v1/b2b/organizations", FunctionOrganizations, false, (*Server).createOrganization, nil},
	{"POST", "/v1/b2b/organizations/search", FunctionOrganizations, false, (*Server).searchOrganizations, nil},
	{"GET", "/v1/b2b/organizations/{organization_id}", FunctionOrganizations, false, (*Server).getOrganization, nil},
	{"PUT", "/v1/b2b/organizations/{organization_id}", FunctionOrganizations, false, (*Server).updateOrganization, nil},
	{"DELETE", "/v1/b2b/organizations/{organization_id}", FunctionOrganizations, false, (*Server).deleteOrganization, nil},

	{"POST", "/v1/b2b/organizations/{organization_id}/members", FunctionOrganizations, false, (*Server).createMember, nil},
	{"GET", "/v1/b2b/organizations/{organization_id}/member", FunctionOrganizations, false, (*Server).getMember, nil},
	{"PUT", "/v1/b2b/organizations/{organization_id}/members/{member_id}", FunctionOrganizations, false, (*Server).updateMember, nil},
	{"DELETE", "/v1/b2b/organizations/{organization_id}/members/{member_id}", FunctionOrganizations, false, (*Server).deleteMember, nil},
	{"PUT", "/v1/b2b/organizations/{organization_id}/members/{member_id}/reactivate", FunctionOrganizations, false, (*Server).reactivateMember, nil},
	{"POST", "/v1/b2b/organizations/{organization_id}/members/{member_id}/unlink_retired_email", FunctionOrganizations, false, (*Server).unlinkRetiredEmail, nil},
	// Served by the magic-links function: it emails a link, which only that function may send.
	{"POST", "/v1/b2b/organizations/{organization_id}/members/{member_id}/start_email_update", FunctionMagicLinks, false, (*Server).startEmailUpdate, nil},
	{"GET", "/v1/b2b/organizations/members/dangerously_get/{member_id}", FunctionOrganizations, false, (*Server).dangerouslyGetMember, nil},
	{"POST", "/v1/b2b/organizations/members/search", FunctionOrganizations, false, (*Server).searchMembers, nil},

	{"POST", "/v1/b2b/magic_links/email/login_or_signup", FunctionMagicLinks, false, (*Server).loginOrSignup, nil},
	{"POST", "/v1/b2b/magic_links/email/invite", FunctionMagicLinks, false, (*Server).invite, nil},
	{"POST", "/v1/b2b/magic_links/authenticate", FunctionMagicLinks, false, (*Server).authenticateMagicLink, nil},
	{"POST", "/v1/b2b/magic_links/email/discovery/send", FunctionMagicLinks, false, (*Server).discoverySend, nil},
	{"POST", "/v1/b2b/magic_links/discovery/authenticate", FunctionMagicLinks, false, (*Server).discoveryAuthenticate, nil},

	// Email one-time passcodes, served by the magic-links function: it holds the permission to
	// send email.
	{"POST", "/v1/b2b/otps/email/login_or_signup", FunctionMagicLinks, false, (*Server).otpLoginOrSignup, nil},
	{"POST", "/v1/b2b/otps/email/authenticate", FunctionMagicLinks, false, (*Server).otpAuthenticate, nil},
	{"POST", "/v1/b2b/otps/email/discovery/send", FunctionMagicLinks, false, (*Server).otpDiscoverySend, nil},
	{"POST", "/v1/b2b/otps/email/discovery/authenticate", FunctionMagicLinks, false, (*Server).otpDiscoveryAuthenticate, nil},

	// Passwords have their own function: hashing is CPU-bound, so it gets the memory (and with
	// it the CPU share) that keeps a hash fast, without paying for it on every other route. It
	// may send email (reset links).
	{"POST", "/v1/b2b/passwords/authenticate", FunctionPasswords, false, (*Server).passwordAuthenticate, nil},
	{"POST", "/v1/b2b/passwords/strength_check", FunctionPasswords, false, (*Server).passwordStrengthCheck, nil},
	{"POST", "/v1/b2b/passwords/migrate", FunctionPasswords, false, (*Server).passwordMigrate, nil},
	{"POST", "/v1/b2b/passwords/email/reset/start", FunctionPasswords, false, (*Server).passwordResetStart, nil},
	{"POST", "/v1/b2b/passwords/email/reset", FunctionPasswords, false, (*Server).passwordReset, nil},
	{"POST", "/v1/b2b/passwords/email/require_reset", FunctionPasswords, false, (*Server).passwordRequireReset, nil},
	{"POST", "/v1/b2b/passwords/existing_password/reset", FunctionPasswords, false, (*Server).passwordExistingReset, nil},
	{"POST", "/v1/b2b/passwords/session/reset", FunctionPasswords, false, (*Server).passwordSessionReset, nil},
	{"POST", "/v1/b2b/passwords/discovery/authenticate", FunctionPasswords, false, (*Server).passwordDiscoveryAuthenticate, nil},
	{"POST", "/v1/b2b/passwords/discovery/email/reset/start", FunctionPasswords, false, (*Server).passwordDiscoveryResetStart, nil},
	{"POST", "/v1/b2b/passwords/discovery/email/reset", FunctionPasswords, false, (*Server).passwordDiscoveryReset, nil},
	{"DELETE", "/v1/b2b/organizations/{organization_id}/members/passwords/{member_password_id}", FunctionPasswords, false, (*Server).deleteMemberPassword, nil},

	// Second factors have one function: TOTP, SMS codes (it alone may send SMS) and recovery
	// codes all redeem intermediate sessions through the pipeline.
	{"POST", "/v1/b2b/totp", FunctionMFA, false, (*Server).totpCreate, nil},
	{"POST", "/v1/b2b/totp/authenticate", FunctionMFA, false, (*Server).totpAuthenticate, nil},
	{"POST", "/v1/b2b/totp/migrate", FunctionMFA, false, (*Server).totpMigrate, nil},
	{"DELETE", "/v1/b2b/organizations/{organization_id}/members/{member_id}/totp", FunctionMFA, false, (*Server).deleteTOTP, nil},
	{"POST", "/v1/b2b/otps/sms/send", FunctionMFA, false, (*Server).smsSend, nil},
	{"POST", "/v1/b2b/otps/sms/authenticate", FunctionMFA, false, (*Server).smsAuthenticate, nil},
	{"DELETE", "/v1/b2b/organizations/{organization_id}/members/mfa_phone_numbers/{member_id}", FunctionMFA, false, (*Server).deleteMFAPhoneNumber, nil},
	{"GET", "/v1/b2b/recovery_codes/{organization_id}/{member_id}", FunctionMFA, false, (*Server).recoveryCodesGet, nil},
	{"POST", "/v1/b2b/recovery_codes/rotate", FunctionMFA, false, (*Server).recoveryCodesRotate, nil},
	{"POST", "/v1/b2b/recovery_codes/recover", FunctionMFA, false, (*Server).recoveryCodesRecover, nil},

	// Enterprise SSO: connection management with project credentials, the browser flow with
	// the public token (start) or the identity provider's own proof (the callback), and the
	// redemption of its token.
	{"POST", "/v1/b2b/sso/saml/{organization_id}", FunctionSSO, false, (*Server).createSAMLConnection, nil},
	{"PUT", "/v1/b2b/sso/saml/{organization_id}/connections/{connection_id}", FunctionSSO, false, (*Server).updateSAMLConnection, nil},
	{"PUT", "/v1/b2b/sso/saml/{organization_id}/connections/{connection_id}/url", FunctionSSO, false, (*Server).updateSAMLByURL, nil},
	{"DELETE", "/v1/b2b/sso/saml/{organization_id}/connections/{connection_id}/verification_certificates/{certificate_id}", FunctionSSO, false, (*Server).deleteSAMLVerificationCertificate, nil},
	{"DELETE", "/v1/b2b/sso/saml/{organization_id}/connections/{connection_id}/encryption_private_keys/{private_key_id}", FunctionSSO, false, (*Server).deleteSAMLEncryptionKey, nil},
	{"POST", "/v1/b2b/sso/oidc/{organization_id}", FunctionSSO, false, (*Server).createOIDCConnection, nil},
	{"PUT", "/v1/b2b/sso/oidc/{organization_id}/connections/{connection_id}", FunctionSSO, false, (*Server).updateOIDCConnection, nil},
	{"GET", "/v1/b2b/sso/{organization_id}", FunctionSSO, false, (*Server).getSSOConnections, nil},
	{"DELETE", "/v1/b2b/sso/{organization_id}/connections/{connection_id}", FunctionSSO, false, (*Server).deleteSSOConnection, nil},
	{"POST", "/v1/b2b/sso/authenticate", FunctionSSO, false, (*Server).ssoAuthenticate, nil},
	{"GET", "/v1/public/sso/start", FunctionSSO, true, nil, browser((*Server).ssoStart)},
	{"POST", "/v1/b2b/sso/callback/{connection_id}", FunctionSSO, true, nil, browser((*Server).ssoSAMLCallback)},
	{"GET", "/v1/b2b/sso/callback/{connection_id}", FunctionSSO, true, nil, browser((*Server).ssoOIDCCallback)},

	// OAuth login with Google and Microsoft: browser starts with the public token, Latchkey's
	// redirect URI at the provider, the redemptions, and the member's provider tokens.
	{"GET", "/v1/b2b/public/oauth/{provider}/start", FunctionOAuth, true, nil, browser(oauthStart(false))},
	{"GET", "/v1/b2b/public/oauth/{provider}/discovery/start", FunctionOAuth, true, nil, browser(oauthStart(true))},
	{"GET", "/v1/b2b/oauth/callback/{provider}", FunctionOAuth, true, nil, browser((*Server).oauthCallback)},
	{"POST", "/v1/b2b/oauth/authenticate", FunctionOAuth, false, (*Server).oauthAuthenticate, nil},
	{"POST", "/v1/b2b/oauth/discovery/authenticate", FunctionOAuth, false, (*Server).oauthDiscoveryAuthenticate, nil},
	{"GET", "/v1/b2b/organizations/{organization_id}/members/{member_id}/oauth_providers/{provider}", FunctionOAuth, false, (*Server).memberOAuthProvider, nil},

	// RBAC: the project's policy (configuration) and each organization's own roles.
	{"GET", "/v1/b2b/rbac/policy", FunctionOrganizations, false, (*Server).rbacPolicy, nil},
	{"GET", "/v1/b2b/rbac/organizations/{organization_id}", FunctionOrganizations, false, (*Server).getOrgPolicy, nil},
	{"PUT", "/v1/b2b/rbac/organizations/{organization_id}", FunctionOrganizations, false, (*Server).setOrgPolicy, nil},

	{"POST", "/v1/b2b/discovery/organizations", FunctionDiscovery, false, (*Server).discoveryOrganizations, nil},
	{"POST", "/v1/b2b/discovery/intermediate_sessions/exchange", FunctionDiscovery, false, (*Server).exchangeIntermediateSession, nil},
	{"POST", "/v1/b2b/discovery/organizations/create", FunctionDiscovery, false, (*Server).createOrganizationFromDiscovery, nil},

	{"POST", "/v1/b2b/sessions/authenticate", FunctionSessions, false, (*Server).authenticateSession, nil},
	{"GET", "/v1/b2b/sessions", FunctionSessions, false, (*Server).getSessions, nil},
	{"POST", "/v1/b2b/sessions/revoke", FunctionSessions, false, (*Server).revokeSession, nil},
	{"POST", "/v1/b2b/sessions/exchange", FunctionSessions, false, (*Server).exchangeSession, nil},
	// A session of the application's previous auth system, vouched for by its userinfo endpoint.
	{"POST", "/v1/b2b/sessions/migrate", FunctionSessions, false, (*Server).migrateSession, nil},
	// stytch-go fetches the JWKS without credentials when a client is created.
	{"GET", "/v1/b2b/sessions/jwks/{project_id}", FunctionSessions, true, (*Server).jwks, nil},

	// SCIM connection management, in Stytch's shape with project credentials.
	{"POST", "/v1/b2b/scim/{organization_id}/connection", FunctionSCIM, false, (*Server).createSCIMConnection, nil},
	{"GET", "/v1/b2b/scim/{organization_id}/connection", FunctionSCIM, false, (*Server).getSCIMConnection, nil},
	{"PUT", "/v1/b2b/scim/{organization_id}/connection/{connection_id}", FunctionSCIM, false, (*Server).updateSCIMConnection, nil},
	{"DELETE", "/v1/b2b/scim/{organization_id}/connection/{connection_id}", FunctionSCIM, false, (*Server).deleteSCIMConnection, nil},
	{"GET", "/v1/b2b/scim/{organization_id}/connection/{connection_id}", FunctionSCIM, false, (*Server).getSCIMGroups, nil},
	{"POST", "/v1/b2b/scim/{organization_id}/connection/{connection_id}/rotate/start", FunctionSCIM, false, (*Server).rotateSCIMStart, nil},
	{"POST", "/v1/b2b/scim/{organization_id}/connection/{connection_id}/rotate/complete", FunctionSCIM, false, (*Server).rotateSCIMComplete, nil},
	{"POST", "/v1/b2b/scim/{organization_id}/connection/{connection_id}/rotate/cancel", FunctionSCIM, false, (*Server).rotateSCIMCancel, nil},

	// Webhook endpoints, their replay, and the audit trail of events: Latchkey's own routes
	// (Stytch keeps webhooks in its dashboard), with project credentials.
	{"POST", "/v1/b2b/webhooks/endpoints", FunctionWebhooks, false, (*Server).createWebhookEndpoint, nil},
	{"GET", "/v1/b2b/webhooks/endpoints", FunctionWebhooks, false, (*Server).listWebhookEndpoints, nil},
	{"GET", "/v1/b2b/webhooks/endpoints/{endpoint_id}", FunctionWebhooks, false, (*Server).getWebhookEndpoint, nil},
	{"PUT", "/v1/b2b/webhooks/endpoints/{endpoint_id}", FunctionWebhooks, false, (*Server).updateWebhookEndpoint, nil},
	{"DELETE", "/v1/b2b/webhooks/endpoints/{endpoint_id}", FunctionWebhooks, false, (*Server).deleteWebhookEndpoint, nil},
	{"POST", "/v1/b2b/webhooks/endpoints/{endpoint_id}/rotate_secret", FunctionWebhooks, false, (*Server).rotateWebhookSecret, nil},
	{"POST", "/v1/b2b/webhooks/endpoints/{endpoint_id}/replay", FunctionWebhooks, false, (*Server).replayWebhookEvents, nil},
	{"GET", "/v1/b2b/events", FunctionWebhooks, false, (*Server).listEvents, nil},

	// The SCIM 2.0 server identity providers call. Public to the project check: each request
	// carries the connection's bearer token instead, checked in scimServe.
	{"GET", "/scim/v2/{connection_id}/Users", FunctionSCIM, true, nil, scimServe((*Server).scimListUsers)},
	{"POST", "/scim/v2/{connection_id}/Users", FunctionSCIM, true, nil, scimServe((*Server).scimCreateUser)},
	{"GET", "/scim/v2/{connection_id}/Users/{id}", FunctionSCIM, true, nil, scimServe((*Server).scimGetUser)},
	{"PUT", "/scim/v2/{connection_id}/Users/{id}", FunctionSCIM, true, nil, scimServe((*Server).scimReplaceUser)},
	{"PATCH", "/scim/v2/{connection_id}/Users/{id}", FunctionSCIM, true, nil, scimServe((*Server).scimPatchUser)},
	{"DELETE", "/scim/v2/{connection_id}/Users/{id}", FunctionSCIM, true, nil, scimServe((*Server).scimDeleteUser)},
	{"GET", "/scim/v2/{connection_id}/Groups", FunctionSCIM, true, nil, scimServe((*Server).scimListGroups)},
	{"POST", "/scim/v2/{connection_id}/Groups", FunctionSCIM, true, nil, scimServe((*Server).scimCreateGroup)},
	{"GET", "/scim/v2/{connection_id}/Groups/{id}", FunctionSCIM, true, nil, scimServe((*Server).scimGetGroup)},
	{"PUT", "/scim/v2/{connection_id}/Groups/{id}", FunctionSCIM, true, nil, scimServe((*Server).scimReplaceGroup)},
	{"PATCH", "/scim/v2/{connection_id}/Groups/{id}", FunctionSCIM, true, nil, scimServe((*Server).scimPatchGroup)},
	{"DELETE", "/scim/v2/{connection_id}/Groups/{id}", FunctionSCIM, true, nil, scimServe((*Server).scimDeleteGroup)},
	{"GET", "/scim/v2/{connection_id}/ServiceProviderConfig", FunctionSCIM, true, nil, scimServe((*Server).scimServiceProviderConfig)},
	{"GET", "/scim/v2/{connection_id}/ResourceTypes", FunctionSCIM, true, nil, scimServe((*Server).scimResourceTypes)},
	{"GET", "/scim/v2/{connection_id}/ResourceTypes/{id}", FunctionSCIM, true, nil, scimServe((*Server).scimResourceType)},
	{"GET", "/scim/v2/{connection_id}/Schemas", FunctionSCIM, true, nil, scimServe((*Server).scimSchemas)},
	{"GET", "/scim/v2/{connection_id}/Schemas/{id}", FunctionSCIM, true, nil, scimServe((*Server).scimSchema)},
}

// Functions lists the function names that own at least one route, in table order.
func Functions() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range Routes {
		if !seen[r.Function] {
			seen[r.Function] = true
			out = append(out, r.Function)
		}
	}
	return out
}
