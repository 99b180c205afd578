// Package mfa runs second factors: TOTP (authenticator apps) with its recovery codes, and SMS
// one-time codes. Each redeems an intermediate session, or adds to a session, through the
// authentication pipeline (authn.Login), which decides what the organization still requires.
//
// A member's failed second-factor tries count against a lock on the member (Stytch's user
// lock: 10, for the rest of the hour). Only someone who meets the organization's primary
// requirement for the member (its intermediate session, or a session) gets a try counted, so a
// stranger cannot set it off.
package mfa

import (
	"context"
	"net/http"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/secret"
)

// Service runs second factors.
type Service struct {
	Auth   *authn.Service
	Store  Store
	Clock  latchkey.Clock
	IDs    latchkey.IDs
	SMS    latchkey.Texter
	Limits latchkey.SendLimits
}

// Store is what second factors need persisted, besides what the pipeline needs.
type Store interface {
	authn.Store
	latchkey.Counter
	// TOTP reads a member's registration (ErrNotFound when it has none).
	TOTP(ctx context.Context, orgID, memberID string) (*latchkey.TOTP, error)
	// SaveTOTP writes a registration change with the member's, in one transaction.
	SaveTOTP(ctx context.Context, w TOTPWrite) error
	// PutSMSCode stores a member's SMS code, replacing the last.
	PutSMSCode(ctx context.Context, c authn.Code) error
	// TrySMSCode counts one try at the member's code and returns it; a used, expired or
	// exhausted code is ErrNotFound.
	TrySMSCode(ctx context.Context, orgID, memberID string, now time.Time) (authn.Code, error)
	ReplaceMember(ctx context.Context, prev, next latchkey.Member) error
	// PhoneHolder finds the member of the organization with the MFA phone number.
	PhoneHolder(ctx context.Context, orgID, phone string) (string, error)
}

// TOTPWrite is a registration change and what it does to the member: replaced when MemberNext
// is set. Delete removes Change.Prev instead of writing Change.Next.
type TOTPWrite struct {
	MemberPrev latchkey.Member
	MemberNext latchkey.Member
	Change     latchkey.TOTPChange
	Delete     bool
}

// Lock settings: Stytch's user lock defaults.
const (
	LockThreshold = 10
	LockWindow    = time.Hour
)

func lock(memberID string) latchkey.RateCounter {
	return latchkey.RateCounter{Key: "mfalock#" + memberID, Window: LockWindow, Limit: LockThreshold}
}

// reserve counts a try against the member's lock before the factor is checked, so parallel
// guesses cannot pass it together; a success gives it back (the returned refund).
func (s *Service) reserve(ctx context.Context, memberID string) (*authn.TryRefund, error) {
	now := s.Clock.Now()
	c := lock(memberID)
	if err := s.Store.Hit(ctx, []latchkey.RateCounter{c}, now); err != nil {
		if err == latchkey.ErrRateLimited {
			return nil, Locked()
		}
		return nil, err
	}
	return &authn.TryRefund{Reset: c, At: now}, nil
}

// Locked is Stytch's user lock.
func Locked() *latchkey.Error {
	return latchkey.Errorf(http.StatusTooManyRequests, "user_lock_limit_reached",
		"The member has been locked out after too many failed authentication attempts. Please try again later.")
}

func notActive() *latchkey.Error {
	return latchkey.BadRequest("action_available_only_for_active_members", "You may not attach an MFA factor to a member that is not active.")
}

func primaryFirst() *latchkey.Error {
	return latchkey.BadRequest("action_available_only_once_primary_authentication_is_met",
		"The intermediate session does not satisfy the organization's primary authentication for this member.")
}

func insufficientFactors() *latchkey.Error {
	return latchkey.Errorf(http.StatusBadRequest, "insufficient_factors",
		"The member already has a second factor: pass an intermediate session or session that used it.")
}

// member reads an active member and its organization.
func (s *Service) member(ctx context.Context, orgID, memberID string) (latchkey.Member, latchkey.Organization, error) {
	if orgID == "" || memberID == "" {
		return latchkey.Member{}, latchkey.Organization{}, latchkey.BadRequest(latchkey.TypeBadRequest, "organization_id and member_id are required.")
	}
	m, org, err := latchkey.MemberAndOrg(ctx, s.Store, orgID, memberID)
	if err != nil {
		return m, org, err
	}
	if m.Status != latchkey.StatusActive {
		return m, org, notActive()
	}
	return m, org, nil
}

// hasSecondFactor tells whether the member has a verified second factor: an active TOTP or a
// verified phone number.
func hasSecondFactor(m latchkey.Member) bool {
	return m.TOTPRegistrationID != "" || m.MFAPhoneNumber != "" && m.MFAPhoneNumberVerified
}

// proves tells whether what was presented includes a second factor this member proved in its
// organization: what adding or activating another second factor needs once it has one.
func (p presented) proves(m latchkey.Member) bool {
	for _, f := range p.factors() {
		if k, ok := latchkey.KindOf(f); ok && k.Second() && f.Organization == m.OrganizationID {
			return true
		}
	}
	return false
}

// newFactorAllowed refuses to add or activate a second factor for a member that has a
// verified one, unless what was presented used it: a primary factor alone must never bring a
// new second factor into play.
func newFactorAllowed(p presented, m latchkey.Member) error {
	if hasSecondFactor(m) && !p.proves(m) {
		return insufficientFactors()
	}
	return nil
}

// primaryMet refuses, before any try is counted, a presented intermediate session (or session)
// that does not meet the organization's primary requirement for the member: its holder could
// never succeed, so it may not use up the member's lock.
func primaryMet(org latchkey.Organization, m latchkey.Member, p presented) error {
	adm, err := org.Admit(&m, p.factors())
	if err != nil {
		return err
	}
	if len(adm.PrimaryRequired) > 0 {
		return primaryFirst()
	}
	return nil
}

// Proof is what the caller presented with a second-factor call: an intermediate session from a
// primary factor, or a session.
type Proof struct {
	IntermediateSessionToken string `json:"intermediate_session_token"`
	SessionToken             string `json:"session_token"`
	SessionJWT               string `json:"session_jwt"`
}

// presented is a resolved Proof.
type presented struct {
	held     *authn.IntermediateSession
	heldHash string
	session  *authn.Session
}

func (p presented) factors() []latchkey.AuthFactor {
	switch {
	case p.held != nil:
		return p.held.Factors
	case p.session != nil:
		return p.session.AuthenticationFactors
	}
	return nil
}

// present resolves what the caller passed, which must be this member's (for an intermediate
// session: of this organization and member, or a discovery one that proved the member's
// address). required demands one.
func (s *Service) present(ctx context.Context, p Proof, m latchkey.Member, required bool) (presented, error) {
	var out presented
	n := 0
	for _, v := range []string{p.IntermediateSessionToken, p.SessionToken + p.SessionJWT} {
		if v != "" {
			n++
		}
	}
	switch {
	case n > 1:
		return out, latchkey.BadRequest("too_many_session_arguments", "Pass an intermediate_session_token or a session, not both.")
	case n == 0 && required:
		return out, latchkey.BadRequest(latchkey.TypeBadRequest, "intermediate_session_token, session_token or session_jwt is required.")
	case p.IntermediateSessionToken != "":
		held, err := s.Auth.Intermediate(ctx, p.IntermediateSessionToken)
		if err != nil {
			return out, err
		}
		email, _, ok := latchkey.ProvenEmailIn(held.Factors, m.OrganizationID)
		if !ok || email != m.EmailAddress || held.OrganizationID != "" && held.OrganizationID != m.OrganizationID ||
			held.MemberID != "" && held.MemberID != m.MemberID {
			return out, latchkey.BadRequest("intermediate_session_member_mismatch", "The intermediate session belongs to another member.")
		}
		out.held, out.heldHash = &held, secret.Hash(p.IntermediateSessionToken)
	case n == 1:
		sess, sm, _, err := s.Auth.Lookup(ctx, p.SessionToken, p.SessionJWT)
		if err != nil {
			return out, err
		}
		if sm.MemberID != m.MemberID {
			return out, latchkey.BadRequest("session_member_mismatch", "The session belongs to another member.")
		}
		out.session = &sess
	}
	return out, nil
}

// Enrollment is what a successful second factor sets on the member.
type Enrollment struct {
	SetMFAEnrollment string `json:"set_mfa_enrollment"` // "enroll" or "unenroll"
	SetDefaultMFA    bool   `json:"set_default_mfa"`
}

func (e Enrollment) validate() error {
	switch e.SetMFAEnrollment {
	case "", "enroll", "unenroll":
		return nil
	}
	return latchkey.BadRequest("invalid_set_mfa_enrollment", "set_mfa_enrollment must be enroll or unenroll.")
}

// apply sets enrollment and the default method, as Stytch documents: REQUIRED_FOR_ALL enrolls
// the member whatever is asked; the first second factor becomes the default.
func (e Enrollment) apply(org latchkey.Organization, method string) func(latchkey.Member) latchkey.Member {
	return func(m latchkey.Member) latchkey.Member {
		switch {
		case org.MFAPolicy == latchkey.MFARequiredAll:
			m.MFAEnrolled = true
		case e.SetMFAEnrollment == "enroll":
			m.MFAEnrolled = true
		case e.SetMFAEnrollment == "unenroll":
			m.MFAEnrolled = false
		}
		if e.SetDefaultMFA || m.DefaultMFAMethod == "" {
			m.DefaultMFAMethod = method
		}
		return m
	}
}

// challenge is what a second-factor authenticate has read before its own factor.
type challenge struct {
	m        latchkey.Member
	org      latchkey.Organization
	pres     presented
	duration time.Duration
}

// begin reads what every second-factor authenticate starts from: the session options, the
// active member and its organization, that the organization allows method (none for recovery
// codes, which stand in for the TOTP), and the intermediate session or session presented.
func (s *Service) begin(ctx context.Context, orgID, memberID, method string, p Proof, minutes int, claims map[string]any) (challenge, error) {
	var c challenge
	var err error
	if c.duration, err = authn.SessionOptions(minutes, claims); err != nil {
		return c, err
	}
	if c.m, c.org, err = s.member(ctx, orgID, memberID); err != nil {
		return c, err
	}
	if method != "" {
		if err := c.org.CheckMFAMethod(method, &c.m); err != nil {
			return c, err
		}
	}
	c.pres, err = s.present(ctx, p, c.m, true)
	return c, err
}

// try counts the attempt on the member's lock, once what was presented is known to meet the
// organization's primary requirement: a caller who could never succeed gets no try counted.
func (s *Service) try(ctx context.Context, c challenge) (*authn.TryRefund, error) {
	if err := primaryMet(c.org, c.m, c.pres); err != nil {
		return nil, err
	}
	return s.reserve(ctx, c.m.MemberID)
}

// redeem ends a second factor in the pipeline: with an intermediate session (consumed) into a
// session, or added to a session. try has checked the organization's primary requirement.
func (s *Service) redeem(ctx context.Context, at authn.Attempt, pres presented) (authn.Result, error) {
	if pres.held != nil {
		at.Factors, at.IntermediateHash = latchkey.AddFactor(pres.held.Factors, at.Factors[0]), pres.heldHash
		return s.Auth.Login(ctx, at)
	}
	return s.Auth.LoginOnto(ctx, at, pres.session)
}
