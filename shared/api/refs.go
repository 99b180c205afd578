package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// Stytch takes an organization's slug or organization_external_id wherever it takes an
// organization_id, and a member's external_id wherever it takes a member_id (its SDKs' doc
// comments: "You may also use the organization_slug or organization_external_id here as a
// convenience"). Rather than teach every handler, resolveRefs rewrites such values to the ids
// before the request reaches its handler, in the path, the query and the top level of a JSON
// body. An id-shaped value is left as it is and costs nothing; any other costs one read (one
// BatchGetItem for an organization, one GetItem for a member) and answers
// organization_not_found or member_not_found when nothing has it.
func (s *Server) resolveRefs(rt Route, r *http.Request) error {
	ctx := r.Context()
	org := ""
	resolveOrg := func(v string) (string, error) {
		id, err := s.Orgs.OrganizationID(ctx, v)
		if err == nil && org == "" {
			org = id
		}
		return id, err
	}
	resolveMember := func(v string) (string, error) {
		if org == "" || idsOnlyMember[rt.Method+" "+rt.Path] {
			return v, nil // no organization to look the external id up in: the handler refuses it
		}
		return s.Orgs.MemberID(ctx, org, v)
	}
	refs := []struct {
		name    string
		resolve func(string) (string, error)
	}{{"organization_id", resolveOrg}, {"member_id", resolveMember}} // the organization first
	for _, ref := range refs {
		if v := r.PathValue(ref.name); v != "" {
			id, err := ref.resolve(v)
			if err != nil {
				return err
			}
			r.SetPathValue(ref.name, id)
		}
	}
	if q := r.URL.Query(); q.Has("organization_id") || q.Has("member_id") {
		for _, ref := range refs {
			if v := q.Get(ref.name); v != "" {
				id, err := ref.resolve(v)
				if err != nil {
					return err
				}
				q.Set(ref.name, id)
			}
		}
		r.URL.RawQuery = q.Encode()
	}

	if r.Body == nil || r.Method == http.MethodGet {
		return nil
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil // unreadable: decode reports it
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	if len(raw) > maxBody || !bytes.Contains(raw, []byte(`"organization_id"`)) && !bytes.Contains(raw, []byte(`"member_id"`)) {
		return nil
	}
	var body map[string]json.RawMessage
	if json.Unmarshal(raw, &body) != nil {
		return nil // malformed: decode refuses it
	}
	changed := false
	for _, ref := range refs {
		var v string
		if json.Unmarshal(body[ref.name], &v) != nil || v == "" {
			continue
		}
		id, err := ref.resolve(v)
		if err != nil {
			return err
		}
		if id != v {
			body[ref.name], _ = json.Marshal(id)
			changed = true
		}
	}
	if changed {
		raw, _ = json.Marshal(body)
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(raw)), int64(len(raw))
		r.Header.Del("Content-Length")
	}
	return nil
}

// refsFor tells whether a route takes organization or member references: every route with
// project credentials. Not the public routes: resolving there, before the public token is
// checked, would let anyone probe which slugs and external ids exist (the SSO start takes an
// organization_id; the OAuth start has its own slug parameter). Not the SCIM server either,
// which identity providers call with ids.
func refsFor(rt Route) bool { return !rt.Public && !strings.HasPrefix(rt.Path, "/scim/") }

// idsOnlyMember lists the routes whose member_id Stytch documents as an id only: a deleted
// member has given up its external_id, which another member may hold now.
var idsOnlyMember = map[string]bool{
	"PUT /v1/b2b/organizations/{organization_id}/members/{member_id}/reactivate": true,
}
