package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/scim"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/scim/connection"

	"github.com/latchkey/latchkey/shared/app/apptest"
	"github.com/latchkey/latchkey/shared/store"
)

// scimResponse is a SCIM server answer.
type scimResponse struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// Get walks a dotted path; numeric parts index arrays ("Resources.0.id").
func (r scimResponse) Get(path string) any {
	var cur any = r.Body
	for _, part := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

func (r scimResponse) Str(path string) string { s, _ := r.Get(path).(string); return s }

func (r scimResponse) total() int { n, _ := r.Get("totalResults").(float64); return int(n) }

// scimDo calls the SCIM server as an identity provider: bearer token, application/scim+json.
func scimDo(t *testing.T, token, method, path string, body any) scimResponse {
	t.Helper()
	h := http.Header{"Content-Type": {"application/scim+json"}, "Accept": {"application/scim+json"}}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	status, header, raw := env.Send(t, method, path, body, h)
	out := scimResponse{Status: status, Header: header, Raw: raw}
	if status == http.StatusNoContent {
		if len(raw) != 0 {
			t.Fatalf("%s %s: 204 with a body %q", method, path, raw)
		}
		return out
	}
	if ct := header.Get("Content-Type"); ct != "application/scim+json" {
		t.Fatalf("%s %s: content-type %q, body %s", method, path, ct, raw)
	}
	if err := json.Unmarshal(raw, &out.Body); err != nil {
		t.Fatalf("%s %s: status %d, body is not JSON: %q", method, path, status, raw)
	}
	return out
}

func expectSCIM(t *testing.T, r scimResponse, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("want %d, got %d %s", status, r.Status, r.Raw)
	}
}

// expectSCIMError asserts RFC 7644's error shape: the Error schema, status as a string.
func expectSCIMError(t *testing.T, r scimResponse, status int, scimType string) {
	t.Helper()
	if r.Status != status || r.Str("status") != strconv.Itoa(status) || r.Str("scimType") != scimType ||
		r.Str("schemas.0") != "urn:ietf:params:scim:api:messages:2.0:Error" || r.Str("detail") == "" {
		t.Fatalf("want SCIM error %d %q, got %d %s", status, scimType, r.Status, r.Raw)
	}
}

// scimConnection is a connection as a test uses it.
type scimConnection struct {
	org, id, token, path string // path is /scim/v2/<id>
	created              apptest.Response
}

func scimConnect(t *testing.T, org, idp string) scimConnection {
	t.Helper()
	r := env.Do(t, "POST", "/v1/b2b/scim/"+org+"/connection", map[string]any{"display_name": "IdP " + idp, "identity_provider": idp})
	apptest.ExpectOK(t, r)
	u, err := url.Parse(r.Str("connection.base_url"))
	if err != nil || r.Str("connection.bearer_token") == "" {
		t.Fatalf("connection: %s", r.Raw)
	}
	return scimConnection{org: org, id: r.Str("connection.connection_id"), token: r.Str("connection.bearer_token"), path: u.Path, created: r}
}

func (c scimConnection) do(t *testing.T, method, path string, body any) scimResponse {
	t.Helper()
	return scimDo(t, c.token, method, c.path+path, body)
}

// filterQuery is ?filter=… for a filter expression.
func filterQuery(f string) string { return "?filter=" + url.QueryEscape(f) }

// roleSources maps each role of the member (as the Stytch API shows it) to its source types.
func roleSources(t *testing.T, org, member string) map[string][]string {
	t.Helper()
	r := getMember(t, org, member, "")
	apptest.ExpectOK(t, r)
	out := map[string][]string{}
	roles, _ := r.Get("member.roles").([]any)
	for _, role := range roles {
		m := role.(map[string]any)
		for _, s := range m["sources"].([]any) {
			out[m["role_id"].(string)] = append(out[m["role_id"].(string)], s.(map[string]any)["type"].(string))
		}
	}
	return out
}

func oktaUser(email, first, last, externalID string, active bool) map[string]any {
	return map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName":    email,
		"name":        map[string]any{"givenName": first, "familyName": last},
		"emails":      []any{map[string]any{"primary": true, "value": email, "type": "work"}},
		"displayName": first + " " + last,
		"locale":      "en-US",
		"externalId":  externalID,
		"groups":      []any{},
		"password":    "Okta-sends-this-1",
		"active":      active,
	}
}

func TestSCIMConnectionLifecycle(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	c := scimConnect(t, org, "okta")
	r := c.created
	token := c.token
	if r.Str("connection.organization_id") != org || r.Str("connection.status") != "active" ||
		r.Str("connection.identity_provider") != "okta" || r.Str("connection.display_name") != "IdP okta" ||
		!strings.HasSuffix(r.Str("connection.base_url"), "/scim/v2/"+c.id) || !strings.HasPrefix(c.id, "scim-connection-test-") ||
		r.Get("connection.bearer_token_last_four") != nil || r.Get("connection.next_bearer_token_last_four") != nil || len(token) < 40 {
		t.Fatalf("create: %s", r.Raw)
	}
	if roles, ok := r.Get("connection.scim_group_implicit_role_assignments").([]any); !ok || len(roles) != 0 {
		t.Errorf("scim_group_implicit_role_assignments should be []: %s", r.Raw)
	}

	got := env.Do(t, "GET", "/v1/b2b/scim/"+org+"/connection", nil)
	apptest.ExpectOK(t, got)
	if got.Str("connection.connection_id") != c.id || got.Str("connection.bearer_token_last_four") != token[len(token)-4:] ||
		got.Get("connection.bearer_token") != nil || got.Get("connection.next_bearer_token_last_four") != "" {
		t.Fatalf("get: %s", got.Raw)
	}
	o := env.Do(t, "GET", "/v1/b2b/organizations/"+org, nil)
	if o.Str("organization.scim_active_connection.connection_id") != c.id ||
		o.Str("organization.scim_active_connection.bearer_token_last_four") != token[len(token)-4:] ||
		o.Str("organization.scim_active_connection.display_name") != "IdP okta" {
		t.Fatalf("organization's scim_active_connection: %s", o.Raw)
	}
	// An organization update keeps the summary (it is part of the organization item).
	apptest.ExpectOK(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+org, map[string]any{"organization_name": "Renamed"}))

	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/scim/"+org+"/connection", map[string]any{}), http.StatusBadRequest, "active_scim_connection_exists")
	conn := "/v1/b2b/scim/" + org + "/connection/" + c.id
	up := env.Do(t, "PUT", conn, map[string]any{"organization_id": org, "connection_id": c.id, "display_name": "Entra", "identity_provider": "microsoft-entra"})
	apptest.ExpectOK(t, up)
	if up.Str("connection.display_name") != "Entra" || !strings.HasSuffix(up.Str("connection.base_url"), "/scim/v2/"+c.id+"?aadOptscim062020") {
		t.Fatalf("update: %s", up.Raw)
	}
	o = env.Do(t, "GET", "/v1/b2b/organizations/"+org, nil)
	if o.Str("organization.scim_active_connection.display_name") != "Entra" || o.Str("organization.organization_name") != "Renamed" {
		t.Fatalf("summary after update: %s", o.Raw)
	}
	for name, c := range map[string]struct {
		body    map[string]any
		errType string
	}{
		"unknown idp":     {map[string]any{"identity_provider": "myspace"}, "invalid_scim_idp"},
		"unknown group":   {map[string]any{"scim_group_implicit_role_assignments": []any{map[string]any{"group_id": "scim-group-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00", "role_id": "r"}}}, "scim_group_role_assignment_group_does_not_exist"},
		"bad role":        {map[string]any{"scim_group_implicit_role_assignments": []any{map[string]any{"group_id": "scim-group-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00", "role_id": "stytch_member"}}}, "invalid_scim_group_implicit_role_assignments"},
		"long name":       {map[string]any{"display_name": strings.Repeat("x", 200)}, "invalid_display_name"},
		"wrong body type": {map[string]any{"display_name": 5}, "bad_request"},
	} {
		t.Run(name, func(t *testing.T) {
			apptest.ExpectError(t, env.Do(t, "PUT", conn, c.body), http.StatusBadRequest, c.errType)
		})
	}
	groups := env.Do(t, "GET", conn, nil)
	apptest.ExpectOK(t, groups)
	if g, ok := groups.Get("scim_groups").([]any); !ok || len(g) != 0 {
		t.Fatalf("groups: %s", groups.Raw)
	}
	expectSCIM(t, c.do(t, "GET", "/ServiceProviderConfig", nil), http.StatusOK)

	del := env.Do(t, "DELETE", conn, nil)
	apptest.ExpectOK(t, del)
	if del.Str("connection_id") != c.id {
		t.Fatalf("delete: %s", del.Raw)
	}
	expectSCIMError(t, c.do(t, "GET", "/Users", nil), http.StatusUnauthorized, "")
	apptest.ExpectError(t, env.Do(t, "GET", "/v1/b2b/scim/"+org+"/connection", nil), http.StatusNotFound, "scim_connection_not_found")
	if o := env.Do(t, "GET", "/v1/b2b/organizations/"+org, nil); o.Get("organization.scim_active_connection") != nil {
		t.Fatalf("the organization still shows the connection: %s", o.Raw)
	}
	apptest.ExpectError(t, env.Do(t, "DELETE", conn, nil), http.StatusNotFound, "scim_connection_not_found")
	apptest.ExpectError(t, env.Do(t, "PUT", conn, map[string]any{}), http.StatusNotFound, "scim_connection_not_found")
	// A new connection can be made once the old one is gone.
	scimConnect(t, org, "generic")

	missing := "organization-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00"
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/scim/"+missing+"/connection", map[string]any{}), http.StatusNotFound, "organization_not_found")
	apptest.ExpectError(t, env.Do(t, "GET", "/v1/b2b/scim/"+missing+"/connection", nil), http.StatusNotFound, "organization_not_found")
	other := createOrg(t, map[string]any{}).Str("organization.organization_id")
	apptest.ExpectError(t, env.Do(t, "GET", "/v1/b2b/scim/"+other+"/connection", nil), http.StatusNotFound, "scim_connection_not_found")
}

// During bearer-token rotation both tokens work; complete stops the old one and cancel drops the
// new one.
func TestSCIMTokenRotation(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	c := scimConnect(t, org, "okta")
	base := "/v1/b2b/scim/" + org + "/connection/" + c.id + "/rotate/"
	works := func(t *testing.T, token string, ok bool) {
		t.Helper()
		r := scimDo(t, token, "GET", c.path+"/Users", nil)
		if ok {
			expectSCIM(t, r, http.StatusOK)
		} else {
			expectSCIMError(t, r, http.StatusUnauthorized, "")
		}
	}
	apptest.ExpectError(t, env.Do(t, "POST", base+"complete", nil), http.StatusBadRequest, "scim_connection_not_rotating_token")
	apptest.ExpectError(t, env.Do(t, "POST", base+"cancel", nil), http.StatusBadRequest, "scim_connection_not_rotating_token")

	start := env.Do(t, "POST", base+"start", map[string]any{"organization_id": org, "connection_id": c.id})
	apptest.ExpectOK(t, start)
	next := start.Str("connection.next_bearer_token")
	if next == "" || next == c.token || start.Str("connection.bearer_token_last_four") != c.token[len(c.token)-4:] ||
		start.Get("connection.bearer_token") != nil || start.Get("connection.next_bearer_token_last_four") != nil {
		t.Fatalf("rotate/start: %s", start.Raw)
	}
	works(t, c.token, true)
	works(t, next, true)
	got := env.Do(t, "GET", "/v1/b2b/scim/"+org+"/connection", nil)
	if got.Str("connection.next_bearer_token_last_four") != next[len(next)-4:] || got.Get("connection.next_bearer_token") != nil {
		t.Fatalf("get during rotation: %s", got.Raw)
	}

	cancel := env.Do(t, "POST", base+"cancel", nil)
	apptest.ExpectOK(t, cancel)
	if cancel.Get("connection.next_bearer_token_last_four") != "" {
		t.Fatalf("rotate/cancel: %s", cancel.Raw)
	}
	works(t, next, false)
	works(t, c.token, true)

	start = env.Do(t, "POST", base+"start", nil)
	apptest.ExpectOK(t, start)
	next = start.Str("connection.next_bearer_token")
	complete := env.Do(t, "POST", base+"complete", nil)
	apptest.ExpectOK(t, complete)
	if complete.Str("connection.bearer_token_last_four") != next[len(next)-4:] || complete.Get("connection.next_bearer_token_last_four") != "" {
		t.Fatalf("rotate/complete: %s", complete.Raw)
	}
	works(t, c.token, false)
	works(t, next, true)
	o := env.Do(t, "GET", "/v1/b2b/organizations/"+org, nil)
	if o.Str("organization.scim_active_connection.bearer_token_last_four") != next[len(next)-4:] {
		t.Fatalf("organization summary after rotation: %s", o.Raw)
	}
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/scim/"+org+"/connection/scim-connection-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00/rotate/start", nil),
		http.StatusNotFound, "scim_connection_not_found")
}

// TestSCIMOktaSequence replays what Okta sends when an app's provisioning is set up, a user
// is pushed, updated, grouped, deactivated and reactivated, and groups are pushed.
func TestSCIMOktaSequence(t *testing.T) {
	// A member who signed in before SCIM was set up.
	org, existingID, existingAuth := login(t)
	existingEmail := existingAuth.Str("member.email_address")
	c := scimConnect(t, org, "okta")

	// "Test connector configuration".
	expectSCIM(t, c.do(t, "GET", "/ServiceProviderConfig", nil), http.StatusOK)
	probe := c.do(t, "GET", "/Users?startIndex=1&count=1", nil)
	expectSCIM(t, probe, http.StatusOK)
	if probe.Str("schemas.0") != "urn:ietf:params:scim:api:messages:2.0:ListResponse" || probe.total() != 1 ||
		probe.Get("itemsPerPage") != float64(1) || probe.Get("startIndex") != float64(1) {
		t.Fatalf("probe: %s", probe.Raw)
	}

	// Push a new user: Okta looks the userName up, then creates the user.
	email := newEmail()
	none := c.do(t, "GET", "/Users"+filterQuery(`userName eq "`+email+`"`)+"&startIndex=1&count=100", nil)
	expectSCIM(t, none, http.StatusOK)
	if none.total() != 0 || len(none.Get("Resources").([]any)) != 0 {
		t.Fatalf("lookup before create: %s", none.Raw)
	}
	created := c.do(t, "POST", "/Users", oktaUser(email, "Ada", "Lovelace", "00u1ada", true))
	expectSCIM(t, created, http.StatusCreated)
	id := created.Str("id")
	if !strings.HasPrefix(id, "member-test-") || created.Header.Get("Location") != created.Str("meta.location") ||
		!strings.HasSuffix(created.Header.Get("Location"), c.path+"/Users/"+id) || created.Get("active") != true ||
		created.Str("userName") != email || created.Str("meta.resourceType") != "User" || created.Get("password") != nil {
		t.Fatalf("create: %s", created.Raw)
	}
	m := getMember(t, org, id, "")
	apptest.ExpectOK(t, m)
	if m.Str("member.email_address") != email || m.Str("member.name") != "Ada Lovelace" || m.Str("member.external_id") != "00u1ada" ||
		m.Str("member.status") != "active" || m.Str("member.scim_registration.connection_id") != c.id ||
		!strings.HasPrefix(m.Str("member.scim_registration.registration_id"), "scim-registration-test-") ||
		m.Str("member.scim_registration.external_id") != "00u1ada" ||
		m.Str("member.scim_registration.scim_attributes.user_name") != email ||
		m.Str("member.scim_registration.scim_attributes.name.given_name") != "Ada" ||
		m.Get("member.scim_registration.scim_attributes.password") != nil {
		t.Fatalf("provisioned member: %s", m.Raw)
	}
	byID := c.do(t, "GET", "/Users/"+id, nil)
	expectSCIM(t, byID, http.StatusOK)
	if byID.Str("userName") != email || byID.Str("name.givenName") != "Ada" || byID.Str("externalId") != "00u1ada" {
		t.Fatalf("get: %s", byID.Raw)
	}

	// The member who was there before is found by its email and adopted by a PUT.
	found := c.do(t, "GET", "/Users"+filterQuery(`userName eq "`+strings.ToUpper(existingEmail)+`"`), nil)
	if found.total() != 1 || found.Str("Resources.0.id") != existingID || found.Get("Resources.0.active") != true {
		t.Fatalf("existing member by userName: %s", found.Raw)
	}
	adopted := c.do(t, "PUT", "/Users/"+existingID, oktaUser(existingEmail, "Grace", "Hopper", "00u2grace", true))
	expectSCIM(t, adopted, http.StatusOK)
	if g := getMember(t, org, existingID, ""); g.Str("member.name") != "Grace Hopper" || g.Str("member.scim_registration.connection_id") != c.id ||
		g.Str("member.external_id") != "00u2grace" {
		t.Fatalf("adopted member: %s", g.Raw)
	}
	apptest.ExpectOK(t, sessionAuth(t, map[string]any{"session_token": existingAuth.Str("session_token")}))

	// A profile change: Okta PUTs the whole user, here with a new email and userName.
	email2 := newEmail()
	put := c.do(t, "PUT", "/Users/"+id, oktaUser(email2, "Augusta", "King", "00u1ada", true))
	expectSCIM(t, put, http.StatusOK)
	if put.Str("userName") != email2 || put.Str("name.givenName") != "Augusta" {
		t.Fatalf("put: %s", put.Raw)
	}
	if m := getMember(t, org, id, ""); m.Str("member.email_address") != email2 || m.Str("member.name") != "Augusta King" || m.Get("member.email_address_verified") != false {
		t.Fatalf("member after put: %s", m.Raw)
	}
	apptest.ExpectError(t, getMember(t, org, "", email), http.StatusNotFound, "member_not_found")
	if r := c.do(t, "GET", "/Users"+filterQuery(`userName eq "`+email+`"`), nil); r.total() != 0 {
		t.Fatalf("the old userName still finds the user: %s", r.Raw)
	}
	if r := c.do(t, "GET", "/Users"+filterQuery(`userName eq "`+email2+`"`), nil); r.total() != 1 || r.Str("Resources.0.id") != id {
		t.Fatalf("the new userName: %s", r.Raw)
	}

	// The provisioned user signs in.
	apptest.ExpectOK(t, loginOrSignup(t, org, email2, nil))
	userAuth := authenticate(t, env.LastEmail(t, email2).Token(), nil)
	apptest.ExpectOK(t, userAuth)

	// Group push, and a role for the group's members.
	grp := c.do(t, "POST", "/Groups", map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": "Engineering",
		"members":     []any{map[string]any{"value": id, "display": email2}},
	})
	expectSCIM(t, grp, http.StatusCreated)
	gid := grp.Str("id")
	if !strings.HasPrefix(gid, "scim-group-test-") || grp.Header.Get("Location") == "" || grp.Str("members.0.value") != id {
		t.Fatalf("group create: %s", grp.Raw)
	}
	assign := env.Do(t, "PUT", "/v1/b2b/scim/"+org+"/connection/"+c.id, map[string]any{
		"scim_group_implicit_role_assignments": []any{map[string]any{"group_id": gid, "role_id": "engineer"}}})
	apptest.ExpectOK(t, assign)
	if a, _ := assign.Get("connection.scim_group_implicit_role_assignments").([]any); len(a) != 1 ||
		a[0].(map[string]any)["group_name"] != "Engineering" || a[0].(map[string]any)["role_id"] != "engineer" {
		t.Fatalf("assignment: %s", assign.Raw)
	}
	if !slices.Equal(roleSources(t, org, id)["engineer"], []string{"scim_connection_group"}) {
		t.Fatalf("the group's role: %v", roleSources(t, org, id))
	}
	detail := getMember(t, org, id, "")
	for _, role := range detail.Get("member.roles").([]any) {
		if r := role.(map[string]any); r["role_id"] == "engineer" {
			d := r["sources"].([]any)[0].(map[string]any)["details"].(map[string]any)
			if d["connection_id"] != c.id || d["group_id"] != gid {
				t.Errorf("source details %v", d)
			}
		}
	}
	// Sessions see the role too.
	sa := sessionAuth(t, map[string]any{"session_token": userAuth.Str("session_token")})
	apptest.ExpectOK(t, sa)
	if roles, _ := sa.Get("member_session.roles").([]any); !slices.Contains(roles, any("engineer")) {
		t.Errorf("session roles %v", sa.Get("member_session.roles"))
	}
	userGroups := c.do(t, "GET", "/Users/"+id, nil)
	if userGroups.Str("groups.0.value") != gid {
		t.Errorf("the user's groups: %s", userGroups.Raw)
	}

	// Membership changes, the way Okta sends them.
	expectSCIM(t, c.do(t, "PATCH", "/Groups/"+gid, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": existingID, "display": existingEmail}}}}}), http.StatusNoContent)
	if roleSources(t, org, existingID)["engineer"] == nil {
		t.Fatal("the added member lacks the group's role")
	}
	expectSCIM(t, c.do(t, "PATCH", "/Groups/"+gid, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "remove", "path": `members[value eq "` + id + `"]`}}}), http.StatusNoContent)
	if roleSources(t, org, id)["engineer"] != nil {
		t.Fatal("the removed member keeps the group's role")
	}
	g := c.do(t, "GET", "/Groups/"+gid, nil)
	if members := g.Get("members").([]any); len(members) != 1 || g.Str("members.0.value") != existingID {
		t.Fatalf("group members: %s", g.Raw)
	}
	expectSCIM(t, c.do(t, "PATCH", "/Groups/"+gid, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"id": gid, "displayName": "Eng Team"}}}}), http.StatusNoContent)
	byName := c.do(t, "GET", "/Groups"+filterQuery(`displayName eq "eng team"`), nil)
	if byName.total() != 1 || byName.Str("Resources.0.id") != gid || byName.Str("Resources.0.displayName") != "Eng Team" {
		t.Fatalf("group by new name: %s", byName.Raw)
	}
	if old := c.do(t, "GET", "/Groups"+filterQuery(`displayName eq "Engineering"`), nil); old.total() != 0 {
		t.Fatalf("group by old name: %s", old.Raw)
	}

	// Deactivation (unassigning the app in Okta): the member is deleted and signed out.
	deact := c.do(t, "PATCH", "/Users/"+existingID, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": false}}}})
	expectSCIM(t, deact, http.StatusOK)
	if deact.Get("active") != false {
		t.Fatalf("deactivate: %s", deact.Raw)
	}
	apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_token": existingAuth.Str("session_token")}), http.StatusNotFound, "session_not_found")
	apptest.ExpectError(t, getMember(t, org, existingID, ""), http.StatusNotFound, "member_not_found")
	dg := env.Do(t, "GET", "/v1/b2b/organizations/members/dangerously_get/"+existingID+"?include_deleted=true", nil)
	if dg.Str("member.status") != "deleted" {
		t.Fatalf("deactivated member: %s", dg.Raw)
	}
	// Okta can still find it, inactive, and reactivate it.
	inactive := c.do(t, "GET", "/Users"+filterQuery(`userName eq "`+existingEmail+`"`), nil)
	if inactive.total() != 1 || inactive.Get("Resources.0.active") != false {
		t.Fatalf("deactivated user by userName: %s", inactive.Raw)
	}
	react := c.do(t, "PATCH", "/Users/"+existingID, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": true}}}})
	expectSCIM(t, react, http.StatusOK)
	if r := getMember(t, org, existingID, ""); r.Str("member.status") != "active" || roleSources(t, org, existingID)["engineer"] == nil {
		t.Fatalf("reactivated member: %s", r.Raw)
	}

	// Delete: the user is gone for Okta and for the API, its sessions with it.
	expectSCIM(t, c.do(t, "DELETE", "/Users/"+id, nil), http.StatusNoContent)
	apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_token": userAuth.Str("session_token")}), http.StatusNotFound, "session_not_found")
	expectSCIMError(t, c.do(t, "GET", "/Users/"+id, nil), http.StatusNotFound, "")
	expectSCIMError(t, c.do(t, "DELETE", "/Users/"+id, nil), http.StatusNotFound, "")
	apptest.ExpectError(t, getMember(t, org, id, ""), http.StatusNotFound, "member_not_found")
	if r := c.do(t, "GET", "/Users"+filterQuery(`userName eq "`+email2+`"`), nil); r.total() != 0 {
		t.Fatalf("deleted user still found: %s", r.Raw)
	}
	// Its userName is free again.
	again := c.do(t, "POST", "/Users", oktaUser(email2, "Augusta", "King", "00u1ada", true))
	expectSCIM(t, again, http.StatusCreated)
	if again.Str("id") == id {
		t.Fatal("a deleted user came back under its old id")
	}

	// Deleting the group takes its role away.
	expectSCIM(t, c.do(t, "DELETE", "/Groups/"+gid, nil), http.StatusNoContent)
	if roleSources(t, org, existingID)["engineer"] != nil {
		t.Fatal("the role outlived its group")
	}
	expectSCIMError(t, c.do(t, "GET", "/Groups/"+gid, nil), http.StatusNotFound, "")
}

// TestSCIMEntraSequence replays Microsoft Entra ID's provisioning cycle: its probe, its
// lookups (including its emails[type eq "work"].value filter), its capitalised PATCH
// operations with string booleans, its group membership add/remove, and its delete.
func TestSCIMEntraSequence(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	c := scimConnect(t, org, "microsoft-entra")
	if !strings.HasSuffix(c.created.Str("connection.base_url"), "?aadOptscim062020") {
		t.Fatalf("Entra base_url: %s", c.created.Raw)
	}
	// Entra appends its paths before the query of the base URL it was given.
	probe := c.do(t, "GET", "/Users"+filterQuery(`userName eq "`+uuid.NewString()+`"`)+"&aadOptscim062020", nil)
	if probe.total() != 0 {
		t.Fatalf("probe: %s", probe.Raw)
	}
	tag := uuid.NewString()[:8]
	upn := "ada-" + tag + "@acme.onmicrosoft.com"
	mail := "ada-" + tag + "@acme.com"
	if r := c.do(t, "GET", "/Users"+filterQuery(`userName eq "`+upn+`"`), nil); r.total() != 0 {
		t.Fatalf("lookup: %s", r.Raw)
	}
	created := c.do(t, "POST", "/Users", map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
		"externalId":  "ada-" + tag,
		"userName":    upn,
		"active":      true,
		"displayName": "Ada Lovelace",
		"emails":      []any{map[string]any{"primary": true, "type": "work", "value": mail}},
		"meta":        map[string]any{"resourceType": "User"},
		"name":        map[string]any{"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
		"roles":       []any{},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"department": "Engines", "employeeNumber": "1815"},
	})
	expectSCIM(t, created, http.StatusCreated)
	id := created.Str("id")
	if m := getMember(t, org, id, ""); m.Str("member.email_address") != mail || m.Str("member.external_id") != "ada-"+tag ||
		m.Str("member.scim_registration.scim_attributes.user_name") != upn ||
		m.Str("member.scim_registration.scim_attributes.enterprise_extension.employee_number") != "1815" {
		t.Fatalf("member: %s", m.Raw)
	}
	if ext, _ := created.Body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any); ext["department"] != "Engines" ||
		fmt.Sprint(created.Get("schemas")) != fmt.Sprint([]any{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}) {
		t.Fatalf("created: %s", created.Raw)
	}
	for _, f := range []string{`emails[type eq "work"].value eq "` + mail + `"`, `externalId eq "ada-` + tag + `"`, `userName eq "` + upn + `"`} {
		r := c.do(t, "GET", "/Users"+filterQuery(f), nil)
		if r.total() != 1 || r.Str("Resources.0.id") != id {
			t.Fatalf("%s: %s", f, r.Raw)
		}
	}
	if r := c.do(t, "GET", "/Users"+filterQuery(`emails[type eq "home"].value eq "`+mail+`"`), nil); r.total() != 0 {
		t.Fatalf("a home-email filter found the work email: %s", r.Raw)
	}

	// Entra's update: capitalised ops, a filtered email path, a dotted no-path key.
	mail2 := "augusta-" + tag + "@acme.com"
	patched := c.do(t, "PATCH", "/Users/"+id, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{
			map[string]any{"op": "Replace", "path": `emails[type eq "work"].value`, "value": mail2},
			map[string]any{"op": "Replace", "path": "name.givenName", "value": "Augusta"},
			map[string]any{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Analytical Engines"},
			map[string]any{"op": "Replace", "value": map[string]any{"name.familyName": "King", "displayName": "Augusta King"}},
		},
	})
	expectSCIM(t, patched, http.StatusOK)
	m := getMember(t, org, id, "")
	if m.Str("member.email_address") != mail2 || m.Str("member.name") != "Augusta King" ||
		m.Str("member.scim_registration.scim_attributes.enterprise_extension.department") != "Analytical Engines" {
		t.Fatalf("member after patch: %s", m.Raw)
	}
	if patched.Str("emails.0.value") != mail2 || patched.Str("name.familyName") != "King" {
		t.Fatalf("patched: %s", patched.Raw)
	}

	apptest.ExpectOK(t, loginOrSignup(t, org, mail2, nil))
	userAuth := authenticate(t, env.LastEmail(t, mail2).Token(), nil)
	apptest.ExpectOK(t, userAuth)

	// Groups: Entra looks the group up without members, creates it empty, then adds members.
	if r := c.do(t, "GET", "/Groups"+filterQuery(`displayName eq "Sales"`)+"&excludedAttributes=members", nil); r.total() != 0 {
		t.Fatalf("group lookup: %s", r.Raw)
	}
	grp := c.do(t, "POST", "/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"externalId": "sales-" + tag, "displayName": "Sales", "members": []any{}})
	expectSCIM(t, grp, http.StatusCreated)
	gid := grp.Str("id")
	apptest.ExpectOK(t, env.Do(t, "PUT", "/v1/b2b/scim/"+org+"/connection/"+c.id, map[string]any{
		"scim_group_implicit_role_assignments": []any{map[string]any{"group_id": gid, "role_id": "sales"}, map[string]any{"group_id": gid, "role_id": "stytch_admin"}}}))
	if roleSources(t, org, id)["sales"] != nil {
		t.Fatal("a role before membership")
	}
	patchGroup := func(op string) {
		t.Helper()
		expectSCIM(t, c.do(t, "PATCH", "/Groups/"+gid, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": op, "path": "members", "value": []any{map[string]any{"value": id}}}}}), http.StatusNoContent)
	}
	patchGroup("Add")
	roles := roleSources(t, org, id)
	if roles["sales"] == nil || roles["stytch_admin"] == nil {
		t.Fatalf("roles after Add: %v", roles)
	}
	if m := getMember(t, org, id, ""); m.Get("member.is_admin") != true {
		t.Fatalf("stytch_admin by group should make is_admin: %s", m.Raw)
	}
	if r := c.do(t, "GET", "/Groups/"+gid+"?excludedAttributes=members", nil); r.Get("members") != nil || r.Str("displayName") != "Sales" {
		t.Fatalf("excludedAttributes=members: %s", r.Raw)
	}
	patchGroup("Remove")
	if roleSources(t, org, id)["sales"] != nil {
		t.Fatal("role after Remove")
	}
	patchGroup("Add")

	// Disable in Entra: "False" as a string.
	deact := c.do(t, "PATCH", "/Users/"+id, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "Replace", "path": "active", "value": "False"}}})
	expectSCIM(t, deact, http.StatusOK)
	if deact.Get("active") != false {
		t.Fatalf("deactivate: %s", deact.Raw)
	}
	apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_token": userAuth.Str("session_token")}), http.StatusNotFound, "session_not_found")
	apptest.ExpectError(t, getMember(t, org, id, ""), http.StatusNotFound, "member_not_found")

	// Delete (after the soft-delete period): gone, and out of its groups.
	expectSCIM(t, c.do(t, "DELETE", "/Users/"+id, nil), http.StatusNoContent)
	expectSCIMError(t, c.do(t, "GET", "/Users/"+id, nil), http.StatusNotFound, "")
	if g := c.do(t, "GET", "/Groups/"+gid, nil); len(g.Get("members").([]any)) != 0 {
		t.Fatalf("the deleted user is still a member: %s", g.Raw)
	}
	groups := env.Do(t, "GET", "/v1/b2b/scim/"+org+"/connection/"+c.id, nil)
	apptest.ExpectOK(t, groups)
	if gs, _ := groups.Get("scim_groups").([]any); len(gs) != 1 || gs[0].(map[string]any)["group_id"] != gid ||
		gs[0].(map[string]any)["group_name"] != "Sales" || gs[0].(map[string]any)["connection_id"] != c.id || groups.Str("next_cursor") != "" {
		t.Fatalf("GetGroups: %s", groups.Raw)
	}
}

// SCIM requests without the connection's bearer token are 401, and one organization's token
// cannot read or change another organization's users or groups.
func TestSCIMBearerAndIsolation(t *testing.T) {
	orgA := createOrg(t, map[string]any{}).Str("organization.organization_id")
	orgB := createOrg(t, map[string]any{}).Str("organization.organization_id")
	a, b := scimConnect(t, orgA, "okta"), scimConnect(t, orgB, "okta")
	bUser := b.do(t, "POST", "/Users", oktaUser(newEmail(), "Bea", "B", "b1", true))
	expectSCIM(t, bUser, http.StatusCreated)
	bID := bUser.Str("id")
	bGroup := b.do(t, "POST", "/Groups", map[string]any{"displayName": "B team", "members": []any{map[string]any{"value": bID}}})
	expectSCIM(t, bGroup, http.StatusCreated)
	gid := bGroup.Str("id")
	before := getMember(t, orgB, bID, "")

	for name, r := range map[string]func() scimResponse{
		"no token":       func() scimResponse { return scimDo(t, "", "GET", b.path+"/Users", nil) },
		"garbage token":  func() scimResponse { return scimDo(t, "not-a-token", "GET", b.path+"/Users", nil) },
		"forged token":   func() scimResponse { return scimDo(t, b.token[:len(b.token)-4]+"AAAA", "GET", b.path+"/Users", nil) },
		"A's token on B": func() scimResponse { return scimDo(t, a.token, "GET", b.path+"/Users/"+bID, nil) },
		"A's token on B, put": func() scimResponse {
			return scimDo(t, a.token, "PUT", b.path+"/Users/"+bID, oktaUser(newEmail(), "X", "Y", "x", false))
		},
		"B's token, unknown connection": func() scimResponse {
			return scimDo(t, b.token, "GET", "/scim/v2/scim-connection-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00/Users", nil)
		},
		"basic auth": func() scimResponse {
			req, _ := http.NewRequest("GET", env.URL+b.path+"/Users", nil)
			req.SetBasicAuth(env.ProjectID, env.Secret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			out := scimResponse{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
			_ = json.Unmarshal(raw, &out.Body)
			return out
		},
	} {
		t.Run(name, func(t *testing.T) {
			res := r()
			expectSCIMError(t, res, http.StatusUnauthorized, "")
			if res.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	// With A's own connection, B's users and groups do not exist.
	expectSCIMError(t, a.do(t, "GET", "/Users/"+bID, nil), http.StatusNotFound, "")
	expectSCIMError(t, a.do(t, "PUT", "/Users/"+bID, oktaUser(newEmail(), "X", "Y", "x", false)), http.StatusNotFound, "")
	expectSCIMError(t, a.do(t, "PATCH", "/Users/"+bID, map[string]any{"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": false}}}}), http.StatusNotFound, "")
	expectSCIMError(t, a.do(t, "DELETE", "/Users/"+bID, nil), http.StatusNotFound, "")
	expectSCIMError(t, a.do(t, "GET", "/Groups/"+gid, nil), http.StatusNotFound, "")
	expectSCIMError(t, a.do(t, "DELETE", "/Groups/"+gid, nil), http.StatusNotFound, "")
	expectSCIMError(t, a.do(t, "PATCH", "/Groups/"+gid, map[string]any{"Operations": []any{map[string]any{"op": "remove", "path": "members"}}}), http.StatusNotFound, "")
	if r := a.do(t, "GET", "/Users"+filterQuery(`id eq "`+bID+`"`), nil); r.total() != 0 {
		t.Fatalf("A's listing finds B's user: %s", r.Raw)
	}
	if r := a.do(t, "GET", "/Users", nil); r.total() != 0 {
		t.Fatalf("A's listing: %s", r.Raw)
	}
	// A group in A cannot take B's member.
	expectSCIMError(t, a.do(t, "POST", "/Groups", map[string]any{"displayName": "Raid", "members": []any{map[string]any{"value": bID}}}), http.StatusBadRequest, "invalidValue")
	if r := a.do(t, "GET", "/Groups", nil); r.total() != 0 {
		t.Fatalf("a refused group was stored: %s", r.Raw)
	}
	// B is unchanged.
	after := getMember(t, orgB, bID, "")
	apptest.ExpectOK(t, after)
	if after.Str("member.updated_at") != before.Str("member.updated_at") || after.Str("member.status") != "active" {
		t.Fatalf("B's member changed:\nbefore %s\nafter  %s", before.Raw, after.Raw)
	}
	if g := b.do(t, "GET", "/Groups/"+gid, nil); g.Str("members.0.value") != bID {
		t.Fatalf("B's group changed: %s", g.Raw)
	}
	// The connection management API is project-authenticated and per organization.
	apptest.ExpectError(t, env.Do(t, "DELETE", "/v1/b2b/scim/"+orgA+"/connection/"+b.id, nil), http.StatusNotFound, "scim_connection_not_found")
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/scim/"+orgA+"/connection/"+b.id+"/rotate/start", nil), http.StatusNotFound, "scim_connection_not_found")
	apptest.ExpectError(t, env.Do(t, "GET", "/v1/b2b/scim/"+orgA+"/connection/"+b.id, nil), http.StatusNotFound, "scim_connection_not_found")
	expectSCIM(t, b.do(t, "GET", "/Users/"+bID, nil), http.StatusOK)
}

// Duplicate userName, email, externalId or group name is 409 uniqueness, and bad filters, values
// and paths are SCIM 400s that change nothing.
func TestSCIMUniquenessAndBadInput(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	c := scimConnect(t, org, "generic")
	email := newEmail()
	first := c.do(t, "POST", "/Users", oktaUser(email, "A", "B", "ext-1", true))
	expectSCIM(t, first, http.StatusCreated)
	other := c.do(t, "POST", "/Users", oktaUser(newEmail(), "C", "D", "ext-2", true))
	expectSCIM(t, other, http.StatusCreated)

	dupUserName := oktaUser(strings.ToUpper(email), "A", "B", "ext-3", true)
	dupUserName["emails"] = []any{map[string]any{"value": newEmail(), "primary": true}}
	dupEmail := oktaUser("someone-else", "A", "B", "ext-4", true)
	dupEmail["emails"] = []any{map[string]any{"value": email, "primary": true}}
	for name, body := range map[string]map[string]any{
		"userName, in another case": dupUserName,
		"email":                     dupEmail,
		"externalId":                oktaUser(newEmail(), "A", "B", "ext-1", true),
	} {
		t.Run(name, func(t *testing.T) {
			expectSCIMError(t, c.do(t, "POST", "/Users", body), http.StatusConflict, "uniqueness")
		})
	}
	// Updates into a taken userName or email are refused too, and change nothing.
	expectSCIMError(t, c.do(t, "PUT", "/Users/"+other.Str("id"), oktaUser(email, "C", "D", "ext-2", true)), http.StatusConflict, "uniqueness")
	expectSCIMError(t, c.do(t, "PATCH", "/Users/"+other.Str("id"), map[string]any{"Operations": []any{
		map[string]any{"op": "replace", "path": "externalId", "value": "ext-1"}}}), http.StatusConflict, "uniqueness")
	if r := c.do(t, "GET", "/Users/"+other.Str("id"), nil); r.Str("externalId") != "ext-2" {
		t.Fatalf("a refused update changed the user: %s", r.Raw)
	}
	expectSCIM(t, c.do(t, "POST", "/Groups", map[string]any{"displayName": "Ops"}), http.StatusCreated)
	expectSCIMError(t, c.do(t, "POST", "/Groups", map[string]any{"displayName": "OPS"}), http.StatusConflict, "uniqueness")

	id := first.Str("id")
	for name, tc := range map[string]struct {
		method, path string
		body         any
		status       int
		scimType     string
	}{
		"no userName":        {"POST", "/Users", map[string]any{"emails": []any{map[string]any{"value": newEmail()}}}, 400, "invalidValue"},
		"bad email":          {"POST", "/Users", map[string]any{"userName": "nobody"}, 400, "invalidValue"},
		"active not boolean": {"POST", "/Users", map[string]any{"userName": newEmail(), "active": "perhaps"}, 400, "invalidValue"},
		"not JSON":           {"POST", "/Users", `{"userName":`, 400, "invalidSyntax"},
		"JSON array":         {"POST", "/Users", `[]`, 400, "invalidSyntax"},
		"bad filter":         {"GET", "/Users" + filterQuery(`userName eq`), nil, 400, "invalidFilter"},
		"bad count":          {"GET", "/Users?count=many", nil, 400, "invalidValue"},
		"bad patch op":       {"PATCH", "/Users/" + id, map[string]any{"Operations": []any{map[string]any{"op": "frobnicate", "path": "userName"}}}, 400, "invalidSyntax"},
		"bad patch path":     {"PATCH", "/Users/" + id, map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": "emails[type", "value": "x"}}}, 400, "invalidPath"},
		"no operations":      {"PATCH", "/Users/" + id, map[string]any{"Operations": []any{}}, 400, "invalidSyntax"},
		"unknown user":       {"GET", "/Users/member-test-0b6f9c0e-3f7e-4a55-9a39-1d2d8e1c1f00", nil, 404, ""},
		"not an id":          {"GET", "/Users/nope", nil, 404, ""},
		"group without name": {"POST", "/Groups", map[string]any{"members": []any{}}, 400, "invalidValue"},
		"group bad member":   {"POST", "/Groups", map[string]any{"displayName": "X", "members": []any{map[string]any{"value": "nope"}}}, 400, "invalidValue"},
		"unknown schema":     {"GET", "/Schemas/urn:nope", nil, 404, ""},
	} {
		t.Run(name, func(t *testing.T) {
			expectSCIMError(t, c.do(t, tc.method, tc.path, tc.body), tc.status, tc.scimType)
		})
	}
}

func TestSCIMListPaging(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	c := scimConnect(t, org, "okta")
	var ids []string
	for i := range 5 {
		r := c.do(t, "POST", "/Users", oktaUser(newEmail(), "User", strconv.Itoa(i), "p"+strconv.Itoa(i), true))
		expectSCIM(t, r, http.StatusCreated)
		ids = append(ids, r.Str("id"))
	}
	// A member the API created (not through SCIM) is a user too.
	ids = append(ids, createMember(t, org, map[string]any{}).Str("member_id"))
	slices.Sort(ids)
	var seen []string
	for start := 1; start <= 7; start += 2 {
		r := c.do(t, "GET", "/Users?startIndex="+strconv.Itoa(start)+"&count=2", nil)
		expectSCIM(t, r, http.StatusOK)
		if r.total() != 6 || r.Get("startIndex") != float64(start) {
			t.Fatalf("page at %d: %s", start, r.Raw)
		}
		for _, res := range r.Get("Resources").([]any) {
			seen = append(seen, res.(map[string]any)["id"].(string))
		}
	}
	if !reflect.DeepEqual(seen, ids) {
		t.Fatalf("paging saw %v, want %v", seen, ids)
	}
	if r := c.do(t, "GET", "/Users?count=0", nil); r.total() != 6 || len(r.Get("Resources").([]any)) != 0 {
		t.Fatalf("count=0: %s", r.Raw)
	}
	// A filter no key answers is evaluated over the members.
	r := c.do(t, "GET", "/Users"+filterQuery(`name.familyName eq "3" or externalId eq "p1"`)+"&attributes=userName", nil)
	if r.total() != 2 {
		t.Fatalf("scan filter: %s", r.Raw)
	}
	for _, res := range r.Get("Resources").([]any) {
		m := res.(map[string]any)
		if _, ok := m["name"]; ok || m["userName"] == nil || m["id"] == nil {
			t.Errorf("attributes=userName: %v", m)
		}
	}
	for i := range 3 {
		expectSCIM(t, c.do(t, "POST", "/Groups", map[string]any{"displayName": "G" + strconv.Itoa(i), "members": []any{map[string]any{"value": ids[i]}}}), http.StatusCreated)
	}
	g := c.do(t, "GET", "/Groups?startIndex=2&count=1", nil)
	if g.total() != 3 || len(g.Get("Resources").([]any)) != 1 || len(g.Get("Resources.0.members").([]any)) != 1 {
		t.Fatalf("groups page: %s", g.Raw)
	}
	// Stytch's GetGroups pages by cursor.
	var names []string
	cursor := ""
	for range 5 {
		r := env.Do(t, "GET", "/v1/b2b/scim/"+org+"/connection/"+c.id+"?limit=2&cursor="+cursor, nil)
		apptest.ExpectOK(t, r)
		for _, g := range r.Get("scim_groups").([]any) {
			names = append(names, g.(map[string]any)["group_name"].(string))
		}
		if cursor = r.Str("next_cursor"); cursor == "" {
			break
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"G0", "G1", "G2"}) {
		t.Fatalf("GetGroups pages: %v", names)
	}
	apptest.ExpectError(t, env.Do(t, "GET", "/v1/b2b/scim/"+org+"/connection/"+c.id+"?cursor=zzz", nil), http.StatusBadRequest, "invalid_cursor")
}

func TestSCIMDiscovery(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	c := scimConnect(t, org, "okta")
	spc := c.do(t, "GET", "/ServiceProviderConfig", nil)
	expectSCIM(t, spc, http.StatusOK)
	if spc.Get("patch.supported") != true || spc.Get("filter.supported") != true || spc.Get("bulk.supported") != false ||
		spc.Str("authenticationSchemes.0.type") != "oauthbearertoken" {
		t.Fatalf("ServiceProviderConfig: %s", spc.Raw)
	}
	rts := c.do(t, "GET", "/ResourceTypes", nil)
	if rts.total() != 2 || rts.Str("Resources.0.endpoint") != "/Users" || rts.Str("Resources.1.endpoint") != "/Groups" {
		t.Fatalf("ResourceTypes: %s", rts.Raw)
	}
	if r := c.do(t, "GET", "/ResourceTypes/User", nil); r.Str("schema") != "urn:ietf:params:scim:schemas:core:2.0:User" {
		t.Fatalf("ResourceTypes/User: %s", r.Raw)
	}
	schemas := c.do(t, "GET", "/Schemas", nil)
	if schemas.total() != 3 {
		t.Fatalf("Schemas: %s", schemas.Raw)
	}
	u := c.do(t, "GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", nil)
	if u.Str("attributes.0.name") != "userName" || u.Get("attributes.0.required") != true || u.Str("attributes.0.uniqueness") != "server" {
		t.Fatalf("User schema: %s", u.Raw)
	}
	expectSCIMError(t, scimDo(t, "", "GET", c.path+"/Schemas", nil), http.StatusUnauthorized, "")
}

// TestSCIMDynamoDBBudgets holds each SCIM request to its round trips. Authentication is one
// GetItem (the connection, keyed by the organization the token names).
func TestSCIMDynamoDBBudgets(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	c := scimConnect(t, org, "okta")
	email := newEmail()
	create := c.do(t, "POST", "/Users", oktaUser(email, "A", "B", "budget-1", true))
	id := create.Str("id")
	grp := c.do(t, "POST", "/Groups", map[string]any{"displayName": "Budget", "members": []any{map[string]any{"value": id}}})
	gid := grp.Str("id")
	patchOp := func(ops ...any) map[string]any { return map[string]any{"Operations": ops} }
	cases := []struct {
		name  string
		r     scimResponse
		calls int
		ops   string
	}{
		{"create user", create, 2, "GetItem:1,TransactWriteItems:1"},
		{"create group with a member", grp, 2, "GetItem:1,TransactWriteItems:1"},
		{"get user", c.do(t, "GET", "/Users/"+id, nil), 2, "BatchGetItem:1,GetItem:1"},
		{"filter userName eq", c.do(t, "GET", "/Users"+filterQuery(`userName eq "`+email+`"`), nil), 3, "BatchGetItem:1,GetItem:2"},
		{"filter externalId eq", c.do(t, "GET", "/Users"+filterQuery(`externalId eq "budget-1"`), nil), 3, "BatchGetItem:1,GetItem:2"},
		{"filter unknown userName", c.do(t, "GET", "/Users"+filterQuery(`userName eq "`+newEmail()+`"`), nil), 3, "GetItem:3"},
		{"patch user name", c.do(t, "PATCH", "/Users/"+id, patchOp(map[string]any{"op": "replace", "path": "name.givenName", "value": "Z"})), 3, "BatchGetItem:1,GetItem:1,PutItem:1"},
		{"put user, new email", c.do(t, "PUT", "/Users/"+id, oktaUser(newEmail(), "A", "B", "budget-1", true)), 3, "BatchGetItem:1,GetItem:1,TransactWriteItems:1"},
		{"get group", c.do(t, "GET", "/Groups/"+gid, nil), 2, "GetItem:1,Query:1"},
		{"group by displayName, no members", c.do(t, "GET", "/Groups"+filterQuery(`displayName eq "budget"`)+"&excludedAttributes=members", nil), 3, "GetItem:3"},
		{"patch group members", c.do(t, "PATCH", "/Groups/"+gid, patchOp(map[string]any{"op": "remove", "path": `members[value eq "` + id + `"]`})), 3, "GetItem:1,Query:1,TransactWriteItems:1"},
		{"service provider config", c.do(t, "GET", "/ServiceProviderConfig", nil), 1, "GetItem:1"},
		{"deactivate (revokes sessions: none)", c.do(t, "PATCH", "/Users/"+id, patchOp(map[string]any{"op": "replace", "value": map[string]any{"active": false}})), 4, "BatchGetItem:1,GetItem:1,Query:1,TransactWriteItems:1"},
		{"delete user", c.do(t, "DELETE", "/Users/"+id, nil), 3, "BatchGetItem:1,GetItem:1,TransactWriteItems:1"},
		{"delete group", c.do(t, "DELETE", "/Groups/"+gid, nil), 3, "GetItem:1,Query:1,TransactWriteItems:1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.r.Status >= 300 {
				t.Fatalf("status %d %s", tc.r.Status, tc.r.Raw)
			}
			line, err := env.Logs.LogLine(tc.r.Header.Get("X-Request-Id"))
			if err != nil {
				t.Fatal(err)
			}
			if int(line["dynamodb_calls"].(float64)) != tc.calls || line["dynamodb_ops"] != tc.ops {
				t.Fatalf("want %d calls (%s), got %v (%v)", tc.calls, tc.ops, line["dynamodb_calls"], line["dynamodb_ops"])
			}
		})
	}
}

// Concurrent membership changes and user updates never lose a group id or an attribute: the
// member's version is bumped by every membership write.
func TestSCIMConcurrentGroupAndUserWrites(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	c := scimConnect(t, org, "okta")
	id := c.do(t, "POST", "/Users", oktaUser(newEmail(), "A", "B", "race-1", true)).Str("id")
	var gids []string
	for i := range 4 {
		gids = append(gids, c.do(t, "POST", "/Groups", map[string]any{"displayName": "Race " + strconv.Itoa(i)}).Str("id"))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	added := map[string]int{}
	var updates []int
	for _, gid := range gids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := c.do(t, "PATCH", "/Groups/"+gid, map[string]any{"Operations": []any{
				map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id}}}}}).Status
			mu.Lock()
			added[gid] = s
			mu.Unlock()
		}()
	}
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := c.do(t, "PATCH", "/Users/"+id, map[string]any{"Operations": []any{
				map[string]any{"op": "replace", "path": "title", "value": "T" + strconv.Itoa(i)}}}).Status
			mu.Lock()
			updates = append(updates, s)
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, s := range updates {
		if s != http.StatusOK && s != http.StatusConflict {
			t.Fatalf("user updates: %v", updates)
		}
	}
	u := c.do(t, "GET", "/Users/"+id, nil)
	groups, _ := u.Get("groups").([]any)
	var in []string
	for _, g := range groups {
		in = append(in, g.(map[string]any)["value"].(string))
	}
	for _, gid := range gids {
		if added[gid] != http.StatusNoContent {
			t.Fatalf("group patch answered %d", added[gid])
		}
		g := c.do(t, "GET", "/Groups/"+gid, nil)
		if len(g.Get("members").([]any)) != 1 || !slices.Contains(in, gid) {
			t.Errorf("group %s: members %v; the user's groups %v", gid, g.Get("members"), in)
		}
	}
}

// The SCIM connection calls through the official Stytch Go SDK (v18): its decoder accepts
// every response, and errors come back as stytcherror.Error.
func TestSCIMStytchGo(t *testing.T) {
	ctx := context.Background()
	client, err := b2bstytchapi.NewClient(env.ProjectID, env.Secret, b2bstytchapi.WithBaseURI(env.URL))
	if err != nil {
		t.Fatal(err)
	}
	sc := client.SCIM.Connection
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	okta := connection.CreateRequestIdentityProviderOkta
	created, err := sc.Create(ctx, &connection.CreateParams{OrganizationID: org, DisplayName: "Okta", IdentityProvider: &okta})
	if err != nil {
		t.Fatal(err)
	}
	c := created.Connection
	sgEnvelope(t, created.StatusCode, created.RequestID)
	if c == nil || c.BearerToken == "" || c.ConnectionID == "" || c.IdentityProvider != "okta" || c.Status != "active" || c.BaseURL == "" {
		t.Fatalf("create: %+v", c)
	}
	_, err = sc.Create(ctx, &connection.CreateParams{OrganizationID: org})
	sgWantErr(t, err, http.StatusBadRequest, "active_scim_connection_exists")

	got, err := sc.Get(ctx, &connection.GetParams{OrganizationID: org})
	if err != nil || got.Connection.BearerTokenLastFour != c.BearerToken[len(c.BearerToken)-4:] || got.Connection.ConnectionID != c.ConnectionID {
		t.Fatalf("get: %+v %v", got, err)
	}

	// A group to assign a role to, pushed the way an identity provider does.
	base, _ := url.Parse(c.BaseURL)
	g := scimDo(t, c.BearerToken, "POST", base.Path+"/Groups", map[string]any{"displayName": "Admins"})
	expectSCIM(t, g, http.StatusCreated)
	entra := connection.UpdateRequestIdentityProviderMicrosoftentra
	up, err := sc.Update(ctx, &connection.UpdateParams{OrganizationID: org, ConnectionID: c.ConnectionID, DisplayName: "Entra",
		IdentityProvider: &entra, SCIMGroupImplicitRoleAssignments: []*scim.SCIMGroupImplicitRoleAssignments{{GroupID: g.Str("id"), RoleID: "stytch_admin"}}})
	if err != nil {
		t.Fatal(err)
	}
	if a := up.Connection.SCIMGroupImplicitRoleAssignments; len(a) != 1 || a[0].GroupName != "Admins" || a[0].RoleID != "stytch_admin" ||
		!strings.HasSuffix(up.Connection.BaseURL, "?aadOptscim062020") || up.Connection.DisplayName != "Entra" {
		t.Fatalf("update: %+v", up.Connection)
	}
	groups, err := sc.GetGroups(ctx, &connection.GetGroupsParams{OrganizationID: org, ConnectionID: c.ConnectionID})
	if err != nil || len(groups.SCIMGroups) != 1 || groups.SCIMGroups[0].GroupName != "Admins" || groups.SCIMGroups[0].ConnectionID != c.ConnectionID {
		t.Fatalf("get groups: %+v %v", groups, err)
	}

	start, err := sc.RotateStart(ctx, &connection.RotateStartParams{OrganizationID: org, ConnectionID: c.ConnectionID})
	if err != nil || start.Connection.NextBearerToken == "" || start.Connection.BearerTokenLastFour != got.Connection.BearerTokenLastFour {
		t.Fatalf("rotate start: %+v %v", start, err)
	}
	if _, err := sc.RotateCancel(ctx, &connection.RotateCancelParams{OrganizationID: org, ConnectionID: c.ConnectionID}); err != nil {
		t.Fatal(err)
	}
	_, err = sc.RotateComplete(ctx, &connection.RotateCompleteParams{OrganizationID: org, ConnectionID: c.ConnectionID})
	sgWantErr(t, err, http.StatusBadRequest, "scim_connection_not_rotating_token")
	start, err = sc.RotateStart(ctx, &connection.RotateStartParams{OrganizationID: org, ConnectionID: c.ConnectionID})
	if err != nil {
		t.Fatal(err)
	}
	done, err := sc.RotateComplete(ctx, &connection.RotateCompleteParams{OrganizationID: org, ConnectionID: c.ConnectionID})
	next := start.Connection.NextBearerToken
	if err != nil || done.Connection.BearerTokenLastFour != next[len(next)-4:] || done.Connection.NextBearerTokenLastFour != "" {
		t.Fatalf("rotate complete: %+v %v", done, err)
	}
	org2, err := client.Organizations.Get(ctx, &organizations.GetParams{OrganizationID: org})
	if err != nil || org2.Organization.SCIMActiveConnection == nil || org2.Organization.SCIMActiveConnection.BearerTokenLastFour != next[len(next)-4:] {
		t.Fatalf("organization's scim_active_connection: %+v %v", org2, err)
	}

	del, err := sc.Delete(ctx, &connection.DeleteParams{OrganizationID: org, ConnectionID: c.ConnectionID})
	if err != nil || del.ConnectionID != c.ConnectionID {
		t.Fatalf("delete: %+v %v", del, err)
	}
	_, err = sc.Get(ctx, &connection.GetParams{OrganizationID: org})
	sgWantErr(t, err, http.StatusNotFound, "scim_connection_not_found")
}

// The bearer token is stored only as its hash, and never reaches the logs.
func TestSCIMTokenAtRest(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	c := scimConnect(t, org, "okta")
	expectSCIM(t, c.do(t, "GET", "/Users", nil), http.StatusOK)
	client := store.NewClient(env.App.AWS, env.Config.DynamoDBEndpoint)
	out, err := client.Query(context.Background(), &dynamodb.QueryInput{
		TableName:              aws.String(env.Config.Table),
		KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "ORG#" + org},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256([]byte(c.token))
	sawHash := false
	for _, it := range out.Items {
		text := flatten(it)
		if strings.Contains(text, c.token) {
			t.Errorf("item %s holds the bearer token in the clear", str(it["sk"]))
		}
		sawHash = sawHash || strings.Contains(text, hex.EncodeToString(hash[:]))
	}
	if !sawHash {
		t.Error("the connection does not hold the token's hash")
	}
	if strings.Contains(env.Logs.String(), c.token) {
		t.Error("the bearer token appears in the logs")
	}
}

// Deleting the connection takes its groups, memberships and roles with it (members stay);
// deleting the organization takes the connection, and its token stops working.
func TestSCIMConnectionAndOrganizationDeletion(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	c := scimConnect(t, org, "okta")
	id := c.do(t, "POST", "/Users", oktaUser(newEmail(), "A", "B", "del-1", true)).Str("id")
	gid := c.do(t, "POST", "/Groups", map[string]any{"displayName": "Admins", "members": []any{map[string]any{"value": id}}}).Str("id")
	apptest.ExpectOK(t, env.Do(t, "PUT", "/v1/b2b/scim/"+org+"/connection/"+c.id, map[string]any{
		"scim_group_implicit_role_assignments": []any{map[string]any{"group_id": gid, "role_id": "stytch_admin"}}}))
	if getMember(t, org, id, "").Get("member.is_admin") != true {
		t.Fatal("no role from the group")
	}
	apptest.ExpectOK(t, env.Do(t, "DELETE", "/v1/b2b/scim/"+org+"/connection/"+c.id, nil))
	m := getMember(t, org, id, "")
	apptest.ExpectOK(t, m)
	if m.Get("member.is_admin") != false || len(m.Get("member.roles").([]any)) != 1 {
		t.Fatalf("roles after the connection is gone: %s", m.Raw)
	}
	c2 := scimConnect(t, org, "okta")
	if r := c2.do(t, "GET", "/Groups", nil); r.total() != 0 {
		t.Fatalf("the old connection's groups: %s", r.Raw)
	}
	// The member is still there for the new connection, and can be grouped again.
	if r := c2.do(t, "GET", "/Users/"+id, nil); r.Status != http.StatusOK || r.Get("groups") != nil {
		t.Fatalf("member after reconnect: %s", r.Raw)
	}
	expectSCIM(t, c2.do(t, "POST", "/Groups", map[string]any{"displayName": "Admins", "members": []any{map[string]any{"value": id}}}), http.StatusCreated)

	apptest.ExpectOK(t, env.Do(t, "DELETE", "/v1/b2b/organizations/"+org, nil))
	expectSCIMError(t, c2.do(t, "GET", "/Users", nil), http.StatusUnauthorized, "")
}
