// Package migrate moves organizations and members into a Latchkey table and out of it
// (latchkey-migrate, infra/cmd/latchkey-migrate), in one format both ways: JSON Lines, one
// organization or member a line, in Stytch's object shapes. The README's "Migrating to
// Latchkey" is the format's reference; infra/cmd/latchkey-migrate/testdata/sample.jsonl is a
// sample, imported by that command's tests.
//
//	{"type":"organization","organization":{…Stytch's Organization…}}
//	{"type":"member","member":{…Stytch's Member…},"password_hash":{…},"totp_secret":"…",
//	 "organization_external_id":"…"}
//
// The rules, each for a reason:
//
//   - Every line is checked by the domain's own rules (latchkey.ValidateOrganization,
//     latchkey.NewMember, pwhash.Import, the TOTP rules of TOTPs.Migrate): an import admits
//     nothing the API would refuse. A bad line is reported with its number and reason, and
//     the rest goes on; a record's item and its guards go in one transaction, so none is ever
//     half written.
//   - Given ids are kept (a Stytch project's users keep their ids, so the application's
//     references stay valid) and must be Stytch-shaped and of the target project's
//     environment; absent ids are made here.
//   - Idempotent: a record is compared with what is stored and written only where it
//     differs. Without Options.Update a differing record is left as it is and reported
//     skipped, with the fields that differ, since Latchkey's copy may have been changed since
//     (the file is the source of truth only when you say so). Even with it, an active member is
//     not sent back to invited or pending, a verified address or number is not unverified, and
//     a member's address is not changed (Members.Update does that): use moves those on.
//     Passwords and TOTP secrets are set only where there is none; an existing one, which may
//     have been changed or upgraded since, is kept.
//   - A member line without member_id is the member with its address in the organization; an
//     organization line without organization_id is the organization with its external id,
//     else its slug. So a file imports onto what its first run created.
//   - Duplicates: lines with the same address in the same organization are one member. The
//     first line's fields win and later lines fill in what it leaves out (metadata objects
//     gain the keys it lacks, roles are joined); a password or TOTP secret comes from a later
//     line only if the first has none. The same address in another organization is another
//     member.
//   - Resumable: a checkpoint names the input (size and SHA-256) and the line up to which
//     every line is done, with what those did; it is written atomically as the run goes, and a
//     run of the same input continues after it.
//
// The input is read three times (to count, hash and find duplicates; to merge them, only if
// there are any; to import), so it is a file; SpoolInput writes a stream (a pipe from another
// reader) to one first. Members of an organization the run created are written without
// reading first: nothing of theirs can be stored but what the run wrote, and a create whose
// conditions fail is read and decided like any other. The others are read per batch in one
// BatchGetItem. Export lists organizations and each organization's members with the store's
// listing queries, never a Scan.
package migrate
