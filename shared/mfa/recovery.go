package mfa

import (
	"context"
	"errors"
	"net/http"
	"slices"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/secret"
)

// activeTOTP reads the member's verified registration, which its recovery codes belong to.
func (s *Service) activeTOTP(ctx context.Context, orgID, memberID string) (*latchkey.TOTP, error) {
	reg, err := s.Store.TOTP(ctx, orgID, memberID)
	if errors.Is(err, latchkey.ErrNotFound) || err == nil && !reg.Active {
		return nil, latchkey.Errorf(http.StatusNotFound, "no_active_recovery_code_backed_factor",
			"The member has no verified TOTP registration, which recovery codes come with.")
	}
	return reg, err
}

// RecoveryCodes answers RecoveryCodes.Get for an existing member: Latchkey keeps recovery codes
// only as hashes, so they are shown once, by TOTPs.Create, TOTPs.Migrate and
// RecoveryCodes.Rotate, and never listed again.
func (s *Service) RecoveryCodes(ctx context.Context, orgID, memberID string) error {
	if _, _, err := latchkey.MemberAndOrg(ctx, s.Store, orgID, memberID); err != nil {
		return err
	}
	return latchkey.BadRequest("recovery_codes_shown_once",
		"Recovery codes are stored only as hashes and shown once (TOTPs.Create, TOTPs.Migrate, RecoveryCodes.Rotate): rotate them to get a new set.")
}

// Rotate replaces a member's recovery codes with a new set, shown once.
func (s *Service) Rotate(ctx context.Context, orgID, memberID string) (latchkey.Member, latchkey.Organization, []string, error) {
	m, org, err := s.member(ctx, orgID, memberID)
	if err != nil {
		return m, org, nil, err
	}
	reg, err := s.activeTOTP(ctx, orgID, memberID)
	if err != nil {
		return m, org, nil, err
	}
	codes, hashes := newRecoveryCodes()
	next := *reg
	next.RecoveryCodes, next.Version = hashes, reg.Version+1
	if err := s.Store.SaveTOTP(ctx, TOTPWrite{Change: latchkey.TOTPChange{Prev: reg, Next: &next}}); err != nil {
		return m, org, nil, conflict(err)
	}
	return m.Presented(org), org, codes, nil
}

// RecoverRequest is the body of RecoveryCodes.Recover.
type RecoverRequest struct {
	OrganizationID         string         `json:"organization_id"`
	MemberID               string         `json:"member_id"`
	RecoveryCode           string         `json:"recovery_code"`
	SessionDurationMinutes int            `json:"session_duration_minutes"`
	SessionCustomClaims    map[string]any `json:"session_custom_claims"`
	Proof
}

// Recovered is a session from a recovery code, and how many codes are left.
type Recovered struct {
	authn.Result
	Remaining int
}

// Recover completes MFA with a recovery code instead of the TOTP: the code is spent in the
// login's transaction (so it works once), and a wrong one counts against the member's lock.
func (s *Service) Recover(ctx context.Context, r RecoverRequest) (Recovered, error) {
	var out Recovered
	code := r.RecoveryCode
	if authn.WellFormedCode(code) {
		return out, latchkey.BadRequest("totp_code_used_as_recovery_code", "This is a TOTP code: use TOTPs.Authenticate.")
	}
	if !recoveryCodePattern.MatchString(code) {
		return out, latchkey.BadRequest("invalid_recovery_code", "A recovery code has the form xxxx-xxxx-xxxx.")
	}
	c, err := s.begin(ctx, r.OrganizationID, r.MemberID, "", r.Proof, r.SessionDurationMinutes, r.SessionCustomClaims)
	if err != nil {
		return out, err
	}
	m, org, pres := c.m, c.org, c.pres
	reg, err := s.activeTOTP(ctx, org.OrganizationID, m.MemberID)
	if err != nil {
		return out, err
	}
	refund, err := s.try(ctx, c)
	if err != nil {
		return out, err
	}
	h := secret.Hash(code)
	i := slices.IndexFunc(reg.RecoveryCodes, func(stored string) bool { return secret.Equal(stored, h) })
	if i < 0 {
		return out, latchkey.Errorf(http.StatusUnauthorized, "unable_to_authenticate_recovery_code", "The recovery code is wrong or already used.")
	}
	next := *reg
	next.RecoveryCodes, next.Version = slices.Delete(slices.Clone(reg.RecoveryCodes), i, i+1), reg.Version+1
	factor := latchkey.FactorRecoveryCode.ProvedIn("", org.OrganizationID, s.Clock.Now())
	factor.RecoveryCodeFactor = &latchkey.RecoveryCodeFactor{TOTPRecoveryCodeID: "member-totp-recovery-code-" + h[:32]}
	res, err := s.redeem(ctx, authn.Attempt{OrganizationID: org.OrganizationID, Member: &m, Organization: org,
		Factors: []latchkey.AuthFactor{factor}, TOTP: &latchkey.TOTPChange{Prev: reg, Next: &next}, Refund: refund,
		Duration: c.duration, Claims: r.SessionCustomClaims}, pres)
	return Recovered{Result: res, Remaining: len(next.RecoveryCodes)}, err
}
