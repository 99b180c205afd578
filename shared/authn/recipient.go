package authn

import (
	"context"

	latchkey "github.com/latchkey/latchkey/shared"
)

// Recipient is who an emailed login proof (a link or a code) for an address goes to in an
// organization: the member with that address, or a person the organization lets sign up by
// its domain.
type Recipient struct {
	Email        string
	Member       latchkey.Member
	Organization latchkey.Organization
	Found        bool
}

// Recipient finds who a proof sent by method to email in the organization goes to, refusing,
// before anything is written or sent, a method the organization does not allow or a person who
// may not sign up. The login-or-signup of every way in that mails a proof starts here.
func (a *Service) Recipient(ctx context.Context, orgID, email, method string) (Recipient, error) {
	m, org, found, err := latchkey.MemberByEmail(ctx, a.Store, orgID, email)
	r := Recipient{Email: email, Member: m, Organization: org, Found: found}
	if err != nil {
		return r, err
	}
	var mp *latchkey.Member
	if found {
		mp = &m
	}
	if err := org.CheckAuthMethod(method, mp); err != nil {
		return r, err
	}
	if !found {
		return r, org.CheckEmailJIT(email)
	}
	return r, nil
}

// Sent is what a login-or-signup answers: the recipient, as a member, and whether the send
// created it.
type Sent struct {
	Member        latchkey.Member
	MemberCreated bool
	Organization  latchkey.Organization
}

// Enroll makes a recipient who is no member yet a pending member, who becomes active when the
// proof is redeemed. It reports whether it created the member.
func (a *Service) Enroll(ctx context.Context, r Recipient) (latchkey.Member, bool, error) {
	if r.Found {
		return r.Member, false, nil
	}
	org := r.Organization
	m, err := latchkey.NewMember(a.IDs.New("member"), org.OrganizationID,
		latchkey.MemberPatch{EmailAddress: &r.Email, CreateMemberAsPending: true}, a.Clock.Now())
	if err != nil {
		return m, false, err
	}
	if err := a.Store.CreateMember(ctx, m); err != nil {
		if latchkey.ConflictOn(err) == latchkey.ConflictEmail {
			return m, false, a.EmailTaken(ctx, org.OrganizationID, r.Email)
		}
		return m, false, latchkey.OrgErr(err)
	}
	m.Version = 1
	return m, true, nil
}
