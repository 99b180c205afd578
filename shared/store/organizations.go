package store

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	latchkey "github.com/latchkey/latchkey/shared"
)

func (s *Store) putGuard(g guard) *dynamo.Put { return s.table.Put(g).If(notExists) }

// deleteGuard releases a guard only if it is still held by its target, so a stale writer can
// never free a value someone else now holds.
func (s *Store) deleteGuard(g guard) *dynamo.Delete {
	return s.table.Delete(AttrPK, g.PK).Range(AttrSK, g.SK).If("target = ?", g.Target)
}

// CreateOrganization writes the organization with its slug (and external id) guards in one
// transaction: a taken slug fails the whole write.
func (s *Store) CreateOrganization(ctx context.Context, o latchkey.Organization) error {
	o.Version = 1
	t := &tx{}
	t.put(s.putGuard(slugGuard(o.OrganizationSlug, o.OrganizationID)), latchkey.ConflictSlug)
	if o.OrganizationExternalID != "" {
		t.put(s.putGuard(orgExtGuard(o.OrganizationExternalID, o.OrganizationID)), latchkey.ConflictExternalID)
	}
	t.put(s.table.Put(newOrgItem(ctx, o)).If(notExists), latchkey.ConflictExists)
	s.domainOps(t, nil, o.EmailAllowedDomains, o.OrganizationID)
	return s.run(ctx, t)
}

// domainOps keeps the DOMAIN#<domain> / ORG#<org_id> index items in step with an
// organization's email_allowed_domains, so discovery finds the organizations a verified email
// may join with one Query per domain.
func (s *Store) domainOps(t *tx, prev, next []string, orgID string) {
	for _, d := range next {
		if !slices.Contains(prev, d) {
			t.put(s.table.Put(domainItem(d, orgID)), latchkey.ConflictVersion)
		}
	}
	for _, d := range prev {
		if !slices.Contains(next, d) {
			k := domainItem(d, orgID)
			t.delete(s.table.Delete(AttrPK, k.PK).Range(AttrSK, k.SK), latchkey.ConflictVersion)
		}
	}
}

func domainItem(domain, orgID string) guard {
	return guard{PK: "DOMAIN#" + domain, SK: orgPK(orgID), Target: orgID}
}

// OrganizationIDsByDomain lists organizations that allow an email domain.
func (s *Store) OrganizationIDsByDomain(ctx context.Context, domain string) ([]string, error) {
	var gs []guard
	if err := s.table.Get(AttrPK, "DOMAIN#"+domain).Consistent(true).All(ctx, &gs); err != nil {
		return nil, wrap(err)
	}
	ids := make([]string, 0, len(gs))
	for _, g := range gs {
		ids = append(ids, g.Target)
	}
	return ids, nil
}

func (s *Store) Organization(ctx context.Context, id string) (latchkey.Organization, error) {
	var it orgItem
	err := s.table.Get(AttrPK, orgPK(id)).Range(AttrSK, dynamo.Equal, skOrg).Consistent(true).One(ctx, &it)
	return it.domain(), wrap(err)
}

func (s *Store) OrganizationIDBySlug(ctx context.Context, slug string) (string, error) {
	g := slugGuard(slug, "")
	var out guard
	err := s.table.Get(AttrPK, g.PK).Range(AttrSK, dynamo.Equal, g.SK).Consistent(true).One(ctx, &out)
	return out.Target, wrap(err)
}

// OrganizationIDsByRef finds the organizations whose slug is slug or whose external id is
// externalID, reading both guards in one round trip: none, one, or two different ones.
func (s *Store) OrganizationIDsByRef(ctx context.Context, slug, externalID string) ([]string, error) {
	bySlug, byExt := slugGuard(slug, ""), orgExtGuard(externalID, "")
	var found []guard
	err := s.table.Batch(AttrPK, AttrSK).Get(dynamo.Keys{bySlug.PK, bySlug.SK}, dynamo.Keys{byExt.PK, byExt.SK}).
		Consistent(true).All(ctx, &found)
	if err = wrap(err); err != nil {
		return nil, err
	}
	var ids []string
	for _, g := range found {
		if !slices.Contains(ids, g.Target) {
			ids = append(ids, g.Target)
		}
	}
	return ids, nil
}

func (s *Store) Organizations(ctx context.Context, ids []string) ([]latchkey.Organization, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ks := make([]dynamo.Keyed, 0, len(ids))
	for _, id := range dedupe(ids) {
		ks = append(ks, dynamo.Keys{orgPK(id), skOrg})
	}
	var items []orgItem
	err := s.table.Batch(AttrPK, AttrSK).Get(ks...).Consistent(true).All(ctx, &items)
	if err = wrap(err); err != nil && err != latchkey.ErrNotFound {
		return nil, err
	}
	out := make([]latchkey.Organization, 0, len(items))
	for _, it := range items {
		out = append(out, it.domain())
	}
	return out, nil
}

// ReplaceOrganization writes next over prev if nobody changed it since prev was read, moving
// the slug and external-id guards in the same transaction when those change.
func (s *Store) ReplaceOrganization(ctx context.Context, prev, next latchkey.Organization) error {
	next.Version = prev.Version + 1
	id := prev.OrganizationID
	t := &tx{}
	if prev.OrganizationSlug != next.OrganizationSlug {
		t.put(s.putGuard(slugGuard(next.OrganizationSlug, id)), latchkey.ConflictSlug)
		t.delete(s.deleteGuard(slugGuard(prev.OrganizationSlug, id)), latchkey.ConflictVersion)
	}
	if prev.OrganizationExternalID != next.OrganizationExternalID {
		if next.OrganizationExternalID != "" {
			t.put(s.putGuard(orgExtGuard(next.OrganizationExternalID, id)), latchkey.ConflictExternalID)
		}
		if prev.OrganizationExternalID != "" {
			t.delete(s.deleteGuard(orgExtGuard(prev.OrganizationExternalID, id)), latchkey.ConflictVersion)
		}
	}
	t.put(s.table.Put(newOrgItem(ctx, next)).If("Version = ?", prev.Version), latchkey.ConflictVersion)
	s.domainOps(t, prev.EmailAllowedDomains, next.EmailAllowedDomains, id)
	return s.run(ctx, t)
}

// DeleteOrganization removes the organization and its guards in one transaction, so no new
// member can be added after it (member creation checks the organization in its transaction),
// then deletes every remaining item in its partition in batches.
func (s *Store) DeleteOrganization(ctx context.Context, o latchkey.Organization) error {
	id := o.OrganizationID
	t := &tx{}
	t.delete(s.table.Delete(AttrPK, orgPK(id)).Range(AttrSK, skOrg).If("attribute_exists(pk)"), latchkey.ConflictExists)
	t.delete(s.deleteGuard(slugGuard(o.OrganizationSlug, id)), latchkey.ConflictVersion)
	if o.OrganizationExternalID != "" {
		t.delete(s.deleteGuard(orgExtGuard(o.OrganizationExternalID, id)), latchkey.ConflictVersion)
	}
	s.domainOps(t, o.EmailAllowedDomains, nil, id)
	if err := s.run(ctx, t); err != nil {
		if _, ok := err.(*latchkey.Conflict); ok {
			return latchkey.ErrNotFound
		}
		return err
	}
	var start dynamo.PagingKey
	for {
		var ks []keys
		next, err := s.table.Get(AttrPK, orgPK(id)).Project(AttrPK, AttrSK).Consistent(true).
			StartFrom(start).SearchLimit(500).AllWithLastEvaluatedKey(ctx, &ks)
		if err != nil {
			return wrap(err)
		}
		if len(ks) > 0 {
			del := make([]dynamo.Keyed, 0, len(ks))
			for _, k := range ks {
				del = append(del, dynamo.Keys{k.PK, k.SK})
			}
			if _, err := s.table.Batch(AttrPK, AttrSK).Write().Delete(del...).Run(ctx); err != nil {
				return wrap(err)
			}
		}
		if next == nil {
			return nil
		}
		start = next
	}
}

func (s *Store) ListOrganizations(ctx context.Context, after latchkey.Position, n int) ([]latchkey.Organization, bool, error) {
	q := s.table.Get(AttrGSI2PK, orgListing).Index(IndexGSI2).Limit(n + 1)
	if after.ID != "" {
		q = q.StartFrom(dynamo.PagingKey{
			AttrGSI2PK: &types.AttributeValueMemberS{Value: orgListing},
			AttrGSI2SK: &types.AttributeValueMemberS{Value: listingSK(after.CreatedAt, after.ID)},
			AttrPK:     &types.AttributeValueMemberS{Value: orgPK(after.ID)},
			AttrSK:     &types.AttributeValueMemberS{Value: skOrg},
		})
	}
	var items []orgItem
	if err := q.All(ctx, &items); err != nil {
		return nil, false, wrap(err)
	}
	more := len(items) > n
	if more {
		items = items[:n]
	}
	out := make([]latchkey.Organization, 0, len(items))
	for _, it := range items {
		out = append(out, it.domain())
	}
	return out, more, nil
}

func (s *Store) OrganizationIDsByMemberEmail(ctx context.Context, email string) ([]string, error) {
	var items []keys
	err := s.table.Get(AttrGSI1PK, "EMAIL#"+email).Index(IndexGSI1).Project(AttrGSI1SK).All(ctx, &items)
	if err != nil {
		return nil, wrap(err)
	}
	ids := make([]string, 0, len(items))
	for _, it := range items {
		ids = append(ids, it.GSI1SK[len("ORG#"):])
	}
	return ids, nil
}
