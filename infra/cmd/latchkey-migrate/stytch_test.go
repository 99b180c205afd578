package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/magiclinks"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/magiclinks/email"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations/members"

	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/app/apptest"
)

// stack is another Latchkey on its own table, serving the same project id and secret as env:
// one plays the Stytch project being left, another the Latchkey being moved into.
func stack(t *testing.T) (*apptest.Env, string) {
	t.Helper()
	table := newTable(t)
	a, srv, err := env.Variant(t.Context(), func(c *app.Config) { c.Table = table })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	if err := a.Store.PutProjectSecret(t.Context(), env.ProjectID, env.Secret, time.Now()); err != nil {
		t.Fatal(err)
	}
	return env.At(srv.URL), table
}

func sdkAt(t *testing.T, e *apptest.Env) *b2bstytchapi.API {
	t.Helper()
	c, err := b2bstytchapi.NewClient(e.ProjectID, e.Secret, b2bstytchapi.WithBaseURI(e.URL), b2bstytchapi.WithSkipJWKSInitialization())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// seedSource builds, through stytch-go, a project as a Stytch customer would have: settings,
// metadata, external ids, roles, every member status, verified and unverified emails, and the
// same person in two organizations. It returns the organization ids and the deleted member.
func seedSource(t *testing.T, src *apptest.Env) ([]string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	c := sdkAt(t, src)
	tag := uuid.NewString()[:8]
	domain := "src-" + tag + ".example.com"
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seeding, %s: %v", what, err)
		}
	}
	rich, err := c.Organizations.Create(ctx, &organizations.CreateParams{
		OrganizationName: "Source " + tag, OrganizationSlug: "source-" + tag, OrganizationExternalID: "tenant-" + tag,
		OrganizationLogoURL: "https://logo.example/" + tag + ".png",
		TrustedMetadata:     map[string]any{"plan": "enterprise", "seats": 40, "billing": map[string]any{"id": "cus_" + tag}},
		EmailAllowedDomains: []string{domain}, EmailJITProvisioning: "RESTRICTED", EmailInvites: "RESTRICTED",
		AuthMethods: "RESTRICTED", AllowedAuthMethods: []string{"magic_link", "password"},
		MFAPolicy: "OPTIONAL", MFAMethods: "RESTRICTED", AllowedMFAMethods: []string{"totp"},
		RBACEmailImplicitRoleAssignments: []*organizations.EmailImplicitRoleAssignment{{Domain: domain, RoleID: "editor"}},
	})
	must("Organizations.Create", err)
	orgID := rich.Organization.OrganizationID
	plain, err := c.Organizations.Create(ctx, &organizations.CreateParams{OrganizationName: "Plain " + tag, OrganizationSlug: "plain-" + tag})
	must("Organizations.Create plain", err)
	_, err = c.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: orgID, EmailAddress: "ada@" + domain, Name: "Ada",
		ExternalID: "user-ada-" + tag, TrustedMetadata: map[string]any{"employee_id": 1815}, UntrustedMetadata: map[string]any{"theme": "dark"},
		Roles: []string{"viewer"}, IsBreakglass: true, MFAPhoneNumber: "+15555550123"})
	must("Members.Create ada", err)
	_, err = c.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: orgID, EmailAddress: "pat@" + domain, Name: "Pat", CreateMemberAsPending: true})
	must("Members.Create pat", err)
	_, err = c.MagicLinks.Email.Invite(ctx, &email.InviteParams{OrganizationID: orgID, EmailAddress: "ivy@" + domain, Name: "Ivy",
		Roles: []string{"member-admin"}, UntrustedMetadata: map[string]any{"invited_by": "ada"}})
	must("Invite", err)
	gone, err := c.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: orgID, EmailAddress: "gone@" + domain})
	must("Members.Create gone", err)
	_, err = c.Organizations.Members.Delete(ctx, &members.DeleteParams{OrganizationID: orgID, MemberID: gone.MemberID})
	must("Members.Delete", err)
	// A verified email: the member logged in by a magic link once.
	_, err = c.MagicLinks.Email.LoginOrSignup(ctx, &email.LoginOrSignupParams{OrganizationID: orgID, EmailAddress: "ada@" + domain})
	must("LoginOrSignup", err)
	_, err = c.MagicLinks.Authenticate(ctx, &magiclinks.AuthenticateParams{MagicLinksToken: src.LastEmail(t, "ada@"+domain).Token()})
	must("MagicLinks.Authenticate", err)
	// The same person in the second organization is a second member.
	_, err = c.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: plain.Organization.OrganizationID, EmailAddress: "ada@" + domain, Name: "Ada elsewhere"})
	must("Members.Create ada in plain", err)
	return []string{orgID, plain.Organization.OrganizationID}, gone.MemberID
}

// view is what a client of the API sees of a project: each organization's object and its
// members (deleted ones too), by id, with the request ids taken out.
func view(t *testing.T, e *apptest.Env, orgIDs []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, id := range orgIDs {
		r := e.Do(t, "GET", "/v1/b2b/organizations/"+id, nil)
		apptest.ExpectOK(t, r)
		raw, _ := json.Marshal(r.Get("organization"))
		out[id] = string(raw)
		for _, q := range []any{nil, obj{"operator": "AND", "operands": []any{obj{"filter_name": "statuses", "filter_value": []string{"deleted"}}}}} {
			body := obj{"organization_ids": []string{id}, "limit": 1000}
			if q != nil {
				body["query"] = q
			}
			r := e.Do(t, "POST", "/v1/b2b/organizations/members/search", body)
			apptest.ExpectOK(t, r)
			ms, _ := r.Get("members").([]any)
			for _, m := range ms {
				raw, _ := json.Marshal(m)
				out[m.(map[string]any)["member_id"].(string)] = string(raw)
			}
		}
	}
	return out
}

// Stytch's API (here a second Latchkey seeded through stytch-go) imported whole into an
// empty table: every organization and member reads back through the API byte for byte, ids,
// slugs, settings, metadata, external ids, roles, statuses, verification state and
// timestamps included. A deleted member is read and left out (an import does not create
// tombstones). A second run changes nothing; --organization reads only what it names.
func TestImportFromStytch(t *testing.T) {
	src, _ := stack(t)
	orgIDs, deleted := seedSource(t, src)
	dst, dstTable := stack(t)
	t.Setenv("STYTCH_SECRET", env.Secret)
	file := filepath.Join(t.TempDir(), "stytch.jsonl")
	report := filepath.Join(t.TempDir(), "report.json")
	args := importArgs(file, "--from", "stytch", "--stytch-project-id", env.ProjectID, "--stytch-base-url", src.URL,
		"--include-deleted-members", "--report", report)
	code, log := cmd(t, dstTable, args...)
	if code != 0 {
		t.Fatalf("import --from stytch: %d\n%s", code, log)
	}
	if !strings.Contains(log, "read 2 organizations and 5 members (2 active, 1 invited, 1 pending, 1 deleted)") {
		t.Fatalf("the export's summary is missing or wrong:\n%s", log)
	}
	rep := readReport(t, report)
	if rep.Organizations.Created != 2 || rep.Members.Created != 4 || rep.Members.Ignored != 1 || rep.Members.Failed+rep.Organizations.Failed != 0 {
		t.Fatalf("report: %+v\n%s", rep, log)
	}
	want, got := view(t, src, orgIDs), view(t, dst, orgIDs)
	if len(want) != 7 {
		t.Fatalf("the source shows %d objects, want 2 organizations and 5 members", len(want))
	}
	if g, ok := got[deleted]; ok {
		t.Errorf("the deleted member was imported: %s", g)
	}
	delete(want, deleted)
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s differs after the import:\nsource: %s\nlatchkey: %s", id, w, got[id])
		}
	}
	if _, err := os.Stat(file + ".part"); !os.IsNotExist(err) {
		t.Fatalf("the spool file was left behind: %v", err)
	}

	// Again: the source is read again and nothing is written.
	code, log = cmd(t, dstTable, args...)
	rep = readReport(t, report)
	if code != 0 || rep.Organizations.Created+rep.Organizations.Updated+rep.Members.Created+rep.Members.Updated != 0 || rep.Members.Unchanged != 4 {
		t.Fatalf("second run: %d %+v\n%s", code, rep, log)
	}

	// One organization, without deleted members, into another table.
	_, only := stack(t)
	code, log = cmd(t, only, importArgs(filepath.Join(t.TempDir(), "one.jsonl"), "--from", "stytch", "--stytch-project-id", env.ProjectID,
		"--stytch-base-url", src.URL, "--organization", orgIDs[1], "--report", report)...)
	rep = readReport(t, report)
	if code != 0 || rep.Organizations.Created != 1 || rep.Members.Created != 1 {
		t.Fatalf("--organization: %d %+v\n%s", code, rep, log)
	}
}

// The source's failures stop the run before anything is imported, with the reason.
func TestImportFromStytchFailures(t *testing.T) {
	file := filepath.Join(t.TempDir(), "stytch.jsonl")
	cases := []struct {
		name, secret string
		args         []string
		want         string
	}{
		{"no secret", "", []string{"--stytch-project-id", env.ProjectID, "--stytch-base-url", env.URL}, "STYTCH_SECRET"},
		{"no project", env.Secret, []string{"--stytch-base-url", env.URL}, "--stytch-project-id"},
		{"wrong secret", "secret-test-wrong", []string{"--stytch-project-id", env.ProjectID, "--stytch-base-url", env.URL}, "unauthorized_credentials"},
		{"plain http", env.Secret, []string{"--stytch-project-id", env.ProjectID, "--stytch-base-url", "http://stytch.example.com"}, "plain http"},
		{"unknown organization", env.Secret, []string{"--stytch-project-id", env.ProjectID, "--stytch-base-url", env.URL, "--organization", "organization-test-" + uuid.NewString()}, "organization"},
	}
	table := newTable(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("STYTCH_SECRET", c.secret)
			t.Setenv("STYTCH_PROJECT_ID", "")
			code, log := cmd(t, table, importArgs(file, append([]string{"--from", "stytch"}, c.args...)...)...)
			if code != 2 || !strings.Contains(log, c.want) {
				t.Fatalf("exit %d, want 2 and %q in:\n%s", code, c.want, log)
			}
			if _, err := os.Stat(file); !os.IsNotExist(err) {
				t.Fatalf("a failed export left %s: %v", file, err)
			}
			for _, l := range exportTable(t, table, false) {
				t.Fatalf("a failed export imported %v", l)
			}
		})
	}
}
