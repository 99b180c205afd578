// Package samlsp is the SAML 2.0 service-provider side of one organization's SAML connection:
// it builds signed AuthnRequests (HTTP-Redirect binding), verifies the Responses an IdP posts to
// the ACS (HTTP-POST binding), reads IdP metadata and writes SP metadata.
//
// It is stateless: an SP value is built per request from the connection's stored settings.
// Remembering the AuthnRequest ID between AuthnRequest and Verify, and refusing a replayed
// Assertion.ID until Assertion.NotOnOrAfter, are the caller's job.
//
// Signatures are checked with goxmldsig, the verifier gosaml2 uses, and only what a signature
// covers (the element goxmldsig hands back) is read; see verify.go for the rules.
//
// It is a leaf library: no Latchkey and no AWS imports.
package samlsp

import (
	"crypto/rsa"
	"crypto/x509"
	"strings"
	"time"
)

// NameIDFormatEmail is the NameID format requested when SP.NameIDFormat is empty.
const NameIDFormatEmail = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"

// DefaultSkew is the clock skew tolerated when SP.Skew is zero: what Shibboleth and crewjam
// allow, since IdP clocks drift and the validity windows are short.
const DefaultSkew = 3 * time.Minute

// MaxResponseSize bounds the decoded SAMLResponse. Real responses are a few KiB (tens with
// large group lists); anything bigger is refused before any XML parsing.
const MaxResponseSize = 256 << 10

// MaxRelayStateLength is the limit the SAML bindings put on RelayState (saml-bindings §3.4.3);
// some IdPs enforce it, so AuthnRequest refuses longer values rather than fail at the IdP.
const MaxRelayStateLength = 80

// SP is one SAML connection seen from our side. The zero values of NameIDFormat, Now and Skew
// are replaced by defaults.
type SP struct {
	EntityID    string // audience_uri: our SP entity ID, the Issuer of our AuthnRequests
	ACSURL      string // acs_url: where the IdP posts its Response
	AltAudience string // alternative_audience_uri: also accepted as Audience when set

	SigningKey  *rsa.PrivateKey // signs AuthnRequests
	SigningCert *x509.Certificate

	IdPEntityID string
	IdPSSOURL   string
	IdPCerts    []*x509.Certificate // verification certificates; any of them may verify

	NameIDFormat string // default NameIDFormatEmail

	// EncryptionKey decrypts EncryptedAssertion; nil means assertions must come in the clear.
	// EncryptionCert is its certificate: Metadata publishes it for IdPs to encrypt to. It is
	// not needed to decrypt.
	EncryptionKey  *rsa.PrivateKey
	EncryptionCert *x509.Certificate

	Now  func() time.Time // default time.Now
	Skew time.Duration    // default DefaultSkew
}

func (sp SP) now() time.Time {
	if sp.Now != nil {
		return sp.Now()
	}
	return time.Now()
}

func (sp SP) skew() time.Duration {
	if sp.Skew > 0 {
		return sp.Skew
	}
	return DefaultSkew
}

func (sp SP) nameIDFormat() string {
	if sp.NameIDFormat != "" {
		return sp.NameIDFormat
	}
	return NameIDFormatEmail
}

// Assertion is what a verified Response says about the user.
type Assertion struct {
	ID           string
	IssueInstant time.Time
	// NotOnOrAfter is the end of the window in which Verify accepts this assertion (the earliest
	// of the Conditions and SubjectConfirmationData NotOnOrAfter, plus the skew): keep ID in a
	// replay cache until then.
	NotOnOrAfter time.Time
	InResponseTo string // the AuthnRequest ID; empty for an IdP-initiated login
	NameID       string
	NameIDFormat string
	SessionIndex string
	// Attributes holds the attribute values by Name and, when the IdP gives one, also by
	// FriendlyName.
	Attributes map[string][]string
}

// First returns the first non-empty value among the named attributes, trying the names in
// order; IdPs disagree on attribute names, so callers list the usual aliases.
func (a Assertion) First(names ...string) string {
	for _, n := range names {
		for _, v := range a.Attributes[n] {
			if v != "" {
				return v
			}
		}
	}
	return ""
}

// Reasons a Response is refused. They are a contract with callers (logs, metrics, the error
// shown to an admin debugging a connection): never rename one, only add.
const (
	ReasonMalformed         = "malformed"          // not a well-formed, bounded SAML Response
	ReasonSignature         = "signature"          // no valid signature by an IdPCerts key
	ReasonIssuer            = "issuer"             // Issuer is not IdPEntityID
	ReasonAudience          = "audience"           // no Audience is EntityID or AltAudience
	ReasonRecipient         = "recipient"          // SubjectConfirmationData Recipient is not ACSURL
	ReasonDestination       = "destination"        // Response Destination is not ACSURL
	ReasonExpired           = "expired"            // past a NotOnOrAfter (plus skew)
	ReasonNotYetValid       = "not_yet_valid"      // before a NotBefore or IssueInstant (minus skew)
	ReasonInResponseTo      = "in_response_to"     // not the answer to the expected AuthnRequest
	ReasonStatus            = "status"             // the IdP answered with a non-Success status
	ReasonUnsignedAssertion = "unsigned_assertion" // unsigned Response carrying an assertion no signature covers
)

// Error is every verification failure Verify returns. Reason is one of the Reason constants;
// Detail says what exactly was wrong, for logs and for an admin testing a connection — it never
// contains key material but may echo values from the Response.
type Error struct {
	Reason string
	Detail string
	Err    error // the underlying library error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("saml: ")
	b.WriteString(e.Reason)
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

func fail(reason, detail string, err error) *Error {
	return &Error{Reason: reason, Detail: detail, Err: err}
}
