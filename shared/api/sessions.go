package api

import (
	"net/http"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
)

type sessionAuthenticateResponse struct {
	envelope
	MemberSession authn.Session         `json:"member_session"`
	SessionToken  string                `json:"session_token"`
	SessionJWT    string                `json:"session_jwt"`
	Member        latchkey.Member       `json:"member"`
	Organization  latchkey.Organization `json:"organization"`
	Verdict       *verdict              `json:"verdict"`
}

func (s *Server) authenticateSession(r *http.Request) (stamper, error) {
	var req authn.SessionAuthenticateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	res, err := s.Sessions.AuthenticateSession(r.Context(), req)
	if err != nil {
		return nil, err
	}
	setOrg(r, res.Organization.OrganizationID)
	out := &sessionAuthenticateResponse{MemberSession: *res.Session, SessionToken: res.SessionToken, SessionJWT: res.SessionJWT,
		Member: res.Member, Organization: res.Organization}
	if req.AuthorizationCheck != nil {
		// The member's roles came with the session read and the policy is in memory: the
		// check costs no DynamoDB call.
		if out.Verdict, err = s.check(req.AuthorizationCheck, *res.Session, res.Member, res.Organization); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type sessionsResponse struct {
	envelope
	MemberSessions []authn.Session `json:"member_sessions"`
}

func (s *Server) getSessions(r *http.Request) (stamper, error) {
	q := r.URL.Query()
	setOrg(r, q.Get("organization_id"))
	sessions, err := s.Sessions.Sessions(r.Context(), q.Get("organization_id"), q.Get("member_id"))
	if err != nil {
		return nil, err
	}
	return &sessionsResponse{MemberSessions: sessions}, nil
}

func (s *Server) revokeSession(r *http.Request) (stamper, error) {
	var req authn.RevokeRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.Sessions.Revoke(r.Context(), req); err != nil {
		return nil, err
	}
	return &envelope{}, nil
}
