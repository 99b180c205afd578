// Package tokens holds the project's JWT signing keys and signs and verifies session JWTs.
package tokens

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/google/uuid"
)

// KeyRecord is a signing key as stored. Seq orders keys; the highest is the one that signs.
type KeyRecord struct {
	Seq        int
	KID        string
	PrivatePEM string
	CreatedAt  time.Time
}

// KeyStore persists signing keys. AddSigningKey must fail with ErrKeyExists if Seq is taken,
// which is how concurrent cold starts agree on one key.
type KeyStore interface {
	SigningKeys(ctx context.Context) ([]KeyRecord, error)
	AddSigningKey(ctx context.Context, k KeyRecord) error
}

// ErrKeyExists is returned by KeyStore.AddSigningKey when another process won the race.
var ErrKeyExists = errors.New("signing key sequence already taken")

// JWK is one entry of the JWKS document, in Stytch's shape.
type JWK struct {
	Kty     string   `json:"kty"`
	Use     string   `json:"use"`
	KeyOps  []string `json:"key_ops"`
	Alg     string   `json:"alg"`
	KID     string   `json:"kid"`
	X5C     []string `json:"x5c"`
	X5TS256 string   `json:"x5t_s256,omitempty"`
	N       string   `json:"n"`
	E       string   `json:"e"`
}

type signingKey struct {
	kid string
	key *rsa.PrivateKey
}

// KeySet is the project's signing keys, loaded from the table once per process and refreshed
// every refresh interval so a rotation done elsewhere is picked up.
type KeySet struct {
	store   KeyStore
	refresh time.Duration
	now     func() time.Time

	mu       sync.Mutex
	keys     []signingKey // newest first
	loadedAt time.Time
}

// NewKeySet returns a key set backed by store.
func NewKeySet(store KeyStore, now func() time.Time) *KeySet {
	return &KeySet{store: store, refresh: 5 * time.Minute, now: now}
}

// Ensure loads the keys, creating the project's first key if there is none. Two processes
// starting at once both try to write key 1 conditionally; the loser reads the winner's.
func (k *KeySet) Ensure(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.loadLocked(ctx)
}

func (k *KeySet) loadLocked(ctx context.Context) error {
	for attempt := 0; attempt < 2; attempt++ {
		recs, err := k.store.SigningKeys(ctx)
		if err != nil {
			return err
		}
		if len(recs) > 0 {
			keys := make([]signingKey, 0, len(recs))
			for _, r := range recs {
				pk, err := parsePEM(r.PrivatePEM)
				if err != nil {
					return fmt.Errorf("signing key %s: %w", r.KID, err)
				}
				keys = append(keys, signingKey{kid: r.KID, key: pk})
			}
			k.keys, k.loadedAt = keys, k.now()
			return nil
		}
		rec, err := GenerateKeyRecord(1, k.now())
		if err != nil {
			return err
		}
		if err := k.store.AddSigningKey(ctx, rec); err != nil && !errors.Is(err, ErrKeyExists) {
			return err
		}
	}
	return errors.New("signing keys could not be created")
}

func (k *KeySet) current(ctx context.Context) ([]signingKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.keys) == 0 || k.now().Sub(k.loadedAt) > k.refresh {
		if err := k.loadLocked(ctx); err != nil && len(k.keys) == 0 {
			return nil, err
		}
	}
	return k.keys, nil
}

// JWKS returns the public keys: the signing key and the one before it, so tokens signed just
// before a rotation still verify.
func (k *KeySet) JWKS(ctx context.Context) ([]JWK, error) {
	keys, err := k.current(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]JWK, 0, 2)
	for _, sk := range keys[:min(2, len(keys))] {
		pub := sk.key.PublicKey
		out = append(out, JWK{
			Kty: "RSA", Use: "sig", KeyOps: []string{"verify"}, Alg: "RS256", KID: sk.kid, X5C: []string{},
			N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		})
	}
	return out, nil
}

// Signer returns the key that signs new JWTs.
func (k *KeySet) Signer(ctx context.Context) (kid string, key *rsa.PrivateKey, err error) {
	keys, err := k.current(ctx)
	if err != nil {
		return "", nil, err
	}
	return keys[0].kid, keys[0].key, nil
}

// GenerateKeyRecord makes a new RSA-2048 signing key.
func GenerateKeyRecord(seq int, now time.Time) (KeyRecord, error) {
	pk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return KeyRecord{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(pk)
	if err != nil {
		return KeyRecord{}, err
	}
	return KeyRecord{
		Seq: seq, KID: "jwk-" + uuid.NewString(), CreatedAt: now,
		PrivatePEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
	}, nil
}

func parsePEM(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}
