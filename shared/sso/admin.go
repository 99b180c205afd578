package sso

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/oidcrp"
	"github.com/latchkey/latchkey/shared/samlsp"
)

// CreateRequest is the body of SSO.SAML.CreateConnection and SSO.OIDC.CreateConnection.
type CreateRequest struct {
	DisplayName      string `json:"display_name"`
	IdentityProvider string `json:"identity_provider"`
}

// SAMLPatch is the body of SSO.SAML.UpdateConnection; nil means absent.
type SAMLPatch struct {
	IdPEntityID              *string                  `json:"idp_entity_id"`
	DisplayName              *string                  `json:"display_name"`
	AttributeMapping         *map[string]any          `json:"attribute_mapping"`
	X509Certificate          *string                  `json:"x509_certificate"`
	IdPSSOURL                *string                  `json:"idp_sso_url"`
	ConnectionRoles          *[]latchkey.SSORole      `json:"saml_connection_implicit_role_assignments"`
	GroupRoles               *[]latchkey.SSOGroupRole `json:"saml_group_implicit_role_assignments"`
	AlternativeAudienceURI   *string                  `json:"alternative_audience_uri"`
	IdentityProvider         *string                  `json:"identity_provider"`
	SigningPrivateKey        *string                  `json:"signing_private_key"`
	NameIDFormat             *string                  `json:"nameid_format"`
	AlternativeACSURL        *string                  `json:"alternative_acs_url"`
	IdPInitiatedAuthDisabled *bool                    `json:"idp_initiated_auth_disabled"`
	SAMLEncryptionPrivateKey *string                  `json:"saml_encryption_private_key"`
	AllowGatewayCallback     *bool                    `json:"allow_gateway_callback"`
}

// OIDCPatch is the body of SSO.OIDC.UpdateConnection; nil means absent.
type OIDCPatch struct {
	DisplayName      *string         `json:"display_name"`
	ClientID         *string         `json:"client_id"`
	ClientSecret     *string         `json:"client_secret"`
	Issuer           *string         `json:"issuer"`
	AuthorizationURL *string         `json:"authorization_url"`
	TokenURL         *string         `json:"token_url"`
	UserinfoURL      *string         `json:"userinfo_url"`
	JWKSURL          *string         `json:"jwks_url"`
	IdentityProvider *string         `json:"identity_provider"`
	CustomScopes     *string         `json:"custom_scopes"`
	AttributeMapping *map[string]any `json:"attribute_mapping"`
}

// SPKeyLifetime is how long the service provider's generated signing certificate is valid.
const SPKeyLifetime = 10 * 365 * 24 * time.Hour

func binding(c Connection, purpose string) map[string]string {
	return map[string]string{"organization_id": c.OrganizationID, "connection_id": c.ConnectionID, "purpose": purpose}
}

// CreateSAML creates a pending SAML connection with a new service-provider signing key; the
// identity provider is configured from its acs_url, audience_uri and signing certificate, and
// the connection from the provider's settings (UpdateSAML or UpdateSAMLByURL).
func (s *Service) CreateSAML(ctx context.Context, orgID string, r CreateRequest) (Connection, error) {
	return s.create(ctx, orgID, SAML, r)
}

// CreateOIDC creates a pending OIDC connection; UpdateOIDC gives it its client and issuer.
func (s *Service) CreateOIDC(ctx context.Context, orgID string, r CreateRequest) (Connection, error) {
	return s.create(ctx, orgID, OIDC, r)
}

func (s *Service) create(ctx context.Context, orgID, protocol string, r CreateRequest) (Connection, error) {
	org, err := s.Store.Organization(ctx, orgID)
	if err != nil {
		return Connection{}, latchkey.OrgErr(err)
	}
	now := s.Clock.Now()
	c := Connection{OrganizationID: org.OrganizationID, ConnectionID: s.IDs.New(protocol + "-connection"), Protocol: protocol,
		DisplayName: strings.TrimSpace(r.DisplayName), IdentityProvider: strings.TrimSpace(r.IdentityProvider),
		AttributeMapping: map[string]any{}, CreatedAt: now, UpdatedAt: now}
	if c.IdentityProvider == "" {
		c.IdentityProvider = "generic"
	}
	if err := c.validate(); err != nil {
		return c, err
	}
	if protocol == SAML {
		if err := s.newSigningKey(ctx, &c, "", now); err != nil {
			return c, err
		}
	}
	c.settle()
	if err := s.Store.CreateSSOConnection(ctx, c); err != nil {
		return c, writeErr(err)
	}
	c.Version = 1
	return c, nil
}

// newSigningKey gives the connection a service-provider signing key: keyPEM when an admin
// supplies one, otherwise a new RSA-2048 key, with a self-signed certificate for it.
func (s *Service) newSigningKey(ctx context.Context, c *Connection, keyPEM string, now time.Time) error {
	certPEM := ""
	if keyPEM == "" {
		var err error
		if keyPEM, certPEM, err = samlsp.NewKeyPair(s.AudienceURI(c.ConnectionID), now, SPKeyLifetime); err != nil {
			return latchkey.Internal(err)
		}
	} else {
		key, err := samlsp.ParsePrivateKey(keyPEM)
		if err != nil || len(keyPEM) > maxCertPEMLength {
			return latchkey.BadRequest("invalid_signing_private_key", "signing_private_key must be an RSA private key in PEM (PKCS#1 or PKCS#8).")
		}
		if certPEM, err = samlsp.CertificateFor(key, s.AudienceURI(c.ConnectionID), now, SPKeyLifetime); err != nil {
			return latchkey.Internal(err)
		}
	}
	block, _ := pem.Decode([]byte(certPEM))
	cert, err := parseCert("signing_certificate", certPEM)
	if block == nil || err != nil {
		return latchkey.Internal(errors.New("generated certificate does not parse"))
	}
	sealed, err := s.Seal.Seal(ctx, []byte(keyPEM), binding(*c, "saml_signing_key"))
	if err != nil {
		return latchkey.Internal(err)
	}
	c.SigningKey, c.SigningCert = sealed, NewCertificate(cert, now)
	c.SigningCert.CertificateID = "saml-signing-key-" + c.SigningCert.CertificateID[len("saml-verification-key-"):]
	return nil
}

// summarize writes c's entry in org's sso_active_connections, or removes it while c is not
// active. The default connection is the admin's choice (sso_default_connection_id); with none,
// a start by organization uses its one active connection.
func (s *Service) summarize(org *latchkey.Organization, c Connection) {
	org.SSOActiveConnections = slices.DeleteFunc(slices.Clone(org.SSOActiveConnections), func(x latchkey.SSOConnection) bool {
		return x.ConnectionID == c.ConnectionID
	})
	if c.Status == StatusActive {
		org.SSOActiveConnections = append(org.SSOActiveConnections, c.Summary())
	}
}

// UpdateSAML applies an admin's settings to a SAML connection. A certificate is added to the
// verification certificates (several may be live while the provider rotates), a private key
// replaces the signing key or adds an encryption key.
func (s *Service) UpdateSAML(ctx context.Context, orgID, connectionID string, p SAMLPatch) (Connection, error) {
	return s.update(ctx, orgID, connectionID, SAML, func(c *Connection, now time.Time) error {
		set(&c.IdPEntityID, p.IdPEntityID)
		set(&c.DisplayName, p.DisplayName)
		set(&c.IdPSSOURL, p.IdPSSOURL)
		set(&c.AlternativeAudienceURI, p.AlternativeAudienceURI)
		set(&c.IdentityProvider, p.IdentityProvider)
		set(&c.NameIDFormat, p.NameIDFormat)
		set(&c.AlternativeACSURL, p.AlternativeACSURL)
		if p.AttributeMapping != nil {
			c.AttributeMapping = *p.AttributeMapping
		}
		if p.ConnectionRoles != nil {
			c.ConnectionRoles = *p.ConnectionRoles
		}
		if p.GroupRoles != nil {
			c.GroupRoles = *p.GroupRoles
		}
		if p.IdPInitiatedAuthDisabled != nil {
			c.IdPInitiatedDisabled = *p.IdPInitiatedAuthDisabled
		}
		if p.AllowGatewayCallback != nil {
			c.AllowGatewayCallback = *p.AllowGatewayCallback
		}
		if p.X509Certificate != nil && strings.TrimSpace(*p.X509Certificate) != "" {
			cert, err := parseCert("x509_certificate", strings.TrimSpace(*p.X509Certificate))
			if err != nil {
				return err
			}
			addCert(c, NewCertificate(cert, now))
		}
		if p.SigningPrivateKey != nil && strings.TrimSpace(*p.SigningPrivateKey) != "" {
			if err := s.newSigningKey(ctx, c, strings.TrimSpace(*p.SigningPrivateKey), now); err != nil {
				return err
			}
		}
		if p.SAMLEncryptionPrivateKey != nil && strings.TrimSpace(*p.SAMLEncryptionPrivateKey) != "" {
			keyPEM := strings.TrimSpace(*p.SAMLEncryptionPrivateKey)
			if _, err := samlsp.ParsePrivateKey(keyPEM); err != nil || len(keyPEM) > maxCertPEMLength {
				return latchkey.BadRequest("invalid_saml_encryption_private_key", "saml_encryption_private_key must be an RSA private key in PEM.")
			}
			sum := sha256.Sum256([]byte(keyPEM))
			id := "saml-encryption-key-" + hex.EncodeToString(sum[:16])
			if !slices.ContainsFunc(c.EncryptionKeys, func(k SealedKey) bool { return k.PrivateKeyID == id }) {
				sealed, err := s.Seal.Seal(ctx, []byte(keyPEM), binding(*c, "saml_encryption_key"))
				if err != nil {
					return latchkey.Internal(err)
				}
				c.EncryptionKeys = append(c.EncryptionKeys, SealedKey{PrivateKeyID: id, Sealed: sealed, CreatedAt: now})
			}
		}
		return nil
	})
}

// set applies a present (non-nil) field of a patch, trimmed.
func set(dst *string, v *string) {
	if v != nil {
		*dst = strings.TrimSpace(*v)
	}
}

func addCert(c *Connection, cert Certificate) {
	if !slices.ContainsFunc(c.VerificationCerts, func(x Certificate) bool { return x.CertificateID == cert.CertificateID }) {
		c.VerificationCerts = append(c.VerificationCerts, cert)
	}
}

// UpdateSAMLByURL reads the identity provider's metadata from metadataURL and takes its
// entity id, SSO URL (HTTP-Redirect binding) and signing certificates.
func (s *Service) UpdateSAMLByURL(ctx context.Context, orgID, connectionID, metadataURL string) (Connection, error) {
	metadataURL = strings.TrimSpace(metadataURL)
	if metadataURL == "" {
		return Connection{}, latchkey.BadRequest("invalid_saml_metadata_url", "metadata_url is required.")
	}
	if err := s.Fetch.CheckURL(metadataURL); err != nil {
		return Connection{}, latchkey.BadRequest("invalid_saml_metadata_url", "metadata_url is not allowed: %v.", err)
	}
	// Fetched before the connection is read, so the read-modify-write stays short.
	body, err := s.Fetch.Get(ctx, metadataURL)
	if err != nil {
		return Connection{}, latchkey.BadRequest("invalid_saml_metadata_url", "The metadata could not be fetched from metadata_url: %v.", err)
	}
	md, err := samlsp.ParseIdPMetadata(body)
	if err != nil {
		return Connection{}, latchkey.BadRequest("invalid_xml_from_saml_metadata_url", "metadata_url does not hold SAML identity-provider metadata: %v.", err)
	}
	return s.update(ctx, orgID, connectionID, SAML, func(c *Connection, now time.Time) error {
		c.IdPEntityID, c.IdPSSOURL = md.EntityID, md.SSOURL
		for _, cert := range md.Certs {
			addCert(c, NewCertificate(cert, now))
		}
		return nil
	})
}

// DeleteVerificationCertificate removes one of the provider's certificates.
func (s *Service) DeleteVerificationCertificate(ctx context.Context, orgID, connectionID, certificateID string) (Connection, error) {
	return s.update(ctx, orgID, connectionID, SAML, func(c *Connection, _ time.Time) error {
		i := slices.IndexFunc(c.VerificationCerts, func(x Certificate) bool { return x.CertificateID == certificateID })
		if i < 0 {
			return latchkey.Errorf(http.StatusNotFound, "sso_verification_key_not_found", "The connection has no verification certificate %q.", certificateID)
		}
		if len(c.VerificationCerts) == 1 && c.Status == StatusActive {
			return latchkey.BadRequest("cannot_delete_last_sso_verification_key",
				"An active connection needs at least one verification certificate: add the new one before deleting the old.")
		}
		c.VerificationCerts = slices.Delete(slices.Clone(c.VerificationCerts), i, i+1)
		return nil
	})
}

// DeleteEncryptionPrivateKey removes one of the connection's encryption keys.
func (s *Service) DeleteEncryptionPrivateKey(ctx context.Context, orgID, connectionID, keyID string) (Connection, error) {
	return s.update(ctx, orgID, connectionID, SAML, func(c *Connection, _ time.Time) error {
		i := slices.IndexFunc(c.EncryptionKeys, func(x SealedKey) bool { return x.PrivateKeyID == keyID })
		if i < 0 {
			return latchkey.Errorf(http.StatusNotFound, "sso_encryption_private_key_not_found", "The connection has no encryption private key %q.", keyID)
		}
		c.EncryptionKeys = slices.Delete(slices.Clone(c.EncryptionKeys), i, i+1)
		return nil
	})
}

// UpdateOIDC applies an admin's settings to an OIDC connection. When the issuer changes and
// the request names no endpoints, they come from the issuer's discovery document; the warning
// says when that failed.
func (s *Service) UpdateOIDC(ctx context.Context, orgID, connectionID string, p OIDCPatch) (Connection, string, error) {
	var discovered *oidcrp.Endpoints
	warning := ""
	if p.Issuer != nil && strings.TrimSpace(*p.Issuer) != "" && p.AuthorizationURL == nil && p.TokenURL == nil && p.JWKSURL == nil {
		issuer := strings.TrimSpace(*p.Issuer)
		if err := s.Fetch.CheckURL(issuer); err != nil {
			return Connection{}, "", latchkey.BadRequest("invalid_issuer", "issuer is not allowed: %v.", err)
		}
		ep, err := oidcrp.Discover(ctx, s.Fetch.Client(), issuer)
		if err == nil && ep.TenantIssuer() {
			// A multi-tenant issuer (Microsoft's common endpoint) would accept every tenant's
			// users: a connection is to one organization's directory.
			return Connection{}, "", multiTenantIssuer()
		}
		if err != nil {
			warning = "The issuer's discovery document could not be read (" + err.Error() + "); set authorization_url, token_url and jwks_url."
		} else {
			discovered = &ep
		}
	}
	var secret string
	if p.ClientSecret != nil {
		secret = strings.TrimSpace(*p.ClientSecret)
		if len(secret) > 1024 {
			return Connection{}, "", latchkey.BadRequest("invalid_client_secret", "client_secret is too long.")
		}
	}
	c, err := s.update(ctx, orgID, connectionID, OIDC, func(c *Connection, _ time.Time) error {
		set(&c.DisplayName, p.DisplayName)
		set(&c.ClientID, p.ClientID)
		set(&c.Issuer, p.Issuer)
		set(&c.AuthorizationURL, p.AuthorizationURL)
		set(&c.TokenURL, p.TokenURL)
		set(&c.UserinfoURL, p.UserinfoURL)
		set(&c.JWKSURL, p.JWKSURL)
		set(&c.IdentityProvider, p.IdentityProvider)
		set(&c.CustomScopes, p.CustomScopes)
		if p.AttributeMapping != nil {
			c.AttributeMapping = *p.AttributeMapping
		}
		if discovered != nil {
			c.AuthorizationURL, c.TokenURL, c.UserinfoURL, c.JWKSURL = discovered.AuthorizationURL, discovered.TokenURL, discovered.UserinfoURL, discovered.JWKSURL
			c.LastDiscoveredFrom = c.Issuer
		}
		if strings.Contains(c.Issuer, "{tenantid}") {
			return multiTenantIssuer()
		}
		for _, u := range []struct{ field, value string }{{"issuer", c.Issuer}, {"authorization_url", c.AuthorizationURL},
			{"token_url", c.TokenURL}, {"userinfo_url", c.UserinfoURL}, {"jwks_url", c.JWKSURL}} {
			if u.value == "" {
				continue
			}
			if err := s.Fetch.CheckURL(u.value); err != nil {
				return latchkey.BadRequest("invalid_"+u.field, "%s is not allowed: %v.", u.field, err)
			}
		}
		if p.ClientSecret != nil && secret != "" {
			sealed, err := s.Seal.Seal(ctx, []byte(secret), binding(*c, "oidc_client_secret"))
			if err != nil {
				return latchkey.Internal(err)
			}
			c.ClientSecret, c.ClientSecretFour = sealed, lastFour(secret)
		}
		return nil
	})
	return c, warning, err
}

func multiTenantIssuer() *latchkey.Error {
	return latchkey.BadRequest("oidc_connection_issuer_url_invalid_format",
		"issuer is a multi-tenant issuer, which would let any tenant's users in: use your tenant's own, such as https://login.microsoftonline.com/<tenant-id>/v2.0.")
}

func lastFour(s string) string {
	if len(s) <= 4 {
		return ""
	}
	return s[len(s)-4:]
}

// update is the read-modify-write of one connection, with the organization's summary.
func (s *Service) update(ctx context.Context, orgID, connectionID, protocol string, change func(*Connection, time.Time) error) (Connection, error) {
	org, err := s.Store.Organization(ctx, orgID)
	if err != nil {
		return Connection{}, latchkey.OrgErr(err)
	}
	prev, err := s.Store.SSOConnection(ctx, org.OrganizationID, connectionID)
	if errors.Is(err, latchkey.ErrNotFound) || err == nil && prev.Protocol != protocol {
		return Connection{}, connectionNotFound(protocol)
	}
	if err != nil {
		return Connection{}, err
	}
	now := s.Clock.Now()
	next := prev
	next.AttributeMapping = clone(prev.AttributeMapping)
	if err := change(&next, now); err != nil {
		return prev, err
	}
	if err := next.validate(); err != nil {
		return prev, err
	}
	next.settle()
	next.UpdatedAt = now
	// The organization item is written only when what it mirrors changed.
	var orgNext *latchkey.Organization
	if prev.Status != next.Status || next.Status == StatusActive && !summaryEqual(prev.Summary(), next.Summary()) {
		o := org
		s.summarize(&o, next)
		orgNext = &o
	}
	if err := s.Store.SaveSSOConnection(ctx, prev, next, orgNext); err != nil {
		return prev, writeErr(err)
	}
	next.Version = prev.Version + 1
	return next, nil
}

func summaryEqual(a, b latchkey.SSOConnection) bool {
	return a.DisplayName == b.DisplayName && a.IdentityProvider == b.IdentityProvider &&
		slices.Equal(a.ConnectionRoles, b.ConnectionRoles) && slices.Equal(a.GroupRoles, b.GroupRoles)
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Connections lists an organization's connections.
func (s *Service) Connections(ctx context.Context, orgID string) ([]Connection, error) {
	org, err := s.Store.Organization(ctx, orgID)
	if err != nil {
		return nil, latchkey.OrgErr(err)
	}
	return s.Store.SSOConnections(ctx, org.OrganizationID)
}

// DeleteConnection deletes a connection. It leaves the organization's active connections, its
// default and its JIT allow-list; members keep their registrations, which no longer grant
// roles.
func (s *Service) DeleteConnection(ctx context.Context, orgID, connectionID string) error {
	org, err := s.Store.Organization(ctx, orgID)
	if err != nil {
		return latchkey.OrgErr(err)
	}
	c, err := s.Store.SSOConnection(ctx, org.OrganizationID, connectionID)
	if errors.Is(err, latchkey.ErrNotFound) {
		return connectionNotFound("")
	}
	if err != nil {
		return err
	}
	if org.SSODefaultConnectionID != nil && *org.SSODefaultConnectionID == connectionID {
		return latchkey.BadRequest("cannot_delete_default_sso_connection",
			"This is the organization's default SSO connection: set sso_default_connection_id to another connection, or to \"\", first.")
	}
	next := org
	next.SSOActiveConnections = slices.DeleteFunc(slices.Clone(org.SSOActiveConnections), func(x latchkey.SSOConnection) bool {
		return x.ConnectionID == connectionID
	})
	next.SSOJITProvisioningAllowedConnections = slices.DeleteFunc(slices.Clone(org.SSOJITProvisioningAllowedConnections), func(id string) bool {
		return id == connectionID
	})
	return writeErr(s.Store.DeleteSSOConnection(ctx, c, next))
}

func writeErr(err error) error {
	switch latchkey.ConflictOn(err) {
	case "":
		return err
	case latchkey.ConflictOrganization:
		return latchkey.OrganizationNotFound()
	case ConflictConnection:
		return connectionNotFound("")
	}
	return latchkey.ConcurrentUpdate()
}
