package main

// Dynamic is one error-building site whose error_type is not a constant: a prefix plus a field
// name, a variable, a parameter passed on. It is matched by file, enclosing function and the
// error_type expression as written, never by line, so an edit above it does not break the
// match. The test fails for a site no entry covers, and for an entry that matches no site.
type Dynamic struct {
	File, Func, Expr string
	// Types are what the expression takes, by reading the callers or the table it ranges over.
	// When a caller gains a new field, add its type here.
	Types []string
	// FromCalls takes the types from the constant first arguments of every call to a helper,
	// as "dir.func" (pwhash's bad: each ImportError.Type that Migrate passes on), and from the
	// entries whose Helper names it.
	FromCalls string
	// Helper marks an entry that covers a call to that helper ("dir.func") with a non-constant
	// type, rather than an error-building site.
	Helper string
	// FromMap takes the types from the values of the map literal assigned to this variable in
	// the same function.
	FromMap string
	// Forward marks a constructor that passes its caller's type and status on (Errorf,
	// BadRequest): the type is counted where the constructor is called.
	Forward bool
}

var dynamicTypes = []Dynamic{
	// The constructors themselves.
	{File: "shared/errors.go", Func: "Errorf", Expr: "errType", Forward: true},
	{File: "shared/errors.go", Func: "BadRequest", Expr: "errType", Forward: true},
	{File: "shared/scim/scim.go", Func: "Errorf", Expr: "scimType", Forward: true},
	{File: "shared/scim/scim.go", Func: "badRequest", Expr: "scimType", Forward: true},
	// A domain error answered on a SCIM route: its status (or 409 uniqueness) as a SCIM error.
	{File: "shared/api/scim.go", Func: "writeSCIMError", Expr: `""`, Forward: true},

	{File: "shared/validate.go", Func: "invalidDocument", Expr: "errType",
		Types: []string{"invalid_metadata", "invalid_session_custom_claims"}},
	{File: "shared/passwords/migrate.go", Func: "Service.Migrate", Expr: "ie.Type", FromCalls: "shared/pwhash.bad"},
	{File: "shared/pwhash/import.go", Func: "importDigest", Expr: `"invalid_" + stytchName + "_hash"`, Helper: "shared/pwhash.bad",
		Types: []string{"invalid_md_5_hash", "invalid_sha_1_hash", "invalid_sha_512_hash"}},
	{File: "shared/sso/flow.go", Func: "samlErr", Expr: "t", FromMap: "types"},
	{File: "shared/sso/flow.go", Func: "Service.complete", Expr: `"unsolicited_" + c.Protocol + "_response"`,
		Types: []string{"unsolicited_oidc_response", "unsolicited_saml_response"}},

	// Organization settings: one type per field of the enum and list tables in Validate.
	{File: "shared/organization.go", Func: "Organization.Validate", Expr: `"invalid_" + e.field`,
		Types: []string{"invalid_sso_jit_provisioning", "invalid_email_jit_provisioning", "invalid_email_invites",
			"invalid_auth_methods", "invalid_mfa_policy", "invalid_mfa_methods", "invalid_oauth_tenant_jit_provisioning",
			"invalid_first_party_connected_apps_allowed_type", "invalid_third_party_connected_apps_allowed_type"}},
	{File: "shared/organization.go", Func: "Organization.Validate", Expr: `"invalid_" + l.field`,
		Types: []string{"invalid_sso_jit_provisioning_allowed_connections", "invalid_allowed_first_party_connected_apps",
			"invalid_allowed_third_party_connected_apps"}},
	{File: "shared/organization.go", Func: "validateList", Expr: `"invalid_" + field`,
		Types: []string{"invalid_allowed_auth_methods", "invalid_allowed_mfa_methods"}},
	{File: "shared/organization.go", Func: "validateDomains", Expr: `"invalid_" + field`,
		Types: []string{"invalid_email_allowed_domains", "invalid_claimed_email_domains"}},

	// Search: parseQuery's prefix is organization_search or member_search.
	{File: "shared/orgs/search.go", Func: "parseQuery", Expr: `prefix + "_too_many_operands"`,
		Types: []string{"organization_search_too_many_operands", "member_search_too_many_operands"}},
	{File: "shared/orgs/search.go", Func: "parseQuery", Expr: `prefix + "_filter_name_not_recognized"`,
		Types: []string{"organization_search_filter_name_not_recognized", "member_search_filter_name_not_recognized"}},
	{File: "shared/orgs/search.go", Func: "parseQuery", Expr: `prefix + "_missing_filter_value"`,
		Types: []string{"organization_search_missing_filter_value", "member_search_missing_filter_value"}},
	{File: "shared/orgs/search.go", Func: "parseQuery", Expr: `prefix + "_expected_array_of_strings"`,
		Types: []string{"organization_search_expected_array_of_strings", "member_search_expected_array_of_strings"}},
	{File: "shared/orgs/search.go", Func: "parseQuery", Expr: `prefix + "_expected_string"`,
		Types: []string{"organization_search_expected_string", "member_search_expected_string"}},
	{File: "shared/orgs/search.go", Func: "parseQuery", Expr: `prefix + "_fuzzy_too_short"`,
		Types: []string{"organization_search_fuzzy_too_short", "member_search_fuzzy_too_short"}},
	{File: "shared/orgs/search.go", Func: "parseQuery", Expr: `prefix + "_expected_boolean"`,
		Types: []string{"organization_search_expected_boolean", "member_search_expected_boolean"}},

	// Redirect URLs. Resolve's field comes from magiclink and passwords; ResolveFor's flow and
	// kind from oauth (discovery, login, signup) and sso (login, signup).
	{File: "shared/authn/links.go", Func: "Redirects.Resolve", Expr: `"invalid_" + field`,
		Types: []string{"invalid_login_redirect_url", "invalid_signup_redirect_url", "invalid_invite_redirect_url",
			"invalid_discovery_redirect_url", "invalid_reset_password_redirect_url"}},
	{File: "shared/authn/links.go", Func: "Redirects.ResolveFor", Expr: `"no_default_" + kind + "_redirect_url_set"`,
		Types: []string{"no_default_discovery_redirect_url_set", "no_default_login_redirect_url_set",
			"no_default_signup_redirect_url_set"}},
	{File: "shared/authn/links.go", Func: "Redirects.ResolveFor", Expr: `"no_match_for_provided_" + flow + "_url"`,
		Types: []string{"no_match_for_provided_oauth_url", "no_match_for_provided_sso_url"}},
	{File: "shared/authn/links.go", Func: "Redirects.ResolveFor", Expr: `"invalid_" + kind + "_" + flow + "_url"`,
		Types: []string{"invalid_discovery_oauth_url", "invalid_login_oauth_url", "invalid_signup_oauth_url",
			"invalid_login_sso_url", "invalid_signup_sso_url"}},

	// Link and code lifetimes: magiclink's LinkExpiry and otp's Expiry.
	{File: "shared/magiclink/token.go", Func: "LinkExpiry", Expr: `"invalid_" + field`,
		Types: []string{"invalid_login_expiration_minutes", "invalid_signup_expiration_minutes",
			"invalid_invite_expiration_minutes", "invalid_discovery_expiration_minutes"}},
	{File: "shared/otp/code.go", Func: "Expiry", Expr: `"invalid_" + field`,
		Types: []string{"invalid_login_expiration_minutes", "invalid_signup_expiration_minutes",
			"invalid_discovery_expiration_minutes"}},

	// SSO connection URLs and certificates.
	{File: "shared/sso/connection.go", Func: "Connection.validate", Expr: `"invalid_" + u.field`,
		Types: []string{"invalid_idp_sso_url", "invalid_issuer", "invalid_authorization_url", "invalid_token_url",
			"invalid_userinfo_url", "invalid_jwks_url", "invalid_alternative_acs_url"}},
	{File: "shared/sso/admin.go", Func: "Service.UpdateOIDC", Expr: `"invalid_" + u.field`,
		Types: []string{"invalid_issuer", "invalid_authorization_url", "invalid_token_url", "invalid_userinfo_url",
			"invalid_jwks_url"}},
	// parseCert's other caller passes "signing_certificate" for the certificate Latchkey itself
	// generated, and answers a failure as internal_server_error: only this one reaches a client.
	{File: "shared/sso/connection.go", Func: "parseCert", Expr: `"invalid_" + field`,
		Types: []string{"invalid_x509_certificate"}},
}

// multiStatus lists the error_types deliberately emitted with more than one status, and why.
// Any other type emitted with two statuses fails the test.
var multiStatus = map[string]string{
	"internal_server_error": "500 for an unexpected failure (Internal), 503 when DynamoDB or SES could not be reached " +
		"(Unavailable), so a client knows a retry may succeed.",
}
