// Package sso is enterprise single sign-on: each organization's SAML 2.0 and OpenID Connect
// connections, the browser flow through the organization's identity provider, and the
// redemption of its single-use token through the one door (authn.Login).
//
// The flow has three legs. Start (a browser GET with the project's public token) writes a
// short-lived state item and redirects to the provider: a signed SAML AuthnRequest, or an
// OIDC authorization request with state, nonce and PKCE. The callback (the provider's POST of
// a SAMLResponse, or its redirect with an OIDC code) verifies everything a relying party must,
// consumes the state and the assertion id in one transaction with a new single-use SSO token,
// and redirects to the application with stytch_token_type=sso. Authenticate (a server call)
// redeems that token: the member is found by the asserted email or provisioned as the
// organization's sso_jit_provisioning allows, its sso_registrations record the provider's
// subject, and MFA still applies.
//
// What a provider asserts is trusted only inside the organization that configured it (see
// latchkey.FactorSAML): its factor never proves an address anywhere else.
package sso
