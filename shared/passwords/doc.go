// Package passwords runs Stytch's B2B passwords: authenticate, resets (by email, by the existing
// password, by session), migration of hashes from other systems, strength checks, and the
// cross-organization (discovery) variants. Every login and reset ends in the authentication
// pipeline (authn.Login), so a member who signs in by password is the same member who signs in
// by magic link or code.
//
// A password is bound to the address it was set for (latchkey.Password): set by an emailed
// reset link, by a session that proved that address, or imported by the application, which
// vouches for it. Knowing it proves that address, and the factor it records says so.
//
// Guessing is bounded without letting a guesser lock a member out from elsewhere: ten failed
// tries for one address from one client address within an hour lock that pair until the hour
// ends (Stytch's user lock, 429 user_lock_limit_reached), and failures are also capped per
// client address and per address an hour (429 too_many_requests). Every try is reserved on
// those counters before the hash, so parallel guesses cannot pass a limit together, and a
// success gives its try back.
package passwords
