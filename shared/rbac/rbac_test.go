package rbac_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/shared/rbac"
)

const samplePath = "testdata/sample_policy.json"

// list joins n JSON values made by item.
func list(n int, item func(i int) string) string {
	items := make([]string, n)
	for i := range items {
		items[i] = item(i)
	}
	return strings.Join(items, ",")
}

// docs declares the custom resource most cases below grant on.
const docs = `{"resource_id":"documents","description":"","actions":["create","read","write","delete","share"]}`

func withDocs(roles string) string {
	return `{"resources":[` + docs + `],"roles":[` + roles + `]}`
}

func mustParse(t *testing.T, doc string) rbac.Policy {
	t.Helper()
	p, err := rbac.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func roleIDs(p rbac.Policy) []string {
	var ids []string
	for _, r := range p.Roles {
		ids = append(ids, r.RoleID)
	}
	return ids
}

func resourceIDs(p rbac.Policy) []string {
	var ids []string
	for _, r := range p.Resources {
		ids = append(ids, r.ResourceID)
	}
	return ids
}

var builtinIDs = []string{"stytch.organization", "stytch.member", "stytch.sso", "stytch.self", "stytch.scim", "stytch.custom-org-roles"}

func TestParseRejects(t *testing.T) {
	long := strings.Repeat("a", 129)
	tests := []struct {
		name string
		doc  string
		kind rbac.Kind
		want string
	}{
		// The document itself.
		{"empty document", "  \n", rbac.KindSyntax, "rbac policy: the document is empty; want a JSON object"},
		{"not an object", `[{"role_id":"a"}]`, rbac.KindSyntax, `rbac policy: the document is not a JSON object (it does not start with "{")`},
		{"invalid JSON", "{\n  \"roles\": [\n    {\"role_id\": \"a\",}\n  ]\n}", rbac.KindSyntax, "rbac policy: invalid JSON at line 3, column 21: invalid character '}'"},
		{"truncated", `{"roles":[`, rbac.KindSyntax, "the document ends before the policy object does"},
		{"trailing data", `{"roles":[]} {"roles":[]}`, rbac.KindSyntax, "rbac policy: there is more after the policy object, at line 1, column 14"},
		{"trailing garbage", "{}\nx", rbac.KindSyntax, "there is more after the policy object, at line 2, column 1"},
		{"unknown top-level field", `{"rolez":[]}`, rbac.KindSyntax, `rbac policy: unknown field "rolez"; the fields are roles, resources, scopes`},
		{"API response instead of policy", `{"status_code":200,"policy":{}}`, rbac.KindSyntax, "not an API response holding one"},
		{"unknown role field", `{"roles":[{"role_id":"a"},{"role_id":"b","permission":[]}]}`, rbac.KindSyntax, `rbac policy: roles[1]: unknown field "permission"; the fields are role_id, description, permissions`},
		{"field in other case", `{"roles":[{"Role_ID":"a"}]}`, rbac.KindSyntax, `roles[0]: unknown field "Role_ID"`},
		{"unknown permission field", `{"roles":[{"role_id":"a","permissions":[{"resource":"stytch.self"}]}]}`, rbac.KindSyntax, `roles[0].permissions[0]: unknown field "resource"`},
		{"repeated field", `{"roles":[{"role_id":"a","role_id":"b"}]}`, rbac.KindSyntax, `roles[0]: the field "role_id" is given twice`},
		{"wrong type", `{"roles":[{"role_id":7}]}`, rbac.KindSyntax, "rbac policy: roles[0].role_id: want a string, got a number"},
		{"object for list", `{"resources":{}}`, rbac.KindSyntax, "resources: want an array, got an object"},
		{"null action", `{"resources":[{"resource_id":"d","actions":[null]}]}`, rbac.KindSyntax, "resources[0].actions[0]: want a string, got null"},

		// Roles.
		{"empty role_id", `{"roles":[{"role_id":""}]}`, rbac.KindInvalid, "rbac policy: roles[0]: role_id is empty"},
		{"missing role_id", `{"roles":[{"description":"no id"}]}`, rbac.KindInvalid, "roles[0]: role_id is empty"},
		{"role_id too long", `{"roles":[{"role_id":"` + long + `"}]}`, rbac.KindInvalid, "roles[0]: role_id is 129 characters long; at most 128 are allowed"},
		{"role_id with a space", `{"roles":[{"role_id":"doc editor"}]}`, rbac.KindInvalid, `roles[0] "doc editor": role_id has the character ' '; only letters, digits and _ - . : are allowed`},
		{"role_id with a slash", `{"roles":[{"role_id":"docs/editor"}]}`, rbac.KindInvalid, `has the character '/'`},
		{"role_id not ASCII", `{"roles":[{"role_id":"rédacteur"}]}`, rbac.KindInvalid, `has the character 'é'`},
		{"duplicate role_id", `{"roles":[{"role_id":"a"},{"role_id":"b"},{"role_id":"a"}]}`, rbac.KindDuplicate, `roles[2] "a": role_id is already declared by roles[0]`},
		{"default role twice", `{"roles":[{"role_id":"stytch_admin"},{"role_id":"stytch_admin"}]}`, rbac.KindDuplicate, `roles[1] "stytch_admin": role_id is already declared by roles[0]`},
		{"too many roles", `{"roles":[` + list(101, func(i int) string { return fmt.Sprintf(`{"role_id":"r%d"}`, i) }) + `]}`, rbac.KindLimit, "roles: 101 roles are configured; at most 100 are allowed"},

		// Permissions of roles.
		{"unknown resource", withDocs(`{"role_id":"a"},{"role_id":"b"},{"role_id":"editor","permissions":[{"resource_id":"docz","actions":["read"]}]}`),
			rbac.KindUnknownResource, `rbac policy: roles[2] "editor": permission on unknown resource "docz"`},
		{"unknown stytch resource", `{"roles":[{"role_id":"a","permissions":[{"resource_id":"stytch.members","actions":["*"]}]}]}`,
			rbac.KindUnknownResource, `roles[0] "a": permission on unknown resource "stytch.members"`},
		{"empty permission resource_id", `{"roles":[{"role_id":"a","permissions":[{"resource_id":"","actions":["read"]}]}]}`,
			rbac.KindInvalid, `roles[0] "a": permissions[0] has an empty resource_id`},
		{"unknown action", withDocs(`{"role_id":"editor","permissions":[{"resource_id":"documents","actions":["read","edit"]}]}`),
			rbac.KindUnknownAction, `roles[0] "editor": permission on "documents": unknown action "edit"; "documents" has the actions create, read, write, delete, share`},
		{"underscore spelling of a built-in action", `{"roles":[{"role_id":"a","permissions":[{"resource_id":"stytch.member","actions":["update.info.untrusted_metadata"]}]}]}`,
			rbac.KindUnknownAction, `permission on "stytch.member": unknown action "update.info.untrusted_metadata"`},
		{"no actions", withDocs(`{"role_id":"a","permissions":[{"resource_id":"documents","actions":[]}]}`),
			rbac.KindInvalid, `roles[0] "a": permission on "documents" has no actions; list them, or use "*" for all`},
		{"empty action", withDocs(`{"role_id":"a","permissions":[{"resource_id":"documents","actions":[""]}]}`),
			rbac.KindInvalid, `permission on "documents": an action is empty`},
		{"too many permission actions", withDocs(`{"role_id":"a","permissions":[{"resource_id":"documents","actions":[` + list(101, func(int) string { return `"read"` }) + `]}]}`),
			rbac.KindLimit, `permission on "documents" has 101 actions; at most 100 are allowed`},
		{"too many permissions", `{"roles":[{"role_id":"a","permissions":[` + list(201, func(int) string { return `{"resource_id":"stytch.self","actions":["*"]}` }) + `]}]}`,
			rbac.KindLimit, `roles[0] "a": has 201 permissions; at most 200 are allowed`},

		// Resources.
		{"empty resource_id", `{"resources":[{"resource_id":"","actions":["read"]}]}`, rbac.KindInvalid, "rbac policy: resources[0]: resource_id is empty"},
		{"resource_id too long", `{"resources":[{"resource_id":"` + long + `","actions":["read"]}]}`, rbac.KindInvalid, "resources[0]: resource_id is 129 characters long; at most 128 are allowed"},
		{"resource_id with a bad character", `{"resources":[{"resource_id":"docs*","actions":["read"]}]}`, rbac.KindInvalid, `resources[0] "docs*": resource_id has the character '*'`},
		{"duplicate resource_id", `{"resources":[` + docs + `,` + docs + `]}`, rbac.KindDuplicate, `resources[1] "documents": resource_id is already declared by resources[0]`},
		{"reserved prefix", `{"resources":[{"resource_id":"stytch.documents","actions":["read"]}]}`, rbac.KindReserved, `resources[0] "stytch.documents": resource_id may not start with "stytch.", which Stytch reserves for its built-in resources`},
		{"built-in redefined", `{"resources":[{"resource_id":"stytch.member","actions":["create"]}]}`, rbac.KindReserved, `resources[0] "stytch.member": built-in resources cannot be redefined`},
		{"no declared actions", `{"resources":[{"resource_id":"documents","actions":[]}]}`, rbac.KindInvalid, `resources[0] "documents": declares no actions`},
		{"wildcard declared", `{"resources":[{"resource_id":"documents","actions":["read","*"]}]}`, rbac.KindInvalid, `resources[0] "documents": declares the action "*", which is the wildcard for all actions and cannot be declared`},
		{"empty declared action", `{"resources":[{"resource_id":"documents","actions":["read",""]}]}`, rbac.KindInvalid, `resources[0] "documents": an action is empty`},
		{"declared action too long", `{"resources":[{"resource_id":"documents","actions":["` + long + `"]}]}`, rbac.KindInvalid, "is 129 characters long; at most 128 are allowed"},
		{"declared action with whitespace", `{"resources":[{"resource_id":"documents","actions":[" read"]}]}`, rbac.KindInvalid, `action " read" has whitespace or a control character`},
		{"declared action twice", `{"resources":[{"resource_id":"documents","actions":["read","write","read"]}]}`, rbac.KindDuplicate, `resources[0] "documents": declares the action "read" twice`},
		{"too many declared actions", `{"resources":[{"resource_id":"documents","actions":[` + list(101, func(i int) string { return fmt.Sprintf(`"a%d"`, i) }) + `]}]}`,
			rbac.KindLimit, `resources[0] "documents": declares 101 actions; at most 100 are allowed`},
		{"too many resources", `{"resources":[` + list(101, func(i int) string { return fmt.Sprintf(`{"resource_id":"r%d","actions":["read"]}`, i) }) + `]}`,
			rbac.KindLimit, "resources: 101 resources are configured; at most 100 are allowed"},

		// Scopes.
		{"empty scope", `{"scopes":[{"scope":""}]}`, rbac.KindInvalid, "rbac policy: scopes[0]: scope is empty"},
		{"scope with a space", `{"scopes":[{"scope":"read docs"}]}`, rbac.KindInvalid, `scopes[0] "read docs": scope has the character ' '; a scope is printable ASCII without spaces, quotes or backslashes`},
		{"scope too long", `{"scopes":[{"scope":"` + long + `"}]}`, rbac.KindInvalid, "scopes[0]: scope is 129 characters long; at most 128 are allowed"},
		{"duplicate scope", `{"scopes":[{"scope":"read:docs"},{"scope":"read:docs"}]}`, rbac.KindDuplicate, `scopes[1] "read:docs": scope is already declared by scopes[0]`},
		{"scope on unknown resource", `{"scopes":[{"scope":"read:docs","permissions":[{"resource_id":"documents","actions":["read"]}]}]}`,
			rbac.KindUnknownResource, `scopes[0] "read:docs": permission on unknown resource "documents"`},
		{"scope with unknown action", `{"resources":[` + docs + `],"scopes":[{"scope":"read:docs","permissions":[{"resource_id":"documents","actions":["view"]}]}]}`,
			rbac.KindUnknownAction, `scopes[0] "read:docs": permission on "documents": unknown action "view"`},
		{"too many scopes", `{"scopes":[` + list(101, func(i int) string { return fmt.Sprintf(`{"scope":"s%d"}`, i) }) + `]}`,
			rbac.KindLimit, "scopes: 101 scopes are configured; at most 100 are allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := rbac.Parse([]byte(tt.doc))
			if err == nil {
				t.Fatalf("Parse succeeded with roles %v; want an error containing %q", roleIDs(p), tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, tt.want)
			}
			var e *rbac.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %q is not an *rbac.Error", err)
			}
			if e.Kind != tt.kind {
				t.Errorf("Kind = %q, want %q", e.Kind, tt.kind)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	longest := strings.Repeat("a", 128)
	tests := []struct {
		name string
		doc  string
	}{
		{"empty object", `{}`},
		{"null lists", `{"roles":null,"resources":null,"scopes":null}`},
		{"whitespace around", "\n\t {} \n"},
		{"byte order mark", "\xef\xbb\xbf{}"},
		{"every id character", `{"roles":[{"role_id":"Org:admin_v1.2-x"}],"resources":[{"resource_id":"Docs:v2_x-y.z","actions":["read"]}]}`},
		{"ids of 128 characters", `{"roles":[{"role_id":"` + longest + `"}],"resources":[{"resource_id":"` + longest + `","actions":["` + longest + `"]}],"scopes":[{"scope":"` + longest + `"}]}`},
		{"role without permissions", `{"roles":[{"role_id":"auditor","description":"","permissions":[]}]}`},
		{"wildcard beside actions", withDocs(`{"role_id":"a","permissions":[{"resource_id":"documents","actions":["read","*"]}]}`)},
		{"permission before its resource is declared", `{"roles":[{"role_id":"a","permissions":[{"resource_id":"documents","actions":["read"]}]}],"resources":[` + docs + `]}`},
		{"built-in actions", `{"roles":[{"role_id":"a","permissions":[{"resource_id":"stytch.member","actions":["update.settings.roles","get.connected-apps","revoke.connected-app","update.info.unlink.retired-email"]},{"resource_id":"stytch.self","actions":["update.info.email"]},{"resource_id":"stytch.custom-org-roles","actions":["get"]}]}]}`},
		{"scopes", `{"resources":[` + docs + `],"scopes":[{"scope":"read:documents","description":"Read documents","permissions":[{"resource_id":"documents","actions":["read"]}]},{"scope":"admin","permissions":[{"resource_id":"stytch.member","actions":["*"]}]}]}`},
		{"100 roles", `{"roles":[` + list(100, func(i int) string { return fmt.Sprintf(`{"role_id":"r%d"}`, i) }) + `]}`},
		{"100 resources", `{"resources":[` + list(100, func(i int) string { return fmt.Sprintf(`{"resource_id":"r%d","actions":["read"]}`, i) }) + `]}`},
		{"100 actions", `{"resources":[{"resource_id":"r","actions":[` + list(100, func(i int) string { return fmt.Sprintf(`"a%d"`, i) }) + `]}]}`},
		{"sample", mustRead(t, samplePath)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := rbac.Parse([]byte(tt.doc)); err != nil {
				t.Errorf("Parse: %v", err)
			}
		})
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestDefaults(t *testing.T) {
	d := rbac.Defaults()
	if got := roleIDs(d); !slices.Equal(got, []string{rbac.RoleMember, rbac.RoleAdmin}) {
		t.Errorf("roles = %v", got)
	}
	if got := resourceIDs(d); !slices.Equal(got, builtinIDs) {
		t.Errorf("resources = %v, want %v", got, builtinIDs)
	}
	member, _ := d.Resource("stytch.member")
	self, _ := d.Resource("stytch.self")
	for _, a := range []string{"update.info.unlink.retired-email", "get.connected-apps", "revoke.connected-app", "update.settings.roles", "revoke-sessions"} {
		if !slices.Contains(member.Actions, a) {
			t.Errorf("stytch.member lacks %q", a)
		}
	}
	for _, a := range []string{"update.info.unlink.retired-email", "get.connected-apps", "revoke.connected-app", "update.info.email", "revoke-sessions"} {
		if !slices.Contains(self.Actions, a) {
			t.Errorf("stytch.self lacks %q", a)
		}
	}
	if slices.Contains(self.Actions, "update.settings.roles") {
		t.Error("stytch.self has update.settings.roles: a member must not be able to edit their own roles")
	}
	admin, _ := d.Role(rbac.RoleAdmin)
	if !strings.HasPrefix(admin.Description, "Granted to Members who create an organization through the Stytch discovery flow.") {
		t.Errorf("stytch_admin description = %q", admin.Description)
	}
	// Every default permission names a built-in resource; the defaults pass their own rules.
	for _, r := range d.Roles {
		for _, perm := range r.Permissions {
			if _, ok := d.Resource(perm.ResourceID); !ok {
				t.Errorf("%s has a permission on %q, which is not a built-in resource", r.RoleID, perm.ResourceID)
			}
		}
	}

	// Each call is a fresh copy.
	d.Roles[0].Permissions[0].Actions[0] = "delete"
	d.Resources[0].Actions = nil
	if again := rbac.Defaults(); again.Roles[0].Permissions[0].Actions[0] != "*" || len(again.Resources[0].Actions) == 0 {
		t.Error("changing one Defaults() changed the next")
	}
}

func TestMerge(t *testing.T) {
	t.Run("empty document is the defaults", func(t *testing.T) {
		if got := mustParse(t, `{}`); !reflect.DeepEqual(got, rbac.Defaults()) {
			t.Errorf("Parse({}) = %+v\nwant Defaults()", got)
		}
	})
	t.Run("defaults first, then the document's order", func(t *testing.T) {
		p := mustParse(t, `{"roles":[{"role_id":"viewer"},{"role_id":"stytch_admin","permissions":[{"resource_id":"stytch.member","actions":["search"]}]},{"role_id":"editor"}],"resources":[`+docs+`,{"resource_id":"reports","actions":["read"]}]}`)
		if got, want := roleIDs(p), []string{"stytch_member", "stytch_admin", "viewer", "editor"}; !slices.Equal(got, want) {
			t.Errorf("roles = %v, want %v", got, want)
		}
		if got, want := resourceIDs(p), append(slices.Clone(builtinIDs), "documents", "reports"); !slices.Equal(got, want) {
			t.Errorf("resources = %v, want %v", got, want)
		}
	})
	t.Run("default roles kept when not listed", func(t *testing.T) {
		p := mustParse(t, mustRead(t, samplePath))
		for _, id := range []string{rbac.RoleMember, rbac.RoleAdmin} {
			got, ok := p.Role(id)
			want, _ := rbac.Defaults().Role(id)
			if !ok || !reflect.DeepEqual(got, want) {
				t.Errorf("Role(%q) = %+v, %v; want the default %+v", id, got, ok, want)
			}
		}
	})
	t.Run("default role redefined", func(t *testing.T) {
		p := mustParse(t, withDocs(`{"role_id":"stytch_admin","permissions":[{"resource_id":"documents","actions":["*"]}]}`))
		admin, ok := p.Role(rbac.RoleAdmin)
		if !ok {
			t.Fatal("stytch_admin is gone")
		}
		want := []rbac.Permission{{ResourceID: "documents", Actions: []string{"*"}}}
		if !reflect.DeepEqual(admin.Permissions, want) {
			t.Errorf("permissions = %+v, want %+v (the configured ones replace the defaults')", admin.Permissions, want)
		}
		def, _ := rbac.Defaults().Role(rbac.RoleAdmin)
		if admin.Description != def.Description {
			t.Errorf("description = %q; with none configured it stays Stytch's", admin.Description)
		}
		if len(p.Roles) != 2 || p.Roles[1].RoleID != rbac.RoleAdmin {
			t.Errorf("roles = %v; a redefined default role keeps its place and is not added twice", roleIDs(p))
		}
		if got := p.Authorize(nil, []string{rbac.RoleAdmin}, "stytch.member", "update.settings.roles"); got != nil {
			t.Errorf("redefined stytch_admin still grants on stytch.member: %v", got)
		}
	})
	t.Run("default role description replaced", func(t *testing.T) {
		p := mustParse(t, `{"roles":[{"role_id":"stytch_member","description":"Everyone"}]}`)
		member, _ := p.Role(rbac.RoleMember)
		if member.Description != "Everyone" {
			t.Errorf("description = %q", member.Description)
		}
		// Listed with no permissions, it has none: replacement is of the whole list.
		if len(member.Permissions) != 0 {
			t.Errorf("permissions = %+v, want none", member.Permissions)
		}
		if got := p.Authorize(nil, []string{rbac.RoleMember}, "stytch.self", "delete"); got != nil {
			t.Errorf("stytch_member with no permissions grants: %v", got)
		}
	})
	t.Run("built-in resource cannot be redefined", func(t *testing.T) {
		for _, id := range builtinIDs {
			_, err := rbac.Parse([]byte(`{"resources":[{"resource_id":"` + id + `","actions":["create","get","update","delete"]}]}`))
			if err == nil || !strings.Contains(err.Error(), "built-in resources cannot be redefined") {
				t.Errorf("%s: err = %v", id, err)
			}
		}
	})
	t.Run("Role returns a copy", func(t *testing.T) {
		p := mustParse(t, mustRead(t, samplePath))
		r, _ := p.Role("editor")
		r.Permissions[0].Actions[0] = "delete"
		if again, _ := p.Role("editor"); again.Permissions[0].Actions[0] != "create" {
			t.Error("changing a returned role changed the policy")
		}
	})
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"roles":[{"role_id":"a","permissions":[{"resource_id":"docz","actions":["read"]}]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	sample := mustParse(t, mustRead(t, samplePath))
	tests := []struct {
		name    string
		value   string
		want    rbac.Policy
		wantErr string
	}{
		{"JSON text", mustRead(t, samplePath), sample, ""},
		{"JSON text after whitespace", "\n  " + mustRead(t, samplePath), sample, ""},
		{"path", samplePath, sample, ""},
		{"path with a newline", samplePath + "\n", sample, ""},
		{"empty value", "", rbac.Defaults(), ""},
		{"invalid JSON text", `{"roles":[{"role_id":"a","permissions":[{"resource_id":"docz","actions":["read"]}]}]}`, rbac.Policy{},
			`rbac policy: roles[0] "a": permission on unknown resource "docz"`},
		{"invalid file names its path", bad, rbac.Policy{}, `rbac policy: ` + bad + `: roles[0] "a": permission on unknown resource "docz"`},
		{"missing file", filepath.Join(dir, "missing.json"), rbac.Policy{}, `rbac policy: open ` + filepath.Join(dir, "missing.json") + `: no such file or directory (a value that does not start with "{" is read as the path of a policy file)`},
		{"JSON that is not an object is a path", `[]`, rbac.Policy{}, `rbac policy: open []: no such file or directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rbac.Load(tt.value)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v\nwant it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Load = %+v\nwant %+v", got, tt.want)
			}
		})
	}
	t.Run("file error unwraps to *Error", func(t *testing.T) {
		_, err := rbac.Load(bad)
		var e *rbac.Error
		if !errors.As(err, &e) || e.Kind != rbac.KindUnknownResource || e.Field != `roles[0] "a"` {
			t.Errorf("err = %#v", err)
		}
	})
}

func TestAuthorize(t *testing.T) {
	p := mustParse(t, `{
		"resources":[`+docs+`,{"resource_id":"reports","actions":["read","export"]}],
		"roles":[
			{"role_id":"editor","permissions":[{"resource_id":"documents","actions":["create","read","write"]},{"resource_id":"stytch.self","actions":["*"]}]},
			{"role_id":"viewer","permissions":[{"resource_id":"documents","actions":["read"]}]},
			{"role_id":"owner","permissions":[{"resource_id":"documents","actions":["*"]}]},
			{"role_id":"analyst","permissions":[{"resource_id":"reports","actions":["read"]},{"resource_id":"documents","actions":["share"]}]}
		]}`)
	orgRoles := []rbac.Role{
		{RoleID: "org_publisher", Permissions: []rbac.Permission{{ResourceID: "documents", Actions: []string{"share", "delete"}}}},
		{RoleID: "org_reporter", Permissions: []rbac.Permission{{ResourceID: "reports", Actions: []string{"*"}}}},
	}
	tests := []struct {
		name     string
		orgRoles []rbac.Role
		roles    []string
		resource string
		action   string
		want     []string
	}{
		{"exact action", nil, []string{"stytch_member", "viewer"}, "documents", "read", []string{"viewer"}},
		{"action not granted", nil, []string{"stytch_member", "viewer"}, "documents", "write", nil},
		{"wildcard", nil, []string{"owner"}, "documents", "delete", []string{"owner"}},
		{"wildcard grants any action name", nil, []string{"owner"}, "documents", "anything", []string{"owner"}},
		{"wrong resource", nil, []string{"owner", "viewer"}, "reports", "read", nil},
		{"action of another resource", nil, []string{"analyst"}, "documents", "read", nil},
		{"every granting role, in the order given", nil, []string{"viewer", "stytch_member", "owner", "editor"}, "documents", "read", []string{"viewer", "owner", "editor"}},
		{"order follows roles, not the policy", nil, []string{"editor", "viewer"}, "documents", "read", []string{"editor", "viewer"}},
		{"repeated roles counted once", nil, []string{"viewer", "owner", "viewer"}, "documents", "read", []string{"viewer", "owner"}},
		{"unknown roles ignored", nil, []string{"ghost", "viewer", "stytch_superuser"}, "documents", "read", []string{"viewer"}},
		{"no roles", nil, nil, "documents", "read", nil},
		{"org role grants", orgRoles, []string{"stytch_member", "org_publisher"}, "documents", "share", []string{"org_publisher"}},
		{"org role wildcard", orgRoles, []string{"org_reporter"}, "reports", "export", []string{"org_reporter"}},
		{"org and project roles together", orgRoles, []string{"org_publisher", "analyst", "owner"}, "documents", "share", []string{"org_publisher", "analyst", "owner"}},
		{"org role of another organization is not passed", nil, []string{"org_publisher"}, "documents", "share", nil},
		{"org role not held", orgRoles, []string{"viewer"}, "documents", "delete", nil},
		{"stytch_admin wildcard on stytch.member", nil, []string{"stytch_member", "stytch_admin"}, "stytch.member", "update.settings.roles", []string{"stytch_admin"}},
		{"stytch_admin on stytch.organization", nil, []string{"stytch_admin"}, "stytch.organization", "update.settings.mfa-policy", []string{"stytch_admin"}},
		{"stytch_admin on stytch.scim", nil, []string{"stytch_admin"}, "stytch.scim", "update", []string{"stytch_admin"}},
		{"stytch_admin not on stytch.self", nil, []string{"stytch_admin"}, "stytch.self", "delete", nil},
		{"stytch_admin not on custom-org-roles", nil, []string{"stytch_admin"}, "stytch.custom-org-roles", "get", nil},
		{"stytch_member on stytch.self", nil, []string{"stytch_member"}, "stytch.self", "update.info.name", []string{"stytch_member"}},
		{"stytch_member on self email update", nil, []string{"stytch_member"}, "stytch.self", "update.info.email", []string{"stytch_member"}},
		{"stytch_member not on stytch.member", nil, []string{"stytch_member"}, "stytch.member", "update.settings.roles", nil},
		{"stytch_member cannot search members", nil, []string{"stytch_member"}, "stytch.member", "search", nil},
		{"custom role with self wildcard", nil, []string{"editor", "stytch_member"}, "stytch.self", "delete", []string{"editor", "stytch_member"}},
		{"empty action", nil, []string{"owner"}, "documents", "", nil},
		{"empty resource", nil, []string{"owner"}, "", "read", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Authorize(tt.orgRoles, tt.roles, tt.resource, tt.action); !slices.Equal(got, tt.want) {
				t.Errorf("Authorize(%v, %s, %s) = %v, want %v", tt.roles, tt.resource, tt.action, got, tt.want)
			}
		})
	}
}

func TestValidateOrgRoles(t *testing.T) {
	p := mustParse(t, mustRead(t, samplePath))
	perm := func(resource string, actions ...string) []rbac.Permission {
		return []rbac.Permission{{ResourceID: resource, Actions: actions}}
	}
	long := strings.Repeat("r", 129)
	many := make([]rbac.Role, 101)
	for i := range many {
		many[i] = rbac.Role{RoleID: fmt.Sprintf("r%d", i)}
	}
	tests := []struct {
		name  string
		roles []rbac.Role
		kind  rbac.Kind
		field string
		want  string // "" for valid
	}{
		{"none", nil, "", "", ""},
		{"valid", []rbac.Role{
			{RoleID: "publisher", Permissions: perm("documents", "share", "delete")},
			{RoleID: "org:auditor", Permissions: perm("stytch.member", "search")},
			{RoleID: "everything", Permissions: perm("documents", "*")},
			{RoleID: "nothing"},
		}, "", "", ""},
		{"stytch_admin", []rbac.Role{{RoleID: "stytch_admin", Permissions: perm("documents", "read")}}, rbac.KindReserved, `roles[0] "stytch_admin"`,
			`roles[0] "stytch_admin": "stytch_admin" is a Stytch default role; its permissions are set in the project's policy, not an organization's`},
		{"stytch_member", []rbac.Role{{RoleID: "publisher"}, {RoleID: "stytch_member"}}, rbac.KindReserved, `roles[1] "stytch_member"`, `"stytch_member" is a Stytch default role`},
		{"project role", []rbac.Role{{RoleID: "editor", Permissions: perm("documents", "read")}}, rbac.KindCollision, `roles[0] "editor"`,
			`roles[0] "editor": role_id is already a role of the project's policy; an organization's roles need ids of their own`},
		{"duplicate", []rbac.Role{{RoleID: "publisher"}, {RoleID: "publisher"}}, rbac.KindDuplicate, `roles[1] "publisher"`, `role_id is already given by roles[0]`},
		{"empty id", []rbac.Role{{RoleID: ""}}, rbac.KindInvalid, `roles[0]`, "roles[0]: role_id is empty"},
		{"bad id", []rbac.Role{{RoleID: "pub lisher"}}, rbac.KindInvalid, `roles[0] "pub lisher"`, `has the character ' '`},
		{"long id", []rbac.Role{{RoleID: long}}, rbac.KindInvalid, `roles[0]`, "role_id is 129 characters long"},
		{"unknown resource", []rbac.Role{{RoleID: "publisher", Permissions: perm("docz", "read")}}, rbac.KindUnknownResource, `roles[0] "publisher"`,
			`roles[0] "publisher": permission on unknown resource "docz"`},
		{"bad action", []rbac.Role{{RoleID: "publisher", Permissions: perm("documents", "publish")}}, rbac.KindUnknownAction, `roles[0] "publisher"`,
			`roles[0] "publisher": permission on "documents": unknown action "publish"; "documents" has the actions create, read, write, delete, share`},
		{"action with whitespace", []rbac.Role{{RoleID: "publisher", Permissions: perm("documents", "read\n")}}, rbac.KindInvalid, `roles[0] "publisher"`, `has whitespace or a control character`},
		{"no actions", []rbac.Role{{RoleID: "publisher", Permissions: perm("documents")}}, rbac.KindInvalid, `roles[0] "publisher"`, `has no actions`},
		{"built-in action", []rbac.Role{{RoleID: "publisher", Permissions: perm("stytch.member", "update.roles")}}, rbac.KindUnknownAction, `roles[0] "publisher"`, `unknown action "update.roles"`},
		{"too many", many, rbac.KindLimit, "roles", "roles: 101 roles are given; an organization may have at most 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.ValidateOrgRoles(tt.roles)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ValidateOrgRoles: %v", err)
				}
				return
			}
			var e *rbac.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %#v, want an *rbac.Error", err)
			}
			if !strings.Contains(e.Error(), tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", e, tt.want)
			}
			if e.Kind != tt.kind || e.Field != tt.field {
				t.Errorf("Kind, Field = %q, %q; want %q, %q", e.Kind, e.Field, tt.kind, tt.field)
			}
		})
	}
	t.Run("resources come from the policy given", func(t *testing.T) {
		err := rbac.Defaults().ValidateOrgRoles([]rbac.Role{{RoleID: "publisher", Permissions: perm("documents", "read")}})
		if err == nil || !strings.Contains(err.Error(), `unknown resource "documents"`) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestMarshalEmptyLists(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"zero policy", rbac.Policy{}, `{"roles":[],"resources":[],"scopes":[]}`},
		{"pointer to policy", &rbac.Policy{}, `{"roles":[],"resources":[],"scopes":[]}`},
		{"nested", rbac.Policy{
			Roles:     []rbac.Role{{RoleID: "a"}, {RoleID: "b", Permissions: []rbac.Permission{{ResourceID: "documents"}}}},
			Resources: []rbac.Resource{{ResourceID: "documents"}},
			Scopes:    []rbac.Scope{{Scope: "s"}},
		}, `{"roles":[{"role_id":"a","description":"","permissions":[]},{"role_id":"b","description":"","permissions":[{"resource_id":"documents","actions":[]}]}],` +
			`"resources":[{"resource_id":"documents","description":"","actions":[]}],"scopes":[{"scope":"s","description":"","permissions":[]}]}`},
		{"role list of an org policy", []rbac.Role{{RoleID: "a"}}, `[{"role_id":"a","description":"","permissions":[]}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Marshal = %s\nwant      %s", got, tt.want)
			}
		})
	}

	t.Run("round trip", func(t *testing.T) {
		for _, p := range []rbac.Policy{rbac.Defaults(), mustParse(t, mustRead(t, samplePath)), mustParse(t, `{"roles":[{"role_id":"stytch_member"},{"role_id":"empty"}]}`)} {
			data, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(data), "null") {
				t.Errorf("marshalled policy has null: %s", data)
			}
			var back rbac.Policy
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			again, err := json.Marshal(back)
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != string(data) {
				t.Errorf("round trip changed the policy:\n%s\n%s", data, again)
			}
		}
	})
}
