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
	// limit for the current window; a refused hit counts nothing.
	Hit(ctx context.Context, counters []RateCounter, now time.Time) error
}

// Allow counts one send to email (and, when orgID is set, for the organization), or refuses
// it with 429 too_many_requests. Extra counters are checked (or counted) in the same write.
func (l SendLimits) Allow(ctx context.Context, c Counter, now time.Time, orgID, email string, extra ...RateCounter) error {
	counters := []RateCounter{{Key: "email#" + email, Window: time.Hour, Limit: l.PerEmail}}
	if orgID != "" {
		counters = append(counters, RateCounter{Key: "org#" + orgID, Window: time.Hour, Limit: l.PerOrg})
	}
	err := c.Hit(ctx, append(counters, extra...), now)
	if errors.Is(err, ErrRateLimited) {
		return Errorf(http.StatusTooManyRequests, "too_many_requests", "Too many emails have been requested. Please wait and try again.")
	}
	return err
}
