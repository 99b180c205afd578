package latchkey

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/shared/secret"
)

// Auth runs email magic links and member sessions.
type Auth struct {
	*Service
	Store     AuthStore
	Mail      Mailer
	JWT       SessionJWTs
	Redirects Redirects
	// Sends allowed per hour per email address and per organization.
	EmailSendsPerHour int
	OrgSendsPerHour   int
}

// IntermediateSessionLifetime bounds how long a verified email may wait to pick an
// organization or finish MFA.
const IntermediateSessionLifetime = 10 * time.Minute

// LoginOrSignupRequest is the body of MagicLinks.Email.LoginOrSignup.
type LoginOrSignupRequest struct {
	OrganizationID          string `json:"organization_id"`
	EmailAddress            string `json:"email_address"`
	LoginRedirectURL        string `json:"login_redirect_url"`
	SignupRedirectURL       string `json:"signup_redirect_url"`
	PKCECodeChallenge       string `json:"pkce_code_challenge"`
	LoginTemplateID         string `json:"login_template_id"`
	SignupTemplateID        string `json:"signup_template_id"`
	Locale                  string `json:"locale"`
	LoginExpirationMinutes  int    `json:"login_expiration_minutes"`
	SignupExpirationMinutes int    `json:"signup_expiration_minutes"`
}

// LoginOrSignupResult is what the API returns.
type LoginOrSignupResult struct {
	Member        Member
	MemberCreated bool
	Organization  Organization
}

func tooManyRequests() *Error {
	return Errorf(http.StatusTooManyRequests, "too_many_requests", "Too many emails have been requested. Please wait and try again.")
}

// LoginOrSignup emails a login link to a member, or a signup link to a new person the
// organization lets join by email domain. Every refusal happens before anything is written or
// sent.
func (a *Auth) LoginOrSignup(ctx context.Context, r LoginOrSignupRequest) (LoginOrSignupResult, error) {
	var res LoginOrSignupResult
	email, err := NormalizeEmail(r.EmailAddress)
	if err != nil {
		return res, err
	}
	if err := ValidatePKCEChallenge(r.PKCECodeChallenge); err != nil {
		return res, err
	}
	loginTTL, err := LinkExpiry("login_expiration_minutes", r.LoginExpirationMinutes, DefaultLoginMinutes)
	if err != nil {
		return res, err
	}
	signupTTL, err := LinkExpiry("signup_expiration_minutes", r.SignupExpirationMinutes, DefaultLoginMinutes)
	if err != nil {
		return res, err
	}
	m, org, found, err := a.memberByEmail(ctx, r.OrganizationID, email)
	if err != nil {
		return res, err
	}
	res.Organization = org

	kind, redirectField, redirect, ttl := TokenLogin, "login_redirect_url", r.LoginRedirectURL, loginTTL
	switch {
	case found && m.Status == StatusInvited:
		kind = TokenInvite
	case !found || m.Status == StatusPending:
		kind, redirectField, redirect, ttl = TokenSignup, "signup_redirect_url", r.SignupRedirectURL, signupTTL
	}
	var mp *Member
	if found {
		mp = &m
	}
	if err := org.CheckAuthMethod(MethodMagicLink, mp); err != nil {
		return res, err
	}
	if !found {
		if err := org.CheckEmailJIT(email); err != nil {
			return res, err
		}
	}
	link, err := a.Redirects.Resolve(redirectField, redirect)
	if err != nil {
		return res, err
	}
	if err := a.limit(ctx, org.OrganizationID, email); err != nil {
		return res, err
	}
	if !found {
		m, err = NewMember(a.IDs.New("member"), org.OrganizationID, MemberPatch{EmailAddress: &email, CreateMemberAsPending: true}, a.Clock.Now())
		if err != nil {
			return res, err
		}
		if err := a.Service.Store.CreateMember(ctx, m); err != nil {
			if conflictOn(err) == ConflictEmail {
				return res, a.emailTaken(ctx, org.OrganizationID, email)
			}
			return res, orgErr(err)
		}
		m.Version = 1
		res.MemberCreated = true
	}
	if err := a.sendLink(ctx, kind, org, m, link, r.PKCECodeChallenge, ttl); err != nil {
		return res, err
	}
	res.Member = m.Presented(org)
	return res, nil
}

// memberByEmail finds the live member with this email in the organization: two reads when the
// member exists (email guard, then member and organization together), two when not.
func (a *Auth) memberByEmail(ctx context.Context, orgID, email string) (Member, Organization, bool, error) {
	id, err := a.Service.Store.MemberIDByEmail(ctx, orgID, email)
	if errors.Is(err, ErrNotFound) {
		org, err := a.Service.Store.Organization(ctx, orgID)
		return Member{}, org, false, orgErr(err)
	}
	if err != nil {
		return Member{}, Organization{}, false, err
	}
	m, org, err := a.memberAndOrg(ctx, orgID, id)
	if errors.Is(err, ErrNotFound) || err != nil && AsError(err).Type == TypeMemberMissing {
		return Member{}, org, false, nil
	}
	return m, org, err == nil, err
}

// emailTaken explains why a new member could not take an address that no member has as its
// current one: another member retired it (it stays theirs until unlinked), or someone signed up
// with it a moment ago and needs a login, not a new member. The read happens only then.
func (a *Auth) emailTaken(ctx context.Context, orgID, email string) error {
	if _, retired, err := a.Service.Store.EmailHolder(ctx, orgID, email); err == nil && retired {
		return duplicateEmail()
	}
	return concurrentUpdate()
}

func (a *Auth) limit(ctx context.Context, orgID, email string) error {
	err := a.Store.Hit(ctx, []RateCounter{
		{Key: "email#" + email, Window: time.Hour, Limit: a.EmailSendsPerHour},
		{Key: "org#" + orgID, Window: time.Hour, Limit: a.OrgSendsPerHour},
	}, a.Clock.Now())
	if errors.Is(err, ErrRateLimited) {
		return tooManyRequests()
	}
	return err
}

// sendLink stores a fresh single-use token and emails its link. If the email cannot be sent
// the token is deleted, so no usable link exists that nobody received.
func (a *Auth) sendLink(ctx context.Context, kind string, org Organization, m Member, redirect, challenge string, ttl time.Duration) error {
	now := a.Clock.Now()
	t := MagicToken{Kind: kind, OrganizationID: org.OrganizationID, MemberID: m.MemberID, Email: m.EmailAddress,
		PKCEChallenge: challenge, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	return a.sendToken(ctx, t, org.OrganizationName, redirect, "multi_tenant_magic_links")
}

// sendToken stores t under a fresh token's hash and emails the link.
func (a *Auth) sendToken(ctx context.Context, t MagicToken, orgName, redirect, linkType string) error {
	token, hash := secret.New()
	t.Hash = hash
	if err := a.Store.PutMagicToken(ctx, t); err != nil {
		return err
	}
	return a.mailToken(ctx, t, token, orgName, redirect, linkType)
}

// mailToken emails the link for a stored token, deleting the token if the email cannot be
// sent.
func (a *Auth) mailToken(ctx context.Context, t MagicToken, token, orgName, redirect, linkType string) error {
	msg := LinkMessage(t.Kind, t.Email, orgName, LinkURL(redirect, linkType, token), humanDuration(t.ExpiresAt.Sub(t.CreatedAt)))
	if err := a.Mail.Send(ctx, msg); err != nil {
		if derr := a.Store.DeleteMagicToken(context.WithoutCancel(ctx), t.Hash); derr != nil {
			return errors.Join(err, derr)
		}
		return err
	}
	return nil
}

func humanDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		n := int(d / (24 * time.Hour))
		return plural(n, "day")
	case d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d/time.Minute), "minute")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// InviteRequest is the body of MagicLinks.Email.Invite.
type InviteRequest struct {
	OrganizationID          string          `json:"organization_id"`
	EmailAddress            string          `json:"email_address"`
	InviteRedirectURL       string          `json:"invite_redirect_url"`
	InvitedByMemberID       string          `json:"invited_by_member_id"`
	Name                    *string         `json:"name"`
	TrustedMetadata         *map[string]any `json:"trusted_metadata"`
	UntrustedMetadata       *map[string]any `json:"untrusted_metadata"`
	InviteTemplateID        string          `json:"invite_template_id"`
	Locale                  string          `json:"locale"`
	Roles                   *[]string       `json:"roles"`
	InviteExpirationMinutes int             `json:"invite_expiration_minutes"`
}

// Invite creates (or refreshes) an invited member and emails the invite link.
func (a *Auth) Invite(ctx context.Context, r InviteRequest) (Member, Organization, error) {
	email, err := NormalizeEmail(r.EmailAddress)
	if err != nil {
		return Member{}, Organization{}, err
	}
	ttl, err := LinkExpiry("invite_expiration_minutes", r.InviteExpirationMinutes, DefaultInviteMinutes)
	if err != nil {
		return Member{}, Organization{}, err
	}
	prev, org, found, err := a.memberByEmail(ctx, r.OrganizationID, email)
	if err != nil {
		return Member{}, org, err
	}
	if err := org.CheckInvite(email); err != nil {
		return Member{}, org, err
	}
	if found && prev.Status == StatusActive {
		return Member{}, org, Errorf(http.StatusConflict, TypeDuplicateEmail, "This email already belongs to an active member of the organization.")
	}
	if r.InvitedByMemberID != "" {
		if _, _, err := a.liveMember(ctx, org.OrganizationID, r.InvitedByMemberID); err != nil {
			return Member{}, org, err
		}
	}
	link, err := a.Redirects.Resolve("invite_redirect_url", r.InviteRedirectURL)
	if err != nil {
		return Member{}, org, err
	}
	patch := MemberPatch{EmailAddress: &email, Name: r.Name, TrustedMetadata: r.TrustedMetadata, UntrustedMetadata: r.UntrustedMetadata, Roles: r.Roles}
	var next Member
	if found {
		next, err = patch.Apply(prev)
		next.Status, next.UpdatedAt = StatusInvited, a.Clock.Now()
	} else {
		next, err = NewMember(a.IDs.New("member"), org.OrganizationID, patch, a.Clock.Now())
		next.Status = StatusInvited
	}
	if err != nil {
		return Member{}, org, err
	}
	if err := next.Validate(); err != nil {
		return Member{}, org, err
	}
	if err := a.limit(ctx, org.OrganizationID, email); err != nil {
		return Member{}, org, err
	}
	if found {
		err = a.Service.Store.ReplaceMember(ctx, prev, next)
		next.Version = prev.Version + 1
	} else {
		err = a.Service.Store.CreateMember(ctx, next)
		next.Version = 1
	}
	switch conflictOn(err) {
	case "":
	case ConflictEmail:
		return Member{}, org, duplicateEmail()
	case ConflictOrganization:
		return Member{}, org, OrganizationNotFound()
	default:
		return Member{}, org, concurrentUpdate()
	}
	if err != nil {
		return Member{}, org, err
	}
	if err := a.sendLink(ctx, TokenInvite, org, next, link, "", ttl); err != nil {
		return Member{}, org, err
	}
	return next.Presented(org), org, nil
}

// AuthenticateRequest is the body of MagicLinks.Authenticate.
type AuthenticateRequest struct {
	MagicLinksToken          string         `json:"magic_links_token"`
	PKCECodeVerifier         string         `json:"pkce_code_verifier"`
	SessionToken             string         `json:"session_token"`
	SessionJWT               string         `json:"session_jwt"`
	SessionDurationMinutes   int            `json:"session_duration_minutes"`
	SessionCustomClaims      map[string]any `json:"session_custom_claims"`
	Locale                   string         `json:"locale"`
	IntermediateSessionToken string         `json:"intermediate_session_token"`
}

// AuthResult is a completed (or MFA-pending) authentication.
type AuthResult struct {
	PrimaryRequired     []string
	Member              Member
	Organization        Organization
	Session             *Session
	SessionToken        string
	SessionJWT          string
	IntermediateToken   string
	MemberAuthenticated bool
	MFARequired         bool
}

// Authenticate redeems an emailed login, signup or invite link. The token is consumed, the
// member activated and verified, and the session created in one transaction, so a link works
// exactly once even when clicked twice at the same moment.
func (a *Auth) Authenticate(ctx context.Context, r AuthenticateRequest) (AuthResult, error) {
	var res AuthResult
	if r.MagicLinksToken == "" {
		return res, badRequest(TypeBadRequest, "magic_links_token is required.")
	}
	duration, err := SessionDuration(r.SessionDurationMinutes)
	if err != nil {
		return res, err
	}
	if err := ValidateCustomClaims(r.SessionCustomClaims); err != nil {
		return res, err
	}
	hash := secret.Hash(r.MagicLinksToken)
	t, err := a.Store.MagicToken(ctx, hash)
	now := a.Clock.Now()
	if errors.Is(err, ErrNotFound) || err == nil && (!now.Before(t.ExpiresAt) || t.Kind == TokenDiscovery) {
		return res, MagicLinkNotFound()
	}
	if err != nil {
		return res, err
	}
	if err := CheckPKCE(t.PKCEChallenge, r.PKCECodeVerifier); err != nil {
		return res, err
	}
	prev, org, err := a.memberAndOrg(ctx, t.OrganizationID, t.MemberID)
	if err != nil || prev.Status == StatusDeleted || !prev.Accepts(t.CreatedAt) ||
		t.Kind != TokenEmailUpdate && prev.EmailAddress != t.Email ||
		t.Kind == TokenEmailUpdate && prev.Status != StatusActive {
		// The member was deleted (even if reactivated since) or changed address after the link
		// was sent.
		return res, MagicLinkNotFound()
	}
	if err := org.CheckAuthMethod(MethodMagicLink, &prev); err != nil {
		return res, err
	}
	var existing *Session
	if r.SessionToken != "" || r.SessionJWT != "" {
		s, m, _, err := a.session(ctx, r.SessionToken, r.SessionJWT)
		if err != nil {
			return res, err
		}
		if m.MemberID != prev.MemberID {
			return res, badRequest("session_member_mismatch", "The session belongs to another member.")
		}
		existing = &s
	}

	next := prev
	if t.Kind == TokenEmailUpdate {
		// The new address is proven by this very link: it becomes current and verified, and
		// the old one is retired as with any change of address.
		next.EmailAddress = t.Email
		next = Settle(prev, next, false, now)
	}
	changed := next.EmailAddress != prev.EmailAddress || prev.Status != StatusActive || !prev.EmailAddressVerified
	if changed {
		next.Status, next.EmailAddressVerified, next.UpdatedAt = StatusActive, true, now
	}
	presented := next.Presented(org)
	factors := []AuthFactor{MagicLinkFactor(next.EmailAddress, now)}
	if existing != nil {
		factors = AddFactor(existing.AuthenticationFactors, factors[0])
	}
	red := Redemption{TokenHash: hash, Now: now, MemberPrev: prev, MemberNext: next, MemberChanged: changed}
	if t.Kind == TokenEmailUpdate {
		red.EmailUpdate = t.Email
	}
	res.Member, res.Organization = presented, org

	if org.RequiresMFA(factors) {
		ist, istHash := secret.New()
		red.Intermediate = &IntermediateSession{Hash: istHash, Email: next.EmailAddress, OrganizationID: org.OrganizationID,
			MemberID: next.MemberID, Factors: factors, CreatedAt: now, ExpiresAt: now.Add(IntermediateSessionLifetime)}
		if err := a.redeem(ctx, red); err != nil {
			return res, err
		}
		res.IntermediateToken, res.MFARequired = ist, true
		return res, nil
	}

	out, err := a.startSession(ctx, red, next, org, factors, duration, r.SessionCustomClaims)
	if err == nil && existing != nil {
		// The factor now lives on the new session; the old one is superseded.
		_ = a.Store.DeleteSessions(ctx, []Session{*existing})
	}
	return out, err
}

func (a *Auth) redeem(ctx context.Context, r Redemption) error {
	err := a.Store.Redeem(ctx, r)
	switch conflictOn(err) {
	case "":
		return err
	case ConflictExists:
		return MagicLinkNotFound()
	case ConflictEmail:
		return duplicateEmail()
	default:
		return concurrentUpdate()
	}
}

// session resolves a session token or JWT to a live session with its member and organization.
func (a *Auth) session(ctx context.Context, token, jwt string) (Session, Member, Organization, error) {
	var hash, orgID, memberID string
	switch {
	case token != "":
		var err error
		if orgID, memberID, err = a.IDs.ParseSessionToken(token); err != nil {
			return Session{}, Member{}, Organization{}, err
		}
		hash = secret.Hash(token)
	case jwt != "":
		ref, err := a.JWT.Verify(ctx, jwt)
		if err != nil {
			return Session{}, Member{}, Organization{}, err
		}
		if hash, err = a.Store.SessionHashByID(ctx, ref.SessionID); err != nil {
			return Session{}, Member{}, Organization{}, sessionErr(err)
		}
		orgID, memberID = ref.OrganizationID, ref.MemberID
	default:
		return Session{}, Member{}, Organization{}, badRequest(TypeBadRequest, "session_token or session_jwt is required.")
	}
	s, m, org, err := a.Store.SessionBundle(ctx, hash, orgID, memberID)
	if err != nil {
		return s, m, org, sessionErr(err)
	}
	// The key lookup already matched the hash; comparing again in constant time costs nothing
	// and keeps the check independent of how the store found the item.
	if !secret.Equal(s.TokenHash, hash) || !a.Clock.Now().Before(s.ExpiresAt) || m.Status != StatusActive ||
		s.MemberID != m.MemberID || s.OrganizationID != org.OrganizationID {
		return s, m, org, SessionNotFound()
	}
	return s, m.Presented(org), org, nil
}

func sessionErr(err error) error {
	if errors.Is(err, ErrNotFound) {
		return SessionNotFound()
	}
	return err
}

// SessionAuthenticateRequest is the body of Sessions.Authenticate.
type SessionAuthenticateRequest struct {
	SessionToken           string         `json:"session_token"`
	SessionJWT             string         `json:"session_jwt"`
	SessionDurationMinutes int            `json:"session_duration_minutes"`
	SessionCustomClaims    map[string]any `json:"session_custom_claims"`
	AuthorizationCheck     map[string]any `json:"authorization_check"`
}

// AuthenticateSession checks a session and returns it with a fresh JWT. A duration extends it
// from now; custom claims are merged in. Only then is the session written.
func (a *Auth) AuthenticateSession(ctx context.Context, r SessionAuthenticateRequest) (AuthResult, error) {
	var res AuthResult
	if r.AuthorizationCheck != nil {
		// Answering without evaluating the check would tell the caller it is authorized.
		return res, badRequest("authorization_check_not_supported", "authorization_check is not supported yet: RBAC policies are not implemented.")
	}
	if err := ValidateCustomClaims(r.SessionCustomClaims); err != nil {
		return res, err
	}
	var duration time.Duration
	if r.SessionDurationMinutes != 0 {
		var err error
		if duration, err = SessionDuration(r.SessionDurationMinutes); err != nil {
			return res, err
		}
	}
	s, m, org, err := a.session(ctx, r.SessionToken, r.SessionJWT)
	if err != nil {
		return res, err
	}
	now := a.Clock.Now()
	if duration > 0 || len(r.SessionCustomClaims) > 0 {
		if duration > 0 {
			s.ExpiresAt = now.Add(duration)
		}
		if s.CustomClaims == nil {
			s.CustomClaims = map[string]any{}
		}
		for k, v := range r.SessionCustomClaims {
			s.CustomClaims[k] = v
		}
		if err := ValidateMetadata("session_custom_claims", s.CustomClaims); err != nil {
			return res, err
		}
		s.LastAccessedAt = now
		if err := a.Store.UpdateSession(ctx, s); err != nil {
			return res, sessionErr(err)
		}
	}
	s.Roles = RoleIDs(m)
	jwt, err := a.JWT.Issue(ctx, s, now)
	if err != nil {
		return res, err
	}
	res.Member, res.Organization, res.Session, res.SessionJWT, res.MemberAuthenticated = m, org, &s, jwt, true
	res.SessionToken = r.SessionToken
	return res, nil
}

// Sessions lists a member's live sessions.
func (a *Auth) Sessions(ctx context.Context, orgID, memberID string) ([]Session, error) {
	if orgID == "" || memberID == "" {
		return nil, badRequest(TypeBadRequest, "organization_id and member_id are required.")
	}
	if _, _, err := a.memberAndOrg(ctx, orgID, memberID); err != nil {
		return nil, err
	}
	all, err := a.Store.SessionsForMember(ctx, memberID)
	if err != nil {
		return nil, err
	}
	now := a.Clock.Now()
	out := []Session{}
	for _, s := range all {
		if s.OrganizationID == orgID && now.Before(s.ExpiresAt) {
			out = append(out, s)
		}
	}
	return out, nil
}

// RevokeRequest is the body of Sessions.Revoke: exactly one field names what to revoke.
type RevokeRequest struct {
	MemberSessionID string `json:"member_session_id"`
	SessionToken    string `json:"session_token"`
	SessionJWT      string `json:"session_jwt"`
	MemberID        string `json:"member_id"`
}

// Revoke ends one session, or every session of a member.
func (a *Auth) Revoke(ctx context.Context, r RevokeRequest) error {
	n := 0
	for _, v := range []string{r.MemberSessionID, r.SessionToken, r.SessionJWT, r.MemberID} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return badRequest(TypeBadRequest, "Exactly one of member_session_id, session_token, session_jwt or member_id is required.")
	}
	if r.MemberID != "" {
		all, err := a.Store.SessionsForMember(ctx, r.MemberID)
		if err != nil {
			return err
		}
		return a.Store.DeleteSessions(ctx, all)
	}
	var s Session
	switch {
	case r.MemberSessionID != "":
		hash, err := a.Store.SessionHashByID(ctx, r.MemberSessionID)
		if err != nil {
			return sessionErr(err)
		}
		s = Session{MemberSessionID: r.MemberSessionID, TokenHash: hash}
	default:
		found, _, _, err := a.session(ctx, r.SessionToken, r.SessionJWT)
		if err != nil {
			return err
		}
		s = found
	}
	return a.Store.DeleteSessions(ctx, []Session{s})
}

// DeleteMember marks the member deleted and revokes every session it has.
func (a *Auth) DeleteMember(ctx context.Context, orgID, memberID string) error {
	if err := a.Service.DeleteMember(ctx, orgID, memberID); err != nil {
		return err
	}
	sessions, err := a.Store.SessionsForMember(ctx, memberID)
	if err != nil {
		return err
	}
	return a.Store.DeleteSessions(ctx, sessions)
}

// StartEmailUpdateRequest is the body of Members.StartEmailUpdate.
type StartEmailUpdateRequest struct {
	EmailAddress     string `json:"email_address"`
	LoginRedirectURL string `json:"login_redirect_url"`
	Locale           string `json:"locale"`
	LoginTemplateID  string `json:"login_template_id"`
	DeliveryMethod   string `json:"delivery_method"`
}

// EmailUpdateLifetime is how long the link that proves a new address lives, and how long the
// address stays reserved for the member, as in Stytch.
const EmailUpdateLifetime = 5 * time.Minute

// StartEmailUpdate emails a link to a member's new address; redeeming it through
// MagicLinks.Authenticate makes that address current and verified. Until then nothing about
// the member changes. As in Stytch, the member must be active with a verified address, and
// the new address may not belong to, or be reserved by, another member of the organization.
func (a *Auth) StartEmailUpdate(ctx context.Context, orgID, memberID string, r StartEmailUpdateRequest) (Member, Organization, error) {
	switch r.DeliveryMethod {
	case "", "EMAIL_MAGIC_LINK":
	case "EMAIL_OTP":
		return Member{}, Organization{}, badRequest("email_otp_not_supported", "delivery_method EMAIL_OTP is not supported yet: email one-time passcodes are not implemented.")
	default:
		return Member{}, Organization{}, badRequest("invalid_delivery_method", "delivery_method must be EMAIL_MAGIC_LINK or EMAIL_OTP.")
	}
	email, err := NormalizeEmail(r.EmailAddress)
	if err != nil {
		return Member{}, Organization{}, err
	}
	m, org, err := a.liveMember(ctx, orgID, memberID)
	if err != nil {
		return Member{}, org, err
	}
	switch {
	case m.Status != StatusActive || !m.EmailAddressVerified:
		return Member{}, org, badRequest("member_email_not_verified",
			"Only an active member with a verified email address can start an email update.")
	case email == m.EmailAddress:
		return Member{}, org, badRequest("email_address_unchanged", "email_address is already the member's email address.")
	}
	if err := org.CheckAuthMethod(MethodMagicLink, &m); err != nil {
		return Member{}, org, err
	}
	link, err := a.Redirects.Resolve("login_redirect_url", r.LoginRedirectURL)
	if err != nil {
		return Member{}, org, err
	}
	// One read refuses an address another member holds now; the redemption's conditional
	// write on the email guard is what makes it impossible, however the two race.
	holder, _, err := a.Service.Store.EmailHolder(ctx, org.OrganizationID, email)
	switch {
	case err == nil && holder != m.MemberID:
		return Member{}, org, duplicateEmail()
	case err != nil && !errors.Is(err, ErrNotFound):
		return Member{}, org, err
	}
	if err := a.limit(ctx, org.OrganizationID, email); err != nil {
		return Member{}, org, err
	}
	now := a.Clock.Now()
	t := MagicToken{Kind: TokenEmailUpdate, OrganizationID: org.OrganizationID, MemberID: m.MemberID, Email: email,
		CreatedAt: now, ExpiresAt: now.Add(EmailUpdateLifetime)}
	token, hash := secret.New()
	t.Hash = hash
	if err := a.Store.PutEmailUpdateToken(ctx, t); err != nil {
		if conflictOn(err) == ConflictEmail {
			return Member{}, org, Errorf(http.StatusConflict, "email_update_in_progress",
				"Another member of this organization is already updating to this email address.")
		}
		return Member{}, org, err
	}
	if err := a.mailToken(ctx, t, token, org.OrganizationName, link, "multi_tenant_magic_links"); err != nil {
		return Member{}, org, err
	}
	return m.Presented(org), org, nil
}
