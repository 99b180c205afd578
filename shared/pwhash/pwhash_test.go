package pwhash

import (
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

const pw = "correct horse battery staple"

// fixtures are hashes of pw made by implementations other than passwap (x/crypto, the standard
// library, and phpass's own test vector), in the shape Passwords.Migrate carries them.
func fixtures(t *testing.T) map[string]Imported {
	t.Helper()
	bc, err := bcrypt.GenerateFromPassword([]byte(pw), 5)
	if err != nil {
		t.Fatal(err)
	}
	salt := []byte("0123456789abcdef")
	sc, err := scrypt.Key([]byte(pw), salt, 1024, 8, 1, 32)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := pbkdf2.Key(sha512.New, pw, salt, 1000, 64)
	if err != nil {
		t.Fatal(err)
	}
	pb256, err := pbkdf2.Key(sha256.New, pw, salt, 1000, 32)
	if err != nil {
		t.Fatal(err)
	}
	md := md5.Sum([]byte("pre" + pw + "post"))
	s1 := sha1.Sum([]byte("pre" + pw))
	s512 := sha512.Sum512([]byte(pw + "post"))
	a2id := argon2.IDKey([]byte(pw), salt, 1, 64*1024, 2, 32)
	a2i := argon2.Key([]byte(pw), salt, 3, 32*1024, 1, 24)
	b64 := base64.StdEncoding.EncodeToString
	return map[string]Imported{
		"bcrypt":         {HashType: TypeBcrypt, Hash: string(bc)},
		"md_5":           {HashType: TypeMD5, Hash: hex.EncodeToString(md[:]), MD5: &SaltConfig{PrependSalt: "pre", AppendSalt: "post"}},
		"sha_1":          {HashType: TypeSHA1, Hash: hex.EncodeToString(s1[:]), SHA1: &SaltConfig{PrependSalt: "pre"}},
		"sha_512 base64": {HashType: TypeSHA512, Hash: b64(s512[:]), SHA512: &SaltConfig{AppendSalt: "post"}},
		"argon_2id PHC": {HashType: TypeArgon2id, Hash: "$argon2id$v=19$m=65536,t=1,p=2$" +
			base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(a2id)},
		"argon_2i config": {HashType: TypeArgon2i, Hash: hex.EncodeToString(a2i),
			Argon2: &Argon2Config{Salt: string(salt), IterationAmount: 3, Memory: 32 * 1024, Threads: 1, KeyLength: 24}},
		"scrypt":         {HashType: TypeScrypt, Hash: b64(sc), Scrypt: &ScryptConfig{Salt: b64(salt), NParameter: 1024, RParameter: 8, PParameter: 1, KeyLength: 32}},
		"pbkdf_2 sha512": {HashType: TypePBKDF2, Hash: b64(pb), PBKDF2: &PBKDF2Config{Salt: b64(salt), IterationAmount: 1000, KeyLength: 64, Algorithm: "sha512"}},
		"pbkdf_2 sha256": {HashType: TypePBKDF2, Hash: b64(pb256), PBKDF2: &PBKDF2Config{Salt: b64(salt), IterationAmount: 1000, KeyLength: 32}},
	}
}

func TestImportedHashesVerifyAndUpgrade(t *testing.T) {
	all := fixtures(t)
	// phpass's own test vector (PasswordHash test.php): "test12345".
	all["phpass"] = Imported{HashType: TypePHPass, Hash: "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"}
	for name, in := range all {
		t.Run(name, func(t *testing.T) {
			want := pw
			if in.HashType == TypePHPass {
				want = "test12345"
			}
			enc, err := Import(in)
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			if ok, _, err := Verify(enc, want+"x"); ok || err != nil {
				t.Fatalf("wrong password: ok=%v err=%v", ok, err)
			}
			ok, rehash, err := Verify(enc, want)
			if !ok || err != nil {
				t.Fatalf("right password: ok=%v err=%v", ok, err)
			}
			if !strings.HasPrefix(rehash, "$argon2id$v=19$m=19456,t=2,p=1$") {
				t.Fatalf("rehash = %q, want an argon2id hash with the current parameters", rehash)
			}
			if ok, again, err := Verify(rehash, want); !ok || again != "" || err != nil {
				t.Fatalf("the upgraded hash: ok=%v rehash=%q err=%v", ok, again, err)
			}
		})
	}
}

func TestHashIsCurrentArgon2id(t *testing.T) {
	h, err := Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := Hash(pw)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if ok, rehash, err := Verify(h, pw); !ok || rehash != "" || err != nil {
		t.Fatalf("ok=%v rehash=%q err=%v", ok, rehash, err)
	}
}

func TestImportRefusesMalformedHashes(t *testing.T) {
	good := fixtures(t)
	cases := []struct {
		name string
		in   Imported
		typ  string
	}{
		{"no hash", Imported{HashType: TypeBcrypt}, "invalid_hash"},
		{"unknown type", Imported{HashType: "rot13", Hash: "x"}, "invalid_hash_type"},
		{"no type", Imported{Hash: "x"}, "invalid_hash_type"},
		{"bcrypt not MCF", Imported{HashType: TypeBcrypt, Hash: "abc"}, "invalid_bcrypt_hash"},
		{"bcrypt cost 99", Imported{HashType: TypeBcrypt, Hash: "$2a$99$" + strings.Repeat("a", 53)}, "invalid_bcrypt_cost"},
		{"phpass prefix", Imported{HashType: TypePHPass, Hash: "$X$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"}, "invalid_phpass_hash_prefix"},
		{"phpass length", Imported{HashType: TypePHPass, Hash: "$P$9IQ"}, "invalid_phpass_hash_format"},
		{"md5 short", Imported{HashType: TypeMD5, Hash: "abcd"}, "invalid_md_5_hash"},
		{"sha1 not hex", Imported{HashType: TypeSHA1, Hash: strings.Repeat("z", 40)}, "invalid_sha_1_hash"},
		{"argon2 no config", Imported{HashType: TypeArgon2id, Hash: "abcdef"}, "invalid_hash"},
		{"argon2 key length", Imported{HashType: TypeArgon2id, Hash: "abcdef", Argon2: &Argon2Config{Salt: "s", IterationAmount: 1, Memory: 64, Threads: 1, KeyLength: 5}}, "argon_2_key_length_mismatch"},
		{"argon2 memory", Imported{HashType: TypeArgon2id, Hash: "abcdef", Argon2: &Argon2Config{Salt: "s", IterationAmount: 1, Memory: 1 << 30, Threads: 1, KeyLength: 3}}, "invalid_argon_2_memory"},
		{"argon2 PHC of the other kind", Imported{HashType: TypeArgon2i, Hash: good["argon_2id PHC"].Hash}, "invalid_hash"},
		{"scrypt N not power of two", Imported{HashType: TypeScrypt, Hash: good["scrypt"].Hash, Scrypt: &ScryptConfig{Salt: "c2FsdA==", NParameter: 1000, RParameter: 8, PParameter: 1, KeyLength: 32}}, "invalid_scrypt_n_parameter"},
		{"scrypt key length", Imported{HashType: TypeScrypt, Hash: good["scrypt"].Hash, Scrypt: &ScryptConfig{Salt: "c2FsdA==", NParameter: 1024, RParameter: 8, PParameter: 1, KeyLength: 16}}, "scrypt_key_length_mismatch"},
		{"scrypt hash not base64", Imported{HashType: TypeScrypt, Hash: "!!", Scrypt: &ScryptConfig{Salt: "c2FsdA==", NParameter: 1024, RParameter: 8, PParameter: 1, KeyLength: 32}}, "invalid_base64_scrypt_hash"},
		{"scrypt memory", Imported{HashType: TypeScrypt, Hash: good["scrypt"].Hash, Scrypt: &ScryptConfig{Salt: "c2FsdA==", NParameter: 262144, RParameter: 64, PParameter: 1, KeyLength: 32}}, "invalid_scrypt_parameters"},
		{"pbkdf2 algorithm", Imported{HashType: TypePBKDF2, Hash: good["pbkdf_2 sha256"].Hash, PBKDF2: &PBKDF2Config{Salt: "c2FsdA==", IterationAmount: 1, KeyLength: 32, Algorithm: "md4"}}, "invalid_pbkdf_2_algorithm"},
		{"pbkdf2 iterations", Imported{HashType: TypePBKDF2, Hash: good["pbkdf_2 sha256"].Hash, PBKDF2: &PBKDF2Config{Salt: "c2FsdA==", IterationAmount: 1 << 30, KeyLength: 32}}, "invalid_pbkdf_2_iteration_amount"},
		{"pbkdf2 key length", Imported{HashType: TypePBKDF2, Hash: good["pbkdf_2 sha256"].Hash, PBKDF2: &PBKDF2Config{Salt: "c2FsdA==", IterationAmount: 1, KeyLength: 31}}, "pbkdf_2_key_length_mismatch"},
		{"pbkdf2 no config", Imported{HashType: TypePBKDF2, Hash: good["pbkdf_2 sha256"].Hash}, "invalid_pbkdf_2_hash"},
		{"huge hash", Imported{HashType: TypeBcrypt, Hash: strings.Repeat("a", 1<<20)}, "invalid_hash"},
		// Hashes whose every check would take a function's memory or minutes of CPU.
		{"scrypt string of 32 GiB", Imported{HashType: TypeScrypt, Hash: "$scrypt$ln=18,r=1024,p=16$c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"}, "invalid_scrypt_parameters"},
		{"scrypt string with a huge N", Imported{HashType: TypeScrypt, Hash: "$scrypt$ln=25,r=8,p=1$c2FsdA$aGFzaA"}, "invalid_scrypt_n_parameter"},
		{"phpass with 2^31 rounds", Imported{HashType: TypePHPass, Hash: "$P$TIQRa9wmfeRo7ud9Fh4E2PdI0S3r.L0"}, "invalid_phpass_hash_format"},
		{"bcrypt with a byte outside its alphabet", Imported{HashType: TypeBcrypt, Hash: "$2a$04$abcdefghijklmnopqr\x8btuu5ZnkbXoyA4y5ZCrX1dOAqA2MJYh8Nqe"}, "invalid_bcrypt_hash"},
		{"bcrypt cost 31", Imported{HashType: TypeBcrypt, Hash: "$2a$31$" + strings.Repeat("a", 53)}, "invalid_bcrypt_cost"},
		{"pbkdf2 with a long key", Imported{HashType: TypePBKDF2, Hash: base64.StdEncoding.EncodeToString(make([]byte, 1024)),
			PBKDF2: &PBKDF2Config{Salt: "c2FsdA==", IterationAmount: 2_000_000, KeyLength: 1024}}, "invalid_pbkdf_2_hash"},
		{"argon2 of 256 MiB × 10", Imported{HashType: TypeArgon2id, Hash: "$argon2id$v=19$m=262144,t=10,p=1$c2FsdHNhbHQ$aGFzaA"}, "invalid_argon_2_iteration_amount"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Import(c.in)
			var ie *ImportError
			if !errors.As(err, &ie) || ie.Type != c.typ {
				t.Fatalf("err = %v, want %s", err, c.typ)
			}
		})
	}
}

func TestLongPasswordMatchesATruncatingBcrypt(t *testing.T) {
	long := strings.Repeat("a", 72) + "tail"
	h, err := bcrypt.GenerateFromPassword([]byte(long[:72]), 4)
	if err != nil {
		t.Fatal(err)
	}
	ok, rehash, err := Verify(string(h), long)
	if !ok || err != nil || rehash == "" {
		t.Fatalf("ok=%v rehash=%q err=%v", ok, rehash, err)
	}
	if ok, _, _ := Verify(rehash, long[:72]); ok {
		t.Fatal("the argon2id rehash kept the truncation")
	}
	if ok, _, _ := Verify(rehash, long); !ok {
		t.Fatal("the rehash does not verify the whole password")
	}
}

// BenchmarkHash is the cost of hashing a new password (and of checking one: the same work).
func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		if _, err := Hash(pw); err != nil {
			b.Fatal(err)
		}
	}
}
