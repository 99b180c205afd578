package infra

import (
	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/store"
)

// CleanupFunction is the scheduled (non-HTTP) function at functions/cleanup.
const CleanupFunction = "cleanup"

// The webhook pipeline's non-HTTP functions (issue #14). EventsFunction (functions/events)
// reads the table's DynamoDB Stream, keeps each change as an audit event and queues one
// delivery per endpoint that wants it; DeliveriesFunction (functions/deliveries) reads the
// delivery queue and POSTs each event, signed, to its endpoint. The HTTP side (endpoint
// management, replay, the audit trail) is api.FunctionWebhooks.
const (
	EventsFunction     = "events"
	DeliveriesFunction = "deliveries"
)

// Access is what one function's IAM role allows: DynamoDB actions on the table, Query on named
// indexes, SES SendEmail from the sender identity, and the rest below. Nothing else, and no
// wildcards but dynamodb:ListStreams, which the stream event source needs on "*".
type Access struct {
	Table      []string // dynamodb:<action> on the table
	IndexQuery []string // indexes dynamodb:Query may read
	SendEmail  bool     // ses:SendEmail from the sender identity
	SendSMS    bool     // sms-voice:SendTextMessage (AWS End User Messaging SMS) in the stack's account and region
	Seal       bool     // kms:Encrypt and kms:Decrypt with the stack's secrets key (sealed connection secrets)
	OAuth      bool     // the OAuth providers' settings, and secretsmanager:GetSecretValue on their client secrets
	// SessionMigrate: the previous auth system's userinfo URL (Sessions.Migrate), which the
	// function calls over the internet; no AWS permission comes with it.
	SessionMigrate bool
	// MemoryMB, when set, is the function's memory instead of the stack's memoryMb: Lambda
	// gives CPU in proportion to memory, and a CPU-bound function needs more.
	MemoryMB int

	// Unseal is kms:Decrypt alone with the secrets key: opening webhook endpoint secrets
	// without being able to seal new ones.
	Unseal bool
	// EnqueueWebhooks is sqs:SendMessage (SendMessageBatch is authorised by it) on the webhook
	// delivery queue, and the queue's URL in LATCHKEY_WEBHOOK_QUEUE_URL.
	EnqueueWebhooks bool
	// StreamSource: the function's event source is the table's DynamoDB Stream. The mapping's
	// grants (the stream reads, and SendMessage to the events-failed queue) come from the CDK.
	StreamSource bool
	// QueueSource: the function's event source is the webhook delivery queue. The mapping's
	// grant (receive, delete, change visibility) comes from the CDK.
	QueueSource bool
}

// PasswordsMemoryMB is one full vCPU (Lambda allots one at 1,769 MB). An argon2id hash with
// pwhash.Params takes 62 ms on one core with x/crypto's portable code, which is what arm64
// runs (its assembly is amd64-only; BenchmarkHash with -tags purego): under 100 ms with room
// for a slower core. At 1,024 MB (0.58 vCPU) the same hash would take over 100 ms.
const PasswordsMemoryMB = 1769

// Every HTTP function loads (or on first start creates) the signing keys: Query + PutItem on
// the table (shared/app.Build → tokens.KeySet.Ensure), and checks project secrets with GetItem.
var startup = []string{"GetItem", "Query", "PutItem"}

var allIndexes = func() []string {
	var out []string
	for _, ix := range store.Indexes {
		out = append(out, ix.Name)
	}
	return out
}()

// FunctionAccess lists every deployed function. A function that appears in api.Routes (or under
// functions/) but not here fails the synth and the tests: decide its permissions first.
var FunctionAccess = map[string]Access{
	api.FunctionOrganizations: {
		Table: union(startup, "BatchGetItem", "UpdateItem", "DeleteItem", "BatchWriteItem",
			"TransactWriteItems", "ConditionCheckItem"),
		IndexQuery: allIndexes,
	},
	api.FunctionMagicLinks: {
		Table: union(startup, "BatchGetItem", "UpdateItem", "DeleteItem",
			"TransactWriteItems", "ConditionCheckItem"),
		IndexQuery: allIndexes,
		SendEmail:  true,
	},
	api.FunctionSessions: {
		Table: union(startup, "BatchGetItem", "UpdateItem", "DeleteItem", "BatchWriteItem",
			"TransactWriteItems", "ConditionCheckItem"),
		IndexQuery:     allIndexes,
		SessionMigrate: true,
	},
	// Lists the organizations of an email (gsi1, DOMAIN# items), exchanges intermediate
	// sessions and creates organizations, all through store.Redeem's one transaction.
	api.FunctionDiscovery: {
		Table: union(startup, "BatchGetItem", "UpdateItem", "DeleteItem",
			"TransactWriteItems", "ConditionCheckItem"),
		IndexQuery: allIndexes,
	},
	// SCIM connection management (Basic auth) and the SCIM 2.0 server (bearer token per
	// connection): members, groups and memberships in transactions, group clean-up in batches,
	// member lookups through gsi1/gsi2 (shared/store/scim.go).
	api.FunctionSCIM: {
		Table: union(startup, "BatchGetItem", "UpdateItem", "DeleteItem", "BatchWriteItem",
			"TransactWriteItems", "ConditionCheckItem"),
		IndexQuery: allIndexes,
	},
	// Password logins and resets: members and sessions through store.Redeem's transaction,
	// the email index (gsi1) for the member and gsi2 for a password by id, failure counters
	// by UpdateItem, and reset emails.
	api.FunctionPasswords: {
		Table: union(startup, "BatchGetItem", "UpdateItem", "DeleteItem", "BatchWriteItem",
			"TransactWriteItems", "ConditionCheckItem"),
		IndexQuery: allIndexes,
		SendEmail:  true,
		MemoryMB:   PasswordsMemoryMB,
	},
	// Second factors: TOTP registrations, SMS codes and members in transactions, tries on the
	// member's lock by UpdateItem, the pipeline's Redeem; the only function that texts.
	api.FunctionMFA: {
		Table: union(startup, "BatchGetItem", "UpdateItem", "DeleteItem", "BatchWriteItem",
			"TransactWriteItems", "ConditionCheckItem"),
		IndexQuery: allIndexes,
		SendSMS:    true,
	},
	// SSO: connections in the organization's partition and by id on gsi2, the browser flow's
	// state, replay records and tokens in one transaction per callback, the pipeline's Redeem;
	// the only function that opens sealed connection secrets.
	api.FunctionSSO: {
		Table: union(startup, "BatchGetItem", "UpdateItem", "DeleteItem",
			"TransactWriteItems", "ConditionCheckItem"),
		IndexQuery: allIndexes,
		Seal:       true,
	},
	// OAuth logins: the flow's state and tokens, the pipeline's Redeem, the member's provider
	// tokens (sealed), and the providers' client secrets from Secrets Manager at start.
	api.FunctionOAuth: {
		Table: union(startup, "BatchGetItem", "UpdateItem", "DeleteItem",
			"TransactWriteItems", "ConditionCheckItem"),
		IndexQuery: allIndexes,
		Seal:       true,
		OAuth:      true,
	},
	// Webhook endpoints (one Query lists them, Version-checked UpdateItem, DeleteItem), their
	// sealed secrets (Seal), replay (the project-wide walk of hour buckets on gsi2, queued) and
	// the audit trail (Query on the organization's EVENTS# partition).
	api.FunctionWebhooks: {
		Table:           union(startup, "UpdateItem", "DeleteItem"),
		IndexQuery:      []string{store.IndexGSI2},
		Seal:            true,
		EnqueueWebhooks: true,
	},
	// The capture: the signing keys at start (shared/app.Build), the organization items of a
	// stream batch in one BatchGetItem, the endpoints' filters by one Query, each event kept by
	// a conditional PutItem (the dedupe by event id), the deliveries queued. It never updates or
	// deletes an item, and opens no secret (store.WebhookEndpoints leaves them sealed; events
	// carry the API's presentation, which has none), so it has no use of the secrets key.
	EventsFunction: {
		Table:           []string{"GetItem", "BatchGetItem", "Query", "PutItem"},
		EnqueueWebhooks: true,
		StreamSource:    true,
	},
	// The delivery: the endpoints by one Query (secrets opened), the delivery marker by GetItem
	// before a POST and PutItem after a 2xx, retries by moving the message's visibility.
	DeliveriesFunction: {
		Table:       []string{"GetItem", "PutItem", "Query"},
		Unseal:      true,
		QueueSource: true,
	},
	// Cleanup walks the hourly expiry buckets on gsi1 and deletes what expired
	// (store.DeleteExpired); it does not load signing keys.
	CleanupFunction: {
		Table:      []string{"DeleteItem", "BatchWriteItem"},
		IndexQuery: []string{store.IndexGSI1},
	},
}

func union(base []string, more ...string) []string {
	out := append([]string{}, base...)
	for _, m := range more {
		dup := false
		for _, b := range out {
			dup = dup || b == m
		}
		if !dup {
			out = append(out, m)
		}
	}
	return out
}
