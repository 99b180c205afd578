package api

import (
	"net/http"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/sso"
)

type samlConnectionResponse struct {
	envelope
	Connection sso.WireSAML `json:"connection"`
}

type oidcConnectionResponse struct {
	envelope
	Connection sso.WireOIDC `json:"connection"`
	Warning    string       `json:"warning,omitempty"`
}

type ssoConnectionsResponse struct {
	envelope
	SAMLConnections     []sso.WireSAML `json:"saml_connections"`
	OIDCConnections     []sso.WireOIDC `json:"oidc_connections"`
	ExternalConnections []any          `json:"external_connections"`
}

type ssoDeleteResponse struct {
	envelope
	ConnectionID  string `json:"connection_id,omitempty"`
	CertificateID string `json:"certificate_id,omitempty"`
	PrivateKeyID  string `json:"private_key_id,omitempty"`
}

type ssoAuthenticateResponse struct {
	*authenticateResponse
	ResetSession bool `json:"reset_session"`
}

func (s *Server) ssoOrg(r *http.Request) string {
	id := r.PathValue("organization_id")
	setOrg(r, id)
	return id
}

func (s *Server) createSAMLConnection(r *http.Request) (stamper, error) {
	var req sso.CreateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	c, err := s.SSO.CreateSAML(r.Context(), s.ssoOrg(r), req)
	if err != nil {
		return nil, err
	}
	return &samlConnectionResponse{Connection: s.SSO.SAMLWire(c)}, nil
}

func (s *Server) updateSAMLConnection(r *http.Request) (stamper, error) {
	var req sso.SAMLPatch
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	var roles []string
	if req.ConnectionRoles != nil {
		roles = roleIDs(*req.ConnectionRoles, func(a latchkey.SSORole) string { return a.RoleID })
	}
	if req.GroupRoles != nil {
		roles = append(roles, roleIDs(*req.GroupRoles, func(a latchkey.SSOGroupRole) string { return a.RoleID })...)
	}
	if err := s.checkRoles(r, r.PathValue("organization_id"), roles); err != nil {
		return nil, err
	}
	c, err := s.SSO.UpdateSAML(r.Context(), s.ssoOrg(r), r.PathValue("connection_id"), req)
	if err != nil {
		return nil, err
	}
	return &samlConnectionResponse{Connection: s.SSO.SAMLWire(c)}, nil
}

func (s *Server) updateSAMLByURL(r *http.Request) (stamper, error) {
	var req struct {
		MetadataURL string `json:"metadata_url"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	c, err := s.SSO.UpdateSAMLByURL(r.Context(), s.ssoOrg(r), r.PathValue("connection_id"), req.MetadataURL)
	if err != nil {
		return nil, err
	}
	return &samlConnectionResponse{Connection: s.SSO.SAMLWire(c)}, nil
}

func (s *Server) deleteSAMLVerificationCertificate(r *http.Request) (stamper, error) {
	id := r.PathValue("certificate_id")
	if _, err := s.SSO.DeleteVerificationCertificate(r.Context(), s.ssoOrg(r), r.PathValue("connection_id"), id); err != nil {
		return nil, err
	}
	return &ssoDeleteResponse{CertificateID: id}, nil
}

func (s *Server) deleteSAMLEncryptionKey(r *http.Request) (stamper, error) {
	id := r.PathValue("private_key_id")
	if _, err := s.SSO.DeleteEncryptionPrivateKey(r.Context(), s.ssoOrg(r), r.PathValue("connection_id"), id); err != nil {
		return nil, err
	}
	return &ssoDeleteResponse{PrivateKeyID: id}, nil
}

func (s *Server) createOIDCConnection(r *http.Request) (stamper, error) {
	var req sso.CreateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	c, err := s.SSO.CreateOIDC(r.Context(), s.ssoOrg(r), req)
	if err != nil {
		return nil, err
	}
	return &oidcConnectionResponse{Connection: s.SSO.OIDCWire(c)}, nil
}

func (s *Server) updateOIDCConnection(r *http.Request) (stamper, error) {
	var req sso.OIDCPatch
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	c, warning, err := s.SSO.UpdateOIDC(r.Context(), s.ssoOrg(r), r.PathValue("connection_id"), req)
	if err != nil {
		return nil, err
	}
	return &oidcConnectionResponse{Connection: s.SSO.OIDCWire(c), Warning: warning}, nil
}

func (s *Server) getSSOConnections(r *http.Request) (stamper, error) {
	cs, err := s.SSO.Connections(r.Context(), s.ssoOrg(r))
	if err != nil {
		return nil, err
	}
	out := &ssoConnectionsResponse{SAMLConnections: []sso.WireSAML{}, OIDCConnections: []sso.WireOIDC{}, ExternalConnections: []any{}}
	for _, c := range cs {
		if c.Protocol == sso.SAML {
			out.SAMLConnections = append(out.SAMLConnections, s.SSO.SAMLWire(c))
		} else {
			out.OIDCConnections = append(out.OIDCConnections, s.SSO.OIDCWire(c))
		}
	}
	return out, nil
}

func (s *Server) deleteSSOConnection(r *http.Request) (stamper, error) {
	id := r.PathValue("connection_id")
	if err := s.SSO.DeleteConnection(r.Context(), s.ssoOrg(r), id); err != nil {
		return nil, err
	}
	return &ssoDeleteResponse{ConnectionID: id}, nil
}

func (s *Server) ssoAuthenticate(r *http.Request) (stamper, error) {
	var req sso.AuthenticateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	res, err := s.SSO.Authenticate(r.Context(), req)
	if err != nil {
		return nil, err
	}
	setOrg(r, res.Organization.OrganizationID)
	return &ssoAuthenticateResponse{authenticateResponse: s.primaryBody(r, res)}, nil
}

// redirectResponse is the body of a browser route's redirect, as Stytch's start answers it.
type redirectResponse struct {
	envelope
	RedirectURL string `json:"redirect_url"`
}

// browser serves a browser-facing route: a 302 to where the flow goes next, or the error in
// Stytch's shape.
func browser(next func(s *Server, r *http.Request) (string, error)) func(s *Server, w http.ResponseWriter, r *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		to, err := next(s, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		// The page that redirects must not be cached or framed: it carries a one-time token.
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Location", to)
		writeJSON(w, r, http.StatusFound, &redirectResponse{RedirectURL: to})
	}
}

func (s *Server) ssoStart(r *http.Request) (string, error) {
	q := r.URL.Query()
	setOrg(r, q.Get("organization_id"))
	return s.SSO.Start(r.Context(), sso.StartRequest{ConnectionID: q.Get("connection_id"), OrganizationID: q.Get("organization_id"),
		PublicToken: q.Get("public_token"), LoginRedirectURL: q.Get("login_redirect_url"), SignupRedirect: q.Get("signup_redirect_url"),
		PKCECodeChallenge: q.Get("pkce_code_challenge")})
}

// maxSAMLForm bounds a posted SAML response form; samlsp bounds the decoded XML again.
const maxSAMLForm = 512 << 10

func (s *Server) ssoSAMLCallback(r *http.Request) (string, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxSAMLForm)
	if err := r.ParseForm(); err != nil {
		return "", badForm()
	}
	return s.SSO.SAMLCallback(r.Context(), r.PathValue("connection_id"), r.PostForm.Get("SAMLResponse"), r.PostForm.Get("RelayState"))
}

func badForm() error {
	return latchkey.BadRequest("invalid_saml_response", "The SAML response form could not be read (at most %d bytes).", maxSAMLForm)
}

func (s *Server) ssoOIDCCallback(r *http.Request) (string, error) {
	q := r.URL.Query()
	return s.SSO.OIDCCallback(r.Context(), r.PathValue("connection_id"), q.Get("code"), q.Get("state"), q.Get("error"))
}
