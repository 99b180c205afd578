package apptest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

const (
	googleLikeClient   = "google-like"
	googleLikeCallback = "http://rp.invalid/google/callback"
	msLikeClient       = "microsoft-like"
	msLikeCallback     = "http://rp.invalid/microsoft/callback"
)

// rpLogin is a relying party's authorization code flow (state, nonce, PKCE) as username,
// returning the verified tokens.
func rpLogin(t *testing.T, p *OIDCProvider, clientID, redirectURL, username string) (*oauth2.Token, string) {
	t.Helper()
	ctx := context.Background()
	provider, err := gooidc.NewProvider(ctx, p.Issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	conf := oauth2.Config{ClientID: clientID, ClientSecret: OIDCClientSecret, Endpoint: provider.Endpoint(),
		RedirectURL: redirectURL, Scopes: []string{gooidc.ScopeOpenID, "email", "profile"}}
	state, nonce, verifier := rand.Text(), rand.Text(), oauth2.GenerateVerifier()
	back := p.Login(t, conf.AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), username)
	if got := back.Scheme + "://" + back.Host + back.Path; got != redirectURL {
		t.Fatalf("redirected to %s, want %s", got, redirectURL)
	}
	if back.Query().Get("state") != state {
		t.Fatalf("state %q, want %q", back.Query().Get("state"), state)
	}
	tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idToken, err := provider.Verifier(&gooidc.Config{ClientID: clientID}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if idToken.Nonce != nonce {
		t.Fatalf("nonce %q, want %q", idToken.Nonce, nonce)
	}
	return tok, raw
}

// jwtPart decodes part i (0 header, 1 payload) of a compact JWS.
func jwtPart(t *testing.T, jws string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", jws)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatalf("JWS part %d: %v", i, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("JWS part %d: %v", i, err)
	}
	return m
}

func userinfo(t *testing.T, p *OIDCProvider, tok *oauth2.Token) map[string]any {
	t.Helper()
	ctx := context.Background()
	provider, err := gooidc.NewProvider(ctx, p.Issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	var m map[string]any
	if err := info.Claims(&m); err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	return m
}

func expectClaims(t *testing.T, where string, got, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %#v, want %#v (all: %v)", where, k, got[k], v, got)
		}
	}
}

func TestOIDCProviderClaims(t *testing.T) {
	p := StartOIDCProviderWith(t, map[string]string{googleLikeClient: googleLikeCallback, msLikeClient: msLikeCallback})
	p.AddUser(OIDCUser{Subject: "g-1", Username: "gina", Email: "gina@example.com", EmailVerified: true,
		FirstName: "Gina", LastName: "G", Claims: map[string]any{"hd": "example.com"}})
	p.AddUser(OIDCUser{Subject: "m-1", Username: "mo", Email: "mo@contoso.com", FirstName: "Mo", LastName: "M",
		Claims: map[string]any{"tid": "9188040d-6c67-4c5b-b112-36a304b66dad", "xms_edov": true, "preferred_username": "mo@contoso.com"}})
	p.AddUser(OIDCUser{Subject: "p-1", Username: "pat", Email: "pat@example.org", EmailVerified: true})

	tests := []struct {
		name, client, callback, username string
		idToken, userinfo                map[string]any
		absent                           []string
	}{
		{name: "google", client: googleLikeClient, callback: googleLikeCallback, username: "gina",
			idToken:  map[string]any{"sub": "g-1", "azp": googleLikeClient, "hd": "example.com"},
			userinfo: map[string]any{"sub": "g-1", "email": "gina@example.com", "email_verified": true, "hd": "example.com"}},
		{name: "microsoft", client: msLikeClient, callback: msLikeCallback, username: "mo",
			idToken: map[string]any{"sub": "m-1", "azp": msLikeClient, "tid": "9188040d-6c67-4c5b-b112-36a304b66dad",
				"xms_edov": true, "preferred_username": "mo@contoso.com"},
			// The user's preferred_username wins over the login name the profile scope gives.
			userinfo: map[string]any{"sub": "m-1", "email": "mo@contoso.com", "name": "Mo M", "tid": "9188040d-6c67-4c5b-b112-36a304b66dad",
				"xms_edov": true, "preferred_username": "mo@contoso.com"}},
		{name: "no extra claims", client: googleLikeClient, callback: googleLikeCallback, username: "pat",
			idToken:  map[string]any{"sub": "p-1"},
			userinfo: map[string]any{"sub": "p-1", "email": "pat@example.org", "preferred_username": "pat"},
			absent:   []string{"hd", "tid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, raw := rpLogin(t, p, tt.client, tt.callback, tt.username)
			id, info := jwtPart(t, raw, 1), userinfo(t, p, tok)
			expectClaims(t, "ID token", id, tt.idToken)
			expectClaims(t, "userinfo", info, tt.userinfo)
			for _, k := range tt.absent {
				if _, ok := id[k]; ok {
					t.Errorf("ID token has %s: %v", k, id)
				}
				if _, ok := info[k]; ok {
					t.Errorf("userinfo has %s: %v", k, info)
				}
			}
		})
	}
}

func TestOIDCProviderRotateKey(t *testing.T) {
	ctx := context.Background()
	p := StartOIDCProvider(t, googleLikeCallback)
	p.AddUser(OIDCUser{Subject: "r-1", Username: "rita", Email: "rita@example.com", EmailVerified: true})

	_, oldRaw := rpLogin(t, p, OIDCClientID, googleLikeCallback, "rita")
	oldKid, _ := jwtPart(t, oldRaw, 0)["kid"].(string)
	if got := jwksKids(t, p); len(got) != 1 || got[0] != oldKid {
		t.Fatalf("JWKS kids %v before rotation, want [%s]", got, oldKid)
	}

	p.RotateKey()
	_, newRaw := rpLogin(t, p, OIDCClientID, googleLikeCallback, "rita")
	newKid, _ := jwtPart(t, newRaw, 0)["kid"].(string)
	if newKid == "" || newKid == oldKid {
		t.Fatalf("kid after rotation %q, before %q", newKid, oldKid)
	}
	if got := jwksKids(t, p); len(got) != 1 || got[0] != newKid {
		t.Fatalf("JWKS kids %v after rotation, want only [%s]", got, newKid)
	}
	// A verifier that has never seen the old key: the JWKS as it is now.
	verifier := gooidc.NewVerifier(p.Issuer, gooidc.NewRemoteKeySet(ctx, p.Issuer+"/keys"), &gooidc.Config{ClientID: OIDCClientID})
	if _, err := verifier.Verify(ctx, newRaw); err != nil {
		t.Errorf("new ID token against the JWKS: %v", err)
	}
	if _, err := verifier.Verify(ctx, oldRaw); err == nil {
		t.Errorf("ID token signed with the retired key still verifies")
	}
}

func jwksKids(t *testing.T, p *OIDCProvider) []string {
	t.Helper()
	ctx := context.Background()
	provider, err := gooidc.NewProvider(ctx, p.Issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := provider.Claims(&meta); err != nil || meta.JWKSURI != p.Issuer+"/keys" {
		t.Fatalf("jwks_uri %q (%v), want %s/keys", meta.JWKSURI, err, p.Issuer)
	}
	resp, err := http.Get(meta.JWKSURI)
	if err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}
