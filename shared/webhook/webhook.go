// Package webhook signs webhook deliveries the way Svix signs them, and verifies such
// signatures. Stytch delivers its webhooks through Svix, so the receivers of a Stytch project
// already check svix-id, svix-timestamp and svix-signature with a Svix (or Standard Webhooks)
// library; signing the same way lets them point at Latchkey unchanged.
//
// The scheme: the secret is "whsec_" and the base64 of a random key; the signature of a
// delivery is "v1," and the base64 HMAC-SHA256, under that key, of "<id>.<unix seconds>.<body>".
// A receiver accepts a delivery when one of the space-separated signatures in svix-signature
// matches and the timestamp is within a tolerance of its clock (five minutes), which bounds
// replays. While a secret is being rotated the sender signs with both the old and the new one.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names, as Svix sends them. http.Header canonicalises them (Svix-Id); header names are
// case-insensitive, so receivers see the same thing.
const (
	HeaderID        = "svix-id"
	HeaderTimestamp = "svix-timestamp"
	HeaderSignature = "svix-signature"
)

// The Standard Webhooks names for the same three headers. Verify falls back to them, as the
// Svix libraries do.
const (
	standardHeaderID        = "webhook-id"
	standardHeaderTimestamp = "webhook-timestamp"
	standardHeaderSignature = "webhook-signature"
)

const (
	// SecretPrefix starts every secret, as it does Svix's.
	SecretPrefix = "whsec_"
	// DefaultTolerance is how far a delivery's timestamp may be from the receiver's clock, either
	// way: Svix's five minutes.
	DefaultTolerance = 5 * time.Minute
	// secretBytes is the size of a new key: 256 bits, the HMAC-SHA256 output size. (Svix's own
	// are 24 bytes; any length verifies the same.)
	secretBytes = 32
	// signatureVersion is the only scheme there is, the symmetric one.
	signatureVersion = "v1"
)

// The errors Sign and Verify return. Receivers should answer every verification failure the
// same way (401, no detail) so the reason does not help an attacker; the kinds are for logs and
// tests.
var (
	ErrInvalidSecret       = errors.New("webhook: secret is not whsec_ and the base64 of a non-empty key")
	ErrNoSecrets           = errors.New("webhook: no secret to verify with")
	ErrInvalidID           = errors.New("webhook: message id must be non-empty printable ASCII without spaces or dots")
	ErrInvalidTimestamp    = errors.New("webhook: timestamp must be after the Unix epoch")
	ErrMissingHeaders      = errors.New("webhook: missing svix-id, svix-timestamp or svix-signature")
	ErrInvalidHeaders      = errors.New("webhook: svix-timestamp is not a Unix time in seconds")
	ErrTimestampTooOld     = errors.New("webhook: timestamp too old")
	ErrTimestampTooNew     = errors.New("webhook: timestamp too new")
	ErrNoMatchingSignature = errors.New("webhook: no matching signature")
)

// NewSecret returns a fresh random secret: "whsec_" and the base64 of 32 random bytes.
func NewSecret() (string, error) {
	key := make([]byte, secretBytes)
	if _, err := rand.Read(key); err != nil {
		return "", err
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(key), nil
}

// decodeSecret returns the key in secret. Svix accepts the base64 without the prefix as well;
// so does this.
func decodeSecret(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, ErrInvalidSecret
	}
	return key, nil
}

// validID reports whether id can be sent: it goes into a header, so no control characters or
// spaces, and into the signed content before a dot, so no dot either (Svix's are msg_<ksuid>;
// ours are event ids).
func validID(id string) bool {
	if id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f || c == '.' {
			return false
		}
	}
	return true
}

// mac is the raw HMAC-SHA256 of "<id>.<unix seconds>.<body>" under key.
func mac(key []byte, id string, unix int64, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write(strconv.AppendInt(nil, unix, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Sign returns the signature of a delivery of body with id msgID at ts (whole seconds count;
// the rest is dropped, as the header carries seconds): "v1,<base64 HMAC-SHA256>".
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	if !validID(msgID) {
		return "", ErrInvalidID
	}
	if ts.Unix() <= 0 {
		return "", ErrInvalidTimestamp
	}
	return signatureVersion + "," + base64.StdEncoding.EncodeToString(mac(key, msgID, ts.Unix(), body)), nil
}

// SignAll returns the value of svix-signature for a delivery signed with every one of secrets,
// space-separated, as Svix sends while a secret is being rotated.
func SignAll(secrets []string, msgID string, ts time.Time, body []byte) (string, error) {
	if len(secrets) == 0 {
		return "", ErrNoSecrets
	}
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sig, err := Sign(s, msgID, ts, body)
		if err != nil {
			return "", err
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}

// Headers returns the three headers of a delivery of body with id msgID at ts, signed with
// secret: svix-id, svix-timestamp (Unix seconds) and svix-signature.
func Headers(secret, msgID string, ts time.Time, body []byte) (http.Header, error) {
	sig, err := Sign(secret, msgID, ts, body)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set(HeaderID, msgID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, sig)
	return h, nil
}

// Verify checks that header signs body with one of secrets (several during a rotation) and
// that its timestamp is within tolerance of now, either way; tolerance 0 means
// DefaultTolerance. Every v1 signature in svix-signature is tried against every secret, in
// constant time; signatures of other versions are ignored. A malformed secret is an error even
// when another secret would match, since it is a configuration mistake.
func Verify(secrets []string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secrets) == 0 {
		return ErrNoSecrets
	}
	keys := make([][]byte, 0, len(secrets))
	for _, s := range secrets {
		key, err := decodeSecret(s)
		if err != nil {
			return err
		}
		keys = append(keys, key)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}

	id, ts, sigs := header.Get(HeaderID), header.Get(HeaderTimestamp), header.Get(HeaderSignature)
	if id == "" || ts == "" || sigs == "" {
		id, ts, sigs = header.Get(standardHeaderID), header.Get(standardHeaderTimestamp), header.Get(standardHeaderSignature)
		if id == "" || ts == "" || sigs == "" {
			return ErrMissingHeaders
		}
	}
	unix, ok := parseUnix(ts)
	if !ok {
		return ErrInvalidHeaders
	}
	// The bounds are Svix's to the second: too old when more than tolerance before now, too new
	// when the second is after that of now+tolerance (so a delivery signed this second, whose
	// header drops the fraction, is never too new).
	switch {
	case now.Sub(time.Unix(unix, 0)) > tolerance:
		return ErrTimestampTooOld
	case unix > now.Add(tolerance).Unix():
		return ErrTimestampTooNew
	}

	expected := make([][]byte, len(keys))
	for i, key := range keys {
		expected[i] = []byte(base64.StdEncoding.EncodeToString(mac(key, id, unix, body)))
	}
	for _, versioned := range strings.Split(sigs, " ") {
		version, sig, ok := strings.Cut(versioned, ",")
		if !ok || version != signatureVersion {
			continue
		}
		for _, want := range expected {
			// The base64 text is compared, as Svix does, so only the canonical encoding matches.
			if hmac.Equal([]byte(sig), want) {
				return nil
			}
		}
	}
	return ErrNoMatchingSignature
}

// parseUnix parses a svix-timestamp: decimal digits only (no sign, no spaces), at most what
// fits in an int64.
func parseUnix(s string) (int64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
