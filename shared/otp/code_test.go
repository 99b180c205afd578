package otp

import (
	"testing"
	"time"
)

func TestExpiry(t *testing.T) {
	for _, tt := range []struct {
		in   int
		want time.Duration
		ok   bool
	}{{0, 10 * time.Minute, true}, {2, 2 * time.Minute, true}, {15, 15 * time.Minute, true}, {1, 0, false}, {16, 0, false}, {-3, 0, false}} {
		got, err := Expiry("login_expiration_minutes", tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("Expiry(%d) = %v, %v", tt.in, got, err)
		}
	}
}
