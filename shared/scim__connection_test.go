package latchkey

import (
	"testing"
)

func TestSCIMTokenNamesItsOrganization(t *testing.T) {
	ids := IDs{Env: "test"}
	org := ids.New("organization")
	token, hash, err := NewSCIMToken(org)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := ParseSCIMToken(ids, token); !ok || got != org {
		t.Fatalf("parsed %q %v, want %q", got, ok, org)
	}
	if other, _, _ := NewSCIMToken(org); other == token {
		t.Fatal("two tokens are equal")
	}
	if len(hash) != 64 || hash == token {
		t.Fatalf("hash %q", hash)
	}
	for _, bad := range []string{"", "x", token[:len(token)-1], token + "A", "!!" + token[2:]} {
		if _, ok := ParseSCIMToken(ids, bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestValidateConnection(t *testing.T) {
	ok := SCIMConnection{IdentityProvider: "okta", GroupRoles: []SCIMGroupRole{{RoleID: "r", GroupID: "scim-group-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00"}}}
	if err := validateConnection(ok); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]SCIMConnection{
		"idp":           {IdentityProvider: "aol"},
		"stytch_member": {IdentityProvider: "okta", GroupRoles: []SCIMGroupRole{{RoleID: RoleMember, GroupID: ok.GroupRoles[0].GroupID}}},
		"group id":      {IdentityProvider: "okta", GroupRoles: []SCIMGroupRole{{RoleID: "r", GroupID: "nope"}}},
		"role id":       {IdentityProvider: "okta", GroupRoles: []SCIMGroupRole{{RoleID: "has space", GroupID: ok.GroupRoles[0].GroupID}}},
	} {
		if err := validateConnection(c); err == nil || AsError(err).Status != 400 {
			t.Errorf("%s: %v", name, err)
		}
	}
}
