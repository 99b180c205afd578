package strength

import (
	"testing"
	"unicode/utf8"
)

// FuzzZxcvbn: no password panics the port, scores stay 0-4, and a strong score has no warning,
// as zxcvbn's feedback promises.
func FuzzZxcvbn(f *testing.F) {
	for _, s := range []string{"password", "correct horse battery staple", "13/05/1990", "aaaaaa", "qwerty", "d@n13|$", "é😀"} {
		f.Add(s, "ada@acme.com")
	}
	f.Fuzz(func(t *testing.T, pw, input string) {
		if utf8.RuneCountInString(pw) > 64 {
			return // zxcvbn is slow on long inputs; the API bounds passwords anyway
		}
		r := Zxcvbn(pw, input)
		if r.Score < 0 || r.Score > 4 || r.Guesses < 1 {
			t.Fatalf("%q: score %d, guesses %v", pw, r.Score, r.Guesses)
		}
		if r.Score > 2 && (r.Warning != "" || len(r.Suggestions) != 0) {
			t.Fatalf("%q: score %d with feedback %q %v", pw, r.Score, r.Warning, r.Suggestions)
		}
		f := LUDS(pw, 8, 3)
		if f.MissingCharacters < 0 || f.MissingComplexity < 0 || f.Valid() != (f.MissingCharacters == 0 && f.MissingComplexity == 0) {
			t.Fatalf("%q: LUDS %+v", pw, f)
		}
	})
}
