package api

import (
	"net/http"

	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/discovery"
	"github.com/latchkey/latchkey/shared/magiclink"
)

func (s *Server) discoverySend(r *http.Request) (stamper, error) {
	var req magiclink.DiscoverySendRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.MagicLinks.DiscoverySend(r.Context(), req); err != nil {
		return nil, err
	}
	return &envelope{}, nil
}

type discoveryAuthenticateResponse struct {
	envelope
	IntermediateSessionToken string                         `json:"intermediate_session_token"`
	EmailAddress             string                         `json:"email_address"`
	DiscoveredOrganizations  []authn.DiscoveredOrganization `json:"discovered_organizations"`
}

// discoveryBody renders a discovery authenticate (magic link, code or password).
func discoveryBody(res authn.Discovered, err error) (stamper, error) {
	if err != nil {
		return nil, err
	}
	orgs := res.Organizations
	if orgs == nil {
		orgs = []authn.DiscoveredOrganization{}
	}
	return &discoveryAuthenticateResponse{IntermediateSessionToken: res.IntermediateToken, EmailAddress: res.Email,
		DiscoveredOrganizations: orgs}, nil
}

func (s *Server) discoveryAuthenticate(r *http.Request) (stamper, error) {
	var req magiclink.DiscoveryAuthenticateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return discoveryBody(s.MagicLinks.DiscoveryAuthenticate(r.Context(), req))
}

type discoveryListResponse struct {
	envelope
	EmailAddress            string                         `json:"email_address"`
	DiscoveredOrganizations []authn.DiscoveredOrganization `json:"discovered_organizations"`
	OrganizationIDHint      *string                        `json:"organization_id_hint"`
}

func (s *Server) discoveryOrganizations(r *http.Request) (stamper, error) {
	var req discovery.ListRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	list, err := s.Discovery.DiscoveredOrganizations(r.Context(), req)
	if err != nil {
		return nil, err
	}
	out := &discoveryListResponse{EmailAddress: list.Email, DiscoveredOrganizations: list.Organizations}
	if list.Hint != "" {
		out.OrganizationIDHint = &list.Hint
	}
	return out, nil
}

func (s *Server) exchangeIntermediateSession(r *http.Request) (stamper, error) {
	var req authn.ExchangeRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	res, err := s.Sessions.ExchangeIntermediateSession(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return s.primaryBody(r, res), nil
}

func (s *Server) createOrganizationFromDiscovery(r *http.Request) (stamper, error) {
	var req discovery.CreateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	res, err := s.Discovery.CreateOrganizationFromDiscovery(r.Context(), req)
	if err != nil {
		return nil, err
	}
	setOrg(r, res.Organization.OrganizationID)
	return authenticateBody(res), nil
}

func (s *Server) exchangeSession(r *http.Request) (stamper, error) {
	var req authn.ExchangeRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	req.IntermediateSessionToken = ""
	setOrg(r, req.OrganizationID)
	res, err := s.Sessions.ExchangeSession(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return s.primaryBody(r, res), nil
}
