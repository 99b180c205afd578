package magiclink

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
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

// Token is an emailed single-use token, stored by the hash of its value.
type Token struct {
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
		return 0, latchkey.BadRequest("invalid_"+field, "%s must be between %d and %d.", field, MinLinkMinutes, MaxLinkMinutes)
	}
	return time.Duration(minutes) * time.Minute, nil
}

// MagicLinkNotFound covers unknown, used and expired tokens alike, so a caller learns nothing
// about which tokens ever existed.
func MagicLinkNotFound() *latchkey.Error {
	return latchkey.Errorf(http.StatusNotFound, "magic_link_not_found", "The magic link could not be authenticated: it is invalid, expired or already used.")
}

// CheckPKCE verifies a code verifier against the challenge sent with the email (S256).
func CheckPKCE(challenge, verifier string) error {
	switch {
	case challenge == "" && verifier == "":
		return nil
	case challenge == "":
		return latchkey.BadRequest("pkce_did_not_expect_code_verifier", "This magic link was sent without a PKCE code challenge.")
	case verifier == "":
		return latchkey.BadRequest("pkce_expected_code_verifier", "This magic link needs the PKCE code verifier.")
	}
	sum := sha256.Sum256([]byte(verifier))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
		return latchkey.BadRequest("pkce_mismatch", "The PKCE code verifier does not match the code challenge.")
	}
	return nil
}

// ValidatePKCEChallenge checks the shape of a code challenge: base64url of a SHA-256.
func ValidatePKCEChallenge(c string) error {
	if c == "" {
		return nil
	}
	if b, err := base64.RawURLEncoding.DecodeString(c); err != nil || len(b) != sha256.Size {
		return latchkey.BadRequest("invalid_pkce_code_challenge", "pkce_code_challenge must be the base64url SHA-256 of the code verifier.")
	}
	return nil
}
