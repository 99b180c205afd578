package apptest

// An OpenID provider for end-to-end tests: zitadel's example OP (a real implementation of the
// provider side: discovery, authorization code with PKCE, ID tokens, userinfo) served in
// process, with its own client and users per test, driven through its login form by a
// cookie-jar browser.

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
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
}

type oidcUsers struct {
	mu    sync.Mutex
	users map[string]*storage.User
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

// OIDCProvider is a running test provider.
type OIDCProvider struct {
	Issuer string
	users  *oidcUsers
}

// StartOIDCProvider serves an OpenID provider whose one client (OIDCClientID) may redirect
// only to redirectURL: a connection's redirect_url.
func StartOIDCProvider(t testing.TB, redirectURL string) *OIDCProvider {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	users := &oidcUsers{users: map[string]*storage.User{}}
	clients := map[string]*storage.Client{OIDCClientID: storage.WebClient(OIDCClientID, OIDCClientSecret, redirectURL)}
	// SetupServer replaces slog's default logger; keep its lines out of test output.
	srv.Config.Handler = exampleop.SetupServer(issuer, storage.NewStorageWithClients(users, clients),
		slog.New(slog.NewTextHandler(io.Discard, nil)), false)
	srv.Start()
	t.Cleanup(srv.Close)
	return &OIDCProvider{Issuer: issuer, users: users}
}

// AddUser lets u log in.
func (p *OIDCProvider) AddUser(u OIDCUser) {
	p.users.mu.Lock()
	defer p.users.mu.Unlock()
	p.users.users[u.Subject] = &storage.User{ID: u.Subject, Username: u.Username, Password: oidcPassword, FirstName: u.FirstName,
		LastName: u.LastName, Email: u.Email, EmailVerified: u.EmailVerified, PreferredLanguage: language.English}
}

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
