package latchkey

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const testMemberID = "member-test-0b8f2f52-7a55-4a0e-8a3c-2f0b9c1d4e21"

// validMember is a member that passes Validate; cases mutate one thing.
func validMember() Member {
	return Member{
		OrganizationID: testOrgID,
		MemberID:       testMemberID,
		EmailAddress:   "bob@acme.com",
		Status:         StatusActive,
		CreatedAt:      testNow,
		UpdatedAt:      testNow,
	}
}

func TestNewMember(t *testing.T) {
	tests := []struct {
		name       string
		patch      MemberPatch
		wantErr    string
		wantStatus string
		wantEmail  string
		wantRoles  []string
	}{
		{"active by default", MemberPatch{EmailAddress: ptr("bob@acme.com")}, "", StatusActive, "bob@acme.com", nil},
		{"pending when asked", MemberPatch{EmailAddress: ptr("bob@acme.com"), CreateMemberAsPending: true}, "", StatusPending, "bob@acme.com", nil},
		{"email normalised", MemberPatch{EmailAddress: ptr("  Bob@ACME.com ")}, "", StatusActive, "bob@acme.com", nil},
		{"roles deduplicated", MemberPatch{EmailAddress: ptr("bob@acme.com"), Roles: &[]string{"editor", "editor", "stytch_admin"}}, "", StatusActive, "bob@acme.com", []string{"editor", "stytch_admin"}},
		{"email required", MemberPatch{Name: ptr("Bob")}, "invalid_email", "", "", nil},
		{"empty email", MemberPatch{EmailAddress: ptr("")}, "invalid_email", "", "", nil},
		{"malformed email", MemberPatch{EmailAddress: ptr("Bob <bob@acme.com>")}, "invalid_email", "", "", nil},
		{"stytch_member not assignable", MemberPatch{EmailAddress: ptr("bob@acme.com"), Roles: &[]string{RoleMember}}, "invalid_rbac_stytch_role_edit", "", "", nil},
		{"bad role id", MemberPatch{EmailAddress: ptr("bob@acme.com"), Roles: &[]string{"an editor"}}, "invalid_rbac_role_id", "", "", nil},
		{"name too long", MemberPatch{EmailAddress: ptr("bob@acme.com"), Name: ptr(strings.Repeat("n", 129))}, "invalid_name", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewMember(testMemberID, testOrgID, tt.patch, testNow)
			if tt.wantErr != "" {
				requireBadRequest(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if m.MemberID != testMemberID || m.OrganizationID != testOrgID {
				t.Errorf("ids = %q/%q", m.MemberID, m.OrganizationID)
			}
			if m.Status != tt.wantStatus {
				t.Errorf("status = %q, want %q", m.Status, tt.wantStatus)
			}
			if m.EmailAddress != tt.wantEmail {
				t.Errorf("email = %q, want %q", m.EmailAddress, tt.wantEmail)
			}
			if m.EmailAddressVerified {
				t.Errorf("a new member's email must not be verified")
			}
			if !reflect.DeepEqual(m.DirectRoles, tt.wantRoles) {
				t.Errorf("direct roles = %#v, want %#v", m.DirectRoles, tt.wantRoles)
			}
			if !m.CreatedAt.Equal(testNow) || !m.UpdatedAt.Equal(testNow) {
				t.Errorf("timestamps = %v/%v, want %v", m.CreatedAt, m.UpdatedAt, testNow)
			}
		})
	}
}

func TestMemberPatchApply(t *testing.T) {
	base := validMember()
	base.EmailAddressVerified = true
	base.Name = "Bob"
	base.DirectRoles = []string{"editor"}
	base.TrustedMetadata = map[string]any{"a": 1.0}

	tests := []struct {
		name  string
		patch MemberPatch
		want  func(m *Member)
	}{
		{"empty patch changes nothing", MemberPatch{}, func(*Member) {}},
		{"new email resets verification and retires the old one", MemberPatch{EmailAddress: ptr("robert@acme.com")},
			func(m *Member) {
				m.EmailAddress, m.EmailAddressVerified, m.TokensValidAfter = "robert@acme.com", false, testNow
				m.RetiredEmailAddresses = []RetiredEmail{{EmailID("bob@acme.com"), "bob@acme.com"}}
			}},
		{"same email in other case keeps verification", MemberPatch{EmailAddress: ptr(" BOB@Acme.com ")}, func(*Member) {}},
		{"name trimmed", MemberPatch{Name: ptr("  Robert ")}, func(m *Member) { m.Name = "Robert" }},
		{"roles replaced, trimmed and deduplicated", MemberPatch{Roles: &[]string{" admin", "admin ", "viewer", "admin"}},
			func(m *Member) { m.DirectRoles = []string{"admin", "viewer"} }},
		{"empty roles clears", MemberPatch{Roles: &[]string{}}, func(m *Member) { m.DirectRoles = nil }},
		{"booleans set", MemberPatch{IsBreakglass: ptr(true), MFAEnrolled: ptr(true)},
			func(m *Member) { m.IsBreakglass, m.MFAEnrolled = true, true }},
		{"phone and external id trimmed", MemberPatch{MFAPhoneNumber: ptr(" +15555550100 "), ExternalID: ptr(" ext ")},
			func(m *Member) { m.MFAPhoneNumber, m.ExternalID = "+15555550100", "ext" }},
		{"metadata replaced", MemberPatch{UntrustedMetadata: &map[string]any{"u": "v"}},
			func(m *Member) { m.UntrustedMetadata = map[string]any{"u": "v"} }},
		{"default mfa method", MemberPatch{DefaultMFAMethod: ptr("totp")}, func(m *Member) { m.DefaultMFAMethod = "totp" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := base
			want.DirectRoles = append([]string(nil), base.DirectRoles...)
			tt.want(&want)
			got, err := tt.patch.Apply(base)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			got = Settle(base, got, tt.patch.UnlinkEmail, testNow)
			if len(want.DirectRoles) == 0 && len(got.DirectRoles) == 0 {
				want.DirectRoles, got.DirectRoles = nil, nil
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Apply:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestMemberPatchApplyBadEmail(t *testing.T) {
	base := validMember()
	base.EmailAddressVerified = true
	got, err := MemberPatch{EmailAddress: ptr("not-an-email"), Name: ptr("X")}.Apply(base)
	requireBadRequest(t, err, "invalid_email")
	if got.EmailAddress != base.EmailAddress || !got.EmailAddressVerified {
		t.Fatalf("member changed despite the error: %+v", got)
	}
}

func TestMemberValidate(t *testing.T) {
	manyRoles := make([]string, 101)
	for i := range manyRoles {
		manyRoles[i] = fmt.Sprintf("role%d", i)
	}
	tests := []struct {
		name    string
		mutate  func(m *Member)
		wantErr string
	}{
		{"valid", func(*Member) {}, ""},
		{"custom and admin roles", func(m *Member) { m.DirectRoles = []string{"editor", RoleAdmin, "org:billing.v2", "a_b-c"} }, ""},
		{"assigning stytch_member", func(m *Member) { m.DirectRoles = []string{RoleMember} }, "invalid_rbac_stytch_role_edit"},
		{"stytch_member among others", func(m *Member) { m.DirectRoles = []string{"editor", RoleMember} }, "invalid_rbac_stytch_role_edit"},
		{"role with space", func(m *Member) { m.DirectRoles = []string{"an editor"} }, "invalid_rbac_role_id"},
		{"empty role", func(m *Member) { m.DirectRoles = []string{""} }, "invalid_rbac_role_id"},
		{"role with slash", func(m *Member) { m.DirectRoles = []string{"a/b"} }, "invalid_rbac_role_id"},
		{"role 129 chars", func(m *Member) { m.DirectRoles = []string{strings.Repeat("r", 129)} }, "invalid_rbac_role_id"},
		{"role 128 chars", func(m *Member) { m.DirectRoles = []string{strings.Repeat("r", 128)} }, ""},
		{"101 roles", func(m *Member) { m.DirectRoles = manyRoles }, "too_many_roles"},
		{"invalid stored email", func(m *Member) { m.EmailAddress = "bob" }, "invalid_email"},
		{"name 129 chars", func(m *Member) { m.Name = strings.Repeat("n", 129) }, "invalid_name"},
		{"external id 129 chars", func(m *Member) { m.ExternalID = strings.Repeat("e", 129) }, "invalid_external_id"},
		{"phone 33 chars", func(m *Member) { m.MFAPhoneNumber = strings.Repeat("1", 33) }, "invalid_phone_number"},
		{"default mfa sms_otp", func(m *Member) { m.DefaultMFAMethod = "sms_otp" }, ""},
		{"default mfa bad", func(m *Member) { m.DefaultMFAMethod = "email" }, "invalid_mfa_default_method"},
		{"trusted metadata 21 keys", func(m *Member) { m.TrustedMetadata = metadataWithKeys(21) }, "metadata_too_many_keys"},
		{"untrusted metadata too large", func(m *Member) { m.UntrustedMetadata = metadataOfSize(4097) }, "metadata_too_large"},
		{"untrusted metadata at limit", func(m *Member) { m.UntrustedMetadata = metadataOfSize(4096) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validMember()
			tt.mutate(&m)
			err := m.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			requireBadRequest(t, err, tt.wantErr)
		})
	}
}

func direct() MemberRoleSource {
	return MemberRoleSource{Type: "direct_assignment", Details: map[string]any{}}
}

func byEmail(domain string) MemberRoleSource {
	return MemberRoleSource{Type: "email_assignment", Details: map[string]any{"email_domain": domain}}
}

func TestMemberPresented(t *testing.T) {
	orgWith := func(a ...EmailImplicitRoleAssignment) Organization {
		o := validOrg()
		o.RBACEmailImplicitRoleAssignments = a
		return o
	}
	tests := []struct {
		name      string
		email     string
		verified  bool
		direct    []string
		org       Organization
		wantRoles []MemberRole
		wantAdmin bool
	}{
		{"no roles: stytch_member only", "bob@acme.com", true, nil, validOrg(),
			[]MemberRole{{RoleMember, []MemberRoleSource{direct()}}}, false},
		{"direct roles after stytch_member, in order", "bob@acme.com", false, []string{"editor", "viewer"}, validOrg(),
			[]MemberRole{{RoleMember, []MemberRoleSource{direct()}}, {"editor", []MemberRoleSource{direct()}}, {"viewer", []MemberRoleSource{direct()}}}, false},
		{"direct stytch_admin makes admin", "bob@acme.com", false, []string{RoleAdmin}, validOrg(),
			[]MemberRole{{RoleMember, []MemberRoleSource{direct()}}, {RoleAdmin, []MemberRoleSource{direct()}}}, true},
		{"email-domain role when verified", "bob@acme.com", true, nil, orgWith(EmailImplicitRoleAssignment{"acme.com", "reviewer"}),
			[]MemberRole{{RoleMember, []MemberRoleSource{direct()}}, {"reviewer", []MemberRoleSource{byEmail("acme.com")}}}, false},
		{"no email-domain role when unverified", "bob@acme.com", false, nil, orgWith(EmailImplicitRoleAssignment{"acme.com", "reviewer"}),
			[]MemberRole{{RoleMember, []MemberRoleSource{direct()}}}, false},
		{"no email-domain role for another domain", "bob@other.com", true, nil, orgWith(EmailImplicitRoleAssignment{"acme.com", "reviewer"}),
			[]MemberRole{{RoleMember, []MemberRoleSource{direct()}}}, false},
		{"no email-domain role for a subdomain", "bob@eu.acme.com", true, nil, orgWith(EmailImplicitRoleAssignment{"acme.com", "reviewer"}),
			[]MemberRole{{RoleMember, []MemberRoleSource{direct()}}}, false},
		{"direct and email sources merge", "bob@acme.com", true, []string{"reviewer"}, orgWith(EmailImplicitRoleAssignment{"acme.com", "reviewer"}),
			[]MemberRole{{RoleMember, []MemberRoleSource{direct()}}, {"reviewer", []MemberRoleSource{direct(), byEmail("acme.com")}}}, false},
		{"email-domain stytch_admin makes admin", "bob@acme.com", true, nil, orgWith(EmailImplicitRoleAssignment{"acme.com", RoleAdmin}),
			[]MemberRole{{RoleMember, []MemberRoleSource{direct()}}, {RoleAdmin, []MemberRoleSource{byEmail("acme.com")}}}, true},
		{"unverified email-domain stytch_admin is not admin", "bob@acme.com", false, nil, orgWith(EmailImplicitRoleAssignment{"acme.com", RoleAdmin}),
			[]MemberRole{{RoleMember, []MemberRoleSource{direct()}}}, false},
		{"several assignments for the domain", "bob@acme.com", true, nil,
			orgWith(EmailImplicitRoleAssignment{"other.com", "x"}, EmailImplicitRoleAssignment{"acme.com", "a"}, EmailImplicitRoleAssignment{"acme.com", "b"}),
			[]MemberRole{{RoleMember, []MemberRoleSource{direct()}}, {"a", []MemberRoleSource{byEmail("acme.com")}}, {"b", []MemberRoleSource{byEmail("acme.com")}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validMember()
			m.EmailAddress, m.EmailAddressVerified, m.DirectRoles = tt.email, tt.verified, tt.direct
			p := m.Presented(tt.org)
			if !reflect.DeepEqual(p.Roles, tt.wantRoles) {
				t.Errorf("roles:\n got %+v\nwant %+v", p.Roles, tt.wantRoles)
			}
			if p.IsAdmin != tt.wantAdmin {
				t.Errorf("is_admin = %v, want %v", p.IsAdmin, tt.wantAdmin)
			}
			if !reflect.DeepEqual(p.DirectRoles, tt.direct) {
				t.Errorf("Presented changed direct roles: %v", p.DirectRoles)
			}
		})
	}
}

func TestMemberPresentedEmptyCollections(t *testing.T) {
	m := validMember() // nil metadata and registrations
	p := m.Presented(validOrg())
	if p.TrustedMetadata == nil || len(p.TrustedMetadata) != 0 {
		t.Errorf("trusted_metadata = %#v, want {}", p.TrustedMetadata)
	}
	if p.UntrustedMetadata == nil || len(p.UntrustedMetadata) != 0 {
		t.Errorf("untrusted_metadata = %#v, want {}", p.UntrustedMetadata)
	}
	if p.SSORegistrations == nil || len(p.SSORegistrations) != 0 {
		t.Errorf("sso_registrations = %#v, want []", p.SSORegistrations)
	}
	if p.OAuthRegistrations == nil || len(p.OAuthRegistrations) != 0 {
		t.Errorf("oauth_registrations = %#v, want []", p.OAuthRegistrations)
	}
	if p.RetiredEmailAddresses == nil || len(p.RetiredEmailAddresses) != 0 {
		t.Errorf("retired_email_addresses = %#v, want []", p.RetiredEmailAddresses)
	}
	if m.TrustedMetadata != nil || m.Roles != nil {
		t.Errorf("Presented mutated its receiver")
	}

	m.TrustedMetadata = map[string]any{"k": "v"}
	if p := m.Presented(validOrg()); p.TrustedMetadata["k"] != "v" {
		t.Errorf("Presented dropped trusted_metadata: %#v", p.TrustedMetadata)
	}
}
