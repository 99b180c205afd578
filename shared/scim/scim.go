// Package scim is Latchkey's SCIM provisioning: connections in Stytch's shape (bearer tokens,
// rotation, group role assignments), what an identity provider's Users and Groups mean for
// members (Service), and SCIM 2.0 itself (RFC 7643, RFC 7644): resources as identity providers
// send and expect them, filters, PATCH operations and the discovery documents. The HTTP
// handlers are in shared/api.
//
// Identity providers bend the RFC in known ways (Okta, Microsoft Entra ID); each bend is
// accepted per request, where it is recognised, never through a process-wide switch.
package scim

import (
	"fmt"
	"net/http"
	"strconv"
)

// Schema and message URNs.
const (
	UserSchema       = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupSchema      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	ListResponseURN  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	PatchOpURN       = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	ErrorURN         = "urn:ietf:params:scim:api:messages:2.0:Error"
	ContentType      = "application/scim+json"
)

// scimType values (RFC 7644 §3.12).
const (
	InvalidFilter = "invalidFilter"
	InvalidSyntax = "invalidSyntax"
	InvalidPath   = "invalidPath"
	InvalidValue  = "invalidValue"
	NoTarget      = "noTarget"
	Uniqueness    = "uniqueness"
	Mutability    = "mutability"
	TooMany       = "tooMany"
)

// Error is a SCIM error response. Detail goes to the client.
type Error struct {
	Status   int
	ScimType string
	Detail   string
}

func (e *Error) Error() string { return fmt.Sprintf("scim %d %s: %s", e.Status, e.ScimType, e.Detail) }

// Errorf builds a SCIM error.
func Errorf(status int, scimType, format string, args ...any) *Error {
	return &Error{Status: status, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

func badRequest(scimType, format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, scimType, format, args...)
}

// Body is the error as the wire shows it: status is a string, as RFC 7644 §3.12 says.
func (e *Error) Body() map[string]any {
	b := map[string]any{"schemas": []string{ErrorURN}, "status": strconv.Itoa(e.Status), "detail": e.Detail}
	if e.ScimType != "" {
		b["scimType"] = e.ScimType
	}
	return b
}

// ListResponse is the body of a query.
func ListResponse(resources []map[string]any, total, startIndex int) map[string]any {
	if resources == nil {
		resources = []map[string]any{}
	}
	return map[string]any{
		"schemas":      []string{ListResponseURN},
		"totalResults": total,
		"startIndex":   startIndex,
		"itemsPerPage": len(resources),
		"Resources":    resources,
	}
}
