package api_test

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/shared/app/apptest"
	"github.com/latchkey/latchkey/shared/tokens"
)

// jwtClaims decodes a JWT's payload (the signature is checked by the server's own tests).
func jwtClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// Within the reuse window (the default, 30 s) authenticating a session again answers the JWT
// signed moments ago, by token or by that JWT, with its original exp. The window's end, a role
// change, new custom claims and an extension each get a fresh JWT, and a revoked session gets
// none at all.
func TestSessionJWTReuse(t *testing.T) {
	if w := env.App.Config.JWTReuse; w != 0 {
		t.Skipf("the test env sets a reuse window of %s; this test is about the default", w)
	}
	org, member, a := login(t)
	token := a.Str("session_token")
	jwtOf := func(body map[string]any) string {
		t.Helper()
		r := sessionAuth(t, body)
		apptest.ExpectOK(t, r)
		return r.Str("session_jwt")
	}

	first := jwtOf(map[string]any{"session_token": token})
	if again := jwtOf(map[string]any{"session_token": token}); again != first {
		t.Fatal("two authenticates within the window answered different JWTs")
	}
	if byJWT := jwtOf(map[string]any{"session_jwt": first}); byJWT != first {
		t.Fatal("authenticating by the JWT answered another one")
	}
	exp := int64(jwtClaims(t, first)["exp"].(float64))
	if left := time.Unix(exp, 0).Sub(env.Clock.Now().Add(tokens.MaxJWTReuse)); left < 4*time.Minute-time.Second {
		t.Fatalf("a reused JWT would have %s left at the window's end", left)
	}

	// The window ends: a fresh JWT, with fresh times.
	restore := env.Clock.Advance(tokens.DefaultJWTReuse + time.Second)
	fresh := jwtOf(map[string]any{"session_token": token})
	if fresh == first || int64(jwtClaims(t, fresh)["exp"].(float64)) <= exp {
		t.Fatal("after the window the old JWT was answered")
	}
	restore()

	// A role change: the member's roles are read with the session, so the JWT says them.
	before := jwtOf(map[string]any{"session_token": token})
	apptest.ExpectOK(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+org+"/members/"+member, map[string]any{"roles": []string{"editor"}}))
	withRole := jwtOf(map[string]any{"session_token": token})
	roles, _ := jwtClaims(t, withRole)["https://stytch.com/session"].(map[string]any)["roles"].([]any)
	if withRole == before || !slices.Contains(roles, any("editor")) {
		t.Fatalf("after a role change: same JWT %v, roles %v", withRole == before, roles)
	}
	if jwtOf(map[string]any{"session_token": token}) != withRole {
		t.Fatal("the JWT with the new role is not reused")
	}

	// New custom claims, and an extension (the session's expiry).
	claimed := jwtOf(map[string]any{"session_token": token, "session_custom_claims": map[string]any{"seat": 7}})
	if claimed == withRole || jwtClaims(t, claimed)["seat"] != float64(7) {
		t.Fatal("new custom claims answered the old JWT")
	}
	extended := jwtOf(map[string]any{"session_token": token, "session_duration_minutes": 120})
	if extended == claimed {
		t.Fatal("an extended session answered the old JWT")
	}
	if jwtOf(map[string]any{"session_token": token}) != extended {
		t.Fatal("the extended session's JWT is not reused")
	}

	// Revoked: neither the token nor the JWT authenticates, however young the JWT, and this
	// process no longer holds it.
	id := a.Str("member_session.member_session_id")
	if !reuse(t).Holds(id) {
		t.Fatal("the session's JWT is not kept")
	}
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/sessions/revoke", map[string]any{"member_session_id": id}))
	if reuse(t).Holds(id) {
		t.Fatal("a revoked session's JWT is still kept")
	}
	apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_token": token}), 404, "session_not_found")
	apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_jwt": extended}), 404, "session_not_found")
}

// reuse is the test app's JWT reuse cache.
func reuse(t *testing.T) *tokens.JWTReuse {
	t.Helper()
	j, ok := env.App.Server.Sessions.JWT.(tokens.SessionJWT)
	if !ok || j.Reuse == nil {
		t.Fatalf("sessions sign with %T, without reuse", env.App.Server.Sessions.JWT)
	}
	return j.Reuse
}

// A member whose sessions were all revoked (by member_id) gets no JWT, cached or not; a new
// login is a new session with its own JWT.
func TestSessionJWTReuseAfterRevokingTheMember(t *testing.T) {
	_, _, a := login(t)
	token := a.Str("session_token")
	r := sessionAuth(t, map[string]any{"session_token": token})
	apptest.ExpectOK(t, r)
	id := a.Str("member_session.member_session_id")
	if !reuse(t).Holds(id) {
		t.Fatal("the session's JWT is not kept")
	}
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/sessions/revoke", map[string]any{"member_id": a.Str("member_id")}))
	if reuse(t).Holds(id) {
		t.Fatal("a revoked session's JWT is still kept")
	}
	apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_token": token}), 404, "session_not_found")
	apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_jwt": r.Str("session_jwt")}), 404, "session_not_found")
}
