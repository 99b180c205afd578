package samlsp

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/russellhaering/gosaml2/types"
	dsig "github.com/russellhaering/goxmldsig"
)

// Verify checks a POSTed base64 SAMLResponse completely and returns the assertion.
// expectedRequestID is "" for IdP-initiated responses (then InResponseTo must be absent) and
// the AuthnRequest ID otherwise (then it must match).
//
// Every refusal of the Response is an *Error (an SP missing its settings gets a plain error).
// What is required:
//
//   - a bounded, well-formed document (see parseXML) whose root is a SAML 2.0 Response with
//     status Success;
//   - a valid signature by one of IdPCerts over the Response, or else over each assertion;
//     an unsigned Response carrying an assertion no signature covers is refused
//     ("unsigned_assertion"), as is any assertion signature inside a signed Response that
//     does not verify. Only what goxmldsig returns as signed is read afterwards, so content
//     injected beside or around the signed element (signature wrapping) is never seen;
//   - exactly one assertion (decrypted with EncryptionKey when encrypted);
//   - the Response Issuer, when present, and the assertion Issuer equal to IdPEntityID;
//   - the Response Destination, when present, equal to ACSURL;
//   - a bearer SubjectConfirmation whose Recipient is ACSURL, whose NotBefore/NotOnOrAfter
//     hold within Skew and whose InResponseTo follows the rule above;
//   - Conditions NotBefore/NotOnOrAfter within Skew and every AudienceRestriction naming
//     EntityID or AltAudience.
//
// Checking Assertion.ID against a replay cache is left to the caller.
func (sp SP) Verify(samlResponse string, expectedRequestID string) (Assertion, error) {
	if err := sp.verifyConfig(); err != nil {
		return Assertion{}, err
	}
	now := sp.now()
	raw, err := decodeResponse(samlResponse)
	if err != nil {
		return Assertion{}, err
	}
	doc, err := parseXML(raw)
	if err != nil {
		return Assertion{}, err
	}
	root := doc.Root()
	if root.Tag != "Response" || root.NamespaceURI() != nsProtocol {
		return Assertion{}, fail(ReasonMalformed, "root element is not a samlp:Response", nil)
	}
	var env xmlResponse
	if err := xml.Unmarshal(raw, &env); err != nil {
		return Assertion{}, fail(ReasonMalformed, "cannot read the Response", err)
	}
	if env.Version != "2.0" {
		return Assertion{}, fail(ReasonMalformed, fmt.Sprintf("SAML version %q, want 2.0", env.Version), nil)
	}
	// Failure responses often come unsigned, and reporting the IdP's status is the most useful
	// answer; trusting an unsigned status can only make us refuse.
	if !env.Status.success() {
		return Assertion{}, fail(ReasonStatus, env.Status.String(), nil)
	}

	v, err := sp.verifySignatures(root, now)
	if err != nil {
		return Assertion{}, err
	}
	if v.envelope != nil {
		// The Response is signed: read its fields again from what the signature covers.
		env = xmlResponse{}
		if err := unmarshalElement(v.envelope, &env); err != nil {
			return Assertion{}, fail(ReasonMalformed, "cannot read the signed Response", err)
		}
		if !env.Status.success() {
			return Assertion{}, fail(ReasonStatus, env.Status.String(), nil)
		}
	}
	if len(v.assertions) != 1 {
		return Assertion{}, fail(ReasonMalformed, fmt.Sprintf("Response has %d assertions, want exactly 1", len(v.assertions)), nil)
	}
	var a xmlAssertion
	if err := unmarshalElement(v.assertions[0], &a); err != nil {
		return Assertion{}, fail(ReasonMalformed, "cannot read the assertion", err)
	}
	return sp.check(env, v.envelope != nil, a, expectedRequestID, now)
}

func (sp SP) verifyConfig() error {
	if sp.EntityID == "" || sp.ACSURL == "" || sp.IdPEntityID == "" || len(sp.IdPCerts) == 0 {
		return errors.New("samlsp: Verify needs EntityID, ACSURL, IdPEntityID and IdPCerts")
	}
	for _, c := range sp.IdPCerts {
		if c == nil {
			return errors.New("samlsp: nil certificate in IdPCerts")
		}
	}
	return nil
}

// verified is what the signature step vouches for.
type verified struct {
	envelope   *etree.Element   // the signed Response; nil when only assertions are signed
	assertions []*etree.Element // each signed, or covered by the envelope signature
}

func (sp SP) verifySignatures(root *etree.Element, now time.Time) (verified, error) {
	signed, err := sp.validate(root, now)
	switch {
	case err == nil:
		return sp.signedResponse(signed, now)
	case errors.Is(err, dsig.ErrMissingSignature):
		return sp.unsignedResponse(root, now)
	default:
		return verified{}, fail(ReasonSignature, "Response signature does not verify", err)
	}
}

// signedResponse takes the assertions out of a Response whose signature verified. They are
// covered by it; one that carries its own signature must verify as well, as gosaml2 requires.
func (sp SP) signedResponse(resp *etree.Element, now time.Time) (verified, error) {
	out := verified{envelope: resp}
	for _, child := range resp.ChildElements() {
		a, err := sp.assertionElement(child, false)
		if err != nil {
			return verified{}, err
		}
		if a == nil {
			continue
		}
		switch signed, err := sp.validate(a, now); {
		case err == nil:
			a = signed
		case errors.Is(err, dsig.ErrMissingSignature):
		default:
			return verified{}, fail(ReasonSignature, "assertion signature does not verify", err)
		}
		out.assertions = append(out.assertions, a)
	}
	return out, nil
}

// unsignedResponse handles a Response without a signature: only signed assertions can be
// trusted, and an assertion that is unsigned, or that sits anywhere but directly in the
// Response, is what an injected one looks like.
func (sp SP) unsignedResponse(root *etree.Element, now time.Time) (verified, error) {
	var out verified
	unsigned := 0
	var walk func(el *etree.Element)
	walk = func(el *etree.Element) {
		for _, c := range el.ChildElements() {
			if el != root && (isSAML(c, "Assertion") || isSAML(c, "EncryptedAssertion")) {
				unsigned++
			}
			walk(c)
		}
	}
	walk(root)
	for _, child := range root.ChildElements() {
		a, err := sp.assertionElement(child, true)
		if err != nil {
			return verified{}, err
		}
		if a == nil {
			continue
		}
		switch signed, err := sp.validate(a, now); {
		case err == nil:
			out.assertions = append(out.assertions, signed)
		case errors.Is(err, dsig.ErrMissingSignature):
			unsigned++
		default:
			return verified{}, fail(ReasonSignature, "assertion signature does not verify", err)
		}
	}
	if len(out.assertions) == 0 {
		return verified{}, fail(ReasonSignature, "neither the Response nor an assertion is signed", nil)
	}
	if unsigned > 0 {
		return verified{}, fail(ReasonUnsignedAssertion, fmt.Sprintf("the Response is unsigned and carries %d assertion(s) without a signature", unsigned), nil)
	}
	return out, nil
}

// assertionElement returns child as a standalone assertion element if it is an Assertion or
// an EncryptedAssertion (decrypted), and nil for anything else.
func (sp SP) assertionElement(child *etree.Element, unsignedEnvelope bool) (*etree.Element, error) {
	switch {
	case isSAML(child, "Assertion"):
		a, err := detach(child)
		if err != nil {
			return nil, fail(ReasonMalformed, "cannot read the assertion", err)
		}
		return a, nil
	case isSAML(child, "EncryptedAssertion"):
		return sp.decrypt(child, unsignedEnvelope)
	}
	return nil, nil
}

// Without an envelope signature the ciphertext is the attacker's to change, so only
// authenticated encryption (AES-GCM) with OAEP key transport is accepted there: CBC and
// PKCS#1 v1.5 would turn our decryption errors into an oracle. Under a signed Response the
// ciphertext is the IdP's, and CBC (still the default of some IdPs) is accepted.
var (
	gcmMethods  = map[string]bool{types.MethodAES128GCM: true, types.MethodAES192GCM: true, types.MethodAES256GCM: true}
	oaepMethods = map[string]bool{types.MethodRSAOAEP: true, types.MethodRSAOAEP2: true}
)

func (sp SP) decrypt(el *etree.Element, unsignedEnvelope bool) (*etree.Element, error) {
	if sp.EncryptionKey == nil {
		return nil, fail(ReasonMalformed, "the assertion is encrypted and this connection has no encryption key", nil)
	}
	var ea types.EncryptedAssertion
	if err := unmarshalElement(el, &ea); err != nil {
		return nil, fail(ReasonMalformed, "cannot read the encrypted assertion", err)
	}
	key := ea.EncryptedKey
	if key.CipherValue == "" {
		key = ea.DetEncryptedKey
	}
	if unsignedEnvelope && (!gcmMethods[ea.EncryptionMethod.Algorithm] || !oaepMethods[key.EncryptionMethod.Algorithm]) {
		return nil, fail(ReasonMalformed, fmt.Sprintf("an unsigned Response must encrypt with AES-GCM and RSA-OAEP, not %q and %q",
			ea.EncryptionMethod.Algorithm, key.EncryptionMethod.Algorithm), nil)
	}
	certDER, err := sp.decryptionCert(key.X509Data)
	if err != nil {
		return nil, err
	}
	plain, err := ea.DecryptBytes(&tls.Certificate{Certificate: [][]byte{certDER}, PrivateKey: sp.EncryptionKey})
	if err != nil {
		return nil, fail(ReasonMalformed, "cannot decrypt the assertion", err)
	}
	doc, err := parseXML(plain)
	if err != nil {
		return nil, err
	}
	if a := doc.Root(); isSAML(a, "Assertion") {
		return a, nil
	}
	return nil, fail(ReasonMalformed, "the encrypted element is not an assertion", nil)
}

// decryptionCert is the certificate gosaml2 wants beside the decryption key. It only compares
// it with the certificate the EncryptedKey names, if any, so without EncryptionCert that one is
// used when it holds our public key.
func (sp SP) decryptionCert(named string) ([]byte, error) {
	if sp.EncryptionCert != nil {
		return sp.EncryptionCert.Raw, nil
	}
	if named == "" {
		return []byte{0}, nil // never read: there is nothing to compare it with
	}
	der, err := base64.StdEncoding.DecodeString(stripSpace(named))
	if err != nil {
		return nil, fail(ReasonMalformed, "the EncryptedKey certificate is not base64", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fail(ReasonMalformed, "cannot read the EncryptedKey certificate", err)
	}
	if !sp.EncryptionKey.PublicKey.Equal(c.PublicKey) {
		return nil, fail(ReasonMalformed, "the assertion is encrypted to another key", nil)
	}
	return der, nil
}

// validate checks el's enveloped signature against IdPCerts and returns what it covers.
func (sp SP) validate(el *etree.Element, now time.Time) (*etree.Element, error) {
	signed, err := validateWith(el, sp.IdPCerts, now)
	if err == nil || errors.Is(err, dsig.ErrMissingSignature) || len(sp.IdPCerts) == 1 {
		return signed, err
	}
	// goxmldsig uses the certificate from the signature's KeyInfo, and without one it can
	// only pick the store's single certificate. An IdP in the middle of a rollover has two
	// and may sign without KeyInfo, so each is tried alone.
	for _, c := range sp.IdPCerts {
		if signed, err1 := validateWith(el, []*x509.Certificate{c}, now); err1 == nil {
			return signed, nil
		}
	}
	return nil, err
}

func validateWith(el *etree.Element, certs []*x509.Certificate, now time.Time) (*etree.Element, error) {
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: certs})
	ctx.Clock = dsig.NewFakeClockAt(now)
	return ctx.Validate(el)
}

// check applies the SAML Web Browser SSO profile rules (saml-profiles §4.1.4.3) to a verified
// assertion.
func (sp SP) check(env xmlResponse, envelopeSigned bool, a xmlAssertion, expectedRequestID string, now time.Time) (Assertion, error) {
	skew := sp.skew()
	if env.Issuer != nil && strings.TrimSpace(env.Issuer.Value) != sp.IdPEntityID {
		return Assertion{}, fail(ReasonIssuer, fmt.Sprintf("Response Issuer is %q, want %q", strings.TrimSpace(env.Issuer.Value), sp.IdPEntityID), nil)
	}
	if a.Issuer == nil || strings.TrimSpace(a.Issuer.Value) != sp.IdPEntityID {
		got := ""
		if a.Issuer != nil {
			got = strings.TrimSpace(a.Issuer.Value)
		}
		return Assertion{}, fail(ReasonIssuer, fmt.Sprintf("assertion Issuer is %q, want %q", got, sp.IdPEntityID), nil)
	}
	if env.Destination != "" && env.Destination != sp.ACSURL {
		return Assertion{}, fail(ReasonDestination, fmt.Sprintf("Response Destination is %q, want %q", env.Destination, sp.ACSURL), nil)
	}
	// A Response answering some AuthnRequest must not be taken as unsolicited (nor as the
	// answer to another one): that is how a response stolen from one login is replayed into
	// another.
	if env.InResponseTo != "" && env.InResponseTo != expectedRequestID {
		return Assertion{}, fail(ReasonInResponseTo, irtDetail("Response", env.InResponseTo, expectedRequestID), nil)
	}
	switch {
	case a.Version != "2.0":
		return Assertion{}, fail(ReasonMalformed, fmt.Sprintf("assertion version %q, want 2.0", a.Version), nil)
	case a.ID == "":
		return Assertion{}, fail(ReasonMalformed, "assertion has no ID", nil)
	case a.IssueInstant.IsZero():
		return Assertion{}, fail(ReasonMalformed, "assertion has no IssueInstant", nil)
	case now.Add(skew).Before(a.IssueInstant):
		return Assertion{}, fail(ReasonNotYetValid, "assertion IssueInstant "+stamp(a.IssueInstant)+" is in the future", nil)
	case a.Subject == nil || a.Subject.NameID == nil || strings.TrimSpace(a.Subject.NameID.Value) == "":
		return Assertion{}, fail(ReasonMalformed, "assertion has no NameID", nil)
	}

	// Any bearer confirmation that holds will do (saml-core §2.4.1.1); report the first
	// failure otherwise.
	var confirmed *xmlSubjectConfirmationData
	var firstErr *Error
	for _, sc := range a.Subject.Confirmations {
		if sc.Method != methodBearer {
			continue
		}
		err := sp.checkConfirmation(sc.Data, env, envelopeSigned, expectedRequestID, now)
		if err == nil {
			confirmed = sc.Data
			break
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if confirmed == nil {
		if firstErr != nil {
			return Assertion{}, firstErr
		}
		return Assertion{}, fail(ReasonMalformed, "assertion has no bearer SubjectConfirmation", nil)
	}

	c := a.Conditions
	if c == nil {
		return Assertion{}, fail(ReasonAudience, "assertion has no Conditions, so no AudienceRestriction", nil)
	}
	if !c.NotBefore.IsZero() && now.Add(skew).Before(c.NotBefore) {
		return Assertion{}, fail(ReasonNotYetValid, "Conditions NotBefore is "+stamp(c.NotBefore), nil)
	}
	if !c.NotOnOrAfter.IsZero() && !now.Before(c.NotOnOrAfter.Add(skew)) {
		return Assertion{}, fail(ReasonExpired, "Conditions NotOnOrAfter was "+stamp(c.NotOnOrAfter), nil)
	}
	if len(c.AudienceRestrictions) == 0 {
		return Assertion{}, fail(ReasonAudience, "assertion has no AudienceRestriction", nil)
	}
	// Each AudienceRestriction is a condition of its own, so each must name us.
	for _, r := range c.AudienceRestrictions {
		if !sp.oneOfUs(r.Audiences) {
			return Assertion{}, fail(ReasonAudience, fmt.Sprintf("audience is %q, want %q", r.Audiences, sp.EntityID), nil)
		}
	}

	out := Assertion{
		ID:           a.ID,
		IssueInstant: a.IssueInstant,
		InResponseTo: expectedRequestID,
		NameID:       strings.TrimSpace(a.Subject.NameID.Value),
		NameIDFormat: a.Subject.NameID.Format,
		Attributes:   map[string][]string{},
	}
	until := confirmed.NotOnOrAfter
	if !c.NotOnOrAfter.IsZero() && c.NotOnOrAfter.Before(until) {
		until = c.NotOnOrAfter
	}
	out.NotOnOrAfter = until.Add(skew)
	for _, s := range a.AuthnStatements {
		if s.SessionIndex != "" {
			out.SessionIndex = s.SessionIndex
			break
		}
	}
	for _, st := range a.AttributeStatements {
		for _, attr := range st.Attributes {
			var values []string
			for _, v := range attr.Values {
				s := v.Value
				if v.NameID != nil {
					s = v.NameID.Value
				}
				if s = strings.TrimSpace(s); s != "" {
					values = append(values, s)
				}
			}
			if attr.Name != "" {
				out.Attributes[attr.Name] = append(out.Attributes[attr.Name], values...)
			}
			if attr.FriendlyName != "" && attr.FriendlyName != attr.Name {
				out.Attributes[attr.FriendlyName] = append(out.Attributes[attr.FriendlyName], values...)
			}
		}
	}
	return out, nil
}

func (sp SP) checkConfirmation(d *xmlSubjectConfirmationData, env xmlResponse, envelopeSigned bool, expectedRequestID string, now time.Time) *Error {
	skew := sp.skew()
	switch {
	case d == nil:
		return fail(ReasonMalformed, "bearer SubjectConfirmation has no SubjectConfirmationData", nil)
	case d.Recipient != sp.ACSURL:
		return fail(ReasonRecipient, fmt.Sprintf("Recipient is %q, want %q", d.Recipient, sp.ACSURL), nil)
	case d.NotOnOrAfter.IsZero():
		// Required by the profile: it is what bounds the replay window.
		return fail(ReasonMalformed, "SubjectConfirmationData has no NotOnOrAfter", nil)
	case !now.Before(d.NotOnOrAfter.Add(skew)):
		return fail(ReasonExpired, "SubjectConfirmationData NotOnOrAfter was "+stamp(d.NotOnOrAfter), nil)
	case !d.NotBefore.IsZero() && now.Add(skew).Before(d.NotBefore):
		return fail(ReasonNotYetValid, "SubjectConfirmationData NotBefore is "+stamp(d.NotBefore), nil)
	}
	switch {
	case d.InResponseTo == expectedRequestID:
		return nil
	// The profile puts InResponseTo in SubjectConfirmationData; an IdP that only sets it on the
	// Response is accepted when the Response signature covers it.
	case d.InResponseTo == "" && envelopeSigned && env.InResponseTo == expectedRequestID:
		return nil
	}
	return fail(ReasonInResponseTo, irtDetail("SubjectConfirmationData", d.InResponseTo, expectedRequestID), nil)
}

func irtDetail(where, got, want string) string {
	switch {
	case want == "":
		return fmt.Sprintf("%s answers AuthnRequest %q but no AuthnRequest was expected (IdP-initiated)", where, got)
	case got == "":
		return fmt.Sprintf("%s answers no AuthnRequest, want %q", where, want)
	}
	return fmt.Sprintf("%s answers AuthnRequest %q, want %q", where, got, want)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (sp SP) oneOfUs(audiences []string) bool {
	for _, a := range audiences {
		a = strings.TrimSpace(a)
		if a == sp.EntityID || (sp.AltAudience != "" && a == sp.AltAudience) {
			return true
		}
	}
	return false
}
