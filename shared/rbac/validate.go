package rbac

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Limits on a policy. Stytch's dashboard has its own; these keep a policy small enough that
// every check over it is cheap.
const (
	MaxRoles       = 100 // configured roles, and an organization's custom roles
	MaxResources   = 100 // configured resources, besides the built-in ones
	MaxActions     = 100 // actions of one resource, or of one permission
	MaxScopes      = 100
	MaxIDLength    = 128 // role_id, resource_id, scope and action
	MaxPermissions = 200 // permissions of one role or scope: room for one per resource
)

// Kind sorts errors so the API can answer each with the right Stytch error type. Kinds are a
// public contract: new ones are only added.
type Kind string

const (
	KindSyntax          Kind = "syntax"           // not JSON, or not the policy's shape
	KindInvalid         Kind = "invalid"          // a value breaks a rule: empty, too long, bad characters
	KindDuplicate       Kind = "duplicate"        // an id or action given twice
	KindLimit           Kind = "limit"            // too many roles, resources, actions...
	KindReserved        Kind = "reserved"         // a name Stytch reserves: stytch.* resources, the default roles
	KindCollision       Kind = "collision"        // an organization role with a project role's id
	KindUnknownResource Kind = "unknown_resource" // a permission on a resource the policy lacks
	KindUnknownAction   Kind = "unknown_action"   // a permission with an action its resource lacks
)

// Error is every error of this package. Field says where, in the policy or org policy
// document (`roles[2] "editor"`); Message says what is wrong. Error() joins them and is written
// for the person who wrote the document, so the API may show it as is.
type Error struct {
	Kind    Kind
	Field   string
	Message string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

func errorf(kind Kind, field, format string, args ...any) *Error {
	return &Error{Kind: kind, Field: field, Message: fmt.Sprintf(format, args...)}
}

// where names an element of a list and its id, unless the id is empty or too long to show.
func where(list string, i int, id string) string {
	if id == "" || len(id) > MaxIDLength {
		return fmt.Sprintf("%s[%d]", list, i)
	}
	return fmt.Sprintf("%s[%d] %q", list, i, id)
}

// checkID applies the rule for role and resource ids: 1 to 128 of A-Z a-z 0-9 _ - . :
func checkID(name, id string) string {
	switch {
	case id == "":
		return name + " is empty"
	case len(id) > MaxIDLength:
		return fmt.Sprintf("%s is %d characters long; at most %d are allowed", name, len(id), MaxIDLength)
	}
	for _, c := range id {
		if !idChar(c) {
			return fmt.Sprintf("%s has the character %q; only letters, digits and _ - . : are allowed", name, c)
		}
	}
	return ""
}

func idChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c == '.' || c == ':'
}

// checkAction applies the rule for an action name. Whitespace and control characters are
// refused because an action padded by mistake (" read") would silently never match.
func checkAction(action string) string {
	switch {
	case action == "":
		return "an action is empty"
	case len(action) > MaxIDLength:
		return fmt.Sprintf("action %.20q... is %d characters long; at most %d are allowed", action, len(action), MaxIDLength)
	}
	for _, c := range action {
		if unicode.IsSpace(c) || unicode.IsControl(c) || c == '\ufeff' {
			return fmt.Sprintf("action %q has whitespace or a control character", action)
		}
	}
	return ""
}

// checkScope applies the rule for a scope: 1 to 128 characters of OAuth's scope-token syntax
// (RFC 6749 section 3.3), since a token's scopes are one space-separated string.
func checkScope(scope string) string {
	switch {
	case scope == "":
		return "scope is empty"
	case len(scope) > MaxIDLength:
		return fmt.Sprintf("scope is %d characters long; at most %d are allowed", len(scope), MaxIDLength)
	}
	for _, c := range scope {
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return fmt.Sprintf("scope has the character %q; a scope is printable ASCII without spaces, quotes or backslashes", c)
		}
	}
	return ""
}

// resourceSet is the resources permissions may name, with their actions.
type resourceSet map[string][]string

func newResourceSet(resources ...[]Resource) resourceSet {
	set := resourceSet{}
	for _, list := range resources {
		for _, r := range list {
			set[r.ResourceID] = r.Actions
		}
	}
	return set
}

// checkPermissions validates the permissions of one role or scope (at field): each names a
// resource of set and only its actions, or "*".
func checkPermissions(field string, perms []Permission, set resourceSet) *Error {
	if len(perms) > MaxPermissions {
		return errorf(KindLimit, field, "has %d permissions; at most %d are allowed", len(perms), MaxPermissions)
	}
	for j, perm := range perms {
		id := perm.ResourceID
		if id == "" {
			return errorf(KindInvalid, field, "permissions[%d] has an empty resource_id", j)
		}
		declared, ok := set[id]
		if !ok {
			if len(id) > MaxIDLength {
				return errorf(KindUnknownResource, field, "permissions[%d] is on an unknown resource (its id is %d characters long)", j, len(id))
			}
			return errorf(KindUnknownResource, field, "permission on unknown resource %q", id)
		}
		if len(perm.Actions) == 0 {
			return errorf(KindInvalid, field, "permission on %q has no actions; list them, or use \"*\" for all", id)
		}
		if len(perm.Actions) > MaxActions {
			return errorf(KindLimit, field, "permission on %q has %d actions; at most %d are allowed", id, len(perm.Actions), MaxActions)
		}
		for _, a := range perm.Actions {
			if a == Wildcard {
				continue
			}
			if problem := checkAction(a); problem != "" {
				return errorf(KindInvalid, field, "permission on %q: %s", id, problem)
			}
			if !slices.Contains(declared, a) {
				return errorf(KindUnknownAction, field, "permission on %q: unknown action %q; %q has the actions %s",
					id, a, id, strings.Join(declared, ", "))
			}
		}
	}
	return nil
}

// validate checks a configured policy, before it is merged with the defaults.
func validate(cfg Policy) *Error {
	if n := len(cfg.Resources); n > MaxResources {
		return errorf(KindLimit, "resources", "%d resources are configured; at most %d are allowed", n, MaxResources)
	}
	firstResource := map[string]int{}
	for i, r := range cfg.Resources {
		field := where("resources", i, r.ResourceID)
		if problem := checkID("resource_id", r.ResourceID); problem != "" {
			return errorf(KindInvalid, field, "%s", problem)
		}
		if isBuiltinResource(r.ResourceID) {
			return errorf(KindReserved, field, "built-in resources cannot be redefined; Stytch fixes the actions of %q", r.ResourceID)
		}
		if hasReservedPrefix(r.ResourceID) {
			return errorf(KindReserved, field, "resource_id may not start with %q, which Stytch reserves for its built-in resources", reservedPrefix)
		}
		if first, dup := firstResource[r.ResourceID]; dup {
			return errorf(KindDuplicate, field, "resource_id is already declared by resources[%d]", first)
		}
		firstResource[r.ResourceID] = i
		if e := checkDeclaredActions(field, r.Actions); e != nil {
			return e
		}
	}
	set := newResourceSet(builtinResources(), cfg.Resources)

	if n := len(cfg.Roles); n > MaxRoles {
		return errorf(KindLimit, "roles", "%d roles are configured; at most %d are allowed", n, MaxRoles)
	}
	firstRole := map[string]int{}
	for i, r := range cfg.Roles {
		field := where("roles", i, r.RoleID)
		if problem := checkID("role_id", r.RoleID); problem != "" {
			return errorf(KindInvalid, field, "%s", problem)
		}
		if first, dup := firstRole[r.RoleID]; dup {
			return errorf(KindDuplicate, field, "role_id is already declared by roles[%d]", first)
		}
		firstRole[r.RoleID] = i
		if e := checkPermissions(field, r.Permissions, set); e != nil {
			return e
		}
	}

	if n := len(cfg.Scopes); n > MaxScopes {
		return errorf(KindLimit, "scopes", "%d scopes are configured; at most %d are allowed", n, MaxScopes)
	}
	firstScope := map[string]int{}
	for i, s := range cfg.Scopes {
		field := where("scopes", i, s.Scope)
		if problem := checkScope(s.Scope); problem != "" {
			return errorf(KindInvalid, field, "%s", problem)
		}
		if first, dup := firstScope[s.Scope]; dup {
			return errorf(KindDuplicate, field, "scope is already declared by scopes[%d]", first)
		}
		firstScope[s.Scope] = i
		if e := checkPermissions(field, s.Permissions, set); e != nil {
			return e
		}
	}
	return nil
}

// checkDeclaredActions validates the actions a resource declares.
func checkDeclaredActions(field string, actions []string) *Error {
	if len(actions) == 0 {
		return errorf(KindInvalid, field, "declares no actions")
	}
	if len(actions) > MaxActions {
		return errorf(KindLimit, field, "declares %d actions; at most %d are allowed", len(actions), MaxActions)
	}
	for k, a := range actions {
		if a == Wildcard {
			return errorf(KindInvalid, field, "declares the action \"*\", which is the wildcard for all actions and cannot be declared")
		}
		if problem := checkAction(a); problem != "" {
			return errorf(KindInvalid, field, "%s", problem)
		}
		if slices.Contains(actions[:k], a) {
			return errorf(KindDuplicate, field, "declares the action %q twice", a)
		}
	}
	return nil
}

// ValidateOrgRoles checks an organization's custom roles (RBAC.Organizations.SetOrgPolicy)
// against the project policy p: the rules of configured roles, plus ids of their own (not the
// default roles', nor any other project role's) and permissions only on p's resources. The
// error is an *Error.
func (p Policy) ValidateOrgRoles(roles []Role) error {
	if n := len(roles); n > MaxRoles {
		return errorf(KindLimit, "roles", "%d roles are given; an organization may have at most %d", n, MaxRoles)
	}
	set := newResourceSet(p.Resources)
	first := map[string]int{}
	for i, r := range roles {
		field := where("roles", i, r.RoleID)
		if problem := checkID("role_id", r.RoleID); problem != "" {
			return errorf(KindInvalid, field, "%s", problem)
		}
		if isDefaultRole(r.RoleID) {
			return errorf(KindReserved, field, "%q is a Stytch default role; its permissions are set in the project's policy, not an organization's", r.RoleID)
		}
		if p.HasRole(r.RoleID) {
			return errorf(KindCollision, field, "role_id is already a role of the project's policy; an organization's roles need ids of their own")
		}
		if j, dup := first[r.RoleID]; dup {
			return errorf(KindDuplicate, field, "role_id is already given by roles[%d]", j)
		}
		first[r.RoleID] = i
		if e := checkPermissions(field, r.Permissions, set); e != nil {
			return e
		}
	}
	return nil
}
