package stytchsource

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stytchauth/stytch-go/v18/stytch/stytcherror"
)

func TestRetryable(t *testing.T) {
	transport := fmt.Errorf("error sending http request: %w", &url.Error{Op: "Post", URL: "u", Err: errors.New("connection reset")})
	for _, c := range []struct {
		status int
		err    error
		want   bool
	}{
		{429, nil, true}, {500, nil, true}, {502, nil, true}, {503, nil, true}, {504, nil, true},
		{400, nil, false}, {401, nil, false}, {403, nil, false}, {404, nil, false}, {501, nil, false},
		{0, transport, true}, {0, errors.New("error decoding http request"), false},
	} {
		if got := retryable(c.status, c.err); got != c.want {
			t.Errorf("retryable(%d, %v) = %v", c.status, c.err, got)
		}
	}
}

func TestStatusOf(t *testing.T) {
	se := stytcherror.Error{StatusCode: 429, ErrorType: "too_many_requests"}
	if s, typ := statusOf(se, nil); s != 429 || typ != "too_many_requests" {
		t.Errorf("stytch error: %d %q", s, typ)
	}
	if s, _ := statusOf(errors.New("error decoding http request"), &capture{filled: true, status: 502}); s != 502 {
		t.Errorf("from the capture: %d", s)
	}
	if s, _ := statusOf(errors.New("x"), &capture{}); s != 0 {
		t.Errorf("nothing captured: %d", s)
	}
}

func TestRetryWait(t *testing.T) {
	r := Retry{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}.withDefaults()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for attempt, upper := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 60: time.Second} {
		for range 50 {
			if d := r.wait(attempt, "", now); d < upper/2 || d > upper {
				t.Fatalf("attempt %d: %v not in [%v, %v]", attempt, d, upper/2, upper)
			}
		}
	}
	for header, want := range map[string]time.Duration{
		"0": 0, "1": time.Second, "120": time.Second, // capped at MaxBackoff
		now.Add(500 * time.Millisecond).Format(http.TimeFormat): 0, // whole seconds: already past
		now.Add(-time.Hour).Format(http.TimeFormat):             0,
	} {
		if d := r.wait(1, header, now); d != want {
			t.Errorf("Retry-After %q: %v, want %v", header, d, want)
		}
	}
	if d := r.wait(1, "soon", now); d < 50*time.Millisecond || d > 100*time.Millisecond {
		t.Errorf("an unreadable Retry-After: %v", d)
	}
	def := Retry{}.withDefaults()
	if def.MaxAttempts != 8 || def.MinBackoff != 500*time.Millisecond || def.MaxBackoff != 30*time.Second {
		t.Errorf("defaults %+v", def)
	}
}
