package orgs

import (
	"context"

	latchkey "github.com/latchkey/latchkey/shared"
)

// Store is what the domain needs from persistence; shared/store implements it on DynamoDB.
// Each method is one access pattern. Missing items are ErrNotFound; failed uniqueness or
// version conditions are *Conflict.
type Store interface {
	latchkey.Directory
	CreateOrganization(ctx context.Context, o latchkey.Organization) error
	OrganizationIDBySlug(ctx context.Context, slug string) (string, error)
	// OrganizationIDsByRef finds the organizations with the slug or the external id.
	OrganizationIDsByRef(ctx context.Context, slug, externalID string) ([]string, error)
	MemberIDByExternalID(ctx context.Context, orgID, externalID string) (string, error)
	Organizations(ctx context.Context, ids []string) ([]latchkey.Organization, error)
	// ReplaceOrganization writes next if the stored version is still prev's, moving the slug
	// and external-id guards when those change.
	ReplaceOrganization(ctx context.Context, prev, next latchkey.Organization) error
	DeleteOrganization(ctx context.Context, o latchkey.Organization) error
	// ListOrganizations returns up to n organizations in creation order after the position.
	ListOrganizations(ctx context.Context, after latchkey.Position, n int) (orgs []latchkey.Organization, more bool, err error)
	OrganizationIDsByMemberEmail(ctx context.Context, email string) ([]string, error)

	CreateMember(ctx context.Context, m latchkey.Member) error
	// MemberByID finds a member in any organization; it may lag a just-created member.
	MemberByID(ctx context.Context, memberID string) (latchkey.Member, error)
	Members(ctx context.Context, orgID string, memberIDs []string) ([]latchkey.Member, error)
	MemberIDsByEmail(ctx context.Context, orgID string, emails []string) ([]string, error)
	ReplaceMember(ctx context.Context, prev, next latchkey.Member) error
	// ListMembers returns up to n members of an organization ordered by member_id after afterID.
	ListMembers(ctx context.Context, orgID, afterID string, n int) (members []latchkey.Member, more bool, err error)
}
