package tokens

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/latchkey/latchkey/shared/authn"
)

// JWTLifetime is how long a session JWT is valid; apps re-authenticate to get a fresh one.
const JWTLifetime = 5 * time.Minute

// Claim names Stytch uses for the session and organization blocks.
const (
	claimSession      = "https://stytch.com/session"
	claimOrganization = "https://stytch.com/organization"
)

// SessionJWT signs and verifies session JWTs with the project's key set.
type SessionJWT struct {
	Keys      *KeySet
	ProjectID string
	// Reuse, when set, answers a JWT signed moments ago for the same session and claims again
	// instead of signing anew (see JWTReuse).
	Reuse *JWTReuse
}

// Issue returns an RS256 JWT for the session, in the shape stytch-go verifies locally. The
// caller has just read (or written) the session: the JWT says what that session is now. A
// young JWT that says the same, signed by the same key, is answered again (see JWTReuse);
// its times are those of its signing.
func (j SessionJWT) Issue(ctx context.Context, s authn.Session, now time.Time) (string, error) {
	kid, key, err := j.Keys.Signer(ctx)
	if err != nil {
		return "", err
	}
	claims := jwt.MapClaims{}
	for k, v := range s.CustomClaims {
		claims[k] = v
	}
	claims["iss"] = "stytch.com/" + j.ProjectID
	claims["aud"] = []string{j.ProjectID}
	claims["sub"] = s.MemberID
	session := map[string]any{
		"id":                     s.MemberSessionID,
		"started_at":             s.StartedAt.UTC().Format(time.RFC3339),
		"expires_at":             s.ExpiresAt.UTC().Format(time.RFC3339),
		"attributes":             map[string]any{"ip_address": "", "user_agent": ""},
		"authentication_factors": s.AuthenticationFactors,
		"roles":                  s.Roles,
	}
	claims[claimSession] = session
	claims[claimOrganization] = map[string]any{"organization_id": s.OrganizationID, "slug": s.OrganizationSlug}
	// Everything but the times is in the claims now: that is what a reused JWT must match.
	var fp [sha256.Size]byte
	keep := false
	if j.Reuse != nil {
		if fp, keep = fingerprint(kid, claims); keep {
			if t, ok := j.Reuse.get(s.MemberSessionID, fp, now); ok {
				return t, nil
			}
		}
	}
	session["last_accessed_at"] = s.LastAccessedAt.UTC().Format(time.RFC3339)
	claims["iat"] = now.Unix()
	claims["nbf"] = now.Unix()
	claims["exp"] = now.Add(JWTLifetime).Unix()
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = kid
	signed, err := t.SignedString(key)
	if err != nil {
		return "", err
	}
	if keep {
		j.Reuse.put(s.MemberSessionID, fp, signed, now)
	}
	return signed, nil
}

// Forget drops the sessions' JWTs kept for reuse, when they are revoked.
func (j SessionJWT) Forget(sessionIDs ...string) { j.Reuse.Forget(sessionIDs...) }

// Verify checks a session JWT's signature, issuer and audience. Expiry is not checked: like
// Stytch, an expired JWT still names a session, which is then checked in the table.
func (j SessionJWT) Verify(ctx context.Context, token string) (authn.SessionRef, error) {
	jwks, err := j.Keys.current(ctx)
	if err != nil {
		return authn.SessionRef{}, err
	}
	parsed, err := jwt.Parse(token, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		for _, k := range jwks {
			if k.kid == kid {
				return &k.key.PublicKey, nil
			}
		}
		return nil, errors.New("unknown kid")
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer("stytch.com/"+j.ProjectID),
		jwt.WithAudience(j.ProjectID), jwt.WithoutClaimsValidation())
	if err != nil || !parsed.Valid {
		return authn.SessionRef{}, authn.SessionNotFound()
	}
	claims := parsed.Claims.(jwt.MapClaims)
	// WithoutClaimsValidation also skips iss/aud, so check them here.
	if iss, _ := claims.GetIssuer(); iss != "stytch.com/"+j.ProjectID {
		return authn.SessionRef{}, authn.SessionNotFound()
	}
	if aud, _ := claims.GetAudience(); !slices.Contains(aud, j.ProjectID) {
		return authn.SessionRef{}, authn.SessionNotFound()
	}
	sess, _ := claims[claimSession].(map[string]any)
	org, _ := claims[claimOrganization].(map[string]any)
	ref := authn.SessionRef{}
	ref.SessionID, _ = sess["id"].(string)
	ref.MemberID, _ = claims["sub"].(string)
	ref.OrganizationID, _ = org["organization_id"].(string)
	if ref.SessionID == "" || ref.MemberID == "" || ref.OrganizationID == "" {
		return authn.SessionRef{}, authn.SessionNotFound()
	}
	return ref, nil
}
