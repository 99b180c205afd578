package orgs

import (
	"encoding/json"
	"testing"

	latchkey "github.com/latchkey/latchkey/shared"
)

// requireClientError holds a fuzz target to the API's line: no input panics, and every
// rejection is a 4xx *Error, which the API renders in Stytch's shape.
func requireClientError(t *testing.T, err error) {
	t.Helper()
	if err != nil && !latchkey.IsClientError(err) {
		t.Fatalf("not a 4xx *Error: %#v", err)
	}
}

func FuzzSearchRequest(f *testing.F) {
	f.Add([]byte(`{"organization_ids":["o"],"limit":5,"query":{"operator":"AND","operands":[{"filter_name":"member_emails","filter_value":["a@b.c"]}]}}`))
	f.Add([]byte(`{"cursor":"eyJvIjoyfQ","query":{"operator":"OR","operands":[{"filter_name":"organization_name_fuzzy","filter_value":"acm"},{"filter_name":"member_is_breakglass","filter_value":true}]}}`))
	f.Add([]byte(`{"query":{"operands":[{"filter_name":"statuses","filter_value":["deleted","nope"]}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r SearchRequest
		if json.Unmarshal(body, &r) != nil {
			return
		}
		_, err := ParseOrganizationQuery(r.Query)
		requireClientError(t, err)
		q, err := ParseMemberQuery(r.Query)
		requireClientError(t, err)
		if err == nil {
			_ = q.Matches(func(f Filter) bool {
				return MemberMatches(f, latchkey.Member{EmailAddress: "a@b.c", Status: latchkey.StatusActive})
			})
		}
		_, err = decodeCursor(r.Cursor)
		requireClientError(t, err)
		_, err = r.limit()
		requireClientError(t, err)
	})
}
