package oidcrp_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// fakeOP is a token, JWKS and userinfo endpoint that signs whatever ID token claims a test
// sets. zitadel's OP always issues well-formed tokens with a single audience; this one makes
// the malformed ones (several audiences, foreign azp, missing claims, HS256) the verifier must
// refuse.
//
// It also plays Microsoft's discovery: {base}/common/v2.0 and {base}/organizations/v2.0
// publish the template issuer {base}/{tenantid}/v2.0, any other {base}/<tenant>/v2.0 the
// tenant's own issuer; tokens for tenant <tid> then carry iss {base}/<tid>/v2.0.
type fakeOP struct {
	srv *httptest.Server

	mu sync.Mutex
	// key signs, and is the only key in the JWKS, under kid.
	key *rsa.PrivateKey
	kid string
	// jwksFetches and discoveries count requests to the JWKS and to discovery documents.
	jwksFetches, discoveries int
	// discoveryStatus, when set, is what every discovery request is answered with.
	discoveryStatus int
	// idToken is the ID token the token endpoint returns; nil omits it.
	idToken jwt.MapClaims
	// method signs the ID token; nil means RS256 with key.
	method jwt.SigningMethod
	// scope, when set, is the token response's scope.
	scope string
	// userinfo is served to the bearer of fakeAccessToken, as JSON or, with userinfoJWT, signed.
	userinfo    map[string]any
	userinfoJWT bool
}

const (
	fakeAccessToken = "fake-access-token"
	fakeKeyID       = "fake-key"
)

func startFakeOP(t *testing.T) *fakeOP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeOP{key: key, kid: fakeKeyID}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.jwksFetches++
		b64 := base64.RawURLEncoding.EncodeToString
		writeJSON(w, map[string]any{"keys": []any{map[string]any{
			"kty": "RSA", "use": "sig", "alg": "RS256", "kid": f.kid,
			"n": b64(f.key.N.Bytes()), "e": b64(big.NewInt(int64(f.key.E)).Bytes()),
		}}})
	})
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.discoveries++
		if f.discoveryStatus != 0 {
			http.Error(w, "unavailable", f.discoveryStatus)
			return
		}
		tenant := r.PathValue("tenant")
		if tenant == "common" || tenant == "organizations" {
			tenant = "{tenantid}"
		}
		writeJSON(w, map[string]any{
			"issuer":                 f.tenantIssuer(tenant),
			"authorization_endpoint": f.srv.URL + "/auth", "token_endpoint": f.srv.URL + "/token",
			"jwks_uri": f.srv.URL + "/jwks", "userinfo_endpoint": f.srv.URL + "/userinfo",
		})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		resp := map[string]any{"access_token": fakeAccessToken, "token_type": "Bearer", "expires_in": 3600}
		if f.scope != "" {
			resp["scope"] = f.scope
		}
		if f.idToken != nil {
			resp["id_token"] = f.sign(t, f.idToken, f.method)
		}
		writeJSON(w, resp)
	})
	mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+fakeAccessToken {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		if f.userinfoJWT {
			w.Header().Set("Content-Type", "application/jwt")
			w.Write([]byte(f.sign(t, jwt.MapClaims(f.userinfo), nil)))
			return
		}
		writeJSON(w, f.userinfo)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOP) sign(t *testing.T, claims jwt.MapClaims, method jwt.SigningMethod) string {
	var key any = f.key
	if method == nil {
		method = jwt.SigningMethodRS256
	}
	if _, ok := method.(*jwt.SigningMethodHMAC); ok {
		key = []byte("a symmetric secret")
	}
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = f.kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Error(err)
	}
	return s
}

// tenantIssuer is Microsoft's issuer form for tenant, a tenant id or "{tenantid}".
func (f *fakeOP) tenantIssuer(tenant string) string { return f.srv.URL + "/" + tenant + "/v2.0" }

// rotateKey replaces the signing key with a new one under a new kid; the old key leaves the
// JWKS at once.
func (f *fakeOP) rotateKey(t *testing.T) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f.set(func(f *fakeOP) { f.key, f.kid = key, f.kid+"-rotated" })
}

// counts returns jwksFetches and discoveries.
func (f *fakeOP) counts() (jwks, discoveries int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.jwksFetches, f.discoveries
}

func (f *fakeOP) set(fn func(f *fakeOP)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
