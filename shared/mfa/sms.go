package mfa

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
)

// SMS codes: six digits, valid 2 minutes, one per member at a time (Stytch's), five tries.
const (
	SMSCodeLifetime = 2 * time.Minute
	SMSMaxAttempts  = 5
	KindSMS         = "sms"
)

// e164 is a phone number in E.164: a plus, a country code and up to 15 digits in all.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// SendRequest is the body of OTPs.Sms.Send.
type SendRequest struct {
	OrganizationID string `json:"organization_id"`
	MemberID       string `json:"member_id"`
	MFAPhoneNumber string `json:"mfa_phone_number"`
	Locale         string `json:"locale"`
	Proof
}

// Send texts a code to the member's phone: its verified number, or, for a member linking one,
// the number given (E.164), which becomes the member's only when a code sent to it is
// authenticated. Linking a number adds a second factor, so a member with a verified one must
// present what used it. Sends are limited per number and per organization like emails.
func (s *Service) Send(ctx context.Context, r SendRequest) (latchkey.Member, latchkey.Organization, error) {
	m, org, err := s.member(ctx, r.OrganizationID, r.MemberID)
	if err != nil {
		return m, org, err
	}
	if err := org.CheckMFAMethod(latchkey.MFAMethodSMS, &m); err != nil {
		return m, org, err
	}
	pres, err := s.present(ctx, r.Proof, m, false)
	if err != nil {
		return m, org, err
	}
	verified := m.MFAPhoneNumber != "" && m.MFAPhoneNumberVerified
	phone := m.MFAPhoneNumber
	switch {
	case verified && r.MFAPhoneNumber != "" && r.MFAPhoneNumber != phone:
		return m, org, latchkey.BadRequest("member_phone_number_mismatch",
			"The member has another phone number: delete it (Members.DeleteMFAPhoneNumber) before sending to a new one.")
	case !verified:
		if r.MFAPhoneNumber != "" {
			phone = r.MFAPhoneNumber
		}
		if !e164.MatchString(phone) {
			return m, org, latchkey.BadRequest("invalid_phone_number", "Phone number format is invalid. Ensure the phone number is in the E.164 format.")
		}
		if err := newFactorAllowed(pres, m); err != nil {
			return m, org, err
		}
		// The number stays unique in the organization (a guard written when it is linked);
		// refuse now rather than after the member has typed the code.
		if holder, err := s.Store.PhoneHolder(ctx, org.OrganizationID, phone); err == nil && holder != m.MemberID {
			return m, org, latchkey.DuplicatePhoneNumber()
		} else if err != nil && !errors.Is(err, latchkey.ErrNotFound) {
			return m, org, err
		}
	}
	if err := s.text(ctx, org, m, phone); err != nil {
		return m, org, err
	}
	return m.Presented(org), org, nil
}

// SMSAuthenticateRequest is the body of OTPs.Sms.Authenticate.
type SMSAuthenticateRequest struct {
	OrganizationID         string         `json:"organization_id"`
	MemberID               string         `json:"member_id"`
	Code                   string         `json:"code"`
	SessionDurationMinutes int            `json:"session_duration_minutes"`
	SessionCustomClaims    map[string]any `json:"session_custom_claims"`
	Proof
	Enrollment
}

// SMSAuthenticate redeems a texted code: the try is counted on the code before it is
// compared, and on the member's lock; the code is consumed in the login's transaction, which
// also marks the phone number verified.
func (s *Service) SMSAuthenticate(ctx context.Context, r SMSAuthenticateRequest) (authn.Result, error) {
	var res authn.Result
	if !authn.WellFormedCode(r.Code) {
		return res, authn.InvalidCode()
	}
	if err := r.Enrollment.validate(); err != nil {
		return res, err
	}
	ch, err := s.begin(ctx, r.OrganizationID, r.MemberID, latchkey.MFAMethodSMS, r.Proof, r.SessionDurationMinutes, r.SessionCustomClaims)
	if err != nil {
		return res, err
	}
	m, org, pres := ch.m, ch.org, ch.pres
	c, err := s.Store.TrySMSCode(ctx, org.OrganizationID, m.MemberID, s.Clock.Now())
	if errors.Is(err, latchkey.ErrNotFound) {
		return res, authn.CodeNotFound()
	}
	if err != nil {
		return res, err
	}
	linking := !(m.MFAPhoneNumberVerified && c.Phone == m.MFAPhoneNumber)
	if linking {
		// The code proves a number the member does not have verified yet: that adds a factor.
		if err := newFactorAllowed(pres, m); err != nil {
			return res, err
		}
	}
	refund, err := s.try(ctx, ch)
	if err != nil {
		return res, err
	}
	if !c.Matches(r.Code) || c.Phone == "" {
		return res, authn.CodeNotFound()
	}
	update := r.Enrollment.apply(org, latchkey.MFAMethodSMS)
	factor := latchkey.FactorSMSOTP.ProvedIn("", org.OrganizationID, s.Clock.Now())
	factor.PhoneNumberFactor = &latchkey.PhoneNumberFactor{PhoneID: "member-phone-number-" + m.MemberID, PhoneNumber: c.Phone}
	return s.redeem(ctx, authn.Attempt{OrganizationID: org.OrganizationID, Member: &m, Organization: org,
		Factors: []latchkey.AuthFactor{factor}, SMSCode: &latchkey.SMSCodeRef{OrganizationID: org.OrganizationID, MemberID: m.MemberID, Hash: c.CodeHash},
		Spent: authn.CodeNotFound(), Refund: refund,
		Update: func(m latchkey.Member) latchkey.Member {
			m.MFAPhoneNumber, m.MFAPhoneNumberVerified = c.Phone, true
			return update(m)
		}, Duration: ch.duration, Claims: r.SessionCustomClaims}, pres)
}

// DeletePhoneNumber removes a member's MFA phone number (Members.DeleteMFAPhoneNumber).
func (s *Service) DeletePhoneNumber(ctx context.Context, orgID, memberID string) (latchkey.Member, latchkey.Organization, error) {
	m, org, err := latchkey.MemberAndOrg(ctx, s.Store, orgID, memberID)
	if err != nil {
		return m, org, err
	}
	if m.MFAPhoneNumber == "" && !m.MFAPhoneNumberVerified {
		return m, org, latchkey.Errorf(http.StatusNotFound, "member_phone_number_not_found", "The member has no MFA phone number.")
	}
	nm := m
	nm.MFAPhoneNumber, nm.MFAPhoneNumberVerified, nm.UpdatedAt = "", false, s.Clock.Now()
	if nm.DefaultMFAMethod == latchkey.MFAMethodSMS {
		nm.DefaultMFAMethod = ""
	}
	if err := s.Store.ReplaceMember(ctx, m, nm); err != nil {
		return m, org, conflict(err)
	}
	return nm.Presented(org), org, nil
}

// Initiate texts a code, as Stytch does, when a primary factor left the member owing MFA and
// the member has a verified number it may use, and TOTP is not its default: the answer's
// mfa_required then says secondary_auth_initiated "sms_otp", and OTPs.Sms.Send is a resend.
// A send that cannot happen (limits, the provider) leaves the login as it is: the member can
// still ask for a code or use another factor.
func (s *Service) Initiate(ctx context.Context, res authn.Result) (initiated bool) {
	m, org := res.Member, res.Organization
	if !res.MFARequired || len(res.PrimaryRequired) > 0 || m.MemberID == "" || m.MFAPhoneNumber == "" || !m.MFAPhoneNumberVerified ||
		!org.AllowsMFAMethod(latchkey.MFAMethodSMS, &m) || m.DefaultMFAMethod == latchkey.MFAMethodTOTP && m.TOTPRegistrationID != "" {
		return false
	}
	return s.text(ctx, org, m, m.MFAPhoneNumber) == nil
}

// text stores a fresh code for the member and texts it to phone.
func (s *Service) text(ctx context.Context, org latchkey.Organization, m latchkey.Member, phone string) error {
	now := s.Clock.Now()
	if err := s.Limits.Allow(ctx, s.Store, now, org.OrganizationID, "sms#"+phone); err != nil {
		return err
	}
	code, salt, hash := authn.NewCode()
	c := authn.Code{Kind: KindSMS, OrganizationID: org.OrganizationID, MemberID: m.MemberID, Phone: phone, CodeHash: hash, Salt: salt,
		CreatedAt: now, ExpiresAt: now.Add(SMSCodeLifetime)}
	if err := s.Store.PutSMSCode(ctx, c); err != nil {
		return conflict(err)
	}
	body := fmt.Sprintf("%s: your verification code is %s. It expires in 2 minutes.", latchkey.HeaderSafe(org.OrganizationName), code)
	return s.SMS.Text(ctx, latchkey.SMS{To: phone, Body: body})
}
