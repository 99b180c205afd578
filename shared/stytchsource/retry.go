package stytchsource

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/stytchauth/stytch-go/v18/stytch/stytcherror"
)

// Retry bounds how a failed request is tried again. Stytch answers 429 when a project goes
// over its rate limit (search is limited per second), and a long export will meet the odd 5xx
// or dropped connection; every call the export makes only reads, so repeating one is safe.
type Retry struct {
	MaxAttempts int           // attempts per request, the first included; default 8
	MinBackoff  time.Duration // wait before the second attempt; default 500ms, doubling after
	MaxBackoff  time.Duration // longest wait, also the cap on a Retry-After; default 30s
}

func (r Retry) withDefaults() Retry {
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = 8
	}
	if r.MinBackoff <= 0 {
		r.MinBackoff = 500 * time.Millisecond
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = 30 * time.Second
	}
	r.MaxBackoff = max(r.MaxBackoff, r.MinBackoff)
	return r
}

// wait is the pause before attempt+1: exponential with jitter (so concurrent workers that were
// limited together do not come back together), or the server's Retry-After when it gave one.
func (r Retry) wait(attempt int, retryAfter string, now time.Time) time.Duration {
	if d, ok := parseRetryAfter(retryAfter, now); ok {
		return min(d, r.MaxBackoff)
	}
	d := r.MinBackoff << min(attempt-1, 20)
	if d <= 0 || d > r.MaxBackoff {
		d = r.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// retryable tells whether a failed attempt may succeed if repeated: rate limited, a server or
// gateway error, or no answer at all. Anything else (bad credentials, a bad request) will fail
// the same way again.
func retryable(status int, err error) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case 0:
		var ue *url.Error
		return errors.As(err, &ue)
	}
	return false
}

// statusOf is the HTTP status of a failed call: from the Stytch error, or from the capture when
// the body was not Stytch's JSON (a proxy's 429 or 502 page).
func statusOf(err error, c *capture) (int, string) {
	var se stytcherror.Error
	if errors.As(err, &se) {
		return se.StatusCode, string(se.ErrorType)
	}
	if c != nil && c.filled {
		return c.status, ""
	}
	return 0, ""
}

// Error is a request that failed for good: not retryable, or still failing after the last
// attempt.
type Error struct {
	Call           string // e.g. "Members.Search"
	OrganizationID string // empty for Organizations.Search
	Status         int    // HTTP status; 0 when no answer came
	ErrorType      string // Stytch's error_type, when the body was Stytch's
	Attempts       int
	Err            error
}

func (e *Error) Error() string {
	where := ""
	if e.OrganizationID != "" {
		where = " for " + e.OrganizationID
	}
	return fmt.Sprintf("stytchsource: %s%s failed after %d attempt(s): %v", e.Call, where, e.Attempts, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// call runs one stytch-go call, retrying as r allows, and returns the capture of the attempt
// that succeeded (unfilled when the client was not built by NewClient). do must use the
// context it is given: that context carries the capture.
func (x *exporter) call(ctx context.Context, name, orgID string, do func(context.Context) error) (*capture, error) {
	for attempt := 1; ; attempt++ {
		actx, c := withCapture(ctx)
		err := do(actx)
		x.requests.Add(1)
		if err == nil {
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		status, errType := statusOf(err, c)
		if !retryable(status, err) || attempt >= x.retry.MaxAttempts {
			return nil, &Error{Call: name, OrganizationID: orgID, Status: status, ErrorType: errType, Attempts: attempt, Err: err}
		}
		x.retries.Add(1)
		t := time.NewTimer(x.retry.wait(attempt, c.retryAfter, time.Now()))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}
