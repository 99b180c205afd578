package sso

import (
	"context"
	"net/http"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/safehttp"
)

// Service runs SSO.
type Service struct {
	Auth  *authn.Service
	Store Store
	Clock latchkey.Clock
	IDs   latchkey.IDs
	// Seal keeps connection secrets encrypted at rest (KMS in AWS, the KMS emulator locally).
	Seal Sealer
	// Fetch is how identity-provider URLs (metadata, discovery, tokens, keys) are fetched: in
	// AWS it refuses private, loopback and link-local targets, so a connection cannot be
	// pointed at the instance metadata service or the VPC.
	Fetch safehttp.Policy
	// BaseURL is where browsers and providers reach this deployment (LATCHKEY_BASE_URL).
	BaseURL   string
	Redirects authn.Redirects
	// PublicToken is the project's public token, which browser routes are called with.
	PublicToken string
}

// Sealer encrypts small secrets bound to a context: a sealed value opens only with the same
// binding, so one copied to another connection or organization does not open there.
type Sealer interface {
	Seal(ctx context.Context, plaintext []byte, binding map[string]string) (string, error)
	Open(ctx context.Context, sealed string, binding map[string]string) ([]byte, error)
}

// Store is what SSO needs persisted, besides what the pipeline needs.
type Store interface {
	authn.Store
	// CreateSSOConnection writes a new (pending) connection of an organization that exists.
	// SaveSSOConnection replaces one whose Version is prev's, and writes the organization's
	// sso_active_connections when org is set (org as it must be after, at its read Version), in
	// the same transaction.
	CreateSSOConnection(ctx context.Context, c Connection) error
	SaveSSOConnection(ctx context.Context, prev, next Connection, org *latchkey.Organization) error
	// DeleteSSOConnection removes the connection and writes org as it must be after.
	DeleteSSOConnection(ctx context.Context, c Connection, org latchkey.Organization) error
	SSOConnection(ctx context.Context, orgID, connectionID string) (Connection, error)
	SSOConnections(ctx context.Context, orgID string) ([]Connection, error)
	// SSOConnectionByID finds a connection by its id alone (from an index: the callback URL
	// names only the connection). The callback's transaction checks its Version on the table.
	SSOConnectionByID(ctx context.Context, connectionID string) (Connection, error)
	// PutSSOState writes a browser flow's state; SSOState reads it by hash.
	PutSSOState(ctx context.Context, st State) error
	SSOState(ctx context.Context, hash string) (State, error)
	// CompleteSSOCallback writes the SSO token with, in the same transaction: the state
	// consumed (when the flow had one), the assertion id recorded until it expires (replay),
	// and the connection checked unchanged.
	CompleteSSOCallback(ctx context.Context, cb Completion) error
	SSOToken(ctx context.Context, hash string) (Token, error)
}

// State is a browser flow between Start and the callback. Its token is the SAML RelayState
// or the OIDC state; only its hash is stored.
type State struct {
	Hash           string
	OrganizationID string
	ConnectionID   string
	LoginRedirect  string
	SignupRedirect string
	PKCEChallenge  string
	RequestID      string // the SAML AuthnRequest's ID, which the response must answer
	Nonce          string // OIDC
	Verifier       string // OIDC PKCE verifier, towards the provider
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// Token is the single-use SSO token the callback hands the application: what the provider
// asserted, until SSO.Authenticate redeems it.
type Token struct {
	Hash           string
	OrganizationID string
	ConnectionID   string
	Protocol       string
	Email          string
	Subject        string
	FirstName      string
	LastName       string
	Groups         []string
	Attributes     map[string]any
	PKCEChallenge  string
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// Completion is what a verified callback writes.
type Completion struct {
	Connection Connection
	StateHash  string // "" for an IdP-initiated login
	// AssertionID, kept until AssertionUntil, refuses the same SAML assertion twice.
	AssertionID    string
	AssertionUntil time.Time
	Token          Token
	Now            time.Time
}

// Lifetimes.
const (
	// StateLifetime bounds the time a person may spend at the identity provider.
	StateLifetime = 10 * time.Minute
	// TokenLifetime is the SSO token's, as Stytch's: the application redeems it at once.
	TokenLifetime = 10 * time.Minute
	// ClockSkew is how far a provider's clock may be from ours.
	ClockSkew = 3 * time.Minute
)

// Conflicts an SSO write can meet.
const (
	ConflictConnection = "sso_connection"
	ConflictReplay     = "sso_replay"
	ConflictState      = "sso_state"
	ConflictSubject    = "sso_subject"
)

func connectionNotFound(protocol string) *latchkey.Error {
	switch protocol {
	case SAML:
		return latchkey.Errorf(http.StatusNotFound, "saml_connection_not_found", "SAML connection could not be found.")
	case OIDC:
		return latchkey.Errorf(http.StatusNotFound, "oidc_connection_not_found", "OIDC connection could not be found.")
	}
	return latchkey.Errorf(http.StatusNotFound, "sso_connection_not_found", "SSO connection could not be found.")
}

func tokenNotFound() *latchkey.Error {
	return latchkey.Errorf(http.StatusNotFound, "sso_token_not_found", "The SSO token could not be found, has expired or was already used.")
}

func connectionInactive() *latchkey.Error {
	return latchkey.Errorf(http.StatusBadRequest, "requires_active_sso_connection",
		"This SSO connection is not active: it still lacks its identity provider's settings.")
}
