package migrate

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
)

func readAll(t *testing.T, format, input string, light bool) []record {
	t.Helper()
	var out []record
	if err := readRecords(strings.NewReader(input), format, light, func(r record) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// Lines are numbered as in the file (blank lines count), and each bad one says why.
func TestReadJSONLines(t *testing.T) {
	in := `{"type":"organization","organization":{"organization_name":"Acme","organization_slug":"acme"}}

{"type":"member","member":{"email_address":"ada@acme.com"},"organization_slug":"acme"}
{"type":"member","member":
{"type":"robot","member":{}}
{"member":{}}
{"type":"member"}
{"type":"member","member":{"email_address":7}}
{"type":"sso_connection","organization_id":"x","saml_connection":{}}
[1,2]
` + `{"type":"member","member":{"email_address":"last@acme.com"}}` // no final newline
	recs := readAll(t, FormatJSONL, in, false)
	want := []struct {
		num  int
		fail string
	}{{1, ""}, {3, ""}, {4, "invalid_json"}, {5, "unknown_type"}, {6, "unknown_type"}, {7, "invalid_line"},
		{8, "invalid_json"}, {9, ""}, {10, "invalid_json"}, {11, ""}}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d: %+v", len(recs), len(want), recs)
	}
	for i, w := range want {
		got := ""
		if recs[i].Fail != nil {
			got = recs[i].Fail.Error
		}
		if recs[i].Num != w.num || got != w.fail {
			t.Errorf("record %d: line %d fail %q, want line %d fail %q (%+v)", i, recs[i].Num, got, w.num, w.fail, recs[i].Fail)
		}
	}
	if !strings.Contains(recs[6].Fail.Reason, "member.email_address must be a JSON string") {
		t.Errorf("type error reason: %s", recs[6].Fail.Reason)
	}
	if l := recs[1].Line; l.ref() != (orgRef{Slug: "acme"}) || l.email() != "ada@acme.com" {
		t.Errorf("ref %+v email %q", l.ref(), l.email())
	}
	// The light decoding of the first pass sees the same types, references and addresses.
	light := readAll(t, FormatJSONL, in, true)
	if len(light) != len(recs) || light[1].Line.ref() != recs[1].Line.ref() || light[0].Line.Organization.OrganizationSlug == nil {
		t.Fatalf("light read differs: %+v", light)
	}
}

func TestLineTooLong(t *testing.T) {
	big := `{"type":"member","member":{"name":"` + strings.Repeat("x", MaxLineBytes) + `"}}`
	recs := readAll(t, FormatJSONL, big+"\n"+`{"type":"member","member":{"email_address":"a@b.co"}}`+"\n", false)
	if len(recs) != 2 || recs[0].Fail == nil || recs[0].Fail.Error != "line_too_long" || recs[1].Num != 2 || recs[1].Fail != nil {
		t.Fatalf("%+v", recs)
	}
}

// Stytch's roles array: only direct assignments are the member's own; stytch_member is
// everyone's. Plain ids work too.
func TestRoles(t *testing.T) {
	var m Member
	raw := `{"roles":[{"role_id":"stytch_member","sources":[{"type":"direct_assignment"}]},
		{"role_id":"editor","sources":[{"type":"email_assignment","details":{}}]},
		{"role_id":"admin","sources":[{"type":"email_assignment"},{"type":"direct_assignment"}]},
		{"role_id":"viewer"}, "auditor", "admin"]}`
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	if got := []string(*m.Roles); !slices.Equal(got, []string{"admin", "viewer", "auditor"}) {
		t.Fatalf("roles %v", got)
	}
	out, _ := json.Marshal(Roles{"admin"})
	if string(out) != `[{"role_id":"admin","sources":[{"type":"direct_assignment","details":{}}]}]` {
		t.Fatalf("marshal: %s", out)
	}
	if err := json.Unmarshal([]byte(`{"roles":[{"sources":[]}]}`), &m); err == nil {
		t.Fatal("a role without role_id was accepted")
	}
}

func TestReadCSV(t *testing.T) {
	in := "Email,name,organization_external_id,external_id,trusted_metadata.Plan,untrusted_metadata.theme\n" +
		"ada@acme.com,Ada,acme-ext,u-1,pro,dark\n" +
		"\"bob@acme.com\",\"Bob, Jr.\",acme-ext,,,\n" +
		"broken,row\n" +
		"\"multi\nline\"@acme.com,M,acme-ext,,,\n" +
		"eve@acme.com,Eve,acme-ext,u-3,,light\n"
	recs := readAll(t, FormatCSV, in, false)
	if len(recs) != 5 {
		t.Fatalf("%d records: %+v", len(recs), recs)
	}
	a := recs[0].Line
	if recs[0].Num != 2 || *a.Member.EmailAddress != "ada@acme.com" || *a.Member.Name != "Ada" || a.OrganizationExternalID != "acme-ext" ||
		*a.Member.ExternalID != "u-1" || (*a.Member.TrustedMetadata)["Plan"] != "pro" || (*a.Member.UntrustedMetadata)["theme"] != "dark" {
		t.Fatalf("row 1: %+v %+v", a, a.Member)
	}
	b := recs[1].Line.Member
	if *b.Name != "Bob, Jr." || b.ExternalID != nil || b.TrustedMetadata != nil {
		t.Fatalf("row 2: %+v", b)
	}
	if recs[2].Num != 4 || recs[2].Fail == nil || recs[2].Fail.Error != "invalid_csv" {
		t.Fatalf("row 3: %+v", recs[2])
	}
	if recs[3].Num != 5 || recs[4].Num != 7 {
		t.Fatalf("a quoted newline must not shift the line numbers: %d %d", recs[3].Num, recs[4].Num)
	}
	for _, bad := range []struct{ in, want string }{
		{"", "empty"},
		{"email,plan\n", "unknown column"},
		{"name,organization_slug\n", "email column is required"},
		{"email,name\n", "organization_id, organization_external_id, organization_slug is required"},
		{"email,email,organization_slug\n", "appears twice"},
	} {
		err := readRecords(strings.NewReader(bad.in), FormatCSV, false, func(record) error { return nil })
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want %q", bad.in, err, bad.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// Duplicates: the first line's fields win, the later ones fill in; metadata keys are added,
// roles joined, a secret taken only if the first has none.
func TestMergeLines(t *testing.T) {
	first := &Line{Type: TypeMember, Member: &Member{EmailAddress: ptr("ada@acme.com"), Name: ptr("Ada"),
		TrustedMetadata: &map[string]any{"plan": "pro"}, Roles: &Roles{"admin"}}, TOTPSecret: "JBSWY3DPEHPK3PXP"}
	later := &Line{Type: TypeMember, Member: &Member{EmailAddress: ptr("ADA@acme.com"), Name: ptr("Ada L."), ExternalID: ptr("u-1"),
		TrustedMetadata: &map[string]any{"plan": "free", "seats": 3.0}, Roles: &Roles{"viewer", "admin"}},
		PasswordHash: &PasswordHash{Hash: "x", HashType: "bcrypt"}, TOTPSecret: "OTHER"}
	m, f := mergeLines(first, later)
	if f != nil {
		t.Fatal(f)
	}
	got := m.Member
	if *got.Name != "Ada" || *got.ExternalID != "u-1" || (*got.TrustedMetadata)["plan"] != "pro" || (*got.TrustedMetadata)["seats"] != 3.0 ||
		!slices.Equal(*got.Roles, Roles{"admin", "viewer"}) || m.PasswordHash == nil || m.TOTPSecret != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("merged %+v %+v", m, got)
	}
	if (*first.Member.TrustedMetadata)["seats"] != nil {
		t.Fatal("the merge changed the first line's metadata")
	}
	first.Member.MemberID, later.Member.MemberID = ptr("member-test-1"), ptr("member-test-2")
	if _, f := mergeLines(first, later); f == nil || f.Error != "duplicate_member_email" {
		t.Fatalf("two member ids merged: %+v", f)
	}
}

func testImporter() *Importer {
	return &Importer{IDs: latchkey.IDs{Env: "test"}, PasswordScope: ScopeOrganization}
}

func TestCheckID(t *testing.T) {
	im := testImporter()
	for _, c := range []struct{ kind, id, want string }{
		{"organization", "organization-test-3f0c0f2e-6c4b-4a57-8f0e-2b5b1f7c9a10", ""},
		{"organization", "organization-live-3f0c0f2e-6c4b-4a57-8f0e-2b5b1f7c9a10", "wrong_environment"},
		{"organization", "org_123", "invalid_organization_id"},
		{"member", "member-test-3F0C0F2E-6C4B-4A57-8F0E-2B5B1F7C9A10", "invalid_member_id"},
		{"member", "organization-test-3f0c0f2e-6c4b-4a57-8f0e-2b5b1f7c9a10", "invalid_member_id"},
	} {
		got := ""
		if f := im.checkID(c.kind, c.id); f != nil {
			got = f.Error
		}
		if got != c.want {
			t.Errorf("%s %s: %q, want %q", c.kind, c.id, got, c.want)
		}
	}
}

func TestPlanMember(t *testing.T) {
	im := testImporter()
	org := latchkey.NewOrganization("organization-test-3f0c0f2e-6c4b-4a57-8f0e-2b5b1f7c9a10", time.Now())
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	line := func(mut func(*Line)) *Line {
		l := &Line{Type: TypeMember, Member: &Member{EmailAddress: ptr(" Ada@Acme.com "), Name: ptr(" Ada ")}}
		mut(l)
		return l
	}
	p, f := im.planMember(line(func(l *Line) {
		l.Member.Status = ptr("invited")
		l.Member.MFAPhoneNumber, l.Member.MFAPhoneNumberVerified = ptr("+15555550100"), ptr(true)
		l.PasswordHash = &PasswordHash{HashType: "phpass", Hash: "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"}
		l.TOTPSecret, l.TOTPRecoveryCodes = "jbsw y3dp ehpk 3pxp", []string{"abcd-efgh-1234"}
	}), org, now)
	if f != nil {
		t.Fatal(f)
	}
	m := p.create
	if m.EmailAddress != "ada@acme.com" || m.Name != "Ada" || m.Status != "invited" || !m.EmailAddressVerified || !m.MFAPhoneNumberVerified ||
		m.DefaultMFAMethod != "totp" || p.password != "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0" || p.passwordOrg != org.OrganizationID ||
		p.totp.secret != "JBSWY3DPEHPK3PXP" || len(p.totp.codeHashes) != 1 || p.givenID || !latchkey.LooksLike("member", p.id) || !m.CreatedAt.Equal(now) {
		t.Fatalf("plan %+v member %+v", p, m)
	}
	for _, c := range []struct {
		name string
		mut  func(*Line)
		want string
	}{
		{"no email", func(l *Line) { l.Member.EmailAddress = nil }, "invalid_email"},
		{"bad email", func(l *Line) { l.Member.EmailAddress = ptr("ada@") }, "invalid_email"},
		{"status", func(l *Line) { l.Member.Status = ptr("banned") }, "invalid_status"},
		{"member id", func(l *Line) { l.Member.MemberID = ptr("member-live-3f0c0f2e-6c4b-4a57-8f0e-2b5b1f7c9a10") }, "wrong_environment"},
		{"hash type", func(l *Line) { l.PasswordHash = &PasswordHash{HashType: "md4", Hash: "abc"} }, "invalid_hash_type"},
		{"bcrypt", func(l *Line) { l.PasswordHash = &PasswordHash{HashType: "bcrypt", Hash: "$2a$10$short"} }, "invalid_bcrypt_hash"},
		{"totp", func(l *Line) { l.TOTPSecret = "not base32!" }, "invalid_totp_secret"},
		{"short totp", func(l *Line) { l.TOTPSecret = "JBSWY3DP" }, "invalid_totp_secret"},
		{"codes alone", func(l *Line) { l.TOTPRecoveryCodes = []string{"abcd-efgh-1234"} }, "invalid_totp_secret"},
		{"code", func(l *Line) { l.TOTPSecret, l.TOTPRecoveryCodes = "JBSWY3DPEHPK3PXP", []string{"ABCD"} }, "invalid_recovery_code"},
		{"code hash", func(l *Line) { l.TOTPSecret, l.TOTPRecoveryCodeHashes = "JBSWY3DPEHPK3PXP", []string{"zz"} }, "invalid_recovery_code"},
		{"metadata", func(l *Line) { l.Member.TrustedMetadata = &map[string]any{"x": strings.Repeat("y", 5000)} }, "metadata_too_large"},
		{"role", func(l *Line) { l.Member.Roles = &Roles{"bad role!"} }, "invalid_rbac_role_id"},
		{"name", func(l *Line) { l.Member.Name = ptr("a\u200bb") }, "invalid_name"},
	} {
		if _, f := im.planMember(line(c.mut), org, now); f == nil || f.Error != c.want {
			t.Errorf("%s: %+v, want %s", c.name, f, c.want)
		}
	}
}

// What an import does to a stored member: the rules of the README, as a table.
func TestDecide(t *testing.T) {
	im := testImporter()
	org := latchkey.NewOrganization("organization-test-3f0c0f2e-6c4b-4a57-8f0e-2b5b1f7c9a10", time.Now())
	now := time.Now().UTC()
	plan := func(mut func(*Line)) *memberPlan {
		l := &Line{Type: TypeMember, Member: &Member{EmailAddress: ptr("ada@acme.com"), Name: ptr("Ada")}}
		if mut != nil {
			mut(l)
		}
		p, f := im.planMember(l, org, now)
		if f != nil {
			t.Fatal(f)
		}
		return p
	}
	stored := plan(nil).create
	stored.MemberID, stored.Version = "member-test-0b1e4b1a-7d2c-4c55-9a51-3f7e1d2c9b10", 3
	active := stored
	active.Status, active.EmailAddressVerified = latchkey.StatusActive, true
	pw := &latchkey.Password{PasswordID: "member-password-test-x", OrganizationID: org.OrganizationID, MemberID: stored.MemberID, Email: stored.EmailAddress, Hash: "other"}
	withPW := active
	withPW.MemberPasswordID = pw.PasswordID
	bcrypt := &PasswordHash{HashType: "phpass", Hash: "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"}

	for _, c := range []struct {
		name    string
		mut     func(*Line)
		st      MemberState
		update  bool
		outcome string
		fail    string
		fields  []string
		check   func(t *testing.T, d decision)
	}{
		{name: "new", outcome: outCreated},
		{name: "same", st: MemberState{EmailHolder: stored.MemberID, Member: &stored}, outcome: outUnchanged},
		{name: "differs, no --update", mut: func(l *Line) { l.Member.Name = ptr("Ada L.") }, st: MemberState{EmailHolder: stored.MemberID, Member: &stored},
			outcome: outSkipped, fields: []string{"name"}},
		{name: "differs, --update", mut: func(l *Line) { l.Member.Name = ptr("Ada L.") }, st: MemberState{EmailHolder: stored.MemberID, Member: &stored},
			update: true, outcome: outUpdated, fields: []string{"name"}, check: func(t *testing.T, d decision) {
				if d.write.Next.Name != "Ada L." || d.write.Prev.Version != 3 {
					t.Errorf("write %+v", d.write)
				}
			}},
		{name: "never back to invited, never unverified", mut: func(l *Line) { l.Member.Status, l.Member.EmailAddressVerified = ptr("invited"), ptr(false) },
			st: MemberState{EmailHolder: stored.MemberID, Member: &active}, update: true, outcome: outUnchanged},
		{name: "email held by another id", mut: func(l *Line) { l.Member.MemberID = ptr("member-test-3f0c0f2e-6c4b-4a57-8f0e-2b5b1f7c9a10") },
			st: MemberState{EmailHolder: stored.MemberID}, fail: "duplicate_member_email"},
		{name: "retired address", st: MemberState{EmailHolder: stored.MemberID, EmailRetired: true}, fail: "duplicate_member_email"},
		{name: "email change", mut: func(l *Line) { l.Member.MemberID = &stored.MemberID; l.Member.EmailAddress = ptr("new@acme.com") },
			st: MemberState{Member: &stored}, fail: "email_change_not_imported"},
		{name: "external id taken", mut: func(l *Line) { l.Member.ExternalID = ptr("u-1") }, st: MemberState{ExternalOwner: "member-test-other"}, fail: "duplicate_member_external_id"},
		{name: "deleted", st: MemberState{Member: &latchkey.Member{MemberID: "m", Status: latchkey.StatusDeleted}}, fail: "member_deleted"},
		{name: "password set on an existing member", mut: func(l *Line) { l.PasswordHash = bcrypt },
			st: MemberState{EmailHolder: stored.MemberID, Member: &active}, outcome: outUpdated, check: func(t *testing.T, d decision) {
				if d.write.Password.Next == nil || d.write.Next.MemberPasswordID != d.write.Password.Next.PasswordID || d.secrets.PasswordsSet != 1 {
					t.Errorf("write %+v", d.write)
				}
			}},
		{name: "password kept", mut: func(l *Line) { l.PasswordHash = bcrypt },
			st: MemberState{EmailHolder: stored.MemberID, Member: &withPW, Password: pw}, outcome: outUnchanged, check: func(t *testing.T, d decision) {
				if d.secrets.PasswordsKept != 1 || d.write != nil {
					t.Errorf("%+v", d)
				}
			}},
		{name: "TOTP kept", mut: func(l *Line) { l.TOTPSecret = "JBSWY3DPEHPK3PXP" },
			st: MemberState{EmailHolder: stored.MemberID, Member: &active, TOTP: &latchkey.TOTP{Active: true, Secret: "OTHERSECRETOTHER"}}, outcome: outUnchanged},
		{name: "same TOTP", mut: func(l *Line) { l.TOTPSecret = "JBSWY3DPEHPK3PXP" },
			st: MemberState{EmailHolder: stored.MemberID, Member: &active, TOTP: &latchkey.TOTP{Active: true, Secret: "JBSWY3DPEHPK3PXP"}}, outcome: outUnchanged,
			check: func(t *testing.T, d decision) {
				if d.secrets.TOTPsKept != 0 {
					t.Errorf("%+v", d.secrets)
				}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := im.decide(plan(c.mut), c.st, c.update, now)
			if c.fail != "" {
				if d.fail == nil || d.fail.Error != c.fail {
					t.Fatalf("fail %+v, want %s", d.fail, c.fail)
				}
				return
			}
			if d.fail != nil || d.outcome != c.outcome || !slices.Equal(d.fields, c.fields) {
				t.Fatalf("outcome %s fields %v fail %+v; want %s %v", d.outcome, d.fields, d.fail, c.outcome, c.fields)
			}
			if c.check != nil {
				c.check(t, d)
			}
		})
	}
}
