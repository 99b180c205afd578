// Package oidcrp is the OpenID Connect relying party for one OIDC connection: an
// organization's own IdP, and later the Google and Microsoft logins. It runs the authorization
// code flow with state, nonce and PKCE (S256), redeems the code, verifies the ID token and reads
// userinfo.
//
// It is stateless: a Client is plain configuration, and state, nonce and the PKCE verifier are
// made by the caller (NewVerifier), kept by the caller between the redirect and the callback,
// and handed back to Exchange. The caller also checks state itself. The only state it can hold
// is opt-in and shared between logins: a KeyCache (Client.Keys) for JWKS keys and a
// DiscoveryCache (DiscoverCached) for discovery documents.
//
// Every request goes through the *http.Client the caller passes, which in Latchkey is the
// SSRF-safe client: an organization admin chooses the issuer, so every URL here is
// attacker-controlled. A nil client is refused rather than replaced by http.DefaultClient.
//
// The package is a leaf: it imports nothing of Latchkey and nothing of AWS.
package oidcrp

import (
	"fmt"
	"io"
)

// Reasons are a public contract: callers map them to Stytch error types and log them. Append
// new ones; never rename or reuse one.
const (
	// ReasonDiscovery: the discovery document could not be fetched or read, its issuer is not
	// the configured one, or it lacks a required endpoint.
	ReasonDiscovery = "discovery"
	// ReasonTokenExchange: the token endpoint refused the code (bad or reused code, wrong PKCE
	// verifier, wrong client credentials) or could not be reached.
	ReasonTokenExchange = "token_exchange"
	// ReasonIDToken: the token response has no ID token, or the ID token fails a check:
	// signature against the JWKS, iss, aud/azp, exp/iat/nbf, at_hash, sub present, and under a
	// tenant template issuer, tid a GUID that fills the template into iss.
	ReasonIDToken = "id_token"
	// ReasonNonce: the ID token's nonce is not the one sent with the authorization request.
	ReasonNonce = "nonce"
	// ReasonUserinfo: the userinfo endpoint failed or answered something unreadable.
	ReasonUserinfo = "userinfo"
	// ReasonSubjectMismatch: userinfo describes a different subject than the ID token
	// (OIDC Core 5.3.2: the userinfo response must then not be used).
	ReasonSubjectMismatch = "subject_mismatch"
)

// Error is the one error this package returns. Reason is stable and safe to show; Cause is for
// the log only, since it can echo what a tenant's IdP answered.
type Error struct {
	Reason string
	Cause  error
}

func (e *Error) Error() string {
	if e.Cause == nil {
		return "oidcrp: " + e.Reason
	}
	return fmt.Sprintf("oidcrp: %s: %v", e.Reason, e.Cause)
}

func (e *Error) Unwrap() error { return e.Cause }

func fail(reason string, format string, args ...any) *Error {
	return &Error{Reason: reason, Cause: fmt.Errorf(format, args...)}
}

// maxBody bounds what is read from the IdP (discovery, userinfo). x/oauth2 applies the same
// 1 MiB bound to token responses; go-oidc reads JWKS unbounded, so the caller's client should
// carry a timeout.
const maxBody = 1 << 20

func readBody(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("response larger than %d bytes", maxBody)
	}
	return b, nil
}
