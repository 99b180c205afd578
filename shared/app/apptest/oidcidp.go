package apptest

// An OpenID provider for end-to-end tests: zitadel's example OP (a real implementation of the
// provider side: discovery, authorization code with PKCE, ID tokens, userinfo) served in
// process, with its own client and users per test, driven through its login form by a
// cookie-jar browser.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// OIDC client credentials every test provider registers.
const (
	OIDCClientID     = "latchkey"
	OIDCClientSecret = "latchkey-client-secret"
	oidcPassword     = "verysecure"
)

// OIDCUser is one person who can log in at a test provider.
type OIDCUser struct {
	Subject       string
	Username      string
	Email         string
	EmailVerified bool
	FirstName     string
	LastName      string
	// Claims go into this user's ID tokens and userinfo responses as they are, whatever the
	// scopes, and win over the standard claims above: a provider's own claims such as Google's
	// hd or Microsoft's tid, xms_edov and preferred_username.
	Claims map[string]any
}

type oidcUsers struct {
	mu     sync.Mutex
	users  map[string]*storage.User
	claims map[string]map[string]any // by subject
}

func (u *oidcUsers) GetUserByID(id string) *storage.User {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.users[id]
}

func (u *oidcUsers) GetUserByUsername(name string) *storage.User {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, x := range u.users {
		if x.Username == name {
			return x
		}
	}
	return nil
}

func (u *oidcUsers) ExampleClientID() string { return "unused-example-client" }

func (u *oidcUsers) extraClaims(subject string) map[string]any {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.claims[subject]
}

// oidcStorage is the example OP's storage with what the example lacks: per-user claims and a
// signing key that can be rotated.
type oidcStorage struct {
	*storage.Storage
	users *oidcUsers

	mu  sync.Mutex
	key *oidcSigningKey
}

// SetUserinfoFromRequest builds the ID token's user claims.
func (s *oidcStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	return s.addClaims(info, req.GetSubject())
}

// SetUserinfoFromToken builds the userinfo endpoint's response.
func (s *oidcStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	return s.addClaims(info, subject)
}

func (s *oidcStorage) addClaims(info *oidc.UserInfo, subject string) error {
	claims := s.users.extraClaims(subject)
	if len(claims) == 0 {
		return nil
	}
	// When a UserInfo is marshalled its standard fields win over its Claims, so a standard claim
	// the user overrides (Microsoft's preferred_username is not the login name) is cleared first:
	// a JSON round trip without it.
	b, err := json.Marshal(info)
	if err != nil {
		return err
	}
	var std map[string]any
	if err := json.Unmarshal(b, &std); err != nil {
		return err
	}
	overridden := false
	for k := range claims {
		if _, ok := std[k]; ok {
			delete(std, k)
			overridden = true
		}
	}
	if overridden {
		if b, err = json.Marshal(std); err != nil {
			return err
		}
		var fresh oidc.UserInfo
		if err := json.Unmarshal(b, &fresh); err != nil {
			return err
		}
		*info = fresh
	}
	for k, v := range claims {
		info.AppendClaims(k, v)
	}
	return nil
}

// SigningKey is the key new tokens are signed with; the OP asks for it per token.
func (s *oidcStorage) SigningKey(context.Context) (op.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.key, nil
}

// KeySet is the JWKS: only the current key, so a token signed before a rotation no longer
// verifies, as when a provider retires a key.
func (s *oidcStorage) KeySet(context.Context) ([]op.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return []op.Key{oidcPublicKey{s.key}}, nil
}

func (s *oidcStorage) rotateKey() {
	key := newOIDCSigningKey()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key = key
}

type oidcSigningKey struct {
	id  string
	key *rsa.PrivateKey
}

func newOIDCSigningKey() *oidcSigningKey {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		// crypto/rand does not fail, and 2048 bits is a valid size.
		panic(fmt.Sprintf("OIDC signing key: %v", err))
	}
	return &oidcSigningKey{id: rand.Text(), key: key}
}

func (k *oidcSigningKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *oidcSigningKey) Key() any                                    { return k.key }
func (k *oidcSigningKey) ID() string                                  { return k.id }

type oidcPublicKey struct{ k *oidcSigningKey }

func (p oidcPublicKey) ID() string                         { return p.k.id }
func (p oidcPublicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (p oidcPublicKey) Use() string                        { return "sig" }
func (p oidcPublicKey) Key() any                           { return &p.k.key.PublicKey }

// OIDCProvider is a running test provider.
type OIDCProvider struct {
	Issuer  string
	users   *oidcUsers
	storage *oidcStorage
	clients map[string]string // redirect URL by client ID
}

// StartOIDCProvider serves an OpenID provider whose one client (OIDCClientID) may redirect
// only to redirectURL: a connection's redirect_url.
func StartOIDCProvider(t testing.TB, redirectURL string) *OIDCProvider {
	t.Helper()
	return StartOIDCProviderWith(t, map[string]string{OIDCClientID: redirectURL})
}

// StartOIDCProviderWith serves an OpenID provider with several clients, by client ID, each
// with secret OIDCClientSecret and allowed to redirect only to its URL: one provider standing
// in for, say, both Google and Microsoft connections.
func StartOIDCProviderWith(t testing.TB, clients map[string]string) *OIDCProvider {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	users := &oidcUsers{users: map[string]*storage.User{}, claims: map[string]map[string]any{}}
	registered := map[string]*storage.Client{}
	for id, redirectURL := range clients {
		registered[id] = storage.WebClient(id, OIDCClientSecret, redirectURL)
	}
	store := &oidcStorage{Storage: storage.NewStorageWithClients(users, registered), users: users, key: newOIDCSigningKey()}
	// SetupServer replaces slog's default logger; keep its lines out of test output.
	srv.Config.Handler = exampleop.SetupServer(issuer, store, slog.New(slog.NewTextHandler(io.Discard, nil)), false)
	srv.Start()
	t.Cleanup(srv.Close)
	return &OIDCProvider{Issuer: issuer, users: users, storage: store, clients: maps.Clone(clients)}
}

// AddUser lets u log in.
func (p *OIDCProvider) AddUser(u OIDCUser) {
	p.users.mu.Lock()
	defer p.users.mu.Unlock()
	p.users.users[u.Subject] = &storage.User{ID: u.Subject, Username: u.Username, Password: oidcPassword, FirstName: u.FirstName,
		LastName: u.LastName, Email: u.Email, EmailVerified: u.EmailVerified, PreferredLanguage: language.English}
	p.users.claims[u.Subject] = maps.Clone(u.Claims)
}

// RotateKey makes the provider sign new tokens with a new key under a new kid, and serve only
// that key in its JWKS: tokens signed before no longer verify.
func (p *OIDCProvider) RotateKey() { p.storage.rotateKey() }

// Login plays the browser from authURL (where Latchkey's start redirected) through the
// provider's login form as username, and returns the provider's redirect back to Latchkey's
// callback (its query holds code and state), without following it.
func (p *OIDCProvider) Login(t testing.TB, authURL, username string) *url.URL {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	providerHost := strings.TrimPrefix(p.Issuer, "http://")
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		// Follow the provider's own redirects; stop when it sends the browser elsewhere.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != providerHost {
				return http.ErrUseLastResponse
			}
			if len(via) > 10 {
				return fmt.Errorf("more than 10 redirects")
			}
			return nil
		}}
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatalf("authorization request: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	id := resp.Request.URL.Query().Get("authRequestID")
	if resp.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("authorization request ended at %s with %s, not the login form: %s (Location %q)", resp.Request.URL, resp.Status, body, resp.Header.Get("Location"))
	}
	login := *resp.Request.URL
	login.RawQuery = ""
	resp, err = browser.PostForm(login.String(), url.Values{"id": {id}, "username": {username}, "password": {oidcPassword}})
	if err != nil {
		t.Fatalf("login form: %v", err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login ended with %s at %s, not a redirect back: %s", resp.Status, resp.Request.URL, body)
	}
	back, err := resp.Location()
	if err != nil {
		t.Fatalf("login redirect: %v", err)
	}
	return back
}

// UserinfoURL is the provider's userinfo endpoint, as its discovery document names it.
func (p *OIDCProvider) UserinfoURL(t testing.TB) string {
	t.Helper()
	return p.discovery(t).Userinfo
}

type oidcDiscovery struct {
	Authorization string `json:"authorization_endpoint"`
	Token         string `json:"token_endpoint"`
	Userinfo      string `json:"userinfo_endpoint"`
}

func (p *OIDCProvider) discovery(t testing.TB) oidcDiscovery {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(p.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	defer resp.Body.Close()
	var d oidcDiscovery
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || d.Authorization == "" || d.Token == "" || d.Userinfo == "" {
		t.Fatalf("discovery document: %+v %v", d, err)
	}
	return d
}

// AccessToken logs username in at the provider as an application of its own would, with the
// authorization code flow of client clientID (scopes openid, email and profile), and returns
// the access token the provider issued: what that application's session holds, and what the
// provider's userinfo endpoint takes as a bearer token.
func (p *OIDCProvider) AccessToken(t testing.TB, clientID, username string) string {
	t.Helper()
	redirectURL, ok := p.clients[clientID]
	if !ok {
		t.Fatalf("the provider has no client %q", clientID)
	}
	d := p.discovery(t)
	q := url.Values{"client_id": {clientID}, "redirect_uri": {redirectURL}, "response_type": {"code"},
		"scope": {"openid email profile"}, "state": {rand.Text()}}
	back := p.Login(t, d.Authorization+"?"+q.Encode(), username)
	if back.Query().Get("state") != q.Get("state") || back.Query().Get("code") == "" {
		t.Fatalf("the provider's redirect back: %s", back)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")}, "redirect_uri": {redirectURL}}
	req, err := http.NewRequest(http.MethodPost, d.Token, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, OIDCClientSecret)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("token request: %v", err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &tok); err != nil || resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("token response %s: %s", resp.Status, body)
	}
	return tok.AccessToken
}
