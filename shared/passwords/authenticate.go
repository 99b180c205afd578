package passwords

import (
	"context"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/pwhash"
	"github.com/latchkey/latchkey/shared/secret"
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

// prove checks password for the address, the way every login by password does: one round trip
// that reads the member and the password and reserves the try (so a failure is already
// counted), then the hash, or the same work when there is no password to check. Every failure
// is the same Unauthorized.
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
	case st.Locked:
		return p, Locked()
	case st.Capped:
		return p, TooManyFailures()
	}
	pw := st.Password
	usable := pw != nil && pw.Email == email && (st.Found && pw.Serves(st.Member) || !st.Found && pw.OrganizationID == "")
	if !usable {
		pwhash.Burn(password)
		return p, Unauthorized()
	}
	ok, rehash, err := pwhash.Verify(pw.Hash, password)
	if err != nil {
		return p, err
	}
	if !ok {
		if !pwhash.Current(pw.Hash) {
			// An imported hash may check far faster than argon2id: the failure must not come
			// back sooner than an unknown address's.
			pwhash.Burn(password)
		}
		return p, Unauthorized()
	}
	if pw.ResetRequired {
		return p, ResetRequired()
	}
	p.password, p.rehash = pw, rehash
	return p, nil
}

// attempt is the pipeline attempt of a proven password: its factor, the credential checked
// unchanged (or upgraded to argon2id), and the reserved tries given back.
func (s *Service) attempt(p proof) authn.Attempt {
	now := s.Clock.Now()
	change := &latchkey.PasswordChange{Prev: p.password}
	if p.rehash != "" {
		next := *p.password
		next.Hash, next.UpdatedAt, next.Version = p.rehash, now, p.password.Version+1
		change.Next = &next
	}
	orgID := p.state.Organization.OrganizationID
	return authn.Attempt{Factors: []latchkey.AuthFactor{s.factor(p.password.Email, orgID, now)},
		Password: change, PasswordID: p.password.PasswordID, Refund: p.query.refund()}
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
	at := s.attempt(p)
	at.OrganizationID, at.Organization, at.Duration, at.Claims = st.Organization.OrganizationID, st.Organization, duration, r.SessionCustomClaims
	if st.Found {
		at.Member = mp
	}
	return s.login(ctx, at, email, pres)
}

// presented is a session or an intermediate session the caller passed, which the login adds
// its factor to.
type presented struct {
	session  *authn.Session
	member   string
	held     *authn.IntermediateSession
	heldHash string
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
		p.held, p.heldHash = &held, secret.Hash(ist)
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
		// The intermediate session is consumed by the login, in its transaction.
		at.Factors, at.IntermediateHash = latchkey.AddFactor(pres.held.Factors, at.Factors[0]), pres.heldHash
	}
	return s.Auth.LoginOnto(ctx, at, pres.session)
}
