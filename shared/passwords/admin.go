package passwords

import (
	"context"
	"errors"

	latchkey "github.com/latchkey/latchkey/shared"
)

// DeletePassword removes a member's password (Members.DeletePassword): the member can no
// longer log in by password until one is set again. Across organizations the address's one
// password goes, for every organization; the call must still name it through a member of this
// organization that uses it.
func (s *Service) DeletePassword(ctx context.Context, orgID, passwordID string) (latchkey.Member, latchkey.Organization, error) {
	if orgID == "" || passwordID == "" {
		return latchkey.Member{}, latchkey.Organization{}, latchkey.BadRequest(latchkey.TypeBadRequest, "organization_id and member_password_id are required.")
	}
	for attempt := 0; ; attempt++ {
		pw, err := s.Store.PasswordByID(ctx, passwordID)
		if errors.Is(err, latchkey.ErrNotFound) || err == nil && pw.OrganizationID != "" && pw.OrganizationID != orgID {
			if _, err := s.Store.Organization(ctx, orgID); err != nil {
				return latchkey.Member{}, latchkey.Organization{}, latchkey.OrgErr(err)
			}
			return latchkey.Member{}, latchkey.Organization{}, PasswordNotFound()
		}
		if err != nil {
			return latchkey.Member{}, latchkey.Organization{}, err
		}
		m, org, found, err := latchkey.MemberByEmail(ctx, s.Store, orgID, pw.Email)
		if err != nil {
			return m, org, err
		}
		if !found || m.MemberPasswordID != pw.PasswordID {
			return m, org, PasswordNotFound()
		}
		next := m
		next.MemberPasswordID, next.UpdatedAt = "", s.Clock.Now()
		err = s.Store.SavePassword(ctx, Write{MemberPrev: m, MemberNext: next, Password: latchkey.PasswordChange{Prev: pw}, Delete: true})
		if latchkey.ConflictOn(err) == "" {
			return next.Presented(org), org, err
		}
		if attempt+1 >= latchkey.MaxAttempts {
			return m, org, latchkey.ConcurrentUpdate()
		}
		latchkey.Backoff(ctx, attempt)
	}
}

// RequireResetRequest is the body of Passwords.Email.RequireReset.
type RequireResetRequest struct {
	EmailAddress   string `json:"email_address"`
	OrganizationID string `json:"organization_id"`
	MemberID       string `json:"member_id"`
}

// RequireResetResult is the member the request named, if it named one.
type RequireResetResult struct {
	Member       *latchkey.Member
	Organization *latchkey.Organization
}

// RequireReset makes an address's password unusable until it is reset by email
// (cross-organization passwords only, as in Stytch). When only one live member uses the
// address the password is deleted outright; otherwise it is marked, and logins answer
// member_reset_password until a reset.
func (s *Service) RequireReset(ctx context.Context, r RequireResetRequest) (RequireResetResult, error) {
	var res RequireResetResult
	if !s.crossOrg() {
		return res, CrossOrgOnly()
	}
	email, err := latchkey.NormalizeEmail(r.EmailAddress)
	if err != nil {
		return res, err
	}
	if r.OrganizationID != "" {
		var m latchkey.Member
		var org latchkey.Organization
		if r.MemberID != "" {
			m, org, err = latchkey.MemberAndOrg(ctx, s.Store, r.OrganizationID, r.MemberID)
			if err == nil && m.EmailAddress != email {
				err = latchkey.MemberNotFound()
			}
		} else {
			var found bool
			m, org, found, err = latchkey.MemberByEmail(ctx, s.Store, r.OrganizationID, email)
			if err == nil && !found {
				err = latchkey.MemberNotFound()
			}
		}
		if err != nil {
			return res, err
		}
		p := m.Presented(org)
		res.Member, res.Organization = &p, &org
	}
	for attempt := 0; ; attempt++ {
		pw, err := s.Store.Password(ctx, "", email)
		if errors.Is(err, latchkey.ErrNotFound) {
			return res, PasswordNotFound()
		}
		if err != nil {
			return res, err
		}
		members, err := s.Store.MembersByEmail(ctx, email)
		if err != nil {
			return res, err
		}
		live := 0
		for _, m := range members {
			if m.Status == latchkey.StatusActive {
				live++
			}
		}
		w := Write{Password: latchkey.PasswordChange{Prev: pw}}
		if live <= 1 {
			w.Delete = true
		} else {
			next := *pw
			next.ResetRequired, next.UpdatedAt, next.Version = true, s.Clock.Now(), pw.Version+1
			w.Password.Next = &next
		}
		err = s.Store.SavePassword(ctx, w)
		if latchkey.ConflictOn(err) == "" {
			return res, err
		}
		if attempt+1 >= latchkey.MaxAttempts {
			return res, latchkey.ConcurrentUpdate()
		}
		latchkey.Backoff(ctx, attempt)
	}
}
