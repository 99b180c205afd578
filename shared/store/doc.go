// Package store keeps Latchkey in one DynamoDB table.
//
// Layout (pk / sk; index attributes in brackets):
//
//	organization     ORG#<org_id>        ORG                 [gsi2: ORGS / <created_at>#<org_id>]  listing for search
//	slug guard       SLUG#<slug>         SLUG                target=<org_id>   unique slug, slug lookup
//	org ext-id guard ORGEXT#<ext_id>     ORGEXT              target=<org_id>   unique organization_external_id
//	member           ORG#<org_id>        MEMBER#<member_id>  [gsi1: EMAIL#<email> / ORG#<org_id>] (absent once deleted)
//	                                                         [gsi2: MEMBER#<member_id> / MEMBER]   dangerously_get
//	email guard      ORG#<org_id>        EMAIL#<email>       target=<member_id> unique email in org, email lookup;
//	                                                         retired=true for a retired address (taken, finds no one)
//	email update     ORG#<org_id>        EMAILUPDATE#<email> target=<member_id>, exp  a new address reserved while its
//	                                                         StartEmailUpdate link lives [gsi1: expiry bucket]
//	ext-id guard     ORG#<org_id>        EXTID#<ext_id>      target=<member_id> unique external_id in org
//	SCIM connection  ORG#<org_id>        SCIMCONN#<conn_id>  token hashes (current, next), settings; at most one per org
//	SCIM userName    ORG#<org_id>        SCIMUSER#<lower(userName)>  target=<member_id> unique userName, filter lookup
//	SCIM group       ORG#<org_id>        SCIMGROUP#<group_id>          displayName, externalId, connection_id
//	SCIM membership  ORG#<org_id>        SCIMGROUP#<group_id>#MEMBER#<member_id>  sorts after its group
//	group-name guard ORG#<org_id>        SCIMGROUPNAME#<lower(displayName)>  target=<group_id> unique displayName
//	SSO connection   ORG#<org_id>        SSOCONN#<conn_id>   SAML or OIDC settings, sealed secrets, Version
//	                                                         [gsi2: SSOCONN#<conn_id> / SSOCONN]   the callback's lookup by id
//	SSO subject      ORG#<org_id>        SSOSUB#<conn_id>#<sha256(subject)>  target=<member_id> one member per IdP subject
//	SAML assertion   ORG#<org_id>        SAMLASSERT#<conn_id>#<sha256(id)>   exp: replay cache  [gsi1: expiry bucket]
//	SSO flow state   SSOSTATE#<sha256>   SSOSTATE            org, connection, redirects, PKCE, request id / nonce, exp,
//	                                                         used_at  [gsi1: expiry bucket]
//	SSO token        TOKEN#<sha256>      TOKEN               Kind=sso, what the IdP asserted, exp, used_at (an emailed
//	                                                         token's key, so Redeem consumes it alike)  [gsi1: expiry bucket]
//	allowed domain   DOMAIN#<domain>     ORG#<org_id>        target=<org_id>   organizations by email_allowed_domains
//	emailed code     ORG#<org_id>        CODE#<email>        kind, member, salted code hash, attempts, exp, used_at
//	discovery code   DCODE#<email>       CODE                the same, for no organization   [gsi1: expiry bucket, both]
//	emailed token    TOKEN#<sha256>      TOKEN               kind, org, member, email, exp, used_at  [gsi1: expiry bucket]
//	intermediate     IST#<sha256>        IST                 email, factors, exp, used_at            [gsi1: expiry bucket]
//	session          SESSION#<sha256>    SESSION             the member session, exp  [gsi1: expiry bucket]
//	                                                         [gsi2: MEMBER#<member_id> / SESSION#<session_id>]
//	session id       SESSIONID#<id>      SESSIONID           target=<token sha256>, exp  [gsi1: expiry bucket]
//	password         ORG#<org_id>        PASSWORD#<email>    organization-scoped: member, argon2id (or imported) hash,
//	                                                         reset_required, Version  [gsi2: PWID#<password_id> / PASSWORD]
//	cross-org pw     PASSWORD#<email>    PASSWORD            the same, one per address across organizations
//	phone guard      ORG#<org_id>        PHONE#<e164>        target=<member_id> unique MFA phone number in org
//	TOTP             ORG#<org_id>        TOTP#<member_id>    secret, active, pending exp, last step, recovery code hashes
//	SMS code         ORG#<org_id>        SMSCODE#<member_id> the member's texted code, as an emailed code  [gsi1: expiry bucket]
//	rate counter     RATE#<key>#<window> RATE                hits, ttl (password locks and caps are rate counters too:
//	                                                         pwlock#<email>#<ip>, pwfail-ip#<ip>, pwfail-email#<org>#<email>);
//	                                                         an organization's send counter is four shards,
//	                                                         key org#<org_id>#shard<0-3>, each a quarter of the limit
//	project secret   PROJECT             SECRET#<sha256>     project_id
//	signing key      PROJECT             KEY#<seq>           kid, private key (PKCS#8 PEM)
//	webhook endpoint WEBHOOK             ENDPOINT#<endpoint_id>  url, filters, disabled, sealed_secrets (current, then
//	                                                         previous until previous_expires; sealed bound to endpoint_id),
//	                                                         Version  (webhooks.go; listed by one Query)
//	delivery marker  DELIVERY#<endpoint_id>#<event_id>  DELIVERY  status, attempts, delivered_at, ttl now+7d: the event
//	                                                         reached the endpoint (2xx); read before a non-replay POST
//	audit event      EVENTS#<org_id>     <time 9 digits>#<event_id>  body (the event's JSON), type, object_id, ttl now+retention;
//	                                                         [gsi2: EVENTHOUR#<yyyy-mm-ddThh> / <same as sk>]  written once
//	                                                         (If attribute_not_exists(pk): the dedupe by event id) (events.go)
//
// Organization, member, SCIM connection, SCIM group (and membership) and SSO connection items
// carry chg_src, the source (DIRECT, SCIM) of the write that left them so; the table's stream
// (NEW_AND_OLD_IMAGES) turns their changes, and revoked sessions' removals, into webhook
// events (events.go, Changes). Every other item's records are ignored.
//
// The member item is keyed by member_id rather than email so that reads by id, the common case
// (sessions, SDK Members.Get), are one strongly consistent GetItem; the email guard keeps email
// unique per organization through a conditional write in the same transaction. Everything an
// organization owns shares its partition, so deleting an organization is one Query plus batch
// deletes, and every member read is scoped by the organization in its key.
//
// SCIM bearer tokens carry their organization id (as session tokens carry theirs), so a SCIM
// request authenticates with one GetItem of ORG#<org>/SCIMCONN#<conn> (the connection id is in
// the URL), and no token item outlives its organization. The member item holds the ids of its
// SCIM groups (string set SCIMGroupIDs), written with the membership item in one transaction,
// and the organization item mirrors the connection's group role assignments in its
// SCIMActiveConnection: presenting a member, roles included, stays one read.
//
// An SSO callback URL names only its connection, so the connection item carries its id on
// gsi2 and the callback finds it with one Query; the index may lag a change by a moment, so the
// callback's transaction checks the connection's Version on the table. The organization item
// mirrors its active connections (sso_active_connections with their role assignments), so
// presenting a member, SSO roles included, stays one read.
//
// A password is keyed by the address it was set for, so a login reads it and the organization
// in one BatchGetItem while the member comes from gsi1 (EMAIL#/ORG#) and a transaction reserves
// the try on the lock and caps, all side by side: one round trip before the hash. An organization-scoped password serves its member only
// while member_password_id names it (latchkey.Password.Serves), so a changed address, a
// deleted password or a new member with the address never inherits it.
//
// Every request-path read is a GetItem, BatchGetItem or Query on a key; nothing scans.
//
// The domain is split by capability (shared/authn, shared/magiclink, shared/discovery,
// shared/orgs, shared/scim), and each capability declares the store interface it needs, all
// embedding latchkey.Directory (the organization and member reads). *Store implements every
// one of them (the assertions are next to the methods); files here follow the items they hold:
// organizations.go and members.go (directory and administration), auth.go (emailed tokens,
// intermediate sessions, sessions, the one Redeem transaction of authn.Login, rate counters),
// scim.go, project.go (secrets and signing keys), cleanup.go, migrate.go (latchkey-migrate's
// import: a batch's guards and members in one BatchGetItem, several members' items in one
// TransactWriteItems, each member's all in it).
package store
