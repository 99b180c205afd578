package latchkey

import "context"

// Store is what the domain needs from persistence; shared/store implements it on DynamoDB.
// Each method is one access pattern. Missing items are ErrNotFound; failed uniqueness or
// version conditions are *Conflict.
type Store interface {
	Directory
	CreateOrganization(ctx context.Context, o Organization) error
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
	// MemberByID finds a member in any organization; it may lag a just-created member.
	MemberByID(ctx context.Context, memberID string) (Member, error)
	Members(ctx context.Context, orgID string, memberIDs []string) ([]Member, error)
	MemberIDsByEmail(ctx context.Context, orgID string, emails []string) ([]string, error)
	ReplaceMember(ctx context.Context, prev, next Member) error
	// ListMembers returns up to n members of an organization ordered by member_id after afterID.
	ListMembers(ctx context.Context, orgID, afterID string, n int) (members []Member, more bool, err error)
}
