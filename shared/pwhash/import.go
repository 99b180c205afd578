package pwhash

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/bits"
	"strings"

	"github.com/zitadel/passwap/argon2"
	"github.com/zitadel/passwap/pbkdf2"
	"github.com/zitadel/passwap/phpass"
	"github.com/zitadel/passwap/scrypt"
)

// Hash types Stytch's Passwords.Migrate accepts.
const (
	TypeBcrypt   = "bcrypt"
	TypeMD5      = "md_5"
	TypeSHA1     = "sha_1"
	TypeSHA512   = "sha_512"
	TypeArgon2i  = "argon_2i"
	TypeArgon2id = "argon_2id"
	TypeScrypt   = "scrypt"
	TypePHPass   = "phpass"
	TypePBKDF2   = "pbkdf_2"
)

// Types lists them, for error messages.
var Types = []string{TypeBcrypt, TypeMD5, TypeSHA1, TypeSHA512, TypeArgon2i, TypeArgon2id, TypeScrypt, TypePHPass, TypePBKDF2}

// SaltConfig is md_5_config, sha_1_config and sha_512_config: raw strings hashed before and
// after the password.
type SaltConfig struct {
	PrependSalt string `json:"prepend_salt"`
	AppendSalt  string `json:"append_salt"`
}

// Argon2Config is argon_2_config, for a hash given as hex rather than as a PHC string. Its salt
// is the raw salt string.
type Argon2Config struct {
	Salt            string `json:"salt"`
	IterationAmount int    `json:"iteration_amount"`
	Memory          int    `json:"memory"` // KiB
	Threads         int    `json:"threads"`
	KeyLength       int    `json:"key_length"`
}

// ScryptConfig is scrypt_config; salt and hash are base64.
type ScryptConfig struct {
	Salt       string `json:"salt"`
	NParameter int    `json:"n_parameter"`
	RParameter int    `json:"r_parameter"`
	PParameter int    `json:"p_parameter"`
	KeyLength  int    `json:"key_length"`
}

// PBKDF2Config is pbkdf_2_config; salt and hash are base64, algorithm sha256 (the default) or
// sha512.
type PBKDF2Config struct {
	Salt            string `json:"salt"`
	IterationAmount int    `json:"iteration_amount"`
	KeyLength       int    `json:"key_length"`
	Algorithm       string `json:"algorithm"`
}

// Imported is a hash from another system, as Passwords.Migrate carries it.
type Imported struct {
	Hash     string
	HashType string
	MD5      *SaltConfig
	SHA1     *SaltConfig
	SHA512   *SaltConfig
	Argon2   *Argon2Config
	Scrypt   *ScryptConfig
	PBKDF2   *PBKDF2Config
}

// ImportError is a hash or config Stytch would refuse; Type is Stytch's error_type for it.
type ImportError struct {
	Type    string
	Message string
}

func (e *ImportError) Error() string { return e.Message }

func bad(typ, format string, args ...any) *ImportError {
	return &ImportError{Type: typ, Message: fmt.Sprintf(format, args...)}
}

// Cost bounds for imported hashes: wide enough for what real systems use, narrow enough that
// one login cannot take a function's memory or minutes of CPU.
// Each bound holds one check to roughly a second of CPU or less.
const (
	maxArgon2Memory     = 256 * 1024 // KiB
	maxArgon2Iterations = 10
	maxArgon2Work       = 512 * 1024 // memory (KiB) × iterations
	maxArgon2Threads    = 16
	maxScryptN          = 262144 // Stytch's documented maximum
	maxScryptMemory     = 256 << 20
	maxScryptWork       = 512 << 20 // 128·r·N·p bytes processed
	maxBcryptCost       = 14
	maxPHPassLog2Rounds = 18
	maxPBKDF2Iterations = 2_000_000
	maxPBKDF2Blocks     = 4_000_000 // iterations × output blocks
	maxKeyLength        = 1024
	maxSaltLength       = 1024
	maxHashLength       = 4096
)

// Import checks an imported hash and its config, and returns the encoded form Verify reads.
func Import(in Imported) (string, error) {
	h := strings.TrimSpace(in.Hash)
	if h == "" {
		return "", bad("invalid_hash", "hash is required.")
	}
	if len(h) > maxHashLength {
		return "", bad("invalid_hash", "hash is longer than %d characters.", maxHashLength)
	}
	var encoded string
	var err error
	switch in.HashType {
	case TypeBcrypt:
		encoded, err = importBcrypt(h)
	case TypePHPass:
		encoded, err = importPHPass(h)
	case TypeMD5:
		encoded, err = importDigest(h, "md5", "md_5", in.MD5)
	case TypeSHA1:
		encoded, err = importDigest(h, "sha1", "sha_1", in.SHA1)
	case TypeSHA512:
		encoded, err = importDigest(h, "sha512", "sha_512", in.SHA512)
	case TypeArgon2i, TypeArgon2id:
		encoded, err = importArgon2(h, in.HashType, in.Argon2)
	case TypeScrypt:
		encoded, err = importScrypt(h, in.Scrypt)
	case TypePBKDF2:
		encoded, err = importPBKDF2(h, in.PBKDF2)
	case "":
		return "", bad("invalid_hash_type", "hash_type is required: one of %s.", strings.Join(Types, ", "))
	default:
		return "", bad("invalid_hash_type", "hash_type must be one of %s.", strings.Join(Types, ", "))
	}
	if err != nil {
		return "", err
	}
	if err := swapper.Validate(encoded); err != nil {
		return "", bad("invalid_hash", "The %s hash is not valid: %v.", in.HashType, err)
	}
	return encoded, nil
}

// crypt64 is the crypt(3) base64 alphabet phpass encodes its rounds in.
const crypt64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func importBcrypt(h string) (string, error) {
	if !strings.HasPrefix(h, "$2a$") && !strings.HasPrefix(h, "$2b$") && !strings.HasPrefix(h, "$2y$") || len(h) != 60 {
		return "", bad("invalid_bcrypt_hash", "A bcrypt hash is 60 characters in modular crypt format ($2a$, $2b$ or $2y$).")
	}
	var cost int
	if _, err := fmt.Sscanf(h[4:6], "%d", &cost); err != nil || h[6] != '$' {
		return "", bad("invalid_bcrypt_hash", "The bcrypt hash has no cost.")
	}
	if cost < 4 || cost > maxBcryptCost {
		return "", bad("invalid_bcrypt_cost", "The bcrypt cost must be between 4 and %d.", maxBcryptCost)
	}
	// bcrypt's salt and hash are 53 characters of its own base64 alphabet, which the verifier
	// only decodes at login: refuse anything else now rather than fail every login later.
	if strings.Trim(h[7:], bcryptAlphabet) != "" {
		return "", bad("invalid_bcrypt_hash", "The bcrypt hash has characters outside bcrypt's base64 alphabet.")
	}
	return h, nil
}

func importPHPass(h string) (string, error) {
	if !strings.HasPrefix(h, phpass.IdentifierP) && !strings.HasPrefix(h, phpass.IdentifierH) {
		return "", bad("invalid_phpass_hash_prefix", "A phpass hash starts with $P$ or $H$.")
	}
	if len(h) != phpass.HashLength {
		return "", bad("invalid_phpass_hash_format", "A phpass hash is %d characters.", phpass.HashLength)
	}
	// The fourth character is log2 of the MD5 rounds: up to 2^31, minutes of CPU per login.
	// Real systems use 2^8 to 2^13 (WordPress: 2^13).
	if rounds := strings.IndexByte(crypt64, h[3]); rounds < 7 || rounds > maxPHPassLog2Rounds {
		return "", bad("invalid_phpass_hash_format", "The phpass hash's rounds must be 2^7 to 2^%d.", maxPHPassLog2Rounds)
	}
	return h, nil
}

// decodeDigest reads a digest of size bytes given as hex or as base64 (padded or not).
func decodeDigest(h string, size int) ([]byte, bool) {
	if b, err := hex.DecodeString(h); err == nil && len(b) == size {
		return b, true
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(h); err == nil && len(b) == size {
			return b, true
		}
	}
	return nil, false
}

func importDigest(h, alg, stytchName string, cfg *SaltConfig) (string, error) {
	size := digests[alg]().Size()
	sum, ok := decodeDigest(h, size)
	if !ok {
		return "", bad("invalid_"+stytchName+"_hash", "A %s hash is %d bytes, in hex or base64.", stytchName, size)
	}
	var c SaltConfig
	if cfg != nil {
		c = *cfg
	}
	if len(c.PrependSalt) > maxSaltLength {
		return "", bad("invalid_prepend_salt", "prepend_salt is longer than %d bytes.", maxSaltLength)
	}
	if len(c.AppendSalt) > maxSaltLength {
		return "", bad("invalid_append_salt", "append_salt is longer than %d bytes.", maxSaltLength)
	}
	return encodeDigest(alg, []byte(c.PrependSalt), []byte(c.AppendSalt), sum), nil
}

func importArgon2(h, hashType string, cfg *Argon2Config) (string, error) {
	id := argon2.Identifier_id
	if hashType == TypeArgon2i {
		id = argon2.Identifier_i
	}
	if strings.HasPrefix(h, "$argon2") {
		if !strings.HasPrefix(h, "$"+id+"$") {
			return "", bad("invalid_hash", "The PHC string is not %s.", id)
		}
		var m, t, p int
		if _, err := fmt.Sscanf(strings.ReplaceAll(h, "$", " "), " "+id+" v=19 m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
			return "", bad("invalid_hash", "The %s PHC string is malformed.", id)
		}
		return h, checkArgon2(m, t, p)
	}
	if cfg == nil {
		return "", bad("invalid_hash", "An %s hash is a PHC string ($%s$v=19$...), or hex with argon_2_config.", hashType, id)
	}
	sum, err := hex.DecodeString(h)
	if err != nil || len(sum) == 0 {
		return "", bad("invalid_hash", "With argon_2_config, the hash is hex.")
	}
	if cfg.Salt == "" || len(cfg.Salt) > maxSaltLength {
		return "", bad("invalid_argon_2_salt", "argon_2_config.salt is required (at most %d bytes).", maxSaltLength)
	}
	if cfg.KeyLength <= 0 || cfg.KeyLength > maxKeyLength {
		return "", bad("invalid_argon_2_key_length", "argon_2_config.key_length must be between 1 and %d.", maxKeyLength)
	}
	if cfg.KeyLength != len(sum) {
		return "", bad("argon_2_key_length_mismatch", "argon_2_config.key_length is %d but the hash is %d bytes.", cfg.KeyLength, len(sum))
	}
	if err := checkArgon2(cfg.Memory, cfg.IterationAmount, cfg.Threads); err != nil {
		return "", err
	}
	b := base64.RawStdEncoding
	return fmt.Sprintf(argon2.Format, id, 19, cfg.Memory, cfg.IterationAmount, cfg.Threads,
		b.EncodeToString([]byte(cfg.Salt)), b.EncodeToString(sum)), nil
}

func checkArgon2(memory, iterations, threads int) error {
	switch {
	case iterations < 1 || iterations > maxArgon2Iterations:
		return bad("invalid_argon_2_iteration_amount", "The argon2 iteration amount must be between 1 and %d.", maxArgon2Iterations)
	case threads < 1 || threads > maxArgon2Threads:
		return bad("invalid_argon_2_threads", "The argon2 threads must be between 1 and %d.", maxArgon2Threads)
	case memory < 8*threads || memory > maxArgon2Memory:
		return bad("invalid_argon_2_memory", "The argon2 memory must be between 8×threads and %d KiB.", maxArgon2Memory)
	case memory*iterations > maxArgon2Work:
		return bad("invalid_argon_2_iteration_amount", "The argon2 memory × iterations must be at most %d KiB.", maxArgon2Work)
	}
	return nil
}

func importScrypt(h string, cfg *ScryptConfig) (string, error) {
	if strings.HasPrefix(h, scrypt.Prefix) {
		// Already in the encoded form: its parameters get the same bounds as a config's.
		var ln, r, p int
		if _, err := fmt.Sscanf(strings.ReplaceAll(h, "$", " "), " scrypt ln=%d,r=%d,p=%d", &ln, &r, &p); err != nil || ln < 1 || ln > 30 {
			return "", bad("invalid_scrypt_parameters", "The scrypt string's parameters are malformed.")
		}
		return h, checkScrypt(1<<ln, r, p)
	}
	if cfg == nil {
		return "", bad("invalid_scrypt_parameters", "A base64 scrypt hash needs scrypt_config.")
	}
	sum, err := base64.StdEncoding.DecodeString(h)
	if err != nil {
		if sum, err = base64.RawStdEncoding.DecodeString(h); err != nil {
			return "", bad("invalid_base64_scrypt_hash", "The scrypt hash must be base64.")
		}
	}
	salt, err := base64.StdEncoding.DecodeString(cfg.Salt)
	if err != nil {
		if salt, err = base64.RawStdEncoding.DecodeString(cfg.Salt); err != nil {
			return "", bad("invalid_base64_scrypt_salt", "scrypt_config.salt must be base64.")
		}
	}
	n, r, p := cfg.NParameter, cfg.RParameter, cfg.PParameter
	if len(salt) == 0 || len(salt) > maxSaltLength {
		return "", bad("invalid_scrypt_salt_length", "scrypt_config.salt must be 1 to %d bytes.", maxSaltLength)
	}
	if err := checkScrypt(n, r, p); err != nil {
		return "", err
	}
	switch {
	case cfg.KeyLength <= 0 || cfg.KeyLength > maxKeyLength:
		return "", bad("invalid_scrypt_parameters", "scrypt_config.key_length must be between 1 and %d.", maxKeyLength)
	case cfg.KeyLength != len(sum):
		return "", bad("scrypt_key_length_mismatch", "scrypt_config.key_length is %d but the hash is %d bytes.", cfg.KeyLength, len(sum))
	}
	b := base64.RawStdEncoding
	return fmt.Sprintf(scrypt.Format, scrypt.Identifier, bits.TrailingZeros(uint(n)), r, p, b.EncodeToString(salt), b.EncodeToString(sum)), nil
}

func checkScrypt(n, r, p int) error {
	switch {
	case n <= 1 || n > maxScryptN || bits.OnesCount(uint(n)) != 1:
		return bad("invalid_scrypt_n_parameter", "The scrypt N must be a power of two greater than 1 and at most %d.", maxScryptN)
	case r < 1 || p < 1 || r > 64 || p > 16 || 128*r*n > maxScryptMemory || 128*r*n*p > maxScryptWork:
		return bad("invalid_scrypt_parameters", "The scrypt r and p are out of range (at most %d MiB of memory and %d MiB of work).",
			maxScryptMemory>>20, maxScryptWork>>20)
	}
	return nil
}

func importPBKDF2(h string, cfg *PBKDF2Config) (string, error) {
	if cfg == nil {
		return "", bad("invalid_pbkdf_2_hash", "A pbkdf_2 hash needs pbkdf_2_config.")
	}
	id, hashLen := pbkdf2.IdentifierSHA256, 32
	switch cfg.Algorithm {
	case "", "sha256":
	case "sha512":
		id, hashLen = pbkdf2.IdentifierSHA512, 64
	default:
		return "", bad("invalid_pbkdf_2_algorithm", "pbkdf_2_config.algorithm must be sha256 or sha512.")
	}
	sum, err := base64.StdEncoding.DecodeString(h)
	if err != nil {
		if sum, err = base64.RawStdEncoding.DecodeString(h); err != nil || len(sum) == 0 {
			return "", bad("invalid_pbkdf_2_hash", "The pbkdf_2 hash must be base64.")
		}
	}
	salt, err := base64.StdEncoding.DecodeString(cfg.Salt)
	if err != nil || len(salt) == 0 || len(salt) > maxSaltLength {
		if salt, err = base64.RawStdEncoding.DecodeString(cfg.Salt); err != nil || len(salt) == 0 || len(salt) > maxSaltLength {
			return "", bad("invalid_pbkdf_2_salt", "pbkdf_2_config.salt must be base64, 1 to %d bytes.", maxSaltLength)
		}
	}
	switch {
	case cfg.IterationAmount < 1 || cfg.IterationAmount > maxPBKDF2Iterations:
		return "", bad("invalid_pbkdf_2_iteration_amount", "pbkdf_2_config.iteration_amount must be between 1 and %d.", maxPBKDF2Iterations)
	case cfg.KeyLength != len(sum):
		return "", bad("pbkdf_2_key_length_mismatch", "pbkdf_2_config.key_length is %d but the hash is %d bytes.", cfg.KeyLength, len(sum))
	case cfg.KeyLength > maxKeyLength || cfg.IterationAmount*((cfg.KeyLength+hashLen-1)/hashLen) > maxPBKDF2Blocks:
		return "", bad("invalid_pbkdf_2_hash", "The pbkdf_2 hash is too long for its iterations (iterations × blocks at most %d).", maxPBKDF2Blocks)
	}
	b := base64.RawStdEncoding
	return fmt.Sprintf(pbkdf2.Format, id, cfg.IterationAmount, b.EncodeToString(salt), b.EncodeToString(sum)), nil
}
