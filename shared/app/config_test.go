package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/latchkey/latchkey/shared/app"
)

// Configuration that would make a function misbehave stops it at start, with a message naming
// the setting: OAuth clients half given, an OAuth issuer or a session-migration userinfo URL
// over plain http outside local development (or to an address no fetched URL may reach), and
// an RBAC policy that does not validate.
func TestConfigFromEnvRefusesBadSettings(t *testing.T) {
	base := map[string]string{"LATCHKEY_PROJECT_ID": "project-test-00000000-0000-4000-8000-000000000000"}
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"client id without secret", map[string]string{"LATCHKEY_OAUTH_GOOGLE_CLIENT_ID": "x"}, "LATCHKEY_OAUTH_GOOGLE_CLIENT_ID and LATCHKEY_OAUTH_GOOGLE_CLIENT_SECRET go together"},
		{"http issuer in AWS", map[string]string{"LATCHKEY_OAUTH_MICROSOFT_CLIENT_ID": "x", "LATCHKEY_OAUTH_MICROSOFT_CLIENT_SECRET": "y",
			"LATCHKEY_OAUTH_MICROSOFT_ISSUER": "http://127.0.0.1:9999"}, "LATCHKEY_OAUTH_MICROSOFT_ISSUER"},
		{"http issuer elsewhere, even locally", map[string]string{"LATCHKEY_FETCH_ALLOW_LOOPBACK": "true", "LATCHKEY_OAUTH_GOOGLE_CLIENT_ID": "x",
			"LATCHKEY_OAUTH_GOOGLE_CLIENT_SECRET": "y", "LATCHKEY_OAUTH_GOOGLE_ISSUER": "http://idp.example.com"}, "LATCHKEY_OAUTH_GOOGLE_ISSUER"},
		{"bad policy", map[string]string{"LATCHKEY_RBAC_POLICY": `{"roles":[{"role_id":"x","permissions":[{"resource_id":"nope","actions":["a"]}]}]}`},
			`LATCHKEY_RBAC_POLICY: rbac policy: roles[0] "x": permission on unknown resource "nope"`},
		{"public token shape", map[string]string{"LATCHKEY_PUBLIC_TOKEN": "public-token-x"}, "LATCHKEY_PUBLIC_TOKEN"},
		{"http userinfo URL in AWS", map[string]string{"LATCHKEY_SESSION_MIGRATE_USERINFO_URL": "http://127.0.0.1:9999/userinfo"},
			"LATCHKEY_SESSION_MIGRATE_USERINFO_URL"},
		{"userinfo URL to instance metadata", map[string]string{"LATCHKEY_SESSION_MIGRATE_USERINFO_URL": "https://169.254.169.254/userinfo"},
			"LATCHKEY_SESSION_MIGRATE_USERINFO_URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range base {
				t.Setenv(k, v)
			}
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			_, err := app.ConfigFromEnv()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
		})
	}
	t.Run("local http issuer", func(t *testing.T) {
		for k, v := range base {
			t.Setenv(k, v)
		}
		t.Setenv("LATCHKEY_FETCH_ALLOW_LOOPBACK", "true")
		t.Setenv("LATCHKEY_OAUTH_GOOGLE_CLIENT_ID", "x")
		t.Setenv("LATCHKEY_OAUTH_GOOGLE_CLIENT_SECRET", "y")
		t.Setenv("LATCHKEY_OAUTH_GOOGLE_ISSUER", "http://127.0.0.1:9999")
		c, err := app.ConfigFromEnv()
		if err != nil || c.OAuth["google"].Issuer != "http://127.0.0.1:9999" {
			t.Fatalf("a loopback issuer locally: %+v %v", c.OAuth, err)
		}
	})
	t.Run("userinfo URL", func(t *testing.T) {
		for k, v := range base {
			t.Setenv(k, v)
		}
		t.Setenv("LATCHKEY_SESSION_MIGRATE_USERINFO_URL", "https://legacy.example.com/oauth/userinfo")
		c, err := app.ConfigFromEnv()
		if err != nil || c.SessionMigrateUserinfoURL != "https://legacy.example.com/oauth/userinfo" {
			t.Fatalf("userinfo URL: %q %v", c.SessionMigrateUserinfoURL, err)
		}
	})
}

// A named API Gateway stage prefixes the path the function receives; the handler takes it off,
// so the routes match as they do on the $default stage.
func TestLambdaHandlerStripsANamedStage(t *testing.T) {
	h := env.App.LambdaHandler("sessions")
	for _, stage := range []string{"$default", "prod"} {
		path := "/v1/b2b/sessions/jwks/" + env.ProjectID
		if stage != "$default" {
			path = "/" + stage + path
		}
		req := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: path, RouteKey: "GET /v1/b2b/sessions/jwks/{project_id}",
			RequestContext: events.APIGatewayV2HTTPRequestContext{Stage: stage,
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: path}}}
		res, err := h(context.Background(), req)
		if err != nil || res.StatusCode != 200 || !strings.Contains(res.Body, `"keys"`) {
			t.Fatalf("stage %s: %d %s %v", stage, res.StatusCode, res.Body, err)
		}
	}
}

// API Gateway sends a request that matches no route to the catch-all ($default) route, which
// is the organizations function. A wrong method on a path another function owns is still a
// 405 with that path's methods, not a 404; a path no function has is a 404.
func TestCatchAllKnowsEveryFunctionsPaths(t *testing.T) {
	h := env.App.LambdaHandler("organizations")
	cases := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/v1/b2b/magic_links/authenticate", 405, "POST"},
		{"DELETE", "/v1/b2b/sessions/jwks/" + env.ProjectID, 405, "GET"},
		{"PATCH", "/v1/b2b/sso/callback/saml-connection-test-1", 405, "POST, GET"},
		{"PATCH", "/v1/b2b/organizations/organization-test-1", 405, "GET, PUT, DELETE"},
		{"GET", "/v1/b2b/magic_links/nope", 404, ""},
		{"GET", "/v1/b2b/organizations/", 404, ""}, // a trailing slash is another path

	}
	for _, c := range cases {
		req := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: c.path, RouteKey: "$default",
			RequestContext: events.APIGatewayV2HTTPRequestContext{Stage: "$default",
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: c.method, Path: c.path}}}
		res, err := h(context.Background(), req)
		if err != nil || res.StatusCode != c.status {
			t.Fatalf("%s %s: %d %s %v", c.method, c.path, res.StatusCode, res.Body, err)
		}
		want := map[int]string{405: `"error_type":"method_not_allowed"`, 404: `"error_type":"route_not_found"`}[c.status]
		if !strings.Contains(res.Body, want) {
			t.Errorf("%s %s: body %s, want %s", c.method, c.path, res.Body, want)
		}
		if got := res.Headers["Allow"]; got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
}
