package orgs

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
)

// queryJSON decodes a query the way the HTTP layer does, so filter values have JSON's types
// ([]any, float64, bool, string).
func queryJSON(t *testing.T, s string) *SearchQuery {
	t.Helper()
	var q SearchQuery
	if err := json.Unmarshal([]byte(s), &q); err != nil {
		t.Fatalf("bad test query %s: %v", s, err)
	}
	return &q
}

func operand(name, valueJSON string) string {
	return fmt.Sprintf(`{"filter_name":%q,"filter_value":%s}`, name, valueJSON)
}

func andQuery(operands ...string) string {
	return `{"operator":"AND","operands":[` + strings.Join(operands, ",") + `]}`
}

func TestParseQueryErrors(t *testing.T) {
	manyValues := `[` + strings.TrimSuffix(strings.Repeat(`"x",`, 101), ",") + `]`
	manyOperands := make([]string, 21)
	for i := range manyOperands {
		manyOperands[i] = operand("member_ids", `["m"]`)
	}
	type parser func(*SearchQuery) (Query, error)
	orgs, members := parser(ParseOrganizationQuery), parser(ParseMemberQuery)
	tests := []struct {
		name    string
		parse   parser
		query   string
		wantErr string
	}{
		{"org: unknown filter", orgs, andQuery(operand("colour", `["red"]`)), "organization_search_filter_name_not_recognized"},
		{"member: unknown filter", members, andQuery(operand("colour", `["red"]`)), "member_search_filter_name_not_recognized"},
		{"org: member-only filter", orgs, andQuery(operand("statuses", `["active"]`)), "organization_search_filter_name_not_recognized"},
		{"member: org-only filter", members, andQuery(operand("organization_slugs", `["acme"]`)), "member_search_filter_name_not_recognized"},
		{"member: filter name case matters", members, andQuery(operand("MEMBER_IDS", `["m"]`)), "member_search_filter_name_not_recognized"},
		{"member: no filter_name", members, andQuery(`{"filter_value":["m"]}`), "member_search_filter_name_not_recognized"},
		{"member: filter_name not a string", members, andQuery(`{"filter_name":7,"filter_value":["m"]}`), "member_search_filter_name_not_recognized"},
		{"org: missing value", orgs, andQuery(`{"filter_name":"organization_ids"}`), "organization_search_missing_filter_value"},
		{"member: null value", members, andQuery(operand("member_ids", `null`)), "member_search_missing_filter_value"},
		{"member: array filter given a string", members, andQuery(operand("member_ids", `"m"`)), "member_search_expected_array_of_strings"},
		{"member: array filter given numbers", members, andQuery(operand("member_ids", `[1,2]`)), "member_search_expected_array_of_strings"},
		{"member: array filter with a null", members, andQuery(operand("member_emails", `["a@b.co",null]`)), "member_search_expected_array_of_strings"},
		{"member: empty array", members, andQuery(operand("member_ids", `[]`)), "member_search_expected_array_of_strings"},
		{"member: 101 values", members, andQuery(operand("member_ids", manyValues)), "member_search_expected_array_of_strings"},
		{"org: array filter given an object", orgs, andQuery(operand("organization_ids", `{"a":1}`)), "organization_search_expected_array_of_strings"},
		{"org: fuzzy given an array", orgs, andQuery(operand("organization_name_fuzzy", `["acme"]`)), "organization_search_expected_string"},
		{"member: fuzzy given a number", members, andQuery(operand("member_email_fuzzy", `123`)), "member_search_expected_string"},
		{"org: fuzzy of 2 chars", orgs, andQuery(operand("organization_slug_fuzzy", `"ac"`)), "organization_search_fuzzy_too_short"},
		{"org: fuzzy of 2 chars after trim", orgs, andQuery(operand("allowed_domain_fuzzy", `"  ac  "`)), "organization_search_fuzzy_too_short"},
		{"member: empty fuzzy", members, andQuery(operand("member_email_fuzzy", `""`)), "member_search_fuzzy_too_short"},
		{"member: boolean given a string", members, andQuery(operand("member_is_breakglass", `"true"`)), "member_search_expected_boolean"},
		{"member: boolean given a number", members, andQuery(operand("member_is_breakglass", `1`)), "member_search_expected_boolean"},
		{"member: bad status", members, andQuery(operand("statuses", `["active","retired"]`)), "search_invalid_status_filter"},
		{"member: status is case-sensitive", members, andQuery(operand("statuses", `["ACTIVE"]`)), "search_invalid_status_filter"},
		{"member: bad operator", members, `{"operator":"XOR","operands":[]}`, "invalid_search_operator"},
		{"org: NOT operator", orgs, `{"operator":"NOT","operands":[]}`, "invalid_search_operator"},
		{"member: 21 operands", members, andQuery(manyOperands...), "member_search_too_many_operands"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.parse(queryJSON(t, tt.query))
			requireBadRequest(t, err, tt.wantErr)
		})
	}
}

func TestParseQueryValues(t *testing.T) {
	twenty := make([]string, 20)
	for i := range twenty {
		twenty[i] = operand("member_ids", `["m"]`)
	}
	tests := []struct {
		name  string
		parse func(*SearchQuery) (Query, error)
		query string
		want  Query
	}{
		{"empty operands", ParseMemberQuery, `{"operator":"AND","operands":[]}`, Query{}},
		{"operator defaults to AND", ParseMemberQuery, `{"operands":[` + operand("member_ids", `["m1"]`) + `]}`,
			Query{Filters: []Filter{{Name: "member_ids", Strings: []string{"m1"}}}}},
		{"lower-case or", ParseMemberQuery, `{"operator":"or","operands":[` + operand("member_ids", `["m1"]`) + `]}`,
			Query{Or: true, Filters: []Filter{{Name: "member_ids", Strings: []string{"m1"}}}}},
		{"member_emails lower-cased and trimmed", ParseMemberQuery, andQuery(operand("member_emails", `[" Bob@Acme.COM "]`)),
			Query{Filters: []Filter{{Name: "member_emails", Strings: []string{"bob@acme.com"}}}}},
		{"member_ids kept verbatim", ParseMemberQuery, andQuery(operand("member_ids", `["Member-X"]`)),
			Query{Filters: []Filter{{Name: "member_ids", Strings: []string{"Member-X"}}}}},
		{"external ids kept verbatim", ParseMemberQuery, andQuery(operand("member_external_ids", `["Ext-1"]`)),
			Query{Filters: []Filter{{Name: "member_external_ids", Strings: []string{"Ext-1"}}}}},
		{"fuzzy lower-cased and trimmed", ParseMemberQuery, andQuery(operand("member_email_fuzzy", `"  ACM "`)),
			Query{Filters: []Filter{{Name: "member_email_fuzzy", Text: "acm"}}}},
		{"boolean false", ParseMemberQuery, andQuery(operand("member_is_breakglass", `false`)),
			Query{Filters: []Filter{{Name: "member_is_breakglass", Bool: false}}}},
		{"boolean true", ParseMemberQuery, andQuery(operand("member_is_breakglass", `true`)),
			Query{Filters: []Filter{{Name: "member_is_breakglass", Bool: true}}}},
		{"all statuses", ParseMemberQuery, andQuery(operand("statuses", `["active","invited","pending","deleted"]`)),
			Query{Filters: []Filter{{Name: "statuses", Strings: []string{"active", "invited", "pending", "deleted"}}}}},
		{"slugs and domains lower-cased", ParseOrganizationQuery, andQuery(operand("organization_slugs", `["ACME"]`), operand("allowed_domains", `["Acme.com"]`)),
			Query{Filters: []Filter{{Name: "organization_slugs", Strings: []string{"acme"}}, {Name: "allowed_domains", Strings: []string{"acme.com"}}}}},
		{"organization_ids kept verbatim", ParseOrganizationQuery, andQuery(operand("organization_ids", `["Org-1","org-2"]`)),
			Query{Filters: []Filter{{Name: "organization_ids", Strings: []string{"Org-1", "org-2"}}}}},
		{"org name fuzzy", ParseOrganizationQuery, andQuery(operand("organization_name_fuzzy", `"ACME Co"`)),
			Query{Filters: []Filter{{Name: "organization_name_fuzzy", Text: "acme co"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse(queryJSON(t, tt.query))
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}

	t.Run("nil query", func(t *testing.T) {
		for _, parse := range []func(*SearchQuery) (Query, error){ParseOrganizationQuery, ParseMemberQuery} {
			q, err := parse(nil)
			if err != nil || q.Or || len(q.Filters) != 0 {
				t.Fatalf("parse(nil) = %+v, %v; want empty AND query", q, err)
			}
		}
	})
	t.Run("20 operands allowed", func(t *testing.T) {
		q, err := ParseMemberQuery(queryJSON(t, andQuery(twenty...)))
		if err != nil || len(q.Filters) != 20 {
			t.Fatalf("got %d filters, %v", len(q.Filters), err)
		}
	})
	t.Run("100 values allowed", func(t *testing.T) {
		v := `[` + strings.TrimSuffix(strings.Repeat(`"x",`, 100), ",") + `]`
		q, err := ParseMemberQuery(queryJSON(t, andQuery(operand("member_ids", v))))
		if err != nil || len(q.Filters[0].Strings) != 100 {
			t.Fatalf("got %+v, %v", q, err)
		}
	})
	t.Run("every organization filter is recognised", func(t *testing.T) {
		for name, v := range map[string]string{
			"organization_ids": `["o"]`, "organization_slugs": `["s"]`, "organization_name_fuzzy": `"abc"`,
			"organization_slug_fuzzy": `"abc"`, "organization_external_ids": `["e"]`, "member_emails": `["a@b.co"]`,
			"allowed_domains": `["acme.com"]`, "allowed_domain_fuzzy": `"acm"`,
		} {
			if _, err := ParseOrganizationQuery(queryJSON(t, andQuery(operand(name, v)))); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
	t.Run("every member filter is recognised", func(t *testing.T) {
		for name, v := range map[string]string{
			"member_ids": `["m"]`, "member_emails": `["a@b.co"]`, "member_email_fuzzy": `"abc"`,
			"statuses": `["active"]`, "member_is_breakglass": `true`, "member_roles": `["admin"]`,
			"member_external_ids": `["e"]`, "member_mfa_phone_numbers": `["+15555550100"]`,
		} {
			if _, err := ParseMemberQuery(queryJSON(t, andQuery(operand(name, v)))); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

func TestQueryMatches(t *testing.T) {
	tests := []struct {
		name    string
		or      bool
		results []bool // what each filter evaluates to, in order
		want    bool
	}{
		{"empty AND matches all", false, nil, true},
		{"empty OR matches all", true, nil, true},
		{"AND, one true", false, []bool{true}, true},
		{"AND, one false", false, []bool{false}, false},
		{"AND, all true", false, []bool{true, true, true}, true},
		{"AND, one of three false", false, []bool{true, false, true}, false},
		{"AND, last false", false, []bool{true, true, false}, false},
		{"OR, one true", true, []bool{true}, true},
		{"OR, one false", true, []bool{false}, false},
		{"OR, all false", true, []bool{false, false, false}, false},
		{"OR, last true", true, []bool{false, false, true}, true},
		{"OR, all true", true, []bool{true, true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := Query{Or: tt.or}
			result := map[string]bool{}
			for i, r := range tt.results {
				name := fmt.Sprintf("f%d", i)
				q.Filters = append(q.Filters, Filter{Name: name})
				result[name] = r
			}
			if got := q.Matches(func(f Filter) bool { return result[f.Name] }); got != tt.want {
				t.Fatalf("Matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestQueryFilterAndHas(t *testing.T) {
	ids := Filter{Name: "member_ids", Strings: []string{"m1"}}
	emails := Filter{Name: "member_emails", Strings: []string{"a@b.co"}}
	and := Query{Filters: []Filter{ids, emails}}
	or := Query{Or: true, Filters: []Filter{ids, emails}}

	if f, ok := and.Filter("member_emails"); !ok || !reflect.DeepEqual(f, emails) {
		t.Errorf("AND Filter(member_emails) = %+v, %v", f, ok)
	}
	if _, ok := and.Filter("statuses"); ok {
		t.Errorf("AND Filter(statuses) found a filter that is not there")
	}
	if f, ok := or.Filter("member_ids"); ok || !reflect.DeepEqual(f, Filter{}) {
		t.Errorf("OR Filter(member_ids) = %+v, %v; OR queries have no key shortcut", f, ok)
	}
	if _, ok := (Query{}).Filter("member_ids"); ok {
		t.Errorf("empty query has no filters")
	}
	for _, q := range []Query{and, or} {
		if !q.Has("member_ids") || !q.Has("member_emails") || q.Has("statuses") {
			t.Errorf("Has is wrong for %+v", q)
		}
	}
}

func TestOrganizationMatches(t *testing.T) {
	o := validOrg()
	o.OrganizationName = "Acme Widgets"
	o.OrganizationSlug = "acme-widgets"
	o.OrganizationExternalID = "EXT-42"
	o.EmailAllowedDomains = []string{"acme.com", "widgets.io"}

	noExt := o
	noExt.OrganizationExternalID = ""

	strs := func(name string, v ...string) Filter { return Filter{Name: name, Strings: v} }
	text := func(name, v string) Filter { return Filter{Name: name, Text: v} }

	tests := []struct {
		name      string
		filter    Filter
		org       latchkey.Organization
		emailOrgs map[string]bool
		want      bool
	}{
		{"id matches", strs("organization_ids", "other", testOrgID), o, nil, true},
		{"id does not match", strs("organization_ids", "other"), o, nil, false},
		{"slug matches", strs("organization_slugs", "acme-widgets"), o, nil, true},
		{"slug does not match", strs("organization_slugs", "acme"), o, nil, false},
		{"name fuzzy is case-insensitive", text("organization_name_fuzzy", "widg"), o, nil, true},
		{"name fuzzy no match", text("organization_name_fuzzy", "gadget"), o, nil, false},
		{"slug fuzzy", text("organization_slug_fuzzy", "e-wid"), o, nil, true},
		{"slug fuzzy no match", text("organization_slug_fuzzy", "xyz"), o, nil, false},
		{"external id matches", strs("organization_external_ids", "EXT-42"), o, nil, true},
		{"external id is case-sensitive", strs("organization_external_ids", "ext-42"), o, nil, false},
		{"empty external id never matches", strs("organization_external_ids", ""), noExt, nil, false},
		{"member email via emailOrgs", strs("member_emails", "bob@acme.com"), o, map[string]bool{testOrgID: true}, true},
		{"member email, org not in emailOrgs", strs("member_emails", "bob@acme.com"), o, map[string]bool{"organization-test-other": true}, false},
		{"member email, nil emailOrgs", strs("member_emails", "bob@acme.com"), o, nil, false},
		{"allowed domain matches", strs("allowed_domains", "widgets.io"), o, nil, true},
		{"allowed domain exact only", strs("allowed_domains", "acme"), o, nil, false},
		{"allowed domain fuzzy", text("allowed_domain_fuzzy", "dgets"), o, nil, true},
		{"allowed domain fuzzy no match", text("allowed_domain_fuzzy", "gadgets"), o, nil, false},
		{"allowed domain with no domains", strs("allowed_domains", "acme.com"), validOrg(), nil, false},
		{"unknown filter", strs("colour", "red"), o, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OrganizationMatches(tt.filter, tt.org, tt.emailOrgs); got != tt.want {
				t.Fatalf("OrganizationMatches(%+v) = %v, want %v", tt.filter, got, tt.want)
			}
		})
	}
}

func TestMemberMatches(t *testing.T) {
	m := validMember()
	m.EmailAddress = "bob@acme.com"
	m.Status = latchkey.StatusInvited
	m.IsBreakglass = true
	m.DirectRoles = []string{"editor"}
	m.ExternalID = "EXT-7"
	m.MFAPhoneNumber = "+15555550100"

	bare := validMember() // no roles, no external id, no phone, not breakglass

	strs := func(name string, v ...string) Filter { return Filter{Name: name, Strings: v} }

	tests := []struct {
		name   string
		filter Filter
		member latchkey.Member
		want   bool
	}{
		{"id matches", strs("member_ids", testMemberID), m, true},
		{"id does not match", strs("member_ids", "member-test-x"), m, false},
		{"email matches", strs("member_emails", "alice@acme.com", "bob@acme.com"), m, true},
		{"email does not match", strs("member_emails", "alice@acme.com"), m, false},
		{"email fuzzy", Filter{Name: "member_email_fuzzy", Text: "b@acm"}, m, true},
		{"email fuzzy no match", Filter{Name: "member_email_fuzzy", Text: "alice"}, m, false},
		{"status matches", strs("statuses", latchkey.StatusActive, latchkey.StatusInvited), m, true},
		{"status does not match", strs("statuses", latchkey.StatusActive), m, false},
		{"breakglass true", Filter{Name: "member_is_breakglass", Bool: true}, m, true},
		{"breakglass false vs true", Filter{Name: "member_is_breakglass", Bool: false}, m, false},
		{"breakglass false vs false", Filter{Name: "member_is_breakglass", Bool: false}, bare, true},
		{"direct role", strs("member_roles", "editor"), m, true},
		{"role not held", strs("member_roles", "viewer"), m, false},
		{"role not held, no roles", strs("member_roles", "editor"), bare, false},
		{"stytch_member is held by everyone", strs("member_roles", latchkey.RoleMember), bare, true},
		{"stytch_member among others", strs("member_roles", "viewer", latchkey.RoleMember), m, true},
		{"external id", strs("member_external_ids", "EXT-7"), m, true},
		{"external id no match", strs("member_external_ids", "EXT-8"), m, false},
		{"empty external id never matches", strs("member_external_ids", ""), bare, false},
		{"phone", strs("member_mfa_phone_numbers", "+15555550100"), m, true},
		{"phone no match", strs("member_mfa_phone_numbers", "+15555550101"), m, false},
		{"empty phone never matches", strs("member_mfa_phone_numbers", ""), bare, false},
		{"unknown filter", strs("colour", "red"), m, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MemberMatches(tt.filter, tt.member); got != tt.want {
				t.Fatalf("MemberMatches(%+v) = %v, want %v", tt.filter, got, tt.want)
			}
		})
	}
}

// TestParsedQueryMatchesMembers runs parse and match end to end, as SearchMembers does.
func TestParsedQueryMatchesMembers(t *testing.T) {
	bob := validMember()
	bob.EmailAddress, bob.DirectRoles = "bob@acme.com", []string{"editor"}
	alice := validMember()
	alice.MemberID, alice.EmailAddress, alice.Status = "member-test-alice", "alice@other.com", latchkey.StatusPending

	tests := []struct {
		name  string
		query string
		bob   bool
		alice bool
	}{
		{"empty", `{"operator":"AND","operands":[]}`, true, true},
		{"email upper-case in query", andQuery(operand("member_emails", `["BOB@ACME.COM"]`)), true, false},
		{"AND of email fuzzy and status", andQuery(operand("member_email_fuzzy", `"acme"`), operand("statuses", `["pending"]`)), false, false},
		{"OR of email fuzzy and status", `{"operator":"OR","operands":[` + operand("member_email_fuzzy", `"acme"`) + `,` + operand("statuses", `["pending"]`) + `]}`, true, true},
		{"role", andQuery(operand("member_roles", `["editor"]`)), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := ParseMemberQuery(queryJSON(t, tt.query))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			for _, c := range []struct {
				m    latchkey.Member
				want bool
			}{{bob, tt.bob}, {alice, tt.alice}} {
				if got := q.Matches(func(f Filter) bool { return MemberMatches(f, c.m) }); got != c.want {
					t.Errorf("%s: got %v, want %v", c.m.EmailAddress, got, c.want)
				}
			}
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		c    cursor
	}{
		{"zero", cursor{}},
		{"offset", cursor{Offset: 300}},
		{"member walk", cursor{OrgIndex: 3, AfterID: "member-test-0b8f2f52-7a55-4a0e-8a3c-2f0b9c1d4e21"}},
		{"organization walk", cursor{CreatedAt: time.Date(2025, 1, 2, 3, 4, 5, 678_000_000, time.UTC), AfterID: testOrgID}},
		{"all fields", cursor{Offset: 1, OrgIndex: 2, AfterID: "x", CreatedAt: testNow}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.c.encode()
			if s == nil {
				t.Fatal("encode returned nil")
			}
			if strings.ContainsAny(*s, "+/= ") {
				t.Errorf("cursor %q is not URL-safe unpadded base64", *s)
			}
			got, err := decodeCursor(*s)
			if err != nil {
				t.Fatalf("decode(%q): %v", *s, err)
			}
			if got.Offset != tt.c.Offset || got.OrgIndex != tt.c.OrgIndex || got.AfterID != tt.c.AfterID || !got.CreatedAt.Equal(tt.c.CreatedAt) {
				t.Fatalf("round trip: got %+v, want %+v", got, tt.c)
			}
		})
	}

	t.Run("empty string is the first page", func(t *testing.T) {
		got, err := decodeCursor("")
		if err != nil || !reflect.DeepEqual(got, cursor{}) {
			t.Fatalf("decodeCursor(\"\") = %+v, %v", got, err)
		}
	})
}

func TestDecodeCursorInvalid(t *testing.T) {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	valid := *cursor{Offset: 5}.encode()
	tests := []struct{ name, in string }{
		{"not base64", "!!!not-a-cursor!!!"},
		{"padded std base64", base64.StdEncoding.EncodeToString([]byte(`{"o":5}`))},
		{"base64 of non-JSON", b64("hello")},
		{"base64 of a JSON array", b64(`[1,2]`)},
		{"negative offset", b64(`{"o":-1}`)},
		{"negative org index", b64(`{"i":-2}`)},
		{"offset of wrong type", b64(`{"o":"5"}`)},
		{"bad time", b64(`{"t":"yesterday"}`)},
		{"truncated", valid[:len(valid)-2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeCursor(tt.in)
			requireBadRequest(t, err, "invalid_cursor")
		})
	}
}

func TestSearchRequestLimit(t *testing.T) {
	tests := []struct {
		in      int
		want    int
		wantErr bool
	}{
		{0, DefaultSearchLimit, false},
		{1, 1, false},
		{100, 100, false},
		{999, 999, false},
		{1000, 1000, false},
		{1001, 0, true},
		{-1, 0, true},
		{-1000, 0, true},
		{1 << 40, 0, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.in), func(t *testing.T) {
			got, err := SearchRequest{Limit: tt.in}.limit()
			if tt.wantErr {
				requireBadRequest(t, err, "invalid_limit")
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("limit(%d) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
	if DefaultSearchLimit != 100 || MaxSearchLimit != 1000 {
		t.Errorf("Stytch's documented limits are 100 by default and 1000 at most")
	}
}

func TestPageOf(t *testing.T) {
	five := []int{0, 1, 2, 3, 4}
	tests := []struct {
		name       string
		all        []int
		offset     int
		limit      int
		want       []int
		wantCursor int // -1: no next cursor
	}{
		{"first page", five, 0, 2, []int{0, 1}, 2},
		{"middle page", five, 2, 2, []int{2, 3}, 4},
		{"last partial page", five, 4, 2, []int{4}, -1},
		{"limit one short of all", five, 0, 4, []int{0, 1, 2, 3}, 4},
		{"limit exactly all", five, 0, 5, five, -1},
		{"limit beyond all", five, 0, 6, five, -1},
		{"last page ends on the boundary", five, 3, 2, []int{3, 4}, -1},
		{"offset at end", five, 5, 2, []int{}, -1},
		{"offset past end", five, 9, 2, []int{}, -1},
		{"empty input", nil, 0, 10, nil, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, meta, err := pageOf(tt.all, tt.offset, tt.limit)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(got) != len(tt.want) || (len(got) > 0 && !reflect.DeepEqual(got, tt.want)) {
				t.Errorf("page = %v, want %v", got, tt.want)
			}
			if meta.Total != len(tt.all) {
				t.Errorf("total = %d, want %d", meta.Total, len(tt.all))
			}
			switch {
			case tt.wantCursor < 0 && meta.NextCursor != nil:
				t.Errorf("next_cursor = %q, want none", *meta.NextCursor)
			case tt.wantCursor >= 0 && meta.NextCursor == nil:
				t.Errorf("next_cursor missing, want offset %d", tt.wantCursor)
			case tt.wantCursor >= 0:
				c, err := decodeCursor(*meta.NextCursor)
				if err != nil || c.Offset != tt.wantCursor {
					t.Errorf("next_cursor decodes to %+v, %v; want offset %d", c, err, tt.wantCursor)
				}
			}
		})
	}
}

// TestPageOfWalk follows next_cursor to the end and checks every item comes back exactly once.
func TestPageOfWalk(t *testing.T) {
	for _, n := range []int{0, 1, 6, 7, 12} {
		for _, limit := range []int{1, 3, 6, 100} {
			all := make([]int, n)
			for i := range all {
				all[i] = i
			}
			var seen []int
			offset, pages := 0, 0
			for {
				page, meta, err := pageOf(all, offset, limit)
				if err != nil {
					t.Fatal(err)
				}
				seen = append(seen, page...)
				pages++
				if meta.NextCursor == nil {
					break
				}
				if len(page) == 0 {
					t.Fatalf("n=%d limit=%d: empty page with a next cursor", n, limit)
				}
				c, err := decodeCursor(*meta.NextCursor)
				if err != nil {
					t.Fatal(err)
				}
				offset = c.Offset
			}
			if len(seen) != n || (n > 0 && !reflect.DeepEqual(seen, all)) {
				t.Errorf("n=%d limit=%d: saw %v", n, limit, seen)
			}
			wantPages := max(1, (n+limit-1)/limit)
			if pages != wantPages {
				t.Errorf("n=%d limit=%d: %d pages, want %d", n, limit, pages, wantPages)
			}
		}
	}
}

func TestFuzzyFilterCountsCharacters(t *testing.T) {
	_, err := ParseMemberQuery(&SearchQuery{Operands: []map[string]any{{"filter_name": "member_email_fuzzy", "filter_value": "éé"}}})
	var e *latchkey.Error
	if !errors.As(err, &e) || e.Type != "member_search_fuzzy_too_short" {
		t.Fatalf("two characters accepted as a fuzzy filter: %v", err)
	}
	if _, err := ParseMemberQuery(&SearchQuery{Operands: []map[string]any{{"filter_name": "member_email_fuzzy", "filter_value": "ééé"}}}); err != nil {
		t.Fatalf("three characters refused: %v", err)
	}
}
