package latchkey

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Kinds of emailed token.
const (
	TokenLogin     = "login"
	TokenSignup    = "signup"
	TokenInvite    = "invite"
	TokenDiscovery = "discovery"
	// TokenEmailUpdate proves a member's new address (Members.StartEmailUpdate).
	TokenEmailUpdate = "email_update"
)

// MagicToken is an emailed single-use token, stored by the hash of its value.
type MagicToken struct {
	Hash           string
	Kind           string
	OrganizationID string
	MemberID       string
	Email          string
	PKCEChallenge  string
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// Expiry bounds for emailed links, in minutes, as Stytch's.
const (
	DefaultLoginMinutes  = 60
	DefaultInviteMinutes = 7 * 24 * 60
	MinLinkMinutes       = 5
	MaxLinkMinutes       = 7 * 24 * 60
)

// LinkExpiry validates an *_expiration_minutes value (0 means def).
func LinkExpiry(field string, minutes, def int) (time.Duration, error) {
	if minutes == 0 {
		minutes = def
	}
	if minutes < MinLinkMinutes || minutes > MaxLinkMinutes {
		return 0, badRequest("invalid_"+field, "%s must be between %d and %d.", field, MinLinkMinutes, MaxLinkMinutes)
	}
	return time.Duration(minutes) * time.Minute, nil
}

// MagicLinkNotFound covers unknown, used and expired tokens alike, so a caller learns nothing
// about which tokens ever existed.
func MagicLinkNotFound() *Error {
	return Errorf(http.StatusNotFound, "magic_link_not_found", "The magic link could not be authenticated: it is invalid, expired or already used.")
}

// CheckPKCE verifies a code verifier against the challenge sent with the email (S256).
func CheckPKCE(challenge, verifier string) error {
	switch {
	case challenge == "" && verifier == "":
		return nil
	case challenge == "":
		return badRequest("pkce_did_not_expect_code_verifier", "This magic link was sent without a PKCE code challenge.")
	case verifier == "":
		return badRequest("pkce_expected_code_verifier", "This magic link needs the PKCE code verifier.")
	}
	sum := sha256.Sum256([]byte(verifier))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
		return badRequest("pkce_mismatch", "The PKCE code verifier does not match the code challenge.")
	}
	return nil
}

// ValidatePKCEChallenge checks the shape of a code challenge: base64url of a SHA-256.
func ValidatePKCEChallenge(c string) error {
	if c == "" {
		return nil
	}
	if b, err := base64.RawURLEncoding.DecodeString(c); err != nil || len(b) != sha256.Size {
		return badRequest("invalid_pkce_code_challenge", "pkce_code_challenge must be the base64url SHA-256 of the code verifier.")
	}
	return nil
}

// Redirects is the allow-list of redirect URLs a magic link may point to. A pattern is a URL;
// port "*" matches any port, a path ending in "/*" matches that prefix, and a pattern with no
// path matches every path on its origin.
type Redirects struct {
	Patterns []string
	Default  string // used when a request names no redirect URL
}

// Resolve validates a requested redirect URL, or returns the default.
func (r Redirects) Resolve(field, requested string) (string, error) {
	if requested == "" {
		if r.Default == "" {
			return "", badRequest("no_login_redirect_urls_set", "No %s was given and no default redirect URL is configured.", field)
		}
		requested = r.Default
	}
	u, err := url.Parse(requested)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return "", badRequest("invalid_"+field, "%s must be an absolute http(s) URL.", field)
	}
	for _, p := range r.Patterns {
		if redirectMatches(p, u) {
			return requested, nil
		}
	}
	return "", badRequest("no_match_for_provided_magic_link_url",
		"%s is not in the allowed redirect URLs (LATCHKEY_REDIRECT_URLS).", field)
}

func redirectMatches(pattern string, u *url.URL) bool {
	p, err := url.Parse(strings.Replace(pattern, ":*", ":0", 1))
	if err != nil || p.Scheme != u.Scheme || p.Hostname() != u.Hostname() {
		return false
	}
	if strings.Contains(pattern, ":*") {
		// any port
	} else if p.Port() != u.Port() {
		return false
	}
	switch {
	case p.Path == "" || p.Path == "/*":
		return true
	case strings.HasSuffix(p.Path, "/*"):
		return strings.HasPrefix(u.Path, strings.TrimSuffix(p.Path, "*"))
	}
	return p.Path == u.Path
}

// LinkURL builds the URL the email carries.
func LinkURL(redirect, tokenType, token string) string {
	u, _ := url.Parse(redirect)
	q := u.Query()
	q.Set("stytch_token_type", tokenType)
	q.Set("token", token)
	u.RawQuery = q.Encode()
	return u.String()
}
