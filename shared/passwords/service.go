package passwords

import (
	"context"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
)

// Scopes of a password (LATCHKEY_PASSWORD_SCOPE).
const (
	// ScopeOrganization: a password belongs to one member and logs in to its organization only
	// (Stytch's default).
	ScopeOrganization = "organization"
	// ScopeCrossOrganization: an address has one password, which logs in to every organization
	// it belongs to (or may join) that allows passwords, and to discovery.
	ScopeCrossOrganization = "cross_organization"
)

// Lock and cap settings: Stytch's user lock defaults (10 in a row, 1 hour), and hourly caps on
// wrong passwords per client address and per email address.
const (
	LockThreshold   = 10
	LockDuration    = time.Hour
	FailuresPerIP   = 100
	FailuresPerUser = 100
)

// Service runs passwords.
type Service struct {
	Auth      *authn.Service
	Store     Store
	Clock     latchkey.Clock
	IDs       latchkey.IDs
	Mail      latchkey.Mailer
	Redirects authn.Redirects
	Limits    latchkey.SendLimits
	Scope     string
	Policy    Policy
	Breaches  Breaches // nil: breach detection off
}

// Store is what passwords need persisted, besides what the pipeline needs.
type Store interface {
	authn.Store
	latchkey.Counter
	// PasswordLogin reads in one round trip what a login needs: the member with the address in
	// the organization (none for discovery), the organization, the password for the address,
	// and the failure counters. The member comes from the email index, which may lag a write
	// by a moment; the login's transaction checks the member's version, so a stale read cannot
	// log in.
	PasswordLogin(ctx context.Context, q LoginQuery) (LoginState, error)
	// PasswordFailed counts a wrong password against the lock and the caps, locking the pair
	// until lockUntil when it is not zero.
	PasswordFailed(ctx context.Context, q LoginQuery, lockUntil time.Time) error
	// Password reads the password for an address (orgID "" for cross-organization ones).
	Password(ctx context.Context, orgID, email string) (*latchkey.Password, error)
	// PasswordByID finds a password by its id (from an index).
	PasswordByID(ctx context.Context, passwordID string) (*latchkey.Password, error)
	// SavePassword writes a password change with the member's, in one transaction.
	SavePassword(ctx context.Context, w Write) error
	PutMagicToken(ctx context.Context, t authn.EmailToken) error
	DeleteMagicToken(ctx context.Context, t authn.EmailToken) error
	MagicToken(ctx context.Context, hash string) (authn.EmailToken, error)
}

// LoginQuery names what a login reads and counts.
type LoginQuery struct {
	OrganizationID string // "" for discovery
	Email          string
	CrossOrg       bool   // the password is the address's, not the organization's
	FailureKey     string // the lock's counter: address and client
	Caps           []latchkey.RateCounter
	Now            time.Time
}

// LoginState is what PasswordLogin read.
type LoginState struct {
	Member       latchkey.Member
	Found        bool
	Organization latchkey.Organization
	Password     *latchkey.Password
	Failures     int
	LockedUntil  time.Time
	Capped       bool // a cap is reached
}

// Write is a password change and what it does to a member, in one transaction: the member is
// created (Create), replaced (MemberPrev to MemberNext), or left alone (MemberNext empty).
// Delete removes Password.Prev instead of writing Password.Next.
type Write struct {
	MemberPrev latchkey.Member
	MemberNext latchkey.Member
	Create     bool
	Password   latchkey.PasswordChange
	Delete     bool
}

func (s *Service) crossOrg() bool { return s.Scope == ScopeCrossOrganization }

// passwordOrg is where the address's password lives: its organization, or nowhere across
// organizations.
func (s *Service) passwordOrg(orgID string) string {
	if s.crossOrg() {
		return ""
	}
	return orgID
}

// query is the login query for an address from a client.
func (s *Service) query(orgID, email, client string, now time.Time) LoginQuery {
	return LoginQuery{OrganizationID: orgID, Email: email, CrossOrg: s.crossOrg(), FailureKey: email + "#" + client, Now: now,
		Caps: []latchkey.RateCounter{
			{Key: "pwfail-ip#" + client, Window: time.Hour, Limit: FailuresPerIP},
			{Key: "pwfail-email#" + email, Window: time.Hour, Limit: FailuresPerUser},
		}}
}

// newPassword is a fresh credential for the address, replacing prev (whose version it
// continues, so the write is conditional on nobody else having changed it).
func (s *Service) newPassword(prev *latchkey.Password, orgID string, m latchkey.Member, email, hash string, now time.Time) *latchkey.Password {
	p := &latchkey.Password{PasswordID: s.IDs.New("member-password"), OrganizationID: s.passwordOrg(orgID), Email: email,
		Hash: hash, CreatedAt: now, UpdatedAt: now, Version: 1}
	if !s.crossOrg() {
		p.MemberID = m.MemberID
	}
	if prev != nil {
		p.Version = prev.Version + 1
	}
	return p
}
