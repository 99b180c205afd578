// Package authn is the one door. Every way in (a magic link, an email code, and later passwords,
// SSO and OAuth) proves something about a person and ends in Login, which admits the
// proven email into the organization, finds or provisions the member, records the factor,
// decides whether a second factor is owed, and answers a session or an intermediate session.
// It also keeps member sessions (authenticate, list, revoke, exchange) and intermediate
// sessions.
package authn
