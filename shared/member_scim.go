package latchkey

import "strings"

// SCIMVisible tells whether a member exists as a SCIM User: any member that is not deleted,
// and a deleted (deactivated) one still registered by SCIM, which the identity provider may
// reactivate. A SCIM DELETE clears the registration, after which the user is gone.
func (m Member) SCIMVisible() bool {
	return m.Status != StatusDeleted || m.SCIMRegistration != nil
}

// SCIMUserName is the userName the identity provider gave the member, if it provisioned it.
func (m Member) SCIMUserName() string {
	if m.SCIMRegistration == nil {
		return ""
	}
	u, _ := m.SCIMRegistration.SCIMAttributes["user_name"].(string)
	return u
}

// SCIMUserNameKey is the form of a userName its uniqueness is enforced on: userName is not
// case-exact (RFC 7643 §4.1.1).
func SCIMUserNameKey(userName string) string { return strings.ToLower(userName) }

// SCIMGroupNameKey is the form of a group displayName its uniqueness is enforced on.
func SCIMGroupNameKey(name string) string { return strings.ToLower(name) }
