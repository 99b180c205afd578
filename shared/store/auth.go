package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/magiclink"
)

// Expiring items (tokens, intermediate sessions, sessions and their id pointers) carry:
//   - exp:  expiry in Unix seconds, checked by conditional writes;
//   - ttl:  the same, for DynamoDB TTL, which may delete days late, so reads check exp too;
//   - gsi1: EXPIRES#<hour> / <exp>#<pk>, the expiry bucket the cleanup walks instead of a Scan.
type expiring struct {
	Exp int64 `dynamo:"exp"`
	TTL int64 `dynamo:"ttl"`
}

func expiryKeys(pk string, exp time.Time) (expiring, string, string) {
	u := exp.Unix()
	return expiring{u, u}, ExpiryBucket(exp), fmt.Sprintf("%012d#%s", u, pk)
}

// ExpiryBucket is the gsi1 partition holding items that expire within exp's hour (UTC).
func ExpiryBucket(exp time.Time) string { return "EXPIRES#" + exp.UTC().Format("2006-01-02T15") }

type tokenItem struct {
	keys
	expiring
	magiclink.Token
	UsedAt *time.Time `dynamo:"used_at,omitempty"`
}

func tokenPK(hash string) string { return "TOKEN#" + hash }

func (s *Store) PutMagicToken(ctx context.Context, t magiclink.Token) error {
	pk := tokenPK(t.Hash)
	exp, bucket, bsk := expiryKeys(pk, t.ExpiresAt)
	it := tokenItem{keys: keys{PK: pk, SK: "TOKEN", GSI1PK: bucket, GSI1SK: bsk}, expiring: exp, Token: t}
	return wrap(s.table.Put(it).If(notExists).Run(ctx))
}

// emailUpdate reserves a member's new address while its email-update link is outstanding.
type emailUpdate struct {
	keys
	expiring
	Target string `dynamo:"target"`
}

func emailUpdateSK(email string) string { return "EMAILUPDATE#" + email }

// emailUpdateFree is the condition under which memberID may reserve, or release, an address:
// nobody holds it, it is memberID's own, or the holder's reservation has expired.
const emailUpdateFree = "attribute_not_exists(pk) OR target = ? OR exp <= ?"

// PutEmailUpdateToken writes the token and the reservation of its address in one transaction.
func (s *Store) PutEmailUpdateToken(ctx context.Context, t magiclink.Token) error {
	pk := tokenPK(t.Hash)
	exp, bucket, bsk := expiryKeys(pk, t.ExpiresAt)
	tok := tokenItem{keys: keys{PK: pk, SK: "TOKEN", GSI1PK: bucket, GSI1SK: bsk}, expiring: exp, Token: t}
	w := &tx{}
	w.put(s.table.Put(tok).If(notExists), latchkey.ConflictExists)
	s.reserveEmailUpdate(w, t.OrganizationID, t.Email, t.MemberID, t.CreatedAt, t.ExpiresAt)
	return s.run(ctx, w)
}

// reserveEmailUpdate adds to w the reservation of email for memberID until exp.
func (s *Store) reserveEmailUpdate(w *tx, orgID, email, memberID string, now, exp time.Time) {
	pk, sk := orgPK(orgID), emailUpdateSK(email)
	e, bucket, bsk := expiryKeys(pk+"#"+sk, exp)
	w.put(s.table.Put(emailUpdate{keys{PK: pk, SK: sk, GSI1PK: bucket, GSI1SK: bsk}, e, memberID}).
		If(emailUpdateFree, memberID, now.Unix()), latchkey.ConflictEmail)
}

// releaseEmailUpdate adds to w the release of memberID's reservation of email.
func (s *Store) releaseEmailUpdate(w *tx, orgID, email, memberID string) {
	w.delete(s.table.Delete(AttrPK, orgPK(orgID)).Range(AttrSK, emailUpdateSK(email)).
		If("attribute_not_exists(pk) OR target = ?", memberID), latchkey.ConflictEmail)
}

func (s *Store) DeleteMagicToken(ctx context.Context, t magiclink.Token) error {
	w := &tx{}
	w.delete(s.table.Delete(AttrPK, tokenPK(t.Hash)).Range(AttrSK, "TOKEN"), latchkey.ConflictExists)
	if t.Kind == magiclink.TokenEmailUpdate {
		s.releaseEmailUpdate(w, t.OrganizationID, t.Email, t.MemberID)
	}
	return s.run(ctx, w)
}

// MagicToken returns an unused token; a used one is ErrNotFound.
func (s *Store) MagicToken(ctx context.Context, hash string) (magiclink.Token, error) {
	var it tokenItem
	err := s.table.Get(AttrPK, tokenPK(hash)).Range(AttrSK, dynamo.Equal, "TOKEN").Consistent(true).One(ctx, &it)
	if err == nil && it.UsedAt != nil {
		return magiclink.Token{}, latchkey.ErrNotFound
	}
	return it.Token, wrap(err)
}

type sessionItem struct {
	keys
	expiring
	authn.Session
}

type sessionPointer struct {
	keys
	expiring
	Target string `dynamo:"target"`
}

func sessionPK(hash string) string     { return "SESSION#" + hash }
func sessionIDPK(id string) string     { return "SESSIONID#" + id }
func memberSessionsPK(m string) string { return "MEMBER#" + m }

func newSessionItems(sess authn.Session, ttl time.Time) (sessionItem, sessionPointer) {
	pk := sessionPK(sess.TokenHash)
	exp, bucket, bsk := expiryKeys(pk, ttl)
	it := sessionItem{keys{PK: pk, SK: "SESSION", GSI1PK: bucket, GSI1SK: bsk,
		GSI2PK: memberSessionsPK(sess.MemberID), GSI2SK: "SESSION#" + sess.MemberSessionID}, exp, sess}
	ppk := sessionIDPK(sess.MemberSessionID)
	pexp, pbucket, pbsk := expiryKeys(ppk, ttl)
	ptr := sessionPointer{keys{PK: ppk, SK: "SESSIONID", GSI1PK: pbucket, GSI1SK: pbsk}, pexp, sess.TokenHash}
	return it, ptr
}

type istItem struct {
	keys
	expiring
	authn.IntermediateSession
	UsedAt *time.Time `dynamo:"used_at,omitempty"`
}

func istPK(hash string) string { return "IST#" + hash }

func (s *Store) istPut(ist authn.IntermediateSession) *dynamo.Put {
	pk := istPK(ist.Hash)
	exp, bucket, bsk := expiryKeys(pk, ist.ExpiresAt)
	return s.table.Put(istItem{keys: keys{PK: pk, SK: "IST", GSI1PK: bucket, GSI1SK: bsk}, expiring: exp, IntermediateSession: ist}).If(notExists)
}

func (s *Store) IntermediateSession(ctx context.Context, hash string) (authn.IntermediateSession, error) {
	var it istItem
	err := s.table.Get(AttrPK, istPK(hash)).Range(AttrSK, dynamo.Equal, "IST").Consistent(true).One(ctx, &it)
	if err == nil && it.UsedAt != nil {
		return authn.IntermediateSession{}, latchkey.ErrNotFound
	}
	return it.IntermediateSession, wrap(err)
}

func (s *Store) PutIntermediateSession(ctx context.Context, ist authn.IntermediateSession) error {
	return wrap(s.istPut(ist).Run(ctx))
}

// Redeem is the single transaction that turns proof of identity into a session: it consumes
// the emailed token, the code or the intermediate session only if it is unused and unexpired (so of two
// concurrent redemptions exactly one commits), creates the organization if asked, creates or
// updates the member, and writes the session or a new intermediate session.
func (s *Store) Redeem(ctx context.Context, r authn.Redemption) error {
	t := &tx{}
	consume := func(pk, sk string) {
		t.update(s.table.Update(AttrPK, pk).Range(AttrSK, sk).Set("used_at", r.Now).
			If("attribute_exists(pk) AND attribute_not_exists(used_at) AND exp > ?", r.Now.Unix()), latchkey.ConflictExists)
	}
	if r.TokenHash != "" {
		consume(tokenPK(r.TokenHash), "TOKEN")
	}
	if r.IntermediateHash != "" {
		consume(istPK(r.IntermediateHash), "IST")
	}
	if c := r.Code; c != nil {
		pk, sk := codeKey(c.OrganizationID, c.Email)
		t.update(s.table.Update(AttrPK, pk).Range(AttrSK, sk).Set("used_at", r.Now).
			If("attribute_exists(pk) AND attribute_not_exists(used_at) AND exp > ? AND CodeHash = ?", r.Now.Unix(), c.Hash),
			latchkey.ConflictExists)
	}
	if r.NewOrganization != nil {
		o := *r.NewOrganization
		o.Version = 1
		t.put(s.putGuard(slugGuard(o.OrganizationSlug, o.OrganizationID)), latchkey.ConflictSlug)
		if o.OrganizationExternalID != "" {
			t.put(s.putGuard(orgExtGuard(o.OrganizationExternalID, o.OrganizationID)), latchkey.ConflictExternalID)
		}
		t.put(s.table.Put(newOrgItem(ctx, o)).If(notExists), latchkey.ConflictOrganization)
		s.domainOps(t, nil, o.EmailAllowedDomains, o.OrganizationID)
	}
	switch {
	case r.MemberCreate:
		m := r.MemberNext
		m.Version = 1
		if r.NewOrganization == nil {
			t.check(s.table.Check(AttrPK, orgPK(m.OrganizationID)).Range(AttrSK, skOrg).If("attribute_exists(pk)"), latchkey.ConflictOrganization)
		}
		t.put(s.putGuard(emailGuard(m.OrganizationID, m.EmailAddress, m.MemberID)), latchkey.ConflictEmail)
		s.ssoSubjectOps(t, latchkey.Member{}, m)
		t.put(s.table.Put(newMemberItem(ctx, m)).If(notExists), latchkey.ConflictEmail)
	case r.MemberChanged:
		s.memberOps(ctx, t, r.MemberPrev, r.MemberNext)
	case r.MemberPrev.MemberID != "":
		t.check(s.table.Check(AttrPK, orgPK(r.MemberPrev.OrganizationID)).Range(AttrSK, memberSK(r.MemberPrev.MemberID)).
			If("Version = ?", r.MemberPrev.Version), latchkey.ConflictVersion)
	}
	if r.Session != nil {
		it, ptr := newSessionItems(*r.Session, r.SessionTTL)
		t.put(s.table.Put(it).If(notExists), latchkey.ConflictExists)
		t.put(s.table.Put(ptr).If(notExists), latchkey.ConflictExists)
	}
	if r.Intermediate != nil {
		t.put(s.istPut(*r.Intermediate), latchkey.ConflictExists)
	}
	if r.Password != nil {
		s.passwordOps(t, *r.Password, false)
	}
	if r.Refund != nil {
		s.refundOps(t, r.Refund)
	}
	if r.TOTP != nil {
		s.totpOps(t, *r.TOTP, false)
	}
	if r.SMSCode != nil {
		s.smsCodeOps(t, r.SMSCode, r.Now)
	}
	if r.EmailUpdate != "" {
		m := r.MemberNext
		t.delete(s.table.Delete(AttrPK, orgPK(m.OrganizationID)).Range(AttrSK, emailUpdateSK(r.EmailUpdate)).
			If(emailUpdateFree, m.MemberID, r.Now.Unix()), latchkey.ConflictEmail)
	}
	return s.run(ctx, t)
}

// SessionBundle reads the session, its member and its organization in one BatchGetItem; the
// session token names the member and organization, which is what makes that possible.
func (s *Store) SessionBundle(ctx context.Context, tokenHash, orgID, memberID string) (authn.Session, latchkey.Member, latchkey.Organization, error) {
	var raw []dynamo.Item
	err := s.table.Batch(AttrPK, AttrSK).Get(
		dynamo.Keys{sessionPK(tokenHash), "SESSION"},
		dynamo.Keys{orgPK(orgID), skOrg},
		dynamo.Keys{orgPK(orgID), memberSK(memberID)},
	).Consistent(true).All(ctx, &raw)
	var sess sessionItem
	var mem memberItem
	var org orgItem
	if err = wrap(err); err != nil && err != latchkey.ErrNotFound {
		return sess.Session, mem.Member, org.Organization, err
	}
	for _, it := range raw {
		sk, _ := it[AttrSK].(*types.AttributeValueMemberS)
		var target any
		switch {
		case sk == nil:
			continue
		case sk.Value == "SESSION":
			target = &sess
		case sk.Value == skOrg:
			target = &org
		default:
			target = &mem
		}
		if err := dynamo.UnmarshalItem(it, target); err != nil {
			return sess.Session, mem.Member, org.Organization, err
		}
	}
	if sess.MemberSessionID == "" || mem.MemberID == "" || org.OrganizationID == "" {
		return sess.Session, mem.Member, org.domain(), latchkey.ErrNotFound
	}
	return sess.Session, mem.Member, org.domain(), nil
}

func (s *Store) SessionByHash(ctx context.Context, tokenHash string) (authn.Session, error) {
	var it sessionItem
	err := s.table.Get(AttrPK, sessionPK(tokenHash)).Range(AttrSK, dynamo.Equal, "SESSION").Consistent(true).One(ctx, &it)
	return it.Session, wrap(err)
}

func (s *Store) SessionHashByID(ctx context.Context, sessionID string) (string, error) {
	var p sessionPointer
	err := s.table.Get(AttrPK, sessionIDPK(sessionID)).Range(AttrSK, dynamo.Equal, "SESSIONID").Consistent(true).One(ctx, &p)
	return p.Target, wrap(err)
}

// UpdateSession rewrites a session that still exists (a revoked one stays revoked).
func (s *Store) UpdateSession(ctx context.Context, sess authn.Session) error {
	it, ptr := newSessionItems(sess, sess.ExpiresAt)
	t := &tx{}
	t.put(s.table.Put(it).If("attribute_exists(pk)"), latchkey.ConflictExists)
	t.put(s.table.Put(ptr).If("attribute_exists(pk)"), latchkey.ConflictExists)
	err := s.run(ctx, t)
	if _, ok := err.(*latchkey.Conflict); ok {
		return latchkey.ErrNotFound
	}
	return err
}

func (s *Store) SessionsForMember(ctx context.Context, memberID string) ([]authn.Session, error) {
	var items []sessionItem
	err := s.table.Get(AttrGSI2PK, memberSessionsPK(memberID)).Range(AttrGSI2SK, dynamo.BeginsWith, "SESSION#").
		Index(IndexGSI2).All(ctx, &items)
	if err != nil {
		return nil, wrap(err)
	}
	out := make([]authn.Session, 0, len(items))
	for _, it := range items {
		out = append(out, it.Session)
	}
	return out, nil
}

// DeleteSessions removes sessions and their id pointers. Deleting what is already gone is fine.
func (s *Store) DeleteSessions(ctx context.Context, sessions []authn.Session) error {
	if len(sessions) == 0 {
		return nil
	}
	del := make([]dynamo.Keyed, 0, 2*len(sessions))
	for _, sess := range sessions {
		del = append(del, dynamo.Keys{sessionPK(sess.TokenHash), "SESSION"}, dynamo.Keys{sessionIDPK(sess.MemberSessionID), "SESSIONID"})
	}
	_, err := s.table.Batch(AttrPK, AttrSK).Write().Delete(del...).Run(ctx)
	return wrap(err)
}

var (
	_ authn.Store     = (*Store)(nil)
	_ magiclink.Store = (*Store)(nil)
)
