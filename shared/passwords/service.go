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

// Lock and cap settings: Stytch's user lock defaults (10 failures, for an hour), and hourly
// caps on wrong passwords per client address and per email address. Each is a counter in
// hourly windows that a try reserves before the hash and a success gives back.
const (
	LockThreshold   = 10
	LockWindow      = time.Hour
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
	// PasswordLogin reads in one round trip what a login needs (the member with the address
	// in the organization, none for discovery; the organization; the password for the address)
	// and reserves the try on the lock and the caps, unless one is at its limit. The member
	// comes from the email index, which may lag a write by a moment; the login's transaction
	// checks the member's version, so a stale read cannot log in.
	PasswordLogin(ctx context.Context, q LoginQuery) (LoginState, error)
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
	CrossOrg       bool // the password is the address's, not the organization's
	// Lock counts tries for the address from one client: at its limit the pair is locked.
	Lock latchkey.RateCounter
	// Caps count tries per client and per address (within the password's scope).
	Caps []latchkey.RateCounter
	Now  time.Time
}

// LoginState is what PasswordLogin read, and whether it could reserve the try.
type LoginState struct {
	Member       latchkey.Member
	Found        bool
	Organization latchkey.Organization
	Password     *latchkey.Password
	Locked       bool // the lock is at its limit: nothing was counted
	Capped       bool // a cap is at its limit: nothing was counted
}

// refund gives back q's reserved tries.
func (q LoginQuery) refund() *authn.TryRefund {
	return &authn.TryRefund{Reset: q.Lock, Caps: q.Caps, At: q.Now}
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

// query is the login query for an address from a client. The per-address cap is scoped as
// the password is, so failures in one organization never cap another's member.
func (s *Service) query(orgID, email, client string, now time.Time) LoginQuery {
	scope := s.passwordOrg(orgID) + "#" + email
	return LoginQuery{OrganizationID: orgID, Email: email, CrossOrg: s.crossOrg(), Now: now,
		Lock: latchkey.RateCounter{Key: "pwlock#" + email + "#" + client, Window: LockWindow, Limit: LockThreshold},
		Caps: []latchkey.RateCounter{
			{Key: "pwfail-ip#" + client, Window: time.Hour, Limit: FailuresPerIP},
			{Key: "pwfail-email#" + scope, Window: time.Hour, Limit: FailuresPerUser},
		}}
}

// factor is the factor a password for email proves: in its organization only when the password
// is organization-scoped (Stytch: password factors do not carry between organizations).
func (s *Service) factor(email, orgID string, now time.Time) latchkey.AuthFactor {
	if s.crossOrg() {
		return latchkey.FactorPassword.Proved(email, now)
	}
	return latchkey.FactorPassword.ProvedIn(email, orgID, now)
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
