package store

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/scim"
)

// SCIM items all live in the organization's partition (see doc.go), so deleting the
// organization deletes them, and a connection can only ever address its own organization.

type scimConnItem struct {
	keys
	scim.Connection
	changeSource
}

type scimGroupItem struct {
	keys
	scim.SCIMGroup
	changeSource
}

// scimMembership is one member of one group. It sorts right after its group item, so a group
// and its members are one Query.
type scimMembership struct {
	PK       string `dynamo:"pk"`
	SK       string `dynamo:"sk"`
	GroupID  string `dynamo:"GroupID"`
	MemberID string `dynamo:"member_id"`
	changeSource
}

// scimRow is any item under SCIMGROUP#, decoded far enough to tell which it is.
type scimRow struct {
	keys
	scim.SCIMGroup
	MemberID string `dynamo:"member_id"`
}

const (
	scimGroupPrefix = "SCIMGROUP#"
	// maxTxOps is DynamoDB's limit on the writes of one TransactWriteItems.
	maxTxOps = 100
)

func scimConnSK(id string) string       { return "SCIMCONN#" + id }
func scimGroupSK(id string) string      { return scimGroupPrefix + id }
func scimMemberSK(g, m string) string   { return scimGroupSK(g) + "#MEMBER#" + m }
func scimAfterGroupSK(id string) string { return scimGroupSK(id) + "#~" } // after the group's memberships
func userNameGuard(org, key, m string) guard {
	return guard{PK: orgPK(org), SK: "SCIMUSER#" + key, Target: m}
}
func groupNameGuard(org, key, g string) guard {
	return guard{PK: orgPK(org), SK: "SCIMGROUPNAME#" + key, Target: g}
}

func newSCIMConnItem(ctx context.Context, c scim.Connection) scimConnItem {
	return scimConnItem{keys{PK: orgPK(c.OrganizationID), SK: scimConnSK(c.ConnectionID)}, c, sourceOf(ctx)}
}

// summaryUpdate sets the organization's scim_active_connection. It bumps the organization's
// version, so an organization update that read the item before fails its condition and
// retries instead of writing the old summary back.
func (s *Store) summaryUpdate(ctx context.Context, c scim.Connection) *dynamo.Update {
	return s.table.Update(AttrPK, orgPK(c.OrganizationID)).Range(AttrSK, skOrg).
		Set("SCIMActiveConnection", c.Summary()).Set(AttrChangeSource, latchkey.ChangeSource(ctx)).Add("Version", 1)
}

func (s *Store) CreateSCIMConnection(ctx context.Context, c scim.Connection) error {
	c.Version = 1
	t := &tx{}
	t.put(s.table.Put(newSCIMConnItem(ctx, c)).If(notExists), latchkey.ConflictExists)
	t.update(s.summaryUpdate(ctx, c).If("attribute_exists(pk) AND attribute_not_exists(SCIMActiveConnection)"),
		scim.ConflictSCIMConnection)
	return s.run(ctx, t)
}

func (s *Store) SCIMConnection(ctx context.Context, orgID, connectionID string) (scim.Connection, error) {
	var it scimConnItem
	err := s.table.Get(AttrPK, orgPK(orgID)).Range(AttrSK, dynamo.Equal, scimConnSK(connectionID)).
		Consistent(true).One(ctx, &it)
	return it.Connection, wrap(err)
}

func (s *Store) SCIMConnections(ctx context.Context, orgID string) ([]scim.Connection, error) {
	var items []scimConnItem
	err := s.table.Get(AttrPK, orgPK(orgID)).Range(AttrSK, dynamo.BeginsWith, "SCIMCONN#").Consistent(true).All(ctx, &items)
	if err != nil {
		return nil, wrap(err)
	}
	out := make([]scim.Connection, 0, len(items))
	for _, it := range items {
		out = append(out, it.Connection)
	}
	return out, nil
}

func (s *Store) ReplaceSCIMConnection(ctx context.Context, prev, next scim.Connection, summary bool) error {
	next.Version = prev.Version + 1
	t := &tx{}
	t.put(s.table.Put(newSCIMConnItem(ctx, next)).If("Version = ?", prev.Version), latchkey.ConflictVersion)
	if summary {
		t.update(s.summaryUpdate(ctx, next).If("SCIMActiveConnection.ConnectionID = ?", next.ConnectionID),
			scim.ConflictSCIMConnection)
	}
	return s.run(ctx, t)
}

func (s *Store) DeleteSCIMConnection(ctx context.Context, c scim.Connection) error {
	t := &tx{}
	t.delete(s.table.Delete(AttrPK, orgPK(c.OrganizationID)).Range(AttrSK, scimConnSK(c.ConnectionID)).
		If("Version = ?", c.Version), latchkey.ConflictVersion)
	t.update(s.table.Update(AttrPK, orgPK(c.OrganizationID)).Range(AttrSK, skOrg).
		Remove("SCIMActiveConnection").Set(AttrChangeSource, latchkey.ChangeSource(ctx)).Add("Version", 1).
		If("attribute_exists(pk) AND (attribute_not_exists(SCIMActiveConnection) OR SCIMActiveConnection.ConnectionID = ?)", c.ConnectionID),
		scim.ConflictSCIMConnection)
	if err := s.run(ctx, t); err != nil {
		return err
	}
	return s.deleteSCIMGroups(ctx, c.OrganizationID)
}

// deleteSCIMGroups removes every group, group-name guard and membership of the organization,
// taking each membership off its member too.
func (s *Store) deleteSCIMGroups(ctx context.Context, orgID string) error {
	var start dynamo.PagingKey
	for {
		var rows []scimRow
		// "SCIMGROUP" covers both SCIMGROUP# (groups, memberships) and SCIMGROUPNAME# (guards).
		next, err := s.table.Get(AttrPK, orgPK(orgID)).Range(AttrSK, dynamo.BeginsWith, "SCIMGROUP").
			Project(AttrPK, AttrSK, "GroupID", "member_id").Consistent(true).
			StartFrom(start).SearchLimit(500).AllWithLastEvaluatedKey(ctx, &rows)
		if err != nil {
			return wrap(err)
		}
		var units []unit
		for _, r := range rows {
			if r.MemberID != "" {
				units = append(units, s.membershipUnit(ctx, orgID, r.GroupID, r.MemberID, false))
				continue
			}
			units = append(units, unit{1, func(t *tx) {
				t.delete(s.table.Delete(AttrPK, r.PK).Range(AttrSK, r.SK), latchkey.ConflictVersion)
			}})
		}
		if err := s.runUnits(ctx, units); err != nil {
			return err
		}
		if next == nil {
			return nil
		}
		start = next
	}
}

// unit is writes that must commit together. runUnits packs units, in order, into as few
// transactions as DynamoDB's limit allows: a change too big for one transaction commits in
// steps, each of which leaves groups and members agreeing.
type unit struct {
	n   int
	add func(t *tx)
}

func (s *Store) runUnits(ctx context.Context, units []unit) error {
	t := &tx{}
	for _, u := range units {
		if len(t.ops) > 0 && len(t.ops)+u.n > maxTxOps {
			if err := s.run(ctx, t); err != nil {
				return err
			}
			t = &tx{}
		}
		u.add(t)
	}
	if len(t.ops) == 0 {
		return nil
	}
	return s.run(ctx, t)
}

// membershipUnit adds a member to a group or removes it: the membership item and the group id
// in the member's SCIMGroupIDs set change together. The member's version is bumped so a
// read-modify-write of the member that read it before retries rather than writing the old
// set back; a member that does not exist in the organization fails the unit.
func (s *Store) membershipUnit(ctx context.Context, orgID, groupID, memberID string, add bool) unit {
	return unit{2, func(t *tx) {
		sk := scimMemberSK(groupID, memberID)
		u := s.table.Update(AttrPK, orgPK(orgID)).Range(AttrSK, memberSK(memberID)).Add("Version", 1).
			Set(AttrChangeSource, latchkey.ChangeSource(ctx))
		if add {
			t.put(s.table.Put(scimMembership{orgPK(orgID), sk, groupID, memberID, sourceOf(ctx)}), latchkey.ConflictVersion)
			u = u.AddStringsToSet("SCIMGroupIDs", groupID)
		} else {
			t.delete(s.table.Delete(AttrPK, orgPK(orgID)).Range(AttrSK, sk), latchkey.ConflictVersion)
			u = u.DeleteStringsFromSet("SCIMGroupIDs", groupID)
		}
		t.update(u.If("attribute_exists(pk)"), scim.ConflictMember)
	}}
}

// CreateSCIMMember writes a provisioned member: the email and external-id guards as for any
// live member, and the userName guard, which a deactivated (deleted) user keeps so the
// identity provider can still find and reactivate it.
func (s *Store) CreateSCIMMember(ctx context.Context, m latchkey.Member) error {
	m.Version = 1
	org := m.OrganizationID
	t := &tx{}
	t.check(s.table.Check(AttrPK, orgPK(org)).Range(AttrSK, skOrg).If("attribute_exists(pk)"), latchkey.ConflictOrganization)
	if m.Status != latchkey.StatusDeleted {
		t.put(s.putGuard(emailGuard(org, m.EmailAddress, m.MemberID)), latchkey.ConflictEmail)
		if m.ExternalID != "" {
			t.put(s.putGuard(extGuard(org, m.ExternalID, m.MemberID)), latchkey.ConflictExternalID)
		}
		if m.MFAPhoneNumber != "" {
			t.put(s.putGuard(phoneGuard(org, m.MFAPhoneNumber, m.MemberID)), latchkey.ConflictPhone)
		}
	}
	if u := m.SCIMUserName(); u != "" {
		t.put(s.putGuard(userNameGuard(org, latchkey.SCIMUserNameKey(u), m.MemberID)), scim.ConflictSCIMUserName)
	}
	t.put(s.table.Put(newMemberItem(ctx, m)).If(notExists), latchkey.ConflictExists)
	return s.run(ctx, t)
}

func (s *Store) ReplaceSCIMMember(ctx context.Context, prev, next latchkey.Member) error {
	org, id := prev.OrganizationID, prev.MemberID
	t := &tx{}
	s.memberOps(ctx, t, prev, next)
	pu, nu := latchkey.SCIMUserNameKey(prev.SCIMUserName()), latchkey.SCIMUserNameKey(next.SCIMUserName())
	if pu != nu {
		if nu != "" {
			t.put(s.putGuard(userNameGuard(org, nu, id)), scim.ConflictSCIMUserName)
		}
		if pu != "" {
			t.delete(s.deleteGuard(userNameGuard(org, pu, id)), latchkey.ConflictVersion)
		}
	}
	// Memberships of groups the member left (a deprovisioned user leaves them all). The
	// member's own set is written with the member; the membership items go in the same
	// transaction while it has room, and right after it otherwise.
	var left []string
	for _, g := range prev.SCIMGroupIDs {
		if !slices.Contains(next.SCIMGroupIDs, g) {
			left = append(left, scimMemberSK(g, id))
		}
	}
	for len(left) > 0 && len(t.ops) < maxTxOps {
		t.delete(s.table.Delete(AttrPK, orgPK(org)).Range(AttrSK, left[0]), latchkey.ConflictVersion)
		left = left[1:]
	}
	if err := s.run(ctx, t); err != nil || len(left) == 0 {
		return err
	}
	ks := make([]dynamo.Keyed, 0, len(left))
	for _, sk := range left {
		ks = append(ks, dynamo.Keys{orgPK(org), sk})
	}
	_, err := s.table.Batch(AttrPK, AttrSK).Write().Delete(ks...).Run(ctx)
	return wrap(err)
}

func (s *Store) guardTarget(ctx context.Context, g guard) (string, error) {
	var out guard
	err := s.table.Get(AttrPK, g.PK).Range(AttrSK, dynamo.Equal, g.SK).Consistent(true).One(ctx, &out)
	return out.Target, wrap(err)
}

func (s *Store) MemberIDBySCIMUserName(ctx context.Context, orgID, userName string) (string, error) {
	return s.guardTarget(ctx, userNameGuard(orgID, userName, ""))
}

func (s *Store) MemberIDByExternalID(ctx context.Context, orgID, externalID string) (string, error) {
	return s.guardTarget(ctx, extGuard(orgID, externalID, ""))
}

func (s *Store) SCIMGroupIDByName(ctx context.Context, orgID, displayName string) (string, error) {
	return s.guardTarget(ctx, groupNameGuard(orgID, displayName, ""))
}

func newSCIMGroupItem(ctx context.Context, g scim.SCIMGroup) scimGroupItem {
	return scimGroupItem{keys{PK: orgPK(g.OrganizationID), SK: scimGroupSK(g.GroupID)}, g, sourceOf(ctx)}
}

// memberships lists the units that turn the member set from into to.
func (s *Store) memberships(ctx context.Context, g scim.SCIMGroup, from, to []string) []unit {
	var units []unit
	for _, m := range to {
		if !slices.Contains(from, m) {
			units = append(units, s.membershipUnit(ctx, g.OrganizationID, g.GroupID, m, true))
		}
	}
	for _, m := range from {
		if !slices.Contains(to, m) {
			units = append(units, s.membershipUnit(ctx, g.OrganizationID, g.GroupID, m, false))
		}
	}
	return units
}

func (s *Store) CreateSCIMGroup(ctx context.Context, g scim.SCIMGroup) error {
	g.Version = 1
	org := g.OrganizationID
	head := unit{3, func(t *tx) {
		t.check(s.table.Check(AttrPK, orgPK(org)).Range(AttrSK, skOrg).If("attribute_exists(pk)"), latchkey.ConflictOrganization)
		t.put(s.putGuard(groupNameGuard(org, latchkey.SCIMGroupNameKey(g.DisplayName), g.GroupID)), scim.ConflictSCIMGroupName)
		t.put(s.table.Put(newSCIMGroupItem(ctx, g)).If(notExists), latchkey.ConflictExists)
	}}
	return s.runUnits(ctx, append([]unit{head}, s.memberships(ctx, g, nil, g.MemberIDs)...))
}

func (s *Store) ReplaceSCIMGroup(ctx context.Context, prev, next scim.SCIMGroup) error {
	next.Version = prev.Version + 1
	org, id := prev.OrganizationID, prev.GroupID
	pk, nk := latchkey.SCIMGroupNameKey(prev.DisplayName), latchkey.SCIMGroupNameKey(next.DisplayName)
	head := unit{3, func(t *tx) {
		t.put(s.table.Put(newSCIMGroupItem(ctx, next)).If("Version = ?", prev.Version), latchkey.ConflictVersion)
		if pk != nk {
			t.put(s.putGuard(groupNameGuard(org, nk, id)), scim.ConflictSCIMGroupName)
			t.delete(s.deleteGuard(groupNameGuard(org, pk, id)), latchkey.ConflictVersion)
		}
	}}
	return s.runUnits(ctx, append([]unit{head}, s.memberships(ctx, prev, prev.MemberIDs, next.MemberIDs)...))
}

func (s *Store) DeleteSCIMGroup(ctx context.Context, g scim.SCIMGroup) error {
	tail := unit{2, func(t *tx) {
		t.delete(s.table.Delete(AttrPK, orgPK(g.OrganizationID)).Range(AttrSK, scimGroupSK(g.GroupID)).
			If("Version = ?", g.Version), latchkey.ConflictVersion)
		t.delete(s.deleteGuard(groupNameGuard(g.OrganizationID, latchkey.SCIMGroupNameKey(g.DisplayName), g.GroupID)),
			latchkey.ConflictVersion)
	}}
	return s.runUnits(ctx, append(s.memberships(ctx, g, g.MemberIDs, nil), tail))
}

func (s *Store) SCIMGroup(ctx context.Context, orgID, groupID string, members bool) (scim.SCIMGroup, error) {
	if !members {
		var it scimGroupItem
		err := s.table.Get(AttrPK, orgPK(orgID)).Range(AttrSK, dynamo.Equal, scimGroupSK(groupID)).
			Consistent(true).One(ctx, &it)
		return it.SCIMGroup, wrap(err)
	}
	var rows []scimRow
	err := s.table.Get(AttrPK, orgPK(orgID)).Range(AttrSK, dynamo.BeginsWith, scimGroupSK(groupID)).
		Consistent(true).All(ctx, &rows)
	if err != nil {
		return scim.SCIMGroup{}, wrap(err)
	}
	var g scim.SCIMGroup
	for _, r := range rows {
		switch {
		case r.SK == scimGroupSK(groupID):
			g = r.SCIMGroup
		case r.MemberID != "" && r.SK == scimMemberSK(groupID, r.MemberID):
			g.MemberIDs = append(g.MemberIDs, r.MemberID)
		}
	}
	if g.GroupID == "" {
		return g, latchkey.ErrNotFound
	}
	return g, nil
}

func (s *Store) SCIMGroups(ctx context.Context, orgID string, groupIDs []string) ([]scim.SCIMGroup, error) {
	ids := dedupe(groupIDs)
	if len(ids) == 0 {
		return nil, nil
	}
	ks := make([]dynamo.Keyed, 0, len(ids))
	for _, id := range ids {
		ks = append(ks, dynamo.Keys{orgPK(orgID), scimGroupSK(id)})
	}
	var items []scimGroupItem
	err := s.table.Batch(AttrPK, AttrSK).Get(ks...).Consistent(true).All(ctx, &items)
	if err = wrap(err); err != nil && err != latchkey.ErrNotFound {
		return nil, err
	}
	out := make([]scim.SCIMGroup, 0, len(items))
	for _, it := range items {
		out = append(out, it.SCIMGroup)
	}
	return out, nil
}

// EachSCIMGroup walks the groups with one paged Query: each group item is followed by its
// memberships, which are skipped (still read) when members is not wanted.
func (s *Store) EachSCIMGroup(ctx context.Context, orgID, afterID string, members bool, yield func(scim.SCIMGroup) bool) error {
	q := s.table.Get(AttrPK, orgPK(orgID)).Range(AttrSK, dynamo.BeginsWith, scimGroupPrefix).Consistent(true)
	if afterID != "" {
		q = q.StartFrom(dynamo.PagingKey{
			AttrPK: &types.AttributeValueMemberS{Value: orgPK(orgID)},
			AttrSK: &types.AttributeValueMemberS{Value: scimAfterGroupSK(afterID)},
		})
	}
	if !members {
		q = q.Filter("attribute_not_exists(member_id)")
	}
	it := q.Iter()
	var cur *scim.SCIMGroup
	for {
		var r scimRow
		if !it.Next(ctx, &r) {
			break
		}
		if r.MemberID != "" {
			if cur != nil && r.SK == scimMemberSK(cur.GroupID, r.MemberID) {
				cur.MemberIDs = append(cur.MemberIDs, r.MemberID)
			}
			continue
		}
		if cur != nil && !yield(*cur) {
			return nil
		}
		g := r.SCIMGroup
		cur = &g
	}
	if err := it.Err(); err != nil {
		return wrap(err)
	}
	if cur != nil {
		yield(*cur)
	}
	return nil
}

var _ scim.Store = (*Store)(nil)
