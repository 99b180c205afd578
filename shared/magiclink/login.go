package magiclink

import (
	"context"
	"errors"
	"net/http"
	"slices"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/secret"
)

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
type LoginOrSignupResult = authn.Sent

// LoginOrSignup emails a login link to a member, or a signup link to a new person the
// organization lets join by email domain. Every refusal happens before anything is written or
// sent.
func (a *Service) LoginOrSignup(ctx context.Context, r LoginOrSignupRequest) (LoginOrSignupResult, error) {
	var res LoginOrSignupResult
	email, err := latchkey.NormalizeEmail(r.EmailAddress)
	if err != nil {
		return res, err
	}
	if err := authn.ValidatePKCEChallenge(r.PKCECodeChallenge); err != nil {
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
	rcpt, err := a.Auth.Recipient(ctx, r.OrganizationID, email, latchkey.MethodMagicLink)
	res.Organization = rcpt.Organization
	if err != nil {
		return res, err
	}
	m, org, found := rcpt.Member, rcpt.Organization, rcpt.Found

	kind, redirectField, redirect, ttl := TokenLogin, "login_redirect_url", r.LoginRedirectURL, loginTTL
	switch {
	case found && m.Status == latchkey.StatusInvited:
		kind = TokenInvite
	case !found || m.Status == latchkey.StatusPending:
		kind, redirectField, redirect, ttl = TokenSignup, "signup_redirect_url", r.SignupRedirectURL, signupTTL
	}
	link, err := a.Redirects.Resolve(redirectField, redirect)
	if err != nil {
		return res, err
	}
	if err := a.limit(ctx, org.OrganizationID, email); err != nil {
		return res, err
	}
	if m, res.MemberCreated, err = a.Auth.Enroll(ctx, rcpt); err != nil {
		return res, err
	}
	if err := a.sendLink(ctx, kind, org, m, link, r.PKCECodeChallenge, ttl); err != nil {
		return res, err
	}
	res.Member = m.Presented(org)
	return res, nil
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
func (a *Service) Invite(ctx context.Context, r InviteRequest) (latchkey.Member, latchkey.Organization, error) {
	email, err := latchkey.NormalizeEmail(r.EmailAddress)
	if err != nil {
		return latchkey.Member{}, latchkey.Organization{}, err
	}
	ttl, err := LinkExpiry("invite_expiration_minutes", r.InviteExpirationMinutes, DefaultInviteMinutes)
	if err != nil {
		return latchkey.Member{}, latchkey.Organization{}, err
	}
	prev, org, found, err := latchkey.MemberByEmail(ctx, a.Store, r.OrganizationID, email)
	if err != nil {
		return latchkey.Member{}, org, err
	}
	if err := org.CheckInvite(email); err != nil {
		return latchkey.Member{}, org, err
	}
	if found && prev.Status == latchkey.StatusActive {
		return latchkey.Member{}, org, latchkey.Errorf(http.StatusBadRequest, latchkey.TypeDuplicateEmail, "This email already belongs to an active member of the organization.")
	}
	if r.InvitedByMemberID != "" {
		if _, _, err := latchkey.LiveMember(ctx, a.Store, org.OrganizationID, r.InvitedByMemberID); err != nil {
			return latchkey.Member{}, org, err
		}
	}
	link, err := a.Redirects.Resolve("invite_redirect_url", r.InviteRedirectURL)
	if err != nil {
		return latchkey.Member{}, org, err
	}
	patch := latchkey.MemberPatch{EmailAddress: &email, Name: r.Name, TrustedMetadata: r.TrustedMetadata, UntrustedMetadata: r.UntrustedMetadata, Roles: r.Roles}
	var next latchkey.Member
	if found {
		next, err = patch.Apply(prev)
		next.Status, next.UpdatedAt = latchkey.StatusInvited, a.Clock.Now()
	} else {
		next, err = latchkey.NewMember(a.IDs.New("member"), org.OrganizationID, patch, a.Clock.Now())
		next.Status = latchkey.StatusInvited
	}
	if err != nil {
		return latchkey.Member{}, org, err
	}
	if err := next.Validate(); err != nil {
		return latchkey.Member{}, org, err
	}
	if err := a.limit(ctx, org.OrganizationID, email); err != nil {
		return latchkey.Member{}, org, err
	}
	if found {
		err = a.Store.ReplaceMember(ctx, prev, next)
		next.Version = prev.Version + 1
	} else {
		err = a.Store.CreateMember(ctx, next)
		next.Version = 1
	}
	switch latchkey.ConflictOn(err) {
	case "":
	case latchkey.ConflictEmail:
		return latchkey.Member{}, org, latchkey.DuplicateEmail()
	case latchkey.ConflictOrganization:
		return latchkey.Member{}, org, latchkey.OrganizationNotFound()
	default:
		return latchkey.Member{}, org, latchkey.ConcurrentUpdate()
	}
	if err != nil {
		return latchkey.Member{}, org, err
	}
	if err := a.sendLink(ctx, TokenInvite, org, next, link, "", ttl); err != nil {
		return latchkey.Member{}, org, err
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

// authenticateKinds are the tokens Authenticate redeems.
var authenticateKinds = []string{TokenLogin, TokenSignup, TokenInvite, TokenEmailUpdate}

// Authenticate redeems an emailed login, signup or invite link. The token is consumed, the
// member activated and verified, and the session created in one transaction, so a link works
// exactly once even when clicked twice at the same moment.
func (a *Service) Authenticate(ctx context.Context, r AuthenticateRequest) (authn.Result, error) {
	var res authn.Result
	if r.MagicLinksToken == "" {
		return res, latchkey.BadRequest(latchkey.TypeBadRequest, "magic_links_token is required.")
	}
	duration, err := authn.SessionOptions(r.SessionDurationMinutes, r.SessionCustomClaims)
	if err != nil {
		return res, err
	}
	hash := secret.Hash(r.MagicLinksToken)
	t, err := a.Store.MagicToken(ctx, hash)
	now := a.Clock.Now()
	// Only this call's kinds: discovery links and password resets share the token table.
	if errors.Is(err, latchkey.ErrNotFound) || err == nil && (!now.Before(t.ExpiresAt) || !slices.Contains(authenticateKinds, t.Kind)) {
		return res, MagicLinkNotFound()
	}
	if err != nil {
		return res, err
	}
	if err := authn.CheckPKCE(t.PKCEChallenge, r.PKCECodeVerifier); err != nil {
		return res, err
	}
	prev, org, err := latchkey.MemberAndOrg(ctx, a.Store, t.OrganizationID, t.MemberID)
	if err != nil || prev.Status == latchkey.StatusDeleted || !prev.Accepts(t.CreatedAt) ||
		t.Kind != TokenEmailUpdate && prev.EmailAddress != t.Email ||
		t.Kind == TokenEmailUpdate && prev.Status != latchkey.StatusActive {
		// The member was deleted (even if reactivated since) or changed address after the link
		// was sent.
		return res, MagicLinkNotFound()
	}
	if err := org.CheckAuthMethod(latchkey.MethodMagicLink, &prev); err != nil {
		return res, err
	}
	var existing *authn.Session
	if r.SessionToken != "" || r.SessionJWT != "" {
		s, m, _, err := a.Auth.Lookup(ctx, r.SessionToken, r.SessionJWT)
		if err != nil {
			return res, err
		}
		if m.MemberID != prev.MemberID {
			return res, latchkey.BadRequest("session_member_mismatch", "The session belongs to another member.")
		}
		existing = &s
	}

	// The link proves the address it was sent to (an email update's is the member's new one).
	at := authn.Attempt{Member: &prev, Organization: org, Factors: []latchkey.AuthFactor{latchkey.FactorMagicLink.Proved(t.Email, now)},
		TokenHash: hash, Spent: MagicLinkNotFound(), EmailUpdate: t.Kind == TokenEmailUpdate, Duration: duration, Claims: r.SessionCustomClaims}
	switch {
	case existing != nil:
		at.Factors = latchkey.AddFactor(existing.AuthenticationFactors, at.Factors[0])
	case r.IntermediateSessionToken != "" && t.Kind != TokenEmailUpdate:
		// A step-up: the intermediate session holds what was proved before (a consumer Google
		// login, which proves no address) for this member's address, and the link completes it.
		if err := a.Auth.StepUp(ctx, &at, prev.MemberID, t.Email, r.IntermediateSessionToken); err != nil {
			return res, err
		}
	}
	out, err := a.Auth.Login(ctx, at)
	if err == nil && out.MemberAuthenticated && existing != nil {
		// The factor now lives on the new session; the old one is superseded.
		_ = a.Store.DeleteSessions(ctx, []authn.Session{*existing})
	}
	return out, err
}
