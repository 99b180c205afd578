package store

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	latchkey "github.com/latchkey/latchkey/shared"
)

// CreateMember writes the member with its email (and external id) guards in one transaction
// that also checks the organization still exists.
func (s *Store) CreateMember(ctx context.Context, m latchkey.Member) error {
	m.Version = 1
	org := m.OrganizationID
	t := &tx{}
	t.check(s.table.Check(AttrPK, orgPK(org)).Range(AttrSK, skOrg).If("attribute_exists(pk)"), latchkey.ConflictOrganization)
	t.put(s.putGuard(emailGuard(org, m.EmailAddress, m.MemberID)), latchkey.ConflictEmail)
	if m.ExternalID != "" {
		t.put(s.putGuard(extGuard(org, m.ExternalID, m.MemberID)), latchkey.ConflictExternalID)
	}
	if m.MFAPhoneNumber != "" {
		t.put(s.putGuard(phoneGuard(org, m.MFAPhoneNumber, m.MemberID)), latchkey.ConflictPhone)
	}
	s.ssoSubjectOps(t, latchkey.Member{}, m)
	t.put(s.table.Put(newMemberItem(ctx, m)).If(notExists), latchkey.ConflictExists)
	return s.run(ctx, t)
}

// ssoSubjectOps takes the subject guards of the SSO registrations next gains and releases
// those it no longer holds (all of them when it is deleted).
func (s *Store) ssoSubjectOps(t *tx, prev, next latchkey.Member) {
	keys := func(m latchkey.Member) []guard {
		if m.MemberID == "" || m.Status == latchkey.StatusDeleted {
			return nil
		}
		var out []guard
		for _, r := range m.SSORegistrations {
			out = append(out, ssoSubjectGuard(m.OrganizationID, r.ConnectionID, r.ExternalID, m.MemberID))
		}
		for _, r := range m.OAuthRegistrations {
			out = append(out, oauthSubjectGuard(m.OrganizationID, r.ProviderType, r.Key, m.MemberID))
		}
		return out
	}
	held, wanted := keys(prev), keys(next)
	for _, g := range wanted {
		if !slices.Contains(held, g) {
			t.put(s.putGuard(g), latchkey.ConflictSSOSubject)
		}
	}
	for _, g := range held {
		if !slices.Contains(wanted, g) {
			t.delete(s.table.Delete(AttrPK, g.PK).Range(AttrSK, g.SK).If("attribute_not_exists(pk) OR target = ?", g.Target), latchkey.ConflictVersion)
		}
	}
}

// MemberWithOrganization reads a member and its organization in one BatchGetItem. A missing
// organization returns ErrNotFound with an empty organization; a missing member returns
// ErrNotFound with the organization filled in.
func (s *Store) MemberWithOrganization(ctx context.Context, orgID, memberID string) (latchkey.Member, latchkey.Organization, error) {
	var raw []dynamo.Item
	err := s.table.Batch(AttrPK, AttrSK).
		Get(dynamo.Keys{orgPK(orgID), skOrg}, dynamo.Keys{orgPK(orgID), memberSK(memberID)}).
		Consistent(true).All(ctx, &raw)
	if err = wrap(err); err != nil && err != latchkey.ErrNotFound {
		return latchkey.Member{}, latchkey.Organization{}, err
	}
	var org orgItem
	var mem memberItem
	for _, it := range raw {
		var target any = &mem
		if sk, ok := it[AttrSK].(*types.AttributeValueMemberS); ok && sk.Value == skOrg {
			target = &org
		}
		if err := dynamo.UnmarshalItem(it, target); err != nil {
			return latchkey.Member{}, latchkey.Organization{}, err
		}
	}
	switch {
	case org.OrganizationID == "":
		return latchkey.Member{}, latchkey.Organization{}, latchkey.ErrNotFound
	case mem.MemberID == "":
		return latchkey.Member{}, org.domain(), latchkey.ErrNotFound
	}
	return mem.Member, org.domain(), nil
}

// MembersByEmail lists the live members with this email across organizations (gsi1; it may
// lag a write by a moment, which discovery tolerates).
func (s *Store) MembersByEmail(ctx context.Context, email string) ([]latchkey.Member, error) {
	var items []memberItem
	if err := s.table.Get(AttrGSI1PK, "EMAIL#"+email).Index(IndexGSI1).All(ctx, &items); err != nil {
		return nil, wrap(err)
	}
	out := make([]latchkey.Member, 0, len(items))
	for _, it := range items {
		out = append(out, it.Member)
	}
	return out, nil
}

// MemberIDByEmail finds the member whose current address email is; a retired address finds
// none.
func (s *Store) MemberIDByEmail(ctx context.Context, orgID, email string) (string, error) {
	id, retired, err := s.EmailHolder(ctx, orgID, email)
	if err == nil && retired {
		return "", latchkey.ErrNotFound
	}
	return id, err
}

// EmailHolder tells which member holds email in the organization, as its current address or
// a retired one.
func (s *Store) EmailHolder(ctx context.Context, orgID, email string) (string, bool, error) {
	g := emailGuard(orgID, email, "")
	var out guard
	err := s.table.Get(AttrPK, g.PK).Range(AttrSK, dynamo.Equal, g.SK).Consistent(true).One(ctx, &out)
	return out.Target, out.Retired, wrap(err)
}

func (s *Store) MemberByID(ctx context.Context, memberID string) (latchkey.Member, error) {
	var it memberItem
	err := s.table.Get(AttrGSI2PK, "MEMBER#"+memberID).Range(AttrGSI2SK, dynamo.Equal, "MEMBER").Index(IndexGSI2).One(ctx, &it)
	return it.Member, wrap(err)
}

func (s *Store) Members(ctx context.Context, orgID string, memberIDs []string) ([]latchkey.Member, error) {
	if len(memberIDs) == 0 {
		return nil, nil
	}
	ks := make([]dynamo.Keyed, 0, len(memberIDs))
	for _, id := range dedupe(memberIDs) {
		ks = append(ks, dynamo.Keys{orgPK(orgID), memberSK(id)})
	}
	var items []memberItem
	err := s.table.Batch(AttrPK, AttrSK).Get(ks...).Consistent(true).All(ctx, &items)
	if err = wrap(err); err != nil && err != latchkey.ErrNotFound {
		return nil, err
	}
	out := make([]latchkey.Member, 0, len(items))
	for _, it := range items {
		out = append(out, it.Member)
	}
	return out, nil
}

func (s *Store) MemberIDsByEmail(ctx context.Context, orgID string, emails []string) ([]string, error) {
	if len(emails) == 0 {
		return nil, nil
	}
	ks := make([]dynamo.Keyed, 0, len(emails))
	for _, e := range dedupe(emails) {
		g := emailGuard(orgID, e, "")
		ks = append(ks, dynamo.Keys{g.PK, g.SK})
	}
	var gs []guard
	err := s.table.Batch(AttrPK, AttrSK).Get(ks...).Consistent(true).All(ctx, &gs)
	if err = wrap(err); err != nil && err != latchkey.ErrNotFound {
		return nil, err
	}
	ids := make([]string, 0, len(gs))
	for _, g := range gs {
		if !g.Retired {
			ids = append(ids, g.Target)
		}
	}
	return ids, nil
}

// ReplaceMember writes next over prev if unchanged since read. A live member holds its email
// and external-id guards; a deleted one releases them, so the address can be used again and
// reactivation must win them back.
func (s *Store) ReplaceMember(ctx context.Context, prev, next latchkey.Member) error {
	t := &tx{}
	s.memberOps(ctx, t, prev, next)
	return s.run(ctx, t)
}

// memberOps adds to t the writes that replace prev with next.
func (s *Store) memberOps(ctx context.Context, t *tx, prev, next latchkey.Member) {
	next.Version = prev.Version + 1
	org, id := prev.OrganizationID, prev.MemberID
	prevLive, nextLive := prev.Status != latchkey.StatusDeleted, next.Status != latchkey.StatusDeleted
	moveGuard := func(prevVal, nextVal string, mk func(org, v, id string) guard, conflict string) {
		held := prevLive && prevVal != ""
		wanted := nextLive && nextVal != ""
		if held && wanted && prevVal == nextVal {
			return
		}
		if wanted {
			t.put(s.putGuard(mk(org, nextVal, id)), conflict)
		}
		if held {
			t.delete(s.deleteGuard(mk(org, prevVal, id)), latchkey.ConflictVersion)
		}
	}
	moveGuard(prev.ExternalID, next.ExternalID, extGuard, latchkey.ConflictExternalID)
	s.ssoSubjectOps(t, prev, next)
	// Phone guards came after members had numbers: releasing one that was never written is
	// fine, so the release is conditional only on not taking another member's.
	if prevLive && prev.MFAPhoneNumber != "" && (!nextLive || next.MFAPhoneNumber != prev.MFAPhoneNumber) {
		g := phoneGuard(org, prev.MFAPhoneNumber, id)
		t.delete(s.table.Delete(AttrPK, g.PK).Range(AttrSK, g.SK).If("attribute_not_exists(pk) OR target = ?", id), latchkey.ConflictVersion)
	}
	if nextLive && next.MFAPhoneNumber != "" && (!prevLive || next.MFAPhoneNumber != prev.MFAPhoneNumber) {
		t.put(s.putGuard(phoneGuard(org, next.MFAPhoneNumber, id)), latchkey.ConflictPhone)
	}
	// A member holds its current address and its retired ones: take the ones it gains,
	// release the ones it no longer holds (all of them when it is deleted).
	// A guard whose address becomes retired, or current again, is rewritten with the flag.
	held, wanted := prev.HeldEmails(), next.HeldEmails()
	for _, e := range wanted {
		g := emailGuard(org, e, id)
		g.Retired = e != next.EmailAddress
		switch {
		case !slices.Contains(held, e):
			t.put(s.putGuard(g), latchkey.ConflictEmail)
		case g.Retired != (e != prev.EmailAddress):
			t.put(s.table.Put(g).If("target = ?", id), latchkey.ConflictVersion)
		}
	}
	for _, e := range held {
		if !slices.Contains(wanted, e) {
			t.delete(s.deleteGuard(emailGuard(org, e, id)), latchkey.ConflictVersion)
		}
	}
	t.put(s.table.Put(newMemberItem(ctx, next)).If("Version = ?", prev.Version), latchkey.ConflictVersion)
}

func (s *Store) ListMembers(ctx context.Context, orgID, afterID string, n int) ([]latchkey.Member, bool, error) {
	q := s.table.Get(AttrPK, orgPK(orgID)).Range(AttrSK, dynamo.BeginsWith, "MEMBER#").Consistent(true).Limit(n + 1)
	if afterID != "" {
		q = q.StartFrom(dynamo.PagingKey{
			AttrPK: &types.AttributeValueMemberS{Value: orgPK(orgID)},
			AttrSK: &types.AttributeValueMemberS{Value: memberSK(afterID)},
		})
	}
	var items []memberItem
	if err := q.All(ctx, &items); err != nil {
		return nil, false, wrap(err)
	}
	more := len(items) > n
	if more {
		items = items[:n]
	}
	out := make([]latchkey.Member, 0, len(items))
	for _, it := range items {
		out = append(out, it.Member)
	}
	return out, more, nil
}

func dedupe(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
