package latchkey

import (
	"net/http"
	"net/mail"
	"strings"
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

// consumerDomains are mailbox providers anyone can sign up with. Allowing one of them for
// JIT provisioning or invites would let any stranger join the organization, so Stytch refuses
// them in email_allowed_domains and so do we.
var consumerDomains = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "outlook.com": true, "hotmail.com": true,
	"live.com": true, "msn.com": true, "yahoo.com": true, "ymail.com": true, "rocketmail.com": true,
	"aol.com": true, "icloud.com": true, "me.com": true, "mac.com": true, "protonmail.com": true,
	"proton.me": true, "pm.me": true, "gmx.com": true, "gmx.net": true, "gmx.de": true,
	"mail.com": true, "zoho.com": true, "yandex.com": true, "yandex.ru": true, "mail.ru": true,
	"qq.com": true, "163.com": true, "126.com": true, "hey.com": true, "fastmail.com": true,
	"tutanota.com": true, "web.de": true, "comcast.net": true, "verizon.net": true,
	"hotmail.co.uk": true, "yahoo.co.uk": true, "outlook.co.uk": true, "live.co.uk": true,
}

// IsConsumerDomain reports whether d is a public mailbox provider.
func IsConsumerDomain(d string) bool { return consumerDomains[strings.ToLower(d)] }
