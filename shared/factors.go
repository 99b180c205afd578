package latchkey

import (
	"net/http"
	"slices"
	"time"
)

// AuthFactor is one way the person proved who they are during the session.
type AuthFactor struct {
	Type                string       `json:"type"`
	DeliveryMethod      string       `json:"delivery_method"`
	LastAuthenticatedAt time.Time    `json:"last_authenticated_at"`
	CreatedAt           time.Time    `json:"created_at"`
	UpdatedAt           time.Time    `json:"updated_at"`
	EmailFactor         *EmailFactor `json:"email_factor,omitempty"`
}

type EmailFactor struct {
	EmailID      string `json:"email_id"`
	EmailAddress string `json:"email_address"`
}

// MagicLinkFactor is the factor a redeemed email magic link proves.
func MagicLinkFactor(email string, now time.Time) AuthFactor {
	return AuthFactor{Type: "magic_link", DeliveryMethod: "email", LastAuthenticatedAt: now, CreatedAt: now, UpdatedAt: now,
		EmailFactor: &EmailFactor{EmailID: EmailID(email), EmailAddress: email}}
}

// ProvenEmail is the address the most recent of factors proved, and when. It is the person's
// identity for every decision that crosses an organization boundary: a member's current
// email_address is only what its organization says, and may never have been proven.
func ProvenEmail(factors []AuthFactor) (email string, at time.Time, ok bool) {
	for _, f := range factors {
		if f.EmailFactor != nil && f.EmailFactor.EmailAddress != "" && (!ok || f.LastAuthenticatedAt.After(at)) {
			email, at, ok = f.EmailFactor.EmailAddress, f.LastAuthenticatedAt, true
		}
	}
	return email, at, ok
}

// NoProvenEmail is the error for a session whose factors prove no email: it may act in its
// own organization, but has no identity to carry into another.
func NoProvenEmail() *Error {
	return Errorf(http.StatusForbidden, "session_email_not_proven",
		"No factor of this session proved an email address, so it cannot be used to enter another organization.")
}

// AddFactor returns factors with f added, replacing an earlier factor of the same kind.
func AddFactor(factors []AuthFactor, f AuthFactor) []AuthFactor {
	out := slices.DeleteFunc(slices.Clone(factors), func(g AuthFactor) bool {
		return g.Type == f.Type && g.DeliveryMethod == f.DeliveryMethod
	})
	return append(out, f)
}
