package magiclink

import (
	"encoding/json"
	"strings"
	"testing"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
)

// requireClientError holds a fuzz target to the API's line: no input panics, and every
// rejection is a 4xx *Error, which the API renders in Stytch's shape.
func requireClientError(t *testing.T, err error) {
	t.Helper()
	if err != nil && !latchkey.IsClientError(err) {
		t.Fatalf("not a 4xx *Error: %#v", err)
	}
}

func FuzzRedirectAndPKCE(f *testing.F) {
	f.Add("http://localhost:3000/authenticate", "c", "v")
	f.Add("https://app.example.com/auth/x?y=1", "", "")
	f.Add("javascript:alert(1)", "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU", "abc")
	f.Add("http://user:pw@localhost/", "x", "")
	f.Fuzz(func(t *testing.T, redirect, challenge, verifier string) {
		r := Redirects{Patterns: []string{"http://localhost:*", "https://app.example.com/auth/*"}, Default: "http://localhost:3000/a"}
		got, err := r.Resolve("login_redirect_url", redirect)
		requireClientError(t, err)
		if err == nil {
			_ = authn.LinkURL(got, "multi_tenant_magic_links", "tok")
		}
		requireClientError(t, authn.ValidatePKCEChallenge(challenge))
		requireClientError(t, authn.CheckPKCE(challenge, verifier))
	})
}

func FuzzAuthRequests(f *testing.F) {
	f.Add([]byte(`{"magic_links_token":"t","session_duration_minutes":60,"session_custom_claims":{"a":1}}`))
	f.Add([]byte(`{"session_custom_claims":{"sub":"x","https://stytch.com/session":{}}}`))
	f.Add([]byte(`{"session_duration_minutes":-1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r AuthenticateRequest
		if json.Unmarshal(body, &r) != nil {
			return
		}
		_, err := authn.SessionDuration(r.SessionDurationMinutes)
		requireClientError(t, err)
		requireClientError(t, authn.ValidateCustomClaims(r.SessionCustomClaims))
		_, err = LinkExpiry("login_expiration_minutes", r.SessionDurationMinutes, DefaultLoginMinutes)
		requireClientError(t, err)
	})
}

// An organization name never splits an email header: its subject holds no CR or LF.
func TestLinkMessageSubjectIsOneLine(t *testing.T) {
	m := LinkMessage(TokenInvite, "a@acme.com", "Acme\r\nBcc: x@evil.test", "https://x/?token=t", "1 hour")
	if strings.ContainsAny(m.Subject, "\r\n") || !strings.Contains(m.Subject, "Acme") {
		t.Fatalf("subject: %q", m.Subject)
	}
}
