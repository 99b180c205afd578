package api

import (
	"net/http"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/sessionmigrate"
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

// sessionMigrateResponse is Stytch's MigrateResponse. When the organization wants a second
// factor, the migration ends as Latchkey's other primary logins do, with member_authenticated
// false, an intermediate session and mfa_required, which Stytch's shape has no fields for
// (stytch-go's MigrateResponse drops them: its SessionToken is then "").
type sessionMigrateResponse struct {
	envelope
	MemberID                 string                `json:"member_id"`
	SessionToken             string                `json:"session_token"`
	SessionJWT               string                `json:"session_jwt"`
	Member                   latchkey.Member       `json:"member"`
	Organization             latchkey.Organization `json:"organization"`
	MemberSession            *authn.Session        `json:"member_session"`
	MemberAuthenticated      bool                  `json:"member_authenticated"`
	IntermediateSessionToken string                `json:"intermediate_session_token"`
	MFARequired              *authn.MFARequired    `json:"mfa_required"`
}

func (s *Server) migrateSession(r *http.Request) (stamper, error) {
	var req sessionmigrate.MigrateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	res, err := s.Migrate.Migrate(r.Context(), req)
	if err != nil {
		return nil, err
	}
	// As for every primary login that leaves MFA owed, a code is texted where the member may
	// use one.
	b := s.primaryBody(r, res)
	return &sessionMigrateResponse{MemberID: b.MemberID, SessionToken: b.SessionToken, SessionJWT: b.SessionJWT, Member: b.Member,
		Organization: b.Organization, MemberSession: b.MemberSession, MemberAuthenticated: b.MemberAuthenticated,
		IntermediateSessionToken: b.IntermediateSessionToken, MFARequired: b.MFARequired}, nil
}
