package store

import (
	"context"
	"time"

	"github.com/guregu/dynamo/v2"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/otp"
)

// codeItem is an emailed one-time code. There is one per organization and email (or per email
// for discovery): sending a new code overwrites the last, so only the most recent works, as in
// Stytch. It is consumed in authn's Redeem transaction, and burnt after too many wrong tries.
type codeItem struct {
	keys
	expiring
	otp.Code
	UsedAt *time.Time `dynamo:"used_at,omitempty"`
}

// codeKey is where a code lives: in the organization's partition, or, for discovery (no
// organization), under the email.
func codeKey(orgID, email string) (pk, sk string) {
	if orgID == "" {
		return "DCODE#" + email, "CODE"
	}
	return orgPK(orgID), "CODE#" + email
}

// PutCode stores c, replacing any earlier code for the same organization and email.
func (s *Store) PutCode(ctx context.Context, c otp.Code) error {
	pk, sk := codeKey(c.OrganizationID, c.Email)
	exp, bucket, bsk := expiryKeys(pk+"#"+sk, c.ExpiresAt)
	w := &tx{}
	w.put(s.table.Put(codeItem{keys: keys{PK: pk, SK: sk, GSI1PK: bucket, GSI1SK: bsk}, expiring: exp, Code: c}), latchkey.ConflictExists)
	if c.Kind == otp.KindEmailUpdate {
		s.reserveEmailUpdate(w, c.OrganizationID, c.Email, c.MemberID, c.CreatedAt, c.ExpiresAt)
		// The caller read that nobody holds the address; checking it here too means an update
		// code never replaces the code of a member who took the address meanwhile.
		g := emailGuard(c.OrganizationID, c.Email, c.MemberID)
		w.check(s.table.Check(AttrPK, g.PK).Range(AttrSK, g.SK).If("attribute_not_exists(pk) OR target = ?", c.MemberID), latchkey.ConflictEmail)
	}
	return s.run(ctx, w)
}

// TryCode counts one try at the code for the organization and email and returns it, in one
// conditional update: a code that is used, expired or out of tries is not found. Counting
// before the comparison is what bounds guessing, however many tries arrive at once.
func (s *Store) TryCode(ctx context.Context, orgID, email string, now time.Time) (otp.Code, error) {
	pk, sk := codeKey(orgID, email)
	var it codeItem
	err := s.table.Update(AttrPK, pk).Range(AttrSK, sk).Add("Attempts", 1).
		If("attribute_exists(pk) AND attribute_not_exists(used_at) AND exp > ? AND Attempts < ?", now.Unix(), otp.MaxAttempts).
		Value(ctx, &it)
	if dynamo.IsCondCheckFailed(err) {
		return otp.Code{}, latchkey.ErrNotFound
	}
	return it.Code, wrap(err)
}

// DeleteCode removes a code nobody received.
func (s *Store) DeleteCode(ctx context.Context, c otp.Code) error {
	pk, sk := codeKey(c.OrganizationID, c.Email)
	w := &tx{}
	w.delete(s.table.Delete(AttrPK, pk).Range(AttrSK, sk).If("CodeHash = ?", c.CodeHash), latchkey.ConflictExists)
	if c.Kind == otp.KindEmailUpdate {
		s.releaseEmailUpdate(w, c.OrganizationID, c.Email, c.MemberID)
	}
	err := s.run(ctx, w)
	if _, ok := err.(*latchkey.Conflict); ok {
		return nil // replaced by a newer code, or already gone: nothing of ours to delete
	}
	return err
}

var _ otp.Store = (*Store)(nil)
