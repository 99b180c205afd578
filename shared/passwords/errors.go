package passwords

import (
	"net/http"

	latchkey "github.com/latchkey/latchkey/shared"
)

// Unauthorized is every failed password login: unknown address, no password, wrong password.
// One answer, given after the same work, so it tells nobody which members exist.
func Unauthorized() *latchkey.Error {
	return latchkey.Errorf(http.StatusUnauthorized, "unauthorized_credentials",
		"The email address and password do not match a member with a password.")
}

// Locked is Stytch's user lock: too many wrong passwords in a row.
func Locked() *latchkey.Error {
	return latchkey.Errorf(http.StatusTooManyRequests, "user_lock_limit_reached",
		"Too many wrong passwords were tried for this email address from this client. Try again in an hour, or reset the password.")
}

// TooManyFailures caps wrong passwords per client address and per email address.
func TooManyFailures() *latchkey.Error {
	return latchkey.Errorf(http.StatusTooManyRequests, "too_many_requests",
		"Too many wrong passwords were tried recently. Please try again later.")
}

// ResetRequired refuses a correct password that must be reset first.
func ResetRequired() *latchkey.Error {
	return latchkey.Errorf(http.StatusUnauthorized, "member_reset_password",
		"This password must be reset before it can be used: send a password reset email.")
}

// TokenNotFound covers unknown, used and expired reset tokens alike.
func TokenNotFound() *latchkey.Error {
	return latchkey.Errorf(http.StatusUnauthorized, "unable_to_auth_password_reset_token",
		"The password reset token could not be authenticated: it is invalid, expired or already used.")
}

// CrossOrgOnly answers the calls that exist only for cross-organization passwords.
func CrossOrgOnly() *latchkey.Error {
	return latchkey.BadRequest("cross_org_passwords_not_enabled",
		"This call needs cross-organization passwords (LATCHKEY_PASSWORD_SCOPE=cross_organization).")
}

func sessionTooOld() *latchkey.Error {
	return latchkey.BadRequest("session_too_old_to_reset_password",
		"The session has no factor authenticated in the last 5 minutes; authenticate again, then reset the password.")
}

func emailNotProven() *latchkey.Error {
	return latchkey.Errorf(http.StatusBadRequest, "email_verification_required",
		"The session has not proved the member's current email address, so it cannot set the password for it. Use a password reset email.")
}

func passwordExists() *latchkey.Error {
	return latchkey.BadRequest("password_already_exists", "The member already has a password.")
}

// PasswordNotFound answers a member_password_id that names no password of the organization.
func PasswordNotFound() *latchkey.Error {
	return latchkey.Errorf(http.StatusNotFound, "member_password_not_found", "The password could not be found.")
}

func weak(format string, args ...any) *latchkey.Error {
	return latchkey.BadRequest("weak_password", format, args...)
}
