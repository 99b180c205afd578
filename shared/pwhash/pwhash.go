// Package pwhash hashes new passwords with argon2id and verifies the hashes other systems made,
// in every form Stytch's Passwords.Migrate accepts, so an imported hash works at the next login
// and is replaced by an argon2id hash then.
//
// Stored hashes are encoded strings (PHC or modular crypt format) that name their algorithm and
// parameters, so one Verify reads all of them. Verification runs through passwap's Swapper:
// its first verifier is the argon2id hasher, and any other match asks for a rehash.
package pwhash

import (
	"errors"
	"fmt"
	"strings"

	"github.com/zitadel/passwap"
	"github.com/zitadel/passwap/argon2"
	"github.com/zitadel/passwap/bcrypt"
	"github.com/zitadel/passwap/pbkdf2"
	"github.com/zitadel/passwap/phpass"
	"github.com/zitadel/passwap/scrypt"
	xbcrypt "golang.org/x/crypto/bcrypt"
)

// Params are the argon2id parameters of new hashes: OWASP's Password Storage Cheat Sheet
// minimum (19 MiB, 2 iterations, 1 lane). A hash stored with other parameters is rehashed with
// these at its next successful verification, so raising them upgrades members as they log in.
var Params = argon2.Params{Time: 2, Memory: 19 * 1024, Threads: 1, KeyLen: 32, SaltLen: 16}

// The verifiers' bounds are as wide as Import allows (passwap's defaults refuse, for instance,
// scrypt below N=2^14, which real systems used); Import keeps each cost bounded.
var swapper = passwap.NewSwapper(
	argon2.NewArgon2id(Params, nil),
	argon2.NewVerifier(&argon2.ValidationOpts{MinTime: 1, MaxTime: maxArgon2Iterations, MinMemory: 8,
		MaxMemory: maxArgon2Memory, MinThreads: 1, MaxThreads: maxArgon2Threads}),
	bcrypt.NewVerifier(nil),
	scrypt.NewVerifier(&scrypt.ValidationOpts{MinLN: 1, MaxLN: 18, MinR: 1, MaxR: 1 << 10, MinP: 1, MaxP: 16}),
	pbkdf2.NewVerifier(&pbkdf2.ValidationOpts{MinRounds: 1, MaxRounds: maxPBKDF2Iterations}),
	phpass.NewVerifier(&phpass.ValidationOpts{MinRounds: 7, MaxRounds: maxPHPassLog2Rounds}),
	digestVerifier{},
)

// burnHash is a hash of nothing anyone knows, with the current parameters: verifying a password
// against it costs what verifying a member's costs.
var burnHash = func() string {
	h, err := Hash("latchkey: no member has this password")
	if err != nil {
		panic(err)
	}
	return h
}()

// Hash returns the argon2id hash of password, in PHC form.
func Hash(password string) (string, error) {
	return swapper.Hash(password)
}

// Verify tells whether password matches encoded. When it does and encoded is not a current
// argon2id hash, rehash is the password's new hash, to be stored in its place.
func Verify(encoded, password string) (ok bool, rehash string, err error) {
	updated, err := swapper.Verify(encoded, password)
	if errors.Is(err, xbcrypt.ErrPasswordTooLong) {
		// Systems that used bcrypt hashed only a password's first 72 bytes, and their users
		// typed the whole password: check what they checked, and keep the whole one from now.
		if updated, err = swapper.Verify(encoded, password[:72]); err == nil {
			updated, err = swapper.Hash(password)
		}
	}
	switch {
	case errors.Is(err, passwap.ErrPasswordMismatch):
		return false, "", nil
	case err != nil:
		return false, "", err
	}
	return true, updated, nil
}

// Burn spends the time of one verification, for a login whose member has no password (or does
// not exist), so the answer comes as late as a wrong password's and tells an attacker nothing.
func Burn(password string) {
	_, _, _ = Verify(burnHash, password)
}

// currentPrefix starts every hash Hash makes with today's parameters.
var currentPrefix = fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$", Params.Memory, Params.Time, Params.Threads)

// Current tells whether encoded is an argon2id hash with today's parameters: checking a
// password against any other may take less time than Burn.
func Current(encoded string) bool { return strings.HasPrefix(encoded, currentPrefix) }
