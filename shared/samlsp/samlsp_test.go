package samlsp_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/samlidp"
	dsig "github.com/russellhaering/goxmldsig"
	"golang.org/x/crypto/bcrypt"

	"github.com/latchkey/latchkey/shared/samlsp"
)

// The IdP is crewjam's samlidp, an implementation independent of gosaml2/goxmldsig's SP side,
// driven over HTTP as a browser would.

const (
	userEmail = "alice@example.com"
	password  = "correct horse battery staple"

	attrMail      = "urn:oid:0.9.2342.19200300.100.1.3"
	attrGroups    = "urn:oid:1.3.6.1.4.1.5923.1.1.1.1"
	attrGivenName = "urn:oid:2.5.4.42"
)

type testIdP struct {
	t    testing.TB
	srv  *httptest.Server
	key  *rsa.PrivateKey
	cert *x509.Certificate
	meta samlsp.IdPMetadata
}

func newIdP(t testing.TB) *testIdP {
	t.Helper()
	key, cert := keyPair(t, "test idp")
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	store := &samlidp.MemoryStore{}
	idp, err := samlidp.New(samlidp.Options{URL: *u, Key: key, Certificate: cert, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = idp
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Put("/users/alice", samlidp.User{
		Name: "alice", HashedPassword: hash, Email: userEmail,
		Groups: []string{"admins", "engineering"}, GivenName: "Alice", Surname: "Liddell",
	}); err != nil {
		t.Fatal(err)
	}

	body := get(t, http.DefaultClient, srv.URL+"/metadata")
	meta, err := samlsp.ParseIdPMetadata([]byte(body))
	if err != nil {
		t.Fatalf("ParseIdPMetadata(samlidp /metadata): %v", err)
	}
	return &testIdP{t: t, srv: srv, key: key, cert: cert, meta: meta}
}

// keyPair goes through NewKeyPair and the parsers, as a connection's stored PEM would.
func keyPair(t testing.TB, cn string) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	keyPEM, certPEM, err := samlsp.NewKeyPair(cn, time.Now().Add(-24*time.Hour), 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	key, err := samlsp.ParsePrivateKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := samlsp.ParseCertificate(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

// newSP builds the SP of one connection from the IdP's metadata and registers it at the IdP
// under id with its Metadata.
func (idp *testIdP) newSP(id string, encrypted bool) samlsp.SP {
	t := idp.t
	t.Helper()
	key, cert := keyPair(t, "latchkey "+id)
	sp := samlsp.SP{
		EntityID:    "https://api.latchkey.test/v1/b2b/sso/saml/metadata/" + id,
		ACSURL:      "https://api.latchkey.test/v1/b2b/sso/callback/" + id,
		SigningKey:  key,
		SigningCert: cert,
		IdPEntityID: idp.meta.EntityID,
		IdPSSOURL:   idp.meta.SSOURL,
		IdPCerts:    idp.meta.Certs,
	}
	if encrypted {
		sp.EncryptionKey, sp.EncryptionCert = keyPair(t, "latchkey encryption "+id)
	}
	md, err := sp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPut, idp.srv.URL+"/services/"+id, bytes.NewReader(md))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("PUT /services/%s: %s\n%s", id, res.Status, md)
	}
	return sp
}

// browser is a fresh user agent with its own cookies.
func browser(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// spLogin runs an SP-initiated login: the browser follows the AuthnRequest redirect, gets the
// login form, and posts it. It returns the SAMLResponse and RelayState of the auto-post form.
//
// samlidp's login form posts the AuthnRequest back to /sso without the redirect binding's
// query signature, and then refuses it because our metadata says AuthnRequestsSigned. So the
// credentials go to /login, which opens the IdP session, and the browser follows the signed
// redirect again — as it would after logging in to the IdP in another tab.
func (idp *testIdP) spLogin(sp samlsp.SP, relayState string) (samlResponse, gotRelayState, requestID string) {
	t := idp.t
	t.Helper()
	redirect, requestID, err := sp.AuthnRequest(relayState)
	if err != nil {
		t.Fatal(err)
	}
	b := browser(t)
	form := parseForm(t, get(t, b, redirect))
	if _, ok := form.fields["password"]; !ok {
		t.Fatalf("the AuthnRequest did not lead to the login form: %v", form)
	}
	if form.fields["RelayState"] != relayState {
		t.Fatalf("login form RelayState %q, want %q", form.fields["RelayState"], relayState)
	}
	post(t, b, idp.srv.URL+"/login", map[string]string{"user": "alice", "password": password})
	out := parseForm(t, get(t, b, redirect))
	if out.action != sp.ACSURL {
		t.Fatalf("auto-post form goes to %q, want the ACS %q", out.action, sp.ACSURL)
	}
	return out.fields["SAMLResponse"], out.fields["RelayState"], requestID
}

// idpLogin runs an IdP-initiated login through a samlidp shortcut.
func (idp *testIdP) idpLogin(sp samlsp.SP, relayState string) (samlResponse, gotRelayState string) {
	t := idp.t
	t.Helper()
	name := fmt.Sprintf("s%d", time.Now().UnixNano())
	shortcut := fmt.Sprintf(`{"name":%q,"service_provider":%q,"relay_state":%q}`, name, sp.EntityID, relayState)
	req, err := http.NewRequest(http.MethodPut, idp.srv.URL+"/shortcuts/"+name, strings.NewReader(shortcut))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("PUT /shortcuts: %s", res.Status)
	}
	b := browser(t)
	// Without a session samlidp shows a form posting to /login, which only opens the session.
	form := parseForm(t, get(t, b, idp.srv.URL+"/login/"+name))
	form.fields["user"] = "alice"
	form.fields["password"] = password
	post(t, b, idp.abs(form.action), form.fields)
	out := parseForm(t, get(t, b, idp.srv.URL+"/login/"+name))
	if out.action != sp.ACSURL {
		t.Fatalf("auto-post form goes to %q, want the ACS %q", out.action, sp.ACSURL)
	}
	return out.fields["SAMLResponse"], out.fields["RelayState"]
}

func (idp *testIdP) abs(action string) string {
	if strings.HasPrefix(action, "/") {
		return idp.srv.URL + action
	}
	return action
}

func get(t testing.TB, c *http.Client, u string) string {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return readBody(t, res)
}

func post(t testing.TB, c *http.Client, u string, fields map[string]string) string {
	t.Helper()
	v := url.Values{}
	for k, f := range fields {
		v.Set(k, f)
	}
	res, err := c.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	return readBody(t, res)
}

func readBody(t testing.TB, res *http.Response) string {
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

func parseForm(t testing.TB, page string) htmlForm {
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

func wantReason(t *testing.T, err error, reason string) {
	t.Helper()
	var e *samlsp.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *samlsp.Error %q", err, err, reason)
	}
	if e.Reason != reason {
		t.Fatalf("reason %q (%v), want %q", e.Reason, err, reason)
	}
	t.Logf("refused: %v", err)
}

func TestSPInitiated(t *testing.T) {
	idp := newIdP(t)
	sp := idp.newSP("conn-sp", false)
	resp, relayState, requestID := idp.spLogin(sp, "state-1234")
	if relayState != "state-1234" {
		t.Errorf("RelayState %q, want state-1234", relayState)
	}

	before := time.Now()
	a, err := sp.Verify(resp, requestID)
	if err != nil {
		t.Fatalf("Verify: %v\n%s", err, decode(t, resp))
	}
	if a.NameID != userEmail || a.NameIDFormat != samlsp.NameIDFormatEmail {
		t.Errorf("NameID %q (%s), want %q (%s)", a.NameID, a.NameIDFormat, userEmail, samlsp.NameIDFormatEmail)
	}
	if a.InResponseTo != requestID {
		t.Errorf("InResponseTo %q, want %q", a.InResponseTo, requestID)
	}
	if a.ID == "" || a.SessionIndex == "" || a.IssueInstant.IsZero() {
		t.Errorf("ID %q, SessionIndex %q, IssueInstant %v: want all set", a.ID, a.SessionIndex, a.IssueInstant)
	}
	// samlidp gives 90 s to deliver; the replay window adds the 3 min skew.
	if !a.NotOnOrAfter.After(before.Add(3*time.Minute)) || a.NotOnOrAfter.After(before.Add(5*time.Minute)) {
		t.Errorf("NotOnOrAfter %v, want about now + 90s + 3min", a.NotOnOrAfter)
	}
	if got := a.First("email", attrMail, "mail"); got != userEmail {
		t.Errorf("email %q", got)
	}
	if got := a.First(attrGivenName); got != "Alice" {
		t.Errorf("given name %q", got)
	}
	if got := a.First("givenName"); got != "Alice" { // by FriendlyName
		t.Errorf("given name by FriendlyName %q", got)
	}
	for _, name := range []string{attrGroups, "eduPersonAffiliation"} {
		if got := a.Attributes[name]; !slices.Equal(got, []string{"admins", "engineering"}) {
			t.Errorf("groups by %s: %q", name, got)
		}
	}
	if got := a.First("nope", "missing"); got != "" {
		t.Errorf("First of absent attributes: %q", got)
	}

	t.Run("the answer to another AuthnRequest", func(t *testing.T) {
		_, err := sp.Verify(resp, "_another-request")
		wantReason(t, err, samlsp.ReasonInResponseTo)
	})
	t.Run("taken as IdP-initiated", func(t *testing.T) {
		_, err := sp.Verify(resp, "")
		wantReason(t, err, samlsp.ReasonInResponseTo)
	})
}

func TestIdPInitiated(t *testing.T) {
	idp := newIdP(t)
	sp := idp.newSP("conn-idp", false)
	resp, relayState := idp.idpLogin(sp, "from-idp")
	if relayState != "from-idp" {
		t.Errorf("RelayState %q", relayState)
	}
	a, err := sp.Verify(resp, "")
	if err != nil {
		t.Fatalf("Verify: %v\n%s", err, decode(t, resp))
	}
	if a.NameID != userEmail || a.InResponseTo != "" {
		t.Errorf("NameID %q, InResponseTo %q", a.NameID, a.InResponseTo)
	}
	// An unsolicited response cannot complete a login we started.
	_, err = sp.Verify(resp, "_our-request")
	wantReason(t, err, samlsp.ReasonInResponseTo)
}

// TestEncryptedAssertion decrypts an encrypted assertion with the connection's key, and refuses
// one it has no key, or the wrong key, for.
func TestEncryptedAssertion(t *testing.T) {
	idp := newIdP(t)
	sp := idp.newSP("conn-enc", true)
	resp, _, requestID := idp.spLogin(sp, "")
	if !strings.Contains(decode(t, resp), "EncryptedAssertion") {
		t.Fatal("samlidp did not encrypt although the metadata has an encryption key")
	}
	a, err := sp.Verify(resp, requestID)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if a.NameID != userEmail || a.First(attrMail) != userEmail {
		t.Errorf("NameID %q, mail %q", a.NameID, a.First(attrMail))
	}

	t.Run("key without its certificate", func(t *testing.T) {
		s := sp
		s.EncryptionCert = nil
		if _, err := s.Verify(resp, requestID); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	})
	t.Run("under an unsigned Response", func(t *testing.T) {
		// samlidp signs the assertion before encrypting it, and encrypts with AES-GCM, so the
		// Response signature can go.
		doc := etree.NewDocument()
		if err := doc.ReadFromString(decode(t, resp)); err != nil {
			t.Fatal(err)
		}
		removeSignature(t, doc.Root())
		if _, err := sp.Verify(encode(t, doc), requestID); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	})
	t.Run("no key", func(t *testing.T) {
		s := sp
		s.EncryptionKey, s.EncryptionCert = nil, nil
		_, err := s.Verify(resp, requestID)
		wantReason(t, err, samlsp.ReasonMalformed)
	})
	t.Run("another key", func(t *testing.T) {
		s := sp
		s.EncryptionKey, s.EncryptionCert = keyPair(t, "other encryption")
		_, err := s.Verify(resp, requestID)
		wantReason(t, err, samlsp.ReasonMalformed)
		s.EncryptionCert = nil
		_, err = s.Verify(resp, requestID)
		wantReason(t, err, samlsp.ReasonMalformed)
	})
}

// TestConnectionSettings verifies one genuine response against SPs configured differently
// from the one the IdP answered.
func TestConnectionSettings(t *testing.T) {
	idp := newIdP(t)
	sp := idp.newSP("conn-settings", false)
	resp, _, requestID := idp.spLogin(sp, "")
	_, otherCert := keyPair(t, "another idp")

	for _, tc := range []struct {
		name   string
		change func(*samlsp.SP)
		reason string // "" for accepted
	}{
		{"as registered", func(*samlsp.SP) {}, ""},
		{"signed by a key not in IdPCerts", func(sp *samlsp.SP) { sp.IdPCerts = []*x509.Certificate{otherCert} }, samlsp.ReasonSignature},
		{"any of IdPCerts may verify", func(sp *samlsp.SP) { sp.IdPCerts = []*x509.Certificate{otherCert, idp.cert} }, ""},
		{"wrong audience", func(sp *samlsp.SP) { sp.EntityID = "https://api.latchkey.test/other" }, samlsp.ReasonAudience},
		{"alternative audience", func(sp *samlsp.SP) {
			sp.AltAudience, sp.EntityID = sp.EntityID, "https://api.latchkey.test/other"
		}, ""},
		{"wrong issuer", func(sp *samlsp.SP) { sp.IdPEntityID = "https://evil.example/idp" }, samlsp.ReasonIssuer},
		{"wrong ACS", func(sp *samlsp.SP) { sp.ACSURL = "https://api.latchkey.test/v1/b2b/sso/callback/other" }, samlsp.ReasonDestination},
		{"expired", func(sp *samlsp.SP) { sp.Now = func() time.Time { return time.Now().Add(time.Hour) } }, samlsp.ReasonExpired},
		{"not yet valid", func(sp *samlsp.SP) { sp.Now = func() time.Time { return time.Now().Add(-time.Hour) } }, samlsp.ReasonNotYetValid},
		// samlidp allows 90 s to deliver; the default skew of 3 min stretches that.
		{"late within the skew", func(sp *samlsp.SP) { sp.Now = func() time.Time { return time.Now().Add(3 * time.Minute) } }, ""},
		{"late with a small skew", func(sp *samlsp.SP) {
			sp.Now = func() time.Time { return time.Now().Add(3 * time.Minute) }
			sp.Skew = time.Second
		}, samlsp.ReasonExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sp
			tc.change(&s)
			a, err := s.Verify(resp, requestID)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if a.NameID != userEmail {
					t.Fatalf("NameID %q", a.NameID)
				}
				return
			}
			wantReason(t, err, tc.reason)
		})
	}
}

const nsDSig = "http://www.w3.org/2000/09/xmldsig#"

// tampered is a genuine response being edited, with the keys to re-sign it: the IdP's (what a
// misbehaving IdP could send) and another one (what an attacker could).
type tampered struct {
	t         *testing.T
	root      *etree.Element
	assertion *etree.Element
	idp       *testIdP
	otherKey  *rsa.PrivateKey
	otherCert *x509.Certificate
}

// sign replaces el's signature (if any) by one made with key, and returns the signed element,
// which takes el's place in the document.
func (r *tampered) sign(el *etree.Element, key *rsa.PrivateKey, cert *x509.Certificate) *etree.Element {
	t := r.t
	t.Helper()
	if sig := findSignature(el); sig != nil {
		el.RemoveChild(sig)
	}
	ctx, err := dsig.NewSigningContext(key, [][]byte{cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	signed, err := ctx.SignEnveloped(el)
	if err != nil {
		t.Fatal(err)
	}
	if parent := el.Parent(); parent != nil {
		parent.InsertChildAt(el.Index(), signed)
		parent.RemoveChild(el)
	}
	return signed
}

func (r *tampered) signAssertion(key *rsa.PrivateKey, cert *x509.Certificate) {
	r.assertion = r.sign(r.assertion, key, cert)
}

func (r *tampered) signResponse(key *rsa.PrivateKey, cert *x509.Certificate) {
	r.root = r.sign(r.root, key, cert)
}

func (r *tampered) confirmationData() *etree.Element {
	d := r.assertion.FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData")
	if d == nil {
		r.t.Fatal("no SubjectConfirmationData")
	}
	return d
}

// TestTampering edits a genuine response the way an attacker holding one would, and the way
// IdPs that sign differently from samlidp do.
func TestTampering(t *testing.T) {
	idp := newIdP(t)
	sp := idp.newSP("conn-tamper", false)
	resp, _, requestID := idp.spLogin(sp, "")
	otherKey, otherCert := keyPair(t, "attacker")
	const otherACS = "https://api.latchkey.test/v1/b2b/sso/callback/other"

	for _, tc := range []struct {
		name   string
		edit   func(r *tampered)
		sp     func(*samlsp.SP)
		reason string // "" for accepted
	}{
		{"unchanged", func(*tampered) {}, nil, ""},

		// Signed differently by the IdP itself.
		{"only the assertion signed", func(r *tampered) {
			removeSignature(t, r.root)
		}, nil, ""},
		{"only the Response signed", func(r *tampered) {
			removeSignature(t, r.assertion)
			r.signResponse(idp.key, idp.cert)
		}, nil, ""},
		{"InResponseTo only on the signed Response", func(r *tampered) {
			removeSignature(t, r.assertion)
			r.confirmationData().RemoveAttr("InResponseTo")
			r.signResponse(idp.key, idp.cert)
		}, nil, ""},
		{"InResponseTo only on an unsigned Response", func(r *tampered) {
			r.confirmationData().RemoveAttr("InResponseTo")
			r.signAssertion(idp.key, idp.cert)
			removeSignature(t, r.root)
		}, nil, samlsp.ReasonInResponseTo},
		{"SubjectConfirmationData NotBefore ahead", func(r *tampered) {
			r.confirmationData().CreateAttr("NotBefore", time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
			r.signAssertion(idp.key, idp.cert)
			removeSignature(t, r.root)
		}, nil, samlsp.ReasonNotYetValid},
		{"a second AudienceRestriction for someone else", func(r *tampered) {
			r.assertion.FindElement("./Conditions").CreateElement("saml:AudienceRestriction").
				CreateElement("saml:Audience").SetText("https://someone-else.example")
			r.signAssertion(idp.key, idp.cert)
			removeSignature(t, r.root)
		}, nil, samlsp.ReasonAudience},
		{"no KeyInfo, one of two IdPCerts", func(r *tampered) {
			removeSignature(t, r.root)
			sig := signature(t, r.assertion)
			sig.RemoveChild(sig.FindElement("./KeyInfo"))
		}, func(sp *samlsp.SP) { sp.IdPCerts = []*x509.Certificate{otherCert, idp.cert} }, ""},
		{"assertion signed by another key in a Response the IdP signed", func(r *tampered) {
			r.signAssertion(otherKey, otherCert)
			r.signResponse(idp.key, idp.cert)
		}, nil, samlsp.ReasonSignature},
		{"Response signed by another key around the IdP's assertion", func(r *tampered) {
			r.signResponse(otherKey, otherCert)
		}, nil, samlsp.ReasonSignature},

		// Edited by someone without the IdP key.
		{"unsigned", func(r *tampered) {
			removeSignature(t, r.root)
			removeSignature(t, r.assertion)
		}, nil, samlsp.ReasonSignature},
		{"NameID changed", func(r *tampered) {
			nameID(t, r.assertion).SetText("mallory@example.com")
		}, nil, samlsp.ReasonSignature},
		{"NameID changed under the assertion signature alone", func(r *tampered) {
			removeSignature(t, r.root)
			nameID(t, r.assertion).SetText("mallory@example.com")
		}, nil, samlsp.ReasonSignature},
		{"evil assertion before the signed one", func(r *tampered) {
			removeSignature(t, r.root)
			r.root.InsertChildAt(r.assertion.Index(), evilClone(t, r.assertion, "id-evil"))
		}, nil, samlsp.ReasonUnsignedAssertion},
		{"evil assertion after the signed one", func(r *tampered) {
			removeSignature(t, r.root)
			r.root.AddChild(evilClone(t, r.assertion, "id-evil"))
		}, nil, samlsp.ReasonUnsignedAssertion},
		{"evil assertion beside the signed one in a signed Response", func(r *tampered) {
			r.root.InsertChildAt(r.assertion.Index(), evilClone(t, r.assertion, "id-evil"))
		}, nil, samlsp.ReasonSignature},
		{"signed assertion wrapped in an evil one with its ID", func(r *tampered) {
			removeSignature(t, r.root)
			evil := evilClone(t, r.assertion, r.assertion.SelectAttrValue("ID", ""))
			r.root.RemoveChild(r.assertion)
			evil.FindElement("./Subject").AddChild(r.assertion)
			r.root.AddChild(evil)
		}, nil, samlsp.ReasonSignature},
		{"signed assertion hidden in Extensions", func(r *tampered) {
			removeSignature(t, r.root)
			evil := evilClone(t, r.assertion, "id-evil")
			r.root.RemoveChild(r.assertion)
			r.root.CreateElement("samlp:Extensions").AddChild(r.assertion)
			r.root.AddChild(evil)
		}, nil, samlsp.ReasonSignature},
		{"signed assertion and an evil one nested in it", func(r *tampered) {
			removeSignature(t, r.root)
			r.assertion.AddChild(evilClone(t, r.assertion, "id-evil"))
		}, nil, samlsp.ReasonSignature},
		{"second assertion signed by the IdP", func(r *tampered) {
			// Two genuinely signed assertions (say, from two logins) under an unsigned Response.
			removeSignature(t, r.root)
			r.root.AddChild(r.assertion.Copy())
		}, nil, samlsp.ReasonMalformed},
		{"recipient", func(r *tampered) {
			// With the Response unsigned its Destination can go, which leaves the signed
			// Recipient to catch a response meant for another ACS.
			removeSignature(t, r.root)
			r.root.RemoveAttr("Destination")
		}, func(sp *samlsp.SP) { sp.ACSURL = otherACS }, samlsp.ReasonRecipient},
		{"Destination changed on an unsigned Response", func(r *tampered) {
			removeSignature(t, r.root)
			r.root.CreateAttr("Destination", "https://elsewhere.example/acs")
		}, nil, samlsp.ReasonDestination},
		{"Issuer changed on an unsigned Response", func(r *tampered) {
			removeSignature(t, r.root)
			r.root.FindElement("./Issuer").SetText("https://evil.example/idp")
		}, nil, samlsp.ReasonIssuer},
		{"failure status", func(r *tampered) {
			r.root.FindElement("./Status/StatusCode").CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Requester")
		}, nil, samlsp.ReasonStatus},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := etree.NewDocument()
			if err := doc.ReadFromString(decode(t, resp)); err != nil {
				t.Fatal(err)
			}
			r := &tampered{t: t, root: doc.Root(), assertion: doc.Root().FindElement("./Assertion"), idp: idp, otherKey: otherKey, otherCert: otherCert}
			if r.assertion == nil {
				t.Fatal("no assertion in the response")
			}
			tc.edit(r)
			doc.SetRoot(r.root)
			s := sp
			if tc.sp != nil {
				tc.sp(&s)
			}
			a, err := s.Verify(encode(t, doc), requestID)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if a.NameID != userEmail || a.InResponseTo != requestID {
					t.Fatalf("NameID %q, InResponseTo %q", a.NameID, a.InResponseTo)
				}
				return
			}
			wantReason(t, err, tc.reason)
		})
	}
}

func findSignature(el *etree.Element) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == nsDSig {
			return c
		}
	}
	return nil
}

func signature(t *testing.T, el *etree.Element) *etree.Element {
	t.Helper()
	sig := findSignature(el)
	if sig == nil {
		t.Fatalf("%s has no signature", el.Tag)
	}
	return sig
}

func removeSignature(t *testing.T, el *etree.Element) {
	t.Helper()
	el.RemoveChild(signature(t, el))
}

func nameID(t *testing.T, assertion *etree.Element) *etree.Element {
	t.Helper()
	n := assertion.FindElement("./Subject/NameID")
	if n == nil {
		t.Fatal("no NameID")
	}
	return n
}

// evilClone is the assertion an attacker writes from a genuine one: another user, no
// signature.
func evilClone(t *testing.T, assertion *etree.Element, id string) *etree.Element {
	t.Helper()
	evil := assertion.Copy()
	evil.CreateAttr("ID", id)
	removeSignature(t, evil)
	nameID(t, evil).SetText("mallory@example.com")
	return evil
}

func decode(t testing.TB, resp string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(resp)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func encode(t testing.TB, doc *etree.Document) string {
	t.Helper()
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// TestMalformed refuses inputs that are not a bounded, well-formed SAML Response (oversized,
// DTDs, duplicate attributes, deep nesting, other SAML versions) before any signature check.
func TestMalformed(t *testing.T) {
	idp := newIdP(t)
	sp := idp.newSP("conn-malformed", false)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for name, in := range map[string]string{
		"empty":          "",
		"not base64":     "<samlp:Response>",
		"not XML":        b64("hello"),
		"not a Response": b64(`<foo xmlns="urn:oasis:names:tc:SAML:2.0:protocol"/>`),
		"too large":      strings.Repeat("A", 4*samlsp.MaxResponseSize),
		"DTD":            b64(`<!DOCTYPE r [<!ENTITY x "y">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Version="2.0"/>`),
		"duplicate attribute": b64(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Version="2.0" ID="a" ID="b">` +
			`<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>`),
		"too deep": b64(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Version="2.0">` +
			strings.Repeat("<x>", 100) + strings.Repeat("</x>", 100) + `</samlp:Response>`),
		"colon in an element name": b64(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Version="2.0"><x::y/></samlp:Response>`),
		"SAML 1.1": b64(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Version="1.1">` +
			`<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>`),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := sp.Verify(in, "")
			wantReason(t, err, samlsp.ReasonMalformed)
		})
	}
	t.Run("unsigned failure", func(t *testing.T) {
		_, err := sp.Verify(b64(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Version="2.0">`+
			`<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder">`+
			`<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"/></samlp:StatusCode>`+
			`<samlp:StatusMessage>locked out</samlp:StatusMessage></samlp:Status></samlp:Response>`), "")
		wantReason(t, err, samlsp.ReasonStatus)
		if !strings.Contains(err.Error(), "AuthnFailed") || !strings.Contains(err.Error(), "locked out") {
			t.Errorf("status detail lost: %v", err)
		}
	})
	t.Run("unsigned success without assertion", func(t *testing.T) {
		_, err := sp.Verify(b64(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Version="2.0">`+
			`<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>`), "")
		wantReason(t, err, samlsp.ReasonSignature)
	})
	t.Run("misconfigured SP", func(t *testing.T) {
		s := sp
		s.IdPCerts = nil
		_, err := s.Verify(b64("x"), "")
		var e *samlsp.Error
		if err == nil || errors.As(err, &e) {
			t.Fatalf("err %v: want a configuration error, not a verification failure", err)
		}
	})
}

func TestAuthnRequest(t *testing.T) {
	idp := newIdP(t)
	sp := idp.newSP("conn-authn", false)
	redirect, id, err := sp.AuthnRequest("rs")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(redirect)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme+"://"+u.Host+u.Path != idp.meta.SSOURL || q.Get("SAMLRequest") == "" || q.Get("RelayState") != "rs" ||
		q.Get("SigAlg") != "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" || q.Get("Signature") == "" {
		t.Errorf("redirect %s", redirect)
	}
	if _, id2, _ := sp.AuthnRequest("rs"); id == "" || id == id2 {
		t.Errorf("request IDs %q and %q: want unique", id, id2)
	}

	t.Run("signed with a key the IdP does not know", func(t *testing.T) {
		s := sp
		s.SigningKey, s.SigningCert = keyPair(t, "not registered")
		redirect, _, err := s.AuthnRequest("")
		if err != nil {
			t.Fatal(err)
		}
		res, err := browser(t).Get(redirect)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Fatal("samlidp accepted an AuthnRequest signed with an unregistered key")
		}
	})
	t.Run("RelayState too long", func(t *testing.T) {
		if _, _, err := sp.AuthnRequest(strings.Repeat("x", samlsp.MaxRelayStateLength+1)); err == nil {
			t.Fatal("want an error")
		}
	})
	t.Run("no signing key", func(t *testing.T) {
		s := sp
		s.SigningKey = nil
		if _, _, err := s.AuthnRequest(""); err == nil {
			t.Fatal("want an error")
		}
	})
}

func TestMetadata(t *testing.T) {
	idp := newIdP(t)
	if want := idp.srv.URL + "/metadata"; idp.meta.EntityID != want {
		t.Errorf("EntityID %q, want %q", idp.meta.EntityID, want)
	}
	if want := idp.srv.URL + "/sso"; idp.meta.SSOURL != want {
		t.Errorf("SSOURL %q, want %q", idp.meta.SSOURL, want)
	}
	if len(idp.meta.Certs) != 1 || !idp.meta.Certs[0].Equal(idp.cert) {
		t.Errorf("Certs %v: want the IdP's signing certificate only", idp.meta.Certs)
	}

	raw := get(t, http.DefaultClient, idp.srv.URL+"/metadata")
	raw = strings.TrimPrefix(raw, `<?xml version="1.0" encoding="UTF-8"?>`)
	wrapped := `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">` +
		`<md:EntityDescriptor entityID="https://sp.example"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>` +
		`<md:EntitiesDescriptor>` + raw + `</md:EntitiesDescriptor></md:EntitiesDescriptor>`
	m, err := samlsp.ParseIdPMetadata([]byte(wrapped))
	if err != nil {
		t.Fatalf("EntitiesDescriptor: %v", err)
	}
	if m.EntityID != idp.meta.EntityID || m.SSOURL != idp.meta.SSOURL || len(m.Certs) != 1 {
		t.Errorf("EntitiesDescriptor gave %+v", m)
	}

	sp := idp.newSP("conn-md", true)
	md, err := sp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`entityID="` + sp.EntityID + `"`, `AuthnRequestsSigned="true"`, `WantAssertionsSigned="true"`,
		`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="` + sp.ACSURL + `"`,
		`use="signing"`, `use="encryption"`, base64.StdEncoding.EncodeToString(sp.SigningCert.Raw)} {
		if !strings.Contains(string(md), want) {
			t.Errorf("SP metadata lacks %s:\n%s", want, md)
		}
	}
	if strings.Contains(string(md), "validUntil") {
		t.Error("SP metadata expires")
	}
	if _, err := samlsp.ParseIdPMetadata(md); err == nil {
		t.Error("SP metadata parsed as IdP metadata")
	}
	for name, in := range map[string]string{
		"not XML":   "nope",
		"wrong doc": `<foo/>`,
		"no redirect SSO": `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
			`<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://x/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>`,
	} {
		if _, err := samlsp.ParseIdPMetadata([]byte(in)); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestParseCertificate(t *testing.T) {
	_, certPEM, err := samlsp.NewKeyPair("cert", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(certPEM))
	bare := base64.StdEncoding.EncodeToString(block.Bytes)
	var wrapped strings.Builder // as metadata and IdP consoles break it
	for i := 0; i < len(bare); i += 64 {
		wrapped.WriteString(bare[i:min(i+64, len(bare))] + "\n")
	}
	oneLine := "-----BEGIN CERTIFICATE----- " + bare + " -----END CERTIFICATE-----"
	for name, in := range map[string]string{"PEM": certPEM, "base64 DER": bare, "wrapped base64": "  " + wrapped.String(), "one-line PEM": oneLine} {
		c, err := samlsp.ParseCertificate(in)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(c.Raw, block.Bytes) || c.Subject.CommonName != "cert" {
			t.Errorf("%s: wrong certificate", name)
		}
	}
	for name, in := range map[string]string{"empty": "", "garbage": "not a cert", "base64 of junk": base64.StdEncoding.EncodeToString([]byte("junk")),
		"key PEM": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"} {
		if _, err := samlsp.ParseCertificate(in); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestParsePrivateKey(t *testing.T) {
	keyPEM, certPEM, err := samlsp.NewKeyPair("k", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	k8, err := samlsp.ParsePrivateKey(keyPEM)
	if err != nil {
		t.Fatalf("PKCS#8: %v", err)
	}
	cert, err := samlsp.ParseCertificate(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !k8.PublicKey.Equal(cert.PublicKey) || k8.N.BitLen() != 2048 {
		t.Error("key and certificate do not match, or not RSA-2048")
	}
	if !cert.NotAfter.After(time.Now().Add(59 * time.Minute)) {
		t.Errorf("NotAfter %v", cert.NotAfter)
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k8)}))
	k1, err := samlsp.ParsePrivateKey(pkcs1)
	if err != nil {
		t.Fatalf("PKCS#1: %v", err)
	}
	if !k1.Equal(k8) {
		t.Error("PKCS#1 and PKCS#8 differ")
	}
	for name, in := range map[string]string{"empty": "", "certificate": certPEM, "junk": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"} {
		if _, err := samlsp.ParsePrivateKey(in); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}
