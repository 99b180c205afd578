// Package events_test checks the sample events under events/<function>/ and replays them through
// each function's Lambda handler in process, against the local emulators. The HTTP functions'
// events are API Gateway HTTP API (payload v2) events, checked against the route table; the
// scheduled functions' events are EventBridge scheduled events.
//
// The HTTP events hold placeholders ({{name}}) for the values a live run creates; see vars in
// TestLambdaHandlersInProcess for the full list. A form post's body arrives base64-encoded, as
// HTTP APIs deliver every body that is not text; its placeholders are inside the encoding.
package events_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/app/apptest"
	"github.com/latchkey/latchkey/shared/oauth"
	"github.com/latchkey/latchkey/shared/samlsp"
	"github.com/latchkey/latchkey/shared/store"
)

// env is the local stack the Lambda handlers run against.
var env *apptest.Env

func TestMain(m *testing.M) { apptest.Run(m, &env) }

// placeholders is every {{name}} an event may hold.
var placeholders = []string{
	"basic_auth", "project_id", "organization_id", "member_id", "slug", "email", "invite_email", "new_email", "otp_code",
	"magic_links_token", "session_token", "member_session_id",
	"discovery_magic_links_token", "intermediate_session_token", "discovery_slug",
	"connection_id", "scim_bearer", "scim_email", "scim_user_id", "scim_group_id",
	"password", "new_password", "password_email", "password_reset_token", "member_password_id", "migrate_email",
	"totp_code", "totp_secret", "recovery_code", "phone_number", "sms_code",
	"saml_connection_id", "oidc_connection_id", "sso_connection_id", "saml_metadata_url", "saml_idp_certificate",
	"saml_encryption_key", "certificate_id", "private_key_id", "public_token", "pkce_code_challenge", "pkce_code_verifier",
	"saml_response", "relay_state", "oidc_issuer", "oidc_client_id", "oidc_client_secret", "oidc_code", "oidc_state", "sso_token",
	"custom_role_id",
	"oauth_code", "oauth_state", "oauth_token", "oauth_member_id", "discovery_oauth_token",
	"external_session_token",
	"webhook_endpoint_id", "events_since",
}

// scheduledFunctions are the functions (functions/<name>) an EventBridge schedule invokes
// rather than API Gateway. They own no routes; their events are EventBridge scheduled events.
var scheduledFunctions = map[string]bool{
	"cleanup": true,
}

// sourcedFunctions are the functions an event source mapping invokes (an SQS queue, the
// table's stream) rather than API Gateway or a schedule. They own no routes; their events are
// in the source's shape (events.SQSEvent, events.DynamoDBEvent) and each is checked and
// replayed by its own test file here (deliveries_test.go).
var sourcedFunctions = map[string]bool{
	"deliveries": true,
	"events":     true, // capture_test.go
}

var placeholderPattern = regexp.MustCompile(`\{\{([a-z_]+)\}\}`)

// eventFile is one events/<function>/<name>.json.
type eventFile struct {
	Function, Name string
	Raw            []byte
}

func (e eventFile) key() string { return e.Function + "/" + e.Name }

// routeKey is an HTTP event's routeKey ("" for a scheduled event).
func (e eventFile) routeKey() string {
	var ev struct {
		RouteKey string `json:"routeKey"`
	}
	_ = json.Unmarshal(e.Raw, &ev)
	return ev.RouteKey
}

func loadEvents(t *testing.T) map[string]eventFile {
	t.Helper()
	out := map[string]eventFile{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		dir, file := filepath.Split(filepath.ToSlash(path))
		dir = strings.TrimSuffix(dir, "/")
		if dir == "" || strings.Contains(dir, "/") {
			return fmt.Errorf("%s: events live at events/<function>/<name>.json", path)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		e := eventFile{Function: dir, Name: strings.TrimSuffix(file, ".json"), Raw: raw}
		out[e.key()] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no events found")
	}
	return out
}

// TestEventFoldersAreFunctions checks that events/ and functions/ name the same functions: every
// function has sample events, whether API Gateway (it owns routes) or EventBridge invokes it.
func TestEventFoldersAreFunctions(t *testing.T) {
	files := loadEvents(t)
	folders := map[string]bool{}
	for _, f := range files {
		folders[f.Function] = true
	}
	routed := map[string]bool{}
	for _, fn := range api.Functions() {
		routed[fn] = true
		if scheduledFunctions[fn] {
			t.Errorf("function %q owns routes, but is listed in scheduledFunctions", fn)
		}
	}
	entries, err := os.ReadDir("../functions")
	if err != nil {
		t.Fatal(err)
	}
	functions := map[string]bool{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		fn := e.Name()
		if _, err := os.Stat(filepath.Join("../functions", fn, "main.go")); err != nil {
			continue
		}
		functions[fn] = true
		if !routed[fn] && !scheduledFunctions[fn] && !sourcedFunctions[fn] {
			t.Errorf("functions/%s owns no route and is not in scheduledFunctions or sourcedFunctions", fn)
		}
		if !folders[fn] {
			t.Errorf("functions/%s has no events under events/%s/", fn, fn)
		}
	}
	for fn := range routed {
		if !functions[fn] {
			t.Errorf("api.Routes names function %q, but there is no functions/%s/main.go", fn, fn)
		}
	}
	for fn := range folders {
		if !functions[fn] {
			t.Errorf("events/%s/ names no function under functions/", fn)
		}
	}
}

func routesByKey() map[string]api.Route {
	out := map[string]api.Route{}
	for _, r := range api.Routes {
		out[r.Method+" "+r.Path] = r
	}
	return out
}

var pathParamPattern = regexp.MustCompile(`\{([a-z_]+)\}`)

// apiGatewayTime is the layout of requestContext.time.
const apiGatewayTime = "02/Jan/2006:15:04:05 -0700"

func TestEventsAreAPIGatewayV2(t *testing.T) {
	files := loadEvents(t)
	routes := routesByKey()
	known := map[string]bool{}
	for _, p := range placeholders {
		known[p] = true
	}
	covered := map[string]bool{}

	for _, key := range slices.Sorted(maps.Keys(files)) {
		f := files[key]
		if scheduledFunctions[f.Function] || sourcedFunctions[f.Function] {
			continue // TestScheduledEventsAreEventBridge, the sourced functions' own tests
		}
		t.Run(key, func(t *testing.T) {
			var ev events.APIGatewayV2HTTPRequest
			dec := json.NewDecoder(bytes.NewReader(f.Raw))
			dec.DisallowUnknownFields() // a misspelt field would be silently dropped by Lambda too
			if err := dec.Decode(&ev); err != nil {
				t.Fatalf("not an APIGatewayV2HTTPRequest: %v", err)
			}
			if ev.Version != "2.0" {
				t.Errorf("version %q, want 2.0", ev.Version)
			}
			rt, ok := routes[ev.RouteKey]
			if !ok {
				t.Fatalf("routeKey %q is not in api.Routes", ev.RouteKey)
			}
			covered[ev.RouteKey] = true
			if rt.Function != f.Function {
				t.Errorf("routeKey %q belongs to function %q, but the event is under events/%s", ev.RouteKey, rt.Function, f.Function)
			}

			rc := ev.RequestContext
			if rc.RouteKey != ev.RouteKey || rc.HTTP.Method != rt.Method || rc.HTTP.Path != ev.RawPath || rc.Stage != "$default" {
				t.Errorf("requestContext disagrees with the event: routeKey %q, method %q, path %q, stage %q",
					rc.RouteKey, rc.HTTP.Method, rc.HTTP.Path, rc.Stage)
			}
			for name, v := range map[string]string{"accountId": rc.AccountID, "apiId": rc.APIID, "domainName": rc.DomainName,
				"requestId": rc.RequestID, "http.protocol": rc.HTTP.Protocol, "http.sourceIp": rc.HTTP.SourceIP, "http.userAgent": rc.HTTP.UserAgent} {
				if v == "" {
					t.Errorf("requestContext.%s is empty", name)
				}
			}
			if at, err := time.Parse(apiGatewayTime, rc.Time); err != nil || at.UnixMilli()/1000 != rc.TimeEpoch/1000 {
				t.Errorf("requestContext.time %q does not match timeEpoch %d (%v)", rc.Time, rc.TimeEpoch, err)
			}

			// HTTP APIs deliver header names in lower case.
			for k := range ev.Headers {
				if k != strings.ToLower(k) {
					t.Errorf("header %q is not lower case", k)
				}
			}
			if ev.Headers["host"] != rc.DomainName || ev.Headers["user-agent"] != rc.HTTP.UserAgent {
				t.Errorf("host/user-agent headers disagree with requestContext")
			}
			switch {
			case scimServer(rt.Path):
				// An identity provider calling the SCIM server: the connection's bearer token.
				if ev.Headers["authorization"] != "Bearer {{scim_bearer}}" {
					t.Errorf("authorization header %q, want %q", ev.Headers["authorization"], "Bearer {{scim_bearer}}")
				}
				if ct := ev.Headers["content-type"]; ev.Body != "" && !strings.HasPrefix(ct, "application/scim+json") {
					t.Errorf("content-type header %q", ct)
				}
			case rt.Public:
				if _, ok := ev.Headers["authorization"]; ok {
					t.Errorf("public route %q should show the unauthenticated call", ev.RouteKey)
				}
			default:
				if ev.Headers["authorization"] != "Basic {{basic_auth}}" {
					t.Errorf("authorization header %q, want %q", ev.Headers["authorization"], "Basic {{basic_auth}}")
				}
				if ev.Headers["content-type"] != "application/json" {
					t.Errorf("content-type header %q", ev.Headers["content-type"])
				}
			}

			// Path parameters are exactly the template's, and fill it in to give rawPath.
			var names []string
			for _, m := range pathParamPattern.FindAllStringSubmatch(rt.Path, -1) {
				names = append(names, m[1])
			}
			if got := slices.Sorted(maps.Keys(ev.PathParameters)); !slices.Equal(got, slices.Sorted(slices.Values(names))) {
				t.Errorf("pathParameters %v, want keys %v", got, names)
			}
			expanded := pathParamPattern.ReplaceAllStringFunc(rt.Path, func(s string) string {
				return ev.PathParameters[strings.Trim(s, "{}")]
			})
			if expanded != ev.RawPath {
				t.Errorf("rawPath %q, but the template with pathParameters gives %q", ev.RawPath, expanded)
			}

			q, err := url.ParseQuery(ev.RawQueryString)
			if err != nil {
				t.Errorf("rawQueryString %q: %v", ev.RawQueryString, err)
			}
			flat := map[string]string{}
			for k, v := range q {
				flat[k] = strings.Join(v, ",")
			}
			if len(flat) != len(ev.QueryStringParameters) || (len(flat) > 0 && !reflect.DeepEqual(flat, ev.QueryStringParameters)) {
				t.Errorf("queryStringParameters %v disagree with rawQueryString %q", ev.QueryStringParameters, ev.RawQueryString)
			}

			// HTTP APIs pass JSON as it is and base64-encode what is not text: a form post (a
			// SAML response the browser brings to its ACS URL) arrives encoded.
			body := ev.Body
			if ev.IsBase64Encoded {
				if !formPost(ev) {
					t.Error("isBase64Encoded: only form posts arrive base64-encoded; JSON bodies are text")
				}
				b, err := base64.StdEncoding.DecodeString(ev.Body)
				if err != nil {
					t.Errorf("body is not base64: %v", err)
				}
				body = string(b)
			}
			switch {
			case rt.Method == http.MethodGet || rt.Method == http.MethodDelete:
				if ev.Body != "" {
					t.Errorf("%s event has a body", rt.Method)
				}
			case formPost(ev):
				if !ev.IsBase64Encoded {
					t.Error("a form post arrives base64-encoded (isBase64Encoded)")
				}
				if form, err := url.ParseQuery(body); err != nil || len(form) == 0 {
					t.Errorf("body %q is not a form: %v", body, err)
				}
			default:
				var fields map[string]any
				if err := json.Unmarshal([]byte(body), &fields); err != nil {
					t.Errorf("body is not a JSON object: %v", err)
				}
			}

			for _, m := range placeholderPattern.FindAllStringSubmatch(string(f.Raw)+"\n"+body, -1) {
				if !known[m[1]] {
					t.Errorf("unknown placeholder {{%s}}", m[1])
				}
			}
			// One the pattern does not match would be sent as it is, unnoticed.
			for _, m := range anyPlaceholders.FindAllString(string(f.Raw)+"\n"+body, -1) {
				if !placeholderPattern.MatchString(m) {
					t.Errorf("placeholder %s: names are lower-case letters and _", m)
				}
			}

			out, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var back events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(out, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ev, back) {
				t.Errorf("marshal round trip changed the event:\n%+v\n%+v", ev, back)
			}
		})
	}

	for _, r := range api.Routes {
		if key := r.Method + " " + r.Path; !covered[key] {
			t.Errorf("route %q (function %s) has no event under events/%s/", key, r.Function, r.Function)
		}
	}
}

// eventBridgeFields is every top-level field of an EventBridge event, all of which a scheduled
// event carries.
var eventBridgeFields = []string{"account", "detail", "detail-type", "id", "region", "resources", "source", "time", "version"}

var (
	accountPattern  = regexp.MustCompile(`^[0-9]{12}$`)
	regionPattern   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	ruleARNPattern  = regexp.MustCompile(`^arn:aws:events:([a-z0-9-]+):([0-9]{12}):rule/[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)?$`)
	anyPlaceholders = regexp.MustCompile(`\{\{[^}]*\}\}`)
)

func TestScheduledEventsAreEventBridge(t *testing.T) {
	files := loadEvents(t)
	seen := map[string]bool{}
	for _, key := range slices.Sorted(maps.Keys(files)) {
		f := files[key]
		if !scheduledFunctions[f.Function] {
			continue
		}
		seen[f.Function] = true
		t.Run(key, func(t *testing.T) {
			var ev events.EventBridgeEvent
			dec := json.NewDecoder(bytes.NewReader(f.Raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&ev); err != nil {
				t.Fatalf("not an EventBridgeEvent: %v", err)
			}
			if dec.More() {
				t.Error("data after the event")
			}
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(f.Raw, &fields); err != nil {
				t.Fatal(err)
			}
			if got := slices.Sorted(maps.Keys(fields)); !slices.Equal(got, eventBridgeFields) {
				t.Errorf("fields %v, want %v", got, eventBridgeFields)
			}
			if ev.Version != "0" || ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" {
				t.Errorf("version %q, detail-type %q, source %q: want 0, Scheduled Event, aws.events", ev.Version, ev.DetailType, ev.Source)
			}
			if _, err := uuid.Parse(ev.ID); err != nil {
				t.Errorf("id %q is not a UUID", ev.ID)
			}
			if !accountPattern.MatchString(ev.AccountID) || !regionPattern.MatchString(ev.Region) {
				t.Errorf("account %q / region %q", ev.AccountID, ev.Region)
			}
			if ev.Time.IsZero() || ev.Time.Location() != time.UTC || !ev.Time.Equal(ev.Time.Truncate(time.Second)) {
				t.Errorf("time %v: EventBridge gives whole seconds in UTC", ev.Time)
			}
			if len(ev.Resources) != 1 {
				t.Errorf("resources %v: a scheduled event names the one rule that fired", ev.Resources)
			}
			for _, arn := range ev.Resources {
				m := ruleARNPattern.FindStringSubmatch(arn)
				if m == nil || m[1] != ev.Region || m[2] != ev.AccountID {
					t.Errorf("resource %q is not a rule ARN in %s/%s", arn, ev.Region, ev.AccountID)
				}
			}
			var detail map[string]any
			if err := json.Unmarshal(ev.Detail, &detail); err != nil || detail == nil || len(detail) != 0 {
				t.Errorf("detail %s: a scheduled event's detail is {}", ev.Detail)
			}
			if m := anyPlaceholders.FindString(string(f.Raw)); m != "" {
				t.Errorf("placeholder %s: scheduled events carry no values from a run", m)
			}

			out, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var back events.EventBridgeEvent
			if err := json.Unmarshal(out, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ev, back) {
				t.Errorf("marshal round trip changed the event:\n%+v\n%+v", ev, back)
			}
		})
	}
	for fn := range scheduledFunctions {
		if !seen[fn] {
			t.Errorf("scheduled function %q has no event under events/%s/", fn, fn)
		}
	}
}

// safeValue is what a placeholder may be replaced with: it is pasted into JSON strings, one of
// them (the body) itself JSON, so it must need no escaping. Tokens are base64url, so "_" and
// "-" occur; values for a query string or a form come escaped, so "%" does.
var safeValue = regexp.MustCompile(`^[A-Za-z0-9._@:+/=%_-]*$`)

// formEncoded tells whether a value is pasted into a form body as it must be: escaped, once.
func formEncoded(v string) bool {
	u, err := url.QueryUnescape(v)
	return err == nil && url.QueryEscape(u) == v
}

// formPost tells whether an HTTP event is a browser's form post.
func formPost(ev events.APIGatewayV2HTTPRequest) bool {
	return strings.HasPrefix(ev.Headers["content-type"], "application/x-www-form-urlencoded")
}

// render substitutes the placeholders of an event, inside a base64 body too.
func render(t *testing.T, f eventFile, vars map[string]string) []byte {
	t.Helper()
	var missing []string
	fill := func(s string, safe func(string) bool, need string) string {
		return placeholderPattern.ReplaceAllStringFunc(s, func(p string) string {
			name := strings.Trim(p, "{}")
			v, ok := vars[name]
			if !ok {
				missing = append(missing, name)
				return p
			}
			if !safe(v) {
				t.Fatalf("value for {{%s}} would need %s: %q", name, need, v)
			}
			return v
		})
	}
	out := []byte(fill(string(f.Raw), safeValue.MatchString, "JSON escaping"))
	var ev map[string]json.RawMessage
	if err := json.Unmarshal(out, &ev); err != nil {
		t.Fatalf("%s: %v", f.key(), err)
	}
	if string(ev["isBase64Encoded"]) == "true" {
		var encoded string
		if err := json.Unmarshal(ev["body"], &encoded); err != nil {
			t.Fatalf("%s: body: %v", f.key(), err)
		}
		raw, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			t.Fatalf("%s: body is not base64: %v", f.key(), err)
		}
		body := fill(string(raw), formEncoded, "form encoding")
		ev["body"], _ = json.Marshal(base64.StdEncoding.EncodeToString([]byte(body)))
		if out, err = json.Marshal(ev); err != nil {
			t.Fatal(err)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%s: no value yet for %v", f.key(), missing)
	}
	return out
}

// result is a decoded Lambda response.
type result struct {
	Resp events.APIGatewayV2HTTPResponse
	Body apptest.Response // Body, Raw and Status, for its path helpers
}

func (r result) String() string { return fmt.Sprintf("%d %s", r.Resp.StatusCode, r.Body.Raw) }

// header is a response header, named in any case.
func (r result) header(name string) string {
	for k, v := range r.Resp.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// invoke runs one event through a Lambda handler as the Lambda runtime would: JSON in, JSON out.
func invoke(t *testing.T, h lambda.Handler, payload []byte) result {
	t.Helper()
	out, err := h.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var res result
	if err := json.Unmarshal(out, &res.Resp); err != nil {
		t.Fatalf("Lambda output is not an APIGatewayV2HTTPResponse: %v: %s", err, out)
	}
	if res.Resp.IsBase64Encoded {
		t.Fatalf("response body is base64: %s", out)
	}
	res.Body = apptest.Response{Status: res.Resp.StatusCode, Raw: []byte(res.Resp.Body)}
	if err := json.Unmarshal(res.Body.Raw, &res.Body.Body); err != nil {
		t.Fatalf("status %d, body is not JSON: %q", res.Resp.StatusCode, res.Resp.Body)
	}
	if ct := res.header("content-type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("content-type %q", ct)
	}
	if sc, _ := res.Body.Get("status_code").(float64); int(sc) != res.Resp.StatusCode || !strings.HasPrefix(res.Body.Str("request_id"), "request-id-") {
		t.Errorf("body lacks status_code %d / request_id: %s", res.Resp.StatusCode, res.Body.Raw)
	}
	return res
}

// scimServer tells whether a route (or routeKey) is the SCIM 2.0 server's, which answers in
// SCIM's shape (application/scim+json, 201 and 204 included) rather than Stytch's.
func scimServer(path string) bool { return strings.Contains(path, "/scim/v2/") }

// invokeSCIM is invoke for the SCIM server's events: the body, when there is one, is
// application/scim+json without Stytch's envelope, and X-Request-Id ties it to its log line.
func invokeSCIM(t *testing.T, h lambda.Handler, payload []byte) result {
	t.Helper()
	out, err := h.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var res result
	if err := json.Unmarshal(out, &res.Resp); err != nil {
		t.Fatalf("Lambda output is not an APIGatewayV2HTTPResponse: %v: %s", err, out)
	}
	res.Body = apptest.Response{Status: res.Resp.StatusCode, Raw: []byte(res.Resp.Body)}
	if !strings.HasPrefix(res.header("x-request-id"), "request-id-") {
		t.Errorf("no X-Request-Id header: %v", res.Resp.Headers)
	}
	if res.Resp.StatusCode == http.StatusNoContent {
		if res.Resp.Body != "" {
			t.Errorf("204 with a body: %q", res.Resp.Body)
		}
		return res
	}
	if ct := res.header("content-type"); ct != "application/scim+json" {
		t.Errorf("content-type %q", ct)
	}
	if err := json.Unmarshal(res.Body.Raw, &res.Body.Body); err != nil {
		t.Fatalf("status %d, body is not JSON: %q", res.Resp.StatusCode, res.Resp.Body)
	}
	return res
}

// expectSCIM asserts a SCIM server answer's status (and for errors, RFC 7644's shape).
func expectSCIM(t *testing.T, r result, status int) {
	t.Helper()
	if r.Resp.StatusCode != status {
		t.Fatalf("want %d, got %s", status, r)
	}
	if status >= 400 && (r.Body.Str("status") != fmt.Sprint(status) || r.Body.Get("schemas") == nil) {
		t.Fatalf("not a SCIM error: %s", r)
	}
}

// invokeScheduled runs a scheduled event through the cleanup Lambda handler and decodes what it
// returned, strictly: the Lambda's result is what the schedule's invocation record shows.
func invokeScheduled(t *testing.T, h lambda.Handler, payload []byte) store.CleanupStats {
	t.Helper()
	out, err := h.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var stats store.CleanupStats
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&stats); err != nil {
		t.Fatalf("Lambda output is not a CleanupStats: %v: %s", err, out)
	}
	var fields map[string]any
	if err := json.Unmarshal(out, &fields); err != nil || len(fields) != 5 {
		t.Errorf("CleanupStats output should have its 5 fields: %s", out)
	}
	return stats
}

func expectOK(t *testing.T, r result) {
	t.Helper()
	if r.Resp.StatusCode != http.StatusOK {
		t.Fatalf("want 200, got %s", r)
	}
	apptest.ExpectOK(t, r.Body)
}

// expectRedirect asserts a browser route's answer: a 302 to where the flow goes next (under
// prefix), which the body repeats as Stytch's start does, and which is not to be cached as it
// may carry a token. It returns the target.
func expectRedirect(t *testing.T, r result, prefix string) *url.URL {
	t.Helper()
	to := r.header("Location")
	if r.Resp.StatusCode != http.StatusFound || !strings.HasPrefix(to, prefix) {
		t.Fatalf("want a 302 to %s..., got Location %q and %s", prefix, to, r)
	}
	if r.Body.Str("redirect_url") != to || r.header("Cache-Control") != "no-store" {
		t.Errorf("redirect: headers %v, body %s", r.Resp.Headers, r.Body.Raw)
	}
	u, err := url.Parse(to)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func expectError(t *testing.T, r result, status int, errorType string) {
	t.Helper()
	apptest.ExpectError(t, r.Body, status, errorType)
}

// want fails unless every dotted path in the body holds the given value (numbers as float64).
func want(t *testing.T, r result, fields map[string]any) {
	t.Helper()
	for _, path := range slices.Sorted(maps.Keys(fields)) {
		if got := r.Body.Get(path); !reflect.DeepEqual(got, fields[path]) {
			t.Errorf("%s = %#v, want %#v\nbody: %s", path, got, fields[path], r.Body.Raw)
		}
	}
}

func basicAuth(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))
}

// discovered maps organization_id to its entry in a discovered_organizations list.
func discovered(t *testing.T, r result) map[string]map[string]any {
	t.Helper()
	list, ok := r.Body.Get("discovered_organizations").([]any)
	if !ok {
		t.Fatalf("no discovered_organizations list: %s", r)
	}
	out := map[string]map[string]any{}
	for _, it := range list {
		d, _ := it.(map[string]any)
		org, _ := d["organization"].(map[string]any)
		id, _ := org["organization_id"].(string)
		if id == "" {
			t.Fatalf("discovered organization without an id: %v", it)
		}
		out[id] = d
	}
	return out
}

// totpCode is an authenticator app's code for a base32 key at a moment (RFC 6238: SHA-1, six
// digits, 30-second steps, as the server checks it).
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pemBody is the base64 of a PEM block, without its armour and line breaks: a certificate as
// IdP consoles show it, or a key as one JSON string can carry it.
func pemBody(t *testing.T, s string) string {
	t.Helper()
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		t.Fatalf("not PEM: %q", s)
	}
	return base64.StdEncoding.EncodeToString(block.Bytes)
}

// pkceChallenge is the S256 code challenge for a verifier (RFC 7636).
func pkceChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// ids maps the id (under key) of each object in the list at path to that object.
func ids(t *testing.T, r result, path, key string) map[string]any {
	t.Helper()
	list, ok := r.Body.Get(path).([]any)
	if !ok {
		t.Fatalf("%s is not a list: %s", path, r)
	}
	out := map[string]any{}
	for _, it := range list {
		id, _ := field(it, key).(string)
		if id == "" {
			t.Fatalf("%s: an entry without %s: %v", path, key, it)
		}
		out[id] = it
	}
	return out
}

// expectCustomRole asserts that the roles at path are exactly the organization's one role,
// as set_org_policy sets it: roleID, on documents read.
func expectCustomRole(t *testing.T, r result, path, roleID string) {
	t.Helper()
	want := []any{map[string]any{
		"role_id":     roleID,
		"description": "Reviews documents before they are shared",
		"permissions": []any{map[string]any{"resource_id": "documents", "actions": []any{"read"}}},
	}}
	if got := r.Body.Get(path); !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v\nbody: %s", path, got, want, r.Body.Raw)
	}
}

// field walks a dotted path through a decoded JSON object, as apptest.Response.Get does.
func field(v any, path string) any {
	for _, part := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[part]
	}
	return v
}

func TestLambdaHandlersInProcess(t *testing.T) {
	files := loadEvents(t)
	handlers := map[string]lambda.Handler{}
	for _, fn := range api.Functions() {
		handlers[fn] = lambda.NewHandler(env.App.LambdaHandler(fn))
	}
	// The scheduled functions, built as their main.go builds them, on the test clock.
	cleanupLog := &apptest.SyncBuffer{}
	scheduled := map[string]lambda.Handler{
		"cleanup": lambda.NewHandler(app.CleanupHandler(env.App.Store, env.Clock, slog.New(slog.NewJSONHandler(cleanupLog, nil)))),
	}
	if got := slices.Sorted(maps.Keys(scheduled)); !slices.Equal(got, slices.Sorted(maps.Keys(scheduledFunctions))) {
		t.Fatalf("handlers for scheduled functions %v, want %v", got, slices.Sorted(maps.Keys(scheduledFunctions)))
	}
	tag := strings.ReplaceAll(uuid.NewString(), "-", "")[:10]
	vars := map[string]string{
		"project_id":     env.ProjectID,
		"basic_auth":     basicAuth(env.ProjectID, env.Secret),
		"slug":           "acme-" + tag,
		"discovery_slug": "acme-labs-" + tag,
		"email":          "ada-" + tag + "@acme.example.com",
		"invite_email":   "grace-" + tag + "@acme.example.com",
		"new_email":      "ada.king-" + tag + "@acme.example.com",
		"scim_email":     "margaret-" + tag + "@acme.example.com",
		"migrate_email":  "charles-" + tag + "@acme.example.com",
		// Strong enough for zxcvbn (score 3 or more), and safe to paste into JSON.
		"password":     "violet-anchor-Quarry-47-lantern",
		"new_password": "copper-Meadow-thistle-92-harbor",
		// An authenticator-app key another system issued, imported by totp_migrate; and Ada's
		// phone, one per run so the SMS emulator's newest text to it is this run's.
		"totp_secret":  "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
		"phone_number": fmt.Sprintf("+1555%07d", time.Now().UnixNano()%10000000),
		// Acme's own role, beside the project's (apptest's rbac_policy.json); a placeholder so
		// a replay can name a role id the project already has.
		"custom_role_id": "docs-reviewer",
	}
	// founderEmail is a colleague of Ada's at acme.example.com, who is no member of Acme: they
	// create Acme Labs through discovery, then join Acme by email domain.
	founderEmail := "lin-" + tag + "@acme.example.com"
	// SSO: Acme's SAML identity provider, and its OpenID provider once the OIDC connection's
	// redirect_url is known; both live as long as this test (t, not the step that starts them).
	// Katherine logs in through the one, Dorothy through the other; both are new to Acme.
	idp := apptest.StartSAMLIdP(t)
	var op *apptest.OIDCProvider
	outer := t
	samlEmail, oidcEmail := "katherine-"+tag+"@acme.example.com", "dorothy-"+tag+"@acme.example.com"
	// Where the providers send the browser back: from the app's BaseURL, whatever serves it.
	callbackURL := strings.TrimRight(cmp.Or(env.Config.BaseURL, app.DefaultBaseURL), "/") + "/v1/b2b/sso/callback/"
	// OAuth: the env's app has no OAuth providers, so the oauth function runs in a variant of it
	// (same table, project and clock) whose Google is an in-process OpenID provider: a
	// provider's issuer is configuration, as in a deployment. Its client may redirect only to
	// Latchkey's callback.
	// Hedy, new to Acme, signs in there with her Google Workspace account: the hd claim makes
	// the login proof of her address, so she may join Acme by its email domain.
	// The same provider stands in for the application's previous auth system, whose userinfo
	// endpoint Sessions.Migrate asks: the sessions function runs in the variant too.
	oauthCallbackURL := strings.TrimRight(cmp.Or(env.Config.BaseURL, app.DefaultBaseURL), "/") + "/v1/b2b/oauth/callback/google"
	const googleClientID = "google-client"
	google := apptest.StartOIDCProviderWith(t, map[string]string{googleClientID: oauthCallbackURL})
	withOAuth, oauthServer, err := env.Variant(context.Background(), func(c *app.Config) {
		c.OAuth = map[string]oauth.Provider{oauth.Google: {ClientID: googleClientID, ClientSecret: apptest.OIDCClientSecret, Issuer: google.Issuer}}
		c.SessionMigrateUserinfoURL = google.UserinfoURL(t)
	})
	if err != nil {
		t.Fatal(err)
	}
	oauthServer.Close() // the events go to its Lambda handler, not over HTTP
	handlers[api.FunctionOAuth] = lambda.NewHandler(withOAuth.LambdaHandler(api.FunctionOAuth))
	handlers[api.FunctionSessions] = lambda.NewHandler(withOAuth.LambdaHandler(api.FunctionSessions))
	oauthEmail, oauthSubject := "hedy-"+tag+"@acme.example.com", "google-sub-"+tag
	google.AddUser(apptest.OIDCUser{Subject: oauthSubject, Username: "hedy", Email: oauthEmail, EmailVerified: true,
		FirstName: "Hedy", LastName: "Lamarr", Claims: map[string]any{"hd": "acme.example.com"}})
	// Ada is logged in to the previous system: its access token is her session there.
	google.AddUser(apptest.OIDCUser{Subject: "legacy-" + tag, Username: "ada", Email: vars["email"], EmailVerified: true,
		FirstName: "Ada", LastName: "Lovelace"})
	vars["external_session_token"] = google.AccessToken(t, googleClientID, "ada")
	// The IdP's next signing certificate, added ahead of its rotation (bare base64 DER, as IdP
	// consoles show it), and an encryption key for Acme's assertions (its PEM body: the event
	// holds the armour, as a value must need no JSON escaping).
	_, nextCert, err := samlsp.NewKeyPair("acme idp next", time.Now().Add(-time.Hour), 365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	encryptionKey, _, err := samlsp.NewKeyPair("acme sp encryption", time.Now().Add(-time.Hour), 365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	verifier := "pkce-verifier-" + uuid.NewString() + "-" + uuid.NewString()
	maps.Copy(vars, map[string]string{
		"public_token":         env.Config.PublicToken,
		"pkce_code_verifier":   verifier,
		"pkce_code_challenge":  pkceChallenge(verifier),
		"saml_metadata_url":    idp.MetadataURL,
		"saml_idp_certificate": pemBody(t, nextCert),
		"saml_encryption_key":  pemBody(t, encryptionKey),
		"oidc_client_id":       apptest.OIDCClientID,
		"oidc_client_secret":   apptest.OIDCClientSecret,
	})
	event := func(t *testing.T, key string) eventFile {
		t.Helper()
		f, ok := files[key]
		if !ok {
			t.Fatalf("no event %s.json", key)
		}
		return f
	}
	// runWith replays an HTTP event with vars, some of them overridden.
	runWith := func(t *testing.T, key string, with map[string]string) result {
		t.Helper()
		f := event(t, key)
		h, ok := handlers[f.Function]
		if !ok {
			t.Fatalf("no function %q in api.Functions()", f.Function)
		}
		v := maps.Clone(vars)
		maps.Copy(v, with)
		if scimServer(f.routeKey()) {
			return invokeSCIM(t, h, render(t, f, v))
		}
		return invoke(t, h, render(t, f, v))
	}
	run := func(t *testing.T, key string) result {
		t.Helper()
		return runWith(t, key, nil)
	}
	// runScheduled replays a scheduled event with the clock moved on by later, as the schedule
	// would fire then; the clock is moved back afterwards.
	runScheduled := func(t *testing.T, key string, later time.Duration) store.CleanupStats {
		t.Helper()
		f := event(t, key)
		h, ok := scheduled[f.Function]
		if !ok {
			t.Fatalf("no scheduled function %q", f.Function)
		}
		payload := render(t, f, vars)
		defer env.Clock.Advance(later)()
		return invokeScheduled(t, h, payload)
	}
	// discover replays the discovery events for an email: send the link, then redeem it for an
	// intermediate session, which it records (each exchange or create consumes one).
	discover := func(t *testing.T, email string) result {
		t.Helper()
		with := map[string]string{"email": email}
		expectOK(t, runWith(t, "magiclinks/discovery_send", with))
		mail := env.LastEmail(t, email)
		if !strings.Contains(mail.Link(), "stytch_token_type=discovery") {
			t.Fatalf("discovery email link %q", mail.Link())
		}
		vars["discovery_magic_links_token"] = mail.Token()
		r := runWith(t, "magiclinks/discovery_authenticate", with)
		expectOK(t, r)
		if vars["intermediate_session_token"] = r.Body.Str("intermediate_session_token"); vars["intermediate_session_token"] == "" {
			t.Fatalf("no intermediate_session_token: %s", r)
		}
		return r
	}

	// googleLogin checks a start's redirect to the provider, plays Hedy's browser through its
	// login, and records the code and state its redirect back brings (the callback event's).
	googleLogin := func(t *testing.T, r result) url.Values {
		t.Helper()
		to := expectRedirect(t, r, google.Issuer+"/")
		q := to.Query()
		if q.Get("client_id") != googleClientID || q.Get("redirect_uri") != oauthCallbackURL || q.Get("response_type") != "code" ||
			q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("state") == "" ||
			!slices.Contains(strings.Fields(q.Get("scope")), "email") {
			t.Fatalf("authorization request %s", to)
		}
		back := google.Login(t, to.String(), "hedy")
		code, state := back.Query().Get("code"), back.Query().Get("state")
		if back.Scheme+"://"+back.Host+back.Path != oauthCallbackURL || code == "" || state != q.Get("state") {
			t.Fatalf("the provider's redirect back %s", back)
		}
		// As the event's rawQueryString holds them, they must need no escaping.
		if url.QueryEscape(code) != code || url.QueryEscape(state) != state {
			t.Fatalf("code %q or state %q needs escaping", code, state)
		}
		vars["oauth_code"], vars["oauth_state"] = code, state
		return q
	}

	t.Run("wrong secret", func(t *testing.T) {
		bad := maps.Clone(vars)
		bad["basic_auth"] = basicAuth(env.ProjectID, env.Secret+"x")
		bad["organization_id"] = "organization-test-" + uuid.NewString()
		f := event(t, "organizations/get_organization")
		expectError(t, invoke(t, handlers[f.Function], render(t, f, bad)), http.StatusUnauthorized, "unauthorized_credentials")
	})

	t.Run("wrong function", func(t *testing.T) {
		dummy := map[string]string{}
		for _, p := range placeholders {
			dummy[p] = "x-" + p
		}
		dummy["basic_auth"] = vars["basic_auth"]
		for _, key := range slices.Sorted(maps.Keys(files)) {
			f := files[key]
			if scheduledFunctions[f.Function] || sourcedFunctions[f.Function] {
				continue // not an API Gateway event: EventBridge (the event source) invokes only its own function
			}
			for _, fn := range api.Functions() {
				if fn == f.Function {
					continue
				}
				t.Run(key+" on "+fn, func(t *testing.T) {
					r := invoke(t, handlers[fn], render(t, f, dummy))
					expectError(t, r, http.StatusNotFound, "route_not_found")
				})
			}
		}
	})

	// The whole life of an organization, each call made by replaying its event. Each step may
	// record values (ids, tokens) that later events' placeholders need.
	var orgID, memberID, sessionID, sessionToken string
	var passwordSession string                                    // Ada's latest session from a password login
	var labsID, founderID, founderLabsToken, founderInAcme string // Acme Labs, created through discovery
	var totpID string                                             // Ada's TOTP registration from totp_create
	var firstCodes []any                                          // the recovery codes that came with it
	steps := []struct {
		event string
		check func(t *testing.T, r result)
	}{
		{"sessions/jwks", func(t *testing.T, r result) {
			keys, _ := r.Body.Get("keys").([]any)
			if len(keys) == 0 {
				t.Fatalf("no keys: %s", r)
			}
			for _, k := range keys {
				k := k.(map[string]any)
				if k["kty"] != "RSA" || k["alg"] != "RS256" || k["kid"] == "" || k["n"] == "" || k["e"] == "" {
					t.Errorf("key %v", k)
				}
			}
		}},
		{"organizations/create_organization", func(t *testing.T, r result) {
			orgID = r.Body.Str("organization.organization_id")
			if orgID == "" {
				t.Fatalf("no organization_id: %s", r)
			}
			vars["organization_id"] = orgID
			want(t, r, map[string]any{
				"organization.organization_slug":       vars["slug"],
				"organization.organization_name":       "Acme Corporation",
				"organization.organization_logo_url":   "https://acme.example.com/logo.png",
				"organization.trusted_metadata.plan":   "enterprise",
				"organization.email_jit_provisioning":  "RESTRICTED",
				"organization.email_allowed_domains":   []any{"acme.example.com"},
				"organization.mfa_policy":              "OPTIONAL",
				"organization.trusted_metadata.region": "eu",
			})
		}},
		{"organizations/get_organization", func(t *testing.T, r result) {
			want(t, r, map[string]any{"organization.organization_id": orgID, "organization.organization_slug": vars["slug"]})
		}},
		{"organizations/update_organization", func(t *testing.T, r result) {
			want(t, r, map[string]any{
				"organization.organization_id":        orgID,
				"organization.organization_name":      "Acme Corporation EU",
				"organization.organization_slug":      vars["slug"],
				"organization.trusted_metadata.seats": float64(25),
			})
		}},
		{"organizations/search_organizations", func(t *testing.T, r result) {
			orgs, _ := r.Body.Get("organizations").([]any)
			if len(orgs) != 1 || orgs[0].(map[string]any)["organization_id"] != orgID ||
				orgs[0].(map[string]any)["organization_name"] != "Acme Corporation EU" {
				t.Fatalf("search by slug: %s", r)
			}
		}},
		{"organizations/get_rbac_policy", func(t *testing.T, r result) {
			// Stytch's default roles and resources, merged with the project's.
			roles := ids(t, r, "policy.roles", "role_id")
			for _, id := range []string{"stytch_member", "stytch_admin", "editor", "viewer"} {
				if roles[id] == nil {
					t.Errorf("policy lacks role %q: %s", id, r)
				}
			}
			resources := ids(t, r, "policy.resources", "resource_id")
			for _, id := range []string{"stytch.member", "documents"} {
				if resources[id] == nil {
					t.Errorf("policy lacks resource %q: %s", id, r)
				}
			}
			if got := field(resources["documents"], "actions"); !reflect.DeepEqual(got, []any{"create", "read", "write", "delete", "share"}) {
				t.Errorf("documents actions %v", got)
			}
			if _, ok := r.Body.Get("policy.scopes").([]any); !ok {
				t.Errorf("policy.scopes is not a list: %s", r)
			}
		}},
		{"organizations/set_org_policy", func(t *testing.T, r result) {
			expectCustomRole(t, r, "org_policy.roles", vars["custom_role_id"])
			// A role id the project's policy already has is refused, and Acme's roles stay.
			clash := runWith(t, "organizations/set_org_policy", map[string]string{"custom_role_id": "editor"})
			expectError(t, clash, http.StatusBadRequest, "invalid_rbac_custom_role")
		}},
		{"organizations/get_org_policy", func(t *testing.T, r result) {
			expectCustomRole(t, r, "org_policy.roles", vars["custom_role_id"])
			o := run(t, "organizations/get_organization")
			expectOK(t, o)
			expectCustomRole(t, o, "organization.custom_roles", vars["custom_role_id"])
		}},
		{"organizations/create_member", func(t *testing.T, r result) {
			memberID = r.Body.Str("member_id")
			if memberID == "" {
				t.Fatalf("no member_id: %s", r)
			}
			vars["member_id"] = memberID
			want(t, r, map[string]any{
				"member.member_id":                    memberID,
				"member.organization_id":              orgID,
				"member.email_address":                vars["email"],
				"member.name":                         "Ada Lovelace",
				"member.status":                       "active",
				"member.trusted_metadata.department":  "engineering",
				"member.untrusted_metadata.theme":     "dark",
				"organization.organization_id":        orgID,
				"organization.organization_name":      "Acme Corporation EU",
				"organization.trusted_metadata.seats": float64(25),
			})
		}},
		{"organizations/get_member", func(t *testing.T, r result) {
			want(t, r, map[string]any{"member_id": memberID, "member.email_address": vars["email"], "organization.organization_id": orgID})
		}},
		{"organizations/update_member", func(t *testing.T, r result) {
			want(t, r, map[string]any{
				"member_id":                          memberID,
				"member.name":                        "Ada King",
				"member.untrusted_metadata.theme":    "light",
				"member.trusted_metadata.department": "engineering",
			})
		}},
		{"organizations/search_members", func(t *testing.T, r result) {
			members, _ := r.Body.Get("members").([]any)
			if len(members) != 1 || members[0].(map[string]any)["member_id"] != memberID {
				t.Fatalf("search by email: %s", r)
			}
			if r.Body.Str("organizations."+orgID+".organization_id") != orgID {
				t.Fatalf("search lacks the member's organization: %s", r)
			}
		}},
		{"organizations/dangerously_get_member", func(t *testing.T, r result) {
			want(t, r, map[string]any{"member_id": memberID, "member.name": "Ada King", "organization.organization_id": orgID})
		}},
		{"magiclinks/login_or_signup", func(t *testing.T, r result) {
			want(t, r, map[string]any{"member_id": memberID, "member_created": false, "organization.organization_id": orgID})
			mail := env.LastEmail(t, vars["email"])
			if !strings.HasPrefix(mail.Link(), "https://app.example.com/auth/callback?") || mail.Token() == "" {
				t.Fatalf("login email link %q", mail.Link())
			}
			vars["magic_links_token"] = mail.Token()
		}},
		{"magiclinks/authenticate", func(t *testing.T, r result) {
			want(t, r, map[string]any{
				"member_id":                          memberID,
				"organization_id":                    orgID,
				"member_authenticated":               true,
				"member.email_address_verified":      true,
				"member_session.member_id":           memberID,
				"member_session.organization_id":     orgID,
				"member_session.organization_slug":   vars["slug"],
				"member_session.custom_claims.tier":  "gold",
				"organization.organization_id":       orgID,
				"organization.organization_slug":     vars["slug"],
				"intermediate_session_token":         "",
				"member.untrusted_metadata.theme":    "light",
				"member.trusted_metadata.department": "engineering",
			})
			sessionID, sessionToken = r.Body.Str("member_session.member_session_id"), r.Body.Str("session_token")
			if sessionID == "" || sessionToken == "" || strings.Count(r.Body.Str("session_jwt"), ".") != 2 {
				t.Fatalf("no session: %s", r)
			}
			vars["member_session_id"], vars["session_token"] = sessionID, sessionToken
		}},
		{"sessions/authenticate_session", func(t *testing.T, r result) {
			want(t, r, map[string]any{
				"member_session.member_session_id":  sessionID,
				"member_session.custom_claims.tier": "gold",
				"session_token":                     sessionToken,
				"member.member_id":                  memberID,
				"organization.organization_id":      orgID,
			})
			exp, err := time.Parse(time.RFC3339, r.Body.Str("member_session.expires_at"))
			if d := time.Until(exp); err != nil || d < 110*time.Minute || d > 130*time.Minute {
				t.Errorf("session_duration_minutes 120 gave expires_at %q", r.Body.Str("member_session.expires_at"))
			}
		}},
		{"sessions/get_sessions", func(t *testing.T, r result) {
			sessions, _ := r.Body.Get("member_sessions").([]any)
			if len(sessions) != 1 || sessions[0].(map[string]any)["member_session_id"] != sessionID {
				t.Fatalf("sessions: %s", r)
			}
		}},
		{"sessions/revoke_session", func(t *testing.T, r result) {
			// The revoked session no longer authenticates: replay the authenticate event.
			again := run(t, "sessions/authenticate_session")
			expectError(t, again, http.StatusNotFound, "session_not_found")
		}},
		{"sessions/migrate_session", func(t *testing.T, r result) {
			// Ada's session of the previous system becomes one of Acme's: a session for her
			// member, whose factor is the migration's, proving her address in Acme.
			want(t, r, map[string]any{
				"member_id":                                                          memberID,
				"member.email_address":                                               vars["email"],
				"organization.organization_id":                                       orgID,
				"member_session.member_id":                                           memberID,
				"member_session.organization_id":                                     orgID,
				"member_authenticated":                                               true,
				"intermediate_session_token":                                         "",
				"member_session.authentication_factors.0.type":                       "imported",
				"member_session.authentication_factors.0.delivery_method":            "session_migration",
				"member_session.authentication_factors.0.email_factor.email_address": vars["email"],
			})
			token, id := r.Body.Str("session_token"), r.Body.Str("member_session.member_session_id")
			if token == "" || strings.Count(r.Body.Str("session_jwt"), ".") != 2 {
				t.Fatalf("no session: %s", r)
			}
			expectOK(t, runWith(t, "sessions/authenticate_session", map[string]string{"session_token": token}))
			// Ended again, so Ada's sessions are what the later steps expect.
			expectOK(t, runWith(t, "sessions/revoke_session", map[string]string{"member_session_id": id}))
		}},
		{"magiclinks/invite", func(t *testing.T, r result) {
			want(t, r, map[string]any{
				"member.email_address":                   vars["invite_email"],
				"member.name":                            "Grace Hopper",
				"member.status":                          "invited",
				"member.untrusted_metadata.invited_from": "admin-console",
				"organization.organization_id":           orgID,
			})
			if id := r.Body.Str("member_id"); id == "" || id == memberID {
				t.Errorf("invite member_id %q", id)
			}
			if link := env.LastEmail(t, vars["invite_email"]).Link(); !strings.HasPrefix(link, "https://app.example.com/auth/invite?") {
				t.Errorf("invite email link %q", link)
			}
		}},
		// Ada logs in by an emailed code too: the same member, with an otp factor.
		{"magiclinks/otp_login_or_signup", func(t *testing.T, r result) {
			want(t, r, map[string]any{"member_id": memberID, "member_created": false, "organization.organization_id": orgID})
			if vars["otp_code"] = env.LastEmail(t, vars["email"]).Code(); vars["otp_code"] == "" {
				t.Fatalf("no code in the email")
			}
		}},
		{"magiclinks/otp_authenticate", func(t *testing.T, r result) {
			want(t, r, map[string]any{"member_id": memberID, "organization_id": orgID, "member_authenticated": true,
				"member_session.authentication_factors.0.type":            "otp",
				"member_session.authentication_factors.0.delivery_method": "email"})
			expectError(t, run(t, "magiclinks/otp_authenticate"), http.StatusNotFound, "otp_code_not_found")
		}},
		{"magiclinks/otp_discovery_send", func(t *testing.T, r result) {
			if vars["otp_code"] = env.LastEmail(t, vars["email"]).Code(); vars["otp_code"] == "" {
				t.Fatalf("no code in the discovery email")
			}
		}},
		{"magiclinks/otp_discovery_authenticate", func(t *testing.T, r result) {
			want(t, r, map[string]any{"email_address": vars["email"]})
			if r.Body.Str("intermediate_session_token") == "" || discovered(t, r)[orgID] == nil {
				t.Fatalf("discovery by code: %s", r)
			}
		}},
		{"magiclinks/discovery_send", func(t *testing.T, r result) {
			if keys := slices.Sorted(maps.Keys(r.Body.Body)); !slices.Equal(keys, []string{"request_id", "status_code"}) {
				t.Errorf("discovery send answers only request_id and status_code: %s", r)
			}
			mail := env.LastEmail(t, vars["email"])
			u, err := url.Parse(mail.Link())
			if err != nil || !strings.HasPrefix(mail.Link(), "http://localhost:3000/discover?") ||
				u.Query().Get("stytch_token_type") != "discovery" || mail.Token() == "" {
				t.Fatalf("discovery email link %q", mail.Link())
			}
			vars["discovery_magic_links_token"] = mail.Token()
		}},
		{"magiclinks/discovery_authenticate", func(t *testing.T, r result) {
			want(t, r, map[string]any{"email_address": vars["email"]})
			if vars["intermediate_session_token"] = r.Body.Str("intermediate_session_token"); vars["intermediate_session_token"] == "" {
				t.Fatalf("no intermediate_session_token: %s", r)
			}
			for _, k := range []string{"session_token", "session_jwt", "member_session"} {
				if _, ok := r.Body.Body[k]; ok {
					t.Errorf("discovery authenticate returned %s: no organization is chosen yet", k)
				}
			}
			orgs := discovered(t, r)
			d := orgs[orgID]
			if len(orgs) != 1 || d == nil {
				t.Fatalf("Ada is a member of Acme only: %s", r)
			}
			for path, v := range map[string]any{
				"member_authenticated":           true,
				"membership.type":                "active_member",
				"membership.details":             nil,
				"membership.member.member_id":    memberID,
				"membership.member.status":       "active",
				"organization.organization_id":   orgID,
				"organization.organization_slug": vars["slug"],
				"primary_required":               nil,
				"mfa_required":                   nil,
			} {
				if got := field(d, path); !reflect.DeepEqual(got, v) {
					t.Errorf("discovered Acme: %s = %#v, want %#v", path, got, v)
				}
			}
			// The link is single use.
			expectError(t, run(t, "magiclinks/discovery_authenticate"), http.StatusNotFound, "magic_link_not_found")
		}},
		{"discovery/list_organizations", func(t *testing.T, r result) {
			want(t, r, map[string]any{"email_address": vars["email"]})
			if hint, ok := r.Body.Body["organization_id_hint"]; !ok || hint != nil {
				t.Errorf("organization_id_hint %#v (present: %v), want null", hint, ok)
			}
			orgs := discovered(t, r)
			if d := orgs[orgID]; len(orgs) != 1 || field(d, "membership.type") != "active_member" || d["member_authenticated"] != true {
				t.Fatalf("listing from the intermediate session: %s", r)
			}
		}},
		{"discovery/exchange_intermediate_session", func(t *testing.T, r result) {
			// Listing did not consume the intermediate session; the exchange does.
			want(t, r, map[string]any{
				"member_authenticated":              true,
				"member_id":                         memberID,
				"organization_id":                   orgID,
				"member.email_address":              vars["email"],
				"member.status":                     "active",
				"organization.organization_slug":    vars["slug"],
				"member_session.member_id":          memberID,
				"member_session.organization_id":    orgID,
				"member_session.custom_claims.tier": "gold",
				"intermediate_session_token":        "",
				"mfa_required":                      nil,
				"primary_required":                  nil,
			})
			token := r.Body.Str("session_token")
			if token == "" || token == sessionToken || strings.Count(r.Body.Str("session_jwt"), ".") != 2 {
				t.Fatalf("no new session: %s", r)
			}
			factors, _ := r.Body.Get("member_session.authentication_factors").([]any)
			if len(factors) != 1 || field(factors[0], "type") != "magic_link" || field(factors[0], "email_factor.email_address") != vars["email"] {
				t.Errorf("authentication_factors %v, want the discovery magic link", factors)
			}
			expectError(t, run(t, "discovery/exchange_intermediate_session"), http.StatusNotFound, "intermediate_session_not_found")
			vars["session_token"] = token
			a := run(t, "sessions/authenticate_session")
			expectOK(t, a)
			want(t, a, map[string]any{"member.member_id": memberID, "organization.organization_id": orgID})

			// Ada's colleague, no member of Acme, discovers it as open to their email domain; their
			// intermediate session creates the next organization.
			orgs := discovered(t, discover(t, founderEmail))
			d := orgs[orgID]
			if len(orgs) != 1 || d == nil {
				t.Fatalf("the founder may join Acme only: %v", orgs)
			}
			for path, v := range map[string]any{
				"member_authenticated":      true,
				"membership.type":           "eligible_to_join_by_email_domain",
				"membership.details.domain": "acme.example.com",
				"membership.member":         nil,
			} {
				if got := field(d, path); !reflect.DeepEqual(got, v) {
					t.Errorf("Acme for the founder: %s = %#v, want %#v", path, got, v)
				}
			}
		}},
		{"discovery/create_organization", func(t *testing.T, r result) {
			labsID, founderID = r.Body.Str("organization.organization_id"), r.Body.Str("member_id")
			if labsID == "" || labsID == orgID || founderID == "" {
				t.Fatalf("no new organization and member: %s", r)
			}
			want(t, r, map[string]any{
				"organization_id":                     labsID,
				"organization.organization_name":      "Acme Labs",
				"organization.organization_slug":      vars["discovery_slug"],
				"organization.organization_logo_url":  "https://labs.acme.example.com/logo.png",
				"organization.trusted_metadata.plan":  "starter",
				"organization.email_jit_provisioning": "NOT_ALLOWED",
				"member.member_id":                    founderID,
				"member.organization_id":              labsID,
				"member.email_address":                founderEmail,
				"member.email_address_verified":       true,
				"member.status":                       "active",
				"member.is_admin":                     true,
				"member_authenticated":                true,
				"member_session.member_id":            founderID,
				"member_session.organization_id":      labsID,
				"member_session.organization_slug":    vars["discovery_slug"],
				"intermediate_session_token":          "",
			})
			roles, _ := r.Body.Get("member.roles").([]any)
			if !slices.ContainsFunc(roles, func(r any) bool { return field(r, "role_id") == "stytch_admin" }) {
				t.Errorf("the founder is not stytch_admin: roles %v", roles)
			}
			if founderLabsToken = r.Body.Str("session_token"); founderLabsToken == "" || strings.Count(r.Body.Str("session_jwt"), ".") != 2 {
				t.Fatalf("no session: %s", r)
			}
			expectError(t, run(t, "discovery/create_organization"), http.StatusNotFound, "intermediate_session_not_found")
			vars["session_token"] = founderLabsToken
			// Acme invites the founder, so the session exchange below has a member to land on: an
			// exchange accepts invites but creates nobody by email domain.
			inv := runWith(t, "magiclinks/invite", map[string]string{"invite_email": founderEmail})
			expectOK(t, inv)
			founderInAcme = inv.Body.Str("member_id")
		}},
		{"sessions/exchange_session", func(t *testing.T, r result) {
			// From Acme Labs into Acme, accepting Acme's invite.
			newID := r.Body.Str("member_id")
			if newID == "" || newID != founderInAcme {
				t.Fatalf("exchange did not land on the invited member %s: %s", founderInAcme, r)
			}
			want(t, r, map[string]any{
				"member_authenticated":           true,
				"organization_id":                orgID,
				"organization.organization_id":   orgID,
				"member.organization_id":         orgID,
				"member.email_address":           founderEmail,
				"member.email_address_verified":  true,
				"member.status":                  "active",
				"member_session.member_id":       newID,
				"member_session.organization_id": orgID,
				"intermediate_session_token":     "",
			})
			token := r.Body.Str("session_token")
			if token == "" || token == founderLabsToken || strings.Count(r.Body.Str("session_jwt"), ".") != 2 {
				t.Fatalf("no new session: %s", r)
			}
			factors, _ := r.Body.Get("member_session.authentication_factors").([]any)
			if len(factors) != 1 || field(factors[0], "type") != "magic_link" {
				t.Errorf("the new session carries the old one's factors: %v", factors)
			}
			a := runWith(t, "sessions/authenticate_session", map[string]string{"session_token": token})
			expectOK(t, a)
			want(t, a, map[string]any{"member.member_id": newID, "organization.organization_id": orgID})
			// The Acme Labs session is left as it is (listed without touching its expiry).
			l := runWith(t, "sessions/get_sessions", map[string]string{"organization_id": labsID, "member_id": founderID})
			expectOK(t, l)
			if s, _ := l.Body.Get("member_sessions").([]any); len(s) != 1 || field(s[0], "organization_id") != labsID {
				t.Errorf("Acme Labs sessions: %s", l)
			}
		}},
		{"organizations/delete_member", func(t *testing.T, r result) {
			want(t, r, map[string]any{"member_id": memberID})
			gone := run(t, "organizations/get_member")
			expectError(t, gone, http.StatusNotFound, "member_not_found")
		}},
		{"organizations/reactivate_member", func(t *testing.T, r result) {
			want(t, r, map[string]any{"member_id": memberID, "member.status": "active", "member.name": "Ada King", "organization.organization_id": orgID})
			expectOK(t, run(t, "organizations/get_member"))
		}},
		// Ada moves to a new address: the link goes to the new address, and redeeming it makes
		// that address current and verified, the old one retired; then she unlinks the old one.
		{"magiclinks/start_email_update", func(t *testing.T, r result) {
			want(t, r, map[string]any{"member_id": memberID, "member.email_address": vars["email"], "organization.organization_id": orgID})
			mail := env.LastEmail(t, vars["new_email"])
			if !strings.HasPrefix(mail.Link(), "https://app.example.com/auth/callback?") || mail.Token() == "" {
				t.Fatalf("email update link %q", mail.Link())
			}
			a := runWith(t, "magiclinks/authenticate", map[string]string{"magic_links_token": mail.Token()})
			want(t, a, map[string]any{"member_id": memberID, "member.email_address": vars["new_email"],
				"member.email_address_verified": true, "member.retired_email_addresses.0.email_address": vars["email"],
				"member_session.authentication_factors.0.email_factor.email_address": vars["new_email"]})
		}},
		{"organizations/unlink_retired_email", func(t *testing.T, r result) {
			want(t, r, map[string]any{"member_id": memberID, "organization_id": orgID, "member.email_address": vars["new_email"],
				"member.retired_email_addresses": []any{}})
			vars["password_email"] = vars["new_email"] // Ada's address from now on, which her password goes with
		}},
		// Passwords: Ada sets her first password from an emailed link, logs in with it, changes
		// it, and sets it again from a fresh session; a member is imported with a phpass hash,
		// and that password is deleted. Passwords are organization-scoped (the default), so the
		// cross-organization calls are refused.
		{"passwords/strength_check", func(t *testing.T, r result) {
			want(t, r, map[string]any{"valid_password": true, "strength_policy": "zxcvbn", "breached_password": false,
				"luds_feedback": nil})
			if score, _ := r.Body.Get("score").(float64); score < 3 {
				t.Errorf("score %v for a strong password: %s", score, r)
			}
			weak := runWith(t, "passwords/strength_check", map[string]string{"password": "password123"})
			expectOK(t, weak)
			want(t, weak, map[string]any{"valid_password": false})
			if s, _ := weak.Body.Get("zxcvbn_feedback.suggestions").([]any); len(s) == 0 {
				t.Errorf("no suggestions for a weak password: %s", weak)
			}
		}},
		{"passwords/reset_start", func(t *testing.T, r result) {
			want(t, r, map[string]any{"member_id": memberID, "member.email_address": vars["password_email"],
				"member.member_password_id": ""})
			if r.Body.Str("member_email_id") == "" {
				t.Errorf("no member_email_id: %s", r)
			}
			mail := env.LastEmail(t, vars["password_email"])
			prefix := "https://app.example.com/auth/reset-password?slug=" + vars["slug"] + "&stytch_token_type=multi_tenant_passwords&token="
			if !strings.HasPrefix(mail.Link(), prefix) || mail.Token() == "" {
				t.Fatalf("reset email link %q, want %s...", mail.Link(), prefix)
			}
			if mail.Subject != "Set your password for Acme Corporation EU" {
				t.Errorf("a member without a password is asked to set one: subject %q", mail.Subject)
			}
			vars["password_reset_token"] = mail.Token()
		}},
		{"passwords/reset", func(t *testing.T, r result) {
			want(t, r, map[string]any{
				"member_id":                                    memberID,
				"organization_id":                              orgID,
				"member_authenticated":                         true,
				"member.email_address":                         vars["password_email"],
				"member.email_address_verified":                true,
				"member_session.member_id":                     memberID,
				"member_session.custom_claims.tier":            "gold",
				"member_session.authentication_factors.0.type": "password",
				"member_session.authentication_factors.0.email_factor.email_address": vars["password_email"],
				"intermediate_session_token":                                         "",
			})
			vars["member_password_id"] = r.Body.Str("member.member_password_id")
			if !strings.HasPrefix(vars["member_password_id"], "member-password-") || r.Body.Str("session_token") == "" {
				t.Fatalf("no password or session: %s", r)
			}
			if r.Body.Str("member_email_id") == "" {
				t.Errorf("no member_email_id: %s", r)
			}
			// The link works once.
			expectError(t, run(t, "passwords/reset"), http.StatusUnauthorized, "unable_to_auth_password_reset_token")
			m := run(t, "organizations/get_member")
			want(t, m, map[string]any{"member.member_password_id": vars["member_password_id"]})
		}},
		{"passwords/authenticate", func(t *testing.T, r result) {
			want(t, r, map[string]any{
				"member_id":                         memberID,
				"organization_id":                   orgID,
				"member_authenticated":              true,
				"member.member_password_id":         vars["member_password_id"],
				"member_session.member_id":          memberID,
				"member_session.organization_id":    orgID,
				"member_session.custom_claims.tier": "gold",
				"intermediate_session_token":        "",
			})
			factors, _ := r.Body.Get("member_session.authentication_factors").([]any)
			if len(factors) != 1 || field(factors[0], "type") != "password" || field(factors[0], "delivery_method") != "knowledge" {
				t.Errorf("authentication_factors %v, want the password", factors)
			}
			if passwordSession = r.Body.Str("session_token"); passwordSession == "" || strings.Count(r.Body.Str("session_jwt"), ".") != 2 {
				t.Fatalf("no session: %s", r)
			}
			wrong := runWith(t, "passwords/authenticate", map[string]string{"password": vars["new_password"]})
			expectError(t, wrong, http.StatusUnauthorized, "unauthorized_credentials")
		}},
		{"passwords/existing_password_reset", func(t *testing.T, r result) {
			want(t, r, map[string]any{"member_id": memberID, "organization_id": orgID, "member_authenticated": true,
				"member_session.authentication_factors.0.type": "password"})
			token := r.Body.Str("session_token")
			if token == "" || token == passwordSession {
				t.Fatalf("no new session: %s", r)
			}
			// The member's other sessions end: the login's among them.
			gone := runWith(t, "sessions/authenticate_session", map[string]string{"session_token": passwordSession})
			expectError(t, gone, http.StatusNotFound, "session_not_found")
			expectError(t, run(t, "passwords/authenticate"), http.StatusUnauthorized, "unauthorized_credentials")
			expectOK(t, runWith(t, "passwords/authenticate", map[string]string{"password": vars["new_password"]}))
			// The session just made proved Ada's address a moment ago: it may set the password.
			vars["session_token"] = token
		}},
		{"passwords/session_reset", func(t *testing.T, r result) {
			want(t, r, map[string]any{"member_id": memberID, "organization_id": orgID, "member_authenticated": true,
				"member_session.member_id": memberID})
			token := r.Body.Str("session_token")
			if token == "" || token == vars["session_token"] {
				t.Fatalf("no new session: %s", r)
			}
			factors, _ := r.Body.Get("member_session.authentication_factors").([]any)
			if !slices.ContainsFunc(factors, func(f any) bool { return field(f, "type") == "password" }) {
				t.Errorf("authentication_factors %v lack the password", factors)
			}
			// Every other session ends, the presented one included.
			expectError(t, run(t, "sessions/authenticate_session"), http.StatusNotFound, "session_not_found")
			expectOK(t, runWith(t, "sessions/authenticate_session", map[string]string{"session_token": token}))
			// The password is the one set here again, not the one it replaced.
			expectError(t, runWith(t, "passwords/authenticate", map[string]string{"password": vars["new_password"]}),
				http.StatusUnauthorized, "unauthorized_credentials")
			a := run(t, "passwords/authenticate")
			expectOK(t, a)
			vars["session_token"] = a.Body.Str("session_token")
		}},
		{"passwords/require_reset", func(t *testing.T, r result) {
			expectError(t, r, http.StatusBadRequest, "cross_org_passwords_not_enabled")
			expectOK(t, run(t, "passwords/authenticate")) // the password is untouched
		}},
		{"passwords/discovery_authenticate", func(t *testing.T, r result) {
			expectError(t, r, http.StatusBadRequest, "cross_org_passwords_not_enabled")
		}},
		{"passwords/discovery_reset_start", func(t *testing.T, r result) {
			expectError(t, r, http.StatusBadRequest, "cross_org_passwords_not_enabled")
		}},
		{"passwords/discovery_reset", func(t *testing.T, r result) {
			expectError(t, r, http.StatusBadRequest, "cross_org_passwords_not_enabled")
		}},
		{"passwords/migrate", func(t *testing.T, r result) {
			imported := r.Body.Str("member_id")
			if imported == "" || imported == memberID {
				t.Fatalf("no new member: %s", r)
			}
			want(t, r, map[string]any{
				"member_created":                     true,
				"member.member_id":                   imported,
				"member.organization_id":             orgID,
				"member.email_address":               vars["migrate_email"],
				"member.email_address_verified":      true,
				"member.name":                        "Charles Babbage",
				"member.status":                      "active",
				"member.trusted_metadata.department": "engineering",
				"organization.organization_id":       orgID,
			})
			vars["member_password_id"] = r.Body.Str("member.member_password_id")
			if !strings.HasPrefix(vars["member_password_id"], "member-password-") {
				t.Fatalf("no member_password_id: %s", r)
			}
			// The imported hash logs in with the password it was made from.
			with := map[string]string{"password_email": vars["migrate_email"], "password": "test12345"}
			a := runWith(t, "passwords/authenticate", with)
			expectOK(t, a)
			want(t, a, map[string]any{"member_id": imported, "member_authenticated": true})
			expectError(t, run(t, "passwords/migrate"), http.StatusBadRequest, "password_already_exists")
		}},
		{"passwords/delete_password", func(t *testing.T, r result) {
			want(t, r, map[string]any{"member.email_address": vars["migrate_email"], "member.member_password_id": "",
				"organization.organization_id": orgID})
			expectError(t, run(t, "passwords/delete_password"), http.StatusNotFound, "member_password_not_found")
			with := map[string]string{"password_email": vars["migrate_email"], "password": "test12345"}
			expectError(t, runWith(t, "passwords/authenticate", with), http.StatusUnauthorized, "unauthorized_credentials")
			expectOK(t, run(t, "passwords/authenticate")) // Ada's is another password
		}},
		// MFA: in Acme (OPTIONAL), Ada steps her password session up with a TOTP, whose recovery
		// codes she rotates and spends one of; the TOTP is deleted, and one from another system
		// imported. With that second factor proved, she links a phone by SMS, which is deleted.
		{"mfa/totp_create", func(t *testing.T, r result) {
			totpID = r.Body.Str("totp_registration_id")
			secret := r.Body.Str("secret")
			codes, _ := r.Body.Get("recovery_codes").([]any)
			if !strings.HasPrefix(totpID, "member-totp-") || len(secret) != 32 || len(codes) != 10 ||
				!strings.HasPrefix(r.Body.Str("qr_code"), "data:image/png;base64,") {
				t.Fatalf("no registration: %s", r)
			}
			// Pending until its first code: the member does not show it yet.
			want(t, r, map[string]any{"member_id": memberID, "member.totp_registration_id": "", "organization.organization_id": orgID})
			firstCodes = codes
			vars["totp_code"] = totpCode(t, secret, env.Clock.Now())
			wrong := runWith(t, "mfa/totp_authenticate", map[string]string{"totp_code": "12345"})
			expectError(t, wrong, http.StatusBadRequest, "invalid_totp_code")
		}},
		{"mfa/totp_authenticate", func(t *testing.T, r result) {
			want(t, r, map[string]any{
				"member_id":                         memberID,
				"member.totp_registration_id":       totpID,
				"member.default_mfa_method":         "totp",
				"member.mfa_enrolled":               false, // not asked to: the next login owes no second factor
				"member_session.member_id":          memberID,
				"member_session.organization_id":    orgID,
				"member_session.custom_claims.tier": "gold",
				"organization.organization_id":      orgID,
			})
			factors, _ := r.Body.Get("member_session.authentication_factors").([]any)
			if len(factors) != 2 || field(factors[0], "type") != "password" || field(factors[1], "type") != "totp" ||
				field(factors[1], "delivery_method") != "authenticator_app" || field(factors[1], "authenticator_app_factor.totp_id") != totpID {
				t.Errorf("authentication_factors %v, want the password and the TOTP", factors)
			}
			token := r.Body.Str("session_token")
			if token == "" || token == vars["session_token"] || strings.Count(r.Body.Str("session_jwt"), ".") != 2 {
				t.Fatalf("no new session: %s", r)
			}
			// The stepped-up session replaces the one presented.
			expectError(t, run(t, "sessions/authenticate_session"), http.StatusNotFound, "session_not_found")
			vars["session_token"] = token
			expectOK(t, run(t, "sessions/authenticate_session"))
			// A code works once.
			expectError(t, run(t, "mfa/totp_authenticate"), http.StatusBadRequest, "totp_code_already_authenticated")
		}},
		{"mfa/recovery_codes_rotate", func(t *testing.T, r result) {
			want(t, r, map[string]any{"member_id": memberID, "member.totp_registration_id": totpID, "organization.organization_id": orgID})
			codes, _ := r.Body.Get("recovery_codes").([]any)
			if len(codes) != 10 || slices.Contains(firstCodes, codes[0]) {
				t.Fatalf("no new codes: %s", r)
			}
			// The codes that came with the registration are void.
			old := runWith(t, "mfa/recovery_codes_recover", map[string]string{"recovery_code": firstCodes[0].(string)})
			expectError(t, old, http.StatusUnauthorized, "unable_to_authenticate_recovery_code")
			vars["recovery_code"] = codes[0].(string)
		}},
		{"mfa/recovery_codes_recover", func(t *testing.T, r result) {
			want(t, r, map[string]any{"member_id": memberID, "recovery_codes_remaining": float64(9),
				"member_session.member_id": memberID, "organization.organization_id": orgID})
			factors, _ := r.Body.Get("member_session.authentication_factors").([]any)
			if !slices.ContainsFunc(factors, func(f any) bool {
				return field(f, "type") == "recovery_codes" && field(f, "delivery_method") == "recovery_code"
			}) {
				t.Errorf("authentication_factors %v lack the recovery code", factors)
			}
			token := r.Body.Str("session_token")
			if token == "" || token == vars["session_token"] {
				t.Fatalf("no new session: %s", r)
			}
			vars["session_token"] = token
			// A code works once.
			expectError(t, run(t, "mfa/recovery_codes_recover"), http.StatusUnauthorized, "unable_to_authenticate_recovery_code")
		}},
		{"mfa/recovery_codes_get", func(t *testing.T, r result) {
			// Recovery codes are kept only as hashes: shown once, never read back.
			expectError(t, r, http.StatusBadRequest, "recovery_codes_shown_once")
			if strings.Contains(string(r.Body.Raw), vars["recovery_code"]) {
				t.Errorf("a recovery code in the answer: %s", r)
			}
			unknown := runWith(t, "mfa/recovery_codes_get", map[string]string{"member_id": "member-test-" + uuid.NewString()})
			expectError(t, unknown, http.StatusNotFound, "member_not_found")
		}},
		{"mfa/delete_totp", func(t *testing.T, r result) {
			want(t, r, map[string]any{"member_id": memberID, "member.totp_registration_id": "", "member.default_mfa_method": "",
				"organization.organization_id": orgID})
			m := run(t, "organizations/get_member")
			want(t, m, map[string]any{"member.totp_registration_id": ""})
			expectError(t, run(t, "mfa/delete_totp"), http.StatusNotFound, "totp_not_found")
			// Its recovery codes went with it.
			expectError(t, run(t, "mfa/recovery_codes_rotate"), http.StatusNotFound, "no_active_recovery_code_backed_factor")
			// Sessions that used it stay valid, as in Stytch.
			expectOK(t, run(t, "sessions/authenticate_session"))
		}},
		{"mfa/totp_migrate", func(t *testing.T, r result) {
			migrated := r.Body.Str("totp_registration_id")
			if !strings.HasPrefix(migrated, "member-totp-") || migrated == totpID {
				t.Fatalf("no new registration: %s", r)
			}
			// Active at once, with the recovery codes it came with; the secret is not echoed.
			want(t, r, map[string]any{"member_id": memberID, "member.totp_registration_id": migrated, "member.default_mfa_method": "totp",
				"recovery_codes": []any{"k7m2-q9x4-ab3d", "p5n8-w2r6-ct7e"}, "secret": nil, "organization.organization_id": orgID})
			expectError(t, run(t, "mfa/totp_migrate"), http.StatusBadRequest, "active_totp_exists")
			// The imported key's codes authenticate.
			a := runWith(t, "mfa/totp_authenticate", map[string]string{"totp_code": totpCode(t, vars["totp_secret"], env.Clock.Now())})
			expectOK(t, a)
			want(t, a, map[string]any{"member_id": memberID, "member.totp_registration_id": migrated})
			factors, _ := a.Body.Get("member_session.authentication_factors").([]any)
			if !slices.ContainsFunc(factors, func(f any) bool { return field(f, "authenticator_app_factor.totp_id") == migrated }) {
				t.Errorf("authentication_factors %v lack the imported TOTP", factors)
			}
			// Ada now has a second factor: a session from her password alone cannot add another.
			p := run(t, "passwords/authenticate")
			expectOK(t, p)
			weak := runWith(t, "mfa/sms_send", map[string]string{"session_token": p.Body.Str("session_token")})
			expectError(t, weak, http.StatusBadRequest, "insufficient_factors")
			vars["session_token"] = a.Body.Str("session_token") // the newest, which proved the TOTP
		}},
		{"mfa/sms_send", func(t *testing.T, r result) {
			// The number becomes Ada's only when a code sent to it is authenticated.
			want(t, r, map[string]any{"member_id": memberID, "member.mfa_phone_number": "",
				"member.mfa_phone_number_verified": false, "organization.organization_id": orgID})
			text := env.LastText(t, vars["phone_number"])
			if vars["sms_code"] = text.Code(); vars["sms_code"] == "" || !strings.HasPrefix(text.Body, "Acme Corporation EU: ") {
				t.Fatalf("text %q", text.Body)
			}
		}},
		{"mfa/sms_authenticate", func(t *testing.T, r result) {
			want(t, r, map[string]any{"member_id": memberID, "member.mfa_phone_number": vars["phone_number"],
				"member.mfa_phone_number_verified": true, "member.default_mfa_method": "totp", // the first second factor's
				"member_session.member_id": memberID, "organization.organization_id": orgID})
			factors, _ := r.Body.Get("member_session.authentication_factors").([]any)
			if !slices.ContainsFunc(factors, func(f any) bool {
				return field(f, "type") == "otp" && field(f, "delivery_method") == "sms" &&
					field(f, "phone_number_factor.phone_number") == vars["phone_number"]
			}) {
				t.Errorf("authentication_factors %v lack the texted code", factors)
			}
			token := r.Body.Str("session_token")
			if token == "" || token == vars["session_token"] {
				t.Fatalf("no new session: %s", r)
			}
			vars["session_token"] = token
			expectError(t, run(t, "mfa/sms_authenticate"), http.StatusNotFound, "otp_code_not_found")
			// A member with a verified number may not send to another.
			other := runWith(t, "mfa/sms_send", map[string]string{"phone_number": "+15555550111"})
			expectError(t, other, http.StatusBadRequest, "member_phone_number_mismatch")
		}},
		{"mfa/delete_mfa_phone_number", func(t *testing.T, r result) {
			want(t, r, map[string]any{"member_id": memberID, "member.mfa_phone_number": "", "member.mfa_phone_number_verified": false,
				"organization.organization_id": orgID})
			m := run(t, "organizations/get_member")
			want(t, m, map[string]any{"member.mfa_phone_number": ""})
			expectError(t, run(t, "mfa/delete_mfa_phone_number"), http.StatusNotFound, "member_phone_number_not_found")
		}},
		// SCIM: the organization connects its identity provider, which provisions a user and a
		// group; the group gives Ada a role; the bearer token is rotated; all is deprovisioned.
		{"scim/create_connection", func(t *testing.T, r result) {
			vars["connection_id"], vars["scim_bearer"] = r.Body.Str("connection.connection_id"), r.Body.Str("connection.bearer_token")
			if !strings.HasPrefix(vars["connection_id"], "scim-connection-") || len(vars["scim_bearer"]) < 40 ||
				!strings.HasSuffix(r.Body.Str("connection.base_url"), "/scim/v2/"+vars["connection_id"]) {
				t.Fatalf("no connection: %s", r)
			}
			want(t, r, map[string]any{"connection.organization_id": orgID, "connection.status": "active",
				"connection.identity_provider": "okta", "connection.display_name": "Okta"})
		}},
		{"scim/get_connection", func(t *testing.T, r result) {
			bearer := vars["scim_bearer"]
			want(t, r, map[string]any{"connection.connection_id": vars["connection_id"],
				"connection.bearer_token_last_four": bearer[len(bearer)-4:], "connection.bearer_token": nil})
			o := run(t, "organizations/get_organization")
			want(t, o, map[string]any{"organization.scim_active_connection.connection_id": vars["connection_id"]})
		}},
		{"scim/service_provider_config", func(t *testing.T, r result) {
			expectSCIM(t, r, http.StatusOK)
			want(t, r, map[string]any{"patch.supported": true, "filter.supported": true})
		}},
		{"scim/resource_types", func(t *testing.T, r result) {
			expectSCIM(t, r, http.StatusOK)
			want(t, r, map[string]any{"totalResults": float64(2)})
		}},
		{"scim/resource_type", func(t *testing.T, r result) {
			expectSCIM(t, r, http.StatusOK)
			want(t, r, map[string]any{"id": "User", "endpoint": "/Users"})
		}},
		{"scim/schemas", func(t *testing.T, r result) {
			expectSCIM(t, r, http.StatusOK)
			want(t, r, map[string]any{"totalResults": float64(3)})
		}},
		{"scim/schema", func(t *testing.T, r result) {
			expectSCIM(t, r, http.StatusOK)
			want(t, r, map[string]any{"id": "urn:ietf:params:scim:schemas:core:2.0:User", "name": "User"})
		}},
		{"scim/list_users", func(t *testing.T, r result) {
			// Okta looks the user up before it creates it.
			expectSCIM(t, r, http.StatusOK)
			want(t, r, map[string]any{"totalResults": float64(0), "startIndex": float64(1)})
		}},
		{"scim/create_user", func(t *testing.T, r result) {
			expectSCIM(t, r, http.StatusCreated)
			vars["scim_user_id"] = r.Body.Str("id")
			want(t, r, map[string]any{"userName": vars["scim_email"], "active": true, "externalId": "00u8hamilton", "password": nil})
			if loc := r.Resp.Headers["Location"]; !strings.HasSuffix(loc, "/Users/"+vars["scim_user_id"]) {
				t.Errorf("Location %q", loc)
			}
			m := runWith(t, "organizations/get_member", map[string]string{"member_id": vars["scim_user_id"]})
			expectOK(t, m)
			want(t, m, map[string]any{"member.email_address": vars["scim_email"], "member.name": "Margaret Hamilton",
				"member.status": "active", "member.scim_registration.connection_id": vars["connection_id"]})
			found := run(t, "scim/list_users")
			expectSCIM(t, found, http.StatusOK)
			want(t, found, map[string]any{"totalResults": float64(1)})
		}},
		{"scim/get_user", func(t *testing.T, r result) {
			expectSCIM(t, r, http.StatusOK)
			want(t, r, map[string]any{"id": vars["scim_user_id"], "name.givenName": "Margaret"})
		}},
		{"scim/replace_user", func(t *testing.T, r result) {
			expectSCIM(t, r, http.StatusOK)
			want(t, r, map[string]any{"displayName": "Margaret H. Hamilton", "name.middleName": "Heafield"})
		}},
		{"scim/patch_user", func(t *testing.T, r result) {
			expectSCIM(t, r, http.StatusOK)
			want(t, r, map[string]any{"name.givenName": "Maggie", "title": "Director", "active": true})
			m := runWith(t, "organizations/get_member", map[string]string{"member_id": vars["scim_user_id"]})
			want(t, m, map[string]any{"member.name": "Maggie Hamilton",
				"member.scim_registration.scim_attributes.enterprise_extension.department": "Apollo Guidance"})
		}},
		{"scim/create_group", func(t *testing.T, r result) {
			expectSCIM(t, r, http.StatusCreated)
			vars["scim_group_id"] = r.Body.Str("id")
			want(t, r, map[string]any{"displayName": "Engineering"})
			if !strings.HasPrefix(vars["scim_group_id"], "scim-group-") {
				t.Fatalf("no group: %s", r)
			}
		}},
		{"scim/list_groups", func(t *testing.T, r result) {
			expectSCIM(t, r, http.StatusOK)
			want(t, r, map[string]any{"totalResults": float64(1)})
			if res, _ := r.Body.Get("Resources").([]any); len(res) != 1 || field(res[0], "id") != vars["scim_group_id"] || field(res[0], "members") != nil {
				t.Errorf("Entra's lookup excludes members: %s", r)
			}
		}},
		{"scim/get_group", func(t *testing.T, r result) {
			expectSCIM(t, r, http.StatusOK)
			if m, _ := r.Body.Get("members").([]any); len(m) != 1 || field(m[0], "value") != vars["scim_user_id"] {
				t.Errorf("members: %s", r)
			}
		}},
		{"scim/replace_group", func(t *testing.T, r result) {
			expectSCIM(t, r, http.StatusOK)
			want(t, r, map[string]any{"id": vars["scim_group_id"], "displayName": "Engineering"})
		}},
		{"scim/patch_group", func(t *testing.T, r result) {
			// Ada joins the group.
			expectSCIM(t, r, http.StatusNoContent)
			g := run(t, "scim/get_group")
			if m, _ := g.Body.Get("members").([]any); len(m) != 2 {
				t.Errorf("members after the patch: %s", g)
			}
		}},
		{"scim/update_connection", func(t *testing.T, r result) {
			want(t, r, map[string]any{"connection.display_name": "Okta (Acme)"})
			a, _ := r.Body.Get("connection.scim_group_implicit_role_assignments").([]any)
			if len(a) != 1 || field(a[0], "group_id") != vars["scim_group_id"] || field(a[0], "group_name") != "Engineering" {
				t.Fatalf("assignments: %s", r)
			}
			// The group's members hold its role.
			m := run(t, "organizations/get_member")
			roles, _ := m.Body.Get("member.roles").([]any)
			if !slices.ContainsFunc(roles, func(r any) bool {
				return field(r, "role_id") == "engineer" && strings.Contains(fmt.Sprint(field(r, "sources")), "scim_connection_group")
			}) {
				t.Errorf("Ada's roles %v", roles)
			}
		}},
		{"scim/get_groups", func(t *testing.T, r result) {
			g, _ := r.Body.Get("scim_groups").([]any)
			if len(g) != 1 || field(g[0], "group_id") != vars["scim_group_id"] || field(g[0], "group_name") != "Engineering" {
				t.Fatalf("groups: %s", r)
			}
		}},
		{"scim/rotate_start", func(t *testing.T, r result) {
			next := r.Body.Str("connection.next_bearer_token")
			if next == "" || next == vars["scim_bearer"] {
				t.Fatalf("no next token: %s", r)
			}
			// Both tokens work until the rotation ends.
			expectSCIM(t, run(t, "scim/get_user"), http.StatusOK)
			expectSCIM(t, runWith(t, "scim/get_user", map[string]string{"scim_bearer": next}), http.StatusOK)
			vars["next_bearer"] = next
		}},
		{"scim/rotate_cancel", func(t *testing.T, r result) {
			expectSCIM(t, runWith(t, "scim/get_user", map[string]string{"scim_bearer": vars["next_bearer"]}), http.StatusUnauthorized)
			expectSCIM(t, run(t, "scim/get_user"), http.StatusOK)
			// Start again, for the completion that follows.
			again := run(t, "scim/rotate_start")
			expectOK(t, again)
			vars["next_bearer"] = again.Body.Str("connection.next_bearer_token")
		}},
		{"scim/rotate_complete", func(t *testing.T, r result) {
			next := vars["next_bearer"]
			want(t, r, map[string]any{"connection.bearer_token_last_four": next[len(next)-4:]})
			expectSCIM(t, run(t, "scim/get_user"), http.StatusUnauthorized)
			vars["scim_bearer"] = next
			expectSCIM(t, run(t, "scim/get_user"), http.StatusOK)
			delete(vars, "next_bearer")
		}},
		{"scim/delete_user", func(t *testing.T, r result) {
			expectSCIM(t, r, http.StatusNoContent)
			expectSCIM(t, run(t, "scim/get_user"), http.StatusNotFound)
			gone := runWith(t, "organizations/get_member", map[string]string{"member_id": vars["scim_user_id"]})
			expectError(t, gone, http.StatusNotFound, "member_not_found")
		}},
		{"scim/delete_group", func(t *testing.T, r result) {
			expectSCIM(t, r, http.StatusNoContent)
			expectSCIM(t, run(t, "scim/get_group"), http.StatusNotFound)
		}},
		{"scim/delete_connection", func(t *testing.T, r result) {
			want(t, r, map[string]any{"connection_id": vars["connection_id"]})
			expectError(t, run(t, "scim/get_connection"), http.StatusNotFound, "scim_connection_not_found")
			expectSCIM(t, run(t, "scim/get_user"), http.StatusUnauthorized)
		}},
		// SSO: Acme connects its SAML identity provider from its metadata URL, maps its
		// attributes and groups, adds the IdP's next certificate and an encryption key.
		// Katherine logs in in the browser (start, the IdP, the callback) and the application
		// redeems the token; the IdP's old certificate and the key are deleted. Then an OpenID
		// provider, through which Dorothy logs in; both connections are deleted.
		{"sso/create_saml_connection", func(t *testing.T, r result) {
			id := r.Body.Str("connection.connection_id")
			if !strings.HasPrefix(id, "saml-connection-") {
				t.Fatalf("no connection: %s", r)
			}
			vars["saml_connection_id"], vars["sso_connection_id"] = id, id
			want(t, r, map[string]any{"connection.organization_id": orgID, "connection.status": "pending",
				"connection.display_name": "Okta", "connection.identity_provider": "okta",
				"connection.acs_url": callbackURL + id, "connection.audience_uri": callbackURL + id,
				"connection.verification_certificates": []any{}, "connection.encryption_private_keys": []any{}})
			if certs, _ := r.Body.Get("connection.signing_certificates").([]any); len(certs) != 1 ||
				!strings.HasPrefix(fmt.Sprint(field(certs[0], "certificate")), "-----BEGIN CERTIFICATE-----") {
				t.Errorf("a new connection has its signing certificate: %s", r)
			}
			// Pending, it takes no logins yet.
			expectError(t, run(t, "sso/start"), http.StatusBadRequest, "requires_active_sso_connection")
		}},
		{"sso/update_saml_by_url", func(t *testing.T, r result) {
			want(t, r, map[string]any{"connection.status": "active", "connection.idp_entity_id": idp.Metadata.EntityID,
				"connection.idp_sso_url": idp.Metadata.SSOURL})
			certs, _ := r.Body.Get("connection.verification_certificates").([]any)
			if len(certs) != 1 || !strings.HasPrefix(fmt.Sprint(field(certs[0], "certificate_id")), "saml-verification-key-") {
				t.Fatalf("the IdP's certificate from its metadata: %s", r)
			}
			vars["certificate_id"] = fmt.Sprint(field(certs[0], "certificate_id"))
			o := run(t, "organizations/get_organization")
			want(t, o, map[string]any{"organization.sso_active_connections.0.connection_id": vars["saml_connection_id"]})
		}},
		{"sso/update_saml_connection", func(t *testing.T, r result) {
			want(t, r, map[string]any{"connection.status": "active", "connection.display_name": "Okta (Acme)",
				"connection.attribute_mapping.email": apptest.SAMLAttrEmail, "connection.attribute_mapping.groups": apptest.SAMLAttrGroups,
				"connection.saml_connection_implicit_role_assignments": []any{map[string]any{"role_id": "sso-user"}},
				"connection.saml_group_implicit_role_assignments":      []any{map[string]any{"role_id": "engineer", "group": "engineering"}}})
			certs, _ := r.Body.Get("connection.verification_certificates").([]any)
			if len(certs) != 2 || field(certs[0], "certificate_id") != vars["certificate_id"] || field(certs[1], "certificate_id") == vars["certificate_id"] {
				t.Fatalf("the IdP's next certificate beside its current one: %s", r)
			}
			keys, _ := r.Body.Get("connection.encryption_private_keys").([]any)
			if len(keys) != 1 || !strings.HasPrefix(fmt.Sprint(field(keys[0], "private_key_id")), "saml-encryption-key-") || field(keys[0], "private_key") != "" {
				t.Fatalf("the encryption key, listed without the key: %s", r)
			}
			vars["private_key_id"] = fmt.Sprint(field(keys[0], "private_key_id"))
			// The IdP's admin registers Acme's service provider from what the connection reports.
			signing, _ := r.Body.Get("connection.signing_certificates").([]any)
			idp.RegisterSP(t, "acme", r.Body.Str("connection.acs_url"), r.Body.Str("connection.audience_uri"), fmt.Sprint(field(signing[0], "certificate")))
			idp.AddUser(t, apptest.SAMLUser{Name: "katherine", Email: samlEmail, Groups: []string{"engineering"},
				GivenName: "Katherine", Surname: "Johnson"})
		}},
		{"sso/start", func(t *testing.T, r result) {
			// To the IdP, with a signed AuthnRequest and the flow's state as RelayState.
			to := expectRedirect(t, r, idp.Metadata.SSOURL+"?")
			q := to.Query()
			if q.Get("SAMLRequest") == "" || q.Get("RelayState") == "" || q.Get("Signature") == "" {
				t.Fatalf("AuthnRequest redirect %s", to)
			}
			post := idp.Login(t, to.String(), "katherine")
			if post.ACS != callbackURL+vars["saml_connection_id"] || post.RelayState != q.Get("RelayState") || post.SAMLResponse == "" {
				t.Fatalf("the IdP's form posts %+v", post)
			}
			vars["saml_response"], vars["relay_state"] = url.QueryEscape(post.SAMLResponse), url.QueryEscape(post.RelayState)
		}},
		{"sso/saml_callback", func(t *testing.T, r result) {
			// Katherine is new to Acme: to the signup redirect, with the token.
			q := expectRedirect(t, r, "https://app.example.com/auth/signup?").Query()
			if q.Get("stytch_token_type") != "sso" || q.Get("token") == "" {
				t.Fatalf("callback redirect %q", r.header("Location"))
			}
			vars["sso_token"] = q.Get("token")
			// The login's state is spent: the same response again answers no login in progress.
			expectError(t, run(t, "sso/saml_callback"), http.StatusBadRequest, "unsolicited_saml_response")
			// The token goes with the start's PKCE challenge; a wrong verifier does not spend it.
			wrong := runWith(t, "sso/authenticate", map[string]string{"pkce_code_verifier": "wrong-" + verifier})
			expectError(t, wrong, http.StatusBadRequest, "pkce_mismatch")
		}},
		{"sso/authenticate", func(t *testing.T, r result) {
			id := vars["saml_connection_id"]
			want(t, r, map[string]any{
				"member_authenticated":                                    true,
				"organization_id":                                         orgID,
				"member.email_address":                                    samlEmail,
				"member.email_address_verified":                           true,
				"member.name":                                             "Katherine Johnson",
				"member.status":                                           "active",
				"member.sso_registrations.0.connection_id":                id,
				"member.sso_registrations.0.external_id":                  samlEmail,
				"member_session.authentication_factors.0.type":            "sso",
				"member_session.authentication_factors.0.delivery_method": "sso_saml",
				"member_session.authentication_factors.0.saml_sso_factor.provider_id": id,
				"member_session.custom_claims.tier":                                   "gold",
				"intermediate_session_token":                                          "",
			})
			token := r.Body.Str("session_token")
			if token == "" || strings.Count(r.Body.Str("session_jwt"), ".") != 2 {
				t.Fatalf("no session: %s", r)
			}
			roles, _ := r.Body.Get("member.roles").([]any)
			for role, source := range map[string]string{"sso-user": "sso_connection", "engineer": "sso_connection_group"} {
				if !slices.ContainsFunc(roles, func(r any) bool {
					return field(r, "role_id") == role && strings.Contains(fmt.Sprint(field(r, "sources")), source)
				}) {
					t.Errorf("no role %s from the %s: %v", role, source, roles)
				}
			}
			expectError(t, run(t, "sso/authenticate"), http.StatusNotFound, "sso_token_not_found")
			a := runWith(t, "sessions/authenticate_session", map[string]string{"session_token": token})
			expectOK(t, a)
			want(t, a, map[string]any{"member.email_address": samlEmail, "organization.organization_id": orgID})
		}},
		{"sso/delete_verification_certificate", func(t *testing.T, r result) {
			want(t, r, map[string]any{"certificate_id": vars["certificate_id"]})
			// Only the IdP's next certificate verifies now: a response it signs with its current
			// key is refused.
			to := expectRedirect(t, run(t, "sso/start"), idp.Metadata.SSOURL+"?")
			post := idp.Login(t, to.String(), "katherine")
			cb := runWith(t, "sso/saml_callback", map[string]string{
				"saml_response": url.QueryEscape(post.SAMLResponse), "relay_state": url.QueryEscape(post.RelayState)})
			expectError(t, cb, http.StatusBadRequest, "invalid_signature_saml_response")
			expectError(t, run(t, "sso/delete_verification_certificate"), http.StatusNotFound, "sso_verification_key_not_found")
		}},
		{"sso/delete_encryption_private_key", func(t *testing.T, r result) {
			want(t, r, map[string]any{"private_key_id": vars["private_key_id"]})
			expectError(t, run(t, "sso/delete_encryption_private_key"), http.StatusNotFound, "sso_encryption_private_key_not_found")
		}},
		{"sso/create_oidc_connection", func(t *testing.T, r result) {
			id := r.Body.Str("connection.connection_id")
			if !strings.HasPrefix(id, "oidc-connection-") {
				t.Fatalf("no connection: %s", r)
			}
			vars["oidc_connection_id"] = id
			want(t, r, map[string]any{"connection.organization_id": orgID, "connection.status": "pending",
				"connection.display_name": "Zitadel", "connection.redirect_url": callbackURL + id, "connection.client_secret": ""})
			// The provider's admin registers the client with the connection's redirect_url.
			op = apptest.StartOIDCProvider(outer, callbackURL+id)
			op.AddUser(apptest.OIDCUser{Subject: "sub-" + tag, Username: "dorothy", Email: oidcEmail, EmailVerified: true,
				FirstName: "Dorothy", LastName: "Vaughan"})
			vars["oidc_issuer"] = op.Issuer
		}},
		{"sso/update_oidc_connection", func(t *testing.T, r result) {
			id := vars["oidc_connection_id"]
			want(t, r, map[string]any{"connection.status": "active", "connection.issuer": op.Issuer,
				"connection.client_id": apptest.OIDCClientID, "connection.client_secret": "", "warning": nil})
			for _, ep := range []string{"authorization_url", "token_url", "userinfo_url", "jwks_url"} {
				if !strings.HasPrefix(r.Body.Str("connection."+ep), op.Issuer+"/") {
					t.Errorf("%s from the issuer's discovery document: %s", ep, r)
				}
			}
			// Dorothy starts her login: to the provider, with PKCE, a nonce and the flow's state.
			st := runWith(t, "sso/start", map[string]string{"sso_connection_id": id})
			to := expectRedirect(t, st, r.Body.Str("connection.authorization_url")+"?")
			q := to.Query()
			if q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("state") == "" ||
				q.Get("client_id") != apptest.OIDCClientID || q.Get("redirect_uri") != callbackURL+id {
				t.Fatalf("authorization request %s", to)
			}
			back := op.Login(t, to.String(), "dorothy")
			code, state := back.Query().Get("code"), back.Query().Get("state")
			if back.Scheme+"://"+back.Host+back.Path != callbackURL+id || code == "" || state != q.Get("state") {
				t.Fatalf("the provider's redirect back %s", back)
			}
			// As the event's rawQueryString holds them, they must need no escaping.
			if url.QueryEscape(code) != code || url.QueryEscape(state) != state {
				t.Fatalf("code %q or state %q needs escaping", code, state)
			}
			vars["oidc_code"], vars["oidc_state"] = code, state
		}},
		{"sso/oidc_callback", func(t *testing.T, r result) {
			id := vars["oidc_connection_id"]
			q := expectRedirect(t, r, "https://app.example.com/auth/signup?").Query()
			if q.Get("stytch_token_type") != "sso" || q.Get("token") == "" {
				t.Fatalf("callback redirect %q", r.header("Location"))
			}
			a := runWith(t, "sso/authenticate", map[string]string{"sso_token": q.Get("token")})
			expectOK(t, a)
			want(t, a, map[string]any{
				"member_authenticated":                                                true,
				"organization_id":                                                     orgID,
				"member.email_address":                                                oidcEmail,
				"member.name":                                                         "Dorothy Vaughan",
				"member.sso_registrations.0.connection_id":                            id,
				"member.sso_registrations.0.external_id":                              "sub-" + tag,
				"member_session.authentication_factors.0.type":                        "sso",
				"member_session.authentication_factors.0.delivery_method":             "sso_oidc",
				"member_session.authentication_factors.0.oidc_sso_factor.provider_id": id,
			})
			// The state is spent with the code: the same callback again answers no login in progress.
			expectError(t, run(t, "sso/oidc_callback"), http.StatusBadRequest, "unsolicited_oidc_response")
		}},
		{"sso/get_connections", func(t *testing.T, r result) {
			saml, _ := r.Body.Get("saml_connections").([]any)
			oidc, _ := r.Body.Get("oidc_connections").([]any)
			if len(saml) != 1 || len(oidc) != 1 || field(saml[0], "connection_id") != vars["saml_connection_id"] ||
				field(oidc[0], "connection_id") != vars["oidc_connection_id"] || field(saml[0], "status") != "active" ||
				field(oidc[0], "status") != "active" {
				t.Fatalf("connections: %s", r)
			}
			// What was deleted is gone from the SAML connection.
			certs, _ := field(saml[0], "verification_certificates").([]any)
			if keys, _ := field(saml[0], "encryption_private_keys").([]any); len(certs) != 1 ||
				field(certs[0], "certificate_id") == vars["certificate_id"] || len(keys) != 0 {
				t.Errorf("certificates %v, keys %v", certs, keys)
			}
			want(t, r, map[string]any{"external_connections": []any{}})
			o := run(t, "organizations/get_organization")
			if active, _ := o.Body.Get("organization.sso_active_connections").([]any); len(active) != 2 {
				t.Errorf("sso_active_connections %v", active)
			}
		}},
		{"sso/delete_connection", func(t *testing.T, r result) {
			// The SAML connection: it takes no more logins.
			want(t, r, map[string]any{"connection_id": vars["saml_connection_id"]})
			expectError(t, run(t, "sso/start"), http.StatusNotFound, "sso_connection_not_found")
			expectError(t, run(t, "sso/delete_connection"), http.StatusNotFound, "sso_connection_not_found")
			// Then the OIDC one: Acme has no SSO connection left.
			d := runWith(t, "sso/delete_connection", map[string]string{"sso_connection_id": vars["oidc_connection_id"]})
			expectOK(t, d)
			want(t, d, map[string]any{"connection_id": vars["oidc_connection_id"]})
			g := run(t, "sso/get_connections")
			want(t, g, map[string]any{"saml_connections": []any{}, "oidc_connections": []any{}})
			o := run(t, "organizations/get_organization")
			want(t, o, map[string]any{"organization.sso_active_connections": []any{}})
		}},
		{"oauth/start", func(t *testing.T, r result) {
			// provider_* parameters go to the provider without the prefix.
			if q := googleLogin(t, r); q.Get("prompt") != "select_account" {
				t.Errorf("provider_prompt: prompt %q", q.Get("prompt"))
			}
		}},
		{"oauth/callback", func(t *testing.T, r result) {
			// Hedy is new to Acme: to the signup redirect, with the token.
			q := expectRedirect(t, r, "https://app.example.com/auth/signup?").Query()
			if q.Get("stytch_token_type") != "oauth" || q.Get("token") == "" {
				t.Fatalf("callback redirect %q", r.header("Location"))
			}
			vars["oauth_token"] = q.Get("token")
			// The state is spent with the code: the same callback again finds no login in progress.
			expectError(t, run(t, "oauth/callback"), http.StatusBadRequest, "oauth_invalid_state")
			// The token goes with the start's PKCE challenge; a wrong verifier does not spend it.
			wrong := runWith(t, "oauth/authenticate", map[string]string{"pkce_code_verifier": "wrong-" + verifier})
			expectError(t, wrong, http.StatusBadRequest, "pkce_mismatch")
		}},
		{"oauth/authenticate", func(t *testing.T, r result) {
			want(t, r, map[string]any{
				"member_authenticated":                                    true,
				"organization_id":                                         orgID,
				"provider_type":                                           "Google",
				"provider_subject":                                        oauthSubject,
				"member.email_address":                                    oauthEmail,
				"member.email_address_verified":                           true,
				"member.name":                                             "Hedy Lamarr",
				"member.status":                                           "active",
				"member.oauth_registrations.0.provider_type":              "Google",
				"member.oauth_registrations.0.provider_subject":           oauthSubject,
				"member_session.authentication_factors.0.type":            "oauth",
				"member_session.authentication_factors.0.delivery_method": "oauth_google",
				"member_session.authentication_factors.0.email_factor.email_address":           oauthEmail,
				"member_session.authentication_factors.0.google_oauth_factor.provider_subject": oauthSubject,
				"member_session.custom_claims.tier":                                            "gold",
				"intermediate_session_token":                                                   "",
				// Stytch returns Microsoft's ID token only.
				"provider_values.id_token": "",
			})
			id := r.Body.Str("member_id")
			token := r.Body.Str("session_token")
			if id == "" || id == memberID || token == "" || strings.Count(r.Body.Str("session_jwt"), ".") != 2 {
				t.Fatalf("no new member and session: %s", r)
			}
			vars["oauth_member_id"] = id
			if reg := r.Body.Str("member.oauth_registrations.0.member_oauth_registration_id"); !strings.HasPrefix(reg, "oauth-user-") ||
				r.Body.Str("member_session.authentication_factors.0.google_oauth_factor.id") != reg {
				t.Errorf("the factor names the registration %q: %s", reg, r)
			}
			if r.Body.Str("provider_values.access_token") == "" {
				t.Errorf("no provider access token: %s", r)
			}
			expectError(t, run(t, "oauth/authenticate"), http.StatusNotFound, "oauth_token_not_found")
			a := runWith(t, "sessions/authenticate_session", map[string]string{"session_token": token})
			expectOK(t, a)
			want(t, a, map[string]any{"member.member_id": id, "organization.organization_id": orgID})
		}},
		{"oauth/member_provider", func(t *testing.T, r result) {
			want(t, r, map[string]any{"provider_type": "Google", "provider_subject": oauthSubject, "id_token": ""})
			if r.Body.Str("access_token") == "" {
				t.Fatalf("no access token: %s", r)
			}
			if in, _ := r.Body.Get("access_token_expires_in").(float64); in <= 0 {
				t.Errorf("access_token_expires_in %v", r.Body.Get("access_token_expires_in"))
			}
			// Ada has never signed in with Google: she has no tokens.
			none := runWith(t, "oauth/member_provider", map[string]string{"oauth_member_id": memberID})
			expectError(t, none, http.StatusNotFound, "oauth_user_registration_not_found")
		}},
		{"oauth/discovery_start", func(t *testing.T, r result) {
			googleLogin(t, r)
			cb := run(t, "oauth/callback")
			q := expectRedirect(t, cb, "https://app.example.com/auth/discover?").Query()
			if q.Get("stytch_token_type") != "discovery_oauth" || q.Get("token") == "" {
				t.Fatalf("callback redirect %q", cb.header("Location"))
			}
			vars["discovery_oauth_token"] = q.Get("token")
			// A discovery token is no organization's login: OAuth.Authenticate does not know it.
			other := runWith(t, "oauth/authenticate", map[string]string{"oauth_token": q.Get("token")})
			expectError(t, other, http.StatusNotFound, "oauth_token_not_found")
		}},
		{"oauth/discovery_authenticate", func(t *testing.T, r result) {
			want(t, r, map[string]any{"email_address": oauthEmail, "provider_type": "Google", "full_name": "Hedy Lamarr",
				"provider_tenant_id": "acme.example.com", "provider_tenant_ids": []any{"acme.example.com"}})
			ist := r.Body.Str("intermediate_session_token")
			if ist == "" {
				t.Fatalf("no intermediate_session_token: %s", r)
			}
			for _, k := range []string{"session_token", "session_jwt", "member_session"} {
				if _, ok := r.Body.Body[k]; ok {
					t.Errorf("discovery authenticate returned %s: no organization is chosen yet", k)
				}
			}
			// Hedy is a member of Acme now.
			d := discovered(t, r)[orgID]
			for path, v := range map[string]any{
				"member_authenticated":        true,
				"membership.type":             "active_member",
				"membership.member.member_id": vars["oauth_member_id"],
			} {
				if got := field(d, path); !reflect.DeepEqual(got, v) {
					t.Errorf("discovered Acme: %s = %#v, want %#v", path, got, v)
				}
			}
			expectError(t, run(t, "oauth/discovery_authenticate"), http.StatusNotFound, "oauth_token_not_found")
			// The intermediate session enters Acme with the Google login as its factor.
			x := runWith(t, "discovery/exchange_intermediate_session", map[string]string{"intermediate_session_token": ist})
			expectOK(t, x)
			want(t, x, map[string]any{"member_id": vars["oauth_member_id"], "organization_id": orgID,
				"member_session.authentication_factors.0.delivery_method": "oauth_google"})
		}},
		// Webhooks: an endpoint for Acme's member and organization events, managed through the
		// webhooks function; its secret is shown on create and rotate only; Acme's audit trail.
		{"webhooks/create_endpoint", func(t *testing.T, r result) {
			vars["webhook_endpoint_id"] = r.Body.Str("endpoint.endpoint_id")
			vars["events_since"] = env.Clock.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
			if !strings.HasPrefix(r.Body.Str("secret"), "whsec_") || !strings.HasPrefix(vars["webhook_endpoint_id"], "webhook-endpoint-test-") {
				t.Fatalf("create: %s", r)
			}
			want(t, r, map[string]any{"endpoint.url": "https://app.example.com/webhooks/latchkey", "endpoint.organization_ids": []any{orgID}})
		}},
		{"webhooks/list_endpoints", func(t *testing.T, r result) {
			if _, ok := ids(t, r, "endpoints", "endpoint_id")[vars["webhook_endpoint_id"]]; !ok || strings.Contains(r.Resp.Body, "whsec_") {
				t.Fatalf("list: %s", r)
			}
		}},
		{"webhooks/get_endpoint", func(t *testing.T, r result) {
			want(t, r, map[string]any{"endpoint.endpoint_id": vars["webhook_endpoint_id"], "endpoint.disabled": false})
			if r.Body.Get("secret") != nil {
				t.Fatalf("get shows a secret: %s", r)
			}
		}},
		{"webhooks/update_endpoint", func(t *testing.T, r result) {
			want(t, r, map[string]any{"endpoint.description": "Members only", "endpoint.event_types": []any{"*.member.*"}})
		}},
		{"webhooks/rotate_secret", func(t *testing.T, r result) {
			if !strings.HasPrefix(r.Body.Str("secret"), "whsec_") || r.Body.Str("endpoint.previous_secret_expires_at") == "" {
				t.Fatalf("rotate: %s", r)
			}
		}},
		{"webhooks/list_events", func(t *testing.T, r result) {
			if _, ok := r.Body.Get("events").([]any); !ok {
				t.Fatalf("events: %s", r)
			}
		}},
		// Without a delivery queue configured the replay is a clear 503; with one, a count.
		{"webhooks/replay", func(t *testing.T, r result) {
			if r.Resp.StatusCode == http.StatusOK {
				if _, ok := r.Body.Get("events_queued").(float64); !ok {
					t.Fatalf("replay: %s", r)
				}
				return
			}
			expectError(t, r, http.StatusServiceUnavailable, "webhook_delivery_not_configured")
		}},
		{"webhooks/delete_endpoint", func(t *testing.T, r result) {
			want(t, r, map[string]any{"endpoint_id": vars["webhook_endpoint_id"]})
			expectError(t, run(t, "webhooks/get_endpoint"), http.StatusNotFound, "webhook_endpoint_not_found")
		}},
		{"organizations/delete_organization", func(t *testing.T, r result) {
			want(t, r, map[string]any{"organization_id": orgID})
			gone := run(t, "organizations/get_organization")
			expectError(t, gone, http.StatusNotFound, "organization_not_found")
		}},
	}

	// refused are the steps whose event is answered with an error, which they check: the
	// cross-organization password calls, as passwords are organization-scoped by default, and
	// reading recovery codes back, as they are shown once.
	refused := map[string]bool{
		"passwords/require_reset": true, "passwords/discovery_authenticate": true,
		"passwords/discovery_reset_start": true, "passwords/discovery_reset": true,
		"mfa/recovery_codes_get": true,
		"webhooks/replay":        true, // 503 where no delivery queue is configured
	}
	// redirected are the browser routes' steps, answered with a 302 (expectRedirect).
	redirected := map[string]bool{"sso/start": true, "sso/saml_callback": true, "sso/oidc_callback": true,
		"oauth/start": true, "oauth/discovery_start": true, "oauth/callback": true}

	// Later, the hourly schedule fires: its events are replayed with the clock moved on, when the
	// flow's sessions have expired, and the clock moved back after.
	scheduledSteps := []struct {
		event string
		later time.Duration
		check func(t *testing.T, stats store.CleanupStats)
	}{
		{"cleanup/scheduled", 2 * time.Hour, func(t *testing.T, stats store.CleanupStats) {
			if !stats.Done || stats.Deleted == 0 || stats.Read < stats.Deleted+stats.Skipped ||
				stats.Buckets != int(store.CleanupLookback/time.Hour)+1 {
				t.Fatalf("cleanup two hours on: %+v", stats)
			}
			t.Logf("cleanup two hours on: %+v", stats)
			lines := strings.Split(strings.TrimSpace(cleanupLog.String()), "\n")
			var line map[string]any
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &line); err != nil || line["msg"] != "cleanup" ||
				line["level"] != "INFO" || line["items_deleted"] != float64(stats.Deleted) || line["done"] != true {
				t.Errorf("cleanup log line %q (%v)", lines[len(lines)-1], err)
			}
			// The Acme Labs session (60 minutes) is gone, not merely expired: it is unknown now.
			expectError(t, runWith(t, "sessions/authenticate_session", map[string]string{"session_token": founderLabsToken}),
				http.StatusNotFound, "session_not_found")
			// Idempotent: a second run, a minute before the first in test time (so no item can
			// have expired in between), finds nothing left to delete.
			if again := runScheduled(t, "cleanup/scheduled", 2*time.Hour-time.Minute); !again.Done || again.Deleted != 0 {
				t.Errorf("second cleanup: %+v", again)
			}
		}},
	}

	// Every event is replayed, so a new event file cannot go untested.
	var listed []string
	for _, s := range steps {
		listed = append(listed, s.event)
	}
	for _, s := range scheduledSteps {
		listed = append(listed, s.event)
	}
	for key, f := range files {
		if sourcedFunctions[f.Function] {
			listed = append(listed, key) // replayed by the function's own test (deliveries_test.go)
		}
	}
	sort.Strings(listed)
	if all := slices.Sorted(maps.Keys(files)); !slices.Equal(listed, all) {
		t.Fatalf("the flow replays %v\nbut the events are %v", listed, all)
	}

	t.Run("flow", func(t *testing.T) {
		for _, s := range steps {
			if !t.Run(s.event, func(t *testing.T) {
				r := run(t, s.event)
				if !scimServer(files[s.event].routeKey()) && !refused[s.event] && !redirected[s.event] {
					expectOK(t, r) // the SCIM server's steps, the refused and the redirected ones check their own status
				}
				s.check(t, r)
			}) {
				t.Fatalf("stopping: later events depend on %s", s.event)
			}
		}
		for _, s := range scheduledSteps {
			t.Run(s.event, func(t *testing.T) {
				s.check(t, runScheduled(t, s.event, s.later))
				if got := env.Clock.Now(); time.Since(got).Abs() > time.Minute {
					t.Errorf("the clock was not moved back: %v", got)
				}
			})
		}
	})
}
