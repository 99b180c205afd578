package samlsp

import (
	"errors"
	"fmt"

	saml2 "github.com/russellhaering/gosaml2"
	dsig "github.com/russellhaering/goxmldsig"
)

// AuthnRequest builds a signed HTTP-Redirect-binding AuthnRequest URL to IdPSSOURL carrying
// relayState; it returns the URL and the request ID (for InResponseTo).
//
// The signature is the query-string one of the redirect binding (RSA-SHA256 over SAMLRequest,
// RelayState and SigAlg), not an enveloped XML signature: gosaml2 signs what the binding
// requires. relayState must be at most MaxRelayStateLength bytes.
func (sp SP) AuthnRequest(relayState string) (redirectURL, requestID string, err error) {
	switch {
	case sp.EntityID == "" || sp.ACSURL == "" || sp.IdPSSOURL == "":
		return "", "", errors.New("samlsp: AuthnRequest needs EntityID, ACSURL and IdPSSOURL")
	case sp.SigningKey == nil || sp.SigningCert == nil:
		return "", "", errors.New("samlsp: AuthnRequest needs SigningKey and SigningCert")
	case len(relayState) > MaxRelayStateLength:
		return "", "", fmt.Errorf("samlsp: RelayState is %d bytes, the SAML bindings allow %d", len(relayState), MaxRelayStateLength)
	}
	g := &saml2.SAMLServiceProvider{
		IdentityProviderSSOURL:      sp.IdPSSOURL,
		IdentityProviderSSOBinding:  saml2.BindingHttpRedirect,
		IdentityProviderIssuer:      sp.IdPEntityID,
		ServiceProviderIssuer:       sp.EntityID,
		AssertionConsumerServiceURL: sp.ACSURL,
		NameIdFormat:                sp.nameIDFormat(),
		SignAuthnRequests:           true,
		SignAuthnRequestsAlgorithm:  dsig.RSASHA256SignatureMethod,
		Clock:                       dsig.NewFakeClockAt(sp.now()),
	}
	if err := g.SetSPSigningKeyStore(&saml2.KeyStore{Signer: sp.SigningKey, Cert: sp.SigningCert.Raw}); err != nil {
		return "", "", fmt.Errorf("samlsp: signing key: %w", err)
	}
	// Built unsigned: with the redirect binding the signature goes in the query string, which
	// BuildAuthURLRedirect adds.
	doc, err := g.BuildAuthRequestDocumentNoSig()
	if err != nil {
		return "", "", fmt.Errorf("samlsp: build AuthnRequest: %w", err)
	}
	requestID = doc.Root().SelectAttrValue("ID", "")
	if requestID == "" {
		return "", "", errors.New("samlsp: AuthnRequest has no ID")
	}
	redirectURL, err = g.BuildAuthURLRedirect(relayState, doc)
	if err != nil {
		return "", "", fmt.Errorf("samlsp: sign AuthnRequest: %w", err)
	}
	return redirectURL, requestID, nil
}
