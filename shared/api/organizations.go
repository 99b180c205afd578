package api

import (
	"net/http"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/orgs"
)

type organizationResponse struct {
	envelope
	Organization latchkey.Organization `json:"organization"`
}

type organizationDeleteResponse struct {
	envelope
	OrganizationID string `json:"organization_id"`
}

type organizationSearchResponse struct {
	envelope
	Organizations   []latchkey.Organization `json:"organizations"`
	ResultsMetadata orgs.ResultsMetadata    `json:"results_metadata"`
}

func (s *Server) createOrganization(r *http.Request) (stamper, error) {
	var p latchkey.OrganizationPatch
	if err := decode(r, &p); err != nil {
		return nil, err
	}
	o, err := s.Orgs.CreateOrganization(r.Context(), p)
	if err != nil {
		return nil, err
	}
	setOrg(r, o.OrganizationID)
	return &organizationResponse{Organization: o}, nil
}

func (s *Server) getOrganization(r *http.Request) (stamper, error) {
	o, err := s.Orgs.Organization(r.Context(), r.PathValue("organization_id"))
	if err != nil {
		return nil, err
	}
	setOrg(r, o.OrganizationID)
	return &organizationResponse{Organization: o}, nil
}

func (s *Server) updateOrganization(r *http.Request) (stamper, error) {
	id := r.PathValue("organization_id")
	setOrg(r, id)
	var p latchkey.OrganizationPatch
	if err := decode(r, &p); err != nil {
		return nil, err
	}
	if p.RBACEmailImplicitRoleAssignments != nil {
		roles := roleIDs(*p.RBACEmailImplicitRoleAssignments, func(a latchkey.EmailImplicitRoleAssignment) string { return a.RoleID })
		if err := s.checkRoles(r, id, roles); err != nil {
			return nil, err
		}
	}
	o, err := s.Orgs.UpdateOrganization(r.Context(), id, p)
	if err != nil {
		return nil, err
	}
	return &organizationResponse{Organization: o}, nil
}

func (s *Server) deleteOrganization(r *http.Request) (stamper, error) {
	id := r.PathValue("organization_id")
	setOrg(r, id)
	if err := s.Orgs.DeleteOrganization(r.Context(), id); err != nil {
		return nil, err
	}
	return &organizationDeleteResponse{OrganizationID: id}, nil
}

func (s *Server) searchOrganizations(r *http.Request) (stamper, error) {
	var req orgs.SearchRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	orgs, meta, err := s.Orgs.SearchOrganizations(r.Context(), req)
	if err != nil {
		return nil, err
	}
	if orgs == nil {
		orgs = []latchkey.Organization{}
	}
	return &organizationSearchResponse{Organizations: orgs, ResultsMetadata: meta}, nil
}
