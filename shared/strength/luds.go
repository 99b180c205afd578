package strength

import (
	"unicode"
	"unicode/utf8"
)

// LUDSFeedback says which of the LUDS classes a password has and how far it falls short.
type LUDSFeedback struct {
	HasLowerCase, HasUpperCase, HasDigit, HasSymbol bool
	// MissingComplexity is how many more classes the policy asks for.
	MissingComplexity int
	// MissingCharacters is how many more characters (runes) the policy asks for.
	MissingCharacters int
}

// Valid reports whether the password meets the policy.
func (f LUDSFeedback) Valid() bool {
	return f.MissingComplexity == 0 && f.MissingCharacters == 0
}

// LUDS checks Stytch's LUDS policy: lower, upper, digit, symbol classes and a minimum length.
//
// Classes follow Unicode rather than ASCII, so that a password in another script is not all
// symbols: a cased letter counts as lower or upper by its case (é lower, É upper, a titlecase
// digraph such as ǅ upper), a decimal digit of any script as a digit, and a symbol is any rune
// that is neither a letter nor a decimal digit (punctuation, spaces, emoji, ½). A letter
// without case (CJK, Arabic, Hebrew) is a letter, so it is no symbol, yet it has no case to
// count as lower or upper: it adds length but no class.
//
// Length is counted in runes, not bytes, so that "é" is one character as a user sees it.
func LUDS(password string, minLength, minComplexity int) LUDSFeedback {
	var f LUDSFeedback
	for _, r := range password {
		switch {
		case unicode.IsLower(r):
			f.HasLowerCase = true
		case unicode.IsUpper(r) || unicode.IsTitle(r):
			f.HasUpperCase = true
		case unicode.IsDigit(r):
			f.HasDigit = true
		case !unicode.IsLetter(r):
			f.HasSymbol = true
		}
	}
	classes := 0
	for _, has := range []bool{f.HasLowerCase, f.HasUpperCase, f.HasDigit, f.HasSymbol} {
		if has {
			classes++
		}
	}
	f.MissingComplexity = max(0, minComplexity-classes)
	f.MissingCharacters = max(0, minLength-utf8.RuneCountInString(password))
	return f
}
