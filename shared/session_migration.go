package latchkey

// Sessions.Migrate in the core model: the factor a session migrated from the application's
// previous auth system records.

// MethodSessionMigration is what a migrated session's factor stands for in the auth-method
// policy. It is not an allowed_auth_methods value, and no organization can make it one: an
// organization that restricts its methods (auth_methods RESTRICTED) chose how its members
// prove who they are, and the application's previous system is none of those ways.
const MethodSessionMigration = "session_migration"

// FactorSessionMigration is a session migrated from the application's previous auth system:
// its userinfo endpoint (project configuration) vouched, for the token the caller presented,
// for an email address. Stytch publishes no factor for it; "imported" is the type its session
// factors use for what was authenticated elsewhere, and "session_migration" is Latchkey's
// delivery method.
//
// It proves its address only in the organization the migration named (ProvedIn): the previous
// system is the application's own, but what it says of an address is only as good as that
// system's account management, which may have let a tenant's admins set any address, and its
// token was issued for a login that Stytch's model places in one organization. So, like an
// SSO login or an organization-scoped password, it is no identity in another organization: its
// session cannot be exchanged into one, nor used for discovery.
var FactorSessionMigration = FactorKind{Type: "imported", DeliveryMethod: "session_migration", Method: MethodSessionMigration, ProvesEmail: true}
