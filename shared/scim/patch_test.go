package scim

import (
	"encoding/json"
	"reflect"
	"testing"
)

func patch(t *testing.T, res map[string]any, resourceType, body string) (map[string]any, error) {
	t.Helper()
	var p PatchRequest
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	return ApplyPatch(res, p, resourceType)
}

func user() map[string]any {
	var u map[string]any
	_ = json.Unmarshal([]byte(`{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
		"id": "member-test-1",
		"userName": "ada@acme.com",
		"name": {"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada Lovelace"},
		"emails": [{"value": "ada@acme.com", "type": "work", "primary": true}],
		"active": true
	}`), &u)
	return u
}

func field(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestPatchUser(t *testing.T) {
	cases := []struct {
		name, body string
		path       []any
		want       any
	}{
		{"okta deactivate: no path, lower-case op",
			`{"Operations":[{"op":"replace","value":{"active":false}}]}`, []any{"active"}, false},
		{"entra deactivate: capitalised op, boolean as string",
			`{"Operations":[{"op":"Replace","path":"active","value":"False"}]}`, []any{"active"}, false},
		{"reactivate with a string True",
			`{"Operations":[{"op":"replace","value":{"active":"True"}}]}`, []any{"active"}, true},
		{"dotted key without a path",
			`{"Operations":[{"op":"Replace","value":{"name.givenName":"Augusta","name.familyName":"King"}}]}`, []any{"name", "givenName"}, "Augusta"},
		{"dotted key keeps the other sub-attributes",
			`{"Operations":[{"op":"Replace","value":{"name.givenName":"Augusta"}}]}`, []any{"name", "familyName"}, "Lovelace"},
		{"sub-attribute path",
			`{"Operations":[{"op":"Add","path":"name.familyName","value":"King"}]}`, []any{"name", "familyName"}, "King"},
		{"attribute name in another case",
			`{"Operations":[{"op":"replace","path":"DisplayName","value":"Countess"}]}`, []any{"displayName"}, "Countess"},
		{"replace a complex attribute merges",
			`{"Operations":[{"op":"replace","path":"name","value":{"middleName":"Byron"}}]}`, []any{"name", "givenName"}, "Ada"},
		{"entra email change",
			`{"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"augusta@acme.com"}]}`, []any{"emails", 0, "value"}, "augusta@acme.com"},
		{"filtered replace creates the value it selects",
			`{"Operations":[{"op":"replace","path":"emails[type eq \"home\"].value","value":"ada@home.example"}]}`, []any{"emails", 1}, map[string]any{"type": "home", "value": "ada@home.example"}},
		{"okta email change: replace the whole list",
			`{"Operations":[{"op":"replace","value":{"emails":[{"value":"augusta@acme.com","type":"work","primary":true}]}}]}`, []any{"emails", 0, "value"}, "augusta@acme.com"},
		{"enterprise extension attribute path",
			`{"Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Engines"}]}`,
			[]any{EnterpriseSchema, "department"}, "Engines"},
		{"enterprise extension object without a path",
			`{"Operations":[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"7"}}}]}`,
			[]any{EnterpriseSchema, "employeeNumber"}, "7"},
		{"core schema URN prefix",
			`{"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:userName","value":"augusta@acme.com"}]}`, []any{"userName"}, "augusta@acme.com"},
		{"remove a sub-attribute",
			`{"Operations":[{"op":"remove","path":"name.formatted"}]}`, []any{"name", "formatted"}, nil},
		{"the id cannot be patched",
			`{"Operations":[{"op":"replace","value":{"id":"member-test-2","userName":"x@acme.com"}}]}`, []any{"id"}, "member-test-1"},
		{"add appends to a multi-valued attribute",
			`{"Operations":[{"op":"add","path":"emails","value":[{"value":"ada@home.example","type":"home"}]}]}`, []any{"emails", 1, "value"}, "ada@home.example"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := patch(t, user(), User, c.body)
			if err != nil {
				t.Fatal(err)
			}
			if got := field(out, c.path...); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%v = %#v, want %#v\n%v", c.path, got, c.want, out)
			}
			if field(out, "id") != "member-test-1" {
				t.Error("id changed")
			}
		})
	}
}

func TestPatchDoesNotChangeItsInput(t *testing.T) {
	u := user()
	if _, err := patch(t, u, User, `{"Operations":[{"op":"replace","path":"name.givenName","value":"X"}]}`); err != nil {
		t.Fatal(err)
	}
	if field(u, "name", "givenName") != "Ada" {
		t.Error("the input resource was modified")
	}
}

func group(members ...string) map[string]any {
	list := []any{}
	for _, m := range members {
		list = append(list, map[string]any{"value": m})
	}
	return map[string]any{"id": "scim-group-test-1", "displayName": "Engineering", "members": list}
}

func memberIDs(t *testing.T, res map[string]any) []string {
	t.Helper()
	in, err := GroupFromResource(res)
	if err != nil {
		t.Fatal(err)
	}
	return in.MemberIDs
}

func TestPatchGroupMembers(t *testing.T) {
	cases := []struct {
		name, body string
		want       []string
	}{
		{"okta add", `{"Operations":[{"op":"add","path":"members","value":[{"value":"c","display":"c@acme.com"}]}]}`, []string{"a", "b", "c"}},
		{"add an existing member again", `{"Operations":[{"op":"add","path":"members","value":[{"value":"a","display":"other"}]}]}`, []string{"a", "b"}},
		{"okta remove by filter", `{"Operations":[{"op":"remove","path":"members[value eq \"a\"]"}]}`, []string{"b"}},
		{"entra remove with a value list", `{"Operations":[{"op":"Remove","path":"members","value":[{"value":"b"}]}]}`, []string{"a"}},
		{"entra add", `{"Operations":[{"op":"Add","path":"members","value":[{"value":"c"},{"value":"d"}]}]}`, []string{"a", "b", "c", "d"}},
		{"remove all", `{"Operations":[{"op":"remove","path":"members"}]}`, nil},
		{"replace all", `{"Operations":[{"op":"replace","path":"members","value":[{"value":"z"}]}]}`, []string{"z"}},
		{"rename keeps members (okta sends the id too)", `{"Operations":[{"op":"replace","value":{"id":"scim-group-test-1","displayName":"Eng"}}]}`, []string{"a", "b"}},
		{"several operations in order", `{"Operations":[{"op":"add","path":"members","value":[{"value":"c"}]},{"op":"remove","path":"members[value eq \"c\"]"},{"op":"remove","path":"members[value eq \"a\"]"}]}`, []string{"b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := patch(t, group("a", "b"), Group, c.body)
			if err != nil {
				t.Fatal(err)
			}
			if got := memberIDs(t, out); !reflect.DeepEqual(got, c.want) {
				t.Errorf("members %v, want %v", got, c.want)
			}
		})
	}
	out, _ := patch(t, group("a"), Group, `{"Operations":[{"op":"replace","value":{"id":"x","displayName":"Eng"}}]}`)
	if out["displayName"] != "Eng" || out["id"] != "scim-group-test-1" {
		t.Errorf("rename: %v", out)
	}
}

func TestPatchErrors(t *testing.T) {
	cases := []struct {
		name, body, scimType string
	}{
		{"no operations", `{"Operations":[]}`, InvalidSyntax},
		{"unknown op", `{"Operations":[{"op":"move","path":"userName","value":"x"}]}`, InvalidSyntax},
		{"remove without a path", `{"Operations":[{"op":"remove"}]}`, NoTarget},
		{"no path and no object", `{"Operations":[{"op":"replace","value":"x"}]}`, InvalidValue},
		{"bad path", `{"Operations":[{"op":"replace","path":"emails[type eq","value":"x"}]}`, InvalidPath},
		{"unknown schema", `{"Operations":[{"op":"replace","path":"urn:example:nope:attr","value":"x"}]}`, InvalidPath},
		{"filter that selects nothing and describes nothing", `{"Operations":[{"op":"replace","path":"emails[value sw \"z\"].type","value":"x"}]}`, NoTarget},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := patch(t, user(), User, c.body)
			e, ok := err.(*Error)
			if !ok || e.Status != 400 || e.ScimType != c.scimType {
				t.Fatalf("got %v, want 400 %s", err, c.scimType)
			}
		})
	}
}
