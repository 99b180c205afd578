package api_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations/members"
	"github.com/stytchauth/stytch-go/v18/stytch/stytcherror"
)

// TestStytchGoCompatibility drives every organization and member call Latchkey implements
// through the official Stytch Go SDK (v18) against the local stack, and checks what comes
// back, not just that the SDK accepted it.
func TestStytchGoCompatibility(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// NewClient fetches the JWKS (GET /v1/b2b/sessions/jwks/{project_id}, no credentials); an
	// error here means that route is not what the SDK needs.
	client, err := b2bstytchapi.NewClient(env.ProjectID, env.Secret, b2bstytchapi.WithBaseURI(env.URL))
	if err != nil {
		t.Fatalf("NewClient (JWKS fetch): %v", err)
	}
	orgs := client.Organizations
	mems := client.Organizations.Members

	tag := "sg" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	domain := tag + ".example"
	slug := newSlug()
	var org organizations.Organization // the main organization, as last seen

	sgStep(t, "Organizations.Create", func(t *testing.T) {
		resp, err := orgs.Create(ctx, &organizations.CreateParams{
			OrganizationName:       "  SG Compat " + tag + " ",
			OrganizationSlug:       strings.ToUpper(slug),
			OrganizationLogoURL:    "https://logo.example/" + tag + ".png",
			OrganizationExternalID: "ext-" + tag,
			TrustedMetadata:        map[string]any{"plan": "pro", "seats": 5, "nested": map[string]any{"a": "b"}},
			EmailAllowedDomains:    []string{strings.ToUpper(domain)},
			EmailJITProvisioning:   "RESTRICTED",
			EmailInvites:           "RESTRICTED",
			AuthMethods:            "RESTRICTED",
			AllowedAuthMethods:     []string{"magic_link", "sso"},
			MFAPolicy:              "REQUIRED_FOR_ALL",
			RBACEmailImplicitRoleAssignments: []*organizations.EmailImplicitRoleAssignment{
				{Domain: domain, RoleID: "stytch_admin"},
			},
		})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		sgEnvelope(t, resp.StatusCode, resp.RequestID)
		o := resp.Organization
		if !strings.HasPrefix(o.OrganizationID, "organization-test-") {
			t.Errorf("organization_id %q does not have Stytch's shape", o.OrganizationID)
		}
		sgEq(t, "organization_name (trimmed)", o.OrganizationName, "SG Compat "+tag)
		sgEq(t, "organization_slug (lower-cased)", o.OrganizationSlug, slug)
		sgEq(t, "organization_logo_url", o.OrganizationLogoURL, "https://logo.example/"+tag+".png")
		sgEq(t, "organization_external_id", o.OrganizationExternalID, "ext-"+tag)
		sgEq(t, "trusted_metadata", o.TrustedMetadata,
			map[string]any{"plan": "pro", "seats": float64(5), "nested": map[string]any{"a": "b"}})
		sgEq(t, "email_allowed_domains (lower-cased)", o.EmailAllowedDomains, []string{domain})
		sgEq(t, "email_jit_provisioning", o.EmailJITProvisioning, "RESTRICTED")
		sgEq(t, "email_invites", o.EmailInvites, "RESTRICTED")
		sgEq(t, "auth_methods", o.AuthMethods, "RESTRICTED")
		sgEq(t, "allowed_auth_methods", o.AllowedAuthMethods, []string{"magic_link", "sso"})
		sgEq(t, "mfa_policy", o.MFAPolicy, "REQUIRED_FOR_ALL")
		sgEq(t, "rbac_email_implicit_role_assignments", o.RBACEmailImplicitRoleAssignments,
			[]organizations.EmailImplicitRoleAssignment{{Domain: domain, RoleID: "stytch_admin"}})
		// Settings not sent keep Stytch's defaults.
		sgEq(t, "sso_jit_provisioning default", o.SSOJITProvisioning, "ALL_ALLOWED")
		sgEq(t, "mfa_methods default", o.MFAMethods, "ALL_ALLOWED")
		if o.CreatedAt == nil || o.UpdatedAt == nil || o.CreatedAt.IsZero() {
			t.Errorf("created_at/updated_at missing: %v / %v", o.CreatedAt, o.UpdatedAt)
		} else if d := time.Since(*o.CreatedAt); d < -time.Minute || d > time.Minute {
			t.Errorf("created_at %v is not now", o.CreatedAt)
		}
		org = o
	})

	sgStep(t, "Organizations.Create slug taken", func(t *testing.T) {
		_, err := orgs.Create(ctx, &organizations.CreateParams{OrganizationName: "Dup", OrganizationSlug: slug})
		sgWantErr(t, err, http.StatusBadRequest, "organization_slug_already_used")
	})

	sgStep(t, "Organizations.Get by id and slug", func(t *testing.T) {
		byID, err := orgs.Get(ctx, &organizations.GetParams{OrganizationID: org.OrganizationID})
		if err != nil {
			t.Fatalf("get by id: %v", err)
		}
		sgEnvelope(t, byID.StatusCode, byID.RequestID)
		sgEq(t, "get by id returns what create returned", byID.Organization, org)

		bySlug, err := orgs.Get(ctx, &organizations.GetParams{OrganizationID: slug})
		if err != nil {
			t.Fatalf("get by slug: %v", err)
		}
		sgEq(t, "get by slug", bySlug.Organization, org)
	})

	sgStep(t, "Organizations.Update partial", func(t *testing.T) {
		time.Sleep(5 * time.Millisecond) // so updated_at can move
		resp, err := orgs.Update(ctx, &organizations.UpdateParams{
			OrganizationID:   org.OrganizationID,
			OrganizationName: "SG Renamed " + tag,
		})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		sgEnvelope(t, resp.StatusCode, resp.RequestID)
		got := resp.Organization
		sgEq(t, "organization_name", got.OrganizationName, "SG Renamed "+tag)
		if got.UpdatedAt == nil || !got.UpdatedAt.After(*org.UpdatedAt) {
			t.Errorf("updated_at did not move: before %v, after %v", org.UpdatedAt, got.UpdatedAt)
		}
		// Everything else is exactly as it was.
		want := org
		want.OrganizationName, want.UpdatedAt = got.OrganizationName, got.UpdatedAt
		sgEq(t, "organization after partial update", got, want)

		again, err := orgs.Get(ctx, &organizations.GetParams{OrganizationID: org.OrganizationID})
		if err != nil {
			t.Fatalf("get after update: %v", err)
		}
		sgEq(t, "get after update", again.Organization, got)

		// A second partial update of one setting leaves the new name alone.
		resp2, err := orgs.Update(ctx, &organizations.UpdateParams{OrganizationID: org.OrganizationID, MFAPolicy: "OPTIONAL"})
		if err != nil {
			t.Fatalf("update mfa_policy: %v", err)
		}
		sgEq(t, "mfa_policy", resp2.Organization.MFAPolicy, "OPTIONAL")
		sgEq(t, "name kept", resp2.Organization.OrganizationName, "SG Renamed "+tag)
		sgEq(t, "allowed_auth_methods kept", resp2.Organization.AllowedAuthMethods, []string{"magic_link", "sso"})
		sgEq(t, "trusted_metadata kept", resp2.Organization.TrustedMetadata, org.TrustedMetadata)
		org = resp2.Organization

		_, err = orgs.Update(ctx, &organizations.UpdateParams{OrganizationID: "organization-test-" + uuid.NewString(), OrganizationName: "x"})
		sgWantErr(t, err, http.StatusNotFound, "organization_not_found")
	})

	sgStep(t, "Organizations.Search", func(t *testing.T) {
		stag := "sgs" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
		sdomain := stag + ".example"
		var ids, slugs []string
		for i := range 3 {
			p := &organizations.CreateParams{OrganizationName: "SG Search " + stag + " " + string(rune('A'+i)), OrganizationSlug: newSlug()}
			if i != 1 {
				p.EmailAllowedDomains = []string{sdomain}
			}
			r, err := orgs.Create(ctx, p)
			if err != nil {
				t.Fatalf("create search org %d: %v", i, err)
			}
			ids = append(ids, r.Organization.OrganizationID)
			slugs = append(slugs, r.Organization.OrganizationSlug)
		}
		t.Cleanup(func() {
			for _, id := range ids {
				_, _ = orgs.Delete(context.Background(), &organizations.DeleteParams{OrganizationID: id})
			}
		})
		email := "sg-search-" + stag + "@acme.com"
		if _, err := mems.Create(ctx, &members.CreateParams{OrganizationID: ids[1], EmailAddress: email}); err != nil {
			t.Fatalf("member for member_emails: %v", err)
		}

		cases := []struct {
			name      string
			query     *organizations.SearchQuery
			want      []string
			wantTotal int32 // 0: -1 (not counted) or the match count are both fine
		}{
			{"organization_ids", sgQuery("AND", "organization_ids", ids), ids, 3},
			{"organization_slugs any case", sgQuery("AND", "organization_slugs", []string{strings.ToUpper(slugs[1]), slugs[2]}), ids[1:], 2},
			{"organization_name_fuzzy", sgQuery("AND", "organization_name_fuzzy", strings.ToUpper(stag)), ids, 0},
			{"member_emails", sgQuery("AND", "member_emails", []string{strings.ToUpper(email)}), ids[1:2], 1},
			{"allowed_domains", sgQuery("AND", "allowed_domains", []string{sdomain}), []string{ids[0], ids[2]}, 0},
			{"ids AND allowed_domains", &organizations.SearchQuery{Operator: organizations.SearchQueryOperatorAND, Operands: []map[string]any{
				sgOperand("organization_ids", ids[:2]), sgOperand("allowed_domains", []string{sdomain})}}, ids[:1], 1},
			{"member_emails OR ids", &organizations.SearchQuery{Operator: organizations.SearchQueryOperatorOR, Operands: []map[string]any{
				sgOperand("member_emails", []string{email}), sgOperand("organization_ids", []string{ids[2]})}}, ids[1:], 0},
			{"no match", sgQuery("AND", "organization_ids", []string{"organization-test-" + uuid.NewString()}), nil, 0},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, pages, total := sgSearchOrgs(ctx, t, client, c.query, 2)
				if !sgSameSet(got, c.want) {
					t.Fatalf("got %v, want %v", got, c.want)
				}
				if wantPages := max(1, (len(c.want)+1)/2); pages != wantPages {
					t.Errorf("%d pages for %d results at limit 2, want %d", pages, len(c.want), wantPages)
				}
				switch {
				case c.wantTotal != 0 && total != c.wantTotal:
					t.Errorf("results_metadata.total = %d, want %d", total, c.wantTotal)
				case c.wantTotal == 0 && total != -1 && int(total) != len(c.want):
					t.Errorf("results_metadata.total = %d, want -1 or %d", total, len(c.want))
				}
			})
		}

		// Explicit cursor walk: page one is full and has a cursor, page two finishes.
		q := sgQuery("AND", "organization_ids", ids)
		p1, err := orgs.Search(ctx, &organizations.SearchParams{Limit: 2, Query: q})
		if err != nil {
			t.Fatalf("page 1: %v", err)
		}
		sgEnvelope(t, p1.StatusCode, p1.RequestID)
		if len(p1.Organizations) != 2 || p1.ResultsMetadata.NextCursor == "" || p1.ResultsMetadata.Total != 3 {
			t.Fatalf("page 1: %d orgs, metadata %+v", len(p1.Organizations), p1.ResultsMetadata)
		}
		p2, err := orgs.Search(ctx, &organizations.SearchParams{Limit: 2, Query: q, Cursor: p1.ResultsMetadata.NextCursor})
		if err != nil {
			t.Fatalf("page 2: %v", err)
		}
		if len(p2.Organizations) != 1 || p2.ResultsMetadata.NextCursor != "" {
			t.Fatalf("page 2: %d orgs, metadata %+v", len(p2.Organizations), p2.ResultsMetadata)
		}
		if slices.Contains(sgOrgIDs(p1.Organizations), p2.Organizations[0].OrganizationID) {
			t.Fatal("page 2 repeats page 1")
		}
		// Search results are full organizations.
		for _, o := range append(p1.Organizations, p2.Organizations...) {
			if o.OrganizationName == "" || o.OrganizationSlug == "" || o.CreatedAt == nil {
				t.Errorf("search returned a partial organization: %+v", o)
			}
		}

		_, err = orgs.Search(ctx, &organizations.SearchParams{Query: sgQuery("AND", "no_such_filter", []string{"x"})})
		sgWantErr(t, err, http.StatusBadRequest, "")
	})

	var m1, m2 organizations.Member
	email1 := "sg-ada-" + tag + "@" + domain
	sgStep(t, "Members.Create", func(t *testing.T) {
		resp, err := mems.Create(ctx, &members.CreateParams{
			OrganizationID:        org.OrganizationID,
			EmailAddress:          email1,
			Name:                  "Ada",
			TrustedMetadata:       map[string]any{"tier": "gold", "n": 1},
			UntrustedMetadata:     map[string]any{"theme": "dark"},
			ExternalID:            "ext-m-" + tag,
			Roles:                 []string{"stytch_admin"},
			CreateMemberAsPending: true,
		})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		sgEnvelope(t, resp.StatusCode, resp.RequestID)
		m := resp.Member
		if !strings.HasPrefix(resp.MemberID, "member-test-") || resp.MemberID != m.MemberID {
			t.Errorf("member_id %q / member.member_id %q", resp.MemberID, m.MemberID)
		}
		sgEq(t, "organization.organization_id", resp.Organization.OrganizationID, org.OrganizationID)
		sgEq(t, "member.organization_id", m.OrganizationID, org.OrganizationID)
		sgEq(t, "email_address", m.EmailAddress, email1)
		sgEq(t, "status", m.Status, "pending")
		sgEq(t, "name", m.Name, "Ada")
		sgEq(t, "trusted_metadata", m.TrustedMetadata, map[string]any{"tier": "gold", "n": float64(1)})
		sgEq(t, "untrusted_metadata", m.UntrustedMetadata, map[string]any{"theme": "dark"})
		sgEq(t, "external_id", m.ExternalID, "ext-m-"+tag)
		sgEq(t, "is_admin", m.IsAdmin, true)
		sgHasRoles(t, m, "stytch_member", "stytch_admin")
		for _, r := range m.Roles {
			if r.RoleID == "stytch_admin" && !slices.ContainsFunc(r.Sources, func(s organizations.MemberRoleSource) bool {
				return s.Type == "direct_assignment"
			}) {
				t.Errorf("stytch_admin lacks a direct_assignment source: %+v", r.Sources)
			}
		}
		if m.CreatedAt == nil || m.UpdatedAt == nil {
			t.Errorf("created_at/updated_at missing")
		}
		m1 = m

		resp2, err := mems.Create(ctx, &members.CreateParams{OrganizationID: org.OrganizationID, EmailAddress: "sg-bob-" + tag + "@acme.com", Name: "Bob"})
		if err != nil {
			t.Fatalf("create second: %v", err)
		}
		sgEq(t, "second member status", resp2.Member.Status, "active")
		sgEq(t, "second member is_admin", resp2.Member.IsAdmin, false)
		sgHasRoles(t, resp2.Member, "stytch_member")
		m2 = resp2.Member
	})

	sgStep(t, "Members.Create duplicate email", func(t *testing.T) {
		resp, err := mems.Create(ctx, &members.CreateParams{OrganizationID: org.OrganizationID, EmailAddress: strings.ToUpper(email1)})
		sgWantErr(t, err, http.StatusBadRequest, "duplicate_member_email")
		if resp == nil || resp.MemberID != "" {
			t.Errorf("on error the SDK should return a zero response, got %+v", resp)
		}
		_, err = mems.Create(ctx, &members.CreateParams{OrganizationID: "organization-test-" + uuid.NewString(), EmailAddress: "x-" + tag + "@acme.com"})
		sgWantErr(t, err, http.StatusNotFound, "organization_not_found")
	})

	sgStep(t, "Members.Get", func(t *testing.T) {
		byID, err := mems.Get(ctx, &members.GetParams{OrganizationID: org.OrganizationID, MemberID: m1.MemberID})
		if err != nil {
			t.Fatalf("get by id: %v", err)
		}
		sgEnvelope(t, byID.StatusCode, byID.RequestID)
		sgEq(t, "member_id", byID.MemberID, m1.MemberID)
		sgEq(t, "get by id returns what create returned", byID.Member, m1)
		sgEq(t, "organization", byID.Organization.OrganizationID, org.OrganizationID)

		mixed := strings.ToUpper(email1[:1]) + email1[1:5] + strings.ToUpper(email1[5:])
		byEmail, err := mems.Get(ctx, &members.GetParams{OrganizationID: org.OrganizationID, EmailAddress: mixed})
		if err != nil {
			t.Fatalf("get by mixed-case email %q: %v", mixed, err)
		}
		sgEq(t, "get by email", byEmail.Member, m1)

		_, err = mems.Get(ctx, &members.GetParams{OrganizationID: org.OrganizationID, MemberID: "member-test-" + uuid.NewString()})
		sgWantErr(t, err, http.StatusNotFound, "member_not_found")
		_, err = mems.Get(ctx, &members.GetParams{OrganizationID: org.OrganizationID, EmailAddress: "nobody-" + tag + "@acme.com"})
		sgWantErr(t, err, http.StatusNotFound, "member_not_found")
	})

	sgStep(t, "Members.DangerouslyGet", func(t *testing.T) {
		resp, err := mems.DangerouslyGet(ctx, &members.DangerouslyGetParams{MemberID: m1.MemberID})
		if err != nil {
			t.Fatalf("dangerously_get: %v", err)
		}
		sgEnvelope(t, resp.StatusCode, resp.RequestID)
		sgEq(t, "member", resp.Member, m1)
		sgEq(t, "organization", resp.Organization.OrganizationID, org.OrganizationID)
		_, err = mems.DangerouslyGet(ctx, &members.DangerouslyGetParams{MemberID: "member-test-" + uuid.NewString(), IncludeDeleted: true})
		sgWantErr(t, err, http.StatusNotFound, "member_not_found")
	})

	email1b := "sg-ada-new-" + tag + "@acme.com"
	sgStep(t, "Members.Update", func(t *testing.T) {
		resp, err := mems.Update(ctx, &members.UpdateParams{
			OrganizationID: org.OrganizationID, MemberID: m1.MemberID,
			Name: "Ada Lovelace", EmailAddress: strings.ToUpper(email1b),
		})
		if err != nil {
			t.Fatalf("update name+email: %v", err)
		}
		sgEnvelope(t, resp.StatusCode, resp.RequestID)
		sgEq(t, "member_id", resp.MemberID, m1.MemberID)
		u := resp.Member
		sgEq(t, "name", u.Name, "Ada Lovelace")
		sgEq(t, "email_address (normalised)", u.EmailAddress, email1b)
		sgEq(t, "status kept", u.Status, "pending")
		sgEq(t, "trusted_metadata kept", u.TrustedMetadata, m1.TrustedMetadata)
		sgEq(t, "untrusted_metadata kept", u.UntrustedMetadata, m1.UntrustedMetadata)
		sgEq(t, "external_id kept", u.ExternalID, m1.ExternalID)
		sgHasRoles(t, u, "stytch_member", "stytch_admin")
		sgEq(t, "created_at kept", u.CreatedAt, m1.CreatedAt)

		byNew, err := mems.Get(ctx, &members.GetParams{OrganizationID: org.OrganizationID, EmailAddress: email1b})
		if err != nil {
			t.Fatalf("get by new email: %v", err)
		}
		sgEq(t, "get by new email", byNew.MemberID, m1.MemberID)
		_, err = mems.Get(ctx, &members.GetParams{OrganizationID: org.OrganizationID, EmailAddress: email1})
		sgWantErr(t, err, http.StatusNotFound, "member_not_found")

		// Roles is a *[]string: an empty list removes every assigned role.
		none, err := mems.Update(ctx, &members.UpdateParams{OrganizationID: org.OrganizationID, MemberID: m1.MemberID, Roles: &[]string{}})
		if err != nil {
			t.Fatalf("update roles []: %v", err)
		}
		sgHasRoles(t, none.Member, "stytch_member")
		sgEq(t, "is_admin after removing roles", none.Member.IsAdmin, false)
		sgEq(t, "name kept by a roles-only update", none.Member.Name, "Ada Lovelace")

		back, err := mems.Update(ctx, &members.UpdateParams{OrganizationID: org.OrganizationID, MemberID: m1.MemberID,
			Roles: &[]string{"stytch_admin"}, UntrustedMetadata: map[string]any{"theme": "light"}})
		if err != nil {
			t.Fatalf("update roles [stytch_admin]: %v", err)
		}
		sgHasRoles(t, back.Member, "stytch_member", "stytch_admin")
		sgEq(t, "is_admin", back.Member.IsAdmin, true)
		sgEq(t, "untrusted_metadata replaced", back.Member.UntrustedMetadata, map[string]any{"theme": "light"})

		got, err := mems.Get(ctx, &members.GetParams{OrganizationID: org.OrganizationID, MemberID: m1.MemberID})
		if err != nil {
			t.Fatalf("get after updates: %v", err)
		}
		sgEq(t, "get after updates", got.Member, back.Member)
		m1 = back.Member

		// Moving onto an address another member holds is a duplicate.
		_, err = mems.Update(ctx, &members.UpdateParams{OrganizationID: org.OrganizationID, MemberID: m2.MemberID, EmailAddress: email1b})
		sgWantErr(t, err, http.StatusBadRequest, "duplicate_member_email")
		_, err = mems.Update(ctx, &members.UpdateParams{OrganizationID: org.OrganizationID, MemberID: "member-test-" + uuid.NewString(), Name: "x"})
		sgWantErr(t, err, http.StatusNotFound, "member_not_found")
	})

	sgStep(t, "Members.Search", func(t *testing.T) {
		orgIDs := []string{org.OrganizationID}
		cases := []struct {
			name  string
			query *organizations.SearchQuery
			want  []string
		}{
			{"no query: every live member", nil, []string{m1.MemberID, m2.MemberID}},
			{"member_emails any case", sgQuery("AND", "member_emails", []string{strings.ToUpper(email1b)}), []string{m1.MemberID}},
			{"statuses pending", sgQuery("AND", "statuses", []string{"pending"}), []string{m1.MemberID}},
			{"statuses active", sgQuery("AND", "statuses", []string{"active"}), []string{m2.MemberID}},
			{"member_ids", sgQuery("AND", "member_ids", []string{m1.MemberID, m2.MemberID, "member-test-" + uuid.NewString()}), []string{m1.MemberID, m2.MemberID}},
			{"member_ids OR emails", &organizations.SearchQuery{Operator: organizations.SearchQueryOperatorOR, Operands: []map[string]any{
				sgOperand("member_ids", []string{m2.MemberID}), sgOperand("member_emails", []string{email1b})}}, []string{m1.MemberID, m2.MemberID}},
			{"old email finds nothing", sgQuery("AND", "member_emails", []string{email1}), nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, _ := sgSearchMembers(ctx, t, client, orgIDs, c.query, 1)
				if !sgSameSet(got, c.want) {
					t.Fatalf("got %v, want %v", got, c.want)
				}
			})
		}

		// Paging by hand at limit 1.
		q := sgQuery("AND", "member_ids", []string{m1.MemberID, m2.MemberID})
		p1, err := mems.Search(ctx, &members.SearchParams{OrganizationIds: orgIDs, Limit: 1, Query: q})
		if err != nil {
			t.Fatalf("page 1: %v", err)
		}
		sgEnvelope(t, p1.StatusCode, p1.RequestID)
		if len(p1.Members) != 1 || p1.ResultsMetadata.NextCursor == "" || p1.ResultsMetadata.Total != 2 {
			t.Fatalf("page 1: %d members, metadata %+v", len(p1.Members), p1.ResultsMetadata)
		}
		if o, ok := p1.Organizations[org.OrganizationID]; !ok || o.OrganizationSlug != slug {
			t.Errorf("organizations map lacks %s: %v", org.OrganizationID, sgKeys(p1.Organizations))
		}
		p2, err := mems.Search(ctx, &members.SearchParams{OrganizationIds: orgIDs, Limit: 1, Query: q, Cursor: p1.ResultsMetadata.NextCursor})
		if err != nil {
			t.Fatalf("page 2: %v", err)
		}
		if len(p2.Members) != 1 || p2.ResultsMetadata.NextCursor != "" || p2.Members[0].MemberID == p1.Members[0].MemberID {
			t.Fatalf("page 2: %+v, metadata %+v", sgMemberIDs(p2.Members), p2.ResultsMetadata)
		}
		// Search results are full members.
		for _, m := range append(p1.Members, p2.Members...) {
			want := map[string]organizations.Member{m1.MemberID: m1, m2.MemberID: m2}[m.MemberID]
			sgEq(t, "search result "+m.MemberID, m, want)
		}

		_, err = mems.Search(ctx, &members.SearchParams{Query: sgQuery("AND", "statuses", []string{"active"})})
		sgWantErr(t, err, http.StatusBadRequest, "")
	})

	var m3 organizations.Member
	sgStep(t, "Members.Delete", func(t *testing.T) {
		verify(t, org.OrganizationID, m1.MemberID) // so that it can be reactivated below
		resp, err := mems.Delete(ctx, &members.DeleteParams{OrganizationID: org.OrganizationID, MemberID: m1.MemberID})
		if err != nil {
			t.Fatalf("delete: %v", err)
		}
		sgEnvelope(t, resp.StatusCode, resp.RequestID)
		sgEq(t, "member_id", resp.MemberID, m1.MemberID)

		_, err = mems.Get(ctx, &members.GetParams{OrganizationID: org.OrganizationID, MemberID: m1.MemberID})
		sgWantErr(t, err, http.StatusNotFound, "member_not_found")
		_, err = mems.Get(ctx, &members.GetParams{OrganizationID: org.OrganizationID, EmailAddress: email1b})
		sgWantErr(t, err, http.StatusNotFound, "member_not_found")
		_, err = mems.DangerouslyGet(ctx, &members.DangerouslyGetParams{MemberID: m1.MemberID})
		sgWantErr(t, err, http.StatusNotFound, "member_not_found")
		_, err = mems.Delete(ctx, &members.DeleteParams{OrganizationID: org.OrganizationID, MemberID: m1.MemberID})
		sgWantErr(t, err, http.StatusNotFound, "member_not_found")

		dg, err := mems.DangerouslyGet(ctx, &members.DangerouslyGetParams{MemberID: m1.MemberID, IncludeDeleted: true})
		if err != nil {
			t.Fatalf("dangerously_get include_deleted: %v", err)
		}
		sgEq(t, "status", dg.Member.Status, "deleted")
		sgEq(t, "email kept on the deleted member", dg.Member.EmailAddress, email1b)
		sgEq(t, "organization", dg.Organization.OrganizationID, org.OrganizationID)

		live, _ := sgSearchMembers(ctx, t, client, []string{org.OrganizationID}, nil, 10)
		sgEq(t, "live members after delete", live, []string{m2.MemberID})
		deleted, _ := sgSearchMembers(ctx, t, client, []string{org.OrganizationID}, sgQuery("AND", "statuses", []string{"deleted"}), 10)
		sgEq(t, "deleted members", deleted, []string{m1.MemberID})

		// The address is free again.
		cr, err := mems.Create(ctx, &members.CreateParams{OrganizationID: org.OrganizationID, EmailAddress: email1b, Name: "Taker"})
		if err != nil {
			t.Fatalf("create with the deleted member's email: %v", err)
		}
		if cr.MemberID == m1.MemberID || cr.Member.Status != "active" {
			t.Fatalf("new member %s status %s", cr.MemberID, cr.Member.Status)
		}
		m3 = cr.Member
	})

	sgStep(t, "Members.Reactivate", func(t *testing.T) {
		// The email is held by m3, so m1 cannot come back.
		_, err := mems.Reactivate(ctx, &members.ReactivateParams{OrganizationID: org.OrganizationID, MemberID: m1.MemberID})
		sgWantErr(t, err, http.StatusBadRequest, "reactivation_email_belongs_to_another_member")
		// A member whose address was never verified cannot come back at all.
		never, err := mems.Create(ctx, &members.CreateParams{OrganizationID: org.OrganizationID, EmailAddress: newEmail()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mems.Delete(ctx, &members.DeleteParams{OrganizationID: org.OrganizationID, MemberID: never.MemberID}); err != nil {
			t.Fatal(err)
		}
		_, err = mems.Reactivate(ctx, &members.ReactivateParams{OrganizationID: org.OrganizationID, MemberID: never.MemberID})
		sgWantErr(t, err, http.StatusBadRequest, "email_unverified_for_reactivation")
		dg, err := mems.DangerouslyGet(ctx, &members.DangerouslyGetParams{MemberID: m1.MemberID, IncludeDeleted: true})
		if err != nil || dg.Member.Status != "deleted" {
			t.Fatalf("refused reactivation changed the member: %v %+v", err, dg.Member)
		}

		if _, err := mems.Delete(ctx, &members.DeleteParams{OrganizationID: org.OrganizationID, MemberID: m3.MemberID}); err != nil {
			t.Fatalf("delete the taker: %v", err)
		}
		resp, err := mems.Reactivate(ctx, &members.ReactivateParams{OrganizationID: org.OrganizationID, MemberID: m1.MemberID})
		if err != nil {
			t.Fatalf("reactivate: %v", err)
		}
		sgEnvelope(t, resp.StatusCode, resp.RequestID)
		sgEq(t, "member_id", resp.MemberID, m1.MemberID)
		sgEq(t, "status", resp.Member.Status, "active")
		sgEq(t, "email_address", resp.Member.EmailAddress, email1b)
		sgEq(t, "name", resp.Member.Name, "Ada Lovelace")
		sgEq(t, "organization", resp.Organization.OrganizationID, org.OrganizationID)
		sgHasRoles(t, resp.Member, "stytch_member", "stytch_admin")

		got, err := mems.Get(ctx, &members.GetParams{OrganizationID: org.OrganizationID, EmailAddress: email1b})
		if err != nil {
			t.Fatalf("get reactivated by email: %v", err)
		}
		sgEq(t, "get reactivated", got.MemberID, m1.MemberID)

		_, err = mems.Reactivate(ctx, &members.ReactivateParams{OrganizationID: org.OrganizationID, MemberID: m1.MemberID})
		sgWantErr(t, err, http.StatusBadRequest, "no_deleted_member_found_for_reactivation")
		_, err = mems.Reactivate(ctx, &members.ReactivateParams{OrganizationID: org.OrganizationID, MemberID: "member-test-" + uuid.NewString()})
		sgWantErr(t, err, http.StatusNotFound, "member_not_found")
	})

	sgStep(t, "wrong credentials", func(t *testing.T) {
		bad, err := b2bstytchapi.NewClient(env.ProjectID, env.Secret+"-wrong", b2bstytchapi.WithBaseURI(env.URL))
		if err != nil {
			t.Fatalf("NewClient with a wrong secret (JWKS needs no credentials): %v", err)
		}
		_, err = bad.Organizations.Get(ctx, &organizations.GetParams{OrganizationID: org.OrganizationID})
		sgWantErr(t, err, http.StatusUnauthorized, "unauthorized_credentials")
		_, err = bad.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: org.OrganizationID, EmailAddress: "intruder-" + tag + "@acme.com"})
		sgWantErr(t, err, http.StatusUnauthorized, "unauthorized_credentials")

		other, err := b2bstytchapi.NewClient("project-test-"+uuid.NewString(), env.Secret, b2bstytchapi.WithBaseURI(env.URL))
		if err == nil {
			_, err = other.Organizations.Get(ctx, &organizations.GetParams{OrganizationID: org.OrganizationID})
			sgWantErr(t, err, http.StatusUnauthorized, "unauthorized_credentials")
		} else {
			t.Logf("NewClient for an unknown project fails at the JWKS fetch: %v", err)
		}
		// Nothing was created by the rejected call.
		_, err = mems.Get(ctx, &members.GetParams{OrganizationID: org.OrganizationID, EmailAddress: "intruder-" + tag + "@acme.com"})
		sgWantErr(t, err, http.StatusNotFound, "member_not_found")
	})

	sgStep(t, "Organizations.Delete", func(t *testing.T) {
		resp, err := orgs.Delete(ctx, &organizations.DeleteParams{OrganizationID: org.OrganizationID})
		if err != nil {
			t.Fatalf("delete: %v", err)
		}
		sgEnvelope(t, resp.StatusCode, resp.RequestID)
		sgEq(t, "organization_id", resp.OrganizationID, org.OrganizationID)

		_, err = orgs.Get(ctx, &organizations.GetParams{OrganizationID: org.OrganizationID})
		sgWantErr(t, err, http.StatusNotFound, "organization_not_found")
		_, err = orgs.Get(ctx, &organizations.GetParams{OrganizationID: slug})
		sgWantErr(t, err, http.StatusNotFound, "organization_not_found")
		_, err = orgs.Delete(ctx, &organizations.DeleteParams{OrganizationID: org.OrganizationID})
		sgWantErr(t, err, http.StatusNotFound, "organization_not_found")
		_, err = mems.Get(ctx, &members.GetParams{OrganizationID: org.OrganizationID, MemberID: m2.MemberID})
		sgWantErr(t, err, http.StatusNotFound, "organization_not_found")
		got, _, _ := sgSearchOrgs(ctx, t, client, sgQuery("AND", "organization_ids", []string{org.OrganizationID}), 10)
		if len(got) != 0 {
			t.Errorf("search still finds the deleted organization: %v", got)
		}
		// The slug is free again.
		re, err := orgs.Create(ctx, &organizations.CreateParams{OrganizationName: "SG Reuse", OrganizationSlug: slug})
		if err != nil {
			t.Fatalf("re-create with the freed slug: %v", err)
		}
		if re.Organization.OrganizationID == org.OrganizationID {
			t.Error("re-created organization reused the old id")
		}
		_, _ = orgs.Delete(ctx, &organizations.DeleteParams{OrganizationID: re.Organization.OrganizationID})
	})
}

// sgStep runs a dependent step and stops the whole test if it failed, since later steps use
// what it made.
func sgStep(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, f) {
		t.FailNow()
	}
}

func sgEq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

func sgEnvelope(t *testing.T, status int32, requestID string) {
	t.Helper()
	if status != http.StatusOK || requestID == "" {
		t.Errorf("envelope: status_code %d, request_id %q", status, requestID)
	}
}

// sgWantErr asserts err is a stytcherror.Error with this HTTP status and error_type (any type
// if errorType is "").
func sgWantErr(t *testing.T, err error, status int, errorType string) {
	t.Helper()
	if err == nil {
		t.Errorf("want %d %s, got no error", status, errorType)
		return
	}
	var se stytcherror.Error
	if !errors.As(err, &se) {
		t.Errorf("want a stytcherror.Error (%d %s), got %T: %v", status, errorType, err, err)
		return
	}
	if se.StatusCode != status || (errorType != "" && string(se.ErrorType) != errorType) {
		t.Errorf("want %d %s, got %v", status, errorType, se)
	}
	if se.RequestID == "" || se.ErrorMessage == "" || se.ErrorType == "" {
		t.Errorf("error lacks request_id/error_type/error_message: %v", se)
	}
}

func sgOperand(name string, value any) map[string]any {
	return map[string]any{"filter_name": name, "filter_value": value}
}

func sgQuery(op organizations.SearchQueryOperator, name string, value any) *organizations.SearchQuery {
	return &organizations.SearchQuery{Operator: op, Operands: []map[string]any{sgOperand(name, value)}}
}

// sgSearchOrgs follows next_cursor to the end; it returns the ids, the number of pages and the
// first page's total.
func sgSearchOrgs(ctx context.Context, t *testing.T, c *b2bstytchapi.API, q *organizations.SearchQuery, limit uint32) ([]string, int, int32) {
	t.Helper()
	var ids []string
	var total int32
	cursor := ""
	for pages := 1; ; pages++ {
		if pages > 50 {
			t.Fatal("cursor never ended")
		}
		r, err := c.Organizations.Search(ctx, &organizations.SearchParams{Limit: limit, Query: q, Cursor: cursor})
		if err != nil {
			t.Fatalf("organizations search page %d: %v", pages, err)
		}
		if uint32(len(r.Organizations)) > limit {
			t.Fatalf("page of %d exceeds limit %d", len(r.Organizations), limit)
		}
		if pages == 1 {
			total = r.ResultsMetadata.Total
		}
		ids = append(ids, sgOrgIDs(r.Organizations)...)
		if cursor = r.ResultsMetadata.NextCursor; cursor == "" {
			return ids, pages, total
		}
	}
}

func sgSearchMembers(ctx context.Context, t *testing.T, c *b2bstytchapi.API, orgIDs []string, q *organizations.SearchQuery, limit uint32) ([]string, int) {
	t.Helper()
	var ids []string
	cursor := ""
	for pages := 1; ; pages++ {
		if pages > 50 {
			t.Fatal("cursor never ended")
		}
		r, err := c.Organizations.Members.Search(ctx, &members.SearchParams{OrganizationIds: orgIDs, Limit: limit, Query: q, Cursor: cursor})
		if err != nil {
			t.Fatalf("members search page %d: %v", pages, err)
		}
		if uint32(len(r.Members)) > limit {
			t.Fatalf("page of %d exceeds limit %d", len(r.Members), limit)
		}
		for _, m := range r.Members {
			if _, ok := r.Organizations[m.OrganizationID]; !ok {
				t.Errorf("organizations map lacks %s for member %s", m.OrganizationID, m.MemberID)
			}
		}
		ids = append(ids, sgMemberIDs(r.Members)...)
		if cursor = r.ResultsMetadata.NextCursor; cursor == "" {
			return ids, pages
		}
	}
}

func sgOrgIDs(in []organizations.Organization) []string {
	var out []string
	for _, o := range in {
		out = append(out, o.OrganizationID)
	}
	return out
}

func sgMemberIDs(in []organizations.Member) []string {
	var out []string
	for _, m := range in {
		out = append(out, m.MemberID)
	}
	return out
}

func sgKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sgSameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

// sgHasRoles asserts the member's effective roles are exactly these.
func sgHasRoles(t *testing.T, m organizations.Member, roles ...string) {
	t.Helper()
	var got []string
	for _, r := range m.Roles {
		got = append(got, r.RoleID)
	}
	if !sgSameSet(got, roles) {
		t.Errorf("member %s roles %v, want %v", m.MemberID, got, roles)
	}
}
