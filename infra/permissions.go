package infra

import (
	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/store"
)

// CleanupFunction is the scheduled (non-HTTP) function at functions/cleanup.
const CleanupFunction = "cleanup"

// Access is what one function's IAM role allows: DynamoDB actions on the table, Query on named
// indexes, and SES SendEmail from the sender identity. Nothing else, and no wildcards.
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
