package scim

import (
	"context"

	latchkey "github.com/latchkey/latchkey/shared"
)

// Store persists SCIM connections and groups, and the SCIM side of members (the userName
// guard, group membership). Every method is keyed by the organization, so a connection can
// only ever reach its own organization's items.
type Store interface {
	latchkey.Directory
	Members(ctx context.Context, orgID string, memberIDs []string) ([]latchkey.Member, error)
	// ListMembers returns up to n members of an organization ordered by member_id after afterID.
	ListMembers(ctx context.Context, orgID, afterID string, n int) (members []latchkey.Member, more bool, err error)
	// CreateSCIMConnection writes the connection and sets the organization's
	// scim_active_connection in one transaction; a second connection is a Conflict.
	CreateSCIMConnection(ctx context.Context, c Connection) error
	SCIMConnection(ctx context.Context, orgID, connectionID string) (Connection, error)
	// SCIMConnections lists an organization's connections (at most one).
	SCIMConnections(ctx context.Context, orgID string) ([]Connection, error)
	// ReplaceSCIMConnection writes next if the stored version is still prev's; with summary it
	// also rewrites the organization's scim_active_connection in the same transaction.
	ReplaceSCIMConnection(ctx context.Context, prev, next Connection, summary bool) error
	// DeleteSCIMConnection removes the connection and the organization's summary, then the
	// connection's groups and memberships.
	DeleteSCIMConnection(ctx context.Context, c Connection) error

	// CreateSCIMMember writes a provisioned member with its email, external-id and userName
	// guards in one transaction.
	CreateSCIMMember(ctx context.Context, m latchkey.Member) error
	// ReplaceSCIMMember is ReplaceMember that also moves the userName guard and drops the
	// memberships of groups the member left.
	ReplaceSCIMMember(ctx context.Context, prev, next latchkey.Member) error
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
