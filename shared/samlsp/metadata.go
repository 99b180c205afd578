package samlsp

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	saml2 "github.com/russellhaering/gosaml2"
	"github.com/russellhaering/gosaml2/types"
)

const (
	nsMetadata = "urn:oasis:names:tc:SAML:2.0:metadata"
	nsDSig     = "http://www.w3.org/2000/09/xmldsig#"

	// maxMetadataSize bounds IdP metadata: one IdP's is a few KiB. Whole federations
	// (InCommon and the like, tens of MiB) are not what a connection is configured from.
	maxMetadataSize = 1 << 20
)

// IdPMetadata is what a connection needs from an IdP's metadata.
type IdPMetadata struct {
	EntityID string
	SSOURL   string // the HTTP-Redirect SingleSignOnService
	Certs    []*x509.Certificate
}

// ParseIdPMetadata reads an EntityDescriptor, or an EntitiesDescriptor (its first entity with
// an IDPSSODescriptor), and returns the entity ID, the SSO URL of the HTTP-Redirect binding and
// the signing certificates (KeyDescriptor use="signing" or without use).
//
// The metadata's own signature, if any, is not checked: it comes from the admin configuring
// the connection, who is trusted to paste or upload the right file.
func ParseIdPMetadata(data []byte) (IdPMetadata, error) {
	if len(data) > maxMetadataSize {
		return IdPMetadata{}, fmt.Errorf("samlsp: metadata is larger than %d bytes", maxMetadataSize)
	}
	var root struct {
		XMLName xml.Name
	}
	if err := xml.Unmarshal(data, &root); err != nil {
		return IdPMetadata{}, fmt.Errorf("samlsp: metadata is not XML: %w", err)
	}
	var entities []mdEntity
	switch root.XMLName {
	case xml.Name{Space: nsMetadata, Local: "EntityDescriptor"}:
		var e mdEntity
		if err := xml.Unmarshal(data, &e); err != nil {
			return IdPMetadata{}, fmt.Errorf("samlsp: metadata: %w", err)
		}
		entities = []mdEntity{e}
	case xml.Name{Space: nsMetadata, Local: "EntitiesDescriptor"}:
		var es mdEntities
		if err := xml.Unmarshal(data, &es); err != nil {
			return IdPMetadata{}, fmt.Errorf("samlsp: metadata: %w", err)
		}
		entities = es.all()
	default:
		return IdPMetadata{}, fmt.Errorf("samlsp: metadata root is %s %s, want an md:EntityDescriptor or md:EntitiesDescriptor", root.XMLName.Space, root.XMLName.Local)
	}
	for _, e := range entities {
		if len(e.IdPs) == 0 {
			continue
		}
		return e.idpMetadata()
	}
	return IdPMetadata{}, errors.New("samlsp: metadata has no IDPSSODescriptor")
}

type mdEntities struct {
	Entities []mdEntity   `xml:"urn:oasis:names:tc:SAML:2.0:metadata EntityDescriptor"`
	Nested   []mdEntities `xml:"urn:oasis:names:tc:SAML:2.0:metadata EntitiesDescriptor"`
}

// all lists the entities in document order of groups: direct ones first, then nested groups.
func (es mdEntities) all() []mdEntity {
	out := es.Entities
	for _, n := range es.Nested {
		out = append(out, n.all()...)
	}
	return out
}

type mdEntity struct {
	EntityID string  `xml:"entityID,attr"`
	IdPs     []mdIdP `xml:"urn:oasis:names:tc:SAML:2.0:metadata IDPSSODescriptor"`
}

type mdIdP struct {
	Protocols string            `xml:"protocolSupportEnumeration,attr"`
	Keys      []mdKeyDescriptor `xml:"urn:oasis:names:tc:SAML:2.0:metadata KeyDescriptor"`
	SSO       []mdEndpoint      `xml:"urn:oasis:names:tc:SAML:2.0:metadata SingleSignOnService"`
}

type mdKeyDescriptor struct {
	Use   string   `xml:"use,attr"`
	Certs []string `xml:"KeyInfo>X509Data>X509Certificate"`
}

type mdEndpoint struct {
	Binding  string `xml:"Binding,attr"`
	Location string `xml:"Location,attr"`
}

func (e mdEntity) idpMetadata() (IdPMetadata, error) {
	out := IdPMetadata{EntityID: strings.TrimSpace(e.EntityID)}
	if out.EntityID == "" {
		return IdPMetadata{}, errors.New("samlsp: metadata EntityDescriptor has no entityID")
	}
	for _, idp := range e.IdPs {
		if !strings.Contains(idp.Protocols, nsProtocol) {
			continue // a SAML 1.1 or WS-Federation role of the same entity
		}
		for _, ep := range idp.SSO {
			if ep.Binding == saml2.BindingHttpRedirect && out.SSOURL == "" {
				out.SSOURL = strings.TrimSpace(ep.Location)
			}
		}
		for _, k := range idp.Keys {
			if k.Use != "" && k.Use != "signing" {
				continue
			}
			for _, c := range k.Certs {
				cert, err := ParseCertificate(c)
				if err != nil {
					return IdPMetadata{}, fmt.Errorf("samlsp: metadata signing certificate: %w", err)
				}
				if !containsCert(out.Certs, cert) {
					out.Certs = append(out.Certs, cert)
				}
			}
		}
	}
	switch {
	case out.SSOURL == "":
		return IdPMetadata{}, errors.New("samlsp: metadata has no SAML 2.0 SingleSignOnService with the HTTP-Redirect binding")
	case len(out.Certs) == 0:
		return IdPMetadata{}, errors.New("samlsp: metadata has no signing certificate")
	}
	return out, nil
}

func containsCert(certs []*x509.Certificate, c *x509.Certificate) bool {
	for _, have := range certs {
		if have.Equal(c) {
			return true
		}
	}
	return false
}

// Metadata returns the SP EntityDescriptor to configure an IdP with: the ACS with the POST
// binding, the signing certificate, AuthnRequestsSigned and WantAssertionsSigned, the NameID
// format, and EncryptionCert when set.
//
// It carries no validUntil (gosaml2's Metadata sets one a week ahead): it is uploaded into IdP
// consoles once, and an expiry would make some IdPs drop the connection a week later.
func (sp SP) Metadata() ([]byte, error) {
	switch {
	case sp.EntityID == "" || sp.ACSURL == "":
		return nil, errors.New("samlsp: Metadata needs EntityID and ACSURL")
	case sp.SigningCert == nil:
		return nil, errors.New("samlsp: Metadata needs SigningCert")
	}
	ed := etree.NewElement("md:EntityDescriptor")
	ed.CreateAttr("xmlns:md", nsMetadata)
	ed.CreateAttr("xmlns:ds", nsDSig)
	ed.CreateAttr("entityID", sp.EntityID)
	d := ed.CreateElement("md:SPSSODescriptor")
	d.CreateAttr("AuthnRequestsSigned", "true")
	d.CreateAttr("WantAssertionsSigned", "true")
	d.CreateAttr("protocolSupportEnumeration", nsProtocol)
	addKey := func(use string, der []byte) *etree.Element {
		k := d.CreateElement("md:KeyDescriptor")
		k.CreateAttr("use", use)
		k.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").
			SetText(base64.StdEncoding.EncodeToString(der))
		return k
	}
	addKey("signing", sp.SigningCert.Raw)
	if sp.EncryptionCert != nil {
		k := addKey("encryption", sp.EncryptionCert.Raw)
		// Only authenticated encryption is offered; IdPs pick from this list.
		for _, m := range []string{types.MethodAES256GCM, types.MethodAES128GCM} {
			k.CreateElement("md:EncryptionMethod").CreateAttr("Algorithm", m)
		}
	}
	d.CreateElement("md:NameIDFormat").SetText(sp.nameIDFormat())
	acs := d.CreateElement("md:AssertionConsumerService")
	acs.CreateAttr("Binding", saml2.BindingHttpPost)
	acs.CreateAttr("Location", sp.ACSURL)
	acs.CreateAttr("index", "0")
	acs.CreateAttr("isDefault", "true")

	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.SetRoot(ed)
	doc.Indent(2)
	var buf bytes.Buffer
	if _, err := doc.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("samlsp: write metadata: %w", err)
	}
	return buf.Bytes(), nil
}
