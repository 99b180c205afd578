package authn

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	latchkey "github.com/latchkey/latchkey/shared"
)

// Session is a member session, in Stytch's MemberSession shape.
type Session struct {
	MemberSessionID       string                `json:"member_session_id"`
	MemberID              string                `json:"member_id"`
	OrganizationID        string                `json:"organization_id"`
	OrganizationSlug      string                `json:"organization_slug"`
	StartedAt             time.Time             `json:"started_at"`
	LastAccessedAt        time.Time             `json:"last_accessed_at"`
	ExpiresAt             time.Time             `json:"expires_at"`
	Roles                 []string              `json:"roles"`
	CustomClaims          map[string]any        `json:"custom_claims"`
	AuthenticationFactors []latchkey.AuthFactor `json:"authentication_factors"`

	// TokenHash is the key of the session: the SHA-256 of its token.
	TokenHash string `json:"-"`
}

// Session lifetimes, as Stytch bounds them.
const (
	DefaultSessionMinutes = 60
	MaxSessionMinutes     = 525600
	MinSessionMinutes     = 5
)

// SessionDuration validates session_duration_minutes (0 means the default).
func SessionDuration(minutes int) (time.Duration, error) {
	if minutes == 0 {
		minutes = DefaultSessionMinutes
	}
	if minutes < MinSessionMinutes || minutes > MaxSessionMinutes {
		return 0, latchkey.BadRequest("invalid_session_duration", "session_duration_minutes must be between %d and %d.", MinSessionMinutes, MaxSessionMinutes)
	}
	return time.Duration(minutes) * time.Minute, nil
}

// Session tokens carry the organization and member they belong to next to 256 random bits,
// so authenticating one reads the session, the member and the organization in a single
// BatchGetItem. Only the hash of the whole token is stored; the ids in it are not secrets.
const sessionTokenBytes = 16 + 16 + 32

// NewSessionToken returns a token for a member of an organization.
func NewSessionToken(orgID, memberID string) (string, error) {
	ou, err := latchkey.UUIDOf(orgID)
	if err != nil {
		return "", err
	}
	mu, err := latchkey.UUIDOf(memberID)
	if err != nil {
		return "", err
	}
	b := make([]byte, 0, sessionTokenBytes)
	b = append(append(b, ou[:]...), mu[:]...)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	return base64.RawURLEncoding.EncodeToString(append(b, secret...)), nil
}

// ParseSessionToken recovers the ids a session token names; anything malformed is not found.
func ParseSessionToken(i latchkey.IDs, token string) (orgID, memberID string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != sessionTokenBytes {
		return "", "", SessionNotFound()
	}
	ou, _ := uuid.FromBytes(b[:16])
	mu, _ := uuid.FromBytes(b[16:32])
	return "organization-" + i.Env + "-" + ou.String(), "member-" + i.Env + "-" + mu.String(), nil
}

// SessionNotFound is the error for an unknown, expired or revoked session.
func SessionNotFound() *latchkey.Error {
	return latchkey.Errorf(http.StatusNotFound, "session_not_found", "Session could not be found.")
}

// SessionRef is what a verified session JWT says about its session.
type SessionRef struct {
	SessionID      string
	MemberID       string
	OrganizationID string
}

// SessionJWTs issues and verifies session JWTs; shared/tokens implements it.
type SessionJWTs interface {
	// Issue returns a JWT for a session the caller has just read or written. It may answer
	// one it signed moments ago for the same session and claims (shared/tokens.JWTReuse).
	Issue(ctx context.Context, s Session, now time.Time) (string, error)
	Verify(ctx context.Context, jwt string) (SessionRef, error)
	// Forget drops what Issue keeps for these sessions, which are being revoked.
	Forget(memberSessionIDs ...string)
}

var reservedClaims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti"}

// ValidateCustomClaims refuses claims that would collide with the ones Latchkey sets.
func ValidateCustomClaims(c map[string]any) error {
	for k := range c {
		if slices.Contains(reservedClaims, k) || strings.HasPrefix(k, "https://stytch.com/") {
			return latchkey.BadRequest("invalid_session_custom_claims", "session_custom_claims may not set the reserved claim %q.", k)
		}
	}
	return latchkey.ValidateMetadata("session_custom_claims", c)
}
