package strength

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
	"github.com/trustelem/zxcvbn/adjacency"
	"github.com/trustelem/zxcvbn/frequency"
	"github.com/trustelem/zxcvbn/match"
	"github.com/trustelem/zxcvbn/scoring"
)

// This file is zxcvbn 4.4.2's src/matching.coffee, ported. trustelem/zxcvbn v1.0.1 has
// matchers of its own, but checked against the npm package they stray:
//
//   - dictionary: it ranges over a Go map of dictionaries, so when a user input and a built-in
//     word tie (both clamped to the same guesses inside a longer password) the winner, and with
//     it the warning, changes from run to run. 4.4.2 tries the dictionaries in the order of
//     frequency_lists, user_inputs last.
//   - l33t: its enumeration of substitutions appends to shared slices and loses some
//     (d@n13|$ is never read as daniels).
//   - date: it takes a zero for a day or a month (0333 is not a date in 4.4.2).
//   - repeat: it scores the repeated base without the user inputs.
//   - and on non-ASCII text its byte-wise matchers cut tokens inside runes, miscount repeats
//     and see sequences in UTF-8 bytes.
//
// Only its data (frequency lists, keyboard graphs) and its guess estimates per pattern are
// used. Indices (i, j) are byte offsets of whole runes, where 4.4.2 counts UTF-16 code units;
// lengths that 4.4.2 compares are taken in code units (jsLength).

// dictionaryOrder is frequency_lists.coffee's key order, which decides ties between
// dictionaries; user_inputs comes after them.
var dictionaryOrder = []string{"passwords", "english_wikipedia", "female_names", "surnames", "us_tv_and_film", "male_names"}

type rankedDictionary struct {
	name  string
	ranks map[string]int
}

// builtinDictionaries is built on first use, so a Lambda that never checks a password does not
// pay for it at cold start.
var builtinDictionaries = sync.OnceValue(func() matcher {
	mt := matcher{longest: len("constructor")} // the longest inheritedProperty
	for _, name := range dictionaryOrder {
		words := frequency.FrequencyLists[name]
		mt.dictionaries = append(mt.dictionaries, rankedDictionary{name, buildRankedDict(words)})
		for _, w := range words {
			mt.longest = max(mt.longest, utf8.RuneCountInString(w))
		}
	}
	return mt
})

// buildRankedDict ranks from 1; a word listed twice keeps its last rank, as in 4.4.2.
func buildRankedDict(words []string) map[string]int {
	ranks := make(map[string]int, len(words))
	for i, w := range words {
		ranks[w] = i + 1
	}
	return ranks
}

// matcher holds the dictionaries of one check: the built-in ones and the user inputs.
type matcher struct {
	dictionaries []rankedDictionary
	longest      int // runes in the longest word of any of them
}

func newMatcher(userInputs []string) matcher {
	lowered := make([]string, len(userInputs))
	for i, w := range userInputs {
		lowered[i] = strings.ToLower(w)
	}
	builtin := builtinDictionaries()
	mt := matcher{
		dictionaries: append(slices.Clip(builtin.dictionaries), rankedDictionary{"user_inputs", buildRankedDict(lowered)}),
		longest:      builtin.longest,
	}
	for _, w := range lowered {
		mt.longest = max(mt.longest, utf8.RuneCountInString(w))
	}
	return mt
}

// omnimatch returns every match in 4.4.2's order: by i, then j, then matcher, then the
// matcher's own order. The order matters: the search keeps the first of two matches with
// equal guesses.
func (mt matcher) omnimatch(password string) []*match.Match {
	var matches []*match.Match
	matches = append(matches, mt.dictionaryMatch(password)...)
	matches = append(matches, mt.reverseDictionaryMatch(password)...)
	matches = append(matches, mt.l33tMatch(password)...)
	matches = append(matches, spatialMatch(password)...)
	matches = append(matches, mt.repeatMatch(password)...)
	matches = append(matches, sequenceMatch(password)...)
	matches = append(matches, regexMatch(password)...)
	matches = append(matches, dateMatch(password)...)
	match.Sort(matches)
	return matches
}

// runeOffsets lists the byte offset of each rune of s, and len(s) last, so that runes
// [a, b) are s[offsets[a]:offsets[b]].
func runeOffsets(s string) []int {
	offsets := make([]int, 0, len(s)+1)
	for i := range s {
		offsets = append(offsets, i)
	}
	return append(offsets, len(s))
}

func (mt matcher) dictionaryMatch(password string) []*match.Match {
	var matches []*match.Match
	at := runeOffsets(password)
	for a := 0; a < len(at)-1; a++ {
		// No word is longer than the longest listed (in runes, which lowering keeps), so
		// stop there: the lookups stay linear in the password's length.
		for b := a + 1; b < len(at) && b-a <= mt.longest; b++ {
			i, j := at[a], at[b]-1
			// Lowered token by token rather than once, as 4.4.2 does, so that a letter whose
			// lower case has another length cannot shift the indices.
			word := strings.ToLower(password[i : j+1])
			// Dictionaries inside, in order: the matches of one (i, j) come out in 4.4.2's
			// order, and the sort keeps it.
			for _, dict := range mt.dictionaries {
				rank, ok := dict.ranks[word]
				if !ok && !inheritedProperty[word] {
					continue
				}
				m := &match.Match{
					Pattern:        "dictionary",
					I:              i,
					J:              j,
					Token:          password[i : j+1],
					MatchedWord:    word,
					Rank:           rank,
					DictionaryName: dict.name,
				}
				if !ok {
					m.Guesses = math.NaN()
				}
				matches = append(matches, m)
			}
		}
	}
	match.Sort(matches)
	return matches
}

// inheritedProperty holds the lower-case names that 4.4.2 finds in every dictionary: it looks
// words up with JavaScript's `in`, which sees Object.prototype too. Their "rank" is a function
// or an object, so their guesses are NaN, and a sequence through them never wins; yet the
// search stores a NaN candidate over a real one of the same length, which changes the score of
// a password such as "myconstructor". Reproduced, with the NaN, to score as 4.4.2 does.
var inheritedProperty = map[string]bool{"constructor": true, "__proto__": true}

func (mt matcher) reverseDictionaryMatch(password string) []*match.Match {
	var matches []*match.Match
	for _, m := range mt.dictionaryMatch(reverseRunes(password)) {
		// 4.4.2 reverses UTF-16 code units, which turns a character beyond the BMP into two
		// swapped surrogates that no word (say a user input with an emoji) can match.
		if hasAstral(m.Token) {
			continue
		}
		m.Token = reverseRunes(m.Token)
		m.Reversed = true
		m.I, m.J = len(password)-1-m.J, len(password)-1-m.I
		matches = append(matches, m)
	}
	match.Sort(matches)
	return matches
}

func reverseRunes(s string) string {
	r := []rune(s)
	slices.Reverse(r)
	return string(r)
}

func hasAstral(s string) bool {
	for _, r := range s {
		if r > 0xFFFF {
			return true
		}
	}
	return false
}

// l33tTable is 4.4.2's L33T_TABLE, in its key order, which decides the order of the
// substitutions tried.
var l33tTable = []struct {
	letter string
	subs   []string
}{
	{"a", []string{"4", "@"}},
	{"b", []string{"8"}},
	{"c", []string{"(", "{", "[", "<"}},
	{"e", []string{"3"}},
	{"g", []string{"6", "9"}},
	{"i", []string{"1", "!", "|"}},
	{"l", []string{"1", "|", "7"}},
	{"o", []string{"0"}},
	{"s", []string{"$", "5"}},
	{"t", []string{"+", "7"}},
	{"x", []string{"%"}},
	{"z", []string{"2"}},
}

type l33tPair struct{ subbed, letter string }

// l33tSubs is enumerate_l33t_subs over relevant_l33t_subtable: every way to read the l33t
// characters of password as letters, one letter per character.
func l33tSubs(password string) [][]l33tPair {
	subs := [][]l33tPair{{}}
	for _, row := range l33tTable {
		var next [][]l33tPair
		for _, chr := range row.subs {
			if !strings.Contains(password, chr) {
				continue
			}
			for _, sub := range subs {
				dup := slices.IndexFunc(sub, func(p l33tPair) bool { return p.subbed == chr })
				if dup == -1 {
					next = append(next, append(slices.Clip(sub), l33tPair{chr, row.letter}))
					continue
				}
				// chr already stands for an earlier letter: keep that reading, and add one
				// where it stands for this letter instead.
				alt := append(slices.Delete(slices.Clone(sub), dup, dup+1), l33tPair{chr, row.letter})
				next = append(next, sub, alt)
			}
		}
		if next != nil {
			subs = dedupL33tSubs(next)
		}
	}
	return subs
}

// dedupL33tSubs drops repeated substitution lists. 4.4.2 labels a list by its pairs and
// their positions, so two lists are the same only with the same pairs in the same order.
func dedupL33tSubs(subs [][]l33tPair) [][]l33tPair {
	seen := make(map[string]bool, len(subs))
	var out [][]l33tPair
	for _, sub := range subs {
		var label strings.Builder
		for _, p := range sub {
			label.WriteString(p.subbed + p.letter)
		}
		if !seen[label.String()] {
			seen[label.String()] = true
			out = append(out, sub)
		}
	}
	return out
}

func (mt matcher) l33tMatch(password string) []*match.Match {
	var matches []*match.Match
	for _, sub := range l33tSubs(password) {
		// The one empty list means the password has no l33t character at all.
		if len(sub) == 0 {
			break
		}
		table := make(map[rune]rune, len(sub))
		for _, p := range sub {
			table[rune(p.subbed[0])] = rune(p.letter[0])
		}
		// Every l33t character and letter is ASCII, so the indices of the translated password
		// are the password's.
		subbed := strings.Map(func(r rune) rune {
			if l, ok := table[r]; ok {
				return l
			}
			return r
		}, password)
		for _, m := range mt.dictionaryMatch(subbed) {
			token := password[m.I : m.J+1]
			if strings.ToLower(token) == m.MatchedWord {
				continue // no substitution in this stretch
			}
			m.Sub = make(map[string]string)
			for _, p := range sub {
				if strings.Contains(token, p.subbed) {
					m.Sub[p.subbed] = p.letter
				}
			}
			m.L33t = true
			m.Token = token
			// One character would make every '1' an 'i' and every '4' an 'a'.
			if jsLength(token) > 1 {
				matches = append(matches, m)
			}
		}
	}
	match.Sort(matches)
	return matches
}

// spatialGraphs is GRAPHS, in its order.
var spatialGraphs = []string{"qwerty", "dvorak", "keypad", "mac_keypad"}

// shiftedKeys is SHIFTED_RX: on qwerty and dvorak, the characters typed with shift.
const shiftedKeys = `~!@#$%^&*()_+QWERTYUIOP{}|ASDFGHJKL:"ZXCVBNM<>?`

// spatialMatch is spatial_match: runs of keys each adjacent to the one before, counting turns
// (changes of direction) and shifted keys.
func spatialMatch(password string) []*match.Match {
	runes := []rune(password)
	at := runeOffsets(password)
	var matches []*match.Match
	for _, name := range spatialGraphs {
		graph := adjacency.Graphs[name].Graph
		shiftable := name == "qwerty" || name == "dvorak"
		for i := 0; i < len(runes)-1; {
			j := i + 1
			lastDirection := -1 // none yet: every pattern starts with a turn
			turns, shifted := 0, 0
			if shiftable && strings.ContainsRune(shiftedKeys, runes[i]) {
				shifted = 1
			}
			for {
				found := false
				if j < len(runes) {
					// An entry holds the unshifted and the shifted key in a direction ("2@"),
					// or nothing at the keyboard's edge.
					for direction, adj := range graph[string(runes[j-1])] {
						k := strings.IndexRune(adj, runes[j])
						if k == -1 {
							continue
						}
						found = true
						if k == 1 {
							shifted++
						}
						if direction != lastDirection {
							turns++
							lastDirection = direction
						}
						break
					}
				}
				if found {
					j++
					continue
				}
				if j-i > 2 { // chains of one or two keys are not patterns
					matches = append(matches, &match.Match{
						Pattern:      "spatial",
						I:            at[i],
						J:            at[j] - 1,
						Token:        password[at[i]:at[j]],
						Graph:        name,
						Turns:        turns,
						ShiftedCount: shifted,
					})
				}
				i = j
				break
			}
		}
	}
	match.Sort(matches)
	return matches
}

// The repeat patterns of repeat_match, where JavaScript's '.' (any character but a line
// terminator) is spelled out: regexp2's '.' is .NET's, which stops at '\n' only. Go's regexp
// has no backreference.
var (
	greedyRepeat       = regexp2.MustCompile(`([^\n\r\u2028\u2029]+)\1+`, regexp2.None)
	lazyRepeat         = regexp2.MustCompile(`([^\n\r\u2028\u2029]+?)\1+`, regexp2.None)
	lazyAnchoredRepeat = regexp2.MustCompile(`^([^\n\r\u2028\u2029]+?)\1+$`, regexp2.None)
)

// repeatMatch is repeat_match: a base token repeated, scored by analysing the base token
// with this check's dictionaries, user inputs included.
func (mt matcher) repeatMatch(password string) []*match.Match {
	runes := []rune(password)
	at := runeOffsets(password)
	var matches []*match.Match
	for last := 0; last < len(runes); {
		// regexp2 fails only on a timeout, and none is set.
		greedy, _ := greedyRepeat.FindRunesMatchStartingAt(runes, last)
		if greedy == nil {
			break
		}
		lazy, _ := lazyRepeat.FindRunesMatchStartingAt(runes, last)
		var found *regexp2.Match
		var base string
		if greedy.Length > lazy.Length {
			// Greedy wins for 'aabaab' (lazy sees 'aa'), and its unit may itself repeat, as
			// 'aabaab' in 'aabaabaabaab': the anchored lazy match finds the shortest.
			found = greedy
			inner, _ := lazyAnchoredRepeat.FindStringMatch(greedy.String())
			base = inner.GroupByNumber(1).String()
		} else {
			// Lazy wins for 'aaaaa' (greedy sees 'aaaa').
			found = lazy
			base = lazy.GroupByNumber(1).String()
		}
		i, j := found.Index, found.Index+found.Length-1
		token := password[at[i]:at[j+1]]
		analysis := mt.mostGuessable(base)
		matches = append(matches, &match.Match{
			Pattern:     "repeat",
			I:           at[i],
			J:           at[j+1] - 1,
			Token:       token,
			BaseToken:   base,
			BaseGuesses: analysis.guesses,
			BaseMatches: analysis.sequence,
			RepeatCount: len(token) / len(base), // the token is the base repeated: exact
		})
		last = j + 1
	}
	return matches
}

const maxSequenceDelta = 5

// sequenceMatch is sequence_match: runs whose code points step by the same delta, up to 5
// (abcd, 9753), in any script.
func sequenceMatch(password string) []*match.Match {
	runes := []rune(password)
	at := runeOffsets(password)
	var matches []*match.Match
	if len(runes) <= 1 {
		return nil
	}
	update := func(i, j, delta int) {
		if j-i <= 1 && abs(delta) != 1 {
			return // two characters make a sequence only one step apart
		}
		if delta == 0 || abs(delta) > maxSequenceDelta {
			return
		}
		token := password[at[i]:at[j+1]]
		name, space := "unicode", 26 // conservatively the roman alphabet's size
		switch {
		case allIn(token, 'a', 'z'):
			name = "lower"
		case allIn(token, 'A', 'Z'):
			name = "upper"
		case allIn(token, '0', '9'):
			name, space = "digits", 10
		}
		matches = append(matches, &match.Match{
			Pattern:       "sequence",
			I:             at[i],
			J:             at[j+1] - 1,
			Token:         token,
			SequenceName:  name,
			SequenceSpace: space,
			Ascending:     delta > 0,
		})
	}
	// 4.4.2 steps through UTF-16 code units, where a character beyond the BMP is two
	// surrogates far from any neighbour: such a character is in no sequence. The unmatchable
	// delta keeps it out without moving the ends of the runs around it.
	step := func(k int) int {
		if runes[k] > 0xFFFF || runes[k-1] > 0xFFFF {
			return math.MaxInt
		}
		return int(runes[k] - runes[k-1])
	}
	i, lastDelta := 0, step(1)
	for k := 1; k < len(runes); k++ {
		delta := step(k)
		if delta == lastDelta {
			continue
		}
		update(i, k-1, lastDelta)
		i, lastDelta = k-1, delta
	}
	update(i, len(runes)-1, lastDelta)
	return matches
}

func allIn(s string, lo, hi rune) bool {
	for _, r := range s {
		if r < lo || r > hi {
			return false
		}
	}
	return true
}

// recentYear is REGEXEN.recent_year. It was written before 2017 and stops at 2019: to 4.4.2,
// 2020 and later are no recent years (though they can still be dates).
var recentYear = regexp.MustCompile(`19\d\d|200\d|201\d`)

func regexMatch(password string) []*match.Match {
	var matches []*match.Match
	for _, loc := range recentYear.FindAllStringIndex(password, -1) {
		matches = append(matches, &match.Match{
			Pattern:   "regex",
			I:         loc[0],
			J:         loc[1] - 1,
			Token:     password[loc[0]:loc[1]],
			RegexName: "recent_year",
		})
	}
	return matches
}

const (
	dateMinYear = 1000
	dateMaxYear = 2050
)

// dateSplits is DATE_SPLITS: for a run of digits of each length, where the second and third
// numbers start.
var dateSplits = map[int][][2]int{
	4: {{1, 2}, {2, 3}},                 // 1 1 91, 91 1 1
	5: {{1, 3}, {2, 3}},                 // 1 11 91, 11 1 91
	6: {{1, 2}, {2, 4}, {4, 5}},         // 1 1 1991, 11 11 91, 1991 1 1
	7: {{1, 3}, {2, 3}, {4, 5}, {4, 6}}, // 1 11 1991, 11 1 1991, 1991 1 11, 1991 11 1
	8: {{2, 4}, {4, 6}},                 // 11 11 1991, 1991 11 11
}

type dmy struct{ day, month, year int }

// dateMatch is date_match. It walks runes where 4.4.2 walks UTF-16 code units; a date is
// made of digits and separators, all in the BMP, so the windows that can match are the same.
func dateMatch(password string) []*match.Match {
	runes := []rune(password)
	start := runeOffsets(password)
	newMatch := func(i, j int, separator string, d dmy) *match.Match {
		return &match.Match{
			Pattern:   "date",
			Token:     password[start[i]:start[j+1]],
			I:         start[i],
			J:         start[j+1] - 1,
			Separator: separator,
			Year:      d.year,
			Month:     d.month,
			Day:       d.day,
		}
	}

	var matches []*match.Match
	// Without separators: 4 ('1191') to 8 ('11111991') digits.
	for i := 0; i+4 <= len(runes); i++ {
		for j := i + 3; j <= i+7 && j < len(runes); j++ {
			token := runes[i : j+1]
			if !allDigits(token) {
				continue
			}
			var candidates []dmy
			for _, split := range dateSplits[len(token)] {
				k, l := split[0], split[1]
				if d, ok := mapIntsToDMY(atoi(token[:k]), atoi(token[k:l]), atoi(token[l:])); ok {
					candidates = append(candidates, d)
				}
			}
			if len(candidates) == 0 {
				continue
			}
			// Of the readings of one run, the year nearest the reference year takes the fewest
			// guesses ('111504' is 11-15-04, not 1-1-1504); the first wins a tie.
			best := candidates[0]
			for _, c := range candidates[1:] {
				if abs(c.year-scoring.ReferenceYear) < abs(best.year-scoring.ReferenceYear) {
					best = c
				}
			}
			matches = append(matches, newMatch(i, j, "", best))
		}
	}
	// With separators: 6 ('1/1/91') to 10 ('11/11/1991') characters.
	for i := 0; i+6 <= len(runes); i++ {
		for j := i + 5; j <= i+9 && j < len(runes); j++ {
			a, sep, b, c, ok := splitSeparatedDate(runes[i : j+1])
			if !ok {
				continue
			}
			if d, ok := mapIntsToDMY(atoi(a), atoi(b), atoi(c)); ok {
				matches = append(matches, newMatch(i, j, string(sep), d))
			}
		}
	}

	// '2015_06_04' also holds 15_06_04, 5_06_04 and even 2015; keep only the dates that no
	// other date contains.
	var kept []*match.Match
	for _, m := range matches {
		contained := slices.ContainsFunc(matches, func(o *match.Match) bool {
			return o != m && o.I <= m.I && o.J >= m.J
		})
		if !contained {
			kept = append(kept, m)
		}
	}
	match.Sort(kept)
	return kept
}

// splitSeparatedDate matches 4.4.2's ^(\d{1,4})([\s/\\_.-])(\d{1,2})\2(\d{1,4})$, which Go's
// regexp cannot say (it has no backreference). A separator is never a digit, so each run of
// digits is taken whole and nothing needs backtracking.
func splitSeparatedDate(t []rune) (a []rune, sep rune, b, c []rune, ok bool) {
	digitRun := func(t []rune) int {
		n := 0
		for n < len(t) && isDigit(t[n]) {
			n++
		}
		return n
	}
	na := digitRun(t)
	if na < 1 || na > 4 || na == len(t) || !isDateSeparator(t[na]) {
		return nil, 0, nil, nil, false
	}
	a, sep, t = t[:na], t[na], t[na+1:]
	nb := digitRun(t)
	if nb < 1 || nb > 2 || nb == len(t) || t[nb] != sep {
		return nil, 0, nil, nil, false
	}
	b, c = t[:nb], t[nb+1:]
	if len(c) < 1 || len(c) > 4 || digitRun(c) != len(c) {
		return nil, 0, nil, nil, false
	}
	return a, sep, b, c, true
}

// isDateSeparator is [\s/\\_.-] with JavaScript's \s, which (unlike Go's) takes \v and the
// Unicode spaces.
func isDateSeparator(r rune) bool {
	switch r {
	case '/', '\\', '_', '.', '-',
		'\t', '\n', '\v', '\f', '\r', ' ', '\u00a0', '\u1680', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff':
		return true
	}
	return r >= '\u2000' && r <= '\u200a'
}

// isDigit is JavaScript's \d, ASCII only.
func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func allDigits(t []rune) bool {
	for _, r := range t {
		if !isDigit(r) {
			return false
		}
	}
	return true
}

// atoi reads a run of at most 8 ASCII digits, which cannot overflow.
func atoi(t []rune) int {
	n, _ := strconv.Atoi(string(t))
	return n
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// mapIntsToDMY is map_ints_to_dmy: it reads three numbers as a day, a month and a year, or
// refuses them.
func mapIntsToDMY(a, b, c int) (dmy, bool) {
	// The middle number is never a year.
	if b > 31 || b <= 0 {
		return dmy{}, false
	}
	over12, over31, under1 := 0, 0, 0
	for _, n := range []int{a, b, c} {
		if (99 < n && n < dateMinYear) || n > dateMaxYear {
			return dmy{}, false
		}
		if n > 31 {
			over31++
		}
		if n > 12 {
			over12++
		}
		if n <= 0 {
			under1++
		}
	}
	if over31 >= 2 || over12 == 3 || under1 >= 2 {
		return dmy{}, false
	}

	// A four-digit year, last then first, settles it: the rest is a day and a month or nothing.
	splits := [][3]int{{c, a, b}, {a, b, c}}
	for _, s := range splits {
		if dateMinYear <= s[0] && s[0] <= dateMaxYear {
			day, month, ok := mapIntsToDM(s[1], s[2])
			return dmy{day, month, s[0]}, ok
		}
	}
	// Otherwise a two-digit year, the most flexible number, at either end.
	for _, s := range splits {
		if day, month, ok := mapIntsToDM(s[1], s[2]); ok {
			return dmy{day, month, twoToFourDigitYear(s[0])}, true
		}
	}
	return dmy{}, false
}

// mapIntsToDM is map_ints_to_dm: day then month, or month then day. Unlike trustelem it
// refuses a zero day or month, as 4.4.2 does.
func mapIntsToDM(a, b int) (day, month int, ok bool) {
	for _, dm := range [][2]int{{a, b}, {b, a}} {
		if 1 <= dm[0] && dm[0] <= 31 && 1 <= dm[1] && dm[1] <= 12 {
			return dm[0], dm[1], true
		}
	}
	return 0, 0, false
}

func twoToFourDigitYear(year int) int {
	switch {
	case year > 99:
		return year
	case year > 50:
		return year + 1900 // 87 is 1987
	default:
		return year + 2000 // 15 is 2015
	}
}
