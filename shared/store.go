package latchkey

import (
	"context"
	"errors"
	"time"
)

// Store is what the domain needs from persistence; shared/store implements it on DynamoDB.
// Each method is one access pattern. Missing items are ErrNotFound; failed uniqueness or
// version conditions are *Conflict.
type Store interface {
	CreateOrganization(ctx context.Context, o Organization) error
	Organization(ctx context.Context, id string) (Organization, error)
	OrganizationIDBySlug(ctx context.Context, slug string) (string, error)
	Organizations(ctx context.Context, ids []string) ([]Organization, error)
	// ReplaceOrganization writes next if the stored version is still prev's, moving the slug
	// and external-id guards when those change.
	ReplaceOrganization(ctx context.Context, prev, next Organization) error
	DeleteOrganization(ctx context.Context, o Organization) error
	// ListOrganizations returns up to n organizations in creation order after the position.
	ListOrganizations(ctx context.Context, after Position, n int) (orgs []Organization, more bool, err error)
	OrganizationIDsByMemberEmail(ctx context.Context, email string) ([]string, error)

	CreateMember(ctx context.Context, m Member) error
	// MemberWithOrganization reads both in one round trip.
	MemberWithOrganization(ctx context.Context, orgID, memberID string) (Member, Organization, error)
	// MemberIDByEmail finds the member whose current address this is.
	MemberIDByEmail(ctx context.Context, orgID, email string) (string, error)
	// EmailHolder finds the member holding the address, current or retired.
	EmailHolder(ctx context.Context, orgID, email string) (memberID string, retired bool, err error)
	// MemberByID finds a member in any organization; it may lag a just-created member.
	MemberByID(ctx context.Context, memberID string) (Member, error)
	Members(ctx context.Context, orgID string, memberIDs []string) ([]Member, error)
	MemberIDsByEmail(ctx context.Context, orgID string, emails []string) ([]string, error)
	ReplaceMember(ctx context.Context, prev, next Member) error
	// ListMembers returns up to n members of an organization ordered by member_id after afterID.
	ListMembers(ctx context.Context, orgID, afterID string, n int) (members []Member, more bool, err error)
}

// SCIMStore persists SCIM connections and groups, and the SCIM side of members (the userName
// guard, group membership). Every method is keyed by the organization, so a connection can
// only ever reach its own organization's items.
type SCIMStore interface {
	// CreateSCIMConnection writes the connection and sets the organization's
	// scim_active_connection in one transaction; a second connection is a Conflict.
	CreateSCIMConnection(ctx context.Context, c SCIMConnection) error
	SCIMConnection(ctx context.Context, orgID, connectionID string) (SCIMConnection, error)
	// SCIMConnections lists an organization's connections (at most one).
	SCIMConnections(ctx context.Context, orgID string) ([]SCIMConnection, error)
	// ReplaceSCIMConnection writes next if the stored version is still prev's; with summary it
	// also rewrites the organization's scim_active_connection in the same transaction.
	ReplaceSCIMConnection(ctx context.Context, prev, next SCIMConnection, summary bool) error
	// DeleteSCIMConnection removes the connection and the organization's summary, then the
	// connection's groups and memberships.
	DeleteSCIMConnection(ctx context.Context, c SCIMConnection) error

	// CreateSCIMMember writes a provisioned member with its email, external-id and userName
	// guards in one transaction.
	CreateSCIMMember(ctx context.Context, m Member) error
	// ReplaceSCIMMember is ReplaceMember that also moves the userName guard and drops the
	// memberships of groups the member left.
	ReplaceSCIMMember(ctx context.Context, prev, next Member) error
	MemberIDBySCIMUserName(ctx context.Context, orgID, userName string) (string, error)
	MemberIDByExternalID(ctx context.Context, orgID, externalID string) (string, error)

	CreateSCIMGroup(ctx context.Context, g SCIMGroup) error
	// SCIMGroup reads a group, with its member ids when members is set.
	SCIMGroup(ctx context.Context, orgID, groupID string, members bool) (SCIMGroup, error)
	SCIMGroupIDByName(ctx context.Context, orgID, displayName string) (string, error)
	SCIMGroups(ctx context.Context, orgID string, groupIDs []string) ([]SCIMGroup, error)
	// EachSCIMGroup calls yield for the organization's groups in group-id order after afterID,
	// with member ids when members is set, until yield returns false.
	EachSCIMGroup(ctx context.Context, orgID, afterID string, members bool, yield func(SCIMGroup) bool) error
	// ReplaceSCIMGroup writes next over prev (version-checked), moving the displayName guard
	// and adding and removing memberships on both the group and the members.
	ReplaceSCIMGroup(ctx context.Context, prev, next SCIMGroup) error
	DeleteSCIMGroup(ctx context.Context, g SCIMGroup) error
}

// Position is a place in the organization listing (creation order).
type Position struct {
	CreatedAt time.Time
	ID        string
}

// Conflict reports which uniqueness or version condition failed.
type Conflict struct {
	On string // one of the Conflict* constants
}

func (c *Conflict) Error() string { return "conflict on " + c.On }

const (
	ConflictVersion      = "version"
	ConflictSlug         = "slug"
	ConflictExternalID   = "external_id"
	ConflictEmail        = "email"
	ConflictOrganization = "organization"
	ConflictExists       = "exists"
)

// AuthStore persists emailed tokens, intermediate sessions, sessions and rate counters.
type AuthStore interface {
	PutMagicToken(ctx context.Context, t MagicToken) error
	// PutEmailUpdateToken stores an email-update token together with the reservation of its
	// new address for the member, which fails (Conflict on email) while another member of the
	// organization has an unexpired reservation of the same address.
	PutEmailUpdateToken(ctx context.Context, t MagicToken) error
	DeleteMagicToken(ctx context.Context, hash string) error
	MagicToken(ctx context.Context, hash string) (MagicToken, error)
	// Redeem consumes a token (if it is still unused and unexpired at now), writes the member
	// change and creates the session or intermediate session, all in one transaction.
	Redeem(ctx context.Context, r Redemption) error
	// SessionBundle reads a session by token hash with its member and organization in one
	// round trip.
	SessionBundle(ctx context.Context, tokenHash, orgID, memberID string) (Session, Member, Organization, error)
	SessionHashByID(ctx context.Context, sessionID string) (string, error)
	UpdateSession(ctx context.Context, s Session) error
	SessionsForMember(ctx context.Context, memberID string) ([]Session, error)
	DeleteSessions(ctx context.Context, sessions []Session) error
	// Hit counts one event against each counter, refusing (ErrRateLimited) if any is at its
	// limit for the current window; a refused hit counts nothing.
	Hit(ctx context.Context, counters []RateCounter, now time.Time) error
	PutIntermediateSession(ctx context.Context, ist IntermediateSession) error
	IntermediateSession(ctx context.Context, hash string) (IntermediateSession, error)
	MembersByEmail(ctx context.Context, email string) ([]Member, error)
	OrganizationIDsByDomain(ctx context.Context, domain string) ([]string, error)
}

// Redemption is everything a successful magic-link authentication writes.
type Redemption struct {
	TokenHash        string // the magic-link token consumed, or
	IntermediateHash string // the intermediate session consumed
	// NewOrganization is created in the same transaction (discovery's organization create).
	NewOrganization *Organization
	// MemberCreate makes MemberNext a new member (JIT or first member).
	MemberCreate bool
	Now          time.Time
	MemberPrev   Member
	MemberNext   Member
	// MemberChanged is false when the member stays as read; the transaction then only checks
	// that nobody changed it meanwhile.
	MemberChanged bool
	Session       *Session
	SessionTTL    time.Time
	Intermediate  *IntermediateSession
	// EmailUpdate, when set, is the new address a redeemed email-update link proved; its
	// reservation is released in the same transaction.
	EmailUpdate string
}

// RateCounter is one limit: at most Limit events per Window under Key.
type RateCounter struct {
	Key    string
	Window time.Duration
	Limit  int
}

// ErrRateLimited is returned by Hit.
var ErrRateLimited = errors.New("rate limited")

// IntermediateSession proves a verified email (and factors) before the person is fully in an
// organization: MFA is still needed, or they have yet to choose one.
type IntermediateSession struct {
	Hash           string
	Email          string
	OrganizationID string
	MemberID       string
	Factors        []AuthFactor
	CreatedAt      time.Time
	ExpiresAt      time.Time
}
