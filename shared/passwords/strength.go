package passwords

import (
	"context"
	"strings"
	"unicode/utf8"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/strength"
)

// Strength policies, as strength_check names them.
const (
	PolicyZxcvbn = "zxcvbn"
	PolicyLUDS   = "luds"
)

// Policy is the project's password strength policy (Stytch's default: zxcvbn, score 3 or more).
type Policy struct {
	Kind string // PolicyZxcvbn or PolicyLUDS
	// LUDS settings: minimum length (8-32) and how many of lower, upper, digit and symbol a
	// password needs (1-4).
	LUDSMinLength     int
	LUDSMinComplexity int
}

// DefaultPolicy is zxcvbn; LUDS, when chosen without settings, asks for 8 characters of 3
// classes.
var DefaultPolicy = Policy{Kind: PolicyZxcvbn, LUDSMinLength: 8, LUDSMinComplexity: 3}

// MinZxcvbnScore is the score a password needs under the zxcvbn policy.
const MinZxcvbnScore = 3

// MaxPasswordLength bounds passwords in characters. Hashing cost does not grow with length,
// but nobody types more, and a bound keeps request handling predictable.
const MaxPasswordLength = 256

// Breaches tells whether a password appears in a breach corpus (Stytch uses HaveIBeenPwned's
// range API). Optional: nil means breach detection is off.
type Breaches interface {
	Breached(ctx context.Context, password string) (bool, error)
}

// LUDSFeedback and ZxcvbnFeedback are strength_check's feedback objects.
type LUDSFeedback struct {
	HasLowerCase      bool `json:"has_lower_case"`
	HasUpperCase      bool `json:"has_upper_case"`
	HasDigit          bool `json:"has_digit"`
	HasSymbol         bool `json:"has_symbol"`
	MissingComplexity int  `json:"missing_complexity"`
	MissingCharacters int  `json:"missing_characters"`
}

type ZxcvbnFeedback struct {
	Warning     string   `json:"warning"`
	Suggestions []string `json:"suggestions"`
}

// Strength is strength_check's answer.
type Strength struct {
	ValidPassword           bool            `json:"valid_password"`
	Score                   int             `json:"score"`
	BreachedPassword        bool            `json:"breached_password"`
	StrengthPolicy          string          `json:"strength_policy"`
	BreachDetectionOnCreate bool            `json:"breach_detection_on_create"`
	LUDSFeedback            *LUDSFeedback   `json:"luds_feedback,omitempty"`
	ZxcvbnFeedback          *ZxcvbnFeedback `json:"zxcvbn_feedback,omitempty"`
}

// checkShape refuses what cannot be a password: empty, too long, or text that was not valid
// UTF-8 (JSON decoding turns invalid bytes and lone surrogates into U+FFFD, so two different
// byte strings would otherwise become one password).
func checkShape(password string) error {
	switch {
	case password == "":
		return latchkey.BadRequest(latchkey.TypeBadRequest, "password is required.")
	case utf8.RuneCountInString(password) > MaxPasswordLength:
		return latchkey.BadRequest(latchkey.TypeBadRequest, "password must be at most %d characters.", MaxPasswordLength)
	case !utf8.ValidString(password) || strings.ContainsRune(password, utf8.RuneError):
		return latchkey.BadRequest(latchkey.TypeBadRequest, "password must be valid UTF-8 text.")
	}
	return nil
}

// userInputs are the words zxcvbn should treat as guessable for this person: the address and
// its parts.
func userInputs(email string) []string {
	if email == "" {
		return nil
	}
	local, domain, _ := strings.Cut(email, "@")
	out := []string{email, local}
	return append(out, strings.FieldsFunc(domain, func(r rune) bool { return r == '.' || r == '-' })...)
}

// Check measures a password against the policy, as strength_check reports it.
func (s *Service) Check(ctx context.Context, password, email string) (Strength, error) {
	if err := checkShape(password); err != nil {
		return Strength{}, err
	}
	p := s.policy()
	z := strength.Zxcvbn(password, userInputs(email)...)
	// Stytch documents scores between 1 and 4.
	out := Strength{Score: max(z.Score, 1), StrengthPolicy: p.Kind, BreachDetectionOnCreate: s.Breaches != nil}
	if p.Kind == PolicyLUDS {
		f := strength.LUDS(password, p.LUDSMinLength, p.LUDSMinComplexity)
		out.LUDSFeedback = &LUDSFeedback{HasLowerCase: f.HasLowerCase, HasUpperCase: f.HasUpperCase, HasDigit: f.HasDigit,
			HasSymbol: f.HasSymbol, MissingComplexity: f.MissingComplexity, MissingCharacters: f.MissingCharacters}
		out.ValidPassword = f.Valid()
	} else {
		suggestions := z.Suggestions
		if suggestions == nil {
			suggestions = []string{}
		}
		out.ZxcvbnFeedback = &ZxcvbnFeedback{Warning: z.Warning, Suggestions: suggestions}
		out.ValidPassword = z.Score >= MinZxcvbnScore
	}
	if s.Breaches != nil && email != "" {
		breached, err := s.Breaches.Breached(ctx, password)
		if err != nil {
			return out, err
		}
		out.BreachedPassword = breached
		out.ValidPassword = out.ValidPassword && !breached
	}
	return out, nil
}

// acceptable refuses a new password the policy (or the breach check) rejects, saying why.
func (s *Service) acceptable(ctx context.Context, password, email string) error {
	st, err := s.Check(ctx, password, email)
	if err != nil || st.ValidPassword {
		return err
	}
	switch {
	case st.BreachedPassword:
		return weak("This password has appeared in a data breach; choose another.")
	case st.LUDSFeedback != nil:
		f := st.LUDSFeedback
		return weak("The password needs %d more characters and %d more of lowercase, uppercase, digits and symbols.",
			f.MissingCharacters, f.MissingComplexity)
	}
	msg := "The password is too easy to guess."
	if w := st.ZxcvbnFeedback.Warning; w != "" {
		msg += " " + w + "."
	}
	for _, sg := range st.ZxcvbnFeedback.Suggestions {
		msg += " " + sg
	}
	return weak("%s", msg)
}

func (s *Service) policy() Policy {
	p := s.Policy
	if p.Kind == "" {
		p.Kind = PolicyZxcvbn
	}
	if p.LUDSMinLength == 0 {
		p.LUDSMinLength = DefaultPolicy.LUDSMinLength
	}
	if p.LUDSMinComplexity == 0 {
		p.LUDSMinComplexity = DefaultPolicy.LUDSMinComplexity
	}
	return p
}
