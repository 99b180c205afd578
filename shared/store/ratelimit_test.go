package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/callcount"
)

func counter(limit, shards int) latchkey.RateCounter {
	return latchkey.RateCounter{Key: "test#" + uuid.NewString(), Window: time.Hour, Limit: limit, Shards: shards}
}

// hits counts how many of n concurrent hits on the counters were let through; any error other
// than ErrRateLimited fails the test.
func hits(t *testing.T, n int, now time.Time, counters ...latchkey.RateCounter) int {
	t.Helper()
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			err := env.App.Store.Hit(context.Background(), counters, now)
			switch {
			case err == nil:
				ok.Add(1)
			case !errors.Is(err, latchkey.ErrRateLimited):
				t.Errorf("hit: %v", err)
			}
		})
	}
	wg.Wait()
	return int(ok.Load())
}

// Concurrent hits on one counter, sharded or not, never fail and let exactly the limit through:
// the shards' shares add up to the limit, and a hit tries every shard before it is refused.
func TestHitConcurrentLimitIsExact(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		name          string
		limit, shards int
	}{
		{"one item", 10, 0},
		{"four shards", 10, 4},
		{"more shards than the limit", 3, 4},
		{"shares of one", 4, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			rc := counter(c.limit, c.shards)
			if got := hits(t, 4*c.limit, now, rc); got != c.limit {
				t.Fatalf("%d of %d hits let through, limit %d", got, 4*c.limit, c.limit)
			}
			// The next window starts from nothing.
			if got := hits(t, 1, now.Add(time.Hour), rc); got != 1 {
				t.Fatal("the next window is full")
			}
		})
	}
}

// A refused hit counts nothing: what it counted on its other counters is given back.
func TestRefusedHitCountsNothing(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	full, roomy := counter(1, 0), counter(5, 4)
	if err := env.App.Store.Hit(ctx, []latchkey.RateCounter{full, roomy}, now); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := env.App.Store.Hit(ctx, []latchkey.RateCounter{full, roomy}, now); !errors.Is(err, latchkey.ErrRateLimited) {
			t.Fatalf("want ErrRateLimited, got %v", err)
		}
	}
	// roomy counted the first hit only: four more fit.
	if got := hits(t, 10, now, roomy); got != 4 {
		t.Fatalf("%d more hits fit, want 4", got)
	}

	// A check-only counter at its limit refuses without counting, and the hit beside it is
	// given back too.
	check, other := counter(2, 0), counter(3, 0)
	for range 2 {
		if err := env.App.Store.Hit(ctx, []latchkey.RateCounter{check}, now); err != nil {
			t.Fatal(err)
		}
	}
	check.CheckOnly = true
	if err := env.App.Store.Hit(ctx, []latchkey.RateCounter{other, check}, now); !errors.Is(err, latchkey.ErrRateLimited) {
		t.Fatalf("want ErrRateLimited, got %v", err)
	}
	if got := hits(t, 5, now, other); got != 3 {
		t.Fatalf("%d hits fit after the refusal, want 3", got)
	}
	// Under its limit a check-only counter counts nothing either.
	under := counter(1, 0)
	under.CheckOnly = true
	if got := hits(t, 3, now, under); got != 3 {
		t.Fatalf("check-only hits under the limit: %d of 3", got)
	}
}

// A hit is one round trip of conditional UpdateItems side by side, one per counter (a
// check-only counter is a GetItem), never a transaction.
func TestHitIsNoTransaction(t *testing.T) {
	ctx, calls := callcount.With(context.Background())
	check := counter(5, 0)
	check.CheckOnly = true
	if err := env.App.Store.Hit(ctx, []latchkey.RateCounter{counter(5, 0), counter(100, 4), check}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := calls.String(); got != "GetItem:1,UpdateItem:2" {
		t.Fatalf("calls: %s", got)
	}
}
