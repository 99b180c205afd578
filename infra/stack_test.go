package infra_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/latchkey/latchkey/infra"
	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/store"
)

// The stack is synthesised once per configuration (each synth runs cdk-nag and costs seconds)
// and every test reads the same template.
var (
	full    synthed // every option set: domain identity, sandbox recipient, custom domain, alarm email
	minimal synthed // no context at all, as `make synth` on a fresh clone
)

type synthed struct {
	cfg      infra.Config
	stack    *infra.Stack
	template assertions.Template
	json     map[string]any
}

const testProjectID = "project-live-6f7d3c52-4c5e-4f0e-9d4a-0d3f2f1b6a11"

var fullContext = map[string]any{
	"projectId":                  testProjectID,
	"sender":                     "login@auth.example.com",
	"senderIdentity":             "auth.example.com",
	"sandboxRecipients":          "dev@example.org",
	"redirectUrls":               "https://app.example.com/authenticate,https://*.example.com/auth",
	"defaultRedirectUrl":         "https://app.example.com/authenticate",
	"emailSendsPerHour":          "5",
	"alarmEmail":                 "ops@example.com",
	"domainName":                 "api.auth.example.com",
	"certificateArn":             "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555",
	"logRetentionDays":           "90",
	"rbacPolicy":                 "shared/rbac/testdata/sample_policy.json", // from the repository root
	"oauthGoogleClientId":        "1234-abc.apps.googleusercontent.com",
	"oauthGoogleClientSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:latchkey/google-AbCdEf",
	"sessionMigrateUserinfoUrl":  "https://legacy.example.com/oauth/userinfo",
	"eventRetentionDays":         "90",
}

func TestMain(m *testing.M) {
	// The jsii runtime starts before TestMain, so its Node 20 end-of-life banner can only be
	// silenced from outside: make test exports JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20.
	os.Exit(func() int {
		defer jsii.Close()
		var err error
		// Always the placeholder code, whatever make build left in dist/: the tests are about
		// the template, and staging real binaries would only make them slower.
		noDist := map[string]any{"distDir": filepath.Join(os.TempDir(), "latchkey-no-dist")}
		if full, err = synth(merge(fullContext, noDist)); err != nil {
			fmt.Fprintln(os.Stderr, "synth (full context):", err)
			return 1
		}
		if minimal, err = synth(noDist); err != nil {
			fmt.Fprintln(os.Stderr, "synth (no context):", err)
			return 1
		}
		return m.Run()
	}())
}

func merge(maps ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func newApp(ctx map[string]any) awscdk.App {
	dir, err := os.MkdirTemp("", "latchkey-cdk-test-")
	if err != nil {
		panic(err)
	}
	return awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(dir)})
}

func synth(ctx map[string]any) (s synthed, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	app := newApp(ctx)
	if s.cfg, err = infra.FromContext(app.Node()); err != nil {
		return s, err
	}
	if s.stack, err = infra.NewStack(app, s.cfg, nil); err != nil {
		return s, err
	}
	s.template = assertions.Template_FromStack(s.stack.Stack, nil)
	s.json = *s.template.ToJSON()
	return s, nil
}

// check runs a CDK assertion, which panics when it fails, and reports the panic as a failure.
func check(t *testing.T, what string, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assertion()
}

// resources returns the template's resources of one type, by logical id.
func (s synthed) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.json["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

func props(r map[string]any) map[string]any { p, _ := r["Properties"].(map[string]any); return p }

// ref returns the logical id a {"Ref": id} or {"Fn::GetAtt": [id, ...]} points at.
func ref(v any) string {
	m, _ := v.(map[string]any)
	if id, ok := m["Ref"].(string); ok {
		return id
	}
	if att, ok := m["Fn::GetAtt"].([]any); ok && len(att) > 0 {
		id, _ := att[0].(string)
		return id
	}
	return ""
}

// functionIDs maps logical ids of the AWS::Lambda::Function resources to function names.
func (s synthed) functionIDs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, fn := range s.stack.Functions {
		id := s.stack.GetLogicalId(fn.Node().DefaultChild().(awscdk.CfnElement))
		out[*id] = name
	}
	return out
}

func TestTable(t *testing.T) {
	for name, s := range map[string]synthed{"full": full, "minimal": minimal} {
		t.Run(name, func(t *testing.T) {
			check(t, "one table", func() { s.template.ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(1)) })
			key := func(attr, typ string) map[string]any { return map[string]any{"AttributeName": attr, "KeyType": typ} }
			var gsis []any
			for _, ix := range store.Indexes {
				gsis = append(gsis, map[string]any{
					"IndexName":  ix.Name,
					"KeySchema":  []any{key(ix.PK, "HASH"), key(ix.SK, "RANGE")},
					"Projection": map[string]any{"ProjectionType": "ALL"},
				})
			}
			var attrs []any
			for _, a := range []string{store.AttrPK, store.AttrSK, store.AttrGSI1PK, store.AttrGSI1SK, store.AttrGSI2PK, store.AttrGSI2SK} {
				attrs = append(attrs, map[string]any{"AttributeName": a, "AttributeType": "S"})
			}
			check(t, "table keys, GSIs, TTL, billing, PITR, deletion protection", func() {
				s.template.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), map[string]any{
					"TableName":                        "latchkey",
					"KeySchema":                        []any{key(store.AttrPK, "HASH"), key(store.AttrSK, "RANGE")},
					"AttributeDefinitions":             assertions.Match_ArrayWith(&attrs),
					"GlobalSecondaryIndexes":           gsis,
					"TimeToLiveSpecification":          map[string]any{"AttributeName": store.AttrTTL, "Enabled": true},
					"BillingMode":                      "PAY_PER_REQUEST",
					"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
					"DeletionProtectionEnabled":        true,
					"StreamSpecification":              map[string]any{"StreamViewType": "NEW_AND_OLD_IMAGES"},
				})
			})
			check(t, "table retained on stack delete", func() {
				s.template.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{
					"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
				})
			})
		})
	}
}

func TestTableWithoutDeletionProtection(t *testing.T) {
	s, err := synth(map[string]any{"deletionProtection": "false", "distDir": t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	check(t, "no deletion protection, deleted with the stack", func() {
		s.template.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{
			"Properties":     assertions.Match_ObjectLike(&map[string]any{"DeletionProtectionEnabled": false}),
			"DeletionPolicy": "Delete",
		})
	})
}

func TestOneFunctionPerRouteGroupPlusCleanup(t *testing.T) {
	want := append(api.Functions(), infra.CleanupFunction, infra.EventsFunction, infra.DeliveriesFunction)
	if got := infra.Functions(); !slices.Equal(got, want) {
		t.Fatalf("infra.Functions() = %v, want %v", got, want)
	}
	check(t, "function count", func() {
		full.template.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(float64(len(want))))
	})
	ids := full.functionIDs(t)
	for id, r := range full.resources("AWS::Lambda::Function") {
		p := props(r)
		name, ok := ids[id]
		if !ok {
			t.Errorf("%s: a function the stack does not know", id)
			continue
		}
		if p["Runtime"] != "provided.al2023" || p["Handler"] != "bootstrap" || !slices.Equal(p["Architectures"].([]any), []any{"arm64"}) {
			t.Errorf("%s: runtime %v, handler %v, architectures %v; want provided.al2023, bootstrap, [arm64]", name, p["Runtime"], p["Handler"], p["Architectures"])
		}
		wantMemory := float64(256)
		if name == api.FunctionPasswords {
			wantMemory = infra.PasswordsMemoryMB // hashing is CPU-bound: one full vCPU
		}
		if p["MemorySize"] != wantMemory {
			t.Errorf("%s: memory %v MB, want %v", name, p["MemorySize"], wantMemory)
		}
		env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
		if env["LATCHKEY_PROJECT_ID"] != testProjectID || ref(env["LATCHKEY_TABLE"]) == "" {
			t.Errorf("%s: env %v lacks the project id or the table", name, env)
		}
		if name == infra.CleanupFunction {
			if len(env) != 2 {
				t.Errorf("cleanup env %v: want only the project id and table", env)
			}
			continue
		}
		for k, v := range map[string]any{
			"LATCHKEY_SENDER":               "login@auth.example.com",
			"LATCHKEY_REDIRECT_URLS":        "https://app.example.com/authenticate,https://*.example.com/auth",
			"LATCHKEY_DEFAULT_REDIRECT_URL": "https://app.example.com/authenticate",
			"LATCHKEY_EMAIL_SENDS_PER_HOUR": "5",
			"LATCHKEY_BASE_URL":             "https://api.auth.example.com",
		} {
			if env[k] != v {
				t.Errorf("%s: %s=%v, want %v", name, k, env[k], v)
			}
		}
		if _, ok := env["LATCHKEY_ORG_SENDS_PER_HOUR"]; ok {
			t.Errorf("%s: LATCHKEY_ORG_SENDS_PER_HOUR set without orgSendsPerHour context", name)
		}
		// Only the sessions function calls the previous auth system's userinfo endpoint.
		if u, ok := env["LATCHKEY_SESSION_MIGRATE_USERINFO_URL"]; ok != (name == api.FunctionSessions) ||
			ok && u != "https://legacy.example.com/oauth/userinfo" {
			t.Errorf("%s: LATCHKEY_SESSION_MIGRATE_USERINFO_URL=%v", name, u)
		}
		for k, v := range env {
			// A Secrets Manager ARN names a secret; it is not one (the function reads it at start).
			if s, ok := v.(string); ok && strings.Contains(strings.ToLower(k), "secret") && !strings.HasPrefix(s, "arn:aws:secretsmanager:") {
				t.Errorf("%s: %s=%s: no secret goes into the environment", name, k, s)
			}
		}
	}
}

// Every folder under functions/ is deployed and every deployed function has a folder, so a
// new function cannot be forgotten by the stack (or the stack point at a missing one).
// Without a custom domain, LATCHKEY_BASE_URL is the API's own endpoint.
func TestBaseURLDefaultsToTheAPIEndpoint(t *testing.T) {
	for id, r := range minimal.resources("AWS::Lambda::Function") {
		env := props(r)["Environment"].(map[string]any)["Variables"].(map[string]any)
		if minimal.functionIDs(t)[id] == infra.CleanupFunction {
			continue
		}
		att, _ := env["LATCHKEY_BASE_URL"].(map[string]any)["Fn::GetAtt"].([]any)
		if len(att) != 2 || minimal.resources("AWS::ApiGatewayV2::Api")[att[0].(string)] == nil || att[1] != "ApiEndpoint" {
			t.Errorf("%s: LATCHKEY_BASE_URL = %v, want the API endpoint", id, env["LATCHKEY_BASE_URL"])
		}
	}
}

// The RBAC policy given to the stack reaches every HTTP function, compacted, and the public
// token every function and the outputs.
func TestPolicyAndPublicTokenReachTheFunctions(t *testing.T) {
	raw, err := os.ReadFile("../shared/rbac/testdata/sample_policy.json")
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		t.Fatal(err)
	}
	token := latchkey.PublicTokenFor(testProjectID)
	for id, r := range full.resources("AWS::Lambda::Function") {
		env := props(r)["Environment"].(map[string]any)["Variables"].(map[string]any)
		if full.functionIDs(t)[id] == infra.CleanupFunction {
			continue
		}
		if env["LATCHKEY_RBAC_POLICY"] != compact.String() || env["LATCHKEY_PUBLIC_TOKEN"] != token {
			t.Errorf("%s: LATCHKEY_RBAC_POLICY %v, LATCHKEY_PUBLIC_TOKEN %v", id, env["LATCHKEY_RBAC_POLICY"], env["LATCHKEY_PUBLIC_TOKEN"])
		}
	}
	if !strings.Contains(fmt.Sprint(full.json["Outputs"]), token) {
		t.Errorf("the template does not output the public token")
	}
}

func TestFunctionsMatchFolders(t *testing.T) {
	root, err := infra.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var folders []string
	for _, e := range entries {
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(root, "functions", e.Name(), "main.go")); err == nil {
				folders = append(folders, e.Name())
			}
		}
	}
	deployed := slices.Sorted(slices.Values(infra.Functions()))
	if !slices.Equal(folders, deployed) {
		t.Fatalf("functions/ has %v, the stack deploys %v", folders, deployed)
	}
}

func TestEveryRouteIsInTheHTTPAPI(t *testing.T) {
	routes := full.resources("AWS::ApiGatewayV2::Route")
	integrations := full.resources("AWS::ApiGatewayV2::Integration")
	fnIDs := full.functionIDs(t)
	if len(routes) != len(api.Routes)+1 {
		t.Errorf("%d routes in the template, want %d (api.Routes) + $default", len(routes), len(api.Routes))
	}
	byKey := map[string]map[string]any{}
	for _, r := range routes {
		byKey[props(r)["RouteKey"].(string)] = props(r)
	}
	// target is the function a route's integration invokes.
	target := func(p map[string]any) string {
		parts, _ := p["Target"].(map[string]any)["Fn::Join"].([]any)
		if len(parts) < 2 {
			return ""
		}
		for _, part := range parts[1].([]any) {
			if in, ok := integrations[ref(part)]; ok {
				return fnIDs[ref(props(in)["IntegrationUri"])]
			}
		}
		return ""
	}
	for _, r := range api.Routes {
		key := r.Method + " " + r.Path
		p, ok := byKey[key]
		if !ok {
			t.Errorf("route %q is not in the HTTP API", key)
			continue
		}
		if got := target(p); got != r.Function {
			t.Errorf("route %q invokes %q, want %q", key, got, r.Function)
		}
		if p["AuthorizationType"] != nil && p["AuthorizationType"] != "NONE" {
			t.Errorf("route %q: authorization %v (the functions authenticate)", key, p["AuthorizationType"])
		}
	}
	if p, ok := byKey["$default"]; !ok || target(p) == "" {
		t.Errorf("no $default route to a function (Stytch-shaped 404s): %v", p)
	}
	for _, in := range integrations {
		p := props(in)
		if p["IntegrationType"] != "AWS_PROXY" || p["PayloadFormatVersion"] != "2.0" {
			t.Errorf("integration %v: want AWS_PROXY, payload 2.0", p)
		}
	}
	check(t, "one integration per function, and one for $default", func() {
		full.template.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Integration"), jsii.Number(float64(len(api.Functions())+1)))
	})
	// API Gateway may invoke each function from every route that targets it. Invoke source ARNs
	// are <api>/<stage>/<METHOD>/<path> for routes and <api>/<stage>/$default for the catch-all.
	permissions := map[string][]string{}
	for _, p := range full.resources("AWS::Lambda::Permission") {
		pp := props(p)
		if pp["Principal"] != "apigateway.amazonaws.com" {
			continue
		}
		parts := pp["SourceArn"].(map[string]any)["Fn::Join"].([]any)[1].([]any)
		permissions[fnIDs[ref(pp["FunctionName"])]] = append(permissions[fnIDs[ref(pp["FunctionName"])]], fmt.Sprint(parts[len(parts)-1]))
	}
	for _, fn := range api.Functions() {
		if !slices.Contains(permissions[fn], "/*/*/*") && !slices.Contains(permissions[fn], "/*/*") {
			t.Errorf("API Gateway may not invoke %s: %v", fn, permissions[fn])
		}
	}
	if !slices.Contains(permissions[api.Routes[0].Function], "/*/*") {
		t.Errorf("no permission matching the $default route's source ARN for %s: %v", api.Routes[0].Function, permissions[api.Routes[0].Function])
	}
	check(t, "$default stage: auto deploy, throttled, JSON access logs", func() {
		full.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
			"StageName":  "$default",
			"AutoDeploy": true,
			"DefaultRouteSettings": map[string]any{
				"ThrottlingRateLimit": 100, "ThrottlingBurstLimit": 200,
			},
			"AccessLogSettings": map[string]any{
				"DestinationArn": assertions.Match_AnyValue(),
				"Format":         assertions.Match_StringLikeRegexp(jsii.String(`"requestId":"\$context.requestId"`)),
			},
		})
	})
}

func TestCustomDomain(t *testing.T) {
	check(t, "domain name with the certificate", func() {
		full.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::DomainName"), map[string]any{
			"DomainName": "api.auth.example.com",
			"DomainNameConfigurations": []any{assertions.Match_ObjectLike(&map[string]any{
				"CertificateArn": fullContext["certificateArn"],
			})},
		})
	})
	check(t, "mapped to the $default stage", func() {
		full.template.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::ApiMapping"), jsii.Number(1))
	})
	check(t, "no custom domain without context", func() {
		minimal.template.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::DomainName"), jsii.Number(0))
	})
}

func TestCleanupSchedule(t *testing.T) {
	rules := full.resources("AWS::Events::Rule")
	if len(rules) != 1 {
		t.Fatalf("%d event rules, want 1", len(rules))
	}
	fnIDs := full.functionIDs(t)
	for _, r := range rules {
		p := props(r)
		if p["ScheduleExpression"] != "rate(1 hour)" || p["State"] != "ENABLED" {
			t.Errorf("rule %v: want rate(1 hour), ENABLED", p)
		}
		targets := p["Targets"].([]any)
		if len(targets) != 1 || fnIDs[ref(targets[0].(map[string]any)["Arn"])] != infra.CleanupFunction {
			t.Errorf("rule targets %v: want the cleanup function only", targets)
		}
	}
	check(t, "EventBridge may invoke cleanup", func() {
		full.template.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), map[string]any{
			"Action": "lambda:InvokeFunction", "Principal": "events.amazonaws.com",
		})
	})
}

// policyStatements returns every IAM statement in the template (policies and inline role
// policies), keyed by the resource that holds it.
func (s synthed) policyStatements() map[string][]map[string]any {
	out := map[string][]map[string]any{}
	add := func(id string, doc any) {
		d, _ := doc.(map[string]any)
		st, _ := d["Statement"].([]any)
		for _, x := range st {
			out[id] = append(out[id], x.(map[string]any))
		}
	}
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		for id, r := range s.resources(typ) {
			add(id, props(r)["PolicyDocument"])
		}
	}
	for id, r := range s.resources("AWS::IAM::Role") {
		ps, _ := props(r)["Policies"].([]any)
		for _, p := range ps {
			add(id, p.(map[string]any)["PolicyDocument"])
		}
	}
	return out
}

func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, strs(x)...)
		}
		return out
	}
	return nil
}

func TestNoWildcardIAM(t *testing.T) {
	for name, s := range map[string]synthed{"full": full, "minimal": minimal} {
		statements := s.policyStatements()
		if len(statements) == 0 {
			t.Fatalf("%s: no IAM statements found", name)
		}
		for id, sts := range statements {
			for _, st := range sts {
				for _, a := range append(strs(st["Action"]), strs(st["NotAction"])...) {
					if strings.Contains(a, "*") {
						t.Errorf("%s %s: wildcard action %q", name, id, a)
					}
				}
				if st["NotAction"] != nil || st["NotResource"] != nil {
					t.Errorf("%s %s: NotAction/NotResource %v", name, id, st)
				}
				for _, r := range strs(st["Resource"]) {
					// The one exception: dynamodb:ListStreams has no resource type, so the CDK's
					// stream event source grants it on "*", to the events function alone.
					if r == "*" && slices.Equal(strs(st["Action"]), []string{"dynamodb:ListStreams"}) &&
						s.policyOwner(id) == infra.EventsFunction {
						continue
					}
					if strings.Contains(r, "*") {
						t.Errorf("%s %s: wildcard resource %q", name, id, r)
					}
				}
			}
		}
		for id, r := range s.resources("AWS::IAM::Role") {
			if m := props(r)["ManagedPolicyArns"]; m != nil {
				t.Errorf("%s %s: managed policies %v", name, id, m)
			}
		}
	}
}

// Each role allows exactly its function's log group, its DynamoDB actions (Query on the
// indexes it reads) and, for magic links and passwords only, SES SendEmail from the sender.
func TestLeastPrivilegePerFunction(t *testing.T) {
	fnIDs := full.functionIDs(t)
	roleOf := map[string]string{} // role logical id → function
	for id, r := range full.resources("AWS::Lambda::Function") {
		roleOf[ref(props(r)["Role"])] = fnIDs[id]
	}
	actions := map[string][]string{}
	sesResources := map[string][]any{}
	indexResources := map[string]string{}
	for id, r := range full.resources("AWS::IAM::Policy") {
		var fn string
		for _, role := range props(r)["Roles"].([]any) {
			fn = roleOf[ref(role)]
		}
		if fn == "" {
			t.Errorf("policy %s is attached to no function role", id)
			continue
		}
		for _, st := range props(r)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			for _, a := range strs(st["Action"]) {
				resource := "table"
				if st["Sid"] == "IndexQuery" {
					resource = "index"
				}
				actions[fn] = append(actions[fn], resource+":"+a)
			}
			if st["Sid"] == "IndexQuery" {
				indexResources[fn] = fmt.Sprint(st["Resource"])
			}
			if st["Sid"] == "OpenSecrets" {
				// The deliveries function POSTs to customer URLs: it may open endpoint
				// secrets only, never the SSO secrets sealed under the same key.
				cond, _ := st["Condition"].(map[string]any)
				keys, _ := cond["ForAllValues:StringEquals"].(map[string]any)
				null, _ := cond["Null"].(map[string]any)
				if fmt.Sprint(keys["kms:EncryptionContextKeys"]) != "[endpoint_id]" || null["kms:EncryptionContext:endpoint_id"] != "false" {
					t.Errorf("%s: OpenSecrets condition %v, want decryption of endpoint_id bindings only", fn, st["Condition"])
				}
			}
			if st["Sid"] == "SendEmail" {
				sesResources[fn] = append(sesResources[fn], st["Resource"])
				cond := st["Condition"].(map[string]any)["StringEquals"].(map[string]any)
				if cond["ses:FromAddress"] != "login@auth.example.com" {
					t.Errorf("%s: SendEmail condition %v, want the sender", fn, cond)
				}
			}
		}
	}
	for _, fn := range infra.Functions() {
		access := infra.FunctionAccess[fn]
		want := []string{"table:logs:CreateLogStream", "table:logs:PutLogEvents"}
		for _, a := range access.Table {
			want = append(want, "table:dynamodb:"+a)
		}
		if len(access.IndexQuery) > 0 {
			want = append(want, "index:dynamodb:Query")
		}
		if access.SendEmail {
			want = append(want, "table:ses:SendEmail")
		}
		if access.SendSMS {
			want = append(want, "table:sms-voice:SendTextMessage")
		}
		if access.Seal {
			want = append(want, "table:kms:Encrypt", "table:kms:Decrypt")
		}
		if access.OAuth {
			want = append(want, "table:secretsmanager:GetSecretValue")
		}
		if access.Unseal {
			want = append(want, "table:kms:Decrypt")
		}
		if access.EnqueueWebhooks {
			want = append(want, "table:sqs:SendMessage")
		}
		if access.StreamSource { // the CDK's grants for the stream and the on-failure queue
			want = append(want, "table:dynamodb:ListStreams", "table:dynamodb:DescribeStream", "table:dynamodb:GetRecords",
				"table:dynamodb:GetShardIterator", "table:sqs:SendMessage", "table:sqs:GetQueueAttributes", "table:sqs:GetQueueUrl")
		}
		if access.QueueSource { // the CDK's grant to consume the delivery queue
			want = append(want, "table:sqs:ReceiveMessage", "table:sqs:ChangeMessageVisibility", "table:sqs:GetQueueUrl",
				"table:sqs:DeleteMessage", "table:sqs:GetQueueAttributes")
		}
		got := actions[fn]
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s allows %v, want %v", fn, got, want)
		}
	}
	// Spot checks against what the code does, independent of FunctionAccess.
	for fn, acts := range actions {
		has := func(a string) bool { return slices.Contains(acts, "table:"+a) }
		if has("sms-voice:SendTextMessage") != (fn == api.FunctionMFA) {
			t.Errorf("%s: sms-voice:SendTextMessage %v; only mfa texts", fn, has("sms-voice:SendTextMessage"))
		}
		opens := []string{api.FunctionSSO, api.FunctionOAuth, api.FunctionWebhooks, infra.DeliveriesFunction}
		if has("kms:Decrypt") != slices.Contains(opens, fn) {
			t.Errorf("%s: kms:Decrypt %v; only %v open sealed secrets", fn, has("kms:Decrypt"), opens)
		}
		if has("kms:Encrypt") != slices.Contains(opens[:3], fn) {
			t.Errorf("%s: kms:Encrypt %v; only %v seal secrets", fn, has("kms:Encrypt"), opens[:3])
		}
		if has("secretsmanager:GetSecretValue") != (fn == api.FunctionOAuth) {
			t.Errorf("%s: secretsmanager:GetSecretValue %v; only oauth reads the OAuth client secrets", fn, has("secretsmanager:GetSecretValue"))
		}
		if has("ses:SendEmail") != (fn == api.FunctionMagicLinks || fn == api.FunctionPasswords) {
			t.Errorf("%s: ses:SendEmail %v; only magiclinks and passwords (reset links) send email", fn, has("ses:SendEmail"))
		}
		if fn == infra.CleanupFunction && (has("dynamodb:PutItem") || has("dynamodb:UpdateItem") || has("dynamodb:GetItem")) {
			t.Errorf("cleanup may write or read items: %v", acts)
		}
		if fn != infra.CleanupFunction && !(has("dynamodb:Query") && has("dynamodb:PutItem")) {
			t.Errorf("%s cannot load or create the signing keys: %v", fn, acts)
		}
		if slices.Contains(acts, "table:dynamodb:Scan") || slices.Contains(acts, "index:dynamodb:Scan") {
			t.Errorf("%s may Scan", fn)
		}
	}
	// SES: the sender's domain identity and the sandbox recipient, nothing else.
	got := fmt.Sprint(sesResources[api.FunctionMagicLinks])
	for _, want := range []string{":identity/auth.example.com", ":identity/dev@example.org"} {
		if !strings.Contains(got, want) {
			t.Errorf("SendEmail resources %s lack %s", got, want)
		}
	}
	// Query on exactly the indexes each function reads: cleanup only gsi1.
	for _, fn := range infra.Functions() {
		for _, ix := range store.Indexes {
			want := slices.Contains(infra.FunctionAccess[fn].IndexQuery, ix.Name)
			if got := strings.Contains(indexResources[fn], "/index/"+ix.Name+"]"); got != want {
				t.Errorf("%s: Query on %s: %v, want %v (%s)", fn, ix.Name, got, want, indexResources[fn])
			}
		}
	}
	if strings.Contains(indexResources[infra.CleanupFunction], "/index/"+store.IndexGSI2) {
		t.Errorf("cleanup may query gsi2: %s", indexResources[infra.CleanupFunction])
	}
}

func TestLogGroupsAndRetention(t *testing.T) {
	groups := full.resources("AWS::Logs::LogGroup")
	if len(groups) != len(infra.Functions())+1 {
		t.Errorf("%d log groups, want one per function and one for API access logs", len(groups))
	}
	for id, g := range groups {
		if props(g)["RetentionInDays"] != float64(90) {
			t.Errorf("%s: retention %v, want 90 (logRetentionDays)", id, props(g)["RetentionInDays"])
		}
	}
	for id, fn := range full.resources("AWS::Lambda::Function") {
		lc, _ := props(fn)["LoggingConfig"].(map[string]any)
		if _, ok := groups[ref(lc["LogGroup"])]; !ok {
			t.Errorf("%s logs to %v, not to its own log group", id, lc)
		}
	}
	check(t, "default retention 30 days", func() {
		minimal.template.AllResourcesProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{"RetentionInDays": 30})
	})
}

func TestAlarms(t *testing.T) {
	alarms := full.resources("AWS::CloudWatch::Alarm")
	topics := full.resources("AWS::SNS::Topic")
	if len(topics) != 1 {
		t.Fatalf("%d SNS topics, want 1", len(topics))
	}
	var metrics []string
	for id, a := range alarms {
		p := props(a)
		acts, _ := p["AlarmActions"].([]any)
		if len(acts) != 1 || topics[ref(acts[0])] == nil {
			t.Errorf("alarm %s notifies %v, want the alarm topic", id, acts)
		}
		if p["TreatMissingData"] != "notBreaching" {
			t.Errorf("alarm %s: TreatMissingData %v", id, p["TreatMissingData"])
		}
		if name, ok := p["MetricName"].(string); ok {
			metrics = append(metrics, p["Namespace"].(string)+"/"+name)
		} else {
			metrics = append(metrics, "math")
		}
	}
	count := func(m string) int {
		n := 0
		for _, x := range metrics {
			if x == m {
				n++
			}
		}
		return n
	}
	nFn := len(infra.Functions())
	if count("AWS/ApiGateway/5xx") != 1 || count("AWS/Lambda/Throttles") != nFn || count("AWS/Lambda/Errors") != nFn || count("math") != 1 ||
		count("AWS/SQS/ApproximateNumberOfMessagesVisible") != 2 || count("AWS/Lambda/IteratorAge") != 1 || len(metrics) != 2*nFn+5 {
		t.Errorf("alarm metrics %v: want one API 5xx, one Throttles and one Errors per function, one DynamoDB throttles, "+
			"the webhook DLQ and events-failed depths, the events function's iterator age", metrics)
	}
	check(t, "alarm email subscription", func() {
		full.template.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{
			"Protocol": "email", "Endpoint": "ops@example.com",
		})
	})
	check(t, "no subscription without alarmEmail", func() {
		minimal.template.ResourceCountIs(jsii.String("AWS::SNS::Subscription"), jsii.Number(0))
	})
}

func TestSESIdentities(t *testing.T) {
	check(t, "sender domain and sandbox recipient identities", func() {
		full.template.ResourceCountIs(jsii.String("AWS::SES::EmailIdentity"), jsii.Number(2))
		full.template.HasResourceProperties(jsii.String("AWS::SES::EmailIdentity"), map[string]any{"EmailIdentity": "auth.example.com"})
		full.template.HasResourceProperties(jsii.String("AWS::SES::EmailIdentity"), map[string]any{"EmailIdentity": "dev@example.org"})
	})
	outputs := full.json["Outputs"].(map[string]any)
	for _, o := range []string{"ApiUrl", "TableName", "ProjectId", "AlarmTopicArn", "DkimRecord1", "DkimRecord2", "DkimRecord3", "CustomDomainTarget"} {
		if _, ok := outputs[o]; !ok {
			t.Errorf("no %s output", o)
		}
	}
	check(t, "minimal: the default sender address is the identity", func() {
		minimal.template.ResourceCountIs(jsii.String("AWS::SES::EmailIdentity"), jsii.Number(1))
		minimal.template.HasResourceProperties(jsii.String("AWS::SES::EmailIdentity"), map[string]any{"EmailIdentity": infra.DefaultSender})
	})
	s, err := synth(map[string]any{"sender": "a@example.net", "createSenderIdentity": "false", "distDir": t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	check(t, "createSenderIdentity=false creates none", func() {
		s.template.ResourceCountIs(jsii.String("AWS::SES::EmailIdentity"), jsii.Number(0))
	})
}

func TestNoUnsuppressedNagFindings(t *testing.T) {
	for name, s := range map[string]synthed{"full": full, "minimal": minimal} {
		ann := assertions.Annotations_FromStack(s.stack.Stack)
		nag := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
		for level, found := range map[string]*[]*cxapi.SynthesisMessage{
			"error":   ann.FindError(jsii.String("*"), nag),
			"warning": ann.FindWarning(jsii.String("*"), nag),
		} {
			for _, m := range *found {
				t.Errorf("%s: cdk-nag %s at %s: %v", name, level, *m.Id, m.Entry.Data)
			}
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		ctx  map[string]any
		want string
	}{
		{"strict needs a project id", map[string]any{"strict": "true", "sender": "a@b.co"}, "projectId is required"},
		{"strict needs a sender", map[string]any{"strict": "true", "projectId": testProjectID}, "sender is required"},
		{"project id shape", map[string]any{"projectId": "my-project"}, "must look like project-live-"},
		{"sender is an address", map[string]any{"sender": "Login <a@b.co>"}, "not a bare email address"},
		{"identity covers the sender", map[string]any{"sender": "a@b.co", "senderIdentity": "c.co"}, "not the domain of sender"},
		{"address identity is the sender", map[string]any{"sender": "a@b.co", "senderIdentity": "x@b.co"}, "only authorises itself"},
		{"retention", map[string]any{"logRetentionDays": "31"}, "logRetentionDays 31"},
		{"domain needs a certificate", map[string]any{"domainName": "api.example.com"}, "go together"},
		{"booleans", map[string]any{"deletionProtection": "maybe"}, "want true or false"},
		{"numbers", map[string]any{"memoryMb": "lots"}, "want a whole number"},
		{"sandbox recipients", map[string]any{"sandboxRecipients": "a@b.co,nope"}, `"nope" is not a bare email address`},
		{"rbac policy file", map[string]any{"rbacPolicy": "no-such-policy.json"}, "rbacPolicy no-such-policy.json"},
		{"oauth client id needs its secret", map[string]any{"oauthGoogleClientId": "x"}, "go together"},
		{"oauth secret is an ARN", map[string]any{"oauthMicrosoftClientId": "x", "oauthMicrosoftClientSecretArn": "hunter2"}, "not a Secrets Manager secret ARN"},
		{"userinfo URL is https", map[string]any{"sessionMigrateUserinfoUrl": "http://legacy.example.com/userinfo"}, "sessionMigrateUserinfoUrl"},
		{"event retention at least a day", map[string]any{"eventRetentionDays": "0"}, "eventRetentionDays 0: 1-3650"},
		{"event retention at most ten years", map[string]any{"eventRetentionDays": "3651"}, "eventRetentionDays 3651"},
		{"event retention is a number", map[string]any{"eventRetentionDays": "a month"}, "want a whole number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := infra.FromContext(newApp(c.ctx).Node())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
		})
	}
	// cdk.json values arrive as JSON types, -c values as strings: both work.
	c, err := infra.FromContext(newApp(map[string]any{
		"deletionProtection": false, "memoryMb": float64(512), "redirectUrls": []any{"https://a.example/x", "https://b.example/y"},
	}).Node())
	if err != nil || c.DeletionProtection || c.MemoryMB != 512 || len(c.RedirectURLs) != 2 {
		t.Fatalf("JSON-typed context: %+v, %v", c, err)
	}
}

func TestStrictNeedsBuiltFunctions(t *testing.T) {
	dist := t.TempDir()
	ctx := map[string]any{"strict": "true", "projectId": testProjectID, "sender": "a@b.co", "distDir": dist}
	app := newApp(ctx)
	cfg, err := infra.FromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := infra.NewStack(app, cfg, nil); err == nil || !strings.Contains(err.Error(), "run make build") {
		t.Fatalf("strict synth without binaries: %v", err)
	}
	for _, fn := range infra.Functions() {
		if err := os.MkdirAll(filepath.Join(dist, fn), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dist, fn, "bootstrap"), []byte("binary "+fn), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	app = newApp(ctx)
	stack, err := infra.NewStack(app, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(stack.Placeholders) != 0 {
		t.Fatalf("placeholders %v with every binary present", stack.Placeholders)
	}
	if len(full.stack.Placeholders) != len(infra.Functions()) {
		t.Fatalf("full (no dist): placeholders %v", full.stack.Placeholders)
	}
}

func TestUnknownFunctionFailsTheSynth(t *testing.T) {
	saved := api.Routes
	t.Cleanup(func() { api.Routes = saved })
	api.Routes = append(slices.Clone(saved), api.Route{Method: "GET", Path: "/v1/b2b/reports", Function: "reports"})
	app := newApp(map[string]any{"distDir": t.TempDir()})
	cfg, err := infra.FromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := infra.NewStack(app, cfg, nil); err == nil || !strings.Contains(err.Error(), `"reports" has no entry in infra.FunctionAccess`) {
		t.Fatalf("err = %v", err)
	}
}
