package latchkey

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

func deep(n int) map[string]any {
	m := map[string]any{"a": 1.0}
	for range n - 1 {
		m = map[string]any{"a": m}
	}
	return m
}

func deepList(n int) map[string]any {
	var v any = 1.0
	for range n - 1 {
		v = []any{v}
	}
	return map[string]any{"a": v}
}

func TestValidateDocument(t *testing.T) {
	cases := []struct {
		name    string
		doc     map[string]any
		errType string // "" for accepted
	}{
		{"nil", nil, ""},
		{"empty", map[string]any{}, ""},
		{"scalars", map[string]any{"s": "x", "b": true, "z": nil, "n": 1.5, "zero": 0.0, "neg": -3.0}, ""},
		{"max depth", deep(MaxDocumentDepth), ""},
		{"one too deep", deep(MaxDocumentDepth + 1), "invalid_metadata"},
		{"40 deep", deep(40), "invalid_metadata"},
		{"lists count as levels", deepList(MaxDocumentDepth), ""},
		{"lists one too deep", deepList(MaxDocumentDepth + 1), "invalid_metadata"},
		{"empty key", map[string]any{"": 1.0}, "invalid_metadata"},
		{"nested empty key", map[string]any{"a": []any{map[string]any{"": 1.0}}}, "invalid_metadata"},
		{"longest key", map[string]any{strings.Repeat("k", MaxDocumentKeyBytes): 1.0}, ""},
		{"key too long", map[string]any{strings.Repeat("k", MaxDocumentKeyBytes+1): 1.0}, "invalid_metadata"},
		{"1e200", map[string]any{"n": 1e200}, "invalid_metadata"},
		{"-1e200", map[string]any{"n": -1e200}, "invalid_metadata"},
		{"1e-200", map[string]any{"n": 1e-200}, "invalid_metadata"},
		{"nested 1e-131", map[string]any{"a": []any{1e-131}}, "invalid_metadata"},
		{"largest", map[string]any{"n": 9.999999999999998e125}, ""},
		{"1e126", map[string]any{"n": 1e126}, "invalid_metadata"},
		{"smallest", map[string]any{"n": -1e-130}, ""},
		{"NaN", map[string]any{"n": math.NaN()}, "invalid_metadata"},
		{"Inf", map[string]any{"n": math.Inf(-1)}, "invalid_metadata"},
		{"bad UTF-8", map[string]any{"s": "\xff"}, "invalid_metadata"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ValidateDocument("trusted_metadata", c.doc)
			if c.errType == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if e := AsError(err); err == nil || e.Status != 400 || e.Type != c.errType || !strings.HasPrefix(e.Message, "trusted_metadata: ") {
				t.Fatalf("want 400 %s naming the field, got %v", c.errType, err)
			}
		})
	}
	// Every metadata field goes through ValidateMetadata, which checks the structure first.
	if e := AsError(ValidateMetadata("untrusted_metadata", map[string]any{"": 1.0})); e.Type != "invalid_metadata" {
		t.Fatalf("ValidateMetadata: %v", e)
	}
}

func TestKeyTooLong(t *testing.T) {
	for _, c := range []struct {
		s    string
		want bool
	}{{"", false}, {"organization-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00", false},
		{strings.Repeat("a", MaxKeyBytes), false}, {strings.Repeat("a", MaxKeyBytes+1), true}, {strings.Repeat("é", 300), true}} {
		if got := KeyTooLong(c.s); got != c.want {
			t.Errorf("KeyTooLong(%d bytes) = %v", len(c.s), got)
		}
	}
}

func TestValidName(t *testing.T) {
	for _, c := range []struct {
		name, s string
		ok      bool
	}{
		{"plain", "Ada Lovelace", true},
		{"accents", "José Müller", true},
		{"CJK", "山田太郎", true},
		{"Persian with ZWNJ", "می\u200cخواهم", true},
		{"emoji ZWJ sequence", "Team 👩\u200d💻", true},
		{"empty", "", true},
		{"NUL", "Ac\x00me", false},
		{"CR LF", "Acme\r\nBcc: x@evil.test", false},
		{"tab", "Ac\tme", false},
		{"DEL", "Ac\x7fme", false},
		{"C1 control", "Ac\u0085me", false},
		{"RTL override", "Ac\u202eme", false},
		{"LRM", "Acme\u200e", false},
		{"isolate", "\u2067Acme", false},
		{"zero-width space", "Ac\u200bme", false},
		{"word joiner", "Ac\u2060me", false},
		{"BOM", "\ufeffAcme", false},
		{"soft hyphen", "Ac\u00adme", false},
		{"line separator", "Acme\u2028", false},
		{"bad UTF-8", "Ac\xffme", false},
	} {
		if got := ValidName(c.s); got != c.ok {
			t.Errorf("%s: ValidName(%q) = %v, want %v", c.name, c.s, got, c.ok)
		}
	}
}

func TestNormalizeEmailUnicode(t *testing.T) {
	precomposed, decomposed := "jos\u00e9@acme.com", "jose\u0301@acme.com"
	a, errA := NormalizeEmail(precomposed)
	b, errB := NormalizeEmail(strings.ToUpper(decomposed[:4]) + decomposed[4:])
	if errA != nil || errB != nil || a != b || a != precomposed {
		t.Fatalf("NFC: %q %v, %q %v", a, errA, b, errB)
	}
	for name, s := range map[string]string{
		"zero-width space": "pat\u200b@acme.com", "ZWNJ": "pat\u200c@acme.com", "ZWJ": "pat\u200d@acme.com",
		"word joiner": "pat\u2060@acme.com", "soft hyphen": "pa\u00adt@acme.com", "LRM": "pat\u200e@acme.com",
		"RLM": "pat\u200f@acme.com", "RTL override": "pat\u202egro@acme.com", "LTR embedding": "\u202apat@acme.com",
		"isolate": "pat\u2069@acme.com", "BOM": "\ufeffpat@acme.com", "NBSP": "pat\u00a0x@acme.com",
		"ideographic space": "pat\u3000@acme.com", "line separator": "pat\u2028@acme.com", "NUL": "pat\x00@acme.com",
		"bad UTF-8": "pat\xff@acme.com", "tag character": "pat\U000E0041@acme.com",
	} {
		if _, err := NormalizeEmail(s); AsError(err).Type != "invalid_email" {
			t.Errorf("%s: %q accepted (%v)", name, s, err)
		}
	}
}

func TestHeaderSafe(t *testing.T) {
	for in, want := range map[string]string{
		"Acme":                     "Acme",
		"Acme\r\nBcc: x@evil.test": "Acme  Bcc: x@evil.test",
		"Ac\u202eme":               "Ac me",
		"A\u2028B":                 "A B",
		"Persian می\u200cخواهم":    "Persian می\u200cخواهم",
	} {
		if got := HeaderSafe(in); got != want {
			t.Errorf("HeaderSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// checkDocument is an independent statement of what ValidateDocument accepts.
func checkDocument(t *testing.T, v any, depth int) {
	switch x := v.(type) {
	case map[string]any:
		if depth > MaxDocumentDepth {
			t.Fatalf("accepted a document %d levels deep", depth)
		}
		for k, e := range x {
			if k == "" || len(k) > MaxDocumentKeyBytes {
				t.Fatalf("accepted key %q", k)
			}
			checkDocument(t, e, depth+1)
		}
	case []any:
		if depth > MaxDocumentDepth {
			t.Fatalf("accepted a document %d levels deep", depth)
		}
		for _, e := range x {
			checkDocument(t, e, depth+1)
		}
	case float64:
		if a := math.Abs(x); a != 0 && (a < 1e-130 || a >= 1e126) {
			t.Fatalf("accepted the number %v, which DynamoDB refuses", x)
		}
	}
}

// FuzzValidateDocument: any JSON object either passes, and then fits DynamoDB (depth, keys,
// numbers), or is refused with a 4xx.
func FuzzValidateDocument(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":{"b":[1,2,{"c":null}]}}`, `{"":1}`, `{"n":1e200}`, `{"n":-1e-200}`,
		`{"a":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}`, `{"n":9.999999999999998e125}`, `{"n":0}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var doc map[string]any
		if json.Unmarshal(b, &doc) != nil {
			return
		}
		err := ValidateDocument("trusted_metadata", doc)
		requireClientError(t, err)
		if err == nil {
			checkDocument(t, doc, 1)
		}
	})
}

// FuzzNames: a name ValidName accepts has no control, separator or bidi character, and
// HeaderSafe always yields one line that ValidName accepts, leaving valid names alone.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"Acme", "Ac\x00me", "A\r\nB", "Ac\u202eme", "می\u200cخواهم", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidName(s) {
			for _, r := range s {
				if unicode.Is(unicode.Cc, r) || unicode.In(r, unicode.Zl, unicode.Zp) || invisible(r) && r != '\u200C' && r != '\u200D' {
					t.Fatalf("ValidName accepted %q with %U", s, r)
				}
			}
			if HeaderSafe(s) != s {
				t.Fatalf("HeaderSafe changed a valid name %q", s)
			}
		}
		h := HeaderSafe(s)
		if strings.ContainsAny(h, "\r\n") || !ValidName(h) {
			t.Fatalf("HeaderSafe(%q) = %q is not one clean line", s, h)
		}
	})
}

// FuzzEmailCharacters: an address NormalizeEmail accepts is NFC, stable, and holds no
// control, format or space character.
func FuzzEmailCharacters(f *testing.F) {
	for _, s := range []string{"jose\u0301@acme.com", "pat\u200b@acme.com", "Ö@x.io", "a\u00a0b@c.de", "\ufeffa@b.co"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := NormalizeEmail(s)
		requireClientError(t, err)
		if err != nil {
			return
		}
		if !norm.NFC.IsNormalString(e) {
			t.Fatalf("%q normalized to %q, which is not NFC", s, e)
		}
		for _, r := range e {
			if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zs, unicode.Zl, unicode.Zp) {
				t.Fatalf("%q normalized to %q, which holds %U", s, e, r)
			}
		}
		if again, err := NormalizeEmail(e); err != nil || again != e {
			t.Fatalf("not stable: %q then %q (%v)", e, again, err)
		}
	})
}
