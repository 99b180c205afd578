package magiclink

import (
	"net/url"
	"strings"

	latchkey "github.com/latchkey/latchkey/shared"
)

// Redirects is the allow-list of redirect URLs a magic link may point to. A pattern is a URL;
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

// LinkURL builds the URL the email carries.
func LinkURL(redirect, tokenType, token string) string {
	u, _ := url.Parse(redirect)
	q := u.Query()
	q.Set("stytch_token_type", tokenType)
	q.Set("token", token)
	u.RawQuery = q.Encode()
	return u.String()
}
