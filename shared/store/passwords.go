package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
	"golang.org/x/sync/errgroup"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/passwords"
)

// passwordItem is a password credential: under its organization when organization-scoped,
// under its address across organizations. gsi2 finds it by member_password_id.
type passwordItem struct {
	keys
	latchkey.Password
}

func passwordKey(orgID, email string) (pk, sk string) {
	if orgID == "" {
		return "PASSWORD#" + email, "PASSWORD"
	}
	return orgPK(orgID), "PASSWORD#" + email
}

func newPasswordItem(p latchkey.Password) passwordItem {
	pk, sk := passwordKey(p.OrganizationID, p.Email)
	return passwordItem{keys{PK: pk, SK: sk, GSI2PK: "PWID#" + p.PasswordID, GSI2SK: "PASSWORD"}, p}
}

// ratePK is a rate counter's item for the window holding now (see Hit).
func ratePK(c latchkey.RateCounter, now time.Time) (string, time.Time) {
	start := now.Truncate(c.Window)
	return fmt.Sprintf("RATE#%s#%d", c.Key, start.Unix()), start
}

// PasswordLogin reads a login's state and reserves its try, in one round trip of three calls
// side by side: a Query of the email index for the member, one BatchGetItem for the
// organization and the password, and the reservation, a transaction that counts the try on the
// lock and on each cap only if none is at its limit. Reserving before the hash means parallel
// guesses cannot all pass a limit they read at once.
func (s *Store) PasswordLogin(ctx context.Context, q passwords.LoginQuery) (passwords.LoginState, error) {
	var st passwords.LoginState
	var g errgroup.Group
	if q.OrganizationID != "" {
		g.Go(func() error {
			var items []memberItem
			err := s.table.Get(AttrGSI1PK, "EMAIL#"+q.Email).Range(AttrGSI1SK, dynamo.Equal, orgPK(q.OrganizationID)).
				Index(IndexGSI1).Limit(1).All(ctx, &items)
			if len(items) == 1 {
				st.Member, st.Found = items[0].Member, true
			}
			return wrap(err)
		})
	}
	pwOrg := q.OrganizationID
	if q.CrossOrg {
		pwOrg = ""
	}
	ppk, psk := passwordKey(pwOrg, q.Email)
	get := []dynamo.Keyed{dynamo.Keys{ppk, psk}}
	if q.OrganizationID != "" {
		get = append(get, dynamo.Keys{orgPK(q.OrganizationID), skOrg})
	}
	var raw []dynamo.Item
	g.Go(func() error {
		err := wrap(s.table.Batch(AttrPK, AttrSK).Get(get...).Consistent(true).All(ctx, &raw))
		if err == latchkey.ErrNotFound {
			return nil
		}
		return err
	})
	g.Go(func() error {
		t := &tx{}
		for i, c := range append([]latchkey.RateCounter{q.Lock}, q.Caps...) {
			pk, start := ratePK(c, q.Now)
			on := "cap"
			if i == 0 {
				on = "lock"
			}
			t.update(s.table.Update(AttrPK, pk).Range(AttrSK, "RATE").Add("hits", 1).Set(AttrTTL, start.Add(c.Window).Unix()).
				If("attribute_not_exists(hits) OR hits < ?", c.Limit), on)
		}
		err := s.run(ctx, t)
		if c, ok := err.(*latchkey.Conflict); ok {
			st.Locked, st.Capped = c.On == "lock", c.On == "cap"
			return nil
		}
		return err
	})
	if err := g.Wait(); err != nil {
		return st, err
	}
	var org orgItem
	for _, it := range raw {
		var err error
		if sk, _ := it[AttrSK].(*types.AttributeValueMemberS); sk != nil && sk.Value == skOrg {
			err = dynamo.UnmarshalItem(it, &org)
		} else {
			var p passwordItem
			if err = dynamo.UnmarshalItem(it, &p); err == nil {
				st.Password = &p.Password
			}
		}
		if err != nil {
			return st, err
		}
	}
	if q.OrganizationID != "" {
		if org.OrganizationID == "" {
			return st, latchkey.ErrNotFound
		}
		st.Organization = org.domain()
	}
	return st, nil
}

// refundOps adds to t the refund of a successful login's reserved tries.
// The items are those of the reservation's windows (r.At), unconditionally: a condition
// failing here would fail the login.
func (s *Store) refundOps(t *tx, r *authn.TryRefund) {
	pk, _ := ratePK(r.Reset, r.At)
	t.delete(s.table.Delete(AttrPK, pk).Range(AttrSK, "RATE"), "")
	for _, c := range r.Caps {
		pk, start := ratePK(c, r.At)
		t.update(s.table.Update(AttrPK, pk).Range(AttrSK, "RATE").Add("hits", -1).Set(AttrTTL, start.Add(c.Window).Unix()), "")
	}
}

// Password reads the password for an address; orgID "" reads a cross-organization one.
func (s *Store) Password(ctx context.Context, orgID, email string) (*latchkey.Password, error) {
	pk, sk := passwordKey(orgID, email)
	var it passwordItem
	if err := s.table.Get(AttrPK, pk).Range(AttrSK, dynamo.Equal, sk).Consistent(true).One(ctx, &it); err != nil {
		return nil, wrap(err)
	}
	return &it.Password, nil
}

// PasswordByID finds a password by member_password_id (gsi2).
func (s *Store) PasswordByID(ctx context.Context, id string) (*latchkey.Password, error) {
	var it passwordItem
	err := s.table.Get(AttrGSI2PK, "PWID#"+id).Range(AttrGSI2SK, dynamo.Equal, "PASSWORD").Index(IndexGSI2).One(ctx, &it)
	if err != nil {
		return nil, wrap(err)
	}
	return &it.Password, nil
}

// passwordOps adds to t a password change: Next written over Prev (or over nothing), Prev
// deleted, or Prev checked unchanged.
func (s *Store) passwordOps(t *tx, c latchkey.PasswordChange, remove bool) {
	cond := func(p *latchkey.Password) (string, []any) {
		if p == nil {
			return notExists, nil
		}
		return "Version = ?", []any{p.Version}
	}
	switch {
	case remove && c.Prev != nil:
		pk, sk := passwordKey(c.Prev.OrganizationID, c.Prev.Email)
		expr, args := cond(c.Prev)
		t.delete(s.table.Delete(AttrPK, pk).Range(AttrSK, sk).If(expr, args...), latchkey.ConflictVersion)
	case c.Next != nil:
		expr, args := cond(c.Prev)
		t.put(s.table.Put(newPasswordItem(*c.Next)).If(expr, args...), latchkey.ConflictVersion)
	case c.Prev != nil:
		pk, sk := passwordKey(c.Prev.OrganizationID, c.Prev.Email)
		expr, args := cond(c.Prev)
		t.check(s.table.Check(AttrPK, pk).Range(AttrSK, sk).If(expr, args...), latchkey.ConflictVersion)
	}
}

// SavePassword writes a password change with the member it concerns in one transaction.
func (s *Store) SavePassword(ctx context.Context, w passwords.Write) error {
	t := &tx{}
	switch {
	case w.Create:
		m := w.MemberNext
		m.Version = 1
		org := m.OrganizationID
		t.check(s.table.Check(AttrPK, orgPK(org)).Range(AttrSK, skOrg).If("attribute_exists(pk)"), latchkey.ConflictOrganization)
		t.put(s.putGuard(emailGuard(org, m.EmailAddress, m.MemberID)), latchkey.ConflictEmail)
		if m.ExternalID != "" {
			t.put(s.putGuard(extGuard(org, m.ExternalID, m.MemberID)), latchkey.ConflictExternalID)
		}
		if m.MFAPhoneNumber != "" {
			t.put(s.putGuard(phoneGuard(org, m.MFAPhoneNumber, m.MemberID)), latchkey.ConflictPhone)
		}
		t.put(s.table.Put(newMemberItem(ctx, m)).If(notExists), latchkey.ConflictExists)
	case w.MemberNext.MemberID != "":
		s.memberOps(ctx, t, w.MemberPrev, w.MemberNext)
	}
	s.passwordOps(t, w.Password, w.Delete)
	return s.run(ctx, t)
}

var _ passwords.Store = (*Store)(nil)
