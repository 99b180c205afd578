package api_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/latchkey/latchkey/shared/app/apptest"
)

func operand(name string, value any) map[string]any {
	return map[string]any{"filter_name": name, "filter_value": value}
}

// searchAll follows next_cursor to the end and returns the ids at idPath in each item.
func searchAll(t *testing.T, path string, body map[string]any, listKey, idKey string) []string {
	t.Helper()
	var ids []string
	for pages := 0; ; pages++ {
		if pages > 50 {
			t.Fatal("cursor never ended")
		}
		r := env.Do(t, "POST", path, body)
		apptest.ExpectOK(t, r)
		for _, it := range r.Get(listKey).([]any) {
			ids = append(ids, it.(map[string]any)[idKey].(string))
		}
		next, _ := r.Get("results_metadata.next_cursor").(string)
		if next == "" {
			return ids
		}
		body["cursor"] = next
	}
}

func TestOrganizationSearch(t *testing.T) {
	tag := "zq" + uuid.NewString()[:6]
	domain := tag + ".example"
	var want []string
	for i := range 5 {
		body := map[string]any{"organization_name": "Search " + tag + " " + string(rune('A'+i))}
		if i%2 == 0 {
			body["email_allowed_domains"] = []string{domain}
		}
		want = append(want, createOrg(t, body).Str("organization.organization_id"))
	}
	// A member email present in orgs 1 and 3.
	email := "shared-" + tag + "@acme.com"
	createMember(t, want[1], map[string]any{"email_address": email})
	createMember(t, want[3], map[string]any{"email_address": email})

	cases := []struct {
		name  string
		query map[string]any
		want  []string
	}{
		{"name fuzzy walks the listing", map[string]any{"operands": []any{operand("organization_name_fuzzy", strings.ToUpper(tag))}}, want},
		{"ids", map[string]any{"operator": "AND", "operands": []any{operand("organization_ids", want[:3])}}, want[:3]},
		{"ids AND domain", map[string]any{"operator": "AND", "operands": []any{
			operand("organization_ids", want[:3]), operand("allowed_domains", []string{domain})}}, []string{want[0], want[2]}},
		{"allowed_domains", map[string]any{"operands": []any{operand("allowed_domains", []string{domain})}}, []string{want[0], want[2], want[4]}},
		{"member email", map[string]any{"operands": []any{operand("member_emails", []string{strings.ToUpper(email)})}}, []string{want[1], want[3]}},
		{"OR", map[string]any{"operator": "OR", "operands": []any{
			operand("member_emails", []string{email}), operand("organization_ids", []string{want[4]})}}, []string{want[1], want[3], want[4]}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := searchAll(t, "/v1/b2b/organizations/search", map[string]any{"limit": 2, "query": c.query}, "organizations", "organization_id")
			if !sameSet(got, c.want) {
				t.Fatalf("got %v\nwant %v", got, c.want)
			}
		})
	}
}

func TestMemberSearch(t *testing.T) {
	a := createOrg(t, map[string]any{}).Str("organization.organization_id")
	b := createOrg(t, map[string]any{}).Str("organization.organization_id")
	var all, breakglass []string
	for i := range 7 {
		org := a
		if i >= 4 {
			org = b
		}
		id := createMember(t, org, map[string]any{"is_breakglass": i%3 == 0}).Str("member_id")
		all = append(all, id)
		if i%3 == 0 {
			breakglass = append(breakglass, id)
		}
	}
	deleted := all[1]
	apptest.ExpectOK(t, env.Do(t, "DELETE", "/v1/b2b/organizations/"+a+"/members/"+deleted, nil))
	live := without(all, deleted)

	orgs := []string{a, b}
	cases := []struct {
		name  string
		query map[string]any
		want  []string
	}{
		{"everything live, paged across orgs", nil, live},
		{"breakglass", map[string]any{"operands": []any{operand("member_is_breakglass", true)}}, breakglass},
		{"deleted only with statuses", map[string]any{"operands": []any{operand("statuses", []string{"deleted"})}}, []string{deleted}},
		{"by ids", map[string]any{"operator": "AND", "operands": []any{operand("member_ids", []string{all[0], all[5], deleted})}}, []string{all[0], all[5]}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := map[string]any{"organization_ids": orgs, "limit": 2}
			if c.query != nil {
				body["query"] = c.query
			}
			got := searchAll(t, "/v1/b2b/organizations/members/search", body, "members", "member_id")
			if !sameSet(got, c.want) {
				t.Fatalf("got %v\nwant %v", got, c.want)
			}
		})
	}
	r := env.Do(t, "POST", "/v1/b2b/organizations/members/search", map[string]any{"organization_ids": orgs, "limit": 1})
	if r.Get("organizations."+a) == nil || r.Get("organizations."+b) == nil {
		t.Fatalf("members search lacks the organizations map: %s", r.Raw)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func without(in []string, drop string) []string {
	var out []string
	for _, s := range in {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}
