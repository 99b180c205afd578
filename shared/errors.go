package latchkey

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is the one error type the API renders. Type is a Stytch error_type string and is part
// of the public contract: existing values are never renamed. Message goes to the client;
// Cause only to the log.
type Error struct {
	Status  int
	Type    string
	Message string
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Type, e.Message, e.Cause)
	}
	return e.Type + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// Errorf builds an *Error with a formatted client-facing message.
func Errorf(status int, errType, format string, args ...any) *Error {
	return &Error{Status: status, Type: errType, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure. The client sees a generic message; cause is logged.
func Internal(cause error) *Error {
	return &Error{Status: http.StatusInternalServerError, Type: "internal_server_error",
		Message: "An internal error occurred. Please try again.", Cause: cause}
}

// Unavailable reports a dependency (DynamoDB, SES) that could not be reached.
func Unavailable(cause error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Type: "internal_server_error",
		Message: "A dependency is temporarily unavailable. Please try again.", Cause: cause}
}

// AsError returns err as an *Error, wrapping anything else as internal.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// IsClientError tells whether err is what the API answers a bad request with: an *Error with a
// 4xx status, a type and a message. Fuzz targets hold every rejection to it.
func IsClientError(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status >= 400 && e.Status <= 499 && e.Type != "" && e.Message != ""
}

// ErrNotFound and ErrConflict are what store methods return; services translate them into
// the precise Stytch error for the entity in question.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("condition failed")
)

// Error types used across the API.
const (
	TypeBadRequest          = "bad_request"
	TypeUnauthorized        = "unauthorized_credentials"
	TypeRouteNotFound       = "route_not_found"
	TypeMethodNotAllowed    = "method_not_allowed"
	TypeOrganizationMissing = "organization_not_found"
	TypeMemberMissing       = "member_not_found"
	TypeDuplicateEmail      = "duplicate_member_email"
	TypeSlugUsed            = "organization_slug_already_used"
	TypeConcurrentUpdate    = "concurrent_update"
)

func BadRequest(errType, format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, errType, format, args...)
}

// OrganizationNotFound is the error for an organization that does not exist in this project.
func OrganizationNotFound() *Error {
	return Errorf(http.StatusNotFound, TypeOrganizationMissing, "Organization could not be found.")
}

// MemberNotFound is the error for a member that does not exist in the addressed organization.
func MemberNotFound() *Error {
	return Errorf(http.StatusNotFound, TypeMemberMissing, "Member could not be found.")
}
