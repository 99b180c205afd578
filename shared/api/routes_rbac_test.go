package api_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/app/apptest"
)

// Every entry of the enforcement table names a route Latchkey serves, with a permission on a
// resource, and every connection-management route (SSO, SCIM) is in it: Stytch enforces all
// of them, so a new one cannot be added without deciding what it requires.
func TestEnforcementTableNamesRoutes(t *testing.T) {
	var keys []string
	for _, rt := range api.Routes {
		keys = append(keys, rt.Method+" "+rt.Path)
	}
	table := api.EnforcedRoutes()
	for key, e := range table {
		if !slices.Contains(keys, key) {
			t.Errorf("%s is enforced but is no route", key)
		}
		if e.Base == nil && len(e.Fields) == 0 {
			t.Errorf("%s requires nothing", key)
		}
		for name, p := range e.Fields {
			if !p.Forbidden && (p.Resource == "" || p.Action == "") {
				t.Errorf("%s field %s: no resource or action", key, name)
			}
		}
	}
	for _, rt := range api.Routes {
		key := rt.Method + " " + rt.Path
		management := strings.HasPrefix(rt.Path, "/v1/b2b/sso/") && !rt.Public && rt.Path != "/v1/b2b/sso/authenticate" ||
			strings.HasPrefix(rt.Path, "/v1/b2b/scim/")
		if _, ok := table[key]; management && !ok {
			t.Errorf("%s manages connections but is not in the enforcement table", key)
		}
	}
}

// A call made as a member costs one more DynamoDB call than the same call with project
// credentials alone: the member session's read, which brings the member's roles. The policy
// is in memory.
func TestEnforcementDynamoDBCalls(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	email := newEmail()
	createMember(t, org, map[string]any{"email_address": email, "roles": []string{"stytch_admin"}})
	apptest.ExpectOK(t, loginOrSignup(t, org, email, nil))
	auth := authenticate(t, env.LastEmail(t, email).Token(), nil)
	apptest.ExpectOK(t, auth)
	calls := func(r apptest.Response) string {
		t.Helper()
		apptest.ExpectOK(t, r)
		line, err := env.Logs.LogLine(r.Str("request_id"))
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%v %v", line["dynamodb_calls"], line["dynamodb_ops"])
	}
	basic := http.Header{"Content-Type": {"application/json"},
		"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(env.ProjectID+":"+env.Secret))}}
	send := func(h http.Header) apptest.Response {
		status, header, raw := env.Send(t, "GET", "/v1/b2b/sso/"+org, nil, h)
		out := apptest.Response{Status: status, Header: header, Raw: raw}
		_ = json.Unmarshal(raw, &out.Body)
		return out
	}
	plain := calls(send(basic))
	asMember := basic.Clone()
	asMember.Set("X-Stytch-Member-Session", auth.Str("session_token"))
	if got := calls(send(asMember)); plain != "2 GetItem:1,Query:1" || got != "3 BatchGetItem:1,GetItem:1,Query:1" {
		t.Errorf("GetConnections: %s with project credentials, %s as a member; want 2 GetItem:1,Query:1 and 3 BatchGetItem:1,GetItem:1,Query:1", plain, got)
	}
}
