package oidcrp_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/zitadel/oidc/v3/example/server/storage"

	"github.com/latchkey/latchkey/shared/oidcrp"
)

// redirectURL is registered at the OP but never served: the test browser stops there.
const redirectURL = "https://rp.example/v1/sso/callback"

func TestMain(m *testing.M) {
	// zitadel's client registry is package-level state shared by every OP in this binary.
	storage.RegisterClients(
		storage.WebClient("web", "secret", redirectURL),
		storage.WebClient("other", "secret", redirectURL),
	)
	os.Exit(m.Run())
}

func httpClient() *http.Client { return &http.Client{Timeout: 10 * time.Second} }

// rpFor discovers op and returns a client registered there as clientID.
func rpFor(t *testing.T, op *testOP, clientID string) oidcrp.Client {
	t.Helper()
	ep, err := oidcrp.Discover(context.Background(), httpClient(), op.Issuer)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	return oidcrp.Client{Endpoints: ep, ClientID: clientID, ClientSecret: "secret", RedirectURL: redirectURL, HTTP: httpClient()}
}

// login runs the browser leg for rp and returns the authorization code, checking state.
func login(t *testing.T, op *testOP, rp oidcrp.Client, nonce, verifier string) string {
	t.Helper()
	state := oidcrp.NewVerifier()
	callback := loginAtTestOP(t, rp.AuthCodeURL(state, nonce, verifier, nil), rp.RedirectURL, testUser(op.Issuer), testOPPassword)
	q := callback.Query()
	if q.Get("state") != state {
		t.Fatalf("callback state %q, sent %q", q.Get("state"), state)
	}
	if q.Get("code") == "" {
		t.Fatalf("callback has no code: %s", callback)
	}
	return q.Get("code")
}

func wantReason(t *testing.T, err error, reason string) {
	t.Helper()
	var e *oidcrp.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *oidcrp.Error with reason %q", err, err, reason)
	}
	if e.Reason != reason {
		t.Fatalf("reason %q (%v), want %q", e.Reason, err, reason)
	}
	t.Log(err)
}

func TestDiscover(t *testing.T) {
	op := startTestOP(t)
	for _, issuer := range []string{op.Issuer, op.Issuer + "/"} {
		ep, err := oidcrp.Discover(context.Background(), httpClient(), issuer)
		if err != nil {
			t.Fatalf("Discover(%q): %v", issuer, err)
		}
		// The document's own form, which is what iss carries, whatever form was configured.
		if ep.Issuer != op.Issuer {
			t.Errorf("Discover(%q).Issuer = %q, want %q", issuer, ep.Issuer, op.Issuer)
		}
		if ep.AuthorizationURL != op.Issuer+"/auth" {
			t.Errorf("AuthorizationURL = %q", ep.AuthorizationURL)
		}
		for name, u := range map[string]string{"token": ep.TokenURL, "userinfo": ep.UserinfoURL, "jwks": ep.JWKSURL} {
			if !strings.HasPrefix(u, op.Issuer+"/") {
				t.Errorf("%s URL %q is not under the issuer", name, u)
			}
		}
	}
}

// TestDiscoverRefuses refuses discovery documents whose issuer is not the configured one, or
// that lack the endpoints a login needs.
func TestDiscoverRefuses(t *testing.T) {
	var doc map[string]any
	var status int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" || status != 0 {
			http.Error(w, "nope", max(status, http.StatusNotFound))
			return
		}
		writeJSON(w, doc)
	}))
	defer srv.Close()
	good := func() map[string]any {
		return map[string]any{
			"issuer": srv.URL, "authorization_endpoint": srv.URL + "/auth", "token_endpoint": srv.URL + "/token",
			"jwks_uri": srv.URL + "/jwks", "userinfo_endpoint": srv.URL + "/userinfo",
		}
	}
	cases := []struct {
		name   string
		issuer string
		edit   func(map[string]any)
		status int
		client *http.Client
	}{
		{name: "another issuer", edit: func(d map[string]any) { d["issuer"] = "https://evil.example" }},
		{name: "issuer with a path added", edit: func(d map[string]any) { d["issuer"] = srv.URL + "/tenant" }},
		{name: "issuer in another case", edit: func(d map[string]any) { d["issuer"] = strings.ToUpper(srv.URL) }},
		// A tenant template vouched for by another origin than the one asked.
		{name: "tenant template on another host", edit: func(d map[string]any) { d["issuer"] = "https://evil.example/{tenantid}/v2.0" }},
		{name: "tenant template on another port", edit: func(d map[string]any) { d["issuer"] = "http://127.0.0.1:1/{tenantid}/v2.0" }},
		{
			name: "tenant template on another scheme",
			edit: func(d map[string]any) {
				d["issuer"] = strings.Replace(srv.URL, "http:", "https:", 1) + "/{tenantid}/v2.0"
			},
		},
		{name: "tenant template with a query", edit: func(d map[string]any) { d["issuer"] = srv.URL + "/{tenantid}/v2.0?x=1" }},
		{name: "tenant placeholder in another case", edit: func(d map[string]any) { d["issuer"] = srv.URL + "/{TenantId}/v2.0" }},
		{name: "no jwks_uri", edit: func(d map[string]any) { delete(d, "jwks_uri") }},
		{name: "no token_endpoint", edit: func(d map[string]any) { delete(d, "token_endpoint") }},
		{name: "no authorization_endpoint", edit: func(d map[string]any) { delete(d, "authorization_endpoint") }},
		{name: "not found", status: http.StatusNotFound},
		{name: "server error", status: http.StatusInternalServerError},
		{name: "issuer not http", issuer: "ftp://idp.example"},
		{name: "issuer with query", issuer: srv.URL + "?tenant=1"},
		{name: "issuer not a URL", issuer: "idp.example"},
		{name: "no HTTP client", client: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, status = good(), tc.status
			if tc.edit != nil {
				tc.edit(doc)
			}
			issuer := tc.issuer
			if issuer == "" {
				issuer = srv.URL
			}
			client := tc.client
			if client == nil && tc.name != "no HTTP client" {
				client = httpClient()
			}
			_, err := oidcrp.Discover(context.Background(), client, issuer)
			wantReason(t, err, oidcrp.ReasonDiscovery)
		})
	}
	t.Run("control", func(t *testing.T) {
		doc, status = good(), 0
		if _, err := oidcrp.Discover(context.Background(), httpClient(), srv.URL); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCodeFlow(t *testing.T) {
	op := startTestOP(t)
	rp := rpFor(t, op, "web")
	nonce, verifier := oidcrp.NewVerifier(), oidcrp.NewVerifier()
	code := login(t, op, rp, nonce, verifier)

	id, err := rp.Exchange(context.Background(), code, verifier, nonce)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if id.Subject != "id1" || id.Issuer != op.Issuer {
		t.Errorf("subject %q issuer %q", id.Subject, id.Issuer)
	}
	if id.Email != "test-user@zitadel.ch" || id.EmailVerified == nil || !*id.EmailVerified {
		t.Errorf("email %q verified %v", id.Email, id.EmailVerified)
	}
	if id.Name != "Test User" || id.GivenName != "Test" || id.FamilyName != "User" {
		t.Errorf("name %q given %q family %q", id.Name, id.GivenName, id.FamilyName)
	}
	if id.AccessToken == "" || id.IDToken == "" || !id.Expiry.After(time.Now()) {
		t.Errorf("access token %q, ID token %q, expiry %v", id.AccessToken, id.IDToken, id.Expiry)
	}
	for _, s := range []string{"openid", "email", "profile"} {
		if !slices.Contains(id.Scopes, s) {
			t.Errorf("scopes %q lack %q", id.Scopes, s)
		}
	}
	if got := id.Claim("preferred_username"); got != testUser(op.Issuer) {
		t.Errorf("preferred_username %q", got)
	}
	if id.Claim("nonce") != nonce || id.Claim("azp") != "web" {
		t.Errorf("ID token claims missing from Claims: nonce %q azp %q", id.Claim("nonce"), id.Claim("azp"))
	}
	// zitadel keeps email and profile out of the ID token when it issues an access token
	// (OIDC Core §5.4), so these came from userinfo.
	idClaims := jwtPayload(t, id.IDToken)
	for _, c := range []string{"email", "name", "given_name"} {
		if _, ok := idClaims[c]; ok {
			t.Errorf("ID token already holds %q; the merge is not exercised", c)
		}
	}

	// Codes are single use.
	_, err = rp.Exchange(context.Background(), code, verifier, nonce)
	wantReason(t, err, oidcrp.ReasonTokenExchange)
}

// TestCodeFlowWithoutUserinfo shows what the ID token alone carries at zitadel.
func TestCodeFlowWithoutUserinfo(t *testing.T) {
	op := startTestOP(t)
	rp := rpFor(t, op, "web")
	rp.UserinfoURL = ""
	nonce, verifier := oidcrp.NewVerifier(), oidcrp.NewVerifier()
	id, err := rp.Exchange(context.Background(), login(t, op, rp, nonce, verifier), verifier, nonce)
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "id1" || id.Email != "" || id.EmailVerified != nil {
		t.Errorf("subject %q email %q verified %v", id.Subject, id.Email, id.EmailVerified)
	}
}

func TestExchangeRefuses(t *testing.T) {
	op := startTestOP(t)

	emptyJWKS := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"keys": []any{}})
	}))
	defer emptyJWKS.Close()
	unauthorized := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "invalid_token", http.StatusUnauthorized)
	}))
	defer unauthorized.Close()

	// An ID token the OP issued to another of its clients, for the same user and nonce.
	sharedNonce := oidcrp.NewVerifier()
	other := rpFor(t, op, "other")
	otherVerifier := oidcrp.NewVerifier()
	otherID, err := other.Exchange(context.Background(), login(t, op, other, sharedNonce, otherVerifier), otherVerifier, sharedNonce)
	if err != nil {
		t.Fatalf("exchange for the other client: %v", err)
	}

	ahead := func(d time.Duration) func() time.Time { return func() time.Time { return time.Now().Add(d) } }
	cases := []struct {
		name string
		// edit changes the RP before the exchange (the login itself uses the good RP).
		edit func(rp *oidcrp.Client)
		// nonce and verifier sent to Exchange; empty means those of the login.
		nonce, verifier string
		code            string
		emptyNonce      bool
		reason          string
		// inError must appear in the error, to tell which check fired.
		inError string
	}{
		{name: "wrong nonce", nonce: "another-nonce", reason: oidcrp.ReasonNonce},
		{name: "no nonce", emptyNonce: true, reason: oidcrp.ReasonNonce},
		{name: "wrong PKCE verifier", verifier: oidcrp.NewVerifier(), reason: oidcrp.ReasonTokenExchange},
		{name: "bad code", code: "not-a-code", reason: oidcrp.ReasonTokenExchange},
		{name: "wrong client secret", edit: func(rp *oidcrp.Client) { rp.ClientSecret = "wrong" }, reason: oidcrp.ReasonTokenExchange},
		{
			name: "ID token for another client (aud)", reason: oidcrp.ReasonIDToken, inError: "audience", nonce: sharedNonce,
			edit: func(rp *oidcrp.Client) {
				rp.HTTP = &http.Client{Transport: rewriteJSON(rp.TokenURL, func(m map[string]any) { m["id_token"] = otherID.IDToken })}
			},
		},
		{
			name: "JWKS without the signing key", reason: oidcrp.ReasonIDToken, inError: "signature",
			edit: func(rp *oidcrp.Client) { rp.JWKSURL = emptyJWKS.URL },
		},
		{
			name: "issuer configured with a trailing slash", reason: oidcrp.ReasonIDToken, inError: "issued by a different provider",
			edit: func(rp *oidcrp.Client) { rp.Issuer += "/" },
		},
		{
			name: "expired: clock two hours ahead", reason: oidcrp.ReasonIDToken, inError: "expired",
			edit: func(rp *oidcrp.Client) { rp.Now = ahead(2 * time.Hour) },
		},
		{
			name: "expired beyond a custom skew", reason: oidcrp.ReasonIDToken, inError: "expired",
			edit: func(rp *oidcrp.Client) { rp.Now, rp.ClockSkew = ahead(time.Hour+2*time.Minute), time.Minute },
		},
		{
			name: "issued in the future: clock an hour behind", reason: oidcrp.ReasonIDToken, inError: "future",
			edit: func(rp *oidcrp.Client) { rp.Now = ahead(-time.Hour) },
		},
		{
			name: "userinfo for another subject", reason: oidcrp.ReasonSubjectMismatch,
			edit: func(rp *oidcrp.Client) {
				rp.HTTP = &http.Client{Transport: rewriteJSON(rp.UserinfoURL, func(m map[string]any) { m["sub"] = "id2" })}
			},
		},
		{
			name: "userinfo without sub", reason: oidcrp.ReasonSubjectMismatch,
			edit: func(rp *oidcrp.Client) {
				rp.HTTP = &http.Client{Transport: rewriteJSON(rp.UserinfoURL, func(m map[string]any) { delete(m, "sub") })}
			},
		},
		{
			name: "userinfo refuses the token", reason: oidcrp.ReasonUserinfo,
			edit: func(rp *oidcrp.Client) { rp.UserinfoURL = unauthorized.URL },
		},
		{name: "no HTTP client", edit: func(rp *oidcrp.Client) { rp.HTTP = nil }, reason: oidcrp.ReasonTokenExchange},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rp := rpFor(t, op, "web")
			nonce, verifier := oidcrp.NewVerifier(), oidcrp.NewVerifier()
			if tc.nonce == sharedNonce {
				nonce = sharedNonce
			}
			code := tc.code
			if code == "" {
				code = login(t, op, rp, nonce, verifier)
			}
			if tc.nonce != "" {
				nonce = tc.nonce
			}
			if tc.emptyNonce {
				nonce = ""
			}
			if tc.verifier != "" {
				verifier = tc.verifier
			}
			if tc.edit != nil {
				tc.edit(&rp)
			}
			_, err := rp.Exchange(context.Background(), code, verifier, nonce)
			wantReason(t, err, tc.reason)
			if !strings.Contains(err.Error(), tc.inError) {
				t.Errorf("error %q does not mention %q", err, tc.inError)
			}
		})
	}
}

// TestExchangeWithinSkew: an ID token a minute past exp is still accepted with the default
// five-minute skew.
func TestExchangeWithinSkew(t *testing.T) {
	op := startTestOP(t)
	rp := rpFor(t, op, "web")
	nonce, verifier := oidcrp.NewVerifier(), oidcrp.NewVerifier()
	code := login(t, op, rp, nonce, verifier)
	rp.Now = func() time.Time { return time.Now().Add(time.Hour + time.Minute) } // zitadel: exp = iat + 1h
	if _, err := rp.Exchange(context.Background(), code, verifier, nonce); err != nil {
		t.Fatal(err)
	}
}

// TestIDTokenChecks covers the claims zitadel always gets right, with tokens signed by fakeOP.
func TestIDTokenChecks(t *testing.T) {
	f := startFakeOP(t)
	rp := oidcrp.Client{
		Endpoints: oidcrp.Endpoints{
			Issuer: f.srv.URL, AuthorizationURL: f.srv.URL + "/auth", TokenURL: f.srv.URL + "/token",
			JWKSURL: f.srv.URL + "/jwks",
		},
		ClientID: "rp", ClientSecret: "s", RedirectURL: redirectURL, HTTP: httpClient(),
	}
	base := func() jwt.MapClaims {
		now := time.Now()
		return jwt.MapClaims{
			"iss": f.srv.URL, "sub": "u1", "aud": "rp", "nonce": "n",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		}
	}
	cases := []struct {
		name   string
		edit   func(c jwt.MapClaims)
		method jwt.SigningMethod
		none   bool // no id_token in the token response
		reason string
	}{
		{name: "valid", edit: func(jwt.MapClaims) {}},
		{name: "several audiences with azp", edit: func(c jwt.MapClaims) { c["aud"], c["azp"] = []string{"rp", "api"}, "rp" }},
		{name: "several audiences without azp", edit: func(c jwt.MapClaims) { c["aud"] = []string{"rp", "api"} }, reason: oidcrp.ReasonIDToken},
		{name: "several audiences, azp another", edit: func(c jwt.MapClaims) { c["aud"], c["azp"] = []string{"rp", "api"}, "api" }, reason: oidcrp.ReasonIDToken},
		{name: "azp another", edit: func(c jwt.MapClaims) { c["azp"] = "api" }, reason: oidcrp.ReasonIDToken},
		{name: "aud another", edit: func(c jwt.MapClaims) { c["aud"] = "api" }, reason: oidcrp.ReasonIDToken},
		{name: "iss another", edit: func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }, reason: oidcrp.ReasonIDToken},
		{name: "no sub", edit: func(c jwt.MapClaims) { delete(c, "sub") }, reason: oidcrp.ReasonIDToken},
		{name: "no exp", edit: func(c jwt.MapClaims) { delete(c, "exp") }, reason: oidcrp.ReasonIDToken},
		{name: "no iat", edit: func(c jwt.MapClaims) { delete(c, "iat") }, reason: oidcrp.ReasonIDToken},
		{name: "nbf in an hour", edit: func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() }, reason: oidcrp.ReasonIDToken},
		{name: "nbf within skew", edit: func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Minute).Unix() }},
		{name: "at_hash of another token", edit: func(c jwt.MapClaims) { c["at_hash"] = "AAAAAAAAAAAAAAAAAAAAAA" }, reason: oidcrp.ReasonIDToken},
		{name: "at_hash of the access token", edit: func(c jwt.MapClaims) { c["at_hash"] = atHash(fakeAccessToken) }},
		{name: "HS256", edit: func(jwt.MapClaims) {}, method: jwt.SigningMethodHS256, reason: oidcrp.ReasonIDToken},
		{name: "no id_token", none: true, reason: oidcrp.ReasonIDToken},
		{name: "nonce another", edit: func(c jwt.MapClaims) { c["nonce"] = "m" }, reason: oidcrp.ReasonNonce},
		{name: "no nonce claim", edit: func(c jwt.MapClaims) { delete(c, "nonce") }, reason: oidcrp.ReasonNonce},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.set(func(f *fakeOP) {
				f.idToken, f.method = nil, tc.method
				if !tc.none {
					f.idToken = base()
					tc.edit(f.idToken)
				}
			})
			_, err := rp.Exchange(context.Background(), "code", "verifier", "n")
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Exchange: %v", err)
				}
				return
			}
			wantReason(t, err, tc.reason)
		})
	}
}

func TestUserinfoMerge(t *testing.T) {
	f := startFakeOP(t)
	rp := oidcrp.Client{
		Endpoints: oidcrp.Endpoints{
			Issuer: f.srv.URL, AuthorizationURL: f.srv.URL + "/auth", TokenURL: f.srv.URL + "/token",
			JWKSURL: f.srv.URL + "/jwks", UserinfoURL: f.srv.URL + "/userinfo",
		},
		ClientID: "rp", ClientSecret: "s", RedirectURL: redirectURL, HTTP: httpClient(),
	}
	for _, signed := range []bool{false, true} {
		t.Run("signed="+strconv.FormatBool(signed), func(t *testing.T) {
			now := time.Now()
			f.set(func(f *fakeOP) {
				f.scope = "openid email"
				f.idToken = jwt.MapClaims{
					"iss": f.srv.URL, "sub": "u1", "aud": "rp", "nonce": "n", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
					"name": "From ID Token", "employee_id": 12345678901234567,
				}
				f.userinfo = map[string]any{
					"sub": "u1", "name": "From Userinfo", "email": "ada@example.com", "email_verified": "true",
					"groups": []string{"eng", "admins"}, "department": "R&D",
				}
				f.userinfoJWT = signed
				if signed {
					f.userinfo["iss"], f.userinfo["aud"] = f.srv.URL, "rp"
				}
			})
			id, err := rp.Exchange(context.Background(), "code", "verifier", "n")
			if err != nil {
				t.Fatal(err)
			}
			if id.Name != "From ID Token" {
				t.Errorf("name %q: the ID token's value must win", id.Name)
			}
			if id.Email != "ada@example.com" || id.EmailVerified == nil || !*id.EmailVerified {
				t.Errorf("email %q verified %v: userinfo must fill what the ID token lacks", id.Email, id.EmailVerified)
			}
			if got := id.ClaimList("groups"); !slices.Equal(got, []string{"eng", "admins"}) {
				t.Errorf("groups %q", got)
			}
			if id.Claim("department") != "R&D" {
				t.Errorf("department %q", id.Claim("department"))
			}
			if n, ok := id.Claims["employee_id"].(json.Number); !ok || n.String() != "12345678901234567" {
				t.Errorf("employee_id %#v: large numbers must survive", id.Claims["employee_id"])
			}
			if !slices.Equal(id.Scopes, []string{"openid", "email"}) {
				t.Errorf("scopes %q: want the granted ones", id.Scopes)
			}
		})
	}
	t.Run("signed userinfo for another audience", func(t *testing.T) {
		f.set(func(f *fakeOP) { f.userinfoJWT, f.userinfo["aud"] = true, "api" })
		_, err := rp.Exchange(context.Background(), "code", "verifier", "n")
		wantReason(t, err, oidcrp.ReasonUserinfo)
	})
}

func TestAuthCodeURL(t *testing.T) {
	rp := oidcrp.Client{
		Endpoints: oidcrp.Endpoints{AuthorizationURL: "https://idp.example/authorize?tenant=acme"},
		ClientID:  "rp", ClientSecret: "top-secret", RedirectURL: redirectURL,
	}
	verifier := oidcrp.NewVerifier()
	extra := url.Values{
		"prompt": {"login", "consent"}, "login_hint": {"ada@example.com"},
		"nonce": {"attacker"}, "state": {"attacker"}, "code_challenge": {"attacker"}, "redirect_uri": {"https://evil.example"},
		"client_secret": {"x"},
	}
	u, err := url.Parse(rp.AuthCodeURL("st", "no", verifier, extra))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(verifier))
	want := map[string]string{
		"tenant": "acme", "response_type": "code", "client_id": "rp", "redirect_uri": redirectURL,
		"scope": "openid email profile", "state": "st", "nonce": "no",
		"code_challenge": base64.RawURLEncoding.EncodeToString(sum[:]), "code_challenge_method": "S256",
		"prompt": "login consent", "login_hint": "ada@example.com", "client_secret": "",
	}
	q := u.Query()
	for k, v := range want {
		if got := q.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if u.Host != "idp.example" || u.Path != "/authorize" {
		t.Errorf("URL %s", u)
	}

	rp.Scopes = []string{"email", "groups", "email"}
	u, _ = url.Parse(rp.AuthCodeURL("st", "no", verifier, nil))
	if got := u.Query().Get("scope"); got != "openid email groups" {
		t.Errorf("scope %q, want openid first and no duplicates", got)
	}
}

func TestClaims(t *testing.T) {
	id := oidcrp.Identity{Claims: map[string]any{
		"s": "one", "n": json.Number("3"), "b": true, "list": []any{"a", 2.0, "b"}, "empty": []any{},
	}}
	for name, want := range map[string]string{"s": "one", "n": "", "b": "", "list": "", "absent": ""} {
		if got := id.Claim(name); got != want {
			t.Errorf("Claim(%q) = %q, want %q", name, got, want)
		}
	}
	for name, want := range map[string][]string{"s": {"one"}, "list": {"a", "b"}, "empty": {}, "n": nil, "absent": nil} {
		got := id.ClaimList(name)
		if !slices.Equal(got, want) || (want == nil) != (got == nil) {
			t.Errorf("ClaimList(%q) = %#v, want %#v", name, got, want)
		}
	}
}

func TestErrorText(t *testing.T) {
	err := error(&oidcrp.Error{Reason: oidcrp.ReasonNonce, Cause: io.EOF})
	if err.Error() != "oidcrp: nonce: EOF" || !errors.Is(err, io.EOF) {
		t.Errorf("%q", err)
	}
}

func TestNewVerifier(t *testing.T) {
	a, b := oidcrp.NewVerifier(), oidcrp.NewVerifier()
	if len(a) != 43 || a == b {
		t.Errorf("%q %q", a, b)
	}
}

// rewriteJSON is a transport that edits the JSON answer of one endpoint: what a compromised or
// confused IdP, or a token substitution, would send.
func rewriteJSON(endpoint string, edit func(map[string]any)) http.RoundTripper {
	target, err := url.Parse(endpoint)
	if err != nil {
		panic(err)
	}
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil || req.URL.Host != target.Host || req.URL.Path != target.Path {
			return resp, err
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			return nil, err
		}
		edit(m)
		b, _ := json.Marshal(m)
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Del("Content-Length")
		return resp, nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func jwtPayload(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// atHash is OIDC Core §3.1.3.6's at_hash for RS256: the left half of SHA-256, base64url.
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}
