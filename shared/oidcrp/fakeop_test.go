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
type fakeOP struct {
	srv *httptest.Server
	key *rsa.PrivateKey

	mu sync.Mutex
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
	f := &fakeOP{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		b64 := base64.RawURLEncoding.EncodeToString
		writeJSON(w, map[string]any{"keys": []any{map[string]any{
			"kty": "RSA", "use": "sig", "alg": "RS256", "kid": fakeKeyID,
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
		}}})
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
	tok.Header["kid"] = fakeKeyID
	s, err := tok.SignedString(key)
	if err != nil {
		t.Error(err)
	}
	return s
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
