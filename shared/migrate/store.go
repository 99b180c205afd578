package migrate

import (
	"context"
	"errors"

	latchkey "github.com/latchkey/latchkey/shared"
)

// Store is what an import and an export need persisted; shared/store implements it on the
// table. Missing items are latchkey.ErrNotFound; failed uniqueness or version conditions are
// *latchkey.Conflict.
type Store interface {
	Organization(ctx context.Context, id string) (latchkey.Organization, error)
	OrganizationIDBySlug(ctx context.Context, slug string) (string, error)
	OrganizationIDByExternalID(ctx context.Context, externalID string) (string, error)
	CreateOrganization(ctx context.Context, o latchkey.Organization) error
	ReplaceOrganization(ctx context.Context, prev, next latchkey.Organization) error
	ListOrganizations(ctx context.Context, after latchkey.Position, n int) ([]latchkey.Organization, bool, error)
	ListMembers(ctx context.Context, orgID, afterID string, n int) ([]latchkey.Member, bool, error)

	// LookupMembers reads what deciding each query's import needs, in as few round trips as
	// it can (BatchGetItem): the guards of its email, external id and phone number, the member
	// (by id, or else the one holding the email), and its password and TOTP registration when
	// asked. The result is aligned with qs.
	LookupMembers(ctx context.Context, qs []MemberQuery) ([]MemberState, error)
	// WriteMembers writes each write's items in one transaction (several writes may share
	// one). The result is aligned with ws: nil for written, a *latchkey.Conflict for the
	// write whose condition failed, ErrNotAttempted for a write cancelled with another's, or
	// another error (Retryable tells which of those to retry).
	WriteMembers(ctx context.Context, ws []MemberWrite) []error
	// Retryable tells whether err is throttling or a transaction conflict, worth retrying
	// after a pause, rather than a verdict on the record.
	Retryable(err error) bool
}

// ErrNotAttempted is a write that was in a transaction another write's failed condition
// cancelled: nothing of it was written, and it may be tried again as it is.
var ErrNotAttempted = errors.New("cancelled with another write of its transaction")

// MemberQuery names what to read before importing one member.
type MemberQuery struct {
	OrganizationID string
	Email          string
	MemberID       string // read by id when given; otherwise the email's holder is read
	ExternalID     string // its guard is read when set
	Phone          string // its guard is read when set
	// Password reads the address's password: in the organization (PasswordOrg ==
	// OrganizationID) or across organizations (PasswordOrg == "").
	Password    bool
	PasswordOrg string
	TOTP        bool
}

// MemberState is what the table holds for one query.
type MemberState struct {
	EmailHolder   string // the member holding the email in the organization, "" for none
	EmailRetired  bool   // the holder holds it as a retired address
	ExternalOwner string // the member holding the external id, "" for none
	PhoneOwner    string // the member holding the phone number, "" for none
	Member        *latchkey.Member
	Password      *latchkey.Password
	TOTP          *latchkey.TOTP
}

// MemberWrite is one member's import: Next created (Prev nil) or written over Prev, with the
// password and TOTP changes that go with it, all in one transaction.
type MemberWrite struct {
	Prev     *latchkey.Member
	Next     latchkey.Member
	Password latchkey.PasswordChange
	TOTP     latchkey.TOTPChange
}
