package latchkey

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// Every fuzz target holds the same line: no input panics, and every rejection is an *Error
// with a 4xx status, which the API renders in Stytch's shape.
func requireClientError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.Status < 400 || e.Status > 499 || e.Type == "" || e.Message == "" {
		t.Fatalf("not a 4xx *Error: %#v", err)
	}
}

func FuzzOrganizationPatch(f *testing.F) {
	f.Add([]byte(`{"organization_name":"Acme","organization_slug":"acme","email_allowed_domains":["acme.com"],"email_jit_provisioning":"RESTRICTED"}`))
	f.Add([]byte(`{"auth_methods":"RESTRICTED","allowed_auth_methods":["sso","magic_link"],"mfa_policy":"REQUIRED_FOR_ALL"}`))
	f.Add([]byte(`{"trusted_metadata":{"a":{"b":[1,2,{"c":null}]}},"rbac_email_implicit_role_assignments":[{"domain":"x.io","role_id":"r"}]}`))
	f.Add([]byte(`{"organization_slug":"organization-test-6f7d3c52-4c5e-4f0e-9d4a-0d3f2f1b6a11"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var p OrganizationPatch
		if json.Unmarshal(body, &p) != nil {
			return
		}
		o := p.Apply(NewOrganization("organization-test-6f7d3c52-4c5e-4f0e-9d4a-0d3f2f1b6a11", time.Unix(0, 0)))
		err := o.Validate()
		requireClientError(t, err)
		if err == nil {
			if _, err := json.Marshal(o); err != nil {
				t.Fatalf("a valid organization does not marshal: %v", err)
			}
			// Applying the same patch again changes nothing further.
			again := p.Apply(o)
			a, _ := json.Marshal(again)
			b, _ := json.Marshal(o)
			if string(a) != string(b) {
				t.Fatalf("patch is not idempotent:\n%s\n%s", a, b)
			}
		}
	})
}

func FuzzMemberPatch(f *testing.F) {
	f.Add([]byte(`{"email_address":"Ada@Acme.com","name":"Ada","roles":["stytch_admin"],"external_id":"e1"}`))
	f.Add([]byte(`{"email_address":"x","roles":["stytch_member"],"untrusted_metadata":{"k":1}}`))
	f.Add([]byte(`{"email_address":"a@b.co","default_mfa_method":"totp","is_breakglass":true}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var p MemberPatch
		if json.Unmarshal(body, &p) != nil {
			return
		}
		m, err := NewMember("member-test-6f7d3c52-4c5e-4f0e-9d4a-0d3f2f1b6a11", "organization-test-6f7d3c52-4c5e-4f0e-9d4a-0d3f2f1b6a11", p, time.Unix(0, 0))
		requireClientError(t, err)
		if err == nil {
			_ = m.Presented(NewOrganization("organization-test-6f7d3c52-4c5e-4f0e-9d4a-0d3f2f1b6a11", time.Unix(0, 0)))
		}
	})
}

func FuzzSearchRequest(f *testing.F) {
	f.Add([]byte(`{"organization_ids":["o"],"limit":5,"query":{"operator":"AND","operands":[{"filter_name":"member_emails","filter_value":["a@b.c"]}]}}`))
	f.Add([]byte(`{"cursor":"eyJvIjoyfQ","query":{"operator":"OR","operands":[{"filter_name":"organization_name_fuzzy","filter_value":"acm"},{"filter_name":"member_is_breakglass","filter_value":true}]}}`))
	f.Add([]byte(`{"query":{"operands":[{"filter_name":"statuses","filter_value":["deleted","nope"]}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r SearchRequest
		if json.Unmarshal(body, &r) != nil {
			return
		}
		_, err := ParseOrganizationQuery(r.Query)
		requireClientError(t, err)
		q, err := ParseMemberQuery(r.Query)
		requireClientError(t, err)
		if err == nil {
			_ = q.Matches(func(f Filter) bool { return MemberMatches(f, Member{EmailAddress: "a@b.c", Status: StatusActive}) })
		}
		_, err = decodeCursor(r.Cursor)
		requireClientError(t, err)
		_, err = r.limit()
		requireClientError(t, err)
	})
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"ada@acme.com", " A@B.CO ", "a@b", "\"q\"@x.io", "a@-x.com", "Bob <b@x.com>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := NormalizeEmail(s)
		requireClientError(t, err)
		if err == nil {
			if again, err := NormalizeEmail(e); err != nil || again != e {
				t.Fatalf("normalizing %q is not stable: %q then %q (%v)", s, e, again, err)
			}
		}
	})
}

func FuzzSessionToken(f *testing.F) {
	tok, _ := NewSessionToken("organization-test-6f7d3c52-4c5e-4f0e-9d4a-0d3f2f1b6a11", "member-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00")
	f.Add(tok)
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		org, member, err := IDsForProject("project-test-x").ParseSessionToken(s)
		requireClientError(t, err)
		if err == nil && (!LooksLike("organization", org) || !LooksLike("member", member)) {
			t.Fatalf("parsed ids have the wrong shape: %q %q", org, member)
		}
	})
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
			_ = LinkURL(got, "multi_tenant_magic_links", "tok")
		}
		requireClientError(t, ValidatePKCEChallenge(challenge))
		requireClientError(t, CheckPKCE(challenge, verifier))
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
		_, err := SessionDuration(r.SessionDurationMinutes)
		requireClientError(t, err)
		requireClientError(t, ValidateCustomClaims(r.SessionCustomClaims))
		_, err = LinkExpiry("login_expiration_minutes", r.SessionDurationMinutes, DefaultLoginMinutes)
		requireClientError(t, err)
	})
}
