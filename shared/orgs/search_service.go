package orgs

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
)

// Search limits, as Stytch documents them.
const (
	DefaultSearchLimit = 100
	MaxSearchLimit     = 1000
	// listBatch is how many items a listing walk reads per round trip.
	listBatch = 200
)

// SearchRequest is the body of Organizations.Search and Members.Search.
type SearchRequest struct {
	OrganizationIDs []string     `json:"organization_ids"`
	Cursor          string       `json:"cursor"`
	Limit           int          `json:"limit"`
	Query           *SearchQuery `json:"query"`
}

// ResultsMetadata is Stytch's paging block. Total is -1 when counting would mean reading every
// organization; Stytch documents -1 for the same reason.
type ResultsMetadata struct {
	Total      int     `json:"total"`
	NextCursor *string `json:"next_cursor"`
}

// cursor is opaque to clients: base64url of this JSON.
type cursor struct {
	Offset    int       `json:"o,omitempty"` // keyed searches: index into the sorted matches
	OrgIndex  int       `json:"i,omitempty"` // member walks: which organization
	AfterID   string    `json:"a,omitempty"` // walks: last id returned
	CreatedAt time.Time `json:"t,omitzero"`  // organization walks: last created_at returned
}

func (c cursor) encode() *string {
	b, _ := json.Marshal(c)
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	if s == "" {
		return c, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.Offset < 0 || c.OrgIndex < 0 || latchkey.KeyTooLong(c.AfterID) {
		return c, latchkey.Errorf(http.StatusBadRequest, "invalid_cursor", "The cursor is not valid for this search.")
	}
	return c, nil
}

func (r SearchRequest) limit() (int, error) {
	switch {
	case r.Limit == 0:
		return DefaultSearchLimit, nil
	case r.Limit < 0 || r.Limit > MaxSearchLimit:
		return 0, latchkey.Errorf(http.StatusBadRequest, "invalid_limit", "limit must be between 1 and %d.", MaxSearchLimit)
	}
	return r.Limit, nil
}

// SearchOrganizations answers Organizations.Search. An AND query naming organizations by id,
// slug or member email reads just those by key; any other query walks the organization
// listing in creation order and filters as it goes.
func (s *Service) SearchOrganizations(ctx context.Context, r SearchRequest) ([]latchkey.Organization, ResultsMetadata, error) {
	meta := ResultsMetadata{Total: -1}
	q, err := ParseOrganizationQuery(r.Query)
	if err != nil {
		return nil, meta, err
	}
	limit, err := r.limit()
	if err != nil {
		return nil, meta, err
	}
	c, err := decodeCursor(r.Cursor)
	if err != nil {
		return nil, meta, err
	}
	emailOrgs := map[string]bool{}
	if q.Has("member_emails") {
		f, _ := filterNamed(q, "member_emails")
		for _, e := range f.Strings {
			ids, err := s.Store.OrganizationIDsByMemberEmail(ctx, e)
			if err != nil {
				return nil, meta, err
			}
			for _, id := range ids {
				emailOrgs[id] = true
			}
		}
	}
	match := func(o latchkey.Organization) bool {
		return q.Matches(func(f Filter) bool { return OrganizationMatches(f, o, emailOrgs) })
	}

	if ids, keyed, err := s.candidateOrganizationIDs(ctx, q, emailOrgs); err != nil {
		return nil, meta, err
	} else if keyed {
		orgs, err := s.Store.Organizations(ctx, ids)
		if err != nil {
			return nil, meta, err
		}
		orgs = slices.DeleteFunc(orgs, func(o latchkey.Organization) bool { return !match(o) })
		slices.SortFunc(orgs, func(a, b latchkey.Organization) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.OrganizationID, b.OrganizationID))
		})
		return pageOf(orgs, c.Offset, limit)
	}

	var out []latchkey.Organization
	after := latchkey.Position{CreatedAt: c.CreatedAt, ID: c.AfterID}
	for {
		batch, more, err := s.Store.ListOrganizations(ctx, after, listBatch)
		if err != nil {
			return nil, meta, err
		}
		for i, o := range batch {
			if match(o) {
				out = append(out, o)
				if len(out) == limit {
					if more || i < len(batch)-1 {
						meta.NextCursor = cursor{CreatedAt: o.CreatedAt, AfterID: o.OrganizationID}.encode()
					}
					return out, meta, nil
				}
			}
		}
		if !more || len(batch) == 0 {
			return out, meta, nil
		}
		last := batch[len(batch)-1]
		after = latchkey.Position{CreatedAt: last.CreatedAt, ID: last.OrganizationID}
	}
}

func pageOf[T any](all []T, offset, limit int) ([]T, ResultsMetadata, error) {
	meta := ResultsMetadata{Total: len(all)}
	if offset > len(all) {
		offset = len(all)
	}
	end := min(offset+limit, len(all))
	if end < len(all) {
		meta.NextCursor = cursor{Offset: end}.encode()
	}
	return all[offset:end], meta, nil
}

func filterNamed(q Query, name string) (Filter, bool) {
	for _, f := range q.Filters {
		if f.Name == name {
			return f, true
		}
	}
	return Filter{}, false
}

// candidateOrganizationIDs returns the ids an AND query confines the search to, if any.
func (s *Service) candidateOrganizationIDs(ctx context.Context, q Query, emailOrgs map[string]bool) ([]string, bool, error) {
	if f, ok := q.Filter("organization_ids"); ok {
		return f.Strings, true, nil
	}
	if f, ok := q.Filter("organization_slugs"); ok {
		var ids []string
		for _, slug := range f.Strings {
			id, err := s.Store.OrganizationIDBySlug(ctx, slug)
			if err == nil {
				ids = append(ids, id)
			} else if err != latchkey.ErrNotFound {
				return nil, false, err
			}
		}
		return ids, true, nil
	}
	if _, ok := q.Filter("member_emails"); ok {
		ids := make([]string, 0, len(emailOrgs))
		for id := range emailOrgs {
			ids = append(ids, id)
		}
		return ids, true, nil
	}
	return nil, false, nil
}

// MemberSearchResult carries the members found and the organizations they belong to.
type MemberSearchResult struct {
	Members       []latchkey.Member
	Organizations map[string]latchkey.Organization
	Meta          ResultsMetadata
}

// SearchMembers answers Members.Search within the given organizations. Deleted members are
// left out unless the query filters on statuses.
func (s *Service) SearchMembers(ctx context.Context, r SearchRequest) (MemberSearchResult, error) {
	res := MemberSearchResult{Organizations: map[string]latchkey.Organization{}, Meta: ResultsMetadata{Total: -1}}
	if len(r.OrganizationIDs) == 0 {
		return res, latchkey.BadRequest("member_search_missing_organization_id", "organization_ids is required.")
	}
	if len(r.OrganizationIDs) > MaxFilterValues {
		return res, latchkey.BadRequest("member_search_too_many_organization_ids", "At most %d organization_ids may be searched at once.", MaxFilterValues)
	}
	q, err := ParseMemberQuery(r.Query)
	if err != nil {
		return res, err
	}
	limit, err := r.limit()
	if err != nil {
		return res, err
	}
	c, err := decodeCursor(r.Cursor)
	if err != nil {
		return res, err
	}
	orgIDs := slices.Compact(slices.Sorted(slices.Values(r.OrganizationIDs)))
	orgs, err := s.Store.Organizations(ctx, orgIDs)
	if err != nil {
		return res, err
	}
	if len(orgs) != len(orgIDs) {
		return res, latchkey.OrganizationNotFound()
	}
	for _, o := range orgs {
		res.Organizations[o.OrganizationID] = o
	}
	showDeleted := q.Has("statuses")
	match := func(m latchkey.Member) bool {
		return (showDeleted || m.Status != latchkey.StatusDeleted) &&
			q.Matches(func(f Filter) bool { return MemberMatches(f, m) })
	}
	present := func(ms []latchkey.Member) []latchkey.Member {
		for i := range ms {
			ms[i] = ms[i].Presented(res.Organizations[ms[i].OrganizationID])
		}
		return ms
	}

	if members, keyed, err := s.candidateMembers(ctx, q, orgIDs); err != nil {
		return res, err
	} else if keyed {
		members = slices.DeleteFunc(members, func(m latchkey.Member) bool { return !match(m) })
		slices.SortFunc(members, func(a, b latchkey.Member) int {
			return cmp.Or(cmp.Compare(a.OrganizationID, b.OrganizationID), cmp.Compare(a.MemberID, b.MemberID))
		})
		page, meta, err := pageOf(members, c.Offset, limit)
		res.Members, res.Meta = present(page), meta
		return res, err
	}

	for oi := c.OrgIndex; oi < len(orgIDs); oi++ {
		after := ""
		if oi == c.OrgIndex {
			after = c.AfterID
		}
		for {
			batch, more, err := s.Store.ListMembers(ctx, orgIDs[oi], after, listBatch)
			if err != nil {
				return res, err
			}
			for i, m := range batch {
				if !match(m) {
					continue
				}
				res.Members = append(res.Members, m)
				if len(res.Members) == limit {
					if more || i < len(batch)-1 || oi < len(orgIDs)-1 {
						res.Meta.NextCursor = cursor{OrgIndex: oi, AfterID: m.MemberID}.encode()
					}
					res.Members = present(res.Members)
					return res, nil
				}
			}
			if !more || len(batch) == 0 {
				break
			}
			after = batch[len(batch)-1].MemberID
		}
	}
	res.Members = present(res.Members)
	return res, nil
}

// candidateMembers reads members by key when an AND query names them by id or email.
func (s *Service) candidateMembers(ctx context.Context, q Query, orgIDs []string) ([]latchkey.Member, bool, error) {
	var byOrg func(orgID string) ([]string, error)
	if f, ok := q.Filter("member_ids"); ok {
		byOrg = func(string) ([]string, error) { return f.Strings, nil }
	} else if f, ok := q.Filter("member_emails"); ok {
		byOrg = func(orgID string) ([]string, error) { return s.Store.MemberIDsByEmail(ctx, orgID, f.Strings) }
	} else {
		return nil, false, nil
	}
	var out []latchkey.Member
	for _, orgID := range orgIDs {
		ids, err := byOrg(orgID)
		if err != nil {
			return nil, false, err
		}
		ms, err := s.Store.Members(ctx, orgID, ids)
		if err != nil {
			return nil, false, err
		}
		out = append(out, ms...)
	}
	return out, true, nil
}
