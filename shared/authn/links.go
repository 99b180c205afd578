package authn

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
)

// Emailed links (magic links, password resets) share their token, their redirect allow-list
// and PKCE.

// EmailToken is an emailed single-use token, stored by the hash of its value. Each way in
// names its kinds.
type EmailToken struct {
	Hash           string
	Kind           string
	OrganizationID string
	MemberID       string
	Email          string
	PKCEChallenge  string
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// Redirects is the allow-list of redirect URLs an emailed link may point to. A pattern is a URL;
// port "*" matches any port, a path ending in "/*" matches that prefix, and a pattern with no
// path matches every path on its origin.
type Redirects struct {
	Patterns []string
	Default  string // used when a request names no redirect URL
}

// Resolve validates a requested redirect URL, or returns the default.
func (r Redirects) Resolve(field, requested string) (string, error) {
	if requested == "" {
		if r.Default == "" {
			return "", latchkey.BadRequest("no_login_redirect_urls_set", "No %s was given and no default redirect URL is configured.", field)
		}
		requested = r.Default
	}
	u, err := url.Parse(requested)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return "", latchkey.BadRequest("invalid_"+field, "%s must be an absolute http(s) URL.", field)
	}
	for _, p := range r.Patterns {
		if redirectMatches(p, u) {
			return requested, nil
		}
	}
	return "", latchkey.BadRequest("no_match_for_provided_magic_link_url",
		"%s is not in the allowed redirect URLs (LATCHKEY_REDIRECT_URLS).", field)
}

// ResolveFor is Resolve for a browser flow's login, signup or discovery redirect (kind), with
// the error types Stytch gives that flow ("sso", "oauth").
func (r Redirects) ResolveFor(flow, kind, requested string) (string, error) {
	u, err := r.Resolve(kind+"_redirect_url", requested)
	if err == nil {
		return u, nil
	}
	switch latchkey.AsError(err).Type {
	case "no_login_redirect_urls_set":
		return "", latchkey.BadRequest("no_default_"+kind+"_redirect_url_set", "No %s_redirect_url was given and no default redirect URL is configured.", kind)
	case "no_match_for_provided_magic_link_url":
		return "", latchkey.BadRequest("no_match_for_provided_"+flow+"_url", "%s_redirect_url is not in the allowed redirect URLs (LATCHKEY_REDIRECT_URLS).", kind)
	}
	return "", latchkey.BadRequest("invalid_"+kind+"_"+flow+"_url", "%s_redirect_url must be an absolute http(s) URL.", kind)
}

func redirectMatches(pattern string, u *url.URL) bool {
	p, err := url.Parse(strings.Replace(pattern, ":*", ":0", 1))
	if err != nil || p.Scheme != u.Scheme || p.Hostname() != u.Hostname() {
		return false
	}
	if strings.Contains(pattern, ":*") {
		// any port
	} else if p.Port() != u.Port() {
		return false
	}
	switch {
	case p.Path == "" || p.Path == "/*":
		return true
	case strings.HasSuffix(p.Path, "/*"):
		return strings.HasPrefix(u.Path, strings.TrimSuffix(p.Path, "*"))
	}
	return p.Path == u.Path
}

// CheckPublicToken admits a browser route's caller (SSO and OAuth starts): the public token
// names the project, and is no secret; project is this deployment's.
func CheckPublicToken(project, presented string) error {
	if presented == "" {
		return latchkey.BadRequest("public_token_required", "public_token is required.")
	}
	if project == "" || subtle.ConstantTimeCompare([]byte(presented), []byte(project)) != 1 {
		return latchkey.Errorf(http.StatusUnauthorized, "public_token_not_found", "The public_token is not this project's public token.")
	}
	return nil
}

// LinkURL builds the URL the email carries.
func LinkURL(redirect, tokenType, token string) string {
	u, _ := url.Parse(redirect)
	q := u.Query()
	q.Set("stytch_token_type", tokenType)
	q.Set("token", token)
	u.RawQuery = q.Encode()
	return u.String()
}

// CheckPKCE verifies a code verifier against the challenge sent with the email (S256).
func CheckPKCE(challenge, verifier string) error {
	switch {
	case challenge == "" && verifier == "":
		return nil
	case challenge == "":
		return latchkey.BadRequest("pkce_did_not_expect_code_verifier", "This link was sent without a PKCE code challenge.")
	case verifier == "":
		return latchkey.BadRequest("pkce_expected_code_verifier", "This link needs the PKCE code verifier.")
	}
	sum := sha256.Sum256([]byte(verifier))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
		return latchkey.BadRequest("pkce_mismatch", "The PKCE code verifier does not match the code challenge.")
	}
	return nil
}

// ValidatePKCEChallenge checks the shape of a code challenge: base64url of a SHA-256.
func ValidatePKCEChallenge(c string) error {
	if c == "" {
		return nil
	}
	if b, err := base64.RawURLEncoding.DecodeString(c); err != nil || len(b) != sha256.Size {
		return latchkey.BadRequest("invalid_pkce_code_challenge", "pkce_code_challenge must be the base64url SHA-256 of the code verifier.")
	}
	return nil
}

// HumanDuration says how long a link lives, for its email.
func HumanDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return plural(int(d/(24*time.Hour)), "day")
	case d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d/time.Minute), "minute")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
