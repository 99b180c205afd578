package oidcrp

import (
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Identity is who logged in, as the IdP asserted it, with the tokens it issued.
type Identity struct {
	// Subject and Issuer together identify the user at the IdP; only the pair is unique.
	Subject, Issuer string
	// TenantID is the verified ID token's tid claim (Microsoft's tenant), "" when it has none.
	// Under a tenant template issuer, Issuer already names this tenant. Microsoft's guidance is
	// to key users on tid with sub or oid, never on email or preferred_username.
	TenantID string
	Email    string
	// EmailVerified is nil when the IdP does not say. Some IdPs (Cognito, older Entra ID) send
	// the strings "true"/"false"; those count.
	EmailVerified               *bool
	Name, GivenName, FamilyName string
	// Claims are the ID token's claims, with userinfo's added where the ID token lacks them.
	// Numbers are json.Number.
	Claims                             map[string]any
	AccessToken, RefreshToken, IDToken string
	// Expiry is the access token's.
	Expiry time.Time
	// Scopes are those granted: the token response's scope, or the requested ones when it has
	// none (RFC 6749 §5.1).
	Scopes []string
}

// Claim is a claim's string value for attribute mapping, "" when it is absent or not a string.
func (id Identity) Claim(name string) string {
	s, _ := id.Claims[name].(string)
	return s
}

// ClaimList is a claim as a list of strings, for groups and roles: a JSON array's string
// elements (others are skipped), or a single string as a list of one. A single string is not
// split, since IdPs differ on separators and group names can hold spaces and commas.
func (id Identity) ClaimList(name string) []string {
	return stringList(id.Claims[name])
}

func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func boolClaim(v any) *bool {
	var b bool
	switch v := v.(type) {
	case bool:
		b = v
	case string:
		switch strings.ToLower(v) {
		case "true":
			b = true
		case "false":
			b = false
		default:
			return nil
		}
	default:
		return nil
	}
	return &b
}

// NewVerifier returns a fresh random value (32 bytes, base64url) for a PKCE code verifier, and
// equally for state and nonce.
func NewVerifier() string { return oauth2.GenerateVerifier() }
