package oidcrp

import (
	"context"
	"net/http"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
)

// KeyCache keeps one go-oidc RemoteKeySet per JWKS URL, so that logins share fetched keys
// instead of fetching the JWKS each. It is what makes provider key rotation cheap and safe: a
// RemoteKeySet serves the keys it holds and refetches the JWKS only when a token names a kid it
// has not seen (OIDC Core §10.1.1), so a rotated key costs one fetch, not one per login. It is
// safe for concurrent use, and its zero value is ready to use.
//
// A key set keeps the HTTP client of the Exchange that created it for all its later fetches:
// share one cache between Clients that use the same (SSRF-safe) client. Entries are never
// evicted; there is one per JWKS URL in use.
type KeyCache struct {
	mu   sync.Mutex
	sets map[string]*oidc.RemoteKeySet
}

// NewKeyCache returns an empty KeyCache.
func NewKeyCache() *KeyCache { return &KeyCache{} }

func (k *KeyCache) keySet(jwksURL string, client *http.Client) *oidc.RemoteKeySet {
	k.mu.Lock()
	defer k.mu.Unlock()
	if s, ok := k.sets[jwksURL]; ok {
		return s
	}
	if k.sets == nil {
		k.sets = map[string]*oidc.RemoteKeySet{}
	}
	// The key set keeps this context for every later fetch, so it must not be a request's: its
	// values (deadlines aside, which go-oidc drops) would outlive the request. Only the HTTP
	// client is taken along.
	s := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), client), jwksURL)
	k.sets[jwksURL] = s
	return s
}
