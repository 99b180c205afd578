package infra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"

	"github.com/latchkey/latchkey/shared/rbac"
)

// Config is everything the stack is parameterised by. FromContext reads it from CDK context
// (`-c key=value` on `make synth` / `make deploy`, or the "context" block of infra/cdk.json);
// the context key of each field is in its comment.
type Config struct {
	StackName string // stackName; default "Latchkey"
	ProjectID string // projectId: LATCHKEY_PROJECT_ID of every function
	TableName string // tableName; default "latchkey"

	// Sender is the From address of magic-link email (sender). SenderIdentity is the SES
	// identity that authorises it (senderIdentity: an email address or a domain; default the
	// sender address itself). CreateSenderIdentity=false (createSenderIdentity) uses an identity
	// that already exists in the account instead of creating it in the stack.
	Sender               string
	SenderIdentity       string
	CreateSenderIdentity bool
	// SandboxRecipients (sandboxRecipients, comma separated) are addresses the stack verifies
	// as SES identities and may send to while the account is in the SES sandbox.
	SandboxRecipients []string

	RedirectURLs       []string // redirectUrls, comma separated: LATCHKEY_REDIRECT_URLS
	DefaultRedirectURL string   // defaultRedirectUrl: LATCHKEY_DEFAULT_REDIRECT_URL
	EmailSendsPerHour  int      // emailSendsPerHour; 0 = the function's default
	OrgSendsPerHour    int      // orgSendsPerHour; 0 = the function's default
	// PasswordScope (passwordScope) is LATCHKEY_PASSWORD_SCOPE: organization (default) or
	// cross_organization. PasswordPolicy (passwordPolicy) is LATCHKEY_PASSWORD_POLICY: zxcvbn
	// (default) or luds.
	PasswordScope  string
	PasswordPolicy string
	// SMSOriginationIdentity (smsOriginationIdentity) is the End User Messaging SMS phone
	// number, sender id or pool MFA codes are sent from: LATCHKEY_SMS_ORIGINATION_IDENTITY.
	SMSOriginationIdentity string
	// RBACPolicyFile (rbacPolicy) is a JSON file in Stytch's policy shape; the synth validates
	// it and gives every function its compact JSON as LATCHKEY_RBAC_POLICY (RBACPolicy).
	RBACPolicyFile string
	RBACPolicy     string
	// OAuth providers: oauthGoogleClientId, oauthGoogleClientSecretArn (a Secrets Manager
	// secret holding the client secret, read by the oauth function at start), oauthGoogleIssuer
	// (default Google's); the same with Microsoft.
	OAuth map[string]OAuthProvider
	// SessionMigrateUserinfoURL (sessionMigrateUserinfoUrl) is the userinfo endpoint of the
	// application's previous auth system, for Sessions.Migrate: the sessions function's
	// LATCHKEY_SESSION_MIGRATE_USERINFO_URL. Unset, Sessions.Migrate answers that it is not
	// configured.
	SessionMigrateUserinfoURL string

	// EventRetentionDays (eventRetentionDays) is how long the audit trail keeps an event
	// (DynamoDB TTL): LATCHKEY_EVENT_RETENTION_DAYS of the webhook functions; default 30.
	EventRetentionDays int

	DeletionProtection bool   // deletionProtection; default true (table also retained on stack delete)
	LogRetentionDays   int    // logRetentionDays; default 30
	MemoryMB           int    // memoryMb; default 256
	ThrottleRate       int    // throttleRate: API requests/second across the stage; default 100
	ThrottleBurst      int    // throttleBurst; default 200
	AlarmEmail         string // alarmEmail: subscribed to the alarm topic (confirm the email)
	DomainName         string // domainName: custom domain for the API (needs certificateArn)
	CertificateArn     string // certificateArn: ACM certificate in the stack's region
	// BaseURL (baseUrl) is LATCHKEY_BASE_URL, where clients and identity providers reach the
	// API (SCIM base_url); default https://<domainName>, else the API's execute-api URL.
	BaseURL string

	// Strict (strict=true, set by `make deploy`) refuses what is only fine for a dry synth:
	// missing dist/<function>/bootstrap binaries and the default project id and sender.
	Strict bool
	// Root is the repository root (repoRoot; default: found from the working directory).
	// Lambda code is read from DistRoot/<function>/bootstrap (distDir; default Root/dist).
	Root     string
	DistRoot string
}

// Defaults used when context does not say otherwise. DefaultProjectID and DefaultSender are
// placeholders good for `make synth` only; strict mode refuses them.
const (
	DefaultStackName   = "Latchkey"
	DefaultTableName   = "latchkey"
	DefaultProjectID   = "project-test-00000000-0000-4000-8000-000000000000"
	DefaultSender      = "no-reply@example.com"
	DefaultRedirectURL = "http://localhost:3000/authenticate"
	DefaultRedirects   = "http://localhost:*"
	// DefaultEventRetentionDays is the audit trail's retention without eventRetentionDays
	// (the functions' own default too); MaxEventRetentionDays is the most they accept.
	DefaultEventRetentionDays = 30
	MaxEventRetentionDays     = 3650
)

var (
	projectIDPattern = regexp.MustCompile(`^project-(test|live)-[0-9A-Za-z-]+$`)
	domainPattern    = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	stackNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,127}$`)
	tableNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
)

// retention maps the day counts CloudWatch Logs accepts to their CDK names.
var retention = map[int]string{
	1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH",
	60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS", 150: "FIVE_MONTHS", 180: "SIX_MONTHS",
	365: "ONE_YEAR", 400: "THIRTEEN_MONTHS", 545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS",
	1096: "THREE_YEARS", 1827: "FIVE_YEARS", 2192: "SIX_YEARS", 2557: "SEVEN_YEARS",
	2922: "EIGHT_YEARS", 3288: "NINE_YEARS", 3653: "TEN_YEARS",
}

// FromContext reads Config from the CDK context of node (usually the App) and validates it.
func FromContext(node constructs.Node) (Config, error) {
	ctx := contextReader{node: node}
	c := Config{
		StackName:              ctx.str("stackName", DefaultStackName),
		ProjectID:              ctx.str("projectId", ""),
		TableName:              ctx.str("tableName", DefaultTableName),
		Sender:                 ctx.str("sender", ""),
		SenderIdentity:         ctx.str("senderIdentity", ""),
		CreateSenderIdentity:   ctx.boolean("createSenderIdentity", true),
		SandboxRecipients:      ctx.list("sandboxRecipients", ""),
		RedirectURLs:           ctx.list("redirectUrls", DefaultRedirects),
		DefaultRedirectURL:     ctx.str("defaultRedirectUrl", DefaultRedirectURL),
		EmailSendsPerHour:      ctx.integer("emailSendsPerHour", 0),
		OrgSendsPerHour:        ctx.integer("orgSendsPerHour", 0),
		PasswordScope:          ctx.str("passwordScope", ""),
		PasswordPolicy:         ctx.str("passwordPolicy", ""),
		SMSOriginationIdentity: ctx.str("smsOriginationIdentity", ""),
		RBACPolicyFile:         ctx.str("rbacPolicy", ""),
		OAuth: map[string]OAuthProvider{
			"google": {ClientID: ctx.str("oauthGoogleClientId", ""), SecretARN: ctx.str("oauthGoogleClientSecretArn", ""),
				Issuer: ctx.str("oauthGoogleIssuer", "")},
			"microsoft": {ClientID: ctx.str("oauthMicrosoftClientId", ""), SecretARN: ctx.str("oauthMicrosoftClientSecretArn", ""),
				Issuer: ctx.str("oauthMicrosoftIssuer", "")},
		},
		SessionMigrateUserinfoURL: ctx.str("sessionMigrateUserinfoUrl", ""),

		DeletionProtection: ctx.boolean("deletionProtection", true),
		LogRetentionDays:   ctx.integer("logRetentionDays", 30),
		EventRetentionDays: ctx.integer("eventRetentionDays", DefaultEventRetentionDays),
		MemoryMB:           ctx.integer("memoryMb", 256),
		ThrottleRate:       ctx.integer("throttleRate", 100),
		ThrottleBurst:      ctx.integer("throttleBurst", 200),
		AlarmEmail:         ctx.str("alarmEmail", ""),
		DomainName:         ctx.str("domainName", ""),
		CertificateArn:     ctx.str("certificateArn", ""),
		BaseURL:            strings.TrimRight(ctx.str("baseUrl", ""), "/"),
		Strict:             ctx.boolean("strict", false),
		Root:               ctx.str("repoRoot", ""),
		DistRoot:           ctx.str("distDir", ""),
	}
	if len(ctx.errs) > 0 {
		return c, errors.Join(ctx.errs...)
	}
	return c, c.complete()
}

// complete fills defaults that depend on other fields, then validates.
func (c *Config) complete() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if c.ProjectID == "" {
		if c.Strict {
			bad("projectId is required to deploy: pass PROJECT_ID=project-live-<uuid> to make deploy (keep it; it is the project_id your clients use)")
		}
		c.ProjectID = DefaultProjectID
	}
	if c.Sender == "" {
		if c.Strict {
			bad("sender is required to deploy: pass SENDER=no-reply@your-domain to make deploy (the From address of magic-link email)")
		}
		c.Sender = DefaultSender
	}
	if c.SenderIdentity == "" {
		c.SenderIdentity = c.Sender
	}
	if c.Root == "" {
		root, err := FindRoot()
		if err != nil {
			bad("%v", err)
		}
		c.Root = root
	}
	if c.DistRoot == "" {
		c.DistRoot = filepath.Join(c.Root, "dist")
	}

	if !stackNamePattern.MatchString(c.StackName) {
		bad("stackName %q: letters, digits and hyphens, starting with a letter", c.StackName)
	}
	if !tableNamePattern.MatchString(c.TableName) {
		bad("tableName %q: 3-255 of A-Z a-z 0-9 _ . -", c.TableName)
	}
	if !projectIDPattern.MatchString(c.ProjectID) {
		bad("projectId %q must look like project-live-<uuid> or project-test-<uuid>", c.ProjectID)
	}
	if !isAddress(c.Sender) {
		bad("sender %q is not a bare email address", c.Sender)
	}
	switch {
	case isAddress(c.SenderIdentity):
		if !strings.EqualFold(c.SenderIdentity, c.Sender) {
			bad("senderIdentity %q is an address but sender is %q: an address identity only authorises itself; use the sender or its domain", c.SenderIdentity, c.Sender)
		}
	case domainPattern.MatchString(c.SenderIdentity):
		if domainOf(c.Sender) != c.SenderIdentity {
			bad("senderIdentity %q is not the domain of sender %q", c.SenderIdentity, c.Sender)
		}
	default:
		bad("senderIdentity %q is neither an email address nor a lower-case domain", c.SenderIdentity)
	}
	for _, r := range c.SandboxRecipients {
		if !isAddress(r) {
			bad("sandboxRecipients: %q is not a bare email address", r)
		}
	}
	if len(c.RedirectURLs) == 0 {
		bad("redirectUrls is empty")
	}
	if c.DefaultRedirectURL == "" {
		bad("defaultRedirectUrl is empty")
	}
	if c.EmailSendsPerHour < 0 || c.OrgSendsPerHour < 0 {
		bad("emailSendsPerHour and orgSendsPerHour must be positive (0 = default)")
	}
	if _, ok := retention[c.LogRetentionDays]; !ok {
		days := make([]int, 0, len(retention))
		for d := range retention {
			days = append(days, d)
		}
		slices.Sort(days)
		bad("logRetentionDays %d is not one CloudWatch Logs accepts: %v", c.LogRetentionDays, days)
	}
	if c.EventRetentionDays < 1 || c.EventRetentionDays > MaxEventRetentionDays {
		bad("eventRetentionDays %d: 1-%d", c.EventRetentionDays, MaxEventRetentionDays)
	}
	if !slices.Contains([]string{"", "organization", "cross_organization"}, c.PasswordScope) {
		bad("passwordScope %q: organization or cross_organization", c.PasswordScope)
	}
	if !slices.Contains([]string{"", "zxcvbn", "luds"}, c.PasswordPolicy) {
		bad("passwordPolicy %q: zxcvbn or luds", c.PasswordPolicy)
	}
	if c.RBACPolicyFile != "" {
		path := c.RBACPolicyFile
		if !filepath.IsAbs(path) && c.Root != "" {
			path = filepath.Join(c.Root, path)
		}
		var compact bytes.Buffer
		if _, err := rbac.Load(path); err != nil {
			bad("rbacPolicy %s: %v", c.RBACPolicyFile, err)
		} else if raw, err := os.ReadFile(path); err != nil || json.Compact(&compact, raw) != nil {
			bad("rbacPolicy %s: cannot be read as JSON", c.RBACPolicyFile)
		} else if compact.Len() > MaxRBACPolicyBytes {
			bad("rbacPolicy %s: %d bytes of JSON once compacted; Lambda's environment holds 4 KB in all, so the policy may take at most %d", c.RBACPolicyFile, compact.Len(), MaxRBACPolicyBytes)
		} else {
			c.RBACPolicy = compact.String()
		}
	}
	for name, p := range c.OAuth {
		switch {
		case (p.ClientID == "") != (p.SecretARN == ""):
			bad("oauth%sClientId and oauth%sClientSecretArn go together", title(name), title(name))
		case p.SecretARN != "" && !strings.HasPrefix(p.SecretARN, "arn:") || p.SecretARN != "" && !strings.Contains(p.SecretARN, ":secretsmanager:"):
			bad("oauth%sClientSecretArn %q is not a Secrets Manager secret ARN", title(name), p.SecretARN)
		case p.Issuer != "" && !strings.HasPrefix(p.Issuer, "https://"):
			bad("oauth%sIssuer %q: an https URL", title(name), p.Issuer)
		}
	}
	if u := c.SessionMigrateUserinfoURL; u != "" && (!strings.HasPrefix(u, "https://") || len(u) > MaxUserinfoURLLength) {
		bad("sessionMigrateUserinfoUrl %q: an https URL of at most %d characters", u, MaxUserinfoURLLength)
	}
	if c.MemoryMB < 128 || c.MemoryMB > 10240 {
		bad("memoryMb %d: 128-10240", c.MemoryMB)
	}
	if c.ThrottleRate < 1 || c.ThrottleBurst < 1 {
		bad("throttleRate and throttleBurst must be at least 1")
	}
	if c.AlarmEmail != "" && !isAddress(c.AlarmEmail) {
		bad("alarmEmail %q is not a bare email address", c.AlarmEmail)
	}
	if (c.DomainName == "") != (c.CertificateArn == "") {
		bad("domainName and certificateArn go together (the certificate must cover the domain, in the stack's region)")
	}
	if c.DomainName != "" && !domainPattern.MatchString(c.DomainName) {
		bad("domainName %q is not a lower-case domain name", c.DomainName)
	}
	if c.BaseURL != "" && !strings.HasPrefix(c.BaseURL, "https://") && !strings.HasPrefix(c.BaseURL, "http://") {
		bad("baseUrl %q: want an http(s) URL", c.BaseURL)
	}
	if c.CertificateArn != "" && !strings.HasPrefix(c.CertificateArn, "arn:") {
		bad("certificateArn %q is not an ARN", c.CertificateArn)
	}
	return errors.Join(errs...)
}

// OAuthProvider is one OAuth provider's stack settings.
type OAuthProvider struct{ ClientID, SecretARN, Issuer string }

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// MaxRBACPolicyBytes bounds the policy passed in the environment: Lambda allows 4 KB of
// environment variables per function, and the other variables take about 1 KB.
const MaxRBACPolicyBytes = 3000

// MaxUserinfoURLLength bounds sessionMigrateUserinfoUrl, which goes into the sessions
// function's environment (4 KB in all, most of it the RBAC policy's).
const MaxUserinfoURLLength = 256

// DistDir is where `make build` leaves a function's bootstrap.
func (c Config) DistDir(function string) string { return filepath.Join(c.DistRoot, function) }

func isAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

func domainOf(address string) string {
	return strings.ToLower(address[strings.LastIndex(address, "@")+1:])
}

// FindRoot walks up from the working directory to the directory holding go.mod.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from inside the repository")
		}
		dir = parent
	}
}

// contextReader reads typed values from CDK context. Values from `-c key=value` are strings;
// values from cdk.json may be JSON booleans, numbers or arrays.
type contextReader struct {
	node constructs.Node
	errs []error
}

func (r *contextReader) raw(key string) (any, bool) {
	v := r.node.TryGetContext(&key)
	if v == nil {
		return nil, false
	}
	if s, ok := v.(string); ok && strings.TrimSpace(s) == "" {
		return nil, false
	}
	return v, true
}

func (r *contextReader) str(key, def string) string {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

func (r *contextReader) list(key, def string) []string {
	v, ok := r.raw(key)
	if !ok {
		return splitList(def)
	}
	if items, ok := v.([]any); ok {
		var out []string
		for _, it := range items {
			s, ok := it.(string)
			if !ok {
				r.errs = append(r.errs, fmt.Errorf("context %s: %v is not a string", key, it))
				continue
			}
			out = append(out, splitList(s)...)
		}
		return out
	}
	return splitList(r.str(key, def))
}

func (r *contextReader) boolean(key string, def bool) bool {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	if b, ok := v.(bool); ok {
		return b
	}
	b, err := strconv.ParseBool(r.str(key, ""))
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("context %s=%v: want true or false", key, v))
		return def
	}
	return b
}

func (r *contextReader) integer(key string, def int) int {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	if f, ok := v.(float64); ok && f == float64(int(f)) {
		return int(f)
	}
	n, err := strconv.Atoi(r.str(key, ""))
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("context %s=%v: want a whole number", key, v))
		return def
	}
	return n
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
