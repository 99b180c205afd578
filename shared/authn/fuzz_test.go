package authn

import (
	"testing"

	latchkey "github.com/latchkey/latchkey/shared"
)

// requireClientError holds a fuzz target to the API's line: no input panics, and every
// rejection is a 4xx *Error, which the API renders in Stytch's shape.
func requireClientError(t *testing.T, err error) {
	t.Helper()
	if err != nil && !latchkey.IsClientError(err) {
		t.Fatalf("not a 4xx *Error: %#v", err)
	}
}

func FuzzSessionToken(f *testing.F) {
	tok, _ := NewSessionToken("organization-test-6f7d3c52-4c5e-4f0e-9d4a-0d3f2f1b6a11", "member-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00")
	f.Add(tok)
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		org, member, err := ParseSessionToken(latchkey.IDsForProject("project-test-x"), s)
		requireClientError(t, err)
		if err == nil && (!latchkey.LooksLike("organization", org) || !latchkey.LooksLike("member", member)) {
			t.Fatalf("parsed ids have the wrong shape: %q %q", org, member)
		}
	})
}

// Custom claims are checked as every stored document is, and keep Stytch's claims error type.
func TestCustomClaimsKeepTheirErrorType(t *testing.T) {
	for _, c := range []map[string]any{{"n": 1e200}, {"": 1}, {"sub": "x"}, {"https://stytch.com/session": 1}} {
		if e := latchkey.AsError(ValidateCustomClaims(c)); e.Status != 400 || e.Type != "invalid_session_custom_claims" {
			t.Errorf("ValidateCustomClaims(%v) = %v", c, e)
		}
	}
}
