package api

import (
	"net"
	"net/http"
	"net/netip"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/passwords"
)

// client is the caller's network address, which password locks count by. Behind API Gateway
// it is the source IP the gateway saw (aws-lambda-go-api-proxy sets RemoteAddr from it); no
// header the caller controls is trusted for it.
//
// An IPv6 client counts by its /64, the block one subscriber usually holds, so rotating
// addresses inside it gains no tries.
func client(r *http.Request) string {
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		host = h
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() && !a.Is4In6() {
		if p, err := a.Prefix(64); err == nil {
			return p.String()
		}
	}
	return host
}

type passwordAuthResponse struct {
	*authenticateResponse
	MemberEmailID string `json:"member_email_id,omitempty"`
}

func (s *Server) passwordAuthenticate(r *http.Request) (stamper, error) {
	var req passwords.AuthenticateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	req.Client = client(r)
	res, err := s.Passwords.Authenticate(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return s.primaryBody(r, res), nil
}

type strengthResponse struct {
	envelope
	passwords.Strength
}

func (s *Server) passwordStrengthCheck(r *http.Request) (stamper, error) {
	var req struct {
		Password     string `json:"password"`
		EmailAddress string `json:"email_address"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	email := ""
	if req.EmailAddress != "" {
		var err error
		if email, err = latchkey.NormalizeEmail(req.EmailAddress); err != nil {
			return nil, err
		}
	}
	st, err := s.Passwords.Check(r.Context(), req.Password, email)
	if err != nil {
		return nil, err
	}
	return &strengthResponse{Strength: st}, nil
}

func (s *Server) passwordMigrate(r *http.Request) (stamper, error) {
	var req passwords.MigrateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	if req.Roles != nil {
		if err := s.checkRoles(r, req.OrganizationID, *req.Roles); err != nil {
			return nil, err
		}
	}
	res, err := s.Passwords.Migrate(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return &loginOrSignupResponse{MemberID: res.Member.MemberID, MemberCreated: res.MemberCreated, Member: res.Member,
		Organization: res.Organization}, nil
}

type resetStartResponse struct {
	envelope
	MemberID      string          `json:"member_id"`
	MemberEmailID string          `json:"member_email_id"`
	Member        latchkey.Member `json:"member"`
}

func (s *Server) passwordResetStart(r *http.Request) (stamper, error) {
	var req passwords.ResetStartRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	res, err := s.Passwords.ResetStart(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return &resetStartResponse{MemberID: res.Member.MemberID, MemberEmailID: latchkey.EmailID(res.Member.EmailAddress), Member: res.Member}, nil
}

func (s *Server) passwordReset(r *http.Request) (stamper, error) {
	var req passwords.ResetRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	res, err := s.Passwords.Reset(r.Context(), req)
	if err != nil {
		return nil, err
	}
	setOrg(r, res.Organization.OrganizationID)
	return &passwordAuthResponse{authenticateResponse: s.primaryBody(r, res), MemberEmailID: latchkey.EmailID(res.Member.EmailAddress)}, nil
}

func (s *Server) passwordRequireReset(r *http.Request) (stamper, error) {
	var req passwords.RequireResetRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	res, err := s.Passwords.RequireReset(r.Context(), req)
	if err != nil {
		return nil, err
	}
	out := &requireResetResponse{}
	if res.Member != nil {
		out.MemberID, out.Member, out.Organization = res.Member.MemberID, res.Member, res.Organization
	}
	return out, nil
}

type requireResetResponse struct {
	envelope
	MemberID     string                 `json:"member_id,omitempty"`
	Member       *latchkey.Member       `json:"member,omitempty"`
	Organization *latchkey.Organization `json:"organization,omitempty"`
}

func (s *Server) passwordExistingReset(r *http.Request) (stamper, error) {
	var req passwords.ExistingResetRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	req.Client = client(r)
	res, err := s.Passwords.ExistingReset(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return s.primaryBody(r, res), nil
}

func (s *Server) passwordSessionReset(r *http.Request) (stamper, error) {
	var req passwords.SessionResetRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	res, err := s.Passwords.SessionReset(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return authenticateBody(res), nil
}

func (s *Server) passwordDiscoveryAuthenticate(r *http.Request) (stamper, error) {
	var req passwords.DiscoveryAuthenticateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	req.Client = client(r)
	return discoveryBody(s.Passwords.DiscoveryAuthenticate(r.Context(), req))
}

func (s *Server) passwordDiscoveryResetStart(r *http.Request) (stamper, error) {
	var req passwords.DiscoveryResetStartRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.Passwords.DiscoveryResetStart(r.Context(), req); err != nil {
		return nil, err
	}
	return &envelope{}, nil
}

func (s *Server) passwordDiscoveryReset(r *http.Request) (stamper, error) {
	var req passwords.DiscoveryResetRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return discoveryBody(s.Passwords.DiscoveryReset(r.Context(), req))
}

func (s *Server) deleteMemberPassword(r *http.Request) (stamper, error) {
	org := orgScope(r)
	return memberBody(s.Passwords.DeletePassword(r.Context(), org, r.PathValue("member_password_id")))
}
