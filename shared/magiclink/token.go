package magiclink

import (
	"net/http"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
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

// Token is an emailed single-use token; Redirects the allow-list its links point into.
type (
	Token     = authn.EmailToken
	Redirects = authn.Redirects
)

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
