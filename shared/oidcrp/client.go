package oidcrp

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// DefaultClockSkew is the tolerance on exp, iat and nbf when Client.ClockSkew is zero: five
// minutes, as go-oidc allows on nbf and Microsoft's libraries allow on every time claim.
const DefaultClockSkew = 5 * time.Minute

// defaultScopes are asked for when Client.Scopes is empty.
var defaultScopes = []string{oidc.ScopeOpenID, oidc.ScopeEmail, oidc.ScopeProfile}

// signingAlgs are every asymmetric algorithm go-oidc verifies. An IdP's
// id_token_signing_alg_values_supported is not needed to narrow them: go-jose only verifies a
// signature whose algorithm fits the JWKS key's type, and symmetric algorithms (HS256 keyed
// with a public key, the classic confusion) and "none" are never in the list.
var signingAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512,
	oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512,
	oidc.EdDSA,
}

// Client is one relying-party registration at one IdP. It is configuration only, safe to copy
// and to build per request.
type Client struct {
	Endpoints
	ClientID, ClientSecret, RedirectURL string
	// Scopes are sent as given, with openid put first when missing. Empty means openid email
	// profile.
	Scopes []string
	// AuthStyle is how the client authenticates at the token endpoint. The zero value tries
	// client_secret_basic and, if the token endpoint refuses it, client_secret_post.
	AuthStyle oauth2.AuthStyle
	// HTTP carries every request: token, JWKS and userinfo. Required.
	HTTP *http.Client
	// Now is the clock the ID token's times are checked against; nil means time.Now.
	Now func() time.Time
	// ClockSkew is the tolerance on exp, iat and nbf; zero means DefaultClockSkew.
	ClockSkew time.Duration
	// Keys, when set, shares JWKS keys between exchanges (see KeyCache). Nil fetches the JWKS
	// afresh for every exchange.
	Keys *KeyCache
}

func (c Client) scopes() []string {
	if len(c.Scopes) == 0 {
		return slices.Clone(defaultScopes)
	}
	out := []string{oidc.ScopeOpenID}
	for _, s := range c.Scopes {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func (c Client) oauth2Config() *oauth2.Config {
	return &oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   c.AuthorizationURL,
			TokenURL:  c.TokenURL,
			AuthStyle: c.AuthStyle,
		},
		RedirectURL: c.RedirectURL,
		Scopes:      c.scopes(),
	}
}

// reservedParams are the authorization request parameters this package owns: extra cannot
// replace them, so a caller's prompt or login_hint can never drop the nonce or the PKCE
// challenge, and secrets never go to the front channel.
var reservedParams = map[string]bool{
	"response_type": true, "client_id": true, "redirect_uri": true, "scope": true, "state": true,
	"nonce": true, "code_challenge": true, "code_challenge_method": true,
	"code_verifier": true, "client_secret": true,
}

// AuthCodeURL is where to send the browser: the authorization code flow with state, nonce and
// a PKCE S256 challenge derived from codeVerifier. state, nonce and codeVerifier should each be
// a fresh NewVerifier value, kept by the caller until the callback. extra adds parameters such
// as prompt, login_hint or domain_hint; the reserved ones are ignored. A parameter may appear
// only once (RFC 6749 §3.1), so several values of one key are joined with a space, the
// separator of prompt, acr_values and ui_locales.
func (c Client) AuthCodeURL(state, nonce, codeVerifier string, extra url.Values) string {
	opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(codeVerifier)}
	for k, vs := range extra {
		if reservedParams[k] || len(vs) == 0 {
			continue
		}
		opts = append(opts, oauth2.SetAuthURLParam(k, strings.Join(vs, " ")))
	}
	return c.oauth2Config().AuthCodeURL(state, opts...)
}

// Exchange redeems code with the PKCE verifier and verifies the ID token: signature by a key
// from JWKSURL, iss equal to Issuer, aud containing ClientID, azp equal to ClientID when present
// and required when there are several audiences, exp, iat and nbf within ClockSkew of Now,
// at_hash when present, and nonce equal to nonce (an empty nonce never matches). When
// UserinfoURL is set it then reads userinfo with the access token and requires the same sub.
//
// When Issuer is a tenant template (TenantIssuer), the ID token's tid is read before anything
// is verified, must be a GUID, and fills the template; the token is then verified against that
// exact issuer, and its verified tid must be the same. This is Microsoft's documented issuer
// validation for multi-tenant apps (see tenantIssuer).
//
// Claims are the ID token's, with userinfo filling only what the ID token lacks: the ID token
// is signed and bound to this login by the nonce, so its values win. Many IdPs (zitadel among
// them) put email and profile claims only in userinfo when an access token is issued, which
// OIDC Core §5.4 prescribes.
//
// The caller must have checked state before calling Exchange.
func (c Client) Exchange(ctx context.Context, code, codeVerifier, nonce string) (Identity, error) {
	if c.HTTP == nil {
		return Identity{}, fail(ReasonTokenExchange, "no HTTP client")
	}
	// go-oidc and x/oauth2 read their client from the same context key.
	ctx = oidc.ClientContext(ctx, c.HTTP)

	tok, err := c.oauth2Config().Exchange(ctx, code, oauth2.VerifierOption(codeVerifier))
	if err != nil {
		return Identity{}, &Error{Reason: ReasonTokenExchange, Cause: err}
	}
	rawIDToken, _ := tok.Extra("id_token").(string)
	if rawIDToken == "" {
		return Identity{}, fail(ReasonIDToken, "token response has no id_token")
	}

	template, tid := c.TenantIssuer(), ""
	if template {
		// From here on this exchange's issuer is the token's tenant's, for the ID token and
		// for a signed userinfo answer alike. c is a copy.
		if c.Issuer, tid, err = tenantIssuer(c.Issuer, rawIDToken); err != nil {
			return Identity{}, err
		}
	}

	// Without a cache, a key set per exchange keeps the package stateless; it costs one JWKS
	// fetch per login.
	var keys oidc.KeySet
	if c.Keys != nil {
		keys = c.Keys.keySet(c.JWKSURL, c.HTTP)
	} else {
		keys = oidc.NewRemoteKeySet(ctx, c.JWKSURL)
	}
	idToken, claims, err := c.verifyIDToken(ctx, keys, rawIDToken)
	if err != nil {
		return Identity{}, err
	}
	// Read before userinfo is merged in: the tenant must be the signed token's.
	tenantID, _ := claims["tid"].(string)
	if template && tenantID != tid {
		return Identity{}, fail(ReasonIDToken, "verified ID token tid %q is not the %q its issuer was chosen by", tenantID, tid)
	}
	if idToken.AccessTokenHash != "" {
		if err := idToken.VerifyAccessToken(tok.AccessToken); err != nil {
			return Identity{}, &Error{Reason: ReasonIDToken, Cause: err}
		}
	}
	if nonce == "" {
		return Identity{}, fail(ReasonNonce, "no nonce to compare the ID token's with")
	}
	if subtle.ConstantTimeCompare([]byte(idToken.Nonce), []byte(nonce)) != 1 {
		return Identity{}, fail(ReasonNonce, "ID token nonce is not the one sent")
	}

	if c.UserinfoURL != "" {
		info, err := c.userinfo(ctx, keys, tok)
		if err != nil {
			return Identity{}, err
		}
		if sub, _ := info["sub"].(string); sub != idToken.Subject {
			return Identity{}, fail(ReasonSubjectMismatch, "userinfo sub %q, ID token sub %q", sub, idToken.Subject)
		}
		for k, v := range info {
			if _, ok := claims[k]; !ok {
				claims[k] = v
			}
		}
	}

	id := Identity{
		Subject:      idToken.Subject,
		Issuer:       idToken.Issuer,
		TenantID:     tenantID,
		Claims:       claims,
		AccessToken:  tok.AccessToken,
		RefreshToken: tok.RefreshToken,
		IDToken:      rawIDToken,
		Expiry:       tok.Expiry,
		Scopes:       c.scopes(),
	}
	// RFC 6749 §5.1: scope is in the response when the grant differs from the request.
	if granted, _ := tok.Extra("scope").(string); strings.TrimSpace(granted) != "" {
		id.Scopes = strings.Fields(granted)
	}
	id.Email = id.Claim("email")
	id.EmailVerified = boolClaim(claims["email_verified"])
	id.Name = id.Claim("name")
	id.GivenName = id.Claim("given_name")
	id.FamilyName = id.Claim("family_name")
	return id, nil
}

func (c Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c Client) skew() time.Duration {
	if c.ClockSkew > 0 {
		return c.ClockSkew
	}
	return DefaultClockSkew
}

// verifyIDToken checks everything but the nonce and at_hash, and returns the token's claims.
func (c Client) verifyIDToken(ctx context.Context, keys oidc.KeySet, raw string) (*oidc.IDToken, map[string]any, error) {
	// go-oidc checks the signature, iss and aud. Its expiry check has no skew and it ignores
	// iat, so the times are checked below, all with the same skew.
	verifier := oidc.NewVerifier(c.Issuer, keys, &oidc.Config{
		ClientID:             c.ClientID,
		SupportedSigningAlgs: signingAlgs,
		SkipExpiryCheck:      true,
	})
	idToken, err := verifier.Verify(ctx, raw)
	if err != nil {
		return nil, nil, &Error{Reason: ReasonIDToken, Cause: err}
	}
	var payload json.RawMessage
	if err := idToken.Claims(&payload); err != nil {
		return nil, nil, &Error{Reason: ReasonIDToken, Cause: err}
	}
	var extra struct {
		AuthorizedParty string       `json:"azp"`
		NotBefore       *json.Number `json:"nbf"`
	}
	if err := json.Unmarshal(payload, &extra); err != nil {
		return nil, nil, fail(ReasonIDToken, "reading azp and nbf: %v", err)
	}
	claims, err := decodeClaims(payload)
	if err != nil {
		return nil, nil, &Error{Reason: ReasonIDToken, Cause: err}
	}

	if idToken.Subject == "" {
		return nil, nil, fail(ReasonIDToken, "ID token has no sub")
	}
	// OIDC Core §3.1.3.7 (3, 4): several audiences need an azp, and an azp must be us.
	if len(idToken.Audience) > 1 && extra.AuthorizedParty == "" {
		return nil, nil, fail(ReasonIDToken, "ID token has several audiences %q and no azp", idToken.Audience)
	}
	if extra.AuthorizedParty != "" && extra.AuthorizedParty != c.ClientID {
		return nil, nil, fail(ReasonIDToken, "ID token azp %q is not client %q", extra.AuthorizedParty, c.ClientID)
	}

	now, skew := c.now(), c.skew()
	switch {
	case idToken.Expiry.IsZero():
		return nil, nil, fail(ReasonIDToken, "ID token has no exp")
	case !now.Before(idToken.Expiry.Add(skew)):
		return nil, nil, fail(ReasonIDToken, "ID token expired at %v", idToken.Expiry)
	case idToken.IssuedAt.IsZero():
		return nil, nil, fail(ReasonIDToken, "ID token has no iat")
	case idToken.IssuedAt.After(now.Add(skew)):
		return nil, nil, fail(ReasonIDToken, "ID token issued in the future, at %v", idToken.IssuedAt)
	}
	if extra.NotBefore != nil {
		nbf, err := extra.NotBefore.Float64()
		if err != nil {
			return nil, nil, fail(ReasonIDToken, "ID token nbf: %v", err)
		}
		if t := time.Unix(int64(nbf), 0); t.After(now.Add(skew)) {
			return nil, nil, fail(ReasonIDToken, "ID token not valid before %v", t)
		}
	}
	return idToken, claims, nil
}

// userinfo reads the userinfo endpoint with the access token. A signed (application/jwt)
// answer is verified with the ID token's key set and, where it names them, its issuer and
// audience (OIDC Core §5.3.2).
func (c Client) userinfo(ctx context.Context, keys oidc.KeySet, tok *oauth2.Token) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.UserinfoURL, nil)
	if err != nil {
		return nil, &Error{Reason: ReasonUserinfo, Cause: err}
	}
	req.Header.Set("Accept", "application/json, application/jwt")
	tok.SetAuthHeader(req)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, &Error{Reason: ReasonUserinfo, Cause: err}
	}
	defer resp.Body.Close()
	body, err := readBody(resp.Body)
	if err != nil {
		return nil, &Error{Reason: ReasonUserinfo, Cause: err}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fail(ReasonUserinfo, "userinfo answered %s", resp.Status)
	}
	signed := false
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil && mt == "application/jwt" {
		if body, err = keys.VerifySignature(ctx, string(bytes.TrimSpace(body))); err != nil {
			return nil, &Error{Reason: ReasonUserinfo, Cause: err}
		}
		signed = true
	}
	info, err := decodeClaims(body)
	if err != nil {
		return nil, &Error{Reason: ReasonUserinfo, Cause: err}
	}
	if signed {
		if iss, ok := info["iss"]; ok && iss != c.Issuer {
			return nil, fail(ReasonUserinfo, "signed userinfo from issuer %v", iss)
		}
		if aud, ok := info["aud"]; ok && !slices.Contains(stringList(aud), c.ClientID) {
			return nil, fail(ReasonUserinfo, "signed userinfo for audience %v", aud)
		}
	}
	return info, nil
}

// decodeClaims keeps numbers as json.Number so that large numeric ids survive intact.
func decodeClaims(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}
