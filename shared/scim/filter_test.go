package scim

import (
	"reflect"
	"strings"
	"testing"
)

var ada = map[string]any{
	"id":          "member-test-1",
	"userName":    "Ada@Acme.com",
	"externalId":  "00uAbC",
	"active":      true,
	"displayName": "Ada Lovelace",
	"name":        map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
	"emails": []any{
		map[string]any{"value": "ada@acme.com", "type": "work", "primary": true},
		map[string]any{"value": "ada@home.example", "type": "home"},
	},
	EnterpriseSchema: map[string]any{"department": "Engines"},
	"meta":           map[string]any{"lastModified": "2024-05-01T10:00:00.000Z"},
}

func TestFilterMatches(t *testing.T) {
	cases := []struct {
		filter string
		want   bool
	}{
		{`userName eq "ada@acme.com"`, true}, // userName is not case-exact
		{`USERNAME EQ "ADA@ACME.COM"`, true}, // nor are attribute names and operators
		{`userName eq "grace@acme.com"`, false},
		{`externalId eq "00uAbC"`, true},
		{`externalId eq "00uabc"`, false}, // externalId is case-exact
		{`id eq "member-test-1"`, true},
		{`emails[type eq "work"].value eq "ada@acme.com"`, true}, // Entra ID's form
		{`emails[type eq "work"].value eq "ada@home.example"`, false},
		{`emails[type eq "work" and value eq "ada@acme.com"]`, true},
		{`emails.value eq "ada@home.example"`, true},
		{`emails eq "ada@home.example"`, true},
		{`emails[primary eq true].value eq "ada@acme.com"`, true},
		{`name.givenName sw "A" and name.familyName ew "lace"`, true},
		{`displayName co "love"`, true},
		{`active eq true`, true},
		{`active eq false`, false},
		{`not (active eq false)`, true},
		{`title pr`, false},
		{`name pr`, true},
		{`userName eq "x" or externalId eq "00uAbC"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "engines"`, true},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ada@acme.com"`, true},
		{`meta.lastModified gt "2024-01-01T00:00:00Z"`, true},
		{`meta.lastModified lt "2024-01-01T00:00:00Z"`, false},
		{`userName eq "ada@acme.com" and emails[type eq "home"].value eq "ada@home.example"`, true},
	}
	for _, c := range cases {
		f, err := ParseFilter(c.filter)
		if err != nil {
			t.Errorf("%s: %v", c.filter, err)
			continue
		}
		if got := Matches(f, ada); got != c.want {
			t.Errorf("%s: got %v, want %v", c.filter, got, c.want)
		}
	}
}

func TestFilterEscapes(t *testing.T) {
	f, err := ParseFilter(`displayName eq "Ada \"the Countess\" Lovelace"`)
	if err != nil {
		t.Fatal(err)
	}
	if !Matches(f, map[string]any{"displayName": `Ada "the Countess" Lovelace`}) {
		t.Error("escaped quotes in a filter value")
	}
}

func TestBadFilters(t *testing.T) {
	long := `userName eq "` + strings.Repeat("x", MaxFilterLength) + `"`
	for _, s := range []string{`userName eq`, `userName zz "x"`, `(userName eq "x"`, `emails[type eq "work"`, `emails[type eq "work"].value`, ``, long} {
		_, err := ParseFilter(s)
		e, ok := err.(*Error)
		if !ok || e.Status != 400 || e.ScimType != InvalidFilter {
			t.Errorf("%q: got %v, want 400 invalidFilter", s, err)
		}
	}
}

func TestLiftSubAttributes(t *testing.T) {
	cases := map[string]string{
		`emails[type eq "work"].value eq "a@b.c"`:                         `emails[type eq "work" and value eq "a@b.c"]`,
		`emails[type eq "a]b"].value eq "x" and userName eq "y"`:          `emails[type eq "a]b" and value eq "x"] and userName eq "y"`,
		`emails[type eq "work"].value pr`:                                 `emails[type eq "work" and value pr]`,
		`(emails[type eq "work"].value eq "a\"b")`:                        `(emails[type eq "work" and value eq "a\"b"])`,
		`addresses[type eq "work"].postalCode eq 12345 or active eq true`: `addresses[type eq "work" and postalCode eq 12345] or active eq true`,
	}
	for in, want := range cases {
		got, ok := liftSubAttributes(in)
		if !ok || got != want {
			t.Errorf("%s:\n got %s (%v)\nwant %s", in, got, ok, want)
		}
	}
	if _, ok := liftSubAttributes(`emails[type eq "work"].value zz "x"`); ok {
		t.Error("an unknown operator was lifted")
	}
}

func TestLookups(t *testing.T) {
	userKeys := []string{"id", "userName", "externalId", "emails"}
	cases := []struct {
		filter string
		want   []Lookup
		ok     bool
	}{
		{`userName eq "ada@acme.com"`, []Lookup{{"userName", "ada@acme.com"}}, true},
		{`UserName Eq "ada@acme.com"`, []Lookup{{"userName", "ada@acme.com"}}, true},
		{`externalId eq "00u1"`, []Lookup{{"externalId", "00u1"}}, true},
		{`emails[type eq "work"].value eq "ada@acme.com"`, []Lookup{{"emails", "ada@acme.com"}}, true},
		{`emails.value eq "ada@acme.com"`, []Lookup{{"emails", "ada@acme.com"}}, true},
		{`userName eq "a" and active eq true`, []Lookup{{"userName", "a"}}, true},
		{`active eq true and externalId eq "x"`, []Lookup{{"externalId", "x"}}, true},
		{`userName eq "a" or userName eq "b"`, []Lookup{{"userName", "a"}, {"userName", "b"}}, true},
		{`userName eq "a" or active eq true`, nil, false},
		{`userName sw "a"`, nil, false},
		{`name.givenName eq "Ada"`, nil, false},
		{`displayName eq "Ada"`, nil, false},
		{`not (userName eq "a")`, nil, false},
	}
	for _, c := range cases {
		f, err := ParseFilter(c.filter)
		if err != nil {
			t.Fatalf("%s: %v", c.filter, err)
		}
		got, ok := Lookups(f, User, userKeys)
		if ok != c.ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v %v, want %v %v", c.filter, got, ok, c.want, c.ok)
		}
	}
	f, _ := ParseFilter(`displayName eq "Engineering"`)
	if got, ok := Lookups(f, Group, []string{"id", "displayName"}); !ok || !reflect.DeepEqual(got, []Lookup{{"displayName", "Engineering"}}) {
		t.Errorf("group displayName lookup: %v %v", got, ok)
	}
}

func TestMentions(t *testing.T) {
	for f, want := range map[string]bool{
		`displayName eq "x"`:                         false,
		`members[value eq "m"]`:                      true,
		`displayName eq "x" and not (Members pr)`:    true,
		`emails[type eq "work"].value eq "a@b.c"`:    false,
		`members.value eq "m" or displayName eq "x"`: true,
	} {
		e, err := ParseFilter(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := Mentions(e, "members"); got != want {
			t.Errorf("%s: %v", f, got)
		}
	}
}
