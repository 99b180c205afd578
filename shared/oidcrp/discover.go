package oidcrp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Endpoints is what a connection needs to know about its IdP. It is filled by Discover, or by
// hand for an IdP without discovery. Issuer is compared byte for byte with the ID token's iss.
type Endpoints struct {
	Issuer           string `json:"issuer"`
	AuthorizationURL string `json:"authorization_endpoint"`
	TokenURL         string `json:"token_endpoint"`
	UserinfoURL      string `json:"userinfo_endpoint,omitempty"`
	JWKSURL          string `json:"jwks_uri"`
}

// wellKnown is the discovery path of OpenID Connect Discovery 1.0 §4.
const wellKnown = "/.well-known/openid-configuration"

// Discover reads {issuer}/.well-known/openid-configuration through client.
//
// Trailing slashes: admins paste issuers with and without one, and IdPs differ in which form
// they publish (Okta and Google without, Entra ID and Auth0 with). go-oidc refuses any
// difference; Discover compares the two with one trailing slash removed from each, and returns
// the document's own issuer string, because that exact string is what the IdP puts into iss. Any
// other difference (scheme, host, path, case) fails with ReasonDiscovery: for multi-tenant IdPs
// the issuer is what tells tenants apart.
func Discover(ctx context.Context, client *http.Client, issuer string) (Endpoints, error) {
	if client == nil {
		return Endpoints{}, fail(ReasonDiscovery, "no HTTP client")
	}
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		// OIDC Discovery §2: an issuer is a URL with no query or fragment.
		return Endpoints{}, fail(ReasonDiscovery, "issuer %q is not an http(s) URL without query or fragment", issuer)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(issuer, "/")+wellKnown, nil)
	if err != nil {
		return Endpoints{}, fail(ReasonDiscovery, "%v", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return Endpoints{}, &Error{Reason: ReasonDiscovery, Cause: err}
	}
	defer resp.Body.Close()
	body, err := readBody(resp.Body)
	if err != nil {
		return Endpoints{}, &Error{Reason: ReasonDiscovery, Cause: err}
	}
	if resp.StatusCode != http.StatusOK {
		return Endpoints{}, fail(ReasonDiscovery, "%s answered %s", req.URL, resp.Status)
	}
	var doc Endpoints
	if err := json.Unmarshal(body, &doc); err != nil {
		return Endpoints{}, fail(ReasonDiscovery, "decoding %s: %v", req.URL, err)
	}
	if strings.TrimSuffix(doc.Issuer, "/") != strings.TrimSuffix(issuer, "/") {
		return Endpoints{}, fail(ReasonDiscovery, "document at %s names issuer %q, not %q", req.URL, doc.Issuer, issuer)
	}
	// Discovery §3 requires all three; userinfo is only recommended.
	switch {
	case doc.AuthorizationURL == "":
		return Endpoints{}, fail(ReasonDiscovery, "document has no authorization_endpoint")
	case doc.TokenURL == "":
		return Endpoints{}, fail(ReasonDiscovery, "document has no token_endpoint")
	case doc.JWKSURL == "":
		return Endpoints{}, fail(ReasonDiscovery, "document has no jwks_uri")
	}
	return doc, nil
}
