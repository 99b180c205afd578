package otp

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/secret"
)

// Kinds of code.
const (
	KindLogin     = "login"
	KindSignup    = "signup"
	KindDiscovery = "discovery"
	// KindEmailUpdate proves a member's new address (Members.StartEmailUpdate by EMAIL_OTP).
	KindEmailUpdate = "email_update"
)

// Code is a mailed one-time code, stored by a salted hash of its digits. There is one per
// organization and email (or per email for discovery): a new one replaces the last.
type Code struct {
	Kind           string
	OrganizationID string // "" for discovery
	MemberID       string
	Email          string
	CodeHash       string
	Salt           string
	Attempts       int
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// Bounds, as Stytch documents them for email OTPs: valid 10 minutes by default, 2 to 15.
// Stytch does not publish its number of tries; Latchkey allows five.
const (
	DefaultMinutes = 10
	MinMinutes     = 2
	MaxMinutes     = 15
	MaxAttempts    = 5
	digits         = 6
)

// Expiry validates an *_expiration_minutes value (0 means the default).
func Expiry(field string, minutes int) (time.Duration, error) {
	if minutes == 0 {
		minutes = DefaultMinutes
	}
	if minutes < MinMinutes || minutes > MaxMinutes {
		return 0, latchkey.BadRequest("invalid_"+field, "%s must be between %d and %d.", field, MinMinutes, MaxMinutes)
	}
	return time.Duration(minutes) * time.Minute, nil
}

// NewCode draws six uniform digits and returns them with their salt and hash. The salt is
// random per code, so equal codes never share a hash; six digits stay guessable offline from
// a hash, which is why tries are counted and the table itself must stay private.
func NewCode() (code, salt, hash string) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	code = fmt.Sprintf("%0*d", digits, n.Int64())
	salt, _ = secret.New()
	return code, salt, hashCode(salt, code)
}

func hashCode(salt, code string) string { return secret.Hash(salt + ":" + code) }

// Matches compares code with c's hash in constant time.
func (c Code) Matches(code string) bool {
	return len(code) == digits && secret.Equal(hashCode(c.Salt, code), c.CodeHash)
}

// NotFound covers unknown, wrong, used, expired and exhausted codes alike, so a caller learns
// nothing about which it was.
func NotFound() *latchkey.Error {
	return latchkey.Errorf(http.StatusNotFound, "otp_code_not_found",
		"The one-time passcode could not be authenticated: it is wrong, expired, already used or out of tries.")
}

// Store is what email codes need persisted, besides what the pipeline needs.
type Store interface {
	authn.Store
	latchkey.Counter
	// PutCode stores c, replacing any earlier code for the same organization and email; an
	// email update's code reserves its address for the member in the same write, and fails
	// (Conflict on email) while another member's update holds it.
	PutCode(ctx context.Context, c Code) error
	// TryCode counts one try at the code and returns it; a used, expired or exhausted code is
	// ErrNotFound.
	TryCode(ctx context.Context, orgID, email string, now time.Time) (Code, error)
	// DeleteCode removes a code nobody received, and an email update's reservation with it.
	DeleteCode(ctx context.Context, c Code) error
}
