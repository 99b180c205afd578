package strength

import (
	"math"
	"slices"

	"github.com/trustelem/zxcvbn/match"
	"github.com/trustelem/zxcvbn/scoring"
)

// This file is the search of zxcvbn 4.4.2's src/scoring.coffee, ported. trustelem/zxcvbn has
// one, but it walks bytes: on non-ASCII text it joins bruteforce stretches to sequences that
// end inside a rune, and it sizes the minimum guesses of a token by its bytes ("é" costs as
// much as "ab"). Of two sequences with equal guesses it also keeps the longer, where 4.4.2
// keeps the shorter. Its estimates per pattern are sound and used, but for bruteforce and
// sequence, which take the token's length, here in UTF-16 code units as in JavaScript.

const (
	bruteforceCardinality           = 10
	minGuessesBeforeGrowingSequence = 10000
	minSubmatchGuessesSingleChar    = 10
	minSubmatchGuessesMultiChar     = 50
)

type analysis struct {
	guesses  float64
	sequence []*match.Match
}

// step is one entry of the search: the best sequence of some length ending at some index.
type step struct {
	m  *match.Match // its last match; nil when no sequence of that length is kept
	pi float64      // the product of its matches' guesses
	g  float64      // the metric minimised: l! * pi + D^(l-1)
}

// mostGuessable is most_guessable_match_sequence: of the non-overlapping sequences of
// matches and bruteforce stretches covering the password, the one with the fewest guesses,
// g = l! * Prod(guesses) + D^(l-1), where l! counts the orders of l patterns and D^(l-1)
// charges an attacker for trying shorter sequences first.
func (mt matcher) mostGuessable(password string) analysis {
	if password == "" {
		return analysis{guesses: 1}
	}
	at := runeOffsets(password)
	matches := mt.omnimatch(password)

	// Matches by the byte they end on, each list in order of i; the sort is stable, so matches
	// with the same i keep omnimatch's order.
	byEnd := make(map[int][]*match.Match)
	for _, m := range matches {
		byEnd[m.J] = append(byEnd[m.J], m)
	}
	for _, ms := range byEnd {
		match.Sort(ms)
	}

	// optimal[k][l] is the best length-l sequence covering the password up to byte k. A length
	// gets an entry only if no sequence as short or shorter, kept before, does as well.
	optimal := make(map[int][]step)
	update := func(m *match.Match, l int) {
		k := m.J
		pi := estimateGuesses(m, password)
		if l > 1 {
			pi *= optimal[m.I-1][l-1].pi
		}
		g := factorial(l)*pi + math.Pow(minGuessesBeforeGrowingSequence, float64(l-1))
		for competingL, competing := range optimal[k] {
			if competingL <= l && competing.m != nil && competing.g <= g {
				return
			}
		}
		for len(optimal[k]) <= l {
			optimal[k] = append(optimal[k], step{})
		}
		optimal[k][l] = step{m: m, pi: pi, g: g}
	}
	// extend tries m after each kept sequence that ends just before it, shortest first.
	extend := func(m *match.Match, skipBruteforce bool) {
		for l, prev := range optimal[m.I-1] {
			if prev.m == nil {
				continue
			}
			// Two bruteforce stretches in a row are never better than one spanning both.
			if skipBruteforce && prev.m.Pattern == "bruteforce" {
				continue
			}
			update(m, l+1)
		}
	}

	for b := 1; b < len(at); b++ {
		k := at[b] - 1
		for _, m := range byEnd[k] {
			if m.I > 0 {
				extend(m, false)
			} else {
				update(m, 1)
			}
		}
		// Bruteforce from the start, or from any rune after a kept sequence.
		update(bruteforceMatch(password, 0, k), 1)
		for a := 1; a < b; a++ {
			extend(bruteforceMatch(password, at[a], k), true)
		}
	}

	// Unwind from the end: the lowest g, the shortest sequence on a tie.
	end := len(password) - 1
	best, guesses := 0, math.Inf(1)
	for l, s := range optimal[end] {
		if s.m != nil && s.g < guesses {
			best, guesses = l, s.g
		}
	}
	var sequence []*match.Match
	for k, l := end, best; k >= 0; l-- {
		m := optimal[k][l].m
		sequence = append(sequence, m)
		k = m.I - 1
	}
	slices.Reverse(sequence)
	return analysis{guesses: guesses, sequence: sequence}
}

func bruteforceMatch(password string, i, j int) *match.Match {
	return &match.Match{Pattern: "bruteforce", Token: password[i : j+1], I: i, J: j}
}

func factorial(n int) float64 {
	f := 1.0
	for i := 2; i <= n; i++ {
		f *= float64(i)
	}
	return f
}

// estimateGuesses is estimate_guesses. A match inside a longer password costs at least 10
// guesses (one character) or 50, so that the search does not splinter the password into
// cheap pieces. The estimate is kept on the match, as in 4.4.2, for the search asks again.
func estimateGuesses(m *match.Match, password string) float64 {
	if m.Guesses > 0 || math.IsNaN(m.Guesses) {
		return m.Guesses
	}
	minGuesses := 1.0
	if n := jsLength(m.Token); n < jsLength(password) {
		minGuesses = minSubmatchGuessesMultiChar
		if n == 1 {
			minGuesses = minSubmatchGuessesSingleChar
		}
	}
	var guesses float64
	switch m.Pattern {
	case "bruteforce":
		guesses = bruteforceGuesses(m)
	case "dictionary":
		guesses = scoring.DictionaryGuesses(m)
	case "spatial":
		guesses = scoring.SpatialGuesses(m)
	case "repeat":
		guesses = scoring.RepeatGuesses(m)
	case "sequence":
		guesses = sequenceGuesses(m)
	case "regex":
		guesses = scoring.RegexGuesses(m)
	case "date":
		guesses = scoring.DateGuesses(m)
	}
	m.Guesses = math.Max(guesses, minGuesses)
	return m.Guesses
}

// bruteforceGuesses is bruteforce_guesses: 10 per character, and one more than the least a
// match of the same length costs, so that any match beats bruteforce over the same stretch.
func bruteforceGuesses(m *match.Match) float64 {
	n := jsLength(m.Token)
	guesses := math.Pow(bruteforceCardinality, float64(n))
	if math.IsInf(guesses, 1) {
		guesses = math.MaxFloat64 // as 4.4.2 caps Infinity, from about 309 characters on
	}
	if n == 1 {
		return math.Max(guesses, minSubmatchGuessesSingleChar+1)
	}
	return math.Max(guesses, minSubmatchGuessesMultiChar+1)
}

// sequenceGuesses is sequence_guesses: an obvious start (a, z, 0, 1, 9) is tried first, and a
// descending run after every ascending one.
func sequenceGuesses(m *match.Match) float64 {
	var base float64
	switch first := m.Token[0]; {
	case first == 'a' || first == 'A' || first == 'z' || first == 'Z' || first == '0' || first == '1' || first == '9':
		base = 4
	case '0' <= first && first <= '9':
		base = 10
	default:
		// 26 for an upper-case run too, which is conservative.
		base = 26
	}
	if !m.Ascending {
		base *= 2
	}
	return base * float64(jsLength(m.Token))
}

// guessesToScore is time_estimates.coffee's guesses_to_score. The delta puts a password of
// exactly 10^n guesses, give or take rounding, in the lower band.
func guessesToScore(guesses float64) int {
	const delta = 5
	switch {
	case guesses < 1e3+delta: // too guessable: risky password
		return 0
	case guesses < 1e6+delta: // very guessable: protection from throttled online attacks
		return 1
	case guesses < 1e8+delta: // somewhat guessable: protection from unthrottled online attacks
		return 2
	case guesses < 1e10+delta: // safely unguessable: moderate protection from offline attacks
		return 3
	default: // very unguessable: strong protection from offline attacks
		return 4
	}
}
