package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"

	"github.com/latchkey/latchkey/shared/app/apptest"
	"github.com/latchkey/latchkey/shared/migrate"
	"github.com/latchkey/latchkey/shared/store"
)

var env *apptest.Env

// The kill test runs this binary again as the command: with this variable set, it is main.
const runMainEnv = "LATCHKEY_MIGRATE_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	apptest.Run(m, &env)
}

const password = "correct horse battery staple"

// cmd runs latchkey-migrate in process against a table of the test stack's DynamoDB Local.
func cmd(t *testing.T, table string, args ...string) (int, string) {
	t.Helper()
	var out, log bytes.Buffer
	code, err := run(t.Context(), append(args, tableFlags(table)...), strings.NewReader(""), &out, &log)
	if err != nil {
		fmt.Fprintln(&log, "error:", err)
	}
	return code, log.String() + out.String()
}

func tableFlags(table string) []string {
	return []string{"--table", table, "--region", "us-east-1", "--endpoint", env.Stack.DynamoDBEndpoint}
}

func importArgs(file string, more ...string) []string {
	return append([]string{"import", "--file", file, "--project-id", env.ProjectID, "--progress", "none"}, more...)
}

// newTable creates an empty table with the stack's layout, for a test that owns its data.
func newTable(t *testing.T) string {
	t.Helper()
	name := "latchkey-migrate-" + uuid.NewString()[:8]
	cfg, err := store.AWSConfig(t.Context(), "us-east-1", env.Stack.DynamoDBEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateTable(t.Context(), store.NewClient(cfg, env.Stack.DynamoDBEndpoint), name); err != nil {
		t.Fatal(err)
	}
	return name
}

// writeLines writes a JSON Lines file; each line is a string as it is, or a value marshalled.
func writeLines(t *testing.T, name string, lines ...any) string {
	t.Helper()
	var b strings.Builder
	for _, l := range lines {
		if s, ok := l.(string); ok {
			b.WriteString(s)
		} else {
			raw, err := json.Marshal(l)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(raw)
		}
		b.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readReport(t *testing.T, path string) migrate.Report {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r migrate.Report
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

type obj = map[string]any

func org(fields obj) obj { return obj{"type": "organization", "organization": fields} }
func member(fields obj, top obj) obj {
	l := obj{"type": "member", "member": fields}
	for k, v := range top {
		l[k] = v
	}
	return l
}

func getMember(t *testing.T, orgID, by string) apptest.Response {
	t.Helper()
	q := "member_id=" + url.QueryEscape(by)
	if strings.Contains(by, "@") {
		q = "email_address=" + url.QueryEscape(by)
	}
	return env.Do(t, "GET", "/v1/b2b/organizations/"+orgID+"/member?"+q, nil)
}

func login(t *testing.T, orgID, email, pw string) apptest.Response {
	t.Helper()
	return env.Do(t, "POST", "/v1/b2b/passwords/authenticate", obj{"organization_id": orgID, "email_address": email, "password": pw})
}

func hasRole(r apptest.Response, path, role, source string) bool {
	roles, _ := r.Get(path).([]any)
	for _, x := range roles {
		m, _ := x.(map[string]any)
		if m["role_id"] != role {
			continue
		}
		srcs, _ := m["sources"].([]any)
		for _, s := range srcs {
			if sm, _ := s.(map[string]any); sm["type"] == source {
				return true
			}
		}
	}
	return false
}

// The documented sample, imported whole into the API's table and checked field by field
// through the API; the password in it logs in; a second run changes nothing; then the CSV
// sample; then what --update and --dry-run do.
func TestImportSample(t *testing.T) {
	dir := t.TempDir()
	sample := filepath.Join(dir, "sample.jsonl")
	raw, err := os.ReadFile("testdata/sample.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sample, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "report.json")
	table := env.Config.Table
	code, log := cmd(t, table, importArgs(sample, "--report", report)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, log)
	}
	r := readReport(t, report)
	if r.Organizations.Created != 2 || r.Members.Created != 4 || r.Members.Merged != 1 || r.Members.Failed != 0 ||
		r.Secrets.PasswordsSet != 2 || r.Secrets.TOTPsSet != 1 || !r.Complete || r.Input.Lines != 7 {
		t.Fatalf("report %+v\n%s", r, log)
	}
	if len(r.Notes) != 1 || r.Notes[0].Line != 6 || r.Notes[0].Into != 2 {
		t.Fatalf("the duplicate is not reported as merged: %+v", r.Notes)
	}
	if _, err := os.Stat(sample + ".checkpoint"); !os.IsNotExist(err) {
		t.Fatalf("a completed run left its checkpoint: %v", err)
	}

	const acme = "organization-test-6b1f4a1e-2c0d-4f57-9a4e-0f1b2c3d4e5f"
	o := env.Do(t, "GET", "/v1/b2b/organizations/"+acme, nil)
	apptest.ExpectOK(t, o)
	for path, want := range map[string]any{
		"organization.organization_name": "Acme Corp", "organization.organization_slug": "acme-sample",
		"organization.organization_external_id": "crm-acme-17", "organization.trusted_metadata.plan": "enterprise",
		"organization.trusted_metadata.seats": 250.0, "organization.email_allowed_domains.0": "acme-sample.com",
		"organization.email_jit_provisioning": "RESTRICTED", "organization.email_invites": "ALL_ALLOWED",
		"organization.auth_methods": "RESTRICTED", "organization.allowed_auth_methods.1": "magic_link",
		"organization.mfa_policy": "OPTIONAL", "organization.rbac_email_implicit_role_assignments.0.role_id": "stytch_admin",
		"organization.created_at": "2023-04-01T09:30:00Z", "organization.sso_jit_provisioning": "ALL_ALLOWED",
	} {
		if got := o.Get(path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	ada := getMember(t, acme, "member-test-1c9e2f3a-4b5d-4e6f-8a7b-9c0d1e2f3a4b")
	apptest.ExpectOK(t, ada)
	for path, want := range map[string]any{
		"member.email_address": "ada@acme-sample.com", "member.email_address_verified": true,
		"member.name":   "Ada Lovelace", // the first line wins
		"member.status": "active", "member.external_id": "crm-user-1",
		"member.trusted_metadata.department": "R&D", "member.trusted_metadata.badge": "A-1", // a key only the duplicate had
		"member.untrusted_metadata.theme": "dark", "member.mfa_phone_number": "+15555550142",
		"member.mfa_phone_number_verified": true, "member.created_at": "2023-04-02T10:00:00Z", "member.is_breakglass": false,
		"member.is_admin": true,
	} {
		if got := ada.Get(path); got != want {
			t.Errorf("ada %s = %v, want %v", path, got, want)
		}
	}
	if !hasRole(ada, "member.roles", "stytch_admin", "direct_assignment") || ada.Str("member.member_password_id") == "" {
		t.Errorf("ada's role or password: %s", ada.Raw)
	}
	grace := getMember(t, acme, "grace@acme-sample.com")
	apptest.ExpectOK(t, grace)
	if !strings.HasPrefix(grace.Str("member.member_id"), "member-test-") || grace.Str("member.name") != "Grace Hopper" ||
		grace.Str("member.totp_registration_id") == "" || grace.Str("member.default_mfa_method") != "totp" || grace.Get("member.email_address_verified") != false {
		t.Errorf("grace: %s", grace.Raw)
	}
	globex := env.Do(t, "GET", "/v1/b2b/organizations/globex-sample", nil)
	apptest.ExpectOK(t, globex)
	gid := globex.Str("organization.organization_id")
	if !strings.HasPrefix(gid, "organization-test-") || globex.Str("organization.mfa_policy") != "REQUIRED_FOR_ALL" ||
		globex.Str("organization.email_invites") != "ALL_ALLOWED" {
		t.Errorf("globex: %s", globex.Raw)
	}
	hank := getMember(t, gid, "hank@globex-sample.com")
	if hank.Str("member.status") != "invited" || !hasRole(hank, "member.roles", "stytch_admin", "direct_assignment") || hank.Get("member.email_address_verified") != true {
		t.Errorf("hank: %s", hank.Raw)
	}
	adaGlobex := getMember(t, gid, "ada@acme-sample.com")
	if id := adaGlobex.Str("member.member_id"); id == "" || id == ada.Str("member.member_id") || adaGlobex.Str("member.name") != "Ada at Globex" {
		t.Errorf("the same address in another organization is another member: %s", adaGlobex.Raw)
	}
	// The imported bcrypt hash logs in with the original password, through the API.
	l := login(t, acme, "ada@acme-sample.com", password)
	apptest.ExpectOK(t, l)
	if l.Str("member_id") != ada.Str("member.member_id") || l.Str("session_token") == "" {
		t.Fatalf("login: %s", l.Raw)
	}
	// The login upgraded the hash and logged the member in: a second run must leave both.
	adaAfter := getMember(t, acme, ada.Str("member.member_id"))

	// A second run: nothing changes, and the report says so.
	code, log = cmd(t, table, importArgs(sample, "--report", report)...)
	r = readReport(t, report)
	if code != 0 || r.Organizations.Unchanged != 2 || r.Members.Unchanged != 4 || r.Members.Created+r.Members.Updated+r.Organizations.Created+r.Organizations.Updated != 0 ||
		r.Secrets.PasswordsSet+r.Secrets.TOTPsSet != 0 {
		t.Fatalf("second run: exit %d report %+v\n%s", code, r, log)
	}
	if again := getMember(t, acme, ada.Str("member.member_id")); again.Str("member.updated_at") != adaAfter.Str("member.updated_at") {
		t.Fatalf("the second run wrote the member: %s then %s", adaAfter.Raw, again.Raw)
	}
	apptest.ExpectOK(t, login(t, acme, "ada@acme-sample.com", password))

	// The flat case: a CSV naming the organization by its external id.
	csvPath := filepath.Join(dir, "sample.csv")
	rawCSV, _ := os.ReadFile("testdata/sample.csv")
	_ = os.WriteFile(csvPath, rawCSV, 0o644)
	if code, log := cmd(t, table, importArgs(csvPath)...); code != 0 {
		t.Fatalf("csv: exit %d\n%s", code, log)
	}
	linus := getMember(t, acme, "linus@acme-sample.com")
	if linus.Str("member.name") != "Linus" || linus.Str("member.external_id") != "crm-user-3" || linus.Str("member.trusted_metadata.plan") != "pro" ||
		linus.Str("member.untrusted_metadata.locale") != "fi-FI" {
		t.Errorf("linus: %s", linus.Raw)
	}
	if m := getMember(t, acme, "margaret@acme-sample.com"); m.Get("member.trusted_metadata.plan") != nil || m.Str("member.name") != "Margaret Hamilton" {
		t.Errorf("margaret: %s", m.Raw)
	}

	// A changed name and a new member: without --update the change is skipped (and said so),
	// a dry run with --update reports it and writes nothing, and --update writes it.
	changed := writeLines(t, "changed.jsonl",
		org(obj{"organization_slug": "acme-sample", "organization_name": "Acme Corporation"}),
		member(obj{"email_address": "grace@acme-sample.com", "name": "Rear Admiral Hopper"}, obj{"organization_slug": "acme-sample"}),
		member(obj{"email_address": "new@acme-sample.com"}, obj{"organization_slug": "acme-sample"}))
	code, log = cmd(t, table, importArgs(changed, "--report", report, "--dry-run")...)
	r = readReport(t, report)
	if code != 0 || !r.DryRun || r.Members.Skipped != 1 || r.Members.Created != 1 || r.Organizations.Skipped != 1 || len(r.Notes) != 2 ||
		!slices.Equal(r.Notes[0].Fields, []string{"organization_name"}) || !slices.Equal(r.Notes[1].Fields, []string{"name"}) {
		t.Fatalf("dry run: %d %+v\n%s", code, r, log)
	}
	code, log = cmd(t, table, importArgs(changed, "--report", report, "--dry-run", "--update")...)
	r = readReport(t, report)
	if code != 0 || r.Members.Updated != 1 || r.Members.Created != 1 || r.Organizations.Updated != 1 || !strings.Contains(log, "dry run") {
		t.Fatalf("dry run --update: %d %+v\n%s", code, r, log)
	}
	if g := getMember(t, acme, "grace@acme-sample.com"); g.Str("member.name") != "Grace Hopper" {
		t.Fatalf("a dry run wrote: %s", g.Raw)
	}
	if n := getMember(t, acme, "new@acme-sample.com"); n.Status != http.StatusNotFound {
		t.Fatalf("a dry run created a member: %s", n.Raw)
	}
	if _, err := os.Stat(changed + ".checkpoint"); !os.IsNotExist(err) {
		t.Fatal("a dry run wrote a checkpoint")
	}
	if code, log := cmd(t, table, importArgs(changed, "--update")...); code != 0 {
		t.Fatalf("--update: %d\n%s", code, log)
	}
	if g := getMember(t, acme, "grace@acme-sample.com"); g.Str("member.name") != "Rear Admiral Hopper" || g.Str("member.totp_registration_id") != grace.Str("member.totp_registration_id") {
		t.Fatalf("--update: %s", g.Raw)
	}
	if o := env.Do(t, "GET", "/v1/b2b/organizations/"+acme, nil); o.Str("organization.organization_name") != "Acme Corporation" ||
		o.Str("organization.organization_external_id") != "crm-acme-17" || o.Str("organization.auth_methods") != "RESTRICTED" {
		t.Fatalf("--update of the organization (absent fields stay): %s", o.Raw)
	}
}

func bcryptHash(t *testing.T) string {
	h, err := bcrypt.GenerateFromPassword([]byte(password), 6)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// Hashes made by other systems' algorithms (x/crypto's bcrypt and scrypt, salted MD5, and
// phpass's own test vector, as shared/pwhash's tests use) log in over HTTP with the original
// password, and an imported TOTP secret (and recovery code) passes the MFA step.
func TestImportedCredentialsLogIn(t *testing.T) {
	salt := []byte("NaCl-0123456789")
	sc, err := scrypt.Key([]byte(password), salt, 1024, 8, 1, 32)
	if err != nil {
		t.Fatal(err)
	}
	md := md5.Sum([]byte("pre-" + password + "-post"))
	b64 := base64.StdEncoding.EncodeToString
	slug := "creds-" + uuid.NewString()[:8]
	mfaSlug := slug + "-mfa"
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Old system", AccountName: "tess@creds.example"})
	if err != nil {
		t.Fatal(err)
	}
	file := writeLines(t, "creds.jsonl",
		org(obj{"organization_name": "Creds", "organization_slug": slug}),
		member(obj{"email_address": "bea@creds.example"}, obj{"organization_slug": slug, "password_hash": obj{"hash": bcryptHash(t), "hash_type": "bcrypt"}}),
		member(obj{"email_address": "pat@creds.example"}, obj{"organization_slug": slug, "password_hash": obj{"hash": "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0", "hash_type": "phpass"}}),
		member(obj{"email_address": "sam@creds.example"}, obj{"organization_slug": slug, "password_hash": obj{"hash": b64(sc), "hash_type": "scrypt",
			"scrypt_config": obj{"salt": b64(salt), "n_parameter": 1024, "r_parameter": 8, "p_parameter": 1, "key_length": 32}}}),
		member(obj{"email_address": "max@creds.example"}, obj{"organization_slug": slug, "password_hash": obj{"hash": hex.EncodeToString(md[:]), "hash_type": "md_5",
			"md_5_config": obj{"prepend_salt": "pre-", "append_salt": "-post"}}}),
		org(obj{"organization_name": "Creds MFA", "organization_slug": mfaSlug, "mfa_policy": "REQUIRED_FOR_ALL"}),
		member(obj{"email_address": "tess@creds.example", "mfa_enrolled": true}, obj{"organization_slug": mfaSlug,
			"password_hash": obj{"hash": bcryptHash(t), "hash_type": "bcrypt"}, "totp_secret": key.Secret(), "totp_recovery_codes": []string{"rcv1-rcv2-rcv3"}}),
	)
	if code, log := cmd(t, env.Config.Table, importArgs(file)...); code != 0 {
		t.Fatalf("exit %d\n%s", code, log)
	}
	orgID := env.Do(t, "GET", "/v1/b2b/organizations/"+slug, nil).Str("organization.organization_id")
	for email, pw := range map[string]string{"bea@creds.example": password, "pat@creds.example": "test12345",
		"sam@creds.example": password, "max@creds.example": password} {
		if r := login(t, orgID, email, pw+"!"); r.Status != http.StatusUnauthorized {
			t.Errorf("%s: a wrong password answered %d %s", email, r.Status, r.Raw)
		}
		r := login(t, orgID, email, pw)
		apptest.ExpectOK(t, r)
		if r.Str("session_token") == "" || r.Str("member.email_address") != email {
			t.Errorf("%s: %s", email, r.Raw)
		}
	}

	mfaID := env.Do(t, "GET", "/v1/b2b/organizations/"+mfaSlug, nil).Str("organization.organization_id")
	first := login(t, mfaID, "tess@creds.example", password)
	apptest.ExpectOK(t, first)
	ist, tess := first.Str("intermediate_session_token"), first.Str("member_id")
	if first.Get("member_authenticated") != false || ist == "" || first.Str("mfa_required.member_options.totp_registration_id") == "" {
		t.Fatalf("password step: %s", first.Raw)
	}
	code, err := totp.GenerateCode(key.Secret(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	done := env.Do(t, "POST", "/v1/b2b/totp/authenticate", obj{"organization_id": mfaID, "member_id": tess, "code": code, "intermediate_session_token": ist})
	apptest.ExpectOK(t, done)
	if done.Str("session_token") == "" || done.Str("member_session.authentication_factors.1.type") != "totp" {
		t.Fatalf("TOTP step: %s", done.Raw)
	}
	// The imported recovery code stands in for the authenticator, once.
	second := login(t, mfaID, "tess@creds.example", password)
	rec := env.Do(t, "POST", "/v1/b2b/recovery_codes/recover", obj{"organization_id": mfaID, "member_id": tess,
		"recovery_code": "rcv1-rcv2-rcv3", "intermediate_session_token": second.Str("intermediate_session_token")})
	apptest.ExpectOK(t, rec)
	if rec.Str("session_token") == "" {
		t.Fatalf("recovery code: %s", rec.Raw)
	}
}

// Bad lines are reported with their number and reason; the others import; none of a bad
// line's items is written.
func TestBadLinesAreReported(t *testing.T) {
	slug := "bad-" + uuid.NewString()[:8]
	created := env.Do(t, "POST", "/v1/b2b/organizations", obj{"organization_name": "Bad Lines", "organization_slug": slug})
	apptest.ExpectOK(t, created)
	orgID := created.Str("organization.organization_id")
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/organizations/"+orgID+"/members", obj{"email_address": "taken@bad.example"}))
	other := "member-test-" + uuid.NewString()
	ref := obj{"organization_slug": slug}
	file := writeLines(t, "bad.jsonl",
		member(obj{"email_address": "ok1@bad.example"}, ref), // 1
		`{"type":"member","member":{"email_address":`,        // 2 malformed
		member(obj{"email_address": "hash@bad.example"}, obj{"organization_slug": slug, "password_hash": obj{"hash": "abc", "hash_type": "md4"}}), // 3
		member(obj{"email_address": "id@bad.example", "member_id": "member_123"}, ref),                                                            // 4
		org(obj{"organization_id": "organization-live-" + uuid.NewString(), "organization_name": "Live", "organization_slug": slug + "-live"}),    // 5
		member(obj{"email_address": "not-an-email"}, ref),                                                                                         // 6
		member(obj{"email_address": "taken@bad.example", "member_id": other}, ref),                                                                // 7
		member(obj{"email_address": "ok2@bad.example", "external_id": "x-1"}, ref),                                                                // 8
		`{"type":"widget"}`, // 9
		member(obj{"email_address": "lost@bad.example"}, obj{"organization_slug": "no-such-org-" + slug}),              // 10
		member(obj{"email_address": "ext@bad.example", "external_id": "x-1"}, ref),                                     // 11: external id of line 8
		member(obj{"email_address": "ok3@bad.example", "trusted_metadata": obj{"a": 1}}, ref),                          // 12
		member(obj{"email_address": "meta@bad.example", "trusted_metadata": obj{"a": strings.Repeat("x", 5000)}}, ref), // 13
		`{"type":"sso_connection","organization_id":"x","saml_connection":{}}`,                                         // 14: not imported
		member(obj{"email_address": "gone@bad.example", "status": "deleted"}, ref),                                     // 15: not imported
	)
	report := filepath.Join(t.TempDir(), "report.json")
	code, log := cmd(t, env.Config.Table, importArgs(file, "--report", report)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (some lines failed)\n%s", code, log)
	}
	r := readReport(t, report)
	want := map[int]string{2: "invalid_json", 3: "invalid_hash_type", 4: "invalid_member_id", 5: "wrong_environment", 6: "invalid_email",
		7: "duplicate_member_email", 9: "unknown_type", 10: "organization_not_found", 11: "duplicate_member_external_id", 13: "metadata_too_large"}
	got := map[int]string{}
	for _, f := range r.Failures {
		got[f.Line] = f.Error
		if f.Reason == "" {
			t.Errorf("line %d has no reason", f.Line)
		}
	}
	for line, e := range want {
		if got[line] != e {
			t.Errorf("line %d: %q, want %q (%+v)", line, got[line], e, r.Failures)
		}
	}
	if len(got) != len(want) || r.Members.Created != 3 || r.Organizations.Failed != 1 || !r.Complete ||
		r.Organizations.Ignored != 1 || r.Members.Ignored != 1 {
		t.Errorf("report %+v", r)
	}
	for _, e := range []string{"ok1@bad.example", "ok2@bad.example", "ok3@bad.example"} {
		apptest.ExpectOK(t, getMember(t, orgID, e))
	}
	for _, e := range []string{"hash@bad.example", "ext@bad.example", "meta@bad.example"} {
		if m := getMember(t, orgID, e); m.Status != http.StatusNotFound {
			t.Errorf("%s was written: %s", e, m.Raw)
		}
	}
	if m := getMember(t, orgID, other); m.Status != http.StatusNotFound {
		t.Errorf("the colliding member was written: %s", m.Raw)
	}
	if !strings.Contains(log, "line 7 (member): duplicate_member_email") {
		t.Errorf("the summary on stderr lacks the failure: %s", log)
	}
}

// exportTable returns a table's export, one decoded line each.
func exportTable(t *testing.T, table string, secrets bool) []obj {
	t.Helper()
	out := filepath.Join(t.TempDir(), "export.jsonl")
	args := []string{"export", "--out", out, "--quiet"}
	if secrets {
		args = append(args, "--include-secrets")
	}
	if code, log := cmd(t, table, args...); code != 0 {
		t.Fatalf("export: %d\n%s", code, log)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var lines []obj
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if l == "" {
			continue
		}
		var o obj
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, o)
	}
	return lines
}

// An exported table imported into an empty one exports the same: organizations and members
// with their ids, settings, metadata, roles, timestamps, password hashes and TOTP secrets.
func TestExportImportRoundTrip(t *testing.T) {
	a, b := newTable(t), newTable(t)
	salt := []byte("pepper")
	sc, _ := scrypt.Key([]byte(password), salt, 1024, 8, 1, 32)
	b64 := base64.StdEncoding.EncodeToString
	orgID := "organization-test-" + uuid.NewString()
	file := writeLines(t, "rich.jsonl",
		org(obj{"organization_id": orgID, "organization_name": "Round Trip", "organization_slug": "round-trip", "organization_external_id": "rt-1",
			"trusted_metadata": obj{"tier": "gold", "nested": obj{"a": []any{1, "two"}}}, "email_allowed_domains": []string{"rt.example"},
			"email_jit_provisioning": "RESTRICTED", "auth_methods": "RESTRICTED", "allowed_auth_methods": []string{"password"},
			"mfa_methods": "RESTRICTED", "allowed_mfa_methods": []string{"totp"}, "created_at": "2022-02-02T02:02:02.5Z"}),
		org(obj{"organization_name": "Second", "organization_slug": "round-trip-2"}),
		member(obj{"member_id": "member-test-" + uuid.NewString(), "organization_id": orgID, "email_address": "one@rt.example", "name": "One",
			"status": "active", "email_address_verified": true, "external_id": "u1", "trusted_metadata": obj{"k": 1.5}, "untrusted_metadata": obj{"u": true},
			"roles": []string{"stytch_admin"}, "mfa_phone_number": "+15555550111", "mfa_phone_number_verified": true, "mfa_enrolled": true,
			"is_breakglass": true, "created_at": "2021-01-01T00:00:00Z", "updated_at": "2021-06-01T00:00:00Z"},
			obj{"password_hash": obj{"hash": b64(sc), "hash_type": "scrypt", "scrypt_config": obj{"salt": b64(salt), "n_parameter": 1024, "r_parameter": 8, "p_parameter": 1, "key_length": 32}},
				"totp_secret": "JBSWY3DPEHPK3PXPJBSWY3DP", "totp_recovery_codes": []string{"aaaa-bbbb-cccc", "dddd-eeee-ffff"}}),
		member(obj{"email_address": "two@rt.example", "status": "pending"}, obj{"organization_external_id": "rt-1", "password_hash": obj{"hash": bcryptHash(t), "hash_type": "bcrypt"}}),
		member(obj{"email_address": "one@rt.example", "name": "One elsewhere"}, obj{"organization_slug": "round-trip-2"}),
	)
	if code, log := cmd(t, a, importArgs(file)...); code != 0 {
		t.Fatalf("import: %d\n%s", code, log)
	}
	first := exportTable(t, a, true)
	if len(first) != 5 {
		t.Fatalf("%d lines: %v", len(first), first)
	}
	exported := writeLines(t, "exported.jsonl", anys(first)...)
	if code, log := cmd(t, b, importArgs(exported)...); code != 0 {
		t.Fatalf("import of the export: %d\n%s", code, log)
	}
	second := exportTable(t, b, true)
	norm := func(ls []obj) string {
		var out []string
		for _, l := range ls {
			if m, ok := l["member"].(map[string]any); ok {
				if m["member_password_id"] != "" {
					m["member_password_id"] = "set"
				}
				if m["totp_registration_id"] != "" {
					m["totp_registration_id"] = "set"
				}
			}
			raw, _ := json.Marshal(l)
			out = append(out, string(raw))
		}
		return strings.Join(out, "\n")
	}
	if n1, n2 := norm(first), norm(second); n1 != n2 {
		t.Fatalf("the round trip changed the records:\n%s\n---\n%s", n1, n2)
	}
	var one obj
	for _, l := range first {
		if m, ok := l["member"].(map[string]any); ok && m["email_address"] == "one@rt.example" && m["organization_id"] == orgID {
			one = l
		}
	}
	if ph, _ := one["password_hash"].(map[string]any); ph["hash_type"] != "scrypt" || one["totp_secret"] != "JBSWY3DPEHPK3PXPJBSWY3DP" {
		t.Fatalf("secrets: %v", one)
	}
	if hs, _ := one["totp_recovery_code_hashes"].([]any); len(hs) != 2 {
		t.Fatalf("recovery codes: %v", one)
	}
	for _, l := range exportTable(t, a, false) {
		if l["password_hash"] != nil || l["totp_secret"] != nil || l["totp_recovery_code_hashes"] != nil {
			t.Fatalf("an export without --include-secrets holds one: %v", l)
		}
	}
}

func anys(ls []obj) []any {
	out := make([]any, len(ls))
	for i, l := range ls {
		out[i] = l
	}
	return out
}

// A run killed midway (SIGKILL, so nothing is flushed but the last checkpoint) resumes from
// its checkpoint and ends in the same table as one clean run, with no member twice.
func TestKilledRunResumes(t *testing.T) {
	killed, clean := newTable(t), newTable(t)
	lines := []any{org(obj{"organization_name": "Resume", "organization_slug": "resume"})}
	const n = 300
	for i := range n {
		fields := obj{"email_address": fmt.Sprintf("person-%03d@resume.example", i), "name": fmt.Sprintf("Person %d", i), "external_id": fmt.Sprintf("p-%d", i)}
		top := obj{"organization_slug": "resume"}
		if i%10 == 0 {
			md := md5.Sum([]byte(password))
			top["password_hash"] = obj{"hash": hex.EncodeToString(md[:]), "hash_type": "md_5"}
		}
		lines = append(lines, member(fields, top))
	}
	lines = append(lines, member(obj{"email_address": "person-007@resume.example", "trusted_metadata": obj{"late": "yes"}}, obj{"organization_slug": "resume"}))
	file := writeLines(t, "resume.jsonl", lines...)
	checkpoint := file + ".checkpoint"

	child := exec.Command(os.Args[0], append(importArgs(file, "--max-rate", "150", "--checkpoint-every", "20", "--batch", "10", "--concurrency", "4"), tableFlags(killed)...)...)
	child.Env = append(os.Environ(), runMainEnv+"=1")
	var childLog bytes.Buffer
	child.Stderr = &childLog
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	line := 0
	for time.Now().Before(deadline) {
		var c struct{ Line int }
		if raw, err := os.ReadFile(checkpoint); err == nil && json.Unmarshal(raw, &c) == nil {
			line = c.Line
		}
		if line >= 100 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = child.Process.Signal(syscall.SIGKILL)
	_ = child.Wait()
	if line < 100 || line >= n {
		t.Fatalf("the checkpoint reached line %d before the kill (want 100 to %d)\n%s", line, n, childLog.String())
	}

	report := filepath.Join(t.TempDir(), "report.json")
	code, log := cmd(t, killed, importArgs(file, "--report", report)...)
	r := readReport(t, report)
	if code != 0 || r.ResumedAfter < 100 || !r.Complete || r.Members.Created+r.Members.Unchanged != n || r.Members.Merged != 1 || r.Organizations.Created != 1 {
		t.Fatalf("resumed run: exit %d %+v\n%s", code, r, log)
	}
	if _, err := os.Stat(checkpoint); !os.IsNotExist(err) {
		t.Fatal("the completed run left its checkpoint")
	}
	if code, log := cmd(t, clean, importArgs(file, "--resume=false")...); code != 0 {
		t.Fatalf("clean run: %d\n%s", code, log)
	}
	// Generated ids and creation times differ between two runs; everything else is the same.
	norm := func(ls []obj) []string {
		var out []string
		for _, l := range ls {
			for _, k := range []string{"organization", "member"} {
				if m, ok := l[k].(map[string]any); ok {
					for _, f := range []string{"organization_id", "member_id", "member_password_id", "created_at", "updated_at"} {
						if m[f] != nil && m[f] != "" {
							m[f] = "x"
						}
					}
				}
			}
			raw, _ := json.Marshal(l)
			out = append(out, string(raw))
		}
		slices.Sort(out)
		return out
	}
	a, b := norm(exportTable(t, killed, true)), norm(exportTable(t, clean, true))
	if len(a) != n+1 || !slices.Equal(a, b) {
		t.Fatalf("the resumed table differs from a clean run's: %d and %d lines", len(a), len(b))
	}
}

// Across organizations an address has one password: the first line with one sets it, and the
// member of the other organization shares it, as Passwords.Migrate does.
func TestCrossOrganizationPasswords(t *testing.T) {
	table := newTable(t)
	file := writeLines(t, "cross.jsonl",
		org(obj{"organization_name": "One", "organization_slug": "one"}),
		org(obj{"organization_name": "Two", "organization_slug": "two"}),
		member(obj{"email_address": "dee@cross.example"}, obj{"organization_slug": "one", "password_hash": obj{"hash": bcryptHash(t), "hash_type": "bcrypt"}}),
		member(obj{"email_address": "dee@cross.example"}, obj{"organization_slug": "two", "password_hash": obj{"hash": bcryptHash(t), "hash_type": "bcrypt"}}),
	)
	report := filepath.Join(t.TempDir(), "report.json")
	if code, log := cmd(t, table, importArgs(file, "--password-scope", "cross_organization", "--report", report)...); code != 0 {
		t.Fatalf("%d\n%s", code, log)
	}
	if r := readReport(t, report); r.Members.Created != 2 || r.Secrets.PasswordsSet != 1 {
		t.Fatalf("%+v", r)
	}
	// Again: the address's password is there, and nothing changes.
	if code, log := cmd(t, table, importArgs(file, "--password-scope", "cross_organization", "--report", report)...); code != 0 {
		t.Fatalf("%d\n%s", code, log)
	}
	if r := readReport(t, report); r.Members.Unchanged != 2 || r.Secrets.PasswordsSet != 0 {
		t.Fatalf("second run: %+v", r)
	}
}

// Reading from standard input (a pipe): the stream is spooled, then imported.
func TestImportFromStandardInput(t *testing.T) {
	table := newTable(t)
	var in strings.Builder
	for _, l := range []any{org(obj{"organization_name": "Piped", "organization_slug": "piped"}),
		member(obj{"email_address": "pipe@piped.example"}, obj{"organization_slug": "piped"})} {
		raw, _ := json.Marshal(l)
		in.Write(raw)
		in.WriteByte('\n')
	}
	var out, log bytes.Buffer
	code, err := run(context.Background(), append(importArgs("-"), tableFlags(table)...), strings.NewReader(in.String()), &out, &log)
	if err != nil || code != 0 || !strings.Contains(log.String(), "1 created") {
		t.Fatalf("%d %v\n%s", code, err, log.String())
	}
	if ls := exportTable(t, table, false); len(ls) != 2 {
		t.Fatalf("%v", ls)
	}
}

func TestBadArguments(t *testing.T) {
	t.Setenv("LATCHKEY_PROJECT_ID", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "name a command"},
		{[]string{"move"}, "unknown command"},
		{[]string{"import", "--project-id", "project-test-1"}, "--file is required"},
		{[]string{"import", "--file", "x.jsonl"}, "--project-id is required"},
		{[]string{"import", "--file", "x.jsonl", "--project-id", "acme"}, "must look like"},
		{[]string{"import", "--file", "x.jsonl", "--project-id", "project-test-1", "--from", "okta"}, "no such source"},
		{[]string{"import", "--file", "-", "--project-id", "project-test-1", "--from", "stytch"}, "needs --file to name a file"},
		{[]string{"import", "--file", "x.jsonl", "--project-id", "project-test-1", "--format", "xml"}, "want jsonl or csv"},
		{[]string{"import", "--file", "x.jsonl", "--project-id", "project-test-1", "--password-scope", "global"}, "--password-scope"},
		{[]string{"import", "--file", "x.jsonl", "--project-id", "project-test-1", "extra"}, "unexpected arguments"},
		{[]string{"export"}, "--out is required"},
		{[]string{"export", "--out", "x", "--dry-run"}, "flag provided but not defined"},
	} {
		var out, log bytes.Buffer
		code, err := run(context.Background(), c.args, strings.NewReader(""), &out, &log)
		if code != 2 || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %d %v, want %q", c.args, code, err, c.want)
		}
	}
}
