package api

import (
	"net/http"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/magiclink"
	"github.com/latchkey/latchkey/shared/orgs"
)

type memberResponse struct {
	envelope
	MemberID     string                `json:"member_id"`
	Member       latchkey.Member       `json:"member"`
	Organization latchkey.Organization `json:"organization"`
}

func memberBody(m latchkey.Member, o latchkey.Organization, err error) (stamper, error) {
	if err != nil {
		return nil, err
	}
	return &memberResponse{MemberID: m.MemberID, Member: m, Organization: o}, nil
}

type memberDeleteResponse struct {
	envelope
	MemberID string `json:"member_id"`
}

type memberSearchResponse struct {
	envelope
	Members         []latchkey.Member                `json:"members"`
	ResultsMetadata orgs.ResultsMetadata             `json:"results_metadata"`
	Organizations   map[string]latchkey.Organization `json:"organizations"`
}

// orgScope reads the organization in the path and records it for the log line.
func orgScope(r *http.Request) string {
	id := r.PathValue("organization_id")
	setOrg(r, id)
	return id
}

func (s *Server) createMember(r *http.Request) (stamper, error) {
	org := orgScope(r)
	var p latchkey.MemberPatch
	if err := decode(r, &p); err != nil {
		return nil, err
	}
	if p.Roles != nil {
		if err := s.checkRoles(r, org, *p.Roles); err != nil {
			return nil, err
		}
	}
	return memberBody(s.Orgs.CreateMember(r.Context(), org, p))
}

func (s *Server) getMember(r *http.Request) (stamper, error) {
	org := orgScope(r)
	q := r.URL.Query()
	return memberBody(s.Orgs.Member(r.Context(), org, q.Get("member_id"), q.Get("email_address")))
}

func (s *Server) dangerouslyGetMember(r *http.Request) (stamper, error) {
	includeDeleted := r.URL.Query().Get("include_deleted") == "true"
	m, o, err := s.Orgs.DangerouslyGetMember(r.Context(), r.PathValue("member_id"), includeDeleted)
	setOrg(r, o.OrganizationID)
	return memberBody(m, o, err)
}

func (s *Server) updateMember(r *http.Request) (stamper, error) {
	org := orgScope(r)
	var p latchkey.MemberPatch
	if err := decode(r, &p); err != nil {
		return nil, err
	}
	if p.Roles != nil {
		if err := s.checkRoles(r, org, *p.Roles); err != nil {
			return nil, err
		}
	}
	return memberBody(s.Orgs.UpdateMember(r.Context(), org, r.PathValue("member_id"), p))
}

func (s *Server) deleteMember(r *http.Request) (stamper, error) {
	org := orgScope(r)
	id := r.PathValue("member_id")
	if err := s.Orgs.DeleteMember(r.Context(), org, id); err != nil {
		return nil, err
	}
	return &memberDeleteResponse{MemberID: id}, nil
}

func (s *Server) reactivateMember(r *http.Request) (stamper, error) {
	org := orgScope(r)
	return memberBody(s.Orgs.ReactivateMember(r.Context(), org, r.PathValue("member_id")))
}

type unlinkRetiredEmailResponse struct {
	memberResponse
	OrganizationID string `json:"organization_id"`
}

func (s *Server) unlinkRetiredEmail(r *http.Request) (stamper, error) {
	org := orgScope(r)
	var req orgs.UnlinkRetiredEmailRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	m, o, err := s.Orgs.UnlinkRetiredEmail(r.Context(), org, r.PathValue("member_id"), req)
	if err != nil {
		return nil, err
	}
	return &unlinkRetiredEmailResponse{memberResponse{MemberID: m.MemberID, Member: m, Organization: o}, o.OrganizationID}, nil
}

func (s *Server) startEmailUpdate(r *http.Request) (stamper, error) {
	org := orgScope(r)
	var req magiclink.StartEmailUpdateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return memberBody(s.MagicLinks.StartEmailUpdate(r.Context(), org, r.PathValue("member_id"), req))
}

func (s *Server) searchMembers(r *http.Request) (stamper, error) {
	var req orgs.SearchRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	res, err := s.Orgs.SearchMembers(r.Context(), req)
	if err != nil {
		return nil, err
	}
	if res.Members == nil {
		res.Members = []latchkey.Member{}
	}
	return &memberSearchResponse{Members: res.Members, ResultsMetadata: res.Meta, Organizations: res.Organizations}, nil
}
