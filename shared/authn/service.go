package authn

import (
	"context"
	"errors"
	"slices"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/secret"
)

// Lookup resolves a session token or JWT to a live session with its member and organization.
func (a *Service) Lookup(ctx context.Context, token, jwt string) (Session, latchkey.Member, latchkey.Organization, error) {
	var hash, orgID, memberID string
	switch {
	case token != "":
		var err error
		if orgID, memberID, err = ParseSessionToken(a.IDs, token); err != nil {
			return Session{}, latchkey.Member{}, latchkey.Organization{}, err
		}
		hash = secret.Hash(token)
	case jwt != "":
		ref, err := a.JWT.Verify(ctx, jwt)
		if err != nil {
			return Session{}, latchkey.Member{}, latchkey.Organization{}, err
		}
		if hash, err = a.Store.SessionHashByID(ctx, ref.SessionID); err != nil {
			return Session{}, latchkey.Member{}, latchkey.Organization{}, sessionErr(err)
		}
		orgID, memberID = ref.OrganizationID, ref.MemberID
	default:
		return Session{}, latchkey.Member{}, latchkey.Organization{}, latchkey.BadRequest(latchkey.TypeBadRequest, "session_token or session_jwt is required.")
	}
	s, m, org, err := a.Store.SessionBundle(ctx, hash, orgID, memberID)
	if err != nil {
		return s, m, org, sessionErr(err)
	}
	// The key lookup already matched the hash; comparing again in constant time costs nothing
	// and keeps the check independent of how the store found the item.
	if !secret.Equal(s.TokenHash, hash) || !a.Clock.Now().Before(s.ExpiresAt) || m.Status != latchkey.StatusActive ||
		s.MemberID != m.MemberID || s.OrganizationID != org.OrganizationID || s.StartedAt.Before(m.SessionsValidAfter) {
		return s, m, org, SessionNotFound()
	}
	return s, m.Presented(org), org, nil
}

func sessionErr(err error) error {
	if errors.Is(err, latchkey.ErrNotFound) {
		return SessionNotFound()
	}
	return err
}

// AuthorizationCheck asks whether the session may perform action on resource_id in
// organization_id.
type AuthorizationCheck struct {
	OrganizationID string `json:"organization_id"`
	ResourceID     string `json:"resource_id"`
	Action         string `json:"action"`
}

// SessionAuthenticateRequest is the body of Sessions.Authenticate.
type SessionAuthenticateRequest struct {
	SessionToken           string         `json:"session_token"`
	SessionJWT             string         `json:"session_jwt"`
	SessionDurationMinutes int            `json:"session_duration_minutes"`
	SessionCustomClaims    map[string]any `json:"session_custom_claims"`
	// AuthorizationCheck is evaluated by the caller (the API) against the RBAC policy, once the
	// session is known.
	AuthorizationCheck *AuthorizationCheck `json:"authorization_check"`
}

// AuthenticateSession checks a session and returns it with a JWT for what it is now (one
// signed moments ago for the same claims may be answered again: SessionJWTs.Issue). A
// duration extends it from now; custom claims are merged in. Only then is the session written.
func (a *Service) AuthenticateSession(ctx context.Context, r SessionAuthenticateRequest) (Result, error) {
	var res Result
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
	s, m, org, err := a.Lookup(ctx, r.SessionToken, r.SessionJWT)
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
		if err := latchkey.ValidateMetadata("session_custom_claims", s.CustomClaims); err != nil {
			return res, err
		}
		s.LastAccessedAt = now
		if err := a.Store.UpdateSession(ctx, s); err != nil {
			return res, sessionErr(err)
		}
	}
	s.Roles = latchkey.SessionRoles(m, s.AuthenticationFactors)
	jwt, err := a.JWT.Issue(ctx, s, now)
	if err != nil {
		return res, err
	}
	res.Member, res.Organization, res.Session, res.SessionJWT, res.MemberAuthenticated = m, org, &s, jwt, true
	res.SessionToken = r.SessionToken
	return res, nil
}

// Sessions lists a member's live sessions.
func (a *Service) Sessions(ctx context.Context, orgID, memberID string) ([]Session, error) {
	if orgID == "" || memberID == "" {
		return nil, latchkey.BadRequest(latchkey.TypeBadRequest, "organization_id and member_id are required.")
	}
	if _, _, err := latchkey.MemberAndOrg(ctx, a.Store, orgID, memberID); err != nil {
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
func (a *Service) Revoke(ctx context.Context, r RevokeRequest) error {
	n := 0
	for _, v := range []string{r.MemberSessionID, r.SessionToken, r.SessionJWT, r.MemberID} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return latchkey.BadRequest(latchkey.TypeBadRequest, "Exactly one of member_session_id, session_token, session_jwt or member_id is required.")
	}
	if r.MemberID != "" {
		all, err := a.Store.SessionsForMember(ctx, r.MemberID)
		if err != nil {
			return err
		}
		return a.deleteSessions(ctx, all)
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
		found, _, _, err := a.Lookup(ctx, r.SessionToken, r.SessionJWT)
		if err != nil {
			return err
		}
		s = found
	}
	return a.deleteSessions(ctx, []Session{s})
}

// deleteSessions ends sessions: deleted from the table, which is what every authenticate
// reads first, and their JWTs forgotten by this process's reuse cache.
func (a *Service) deleteSessions(ctx context.Context, sessions []Session) error {
	err := a.Store.DeleteSessions(ctx, sessions)
	ids := make([]string, len(sessions))
	for i, s := range sessions {
		ids[i] = s.MemberSessionID
	}
	a.JWT.Forget(ids...)
	return err
}

// Owner names the organization and member whose sessions a revoke request ends, for the
// authorization check of a revoke made as a member. A session token names them itself; a
// session id or a JWT is read or verified; a member id is looked up.
func (a *Service) Owner(ctx context.Context, r RevokeRequest) (orgID, memberID string, err error) {
	switch {
	case r.SessionToken != "":
		return ParseSessionToken(a.IDs, r.SessionToken)
	case r.SessionJWT != "":
		ref, err := a.JWT.Verify(ctx, r.SessionJWT)
		if err != nil {
			return "", "", err
		}
		return ref.OrganizationID, ref.MemberID, nil
	case r.MemberSessionID != "":
		hash, err := a.Store.SessionHashByID(ctx, r.MemberSessionID)
		if err != nil {
			return "", "", sessionErr(err)
		}
		s, err := a.Store.SessionByHash(ctx, hash)
		if err != nil {
			return "", "", sessionErr(err)
		}
		return s.OrganizationID, s.MemberID, nil
	case r.MemberID != "":
		m, err := a.Store.MemberByID(ctx, r.MemberID)
		if err != nil {
			return "", "", latchkey.MemberNotFound()
		}
		return m.OrganizationID, m.MemberID, nil
	}
	return "", "", latchkey.BadRequest(latchkey.TypeBadRequest, "Exactly one of member_session_id, session_token, session_jwt or member_id is required.")
}

// RevokeOthers ends every session of a member but the one with id keep (none when ""), as a
// password reset does. Sessions are listed from an index, so one started in the same instant
// may outlive it.
func (a *Service) RevokeOthers(ctx context.Context, memberID, keep string) error {
	all, err := a.Store.SessionsForMember(ctx, memberID)
	if err != nil {
		return err
	}
	others := slices.DeleteFunc(all, func(s Session) bool { return s.MemberSessionID == keep })
	return a.deleteSessions(ctx, others)
}
