package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/guregu/dynamo/v2"

	latchkey "github.com/latchkey/latchkey/shared"
)

// rateItem is a rate counter's count (the item is RATE#<key>#<window> / RATE, see ratePK).
type rateItem struct {
	Hits int `dynamo:"hits"`
}

// Hit counts one event against each counter with one conditional UpdateItem per counter (ADD
// hits 1 if hits is under the limit), all sent at once: one round trip however many counters
// there are, and no transaction, so no two hits ever conflict. DynamoDB applies concurrent
// updates of one item one after the other, and a failed condition is an answer (the counter is
// full), not an error. A check-only counter is a strongly consistent read beside them.
//
// A refused hit counts nothing in the end, as the transaction it replaces did: the counters
// that did count are given back (ADD -1) before Hit returns. In between, for one write's time,
// they are one too high, so a concurrent hit at the margin may be refused where the
// transaction would have let it through; and a give-back that fails leaves its counter one too
// high for the rest of the window. Both err towards refusing, never towards letting more
// through. A hit that fails with an error gives back what it counted the same way.
func (s *Store) Hit(ctx context.Context, counters []latchkey.RateCounter, now time.Time) error {
	counted := make([]*latchkey.RateCounter, len(counters)) // the shard each counted on
	errs := make([]error, len(counters))
	hit := func(i int) {
		c := counters[i]
		if c.CheckOnly {
			errs[i] = s.underLimit(ctx, c, now)
			return
		}
		sh, err := s.count(ctx, c, now)
		if err == nil {
			counted[i] = &sh
		}
		errs[i] = err
	}
	if len(counters) == 1 {
		hit(0)
	} else {
		var wg sync.WaitGroup
		for i := range counters {
			wg.Go(func() { hit(i) })
		}
		wg.Wait()
	}
	err := errors.Join(errs...)
	if err == nil {
		return nil
	}
	var wg sync.WaitGroup
	for _, sh := range counted {
		if sh != nil {
			// Best effort: a give-back that fails leaves the counter one too high (see above).
			wg.Go(func() { _ = s.giveBack(context.WithoutCancel(ctx), *sh, now) })
		}
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil && !errors.Is(e, latchkey.ErrRateLimited) {
			return e
		}
	}
	return latchkey.ErrRateLimited
}

// count adds one to the counter: on its one item, or, for a sharded counter, on the first shard
// with room from a random one on. It returns the item it counted on, or ErrRateLimited when
// every shard was full.
func (s *Store) count(ctx context.Context, c latchkey.RateCounter, now time.Time) (latchkey.RateCounter, error) {
	n := c.ShardCount()
	first := 0
	if n > 1 {
		first = rand.IntN(n)
	}
	for k := range n {
		sh := c.Shard((first + k) % n)
		pk, start := ratePK(sh, now)
		err := s.table.Update(AttrPK, pk).Range(AttrSK, "RATE").Add("hits", 1).Set(AttrTTL, start.Add(c.Window).Unix()).
			If("attribute_not_exists(hits) OR hits < ?", sh.Limit).Run(ctx)
		if err == nil {
			return sh, nil
		}
		if !dynamo.IsCondCheckFailed(err) {
			return sh, wrap(err)
		}
	}
	return latchkey.RateCounter{}, latchkey.ErrRateLimited
}

// giveBack takes back one event counted on a counter's item.
func (s *Store) giveBack(ctx context.Context, sh latchkey.RateCounter, now time.Time) error {
	pk, start := ratePK(sh, now)
	return wrap(s.table.Update(AttrPK, pk).Range(AttrSK, "RATE").Add("hits", -1).Set(AttrTTL, start.Add(sh.Window).Unix()).Run(ctx))
}

// underLimit refuses (ErrRateLimited) a counter at its limit, counting nothing; a sharded
// counter's shards are read together and summed.
func (s *Store) underLimit(ctx context.Context, c latchkey.RateCounter, now time.Time) error {
	n := c.ShardCount()
	hits := 0
	if n == 1 {
		pk, _ := ratePK(c, now)
		var it rateItem
		err := wrap(s.table.Get(AttrPK, pk).Range(AttrSK, dynamo.Equal, "RATE").Consistent(true).One(ctx, &it))
		if err != nil && !errors.Is(err, latchkey.ErrNotFound) {
			return err
		}
		hits = it.Hits
	} else {
		keys := make([]dynamo.Keyed, n)
		for i := range n {
			pk, _ := ratePK(c.Shard(i), now)
			keys[i] = dynamo.Keys{pk, "RATE"}
		}
		var items []rateItem
		err := wrap(s.table.Batch(AttrPK, AttrSK).Get(keys...).Consistent(true).All(ctx, &items))
		if err != nil && !errors.Is(err, latchkey.ErrNotFound) {
			return err
		}
		for _, it := range items {
			hits += it.Hits
		}
	}
	if hits >= c.Limit {
		return latchkey.ErrRateLimited
	}
	return nil
}
