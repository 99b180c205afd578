package latchkey

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Session is a member session, in Stytch's MemberSession shape.
type Session struct {
	MemberSessionID       string         `json:"member_session_id"`
	MemberID              string         `json:"member_id"`
	OrganizationID        string         `json:"organization_id"`
	OrganizationSlug      string         `json:"organization_slug"`
	StartedAt             time.Time      `json:"started_at"`
	LastAccessedAt        time.Time      `json:"last_accessed_at"`
	ExpiresAt             time.Time      `json:"expires_at"`
	Roles                 []string       `json:"roles"`
	CustomClaims          map[string]any `json:"custom_claims"`
	AuthenticationFactors []AuthFactor   `json:"authentication_factors"`

	// TokenHash is the key of the session: the SHA-256 of its token.
	TokenHash string `json:"-"`
}

// AuthFactor is one way the person proved who they are during the session.
type AuthFactor struct {
	Type                string       `json:"type"`
	DeliveryMethod      string       `json:"delivery_method"`
	LastAuthenticatedAt time.Time    `json:"last_authenticated_at"`
	CreatedAt           time.Time    `json:"created_at"`
	UpdatedAt           time.Time    `json:"updated_at"`
	EmailFactor         *EmailFactor `json:"email_factor,omitempty"`
}

type EmailFactor struct {
	EmailID      string `json:"email_id"`
	EmailAddress string `json:"email_address"`
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
		return 0, badRequest("invalid_session_duration", "session_duration_minutes must be between %d and %d.", MinSessionMinutes, MaxSessionMinutes)
	}
	return time.Duration(minutes) * time.Minute, nil
}

// MagicLinkFactor is the factor a redeemed email magic link proves.
func MagicLinkFactor(email string, now time.Time) AuthFactor {
	return AuthFactor{Type: "magic_link", DeliveryMethod: "email", LastAuthenticatedAt: now, CreatedAt: now, UpdatedAt: now,
		EmailFactor: &EmailFactor{EmailID: EmailID(email), EmailAddress: email}}
}

// ProvenEmail is the address the most recent of factors proved, and when. It is the person's
// identity for every decision that crosses an organization boundary: a member's current
// email_address is only what its organization says, and may never have been proven.
func ProvenEmail(factors []AuthFactor) (email string, at time.Time, ok bool) {
	for _, f := range factors {
		if f.EmailFactor != nil && f.EmailFactor.EmailAddress != "" && (!ok || f.LastAuthenticatedAt.After(at)) {
			email, at, ok = f.EmailFactor.EmailAddress, f.LastAuthenticatedAt, true
		}
	}
	return email, at, ok
}

// NoProvenEmail is the error for a session whose factors prove no email: it may act in its
// own organization, but has no identity to carry into another.
func NoProvenEmail() *Error {
	return Errorf(http.StatusForbidden, "session_email_not_proven",
		"No factor of this session proved an email address, so it cannot be used to enter another organization.")
}

// AddFactor returns factors with f added, replacing an earlier factor of the same kind.
func AddFactor(factors []AuthFactor, f AuthFactor) []AuthFactor {
	out := slices.DeleteFunc(slices.Clone(factors), func(g AuthFactor) bool {
		return g.Type == f.Type && g.DeliveryMethod == f.DeliveryMethod
	})
	return append(out, f)
}

// RoleIDs lists a presented member's effective role ids, for the session and its JWT.
func RoleIDs(m Member) []string {
	out := make([]string, 0, len(m.Roles))
	for _, r := range m.Roles {
		out = append(out, r.RoleID)
	}
	return out
}

// Session tokens carry the organization and member they belong to next to 256 random bits,
// so authenticating one reads the session, the member and the organization in a single
// BatchGetItem. Only the hash of the whole token is stored; the ids in it are not secrets.
const sessionTokenBytes = 16 + 16 + 32

// NewSessionToken returns a token for a member of an organization.
func NewSessionToken(orgID, memberID string) (string, error) {
	ou, err := idUUID(orgID)
	if err != nil {
		return "", err
	}
	mu, err := idUUID(memberID)
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
func (i IDs) ParseSessionToken(token string) (orgID, memberID string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != sessionTokenBytes {
		return "", "", SessionNotFound()
	}
	ou, _ := uuid.FromBytes(b[:16])
	mu, _ := uuid.FromBytes(b[16:32])
	return "organization-" + i.Env + "-" + ou.String(), "member-" + i.Env + "-" + mu.String(), nil
}

func idUUID(id string) (uuid.UUID, error) {
	if len(id) < 36 {
		return uuid.UUID{}, Internal(errInvalidID)
	}
	return uuid.Parse(id[len(id)-36:])
}

var errInvalidID = &Error{Status: http.StatusInternalServerError, Type: "internal_server_error", Message: "invalid id"}

// SessionNotFound is the error for an unknown, expired or revoked session.
func SessionNotFound() *Error {
	return Errorf(http.StatusNotFound, "session_not_found", "Session could not be found.")
}

// SessionRef is what a verified session JWT says about its session.
type SessionRef struct {
	SessionID      string
	MemberID       string
	OrganizationID string
}

// SessionJWTs issues and verifies session JWTs; shared/tokens implements it.
type SessionJWTs interface {
	Issue(ctx context.Context, s Session, now time.Time) (string, error)
	Verify(ctx context.Context, jwt string) (SessionRef, error)
}

var reservedClaims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti"}

// ValidateCustomClaims refuses claims that would collide with the ones Latchkey sets.
func ValidateCustomClaims(c map[string]any) error {
	for k := range c {
		if slices.Contains(reservedClaims, k) || strings.HasPrefix(k, "https://stytch.com/") {
			return badRequest("invalid_session_custom_claims", "session_custom_claims may not set the reserved claim %q.", k)
		}
	}
	return ValidateMetadata("session_custom_claims", c)
}
