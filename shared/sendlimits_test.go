package latchkey

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// A sharded counter's shards have their own keys and shares of the limit that add up to it
// exactly, each at least one; an unsharded counter is itself.
func TestRateCounterShards(t *testing.T) {
	for _, c := range []struct {
		limit, shards int
		want          []int
	}{
		{10, 0, []int{10}},
		{10, 1, []int{10}},
		{10, 4, []int{3, 3, 2, 2}},
		{1000, 4, []int{250, 250, 250, 250}},
		{3, 4, []int{1, 1, 1}},
		{1, 4, []int{1}},
	} {
		rc := RateCounter{Key: "org#x", Window: time.Hour, Limit: c.limit, Shards: c.shards}
		if n := rc.ShardCount(); n != len(c.want) {
			t.Errorf("limit %d over %d: %d shards, want %d", c.limit, c.shards, n, len(c.want))
			continue
		}
		keys, sum := map[string]bool{}, 0
		for i, want := range c.want {
			sh := rc.Shard(i)
			if sh.Limit != want || sh.Window != rc.Window || sh.Shards != 0 {
				t.Errorf("limit %d over %d: shard %d is %+v, want share %d", c.limit, c.shards, i, sh, want)
			}
			keys[sh.Key] = true
			sum += sh.Limit
		}
		if sum != c.limit || len(keys) != len(c.want) {
			t.Errorf("limit %d over %d: shares add to %d over %d keys", c.limit, c.shards, sum, len(keys))
		}
		if len(c.want) == 1 && rc.Shard(0).Key != rc.Key {
			t.Errorf("an unsharded counter changed its key: %s", rc.Shard(0).Key)
		}
	}
}

type recordingCounter struct {
	got []RateCounter
	err error
}

func (r *recordingCounter) Hit(_ context.Context, counters []RateCounter, _ time.Time) error {
	r.got = counters
	return r.err
}

// Allow counts the address and, sharded, the organization; a refusal is 429 too_many_requests.
func TestSendLimitsAllow(t *testing.T) {
	l := SendLimits{PerEmail: 5, PerOrg: 1000}
	r := &recordingCounter{}
	if err := l.Allow(context.Background(), r, time.Now(), "org-1", "a@acme.com"); err != nil {
		t.Fatal(err)
	}
	if len(r.got) != 2 || r.got[0].Key != "email#a@acme.com" || r.got[0].Shards != 0 ||
		r.got[1].Key != "org#org-1" || r.got[1].Limit != 1000 || r.got[1].Shards != OrgSendShards {
		t.Fatalf("counters: %+v", r.got)
	}
	if err := l.Allow(context.Background(), r, time.Now(), "", "a@acme.com"); err != nil || len(r.got) != 1 {
		t.Fatalf("no organization: %+v %v", r.got, err)
	}
	r.err = ErrRateLimited
	requireAPIError(t, l.Allow(context.Background(), r, time.Now(), "org-1", "a@acme.com"), http.StatusTooManyRequests, "too_many_requests")
}
