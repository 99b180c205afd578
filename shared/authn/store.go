package authn

import (
	"context"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
)

// Service is the one door: every way in ends in its pipeline (Login), and it keeps member
// sessions and intermediate sessions.
type Service struct {
	Store Store
	Clock latchkey.Clock
	IDs   latchkey.IDs
	JWT   SessionJWTs
}

// Store is what the pipeline and sessions need persisted.
type Store interface {
	latchkey.Directory
	Organizations(ctx context.Context, ids []string) ([]latchkey.Organization, error)
	// CreateMember writes a new member with its guards, in one transaction.
	CreateMember(ctx context.Context, m latchkey.Member) error
	// EmailHolder finds the member holding the address, current or retired.
	EmailHolder(ctx context.Context, orgID, email string) (memberID string, retired bool, err error)
	// Redeem consumes a token, code or intermediate session (if it is still unused and
	// unexpired at now), writes the member
	// change and creates the session or intermediate session, all in one transaction.
	Redeem(ctx context.Context, r Redemption) error
	// SessionBundle reads a session by token hash with its member and organization in one
	// round trip.
	SessionBundle(ctx context.Context, tokenHash, orgID, memberID string) (Session, latchkey.Member, latchkey.Organization, error)
	SessionHashByID(ctx context.Context, sessionID string) (string, error)
	// SessionByHash reads a session alone; MemberByID finds a member by id (from an index).
	SessionByHash(ctx context.Context, tokenHash string) (Session, error)
	MemberByID(ctx context.Context, memberID string) (latchkey.Member, error)
	UpdateSession(ctx context.Context, s Session) error
	SessionsForMember(ctx context.Context, memberID string) ([]Session, error)
	DeleteSessions(ctx context.Context, sessions []Session) error
	PutIntermediateSession(ctx context.Context, ist IntermediateSession) error
	IntermediateSession(ctx context.Context, hash string) (IntermediateSession, error)
	MembersByEmail(ctx context.Context, email string) ([]latchkey.Member, error)
	OrganizationIDsByDomain(ctx context.Context, domain string) ([]string, error)
}

// CodeRef names a one-time code item: the organization's (none for discovery) code for an
// email, as it was when read.
type CodeRef struct {
	OrganizationID string
	Email          string
	Hash           string
}

// Redemption is everything one attempt at the door writes, in one transaction.
type Redemption struct {
	TokenHash        string // the emailed token consumed (Spent answers its reuse), or
	IntermediateHash string // the intermediate session consumed
	// NewOrganization is created in the same transaction (discovery's organization create).
	NewOrganization *latchkey.Organization
	// MemberCreate makes MemberNext a new member (JIT or first member).
	MemberCreate bool
	Now          time.Time
	MemberPrev   latchkey.Member
	MemberNext   latchkey.Member
	// MemberChanged is false when the member stays as read; the transaction then only checks
	// that nobody changed it meanwhile.
	MemberChanged bool
	Session       *Session
	SessionTTL    time.Time
	Intermediate  *IntermediateSession
	// Code is a one-time code consumed instead: it still holds its hash, unused and unexpired.
	Code *CodeRef
	// Spent is the error for a TokenHash or Code already used: each way in names its own.
	Spent error
	// EmailUpdate, when set, is the new address a redeemed email-update link or code proved; its
	// reservation is released in the same transaction.
	EmailUpdate string
	// Password is written (Next), or checked unchanged (Prev alone), in the transaction.
	Password *latchkey.PasswordChange
	// Refund gives back a successful password login's reserved tries.
	Refund *TryRefund
	// TOTP is written (or checked unchanged), SMSCode consumed, in the transaction.
	TOTP    *latchkey.TOTPChange
	SMSCode *latchkey.SMSCodeRef
}

// TryRefund names the counters a password login reserved a try on before hashing: Reset is
// deleted (the count of failures in a row starts again), Caps are decremented.
type TryRefund struct {
	Reset latchkey.RateCounter
	Caps  []latchkey.RateCounter
	At    time.Time // when the tries were reserved: their windows
}
