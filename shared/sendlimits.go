package latchkey

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// SendLimits caps the emails (links and codes) sent per hour to one address and for one
// organization, so the API cannot be used to flood an inbox or to run up an SES bill.
type SendLimits struct {
	PerEmail int
	PerOrg   int
}

// Counter is the store side of rate limiting.
type Counter interface {
	// Hit counts one event against each counter, refusing (ErrRateLimited) if any is at its
	// limit for the current window. Each counter is its own atomic conditional update, never a
	// transaction, so concurrent hits never fail on contention; a refused hit gives back what
	// it counted on the other counters before it returns, so it counts nothing in the end.
	Hit(ctx context.Context, counters []RateCounter, now time.Time) error
}

// OrgSendShards is how many items an organization's send counter is spread over. Every login
// of an organization counts on it, so on one item they would all queue on that item's
// partition (about 1,000 writes a second at most); four shards take four times that, far
// above any SES sending quota, while an organization at its limit costs a refused send at most
// four conditional writes, one per shard. Each shard holds a quarter of the limit (see
// RateCounter.Shard) and a send tries the shards from a random one on until one has room, so
// the organization's limit is exact: at most PerOrg sends an hour, and a send is refused
// only once every shard was seen full. The one approximation is a refused send's give-back
// (see Counter): while a send refused for its address holds one unit of a shard, for one
// write's time, another send may find that shard full, so sends can be refused while up to
// that many units (one per such send in flight) are still free.
const OrgSendShards = 4

// Allow counts one send to email (and, when orgID is set, for the organization), or refuses
// it with 429 too_many_requests. Extra counters are checked (or counted) alongside, with no
// more round trips.
func (l SendLimits) Allow(ctx context.Context, c Counter, now time.Time, orgID, email string, extra ...RateCounter) error {
	counters := []RateCounter{{Key: "email#" + email, Window: time.Hour, Limit: l.PerEmail}}
	if orgID != "" {
		counters = append(counters, RateCounter{Key: "org#" + orgID, Window: time.Hour, Limit: l.PerOrg, Shards: OrgSendShards})
	}
	err := c.Hit(ctx, append(counters, extra...), now)
	if errors.Is(err, ErrRateLimited) {
		return Errorf(http.StatusTooManyRequests, "too_many_requests", "Too many emails have been requested. Please wait and try again.")
	}
	return err
}
