package oidcrp_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/shared/oidcrp"
)

// fakeRP is a client of the fake OP's single issuer, without userinfo.
func fakeRP(f *fakeOP) oidcrp.Client {
	return oidcrp.Client{
		Endpoints: oidcrp.Endpoints{
			Issuer: f.srv.URL, AuthorizationURL: f.srv.URL + "/auth", TokenURL: f.srv.URL + "/token",
			JWKSURL: f.srv.URL + "/jwks",
		},
		ClientID: "rp", ClientSecret: "s", RedirectURL: redirectURL, HTTP: httpClient(),
	}
}

func (f *fakeOP) issueFor(rp oidcrp.Client) {
	f.set(func(f *fakeOP) {
		now := time.Now()
		f.idToken = map[string]any{
			"iss": rp.Issuer, "sub": "u1", "aud": rp.ClientID, "nonce": "n", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		}
	})
}

func TestKeyCacheRotation(t *testing.T) {
	f := startFakeOP(t)
	rp := fakeRP(f)
	rp.Keys = oidcrp.NewKeyCache()
	f.issueFor(rp)
	exchange := func(ctx context.Context, wantFetches int) {
		t.Helper()
		if _, err := rp.Exchange(ctx, "code", "verifier", "n"); err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		if got, _ := f.counts(); got != wantFetches {
			t.Fatalf("JWKS fetched %d times, want %d", got, wantFetches)
		}
	}

	// The first login's context ends with it; the key set must outlive it.
	ctx, cancel := context.WithCancel(context.Background())
	exchange(ctx, 1)
	cancel()
	exchange(context.Background(), 1)
	exchange(context.Background(), 1)

	f.rotateKey(t)
	exchange(context.Background(), 2)
	exchange(context.Background(), 2)

	// A Client copy, as built per request, shares the cache.
	again := rp
	again.HTTP = httpClient()
	if _, err := again.Exchange(context.Background(), "code", "verifier", "n"); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.counts(); got != 2 {
		t.Errorf("JWKS fetched %d times in all, want 2", got)
	}
}

// TestKeyCacheNil keeps today's behaviour: one JWKS fetch per login.
func TestKeyCacheNil(t *testing.T) {
	f := startFakeOP(t)
	rp := fakeRP(f)
	f.issueFor(rp)
	for i := 1; i <= 3; i++ {
		if i == 3 {
			f.rotateKey(t)
		}
		if _, err := rp.Exchange(context.Background(), "code", "verifier", "n"); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.counts(); got != i {
			t.Fatalf("after %d logins JWKS fetched %d times", i, got)
		}
	}
}

// TestKeyCacheRemovedKey: once the OP has dropped a key from its JWKS, a token it signed is
// refused with a warm cache too.
func TestKeyCacheRemovedKey(t *testing.T) {
	f := startFakeOP(t)
	rp := fakeRP(f)
	rp.Keys = oidcrp.NewKeyCache()
	f.issueFor(rp)
	old, err := rp.Exchange(context.Background(), "code", "verifier", "n")
	if err != nil {
		t.Fatal(err)
	}
	f.rotateKey(t)
	if _, err := rp.Exchange(context.Background(), "code", "verifier", "n"); err != nil {
		t.Fatal(err)
	}
	replay := rp
	replay.HTTP = &http.Client{Transport: rewriteJSON(rp.TokenURL, func(m map[string]any) { m["id_token"] = old.IDToken })}
	_, err = replay.Exchange(context.Background(), "code", "verifier", "n")
	wantReason(t, err, oidcrp.ReasonIDToken)
	// The unknown kid made the key set look once more.
	if got, _ := f.counts(); got != 3 {
		t.Errorf("JWKS fetched %d times, want 3", got)
	}
}

func TestKeyCacheConcurrent(t *testing.T) {
	f := startFakeOP(t)
	rp := fakeRP(f)
	var cache oidcrp.KeyCache // the zero value works too
	rp.Keys = &cache
	f.issueFor(rp)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := rp.Exchange(context.Background(), "code", "verifier", "n"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// go-oidc lets one fetch run at a time; racing first logins may each start one.
	if got, _ := f.counts(); got < 1 || got > 16 {
		t.Errorf("JWKS fetched %d times", got)
	}
}

func TestDiscoveryCache(t *testing.T) {
	f := startFakeOP(t)
	now := time.Now()
	cache := oidcrp.NewDiscoveryCache()
	cache.Now = func() time.Time { return now }
	issuer := f.tenantIssuer("common")
	discover := func(wantRequests int) (oidcrp.Endpoints, error) {
		t.Helper()
		ep, err := oidcrp.DiscoverCached(context.Background(), httpClient(), issuer, cache)
		if _, got := f.counts(); got != wantRequests {
			t.Fatalf("%d discovery requests, want %d", got, wantRequests)
		}
		return ep, err
	}

	// A provider that is not up yet is asked again on every call.
	f.set(func(f *fakeOP) { f.discoveryStatus = http.StatusServiceUnavailable })
	_, err := discover(1)
	wantReason(t, err, oidcrp.ReasonDiscovery)
	_, err = discover(2)
	wantReason(t, err, oidcrp.ReasonDiscovery)

	f.set(func(f *fakeOP) { f.discoveryStatus = 0 })
	ep, err := discover(3)
	if err != nil || !ep.TenantIssuer() {
		t.Fatalf("Endpoints %+v, error %v", ep, err)
	}
	cached, err := discover(3)
	if err != nil || cached != ep {
		t.Fatalf("cached %+v, error %v; want %+v", cached, err, ep)
	}
	now = now.Add(oidcrp.DiscoveryTTL - time.Second)
	if _, err := discover(3); err != nil {
		t.Fatal(err)
	}

	// Once expired the document is fetched again, and while the provider is down nothing is
	// served from the expired entry.
	now = now.Add(time.Second)
	f.set(func(f *fakeOP) { f.discoveryStatus = http.StatusInternalServerError })
	_, err = discover(4)
	wantReason(t, err, oidcrp.ReasonDiscovery)
	f.set(func(f *fakeOP) { f.discoveryStatus = 0 })
	if _, err := discover(5); err != nil {
		t.Fatal(err)
	}
	if _, err := discover(5); err != nil {
		t.Fatal(err)
	}

	// Issuers are cached apart.
	if ep, err := oidcrp.DiscoverCached(context.Background(), httpClient(), f.tenantIssuer(tenantA), cache); err != nil || ep.Issuer != f.tenantIssuer(tenantA) {
		t.Fatalf("Endpoints %+v, error %v", ep, err)
	}
	if _, got := f.counts(); got != 6 {
		t.Errorf("%d discovery requests, want 6", got)
	}

	// No cache: every call asks.
	for want := 7; want <= 8; want++ {
		if _, err := oidcrp.DiscoverCached(context.Background(), httpClient(), issuer, nil); err != nil {
			t.Fatal(err)
		}
		if _, got := f.counts(); got != want {
			t.Fatalf("%d discovery requests, want %d", got, want)
		}
	}
}

func TestDiscoveryCacheConcurrent(t *testing.T) {
	f := startFakeOP(t)
	var cache oidcrp.DiscoveryCache // the zero value works too
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			issuer := f.tenantIssuer([]string{"common", "organizations", tenantA, tenantB}[i%4])
			if _, err := oidcrp.DiscoverCached(context.Background(), httpClient(), issuer, &cache); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if _, err := oidcrp.DiscoverCached(context.Background(), httpClient(), f.tenantIssuer("common"), &cache); err != nil {
		t.Fatal(err)
	}
	if _, got := f.counts(); got < 4 || got > 16 {
		t.Errorf("%d discovery requests", got)
	}
}
