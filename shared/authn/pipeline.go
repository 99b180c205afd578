package authn

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/secret"
)

// Result is a completed (or MFA-pending) authentication.
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

// Attempt is a proof of identity arriving at the one door: what the person proved, where they
// are going, and what the proof consumes. Every way in builds one and calls Login.
type Attempt struct {
	// OrganizationID is where the person is going. With none of it, NewOrganization and Member,
	// the attempt is discovery: the proof becomes an intermediate session, in no organization.
	OrganizationID string
	// NewOrganization is created by the attempt, with the person as its first member
	// (stytch_admin).
	NewOrganization *latchkey.Organization
	// Member is the member the proof was issued to (a magic link names one), read with its
	// Organization; when nil the member is found by the proven email, or provisioned.
	Member       *latchkey.Member
	Organization latchkey.Organization
	// Factors are what the person has proved, including the factor of this attempt. The email
	// they prove (latchkey.ProvenEmail) is who the person is.
	Factors []latchkey.AuthFactor
	// What the attempt consumes, in the same transaction as what it writes: an emailed token
	// or code (Spent answers its reuse), or an intermediate session.
	TokenHash        string
	Code             *CodeRef
	Spent            error
	IntermediateHash string
	// EmailUpdate makes the proven email the member's new, verified address.
	EmailUpdate bool
	// Password is the credential a password login checked, or a reset replaces, written (or
	// checked unchanged) in the same transaction; its PasswordID becomes the member's
	// member_password_id. ClearFailures names the failure counter a successful login resets.
	Password   *latchkey.PasswordChange
	PasswordID string
	// Refund gives back the tries a password login reserved before hashing, now that it
	// succeeded: the lock's count starts again, and the hourly caps count failures only.
	Refund *TryRefund
	// EndSessions ends every earlier session of the member (a password reset): the member's
	// SessionsValidAfter moves to now in the same transaction.
	EndSessions bool
	// A second factor's writes: the TOTP registration it checked (its last step, or a spent
	// recovery code), or the SMS code it consumes, and what it sets on the member (enrollment,
	// default method, verified phone).
	TOTP    *latchkey.TOTPChange
	SMSCode *latchkey.SMSCodeRef
	Update  func(latchkey.Member) latchkey.Member
	// PresentedMember is the member whose session or intermediate session the attempt builds
	// on: the proof must be that member's, or the factors of one person would open another's
	// account (a second factor counts for its organization).
	PresentedMember string
	// Check, when set, refuses the attempt once the organization and the member (nil when
	// none has the address) are read: a way in's own conditions on them.
	Check func(latchkey.Organization, *latchkey.Member) error
	// Duration and Claims are the session's, already validated (SessionOptions).
	Duration time.Duration
	Claims   map[string]any
}

// SessionOptions validates session_duration_minutes and session_custom_claims.
func SessionOptions(minutes int, claims map[string]any) (time.Duration, error) {
	d, err := SessionDuration(minutes)
	if err != nil {
		return 0, err
	}
	return d, ValidateCustomClaims(claims)
}

// Login is the one function every way in ends in. It admits the proven email into the
// organization (latchkey.Organization.Admit), finds the member by that email or provisions it
// where the organization allows, records the factor on the member (so the same person by
// another way lands on the same member), decides whether a second factor is owed, and answers
// a session or an intermediate session with what is still required. Nothing is written until
// the end, and then in one transaction with what the attempt consumes.
func (a *Service) Login(ctx context.Context, at Attempt) (Result, error) {
	var res Result
	target := at.OrganizationID
	if at.Member != nil {
		target = at.Member.OrganizationID
	}
	email, _, ok := latchkey.ProvenEmailIn(at.Factors, target)
	if !ok {
		return res, latchkey.NoProvenEmail()
	}
	now := a.Clock.Now()
	red := Redemption{TokenHash: at.TokenHash, Code: at.Code, Spent: at.Spent, IntermediateHash: at.IntermediateHash, Now: now,
		Password: at.Password, Refund: at.Refund, TOTP: at.TOTP, SMSCode: at.SMSCode}
	if at.EmailUpdate {
		red.EmailUpdate = email
	}
	if at.OrganizationID == "" && at.NewOrganization == nil && at.Member == nil {
		return a.hold(ctx, red, email, latchkey.Organization{}, latchkey.Member{}, at.Factors)
	}

	var m, next latchkey.Member
	var org latchkey.Organization
	found := false
	switch {
	case at.NewOrganization != nil:
		org = *at.NewOrganization
		red.NewOrganization = &org
	case at.Member != nil:
		m, org, found = *at.Member, at.Organization, true
	default:
		var err error
		if m, org, found, err = latchkey.MemberByEmail(ctx, a.Store, at.OrganizationID, email); err != nil {
			return res, err
		}
	}
	if found {
		next = m
		if at.EmailUpdate {
			// The proof is of the member's new address: it becomes current, the old one retired.
			next.EmailAddress = email
			next = latchkey.Settle(m, next, false, now)
		}
	} else {
		patch := latchkey.MemberPatch{EmailAddress: &email}
		if at.NewOrganization != nil {
			admin := []string{latchkey.RoleAdmin}
			patch.Roles = &admin
		}
		var err error
		if next, err = latchkey.NewMember(a.IDs.New("member"), org.OrganizationID, patch, now); err != nil {
			return res, err
		}
		red.MemberCreate = true
	}

	if at.PresentedMember != "" && (!found || m.MemberID != at.PresentedMember) {
		return res, latchkey.BadRequest("session_member_mismatch",
			"The session or intermediate session presented belongs to another member than this login's.")
	}
	if at.Check != nil {
		var mp *latchkey.Member
		if found {
			mp = &m
		}
		if err := at.Check(org, mp); err != nil {
			return res, err
		}
	}

	adm := latchkey.Admission{Membership: latchkey.MembershipActive}
	if at.NewOrganization == nil {
		// The founder of a new organization needs no admission; everyone else does.
		var mp *latchkey.Member
		if found {
			admitted := next
			mp = &admitted
		}
		var err error
		if adm, err = org.Admit(mp, at.Factors); err != nil {
			return res, err
		}
	}

	for _, f := range at.Factors {
		if k, ok := latchkey.KindOf(f); ok {
			next = k.Record(next, f)
		}
	}
	if next.Status != latchkey.StatusActive {
		next.Status = latchkey.StatusActive // proving the factor accepts an invite or a signup
	}
	if at.PasswordID != "" {
		next.MemberPasswordID = at.PasswordID
	}
	if at.EndSessions {
		next.SessionsValidAfter = now
	}
	if at.Update != nil {
		next = at.Update(next)
	}
	if found && (next.Status != m.Status || next.EmailAddressVerified != m.EmailAddressVerified || next.EmailAddress != m.EmailAddress ||
		next.MemberPasswordID != m.MemberPasswordID || !next.SessionsValidAfter.Equal(m.SessionsValidAfter) || latchkey.MFAFields(next, m) ||
		!reflect.DeepEqual(next.SSORegistrations, m.SSORegistrations) || !reflect.DeepEqual(next.OAuthRegistrations, m.OAuthRegistrations)) {
		next.UpdatedAt = now
		red.MemberChanged = true
	}
	red.MemberPrev = m

	if !adm.Authenticated() {
		if !red.provesAnew() {
			// Nothing new was proved: the member stays as it is until the requirement is met.
			red.MemberPrev, red.MemberCreate, red.MemberChanged = latchkey.Member{}, false, false
			next = m
		}
		held, err := a.hold(ctx, red, email, org, next, at.Factors)
		held.Organization, held.PrimaryRequired, held.MFARequired = org, adm.PrimaryRequired, adm.MFARequired
		if next.MemberID != "" {
			held.Member = next.Presented(org)
		}
		return held, err
	}
	return a.startSession(ctx, red, next, org, at.Factors, at.Duration, at.Claims)
}

// Continue runs an attempt of a browser flow's way in (SSO, OAuth) whose new factor is the last
// of at.Factors, on top of what the person presents: an intermediate session of the same
// organization (its factors join the attempt, and it is consumed), or a session, which the new
// one replaces.
func (a *Service) Continue(ctx context.Context, at Attempt, intermediateToken, sessionToken, sessionJWT string) (Result, error) {
	var prior *Session
	switch {
	case intermediateToken != "":
		ist, err := a.Intermediate(ctx, intermediateToken)
		if err != nil {
			return Result{}, err
		}
		if ist.OrganizationID != "" && ist.OrganizationID != at.OrganizationID {
			return Result{}, latchkey.BadRequest("invalid_intermediate_session_token_for_organization", "The intermediate session is for another organization.")
		}
		if f := at.Factors[len(at.Factors)-1]; ist.Email != "" && f.EmailFactor != nil && f.EmailFactor.EmailAddress != ist.Email {
			return Result{}, intermediateOfAnother()
		}
		at.Factors = latchkey.AddFactor(latchkey.ForOrganization(ist.Factors, at.OrganizationID), at.Factors[len(at.Factors)-1])
		at.IntermediateHash, at.PresentedMember = secret.Hash(intermediateToken), ist.MemberID
	case sessionToken != "" || sessionJWT != "":
		sess, _, _, err := a.Lookup(ctx, sessionToken, sessionJWT)
		if err != nil {
			return Result{}, err
		}
		if sess.OrganizationID != at.OrganizationID {
			return Result{}, latchkey.BadRequest("session_organization_mismatch", "The session is for another organization.")
		}
		prior, at.PresentedMember = &sess, sess.MemberID
	}
	return a.LoginOnto(ctx, at, prior)
}

func intermediateOfAnother() *latchkey.Error {
	return latchkey.BadRequest("session_member_mismatch", "The intermediate session is of another person than this login's.")
}

// StepUp adds to an attempt whose new factor (the last of at.Factors) proves email the
// intermediate session presented with it: one of the same organization (or none), of the same
// member, of the same address. Its factors join the attempt and it is consumed.
func (a *Service) StepUp(ctx context.Context, at *Attempt, memberID, email, intermediateToken string) error {
	ist, err := a.Intermediate(ctx, intermediateToken)
	if err != nil {
		return err
	}
	target := at.OrganizationID
	if at.Member != nil {
		target = at.Member.OrganizationID
	}
	switch {
	case ist.OrganizationID != "" && ist.OrganizationID != target:
		return latchkey.BadRequest("invalid_intermediate_session_token_for_organization", "The intermediate session is for another organization.")
	case ist.MemberID != "" && ist.MemberID != memberID, ist.Email != "" && ist.Email != email:
		return intermediateOfAnother()
	}
	at.Factors = latchkey.AddFactor(latchkey.ForOrganization(ist.Factors, target), at.Factors[len(at.Factors)-1])
	at.IntermediateHash = secret.Hash(intermediateToken)
	return nil
}

// HoldUnproven keeps factors that prove no address (a consumer Google account's login) in an
// intermediate session for org, consuming the token at tokenHash: the person is no one yet,
// and must prove an address by one of the methods in the result's PrimaryRequired, presenting
// the intermediate session.
//
// claimed is the address the provider named, unproven: the intermediate session is kept for
// it, so only a proof of that address completes it.
func (a *Service) HoldUnproven(ctx context.Context, org latchkey.Organization, factors []latchkey.AuthFactor, claimed, tokenHash string, spent error) (Result, error) {
	required := []string{}
	for _, m := range []string{latchkey.MethodMagicLink, latchkey.MethodEmailOTP} {
		if org.AuthMethods != latchkey.Restricted || slices.Contains(org.AllowedAuthMethods, m) {
			required = append(required, m)
		}
	}
	if len(required) == 0 {
		return Result{}, latchkey.BadRequest("oauth_unverified_email",
			"The provider does not verify this account's email address, and the organization allows no method that would.")
	}
	red := Redemption{TokenHash: tokenHash, Spent: spent, Now: a.Clock.Now()}
	res, err := a.hold(ctx, red, claimed, org, latchkey.Member{}, factors)
	res.Organization, res.PrimaryRequired = org, required
	return res, err
}

// LoginOnto runs an attempt whose new factor (the last of at.Factors) adds to a session the
// person presented (prior; nil for none). When it ends in a session, that one replaces prior,
// which is deleted: the factors live on the new session.
func (a *Service) LoginOnto(ctx context.Context, at Attempt, prior *Session) (Result, error) {
	if prior != nil && len(at.Factors) > 0 {
		at.Factors = latchkey.AddFactor(prior.AuthenticationFactors, at.Factors[len(at.Factors)-1])
	}
	res, err := a.Login(ctx, at)
	if err == nil && res.MemberAuthenticated && prior != nil {
		_ = a.deleteSessions(ctx, []Session{*prior})
	}
	return res, err
}

// hold keeps what was proved in an intermediate session, for discovery or until the
// organization's requirements are met. A presented intermediate session is kept as it is;
// otherwise a new one is written, with what red consumes and changes. Its token is in the
// result.
func (a *Service) hold(ctx context.Context, red Redemption, email string, org latchkey.Organization, m latchkey.Member, factors []latchkey.AuthFactor) (Result, error) {
	var res Result
	if red.IntermediateHash != "" && !red.provesAnew() {
		return res, nil // the caller answers with the intermediate session it was given
	}
	// A new proof on top of a presented intermediate session (consumed by red) makes a new
	// one holding both.
	token, hash := secret.New()
	red.MemberNext = m
	red.Intermediate = &IntermediateSession{Hash: hash, Email: email, OrganizationID: org.OrganizationID, MemberID: m.MemberID,
		Factors: factors, CreatedAt: red.Now, ExpiresAt: red.Now.Add(IntermediateSessionLifetime)}
	if !red.provesAnew() && !red.MemberCreate && !red.MemberChanged {
		// A session exchange: only the intermediate session is new.
		if err := a.Store.PutIntermediateSession(ctx, *red.Intermediate); err != nil {
			return res, err
		}
	} else if err := a.write(ctx, red, org.OrganizationID); err != nil {
		return res, err
	}
	res.IntermediateToken = token
	return res, nil
}

// provesAnew tells whether the redemption carries a fresh proof (an emailed token or code, a
// password, a second factor), rather than factors proved before (a session or an intermediate
// session).
func (r Redemption) provesAnew() bool {
	return r.TokenHash != "" || r.Code != nil || r.Password != nil || r.TOTP != nil || r.SMSCode != nil
}

// startSession writes the redemption with a new session for next and returns the result.
func (a *Service) startSession(ctx context.Context, red Redemption, next latchkey.Member, org latchkey.Organization, factors []latchkey.AuthFactor, duration time.Duration, claims map[string]any) (Result, error) {
	var res Result
	now := red.Now
	red.MemberNext = next
	presented := next.Presented(org)
	if claims == nil {
		claims = map[string]any{}
	}
	sess := Session{MemberSessionID: a.IDs.New("member-session"), MemberID: next.MemberID, OrganizationID: org.OrganizationID,
		OrganizationSlug: org.OrganizationSlug, StartedAt: now, LastAccessedAt: now, ExpiresAt: now.Add(duration),
		Roles: latchkey.SessionRoles(presented, factors), CustomClaims: claims, AuthenticationFactors: factors}
	token, err := NewSessionToken(org.OrganizationID, next.MemberID)
	if err != nil {
		return res, err
	}
	sess.TokenHash = secret.Hash(token)
	red.Session, red.SessionTTL = &sess, sess.ExpiresAt
	if err := a.write(ctx, red, org.OrganizationID); err != nil {
		return res, err
	}
	jwt, err := a.JWT.Issue(ctx, sess, now)
	if err != nil {
		return res, err
	}
	res.Member, res.Organization, res.Session, res.SessionToken, res.SessionJWT, res.MemberAuthenticated =
		presented, org, &sess, token, jwt, true
	return res, nil
}

// write commits a redemption, turning a failed condition into the error the client sees.
func (a *Service) write(ctx context.Context, red Redemption, orgID string) error {
	err := a.Store.Redeem(ctx, red)
	switch latchkey.ConflictOn(err) {
	case "":
		return err
	case latchkey.ConflictExists:
		if red.IntermediateHash != "" {
			return IntermediateSessionNotFound()
		}
		if red.Spent != nil {
			return red.Spent
		}
		return latchkey.ConcurrentUpdate()
	case latchkey.ConflictPhone:
		return latchkey.DuplicatePhoneNumber()
	case latchkey.ConflictSSOSubject:
		return latchkey.Errorf(http.StatusBadRequest, "sso_subject_belongs_to_another_member",
			"The identity provider's subject is registered to another member of this organization: its email address changed at the provider. Update that member's email_address, or delete it, first.")
	case latchkey.ConflictSlug:
		return latchkey.SlugUsed()
	case latchkey.ConflictExternalID:
		return latchkey.DuplicateOrgExternalID()
	case latchkey.ConflictOrganization:
		return latchkey.OrganizationNotFound()
	case latchkey.ConflictEmail:
		if red.EmailUpdate != "" {
			// Another member took the new address after the update started.
			return latchkey.DuplicateEmail()
		}
		return a.EmailTaken(ctx, orgID, red.MemberNext.EmailAddress)
	default:
		return latchkey.ConcurrentUpdate()
	}
}

// EmailTaken explains why a new member could not take an address that no member has as its
// current one: another member retired it (it stays theirs until unlinked), or someone signed up
// with it a moment ago and needs a login, not a new member. The read happens only then.
func (a *Service) EmailTaken(ctx context.Context, orgID, email string) error {
	if _, retired, err := a.Store.EmailHolder(ctx, orgID, email); err == nil && retired {
		return latchkey.DuplicateEmail()
	}
	return latchkey.ConcurrentUpdate()
}

// ExchangeSession moves a person from their session's organization to another organization
// where the email the session proved is a member (active, pending or invited: an exchange
// accepts an invite), when the session's factors satisfy that organization's policy. Otherwise
// it returns an intermediate session and what is missing. The original session is left as it
// is. The member's current email_address plays no part: its organization may have changed it
// to anyone's.
//
// It never creates a member. Stytch: session exchange "can be used to accept an invite, but
// not to create a new member via domain matching"; joining by email domain is the
// intermediate-session exchange's, after discovery.
func (a *Service) ExchangeSession(ctx context.Context, r ExchangeRequest) (Result, error) {
	s, _, _, err := a.Lookup(ctx, r.SessionToken, r.SessionJWT)
	if err != nil {
		return Result{}, err
	}
	at, err := a.exchange(r, s.AuthenticationFactors)
	if err != nil {
		return Result{}, err
	}
	at.Check = func(org latchkey.Organization, m *latchkey.Member) error {
		if m == nil {
			return latchkey.Errorf(http.StatusNotFound, latchkey.TypeMemberMissing,
				"The email this session proved is not a member of the organization. A session exchange does not create members; "+
					"to join by email domain, use discovery and exchange its intermediate session.")
		}
		return nil
	}
	return a.Login(ctx, at)
}

// exchange is the attempt of an exchange into r.OrganizationID on the strength of factors.
func (a *Service) exchange(r ExchangeRequest, factors []latchkey.AuthFactor) (Attempt, error) {
	if r.OrganizationID == "" {
		return Attempt{}, latchkey.BadRequest(latchkey.TypeBadRequest, "organization_id is required.")
	}
	if _, _, ok := latchkey.ProvenEmail(factors); !ok {
		return Attempt{}, latchkey.NoProvenEmail()
	}
	d, err := SessionOptions(r.SessionDurationMinutes, r.SessionCustomClaims)
	return Attempt{OrganizationID: r.OrganizationID, Factors: latchkey.ForOrganization(factors, r.OrganizationID), Duration: d,
		Claims: r.SessionCustomClaims}, err
}

// ExchangeIntermediateSession turns an intermediate session into a session in the chosen
// organization, creating the member if the email may join by domain. If the organization
// needs more than the intermediate session proves, nothing is written and the response says
// what is missing, with the same intermediate session.
func (a *Service) ExchangeIntermediateSession(ctx context.Context, r ExchangeRequest) (Result, error) {
	ist, err := a.Intermediate(ctx, r.IntermediateSessionToken)
	if err != nil {
		return Result{}, err
	}
	at, err := a.exchange(r, ist.Factors)
	if err != nil {
		return Result{}, err
	}
	at.IntermediateHash = secret.Hash(r.IntermediateSessionToken)
	res, err := a.Login(ctx, at)
	if err == nil && !res.MemberAuthenticated {
		res.IntermediateToken = r.IntermediateSessionToken
	}
	return res, err
}
