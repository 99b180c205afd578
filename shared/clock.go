package latchkey

import "time"

// Clock is injected so tests can move time (token and session expiry) instead of sleeping.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock, in UTC with millisecond precision so stored and returned
// timestamps compare equal after a round trip.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }
