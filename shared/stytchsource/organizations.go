package stytchsource

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations"
)

// organizations writes the organization lines of this part and returns their ids in order.
func (x *exporter) organizations(ctx context.Context, w io.Writer) ([]string, error) {
	var (
		ids     []string
		seen    = map[string]bool{}
		resumed = x.opts.After == ""
		buf     bytes.Buffer
		full    bool
	)
	// take handles one listed organization; false stops the listing (the part is full).
	take := func(raw json.RawMessage, reencoded bool) (bool, error) {
		var o struct {
			OrganizationID string `json:"organization_id"`
		}
		if err := json.Unmarshal(raw, &o); err != nil || o.OrganizationID == "" {
			return false, fmt.Errorf("stytchsource: Organizations.Search returned an organization without an id: %.200s", raw)
		}
		if seen[o.OrganizationID] {
			x.stats.Skipped = append(x.stats.Skipped, Skip{Type: TypeOrganization, OrganizationID: o.OrganizationID,
				ID: o.OrganizationID, Reason: "listed twice by Organizations.Search paging; written once"})
			return true, nil
		}
		seen[o.OrganizationID] = true
		if !resumed {
			resumed = o.OrganizationID == x.opts.After
			return true, nil
		}
		if x.opts.MaxOrganizations > 0 && len(ids) == x.opts.MaxOrganizations {
			full = true
			return false, nil
		}
		buf.Reset()
		if err := writeLine(&buf, TypeOrganization, "", "organization", raw); err != nil {
			return false, err
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return false, err
		}
		ids = append(ids, o.OrganizationID)
		x.stats.Organizations++
		if reencoded {
			x.stats.Reencoded++
		}
		x.stats.LastOrganizationID = o.OrganizationID
		return true, nil
	}

	if len(x.opts.OrganizationIDs) == 0 {
		if err := x.listOrganizations(ctx, nil, take); err != nil {
			return nil, err
		}
	} else {
		want := uniq(x.opts.OrganizationIDs)
		for part := range slices.Chunk(want, maxFilterValues) {
			q := &organizations.SearchQuery{Operator: organizations.SearchQueryOperatorAND,
				Operands: []map[string]any{{"filter_name": "organization_ids", "filter_value": part}}}
			if err := x.listOrganizations(ctx, q, take); err != nil {
				return nil, err
			}
			if full {
				break
			}
		}
		if !full {
			var missing []string
			for _, id := range want {
				if !seen[id] {
					missing = append(missing, id)
				}
			}
			if len(missing) > 0 {
				return nil, fmt.Errorf("stytchsource: organizations not found: %v", missing)
			}
		}
	}
	if !resumed {
		return nil, fmt.Errorf("stytchsource: the resume point %q is not listed (was it deleted?)", x.opts.After)
	}
	x.stats.Complete = !full
	return ids, nil
}

// listOrganizations pages through Organizations.Search, handing each organization to take.
func (x *exporter) listOrganizations(ctx context.Context, q *organizations.SearchQuery, take func(json.RawMessage, bool) (bool, error)) error {
	cursor := ""
	for {
		var resp *organizations.SearchResponse
		c, err := x.call(ctx, "Organizations.Search", "", func(ctx context.Context) (err error) {
			resp, err = x.c.Organizations.Search(ctx, &organizations.SearchParams{Cursor: cursor, Limit: uint32(x.opts.PageSize), Query: q})
			return err
		})
		if err != nil {
			return err
		}
		x.orgPages.Add(1)
		list, reencoded, err := objects(c, "organizations", resp.Organizations)
		if err != nil {
			return fmt.Errorf("stytchsource: Organizations.Search: %w", err)
		}
		for _, raw := range list {
			if more, err := take(raw, reencoded); err != nil || !more {
				return err
			}
		}
		next := resp.ResultsMetadata.NextCursor
		if next == "" {
			return nil
		}
		if next == cursor {
			return fmt.Errorf("stytchsource: Organizations.Search returned its own cursor as next_cursor")
		}
		cursor = next
	}
}

func uniq(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
