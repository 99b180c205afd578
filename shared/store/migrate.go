package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/guregu/dynamo/v2"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/migrate"
)

// The bulk import (shared/migrate, latchkey-migrate). It writes the items the API writes, with
// the same guards in the same transactions; what it adds is reading and writing many members
// per call: one BatchGetItem for a batch's guards and members, and one TransactWriteItems for
// several members' items (each member's all in it, so none is half written, and never more
// than DynamoDB's 100 items).

var _ migrate.Store = (*Store)(nil)

// maxTxItems is DynamoDB's limit of items in one TransactWriteItems.
const maxTxItems = 100

// OrganizationIDByExternalID finds the organization whose organization_external_id this is.
func (s *Store) OrganizationIDByExternalID(ctx context.Context, externalID string) (string, error) {
	g := orgExtGuard(externalID, "")
	var out guard
	err := s.table.Get(AttrPK, g.PK).Range(AttrSK, dynamo.Equal, g.SK).Consistent(true).One(ctx, &out)
	return out.Target, wrap(err)
}

type itemKey struct{ pk, sk string }

// batchGet reads keys (deduplicated: BatchGetItem refuses a key twice), strongly consistent,
// in calls of 100, returning the items found by key.
func (s *Store) batchGet(ctx context.Context, ks []itemKey) (map[itemKey]dynamo.Item, error) {
	out := map[itemKey]dynamo.Item{}
	if len(ks) == 0 {
		return out, nil
	}
	var keyed []dynamo.Keyed
	seen := map[itemKey]bool{}
	for _, k := range ks {
		if !seen[k] {
			seen[k] = true
			keyed = append(keyed, dynamo.Keys{k.pk, k.sk})
		}
	}
	var items []dynamo.Item
	err := s.table.Batch(AttrPK, AttrSK).Get(keyed...).Consistent(true).All(ctx, &items)
	if err = wrap(err); err != nil && !errors.Is(err, latchkey.ErrNotFound) {
		return nil, err
	}
	for _, it := range items {
		pk, _ := it[AttrPK].(*types.AttributeValueMemberS)
		sk, _ := it[AttrSK].(*types.AttributeValueMemberS)
		if pk != nil && sk != nil {
			out[itemKey{pk.Value, sk.Value}] = it
		}
	}
	return out, nil
}

func guardKey(g guard) itemKey { return itemKey{g.PK, g.SK} }

func memberKey(orgID, memberID string) itemKey { return itemKey{orgPK(orgID), memberSK(memberID)} }

func totpItemKey(orgID, memberID string) itemKey {
	pk, sk := totpKey(orgID, memberID)
	return itemKey{pk, sk}
}

func pwKey(orgID, email string) itemKey {
	pk, sk := passwordKey(orgID, email)
	return itemKey{pk, sk}
}

// LookupMembers reads a batch's stored state in one BatchGetItem (two when members are found
// through their email guard: the guard names the member item to read).
func (s *Store) LookupMembers(ctx context.Context, qs []migrate.MemberQuery) ([]migrate.MemberState, error) {
	var ks []itemKey
	for _, q := range qs {
		ks = append(ks, guardKey(emailGuard(q.OrganizationID, q.Email, "")))
		if q.ExternalID != "" {
			ks = append(ks, guardKey(extGuard(q.OrganizationID, q.ExternalID, "")))
		}
		if q.Phone != "" {
			ks = append(ks, guardKey(phoneGuard(q.OrganizationID, q.Phone, "")))
		}
		if q.MemberID != "" {
			ks = append(ks, memberKey(q.OrganizationID, q.MemberID))
			if q.TOTP {
				ks = append(ks, totpItemKey(q.OrganizationID, q.MemberID))
			}
		}
		if q.Password {
			ks = append(ks, pwKey(q.PasswordOrg, q.Email))
		}
	}
	found, err := s.batchGet(ctx, ks)
	if err != nil {
		return nil, err
	}
	out := make([]migrate.MemberState, len(qs))
	var second []itemKey
	for i, q := range qs {
		st := &out[i]
		var g guard
		if it, ok := found[guardKey(emailGuard(q.OrganizationID, q.Email, ""))]; ok {
			if err := dynamo.UnmarshalItem(it, &g); err != nil {
				return nil, err
			}
			st.EmailHolder, st.EmailRetired = g.Target, g.Retired
		}
		if it, ok := found[guardKey(extGuard(q.OrganizationID, q.ExternalID, ""))]; ok && q.ExternalID != "" {
			if err := dynamo.UnmarshalItem(it, &g); err != nil {
				return nil, err
			}
			st.ExternalOwner = g.Target
		}
		if it, ok := found[guardKey(phoneGuard(q.OrganizationID, q.Phone, ""))]; ok && q.Phone != "" {
			if err := dynamo.UnmarshalItem(it, &g); err != nil {
				return nil, err
			}
			st.PhoneOwner = g.Target
		}
		if q.Password {
			if it, ok := found[pwKey(q.PasswordOrg, q.Email)]; ok {
				var p passwordItem
				if err := dynamo.UnmarshalItem(it, &p); err != nil {
					return nil, err
				}
				st.Password = &p.Password
			}
		}
		id := q.MemberID
		if id == "" && st.EmailHolder != "" && !st.EmailRetired {
			id = st.EmailHolder
			second = append(second, memberKey(q.OrganizationID, id))
			if q.TOTP {
				second = append(second, totpItemKey(q.OrganizationID, id))
			}
		}
	}
	more, err := s.batchGet(ctx, second)
	if err != nil {
		return nil, err
	}
	for k, v := range more {
		found[k] = v
	}
	for i, q := range qs {
		st := &out[i]
		id := q.MemberID
		if id == "" && !st.EmailRetired {
			id = st.EmailHolder
		}
		if id == "" {
			continue
		}
		if it, ok := found[memberKey(q.OrganizationID, id)]; ok {
			var m memberItem
			if err := dynamo.UnmarshalItem(it, &m); err != nil {
				return nil, err
			}
			st.Member = &m.Member
		}
		if it, ok := found[totpItemKey(q.OrganizationID, id)]; ok && q.TOTP {
			var t totpItem
			if err := dynamo.UnmarshalItem(it, &t); err != nil {
				return nil, err
			}
			st.TOTP = &t.TOTP
		}
	}
	return out, nil
}

// importOps adds to t one member's import: a create (its guards, the member, conditional on
// none of them being there; the organization's existence is checked once per transaction by
// WriteMembers) or a replacement (memberOps, as ReplaceMember), then its password and TOTP.
func (s *Store) importOps(ctx context.Context, t *tx, w migrate.MemberWrite) {
	if w.Prev == nil {
		m := w.Next
		m.Version = 1
		org := m.OrganizationID
		t.put(s.putGuard(emailGuard(org, m.EmailAddress, m.MemberID)), latchkey.ConflictEmail)
		if m.ExternalID != "" {
			t.put(s.putGuard(extGuard(org, m.ExternalID, m.MemberID)), latchkey.ConflictExternalID)
		}
		if m.MFAPhoneNumber != "" {
			t.put(s.putGuard(phoneGuard(org, m.MFAPhoneNumber, m.MemberID)), latchkey.ConflictPhone)
		}
		s.ssoSubjectOps(t, latchkey.Member{}, m)
		t.put(s.table.Put(newMemberItem(ctx, m)).If(notExists), latchkey.ConflictExists)
	} else {
		s.memberOps(ctx, t, *w.Prev, w.Next)
	}
	s.passwordOps(t, w.Password, false)
	s.totpOps(t, w.TOTP, false)
}

// txGroup is one transaction of WriteMembers: its operations, and the write each belongs to
// (-1 for an organization's existence check, which the group's creates share).
type txGroup struct {
	ops     []txOp
	owners  []int
	checked []string // per operation: the organization it checks, "" for a write's own
	orgs    []string // organizations checked
}

// WriteMembers writes the members' imports, packed into as few transactions as DynamoDB's
// limit allows, each member's items together.
func (s *Store) WriteMembers(ctx context.Context, ws []migrate.MemberWrite) []error {
	errs := make([]error, len(ws))
	var groups []*txGroup
	cur := &txGroup{}
	for i, w := range ws {
		t := &tx{}
		s.importOps(ctx, t, w)
		org := w.Next.OrganizationID
		check := w.Prev == nil && !slices.Contains(cur.orgs, org)
		n := len(t.ops)
		if check {
			n++
		}
		if len(cur.ops)+n > maxTxItems && len(cur.ops) > 0 {
			groups, cur = append(groups, cur), &txGroup{}
			check = w.Prev == nil
		}
		if check {
			cur.ops = append(cur.ops, txOp{add: func(wt *dynamo.WriteTx) {
				wt.Check(s.table.Check(AttrPK, orgPK(org)).Range(AttrSK, skOrg).If("attribute_exists(pk)"))
			}, onConflict: latchkey.ConflictOrganization})
			cur.owners = append(cur.owners, -1)
			cur.checked = append(cur.checked, org)
			cur.orgs = append(cur.orgs, org)
		}
		for _, op := range t.ops {
			cur.ops = append(cur.ops, op)
			cur.owners = append(cur.owners, i)
			cur.checked = append(cur.checked, "")
		}
	}
	if len(cur.ops) > 0 {
		groups = append(groups, cur)
	}
	for _, g := range groups {
		s.runGroup(ctx, ws, g, errs)
	}
	return errs
}

func (s *Store) runGroup(ctx context.Context, ws []migrate.MemberWrite, g *txGroup, errs []error) {
	var members []int
	for _, o := range g.owners {
		if o >= 0 && !slices.Contains(members, o) {
			members = append(members, o)
		}
	}
	setAll := func(err error) {
		for _, o := range members {
			errs[o] = err
		}
	}
	if len(g.ops) == 1 && g.ops[0].alone != nil {
		err := g.ops[0].alone(ctx)
		if dynamo.IsCondCheckFailed(err) {
			setAll(&latchkey.Conflict{On: g.ops[0].onConflict})
			return
		}
		setAll(s.importErr(err))
		return
	}
	w := s.db.WriteTx()
	for _, op := range g.ops {
		op.add(w)
	}
	err := w.Run(ctx)
	if err == nil {
		setAll(nil)
		return
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failedCondition(err) >= 0 {
		setAll(migrate.ErrNotAttempted)
		for i, r := range tce.CancellationReasons {
			if r.Code == nil || *r.Code != "ConditionalCheckFailed" || i >= len(g.ops) {
				continue
			}
			if o := g.owners[i]; o >= 0 {
				errs[o] = &latchkey.Conflict{On: g.ops[i].onConflict}
				continue
			}
			// The organization is gone: every create of it in this transaction fails.
			org := g.checked[i]
			for _, o := range members {
				if ws[o].Prev == nil && ws[o].Next.OrganizationID == org {
					errs[o] = &latchkey.Conflict{On: latchkey.ConflictOrganization}
				}
			}
		}
		return
	}
	if isValidation(err) && len(members) > 1 {
		// Something in the batch DynamoDB will not take: find which, one member at a time.
		for _, o := range members {
			errs[o] = s.WriteMembers(ctx, ws[o:o+1])[0]
		}
		return
	}
	setAll(s.importErr(err))
}

func isValidation(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationException"
}

// importErr marks a write DynamoDB refused as invalid as the record's failure.
func (s *Store) importErr(err error) error {
	if err == nil {
		return nil
	}
	if isValidation(err) {
		var ae smithy.APIError
		errors.As(err, &ae)
		return fmt.Errorf("%w: %s", migrate.ErrRejected, ae.ErrorMessage())
	}
	return wrap(err)
}

// Retryable tells throttling and transaction conflicts (which DynamoDB asks to retry) from
// verdicts on the request.
func (s *Store) Retryable(err error) bool {
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for _, r := range tce.CancellationReasons {
			if r.Code == nil {
				continue
			}
			switch *r.Code {
			case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded":
				return true
			}
		}
		return false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
			"TransactionConflictException", "TransactionInProgressException", "InternalServerError", "ServiceUnavailable":
			return true
		}
	}
	return false
}
