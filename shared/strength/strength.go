// Package strength reports password strength as Stytch's strength_check reports it: a zxcvbn
// 4.4.2 score with its warning and suggestions, or the LUDS policy's missing character classes
// and length.
//
// zxcvbn 4.4.2 is ported here: its matching (matching.go), its search for the most guessable
// sequence (scoring.go) and its feedback (strength.go), so that a client that shows Stytch's
// messages shows the same ones for the same password. The data (frequency lists, keyboard
// graphs) and the guess estimate of most patterns come from github.com/trustelem/zxcvbn
// v1.0.1, a Go port whose own matchers and search stray from 4.4.2 in ways the two files say,
// and which has no feedback.
package strength

import (
	"math"
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/trustelem/zxcvbn/match"
)

// Result is zxcvbn's verdict on a password.
type Result struct {
	// Score runs from 0 (too guessable) to 4 (very unguessable), from Guesses.
	Score int
	// Guesses is zxcvbn's estimate of the guesses an attacker needs.
	Guesses float64
	// Warning explains what makes the password weak; empty when nothing stands out.
	Warning string
	// Suggestions are zxcvbn's advice, most general first; never nil, so that it encodes as [].
	Suggestions []string
}

// The messages of zxcvbn 4.4.2's feedback.coffee, copied byte for byte: clients may compare
// them with what Stytch sends.
const (
	msgUseAFewWords           = "Use a few words, avoid common phrases"
	msgNoNeedForMixedChars    = "No need for symbols, digits, or uppercase letters"
	msgUncommonWordsAreBetter = "Add another word or two. Uncommon words are better."

	msgStraightRows          = "Straight rows of keys are easy to guess"
	msgShortKeyboardPatterns = "Short keyboard patterns are easy to guess"
	msgLongerKeyboardPattern = "Use a longer keyboard pattern with more turns"

	msgRepeatedChars      = `Repeats like "aaa" are easy to guess`
	msgRepeatedPatterns   = `Repeats like "abcabcabc" are only slightly harder to guess than "abc"`
	msgAvoidRepeatedChars = "Avoid repeated words and characters"

	msgSequences      = "Sequences like abc or 6543 are easy to guess"
	msgAvoidSequences = "Avoid sequences"

	msgRecentYears          = "Recent years are easy to guess"
	msgAvoidRecentYears     = "Avoid recent years"
	msgAvoidAssociatedYears = "Avoid years that are associated with you"

	msgDates                     = "Dates are often easy to guess"
	msgAvoidAssociatedDatesYears = "Avoid dates and years that are associated with you"

	msgTop10Password      = "This is a top-10 common password"
	msgTop100Password     = "This is a top-100 common password"
	msgVeryCommonPassword = "This is a very common password"
	msgSimilarToCommon    = "This is similar to a commonly used password"
	msgWordByItself       = "A word by itself is easy to guess"
	msgNamesByThemselves  = "Names and surnames by themselves are easy to guess"
	msgCommonNames        = "Common names and surnames are easy to guess"

	msgCapitalization   = "Capitalization doesn't help very much"
	msgAllUppercase     = "All-uppercase is almost as easy to guess as all-lowercase"
	msgReversedWords    = "Reversed words aren't much harder to guess"
	msgL33tSubstitution = "Predictable substitutions like '@' instead of 'a' don't help very much"
)

// scoring.coffee's START_UPPER and ALL_UPPER. Their ASCII classes behave the same over runes
// as over JavaScript's UTF-16 code units.
var (
	startUpper = regexp.MustCompile(`^[A-Z][^A-Z]+$`)
	allUpper   = regexp.MustCompile(`^[^a-z]+$`)
)

// Zxcvbn scores password with zxcvbn 4.4.2 (userInputs are extra dictionary words such as the
// email's local part and domain) and returns feedback exactly as zxcvbn 4.4.2's
// feedback.coffee would.
func Zxcvbn(password string, userInputs ...string) Result {
	// A JavaScript zxcvbn never sees bytes that are not UTF-8: decoding them into a string
	// turns them into U+FFFD, and so does Go's JSON decoder. Score what it would have seen.
	password = strings.ToValidUTF8(password, "\uFFFD")
	r := newMatcher(userInputs).mostGuessable(password)
	score := guessesToScore(r.guesses)
	warning, suggestions := feedback(score, r.sequence)
	return Result{Score: score, Guesses: r.guesses, Warning: warning, Suggestions: suggestions}
}

// feedback is get_feedback.
func feedback(score int, sequence []*match.Match) (warning string, suggestions []string) {
	// Only the empty password has no match at all: bruteforce covers anything else.
	if len(sequence) == 0 {
		return "", []string{msgUseAFewWords, msgNoNeedForMixedChars}
	}
	if score > 2 {
		return "", []string{}
	}

	// The first of the longest tokens wins, as the strict > in the original keeps it.
	longest := sequence[0]
	for _, m := range sequence[1:] {
		if jsLength(m.Token) > jsLength(longest.Token) {
			longest = m
		}
	}
	warning, suggestions = matchFeedback(longest, len(sequence) == 1)
	return warning, append([]string{msgUncommonWordsAreBetter}, suggestions...)
}

// matchFeedback is get_match_feedback. A pattern the original has no case for (bruteforce, a
// regex other than recent_year) gives no warning and no suggestion of its own.
func matchFeedback(m *match.Match, isSoleMatch bool) (warning string, suggestions []string) {
	switch m.Pattern {
	case "dictionary":
		return dictionaryMatchFeedback(m, isSoleMatch)
	case "spatial":
		if m.Turns == 1 {
			return msgStraightRows, []string{msgLongerKeyboardPattern}
		}
		return msgShortKeyboardPatterns, []string{msgLongerKeyboardPattern}
	case "repeat":
		if jsLength(m.BaseToken) == 1 {
			return msgRepeatedChars, []string{msgAvoidRepeatedChars}
		}
		return msgRepeatedPatterns, []string{msgAvoidRepeatedChars}
	case "sequence":
		return msgSequences, []string{msgAvoidSequences}
	case "regex":
		if m.RegexName == "recent_year" {
			return msgRecentYears, []string{msgAvoidRecentYears, msgAvoidAssociatedYears}
		}
	case "date":
		return msgDates, []string{msgAvoidAssociatedDatesYears}
	}
	return "", nil
}

// dictionaryMatchFeedback is get_dictionary_match_feedback. Where the original leaves the
// warning undefined (a common password that is l33t, reversed or part of a longer sequence and
// too guessable to be merely "similar"; an English word among others), get_feedback turns it
// into "", as the zero value does here.
func dictionaryMatchFeedback(m *match.Match, isSoleMatch bool) (warning string, suggestions []string) {
	switch m.DictionaryName {
	case "passwords":
		switch {
		case isSoleMatch && !m.L33t && !m.Reversed:
			switch {
			case m.Rank <= 10:
				warning = msgTop10Password
			case m.Rank <= 100:
				warning = msgTop100Password
			default:
				warning = msgVeryCommonPassword
			}
		case guessesLog10(m) <= 4:
			warning = msgSimilarToCommon
		}
	case "english_wikipedia":
		if isSoleMatch {
			warning = msgWordByItself
		}
	case "surnames", "male_names", "female_names":
		if isSoleMatch {
			warning = msgNamesByThemselves
		} else {
			warning = msgCommonNames
		}
	}

	word := m.Token
	switch {
	case startUpper.MatchString(word):
		suggestions = append(suggestions, msgCapitalization)
	case allUpper.MatchString(word) && strings.ToLower(word) != word:
		suggestions = append(suggestions, msgAllUppercase)
	}
	if m.Reversed && jsLength(m.Token) >= 4 {
		suggestions = append(suggestions, msgReversedWords)
	}
	if m.L33t {
		suggestions = append(suggestions, msgL33tSubstitution)
	}
	return warning, suggestions
}

// guessesLog10 derives the match's guesses_log10, which trustelem's match type has no field
// for, from the guesses the search estimated (and kept) for every match of the sequence. The
// division is scoring.coffee's own log10, which rounds unlike math.Log10 (1000 gives
// 2.9999999999999996), so that no guess count lands on the other side of "<= 4".
func guessesLog10(m *match.Match) float64 {
	return math.Log(m.Guesses) / math.Log(10)
}

// jsLength is JavaScript's String length, in UTF-16 code units, which is what 4.4.2 compares
// wherever it takes a token's length. Go's len counts bytes, which would make "é" as long as
// "ab"; a character beyond the BMP (an emoji) is two units.
func jsLength(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r) // s is valid UTF-8: Zxcvbn made it so
	}
	return n
}
