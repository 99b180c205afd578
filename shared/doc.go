// Package latchkey is the core model of Latchkey: organizations, members, the factors a
// person proves, the policy that admits them (Organization.Admit), errors, ids, email
// normalization and input validation. It imports nothing of Latchkey but leaf libraries
// (secret, freemail), and nothing of AWS.
//
// Above it, in layers that a test (TestLayers) keeps apart:
//   - authn: the one door. Every way in ends in authn.Login; it also keeps member sessions and
//     intermediate sessions (authenticate, list, revoke, exchange, JWT claims);
//   - magiclink, otp, discovery, orgs, scim: the ways in and the capabilities beside them, each
//     with the store interface it needs, none importing another;
//   - store (DynamoDB), tokens (JWT signing), mail (SES): adapters implementing those
//     interfaces; api (HTTP, Stytch's B2B wire format) and app (composition) on top.
package latchkey
