package latchkey

import "time"

// TOTP is a member's authenticator-app registration, with the recovery codes that stand in
// for it. It is pending until a first code proves the member holds the secret (then Active
// and the member's totp_registration_id), and expires unproven at ExpiresAt.
type TOTP struct {
	TOTPID         string
	OrganizationID string
	MemberID       string
	// Secret is the shared key (base32). Unlike a password it must be read back to check a
	// code, so it is stored as such: the table's access is what protects it.
	Secret    string
	Active    bool
	ExpiresAt time.Time
	// LastStep is the 30-second step of the last code accepted: a code is accepted once.
	LastStep int64
	// RecoveryCodes are the SHA-256 (hex) of the unused recovery codes.
	RecoveryCodes []string `dynamo:",set"`
	CreatedAt     time.Time
	Version       int
}

// TOTPChange is what an attempt does to a registration: Next replaces Prev (nil: created), in
// the attempt's transaction, conditional on Prev being unchanged.
type TOTPChange struct {
	Prev *TOTP
	Next *TOTP
}

// SMSCodeRef names a member's SMS one-time code as it was read, to be consumed.
type SMSCodeRef struct {
	OrganizationID string
	MemberID       string
	Hash           string
}

// MFAFields tells whether two versions of a member differ in their second-factor settings.
func MFAFields(a, b Member) bool {
	return a.MFAEnrolled != b.MFAEnrolled || a.MFAPhoneNumber != b.MFAPhoneNumber || a.MFAPhoneNumberVerified != b.MFAPhoneNumberVerified ||
		a.DefaultMFAMethod != b.DefaultMFAMethod || a.TOTPRegistrationID != b.TOTPRegistrationID
}
