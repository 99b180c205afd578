package scim

import (
	"encoding/json"
	"errors"
	"testing"
)

// The SCIM parsers take whatever an identity provider (or anyone holding a token) sends: no
// input panics, and every refusal is a SCIM 4xx.
func requireSCIMError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.Status < 400 || e.Status > 499 || e.Detail == "" {
		t.Fatalf("not a SCIM 4xx: %#v", err)
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{`userName eq "a"`, `emails[type eq "work"].value eq "a@b.c"`, `not (a pr) or b.c ge 5`,
		`x[y[z eq 1]]`, `a eq "\"`, `]].x eq 1`, `a eq true and (b ne null)`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseFilter(s)
		requireSCIMError(t, err)
		if err == nil {
			Matches(e, ada)
			Lookups(e, User, []string{"id", "userName", "externalId", "emails"})
		}
	})
}

func FuzzApplyPatch(f *testing.F) {
	for _, s := range []string{
		`{"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"x"}]}`,
		`{"Operations":[{"op":"remove","path":"members","value":[{"value":"a"}]}]}`,
		`{"Operations":[{"op":"add","value":{"name.givenName":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"a":1}}}]}`,
		`{"Operations":[{"op":"replace","path":"name","value":[1,2]}]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var p PatchRequest
		if json.Unmarshal([]byte(body), &p) != nil {
			return
		}
		for _, kind := range []string{User, Group} {
			out, err := ApplyPatch(user(), p, kind)
			requireSCIMError(t, err)
			if err == nil && kind == User {
				_, err = UserFromResource(out)
				requireSCIMError(t, err)
			}
			if err == nil && kind == Group {
				_, err = GroupFromResource(out)
				requireSCIMError(t, err)
			}
		}
	})
}
