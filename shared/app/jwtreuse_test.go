package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/tokens"
)

// LATCHKEY_JWT_REUSE_SECONDS: 30 s by default, 0 turns reuse off, anything above 60 s is 60 s,
// and what is not a whole number of seconds stops the function at start.
func TestJWTReuseFromEnv(t *testing.T) {
	t.Setenv("LATCHKEY_PROJECT_ID", "project-test-00000000-0000-4000-8000-000000000000")
	for _, c := range []struct {
		env  string
		want time.Duration
		bad  bool
	}{
		{"", 30 * time.Second, false},
		{"0", app.JWTReuseOff, false},
		{"1", time.Second, false},
		{"45", 45 * time.Second, false},
		{"60", time.Minute, false},
		{"61", time.Minute, false},
		{"86400", time.Minute, false},
		{"-1", 0, true},
		{"30s", 0, true},
		{"1.5", 0, true},
	} {
		t.Setenv("LATCHKEY_JWT_REUSE_SECONDS", c.env)
		cfg, err := app.ConfigFromEnv()
		if c.bad {
			if err == nil {
				t.Errorf("%q: accepted (%s)", c.env, cfg.JWTReuse)
			}
			continue
		}
		if err != nil || cfg.JWTReuse != c.want {
			t.Errorf("%q: %s %v, want %s", c.env, cfg.JWTReuse, err, c.want)
		}
	}
}

// The built app signs through a reuse cache of the configured window: the default when the
// Config says nothing, clamped when it says too much, none when it is off.
func TestJWTReuseIsWired(t *testing.T) {
	for _, c := range []struct {
		name string
		in   time.Duration
		want time.Duration
	}{
		{"default", 0, tokens.DefaultJWTReuse},
		{"set", 10 * time.Second, 10 * time.Second},
		{"clamped", 10 * time.Minute, tokens.MaxJWTReuse},
		{"off", app.JWTReuseOff, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, srv, err := env.Variant(context.Background(), func(cfg *app.Config) { cfg.JWTReuse = c.in })
			if err != nil {
				t.Fatal(err)
			}
			srv.Close()
			j, ok := a.Server.Sessions.JWT.(tokens.SessionJWT)
			if !ok {
				t.Fatalf("sessions sign with %T", a.Server.Sessions.JWT)
			}
			if got := j.Reuse.Window(); got != c.want {
				t.Fatalf("window %s, want %s", got, c.want)
			}
		})
	}
}
