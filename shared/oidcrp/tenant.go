package oidcrp

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
)

// tenantPlaceholder is how Microsoft's multi-tenant discovery documents write the tenant in
// their issuer.
const tenantPlaceholder = "{tenantid}"

// guid is the form of a Microsoft tenant id. Only a GUID may be put into the issuer template,
// so that the token's tid can never add path segments, a query or another host to it.
var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// tenantIssuer is the issuer an ID token must carry under the template issuer: the template
// with {tenantid} replaced by the token's tid. This is Microsoft's documented issuer validation
// for multi-tenant apps ("Validate the issuer", access-tokens.md; id-token-claims-reference.md):
// tid must be a GUID, and iss must then equal the template filled with it exactly, which
// Microsoft calls the chain of trust between the two claims.
//
// tid is read from the payload before the signature is checked, so nothing is trusted here:
// the result only chooses which exact issuer the full verification then requires. A token
// whose iss names another tenant than its tid, or whose tid is forged, fails that verification.
// Exchange also checks that the verified token's tid is the one read here.
func tenantIssuer(template, rawIDToken string) (issuer, tid string, err error) {
	claims, err := unverifiedClaims(rawIDToken)
	if err != nil {
		return "", "", fail(ReasonIDToken, "reading the ID token's tid: %v", err)
	}
	tid, _ = claims["tid"].(string)
	if !guid.MatchString(tid) {
		return "", "", fail(ReasonIDToken, "ID token tid %q is not a GUID; the issuer %q needs one", claims["tid"], template)
	}
	return strings.ReplaceAll(template, tenantPlaceholder, tid), tid, nil
}

// unverifiedClaims decodes a compact JWS's payload without checking anything.
func unverifiedClaims(raw string) (map[string]any, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, errNotJWS
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, err
	}
	return claims, nil
}

var errNotJWS = errors.New("ID token is not a compact JWS")
