package scim

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
)

func resource(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestUserFromResource(t *testing.T) {
	cases := []struct {
		name, body               string
		email, userName, display string
		active                   *bool
	}{
		{"okta", `{"userName":"ada@acme.com","name":{"givenName":"Ada","familyName":"Lovelace"},"emails":[{"primary":true,"value":"ada@acme.com","type":"work"}],"displayName":"Ada Lovelace","externalId":"00u1","active":true,"password":"hunter2"}`,
			"ada@acme.com", "ada@acme.com", "Ada Lovelace", ptr(true)},
		{"entra: the work email, not the UPN", `{"userName":"ada@acme.onmicrosoft.com","emails":[{"type":"work","value":"ada@acme.com"}],"name":{"formatted":"Ada L."},"active":"False"}`,
			"ada@acme.com", "ada@acme.onmicrosoft.com", "Ada L.", ptr(false)},
		{"primary beats work", `{"userName":"u","emails":[{"type":"work","value":"w@acme.com"},{"type":"home","value":"p@acme.com","primary":"true"}]}`,
			"p@acme.com", "u", "", nil},
		{"no emails: the userName", `{"userName":"ada@acme.com","displayName":"Ada"}`, "ada@acme.com", "ada@acme.com", "Ada", nil},
		{"attribute names in any case", `{"USERNAME":"ada@acme.com","Name":{"GivenName":"Ada"},"Active":true}`, "ada@acme.com", "ada@acme.com", "Ada", ptr(true)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, err := UserFromResource(resource(t, c.body))
			if err != nil {
				t.Fatal(err)
			}
			if u.Email != c.email || u.UserName != c.userName || u.Name != c.display || !reflect.DeepEqual(u.Active, c.active) {
				t.Errorf("got %+v", u)
			}
			if _, ok := u.Attributes["password"]; ok {
				t.Error("the password was kept")
			}
			if u.Attributes["user_name"] != c.userName {
				t.Errorf("scim_attributes %v", u.Attributes)
			}
		})
	}
	for _, body := range []string{`{}`, `{"userName":""}`, `{"userName":5}`, `{"userName":"a","emails":"x"}`, `{"userName":"a","active":"maybe"}`, `{"userName":"a","name":"Ada"}`} {
		if _, err := UserFromResource(resource(t, body)); err == nil || err.(*Error).ScimType != InvalidValue {
			t.Errorf("%s: got %v, want invalidValue", body, err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestStytchAttributesRoundTrip(t *testing.T) {
	in := resource(t, `{
		"userName": "ada@acme.com",
		"name": {"givenName": "Ada", "familyName": "Lovelace", "honorificPrefix": "Countess"},
		"emails": [{"value": "ada@acme.com", "type": "work", "primary": true}],
		"phoneNumbers": [{"value": "+1 555", "type": "mobile"}],
		"preferredLanguage": "en",
		"profileUrl": "https://acme.com/ada",
		"x509Certificates": [{"value": "MII..."}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "7", "manager": {"value": "m1", "$ref": "https://x/Users/m1"}},
		"urn:example:custom:1.0:User": {"shoeSize": "9"}
	}`)
	st := ToStytch(in)
	for path, want := range map[string]any{
		"user_name": "ada@acme.com", "preferred_language": "en", "profile_url": "https://acme.com/ada",
	} {
		if st[path] != want {
			t.Errorf("%s = %v", path, st[path])
		}
	}
	if field(st, "name", "honorific_prefix") != "Countess" || field(st, "enterprise_extension", "employee_number") != "7" ||
		field(st, "enterprise_extension", "manager", "ref") != "https://x/Users/m1" || field(st, "x509certificates", 0, "value") != "MII..." ||
		field(st, "phone_numbers", 0, "value") != "+1 555" {
		t.Errorf("Stytch shape: %v", st)
	}
	if back := FromStytch(st); !reflect.DeepEqual(back, in) {
		t.Errorf("round trip:\n got %v\nwant %v", back, in)
	}
}

func TestUserResource(t *testing.T) {
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	u, err := UserFromResource(resource(t, `{"userName":"ada@acme.com","externalId":"00u1","name":{"givenName":"Ada"},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Engines"}}`))
	if err != nil {
		t.Fatal(err)
	}
	m := latchkey.Member{MemberID: "member-test-1", EmailAddress: "ada@acme.com", Status: latchkey.StatusDeleted, CreatedAt: now, UpdatedAt: now,
		Version: 3, SCIMGroupIDs: []string{"g2", "g1"}, SCIMRegistration: &latchkey.SCIMRegistration{SCIMAttributes: u.Attributes}}
	res := UserResource(m, "https://api.example/scim/v2/c")
	for path, want := range map[string]any{
		"id": "member-test-1", "userName": "ada@acme.com", "externalId": "00u1", "active": false,
	} {
		if res[path] != want {
			t.Errorf("%s = %v, want %v", path, res[path], want)
		}
	}
	if field(res, "meta", "location") != "https://api.example/scim/v2/c/Users/member-test-1" || field(res, "meta", "version") != `W/"3"` ||
		field(res, "meta", "created") != "2024-05-01T10:00:00.000Z" || field(res, "groups", 0, "value") != "g1" ||
		field(res, EnterpriseSchema, "department") != "Engines" || !reflect.DeepEqual(res["schemas"], []any{UserSchema, EnterpriseSchema}) {
		t.Errorf("resource %v", res)
	}
	// A member SCIM never provisioned.
	plain := UserResource(latchkey.Member{MemberID: "member-test-2", EmailAddress: "b@acme.com", Name: "Bea", Status: latchkey.StatusActive}, "e")
	if plain["userName"] != "b@acme.com" || plain["active"] != true || field(plain, "emails", 0, "value") != "b@acme.com" || field(plain, "name", "formatted") != "Bea" {
		t.Errorf("plain member %v", plain)
	}
}

func TestGroupFromResource(t *testing.T) {
	in, err := GroupFromResource(resource(t, `{"DisplayName":"Eng","externalId":"e1","Members":[{"Value":"m1","display":"Ada"},{"value":"m2"}]}`))
	if err != nil || in.DisplayName != "Eng" || in.ExternalID != "e1" || !reflect.DeepEqual(in.MemberIDs, []string{"m1", "m2"}) {
		t.Fatalf("%+v %v", in, err)
	}
	for _, body := range []string{`{"displayName":"x","members":"m1"}`, `{"displayName":"x","members":["m1"]}`, `{"displayName":"x","members":[{"display":"no value"}]}`, `{"displayName":5}`} {
		if _, err := GroupFromResource(resource(t, body)); err == nil {
			t.Errorf("%s accepted", body)
		}
	}
}
