package latchkey

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/shared/secret"
)

// DiscoveredOrganization is one organization a verified email can enter or join, in Stytch's
// shape.
type DiscoveredOrganization struct {
	MemberAuthenticated bool             `json:"member_authenticated"`
	Organization        Organization     `json:"organization"`
	Membership          Membership       `json:"membership"`
	PrimaryRequired     *PrimaryRequired `json:"primary_required"`
	MFARequired         *MFARequired     `json:"mfa_required"`
}

type Membership struct {
	Type    string         `json:"type"`
	Details map[string]any `json:"details"`
	Member  *Member        `json:"member"`
}

type PrimaryRequired struct {
	AllowedAuthMethods []string `json:"allowed_auth_methods"`
}

type MFARequired struct {
	MemberOptions          *MFAMemberOptions `json:"member_options"`
	SecondaryAuthInitiated *string           `json:"secondary_auth_initiated"`
}

type MFAMemberOptions struct {
	MFAPhoneNumber     string `json:"mfa_phone_number"`
	TOTPRegistrationID string `json:"totp_registration_id"`
}

// Requirements renders what an admission still lacks, for API responses.
func Requirements(adm Admission, m *Member) (*PrimaryRequired, *MFARequired) {
	var p *PrimaryRequired
	var f *MFARequired
	if len(adm.PrimaryRequired) > 0 {
		p = &PrimaryRequired{AllowedAuthMethods: adm.PrimaryRequired}
	}
	if adm.MFARequired {
		f = &MFARequired{MemberOptions: &MFAMemberOptions{}}
		if m != nil {
			f.MemberOptions.MFAPhoneNumber, f.MemberOptions.TOTPRegistrationID = m.MFAPhoneNumber, m.TOTPRegistrationID
		}
	}
	return p, f
}

// IntermediateSessionNotFound covers unknown, used and expired intermediate sessions.
func IntermediateSessionNotFound() *Error {
	return Errorf(http.StatusNotFound, "intermediate_session_not_found", "Intermediate session could not be found: it is invalid, expired or already used.")
}

// DiscoverySendRequest is the body of MagicLinks.Email.Discovery.Send.
type DiscoverySendRequest struct {
	EmailAddress               string `json:"email_address"`
	DiscoveryRedirectURL       string `json:"discovery_redirect_url"`
	PKCECodeChallenge          string `json:"pkce_code_challenge"`
	LoginTemplateID            string `json:"login_template_id"`
	Locale                     string `json:"locale"`
	DiscoveryExpirationMinutes int    `json:"discovery_expiration_minutes"`
}

// DiscoverySend emails a discovery link: it proves the address, with no organization chosen.
func (a *Auth) DiscoverySend(ctx context.Context, r DiscoverySendRequest) error {
	email, err := NormalizeEmail(r.EmailAddress)
	if err != nil {
		return err
	}
	if err := ValidatePKCEChallenge(r.PKCECodeChallenge); err != nil {
		return err
	}
	ttl, err := LinkExpiry("discovery_expiration_minutes", r.DiscoveryExpirationMinutes, DefaultLoginMinutes)
	if err != nil {
		return err
	}
	link, err := a.Redirects.Resolve("discovery_redirect_url", r.DiscoveryRedirectURL)
	if err != nil {
		return err
	}
	err = a.Store.Hit(ctx, []RateCounter{{Key: "email#" + email, Window: time.Hour, Limit: a.EmailSendsPerHour}}, a.Clock.Now())
	if errors.Is(err, ErrRateLimited) {
		return tooManyRequests()
	}
	if err != nil {
		return err
	}
	now := a.Clock.Now()
	return a.sendToken(ctx, MagicToken{Kind: TokenDiscovery, Email: email, PKCEChallenge: r.PKCECodeChallenge,
		CreatedAt: now, ExpiresAt: now.Add(ttl)}, "", link, "discovery")
}

// DiscoveryResult is a verified email, its intermediate session and where it may go.
type DiscoveryResult struct {
	IntermediateToken string
	Email             string
	Organizations     []DiscoveredOrganization
}

// DiscoveryAuthenticateRequest is the body of MagicLinks.Discovery.Authenticate.
type DiscoveryAuthenticateRequest struct {
	DiscoveryMagicLinksToken string `json:"discovery_magic_links_token"`
	PKCECodeVerifier         string `json:"pkce_code_verifier"`
}

// DiscoveryAuthenticate redeems a discovery link for an intermediate session, consuming the
// link and creating the intermediate session in one transaction.
func (a *Auth) DiscoveryAuthenticate(ctx context.Context, r DiscoveryAuthenticateRequest) (DiscoveryResult, error) {
	var res DiscoveryResult
	if r.DiscoveryMagicLinksToken == "" {
		return res, badRequest(TypeBadRequest, "discovery_magic_links_token is required.")
	}
	hash := secret.Hash(r.DiscoveryMagicLinksToken)
	t, err := a.Store.MagicToken(ctx, hash)
	now := a.Clock.Now()
	if errors.Is(err, ErrNotFound) || err == nil && (!now.Before(t.ExpiresAt) || t.Kind != TokenDiscovery) {
		return res, MagicLinkNotFound()
	}
	if err != nil {
		return res, err
	}
	if err := CheckPKCE(t.PKCEChallenge, r.PKCECodeVerifier); err != nil {
		return res, err
	}
	factors := []AuthFactor{MagicLinkFactor(t.Email, now)}
	token, istHash := secret.New()
	ist := IntermediateSession{Hash: istHash, Email: t.Email, Factors: factors, CreatedAt: now, ExpiresAt: now.Add(IntermediateSessionLifetime)}
	if err := a.redeem(ctx, Redemption{TokenHash: hash, Now: now, Intermediate: &ist}); err != nil {
		return res, err
	}
	orgs, err := a.discover(ctx, t.Email, factors)
	return DiscoveryResult{IntermediateToken: token, Email: t.Email, Organizations: orgs}, err
}

// discover lists the organizations the email that factors proved may enter: those where it
// has a live membership (gsi1 by email) and those that let its domain join (the domain
// index), each with what the factors still lack. Three round trips, whatever the table holds.
func (a *Auth) discover(ctx context.Context, email string, factors []AuthFactor) ([]DiscoveredOrganization, error) {
	if proven, _, ok := ProvenEmail(factors); !ok || proven != email {
		return nil, NoProvenEmail()
	}
	members, err := a.Store.MembersByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	byOrg := map[string]*Member{}
	ids := []string{}
	for i := range members {
		if members[i].Status != StatusDeleted {
			byOrg[members[i].OrganizationID] = &members[i]
			ids = append(ids, members[i].OrganizationID)
		}
	}
	domainOrgs, err := a.Store.OrganizationIDsByDomain(ctx, EmailDomain(email))
	if err != nil {
		return nil, err
	}
	for _, id := range domainOrgs {
		if byOrg[id] == nil {
			ids = append(ids, id)
		}
	}
	orgs, err := a.Service.Store.Organizations(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := map[string]Organization{}
	for _, o := range orgs {
		byID[o.OrganizationID] = o
	}
	out := []DiscoveredOrganization{}
	for _, id := range ids {
		org, ok := byID[id]
		if !ok {
			continue
		}
		m := byOrg[id]
		adm, err := org.Admit(m, factors)
		if err != nil {
			continue // no membership and not allowed to join
		}
		d := DiscoveredOrganization{MemberAuthenticated: adm.Authenticated(), Organization: org,
			Membership: Membership{Type: adm.Membership, Details: nil}}
		if m != nil {
			pm := m.Presented(org)
			d.Membership.Member = &pm
		} else {
			d.Membership.Details = map[string]any{"domain": EmailDomain(email)}
		}
		d.PrimaryRequired, d.MFARequired = Requirements(adm, m)
		out = append(out, d)
	}
	return out, nil
}

// DiscoveryListRequest is the body of Discovery.Organizations.List.
type DiscoveryListRequest struct {
	IntermediateSessionToken string `json:"intermediate_session_token"`
	SessionToken             string `json:"session_token"`
	SessionJWT               string `json:"session_jwt"`
}

// DiscoveryList is where a person may go, and the organization their intermediate session is
// tied to, if any (an MFA step or an exchange that needs more factors).
type DiscoveryList struct {
	Email         string
	Organizations []DiscoveredOrganization
	Hint          string
}

// DiscoveredOrganizations lists where the holder of an intermediate session or a session may go.
func (a *Auth) DiscoveredOrganizations(ctx context.Context, r DiscoveryListRequest) (DiscoveryList, error) {
	var out DiscoveryList
	var factors []AuthFactor
	switch {
	case r.IntermediateSessionToken != "":
		ist, err := a.intermediate(ctx, r.IntermediateSessionToken)
		if err != nil {
			return out, err
		}
		out.Email, out.Hint, factors = ist.Email, ist.OrganizationID, ist.Factors
	case r.SessionToken != "" || r.SessionJWT != "":
		s, _, _, err := a.session(ctx, r.SessionToken, r.SessionJWT)
		if err != nil {
			return out, err
		}
		// The session's proven email, not its member's current address: an organization
		// that renames its member to someone else's address must not list their memberships.
		email, _, ok := ProvenEmail(s.AuthenticationFactors)
		if !ok {
			return out, NoProvenEmail()
		}
		out.Email, factors = email, s.AuthenticationFactors
	default:
		return out, badRequest(TypeBadRequest, "One of intermediate_session_token, session_token or session_jwt is required.")
	}
	var err error
	out.Organizations, err = a.discover(ctx, out.Email, factors)
	return out, err
}

func (a *Auth) intermediate(ctx context.Context, token string) (IntermediateSession, error) {
	if token == "" {
		return IntermediateSession{}, badRequest(TypeBadRequest, "intermediate_session_token is required.")
	}
	ist, err := a.Store.IntermediateSession(ctx, secret.Hash(token))
	if errors.Is(err, ErrNotFound) || err == nil && !a.Clock.Now().Before(ist.ExpiresAt) {
		return ist, IntermediateSessionNotFound()
	}
	return ist, err
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

// ExchangeIntermediateSession turns an intermediate session into a session in the chosen
// organization, creating the member if the email may join by domain. If the organization
// needs more than the intermediate session proves, nothing is written and the response says
// what is missing.
func (a *Auth) ExchangeIntermediateSession(ctx context.Context, r ExchangeRequest) (AuthResult, error) {
	ist, err := a.intermediate(ctx, r.IntermediateSessionToken)
	if err != nil {
		return AuthResult{}, err
	}
	res, err := a.enter(ctx, r, ist.Factors, secret.Hash(r.IntermediateSessionToken))
	if err == nil && !res.MemberAuthenticated {
		res.IntermediateToken = r.IntermediateSessionToken
	}
	return res, err
}

// ExchangeSession moves a person from their session's organization to another organization
// where the email the session proved is a member or may join, when the session's factors
// satisfy that organization's policy. Otherwise it returns an intermediate session and what is
// missing. The original session is left as it is. The member's current email_address plays no
// part: its organization may have changed it to anyone's.
func (a *Auth) ExchangeSession(ctx context.Context, r ExchangeRequest) (AuthResult, error) {
	s, _, _, err := a.session(ctx, r.SessionToken, r.SessionJWT)
	if err != nil {
		return AuthResult{}, err
	}
	res, err := a.enter(ctx, r, s.AuthenticationFactors, "")
	if err != nil || res.MemberAuthenticated {
		return res, err
	}
	email, _, _ := ProvenEmail(s.AuthenticationFactors)
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

// enter admits the email that factors proved into r.OrganizationID and, if the policy is
// met, writes the session (consuming istHash, when given, in the same transaction).
func (a *Auth) enter(ctx context.Context, r ExchangeRequest, factors []AuthFactor, istHash string) (AuthResult, error) {
	var res AuthResult
	if r.OrganizationID == "" {
		return res, badRequest(TypeBadRequest, "organization_id is required.")
	}
	email, _, ok := ProvenEmail(factors)
	if !ok {
		return res, NoProvenEmail()
	}
	duration, err := SessionDuration(r.SessionDurationMinutes)
	if err != nil {
		return res, err
	}
	if err := ValidateCustomClaims(r.SessionCustomClaims); err != nil {
		return res, err
	}
	m, org, found, err := a.memberByEmail(ctx, r.OrganizationID, email)
	if err != nil {
		return res, err
	}
	var mp *Member
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
		next, err = NewMember(a.IDs.New("member"), org.OrganizationID, MemberPatch{EmailAddress: &email}, now)
		if err != nil {
			return res, err
		}
		next.EmailAddressVerified = true
		red.MemberCreate = true
	case m.Status != StatusActive || !m.EmailAddressVerified:
		next.Status, next.EmailAddressVerified, next.UpdatedAt = StatusActive, true, now
		red.MemberChanged = true
	}
	return a.startSession(ctx, red, next, org, factors, duration, r.SessionCustomClaims)
}

// startSession writes the redemption with a new session for next and returns the result.
func (a *Auth) startSession(ctx context.Context, red Redemption, next Member, org Organization, factors []AuthFactor, duration time.Duration, claims map[string]any) (AuthResult, error) {
	var res AuthResult
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
	switch conflictOn(err) {
	case "":
		if err != nil {
			return res, err
		}
	case ConflictExists:
		if red.IntermediateHash != "" {
			return res, IntermediateSessionNotFound()
		}
		return res, MagicLinkNotFound()
	case ConflictSlug:
		return res, slugUsed()
	case ConflictExternalID:
		return res, duplicateOrgExternalID()
	case ConflictOrganization:
		return res, OrganizationNotFound()
	case ConflictEmail:
		if red.EmailUpdate != "" {
			// Another member took the new address after the update started.
			return res, duplicateEmail()
		}
		return res, a.emailTaken(ctx, org.OrganizationID, next.EmailAddress)
	default:
		return res, concurrentUpdate()
	}
	jwt, err := a.JWT.Issue(ctx, sess, now)
	if err != nil {
		return res, err
	}
	res.Member, res.Organization, res.Session, res.SessionToken, res.SessionJWT, res.MemberAuthenticated =
		presented, org, &sess, token, jwt, true
	return res, nil
}

// DiscoveryCreateRequest is the body of Discovery.Organizations.Create.
type DiscoveryCreateRequest struct {
	OrganizationPatch
	IntermediateSessionToken string         `json:"intermediate_session_token"`
	SessionDurationMinutes   int            `json:"session_duration_minutes"`
	SessionCustomClaims      map[string]any `json:"session_custom_claims"`
}

// CreateOrganizationFromDiscovery creates an organization with the intermediate session's
// person as its first member (stytch_admin) and logs them in: one transaction consumes the
// intermediate session and writes the organization, its guards, the member and the session.
func (a *Auth) CreateOrganizationFromDiscovery(ctx context.Context, r DiscoveryCreateRequest) (AuthResult, error) {
	ist, err := a.intermediate(ctx, r.IntermediateSessionToken)
	if err != nil {
		return AuthResult{}, err
	}
	duration, err := SessionDuration(r.SessionDurationMinutes)
	if err != nil {
		return AuthResult{}, err
	}
	if err := ValidateCustomClaims(r.SessionCustomClaims); err != nil {
		return AuthResult{}, err
	}
	now := a.Clock.Now()
	org := r.OrganizationPatch.Apply(NewOrganization(a.IDs.New("organization"), now))
	if err := a.validateOrganization(org); err != nil {
		return AuthResult{}, err
	}
	org.Version = 1
	admin := []string{RoleAdmin}
	email, _, ok := ProvenEmail(ist.Factors)
	if !ok {
		return AuthResult{}, NoProvenEmail()
	}
	m, err := NewMember(a.IDs.New("member"), org.OrganizationID, MemberPatch{EmailAddress: &email, Roles: &admin}, now)
	if err != nil {
		return AuthResult{}, err
	}
	m.EmailAddressVerified = true
	red := Redemption{IntermediateHash: secret.Hash(r.IntermediateSessionToken), Now: now, NewOrganization: &org, MemberCreate: true}
	return a.startSession(ctx, red, m, org, ist.Factors, duration, r.SessionCustomClaims)
}
