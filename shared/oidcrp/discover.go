package oidcrp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Endpoints is what a connection needs to know about its IdP. It is filled by Discover, or by
// hand for an IdP without discovery. Issuer is compared byte for byte with the ID token's iss,
// or, when it is a tenant template (TenantIssuer), with the template filled with the token's
// tenant.
type Endpoints struct {
	Issuer           string `json:"issuer"`
	AuthorizationURL string `json:"authorization_endpoint"`
	TokenURL         string `json:"token_endpoint"`
	UserinfoURL      string `json:"userinfo_endpoint,omitempty"`
	JWKSURL          string `json:"jwks_uri"`
}

// wellKnown is the discovery path of OpenID Connect Discovery 1.0 §4.
const wellKnown = "/.well-known/openid-configuration"

// TenantIssuer tells whether Issuer is a multi-tenant template holding {tenantid}, as
// Microsoft's common and organizations endpoints publish it
// (https://login.microsoftonline.com/{tenantid}/v2.0). Exchange then admits any tenant's ID
// token: callers must tell users apart by Identity.Issuer (or TenantID) and Subject together,
// and decide themselves which tenants they accept.
func (e Endpoints) TenantIssuer() bool { return strings.Contains(e.Issuer, tenantPlaceholder) }

// Discover reads {issuer}/.well-known/openid-configuration through client.
//
// Trailing slashes: admins paste issuers with and without one, and IdPs differ in which form
// they publish (Okta and Google without, Entra ID and Auth0 with). go-oidc refuses any
// difference; Discover compares the two with one trailing slash removed from each, and returns
// the document's own issuer string, because that exact string is what the IdP puts into iss. Any
// other difference (scheme, host, path, case) fails with ReasonDiscovery: for multi-tenant IdPs
// the issuer is what tells tenants apart.
//
// The one exception is Microsoft's multi-tenant endpoints: the document for
// https://login.microsoftonline.com/common/v2.0 (or organizations) names the issuer
// https://login.microsoftonline.com/{tenantid}/v2.0, a template no token carries. Such a
// document is accepted when its issuer holds the literal {tenantid} and is on the configured
// issuer's scheme and host (so the host that answered is the one vouching for it); the returned
// Issuer is the template, and Exchange fills it per token.
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
	if strings.TrimSuffix(doc.Issuer, "/") != strings.TrimSuffix(issuer, "/") && !isTenantTemplateFor(doc.Issuer, u) {
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

// isTenantTemplateFor tells whether template is a {tenantid} issuer template on configured's
// scheme and host. url.Parse refuses braces in a host, so the placeholder can only be in the
// path.
func isTenantTemplateFor(template string, configured *url.URL) bool {
	if !strings.Contains(template, tenantPlaceholder) {
		return false
	}
	t, err := url.Parse(template)
	return err == nil && t.Scheme == configured.Scheme && t.Host == configured.Host &&
		t.User == nil && t.RawQuery == "" && !t.ForceQuery && t.Fragment == ""
}
