package store

import (
	"context"
	"time"

	"github.com/guregu/dynamo/v2"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/mfa"
)

// totpItem is a member's TOTP registration, with its recovery codes' hashes.
type totpItem struct {
	keys
	latchkey.TOTP
}

func totpKey(orgID, memberID string) (pk, sk string) { return orgPK(orgID), "TOTP#" + memberID }

// TOTP reads a member's registration.
func (s *Store) TOTP(ctx context.Context, orgID, memberID string) (*latchkey.TOTP, error) {
	pk, sk := totpKey(orgID, memberID)
	var it totpItem
	if err := s.table.Get(AttrPK, pk).Range(AttrSK, dynamo.Equal, sk).Consistent(true).One(ctx, &it); err != nil {
		return nil, wrap(err)
	}
	return &it.TOTP, nil
}

// totpOps adds to t a registration change: Next over Prev (or over nothing), Prev deleted, or
// Prev checked unchanged.
func (s *Store) totpOps(t *tx, c latchkey.TOTPChange, remove bool) {
	cond, args := notExists, []any(nil)
	if c.Prev != nil {
		cond, args = "Version = ?", []any{c.Prev.Version}
	}
	switch {
	case remove && c.Prev != nil:
		pk, sk := totpKey(c.Prev.OrganizationID, c.Prev.MemberID)
		t.delete(s.table.Delete(AttrPK, pk).Range(AttrSK, sk).If(cond, args...), latchkey.ConflictVersion)
	case c.Next != nil:
		pk, sk := totpKey(c.Next.OrganizationID, c.Next.MemberID)
		t.put(s.table.Put(totpItem{keys{PK: pk, SK: sk}, *c.Next}).If(cond, args...), latchkey.ConflictVersion)
	case c.Prev != nil:
		pk, sk := totpKey(c.Prev.OrganizationID, c.Prev.MemberID)
		t.check(s.table.Check(AttrPK, pk).Range(AttrSK, sk).If(cond, args...), latchkey.ConflictVersion)
	}
}

// SaveTOTP writes a registration change with the member's in one transaction.
func (s *Store) SaveTOTP(ctx context.Context, w mfa.TOTPWrite) error {
	t := &tx{}
	if w.MemberNext.MemberID != "" {
		s.memberOps(ctx, t, w.MemberPrev, w.MemberNext)
	}
	s.totpOps(t, w.Change, w.Delete)
	return s.run(ctx, t)
}

func smsCodeKey(orgID, memberID string) (pk, sk string) { return orgPK(orgID), "SMSCODE#" + memberID }

// PutSMSCode stores a member's SMS code, replacing the last.
func (s *Store) PutSMSCode(ctx context.Context, c authn.Code) error {
	pk, sk := smsCodeKey(c.OrganizationID, c.MemberID)
	exp, bucket, bsk := expiryKeys(pk+"#"+sk, c.ExpiresAt)
	return wrap(s.table.Put(codeItem{keys: keys{PK: pk, SK: sk, GSI1PK: bucket, GSI1SK: bsk}, expiring: exp, Code: c}).Run(ctx))
}

// TrySMSCode counts one try at the member's code and returns it, in one conditional update.
func (s *Store) TrySMSCode(ctx context.Context, orgID, memberID string, now time.Time) (authn.Code, error) {
	pk, sk := smsCodeKey(orgID, memberID)
	var it codeItem
	err := s.table.Update(AttrPK, pk).Range(AttrSK, sk).Add("Attempts", 1).
		If("attribute_exists(pk) AND attribute_not_exists(used_at) AND exp > ? AND Attempts < ?", now.Unix(), mfa.SMSMaxAttempts).
		Value(ctx, &it)
	if dynamo.IsCondCheckFailed(err) {
		return authn.Code{}, latchkey.ErrNotFound
	}
	return it.Code, wrap(err)
}

// smsCodeOps adds to t the consumption of a member's SMS code, if it is still the one read.
func (s *Store) smsCodeOps(t *tx, c *latchkey.SMSCodeRef, now time.Time) {
	pk, sk := smsCodeKey(c.OrganizationID, c.MemberID)
	t.update(s.table.Update(AttrPK, pk).Range(AttrSK, sk).Set("used_at", now).
		If("attribute_exists(pk) AND attribute_not_exists(used_at) AND exp > ? AND CodeHash = ?", now.Unix(), c.Hash), latchkey.ConflictExists)
}

// PhoneHolder tells which member of the organization has the MFA phone number.
func (s *Store) PhoneHolder(ctx context.Context, orgID, phone string) (string, error) {
	g := phoneGuard(orgID, phone, "")
	var out guard
	err := s.table.Get(AttrPK, g.PK).Range(AttrSK, dynamo.Equal, g.SK).Consistent(true).One(ctx, &out)
	return out.Target, wrap(err)
}

var _ mfa.Store = (*Store)(nil)
