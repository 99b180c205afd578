package oidcrp_test

// A recipe for driving zitadel's example OpenID Provider in process, written to be copied into
// end-to-end tests. Three parts:
//
//  1. Register clients once per test binary, in TestMain, before any OP starts. zitadel's
//     storage.RegisterClients writes a package-level map that every storage.NewStorage shares,
//     so registering from parallel tests races:
//
//     func TestMain(m *testing.M) {
//     	storage.RegisterClients(storage.WebClient("web", "secret", redirectURL))
//     	os.Exit(m.Run())
//     }
//
//     WebClient authenticates with client_secret_basic, allows http redirect URIs (dev mode),
//     requires no PKCE but honours it (S256), and puts email/profile claims only into userinfo,
//     not the ID token. The redirect URI is never served: the browser below stops there.
//
//  2. startTestOP(t) serves the OP on an httptest server. Its issuer is http://127.0.0.1:<port>
//     (zitadel allows http issuers), the authorization endpoint is /auth, the user is
//     testUser(op.Issuer) = "test-user@127.0.0.1" with password "verysecure"; it logs in as
//     sub "id1", email test-user@zitadel.ch (verified), name "Test User".
//
//  3. loginAtTestOP(t, authURL, redirectURL, username, password) is the browser: it GETs the
//     authorization URL, which redirects to /login/username?authRequestID=<id>; POSTs
//     username, password and id to /login/username; follows the OP's redirects
//     (/authorize/callback?id=...) and stops at redirectURL, returning that URL with code and
//     state in its query.

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

// testOPPassword is the password of every user of zitadel's example user store.
const testOPPassword = "verysecure"

type testOP struct {
	Issuer string
	Server *httptest.Server
}

// startTestOP starts zitadel's example OP with a fresh in-memory store (and a fresh signing
// key). Clients must already be registered (see TestMain).
func startTestOP(t testing.TB) *testOP {
	t.Helper()
	// The issuer must be known before the OP is built, so take the listener's address first.
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	// SetupServer calls slog.SetDefault with this logger; discard the per-request log lines.
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv.Config.Handler = exampleop.SetupServer(issuer, storage.NewStorage(storage.NewUserStore(issuer)), logger, false)
	srv.Start()
	t.Cleanup(srv.Close)
	return &testOP{Issuer: issuer, Server: srv}
}

// testUser is the example store's first user: its username carries the issuer's host name.
func testUser(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil {
		panic(err)
	}
	return "test-user@" + u.Hostname()
}

// loginAtTestOP plays the browser from authURL to the redirect back to redirectURL and
// returns that redirect (its query holds code and state, or error and error_description).
func loginAtTestOP(t testing.TB, authURL, redirectURL, username, password string) *url.URL {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{
		Jar:     jar,
		Timeout: 10 * time.Second,
		// Follow the OP's own redirects, stop at ours: nothing listens on redirectURL.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if atURL(req.URL, redirectURL) {
				return http.ErrUseLastResponse
			}
			if len(via) > 10 {
				return fmt.Errorf("more than 10 redirects")
			}
			return nil
		},
	}

	// The authorization endpoint redirects to the login form, naming the auth request.
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatalf("authorization request: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusFound {
		// The OP sent the browser straight back: an error redirect (bad client, redirect URI…).
		t.Fatalf("authorization request redirected to the RP at once: %s", resp.Header.Get("Location"))
	}
	authRequestID := resp.Request.URL.Query().Get("authRequestID")
	if resp.StatusCode != http.StatusOK || authRequestID == "" {
		t.Fatalf("authorization request ended at %s with %s, not at the login form: %s", resp.Request.URL, resp.Status, body)
	}

	// The form posts to /login/username; success redirects to /authorize/callback, which
	// redirects to redirectURL with the code.
	loginURL := *resp.Request.URL
	loginURL.RawQuery = ""
	resp, err = browser.PostForm(loginURL.String(), url.Values{
		"id":       {authRequestID},
		"username": {username},
		"password": {password},
	})
	if err != nil {
		t.Fatalf("login form: %v", err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		// A wrong password renders the form again with 200.
		t.Fatalf("login ended with %s at %s, not a redirect to the RP: %s", resp.Status, resp.Request.URL, body)
	}
	callback, err := resp.Location()
	if err != nil || !atURL(callback, redirectURL) {
		t.Fatalf("login redirected to %v (%v), not to %s", callback, err, redirectURL)
	}
	return callback
}

// atURL reports whether u is target, ignoring the query.
func atURL(u *url.URL, target string) bool {
	v := *u
	v.RawQuery, v.Fragment = "", ""
	return strings.TrimSuffix(v.String(), "/") == strings.TrimSuffix(target, "/")
}
