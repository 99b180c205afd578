package latchkey

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Bounds that keep user data inside what DynamoDB stores. Anything beyond them is refused with
// a 400 before the store is called: DynamoDB would refuse it too, but only as a 500, and a
// write refused half-way through a flow (after a token was read, say) is harder to reason
// about than a request refused before it started.
const (
	// MaxDocumentDepth bounds the nesting of a metadata object, custom claims or SCIM
	// attributes, counting the object itself. DynamoDB nests at most 32 levels per item and
	// these documents sit up to three levels down (member → scim_registration → scim_attributes);
	// half of DynamoDB's limit leaves room and is far more than any real metadata uses.
	MaxDocumentDepth = 16
	// MaxDocumentKeyBytes bounds one key of such a document. DynamoDB allows longer names, but
	// a 4 KB document of a few huge keys is not metadata anyone means to send.
	MaxDocumentKeyBytes = 256
	// MaxKeyBytes bounds any value Latchkey puts into a table or index key (ids, slugs, emails,
	// external ids, SCIM userNames, cursors). DynamoDB refuses sort keys over 1024 bytes and
	// partition keys over 2048; every value Latchkey stores is at most 256 bytes, so a longer
	// one can only be not found, and 512 keeps the prefixed key below 1024 bytes.
	MaxKeyBytes = 512
)

// DynamoDB numbers: 38 significant digits, magnitude between 1e-130 and
// 9.9999999999999999999999999999999999999e125, or zero. A float64 has at most 17 significant
// digits, so only the magnitude needs checking.
const (
	minNumberMagnitude = 1e-130
	maxNumberMagnitude = 1e126 // exclusive
)

// KeyTooLong tells whether s is too long to be any stored id, slug or email. Such a value is
// answered as not found (or invalid) without reaching the table.
func KeyTooLong(s string) bool { return len(s) > MaxKeyBytes }

// ValidNumber tells whether f can be stored as a DynamoDB number.
func ValidNumber(f float64) bool {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return false
	}
	a := math.Abs(f)
	return a == 0 || a >= minNumberMagnitude && a < maxNumberMagnitude
}

// invalidDocument is the error for metadata or claims DynamoDB could not store. Stytch
// documents only size and key-count limits for metadata (metadata_too_large,
// metadata_too_many_keys); for the structural ones its docs name no error_type, so this one
// is ours, named like theirs. Custom claims keep their own error_type.
func invalidDocument(field, format string, args ...any) *Error {
	errType := "invalid_metadata"
	if field == "session_custom_claims" {
		errType = "invalid_session_custom_claims"
	}
	e := BadRequest(errType, format, args...)
	e.Message = field + ": " + e.Message
	return e
}

// ValidateDocument checks that a JSON document (as encoding/json decodes it: maps, slices,
// strings, float64, bool, nil) can be stored as a DynamoDB map: nesting within
// MaxDocumentDepth, no empty or oversized keys, numbers within DynamoDB's range. field names
// the document in the error.
func ValidateDocument(field string, doc map[string]any) error {
	if doc == nil {
		return nil
	}
	return validateValue(field, doc, 1)
}

func validateValue(field string, v any, depth int) error {
	switch x := v.(type) {
	case map[string]any:
		if depth > MaxDocumentDepth {
			return invalidDocument(field, "objects and arrays may be nested at most %d levels deep.", MaxDocumentDepth)
		}
		for k, e := range x {
			switch {
			case k == "":
				return invalidDocument(field, "keys may not be empty.")
			case len(k) > MaxDocumentKeyBytes:
				return invalidDocument(field, "keys may be at most %d bytes long.", MaxDocumentKeyBytes)
			}
			if err := validateValue(field, e, depth+1); err != nil {
				return err
			}
		}
	case []any:
		if depth > MaxDocumentDepth {
			return invalidDocument(field, "objects and arrays may be nested at most %d levels deep.", MaxDocumentDepth)
		}
		for _, e := range x {
			if err := validateValue(field, e, depth+1); err != nil {
				return err
			}
		}
	case float64:
		if !ValidNumber(x) {
			return invalidDocument(field, "numbers must be zero or have a magnitude between 1e-130 and 1e126.")
		}
	case string:
		if !utf8.ValidString(x) {
			return invalidDocument(field, "strings must be valid UTF-8.")
		}
	}
	return nil
}

// invisible reports runes that render as nothing or reorder the text around them: bidi
// embeddings, overrides, isolates and marks, zero-width spaces and joiners, the word joiner,
// the soft hyphen and the byte order mark. In a name they let one string pass for another.
func invisible(r rune) bool {
	switch {
	case r == '\u00AD', r == '\u061C', r == '\u180E', r == '\uFEFF':
		return true
	case r >= '\u200B' && r <= '\u200F', r >= '\u202A' && r <= '\u202E', r >= '\u2060' && r <= '\u2064',
		r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

// nameRuneAllowed is the rule for free-text names (member and organization names). Control
// characters (NUL, CR, LF, …), line and paragraph separators and the invisible and bidi
// characters are refused: names go into email subjects and admin screens. ZWJ and ZWNJ are
// the exception: Persian and Indic scripts and emoji sequences need them to render.
func nameRuneAllowed(r rune) bool {
	if r == '\u200C' || r == '\u200D' {
		return true
	}
	return r != utf8.RuneError && !unicode.Is(unicode.Cc, r) && !unicode.In(r, unicode.Zl, unicode.Zp) && !invisible(r)
}

// ValidName tells whether s may be a member or organization name.
func ValidName(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !nameRuneAllowed(r) {
			return false
		}
	}
	return true
}

// emailRuneAllowed refuses, anywhere in an address, every control and format character
// (Unicode Cc and Cf: NUL, CR, LF, zero-width spaces and joiners, bidi controls, BOM, soft
// hyphen), line and paragraph separators, and every space (Zs, ASCII or not). An address with
// any of them looks like another address on screen, so it could be used to pass for it.
func emailRuneAllowed(r rune) bool {
	return r != utf8.RuneError && !unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Zs)
}

// canonicalEmail is the form of an address members are keyed by: trimmed, lower-cased and in
// Unicode NFC, so that "josé" typed with a precomposed é and with e + U+0301 is one address.
// net/mail accepts UTF-8 local parts (RFC 6532) and validDomain only ASCII domains, so only
// a local part can differ by normalization. ok is false for characters no address may hold.
func canonicalEmail(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return "", false
	}
	e := norm.NFC.String(strings.ToLower(norm.NFC.String(strings.TrimSpace(s))))
	for _, r := range e {
		if !emailRuneAllowed(r) {
			return "", false
		}
	}
	return e, true
}

// HeaderSafe makes s fit on one line of an email header: CR, LF and every other control or
// invisible character becomes a space. Names are refused with these characters on the way in,
// but an organization stored before that rule must still never split a subject line.
func HeaderSafe(s string) string {
	if ValidName(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !nameRuneAllowed(r) {
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}
