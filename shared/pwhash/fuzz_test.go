package pwhash

import (
	"errors"
	"testing"
)

// FuzzImport holds Migrate's hash import to its line: no input panics, every refusal is an
// ImportError (Stytch's error type), and what it accepts is a hash Verify reads.
func FuzzImport(f *testing.F) {
	f.Add("bcrypt", "$2a$04$abcdefghijklmnopqrstuu5ZnkbXoyA4y5ZCrX1dOAqA2MJYh8Nqe", "", "", 0, 0, 0)
	f.Add("phpass", "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0", "", "", 0, 0, 0)
	f.Add("md_5", "5f4dcc3b5aa765d61d8327deb882cf99", "pre", "post", 0, 0, 0)
	f.Add("scrypt", "c2FsdA==", "c2FsdA==", "", 1024, 8, 1)
	f.Add("pbkdf_2", "c2FsdA==", "c2FsdA==", "sha512", 1000, 4, 0)
	f.Add("argon_2id", "abcd", "salt", "", 1, 64, 1)
	f.Fuzz(func(t *testing.T, typ, hash, salt, extra string, a, b, c int) {
		in := Imported{HashType: typ, Hash: hash,
			MD5: &SaltConfig{PrependSalt: salt, AppendSalt: extra}, SHA1: &SaltConfig{PrependSalt: salt}, SHA512: &SaltConfig{AppendSalt: extra},
			Argon2: &Argon2Config{Salt: salt, IterationAmount: a, Memory: b, Threads: c, KeyLength: len(hash) / 2},
			Scrypt: &ScryptConfig{Salt: salt, NParameter: a, RParameter: b, PParameter: c, KeyLength: 4},
			PBKDF2: &PBKDF2Config{Salt: salt, IterationAmount: a % 5000, KeyLength: b, Algorithm: extra}}
		enc, err := Import(in)
		var ie *ImportError
		switch {
		case err != nil && !errors.As(err, &ie):
			t.Fatalf("not an ImportError: %#v", err)
		case err == nil:
			if _, _, err := Verify(enc, "password"); err != nil {
				t.Fatalf("accepted %q but Verify fails: %v", enc, err)
			}
		}
	})
}
