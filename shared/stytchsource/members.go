package stytchsource

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations/members"
)

// members sends one organization's members, a chunk per page: every member Members.Search
// returns by default (all but deleted), then, if asked, the deleted ones.
func (x *exporter) members(ctx context.Context, orgID string, send func(chunk) bool) {
	seen := map[string]bool{}
	passes := []*organizations.SearchQuery{nil}
	if x.opts.IncludeDeletedMembers {
		passes = append(passes, &organizations.SearchQuery{Operator: organizations.SearchQueryOperatorAND,
			Operands: []map[string]any{{"filter_name": "statuses", "filter_value": []string{"deleted"}}}})
	}
	for _, q := range passes {
		cursor := ""
		for {
			c, next, err := x.memberPage(ctx, orgID, cursor, q, seen)
			if err != nil {
				if none, _, _ := optional(err); none {
					send(chunk{tally: tally{skipped: []Skip{{Type: TypeMember, OrganizationID: orgID,
						Reason: "Members.Search answered 404: the organization went away during the export"}}}})
					return
				}
				c = chunk{err: err}
			}
			if !send(c) {
				return
			}
			if next == "" {
				break
			}
			if next == cursor {
				send(chunk{err: fmt.Errorf("stytchsource: Members.Search for %s returned its own cursor as next_cursor", orgID)})
				return
			}
			cursor = next
		}
	}
}

func (x *exporter) memberPage(ctx context.Context, orgID, cursor string, q *organizations.SearchQuery, seen map[string]bool) (chunk, string, error) {
	var resp *members.SearchResponse
	c, err := x.call(ctx, "Members.Search", orgID, func(ctx context.Context) (err error) {
		resp, err = x.c.Organizations.Members.Search(ctx, &members.SearchParams{OrganizationIds: []string{orgID},
			Cursor: cursor, Limit: uint32(x.opts.PageSize), Query: q})
		return err
	})
	var out chunk
	if err != nil {
		return out, "", err
	}
	x.memberPages.Add(1)
	list, reencoded, err := objects(c, "members", resp.Members)
	if err != nil {
		return out, "", fmt.Errorf("stytchsource: Members.Search for %s: %w", orgID, err)
	}
	var buf bytes.Buffer
	for _, raw := range list {
		var m struct {
			MemberID           string `json:"member_id"`
			OrganizationID     string `json:"organization_id"`
			Status             string `json:"status"`
			MemberPasswordID   string `json:"member_password_id"`
			TOTPRegistrationID string `json:"totp_registration_id"`
		}
		if err := json.Unmarshal(raw, &m); err != nil || m.MemberID == "" {
			return out, "", fmt.Errorf("stytchsource: Members.Search for %s returned a member without an id: %.200s", orgID, raw)
		}
		if m.OrganizationID != orgID {
			return out, "", fmt.Errorf("stytchsource: Members.Search for %s returned member %s of %q", orgID, m.MemberID, m.OrganizationID)
		}
		if seen[m.MemberID] {
			out.tally.skipped = append(out.tally.skipped, Skip{Type: TypeMember, OrganizationID: orgID, ID: m.MemberID,
				Reason: "listed twice by Members.Search paging; written once"})
			continue
		}
		seen[m.MemberID] = true
		if err := writeLine(&buf, TypeMember, "", "member", raw); err != nil {
			return out, "", err
		}
		out.tally.members++
		if out.tally.statuses == nil {
			out.tally.statuses = map[string]int{}
		}
		out.tally.statuses[m.Status]++
		if m.MemberPasswordID != "" {
			out.tally.notExported.Passwords++
		}
		if m.TOTPRegistrationID != "" {
			out.tally.notExported.TOTPs++
		}
		if reencoded {
			out.tally.reencoded++
		}
	}
	out.data = buf.Bytes()
	return out, resp.ResultsMetadata.NextCursor, nil
}
