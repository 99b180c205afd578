package authn

import (
	"context"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/secret"
)

// AuthResult is a completed (or MFA-pending) authentication.
type Result struct {
	PrimaryRequired     []string
	Member              latchkey.Member
	Organization        latchkey.Organization
	Session             *Session
	SessionToken        string
	SessionJWT          string
	IntermediateToken   string
	MemberAuthenticated bool
	MFARequired         bool
}

// ExchangeRequest is the body of Discovery.IntermediateSessions.Exchange and Sessions.Exchange.
type ExchangeRequest struct {
	IntermediateSessionToken string         `json:"intermediate_session_token"`
	OrganizationID           string         `json:"organization_id"`
	SessionToken             string         `json:"session_token"`
	SessionJWT               string         `json:"session_jwt"`
	SessionDurationMinutes   int            `json:"session_duration_minutes"`
	SessionCustomClaims      map[string]any `json:"session_custom_claims"`
	Locale                   string         `json:"locale"`
	TelemetryID              string         `json:"telemetry_id"`
}

// enter admits the email that factors proved into r.OrganizationID and, if the policy is
// met, writes the session (consuming istHash, when given, in the same transaction).
func (a *Service) Enter(ctx context.Context, r ExchangeRequest, factors []latchkey.AuthFactor, istHash string) (Result, error) {
	var res Result
	if r.OrganizationID == "" {
		return res, latchkey.BadRequest(latchkey.TypeBadRequest, "organization_id is required.")
	}
	email, _, ok := latchkey.ProvenEmail(factors)
	if !ok {
		return res, latchkey.NoProvenEmail()
	}
	duration, err := SessionDuration(r.SessionDurationMinutes)
	if err != nil {
		return res, err
	}
	if err := ValidateCustomClaims(r.SessionCustomClaims); err != nil {
		return res, err
	}
	m, org, found, err := latchkey.MemberByEmail(ctx, a.Store, r.OrganizationID, email)
	if err != nil {
		return res, err
	}
	var mp *latchkey.Member
	if found {
		mp = &m
	}
	adm, err := org.Admit(mp, factors)
	if err != nil {
		return res, err
	}
	res.Organization = org
	if found {
		res.Member = m.Presented(org)
	}
	if !adm.Authenticated() {
		res.PrimaryRequired, res.MFARequired = adm.PrimaryRequired, adm.MFARequired
		return res, nil
	}
	now := a.Clock.Now()
	red := Redemption{IntermediateHash: istHash, Now: now, MemberPrev: m}
	next := m
	switch {
	case !found:
		next, err = latchkey.NewMember(a.IDs.New("member"), org.OrganizationID, latchkey.MemberPatch{EmailAddress: &email}, now)
		if err != nil {
			return res, err
		}
		next.EmailAddressVerified = true
		red.MemberCreate = true
	case m.Status != latchkey.StatusActive || !m.EmailAddressVerified:
		next.Status, next.EmailAddressVerified, next.UpdatedAt = latchkey.StatusActive, true, now
		red.MemberChanged = true
	}
	return a.StartSession(ctx, red, next, org, factors, duration, r.SessionCustomClaims)
}

// startSession writes the redemption with a new session for next and returns the result.
func (a *Service) StartSession(ctx context.Context, red Redemption, next latchkey.Member, org latchkey.Organization, factors []latchkey.AuthFactor, duration time.Duration, claims map[string]any) (Result, error) {
	var res Result
	now := red.Now
	red.MemberNext = next
	presented := next.Presented(org)
	if claims == nil {
		claims = map[string]any{}
	}
	sess := Session{MemberSessionID: a.IDs.New("member-session"), MemberID: next.MemberID, OrganizationID: org.OrganizationID,
		OrganizationSlug: org.OrganizationSlug, StartedAt: now, LastAccessedAt: now, ExpiresAt: now.Add(duration),
		Roles: RoleIDs(presented), CustomClaims: claims, AuthenticationFactors: factors}
	token, err := NewSessionToken(org.OrganizationID, next.MemberID)
	if err != nil {
		return res, err
	}
	sess.TokenHash = secret.Hash(token)
	red.Session, red.SessionTTL = &sess, sess.ExpiresAt
	err = a.Store.Redeem(ctx, red)
	switch latchkey.ConflictOn(err) {
	case "":
		if err != nil {
			return res, err
		}
	case latchkey.ConflictExists:
		if red.IntermediateHash != "" {
			return res, IntermediateSessionNotFound()
		}
		if red.Spent != nil {
			return res, red.Spent
		}
		return res, latchkey.ConcurrentUpdate()
	case latchkey.ConflictSlug:
		return res, latchkey.SlugUsed()
	case latchkey.ConflictExternalID:
		return res, latchkey.DuplicateOrgExternalID()
	case latchkey.ConflictOrganization:
		return res, latchkey.OrganizationNotFound()
	case latchkey.ConflictEmail:
		if red.EmailUpdate != "" {
			// Another member took the new address after the update started.
			return res, latchkey.DuplicateEmail()
		}
		return res, a.EmailTaken(ctx, org.OrganizationID, next.EmailAddress)
	default:
		return res, latchkey.ConcurrentUpdate()
	}
	jwt, err := a.JWT.Issue(ctx, sess, now)
	if err != nil {
		return res, err
	}
	res.Member, res.Organization, res.Session, res.SessionToken, res.SessionJWT, res.MemberAuthenticated =
		presented, org, &sess, token, jwt, true
	return res, nil
}

// emailTaken explains why a new member could not take an address that no member has as its
// current one: another member retired it (it stays theirs until unlinked), or someone signed up
// with it a moment ago and needs a login, not a new member. The read happens only then.
func (a *Service) EmailTaken(ctx context.Context, orgID, email string) error {
	if _, retired, err := a.Store.EmailHolder(ctx, orgID, email); err == nil && retired {
		return latchkey.DuplicateEmail()
	}
	return latchkey.ConcurrentUpdate()
}

// ExchangeSession moves a person from their session's organization to another organization
// where the email the session proved is a member or may join, when the session's factors
// satisfy that organization's policy. Otherwise it returns an intermediate session and what is
// missing. The original session is left as it is. The member's current email_address plays no
// part: its organization may have changed it to anyone's.
func (a *Service) ExchangeSession(ctx context.Context, r ExchangeRequest) (Result, error) {
	s, _, _, err := a.Lookup(ctx, r.SessionToken, r.SessionJWT)
	if err != nil {
		return Result{}, err
	}
	res, err := a.Enter(ctx, r, s.AuthenticationFactors, "")
	if err != nil || res.MemberAuthenticated {
		return res, err
	}
	email, _, _ := latchkey.ProvenEmail(s.AuthenticationFactors)
	token, hash := secret.New()
	now := a.Clock.Now()
	ist := IntermediateSession{Hash: hash, Email: email, OrganizationID: res.Organization.OrganizationID,
		MemberID: res.Member.MemberID, Factors: s.AuthenticationFactors, CreatedAt: now, ExpiresAt: now.Add(IntermediateSessionLifetime)}
	if err := a.Store.PutIntermediateSession(ctx, ist); err != nil {
		return res, err
	}
	res.IntermediateToken = token
	return res, nil
}
