package api

import (
	"net/http"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/magiclink"
)

type loginOrSignupResponse struct {
	envelope
	MemberID      string                `json:"member_id"`
	MemberCreated bool                  `json:"member_created"`
	Member        latchkey.Member       `json:"member"`
	Organization  latchkey.Organization `json:"organization"`
}

func (s *Server) loginOrSignup(r *http.Request) (stamper, error) {
	var req magiclink.LoginOrSignupRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	res, err := s.MagicLinks.LoginOrSignup(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return &loginOrSignupResponse{MemberID: res.Member.MemberID, MemberCreated: res.MemberCreated, Member: res.Member, Organization: res.Organization}, nil
}

func (s *Server) invite(r *http.Request) (stamper, error) {
	var req magiclink.InviteRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	if req.Roles != nil {
		if err := s.checkRoles(r, req.OrganizationID, *req.Roles); err != nil {
			return nil, err
		}
	}
	return memberBody(s.MagicLinks.Invite(r.Context(), req))
}

type authenticateResponse struct {
	envelope
	MemberID                 string                 `json:"member_id"`
	OrganizationID           string                 `json:"organization_id"`
	MethodID                 string                 `json:"method_id"`
	ResetSessions            bool                   `json:"reset_sessions"`
	Member                   latchkey.Member        `json:"member"`
	Organization             latchkey.Organization  `json:"organization"`
	SessionToken             string                 `json:"session_token"`
	SessionJWT               string                 `json:"session_jwt"`
	MemberSession            *authn.Session         `json:"member_session"`
	IntermediateSessionToken string                 `json:"intermediate_session_token"`
	MemberAuthenticated      bool                   `json:"member_authenticated"`
	MFARequired              *authn.MFARequired     `json:"mfa_required"`
	PrimaryRequired          *authn.PrimaryRequired `json:"primary_required"`
	MemberDevice             *map[string]any        `json:"member_device"`
}

// authenticateBody renders an authentication; method_id names the email the newest factor
// proved, as Stytch's does.
func authenticateBody(res authn.Result) *authenticateResponse {
	out := &authenticateResponse{
		MemberID: res.Member.MemberID, OrganizationID: res.Organization.OrganizationID, Member: res.Member,
		Organization: res.Organization, SessionToken: res.SessionToken, SessionJWT: res.SessionJWT,
		MemberSession: res.Session, IntermediateSessionToken: res.IntermediateToken, MemberAuthenticated: res.MemberAuthenticated,
	}
	if res.Session != nil {
		if email, _, ok := latchkey.ProvenEmail(res.Session.AuthenticationFactors); ok {
			out.MethodID = latchkey.EmailID(email)
		}
	}
	var m *latchkey.Member
	if res.Member.MemberID != "" {
		m = &res.Member
	}
	out.PrimaryRequired, out.MFARequired = authn.Requirements(latchkey.Admission{PrimaryRequired: res.PrimaryRequired, MFARequired: res.MFARequired}, m)
	return out
}

func (s *Server) authenticateMagicLink(r *http.Request) (stamper, error) {
	var req magiclink.AuthenticateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	res, err := s.MagicLinks.Authenticate(r.Context(), req)
	if err != nil {
		return nil, err
	}
	setOrg(r, res.Organization.OrganizationID)
	return s.primaryBody(r, res), nil
}
