package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/app/apptest"
)

// For every route that names an organization and a member, a member of organization A
// addressed through organization B does not exist, and the attempt changes nothing in A.
// The matrix comes from the route table, so a new member route is covered automatically.
func TestIsolationMatrix(t *testing.T) {
	a := createOrg(t, map[string]any{}).Str("organization.organization_id")
	b := createOrg(t, map[string]any{}).Str("organization.organization_id")
	email := newEmail()
	created := createMember(t, a, map[string]any{"email_address": email, "name": "Original"})
	m := created.Str("member_id")
	n := 0
	for _, rt := range api.Routes {
		if !strings.Contains(rt.Path, "{organization_id}") || !strings.Contains(rt.Path, "{member_id}") {
			continue
		}
		n++
		path := fillPath(rt.Path, map[string]string{"organization_id": b, "member_id": m})
		r := env.Do(t, rt.Method, path, map[string]any{"name": "Hijacked", "email_address": newEmail(), "organization_id": a})
		apptest.ExpectError(t, r, http.StatusNotFound, "member_not_found")
	}
	// The singular member route and the sessions list take the member in the query.
	apptest.ExpectError(t, getMember(t, b, m, ""), http.StatusNotFound, "member_not_found")
	apptest.ExpectError(t, env.Do(t, "GET", "/v1/b2b/sessions?organization_id="+b+"&member_id="+m, nil), http.StatusNotFound, "member_not_found")
	if n < 3 {
		t.Fatalf("only %d member routes in the matrix", n)
	}
	after := getMember(t, a, m, "")
	apptest.ExpectOK(t, after)
	if after.Str("member.name") != "Original" || after.Str("member.updated_at") != created.Str("member.updated_at") {
		t.Fatalf("member changed through another organization: %s", after.Raw)
	}
	// A session of A cannot be used to act as B's member or list B's sessions.
	_, member, sess := login(t)
	apptest.ExpectError(t, env.Do(t, "GET", "/v1/b2b/sessions?organization_id="+b+"&member_id="+member, nil), http.StatusNotFound, "member_not_found")
	ex := env.Do(t, "POST", "/v1/b2b/sessions/exchange", map[string]any{"session_token": sess.Str("session_token"), "organization_id": b})
	apptest.ExpectError(t, ex, http.StatusNotFound, "member_not_found")
}
