package authn

import (
	"regexp"
	"testing"
)

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

func TestWellFormedCode(t *testing.T) {
	for code, want := range map[string]bool{"123456": true, "000000": true, "12345": false, "1234567": false, "12 345": false, "12345a": false, "١٢٣٤٥٦": false, "": false} {
		if WellFormedCode(code) != want {
			t.Errorf("WellFormedCode(%q) != %v", code, want)
		}
	}
}

func TestNewCodeMatchesOnlyItself(t *testing.T) {
	seen, salts := map[string]bool{}, map[string]bool{}
	for range 200 {
		code, salt, hash := NewCode()
		if !sixDigits.MatchString(code) || !WellFormedCode(code) {
			t.Fatalf("code %q is not six digits", code)
		}
		if salts[salt] {
			t.Fatal("two codes share a salt")
		}
		salts[salt] = true
		c := Code{Salt: salt, CodeHash: hash}
		if !c.Matches(code) || c.Matches(code+"0") || c.Matches("") {
			t.Fatalf("Matches is wrong for %q", code)
		}
		if seen[hash] {
			t.Fatal("two codes share a hash: the salt is not random")
		}
		seen[hash] = true
	}
	// Equal digits under different salts hash differently.
	a, b := Code{Salt: "s1", CodeHash: hashCode("s1", "123456")}, Code{Salt: "s2", CodeHash: hashCode("s2", "123456")}
	if a.CodeHash == b.CodeHash || !a.Matches("123456") || !b.Matches("123456") || a.Matches("123457") {
		t.Fatal("salted hashes")
	}
}
