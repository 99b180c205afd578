package apptest

// A SAML identity provider for end-to-end tests: crewjam's samlidp (an implementation
// independent of Latchkey's service-provider side) served in process, with users added per
// test, driven over HTTP as a browser would.

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"html"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml/samlidp"
	"golang.org/x/crypto/bcrypt"

	"github.com/latchkey/latchkey/shared/samlsp"
)

// The attribute names samlidp asserts (OIDs, as most IdPs can be told to).
const (
	SAMLAttrEmail     = "urn:oid:0.9.2342.19200300.100.1.3"
	SAMLAttrGroups    = "urn:oid:1.3.6.1.4.1.5923.1.1.1.1"
	SAMLAttrGivenName = "urn:oid:2.5.4.42"
	SAMLAttrSurname   = "urn:oid:2.5.4.4"
	samlPassword      = "correct horse battery staple"
)

// SAMLIdP is a running test identity provider.
type SAMLIdP struct {
	URL         string
	MetadataURL string
	Key         *rsa.PrivateKey
	Cert        *x509.Certificate
	CertPEM     string
	Metadata    samlsp.IdPMetadata
	store       *samlidp.MemoryStore
}

// StartSAMLIdP serves a SAML identity provider with its own signing key.
func StartSAMLIdP(t testing.TB) *SAMLIdP {
	t.Helper()
	keyPEM, certPEM, err := samlsp.NewKeyPair("test idp", time.Now().Add(-24*time.Hour), 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := samlsp.ParsePrivateKey(keyPEM)
	cert, _ := samlsp.ParseCertificate(certPEM)
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	store := &samlidp.MemoryStore{}
	idp, err := samlidp.New(samlidp.Options{URL: *u, Key: key, Certificate: cert, Store: store,
		Logger: log.New(io.Discard, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = idp
	p := &SAMLIdP{URL: srv.URL, MetadataURL: srv.URL + "/metadata", Key: key, Cert: cert, CertPEM: certPEM, store: store}
	md, err := samlsp.ParseIdPMetadata([]byte(samlGet(t, http.DefaultClient, p.MetadataURL)))
	if err != nil {
		t.Fatalf("samlidp metadata: %v", err)
	}
	p.Metadata = md
	return p
}

// SAMLUser is one person who can log in at a test IdP.
type SAMLUser struct {
	Name      string // the login name
	Email     string // asserted as the NameID and the email attribute
	Groups    []string
	GivenName string
	Surname   string
}

// AddUser lets u log in.
func (p *SAMLIdP) AddUser(t testing.TB, u SAMLUser) {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(samlPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.store.Put("/users/"+u.Name, samlidp.User{Name: u.Name, HashedPassword: hash, Email: u.Email,
		Groups: u.Groups, GivenName: u.GivenName, Surname: u.Surname}); err != nil {
		t.Fatal(err)
	}
}

// RegisterSP registers a connection as a service provider, from what the connection reports
// (acs_url, audience_uri, its signing certificate), as an admin configures an IdP.
func (p *SAMLIdP) RegisterSP(t testing.TB, id, acsURL, audienceURI, signingCertPEM string) {
	t.Helper()
	cert, err := samlsp.ParseCertificate(signingCertPEM)
	if err != nil {
		t.Fatal(err)
	}
	md, err := samlsp.SP{EntityID: audienceURI, ACSURL: acsURL, SigningCert: cert}.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPut, p.URL+"/services/"+id, bytes.NewReader(md))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("PUT /services/%s: %s", id, res.Status)
	}
}

// SAMLPost is the auto-post form an IdP hands the browser: where it posts, and what.
type SAMLPost struct {
	ACS          string
	SAMLResponse string
	RelayState   string
}

// Login runs the IdP's side of an SP-initiated login: the browser follows the AuthnRequest
// redirect (Latchkey's start), logs in as user and gets the auto-post form.
//
// samlidp's login form posts the AuthnRequest back without the redirect binding's signature,
// which it then refuses because the SP says AuthnRequestsSigned; so the credentials go to
// /login, which opens the IdP session, and the browser follows the signed redirect again, as
// it would after logging in to the IdP in another tab.
func (p *SAMLIdP) Login(t testing.TB, authnRequestURL, user string) SAMLPost {
	t.Helper()
	b := samlBrowser()
	form := samlForm(t, samlGet(t, b, authnRequestURL))
	if _, ok := form.fields["password"]; !ok {
		t.Fatalf("the AuthnRequest did not lead to the login form: %v", form)
	}
	samlPost(t, b, p.URL+"/login", url.Values{"user": {user}, "password": {samlPassword}})
	out := samlForm(t, samlGet(t, b, authnRequestURL))
	return SAMLPost{ACS: out.action, SAMLResponse: out.fields["SAMLResponse"], RelayState: out.fields["RelayState"]}
}

// LoginIdPInitiated runs an IdP-initiated login of user to the service provider entityID.
func (p *SAMLIdP) LoginIdPInitiated(t testing.TB, entityID, user, relayState string) SAMLPost {
	t.Helper()
	name := fmt.Sprintf("s%d", time.Now().UnixNano())
	shortcut := fmt.Sprintf(`{"name":%q,"service_provider":%q,"relay_state":%q}`, name, entityID, relayState)
	req, _ := http.NewRequest(http.MethodPut, p.URL+"/shortcuts/"+name, strings.NewReader(shortcut))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("PUT /shortcuts: %s", res.Status)
	}
	b := samlBrowser()
	form := samlForm(t, samlGet(t, b, p.URL+"/login/"+name))
	form.fields["user"], form.fields["password"] = user, samlPassword
	v := url.Values{}
	for k, f := range form.fields {
		v.Set(k, f)
	}
	action := form.action
	if strings.HasPrefix(action, "/") {
		action = p.URL + action
	}
	samlPost(t, b, action, v)
	out := samlForm(t, samlGet(t, b, p.URL+"/login/"+name))
	return SAMLPost{ACS: out.action, SAMLResponse: out.fields["SAMLResponse"], RelayState: out.fields["RelayState"]}
}

func samlBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

func samlGet(t testing.TB, c *http.Client, u string) string {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return samlBody(t, res)
}

func samlPost(t testing.TB, c *http.Client, u string, v url.Values) string {
	t.Helper()
	res, err := c.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	return samlBody(t, res)
}

func samlBody(t testing.TB, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s\n%s", res.Request.Method, res.Request.URL, res.Status, b)
	}
	return string(b)
}

type htmlForm struct {
	action string
	fields map[string]string
}

var (
	formAction = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)
	formInput  = regexp.MustCompile(`<input[^>]*name="([^"]*)"[^>]*value="([^"]*)"`)
)

func samlForm(t testing.TB, page string) htmlForm {
	t.Helper()
	m := formAction.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form in\n%s", page)
	}
	f := htmlForm{action: html.UnescapeString(m[1]), fields: map[string]string{}}
	for _, in := range formInput.FindAllStringSubmatch(page, -1) {
		f.fields[html.UnescapeString(in[1])] = html.UnescapeString(in[2])
	}
	return f
}
