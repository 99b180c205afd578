package pwhash

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/zitadel/passwap/pbkdf2"
	"github.com/zitadel/passwap/phpass"
)

// Export is the inverse of Import: a stored hash in the form Passwords.Migrate takes, so that
// an exported hash imports again (into Latchkey, or anything else that speaks Stytch's
// migrate) to the same encoded hash. Latchkey's own argon2id hashes export as argon_2id PHC
// strings.
func Export(encoded string) (Imported, error) {
	switch {
	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		return Imported{Hash: encoded, HashType: TypeBcrypt}, nil
	case strings.HasPrefix(encoded, phpass.IdentifierP), strings.HasPrefix(encoded, phpass.IdentifierH):
		return Imported{Hash: encoded, HashType: TypePHPass}, nil
	case strings.HasPrefix(encoded, "$argon2id$"):
		return Imported{Hash: encoded, HashType: TypeArgon2id}, nil
	case strings.HasPrefix(encoded, "$argon2i$"):
		return Imported{Hash: encoded, HashType: TypeArgon2i}, nil
	case strings.HasPrefix(encoded, "$scrypt$"):
		return Imported{Hash: encoded, HashType: TypeScrypt}, nil // Import reads passlib's form as it is
	case strings.HasPrefix(encoded, pbkdf2.Prefix):
		return exportPBKDF2(encoded)
	case strings.HasPrefix(encoded, digestPrefix):
		return exportDigest(encoded)
	}
	return Imported{}, errors.New("the stored hash is in no form Passwords.Migrate takes")
}

func exportPBKDF2(encoded string) (Imported, error) {
	parts := strings.Split(encoded, "$") // "", id, rounds, salt, hash
	if len(parts) != 5 {
		return Imported{}, errors.New("malformed pbkdf2 hash")
	}
	alg := ""
	switch parts[1] {
	case pbkdf2.IdentifierSHA256:
		alg = "sha256"
	case pbkdf2.IdentifierSHA512:
		alg = "sha512"
	default:
		return Imported{}, fmt.Errorf("pbkdf2 with %s has no Passwords.Migrate form", parts[1])
	}
	rounds, err := strconv.Atoi(parts[2])
	if err != nil {
		return Imported{}, errors.New("malformed pbkdf2 rounds")
	}
	salt, err1 := decodeAB64(parts[3])
	sum, err2 := decodeAB64(parts[4])
	if err1 != nil || err2 != nil {
		return Imported{}, errors.New("malformed pbkdf2 salt or hash")
	}
	b := base64.StdEncoding
	return Imported{Hash: b.EncodeToString(sum), HashType: TypePBKDF2, PBKDF2: &PBKDF2Config{
		Salt: b.EncodeToString(salt), IterationAmount: rounds, KeyLength: len(sum), Algorithm: alg}}, nil
}

// decodeAB64 reads unpadded base64 in the standard alphabet or passlib's, which has "." for "+".
func decodeAB64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.ReplaceAll(strings.TrimRight(s, "="), ".", "+"))
}

func exportDigest(encoded string) (Imported, error) {
	d, err := parseDigest(encoded)
	if err != nil {
		return Imported{}, err
	}
	alg := strings.SplitN(strings.TrimPrefix(encoded, digestPrefix), "$", 2)[0]
	cfg := &SaltConfig{PrependSalt: string(d.prepend), AppendSalt: string(d.appendSalt)}
	in := Imported{Hash: hex.EncodeToString(d.sum)}
	switch alg {
	case "md5":
		in.HashType, in.MD5 = TypeMD5, cfg
	case "sha1":
		in.HashType, in.SHA1 = TypeSHA1, cfg
	case "sha512":
		in.HashType, in.SHA512 = TypeSHA512, cfg
	default:
		return Imported{}, fmt.Errorf("salted digest: unknown algorithm %q", alg)
	}
	return in, nil
}
