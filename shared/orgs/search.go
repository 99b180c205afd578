package orgs

import (
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	latchkey "github.com/latchkey/latchkey/shared"
)

// SearchQuery is Stytch's search query: {"operator": "AND"|"OR", "operands": [{filter_name,
// filter_value}]}. An absent query matches everything.
type SearchQuery struct {
	Operator string           `json:"operator"`
	Operands []map[string]any `json:"operands"`
}

// Filter is one parsed operand.
type Filter struct {
	Name    string
	Strings []string // array filters, lower-cased where the field is case-insensitive
	Text    string   // fuzzy filters, lower-cased
	Bool    bool
}

// Query is a parsed, validated SearchQuery.
type Query struct {
	Or      bool
	Filters []Filter
}

type filterKind int

const (
	stringList filterKind = iota
	fuzzyText
	boolean
)

// Filters each search accepts. Values of the email, slug and domain filters are compared
// lower-cased, like the stored values.
var (
	organizationFilters = map[string]filterKind{
		"organization_ids": stringList, "organization_slugs": stringList,
		"organization_name_fuzzy": fuzzyText, "organization_slug_fuzzy": fuzzyText,
		"organization_external_ids": stringList, "member_emails": stringList,
		"allowed_domains": stringList, "allowed_domain_fuzzy": fuzzyText,
	}
	memberFilters = map[string]filterKind{
		"member_ids": stringList, "member_emails": stringList, "member_email_fuzzy": fuzzyText,
		"statuses": stringList, "member_is_breakglass": boolean, "member_roles": stringList,
		"member_external_ids": stringList, "member_mfa_phone_numbers": stringList,
	}
	caseInsensitive = map[string]bool{"organization_slugs": true, "member_emails": true, "allowed_domains": true}
)

// MaxFilterValues bounds an array filter, which bounds the keyed reads a search may do.
const MaxFilterValues = 100

// ParseOrganizationQuery validates a query for Organizations.Search.
func ParseOrganizationQuery(q *SearchQuery) (Query, error) {
	return parseQuery(q, organizationFilters, "organization_search")
}

// ParseMemberQuery validates a query for Members.Search.
func ParseMemberQuery(q *SearchQuery) (Query, error) {
	return parseQuery(q, memberFilters, "member_search")
}

func parseQuery(q *SearchQuery, kinds map[string]filterKind, prefix string) (Query, error) {
	if q == nil {
		return Query{}, nil
	}
	var out Query
	switch strings.ToUpper(q.Operator) {
	case "AND", "":
	case "OR":
		out.Or = true
	default:
		return out, latchkey.BadRequest("invalid_search_operator", "query.operator must be AND or OR.")
	}
	if len(q.Operands) > 20 {
		return out, latchkey.BadRequest(prefix+"_too_many_operands", "A query may have at most 20 operands.")
	}
	for _, op := range q.Operands {
		name, _ := op["filter_name"].(string)
		kind, ok := kinds[name]
		if !ok {
			return out, latchkey.BadRequest(prefix+"_filter_name_not_recognized", "filter_name %q is not recognized.", name)
		}
		raw, present := op["filter_value"]
		if !present || raw == nil {
			return out, latchkey.BadRequest(prefix+"_missing_filter_value", "filter %q needs a filter_value.", name)
		}
		f := Filter{Name: name}
		switch kind {
		case stringList:
			list, ok := raw.([]any)
			if !ok || len(list) == 0 || len(list) > MaxFilterValues {
				return out, latchkey.BadRequest(prefix+"_expected_array_of_strings",
					"filter %q expects an array of 1 to %d strings.", name, MaxFilterValues)
			}
			for _, v := range list {
				s, ok := v.(string)
				if !ok {
					return out, latchkey.BadRequest(prefix+"_expected_array_of_strings", "filter %q expects an array of strings.", name)
				}
				if caseInsensitive[name] {
					s = strings.ToLower(strings.TrimSpace(s))
				}
				if latchkey.KeyTooLong(s) {
					continue // longer than any stored value: it matches nothing, and is no key
				}
				f.Strings = append(f.Strings, s)
			}
		case fuzzyText:
			s, ok := raw.(string)
			if !ok {
				return out, latchkey.BadRequest(prefix+"_expected_string", "filter %q expects a string.", name)
			}
			if f.Text = strings.ToLower(strings.TrimSpace(s)); utf8.RuneCountInString(f.Text) < 3 {
				return out, latchkey.BadRequest(prefix+"_fuzzy_too_short", "filter %q needs at least 3 characters.", name)
			}
		case boolean:
			b, ok := raw.(bool)
			if !ok {
				return out, latchkey.BadRequest(prefix+"_expected_boolean", "filter %q expects true or false.", name)
			}
			f.Bool = b
		}
		if name == "statuses" {
			for _, s := range f.Strings {
				if !slices.Contains([]string{latchkey.StatusActive, latchkey.StatusInvited, latchkey.StatusPending, latchkey.StatusDeleted}, s) {
					return out, latchkey.Errorf(http.StatusBadRequest, "search_invalid_status_filter", "%q is not a member status.", s)
				}
			}
		}
		out.Filters = append(out.Filters, f)
	}
	return out, nil
}

// Matches combines the filters with the query's operator; test evaluates one filter.
func (q Query) Matches(test func(Filter) bool) bool {
	if len(q.Filters) == 0 {
		return true
	}
	for _, f := range q.Filters {
		if test(f) == q.Or {
			return q.Or
		}
	}
	return !q.Or
}

// Filter returns the named filter of an AND query: the caller may use it to read candidates
// by key instead of listing. OR queries have no such shortcut.
func (q Query) Filter(name string) (Filter, bool) {
	if q.Or {
		return Filter{}, false
	}
	for _, f := range q.Filters {
		if f.Name == name {
			return f, true
		}
	}
	return Filter{}, false
}

// Has tells whether q has a filter with this name at all.
func (q Query) Has(name string) bool {
	return slices.ContainsFunc(q.Filters, func(f Filter) bool { return f.Name == name })
}

// OrganizationMatches evaluates one organization filter. emailOrgs holds, for member_emails,
// the ids of organizations that have an active member with one of the emails.
func OrganizationMatches(f Filter, o latchkey.Organization, emailOrgs map[string]bool) bool {
	switch f.Name {
	case "organization_ids":
		return slices.Contains(f.Strings, o.OrganizationID)
	case "organization_slugs":
		return slices.Contains(f.Strings, o.OrganizationSlug)
	case "organization_name_fuzzy":
		return strings.Contains(strings.ToLower(o.OrganizationName), f.Text)
	case "organization_slug_fuzzy":
		return strings.Contains(o.OrganizationSlug, f.Text)
	case "organization_external_ids":
		return o.OrganizationExternalID != "" && slices.Contains(f.Strings, o.OrganizationExternalID)
	case "member_emails":
		return emailOrgs[o.OrganizationID]
	case "allowed_domains":
		return slices.ContainsFunc(o.EmailAllowedDomains, func(d string) bool { return slices.Contains(f.Strings, d) })
	case "allowed_domain_fuzzy":
		return slices.ContainsFunc(o.EmailAllowedDomains, func(d string) bool { return strings.Contains(d, f.Text) })
	}
	return false
}

// MemberMatches evaluates one member filter.
func MemberMatches(f Filter, m latchkey.Member) bool {
	switch f.Name {
	case "member_ids":
		return slices.Contains(f.Strings, m.MemberID)
	case "member_emails":
		return slices.Contains(f.Strings, m.EmailAddress)
	case "member_email_fuzzy":
		return strings.Contains(m.EmailAddress, f.Text)
	case "statuses":
		return slices.Contains(f.Strings, m.Status)
	case "member_is_breakglass":
		return m.IsBreakglass == f.Bool
	case "member_roles":
		return slices.ContainsFunc(m.DirectRoles, func(r string) bool { return slices.Contains(f.Strings, r) }) ||
			slices.Contains(f.Strings, latchkey.RoleMember)
	case "member_external_ids":
		return m.ExternalID != "" && slices.Contains(f.Strings, m.ExternalID)
	case "member_mfa_phone_numbers":
		return m.MFAPhoneNumber != "" && slices.Contains(f.Strings, m.MFAPhoneNumber)
	}
	return false
}
