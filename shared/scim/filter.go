package scim

import (
	"encoding/json"
	"fmt"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// Filter is a parsed filter expression (RFC 7644 §3.4.2.2).
type Filter = filter.Expression

// ParseFilter parses a filter. Entra ID sends `emails[type eq "work"].value eq "…"`, which
// the RFC grammar does not allow (a value path takes no sub-attribute in a filter); when the
// RFC parse fails, such a sub-attribute comparison is moved inside the brackets, which means
// the same: `emails[type eq "work" and value eq "…"]`.
func ParseFilter(s string) (Filter, error) {
	if len(s) > MaxFilterLength {
		return nil, badRequest(InvalidFilter, "A filter may be at most %d characters.", MaxFilterLength)
	}
	e, err := filter.ParseFilter([]byte(s))
	if err == nil {
		return e, nil
	}
	if lifted, ok := liftSubAttributes(s); ok {
		if e, err := filter.ParseFilter([]byte(lifted)); err == nil {
			return e, nil
		}
	}
	return nil, badRequest(InvalidFilter, "The filter %q is not valid: %v", s, err)
}

// MaxFilterLength and MaxPathLength bound what the parser is given: its time grows with
// nesting, and identity providers send filters and paths of a few dozen characters.
const (
	MaxFilterLength = 2048
	MaxPathLength   = 512
)

var compareOperators = []string{"eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le", "pr"}

// liftSubAttributes rewrites every `attr[filter].sub op value` into `attr[filter and sub op
// value]`.
func liftSubAttributes(s string) (string, bool) {
	changed := false
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inQuote {
			switch c {
			case '\\':
				i++
			case '"':
				inQuote = false
			}
			continue
		}
		if c == '"' {
			inQuote = true
			continue
		}
		if c != ']' || i+1 >= len(s) || s[i+1] != '.' {
			continue
		}
		j := i + 2
		for j < len(s) && isNameChar(s[j]) {
			j++
		}
		name := s[i+2 : j]
		k := skipSpaces(s, j)
		if name == "" || k == j {
			return "", false
		}
		m := k
		for m < len(s) && isLetter(s[m]) {
			m++
		}
		op := strings.ToLower(s[k:m])
		if !contains(compareOperators, op) {
			return "", false
		}
		end := m
		if op != "pr" {
			n := skipSpaces(s, m)
			if n == m || n >= len(s) {
				return "", false
			}
			end = valueEnd(s, n)
			if end < 0 {
				return "", false
			}
		}
		cond := " and " + name + " " + op + s[m:end]
		s = s[:i] + cond + "]" + s[end:]
		i += len(cond) // now at the ']'
		changed = true
	}
	return s, changed
}

// valueEnd returns where the comparison value starting at i ends: after a quoted string, or
// at the next space or closing parenthesis or bracket.
func valueEnd(s string, i int) int {
	if s[i] != '"' {
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != ')' && s[j] != ']' {
			j++
		}
		return j
	}
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

func skipSpaces(s string, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isNameChar(c byte) bool {
	return isLetter(c) || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '$'
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// caseExact are the attributes compared case-sensitively (RFC 7643: id and externalId);
// all others, userName and emails included, are not.
var caseExact = []string{"id", "externalId"}

// Matches evaluates a filter against a resource (or, inside a value path, one value of a
// multi-valued attribute).
func Matches(f Filter, res map[string]any) bool {
	switch e := f.(type) {
	case *filter.LogicalExpression:
		if e.Operator == filter.AND {
			return Matches(e.Left, res) && Matches(e.Right, res)
		}
		return Matches(e.Left, res) || Matches(e.Right, res)
	case *filter.NotExpression:
		return !Matches(e.Expression, res)
	case *filter.ValuePath:
		v, ok := attributeValue(res, e.AttributePath)
		if !ok {
			return false
		}
		for _, el := range elements(v) {
			if m, ok := el.(map[string]any); ok && Matches(e.ValueFilter, m) {
				return true
			}
		}
		return false
	case *filter.AttributeExpression:
		if e.Operator == filter.PR && e.AttributePath.SubAttribute == nil {
			v, _ := attributeValue(res, e.AttributePath)
			return present(v)
		}
		values := resolve(res, e.AttributePath)
		if e.Operator == filter.PR {
			for _, v := range values {
				if present(v) {
					return true
				}
			}
			return false
		}
		exact := e.AttributePath.SubAttribute == nil &&
			contains(caseExact, canonicalName(e.AttributePath.AttributeName, userAttributes))
		want := compareValue(e.CompareValue)
		if len(values) == 0 {
			return e.Operator == filter.NE && want != nil
		}
		for _, v := range values {
			if compare(v, e.Operator, want, exact) {
				return true
			}
		}
	}
	return false
}

// attributeValue finds an attribute, in an extension's object when the path names one.
func attributeValue(res map[string]any, p filter.AttributePath) (any, bool) {
	container := res
	if uri := p.URI(); uri != "" {
		if u := canonicalURN(uri); u != UserSchema && u != GroupSchema {
			_, ext, ok := lookup(res, u)
			m, isMap := ext.(map[string]any)
			if !ok || !isMap {
				return nil, false
			}
			container = m
		}
	}
	_, v, ok := lookup(container, p.AttributeName)
	return v, ok && v != nil
}

func elements(v any) []any {
	if list, ok := v.([]any); ok {
		return list
	}
	return []any{v}
}

// resolve lists the values a path denotes. A multi-valued complex attribute without a
// sub-attribute stands for its values' "value" (so `emails eq "…"` and `members eq "…"`
// work).
func resolve(res map[string]any, p filter.AttributePath) []any {
	v, ok := attributeValue(res, p)
	if !ok {
		return nil
	}
	sub := p.SubAttributeName()
	var out []any
	for _, el := range elements(v) {
		m, isMap := el.(map[string]any)
		switch {
		case sub != "" && isMap:
			if _, sv, ok := lookup(m, sub); ok {
				out = append(out, elements(sv)...)
			}
		case sub == "" && isMap:
			if _, sv, ok := lookup(m, "value"); ok {
				out = append(out, sv)
			}
		case sub == "":
			out = append(out, el)
		}
	}
	return out
}

func present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// compareValue unescapes a string literal (the parser keeps escapes as written).
func compareValue(v any) any {
	s, ok := v.(string)
	if !ok || !strings.Contains(s, `\`) {
		return v
	}
	var out string
	if err := json.Unmarshal([]byte(`"`+s+`"`), &out); err != nil {
		return s
	}
	return out
}

func compare(v any, op filter.CompareOperator, want any, exact bool) bool {
	switch w := want.(type) {
	case nil:
		return (op == filter.EQ) == (v == nil)
	case bool:
		b, ok := Bool(v)
		if !ok {
			return op == filter.NE
		}
		switch op {
		case filter.EQ:
			return b == w
		case filter.NE:
			return b != w
		}
		return false
	case string:
		s, ok := v.(string)
		if !ok {
			s = fmt.Sprint(v)
		}
		if !exact {
			s, w = strings.ToLower(s), strings.ToLower(w)
		}
		switch op {
		case filter.EQ:
			return s == w
		case filter.NE:
			return s != w
		case filter.CO:
			return strings.Contains(s, w)
		case filter.SW:
			return strings.HasPrefix(s, w)
		case filter.EW:
			return strings.HasSuffix(s, w)
		case filter.GT:
			return s > w
		case filter.GE:
			return s >= w
		case filter.LT:
			return s < w
		case filter.LE:
			return s <= w
		}
	case int:
		return compareNumber(v, op, float64(w))
	case float64:
		return compareNumber(v, op, w)
	}
	return false
}

func compareNumber(v any, op filter.CompareOperator, w float64) bool {
	var n float64
	switch x := v.(type) {
	case float64:
		n = x
	case int:
		n = float64(x)
	default:
		return op == filter.NE
	}
	switch op {
	case filter.EQ:
		return n == w
	case filter.NE:
		return n != w
	case filter.GT:
		return n > w
	case filter.GE:
		return n >= w
	case filter.LT:
		return n < w
	case filter.LE:
		return n <= w
	}
	return false
}

// Mentions tells whether a filter looks at an attribute (so it must be read, even when the
// response leaves it out).
func Mentions(f Filter, name string) bool {
	switch e := f.(type) {
	case *filter.LogicalExpression:
		return Mentions(e.Left, name) || Mentions(e.Right, name)
	case *filter.NotExpression:
		return Mentions(e.Expression, name)
	case *filter.ValuePath:
		return strings.EqualFold(e.AttributePath.AttributeName, name)
	case *filter.AttributeExpression:
		return strings.EqualFold(e.AttributePath.AttributeName, name)
	}
	return false
}

// Lookup is an equality a key answers: the resource whose Attribute is Value.
type Lookup struct {
	Attribute string
	Value     string
}

// Lookups returns equalities on the given attributes such that every resource the filter
// matches satisfies one of them, so the candidates are found by key and the filter then
// decides; ok is false when no such set exists and every resource must be looked at.
// "emails" stands for an email address (emails, emails.value, or `value eq` inside
// emails[…]).
func Lookups(f Filter, resourceType string, keyed []string) (lookups []Lookup, ok bool) {
	switch e := f.(type) {
	case *filter.LogicalExpression:
		l, lok := Lookups(e.Left, resourceType, keyed)
		r, rok := Lookups(e.Right, resourceType, keyed)
		if e.Operator == filter.AND {
			switch {
			case lok:
				return l, true
			case rok:
				return r, true
			}
			return nil, false
		}
		if lok && rok {
			return append(l, r...), true
		}
		return nil, false
	case *filter.ValuePath:
		if !coreAttribute(e.AttributePath) || canonicalName(e.AttributePath.AttributeName, attributesOf(resourceType)) != "emails" ||
			!contains(keyed, "emails") {
			return nil, false
		}
		if v, ok := valueEquality(e.ValueFilter); ok {
			return []Lookup{{"emails", v}}, true
		}
	case *filter.AttributeExpression:
		v, isString := compareValue(e.CompareValue).(string)
		if e.Operator != filter.EQ || !isString || !coreAttribute(e.AttributePath) {
			return nil, false
		}
		name := canonicalName(e.AttributePath.AttributeName, attributesOf(resourceType))
		sub := e.AttributePath.SubAttributeName()
		switch {
		case name == "emails" && (sub == "" || strings.EqualFold(sub, "value")):
		case sub != "":
			return nil, false
		}
		if contains(keyed, name) {
			return []Lookup{{name, v}}, true
		}
	}
	return nil, false
}

func coreAttribute(p filter.AttributePath) bool {
	u := canonicalURN(p.URI())
	return u == "" || u == UserSchema || u == GroupSchema
}

// valueEquality finds `value eq "…"` among the conjuncts of a value filter.
func valueEquality(f Filter) (string, bool) {
	switch e := f.(type) {
	case *filter.LogicalExpression:
		if e.Operator != filter.AND {
			return "", false
		}
		if v, ok := valueEquality(e.Left); ok {
			return v, true
		}
		return valueEquality(e.Right)
	case *filter.AttributeExpression:
		v, isString := compareValue(e.CompareValue).(string)
		if e.Operator == filter.EQ && isString && strings.EqualFold(e.AttributePath.AttributeName, "value") && e.AttributePath.SubAttribute == nil {
			return v, true
		}
	}
	return "", false
}
