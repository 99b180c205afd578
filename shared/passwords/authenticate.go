package passwords

import (
	"context"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/pwhash"
)

// AuthenticateRequest is the body of Passwords.Authenticate.
type AuthenticateRequest struct {
	OrganizationID           string         `json:"organization_id"`
	EmailAddress             string         `json:"email_address"`
	Password                 string         `json:"password"`
	SessionToken             string         `json:"session_token"`
	SessionJWT               string         `json:"session_jwt"`
	SessionDurationMinutes   int            `json:"session_duration_minutes"`
	SessionCustomClaims      map[string]any `json:"session_custom_claims"`
	IntermediateSessionToken string         `json:"intermediate_session_token"`
	Locale                   string         `json:"locale"`
	// Client is the caller's network address, which the lock counts by (not from the body).
	Client string `json:"-"`
}

// proof is a password checked against what was read for a login.
type proof struct {
	state    LoginState
	password *latchkey.Password
	rehash   string
	query    LoginQuery
}

// prove checks password for the address, the way every login by password does: one read, the
// hash (or the same work when there is no password to check), and on failure one write that
// counts it. Every failure is the same Unauthorized.
func (s *Service) prove(ctx context.Context, orgID, email, password, client string) (proof, error) {
	var p proof
	if err := checkShape(password); err != nil {
		return p, err
	}
	now := s.Clock.Now()
	p.query = s.query(orgID, email, client, now)
	st, err := s.Store.PasswordLogin(ctx, p.query)
	if err != nil {
		return p, latchkey.OrgErr(err)
	}
	p.state = st
	switch {
	case now.Before(st.LockedUntil):
		return p, Locked()
	case st.Capped:
		return p, TooManyFailures()
	}
	pw := st.Password
	usable := pw != nil && pw.Email == email && (st.Found && pw.Serves(st.Member) || !st.Found && pw.OrganizationID == "")
	if !usable {
		pwhash.Burn(password)
		return p, s.failed(ctx, p)
	}
	ok, rehash, err := pwhash.Verify(pw.Hash, password)
	if err != nil {
		return p, err
	}
	if !ok {
		return p, s.failed(ctx, p)
	}
	if pw.ResetRequired {
		return p, ResetRequired()
	}
	p.password, p.rehash = pw, rehash
	return p, nil
}

// failed counts a failure and answers it.
func (s *Service) failed(ctx context.Context, p proof) error {
	var until = p.state.LockedUntil
	if p.state.Failures+1 >= LockThreshold {
		until = p.query.Now.Add(LockDuration)
	}
	if err := s.Store.PasswordFailed(ctx, p.query, until); err != nil {
		return err
	}
	return Unauthorized()
}

// attempt is the pipeline attempt of a proven password: its factor, the credential checked
// unchanged (or upgraded to argon2id), and the lock cleared.
func (p proof) attempt(now latchkey.Clock) authn.Attempt {
	change := &latchkey.PasswordChange{Prev: p.password}
	if p.rehash != "" {
		next := *p.password
		next.Hash, next.UpdatedAt, next.Version = p.rehash, now.Now(), p.password.Version+1
		change.Next = &next
	}
	at := authn.Attempt{Factors: []latchkey.AuthFactor{latchkey.FactorPassword.Proved(p.password.Email, now.Now())},
		Password: change, PasswordID: p.password.PasswordID}
	if p.state.Failures > 0 {
		at.ClearFailures = p.query.FailureKey
	}
	return at
}

// Authenticate logs a member in by email and password: a session, or an intermediate session
// when the organization wants more (MFA, or another primary factor).
func (s *Service) Authenticate(ctx context.Context, r AuthenticateRequest) (authn.Result, error) {
	var res authn.Result
	if r.OrganizationID == "" {
		return res, latchkey.BadRequest(latchkey.TypeBadRequest, "organization_id is required.")
	}
	email, err := latchkey.NormalizeEmail(r.EmailAddress)
	if err != nil {
		return res, err
	}
	duration, err := authn.SessionOptions(r.SessionDurationMinutes, r.SessionCustomClaims)
	if err != nil {
		return res, err
	}
	pres, err := s.present(ctx, r.SessionToken, r.SessionJWT, r.IntermediateSessionToken)
	if err != nil {
		return res, err
	}
	p, err := s.prove(ctx, r.OrganizationID, email, r.Password, r.Client)
	if err != nil {
		return res, err
	}
	st := p.state
	var mp *latchkey.Member
	if st.Found {
		mp = &st.Member
	}
	if err := st.Organization.CheckAuthMethod(latchkey.MethodPassword, mp); err != nil {
		return res, err
	}
	at := p.attempt(s.Clock)
	at.OrganizationID, at.Organization, at.Duration, at.Claims = st.Organization.OrganizationID, st.Organization, duration, r.SessionCustomClaims
	if st.Found {
		at.Member = mp
	}
	return s.login(ctx, at, email, pres)
}

// presented is a session or an intermediate session the caller passed, which the login adds
// its factor to.
type presented struct {
	session *authn.Session
	member  string
	held    *authn.IntermediateSession
}

// present reads what the caller passed, before any password is checked, so that a bad token
// is refused before a failure can be counted.
func (s *Service) present(ctx context.Context, token, jwt, ist string) (presented, error) {
	var p presented
	switch {
	case token != "" || jwt != "":
		sess, m, _, err := s.Auth.Lookup(ctx, token, jwt)
		if err != nil {
			return p, err
		}
		p.session, p.member = &sess, m.MemberID
	case ist != "":
		held, err := s.Auth.Intermediate(ctx, ist)
		if err != nil {
			return p, err
		}
		p.held = &held
	}
	return p, nil
}

// login runs the attempt through the pipeline, adding its factor to the presented session or
// intermediate session (which must be the same person's).
func (s *Service) login(ctx context.Context, at authn.Attempt, email string, pres presented) (authn.Result, error) {
	switch {
	case pres.session != nil:
		if at.Member == nil || pres.member != at.Member.MemberID {
			return authn.Result{}, latchkey.BadRequest("session_member_mismatch", "The session belongs to another member.")
		}
	case pres.held != nil:
		if proven, _, ok := latchkey.ProvenEmail(pres.held.Factors); !ok || proven != email {
			return authn.Result{}, latchkey.BadRequest("intermediate_session_email_mismatch",
				"The intermediate session belongs to another email address.")
		}
		at.Factors = latchkey.AddFactor(pres.held.Factors, at.Factors[0])
	}
	return s.Auth.LoginOnto(ctx, at, pres.session)
}
