package authn

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/secret"
)

// One-time codes (email and SMS) share their shape, their hashing and their answers.

// Code is a one-time code sent by email or SMS, stored by a salted hash of its digits. There
// is one per organization and email (or per email for discovery, or per member for SMS): a new
// one replaces the last.
type Code struct {
	Kind           string
	OrganizationID string // "" for discovery
	MemberID       string
	Email          string
	// Phone is the number an SMS code was sent to: linked to the member only once the code
	// proves it.
	Phone     string `dynamo:",omitempty"`
	CodeHash  string
	Salt      string
	Attempts  int
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CodeDigits is the length of every one-time code.
const CodeDigits = 6

// WellFormedCode tells whether code has the shape of a code: exactly six digits.
func WellFormedCode(code string) bool {
	if len(code) != CodeDigits {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// NewCode draws six uniform digits and returns them with their salt and hash. The salt is
// random per code, so equal codes never share a hash; six digits stay guessable offline from
// a hash, which is why tries are counted and the table itself must stay private.
func NewCode() (code, salt, hash string) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	code = fmt.Sprintf("%0*d", CodeDigits, n.Int64())
	salt, _ = secret.New()
	return code, salt, hashCode(salt, code)
}

func hashCode(salt, code string) string { return secret.Hash(salt + ":" + code) }

// Matches compares code with c's hash in constant time.
func (c Code) Matches(code string) bool {
	return WellFormedCode(code) && secret.Equal(hashCode(c.Salt, code), c.CodeHash)
}

// InvalidCode answers a code that is not six digits.
func InvalidCode() *latchkey.Error {
	return latchkey.BadRequest("invalid_code", "code must be six digits.")
}

// NotFound covers unknown, wrong, used, expired and exhausted codes alike, so a caller learns
// nothing about which it was.
func CodeNotFound() *latchkey.Error {
	return latchkey.Errorf(http.StatusNotFound, "otp_code_not_found",
		"The one-time passcode could not be authenticated: it is wrong, expired, already used or out of tries.")
}
