package latchkey

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
)

func retired(emails ...string) []RetiredEmail {
	var out []RetiredEmail
	for _, e := range emails {
		out = append(out, RetiredEmail{EmailID(e), e})
	}
	return out
}

// The rules of a change of address, as Stytch documents them for Members.Update.
func TestSettle(t *testing.T) {
	base := validMember()
	base.EmailAddressVerified, base.MemberPasswordID = true, "member-password-test-1"
	later := testNow.Add(time.Hour)
	tests := []struct {
		name   string
		prev   func(*Member)
		next   func(*Member)
		unlink bool
		want   func(*Member)
	}{
		{"nothing changes", nil, func(m *Member) { m.Name = "Bob" }, false, func(m *Member) { m.Name = "Bob" }},
		{"new address: unverified, password cleared, old one retired, tokens ended", nil,
			func(m *Member) { m.EmailAddress = "new@acme.com" }, false,
			func(m *Member) {
				m.EmailAddress, m.EmailAddressVerified, m.MemberPasswordID = "new@acme.com", false, ""
				m.RetiredEmailAddresses, m.TokensValidAfter = retired("bob@acme.com"), later
			}},
		{"unlink_email deletes the old address instead", nil,
			func(m *Member) { m.EmailAddress = "new@acme.com" }, true,
			func(m *Member) {
				m.EmailAddress, m.EmailAddressVerified, m.MemberPasswordID = "new@acme.com", false, ""
				m.TokensValidAfter = later
			}},
		{"switching back to a retired address un-retires it", func(m *Member) { m.RetiredEmailAddresses = retired("old@acme.com") },
			func(m *Member) { m.EmailAddress = "old@acme.com" }, false,
			func(m *Member) {
				m.EmailAddress, m.EmailAddressVerified, m.MemberPasswordID = "old@acme.com", false, ""
				m.RetiredEmailAddresses, m.TokensValidAfter = retired("bob@acme.com"), later
			}},
		{"deletion ends tokens and releases retired addresses", func(m *Member) { m.RetiredEmailAddresses = retired("old@acme.com") },
			func(m *Member) { m.Status = StatusDeleted }, false,
			func(m *Member) { m.Status, m.TokensValidAfter, m.RetiredEmailAddresses = StatusDeleted, later, nil }},
		{"a deleted member renamed (by SCIM) retires nothing", func(m *Member) { m.Status = StatusDeleted },
			func(m *Member) { m.EmailAddress = "new@acme.com" }, false,
			func(m *Member) {
				m.EmailAddress, m.EmailAddressVerified, m.MemberPasswordID = "new@acme.com", false, ""
				m.TokensValidAfter = later
			}},
		{"at most MaxRetiredEmails are kept, the oldest released first", func(m *Member) {
			for i := range MaxRetiredEmails {
				m.RetiredEmailAddresses = append(m.RetiredEmailAddresses, retired(fmt.Sprintf("old%d@acme.com", i))...)
			}
		}, func(m *Member) { m.EmailAddress = "new@acme.com" }, false,
			func(m *Member) {
				m.EmailAddress, m.EmailAddressVerified, m.MemberPasswordID = "new@acme.com", false, ""
				m.RetiredEmailAddresses = append(m.RetiredEmailAddresses[1:len(m.RetiredEmailAddresses):len(m.RetiredEmailAddresses)], retired("bob@acme.com")...)
				m.TokensValidAfter = later
			}},
		{"reactivation changes nothing else", func(m *Member) { m.Status = StatusDeleted },
			func(m *Member) { m.Status = StatusActive }, false,
			func(m *Member) { m.Status = StatusActive }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev := base
			if tt.prev != nil {
				tt.prev(&prev)
			}
			next, want := prev, prev
			tt.next(&next)
			tt.want(&want)
			if got := Settle(prev, next, tt.unlink, later); !reflect.DeepEqual(got, want) {
				t.Fatalf("Settle:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestMemberHeldEmailsAndAccepts(t *testing.T) {
	m := validMember()
	m.RetiredEmailAddresses = retired("old@acme.com")
	if got := m.HeldEmails(); !reflect.DeepEqual(got, []string{"bob@acme.com", "old@acme.com"}) {
		t.Fatalf("HeldEmails = %v", got)
	}
	m.Status = StatusDeleted
	if got := m.HeldEmails(); len(got) != 0 {
		t.Fatalf("a deleted member holds %v", got)
	}
	m.TokensValidAfter = testNow
	if m.Accepts(testNow) || m.Accepts(testNow.Add(-time.Second)) || !m.Accepts(testNow.Add(time.Millisecond)) {
		t.Fatal("Accepts must refuse tokens issued up to TokensValidAfter and accept later ones")
	}
}

func TestUnlinkRetiredEmail(t *testing.T) {
	m := validMember()
	m.RetiredEmailAddresses = retired("old@acme.com", "older@acme.com")
	got, err := m.UnlinkRetiredEmail("", " OLD@acme.com")
	if err != nil || !reflect.DeepEqual(got.RetiredEmailAddresses, retired("older@acme.com")) {
		t.Fatalf("by address: %v %v", got.RetiredEmailAddresses, err)
	}
	if len(m.RetiredEmailAddresses) != 2 {
		t.Fatal("UnlinkRetiredEmail mutated its receiver")
	}
	got, err = m.UnlinkRetiredEmail(EmailID("older@acme.com"), "older@acme.com")
	if err != nil || !reflect.DeepEqual(got.RetiredEmailAddresses, retired("old@acme.com")) {
		t.Fatalf("by id and address: %v %v", got.RetiredEmailAddresses, err)
	}
	for _, tt := range []struct{ id, email, errType string }{
		{"", "", TypeBadRequest},
		{EmailID("old@acme.com"), "older@acme.com", "retired_email_not_found"},
		{"", "bob@acme.com", "retired_email_not_found"},
		{"", "not an email", "invalid_email"},
	} {
		_, err := m.UnlinkRetiredEmail(tt.id, tt.email)
		if e := AsError(err); err == nil || e.Type != tt.errType {
			t.Errorf("UnlinkRetiredEmail(%q, %q) = %v, want %s", tt.id, tt.email, err, tt.errType)
		}
	}
}

func TestProvenEmail(t *testing.T) {
	if _, _, ok := ProvenEmail(nil); ok {
		t.Fatal("no factors prove an email")
	}
	a := FactorMagicLink.Proved("a@acme.com", testNow)
	b := FactorMagicLink.Proved("b@acme.com", testNow.Add(time.Minute))
	b.Type = "email_otp"
	if e, at, ok := ProvenEmail([]AuthFactor{b, a}); !ok || e != "b@acme.com" || !at.Equal(testNow.Add(time.Minute)) {
		t.Fatalf("ProvenEmail = %q %v %v, want the most recent", e, at, ok)
	}
	noEmail := AuthFactor{Type: "totp", LastAuthenticatedAt: testNow.Add(time.Hour)}
	if e, _, _ := ProvenEmail([]AuthFactor{a, noEmail}); e != "a@acme.com" {
		t.Fatalf("a factor without email_factor proves nothing: %q", e)
	}
}

// FuzzEmailChanges drives a member through any sequence of address changes (with and without
// unlink_email), unlinks, deletions and reactivations, and checks the invariants the store's
// guards rely on after every step: no address is held twice, the current one is never retired,
// a deleted member holds nothing, a new address is unverified, and no token issued before a
// change or a deletion is accepted after it.
func FuzzEmailChanges(f *testing.F) {
	f.Add([]byte{0, 1, 2, 1, 0})
	f.Add([]byte{0x11, 0x22, 0x40, 0x50, 0x61})
	f.Add([]byte{0x31, 0x32, 0x33, 0x70, 0x71, 0x40, 0x50})
	emails := []string{"a@acme.com", "b@acme.com", "c@acme.com", "d@acme.com"}
	f.Fuzz(func(t *testing.T, ops []byte) {
		m := validMember()
		m.EmailAddress, m.EmailAddressVerified = emails[0], true
		now := testNow
		for _, op := range ops {
			now = now.Add(time.Millisecond)
			issued := now.Add(-time.Microsecond) // a link sent just before this step
			prev := m
			e := emails[int(op&0x03)]
			switch op >> 4 % 8 {
			case 0, 1, 2, 3: // an email change (by SCIM even while deleted), unlink_email on odd kinds
				next := m
				next.EmailAddress = e
				m = Settle(prev, next, op>>4%2 == 1, now)
			case 4: // delete
				if m.Status == StatusDeleted {
					continue
				}
				next := m
				next.Status = StatusDeleted
				m = Settle(prev, next, false, now)
			case 5: // reactivate
				if m.Status != StatusDeleted {
					continue
				}
				m.Status = StatusActive
				m = Settle(prev, m, false, now)
			default: // unlink a retired address
				if next, err := m.UnlinkRetiredEmail("", e); err == nil {
					m = next
				}
			}
			held := m.HeldEmails()
			for i, h := range held {
				if slices.Contains(held[i+1:], h) {
					t.Fatalf("after op %#x: %s held twice: %+v", op, h, m)
				}
			}
			if slices.ContainsFunc(m.RetiredEmailAddresses, func(r RetiredEmail) bool { return r.EmailAddress == m.EmailAddress }) {
				t.Fatalf("after op %#x: the current address is retired: %+v", op, m)
			}
			if len(m.RetiredEmailAddresses) > MaxRetiredEmails {
				t.Fatalf("after op %#x: %d retired addresses", op, len(m.RetiredEmailAddresses))
			}
			if m.Status == StatusDeleted && (len(held) != 0 || len(m.RetiredEmailAddresses) != 0) {
				t.Fatalf("after op %#x: a deleted member holds %v", op, held)
			}
			changed := m.EmailAddress != prev.EmailAddress
			if changed && m.EmailAddressVerified {
				t.Fatalf("after op %#x: a new address is verified", op)
			}
			if prev.Status == StatusDeleted && m.Status != StatusDeleted && len(m.RetiredEmailAddresses) != 0 {
				t.Fatalf("after op %#x: a reactivated member claims addresses it released: %v", op, m.RetiredEmailAddresses)
			}
			if (changed || m.Status == StatusDeleted && prev.Status != StatusDeleted) && m.Accepts(issued) {
				t.Fatalf("after op %#x: a token issued before the change is still accepted", op)
			}
		}
	})
}
