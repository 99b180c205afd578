package stytchsource

import (
	"bytes"
	"testing"
)

func TestWriteLine(t *testing.T) {
	var buf bytes.Buffer
	if err := writeLine(&buf, "member", "", "member", []byte("{\n  \"member_id\": \"m\",\n  \"name\": \"A \\u003cb\\u003e\"\n}")); err != nil {
		t.Fatal(err)
	}
	if err := writeLine(&buf, "scim_connection", "org-\"1", "scim_connection", []byte(`{"a":[1, 2]}`)); err != nil {
		t.Fatal(err)
	}
	want := `{"type":"member","member":{"member_id":"m","name":"A \u003cb\u003e"}}` + "\n" +
		`{"type":"scim_connection","organization_id":"org-\"1","scim_connection":{"a":[1,2]}}` + "\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	for _, bad := range []string{``, `null`, `[1]`, `{"a":`, `"x"`} {
		if err := writeLine(&buf, "member", "", "member", []byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
