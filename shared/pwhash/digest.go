package pwhash

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash"
	"strings"

	"github.com/zitadel/passwap/verifier"
)

// Salted digests (md_5, sha_1 and sha_512 with a salt before and/or after the password) have no
// standard encoded form, so they are stored as
//
//	$latchkey-digest$<md5|sha1|sha512>$<base64 prepend salt>$<base64 append salt>$<base64 digest>
//
// (raw standard base64, empty for an absent salt) and verified by digestVerifier.
const digestPrefix = "$latchkey-digest$"

var digests = map[string]func() hash.Hash{"md5": md5.New, "sha1": sha1.New, "sha512": sha512.New}

func encodeDigest(alg string, prepend, appendSalt, sum []byte) string {
	b := base64.RawStdEncoding
	return fmt.Sprintf("%s%s$%s$%s$%s", digestPrefix, alg, b.EncodeToString(prepend), b.EncodeToString(appendSalt), b.EncodeToString(sum))
}

type digestHash struct {
	h                   func() hash.Hash
	prepend, appendSalt []byte
	sum                 []byte
}

func parseDigest(encoded string) (*digestHash, error) {
	rest, ok := strings.CutPrefix(encoded, digestPrefix)
	if !ok {
		return nil, nil
	}
	parts := strings.Split(rest, "$")
	if len(parts) != 4 {
		return nil, fmt.Errorf("salted digest: %d fields, want 4", len(parts))
	}
	d := &digestHash{h: digests[parts[0]]}
	if d.h == nil {
		return nil, fmt.Errorf("salted digest: unknown algorithm %q", parts[0])
	}
	var err error
	b := base64.RawStdEncoding.Strict()
	if d.prepend, err = b.DecodeString(parts[1]); err != nil {
		return nil, fmt.Errorf("salted digest prepend salt: %w", err)
	}
	if d.appendSalt, err = b.DecodeString(parts[2]); err != nil {
		return nil, fmt.Errorf("salted digest append salt: %w", err)
	}
	if d.sum, err = b.DecodeString(parts[3]); err != nil {
		return nil, fmt.Errorf("salted digest: %w", err)
	}
	if len(d.sum) != d.h().Size() {
		return nil, fmt.Errorf("salted digest: %d bytes, want %d", len(d.sum), d.h().Size())
	}
	return d, nil
}

func (d *digestHash) matches(password string) bool {
	h := d.h()
	h.Write(d.prepend)
	h.Write([]byte(password))
	h.Write(d.appendSalt)
	return subtle.ConstantTimeCompare(h.Sum(nil), d.sum) == 1
}

// digestVerifier is a passwap verifier for salted digests; a match always asks for a rehash.
type digestVerifier struct{}

func (digestVerifier) Validate(encoded string) (verifier.Result, error) {
	d, err := parseDigest(encoded)
	if err != nil || d == nil {
		return verifier.Skip, err
	}
	return verifier.OK, nil
}

func (digestVerifier) Verify(encoded, password string) (verifier.Result, error) {
	d, err := parseDigest(encoded)
	if err != nil || d == nil {
		return verifier.Skip, err
	}
	if !d.matches(password) {
		return verifier.Fail, nil
	}
	return verifier.NeedUpdate, nil
}
