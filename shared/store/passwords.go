package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
	"golang.org/x/sync/errgroup"

	latchkey "github.com/latchkey/latchkey/shared"
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

// failureItem counts wrong passwords in a row for an address from a client, and holds the lock.
type failureItem struct {
	PK          string `dynamo:"pk"`
	SK          string `dynamo:"sk"`
	Failures    int    `dynamo:"failures"`
	LockedUntil int64  `dynamo:"locked_until"`
	TTL         int64  `dynamo:"ttl"`
}

func failurePK(key string) string { return "PWFAIL#" + key }

// ratePK is a rate counter's item for the window holding now (see Hit).
func ratePK(c latchkey.RateCounter, now time.Time) (string, time.Time) {
	start := now.Truncate(c.Window)
	return fmt.Sprintf("RATE#%s#%d", c.Key, start.Unix()), start
}

type rateItem struct {
	PK   string `dynamo:"pk"`
	Hits int    `dynamo:"hits"`
}

// PasswordLogin reads a login's state in one round trip: a Query of the email index for the
// member, beside one BatchGetItem for the organization, the password, the lock and the caps.
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
	get := []dynamo.Keyed{dynamo.Keys{ppk, psk}, dynamo.Keys{failurePK(q.FailureKey), "PWFAIL"}}
	if q.OrganizationID != "" {
		get = append(get, dynamo.Keys{orgPK(q.OrganizationID), skOrg})
	}
	limits := map[string]int{}
	for _, c := range q.Caps {
		pk, _ := ratePK(c, q.Now)
		limits[pk] = c.Limit
		get = append(get, dynamo.Keys{pk, "RATE"})
	}
	var raw []dynamo.Item
	g.Go(func() error {
		err := wrap(s.table.Batch(AttrPK, AttrSK).Get(get...).Consistent(true).All(ctx, &raw))
		if err == latchkey.ErrNotFound {
			return nil
		}
		return err
	})
	if err := g.Wait(); err != nil {
		return st, err
	}
	var org orgItem
	for _, it := range raw {
		pk, _ := it[AttrPK].(*types.AttributeValueMemberS)
		sk, _ := it[AttrSK].(*types.AttributeValueMemberS)
		if pk == nil || sk == nil {
			continue
		}
		var err error
		switch {
		case sk.Value == skOrg:
			err = dynamo.UnmarshalItem(it, &org)
		case sk.Value == psk && pk.Value == ppk:
			var p passwordItem
			if err = dynamo.UnmarshalItem(it, &p); err == nil {
				st.Password = &p.Password
			}
		case sk.Value == "PWFAIL":
			var f failureItem
			if err = dynamo.UnmarshalItem(it, &f); err == nil && f.TTL > q.Now.Unix() {
				st.Failures, st.LockedUntil = f.Failures, time.Unix(f.LockedUntil, 0)
			}
		case sk.Value == "RATE":
			var r rateItem
			if err = dynamo.UnmarshalItem(it, &r); err == nil && r.Hits >= limits[r.PK] {
				st.Capped = true
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

// PasswordFailed counts a wrong password: on the lock (locking until lockUntil when set, and
// starting the count again) and on each cap, in one transaction.
func (s *Store) PasswordFailed(ctx context.Context, q passwords.LoginQuery, lockUntil time.Time) error {
	t := &tx{}
	u := s.table.Update(AttrPK, failurePK(q.FailureKey)).Range(AttrSK, "PWFAIL")
	if lockUntil.After(q.Now) {
		u = u.Set("failures", 0).Set("locked_until", lockUntil.Unix()).Set(AttrTTL, lockUntil.Unix())
	} else {
		u = u.Add("failures", 1).Set(AttrTTL, q.Now.Add(passwords.LockDuration).Unix())
	}
	t.update(u, "")
	for _, c := range q.Caps {
		pk, start := ratePK(c, q.Now)
		t.update(s.table.Update(AttrPK, pk).Range(AttrSK, "RATE").Add("hits", 1).Set(AttrTTL, start.Add(c.Window).Unix()), "")
	}
	return s.run(ctx, t)
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
		t.put(s.table.Put(newMemberItem(m)).If(notExists), latchkey.ConflictExists)
	case w.MemberNext.MemberID != "":
		s.memberOps(t, w.MemberPrev, w.MemberNext)
	}
	s.passwordOps(t, w.Password, w.Delete)
	return s.run(ctx, t)
}

var _ passwords.Store = (*Store)(nil)
