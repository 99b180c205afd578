package scim

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
)

// Attribute names are case-insensitive (RFC 7643 §2.1). Resources are put in canonical case
// on the way in, so everything after (PATCH, filters, storage) sees one spelling.
var (
	userAttributes = []string{"id", "externalId", "meta", "schemas", "userName", "name", "displayName",
		"nickName", "profileUrl", "title", "userType", "preferredLanguage", "locale", "timezone", "active",
		"password", "emails", "phoneNumbers", "ims", "photos", "addresses", "groups", "entitlements", "roles",
		"x509Certificates"}
	enterpriseAttributes = []string{"employeeNumber", "costCenter", "organization", "division", "department", "manager"}
	groupAttributes      = []string{"id", "externalId", "meta", "schemas", "displayName", "members"}
	multiValuedSubs      = []string{"value", "display", "type", "primary", "$ref"}
	subAttributes        = map[string][]string{
		"name":      {"formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"},
		"addresses": {"formatted", "streetAddress", "locality", "region", "postalCode", "country", "type", "primary"},
		"manager":   {"value", "$ref", "displayName"},
		"meta":      {"resourceType", "created", "lastModified", "location", "version"},
	}
	// booleans an identity provider may send as strings ("False", Entra without its flag).
	booleanAttributes = []string{"active", "primary"}
)

// Resource types this server has.
const (
	User  = "User"
	Group = "Group"
)

func attributesOf(resourceType string) []string {
	if resourceType == Group {
		return groupAttributes
	}
	return userAttributes
}

func canonicalName(name string, names []string) string {
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return n
		}
	}
	return name
}

// isURN tells whether an attribute name is a schema URN (an extension's object).
func isURN(name string) bool { return len(name) > 4 && strings.EqualFold(name[:4], "urn:") }

func canonicalURN(name string) string {
	for _, u := range []string{UserSchema, GroupSchema, EnterpriseSchema} {
		if strings.EqualFold(u, name) {
			return u
		}
	}
	return name
}

// Canonical returns a copy of a resource with attribute names in their schema's case and
// booleans sent as strings made booleans.
func Canonical(res map[string]any, resourceType string) map[string]any {
	return canonicalMap(res, attributesOf(resourceType))
}

func canonicalMap(in map[string]any, names []string) map[string]any {
	out := make(map[string]any, len(in))
	for _, k := range sortedKeys(in) {
		v := in[k]
		if isURN(k) {
			u := canonicalURN(k)
			if m, ok := v.(map[string]any); ok && u == EnterpriseSchema {
				out[u] = canonicalMap(m, enterpriseAttributes)
			} else {
				out[u] = v
			}
			continue
		}
		ck := canonicalName(k, names)
		out[ck] = canonicalValue(ck, v)
	}
	return out
}

func canonicalValue(name string, v any) any {
	subs, ok := subAttributes[name]
	if !ok {
		subs = multiValuedSubs
	}
	switch x := v.(type) {
	case map[string]any:
		return canonicalMap(x, subs)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			if m, ok := e.(map[string]any); ok {
				out[i] = canonicalMap(m, subs)
			} else {
				out[i] = e
			}
		}
		return out
	}
	if slices.Contains(booleanAttributes, name) {
		if b, ok := Bool(v); ok {
			return b
		}
	}
	return v
}

// Bool reads a boolean, accepting "true"/"false" in any case as Entra ID sends them.
func Bool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lookup finds an attribute case-insensitively.
func lookup(m map[string]any, name string) (string, any, bool) {
	if v, ok := m[name]; ok {
		return name, v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return k, v, true
		}
	}
	return name, nil, false
}

func str(m map[string]any, name string) (string, error) {
	_, v, ok := lookup(m, name)
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", badRequest(InvalidValue, "%s must be a string.", name)
	}
	return strings.TrimSpace(s), nil
}

// readOnly are attributes the server sets; what a client sends for them is ignored.
var readOnly = []string{"id", "meta", "schemas", "groups"}

// UserFromResource reads what a User resource says about a member. The member's email is the
// primary email, else the work email, else the first, else the userName: Entra's userName is
// a userPrincipalName, which need not be a mailbox, while its work email is.
func UserFromResource(raw map[string]any) (SCIMUser, error) {
	res := Canonical(raw, User)
	var u SCIMUser
	var err error
	if u.UserName, err = str(res, "userName"); err != nil {
		return u, err
	}
	if u.UserName == "" {
		return u, badRequest(InvalidValue, "userName is required.")
	}
	if u.ExternalID, err = str(res, "externalId"); err != nil {
		return u, err
	}
	var first, work, primary string
	if v, ok := res["emails"]; ok && v != nil {
		list, ok := v.([]any)
		if !ok {
			return u, badRequest(InvalidValue, "emails must be an array.")
		}
		for _, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				return u, badRequest(InvalidValue, "Each of emails must be an object.")
			}
			value, err := str(m, "value")
			if err != nil || value == "" {
				continue
			}
			typ, _ := str(m, "type")
			isPrimary, _ := Bool(m["primary"])
			first = firstOf(first, value)
			if strings.EqualFold(typ, "work") {
				work = firstOf(work, value)
			}
			if isPrimary {
				primary = firstOf(primary, value)
			}
		}
	}
	u.Email = firstOf(primary, work, first, u.UserName)
	if u.Name, err = userName(res); err != nil {
		return u, err
	}
	if v, ok := res["active"]; ok && v != nil {
		b, ok := Bool(v)
		if !ok {
			return u, badRequest(InvalidValue, "active must be a boolean.")
		}
		u.Active = &b
	}
	stored := make(map[string]any, len(res))
	for k, v := range res {
		// The password (Okta sends one when password sync is on) is never kept.
		if !slices.Contains(readOnly, k) && k != "password" && v != nil {
			stored[k] = v
		}
	}
	u.Attributes = ToStytch(stored)
	return u, nil
}

// firstOf returns the first non-empty string.
func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// userName is the member's name: given and family names when sent (a PATCH of
// name.givenName then shows), else name.formatted, else displayName.
func userName(res map[string]any) (string, error) {
	display, err := str(res, "displayName")
	if err != nil {
		return "", err
	}
	v, ok := res["name"]
	if !ok || v == nil {
		return display, nil
	}
	n, ok := v.(map[string]any)
	if !ok {
		return "", badRequest(InvalidValue, "name must be an object.")
	}
	given, err1 := str(n, "givenName")
	family, err2 := str(n, "familyName")
	formatted, err3 := str(n, "formatted")
	if err := firstErr(err1, err2, err3); err != nil {
		return "", err
	}
	return firstOf(strings.TrimSpace(given+" "+family), formatted, display), nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func meta(resourceType string, created, modified time.Time, location string, version int) map[string]any {
	return map[string]any{"resourceType": resourceType, "created": timestamp(created),
		"lastModified": timestamp(modified), "location": location, "version": fmt.Sprintf(`W/"%d"`, version)}
}

// UserResource is a member as a SCIM User: the attributes the identity provider last set,
// with the member's id and status. A member it never provisioned shows its email as
// userName.
func UserResource(m latchkey.Member, endpoint string) map[string]any {
	var res map[string]any
	if m.SCIMRegistration != nil {
		res = FromStytch(m.SCIMRegistration.SCIMAttributes)
	} else {
		res = map[string]any{
			"userName": m.EmailAddress,
			"emails":   []any{map[string]any{"value": m.EmailAddress, "type": "work", "primary": true}},
		}
		if m.Name != "" {
			res["name"] = map[string]any{"formatted": m.Name}
			res["displayName"] = m.Name
		}
		if m.ExternalID != "" {
			res["externalId"] = m.ExternalID
		}
	}
	schemas := []any{UserSchema}
	if _, ok := res[EnterpriseSchema]; ok {
		schemas = append(schemas, EnterpriseSchema)
	}
	res["schemas"] = schemas
	res["id"] = m.MemberID
	res["active"] = m.Status != latchkey.StatusDeleted
	delete(res, "groups")
	if len(m.SCIMGroupIDs) > 0 {
		groups := make([]any, 0, len(m.SCIMGroupIDs))
		for _, g := range slices.Sorted(slices.Values(m.SCIMGroupIDs)) {
			groups = append(groups, map[string]any{"value": g, "$ref": endpoint + "/Groups/" + g})
		}
		res["groups"] = groups
	}
	res["meta"] = meta(User, m.CreatedAt, m.UpdatedAt, endpoint+"/Users/"+m.MemberID, m.Version)
	return res
}

// GroupFromResource reads what a Group resource says.
func GroupFromResource(raw map[string]any) (GroupInput, error) {
	res := Canonical(raw, Group)
	var in GroupInput
	var err error
	if in.DisplayName, err = str(res, "displayName"); err != nil {
		return in, err
	}
	if in.ExternalID, err = str(res, "externalId"); err != nil {
		return in, err
	}
	if v, ok := res["members"]; ok && v != nil {
		list, ok := v.([]any)
		if !ok {
			return in, badRequest(InvalidValue, "members must be an array.")
		}
		for _, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				return in, badRequest(InvalidValue, "Each member must be an object with a value.")
			}
			id, err := str(m, "value")
			if err != nil || id == "" {
				return in, badRequest(InvalidValue, "Each member must have a value: the id of a user.")
			}
			in.MemberIDs = append(in.MemberIDs, id)
		}
	}
	return in, nil
}

// GroupResource is a group as a SCIM Group; members are listed when withMembers is set.
func GroupResource(g SCIMGroup, endpoint string, withMembers bool) map[string]any {
	res := map[string]any{
		"schemas":     []any{GroupSchema},
		"id":          g.GroupID,
		"displayName": g.DisplayName,
		"meta":        meta(Group, g.CreatedAt, g.UpdatedAt, endpoint+"/Groups/"+g.GroupID, g.Version),
	}
	if g.ExternalID != "" {
		res["externalId"] = g.ExternalID
	}
	if withMembers {
		members := make([]any, 0, len(g.MemberIDs))
		for _, id := range g.MemberIDs {
			members = append(members, map[string]any{"value": id, "$ref": endpoint + "/Users/" + id, "type": "User"})
		}
		res["members"] = members
	}
	return res
}

// ToStytch converts SCIM attributes (camelCase, extension URNs) into Stytch's scim_attributes
// shape (snake_case, enterprise_extension), which members show. FromStytch is its inverse.
func ToStytch(res map[string]any) map[string]any {
	out := make(map[string]any, len(res))
	for k, v := range res {
		switch {
		case k == EnterpriseSchema:
			out["enterprise_extension"] = convert(v, snake)
		case isURN(k):
			out[k] = v // another extension: kept as sent
		default:
			out[snake(k)] = convert(v, snake)
		}
	}
	return out
}

// FromStytch converts stored scim_attributes back into SCIM attributes.
func FromStytch(attrs map[string]any) map[string]any {
	out := make(map[string]any, len(attrs))
	for k, v := range attrs {
		switch {
		case k == "enterprise_extension":
			out[EnterpriseSchema] = convert(v, camel)
		case isURN(k):
			out[k] = v
		default:
			out[camel(k)] = convert(v, camel)
		}
	}
	return out
}

func convert(v any, name func(string) string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[name(k)] = convert(e, name)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = convert(e, name)
		}
		return out
	}
	return v
}

// Stytch's spellings that the generic case conversion would not produce.
var stytchNames = map[string]string{"x509Certificates": "x509certificates", "$ref": "ref"}

func snake(s string) string {
	if n, ok := stytchNames[s]; ok {
		return n
	}
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func camel(s string) string {
	for k, v := range stytchNames {
		if v == s {
			return k
		}
	}
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if p := parts[i]; p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}
