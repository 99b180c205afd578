package latchkey

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// requireAPIError asserts that err is (or wraps) an *Error with the given status and type.
func requireAPIError(t *testing.T, err error, status int, errType string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want %d %q", status, errType)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T (%v), want *latchkey.Error", err, err)
	}
	if e.Status != status || e.Type != errType {
		t.Fatalf("got %d %q (%s), want %d %q", e.Status, e.Type, e.Message, status, errType)
	}
}

// requireBadRequest asserts a 400 with the given error_type.
func requireBadRequest(t *testing.T, err error, errType string) {
	t.Helper()
	requireAPIError(t, err, http.StatusBadRequest, errType)
}

func TestNormalizeEmailAccepts(t *testing.T) {
	local64 := strings.Repeat("a", 64)
	// 63 + 1 + 63 + 1 + 57 + 4 = 189 characters of domain: 64 + 1 + 189 = 254 in all.
	domain189 := strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 57) + ".com"
	tests := []struct {
		name, in, want string
	}{
		{"trim and lower-case", "  Bob@Example.COM ", "bob@example.com"},
		{"already normal", "bob@example.com", "bob@example.com"},
		{"short domain", "a@b.co", "a@b.co"},
		{"dots and plus tag", "First.Last+tag@Sub.Example.org", "first.last+tag@sub.example.org"},
		{"hyphen inside label", "x@a-b.example.com", "x@a-b.example.com"},
		{"digits in domain", "x@123.example.com", "x@123.example.com"},
		{"tabs and newlines trimmed", "\tbob@example.com\n", "bob@example.com"},
		{"exactly 254 characters", local64 + "@" + domain189, local64 + "@" + domain189},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeEmail(tt.in)
			if err != nil {
				t.Fatalf("NormalizeEmail(%q): unexpected error %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("NormalizeEmail(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeEmailRejects(t *testing.T) {
	local64 := strings.Repeat("a", 64)
	// 63 + 1 + 63 + 1 + 58 + 4 = 190 characters of domain: 255 in all, one over the limit.
	domain190 := strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 58) + ".com"
	tests := []struct {
		name, in string
	}{
		{"empty", ""},
		{"only spaces", "   "},
		{"no at sign", "bob.example.com"},
		{"two at signs", "a@b@example.com"},
		{"display name", "Bob <b@x.com>"},
		{"angle brackets only", "<b@x.com>"},
		{"quoted display name", `"Bob" <b@x.com>`},
		{"no dot in domain", "bob@localhost"},
		{"label starts with hyphen", "bob@-acme.com"},
		{"label ends with hyphen", "bob@acme-.com"},
		{"space in local part", "bob smith@example.com"},
		{"space in domain", "bob@exa mple.com"},
		{"empty label", "bob@acme..com"},
		{"trailing dot", "bob@acme.com."},
		{"leading dot in domain", "bob@.acme.com"},
		{"missing local part", "@acme.com"},
		{"missing domain", "bob@"},
		{"underscore in domain", "bob@ac_me.com"},
		{"non-ascii domain", "bob@exämple.com"},
		{"domain literal", "bob@[127.0.0.1]"},
		{"comment", "bob@example.com (Bob)"},
		{"two addresses", "a@x.com, b@x.com"},
		{"label longer than 63", "bob@" + strings.Repeat("a", 64) + ".com"},
		{"longer than 254 characters", local64 + "@" + domain190},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeEmail(tt.in)
			if err == nil {
				t.Fatalf("NormalizeEmail(%q) = %q, want an error", tt.in, got)
			}
			if got != "" {
				t.Errorf("NormalizeEmail(%q) returned %q alongside the error, want \"\"", tt.in, got)
			}
			requireBadRequest(t, err, "invalid_email")
		})
	}
}

// previousConsumerDomains is the hand-written list IsConsumerDomain used before the packaged one:
// every one of them must still be refused.
var previousConsumerDomains = []string{
	"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
	"ymail.com", "rocketmail.com", "aol.com", "icloud.com", "me.com", "mac.com", "protonmail.com",
	"proton.me", "pm.me", "gmx.com", "gmx.net", "gmx.de", "mail.com", "zoho.com", "yandex.com",
	"yandex.ru", "mail.ru", "qq.com", "163.com", "126.com", "hey.com", "fastmail.com", "tutanota.com",
	"web.de", "comcast.net", "verizon.net", "hotmail.co.uk", "yahoo.co.uk", "outlook.co.uk", "live.co.uk",
}

func TestIsConsumerDomain(t *testing.T) {
	if len(previousConsumerDomains) != 37 {
		t.Fatalf("previousConsumerDomains has %d domains, want the 37 of the old list", len(previousConsumerDomains))
	}
	type test struct {
		domain string
		want   bool
	}
	tests := []test{
		{"GMAIL.COM", true},
		{"Gmail.Com", true},
		{"hotmail.fr", true},
		{"yahoo.fr", true},
		{"t-online.de", true},
		{"naver.com", true},
		{"Naver.Com", true},
		{"acme.com", false},
		{"example.co.uk", false},
		{"stytch.com", false},
		{"mail.gmail.com", false},
		{"gmail.com.evil.io", false},
		{"", false},
	}
	for _, d := range previousConsumerDomains {
		tests = append(tests, test{d, true})
	}
	for _, tt := range tests {
		if got := IsConsumerDomain(tt.domain); got != tt.want {
			t.Errorf("IsConsumerDomain(%q) = %v, want %v", tt.domain, got, tt.want)
		}
	}
}

func TestEmailDomain(t *testing.T) {
	tests := []struct{ email, want string }{
		{"bob@acme.com", "acme.com"},
		{"bob@sub.acme.com", "sub.acme.com"},
		{"no-at-sign", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := EmailDomain(tt.email); got != tt.want {
			t.Errorf("EmailDomain(%q) = %q, want %q", tt.email, got, tt.want)
		}
	}
}
