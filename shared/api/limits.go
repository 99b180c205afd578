package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/events"
	"github.com/latchkey/latchkey/shared/passwords"
	"github.com/latchkey/latchkey/shared/scim"
)

// Values too long to be any stored id, slug or email never reach DynamoDB, which would refuse
// them in a key with a 500. They are answered here, for every route at once (path values,
// query values, and the top-level body fields that name something), with what the route
// would answer for a value that does not exist: nothing that long was ever stored.

// tooLongAnswers names, per parameter or field, the error for a value too long to exist.
// A name not listed gets a plain bad_request.
var tooLongAnswers = map[string]func() error{
	"organization_id":      func() error { return latchkey.OrganizationNotFound() },
	"organization_ids":     func() error { return latchkey.OrganizationNotFound() },
	"member_id":            func() error { return latchkey.MemberNotFound() },
	"invited_by_member_id": func() error { return latchkey.MemberNotFound() },
	"member_session_id":    func() error { return authn.SessionNotFound() },
	"member_password_id":   func() error { return passwords.PasswordNotFound() },
	"connection_id": func() error {
		return latchkey.Errorf(http.StatusNotFound, "scim_connection_not_found", "SCIM connection could not be found.")
	},
	"email_address": func() error {
		return latchkey.Errorf(http.StatusBadRequest, "invalid_email", "Email format is invalid.")
	},
	"endpoint_id": func() error { return events.EndpointNotFound() },
	"cursor": func() error {
		return latchkey.Errorf(http.StatusBadRequest, "invalid_cursor", "The cursor is not valid.")
	},
}

func tooLong(rt Route, name string) error {
	if name == "connection_id" && strings.Contains(rt.Path, "/sso/") {
		return latchkey.Errorf(http.StatusNotFound, "sso_connection_not_found", "SSO connection could not be found.")
	}
	if answer, ok := tooLongAnswers[name]; ok {
		return answer()
	}
	return latchkey.Errorf(http.StatusBadRequest, latchkey.TypeBadRequest, "%s is too long.", name)
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// checkKeyLengths refuses a request whose path values, or query values naming an
// organization, member, session, email or cursor, are too long to be stored.
func checkKeyLengths(rt Route, r *http.Request) error {
	for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
		if latchkey.KeyTooLong(r.PathValue(m[1])) {
			return tooLong(rt, m[1])
		}
	}
	// Only the query parameters that name something: others are ignored, as Stytch ignores
	// parameters it does not know.
	q := r.URL.Query()
	for name := range tooLongAnswers {
		for _, v := range q[name] {
			if latchkey.KeyTooLong(v) {
				return tooLong(rt, name)
			}
		}
	}
	return nil
}

// checkBodyKeyLengths does the same for the top-level fields of a JSON body that name an
// organization, member or session. Other fields are either bounded by their own validation
// (slugs, emails, external ids) or never used in a key (tokens are hashed first).
func checkBodyKeyLengths(body []byte) error {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return nil // decode has already refused it or it is not an object
	}
	for name := range tooLongAnswers {
		raw, ok := top[name]
		if !ok {
			continue
		}
		var one string
		var many []string
		switch {
		case json.Unmarshal(raw, &one) == nil:
			many = []string{one}
		case json.Unmarshal(raw, &many) == nil:
		}
		for _, v := range many {
			if latchkey.KeyTooLong(v) {
				return tooLong(Route{}, name)
			}
		}
	}
	return nil
}

// scimResourceTooLong answers a SCIM resource id too long to exist, in SCIM's error shape.
func scimResourceTooLong(r *http.Request) error {
	if latchkey.KeyTooLong(r.PathValue("id")) {
		return scim.Errorf(http.StatusNotFound, "", "Resource %s not found.", "id")
	}
	return nil
}
