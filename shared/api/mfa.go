package api

import (
	"net/http"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/mfa"
)

// secondFactorResponse is what TOTP, SMS and recovery-code authenticates answer: the member and
// a session, with no intermediate session (Stytch's shape).
type secondFactorResponse struct {
	envelope
	MemberID               string                `json:"member_id"`
	Member                 latchkey.Member       `json:"member"`
	Organization           latchkey.Organization `json:"organization"`
	SessionToken           string                `json:"session_token"`
	SessionJWT             string                `json:"session_jwt"`
	MemberSession          *authn.Session        `json:"member_session"`
	MemberDevice           *map[string]any       `json:"member_device"`
	RecoveryCodesRemaining *int                  `json:"recovery_codes_remaining,omitempty"`
}

func secondFactorBody(res authn.Result) *secondFactorResponse {
	return &secondFactorResponse{MemberID: res.Member.MemberID, Member: res.Member, Organization: res.Organization,
		SessionToken: res.SessionToken, SessionJWT: res.SessionJWT, MemberSession: res.Session}
}

type totpResponse struct {
	envelope
	MemberID           string                `json:"member_id"`
	Member             latchkey.Member       `json:"member"`
	Organization       latchkey.Organization `json:"organization"`
	TOTPRegistrationID string                `json:"totp_registration_id"`
	Secret             string                `json:"secret,omitempty"`
	QRCode             string                `json:"qr_code,omitempty"`
	RecoveryCodes      []string              `json:"recovery_codes"`
}

func totpBody(c mfa.Created, err error) (stamper, error) {
	if err != nil {
		return nil, err
	}
	return &totpResponse{MemberID: c.Member.MemberID, Member: c.Member, Organization: c.Organization, TOTPRegistrationID: c.TOTPID,
		Secret: c.Secret, QRCode: c.QRCode, RecoveryCodes: c.RecoveryCodes}, nil
}

func (s *Server) totpCreate(r *http.Request) (stamper, error) {
	var req mfa.CreateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	return totpBody(s.MFA.Create(r.Context(), req))
}

func (s *Server) totpAuthenticate(r *http.Request) (stamper, error) {
	var req mfa.AuthenticateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	res, err := s.MFA.Authenticate(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return secondFactorBody(res), nil
}

func (s *Server) totpMigrate(r *http.Request) (stamper, error) {
	var req mfa.MigrateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	return totpBody(s.MFA.Migrate(r.Context(), req))
}

func (s *Server) deleteTOTP(r *http.Request) (stamper, error) {
	return memberBody(s.MFA.DeleteTOTP(r.Context(), orgScope(r), r.PathValue("member_id")))
}

func (s *Server) smsSend(r *http.Request) (stamper, error) {
	var req mfa.SendRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	return memberBody(s.MFA.Send(r.Context(), req))
}

func (s *Server) smsAuthenticate(r *http.Request) (stamper, error) {
	var req mfa.SMSAuthenticateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	res, err := s.MFA.SMSAuthenticate(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return secondFactorBody(res), nil
}

func (s *Server) deleteMFAPhoneNumber(r *http.Request) (stamper, error) {
	return memberBody(s.MFA.DeletePhoneNumber(r.Context(), orgScope(r), r.PathValue("member_id")))
}

type recoveryCodesResponse struct {
	envelope
	MemberID      string                `json:"member_id"`
	Member        latchkey.Member       `json:"member"`
	Organization  latchkey.Organization `json:"organization"`
	RecoveryCodes []string              `json:"recovery_codes"`
}

func (s *Server) recoveryCodesGet(r *http.Request) (stamper, error) {
	return nil, s.MFA.RecoveryCodes(r.Context(), orgScope(r), r.PathValue("member_id"))
}

func (s *Server) recoveryCodesRotate(r *http.Request) (stamper, error) {
	var req struct {
		OrganizationID string `json:"organization_id"`
		MemberID       string `json:"member_id"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	m, org, codes, err := s.MFA.Rotate(r.Context(), req.OrganizationID, req.MemberID)
	if err != nil {
		return nil, err
	}
	return &recoveryCodesResponse{MemberID: m.MemberID, Member: m, Organization: org, RecoveryCodes: codes}, nil
}

func (s *Server) recoveryCodesRecover(r *http.Request) (stamper, error) {
	var req mfa.RecoverRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	setOrg(r, req.OrganizationID)
	res, err := s.MFA.Recover(r.Context(), req)
	if err != nil {
		return nil, err
	}
	out := secondFactorBody(res.Result)
	out.RecoveryCodesRemaining = &res.Remaining
	return out, nil
}

// primaryBody renders a primary factor's authentication (or an exchange), texting the second
// factor's code first when the member owes MFA by SMS, as Stytch does.
func (s *Server) primaryBody(r *http.Request, res authn.Result) *authenticateResponse {
	out := authenticateBody(res)
	if out.MFARequired != nil && s.MFA != nil && s.MFA.Initiate(r.Context(), res) {
		sent := latchkey.MFAMethodSMS
		out.MFARequired.SecondaryAuthInitiated = &sent
	}
	return out
}
