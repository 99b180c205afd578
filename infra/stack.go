// Package infra is Latchkey's AWS deployment: one CDK stack with the DynamoDB table, one Lambda
// per function, the HTTP API generated from shared/api's route table, the hourly cleanup
// schedule, the webhook pipeline (table stream, queues, event sources; webhooks.go), the SES
// sender identity, alarms, and cdk-nag's AwsSolutions checks. The CDK app is
// infra/cmd/cdk (`make synth`, `make deploy`); see infra/README.md.
//
// Nothing outside infra/ may import this package: it pulls in the CDK (a ~100 s cold compile).
package infra

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/store"
)

// Stack is the synthesised Latchkey stack and the parts tests look at.
type Stack struct {
	awscdk.Stack
	Table     awsdynamodb.Table
	Functions map[string]awslambda.Function // by function name, cleanup included
	API       awsapigatewayv2.HttpApi
	// The webhook pipeline's queues: deliveries (the events function sends, deliveries
	// consumes), its dead-letter queue, and the stream source's on-failure destination.
	WebhookQueue, WebhookDLQ, EventsFailed awssqs.Queue
	// Placeholders names the functions whose code is infra/placeholder because
	// dist/<function>/bootstrap was missing (never in strict mode).
	Placeholders []string
}

// Functions returns the names of every function the stack deploys: the route owners, in
// route-table order, then cleanup, events and deliveries.
func Functions() []string {
	return append(api.Functions(), CleanupFunction, EventsFunction, DeliveriesFunction)
}

// NewStack defines the stack in app. It returns an error (and defines nothing usable) when the
// route table names a function without an entry in FunctionAccess, or, in strict mode, when a
// function's binary is missing.
func NewStack(scope constructs.Construct, c Config, props *awscdk.StackProps) (*Stack, error) {
	for _, fn := range Functions() {
		if _, ok := FunctionAccess[fn]; !ok {
			return nil, fmt.Errorf("function %q has no entry in infra.FunctionAccess (infra/permissions.go): list the DynamoDB actions it uses", fn)
		}
	}
	if props == nil {
		props = &awscdk.StackProps{}
	}
	if props.Description == nil {
		props.Description = jsii.String("Latchkey: Stytch-B2B-compatible auth API (DynamoDB, Lambda, API Gateway HTTP API, SES)")
	}
	stack := awscdk.NewStack(scope, jsii.String(c.StackName), props)
	awscdk.Tags_Of(stack).Add(jsii.String("app"), jsii.String("latchkey"), nil)
	s := &Stack{Stack: stack, Functions: map[string]awslambda.Function{}}

	s.Table = newTable(stack, c)
	sender := newSenderIdentity(stack, c)
	alarms := newAlarmTopic(stack, c)
	queues := newWebhookQueues(stack, c, alarms)
	s.WebhookQueue, s.WebhookDLQ, s.EventsFailed = queues.deliveries, queues.dlq, queues.eventsFailed
	s.API = newHTTPAPI(stack, c)
	// Where clients and identity providers reach the API (SCIM connections' base_url).
	baseURL := s.API.ApiEndpoint()
	switch {
	case c.BaseURL != "":
		baseURL = jsii.String(c.BaseURL)
	case c.DomainName != "":
		baseURL = jsii.String("https://" + c.DomainName)
	}

	// Connection secrets (OIDC client secrets, SAML service-provider keys) and webhook endpoint
	// secrets are sealed with this key; only the functions that hold such secrets may use it
	// (Access.Seal; Access.Unseal only opens them).
	secrets := awskms.NewKey(stack, jsii.String("SecretsKey"), &awskms.KeyProps{
		Description:       jsii.String("Latchkey " + c.StackName + ": seals SSO connection secrets stored in the table"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	publicToken := latchkey.PublicTokenFor(c.ProjectID)
	env := map[string]*string{
		"LATCHKEY_PROJECT_ID":           jsii.String(c.ProjectID),
		"LATCHKEY_PUBLIC_TOKEN":         jsii.String(publicToken),
		"LATCHKEY_TABLE":                s.Table.TableName(),
		"LATCHKEY_SENDER":               jsii.String(c.Sender),
		"LATCHKEY_REDIRECT_URLS":        jsii.String(strings.Join(c.RedirectURLs, ",")),
		"LATCHKEY_DEFAULT_REDIRECT_URL": jsii.String(c.DefaultRedirectURL),
		"LATCHKEY_BASE_URL":             baseURL,
	}
	if c.EmailSendsPerHour > 0 {
		env["LATCHKEY_EMAIL_SENDS_PER_HOUR"] = jsii.String(strconv.Itoa(c.EmailSendsPerHour))
	}
	if c.OrgSendsPerHour > 0 {
		env["LATCHKEY_ORG_SENDS_PER_HOUR"] = jsii.String(strconv.Itoa(c.OrgSendsPerHour))
	}
	if c.SMSOriginationIdentity != "" {
		env["LATCHKEY_SMS_ORIGINATION_IDENTITY"] = jsii.String(c.SMSOriginationIdentity)
	}
	if c.PasswordScope != "" {
		env["LATCHKEY_PASSWORD_SCOPE"] = jsii.String(c.PasswordScope)
	}
	if c.PasswordPolicy != "" {
		env["LATCHKEY_PASSWORD_POLICY"] = jsii.String(c.PasswordPolicy)
	}
	if c.RBACPolicy != "" {
		env["LATCHKEY_RBAC_POLICY"] = jsii.String(c.RBACPolicy)
	}
	for _, name := range Functions() {
		fnEnv := env
		timeout := awscdk.Duration_Seconds(jsii.Number(15))
		desc := "Latchkey " + name + " routes (API Gateway HTTP API, payload v2)"
		switch name {
		case CleanupFunction:
			// Cleanup reads only the project id and the table.
			fnEnv = map[string]*string{"LATCHKEY_PROJECT_ID": env["LATCHKEY_PROJECT_ID"], "LATCHKEY_TABLE": env["LATCHKEY_TABLE"]}
			timeout = awscdk.Duration_Minutes(jsii.Number(5))
			desc = "Latchkey cleanup of expired tokens and sessions (EventBridge, hourly)"
		case EventsFunction:
			timeout = awscdk.Duration_Seconds(jsii.Number(EventsTimeoutSeconds))
			desc = "Latchkey events: table stream changes to audit events and webhook deliveries (DynamoDB Stream)"
		case DeliveriesFunction:
			timeout = awscdk.Duration_Seconds(jsii.Number(DeliveriesTimeoutSeconds))
			desc = "Latchkey webhook deliveries: signed POSTs to endpoints, retried with backoff (SQS)"
		}
		if a := FunctionAccess[name]; a.Seal || a.OAuth || a.SessionMigrate || isWebhookFunction(a) {
			fnEnv = maps.Clone(env) // the variables below are this function's alone
		}
		if FunctionAccess[name].SessionMigrate && c.SessionMigrateUserinfoURL != "" {
			fnEnv["LATCHKEY_SESSION_MIGRATE_USERINFO_URL"] = jsii.String(c.SessionMigrateUserinfoURL)
		}
		if FunctionAccess[name].Seal || FunctionAccess[name].Unseal {
			fnEnv["LATCHKEY_KMS_KEY_ID"] = secrets.KeyArn()
		}
		webhookEnv(fnEnv, c, queues, FunctionAccess[name])
		if FunctionAccess[name].OAuth {
			for provider, p := range c.OAuth {
				if p.ClientID == "" {
					continue
				}
				prefix := "LATCHKEY_OAUTH_" + strings.ToUpper(provider) + "_"
				fnEnv[prefix+"CLIENT_ID"], fnEnv[prefix+"CLIENT_SECRET"] = jsii.String(p.ClientID), jsii.String(p.SecretARN)
				if p.Issuer != "" {
					fnEnv[prefix+"ISSUER"] = jsii.String(p.Issuer)
				}
			}
		}
		fn, placeholder, err := newFunction(stack, c, name, desc, fnEnv, timeout, s.Table, sender, secrets)
		if err != nil {
			return nil, err
		}
		if placeholder {
			s.Placeholders = append(s.Placeholders, name)
		}
		s.Functions[name] = fn
		functionAlarms(stack, name, fn, alarms)
		attachWebhooks(stack, name, fn, s.Table, queues, alarms)
	}

	addRoutes(stack, c, s.API, s.Functions, alarms)
	newCleanupSchedule(stack, s.Functions[CleanupFunction])
	tableAlarm(stack, s.Table, alarms)

	out := func(id, value, desc string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: jsii.String(value), Description: jsii.String(desc)})
	}
	awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Value: s.API.ApiEndpoint(), Description: jsii.String("Base URL of the API (point stytch-go's custom base URL here)"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("TableName"), &awscdk.CfnOutputProps{
		Value: s.Table.TableName(), Description: jsii.String("DynamoDB table (make project-secret TABLE=...)"),
	})
	out("ProjectId", c.ProjectID, "project_id for HTTP Basic auth; create a secret with make project-secret")
	out("PublicToken", publicToken, "public_token for browser routes (GET /v1/public/sso/start); not a secret")
	out("SenderIdentityName", c.SenderIdentity, "SES identity that must be verified before magic-link email is delivered")
	awscdk.NewCfnOutput(stack, jsii.String("AlarmTopicArn"), &awscdk.CfnOutputProps{
		Value: alarms.TopicArn(), Description: jsii.String("SNS topic every alarm notifies; subscribe to it"),
	})

	applyNag(stack)
	if len(s.Placeholders) > 0 {
		awscdk.Annotations_Of(stack).AddWarningV2(jsii.String("latchkey:placeholder-code"), jsii.String(
			"no dist/<function>/bootstrap for "+strings.Join(s.Placeholders, ", ")+
				": synthesised with the placeholder in infra/placeholder; run make build before deploying"))
	}
	return s, nil
}

func newTable(stack awscdk.Stack, c Config) awsdynamodb.Table {
	str := func(name string) *awsdynamodb.Attribute {
		return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
	}
	removal := awscdk.RemovalPolicy_RETAIN
	if !c.DeletionProtection {
		removal = awscdk.RemovalPolicy_DESTROY
	}
	t := awsdynamodb.NewTable(stack, jsii.String("Table"), &awsdynamodb.TableProps{
		TableName:           jsii.String(c.TableName),
		PartitionKey:        str(store.AttrPK),
		SortKey:             str(store.AttrSK),
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		TimeToLiveAttribute: jsii.String(store.AttrTTL),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection: jsii.Bool(c.DeletionProtection),
		RemovalPolicy:      removal,
		// The events function reads every change from the stream (old and new image: an
		// UPDATE compares them, a DELETE presents the old one).
		Stream: awsdynamodb.StreamViewType_NEW_AND_OLD_IMAGES,
	})
	for _, ix := range store.Indexes {
		t.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   str(ix.PK),
			SortKey:        str(ix.SK),
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}
	return t
}

// senderIdentity is the SES identity magic-link email is sent from, plus the recipients the
// stack verifies for sending while the account is in the SES sandbox.
type senderIdentity struct {
	arns []*string // identities ses:SendEmail is allowed on
}

func newSenderIdentity(stack awscdk.Stack, c Config) senderIdentity {
	arn := func(identity string) *string {
		return stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("ses"), Resource: jsii.String("identity"), ResourceName: jsii.String(identity),
		})
	}
	id := senderIdentity{arns: []*string{arn(c.SenderIdentity)}}
	if c.CreateSenderIdentity {
		var identity awsses.Identity
		if isAddress(c.SenderIdentity) {
			identity = awsses.Identity_Email(jsii.String(c.SenderIdentity))
		} else {
			identity = awsses.Identity_Domain(jsii.String(c.SenderIdentity))
		}
		ei := awsses.NewEmailIdentity(stack, jsii.String("SenderIdentity"), &awsses.EmailIdentityProps{Identity: identity})
		if !isAddress(c.SenderIdentity) {
			// Easy DKIM: publish these three CNAMEs in the domain's DNS to verify it.
			for i, r := range *ei.DkimRecords() {
				awscdk.NewCfnOutput(stack, jsii.String(fmt.Sprintf("DkimRecord%d", i+1)), &awscdk.CfnOutputProps{
					Value:       awscdk.Fn_Join(jsii.String(" "), &[]*string{r.Name, jsii.String("CNAME"), r.Value}),
					Description: jsii.String("DNS record that verifies the SES domain identity (DKIM)"),
				})
			}
		}
	}
	for i, r := range c.SandboxRecipients {
		if strings.EqualFold(r, c.SenderIdentity) {
			continue
		}
		awsses.NewEmailIdentity(stack, jsii.String(fmt.Sprintf("SandboxRecipient%d", i+1)), &awsses.EmailIdentityProps{
			Identity: awsses.Identity_Email(jsii.String(r)),
		})
		// In the sandbox SES also authorises the send against each recipient's identity.
		id.arns = append(id.arns, arn(r))
	}
	return id
}

func newAlarmTopic(stack awscdk.Stack, c Config) awssns.Topic {
	topic := awssns.NewTopic(stack, jsii.String("Alarms"), &awssns.TopicProps{
		DisplayName: jsii.String("Latchkey alarms"),
		EnforceSSL:  jsii.Bool(true),
	})
	if c.AlarmEmail != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(c.AlarmEmail), nil))
	}
	return topic
}

// newFunction defines one function: its own role (no managed policies), its own log group with
// retention, arm64 on provided.al2023, code from dist/<name> (or the placeholder).
func newFunction(stack awscdk.Stack, c Config, name, desc string, env map[string]*string, timeout awscdk.Duration,
	table awsdynamodb.Table, sender senderIdentity, secrets awskms.Key) (awslambda.Function, bool, error) {
	id := exportName(name)
	code, placeholder, err := functionCode(c, name)
	if err != nil {
		return nil, false, err
	}
	logs := awslogs.NewLogGroup(stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("/latchkey/" + c.StackName + "/" + name),
		Retention:     awslogs.RetentionDays(retention[c.LogRetentionDays]),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	role := awsiam.NewRole(stack, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Latchkey " + name + " function: its log group, the DynamoDB actions it uses, nothing else"),
	})
	logs.GrantWrite(role)

	access := FunctionAccess[name]
	actions := func(names []string) *[]*string {
		out := make([]*string, 0, len(names))
		for _, a := range names {
			out = append(out, jsii.String("dynamodb:"+a))
		}
		return &out
	}
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("Table"),
		Actions:   actions(access.Table),
		Resources: &[]*string{table.TableArn()},
	}))
	if len(access.IndexQuery) > 0 {
		var indexes []*string
		for _, ix := range access.IndexQuery {
			indexes = append(indexes, awscdk.Fn_Join(jsii.String(""), &[]*string{table.TableArn(), jsii.String("/index/" + ix)}))
		}
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("IndexQuery"),
			Actions:   actions([]string{"Query"}),
			Resources: &indexes,
		}))
	}
	if access.SendEmail {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("SendEmail"),
			Actions:    jsii.Strings("ses:SendEmail"),
			Resources:  &sender.arns,
			Conditions: &map[string]any{"StringEquals": map[string]any{"ses:FromAddress": c.Sender}},
		}))
	}

	if access.SendSMS {
		// With an origination identity given as an ARN, texts may come from it alone. Otherwise
		// End User Messaging picks one of the account's phone numbers, sender ids or pools (or
		// the identity is named by number or id), so the grant covers those in this account and
		// region: a wildcard, suppressed below with that reason.
		resources := []*string{}
		if strings.HasPrefix(c.SMSOriginationIdentity, "arn:") {
			resources = append(resources, jsii.String(c.SMSOriginationIdentity))
		} else {
			for _, kind := range []string{"phone-number", "sender-id", "pool"} {
				resources = append(resources, awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), awscdk.Aws_PARTITION(),
					jsii.String(":sms-voice:"), awscdk.Aws_REGION(), jsii.String(":"), awscdk.Aws_ACCOUNT_ID(), jsii.String(":" + kind + "/*")}))
			}
			cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
				Id: jsii.String("AwsSolutions-IAM5"),
				Reason: jsii.String("SendTextMessage for the MFA codes: with no origination identity ARN configured " +
					"(smsOriginationIdentity), End User Messaging chooses among this account's phone numbers, sender ids " +
					"and pools in this region; the grant is limited to those and to this one action."),
			}}, jsii.Bool(true))
		}
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("SendSMS"),
			Actions:   jsii.Strings("sms-voice:SendTextMessage"),
			Resources: &resources,
		}))
	}
	if access.OAuth {
		var arns []*string
		for _, p := range c.OAuth {
			if p.SecretARN != "" {
				arns = append(arns, jsii.String(p.SecretARN))
			}
		}
		if len(arns) > 0 {
			role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("OAuthClientSecrets"),
				Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
				Resources: &arns,
			}))
		}
	}
	if access.Unseal {
		// Opening webhook endpoint secrets only (sealing them is the webhooks function's). The
		// key also seals SSO secrets, bound to organization and connection: the condition lets
		// this role decrypt only what is bound to an endpoint_id and nothing else, so the
		// function that POSTs to customer URLs cannot open an SSO private key or client secret.
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("OpenSecrets"),
			Actions:   jsii.Strings("kms:Decrypt"),
			Resources: &[]*string{secrets.KeyArn()},
			Conditions: &map[string]any{
				"ForAllValues:StringEquals": map[string]any{"kms:EncryptionContextKeys": []string{"endpoint_id"}},
				"Null":                      map[string]any{"kms:EncryptionContext:endpoint_id": "false"},
			},
		}))
	}
	if access.Seal {
		// Sealing binds each secret to its organization and connection (EncryptionContext),
		// so the grant is only worth as much as the code that names the binding; it is still
		// limited to this key and to these two actions.
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("SealSecrets"),
			Actions:   jsii.Strings("kms:Encrypt", "kms:Decrypt"),
			Resources: &[]*string{secrets.KeyArn()},
		}))
	}
	memory := c.MemoryMB
	if access.MemoryMB > 0 {
		memory = access.MemoryMB
	}
	fn := awslambda.NewFunction(stack, jsii.String(id+"Function"), &awslambda.FunctionProps{
		Description:  jsii.String(desc),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         code,
		MemorySize:   jsii.Number(float64(memory)),
		Timeout:      timeout,
		Environment:  &env,
		Role:         role,
		LogGroup:     logs,
	})
	return fn, placeholder, nil
}

// functionCode is dist/<name> when `make build` has produced it. Otherwise (synth and tests
// on a fresh clone) it is infra/placeholder, a bootstrap that only says to run make build;
// strict mode (make deploy) refuses that.
func functionCode(c Config, name string) (awslambda.Code, bool, error) {
	dir := c.DistDir(name)
	if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err == nil {
		return awslambda.Code_FromAsset(jsii.String(dir), nil), false, nil
	}
	if c.Strict {
		return nil, false, fmt.Errorf("%s is missing: run make build (make deploy does) before deploying", filepath.Join(dir, "bootstrap"))
	}
	return awslambda.Code_FromAsset(jsii.String(filepath.Join(c.Root, "infra", "placeholder")), nil), true, nil
}

// accessLog implements awsapigatewayv2.IAccessLogSettings.
type accessLog struct {
	dest   awsapigatewayv2.IAccessLogDestination
	format awsapigateway.AccessLogFormat
}

func (a *accessLog) Destination() awsapigatewayv2.IAccessLogDestination { return a.dest }
func (a *accessLog) Format() awsapigateway.AccessLogFormat              { return a.format }

// accessLogFormat is one JSON line per request. It has no headers, query strings or bodies, so
// no credential or token can reach the logs.
const accessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
	`"requestTime":"$context.requestTime","routeKey":"$context.routeKey","status":"$context.status",` +
	`"protocol":"$context.protocol","responseLength":"$context.responseLength",` +
	`"responseLatency":"$context.responseLatency","integrationLatency":"$context.integrationLatency",` +
	`"integrationStatus":"$context.integrationStatus","integrationError":"$context.integrationErrorMessage",` +
	`"error":"$context.error.message"}`

// newHTTPAPI defines the API before the functions, so their environment can name its URL.
func newHTTPAPI(stack awscdk.Stack, c Config) awsapigatewayv2.HttpApi {
	return awsapigatewayv2.NewHttpApi(stack, jsii.String("Api"), &awsapigatewayv2.HttpApiProps{
		ApiName:            jsii.String(c.StackName),
		Description:        jsii.String("Latchkey API; routes generated from shared/api.Routes"),
		CreateDefaultStage: jsii.Bool(false),
	})
}

// addRoutes gives the API its $default stage (throttling, access logs, custom domain), one
// route per api.Routes entry, the catch-all and the 5xx alarm.
func addRoutes(stack awscdk.Stack, c Config, httpAPI awsapigatewayv2.HttpApi, fns map[string]awslambda.Function, alarms awssns.Topic) {
	accessLogs := awslogs.NewLogGroup(stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("/latchkey/" + c.StackName + "/api-access"),
		Retention:     awslogs.RetentionDays(retention[c.LogRetentionDays]),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	stageProps := &awsapigatewayv2.HttpStageProps{
		HttpApi:    httpAPI,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit: jsii.Number(float64(c.ThrottleRate)), BurstLimit: jsii.Number(float64(c.ThrottleBurst)),
		},
		AccessLogSettings: &accessLog{
			dest:   awsapigatewayv2.NewLogGroupLogDestination(accessLogs),
			format: awsapigateway.AccessLogFormat_Custom(jsii.String(accessLogFormat)),
		},
	}
	if c.DomainName != "" {
		dn := awsapigatewayv2.NewDomainName(stack, jsii.String("Domain"), &awsapigatewayv2.DomainNameProps{
			DomainName:  jsii.String(c.DomainName),
			Certificate: awscertificatemanager.Certificate_FromCertificateArn(stack, jsii.String("Certificate"), jsii.String(c.CertificateArn)),
		})
		stageProps.DomainMapping = &awsapigatewayv2.DomainMappingOptions{DomainName: dn}
		awscdk.NewCfnOutput(stack, jsii.String("CustomDomainTarget"), &awscdk.CfnOutputProps{
			Value:       dn.RegionalDomainName(),
			Description: jsii.String("Point a CNAME (or Route 53 alias) for " + c.DomainName + " at this name"),
		})
	}
	stage := awsapigatewayv2.NewHttpStage(stack, jsii.String("DefaultStage"), stageProps)

	integrations := map[string]awsapigatewayv2.HttpRouteIntegration{}
	integration := func(fn string) awsapigatewayv2.HttpRouteIntegration {
		if in, ok := integrations[fn]; ok {
			return in
		}
		in := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(exportName(fn)+"Integration"), fns[fn],
			&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
				PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
				// One invoke permission per function for this API (any of its routes) rather than one
				// per route: a function's resource policy is capped at 20 KB, and scim alone has ~30 routes.
				ScopePermissionToRoute: jsii.Bool(false),
			})
		integrations[fn] = in
		return in
	}
	for _, r := range api.Routes {
		route := awsapigatewayv2.NewHttpRoute(httpAPI, jsii.String(routeID(r.Method, r.Path)), &awsapigatewayv2.HttpRouteProps{
			HttpApi:     httpAPI,
			RouteKey:    awsapigatewayv2.HttpRouteKey_With(jsii.String(r.Path), awsapigatewayv2.HttpMethod(r.Method)),
			Integration: integration(r.Function),
		})
		reason := "Authenticated inside the function with HTTP Basic project_id:secret, exactly as the Stytch API does " +
			"(stytch-go and stytch-node send it); an API Gateway authorizer could not check a hashed secret in DynamoDB " +
			"without a second Lambda per request and could not answer in Stytch's error shape."
		switch {
		case strings.HasPrefix(r.Path, "/scim/"):
			reason = "Authenticated inside the function with the SCIM connection's bearer token (hashed in DynamoDB), " +
				"as identity providers send it; an authorizer would cost a second Lambda invocation per request."
		case r.Public:
			reason = "Public by design: Stytch clients fetch this route (the JWKS) without credentials."
		}
		cdknag.NagSuppressions_AddResourceSuppressions(route, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-APIG4"), Reason: jsii.String(reason),
		}}, jsii.Bool(true))
	}
	// Requests that match no route reach the first function, whose handler answers them with a
	// Stytch-shaped 404/405 JSON body (as `make dev` does) instead of API Gateway's own
	// {"message":"Not Found"}.
	// Its own integration: the API-wide invoke permission above ("<api>/*/*/*") does not match
	// the $default route's source ARN ("<api>/<stage>/$default"); a route-scoped one ("<api>/*/*") does.
	fallback := awsapigatewayv2.NewHttpRoute(httpAPI, jsii.String("CatchAll"), &awsapigatewayv2.HttpRouteProps{
		HttpApi:  httpAPI,
		RouteKey: awsapigatewayv2.HttpRouteKey_DEFAULT(),
		Integration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("CatchAllIntegration"), fns[api.Routes[0].Function],
			&awsapigatewayv2integrations.HttpLambdaIntegrationProps{PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0()}),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(fallback, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-APIG4"),
		Reason: jsii.String("The catch-all route only ever answers 404/405 in Stytch's JSON error shape; " +
			"it serves no data. It is throttled with the rest of the stage."),
	}}, jsii.Bool(true))

	alarm(stack, "Api5xx", stage.MetricServerError(&awscloudwatch.MetricOptions{
		Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum"),
	}), 5, "The API answered 5 or more 5xx responses in 5 minutes (function errors, timeouts, DynamoDB or SES unavailable).", alarms)
}

func newCleanupSchedule(stack awscdk.Stack, cleanup awslambda.Function) {
	awsevents.NewRule(stack, jsii.String("CleanupSchedule"), &awsevents.RuleProps{
		Description: jsii.String("Runs the Latchkey cleanup of expired tokens and sessions every hour"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Hours(jsii.Number(1))),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(cleanup, &awseventstargets.LambdaFunctionProps{
			RetryAttempts: jsii.Number(2),
			MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(50)),
		})},
	})
}

func functionAlarms(stack awscdk.Stack, name string, fn awslambda.Function, topic awssns.Topic) {
	five := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}
	id := exportName(name)
	alarm(stack, id+"Errors", fn.MetricErrors(five), 1,
		"The "+name+" function failed (crash, timeout or error result) at least once in 5 minutes.", topic)
	alarm(stack, id+"Throttles", fn.MetricThrottles(five), 1,
		"The "+name+" function was throttled at least once in 5 minutes (account concurrency limit).", topic)
}

func tableAlarm(stack awscdk.Stack, table awsdynamodb.Table, topic awssns.Topic) {
	metric := func(name string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/DynamoDB"), MetricName: jsii.String(name),
			DimensionsMap: &map[string]*string{"TableName": table.TableName()},
			Period:        awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum"),
		})
	}
	throttles := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String("FILL(r, 0) + FILL(w, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{"r": metric("ReadThrottleEvents"), "w": metric("WriteThrottleEvents")},
		Label:        jsii.String("DynamoDB throttle events"),
		Period:       awscdk.Duration_Minutes(jsii.Number(5)),
	})
	alarm(stack, "TableThrottles", throttles, 1, "DynamoDB throttled reads or writes on the table at least once in 5 minutes.", topic)
}

func alarm(stack awscdk.Stack, id string, metric awscloudwatch.IMetric, threshold float64, desc string, topic awssns.Topic) {
	a := awscloudwatch.NewAlarm(stack, jsii.String(id+"Alarm"), &awscloudwatch.AlarmProps{
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		AlarmDescription:   jsii.String(desc),
	})
	a.AddAlarmAction(awscloudwatchactions.NewSnsAction(topic))
}

// applyNag runs cdk-nag's AwsSolutions pack on the stack. Findings become error/warning
// annotations; cmd/cdk fails the synth on them and the tests assert there are none.
func applyNag(stack awscdk.Stack) {
	awscdk.Aspects_Of(stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

var nonAlnum = regexp.MustCompile(`[^A-Za-z0-9]+`)

// exportName is a CamelCase construct id for a function name ("magiclinks" → "Magiclinks").
func exportName(name string) string {
	parts := nonAlnum.Split(name, -1)
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

// routeID is a stable construct id for a route ("GET /v1/b2b/sessions" → "GET-v1-b2b-sessions").
func routeID(method, path string) string {
	return method + "-" + strings.Trim(nonAlnum.ReplaceAllString(path, "-"), "-")
}
