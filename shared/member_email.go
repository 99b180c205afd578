package latchkey

import (
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"
)

// A member's email_address is what the organization (its admins, its identity provider) says
// the address is; only a factor proves it. These rules make changing it a real state change,
// as Stytch documents for Members.Update, so that an organization cannot hand one of its
// members someone else's identity by typing their address.

// MaxRetiredEmails bounds a member's retired addresses (Stytch documents no bound): each is a
// guard item that deleting the member releases in the same transaction as the member.
const MaxRetiredEmails = 20

// RetiredEmail is an address a member used before its current one. No other member of the
// organization may take it until it is unlinked; the member itself may switch back to it.
type RetiredEmail struct {
	EmailID      string `json:"email_id" dynamo:"email_id"`
	EmailAddress string `json:"email_address" dynamo:"email_address"`
}

// EmailID names an address the same way wherever it appears: in a session's email_factor and
// in a member's retired_email_addresses.
func EmailID(email string) string {
	return "email-" + uuid.NewSHA1(uuid.NameSpaceURL, []byte(email)).String()
}

// HeldEmails lists the addresses a member reserves in its organization: its current one and
// its retired ones. A deleted member holds none.
func (m Member) HeldEmails() []string {
	if m.Status == StatusDeleted {
		return nil
	}
	out := make([]string, 0, 1+len(m.RetiredEmailAddresses))
	if m.EmailAddress != "" {
		out = append(out, m.EmailAddress)
	}
	for _, r := range m.RetiredEmailAddresses {
		out = append(out, r.EmailAddress)
	}
	return out
}

// Settle applies what a change from prev to next means beyond its fields, at now:
//   - a new address is unverified until a factor proves it, the password set for the old one
//     is cleared, and the old address is retired, or released when unlink is set; switching
//     back to a retired address takes it out of the retired list;
//   - a new address or a deletion ends every emailed token issued before, so a link sent to
//     the old address, or before the member was deleted, never works afterwards;
//   - a member keeps at most MaxRetiredEmails retired addresses: retiring one more releases
//     the oldest, so the write that releases them all (a deletion) stays one transaction;
//   - a deleted member keeps no retired addresses, so deleting releases all it held, and an
//     address it had while deleted (renamed by its identity provider) was never held at all.
func Settle(prev, next Member, unlink bool, now time.Time) Member {
	if next.EmailAddress != prev.EmailAddress && prev.EmailAddress != "" {
		next.EmailAddressVerified = false
		next.MemberPasswordID = ""
		next.RetiredEmailAddresses = slices.DeleteFunc(slices.Clone(prev.RetiredEmailAddresses), func(r RetiredEmail) bool {
			return r.EmailAddress == next.EmailAddress || r.EmailAddress == prev.EmailAddress
		})
		if !unlink && prev.Status != StatusDeleted {
			next.RetiredEmailAddresses = append(next.RetiredEmailAddresses, RetiredEmail{EmailID(prev.EmailAddress), prev.EmailAddress})
		}
		if n := len(next.RetiredEmailAddresses); n > MaxRetiredEmails {
			next.RetiredEmailAddresses = next.RetiredEmailAddresses[n-MaxRetiredEmails:]
		}
		next.TokensValidAfter = now
	}
	if next.Status == StatusDeleted {
		next.RetiredEmailAddresses = nil
		if prev.Status != StatusDeleted {
			next.TokensValidAfter = now
		}
	}
	if len(next.RetiredEmailAddresses) == 0 {
		next.RetiredEmailAddresses = nil
	}
	return next
}

// Accepts tells whether an emailed token issued at issued to this member may still be
// redeemed: one issued before the member was deleted or changed address may not.
func (m Member) Accepts(issued time.Time) bool { return issued.After(m.TokensValidAfter) }

// UnlinkRetiredEmail removes one retired address, named by its email_id, its address or
// both (which must then name the same one), freeing it for other members.
func (m Member) UnlinkRetiredEmail(emailID, email string) (Member, error) {
	if emailID == "" && email == "" {
		return m, BadRequest(TypeBadRequest, "email_id or email_address is required.")
	}
	if email != "" {
		e, err := NormalizeEmail(email)
		if err != nil {
			return m, err
		}
		email = e
	}
	i := slices.IndexFunc(m.RetiredEmailAddresses, func(r RetiredEmail) bool {
		return (emailID == "" || r.EmailID == emailID) && (email == "" || r.EmailAddress == email)
	})
	if i < 0 {
		return m, Errorf(http.StatusNotFound, "retired_email_not_found",
			"The member has no retired email address with that email_id and email_address.")
	}
	m.RetiredEmailAddresses = slices.Delete(slices.Clone(m.RetiredEmailAddresses), i, i+1)
	if len(m.RetiredEmailAddresses) == 0 {
		m.RetiredEmailAddresses = nil
	}
	return m, nil
}
