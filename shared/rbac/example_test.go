package rbac_test

import (
	"fmt"

	"github.com/latchkey/latchkey/shared/rbac"
)

// Load takes LATCHKEY_RBAC_POLICY's value, here the path of the sample policy file. The
// configured roles and resource come after Stytch's default roles and built-in resources.
func ExampleLoad() {
	p, err := rbac.Load("testdata/sample_policy.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range p.Roles {
		fmt.Println("role", r.RoleID)
	}
	for _, r := range p.Resources {
		fmt.Println("resource", r.ResourceID)
	}
	fmt.Println(p.Authorize(nil, []string{"stytch_member", "editor", "viewer"}, "documents", "read"))
	fmt.Println(p.Authorize(nil, []string{"stytch_member", "editor"}, "stytch.self", "update.info.name"))
	// Output:
	// role stytch_member
	// role stytch_admin
	// role editor
	// role viewer
	// resource stytch.organization
	// resource stytch.member
	// resource stytch.sso
	// resource stytch.self
	// resource stytch.scim
	// resource stytch.custom-org-roles
	// resource documents
	// [editor viewer]
	// [stytch_member editor]
}
