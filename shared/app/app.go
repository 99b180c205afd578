// Package app composes Latchkey from configuration: AWS clients, the store, the key set and
// the HTTP server. Every function's main.go, the local gateway and the tests build through it,
// so they cannot be wired differently.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/awssecret"
	"github.com/latchkey/latchkey/shared/discovery"
	webhooks "github.com/latchkey/latchkey/shared/events"
	"github.com/latchkey/latchkey/shared/magiclink"
	"github.com/latchkey/latchkey/shared/mail"
	"github.com/latchkey/latchkey/shared/mfa"
	"github.com/latchkey/latchkey/shared/oauth"
	"github.com/latchkey/latchkey/shared/orgs"
	"github.com/latchkey/latchkey/shared/otp"
	"github.com/latchkey/latchkey/shared/passwords"
	"github.com/latchkey/latchkey/shared/queue"
	"github.com/latchkey/latchkey/shared/rbac"
	"github.com/latchkey/latchkey/shared/safehttp"
	"github.com/latchkey/latchkey/shared/scim"
	"github.com/latchkey/latchkey/shared/seal"
	"github.com/latchkey/latchkey/shared/sessionmigrate"
	"github.com/latchkey/latchkey/shared/sms"
	"github.com/latchkey/latchkey/shared/sso"
	"github.com/latchkey/latchkey/shared/store"
	"github.com/latchkey/latchkey/shared/tokens"
)

// Config is read from the environment; see README "Configuration".
type Config struct {
	ProjectID        string // LATCHKEY_PROJECT_ID
	Table            string // LATCHKEY_TABLE
	Region           string // AWS_REGION
	DynamoDBEndpoint string // LATCHKEY_DYNAMODB_ENDPOINT: emulator URL; empty in AWS
	SESEndpoint      string // LATCHKEY_SES_ENDPOINT
	Sender           string // LATCHKEY_SENDER
	// SMSEndpoint is LATCHKEY_SMS_ENDPOINT: the End User Messaging SMS emulator's URL; empty in
	// AWS. SMSOrigination is LATCHKEY_SMS_ORIGINATION_IDENTITY, the phone number, pool or
	// sender ID (or its ARN) texts are sent from: stack configuration, since it is bought and
	// registered per account; empty lets the service choose from the account's identities.
	SMSEndpoint    string
	SMSOrigination string
	// RedirectURLs is the allow-list for magic-link redirects (LATCHKEY_REDIRECT_URLS, comma
	// separated); DefaultRedirectURL is used when a request names none.
	RedirectURLs       []string
	DefaultRedirectURL string
	EmailSendsPerHour  int // LATCHKEY_EMAIL_SENDS_PER_HOUR: per email address
	OrgSendsPerHour    int // LATCHKEY_ORG_SENDS_PER_HOUR: per organization
	// BaseURL is where clients reach this deployment (LATCHKEY_BASE_URL); SCIM connections'
	// base_url is BaseURL/scim/v2/<connection_id>.
	BaseURL string
	// PasswordScope is LATCHKEY_PASSWORD_SCOPE: organization (the default, as Stytch's) or
	// cross_organization. PasswordPolicy is LATCHKEY_PASSWORD_POLICY (zxcvbn or luds) with
	// LATCHKEY_PASSWORD_LUDS_MIN_LENGTH (8-32) and LATCHKEY_PASSWORD_LUDS_MIN_COMPLEXITY (1-4).
	PasswordScope  string
	PasswordPolicy passwords.Policy
	// PublicToken is LATCHKEY_PUBLIC_TOKEN, the project's public token, which browser routes
	// (SSO start) are called with; by default latchkey.PublicTokenFor(ProjectID).
	PublicToken string
	// KMSEndpoint is LATCHKEY_KMS_ENDPOINT (the KMS emulator's URL; empty in AWS) and KMSKeyID
	// LATCHKEY_KMS_KEY_ID, the key that seals connection secrets (client secrets, SP keys).
	KMSEndpoint string
	KMSKeyID    string
	// FetchAllowLoopback is LATCHKEY_FETCH_ALLOW_LOOPBACK: identity-provider URLs may then be
	// loopback http, for make dev and the tests, whose providers run on this machine. Never
	// set in AWS, where private, loopback and link-local targets are refused.
	FetchAllowLoopback bool
	// OAuth is the configured OAuth providers (google, microsoft): LATCHKEY_OAUTH_<NAME>_CLIENT_ID,
	// _CLIENT_SECRET (the secret, or the ARN of a Secrets Manager secret holding it, read once
	// at start) and _ISSUER (default the provider's). SecretsManagerEndpoint is
	// LATCHKEY_SECRETSMANAGER_ENDPOINT, the emulator's URL locally.
	OAuth                  map[string]oauth.Provider
	SecretsManagerEndpoint string
	// SessionMigrateUserinfoURL is LATCHKEY_SESSION_MIGRATE_USERINFO_URL: the userinfo endpoint
	// of the application's previous auth system, which Sessions.Migrate asks whose session
	// token it was given. Empty: Sessions.Migrate answers that it is not configured.
	SessionMigrateUserinfoURL string
	// RBAC is the project's RBAC policy: LATCHKEY_RBAC_POLICY (a JSON file's path, or the JSON)
	// merged with Stytch's default roles and resources; the defaults alone when unset.
	RBAC rbac.Policy
	// Breaches, when set, checks new passwords against a breach corpus; off by default.
	Breaches passwords.Breaches
	// JWTReuse is LATCHKEY_JWT_REUSE_SECONDS: for how long a signed session JWT is answered
	// again for the same session and claims instead of being signed anew (tokens.JWTReuse).
	// Default 30 s, never more than 60 s (larger values are clamped); 0 turns reuse off. In a
	// Config built in code, zero is the default and JWTReuseOff turns it off.
	JWTReuse time.Duration
	// WebhookQueueURL is LATCHKEY_WEBHOOK_QUEUE_URL: the SQS queue of webhook deliveries
	// (shared/events). Empty: events are still captured and kept, and nothing is delivered.
	// SQSEndpoint is LATCHKEY_SQS_ENDPOINT, the emulator's URL locally.
	WebhookQueueURL string
	SQSEndpoint     string
	// EventRetention is LATCHKEY_EVENT_RETENTION_DAYS (default 30): how long the audit trail
	// keeps an event (DynamoDB TTL).
	EventRetention time.Duration
	// Clock is nil in production (the system clock); tests pass one they can move.
	Clock latchkey.Clock
}

// JWTReuseOff in Config.JWTReuse signs every session JWT anew.
const JWTReuseOff time.Duration = -1

// ConfigFromEnv reads Config, applying defaults where one is safe.
func ConfigFromEnv() (Config, error) {
	c := Config{
		ProjectID:          os.Getenv("LATCHKEY_PROJECT_ID"),
		Table:              envOr("LATCHKEY_TABLE", "latchkey"),
		Region:             envOr("AWS_REGION", "us-east-1"),
		DynamoDBEndpoint:   os.Getenv("LATCHKEY_DYNAMODB_ENDPOINT"),
		SESEndpoint:        os.Getenv("LATCHKEY_SES_ENDPOINT"),
		Sender:             envOr("LATCHKEY_SENDER", "no-reply@latchkey.local"),
		SMSEndpoint:        os.Getenv("LATCHKEY_SMS_ENDPOINT"),
		SMSOrigination:     os.Getenv("LATCHKEY_SMS_ORIGINATION_IDENTITY"),
		RedirectURLs:       splitList(envOr("LATCHKEY_REDIRECT_URLS", "http://localhost:*")),
		DefaultRedirectURL: envOr("LATCHKEY_DEFAULT_REDIRECT_URL", "http://localhost:3000/authenticate"),
		BaseURL:            envOr("LATCHKEY_BASE_URL", DefaultBaseURL),
		PublicToken:        os.Getenv("LATCHKEY_PUBLIC_TOKEN"),
		KMSEndpoint:        os.Getenv("LATCHKEY_KMS_ENDPOINT"),
		KMSKeyID:           envOr("LATCHKEY_KMS_KEY_ID", DefaultKMSKeyID),
		FetchAllowLoopback: os.Getenv("LATCHKEY_FETCH_ALLOW_LOOPBACK") == "true",
	}
	var err error
	if c.EmailSendsPerHour, err = intEnv("LATCHKEY_EMAIL_SENDS_PER_HOUR", 10); err != nil {
		return c, err
	}
	if c.OrgSendsPerHour, err = intEnv("LATCHKEY_ORG_SENDS_PER_HOUR", 1000); err != nil {
		return c, err
	}
	if c.JWTReuse, err = JWTReuseWindow(os.Getenv("LATCHKEY_JWT_REUSE_SECONDS")); err != nil {
		return c, err
	}
	c.WebhookQueueURL, c.SQSEndpoint = os.Getenv("LATCHKEY_WEBHOOK_QUEUE_URL"), os.Getenv("LATCHKEY_SQS_ENDPOINT")
	days, err := intEnv("LATCHKEY_EVENT_RETENTION_DAYS", 30)
	if err != nil {
		return c, err
	}
	if days < 1 || days > 3650 {
		return c, fmt.Errorf("LATCHKEY_EVENT_RETENTION_DAYS=%d must be between 1 and 3650", days)
	}
	c.EventRetention = time.Duration(days) * 24 * time.Hour
	if c.ProjectID == "" {
		return c, errors.New("LATCHKEY_PROJECT_ID is required")
	}
	if c.PublicToken == "" {
		c.PublicToken = latchkey.PublicTokenFor(c.ProjectID)
	} else if !latchkey.LooksLike("public-token", c.PublicToken) {
		return c, fmt.Errorf("LATCHKEY_PUBLIC_TOKEN=%q must be public-token-test-<uuid> or public-token-live-<uuid>", c.PublicToken)
	}
	c.SecretsManagerEndpoint = os.Getenv("LATCHKEY_SECRETSMANAGER_ENDPOINT")
	c.OAuth = map[string]oauth.Provider{}
	for _, name := range []string{oauth.Google, oauth.Microsoft} {
		prefix := "LATCHKEY_OAUTH_" + strings.ToUpper(name) + "_"
		p := oauth.Provider{ClientID: os.Getenv(prefix + "CLIENT_ID"), ClientSecret: os.Getenv(prefix + "CLIENT_SECRET"), Issuer: os.Getenv(prefix + "ISSUER")}
		if (p.ClientID == "") != (p.ClientSecret == "") {
			return c, fmt.Errorf("%sCLIENT_ID and %sCLIENT_SECRET go together", prefix, prefix)
		}
		if p.Issuer != "" {
			// https only; http only on loopback, and only locally (LATCHKEY_FETCH_ALLOW_LOOPBACK).
			if err := (safehttp.Policy{AllowLoopback: c.FetchAllowLoopback}).CheckURL(p.Issuer); err != nil {
				return c, fmt.Errorf("%sISSUER=%q: %w", prefix, p.Issuer, err)
			}
		}
		if p.ClientID != "" {
			c.OAuth[name] = p
		}
	}
	if u := os.Getenv("LATCHKEY_SESSION_MIGRATE_USERINFO_URL"); u != "" {
		// The same rule as the OAuth issuers': https, or http to loopback locally.
		if err := (safehttp.Policy{AllowLoopback: c.FetchAllowLoopback}).CheckURL(u); err != nil {
			return c, fmt.Errorf("LATCHKEY_SESSION_MIGRATE_USERINFO_URL=%q: %w", u, err)
		}
		c.SessionMigrateUserinfoURL = u
	}
	if c.RBAC, err = RBACPolicy(os.Getenv("LATCHKEY_RBAC_POLICY")); err != nil {
		return c, err
	}
	if c.PasswordScope, err = PasswordScope(os.Getenv("LATCHKEY_PASSWORD_SCOPE")); err != nil {
		return c, err
	}
	c.PasswordPolicy = passwords.DefaultPolicy
	switch p := envOr("LATCHKEY_PASSWORD_POLICY", passwords.PolicyZxcvbn); p {
	case passwords.PolicyZxcvbn, passwords.PolicyLUDS:
		c.PasswordPolicy.Kind = p
	default:
		return c, fmt.Errorf("LATCHKEY_PASSWORD_POLICY=%q must be zxcvbn or luds", p)
	}
	if c.PasswordPolicy.LUDSMinLength, err = intEnv("LATCHKEY_PASSWORD_LUDS_MIN_LENGTH", 8); err != nil {
		return c, err
	}
	if c.PasswordPolicy.LUDSMinComplexity, err = intEnv("LATCHKEY_PASSWORD_LUDS_MIN_COMPLEXITY", 3); err != nil {
		return c, err
	}
	if n := c.PasswordPolicy.LUDSMinLength; n < 8 || n > 32 {
		return c, fmt.Errorf("LATCHKEY_PASSWORD_LUDS_MIN_LENGTH=%d must be between 8 and 32", n)
	}
	if n := c.PasswordPolicy.LUDSMinComplexity; n < 1 || n > 4 {
		return c, fmt.Errorf("LATCHKEY_PASSWORD_LUDS_MIN_COMPLEXITY=%d must be between 1 and 4", n)
	}
	return c, nil
}

// JWTReuseWindow reads LATCHKEY_JWT_REUSE_SECONDS: unset is the default, 0 is JWTReuseOff,
// and more than the maximum is the maximum.
func JWTReuseWindow(v string) (time.Duration, error) {
	if v == "" {
		return tokens.DefaultJWTReuse, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("LATCHKEY_JWT_REUSE_SECONDS=%q must be a whole number of seconds, 0 to turn reuse off", v)
	}
	if n == 0 {
		return JWTReuseOff, nil
	}
	return min(time.Duration(n)*time.Second, tokens.MaxJWTReuse), nil
}

// PasswordScope validates LATCHKEY_PASSWORD_SCOPE ("" is organization).
func PasswordScope(v string) (string, error) {
	switch v {
	case "", passwords.ScopeOrganization:
		return passwords.ScopeOrganization, nil
	case passwords.ScopeCrossOrganization:
		return v, nil
	}
	return "", fmt.Errorf("LATCHKEY_PASSWORD_SCOPE=%q must be organization or cross_organization", v)
}

// RBACPolicy reads LATCHKEY_RBAC_POLICY: empty is Stytch's defaults alone.
func RBACPolicy(v string) (rbac.Policy, error) {
	if strings.TrimSpace(v) == "" {
		return rbac.Defaults(), nil
	}
	p, err := rbac.Load(v)
	if err != nil {
		return p, fmt.Errorf("LATCHKEY_RBAC_POLICY: %w", err)
	}
	return p, nil
}

// DefaultKMSKeyID is LATCHKEY_KMS_KEY_ID when unset: the alias the CDK stack gives its key.
const DefaultKMSKeyID = "alias/latchkey-secrets"

// DefaultBaseURL is LATCHKEY_BASE_URL when unset: the local gateway's default address.
const DefaultBaseURL = "http://localhost:8080"

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func intEnv(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s=%q must be a positive integer", name, v)
	}
	return n, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// App is a built Latchkey.
type App struct {
	Config Config
	AWS    aws.Config
	Store  *store.Store
	Keys   *tokens.KeySet
	Server *api.Server
	// SMS sends text messages (End User Messaging SMS, or the emulator at SMSEndpoint): the
	// MFA codes.
	SMS latchkey.Texter
}

// Build wires everything and loads (or on first use creates) the signing keys, so a cold start
// pays for that once rather than the first request.
func Build(ctx context.Context, c Config, logOut io.Writer) (*App, error) {
	awsCfg, err := store.AWSConfig(ctx, c.Region, c.DynamoDBEndpoint)
	if err != nil {
		return nil, err
	}
	st := store.New(awsCfg, c.DynamoDBEndpoint, c.Table)
	var clock latchkey.Clock = latchkey.SystemClock{}
	if c.Clock != nil {
		clock = c.Clock
	}
	ids := latchkey.IDsForProject(c.ProjectID)
	mailer := mail.NewSES(awsCfg, c.SESEndpoint, c.Sender)
	texter := sms.New(awsCfg, c.SMSEndpoint, c.SMSOrigination)
	limits := latchkey.SendLimits{PerEmail: max(c.EmailSendsPerHour, 1), PerOrg: max(c.OrgSendsPerHour, 1)}
	keys := tokens.NewKeySet(st, clock.Now)
	if err := keys.Ensure(ctx); err != nil {
		return nil, err
	}
	// The one door first: every capability that lets a person in, or revokes a session, goes
	// through it.
	reuse := c.JWTReuse
	if reuse == 0 {
		reuse = tokens.DefaultJWTReuse
	}
	jwts := tokens.SessionJWT{Keys: keys, ProjectID: c.ProjectID, Reuse: tokens.NewJWTReuse(reuse)} // JWTReuseOff: nil
	auth := &authn.Service{Store: st, Clock: clock, IDs: ids, JWT: jwts}
	codes := &otp.Service{Auth: auth, Store: st, Clock: clock, Mail: mailer, Limits: limits}
	baseURL := c.BaseURL
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	redirects := authn.Redirects{Patterns: c.RedirectURLs, Default: c.DefaultRedirectURL}
	scope := c.PasswordScope
	if scope == "" {
		scope = passwords.ScopeOrganization
	}
	sealer := seal.New(awsCfg, c.KMSEndpoint, c.KMSKeyID)
	st.SetSealer(sealer) // webhook endpoint secrets
	fetch := safehttp.Policy{AllowLoopback: c.FetchAllowLoopback}
	providers := map[string]oauth.Provider{}
	for name, p := range c.OAuth {
		// A Secrets Manager ARN is read once per instance, here.
		secret, err := awssecret.Resolve(ctx, awsCfg, c.SecretsManagerEndpoint, p.ClientSecret)
		if err != nil {
			return nil, fmt.Errorf("the %s OAuth client secret: %w", name, err)
		}
		p.ClientSecret = secret
		providers[name] = p
	}
	policy := c.RBAC
	if policy.Roles == nil {
		policy = rbac.Defaults() // a Config built in code, without ConfigFromEnv
	}
	srv := &api.Server{
		ProjectID: c.ProjectID,
		Orgs:      &orgs.Service{Store: st, Clock: clock, IDs: ids, Sessions: auth},
		Sessions:  auth,
		MagicLinks: &magiclink.Service{
			Codes: codes,
			Auth:  auth, Store: st, Clock: clock, IDs: ids,
			Mail:      mailer,
			Redirects: redirects,
			Limits:    limits,
		},
		MFA: &mfa.Service{Auth: auth, Store: st, Clock: clock, IDs: ids, SMS: texter, Limits: limits},
		Passwords: &passwords.Service{Auth: auth, Store: st, Clock: clock, IDs: ids, Mail: mailer, Redirects: redirects,
			Limits: limits, Scope: scope, Policy: c.PasswordPolicy, Breaches: c.Breaches},
		OTPs:      codes,
		Discovery: &discovery.Service{Auth: auth, Clock: clock, IDs: ids},
		SCIM:      &scim.Service{Sessions: auth, Store: st, Clock: clock, IDs: ids, BaseURL: baseURL},
		SSO: &sso.Service{Auth: auth, Store: st, Clock: clock, IDs: ids, Seal: sealer,
			Fetch: fetch, BaseURL: baseURL, Redirects: redirects, PublicToken: c.PublicToken},
		OAuth: &oauth.Service{Auth: auth, Store: st, Clock: clock, IDs: ids, Seal: sealer, Fetch: fetch, BaseURL: baseURL,
			Redirects: redirects, PublicToken: c.PublicToken, Providers: providers},
		Migrate: &sessionmigrate.Service{Auth: auth, Clock: clock, UserinfoURL: c.SessionMigrateUserinfoURL,
			HTTP: sessionmigrate.Client(c.FetchAllowLoopback)},
		Webhooks: &webhooks.EndpointService{Store: st, Queue: webhookQueue(awsCfg, c), Clock: clock, IDs: ids, Fetch: fetch,
			Retention: eventRetention(c)},
		Policy:  policy,
		Keys:    keys,
		Project: &api.ProjectAuth{ProjectID: c.ProjectID, Secrets: st, Now: clock.Now},
		Log:     slog.New(slog.NewJSONHandler(logOut, nil)),
	}
	return &App{Config: c, AWS: awsCfg, Store: st, Keys: keys, Server: srv, SMS: texter}, nil
}

// LambdaHandler adapts one function's routes to API Gateway HTTP API (payload v2) events.
// A named stage (not $default) prefixes the path API Gateway passes on; the routes do not
// have it, so it is taken off.
func (a *App) LambdaHandler(function string) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	proxy := httpadapter.NewV2(a.Server.Handler(function)).ProxyWithContext
	return func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		if stage := req.RequestContext.Stage; stage != "" && stage != "$default" {
			if rest, ok := strings.CutPrefix(req.RawPath, "/"+stage+"/"); ok {
				req.RawPath = "/" + rest
			}
		}
		return proxy(ctx, req)
	}
}

// CleanupBatch bounds the items one cleanup run reads, so a run fits well inside the Lambda
// timeout; a backlog is worked off by the following hourly runs (and by DynamoDB TTL).
const CleanupBatch = 20000

// CleanupHandler is the scheduled cleanup: it deletes expired tokens and sessions and logs one
// line with what it did.
func CleanupHandler(st *store.Store, clock latchkey.Clock, log *slog.Logger) func(context.Context, events.EventBridgeEvent) (store.CleanupStats, error) {
	return func(ctx context.Context, _ events.EventBridgeEvent) (store.CleanupStats, error) {
		start := time.Now()
		stats, err := st.DeleteExpired(ctx, clock.Now(), CleanupBatch)
		attrs := []any{"buckets_queried", stats.Buckets, "items_read", stats.Read, "items_deleted", stats.Deleted,
			"items_skipped", stats.Skipped, "done", stats.Done, "latency_ms", time.Since(start).Milliseconds()}
		if err != nil {
			log.Error("cleanup", append(attrs, "error", err.Error())...)
			return stats, err
		}
		log.Info("cleanup", attrs...)
		return stats, nil
	}
}

// NewStore builds just the store, for functions that need nothing else. It can open webhook
// endpoint secrets (its sealer is the app's, on LATCHKEY_KMS_KEY_ID).
func NewStore(ctx context.Context, c Config) (*store.Store, error) {
	awsCfg, err := store.AWSConfig(ctx, c.Region, c.DynamoDBEndpoint)
	if err != nil {
		return nil, err
	}
	st := store.New(awsCfg, c.DynamoDBEndpoint, c.Table)
	st.SetSealer(seal.New(awsCfg, c.KMSEndpoint, c.KMSKeyID))
	return st, nil
}

// webhookQueue is the queue the capture and replays send deliveries to: nil (the interface, not a typed nil) when
// no LATCHKEY_WEBHOOK_QUEUE_URL is configured, which replay answers with a clear 503.
func webhookQueue(awsCfg aws.Config, c Config) webhooks.Queue {
	if c.WebhookQueueURL == "" {
		return nil
	}
	return queue.New(awsCfg, c.SQSEndpoint, c.WebhookQueueURL)
}

// eventRetention is Config.EventRetention, 30 days when unset (a Config built in code).
func eventRetention(c Config) time.Duration {
	if c.EventRetention > 0 {
		return c.EventRetention
	}
	return 30 * 24 * time.Hour
}

// ServeLambda is the whole of an HTTP function's main: configuration from the environment,
// the app built once per execution environment, and the function's routes served to API
// Gateway. Start-up failures exit so Lambda reports a failed init rather than serving errors.
func ServeLambda(function string) {
	ctx := context.Background()
	cfg, err := ConfigFromEnv()
	if err != nil {
		slog.Error("config", "function", function, "error", err)
		os.Exit(1)
	}
	a, err := Build(ctx, cfg, os.Stdout)
	if err != nil {
		slog.Error("start", "function", function, "error", err)
		os.Exit(1)
	}
	lambda.Start(a.LambdaHandler(function))
}
