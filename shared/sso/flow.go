package sso

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/oidcrp"
	"github.com/latchkey/latchkey/shared/samlsp"
	"github.com/latchkey/latchkey/shared/secret"
)

// StartRequest is the query of GET /v1/public/sso/start.
type StartRequest struct {
	ConnectionID      string
	OrganizationID    string
	PublicToken       string
	LoginRedirectURL  string
	SignupRedirect    string
	PKCECodeChallenge string
}

// Start begins a login through a connection: it keeps the flow's state and returns where to
// send the browser, the identity provider's login with a signed SAML AuthnRequest or an OIDC
// authorization request.
func (s *Service) Start(ctx context.Context, r StartRequest) (string, error) {
	if err := authn.CheckPublicToken(s.PublicToken, r.PublicToken); err != nil {
		return "", err
	}
	if err := authn.ValidatePKCEChallenge(r.PKCECodeChallenge); err != nil {
		return "", err
	}
	login, err := s.Redirects.ResolveFor("sso", "login", r.LoginRedirectURL)
	if err != nil {
		return "", err
	}
	signup, err := s.Redirects.ResolveFor("sso", "signup", r.SignupRedirect)
	if err != nil {
		return "", err
	}
	c, err := s.startConnection(ctx, r)
	if err != nil {
		return "", err
	}
	if c.Status != StatusActive {
		return "", connectionInactive()
	}
	token, hash := secret.New()
	now := s.Clock.Now()
	st := State{Hash: hash, OrganizationID: c.OrganizationID, ConnectionID: c.ConnectionID, LoginRedirect: login,
		SignupRedirect: signup, PKCEChallenge: r.PKCECodeChallenge, CreatedAt: now, ExpiresAt: now.Add(StateLifetime)}
	var to string
	switch c.Protocol {
	case SAML:
		sp, err := s.serviceProvider(ctx, c, false)
		if err != nil {
			return "", err
		}
		if to, st.RequestID, err = sp.AuthnRequest(token); err != nil {
			return "", latchkey.Internal(err)
		}
	case OIDC:
		// The authorization request needs no client secret: it is not opened here.
		cl, err := s.oidcClient(ctx, c, false)
		if err != nil {
			return "", err
		}
		st.Nonce, _ = secret.New()
		st.Verifier = oidcrp.NewVerifier()
		to = cl.AuthCodeURL(token, st.Nonce, st.Verifier, nil)
	}
	if err := s.Store.PutSSOState(ctx, st); err != nil {
		return "", err
	}
	return to, nil
}

// startConnection finds the connection a start names, or the organization's default.
func (s *Service) startConnection(ctx context.Context, r StartRequest) (Connection, error) {
	switch {
	case r.ConnectionID != "" && r.OrganizationID != "":
		return Connection{}, latchkey.BadRequest("too_many_sso_connection_locators", "Give connection_id or organization_id, not both.")
	case r.ConnectionID != "":
		c, err := s.Store.SSOConnectionByID(ctx, r.ConnectionID)
		if errors.Is(err, latchkey.ErrNotFound) {
			return c, connectionNotFound("")
		}
		return c, err
	case r.OrganizationID == "":
		return Connection{}, latchkey.BadRequest("missing_sso_connection_locator", "connection_id or organization_id is required.")
	}
	org, err := s.Store.Organization(ctx, r.OrganizationID)
	if err != nil {
		return Connection{}, latchkey.OrgErr(err)
	}
	id := ""
	switch {
	case org.SSODefaultConnectionID != nil:
		id = *org.SSODefaultConnectionID
	case len(org.SSOActiveConnections) == 1:
		id = org.SSOActiveConnections[0].ConnectionID
	case len(org.SSOActiveConnections) == 0:
		return Connection{}, latchkey.BadRequest("no_sso_connection_exists_for_organization", "The organization has no active SSO connection.")
	default:
		return Connection{}, latchkey.BadRequest("indeterminate_sso_connection_for_organization",
			"The organization has several SSO connections and no sso_default_connection_id: give connection_id.")
	}
	c, err := s.Store.SSOConnection(ctx, org.OrganizationID, id)
	if errors.Is(err, latchkey.ErrNotFound) {
		return c, connectionNotFound("")
	}
	return c, err
}

// serviceProvider is the SAML service provider of a connection, with its keys opened: the
// signing key to start a login, the encryption keys to read a response.
func (s *Service) serviceProvider(ctx context.Context, c Connection, forResponse bool) (samlsp.SP, error) {
	sp := samlsp.SP{EntityID: s.AudienceURI(c.ConnectionID), ACSURL: s.CallbackURL(c.ConnectionID), AltAudience: c.AlternativeAudienceURI,
		IdPEntityID: c.IdPEntityID, IdPSSOURL: c.IdPSSOURL, NameIDFormat: c.nameIDFormat(), Now: s.Clock.Now, Skew: ClockSkew}
	for _, vc := range c.VerificationCerts {
		cert, err := samlsp.ParseCertificate(vc.Certificate)
		if err != nil {
			return sp, latchkey.Internal(err)
		}
		sp.IdPCerts = append(sp.IdPCerts, cert)
	}
	if !forResponse {
		keyPEM, err := s.Seal.Open(ctx, c.SigningKey, binding(c, "saml_signing_key"))
		if err != nil {
			return sp, latchkey.Internal(err)
		}
		if sp.SigningKey, err = samlsp.ParsePrivateKey(string(keyPEM)); err != nil {
			return sp, latchkey.Internal(err)
		}
		if sp.SigningCert, err = samlsp.ParseCertificate(c.SigningCert.Certificate); err != nil {
			return sp, latchkey.Internal(err)
		}
		return sp, nil
	}
	// The newest encryption key decrypts: the one the provider was last given.
	if n := len(c.EncryptionKeys); n > 0 {
		keyPEM, err := s.Seal.Open(ctx, c.EncryptionKeys[n-1].Sealed, binding(c, "saml_encryption_key"))
		if err != nil {
			return sp, latchkey.Internal(err)
		}
		if sp.EncryptionKey, err = samlsp.ParsePrivateKey(string(keyPEM)); err != nil {
			return sp, latchkey.Internal(err)
		}
	}
	return sp, nil
}

func (s *Service) oidcClient(ctx context.Context, c Connection, withSecret bool) (oidcrp.Client, error) {
	cl := oidcrp.Client{Endpoints: oidcrp.Endpoints{Issuer: c.Issuer, AuthorizationURL: c.AuthorizationURL, TokenURL: c.TokenURL,
		UserinfoURL: c.UserinfoURL, JWKSURL: c.JWKSURL}, ClientID: c.ClientID, RedirectURL: s.CallbackURL(c.ConnectionID),
		HTTP: s.Fetch.Client(), Now: s.Clock.Now, ClockSkew: ClockSkew}
	if c.CustomScopes != "" {
		cl.Scopes = strings.Fields(strings.ReplaceAll(c.CustomScopes, "+", " "))
	}
	if !withSecret {
		return cl, nil
	}
	secretBytes, err := s.Seal.Open(ctx, c.ClientSecret, binding(c, "oidc_client_secret"))
	if err != nil {
		return cl, latchkey.Internal(err)
	}
	cl.ClientSecret = string(secretBytes)
	return cl, nil
}

// SAMLCallback verifies a SAML response posted to a connection's ACS URL and returns where to
// send the browser: the application's redirect URL with the SSO token. relayState is the
// state of an SP-initiated login; a response without one of ours is IdP-initiated and lands
// on the default redirect URL, unless the connection disables that.
func (s *Service) SAMLCallback(ctx context.Context, connectionID, samlResponse, relayState string) (string, error) {
	if samlResponse == "" {
		return "", latchkey.BadRequest("missing_saml_response", "The request carries no SAMLResponse.")
	}
	c, st, err := s.callbackRead(ctx, connectionID, relayState)
	if err != nil {
		return "", err
	}
	if c.Protocol != SAML {
		return "", connectionNotFound(SAML)
	}
	if c.Status != StatusActive {
		return "", connectionInactive()
	}
	if st == nil && c.IdPInitiatedDisabled {
		return "", latchkey.BadRequest("unsolicited_saml_response", "This connection does not accept IdP-initiated logins: start the login from the application.")
	}
	sp, err := s.serviceProvider(ctx, c, true)
	if err != nil {
		return "", err
	}
	expected := ""
	if st != nil {
		expected = st.RequestID
	}
	a, err := sp.Verify(samlResponse, expected)
	if err != nil {
		return "", samlErr(err)
	}
	email := a.First(c.mapped("email"))
	if email == "" && strings.Contains(a.NameID, "@") {
		email = a.NameID
	}
	norm, err := latchkey.NormalizeEmail(email)
	if err != nil {
		return "", latchkey.BadRequest("invalid_saml_response_email", "The identity provider asserted no usable email address (attribute %q or an email NameID).", c.mapped("email"))
	}
	if a.NameID == "" {
		return "", invalidSAML("the assertion has no NameID")
	}
	tok := Token{Email: norm, Subject: a.NameID, Protocol: SAML, Groups: boundedList(a.Attributes[c.mapped("groups")]),
		Attributes: map[string]any{}, FirstName: a.First(c.mapped("first_name")), LastName: a.First(c.mapped("last_name"))}
	if full := a.First(c.mapped("full_name")); full != "" && tok.FirstName == "" && tok.LastName == "" {
		tok.FirstName = full
	}
	for name, vs := range a.Attributes {
		if vs = boundedList(vs); len(tok.Attributes) < maxAttributes && len(vs) > 0 && len(name) <= maxValueLength {
			tok.Attributes[name] = attributeValue(vs)
		}
	}
	until := a.NotOnOrAfter
	if until.IsZero() {
		until = s.Clock.Now().Add(StateLifetime)
	}
	return s.complete(ctx, c, st, a.ID, until.Add(ClockSkew), tok)
}

// OIDCCallback redeems an OIDC authorization code (the provider's redirect back) and returns
// where to send the browser.
func (s *Service) OIDCCallback(ctx context.Context, connectionID, code, state, providerError string) (string, error) {
	if state == "" {
		return "", latchkey.BadRequest("missing_oidc_state_param", "The callback carries no state.")
	}
	c, st, err := s.callbackRead(ctx, connectionID, state)
	if err != nil {
		return "", err
	}
	if c.Protocol != OIDC {
		return "", connectionNotFound(OIDC)
	}
	if st == nil {
		return "", latchkey.BadRequest("unsolicited_oidc_response", "This login is unknown, expired or already finished; start it again from the application.")
	}
	if providerError != "" {
		return "", latchkey.BadRequest("oidc_auth_code_error", "The identity provider refused the login: %s.", providerError)
	}
	if code == "" {
		return "", latchkey.BadRequest("oidc_invalid_callback_request", "The callback carries no code.")
	}
	if c.Status != StatusActive {
		return "", connectionInactive()
	}
	cl, err := s.oidcClient(ctx, c, true)
	if err != nil {
		return "", err
	}
	id, err := cl.Exchange(ctx, code, st.Verifier, st.Nonce)
	if err != nil {
		return "", oidcErr(err)
	}
	email := id.Claim(c.mapped("email"))
	if email == "" {
		return "", latchkey.BadRequest("oidc_response_email_missing", "The identity provider sent no email (claim %q).", c.mapped("email"))
	}
	if id.EmailVerified != nil && !*id.EmailVerified {
		return "", latchkey.BadRequest("oidc_response_unverified_email", "The identity provider says the email address is not verified.")
	}
	norm, err := latchkey.NormalizeEmail(email)
	if err != nil {
		return "", latchkey.BadRequest("oidc_response_email_missing", "The identity provider sent no usable email.")
	}
	if id.Subject == "" {
		return "", latchkey.BadRequest("oidc_response_subject_missing", "The ID token has no sub.")
	}
	tok := Token{Email: norm, Subject: id.Subject, Protocol: OIDC, Groups: boundedList(id.ClaimList(c.mapped("groups"))),
		FirstName: id.Claim(c.mapped("first_name")), LastName: id.Claim(c.mapped("last_name")), Attributes: map[string]any{}}
	if full := id.Claim(c.mapped("full_name")); full != "" && tok.FirstName == "" && tok.LastName == "" {
		tok.FirstName = full
	}
	if tok.FirstName == "" && tok.LastName == "" {
		tok.FirstName = id.Name
	}
	for k, v := range id.Claims {
		if len(tok.Attributes) >= maxAttributes || len(k) > maxValueLength {
			continue
		}
		// Only flat values are kept: strings, numbers, booleans and lists of strings.
		switch val := v.(type) {
		case string:
			if len(val) <= maxValueLength {
				tok.Attributes[k] = val
			}
		case bool, json.Number, float64:
			tok.Attributes[k] = val
		default:
			if list := boundedList(id.ClaimList(k)); len(list) > 0 {
				tok.Attributes[k] = list
			}
		}
	}
	return s.complete(ctx, c, st, "", time.Time{}, tok)
}

// Bounds on what a provider's attributes and groups may add to the token and the member, whose
// item every session check reads.
const (
	maxAttributes  = 50
	maxValues      = 100
	maxValueLength = 1024
)

// boundedList keeps at most maxValues values of at most maxValueLength characters.
func boundedList(vs []string) []string {
	out := make([]string, 0, min(len(vs), maxValues))
	for _, v := range vs {
		if len(out) < maxValues && len(v) <= maxValueLength {
			out = append(out, v)
		}
	}
	return out
}

func attributeValue(vs []string) any {
	if len(vs) == 1 {
		return vs[0]
	}
	return vs
}

// callbackRead reads the connection and, when the callback carries one, the flow's state, side
// by side. A state of another connection, or expired, is no state.
func (s *Service) callbackRead(ctx context.Context, connectionID, stateToken string) (Connection, *State, error) {
	type stateRead struct {
		st  State
		err error
	}
	ch := make(chan stateRead, 1)
	if stateToken != "" {
		go func() {
			st, err := s.Store.SSOState(ctx, secret.Hash(stateToken))
			ch <- stateRead{st, err}
		}()
	} else {
		ch <- stateRead{err: latchkey.ErrNotFound}
	}
	c, err := s.Store.SSOConnectionByID(ctx, connectionID)
	sr := <-ch
	if errors.Is(err, latchkey.ErrNotFound) {
		return c, nil, connectionNotFound("")
	}
	if err != nil {
		return c, nil, err
	}
	if sr.err != nil && !errors.Is(sr.err, latchkey.ErrNotFound) {
		return c, nil, sr.err
	}
	if sr.err != nil || sr.st.ConnectionID != c.ConnectionID || sr.st.OrganizationID != c.OrganizationID || !s.Clock.Now().Before(sr.st.ExpiresAt) {
		return c, nil, nil
	}
	return c, &sr.st, nil
}

// complete writes the SSO token (consuming the state and the assertion) and returns the
// application's URL with it: the login redirect for a member that exists, the signup
// redirect for one that would be created, the default for an IdP-initiated login.
func (s *Service) complete(ctx context.Context, c Connection, st *State, assertionID string, until time.Time, tok Token) (string, error) {
	now := s.Clock.Now()
	token, hash := secret.New()
	tok.Hash, tok.OrganizationID, tok.ConnectionID, tok.CreatedAt, tok.ExpiresAt = hash, c.OrganizationID, c.ConnectionID, now, now.Add(TokenLifetime)
	redirect := s.Redirects.Default
	if st != nil {
		tok.PKCEChallenge = st.PKCEChallenge
		redirect = st.LoginRedirect
		if st.SignupRedirect != st.LoginRedirect {
			_, err := s.Store.MemberIDByEmail(ctx, c.OrganizationID, tok.Email)
			if errors.Is(err, latchkey.ErrNotFound) {
				redirect = st.SignupRedirect
			} else if err != nil {
				return "", err
			}
		}
	}
	if redirect == "" {
		return "", latchkey.BadRequest("no_default_login_redirect_url_set", "No default redirect URL is configured for IdP-initiated logins.")
	}
	cb := Completion{Connection: c, AssertionID: assertionID, AssertionUntil: until, Token: tok, Now: now}
	if st != nil {
		cb.StateHash = st.Hash
	}
	switch err := s.Store.CompleteSSOCallback(ctx, cb); latchkey.ConflictOn(err) {
	case "":
		if err != nil {
			return "", err
		}
	case ConflictReplay:
		return "", latchkey.BadRequest("duplicate_saml_response", "This SAML response was already used.")
	case ConflictState:
		return "", latchkey.BadRequest("unsolicited_"+c.Protocol+"_response", "This login was already finished; start it again from the application.")
	case ConflictConnection:
		return "", connectionNotFound("")
	default:
		return "", latchkey.ConcurrentUpdate()
	}
	return authn.LinkURL(redirect, "sso", token), nil
}

func invalidSAML(reason string) *latchkey.Error {
	return latchkey.BadRequest("invalid_saml_response", "The SAML response could not be verified: %s.", reason)
}

// samlErr names a verification failure as Stytch does.
func samlErr(err error) error {
	var e *samlsp.Error
	if !errors.As(err, &e) {
		return latchkey.Internal(err)
	}
	types := map[string]string{
		samlsp.ReasonSignature: "invalid_signature_saml_response", samlsp.ReasonUnsignedAssertion: "missing_signature_saml_response",
		samlsp.ReasonAudience: "invalid_audience_saml_response", samlsp.ReasonExpired: "expired_saml_response",
		samlsp.ReasonNotYetValid: "not_yet_valid_saml_response", samlsp.ReasonInResponseTo: "unsolicited_saml_response",
		samlsp.ReasonMalformed: "invalid_xml_saml_response", samlsp.ReasonStatus: "failed_saml_response",
	}
	if t, ok := types[e.Reason]; ok {
		return latchkey.Errorf(http.StatusBadRequest, t, "The SAML response could not be verified: %v.", e)
	}
	return invalidSAML(e.Error())
}

// oidcErr names an OIDC failure as Stytch does.
func oidcErr(err error) error {
	var e *oidcrp.Error
	if !errors.As(err, &e) {
		return latchkey.Internal(err)
	}
	switch e.Reason {
	case oidcrp.ReasonTokenExchange:
		return latchkey.BadRequest("oidc_auth_code_error", "The identity provider did not accept the authorization code: %v.", e)
	case oidcrp.ReasonUserinfo:
		return latchkey.BadRequest("oidc_invalid_userinfo", "The identity provider's userinfo could not be read: %v.", e)
	case oidcrp.ReasonSubjectMismatch:
		return latchkey.BadRequest("oidc_response_subject_mismatch", "The userinfo subject is not the ID token's.")
	case oidcrp.ReasonNonce:
		return latchkey.BadRequest("id_token_nonce_invalid", "The ID token was not issued for this login.")
	}
	return latchkey.BadRequest("id_token_invalid", "The ID token could not be verified: %v.", e)
}
