package api

import (
	"reflect"

	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/rbac"
)

// Shapes the OpenAPI document describes that have no named Go type: request bodies a handler
// decodes into a struct declared inside it (each mirrors that struct field for field — change
// both together), the SAML POST binding's form, and SCIM's resources, which the scim package
// builds as maps.

// strengthCheckRequest is the body passwordStrengthCheck decodes.
type strengthCheckRequest struct {
	Password     string `json:"password"`
	EmailAddress string `json:"email_address"`
}

// recoveryCodesRotateRequest is the body recoveryCodesRotate decodes.
type recoveryCodesRotateRequest struct {
	OrganizationID string `json:"organization_id"`
	MemberID       string `json:"member_id"`
}

// samlMetadataURLRequest is the body updateSAMLByURL decodes.
type samlMetadataURLRequest struct {
	MetadataURL string `json:"metadata_url"`
}

// orgPolicyRequest is the body setOrgPolicy decodes.
type orgPolicyRequest struct {
	OrgPolicy *orgPolicy `json:"org_policy"`
}

// scimConnectionCreateRequest is the body createSCIMConnection decodes.
type scimConnectionCreateRequest struct {
	DisplayName      string `json:"display_name"`
	IdentityProvider string `json:"identity_provider"`
}

// samlCallbackForm is the form ssoSAMLCallback reads (SAML's HTTP-POST binding).
type samlCallbackForm struct {
	SAMLResponse string `json:"SAMLResponse"`
	RelayState   string `json:"RelayState,omitempty"`
}

// SCIM 2.0 (RFC 7643, 7644), as the scim package reads and writes it. Attributes other than
// these are kept as the identity provider sent them, so the resource schemas describe the core
// of each resource, not all of it.

type scimMeta struct {
	ResourceType string `json:"resourceType"`
	Created      string `json:"created,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	Location     string `json:"location"`
	Version      string `json:"version,omitempty"`
}

type scimName struct {
	Formatted  string `json:"formatted,omitempty"`
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
}

type scimMultiValue struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
	Ref     string `json:"$ref,omitempty"`
}

type scimEnterpriseUser struct {
	EmployeeNumber string         `json:"employeeNumber,omitempty"`
	CostCenter     string         `json:"costCenter,omitempty"`
	Organization   string         `json:"organization,omitempty"`
	Division       string         `json:"division,omitempty"`
	Department     string         `json:"department,omitempty"`
	Manager        map[string]any `json:"manager,omitempty"`
}

// scimUser is a SCIM User: a member of the connection's organization.
type scimUser struct {
	Schemas     []string            `json:"schemas"`
	ID          string              `json:"id,omitempty"`
	ExternalID  string              `json:"externalId,omitempty"`
	UserName    string              `json:"userName"`
	Name        *scimName           `json:"name,omitempty"`
	DisplayName string              `json:"displayName,omitempty"`
	Emails      []scimMultiValue    `json:"emails,omitempty"`
	Active      bool                `json:"active"`
	Groups      []scimMultiValue    `json:"groups,omitempty"`
	Enterprise  *scimEnterpriseUser `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
	Meta        *scimMeta           `json:"meta,omitempty"`
}

// scimGroup is a SCIM Group; its members may hold roles by the connection's
// scim_group_implicit_role_assignments.
type scimGroup struct {
	Schemas     []string         `json:"schemas"`
	ID          string           `json:"id,omitempty"`
	ExternalID  string           `json:"externalId,omitempty"`
	DisplayName string           `json:"displayName"`
	Members     []scimMultiValue `json:"members,omitempty"`
	Meta        *scimMeta        `json:"meta,omitempty"`
}

type scimListEnvelope struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
}

type scimUserList struct {
	scimListEnvelope
	Resources []scimUser `json:"Resources"`
}

type scimGroupList struct {
	scimListEnvelope
	Resources []scimGroup `json:"Resources"`
}

// scimResourceList lists resource types or schemas.
type scimResourceList struct {
	scimListEnvelope
	Resources []map[string]any `json:"Resources"`
}

type scimSupported struct {
	Supported bool `json:"supported"`
}

type scimServiceProviderConfig struct {
	Schemas          []string      `json:"schemas"`
	DocumentationURI string        `json:"documentationUri"`
	Patch            scimSupported `json:"patch"`
	Bulk             struct {
		Supported      bool `json:"supported"`
		MaxOperations  int  `json:"maxOperations"`
		MaxPayloadSize int  `json:"maxPayloadSize"`
	} `json:"bulk"`
	Filter struct {
		Supported  bool `json:"supported"`
		MaxResults int  `json:"maxResults"`
	} `json:"filter"`
	ChangePassword        scimSupported    `json:"changePassword"`
	Sort                  scimSupported    `json:"sort"`
	Etag                  scimSupported    `json:"etag"`
	AuthenticationSchemes []map[string]any `json:"authenticationSchemes"`
	Meta                  scimMeta         `json:"meta"`
}

type scimResourceType struct {
	Schemas          []string         `json:"schemas"`
	ID               string           `json:"id"`
	Name             string           `json:"name"`
	Endpoint         string           `json:"endpoint"`
	Description      string           `json:"description"`
	Schema           string           `json:"schema"`
	SchemaExtensions []map[string]any `json:"schemaExtensions"`
	Meta             scimMeta         `json:"meta"`
}

type scimSchema struct {
	Schemas     []string         `json:"schemas"`
	ID          string           `json:"id"`
	Name        string           `json:"name"`
	Description string           `json:"description"`
	Attributes  []map[string]any `json:"attributes"`
	Meta        scimMeta         `json:"meta"`
}

// scimError is scim.Error's body.
type scimError struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	Detail   string   `json:"detail"`
	ScimType string   `json:"scimType,omitempty"`
}

// marshalsAsTagged lists the types whose MarshalJSON writes the shape their tags describe
// (rbac's write [] for a nil list).
var marshalsAsTagged = map[reflect.Type]bool{
	reflect.TypeFor[rbac.Policy](): true, reflect.TypeFor[rbac.Role](): true, reflect.TypeFor[rbac.Permission](): true,
	reflect.TypeFor[rbac.Resource](): true, reflect.TypeFor[rbac.Scope](): true,
}

// nullableFields are response fields written as null by design, though their Go type (a map
// or slice) does not say so: Stytch answers membership.details null for an active member.
var nullableFields = map[reflect.Type][]string{
	reflect.TypeFor[authn.Membership](): {"details"},
}
