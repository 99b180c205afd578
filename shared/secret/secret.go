// Package secret makes and checks the secrets Latchkey hands out (project secrets, magic-link,
// session, intermediate-session and SCIM tokens). They are shown once and stored only as
// SHA-256 hashes.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
)

// Bytes of randomness in every token: 256 bits.
const entropyBytes = 32

// New returns a fresh random token (base64url, 43 characters) and its hash.
func New() (token, hash string) {
	b := make([]byte, entropyBytes)
	// crypto/rand.Read never fails on supported platforms (Go 1.24+ panics instead).
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, Hash(token)
}

// Hash is the at-rest form of a token: hex SHA-256. Tokens carry 256 bits of entropy, so an
// unsalted fast hash is enough; it lets a token be looked up by its hash as a key.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Equal compares two secrets (or hashes) in constant time.
func Equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// LastFour is what may be shown of a secret after it was issued.
func LastFour(token string) string {
	if len(token) < 4 {
		return ""
	}
	return token[len(token)-4:]
}
