package api

import (
	"net/http"

	"github.com/latchkey/latchkey/shared/otp"
)

func (s *Server) otpLoginOrSignup(r *http.Request) (stamper, error) {
	var req otp.LoginOrSignupRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	res, err := s.OTPs.LoginOrSignup(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return &loginOrSignupResponse{MemberID: res.Member.MemberID, MemberCreated: res.MemberCreated, Member: res.Member, Organization: res.Organization}, nil
}

func (s *Server) otpAuthenticate(r *http.Request) (stamper, error) {
	var req otp.AuthenticateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	res, err := s.OTPs.Authenticate(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return s.primaryBody(r, res), nil
}

func (s *Server) otpDiscoverySend(r *http.Request) (stamper, error) {
	var req otp.DiscoverySendRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.OTPs.DiscoverySend(r.Context(), req); err != nil {
		return nil, err
	}
	return &envelope{}, nil
}

func (s *Server) otpDiscoveryAuthenticate(r *http.Request) (stamper, error) {
	var req otp.DiscoveryAuthenticateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return discoveryBody(s.OTPs.DiscoveryAuthenticate(r.Context(), req))
}
