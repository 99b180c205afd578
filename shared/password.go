package latchkey

import "time"

// Password is a password credential. Organization-scoped (Stytch's default) it belongs to one
// member and lives in its organization; cross-organization it belongs to an address and serves
// every member with that address, in every organization that allows passwords. Either way it
// is bound to the address it was set for, which a factor proved when it was set (a reset link,
// or a session that proved that address) or an import vouched for (Passwords.Migrate), so
// knowing it proves that address.
type Password struct {
	PasswordID     string
	OrganizationID string // "" for a cross-organization password
	MemberID       string // the member it was set for, when organization-scoped
	Email          string
	Hash           string // pwhash's encoded form
	// ResetRequired refuses logins until the password is reset (Passwords.Email.RequireReset).
	ResetRequired bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Version       int
}

// Serves tells whether p is member m's password now. An organization-scoped password stops
// serving when its member changes address or deletes it (member_password_id is cleared), or
// when a new member takes the address; a cross-organization one serves whoever has the address.
func (p *Password) Serves(m Member) bool {
	if p == nil || p.Hash == "" || p.Email != m.EmailAddress || m.Status == StatusDeleted {
		return false
	}
	if p.OrganizationID == "" {
		return true
	}
	return p.OrganizationID == m.OrganizationID && p.MemberID == m.MemberID && m.MemberPasswordID == p.PasswordID
}

// PasswordChange is what a password login or reset does to a credential: Prev is the
// credential as read (nil when there was none), Next what replaces it (nil keeps Prev, which
// must then be unchanged when the session is written).
type PasswordChange struct {
	Prev *Password
	Next *Password
}
