// The main B2B flows through the official Stytch Node SDK (npm `stytch`, pinned in package.json),
// pointed at Latchkey by custom_base_url alone. Run by shared/api/stytchnode_test.go, which
// starts the stack and sets:
//   LATCHKEY_NODE_BASE_URL    https://127.0.0.1:<port> (stytch-node accepts only https://)
//   LATCHKEY_NODE_PROJECT_ID  the test project's id
//   LATCHKEY_NODE_SECRET      its secret
//   LATCHKEY_NODE_SES_STORE   the SES emulator's GET /store, where sent mail is read back
// and NODE_EXTRA_CA_CERTS, so node trusts the test server's certificate.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { B2BClient, ClientError, StytchError } from "stytch";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test -run StytchNode ./shared/api`);
  return v;
};
const BASE = env("LATCHKEY_NODE_BASE_URL");
const PROJECT_ID = env("LATCHKEY_NODE_PROJECT_ID");
const SES_STORE = env("LATCHKEY_NODE_SES_STORE");
const client = new B2BClient({ project_id: PROJECT_ID, secret: env("LATCHKEY_NODE_SECRET"), custom_base_url: BASE });

const REDIRECT = "http://localhost:3000/authenticate";
const STEP = { timeout: 30_000 };

const tag = () => randomUUID().replaceAll("-", "").slice(0, 10);
const newSlug = () => "node-" + tag();
const newEmail = (domain = "acme.com") => `node-${tag()}@${domain}`;

// Every success carries Stytch's envelope.
function envelope(resp) {
  assert.equal(resp.status_code, 200, "status_code");
  assert.match(resp.request_id, /^request-id-/, "request_id");
}

// A rejected call is a StytchError carrying the HTTP status and Stytch's error fields.
async function rejects(promise, status, errorType) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof StytchError, `want a StytchError ${status} ${errorType}, got ${err?.stack ?? err}`);
    assert.equal(err.status_code, status, `status_code of ${err.message}`);
    if (errorType) assert.equal(err.error_type, errorType, `error_type of ${err.message}`);
    assert.match(err.request_id, /^request-id-/, `request_id of ${err.message}`);
    assert.ok(err.error_message, `error_message of ${err.message}`);
    assert.match(err.error_url, /^https:\/\/stytch\.com\/docs\//, `error_url of ${err.message}`);
    return true;
  });
}

// A local check that fails throws the SDK's ClientError with this code, without a request.
async function clientRejects(promise, code) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof ClientError, `want ClientError ${code}, got ${err?.stack ?? err}`);
    assert.equal(err.code, code);
    return true;
  });
}

const isoNow = (s, what) => {
  const ms = Date.parse(s);
  assert.ok(Number.isFinite(ms), `${what} ${s} is not a timestamp`);
  assert.ok(Math.abs(Date.now() - ms) < 5 * 60_000, `${what} ${s} is not now`);
  return ms;
};

const roleIDs = (member) => member.roles.map((r) => r.role_id).sort();

// The newest email the SES emulator holds for an address, and the token in its link.
async function lastEmail(to) {
  const resp = await fetch(SES_STORE);
  assert.equal(resp.status, 200, `GET ${SES_STORE}`);
  const { emails } = await resp.json();
  const mine = emails.filter((m) => m.destination.to.some((a) => a.toLowerCase() === to.toLowerCase()));
  assert.ok(mine.length > 0, `no email was sent to ${to}`);
  return mine[mine.length - 1];
}
function magicLink(mail) {
  const link = mail.body.text.match(/https?:\/\/[^\s"<>]+token=[A-Za-z0-9_-]+/)?.[0];
  assert.ok(link, `no magic link in ${JSON.stringify(mail.body.text)}`);
  return new URL(link);
}
const linkToken = (mail) => magicLink(mail).searchParams.get("token");

async function createOrg(extra = {}) {
  const resp = await client.organizations.create({ organization_name: "Node " + tag(), organization_slug: newSlug(), ...extra });
  return resp.organization;
}

test("organizations: create, get, update, search, delete", STEP, async (t) => {
  const slug = newSlug();
  const domain = `${tag()}.example`;
  let org;

  await t.test("create", async () => {
    const resp = await client.organizations.create({
      organization_name: "  Node Compat " + slug + " ",
      organization_slug: slug.toUpperCase(),
      organization_logo_url: `https://logo.example/${slug}.png`,
      trusted_metadata: { plan: "pro", seats: 5, nested: { a: "b" } },
      email_allowed_domains: [domain.toUpperCase()],
      email_jit_provisioning: "RESTRICTED",
      auth_methods: "RESTRICTED",
      allowed_auth_methods: ["magic_link", "sso"],
    });
    envelope(resp);
    org = resp.organization;
    assert.match(org.organization_id, /^organization-test-[0-9a-f-]{36}$/);
    assert.equal(org.organization_name, "Node Compat " + slug, "name is trimmed");
    assert.equal(org.organization_slug, slug, "slug is lower-cased");
    assert.equal(org.organization_logo_url, `https://logo.example/${slug}.png`);
    assert.deepEqual(org.trusted_metadata, { plan: "pro", seats: 5, nested: { a: "b" } });
    assert.deepEqual(org.email_allowed_domains, [domain], "domains are lower-cased");
    assert.equal(org.email_jit_provisioning, "RESTRICTED");
    assert.equal(org.auth_methods, "RESTRICTED");
    assert.deepEqual(org.allowed_auth_methods, ["magic_link", "sso"]);
    // Settings not sent keep Stytch's defaults.
    assert.equal(org.mfa_policy, "OPTIONAL");
    assert.equal(org.sso_jit_provisioning, "ALL_ALLOWED");
    // Authentication settings were sent without email_invites, so invites default to off.
    assert.equal(org.email_invites, "NOT_ALLOWED");
    isoNow(org.created_at, "created_at");
    isoNow(org.updated_at, "updated_at");
  });

  await t.test("create: slug taken, name missing", async () => {
    await rejects(client.organizations.create({ organization_name: "Dup", organization_slug: slug }), 400, "organization_slug_already_used");
    await rejects(client.organizations.create({ organization_slug: newSlug() }), 400, "invalid_organization_name");
    await rejects(client.organizations.create({ organization_name: "Bad", organization_slug: "a b" }), 400, "invalid_organization_slug");
  });

  await t.test("get by id and by slug", async () => {
    const byID = await client.organizations.get({ organization_id: org.organization_id });
    envelope(byID);
    assert.deepEqual(byID.organization, org);
    const bySlug = await client.organizations.get({ organization_id: slug });
    assert.deepEqual(bySlug.organization, org);
    await rejects(client.organizations.get({ organization_id: "organization-test-" + randomUUID() }), 404, "organization_not_found");
  });

  await t.test("update is partial", async () => {
    await new Promise((r) => setTimeout(r, 5)); // so updated_at can move
    const resp = await client.organizations.update({ organization_id: org.organization_id, organization_name: "Node Renamed" });
    envelope(resp);
    const got = resp.organization;
    assert.equal(got.organization_name, "Node Renamed");
    assert.ok(Date.parse(got.updated_at) > Date.parse(org.updated_at), `updated_at ${org.updated_at} -> ${got.updated_at}`);
    assert.deepEqual({ ...got, organization_name: org.organization_name, updated_at: org.updated_at }, org, "nothing else changed");

    const mfa = await client.organizations.update({ organization_id: org.organization_id, mfa_policy: "REQUIRED_FOR_ALL" });
    assert.equal(mfa.organization.mfa_policy, "REQUIRED_FOR_ALL");
    assert.equal(mfa.organization.organization_name, "Node Renamed", "name kept");
    assert.deepEqual(mfa.organization.trusted_metadata, org.trusted_metadata, "trusted_metadata kept");
    org = mfa.organization;
    assert.deepEqual((await client.organizations.get({ organization_id: org.organization_id })).organization, org);

    await rejects(client.organizations.update({ organization_id: "organization-test-" + randomUUID(), organization_name: "x" }), 404, "organization_not_found");
    await rejects(client.organizations.update({ organization_id: org.organization_id, mfa_policy: "SOMETIMES" }), 400, "invalid_mfa_policy");
  });

  await t.test("search", async () => {
    const sdomain = `${tag()}.example`;
    const ids = [];
    for (const i of [0, 1, 2]) {
      const o = await createOrg(i === 1 ? {} : { email_allowed_domains: [sdomain] });
      ids.push(o.organization_id);
    }
    const byIDs = { operator: "AND", operands: [{ filter_name: "organization_ids", filter_value: ids }] };
    const p1 = await client.organizations.search({ query: byIDs, limit: 2 });
    envelope(p1);
    assert.equal(p1.organizations.length, 2);
    assert.equal(p1.results_metadata.total, 3);
    assert.ok(p1.results_metadata.next_cursor, "page 1 has a cursor");
    const p2 = await client.organizations.search({ query: byIDs, limit: 2, cursor: p1.results_metadata.next_cursor });
    assert.equal(p2.organizations.length, 1);
    assert.ok(!p2.results_metadata.next_cursor, "page 2 is the last");
    assert.deepEqual([...p1.organizations, ...p2.organizations].map((o) => o.organization_id).sort(), [...ids].sort());
    for (const o of [...p1.organizations, ...p2.organizations]) {
      assert.ok(o.organization_name && o.organization_slug && o.created_at, "search returns full organizations");
    }

    const byDomain = await client.organizations.search({
      query: { operator: "AND", operands: [{ filter_name: "allowed_domains", filter_value: [sdomain] }] },
    });
    assert.deepEqual(byDomain.organizations.map((o) => o.organization_id).sort(), [ids[0], ids[2]].sort());

    await rejects(
      client.organizations.search({ query: { operator: "AND", operands: [{ filter_name: "no_such_filter", filter_value: ["x"] }] } }),
      400,
      "organization_search_filter_name_not_recognized",
    );
    await rejects(client.organizations.search({ limit: 5000 }), 400, "invalid_limit");
    for (const id of ids) await client.organizations.delete({ organization_id: id });
  });

  await t.test("delete", async () => {
    const resp = await client.organizations.delete({ organization_id: org.organization_id });
    envelope(resp);
    assert.equal(resp.organization_id, org.organization_id);
    await rejects(client.organizations.get({ organization_id: org.organization_id }), 404, "organization_not_found");
    await rejects(client.organizations.delete({ organization_id: org.organization_id }), 404, "organization_not_found");
  });
});

test("members: create, get, update, search, delete, reactivate", STEP, async (t) => {
  const org = await createOrg();
  const email1 = newEmail();
  const email1b = newEmail();
  let m1, m2;

  await t.test("create", async () => {
    const resp = await client.organizations.members.create({
      organization_id: org.organization_id,
      email_address: email1,
      name: "Ada",
      trusted_metadata: { tier: "gold", n: 1 },
      untrusted_metadata: { theme: "dark" },
      external_id: "ext-" + tag(),
      roles: ["stytch_admin"],
      create_member_as_pending: true,
    });
    envelope(resp);
    m1 = resp.member;
    assert.match(resp.member_id, /^member-test-[0-9a-f-]{36}$/);
    assert.equal(m1.member_id, resp.member_id);
    assert.equal(resp.organization.organization_id, org.organization_id);
    assert.equal(m1.organization_id, org.organization_id);
    assert.equal(m1.email_address, email1);
    assert.equal(m1.status, "pending");
    assert.equal(m1.name, "Ada");
    assert.deepEqual(m1.trusted_metadata, { tier: "gold", n: 1 });
    assert.deepEqual(m1.untrusted_metadata, { theme: "dark" });
    assert.equal(m1.is_admin, true);
    assert.deepEqual(roleIDs(m1), ["stytch_admin", "stytch_member"]);
    const admin = m1.roles.find((r) => r.role_id === "stytch_admin");
    assert.ok(admin.sources.some((s) => s.type === "direct_assignment"), "stytch_admin is a direct assignment");
    isoNow(m1.created_at, "created_at");

    const second = await client.organizations.members.create({ organization_id: org.organization_id, email_address: newEmail(), name: "Bob" });
    m2 = second.member;
    assert.equal(m2.status, "active");
    assert.equal(m2.is_admin, false);
    assert.deepEqual(roleIDs(m2), ["stytch_member"]);

    await rejects(client.organizations.members.create({ organization_id: org.organization_id, email_address: email1.toUpperCase() }), 400, "duplicate_member_email");
    await rejects(client.organizations.members.create({ organization_id: "organization-test-" + randomUUID(), email_address: newEmail() }), 404, "organization_not_found");
    await rejects(client.organizations.members.create({ organization_id: org.organization_id, email_address: "not-an-email" }), 400, "invalid_email");
  });

  await t.test("get by id and by email", async () => {
    const byID = await client.organizations.members.get({ organization_id: org.organization_id, member_id: m1.member_id });
    envelope(byID);
    assert.equal(byID.member_id, m1.member_id);
    assert.deepEqual(byID.member, m1);
    assert.equal(byID.organization.organization_id, org.organization_id);
    const byEmail = await client.organizations.members.get({ organization_id: org.organization_id, email_address: email1.toUpperCase() });
    assert.deepEqual(byEmail.member, m1);
    await rejects(client.organizations.members.get({ organization_id: org.organization_id, member_id: "member-test-" + randomUUID() }), 404, "member_not_found");
  });

  await t.test("update", async () => {
    // stytch-node sends only the changed fields, without the path ids in the body.
    const resp = await client.organizations.members.update({
      organization_id: org.organization_id,
      member_id: m1.member_id,
      name: "Ada Lovelace",
      email_address: email1b.toUpperCase(),
    });
    envelope(resp);
    const u = resp.member;
    assert.equal(resp.member_id, m1.member_id);
    assert.equal(u.name, "Ada Lovelace");
    assert.equal(u.email_address, email1b);
    assert.equal(u.status, "pending", "status kept");
    assert.deepEqual(u.trusted_metadata, m1.trusted_metadata, "trusted_metadata kept");
    assert.deepEqual(roleIDs(u), ["stytch_admin", "stytch_member"], "roles kept");
    assert.equal(u.created_at, m1.created_at);
    await rejects(client.organizations.members.get({ organization_id: org.organization_id, email_address: email1 }), 404, "member_not_found");

    const none = await client.organizations.members.update({ organization_id: org.organization_id, member_id: m1.member_id, roles: [] });
    assert.deepEqual(roleIDs(none.member), ["stytch_member"], "an empty roles list removes assigned roles");
    assert.equal(none.member.is_admin, false);
    assert.equal(none.member.name, "Ada Lovelace");
    m1 = none.member;

    await rejects(client.organizations.members.update({ organization_id: org.organization_id, member_id: m2.member_id, email_address: email1b }), 400, "duplicate_member_email");
    await rejects(client.organizations.members.update({ organization_id: org.organization_id, member_id: "member-test-" + randomUUID(), name: "x" }), 404, "member_not_found");
  });

  await t.test("search", async () => {
    const orgIDs = [org.organization_id];
    const search = (query, extra = {}) => client.organizations.members.search({ organization_ids: orgIDs, query, ...extra });
    const ids = (r) => r.members.map((m) => m.member_id).sort();

    const all = await search(undefined);
    envelope(all);
    assert.deepEqual(ids(all), [m1.member_id, m2.member_id].sort());
    assert.equal(all.organizations[org.organization_id]?.organization_slug, org.organization_slug, "organizations map");

    const pending = await search({ operator: "AND", operands: [{ filter_name: "statuses", filter_value: ["pending"] }] });
    assert.deepEqual(ids(pending), [m1.member_id]);
    const byEmail = await search({ operator: "AND", operands: [{ filter_name: "member_emails", filter_value: [email1b.toUpperCase()] }] });
    assert.deepEqual(ids(byEmail), [m1.member_id]);

    const q = { operator: "AND", operands: [{ filter_name: "member_ids", filter_value: [m1.member_id, m2.member_id] }] };
    const p1 = await search(q, { limit: 1 });
    assert.equal(p1.members.length, 1);
    assert.equal(p1.results_metadata.total, 2);
    assert.ok(p1.results_metadata.next_cursor);
    const p2 = await search(q, { limit: 1, cursor: p1.results_metadata.next_cursor });
    assert.equal(p2.members.length, 1);
    assert.notEqual(p2.members[0].member_id, p1.members[0].member_id);
    assert.ok(!p2.results_metadata.next_cursor);
    assert.deepEqual(p1.members[0].member_id === m1.member_id ? p1.members[0] : p2.members[0], m1, "search returns full members");

    await rejects(client.organizations.members.search({ query: { operator: "AND", operands: [] } }), 400, "member_search_missing_organization_id");
    await rejects(
      search({ operator: "AND", operands: [{ filter_name: "shoe_size", filter_value: ["9"] }] }),
      400,
      "member_search_filter_name_not_recognized",
    );
  });

  await t.test("delete", async () => {
    const del = await client.organizations.members.delete({ organization_id: org.organization_id, member_id: m1.member_id });
    envelope(del);
    assert.equal(del.member_id, m1.member_id);
    await rejects(client.organizations.members.get({ organization_id: org.organization_id, member_id: m1.member_id }), 404, "member_not_found");
    await rejects(client.organizations.members.get({ organization_id: org.organization_id, email_address: email1b }), 404, "member_not_found");
    await rejects(client.organizations.members.delete({ organization_id: org.organization_id, member_id: m1.member_id }), 404, "member_not_found");
    await rejects(client.organizations.members.dangerouslyGet({ member_id: m1.member_id }), 404, "member_not_found");
    const gone = await client.organizations.members.dangerouslyGet({ member_id: m1.member_id, include_deleted: true });
    assert.equal(gone.member.status, "deleted");
    await rejects(client.organizations.members.reactivate({ organization_id: org.organization_id, member_id: m2.member_id }), 400, "no_deleted_member_found_for_reactivation");
  });

  await t.test("reactivate a member who proved their email", async () => {
    // Reactivation brings back a member whose address was verified, here by a magic link.
    const email = newEmail();
    const m3 = (await client.organizations.members.create({ organization_id: org.organization_id, email_address: email })).member;
    await client.magicLinks.email.loginOrSignup({ organization_id: org.organization_id, email_address: email });
    const auth = await client.magicLinks.authenticate({ magic_links_token: linkToken(await lastEmail(email)) });
    assert.equal(auth.member.email_address_verified, true);

    await client.organizations.members.delete({ organization_id: org.organization_id, member_id: m3.member_id });
    // Deleting a member ends their sessions.
    await rejects(client.sessions.authenticate({ session_token: auth.session_token }), 404, "session_not_found");

    const re = await client.organizations.members.reactivate({ organization_id: org.organization_id, member_id: m3.member_id });
    envelope(re);
    assert.equal(re.member_id, m3.member_id);
    assert.equal(re.member.status, "active");
    assert.equal(re.member.email_address, email);
    assert.equal(re.organization.organization_id, org.organization_id);
    const back = await client.organizations.members.get({ organization_id: org.organization_id, email_address: email });
    assert.equal(back.member.member_id, m3.member_id);
    await rejects(client.organizations.members.reactivate({ organization_id: org.organization_id, member_id: m3.member_id }), 400, "no_deleted_member_found_for_reactivation");
  });
});

test("magic links and sessions, with local JWT verification", STEP, async (t) => {
  const org = await createOrg();
  const other = await createOrg();
  const email = newEmail();
  const member = (await client.organizations.members.create({ organization_id: org.organization_id, email_address: email, roles: ["viewer"] })).member;
  let auth;

  await t.test("login_or_signup sends an email; authenticate redeems it once", async () => {
    const sent = await client.magicLinks.email.loginOrSignup({
      organization_id: org.organization_id,
      email_address: email.toUpperCase(),
      login_redirect_url: REDIRECT,
      signup_redirect_url: REDIRECT,
    });
    envelope(sent);
    assert.equal(sent.member_id, member.member_id);
    assert.equal(sent.member_created, false);
    assert.equal(sent.organization.organization_id, org.organization_id);
    const link = magicLink(await lastEmail(email));
    assert.equal(link.origin + link.pathname, REDIRECT, "the link goes to login_redirect_url");
    assert.equal(link.searchParams.get("stytch_token_type"), "multi_tenant_magic_links");
    const token = link.searchParams.get("token");

    auth = await client.magicLinks.authenticate({ magic_links_token: token, session_duration_minutes: 30 });
    envelope(auth);
    assert.equal(auth.member_id, member.member_id);
    assert.equal(auth.organization_id, org.organization_id);
    assert.equal(auth.member_authenticated, true);
    assert.ok(auth.session_token && auth.session_jwt, "session_token and session_jwt");
    assert.equal(auth.intermediate_session_token, "");
    const s = auth.member_session;
    assert.match(s.member_session_id, /^member-session-test-/);
    assert.equal(s.member_id, member.member_id);
    assert.equal(s.organization_id, org.organization_id);
    assert.equal(s.organization_slug, org.organization_slug);
    assert.ok(s.roles.includes("viewer") && s.roles.includes("stytch_member"), `roles ${s.roles}`);
    assert.equal(s.authentication_factors.length, 1);
    assert.equal(s.authentication_factors[0].type, "magic_link");
    assert.equal(s.authentication_factors[0].delivery_method, "email");
    assert.equal(s.authentication_factors[0].email_factor.email_address, email);
    const minutes = (Date.parse(s.expires_at) - Date.parse(s.started_at)) / 60_000;
    assert.ok(Math.abs(minutes - 30) < 1, `session lasts ${minutes} minutes, want 30`);

    await rejects(client.magicLinks.authenticate({ magic_links_token: token }), 404, "magic_link_not_found");
    await rejects(client.magicLinks.authenticate({ magic_links_token: "" }), 400, "bad_request");
  });

  await t.test("sessions.authenticate by token and by JWT, sessions.get", async () => {
    const byToken = await client.sessions.authenticate({ session_token: auth.session_token });
    envelope(byToken);
    assert.equal(byToken.member_session.member_session_id, auth.member_session.member_session_id);
    assert.equal(byToken.member.member_id, member.member_id);
    assert.equal(byToken.organization.organization_id, org.organization_id);
    assert.ok(byToken.session_jwt, "a fresh session_jwt");

    const byJWT = await client.sessions.authenticate({ session_jwt: auth.session_jwt });
    assert.equal(byJWT.member_session.member_session_id, auth.member_session.member_session_id);

    const checked = await client.sessions.authenticate({
      session_token: auth.session_token,
      authorization_check: { organization_id: org.organization_id, resource_id: "documents", action: "read" },
    });
    assert.equal(checked.verdict.authorized, true);
    assert.deepEqual(checked.verdict.granting_roles, ["viewer"]);
    await rejects(
      client.sessions.authenticate({
        session_token: auth.session_token,
        authorization_check: { organization_id: org.organization_id, resource_id: "documents", action: "write" },
      }),
      403,
      "session_authorization_error",
    );

    const list = await client.sessions.get({ organization_id: org.organization_id, member_id: member.member_id });
    envelope(list);
    assert.deepEqual(list.member_sessions.map((x) => x.member_session_id), [auth.member_session.member_session_id]);

    await rejects(client.sessions.authenticate({}), 400, "bad_request");
    await rejects(client.sessions.authenticate({ session_token: "not-a-session" }), 404, "session_not_found");
  });

  await t.test("JWKS and local JWT verification", async () => {
    const jwks = await client.sessions.getJWKS({ project_id: PROJECT_ID });
    envelope(jwks);
    const header = JSON.parse(Buffer.from(auth.session_jwt.split(".")[0], "base64url"));
    assert.equal(header.alg, "RS256");
    assert.equal(header.typ, "JWT", "stytch-node verifies with typ: JWT");
    const key = jwks.keys.find((k) => k.kid === header.kid);
    assert.ok(key, `the JWT's kid ${header.kid} is in the JWKS`);
    assert.equal(key.kty, "RSA");
    assert.ok(key.n && key.e, "an RSA public key");

    // The client fetches the JWKS itself (GET /v1/b2b/sessions/jwks/{project_id}) and checks
    // signature, aud, iss and exp without asking the API.
    const local = await client.sessions.authenticateJwtLocal({ session_jwt: auth.session_jwt, max_token_age_seconds: 60 });
    assert.equal(local.member_session_id, auth.member_session.member_session_id);
    assert.equal(local.member_id, member.member_id);
    assert.equal(local.organization_id, org.organization_id);
    assert.equal(local.organization_slug, org.organization_slug);
    assert.deepEqual([...local.roles].sort(), [...auth.member_session.roles].sort());
    assert.equal(local.authentication_factors[0].type, "magic_link");
    assert.equal(Date.parse(local.started_at), Date.parse(auth.member_session.started_at.replace(/\.\d+/, "")));
    assert.equal(Date.parse(local.expires_at), Date.parse(auth.member_session.expires_at.replace(/\.\d+/, "")));
    assert.deepEqual(local.custom_claims, {});

    // authenticateJwt prefers the local check: a local success returns only these two fields.
    const preferred = await client.sessions.authenticateJwt({ session_jwt: auth.session_jwt });
    assert.deepEqual(Object.keys(preferred).sort(), ["member_session", "session_jwt"]);
    assert.equal(preferred.member_session.member_session_id, auth.member_session.member_session_id);

    // Local RBAC: the policy comes from /v1/b2b/rbac/policy and the org's from /rbac/organizations/{id}.
    const rbac = (organization_id, action) =>
      client.sessions.authenticateJwtLocal({
        session_jwt: auth.session_jwt,
        authorization_check: { organization_id, resource_id: "documents", action },
      });
    assert.equal((await rbac(org.organization_id, "read")).member_id, member.member_id);
    await clientRejects(rbac(org.organization_id, "write"), "invalid_permissions");
    await clientRejects(rbac(other.organization_id, "read"), "tenancy_mismatch");

    const [h, p, sig] = auth.session_jwt.split(".");
    const forged = JSON.parse(Buffer.from(p, "base64url"));
    forged.sub = "member-test-" + randomUUID();
    await clientRejects(
      client.sessions.authenticateJwtLocal({ session_jwt: [h, Buffer.from(JSON.stringify(forged)).toString("base64url"), sig].join(".") }),
      "jwt_invalid",
    );
    // max_token_age_seconds 0 makes every token stale.
    await clientRejects(client.sessions.authenticateJwtLocal({ session_jwt: auth.session_jwt, max_token_age_seconds: 0 }), "jwt_too_old");
  });

  await t.test("revoke", async () => {
    const resp = await client.sessions.revoke({ member_session_id: auth.member_session.member_session_id });
    envelope(resp);
    await rejects(client.sessions.authenticate({ session_token: auth.session_token }), 404, "session_not_found");
    await rejects(client.sessions.authenticate({ session_jwt: auth.session_jwt }), 404, "session_not_found");
    // A stale-by-policy token goes to the API, which knows the session is gone.
    await rejects(client.sessions.authenticateJwt({ session_jwt: auth.session_jwt, max_token_age_seconds: 0 }), 404, "session_not_found");
    const list = await client.sessions.get({ organization_id: org.organization_id, member_id: member.member_id });
    assert.deepEqual(list.member_sessions, []);
    await rejects(client.sessions.revoke({ member_session_id: "member-session-test-" + randomUUID() }), 404, "session_not_found");
  });
});

test("discovery: email send, authenticate, exchange, create organization", STEP, async (t) => {
  const domain = `${tag()}.example`;
  const email = `pat@${domain}`;
  const active = await createOrg();
  const member = (await client.organizations.members.create({ organization_id: active.organization_id, email_address: email })).member;
  const eligible = await createOrg({ email_allowed_domains: [domain], email_jit_provisioning: "RESTRICTED" });
  const second = await createOrg();
  await client.organizations.members.create({ organization_id: second.organization_id, email_address: email });

  const discover = async () => {
    const sent = await client.magicLinks.email.discovery.send({ email_address: email, discovery_redirect_url: "http://localhost:3000/discover" });
    envelope(sent);
    const link = magicLink(await lastEmail(email));
    assert.equal(link.origin + link.pathname, "http://localhost:3000/discover");
    assert.equal(link.searchParams.get("stytch_token_type"), "discovery");
    const resp = await client.magicLinks.discovery.authenticate({ discovery_magic_links_token: link.searchParams.get("token") });
    envelope(resp);
    return resp;
  };
  const byOrg = (list) => Object.fromEntries(list.map((d) => [d.organization.organization_id, d]));

  await t.test("authenticate lists the organizations; exchange joins one", async () => {
    const auth = await discover();
    assert.equal(auth.email_address, email);
    assert.ok(auth.intermediate_session_token, "intermediate_session_token");
    const found = byOrg(auth.discovered_organizations);
    assert.deepEqual(Object.keys(found).sort(), [active.organization_id, eligible.organization_id, second.organization_id].sort());
    assert.equal(found[active.organization_id].membership.type, "active_member");
    assert.equal(found[active.organization_id].membership.member.member_id, member.member_id);
    // The link proved the email, which is all this organization asks for.
    assert.equal(found[active.organization_id].member_authenticated, true);
    assert.equal(found[eligible.organization_id].membership.type, "eligible_to_join_by_email_domain");
    assert.equal(found[active.organization_id].organization.organization_slug, active.organization_slug);

    const list = await client.discovery.organizations.list({ intermediate_session_token: auth.intermediate_session_token });
    envelope(list);
    assert.equal(list.email_address, email);
    assert.deepEqual(Object.keys(byOrg(list.discovered_organizations)).sort(), Object.keys(found).sort());

    const ex = await client.discovery.intermediateSessions.exchange({
      intermediate_session_token: auth.intermediate_session_token,
      organization_id: active.organization_id,
      session_duration_minutes: 60,
    });
    envelope(ex);
    assert.equal(ex.member_authenticated, true);
    assert.equal(ex.member_id, member.member_id);
    assert.equal(ex.organization.organization_id, active.organization_id);
    assert.ok(ex.session_token && ex.session_jwt);
    assert.equal(ex.member_session.authentication_factors[0].type, "magic_link");
    const local = await client.sessions.authenticateJwtLocal({ session_jwt: ex.session_jwt });
    assert.equal(local.organization_id, active.organization_id);

    // sessions.exchange moves the session into another organization the person belongs to.
    const moved = await client.sessions.exchange({ session_token: ex.session_token, organization_id: second.organization_id });
    envelope(moved);
    assert.equal(moved.member_authenticated, true);
    assert.equal(moved.organization.organization_id, second.organization_id);
    assert.equal(moved.member.email_address, email);
    assert.notEqual(moved.member_id, member.member_id, "a member of the other organization");
    assert.equal(moved.member_session.organization_id, second.organization_id);

    await rejects(
      client.discovery.intermediateSessions.exchange({ intermediate_session_token: "not-a-token", organization_id: active.organization_id }),
      404,
      "intermediate_session_not_found",
    );
  });

  await t.test("organizations.create makes the person its admin", async () => {
    const auth = await discover();
    const slug = newSlug();
    const created = await client.discovery.organizations.create({
      intermediate_session_token: auth.intermediate_session_token,
      organization_name: "Pat's Co",
      organization_slug: slug,
    });
    envelope(created);
    assert.equal(created.member_authenticated, true);
    assert.equal(created.organization.organization_slug, slug);
    assert.equal(created.organization.organization_name, "Pat's Co");
    assert.equal(created.member.email_address, email);
    assert.equal(created.member.is_admin, true);
    assert.ok(roleIDs(created.member).includes("stytch_admin"));
    assert.ok(created.session_token && created.session_jwt);
    const check = await client.sessions.authenticate({ session_token: created.session_token });
    assert.equal(check.organization.organization_id, created.organization.organization_id);

    await rejects(client.magicLinks.discovery.authenticate({ discovery_magic_links_token: "not-a-token" }), 404, "magic_link_not_found");
  });
});

test("SCIM connections: create, get, update, rotate, delete", STEP, async (t) => {
  const org = await createOrg();
  const conn = client.scim.connection;
  let c, token, path;
  // Whether a bearer token is accepted by the connection's SCIM endpoint, reached on the
  // server the SDK talks to (base_url names the configured deployment address).
  const scimWorks = async (bearer) => {
    const resp = await fetch(`${BASE}${path}/Users`, { headers: { Authorization: `Bearer ${bearer}` } });
    await resp.arrayBuffer();
    return resp.status === 200;
  };
  const lastFour = (s) => s.slice(-4);

  await t.test("create and get", async () => {
    const resp = await conn.create({ organization_id: org.organization_id, display_name: "Okta", identity_provider: "okta" });
    envelope(resp);
    c = resp.connection;
    token = c.bearer_token;
    assert.match(c.connection_id, /^scim-connection-test-/);
    assert.equal(c.organization_id, org.organization_id);
    assert.equal(c.status, "active");
    assert.equal(c.display_name, "Okta");
    assert.equal(c.identity_provider, "okta");
    assert.ok(token.length >= 40, "a bearer token");
    assert.deepEqual(c.scim_group_implicit_role_assignments, []);
    const url = new URL(c.base_url);
    assert.ok(url.pathname.endsWith(`/scim/v2/${c.connection_id}`), c.base_url);
    path = url.pathname;
    assert.equal(await scimWorks(token), true);

    const got = await conn.get({ organization_id: org.organization_id });
    envelope(got);
    assert.equal(got.connection.connection_id, c.connection_id);
    assert.equal(got.connection.bearer_token_last_four, lastFour(token));
    assert.equal(got.connection.bearer_token, undefined, "get never shows the token");

    const o = await client.organizations.get({ organization_id: org.organization_id });
    assert.equal(o.organization.scim_active_connection.connection_id, c.connection_id);

    await rejects(conn.create({ organization_id: org.organization_id }), 400, "active_scim_connection_exists");
    await rejects(conn.get({ organization_id: (await createOrg()).organization_id }), 404, "scim_connection_not_found");
  });

  await t.test("update", async () => {
    const resp = await conn.update({
      organization_id: org.organization_id,
      connection_id: c.connection_id,
      display_name: "Entra",
      identity_provider: "microsoft-entra",
    });
    envelope(resp);
    assert.equal(resp.connection.display_name, "Entra");
    assert.equal(resp.connection.identity_provider, "microsoft-entra");
    assert.ok(resp.connection.base_url.endsWith(`/scim/v2/${c.connection_id}?aadOptscim062020`), resp.connection.base_url);
    assert.equal((await conn.get({ organization_id: org.organization_id })).connection.display_name, "Entra");
    await rejects(conn.update({ organization_id: org.organization_id, connection_id: c.connection_id, identity_provider: "myspace" }), 400, "invalid_scim_idp");
  });

  await t.test("rotate: start, cancel, start, complete", async () => {
    const ids = { organization_id: org.organization_id, connection_id: c.connection_id };
    await rejects(conn.rotateComplete(ids), 400, "scim_connection_not_rotating_token");
    await rejects(conn.rotateCancel(ids), 400, "scim_connection_not_rotating_token");

    let start = await conn.rotateStart(ids);
    envelope(start);
    let next = start.connection.next_bearer_token;
    assert.ok(next && next !== token, "a new token");
    assert.equal(start.connection.bearer_token_last_four, lastFour(token));
    assert.equal((await conn.get({ organization_id: org.organization_id })).connection.next_bearer_token_last_four, lastFour(next));
    assert.equal(await scimWorks(token), true, "the old token works during rotation");
    assert.equal(await scimWorks(next), true, "the new token works during rotation");

    const cancel = await conn.rotateCancel(ids);
    envelope(cancel);
    assert.ok(!cancel.connection.next_bearer_token_last_four, "cancel drops the new token");
    assert.equal(await scimWorks(next), false);
    assert.equal(await scimWorks(token), true);

    start = await conn.rotateStart(ids);
    next = start.connection.next_bearer_token;
    const complete = await conn.rotateComplete(ids);
    envelope(complete);
    assert.equal(complete.connection.bearer_token_last_four, lastFour(next));
    assert.ok(!complete.connection.next_bearer_token_last_four);
    assert.equal(await scimWorks(token), false, "complete stops the old token");
    assert.equal(await scimWorks(next), true);
    token = next;
  });

  await t.test("delete", async () => {
    const del = await conn.delete({ organization_id: org.organization_id, connection_id: c.connection_id });
    envelope(del);
    assert.equal(del.connection_id, c.connection_id);
    assert.equal(await scimWorks(token), false);
    await rejects(conn.get({ organization_id: org.organization_id }), 404, "scim_connection_not_found");
    await rejects(conn.delete({ organization_id: org.organization_id, connection_id: c.connection_id }), 404, "scim_connection_not_found");
    const o = await client.organizations.get({ organization_id: org.organization_id });
    assert.equal(o.organization.scim_active_connection ?? null, null);
  });
});
