package scim

import (
	"testing"

	latchkey "github.com/latchkey/latchkey/shared"
)

func TestSCIMTokenNamesItsOrganization(t *testing.T) {
	ids := latchkey.IDs{Env: "test"}
	org := ids.New("organization")
	token, hash, err := NewToken(org)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := ParseToken(ids, token); !ok || got != org {
		t.Fatalf("parsed %q %v, want %q", got, ok, org)
	}
	if other, _, _ := NewToken(org); other == token {
		t.Fatal("two tokens are equal")
	}
	if len(hash) != 64 || hash == token {
		t.Fatalf("hash %q", hash)
	}
	for _, bad := range []string{"", "x", token[:len(token)-1], token + "A", "!!" + token[2:]} {
		if _, ok := ParseToken(ids, bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestValidateConnection(t *testing.T) {
	ok := Connection{IdentityProvider: "okta", GroupRoles: []latchkey.SCIMGroupRole{{RoleID: "r", GroupID: "scim-group-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00"}}}
	if err := validateConnection(ok); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]Connection{
		"idp":           {IdentityProvider: "aol"},
		"stytch_member": {IdentityProvider: "okta", GroupRoles: []latchkey.SCIMGroupRole{{RoleID: latchkey.RoleMember, GroupID: ok.GroupRoles[0].GroupID}}},
		"group id":      {IdentityProvider: "okta", GroupRoles: []latchkey.SCIMGroupRole{{RoleID: "r", GroupID: "nope"}}},
		"role id":       {IdentityProvider: "okta", GroupRoles: []latchkey.SCIMGroupRole{{RoleID: "has space", GroupID: ok.GroupRoles[0].GroupID}}},
	} {
		if err := validateConnection(c); err == nil || latchkey.AsError(err).Status != 400 {
			t.Errorf("%s: %v", name, err)
		}
	}
}
