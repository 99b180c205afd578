package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/guregu/dynamo/v2"
)

// CleanupStats says what one cleanup run did.
type CleanupStats struct {
	Buckets int  `json:"buckets_queried"`
	Read    int  `json:"items_read"`
	Deleted int  `json:"items_deleted"`
	Skipped int  `json:"items_skipped"` // extended or already gone since they were read
	Done    bool `json:"done"`          // false when the run stopped at its item limit
}

// CleanupLookback is how many hourly expiry buckets a run walks back from now. Items older than
// that (cleanup not running for two days) are still removed by DynamoDB TTL, which every
// expiring item also carries.
const CleanupLookback = 48 * time.Hour

// DeleteExpired deletes expired tokens, intermediate sessions and sessions by walking the
// hourly expiry buckets on gsi1, never scanning the table: it reads only items whose expiry has
// passed, so its cost follows the expired items, not the table. Each delete is conditional on
// the item still being expired, so a session extended by a concurrent login survives. At most
// limit items are read per run; idempotent and safe to run concurrently with itself.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) (CleanupStats, error) {
	var st CleanupStats
	cutoff := fmt.Sprintf("%012d", now.Unix())
	for h := now.Add(-CleanupLookback).Truncate(time.Hour); !h.After(now); h = h.Add(time.Hour) {
		st.Buckets++
		var start dynamo.PagingKey
		for {
			var items []keys
			q := s.table.Get(AttrGSI1PK, ExpiryBucket(h)).Index(IndexGSI1).
				Range(AttrGSI1SK, dynamo.Less, cutoff).Project(AttrPK, AttrSK).SearchLimit(min(100, limit-st.Read))
			if start != nil {
				q = q.StartFrom(start)
			}
			next, err := q.AllWithLastEvaluatedKey(ctx, &items)
			if err != nil {
				return st, wrap(err)
			}
			st.Read += len(items)
			deleted, skipped, err := s.deleteIfExpired(ctx, items, now)
			st.Deleted += deleted
			st.Skipped += skipped
			if err != nil {
				return st, err
			}
			if st.Read >= limit {
				return st, nil
			}
			if next == nil {
				break
			}
			start = next
		}
	}
	st.Done = true
	return st, nil
}

func (s *Store) deleteIfExpired(ctx context.Context, items []keys, now time.Time) (deleted, skipped int, err error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			e := s.table.Delete(AttrPK, it.PK).Range(AttrSK, it.SK).If("exp < ?", now.Unix()).Run(ctx)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case e == nil:
				deleted++
			case dynamo.IsCondCheckFailed(e):
				skipped++
			case err == nil:
				err = wrap(e)
			}
		}()
	}
	wg.Wait()
	return deleted, skipped, err
}
