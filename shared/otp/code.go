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
	// MaxDailyFailures bounds wrong tries per address per day, across all its codes, in every
	// organization: a code proves the address everywhere, and a fresh code would otherwise
	// bring five fresh tries. Once reached, no code is sent to the address until the day ends.
	MaxDailyFailures = 10
)

// failures is the per-address, per-day ledger of wrong tries.
func failures(email string, checkOnly bool) latchkey.RateCounter {
	return latchkey.RateCounter{Key: "otpfail#" + email, Window: 24 * time.Hour, Limit: MaxDailyFailures, CheckOnly: checkOnly}
}

// WellFormed tells whether code has the shape of a code: exactly six digits.
func WellFormed(code string) bool {
	if len(code) != digits {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

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
	return WellFormed(code) && secret.Equal(hashCode(c.Salt, code), c.CodeHash)
}

func malformed() *latchkey.Error {
	return latchkey.BadRequest("invalid_code", "code must be six digits.")
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
