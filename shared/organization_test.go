package latchkey

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2025, 3, 4, 5, 6, 7, 8_000_000, time.UTC)

const testOrgID = "organization-test-6f7d3c52-4c5e-4f0e-9d4a-0d3f2f1b6a11"

func ptr[T any](v T) *T { return &v }

// validOrg is an organization that passes Validate; cases mutate one thing.
func validOrg() Organization {
	o := NewOrganization(testOrgID, testNow)
	o.OrganizationName = "Acme"
	o.OrganizationSlug = "acme"
	return o
}

func metadataWithKeys(n int) map[string]any {
	m := map[string]any{}
	for i := range n {
		m[fmt.Sprintf("k%02d", i)] = i
	}
	return m
}

// metadataOfSize returns {"k":"xxx…"} whose JSON encoding is exactly n bytes.
func metadataOfSize(n int) map[string]any {
	return map[string]any{"k": strings.Repeat("x", n-len(`{"k":""}`))}
}

func TestNewOrganizationDefaults(t *testing.T) {
	o := NewOrganization(testOrgID, testNow)

	strs := []struct{ field, got, want string }{
		{"organization_id", o.OrganizationID, testOrgID},
		{"email_jit_provisioning", o.EmailJITProvisioning, NotAllowed},
		{"email_invites", o.EmailInvites, AllAllowed},
		{"auth_methods", o.AuthMethods, AllAllowed},
		{"mfa_policy", o.MFAPolicy, MFAOptional},
		{"mfa_methods", o.MFAMethods, AllAllowed},
		{"sso_jit_provisioning", o.SSOJITProvisioning, AllAllowed},
		{"oauth_tenant_jit_provisioning", o.OAuthTenantJITProvisioning, NotAllowed},
		{"first_party_connected_apps_allowed_type", o.FirstPartyConnectedAppsAllowedType, AllAllowed},
		{"third_party_connected_apps_allowed_type", o.ThirdPartyConnectedAppsAllowedType, AllAllowed},
	}
	for _, s := range strs {
		if s.got != s.want {
			t.Errorf("%s = %q, want %q", s.field, s.got, s.want)
		}
	}
	if !o.CreatedAt.Equal(testNow) || !o.UpdatedAt.Equal(testNow) {
		t.Errorf("created_at/updated_at = %v/%v, want %v", o.CreatedAt, o.UpdatedAt, testNow)
	}
	if o.SSODefaultConnectionID != nil || o.SCIMActiveConnection != nil {
		t.Errorf("sso_default_connection_id/scim_active_connection should be nil")
	}

	lists := []struct {
		field string
		isNil bool
		n     int
	}{
		{"sso_jit_provisioning_allowed_connections", o.SSOJITProvisioningAllowedConnections == nil, len(o.SSOJITProvisioningAllowedConnections)},
		{"sso_active_connections", o.SSOActiveConnections == nil, len(o.SSOActiveConnections)},
		{"email_allowed_domains", o.EmailAllowedDomains == nil, len(o.EmailAllowedDomains)},
		{"allowed_auth_methods", o.AllowedAuthMethods == nil, len(o.AllowedAuthMethods)},
		{"allowed_mfa_methods", o.AllowedMFAMethods == nil, len(o.AllowedMFAMethods)},
		{"rbac_email_implicit_role_assignments", o.RBACEmailImplicitRoleAssignments == nil, len(o.RBACEmailImplicitRoleAssignments)},
		{"claimed_email_domains", o.ClaimedEmailDomains == nil, len(o.ClaimedEmailDomains)},
		{"allowed_first_party_connected_apps", o.AllowedFirstPartyConnectedApps == nil, len(o.AllowedFirstPartyConnectedApps)},
		{"allowed_third_party_connected_apps", o.AllowedThirdPartyConnectedApps == nil, len(o.AllowedThirdPartyConnectedApps)},
		{"custom_roles", o.CustomRoles == nil, len(o.CustomRoles)},
		{"trusted_metadata", o.TrustedMetadata == nil, len(o.TrustedMetadata)},
		{"allowed_oauth_tenants", o.AllowedOAuthTenants == nil, len(o.AllowedOAuthTenants)},
	}
	for _, l := range lists {
		if l.isNil || l.n != 0 {
			t.Errorf("%s: nil=%v len=%d, want empty and not nil", l.field, l.isNil, l.n)
		}
	}
}

func TestOrganizationFillEmptyKeepsExisting(t *testing.T) {
	o := Organization{EmailAllowedDomains: []string{"acme.com"}, TrustedMetadata: map[string]any{"a": 1}}
	o.FillEmpty()
	if !reflect.DeepEqual(o.EmailAllowedDomains, []string{"acme.com"}) || o.TrustedMetadata["a"] != 1 {
		t.Fatalf("FillEmpty replaced existing values: %+v", o)
	}
	if o.AllowedAuthMethods == nil || o.AllowedOAuthTenants == nil {
		t.Fatalf("FillEmpty left nil collections")
	}
}

func TestOrganizationPatchApply(t *testing.T) {
	base := validOrg()
	base.OrganizationLogoURL = "https://acme.com/logo.png"
	base.EmailAllowedDomains = []string{"acme.com"}
	base.TrustedMetadata = map[string]any{"tier": "gold"}
	base.SSODefaultConnectionID = ptr("saml-connection-test-1")

	tests := []struct {
		name  string
		patch OrganizationPatch
		want  func(o *Organization) // edits a copy of base into the expected result
	}{
		{"empty patch changes nothing", OrganizationPatch{}, func(*Organization) {}},
		{"name is trimmed", OrganizationPatch{OrganizationName: ptr("  Acme Corp  ")},
			func(o *Organization) { o.OrganizationName = "Acme Corp" }},
		{"slug is trimmed and lower-cased", OrganizationPatch{OrganizationSlug: ptr("  ACME-Corp ")},
			func(o *Organization) { o.OrganizationSlug = "acme-corp" }},
		{"email_allowed_domains are trimmed and lower-cased", OrganizationPatch{EmailAllowedDomains: &[]string{" Acme.COM ", "EXAMPLE.org"}},
			func(o *Organization) { o.EmailAllowedDomains = []string{"acme.com", "example.org"} }},
		{"claimed_email_domains are lower-cased", OrganizationPatch{ClaimedEmailDomains: &[]string{"Acme.Com"}},
			func(o *Organization) { o.ClaimedEmailDomains = []string{"acme.com"} }},
		{"empty domain list clears", OrganizationPatch{EmailAllowedDomains: &[]string{}},
			func(o *Organization) { o.EmailAllowedDomains = []string{} }},
		{"implicit role domain lower-cased, role_id kept", OrganizationPatch{RBACEmailImplicitRoleAssignments: &[]EmailImplicitRoleAssignment{{Domain: " Acme.COM ", RoleID: "Editor"}}},
			func(o *Organization) {
				o.RBACEmailImplicitRoleAssignments = []EmailImplicitRoleAssignment{{Domain: "acme.com", RoleID: "Editor"}}
			}},
		{"empty implicit role list gives [] not null", OrganizationPatch{RBACEmailImplicitRoleAssignments: &[]EmailImplicitRoleAssignment{}},
			func(o *Organization) { o.RBACEmailImplicitRoleAssignments = []EmailImplicitRoleAssignment{} }},
		{"enum settings set verbatim", OrganizationPatch{AuthMethods: ptr(Restricted), AllowedAuthMethods: &[]string{"sso", "magic_link"}, MFAPolicy: ptr(MFARequiredAll), EmailJITProvisioning: ptr(Restricted)},
			func(o *Organization) {
				o.AuthMethods, o.AllowedAuthMethods, o.MFAPolicy, o.EmailJITProvisioning = Restricted, []string{"sso", "magic_link"}, MFARequiredAll, Restricted
			}},
		{"trusted_metadata replaced", OrganizationPatch{TrustedMetadata: &map[string]any{"plan": "pro"}},
			func(o *Organization) { o.TrustedMetadata = map[string]any{"plan": "pro"} }},
		{"empty sso_default_connection_id clears it", OrganizationPatch{SSODefaultConnectionID: ptr("")},
			func(o *Organization) { o.SSODefaultConnectionID = nil }},
		{"sso_default_connection_id set", OrganizationPatch{SSODefaultConnectionID: ptr("saml-connection-test-2")},
			func(o *Organization) { o.SSODefaultConnectionID = ptr("saml-connection-test-2") }},
		{"logo and external id trimmed", OrganizationPatch{OrganizationLogoURL: ptr(" https://x.io/l.png "), OrganizationExternalID: ptr(" ext-1 ")},
			func(o *Organization) { o.OrganizationLogoURL, o.OrganizationExternalID = "https://x.io/l.png", "ext-1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := copyOrg(base)
			tt.want(&want)
			got := tt.patch.Apply(copyOrg(base))
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Apply:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestOrganizationPatchApplyDoesNotAliasInput(t *testing.T) {
	domains := []string{"Acme.com"}
	o := OrganizationPatch{EmailAllowedDomains: &domains}.Apply(validOrg())
	domains[0] = "changed.com"
	if o.EmailAllowedDomains[0] != "acme.com" {
		t.Fatalf("email_allowed_domains aliases the patch: %v", o.EmailAllowedDomains)
	}
}

// copyOrg deep-copies the fields the Apply test touches so a case cannot leak into base.
func copyOrg(o Organization) Organization {
	o.EmailAllowedDomains = append([]string{}, o.EmailAllowedDomains...)
	tm := map[string]any{}
	for k, v := range o.TrustedMetadata {
		tm[k] = v
	}
	o.TrustedMetadata = tm
	if o.SSODefaultConnectionID != nil {
		o.SSODefaultConnectionID = ptr(*o.SSODefaultConnectionID)
	}
	return o
}

func TestOrganizationValidateEnums(t *testing.T) {
	setters := map[string]func(o *Organization, v string){
		"sso_jit_provisioning":                    func(o *Organization, v string) { o.SSOJITProvisioning = v },
		"email_jit_provisioning":                  func(o *Organization, v string) { o.EmailJITProvisioning = v },
		"email_invites":                           func(o *Organization, v string) { o.EmailInvites = v },
		"auth_methods":                            func(o *Organization, v string) { o.AuthMethods = v },
		"mfa_policy":                              func(o *Organization, v string) { o.MFAPolicy = v },
		"mfa_methods":                             func(o *Organization, v string) { o.MFAMethods = v },
		"oauth_tenant_jit_provisioning":           func(o *Organization, v string) { o.OAuthTenantJITProvisioning = v },
		"first_party_connected_apps_allowed_type": func(o *Organization, v string) { o.FirstPartyConnectedAppsAllowedType = v },
		"third_party_connected_apps_allowed_type": func(o *Organization, v string) { o.ThirdPartyConnectedAppsAllowedType = v },
	}
	valid := map[string][]string{
		"sso_jit_provisioning":                    {AllAllowed, Restricted, NotAllowed},
		"email_jit_provisioning":                  {Restricted, NotAllowed},
		"email_invites":                           {AllAllowed, Restricted, NotAllowed},
		"auth_methods":                            {AllAllowed}, // RESTRICTED needs allowed methods; tested below
		"mfa_policy":                              {MFAOptional, MFARequiredAll},
		"mfa_methods":                             {AllAllowed}, // likewise
		"oauth_tenant_jit_provisioning":           {Restricted, NotAllowed},
		"first_party_connected_apps_allowed_type": {AllAllowed, Restricted, NotAllowed},
		"third_party_connected_apps_allowed_type": {AllAllowed, Restricted, NotAllowed},
	}
	invalid := map[string][]string{
		"email_jit_provisioning":        {AllAllowed},
		"oauth_tenant_jit_provisioning": {AllAllowed},
		"auth_methods":                  {NotAllowed},
		"mfa_methods":                   {NotAllowed},
		"mfa_policy":                    {AllAllowed},
	}
	for field, set := range setters {
		bad := append([]string{"", "SOMETIMES", "all_allowed", " ALL_ALLOWED"}, invalid[field]...)
		for _, v := range bad {
			t.Run(field+"="+v, func(t *testing.T) {
				o := validOrg()
				set(&o, v)
				requireBadRequest(t, o.Validate(), "invalid_"+field)
			})
		}
		for _, v := range valid[field] {
			t.Run(field+"="+v+" ok", func(t *testing.T) {
				o := validOrg()
				set(&o, v)
				if err := o.Validate(); err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
			})
		}
	}
}

func TestOrganizationValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(o *Organization)
		wantErr string // "" means valid
	}{
		{"defaults with name and slug", func(*Organization) {}, ""},

		// name
		{"missing name", func(o *Organization) { o.OrganizationName = "" }, "invalid_organization_name"},
		{"name 128 chars", func(o *Organization) { o.OrganizationName = strings.Repeat("n", 128) }, ""},
		{"name 129 chars", func(o *Organization) { o.OrganizationName = strings.Repeat("n", 129) }, "invalid_organization_name"},

		// slug
		{"slug 2 chars", func(o *Organization) { o.OrganizationSlug = "ab" }, ""},
		{"slug 128 chars", func(o *Organization) { o.OrganizationSlug = strings.Repeat("s", 128) }, ""},
		{"slug with reserved characters", func(o *Organization) { o.OrganizationSlug = "a-b.c_d~e9" }, ""},
		{"slug missing", func(o *Organization) { o.OrganizationSlug = "" }, "invalid_organization_slug"},
		{"slug 1 char", func(o *Organization) { o.OrganizationSlug = "a" }, "invalid_organization_slug"},
		{"slug 129 chars", func(o *Organization) { o.OrganizationSlug = strings.Repeat("s", 129) }, "invalid_organization_slug"},
		{"slug with space", func(o *Organization) { o.OrganizationSlug = "a b" }, "invalid_organization_slug"},
		{"slug non-ascii", func(o *Organization) { o.OrganizationSlug = "ä" }, "invalid_organization_slug"},
		{"slug non-ascii two runes", func(o *Organization) { o.OrganizationSlug = "äö" }, "invalid_organization_slug"},
		{"slug upper-case (Validate does not lower)", func(o *Organization) { o.OrganizationSlug = "ACME" }, "invalid_organization_slug"},
		{"slug with slash", func(o *Organization) { o.OrganizationSlug = "a/b" }, "invalid_organization_slug"},

		// logo and external id
		{"https logo", func(o *Organization) { o.OrganizationLogoURL = "https://acme.com/logo.png" }, ""},
		{"http logo", func(o *Organization) { o.OrganizationLogoURL = "http://acme.com/logo.png" }, ""},
		{"ftp logo", func(o *Organization) { o.OrganizationLogoURL = "ftp://acme.com/logo.png" }, "invalid_organization_logo_url"},
		{"logo too long", func(o *Organization) { o.OrganizationLogoURL = "https://" + strings.Repeat("a", MaxURLLength) }, "organization_logo_url_too_long"},
		{"external id 128", func(o *Organization) { o.OrganizationExternalID = strings.Repeat("e", 128) }, ""},
		{"external id 129", func(o *Organization) { o.OrganizationExternalID = strings.Repeat("e", 129) }, "invalid_organization_external_id"},

		// metadata
		{"trusted_metadata 20 keys", func(o *Organization) { o.TrustedMetadata = metadataWithKeys(20) }, ""},
		{"trusted_metadata 21 keys", func(o *Organization) { o.TrustedMetadata = metadataWithKeys(21) }, "metadata_too_many_keys"},
		{"trusted_metadata 4096 bytes", func(o *Organization) { o.TrustedMetadata = metadataOfSize(4096) }, ""},
		{"trusted_metadata 4097 bytes", func(o *Organization) { o.TrustedMetadata = metadataOfSize(4097) }, "metadata_too_large"},
		{"trusted_metadata nil", func(o *Organization) { o.TrustedMetadata = nil }, ""},
		{"allowed_oauth_tenants 21 keys", func(o *Organization) { o.AllowedOAuthTenants = metadataWithKeys(21) }, "metadata_too_many_keys"},
		{"allowed_oauth_tenants too large", func(o *Organization) { o.AllowedOAuthTenants = metadataOfSize(5000) }, "metadata_too_large"},

		// email domains
		{"allowed domain", func(o *Organization) { o.EmailAllowedDomains = []string{"acme.com", "acme.co.uk"} }, ""},
		{"consumer domain", func(o *Organization) { o.EmailAllowedDomains = []string{"acme.com", "gmail.com"} }, "organization_settings_domain_too_common"},
		{"consumer domain hotmail.co.uk", func(o *Organization) { o.EmailAllowedDomains = []string{"hotmail.co.uk"} }, "organization_settings_domain_too_common"},
		{"claimed consumer domain", func(o *Organization) { o.ClaimedEmailDomains = []string{"yahoo.com"} }, "organization_settings_domain_too_common"},
		{"domain without dot", func(o *Organization) { o.EmailAllowedDomains = []string{"acme"} }, "organization_settings_invalid_domain"},
		{"domain with space", func(o *Organization) { o.EmailAllowedDomains = []string{"not a domain"} }, "organization_settings_invalid_domain"},
		{"domain with leading hyphen", func(o *Organization) { o.EmailAllowedDomains = []string{"-acme.com"} }, "organization_settings_invalid_domain"},
		{"domain that is an email", func(o *Organization) { o.EmailAllowedDomains = []string{"bob@acme.com"} }, "organization_settings_invalid_domain"},
		{"empty domain", func(o *Organization) { o.EmailAllowedDomains = []string{""} }, "organization_settings_invalid_domain"},
		{"upper-case domain (Validate does not lower)", func(o *Organization) { o.EmailAllowedDomains = []string{"ACME.COM"} }, "organization_settings_invalid_domain"},
		{"invalid claimed domain", func(o *Organization) { o.ClaimedEmailDomains = []string{"acme"} }, "organization_settings_invalid_domain"},
		{"101 allowed domains", func(o *Organization) { o.EmailAllowedDomains = domains(101) }, "invalid_email_allowed_domains"},
		{"100 allowed domains", func(o *Organization) { o.EmailAllowedDomains = domains(100) }, ""},

		// auth methods
		{"auth RESTRICTED without methods", func(o *Organization) { o.AuthMethods = Restricted }, "allowed_auth_methods_required_for_restricted"},
		{"auth RESTRICTED with methods", func(o *Organization) {
			o.AuthMethods, o.AllowedAuthMethods = Restricted, []string{"sso", "magic_link"}
		}, ""},
		{"every auth method", func(o *Organization) {
			o.AuthMethods = Restricted
			o.AllowedAuthMethods = []string{"sso", "magic_link", "password", "google_oauth", "microsoft_oauth",
				"slack_oauth", "github_oauth", "hubspot_oauth", "email_otp"}
		}, ""},
		{"bad allowed_auth_methods value", func(o *Organization) { o.AllowedAuthMethods = []string{"sso", "fax"} }, "invalid_allowed_auth_methods"},
		{"bad allowed_auth_methods with RESTRICTED", func(o *Organization) {
			o.AuthMethods, o.AllowedAuthMethods = Restricted, []string{"SSO"}
		}, "invalid_allowed_auth_methods"},
		{"too many allowed_auth_methods", func(o *Organization) { o.AllowedAuthMethods = make([]string, 10) }, "invalid_allowed_auth_methods"},

		// mfa methods
		{"mfa RESTRICTED without methods", func(o *Organization) { o.MFAMethods = Restricted }, "allowed_mfa_methods_required_for_restricted"},
		{"mfa RESTRICTED with totp", func(o *Organization) { o.MFAMethods, o.AllowedMFAMethods = Restricted, []string{"totp"} }, ""},
		{"bad allowed_mfa_methods", func(o *Organization) { o.AllowedMFAMethods = []string{"email_otp"} }, "invalid_allowed_mfa_methods"},

		// implicit role assignments
		{"implicit role assignment", func(o *Organization) {
			o.RBACEmailImplicitRoleAssignments = []EmailImplicitRoleAssignment{{Domain: "acme.com", RoleID: "editor"}}
		}, ""},
		{"implicit role bad domain", func(o *Organization) {
			o.RBACEmailImplicitRoleAssignments = []EmailImplicitRoleAssignment{{Domain: "acme", RoleID: "editor"}}
		}, "invalid_rbac_email_implicit_role_assignments"},
		{"implicit role bad role_id", func(o *Organization) {
			o.RBACEmailImplicitRoleAssignments = []EmailImplicitRoleAssignment{{Domain: "acme.com", RoleID: "an editor"}}
		}, "invalid_rbac_email_implicit_role_assignments"},
		{"implicit role empty role_id", func(o *Organization) {
			o.RBACEmailImplicitRoleAssignments = []EmailImplicitRoleAssignment{{Domain: "acme.com"}}
		}, "invalid_rbac_email_implicit_role_assignments"},
		{"101 implicit role assignments", func(o *Organization) {
			o.RBACEmailImplicitRoleAssignments = make([]EmailImplicitRoleAssignment, 101)
		}, "invalid_rbac_email_implicit_role_assignments"},

		// other lists
		{"101 sso connections", func(o *Organization) { o.SSOJITProvisioningAllowedConnections = make([]string, 101) }, "invalid_sso_jit_provisioning_allowed_connections"},
		{"101 first party apps", func(o *Organization) { o.AllowedFirstPartyConnectedApps = make([]string, 101) }, "invalid_allowed_first_party_connected_apps"},
		{"101 third party apps", func(o *Organization) { o.AllowedThirdPartyConnectedApps = make([]string, 101) }, "invalid_allowed_third_party_connected_apps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := validOrg()
			tt.mutate(&o)
			err := o.Validate()
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

func domains(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("d%d.example.com", i)
	}
	return out
}

// TestOrganizationPatchThenValidate checks the create/update path: values are normalised by
// Apply before Validate sees them.
func TestOrganizationPatchThenValidate(t *testing.T) {
	tests := []struct {
		name    string
		patch   OrganizationPatch
		wantErr string
	}{
		{"upper-case slug is lowered, then valid", OrganizationPatch{OrganizationSlug: ptr("ACME-Corp")}, ""},
		{"slug with surrounding spaces", OrganizationPatch{OrganizationSlug: ptr("  acme  ")}, ""},
		{"upper-case non-ascii slug", OrganizationPatch{OrganizationSlug: ptr("ÄÖ")}, "invalid_organization_slug"},
		{"slug with inner space", OrganizationPatch{OrganizationSlug: ptr("a b")}, "invalid_organization_slug"},
		{"slug one char after trim", OrganizationPatch{OrganizationSlug: ptr(" a ")}, "invalid_organization_slug"},
		{"upper-case consumer domain", OrganizationPatch{EmailAllowedDomains: &[]string{"GMAIL.COM"}}, "organization_settings_domain_too_common"},
		{"upper-case domain ok", OrganizationPatch{EmailAllowedDomains: &[]string{" ACME.COM "}}, ""},
		{"blank name", OrganizationPatch{OrganizationName: ptr("   ")}, "invalid_organization_name"},
		{"restricted without methods", OrganizationPatch{AuthMethods: ptr(Restricted)}, "allowed_auth_methods_required_for_restricted"},
		{"restricted, methods set in same patch", OrganizationPatch{AuthMethods: ptr(Restricted), AllowedAuthMethods: &[]string{"password"}}, ""},
		{"implicit role domain upper-case", OrganizationPatch{RBACEmailImplicitRoleAssignments: &[]EmailImplicitRoleAssignment{{Domain: "ACME.COM", RoleID: "editor"}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.patch.Apply(validOrg()).Validate()
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

func TestOrganizationAllowsEmailDomain(t *testing.T) {
	o := validOrg()
	o.EmailAllowedDomains = []string{"acme.com"}
	tests := []struct {
		email string
		want  bool
	}{
		{"bob@acme.com", true},
		{"bob@sub.acme.com", false},
		{"bob@acme.com.evil.io", false},
		{"bob@example.com", false},
	}
	for _, tt := range tests {
		if got := o.AllowsEmailDomain(tt.email); got != tt.want {
			t.Errorf("AllowsEmailDomain(%q) = %v, want %v", tt.email, got, tt.want)
		}
	}
}
