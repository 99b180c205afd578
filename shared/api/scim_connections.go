package api

import (
	"net/http"
	"strconv"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/scim"
)

// scimConnectionView is Stytch's SCIMConnection in its three forms: with the bearer token
// (create), with the next token (rotate/start), and with only last-four digits (the rest).
// The last fours are pointers because Stytch's plain form always has both, "" when there is no
// next token, while the forms with a token have no last four for it.
type scimConnectionView struct {
	OrganizationID           string                   `json:"organization_id"`
	ConnectionID             string                   `json:"connection_id"`
	Status                   string                   `json:"status"`
	DisplayName              string                   `json:"display_name"`
	IdentityProvider         string                   `json:"identity_provider"`
	BaseURL                  string                   `json:"base_url"`
	BearerToken              string                   `json:"bearer_token,omitempty"`
	BearerTokenLastFour      *string                  `json:"bearer_token_last_four,omitempty"`
	NextBearerToken          string                   `json:"next_bearer_token,omitempty"`
	NextBearerTokenLastFour  *string                  `json:"next_bearer_token_last_four,omitempty"`
	GroupRoles               []latchkey.SCIMGroupRole `json:"scim_group_implicit_role_assignments"`
	BearerTokenExpiresAt     *time.Time               `json:"bearer_token_expires_at,omitempty"`
	NextBearerTokenExpiresAt *time.Time               `json:"next_bearer_token_expires_at,omitempty"`
}

type scimConnectionResponse struct {
	envelope
	Connection scimConnectionView `json:"connection"`
}

type scimConnectionDeleteResponse struct {
	envelope
	ConnectionID string `json:"connection_id"`
}

type scimGroupView struct {
	GroupID        string `json:"group_id"`
	GroupName      string `json:"group_name"`
	OrganizationID string `json:"organization_id"`
	ConnectionID   string `json:"connection_id"`
}

type scimGroupsResponse struct {
	envelope
	SCIMGroups []scimGroupView `json:"scim_groups"`
	NextCursor string          `json:"next_cursor"`
}

// view shows a connection with its tokens' last four digits; tokens themselves are added
// only by the calls that issue them.
func (s *Server) view(c scim.Connection) scimConnectionView {
	roles := c.GroupRoles
	if roles == nil {
		roles = []latchkey.SCIMGroupRole{}
	}
	return scimConnectionView{OrganizationID: c.OrganizationID, ConnectionID: c.ConnectionID, Status: c.Status,
		DisplayName: c.DisplayName, IdentityProvider: c.IdentityProvider, BaseURL: s.SCIM.ConnectionBaseURL(c),
		BearerTokenLastFour: &c.TokenLastFour, NextBearerTokenLastFour: &c.NextTokenLastFour, GroupRoles: roles}
}

func (s *Server) connectionBody(c scim.Connection, err error) (stamper, error) {
	if err != nil {
		return nil, err
	}
	return &scimConnectionResponse{Connection: s.view(c)}, nil
}

func (s *Server) createSCIMConnection(r *http.Request) (stamper, error) {
	org := orgScope(r)
	var body struct {
		DisplayName      string `json:"display_name"`
		IdentityProvider string `json:"identity_provider"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	c, token, err := s.SCIM.CreateConnection(r.Context(), org, body.DisplayName, body.IdentityProvider)
	if err != nil {
		return nil, err
	}
	v := s.view(c)
	// The token is shown in full once, here; Stytch's create response has no last four.
	v.BearerToken, v.BearerTokenLastFour, v.NextBearerTokenLastFour = token, nil, nil
	return &scimConnectionResponse{Connection: v}, nil
}

func (s *Server) getSCIMConnection(r *http.Request) (stamper, error) {
	return s.connectionBody(s.SCIM.Connection(r.Context(), orgScope(r)))
}

func (s *Server) updateSCIMConnection(r *http.Request) (stamper, error) {
	org := orgScope(r)
	var p scim.ConnectionPatch
	if err := decode(r, &p); err != nil {
		return nil, err
	}
	if p.GroupRoles != nil {
		if err := s.checkRoles(r, org, roleIDs(*p.GroupRoles, func(a latchkey.SCIMGroupRole) string { return a.RoleID })); err != nil {
			return nil, err
		}
	}
	return s.connectionBody(s.SCIM.UpdateConnection(r.Context(), org, r.PathValue("connection_id"), p))
}

func (s *Server) deleteSCIMConnection(r *http.Request) (stamper, error) {
	org := orgScope(r)
	id := r.PathValue("connection_id")
	if err := s.SCIM.DeleteConnection(r.Context(), org, id); err != nil {
		return nil, err
	}
	return &scimConnectionDeleteResponse{ConnectionID: id}, nil
}

func (s *Server) rotateSCIMStart(r *http.Request) (stamper, error) {
	c, token, err := s.SCIM.RotateStart(r.Context(), orgScope(r), r.PathValue("connection_id"))
	if err != nil {
		return nil, err
	}
	v := s.view(c)
	v.NextBearerToken, v.NextBearerTokenLastFour = token, nil
	return &scimConnectionResponse{Connection: v}, nil
}

func (s *Server) rotateSCIMComplete(r *http.Request) (stamper, error) {
	return s.connectionBody(s.SCIM.RotateComplete(r.Context(), orgScope(r), r.PathValue("connection_id")))
}

func (s *Server) rotateSCIMCancel(r *http.Request) (stamper, error) {
	return s.connectionBody(s.SCIM.RotateCancel(r.Context(), orgScope(r), r.PathValue("connection_id")))
}

func (s *Server) getSCIMGroups(r *http.Request) (stamper, error) {
	org := orgScope(r)
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, latchkey.Errorf(http.StatusBadRequest, "invalid_limit", "limit must be a number.")
		}
		limit = n
	}
	groups, next, err := s.SCIM.ConnectionGroups(r.Context(), org, r.PathValue("connection_id"), q.Get("cursor"), limit)
	if err != nil {
		return nil, err
	}
	out := make([]scimGroupView, 0, len(groups))
	for _, g := range groups {
		out = append(out, scimGroupView{GroupID: g.GroupID, GroupName: g.DisplayName, OrganizationID: g.OrganizationID, ConnectionID: g.ConnectionID})
	}
	return &scimGroupsResponse{SCIMGroups: out, NextCursor: next}, nil
}
