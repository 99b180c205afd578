package stytchsource_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations/members"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/scim"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/scim/connection"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sso"

	"github.com/latchkey/latchkey/shared/stytchsource"
)

// line is one parsed output line; keys holds its top-level keys.
type line struct {
	Type           string          `json:"type"`
	OrganizationID string          `json:"organization_id"`
	Organization   json.RawMessage `json:"organization"`
	Member         json.RawMessage `json:"member"`
	SAML           json.RawMessage `json:"saml_connection"`
	OIDC           json.RawMessage `json:"oidc_connection"`
	External       json.RawMessage `json:"external_connection"`
	SCIM           json.RawMessage `json:"scim_connection"`
	keys           []string
}

// wantKeys is the exact set of top-level keys each kind of line has.
var wantKeys = map[string][][]string{
	"organization":    {{"organization", "type"}},
	"member":          {{"member", "type"}},
	"sso_connection":  {{"organization_id", "saml_connection", "type"}, {"oidc_connection", "organization_id", "type"}, {"external_connection", "organization_id", "type"}},
	"scim_connection": {{"organization_id", "scim_connection", "type"}},
}

func parseLines(t *testing.T, out []byte) []line {
	t.Helper()
	if len(out) > 0 && out[len(out)-1] != '\n' {
		t.Fatalf("output does not end with a newline")
	}
	var lines []line
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l line
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", len(lines)+1, err, sc.Bytes())
		}
		_ = json.Unmarshal(sc.Bytes(), &keys)
		for k := range keys {
			l.keys = append(l.keys, k)
		}
		slices.Sort(l.keys)
		if !slices.ContainsFunc(wantKeys[l.Type], func(k []string) bool { return slices.Equal(k, l.keys) }) {
			t.Fatalf("line %d: keys %v are not those of a %q line: %s", len(lines)+1, l.keys, l.Type, sc.Bytes())
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

func export(t *testing.T, c *b2bstytchapi.API, opts stytchsource.Options) ([]byte, stytchsource.Stats) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var buf bytes.Buffer
	stats, err := stytchsource.Export(ctx, c, &buf, opts)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	return buf.Bytes(), stats
}

func rawClient(t *testing.T, src stytchsource.Source) *b2bstytchapi.API {
	t.Helper()
	if src.BaseURL == "" {
		src.BaseURL = env.URL
	}
	src.ProjectID, src.Secret = env.ProjectID, env.Secret
	c, err := stytchsource.NewClient(context.Background(), src)
	if err != nil {
		t.Fatalf("stytchsource.NewClient: %v", err)
	}
	return c
}

// wire is the object at key of a GET on the source, as Latchkey put it on the wire.
func wire(t *testing.T, path, key string) any {
	t.Helper()
	r := env.Do(t, "GET", path, nil)
	if r.Status != 200 {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Raw)
	}
	return r.Body[key]
}

func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	return v
}

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// TestExportIsTheProject reads the seeded project with a small page size and checks that the
// lines hold exactly its objects, each equal, byte for byte once decoded, to what a Get of it
// answers and, decoded into stytch-go's types, to what stytch-go's Get returns.
func TestExportIsTheProject(t *testing.T) {
	f := theFixture(t)
	ctx := context.Background()
	c := sdk(t)
	out, stats := export(t, rawClient(t, stytchsource.Source{}), stytchsource.Options{PageSize: 3, IncludeDeletedMembers: true})
	lines := parseLines(t, out)

	// Organizations first, in listing order.
	var orgOrder []string
	i := 0
	for ; i < len(lines) && lines[i].Type == "organization"; i++ {
		l := lines[i]
		got := decode[organizations.Organization](t, l.Organization)
		orgOrder = append(orgOrder, got.OrganizationID)
		want, err := c.Organizations.Get(ctx, &organizations.GetParams{OrganizationID: got.OrganizationID})
		if err != nil {
			t.Fatalf("Organizations.Get %s: %v", got.OrganizationID, err)
		}
		eq(t, "organization (stytch-go) "+got.OrganizationID, got, want.Organization)
		eq(t, "organization (wire) "+got.OrganizationID, decode[map[string]any](t, l.Organization),
			wire(t, "/v1/b2b/organizations/"+got.OrganizationID, "organization"))
	}
	eq(t, "organizations in listing order, each once", orgOrder, f.orgs)

	// Then, organization by organization: SSO connections, SCIM connection, members.
	wantRank := map[string]int{"sso_connection": 0, "scim_connection": 1, "member": 2}
	rank, org := -1, -1
	got := map[string][]string{}
	gotDeleted := map[string][]string{}
	for ; i < len(lines); i++ {
		l := lines[i]
		orgID := l.OrganizationID
		if l.Type == "member" {
			orgID = decode[organizations.Member](t, l.Member).OrganizationID
		}
		if l.Type == "organization" {
			t.Fatalf("line %d: an organization after the organizations", i+1)
		}
		if org < 0 || orgOrder[org] != orgID {
			org++
			for org < len(orgOrder) && orgOrder[org] != orgID {
				org++
			}
			if org == len(orgOrder) {
				t.Fatalf("line %d: organization %s out of order", i+1, orgID)
			}
			rank = -1
		}
		if wantRank[l.Type] < rank {
			t.Fatalf("line %d: %s after a later kind of line for %s", i+1, l.Type, orgID)
		}
		rank = wantRank[l.Type]

		switch l.Type {
		case "member":
			m := decode[organizations.Member](t, l.Member)
			if m.Status == "deleted" {
				gotDeleted[orgID] = append(gotDeleted[orgID], m.MemberID)
			} else {
				if len(gotDeleted[orgID]) > 0 {
					t.Errorf("member %s after the deleted members", m.MemberID)
				}
				got[orgID] = append(got[orgID], m.MemberID)
			}
			want, err := c.Organizations.Members.DangerouslyGet(ctx, &members.DangerouslyGetParams{MemberID: m.MemberID, IncludeDeleted: true})
			if err != nil {
				t.Fatalf("Members.DangerouslyGet %s: %v", m.MemberID, err)
			}
			eq(t, "member (stytch-go) "+m.MemberID, m, want.Member)
			eq(t, "member (wire) "+m.MemberID, decode[map[string]any](t, l.Member),
				wire(t, "/v1/b2b/organizations/members/dangerously_get/"+m.MemberID+"?include_deleted=true", "member"))
		case "sso_connection":
			want, err := c.SSO.GetConnections(ctx, &sso.GetConnectionsParams{OrganizationID: orgID})
			if err != nil {
				t.Fatal(err)
			}
			w := env.Do(t, "GET", "/v1/b2b/sso/"+orgID, nil)
			switch {
			case l.SAML != nil:
				s := decode[sso.SAMLConnection](t, l.SAML)
				eq(t, "saml_connection (stytch-go)", []sso.SAMLConnection{s}, want.SAMLConnections)
				eq(t, "saml_connection (wire)", []any{decode[map[string]any](t, l.SAML)}, w.Body["saml_connections"])
			case l.OIDC != nil:
				o := decode[sso.OIDCConnection](t, l.OIDC)
				eq(t, "oidc_connection (stytch-go)", []sso.OIDCConnection{o}, want.OIDCConnections)
				eq(t, "oidc_connection (wire)", []any{decode[map[string]any](t, l.OIDC)}, w.Body["oidc_connections"])
			default:
				t.Errorf("an external connection, none was made: %s", l.External)
			}
		case "scim_connection":
			s := decode[scim.SCIMConnection](t, l.SCIM)
			want, err := c.SCIM.Connection.Get(ctx, &connection.GetParams{OrganizationID: orgID})
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "scim_connection (stytch-go)", &s, want.Connection)
			eq(t, "scim_connection (wire)", decode[map[string]any](t, l.SCIM), wire(t, "/v1/b2b/scim/"+orgID+"/connection", "connection"))
		}
	}

	// Every member once, none missing, across pages of three.
	for _, id := range f.orgs {
		eq(t, "members of "+id, sorted(got[id]), sorted(f.members[id]))
		eq(t, "deleted members of "+id, sorted(gotDeleted[id]), sorted(f.deleted[id]))
	}

	// Fields the importer needs, as sent when seeding.
	byEmail := map[string]map[string]any{}
	for _, l := range lines {
		if l.Type == "member" {
			m := decode[map[string]any](t, l.Member)
			byEmail[strings.Split(m["email_address"].(string), "@")[0]] = m
		}
	}
	ada := byEmail["ada"]
	eq(t, "ada trusted_metadata", ada["trusted_metadata"], map[string]any{"employee_id": float64(1815), "dept": "math"})
	eq(t, "ada untrusted_metadata", ada["untrusted_metadata"], map[string]any{"theme": "dark"})
	eq(t, "ada is_breakglass", ada["is_breakglass"], true)
	eq(t, "ada mfa_phone_number", ada["mfa_phone_number"], "+15555550123")
	eq(t, "ada status", ada["status"], "active")
	if !strings.HasPrefix(ada["external_id"].(string), "ada-") {
		t.Errorf("ada external_id %v", ada["external_id"])
	}
	// false survives: stytch-go's omitempty would drop it.
	if v, ok := ada["email_address_verified"]; !ok || v != false {
		t.Errorf("ada email_address_verified: %v present %v", v, ok)
	}
	eq(t, "pw email_address_verified", byEmail["pw"]["email_address_verified"], true)
	if byEmail["pw"]["member_password_id"] == "" {
		t.Error("pw has no member_password_id")
	}
	eq(t, "pat status", byEmail["pat"]["status"], "pending")
	eq(t, "ivy status", byEmail["ivy"]["status"], "invited")
	eq(t, "gone status", byEmail["gone"]["status"], "deleted")
	roles := func(m map[string]any) map[string][]string {
		out := map[string][]string{}
		for _, r := range m["roles"].([]any) {
			r := r.(map[string]any)
			for _, s := range r["sources"].([]any) {
				out[r["role_id"].(string)] = append(out[r["role_id"].(string)], s.(map[string]any)["type"].(string))
			}
		}
		return out
	}
	eq(t, "ada roles with sources", roles(ada), map[string][]string{"stytch_member": {"direct_assignment"}, "viewer": {"direct_assignment"}})
	// Latchkey grants an email-domain role to verified addresses only.
	eq(t, "pw roles with sources", roles(byEmail["pw"]), map[string][]string{"stytch_member": {"direct_assignment"}, "editor": {"email_assignment"}})
	eq(t, "outsider roles with sources", roles(byEmail["outsider"]), map[string][]string{"stytch_member": {"direct_assignment"}})
	for _, m := range byEmail {
		if m["created_at"] == nil || m["updated_at"] == nil {
			t.Errorf("member %s lacks created_at/updated_at", m["member_id"])
		}
	}
	for _, l := range lines {
		if l.Type == "member" {
			if m := decode[map[string]any](t, l.Member); strings.HasPrefix(m["email_address"].(string), "scim-") && m["scim_registration"] == nil {
				t.Errorf("the SCIM-provisioned member has no scim_registration: %s", l.Member)
			}
		}
	}
	acme := decode[map[string]any](t, lines[0].Organization)
	eq(t, "acme rbac_email_implicit_role_assignments", acme["rbac_email_implicit_role_assignments"],
		[]any{map[string]any{"domain": acme["email_allowed_domains"].([]any)[0], "role_id": "editor"}})
	eq(t, "acme trusted_metadata.plan", acme["trusted_metadata"].(map[string]any)["plan"], "enterprise")
	if !strings.HasPrefix(acme["organization_external_id"].(string), "acme-ext-") || acme["created_at"] == nil || acme["updated_at"] == nil {
		t.Errorf("acme: %v", acme)
	}

	// Paging: 4 organizations in pages of 3; members of acme in 3 pages plus one for the
	// deleted, every other organization one page each pass.
	want := stytchsource.Stats{
		Organizations: 4, Members: 12, MembersByStatus: f.statuses,
		SAMLConnections: 1, OIDCConnections: 1, SCIMConnections: 1,
		OrganizationPages: 2, MemberPages: 3 + 1 + 2*3,
		Requests:           2 + 10 + 2*4, // organization pages, member pages, SSO and SCIM per organization
		NotExported:        stytchsource.NotExported{Passwords: 1, OIDCClientSecrets: 1, SAMLSigningKeys: 1, SCIMBearerTokens: 1},
		LastOrganizationID: f.orgs[3], Complete: true,
	}
	eq(t, "stats", stats, want)
}

// The same export with one worker and with many is the same bytes: order does not depend on
// concurrency, and a second read of an unchanged project is identical.
func TestExportIsDeterministic(t *testing.T) {
	theFixture(t)
	c := rawClient(t, stytchsource.Source{})
	one, _ := export(t, c, stytchsource.Options{PageSize: 2, Concurrency: 1, IncludeDeletedMembers: true})
	many, _ := export(t, c, stytchsource.Options{PageSize: 2, Concurrency: 16, IncludeDeletedMembers: true})
	if !bytes.Equal(one, many) {
		t.Fatalf("outputs differ:\n%s\n---\n%s", one, many)
	}
}

// A client built without NewClient still exports every object, from stytch-go's structs, and
// says so. Each such object holds what stytch-go decoded from the server's: the same once
// both go through stytch-go's types (which make [] and absent alike).
func TestExportWithAPlainClient(t *testing.T) {
	theFixture(t)
	raw, rawStats := export(t, rawClient(t, stytchsource.Source{}), stytchsource.Options{IncludeDeletedMembers: true})
	plain, plainStats := export(t, sdk(t), stytchsource.Options{IncludeDeletedMembers: true})
	if rawStats.Reencoded != 0 {
		t.Errorf("raw client: Reencoded %d", rawStats.Reencoded)
	}
	a, b := parseLines(t, raw), parseLines(t, plain)
	if len(a) != len(b) || plainStats.Reencoded != len(b) {
		t.Fatalf("%d lines with the raw client, %d with stytch-go's, %d reencoded", len(a), len(b), plainStats.Reencoded)
	}
	for i := range a {
		if a[i].Type != b[i].Type {
			t.Fatalf("line %d: %s, %s", i+1, a[i].Type, b[i].Type)
		}
		switch a[i].Type {
		case "organization":
			sameThrough[organizations.Organization](t, a[i].Organization, b[i].Organization)
		case "member":
			sameThrough[organizations.Member](t, a[i].Member, b[i].Member)
		case "sso_connection":
			sameThrough[*sso.SAMLConnection](t, orNull(a[i].SAML), orNull(b[i].SAML))
			sameThrough[*sso.OIDCConnection](t, orNull(a[i].OIDC), orNull(b[i].OIDC))
		case "scim_connection":
			sameThrough[scim.SCIMConnection](t, a[i].SCIM, b[i].SCIM)
		}
	}
	// What the re-encoding loses: empty lists and false booleans are gone.
	for _, l := range b {
		if l.Type == "member" && (bytes.Contains(l.Member, []byte(`"email_address_verified":false`)) || bytes.Contains(l.Member, []byte(`[]`))) {
			t.Errorf("a re-encoded member keeps an empty value: %s", l.Member)
		}
	}
}

// sameThrough fails unless a and b are the same once decoded into T and encoded again.
func sameThrough[T any](t *testing.T, a, b json.RawMessage) {
	t.Helper()
	ea, _ := json.Marshal(decode[T](t, a))
	eb, _ := json.Marshal(decode[T](t, b))
	if !bytes.Equal(ea, eb) {
		t.Errorf("%T differs:\n%s\n%s", *new(T), ea, eb)
	}
}

func orNull(r json.RawMessage) json.RawMessage {
	if r == nil {
		return json.RawMessage("null")
	}
	return r
}

// By default deleted members stay out, as Members.Search leaves them out.
func TestExportLeavesDeletedMembersOut(t *testing.T) {
	f := theFixture(t)
	out, stats := export(t, rawClient(t, stytchsource.Source{}), stytchsource.Options{PageSize: 3})
	for _, l := range parseLines(t, out) {
		if l.Type == "member" && decode[organizations.Member](t, l.Member).Status == "deleted" {
			t.Errorf("a deleted member: %s", l.Member)
		}
	}
	if stats.Members != 11 || stats.MembersByStatus["deleted"] != 0 || stats.MemberPages != 3+3 {
		t.Errorf("stats: %+v", stats)
	}
	_ = f
}

// Reading in parts of one organization, each resuming after the last, gives the same lines as
// one read, each part complete in itself.
func TestExportInParts(t *testing.T) {
	f := theFixture(t)
	c := rawClient(t, stytchsource.Source{})
	whole, _ := export(t, c, stytchsource.Options{PageSize: 3, IncludeDeletedMembers: true})
	var parts [][]byte
	after := ""
	for n := 0; ; n++ {
		if n > len(f.orgs) {
			t.Fatal("the parts do not end")
		}
		out, stats := export(t, c, stytchsource.Options{PageSize: 3, IncludeDeletedMembers: true, MaxOrganizations: 1, After: after})
		lines := parseLines(t, out)
		if stats.Organizations == 0 {
			if !stats.Complete || len(lines) != 0 {
				t.Fatalf("empty last part: %+v", stats)
			}
			break
		}
		if stats.Organizations != 1 || lines[0].Type != "organization" || stats.LastOrganizationID != f.orgs[n] {
			t.Fatalf("part %d: %+v", n, stats)
		}
		if stats.Complete != (n == len(f.orgs)-1) {
			t.Errorf("part %d: Complete %v", n, stats.Complete)
		}
		parts = append(parts, out)
		if stats.Complete {
			break
		}
		after = stats.LastOrganizationID
	}
	eq(t, "the parts' lines", sortedLines(bytes.Join(parts, nil)), sortedLines(whole))

	var buf bytes.Buffer
	_, err := stytchsource.Export(context.Background(), c, &buf, stytchsource.Options{After: "organization-test-00000000-0000-4000-8000-000000000000"})
	if err == nil || !strings.Contains(err.Error(), "resume point") || buf.Len() != 0 {
		t.Errorf("an unknown After: %v, %d bytes written", err, buf.Len())
	}
}

// OrganizationIDs reads just those organizations, and an unknown id fails the export.
func TestExportSomeOrganizations(t *testing.T) {
	f := theFixture(t)
	c := rawClient(t, stytchsource.Source{})
	out, stats := export(t, c, stytchsource.Options{OrganizationIDs: []string{f.ssoOrg, f.empty, f.ssoOrg}})
	var orgs []string
	for _, l := range parseLines(t, out) {
		if l.Type == "organization" {
			orgs = append(orgs, decode[organizations.Organization](t, l.Organization).OrganizationID)
		}
	}
	eq(t, "organizations", sorted(orgs), sorted([]string{f.ssoOrg, f.empty}))
	if stats.Members != len(f.members[f.ssoOrg]) || stats.SAMLConnections != 1 || stats.SCIMConnections != 1 {
		t.Errorf("stats: %+v", stats)
	}
	var buf bytes.Buffer
	_, err := stytchsource.Export(context.Background(), c, &buf, stytchsource.Options{OrganizationIDs: []string{f.acme, "organization-test-00000000-0000-4000-8000-000000000000"}})
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("an unknown organization id: %v", err)
	}
}

func TestExportRefusesBadOptions(t *testing.T) {
	c := sdk(t)
	for name, o := range map[string]stytchsource.Options{
		"page size too big": {PageSize: 1001}, "negative page size": {PageSize: -1},
		"negative max": {MaxOrganizations: -1}, "negative concurrency": {Concurrency: -2},
	} {
		if _, err := stytchsource.Export(context.Background(), c, &bytes.Buffer{}, o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := stytchsource.Export(context.Background(), nil, &bytes.Buffer{}, stytchsource.Options{}); err == nil {
		t.Error("nil client accepted")
	}
}

func TestNewClientChecksTheSource(t *testing.T) {
	for url, ok := range map[string]bool{
		"https://api.stytch.example": true, "http://127.0.0.1:8080": true, "http://localhost:8080/": true, "http://[::1]:9": true,
		"http://latchkey.internal": false, "ftp://x": false, "https://user:pw@host": false, "not a url": false,
	} {
		_, err := stytchsource.NewClient(context.Background(), stytchsource.Source{BaseURL: url, ProjectID: "p", Secret: "s"})
		if (err == nil) != ok {
			t.Errorf("%s: err %v", url, err)
		}
	}
	if _, err := stytchsource.NewClient(context.Background(), stytchsource.Source{BaseURL: "http://latchkey.internal", ProjectID: "p", Secret: "s", AllowHTTP: true}); err != nil {
		t.Errorf("AllowHTTP: %v", err)
	}
	if _, err := stytchsource.NewClient(context.Background(), stytchsource.Source{BaseURL: env.URL, ProjectID: "p"}); err == nil {
		t.Error("no secret accepted")
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func sortedLines(b []byte) []string {
	return sorted(strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"))
}
