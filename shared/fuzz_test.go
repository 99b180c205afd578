package latchkey

import (
	"encoding/json"
	"testing"
	"time"
)

// requireClientError holds a fuzz target to the API's line: no input panics, and every
// rejection is a 4xx *Error, which the API renders in Stytch's shape.
func requireClientError(t *testing.T, err error) {
	t.Helper()
	if err != nil && !IsClientError(err) {
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
