package sso

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"net/url"
	"slices"
	"strings"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/samlsp"
)

// Protocols of a connection.
const (
	SAML = "saml"
	OIDC = "oidc"
)

// Connection statuses, as Stytch names them: a connection is pending until it holds what a
// login needs, then active. Only active connections take logins and appear in the
// organization's sso_active_connections.
const (
	StatusPending = "pending"
	StatusActive  = "active"
)

// identityProviders are the identity_provider values Stytch accepts.
var identityProviders = []string{"generic", "okta", "microsoft-entra", "google-workspace", "onelogin", "jumpcloud",
	"keycloak", "pingfederate", "cyberark", "duo", "classlink", "miniorange", "rippling", "salesforce", "shibboleth"}

// Connection is one SSO connection of an organization, SAML or OIDC. Secrets (the SP's
// private keys, the OIDC client secret) are held sealed (Sealer), bound to the connection.
type Connection struct {
	OrganizationID   string
	ConnectionID     string
	Protocol         string
	Status           string
	DisplayName      string
	IdentityProvider string
	AttributeMapping map[string]any
	ConnectionRoles  []latchkey.SSORole
	GroupRoles       []latchkey.SSOGroupRole

	// SAML: the identity provider, and this service provider's keys.
	IdPEntityID            string
	IdPSSOURL              string
	NameIDFormat           string
	AlternativeAudienceURI string
	AlternativeACSURL      string
	IdPInitiatedDisabled   bool
	AllowGatewayCallback   bool
	VerificationCerts      []Certificate // the provider's: any of them may sign a response
	SigningCert            Certificate   // ours, for the provider to check our AuthnRequests
	SigningKey             string        // sealed PKCS#8 PEM
	EncryptionKeys         []SealedKey   // ours, decrypting encrypted assertions

	// OIDC: the client at the provider and its endpoints.
	ClientID           string
	ClientSecret       string // sealed
	ClientSecretFour   string // last four characters, to recognise it
	Issuer             string
	AuthorizationURL   string
	TokenURL           string
	UserinfoURL        string
	JWKSURL            string
	CustomScopes       string
	LastDiscoveredFrom string // the issuer whose discovery document filled the endpoints

	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int
}

// Certificate is an X.509 certificate as Stytch shows it.
type Certificate struct {
	CertificateID string    `json:"certificate_id"`
	Certificate   string    `json:"certificate"`
	Issuer        string    `json:"issuer"`
	CreatedAt     time.Time `json:"created_at"`
	ExpiresAt     time.Time `json:"expires_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// SealedKey is a private key held sealed, with the id the API names it by.
type SealedKey struct {
	PrivateKeyID string
	Sealed       string
	CreatedAt    time.Time
}

// NewCertificate describes a parsed certificate. Its id is derived from its content, so adding
// the same certificate twice is recognised.
func NewCertificate(c *x509.Certificate, now time.Time) Certificate {
	sum := sha256.Sum256(c.Raw)
	return Certificate{CertificateID: "saml-verification-key-" + hex.EncodeToString(sum[:16]),
		Certificate: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})),
		Issuer:      c.Issuer.String(), CreatedAt: now, ExpiresAt: c.NotAfter, UpdatedAt: now}
}

// Summary is the connection as the organization lists it in sso_active_connections, with the
// role assignments the organization item mirrors.
func (c Connection) Summary() latchkey.SSOConnection {
	return latchkey.SSOConnection{ConnectionID: c.ConnectionID, DisplayName: c.DisplayName, IdentityProvider: c.IdentityProvider,
		ConnectionRoles: c.ConnectionRoles, GroupRoles: c.GroupRoles}
}

// settle recomputes the status from what the connection holds.
func (c *Connection) settle() {
	ready := false
	switch c.Protocol {
	case SAML:
		ready = c.IdPEntityID != "" && c.IdPSSOURL != "" && len(c.VerificationCerts) > 0
	case OIDC:
		ready = c.ClientID != "" && c.ClientSecret != "" && c.Issuer != "" && c.AuthorizationURL != "" && c.TokenURL != "" &&
			c.UserinfoURL != "" && c.JWKSURL != ""
	}
	c.Status = StatusPending
	if ready {
		c.Status = StatusActive
	}
}

// Default attribute mappings: Stytch's for SAML ({"email": "email", "full_name": "name"}),
// and the standard claims for OIDC, where Stytch documents none.
func defaultMapping(protocol string) map[string]any {
	if protocol == OIDC {
		return map[string]any{"email": "email", "first_name": "given_name", "last_name": "family_name"}
	}
	return map[string]any{"email": "email", "full_name": "name"}
}

// mapped is the attribute name the mapping gives a key, with its default.
func (c Connection) mapped(key string) string {
	if v, ok := c.AttributeMapping[key].(string); ok && v != "" {
		return v
	}
	v, _ := defaultMapping(c.Protocol)[key].(string)
	return v
}

// Bounds on what a connection holds, far inside an item's 400 KB.
const (
	maxCertificates  = 5
	maxMappingKeys   = 20
	maxRoleMappings  = latchkey.MaxListLength
	maxCertPEMLength = 16 << 10
)

func (c Connection) validate() error {
	switch {
	case len(c.DisplayName) > latchkey.MaxNameLength || !latchkey.ValidName(c.DisplayName):
		return latchkey.BadRequest("invalid_display_name", "display_name must be at most %d printable characters.", latchkey.MaxNameLength)
	case !slices.Contains(identityProviders, c.IdentityProvider):
		return latchkey.BadRequest("invalid_sso_idp", "identity_provider must be one of %s.", strings.Join(identityProviders, ", "))
	case len(c.AttributeMapping) > maxMappingKeys:
		return latchkey.BadRequest("invalid_attribute_mapping", "attribute_mapping may have at most %d keys.", maxMappingKeys)
	case len(c.VerificationCerts) > maxCertificates:
		return latchkey.BadRequest("too_many_sso_verification_certificates", "A connection may hold at most %d verification certificates; delete one first.", maxCertificates)
	case len(c.EncryptionKeys) > maxCertificates:
		return latchkey.BadRequest("too_many_encryption_private_keys", "A connection may hold at most %d encryption keys; delete one first.", maxCertificates)
	case len(c.ConnectionRoles) > maxRoleMappings || len(c.GroupRoles) > maxRoleMappings:
		return latchkey.BadRequest("invalid_role_assignments", "At most %d role assignments are allowed.", maxRoleMappings)
	case len(c.CustomScopes) > 1024:
		return latchkey.BadRequest("invalid_custom_scopes", "custom_scopes is too long.")
	case len(c.ClientID) > 512:
		return latchkey.BadRequest("invalid_client_id", "client_id is too long.")
	case len(c.IdPEntityID) > latchkey.MaxURLLength || len(c.AlternativeAudienceURI) > latchkey.MaxURLLength:
		return latchkey.BadRequest("invalid_idp_entity_id", "idp_entity_id must be at most %d characters.", latchkey.MaxURLLength)
	case c.NameIDFormat != "" && !strings.HasPrefix(c.NameIDFormat, "urn:oasis:names:tc:SAML:"):
		return latchkey.BadRequest("invalid_nameid_format", "nameid_format must be a SAML NameID format URN.")
	}
	for k, v := range c.AttributeMapping {
		if s, ok := v.(string); !ok || len(k) > 128 || len(s) > 512 {
			return latchkey.BadRequest("saml_connection_no_nested_keys_in_attribute_mapping", "attribute_mapping maps names to attribute names (strings), with no nesting.")
		}
	}
	if len(c.GroupRoles) > 0 && c.mapped("groups") == "" {
		return latchkey.BadRequest("saml_connection_attribute_mapping_missing_groups_key",
			"Group role assignments need a \"groups\" key in attribute_mapping: the attribute the IdP lists a member's groups in.")
	}
	for _, r := range c.ConnectionRoles {
		if !latchkey.ValidRoleID(r.RoleID) || r.RoleID == latchkey.RoleMember {
			return latchkey.BadRequest("invalid_role_assignments", "Each role assignment needs a role_id other than stytch_member.")
		}
	}
	for _, g := range c.GroupRoles {
		if !latchkey.ValidRoleID(g.RoleID) || g.RoleID == latchkey.RoleMember || g.Group == "" || len(g.Group) > 256 {
			return latchkey.BadRequest("invalid_role_assignments", "Each group role assignment needs a group and a role_id other than stytch_member.")
		}
	}
	for _, u := range []struct{ field, value string }{
		{"idp_sso_url", c.IdPSSOURL}, {"issuer", c.Issuer}, {"authorization_url", c.AuthorizationURL},
		{"token_url", c.TokenURL}, {"userinfo_url", c.UserinfoURL}, {"jwks_url", c.JWKSURL}, {"alternative_acs_url", c.AlternativeACSURL},
	} {
		if u.value == "" {
			continue
		}
		p, err := url.Parse(u.value)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.User != nil || len(u.value) > latchkey.MaxURLLength {
			return latchkey.BadRequest("invalid_"+u.field, "%s must be an absolute https URL.", u.field)
		}
	}
	return nil
}

// WireSAML is Stytch's SAMLConnection object.
type WireSAML struct {
	OrganizationID                        string                  `json:"organization_id"`
	ConnectionID                          string                  `json:"connection_id"`
	Status                                string                  `json:"status"`
	IdPEntityID                           string                  `json:"idp_entity_id"`
	DisplayName                           string                  `json:"display_name"`
	IdPSSOURL                             string                  `json:"idp_sso_url"`
	ACSURL                                string                  `json:"acs_url"`
	AudienceURI                           string                  `json:"audience_uri"`
	SigningCertificates                   []Certificate           `json:"signing_certificates"`
	VerificationCertificates              []Certificate           `json:"verification_certificates"`
	EncryptionPrivateKeys                 []WireKey               `json:"encryption_private_keys"`
	SAMLConnectionImplicitRoleAssignments []latchkey.SSORole      `json:"saml_connection_implicit_role_assignments"`
	SAMLGroupImplicitRoleAssignments      []latchkey.SSOGroupRole `json:"saml_group_implicit_role_assignments"`
	AlternativeAudienceURI                string                  `json:"alternative_audience_uri"`
	IdentityProvider                      string                  `json:"identity_provider"`
	NameIDFormat                          string                  `json:"nameid_format"`
	AlternativeACSURL                     string                  `json:"alternative_acs_url"`
	IdPInitiatedAuthDisabled              bool                    `json:"idp_initiated_auth_disabled"`
	AllowGatewayCallback                  bool                    `json:"allow_gateway_callback"`
	AttributeMapping                      map[string]any          `json:"attribute_mapping"`
}

// WireKey is an encryption private key as the API lists it: never the key itself.
type WireKey struct {
	PrivateKeyID string    `json:"private_key_id"`
	PrivateKey   string    `json:"private_key"`
	CreatedAt    time.Time `json:"created_at"`
}

// WireOIDC is Stytch's OIDCConnection object; client_secret is never returned.
type WireOIDC struct {
	OrganizationID   string         `json:"organization_id"`
	ConnectionID     string         `json:"connection_id"`
	Status           string         `json:"status"`
	DisplayName      string         `json:"display_name"`
	RedirectURL      string         `json:"redirect_url"`
	ClientID         string         `json:"client_id"`
	ClientSecret     string         `json:"client_secret"`
	Issuer           string         `json:"issuer"`
	AuthorizationURL string         `json:"authorization_url"`
	TokenURL         string         `json:"token_url"`
	UserinfoURL      string         `json:"userinfo_url"`
	JWKSURL          string         `json:"jwks_url"`
	IdentityProvider string         `json:"identity_provider"`
	CustomScopes     string         `json:"custom_scopes"`
	AttributeMapping map[string]any `json:"attribute_mapping"`
}

// CallbackURL is where the provider sends the person back: the SAML ACS URL and the OIDC
// redirect URL.
func (s *Service) CallbackURL(connectionID string) string {
	return strings.TrimRight(s.BaseURL, "/") + "/v1/b2b/sso/callback/" + connectionID
}

// AudienceURI is the SAML service provider's entity id for a connection. As Stytch's, it is
// the ACS URL itself.
func (s *Service) AudienceURI(connectionID string) string { return s.CallbackURL(connectionID) }

// SAMLWire presents a SAML connection.
func (s *Service) SAMLWire(c Connection) WireSAML {
	w := WireSAML{OrganizationID: c.OrganizationID, ConnectionID: c.ConnectionID, Status: c.Status, IdPEntityID: c.IdPEntityID,
		DisplayName: c.DisplayName, IdPSSOURL: c.IdPSSOURL, ACSURL: s.CallbackURL(c.ConnectionID), AudienceURI: s.AudienceURI(c.ConnectionID),
		SigningCertificates: []Certificate{}, VerificationCertificates: slices.Clone(c.VerificationCerts), EncryptionPrivateKeys: []WireKey{},
		SAMLConnectionImplicitRoleAssignments: slices.Clone(c.ConnectionRoles), SAMLGroupImplicitRoleAssignments: slices.Clone(c.GroupRoles),
		AlternativeAudienceURI: c.AlternativeAudienceURI, IdentityProvider: c.IdentityProvider, NameIDFormat: c.nameIDFormat(),
		AlternativeACSURL: c.AlternativeACSURL, IdPInitiatedAuthDisabled: c.IdPInitiatedDisabled, AllowGatewayCallback: c.AllowGatewayCallback,
		AttributeMapping: c.mapping()}
	if c.SigningCert.CertificateID != "" {
		w.SigningCertificates = append(w.SigningCertificates, c.SigningCert)
	}
	if w.VerificationCertificates == nil {
		w.VerificationCertificates = []Certificate{}
	}
	for _, k := range c.EncryptionKeys {
		w.EncryptionPrivateKeys = append(w.EncryptionPrivateKeys, WireKey{PrivateKeyID: k.PrivateKeyID, CreatedAt: k.CreatedAt})
	}
	if w.SAMLConnectionImplicitRoleAssignments == nil {
		w.SAMLConnectionImplicitRoleAssignments = []latchkey.SSORole{}
	}
	if w.SAMLGroupImplicitRoleAssignments == nil {
		w.SAMLGroupImplicitRoleAssignments = []latchkey.SSOGroupRole{}
	}
	return w
}

// OIDCWire presents an OIDC connection.
func (s *Service) OIDCWire(c Connection) WireOIDC {
	return WireOIDC{OrganizationID: c.OrganizationID, ConnectionID: c.ConnectionID, Status: c.Status, DisplayName: c.DisplayName,
		RedirectURL: s.CallbackURL(c.ConnectionID), ClientID: c.ClientID, Issuer: c.Issuer, AuthorizationURL: c.AuthorizationURL,
		TokenURL: c.TokenURL, UserinfoURL: c.UserinfoURL, JWKSURL: c.JWKSURL, IdentityProvider: c.IdentityProvider,
		CustomScopes: c.CustomScopes, AttributeMapping: c.mapping()}
}

func (c Connection) mapping() map[string]any {
	m := defaultMapping(c.Protocol)
	for k, v := range c.AttributeMapping {
		m[k] = v
	}
	return m
}

// DefaultNameIDFormat is the NameID format asked for when the connection names none: the
// email address, which is what the member is matched by.
const DefaultNameIDFormat = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"

func (c Connection) nameIDFormat() string {
	if c.NameIDFormat == "" {
		return DefaultNameIDFormat
	}
	return c.NameIDFormat
}

// parseCert reads a certificate an admin pasted: PEM or bare base64 DER.
func parseCert(field, v string) (*x509.Certificate, error) {
	if len(v) > maxCertPEMLength {
		return nil, latchkey.BadRequest("invalid_"+field, "%s is too long.", field)
	}
	c, err := samlsp.ParseCertificate(v)
	if err != nil {
		return nil, latchkey.BadRequest("invalid_"+field, "%s is not an X.509 certificate in PEM or base64 DER.", field)
	}
	return c, nil
}
