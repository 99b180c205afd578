package latchkey

import (
	"encoding/json"

	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/latchkey/latchkey/shared/rbac"
)

// Organization is a tenant. Field names and JSON keys are Stytch's Organization object.
type Organization struct {
	OrganizationID                       string                        `json:"organization_id"`
	OrganizationName                     string                        `json:"organization_name"`
	OrganizationLogoURL                  string                        `json:"organization_logo_url"`
	OrganizationSlug                     string                        `json:"organization_slug"`
	OrganizationExternalID               string                        `json:"organization_external_id"`
	TrustedMetadata                      map[string]any                `json:"trusted_metadata"`
	SSOJITProvisioning                   string                        `json:"sso_jit_provisioning"`
	SSOJITProvisioningAllowedConnections []string                      `json:"sso_jit_provisioning_allowed_connections"`
	SSOActiveConnections                 []SSOConnection               `json:"sso_active_connections"`
	SSODefaultConnectionID               *string                       `json:"sso_default_connection_id"`
	SCIMActiveConnection                 *SCIMConnectionSummary        `json:"scim_active_connection"`
	EmailAllowedDomains                  []string                      `json:"email_allowed_domains"`
	EmailJITProvisioning                 string                        `json:"email_jit_provisioning"`
	EmailInvites                         string                        `json:"email_invites"`
	AuthMethods                          string                        `json:"auth_methods"`
	AllowedAuthMethods                   []string                      `json:"allowed_auth_methods"`
	MFAPolicy                            string                        `json:"mfa_policy"`
	MFAMethods                           string                        `json:"mfa_methods"`
	AllowedMFAMethods                    []string                      `json:"allowed_mfa_methods"`
	RBACEmailImplicitRoleAssignments     []EmailImplicitRoleAssignment `json:"rbac_email_implicit_role_assignments"`
	OAuthTenantJITProvisioning           string                        `json:"oauth_tenant_jit_provisioning"`
	AllowedOAuthTenants                  map[string]any                `json:"allowed_oauth_tenants"`
	ClaimedEmailDomains                  []string                      `json:"claimed_email_domains"`
	FirstPartyConnectedAppsAllowedType   string                        `json:"first_party_connected_apps_allowed_type"`
	AllowedFirstPartyConnectedApps       []string                      `json:"allowed_first_party_connected_apps"`
	ThirdPartyConnectedAppsAllowedType   string                        `json:"third_party_connected_apps_allowed_type"`
	AllowedThirdPartyConnectedApps       []string                      `json:"allowed_third_party_connected_apps"`
	// CustomRoles are the organization's own roles (RBAC.Organizations.SetOrgPolicy), beside
	// the project's.
	CustomRoles []rbac.Role `json:"custom_roles"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`

	// Version guards read-modify-write updates: a write is conditional on the version read.
	Version int `json:"-"`
}

// SSOConnection is one entry of sso_active_connections. The organization item mirrors each
// active connection's role assignments, written in the same transaction as the connection, so
// presenting a member, roles included, needs no other read.
type SSOConnection struct {
	ConnectionID     string         `json:"connection_id"`
	DisplayName      string         `json:"display_name"`
	IdentityProvider string         `json:"identity_provider"`
	ConnectionRoles  []SSORole      `json:"-" dynamo:",omitempty"`
	GroupRoles       []SSOGroupRole `json:"-" dynamo:",omitempty"`
}

// SCIMGroupRole is one scim_group_implicit_role_assignments entry: members of the group hold
// the role. GroupName is filled when presented, not stored.
type SCIMGroupRole struct {
	RoleID    string `json:"role_id"`
	GroupID   string `json:"group_id"`
	GroupName string `json:"group_name" dynamo:"-"`
}

type SCIMConnectionSummary struct {
	ConnectionID         string     `json:"connection_id"`
	DisplayName          string     `json:"display_name"`
	BearerTokenLastFour  string     `json:"bearer_token_last_four"`
	BearerTokenExpiresAt *time.Time `json:"bearer_token_expires_at,omitempty"`
	// GroupRoles mirrors the connection's scim_group_implicit_role_assignments, written in the
	// same transaction, so Member.Presented can grant them from the organization alone.
	GroupRoles []SCIMGroupRole `json:"-"`
}

type EmailImplicitRoleAssignment struct {
	Domain string `json:"domain"`
	RoleID string `json:"role_id"`
}

// Setting values, as Stytch spells them.
const (
	AllAllowed     = "ALL_ALLOWED"
	Restricted     = "RESTRICTED"
	NotAllowed     = "NOT_ALLOWED"
	MFAOptional    = "OPTIONAL"
	MFARequiredAll = "REQUIRED_FOR_ALL"
)

var (
	authMethodValues = []string{"sso", "magic_link", "password", "google_oauth", "microsoft_oauth",
		"slack_oauth", "github_oauth", "hubspot_oauth", "email_otp"}
	mfaMethodValues = []string{"sms_otp", "totp"}
	slugPattern     = regexp.MustCompile(`^[a-z0-9\-._~]{2,128}$`)
	roleIDPattern   = regexp.MustCompile(`^[A-Za-z0-9_\-.:]{1,128}$`)
)

// Limits on free-form fields; a sane bound keeps items far below DynamoDB's 400 KB.
const (
	MaxNameLength       = 128
	MaxMetadataBytes    = 4096
	MaxMetadataKeys     = 20
	MaxListLength       = 100
	MaxExternalIDLength = 128
	MaxURLLength        = 2048
)

// NewOrganization returns an organization with Stytch's default settings.
func NewOrganization(id string, now time.Time) Organization {
	o := Organization{
		OrganizationID:                     id,
		SSOJITProvisioning:                 AllAllowed,
		EmailJITProvisioning:               NotAllowed,
		EmailInvites:                       AllAllowed,
		AuthMethods:                        AllAllowed,
		MFAPolicy:                          MFAOptional,
		MFAMethods:                         AllAllowed,
		OAuthTenantJITProvisioning:         NotAllowed,
		FirstPartyConnectedAppsAllowedType: AllAllowed,
		ThirdPartyConnectedAppsAllowedType: AllAllowed,
		CreatedAt:                          now,
		UpdatedAt:                          now,
	}
	o.FillEmpty()
	return o
}

// FillEmpty replaces nil collections with empty ones so the wire format always has [] and {}
// rather than null, as Stytch's does.
func (o *Organization) FillEmpty() {
	fill(&o.SSOJITProvisioningAllowedConnections)
	fill(&o.EmailAllowedDomains)
	fill(&o.AllowedAuthMethods)
	fill(&o.AllowedMFAMethods)
	fill(&o.ClaimedEmailDomains)
	fill(&o.AllowedFirstPartyConnectedApps)
	fill(&o.AllowedThirdPartyConnectedApps)
	fill(&o.SSOActiveConnections)
	fill(&o.CustomRoles)
	fill(&o.RBACEmailImplicitRoleAssignments)
	if o.TrustedMetadata == nil {
		o.TrustedMetadata = map[string]any{}
	}
	if o.AllowedOAuthTenants == nil {
		o.AllowedOAuthTenants = map[string]any{}
	}
}

func fill[T any](s *[]T) {
	if *s == nil {
		*s = []T{}
	}
}

// OrganizationPatch is the body of Organizations.Create and Organizations.Update. A nil field
// was absent from the request and leaves the setting unchanged, which is how partial updates
// work (the SDKs omit empty fields).
type OrganizationPatch struct {
	OrganizationName                     *string                        `json:"organization_name"`
	OrganizationSlug                     *string                        `json:"organization_slug"`
	OrganizationLogoURL                  *string                        `json:"organization_logo_url"`
	OrganizationExternalID               *string                        `json:"organization_external_id"`
	TrustedMetadata                      *map[string]any                `json:"trusted_metadata"`
	SSOJITProvisioning                   *string                        `json:"sso_jit_provisioning"`
	SSOJITProvisioningAllowedConnections *[]string                      `json:"sso_jit_provisioning_allowed_connections"`
	SSODefaultConnectionID               *string                        `json:"sso_default_connection_id"`
	EmailAllowedDomains                  *[]string                      `json:"email_allowed_domains"`
	EmailJITProvisioning                 *string                        `json:"email_jit_provisioning"`
	EmailInvites                         *string                        `json:"email_invites"`
	AuthMethods                          *string                        `json:"auth_methods"`
	AllowedAuthMethods                   *[]string                      `json:"allowed_auth_methods"`
	MFAPolicy                            *string                        `json:"mfa_policy"`
	MFAMethods                           *string                        `json:"mfa_methods"`
	AllowedMFAMethods                    *[]string                      `json:"allowed_mfa_methods"`
	RBACEmailImplicitRoleAssignments     *[]EmailImplicitRoleAssignment `json:"rbac_email_implicit_role_assignments"`
	OAuthTenantJITProvisioning           *string                        `json:"oauth_tenant_jit_provisioning"`
	AllowedOAuthTenants                  *map[string]any                `json:"allowed_oauth_tenants"`
	ClaimedEmailDomains                  *[]string                      `json:"claimed_email_domains"`
	FirstPartyConnectedAppsAllowedType   *string                        `json:"first_party_connected_apps_allowed_type"`
	AllowedFirstPartyConnectedApps       *[]string                      `json:"allowed_first_party_connected_apps"`
	ThirdPartyConnectedAppsAllowedType   *string                        `json:"third_party_connected_apps_allowed_type"`
	AllowedThirdPartyConnectedApps       *[]string                      `json:"allowed_third_party_connected_apps"`
}

// Create is a new organization with Stytch's defaults, overlaid by the patch. One default
// depends on the request: email_invites is ALL_ALLOWED when the request sets no authentication
// setting, and NOT_ALLOWED when it sets some but leaves email_invites out (Stytch's "Org
// configuration rules"). Stytch does not list which fields are "authentication parameters";
// Latchkey counts those that decide who may join and how (the email, SSO and OAuth-tenant
// provisioning settings and auth_methods / allowed_auth_methods), not MFA, RBAC or metadata.
func (p OrganizationPatch) Create(id string, now time.Time) Organization {
	o := NewOrganization(id, now)
	if p.EmailInvites == nil && p.setsAuthentication() {
		o.EmailInvites = NotAllowed
	}
	return p.Apply(o)
}

func (p OrganizationPatch) setsAuthentication() bool {
	return p.EmailAllowedDomains != nil || p.EmailJITProvisioning != nil || p.SSOJITProvisioning != nil ||
		p.SSOJITProvisioningAllowedConnections != nil || p.SSODefaultConnectionID != nil || p.AuthMethods != nil ||
		p.AllowedAuthMethods != nil || p.OAuthTenantJITProvisioning != nil || p.AllowedOAuthTenants != nil
}

// Apply returns o with the patch's present fields set. Values are normalised here (slug and
// domains lower-cased, whitespace trimmed); Validate checks the result.
func (p OrganizationPatch) Apply(o Organization) Organization {
	set(&o.OrganizationName, trimmed(p.OrganizationName))
	set(&o.OrganizationSlug, lowered(p.OrganizationSlug))
	set(&o.OrganizationLogoURL, trimmed(p.OrganizationLogoURL))
	set(&o.OrganizationExternalID, trimmed(p.OrganizationExternalID))
	set(&o.TrustedMetadata, p.TrustedMetadata)
	set(&o.SSOJITProvisioning, p.SSOJITProvisioning)
	set(&o.SSOJITProvisioningAllowedConnections, p.SSOJITProvisioningAllowedConnections)
	if p.SSODefaultConnectionID != nil {
		o.SSODefaultConnectionID = p.SSODefaultConnectionID
		if *p.SSODefaultConnectionID == "" {
			o.SSODefaultConnectionID = nil
		}
	}
	if p.EmailAllowedDomains != nil {
		o.EmailAllowedDomains = lowerAll(*p.EmailAllowedDomains)
	}
	set(&o.EmailJITProvisioning, p.EmailJITProvisioning)
	set(&o.EmailInvites, p.EmailInvites)
	set(&o.AuthMethods, p.AuthMethods)
	set(&o.AllowedAuthMethods, p.AllowedAuthMethods)
	set(&o.MFAPolicy, p.MFAPolicy)
	set(&o.MFAMethods, p.MFAMethods)
	set(&o.AllowedMFAMethods, p.AllowedMFAMethods)
	if p.RBACEmailImplicitRoleAssignments != nil {
		o.RBACEmailImplicitRoleAssignments = nil
		for _, a := range *p.RBACEmailImplicitRoleAssignments {
			o.RBACEmailImplicitRoleAssignments = append(o.RBACEmailImplicitRoleAssignments,
				EmailImplicitRoleAssignment{Domain: strings.ToLower(strings.TrimSpace(a.Domain)), RoleID: a.RoleID})
		}
	}
	set(&o.OAuthTenantJITProvisioning, p.OAuthTenantJITProvisioning)
	set(&o.AllowedOAuthTenants, p.AllowedOAuthTenants)
	if p.ClaimedEmailDomains != nil {
		o.ClaimedEmailDomains = lowerAll(*p.ClaimedEmailDomains)
	}
	set(&o.FirstPartyConnectedAppsAllowedType, p.FirstPartyConnectedAppsAllowedType)
	set(&o.AllowedFirstPartyConnectedApps, p.AllowedFirstPartyConnectedApps)
	set(&o.ThirdPartyConnectedAppsAllowedType, p.ThirdPartyConnectedAppsAllowedType)
	set(&o.AllowedThirdPartyConnectedApps, p.AllowedThirdPartyConnectedApps)
	o.FillEmpty()
	return o
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func trimmed(s *string) *string {
	if s == nil {
		return nil
	}
	t := strings.TrimSpace(*s)
	return &t
}

func lowered(s *string) *string {
	if s == nil {
		return nil
	}
	t := strings.ToLower(strings.TrimSpace(*s))
	return &t
}

func lowerAll(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		out = append(out, strings.ToLower(strings.TrimSpace(s)))
	}
	return out
}

// Validate checks every setting. It is run on the whole organization after a patch is applied,
// so create and update enforce the same rules and settings that depend on each other
// (auth_methods and allowed_auth_methods) are checked together.
func (o Organization) Validate() error {
	switch {
	case o.OrganizationName == "":
		return BadRequest("invalid_organization_name", "organization_name is required.")
	case len(o.OrganizationName) > MaxNameLength:
		return BadRequest("invalid_organization_name", "organization_name must be at most %d characters.", MaxNameLength)
	case !ValidName(o.OrganizationName):
		return BadRequest("invalid_organization_name", "organization_name may not contain control or invisible characters.")
	case !slugPattern.MatchString(o.OrganizationSlug):
		return BadRequest("invalid_organization_slug",
			"The organization_slug must be 2 to 128 characters long and may only contain alphanumerics and the reserved characters '-', '.', '_', or '~'.")
	case len(o.OrganizationLogoURL) > MaxURLLength:
		return BadRequest("organization_logo_url_too_long", "organization_logo_url is too long.")
	case len(o.OrganizationExternalID) > MaxExternalIDLength:
		return BadRequest("invalid_organization_external_id", "organization_external_id must be at most %d characters.", MaxExternalIDLength)
	}
	if o.OrganizationLogoURL != "" && !strings.HasPrefix(o.OrganizationLogoURL, "https://") && !strings.HasPrefix(o.OrganizationLogoURL, "http://") {
		return BadRequest("invalid_organization_logo_url", "organization_logo_url must be an http(s) URL.")
	}
	if err := ValidateMetadata("trusted_metadata", o.TrustedMetadata); err != nil {
		return err
	}
	enums := []struct {
		field, value string
		allowed      []string
	}{
		{"sso_jit_provisioning", o.SSOJITProvisioning, []string{AllAllowed, Restricted, NotAllowed}},
		{"email_jit_provisioning", o.EmailJITProvisioning, []string{Restricted, NotAllowed}},
		{"email_invites", o.EmailInvites, []string{AllAllowed, Restricted, NotAllowed}},
		{"auth_methods", o.AuthMethods, []string{AllAllowed, Restricted}},
		{"mfa_policy", o.MFAPolicy, []string{MFAOptional, MFARequiredAll}},
		{"mfa_methods", o.MFAMethods, []string{AllAllowed, Restricted}},
		{"oauth_tenant_jit_provisioning", o.OAuthTenantJITProvisioning, []string{Restricted, NotAllowed}},
		{"first_party_connected_apps_allowed_type", o.FirstPartyConnectedAppsAllowedType, []string{AllAllowed, Restricted, NotAllowed}},
		{"third_party_connected_apps_allowed_type", o.ThirdPartyConnectedAppsAllowedType, []string{AllAllowed, Restricted, NotAllowed}},
	}
	for _, e := range enums {
		if !slices.Contains(e.allowed, e.value) {
			return BadRequest("invalid_"+e.field, "%s must be one of %s.", e.field, strings.Join(e.allowed, ", "))
		}
	}
	if err := validateList("allowed_auth_methods", o.AllowedAuthMethods, authMethodValues); err != nil {
		return err
	}
	if err := validateList("allowed_mfa_methods", o.AllowedMFAMethods, mfaMethodValues); err != nil {
		return err
	}
	if o.AuthMethods == Restricted && len(o.AllowedAuthMethods) == 0 {
		return BadRequest("allowed_auth_methods_required_for_restricted", "Allowed auth methods must be set for 'RESTRICTED' auth methods")
	}
	if o.MFAMethods == Restricted && len(o.AllowedMFAMethods) == 0 {
		return BadRequest("allowed_mfa_methods_required_for_restricted", "allowed_mfa_methods must name at least one method when mfa_methods is RESTRICTED.")
	}
	for _, list := range []struct {
		field   string
		domains []string
	}{{"email_allowed_domains", o.EmailAllowedDomains}, {"claimed_email_domains", o.ClaimedEmailDomains}} {
		if err := validateDomains(list.field, list.domains); err != nil {
			return err
		}
	}
	if len(o.RBACEmailImplicitRoleAssignments) > MaxListLength {
		return BadRequest("invalid_rbac_email_implicit_role_assignments", "Too many role assignments.")
	}
	for _, a := range o.RBACEmailImplicitRoleAssignments {
		if !validDomain(a.Domain) || !roleIDPattern.MatchString(a.RoleID) {
			return BadRequest("invalid_rbac_email_implicit_role_assignments", "Each assignment needs a valid domain and role_id.")
		}
	}
	for _, l := range []struct {
		field string
		items []string
	}{
		{"sso_jit_provisioning_allowed_connections", o.SSOJITProvisioningAllowedConnections},
		{"allowed_first_party_connected_apps", o.AllowedFirstPartyConnectedApps},
		{"allowed_third_party_connected_apps", o.AllowedThirdPartyConnectedApps},
	} {
		if len(l.items) > MaxListLength {
			return BadRequest("invalid_"+l.field, "%s may have at most %d entries.", l.field, MaxListLength)
		}
	}
	if err := ValidateMetadata("allowed_oauth_tenants", o.AllowedOAuthTenants); err != nil {
		return err
	}
	return nil
}

func validateList(field string, values, allowed []string) error {
	if len(values) > len(allowed) {
		return BadRequest("invalid_"+field, "%s has too many entries.", field)
	}
	for _, v := range values {
		if !slices.Contains(allowed, v) {
			return BadRequest("invalid_"+field, "%s: %q is not one of %s.", field, v, strings.Join(allowed, ", "))
		}
	}
	return nil
}

func validateDomains(field string, domains []string) error {
	if len(domains) > MaxListLength {
		return BadRequest("invalid_"+field, "%s may have at most %d domains.", field, MaxListLength)
	}
	for _, d := range domains {
		if !validDomain(d) {
			return BadRequest("organization_settings_invalid_domain", "%s: %q is not a valid domain.", field, d)
		}
		if IsConsumerDomain(d) {
			return BadRequest("organization_settings_domain_too_common",
				"%s: %q is a common email provider; anyone could sign up with it, so it cannot be allowed.", field, d)
		}
	}
	return nil
}

// ValidateMetadata bounds a metadata object's size and top-level key count, and checks that
// DynamoDB can store it.
func ValidateMetadata(field string, m map[string]any) error {
	if err := ValidateDocument(field, m); err != nil {
		return err
	}
	if len(m) > MaxMetadataKeys {
		return BadRequest("metadata_too_many_keys", "%s may have at most %d top-level keys.", field, MaxMetadataKeys)
	}
	b, err := json.Marshal(m)
	if err != nil || len(b) > MaxMetadataBytes {
		return BadRequest("metadata_too_large", "%s must be at most %d bytes of JSON.", field, MaxMetadataBytes)
	}
	return nil
}

// AllowsEmailDomain tells whether email's domain is one of the organization's allowed domains.
func (o Organization) AllowsEmailDomain(email string) bool {
	return slices.Contains(o.EmailAllowedDomains, EmailDomain(email))
}

// ValidRoleID tells whether s has the shape of a role_id.
func ValidRoleID(s string) bool { return roleIDPattern.MatchString(s) }
