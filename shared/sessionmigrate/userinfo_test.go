package sessionmigrate

import (
	"testing"

	latchkey "github.com/latchkey/latchkey/shared"
)

// What a userinfo answer says of the address: an email, normalized, when it has one that
// email_verified does not deny.
func TestEmailOf(t *testing.T) {
	cases := []struct {
		body, email, errorType string
	}{
		{`{"sub":"1","email":"Ada@Example.COM"}`, "ada@example.com", ""},
		{`{"email":"ada@example.com","email_verified":true}`, "ada@example.com", ""},
		{`{"email":"ada@example.com","email_verified":"true"}`, "ada@example.com", ""},
		{` {"email":"ada@example.com"}` + "\n", "ada@example.com", ""},
		{`{"email":"ada@example.com","email_verified":false}`, "", "oidc_response_unverified_email"},
		{`{"email":"ada@example.com","email_verified":"false"}`, "", "oidc_response_unverified_email"},
		{`{"email":"ada@example.com","email_verified":null}`, "", "oidc_response_unverified_email"},
		{`{"email":"ada@example.com","email_verified":1}`, "", "oidc_response_unverified_email"},
		{`{"sub":"1"}`, "", "oidc_response_email_missing"},
		{`{"email":""}`, "", "oidc_response_email_missing"},
		{`{"email":["ada@example.com"]}`, "", "oidc_response_email_missing"},
		{`{"email":"not an address"}`, "", "oidc_response_email_missing"},
		{`{"email":"pat\u200b@example.com"}`, "", "oidc_response_email_missing"},
		{`null`, "", "migrate_from_external_unexpected_response"},
		{`["ada@example.com"]`, "", "migrate_from_external_unexpected_response"},
		{`eyJhbGciOiJSUzI1NiJ9.e30.sig`, "", "migrate_from_external_unexpected_response"},
		{``, "", "migrate_from_external_unexpected_response"},
	}
	for _, c := range cases {
		email, err := emailOf([]byte(c.body))
		if c.errorType == "" {
			if err != nil || email != c.email {
				t.Errorf("%s: %q %v, want %q", c.body, email, err, c.email)
			}
			continue
		}
		if e := latchkey.AsError(err); err == nil || e.Type != c.errorType || e.Status != 400 {
			t.Errorf("%s: %q %v, want 400 %s", c.body, email, err, c.errorType)
		}
	}
}

// No answer from the userinfo endpoint panics, and each refusal is a 4xx in Stytch's shape.
func FuzzUserinfoAnswer(f *testing.F) {
	f.Add([]byte(`{"email":"ada@example.com","email_verified":true}`))
	f.Add([]byte(`{"email":"ada@example.com","email_verified":"false"}`))
	f.Add([]byte(`{"email":1}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		email, err := emailOf(body)
		if err != nil && !latchkey.IsClientError(err) {
			t.Fatalf("not a 4xx *Error: %#v", err)
		}
		if err == nil {
			if norm, nerr := latchkey.NormalizeEmail(email); nerr != nil || norm != email {
				t.Fatalf("emailOf gave %q, which is not a normalized address", email)
			}
		}
	})
}
