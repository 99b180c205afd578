package otp

import (
	"context"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
)

// Kinds of code.
const (
	KindLogin     = "login"
	KindSignup    = "signup"
	KindDiscovery = "discovery"
	// KindEmailUpdate proves a member's new address (Members.StartEmailUpdate by EMAIL_OTP).
	KindEmailUpdate = "email_update"
)

// Code is a mailed one-time code (authn.Code).
type Code = authn.Code

// Bounds, as Stytch documents them for email OTPs: valid 10 minutes by default, 2 to 15.
// Stytch does not publish its number of tries; Latchkey allows five.
const (
	DefaultMinutes = 10
	MinMinutes     = 2
	MaxMinutes     = 15
	MaxAttempts    = 5
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
func WellFormed(code string) bool { return authn.WellFormedCode(code) }

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

// NewCode draws a code and returns it with its salt and hash (authn.NewCode).
func NewCode() (code, salt, hash string) { return authn.NewCode() }

func malformed() *latchkey.Error { return authn.InvalidCode() }

// NotFound covers unknown, wrong, used, expired and exhausted codes alike, so a caller learns
// nothing about which it was.
func NotFound() *latchkey.Error { return authn.CodeNotFound() }

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
