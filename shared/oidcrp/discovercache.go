package oidcrp

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// DiscoveryTTL is how long DiscoverCached reuses a discovery document.
const DiscoveryTTL = time.Hour

// DiscoveryCache remembers successful discoveries per configured issuer for DiscoveryTTL. It
// never remembers a failure, so an IdP that was down, or not yet started, is asked again on the
// next call. It is safe for concurrent use, and its zero value is ready to use.
//
// Concurrent misses for one issuer each fetch the document; nothing is shared between them, so
// one caller's cancelled context never fails another's discovery.
type DiscoveryCache struct {
	// Now is the clock entries expire by; nil means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	entries map[string]discovered
}

type discovered struct {
	endpoints Endpoints
	expires   time.Time
}

// NewDiscoveryCache returns an empty DiscoveryCache.
func NewDiscoveryCache() *DiscoveryCache { return &DiscoveryCache{} }

func (d *DiscoveryCache) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// DiscoverCached is Discover through cache: a document discovered for issuer less than
// DiscoveryTTL ago is returned without a request. A nil cache discovers every time.
func DiscoverCached(ctx context.Context, client *http.Client, issuer string, cache *DiscoveryCache) (Endpoints, error) {
	if cache == nil {
		return Discover(ctx, client, issuer)
	}
	if ep, ok := cache.get(issuer); ok {
		return ep, nil
	}
	ep, err := Discover(ctx, client, issuer)
	if err != nil {
		return Endpoints{}, err
	}
	cache.put(issuer, ep)
	return ep, nil
}

func (d *DiscoveryCache) get(issuer string) (Endpoints, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.entries[issuer]
	if !ok || !d.now().Before(e.expires) {
		return Endpoints{}, false
	}
	return e.endpoints, true
}

func (d *DiscoveryCache) put(issuer string, ep Endpoints) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	if d.entries == nil {
		d.entries = map[string]discovered{}
	}
	// Expired entries are dropped here, so issuers no longer used do not accumulate.
	for k, e := range d.entries {
		if !now.Before(e.expires) {
			delete(d.entries, k)
		}
	}
	d.entries[issuer] = discovered{endpoints: ep, expires: now.Add(DiscoveryTTL)}
}
