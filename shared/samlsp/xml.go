package samlsp

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	rtvalidator "github.com/mattermost/xml-roundtrip-validator"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

const (
	nsProtocol    = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion   = "urn:oasis:names:tc:SAML:2.0:assertion"
	statusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success"
	methodBearer  = "urn:oasis:names:tc:SAML:2.0:cm:bearer"

	// maxDepth and maxElements bound the work the signature code (which recurses) does on
	// input nobody has authenticated yet. A Response is about 10 levels deep; thousands of
	// group values stay far below maxElements.
	maxDepth    = 64
	maxElements = 20000
)

// decodeResponse undoes the HTTP-POST binding: plain base64, which some IdPs wrap in lines.
// The size is checked before decoding so that a huge form value costs nothing.
func decodeResponse(s string) ([]byte, error) {
	limit := base64.StdEncoding.EncodedLen(MaxResponseSize)
	if len(s) > 2*limit {
		return nil, fail(ReasonMalformed, fmt.Sprintf("SAMLResponse is larger than %d bytes", MaxResponseSize), nil)
	}
	s = stripSpace(s)
	if s == "" {
		return nil, fail(ReasonMalformed, "SAMLResponse is empty", nil)
	}
	if len(s) > limit {
		return nil, fail(ReasonMalformed, fmt.Sprintf("SAMLResponse is larger than %d bytes", MaxResponseSize), nil)
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fail(ReasonMalformed, "SAMLResponse is not base64", err)
	}
	return raw, nil
}

// parseXML parses b after the checks gosaml2 makes before it trusts etree and encoding/xml to
// agree on a document: xml-roundtrip-validator refuses the constructs that encoding/xml does
// not round-trip (the basis of the 2020 SAML namespace-confusion attacks), and on top of that
// we refuse DTDs, duplicate attributes (which etree and encoding/xml resolve differently) and
// documents too deep or too big.
func parseXML(b []byte) (*etree.Document, error) {
	if len(b) > MaxResponseSize {
		return nil, fail(ReasonMalformed, fmt.Sprintf("document is larger than %d bytes", MaxResponseSize), nil)
	}
	if err := rtvalidator.Validate(bytes.NewReader(b)); err != nil {
		return nil, fail(ReasonMalformed, "XML does not round-trip", err)
	}
	doc := etree.NewDocument()
	doc.ReadSettings.PreserveDuplicateAttrs = true
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, fail(ReasonMalformed, "not XML", err)
	}
	roots := 0
	for _, tok := range doc.Child {
		switch t := tok.(type) {
		case *etree.Directive:
			return nil, fail(ReasonMalformed, "document has a DTD", nil)
		case *etree.Element:
			roots++
		case *etree.CharData:
			if !t.IsWhitespace() {
				return nil, fail(ReasonMalformed, "text outside the root element", nil)
			}
		}
	}
	if roots != 1 {
		return nil, fail(ReasonMalformed, "document has no single root element", nil)
	}
	count := 0
	if err := checkTree(doc.Root(), 1, &count); err != nil {
		return nil, err
	}
	return doc, nil
}

func checkTree(el *etree.Element, depth int, count *int) error {
	*count++
	if depth > maxDepth {
		return fail(ReasonMalformed, fmt.Sprintf("document is nested deeper than %d", maxDepth), nil)
	}
	if *count > maxElements {
		return fail(ReasonMalformed, fmt.Sprintf("document has more than %d elements", maxElements), nil)
	}
	seen := make(map[string]bool, len(el.Attr))
	for _, a := range el.Attr {
		k := a.FullKey()
		if seen[k] {
			return fail(ReasonMalformed, fmt.Sprintf("element %s has attribute %s twice", el.FullTag(), k), nil)
		}
		seen[k] = true
	}
	for _, c := range el.ChildElements() {
		if err := checkTree(c, depth+1, count); err != nil {
			return err
		}
	}
	return nil
}

// detach copies el out of its document with the namespace declarations in scope, so that it
// can be verified or unmarshalled on its own.
func detach(el *etree.Element) (*etree.Element, error) {
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	return etreeutils.NSDetatch(ctx, el)
}

func unmarshalElement(el *etree.Element, v any) error {
	d, err := detach(el)
	if err != nil {
		return err
	}
	doc := etree.NewDocument()
	doc.SetRoot(d)
	b, err := doc.WriteToBytes()
	if err != nil {
		return err
	}
	return xml.Unmarshal(b, v)
}

func isSAML(el *etree.Element, tag string) bool {
	return el.Tag == tag && el.NamespaceURI() == nsAssertion
}

// The shapes read from verified XML. They are ours rather than gosaml2's types because those
// hold one SubjectConfirmation, no SubjectConfirmationData NotBefore and no second-level
// status code.

type xmlResponse struct {
	XMLName      xml.Name   `xml:"urn:oasis:names:tc:SAML:2.0:protocol Response"`
	ID           string     `xml:"ID,attr"`
	Version      string     `xml:"Version,attr"`
	InResponseTo string     `xml:"InResponseTo,attr"`
	Destination  string     `xml:"Destination,attr"`
	Issuer       *xmlIssuer `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	Status       *xmlStatus `xml:"urn:oasis:names:tc:SAML:2.0:protocol Status"`
}

type xmlIssuer struct {
	Value string `xml:",chardata"`
}

type xmlStatus struct {
	Code    xmlStatusCode `xml:"urn:oasis:names:tc:SAML:2.0:protocol StatusCode"`
	Message string        `xml:"urn:oasis:names:tc:SAML:2.0:protocol StatusMessage"`
}

type xmlStatusCode struct {
	Value string         `xml:"Value,attr"`
	Sub   *xmlStatusCode `xml:"urn:oasis:names:tc:SAML:2.0:protocol StatusCode"`
}

func (s *xmlStatus) success() bool { return s != nil && s.Code.Value == statusSuccess }

func (s *xmlStatus) String() string {
	if s == nil {
		return "no Status"
	}
	var codes []string
	for c := &s.Code; c != nil; c = c.Sub {
		codes = append(codes, c.Value)
	}
	out := strings.Join(codes, " / ")
	if m := strings.TrimSpace(s.Message); m != "" {
		out += fmt.Sprintf(": %q", m) // the IdP's text, quoted for the log
	}
	return out
}

type xmlAssertion struct {
	XMLName             xml.Name                `xml:"urn:oasis:names:tc:SAML:2.0:assertion Assertion"`
	ID                  string                  `xml:"ID,attr"`
	Version             string                  `xml:"Version,attr"`
	IssueInstant        time.Time               `xml:"IssueInstant,attr"`
	Issuer              *xmlIssuer              `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	Subject             *xmlSubject             `xml:"urn:oasis:names:tc:SAML:2.0:assertion Subject"`
	Conditions          *xmlConditions          `xml:"urn:oasis:names:tc:SAML:2.0:assertion Conditions"`
	AuthnStatements     []xmlAuthnStatement     `xml:"urn:oasis:names:tc:SAML:2.0:assertion AuthnStatement"`
	AttributeStatements []xmlAttributeStatement `xml:"urn:oasis:names:tc:SAML:2.0:assertion AttributeStatement"`
}

type xmlSubject struct {
	NameID        *xmlNameID               `xml:"urn:oasis:names:tc:SAML:2.0:assertion NameID"`
	Confirmations []xmlSubjectConfirmation `xml:"urn:oasis:names:tc:SAML:2.0:assertion SubjectConfirmation"`
}

type xmlNameID struct {
	Format string `xml:"Format,attr"`
	Value  string `xml:",chardata"`
}

type xmlSubjectConfirmation struct {
	Method string                      `xml:"Method,attr"`
	Data   *xmlSubjectConfirmationData `xml:"urn:oasis:names:tc:SAML:2.0:assertion SubjectConfirmationData"`
}

type xmlSubjectConfirmationData struct {
	NotBefore    time.Time `xml:"NotBefore,attr"`
	NotOnOrAfter time.Time `xml:"NotOnOrAfter,attr"`
	Recipient    string    `xml:"Recipient,attr"`
	InResponseTo string    `xml:"InResponseTo,attr"`
}

type xmlConditions struct {
	NotBefore            time.Time                `xml:"NotBefore,attr"`
	NotOnOrAfter         time.Time                `xml:"NotOnOrAfter,attr"`
	AudienceRestrictions []xmlAudienceRestriction `xml:"urn:oasis:names:tc:SAML:2.0:assertion AudienceRestriction"`
}

type xmlAudienceRestriction struct {
	Audiences []string `xml:"urn:oasis:names:tc:SAML:2.0:assertion Audience"`
}

type xmlAuthnStatement struct {
	SessionIndex string `xml:"SessionIndex,attr"`
}

type xmlAttributeStatement struct {
	Attributes []xmlAttribute `xml:"urn:oasis:names:tc:SAML:2.0:assertion Attribute"`
}

type xmlAttribute struct {
	Name         string              `xml:"Name,attr"`
	FriendlyName string              `xml:"FriendlyName,attr"`
	Values       []xmlAttributeValue `xml:"urn:oasis:names:tc:SAML:2.0:assertion AttributeValue"`
}

type xmlAttributeValue struct {
	Value  string     `xml:",chardata"`
	NameID *xmlNameID `xml:"urn:oasis:names:tc:SAML:2.0:assertion NameID"` // eduPersonTargetedID and the like
}
