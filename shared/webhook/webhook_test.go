package webhook_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"

	"github.com/latchkey/latchkey/shared/webhook"
)

// Svix's own published vector (its library's TestWebhookSign).
const (
	svixSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	svixMsgID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	svixTimestamp = 1614265330
	svixPayload   = `{"test": 2432232314}`
	svixSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func newSecret(t testing.TB) string {
	t.Helper()
	s, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func svixHook(t testing.TB, secret string) *svix.Webhook {
	t.Helper()
	wh, err := svix.NewWebhook(secret)
	if err != nil {
		t.Fatalf("svix.NewWebhook(%q): %v", secret, err)
	}
	return wh
}

func TestNewSecret(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		s := newSecret(t)
		b64, ok := strings.CutPrefix(s, "whsec_")
		if !ok {
			t.Fatalf("%q does not start with whsec_", s)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(key) < 24 || len(key) > 32 {
			t.Fatalf("%q: want the base64 of 24 to 32 bytes, got %d bytes (%v)", s, len(key), err)
		}
		if seen[s] {
			t.Fatalf("NewSecret repeated %q", s)
		}
		seen[s] = true
		svixHook(t, s) // Svix takes it as a secret
	}
}

func TestSignSvixVector(t *testing.T) {
	got, err := webhook.Sign(svixSecret, svixMsgID, time.Unix(svixTimestamp, 0), []byte(svixPayload))
	if err != nil {
		t.Fatal(err)
	}
	if got != svixSignature {
		t.Fatalf("Sign = %s, want Svix's %s", got, svixSignature)
	}
	// Without the prefix the base64 is the same secret, as with Svix.
	if got, _ := webhook.Sign(strings.TrimPrefix(svixSecret, "whsec_"), svixMsgID, time.Unix(svixTimestamp, 0), []byte(svixPayload)); got != svixSignature {
		t.Fatalf("Sign without whsec_ = %s", got)
	}
}

// Headers' output is accepted by Svix's Verify, and the signature equals Svix's Sign byte for
// byte, for bodies of every kind.
func TestHeadersAcceptedBySvix(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		name string
		body []byte
		ts   time.Time
	}{
		{"event", []byte(`{"event_id":"event-test-1","action":"CREATE","object_type":"member"}`), now},
		{"empty body", nil, now},
		{"binary body", []byte{0, 0xff, '.', '\n', 0x80}, now},
		{"large body", []byte(strings.Repeat("é", 100_000)), now},
		{"sub-second time", []byte("{}"), now.Truncate(time.Second).Add(999 * time.Millisecond)},
		{"four minutes old", []byte("{}"), now.Add(-4 * time.Minute)},
		{"four minutes ahead", []byte("{}"), now.Add(4 * time.Minute)},
	} {
		t.Run(c.name, func(t *testing.T) {
			secret := newSecret(t)
			id := "msg_" + strconv.FormatInt(c.ts.UnixNano(), 36)
			h, err := webhook.Headers(secret, id, c.ts, c.body)
			if err != nil {
				t.Fatal(err)
			}
			if h.Get("svix-id") != id || h.Get("svix-timestamp") != strconv.FormatInt(c.ts.Unix(), 10) {
				t.Fatalf("headers %v", h)
			}
			wh := svixHook(t, secret)
			if err := wh.Verify(c.body, h); err != nil {
				t.Fatalf("svix refuses our headers: %v", err)
			}
			want, err := wh.Sign(id, c.ts, c.body)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Get("svix-signature"); got != want {
				t.Fatalf("signature %q, svix signs %q", got, want)
			}
			if err := webhook.Verify([]string{secret}, h, c.body, now, 0); err != nil {
				t.Fatalf("Verify refuses its own headers: %v", err)
			}
		})
	}
}

// What Svix signs, Verify accepts: the two are interchangeable on both ends.
func TestVerifyAcceptsSvix(t *testing.T) {
	secret := newSecret(t)
	body := []byte(`{"a":1}`)
	ts := time.Now()
	sig, err := svixHook(t, secret).Sign("msg_1", ts, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("svix-id", "msg_1")
	h.Set("svix-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("svix-signature", sig)
	if err := webhook.Verify([]string{secret}, h, body, time.Now(), 0); err != nil {
		t.Fatal(err)
	}
	// The Standard Webhooks header names, which Svix also reads.
	std := http.Header{}
	std.Set("webhook-id", "msg_1")
	std.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	std.Set("webhook-signature", sig)
	if err := webhook.Verify([]string{secret}, std, body, time.Now(), 0); err != nil {
		t.Fatalf("webhook-* headers: %v", err)
	}
}

func TestRefused(t *testing.T) {
	now := time.Now()
	secret, other := newSecret(t), newSecret(t)
	body := []byte(`{"event_id":"event-test-1"}`)
	h, err := webhook.Headers(secret, "msg_1", now, body)
	if err != nil {
		t.Fatal(err)
	}
	with := func(key, value string) http.Header {
		c := h.Clone()
		c.Set(key, value)
		return c
	}
	without := func(key string) http.Header {
		c := h.Clone()
		c.Del(key)
		return c
	}
	sig := h.Get("svix-signature")
	old, _ := webhook.Headers(secret, "msg_1", now.Add(-6*time.Minute), body)
	ahead, _ := webhook.Headers(secret, "msg_1", now.Add(6*time.Minute), body)
	for _, c := range []struct {
		name    string
		secret  string
		header  http.Header
		body    []byte
		want    error
		svixToo bool // whether Svix refuses it as well (it reads time.Now itself)
	}{
		{"tampered body", secret, h, []byte(`{"event_id":"event-test-2"}`), webhook.ErrNoMatchingSignature, true},
		{"body with a byte more", secret, h, append(body, ' '), webhook.ErrNoMatchingSignature, true},
		{"tampered id", secret, with("svix-id", "msg_2"), body, webhook.ErrNoMatchingSignature, true},
		{"tampered timestamp", secret, with("svix-timestamp", strconv.FormatInt(now.Unix()-1, 10)), body, webhook.ErrNoMatchingSignature, true},
		{"wrong secret", other, h, body, webhook.ErrNoMatchingSignature, true},
		{"expired", secret, old, body, webhook.ErrTimestampTooOld, true},
		{"from the future", secret, ahead, body, webhook.ErrTimestampTooNew, true},
		{"no id", secret, without("svix-id"), body, webhook.ErrMissingHeaders, true},
		{"no timestamp", secret, without("svix-timestamp"), body, webhook.ErrMissingHeaders, true},
		{"no signature", secret, without("svix-signature"), body, webhook.ErrMissingHeaders, true},
		{"timestamp not a number", secret, with("svix-timestamp", "yesterday"), body, webhook.ErrInvalidHeaders, true},
		{"timestamp in milliseconds", secret, with("svix-timestamp", strconv.FormatInt(now.UnixMilli(), 10)), body, webhook.ErrTimestampTooNew, true},
		{"signature of another version", secret, with("svix-signature", "v2,"+strings.TrimPrefix(sig, "v1,")), body, webhook.ErrNoMatchingSignature, true},
		{"signature without a version", secret, with("svix-signature", strings.TrimPrefix(sig, "v1,")), body, webhook.ErrNoMatchingSignature, true},
		{"empty signature", secret, with("svix-signature", "v1,"), body, webhook.ErrNoMatchingSignature, true},
		{"truncated signature", secret, with("svix-signature", sig[:len(sig)-2]), body, webhook.ErrNoMatchingSignature, true},
		{"raw key as signature", secret, with("svix-signature", "v1,"+strings.TrimPrefix(secret, "whsec_")), body, webhook.ErrNoMatchingSignature, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := webhook.Verify([]string{c.secret}, c.header, c.body, now, 0); !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
			if c.svixToo {
				if err := svixHook(t, c.secret).Verify(c.body, c.header); err == nil {
					t.Fatal("svix accepts it")
				}
			}
		})
	}
}

func TestTolerance(t *testing.T) {
	secret := newSecret(t)
	ts := time.Unix(1_800_000_000, 0)
	h, err := webhook.Headers(secret, "msg_1", ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{"at once", ts, 0, nil},
		{"five minutes later", ts.Add(5 * time.Minute), 0, nil},
		{"five minutes and a bit later", ts.Add(5*time.Minute + time.Millisecond), 0, webhook.ErrTimestampTooOld},
		{"five minutes before", ts.Add(-5 * time.Minute), 0, nil},
		{"six minutes before", ts.Add(-6 * time.Minute), 0, webhook.ErrTimestampTooNew},
		{"five minutes and a fraction before", ts.Add(-5*time.Minute - 500*time.Millisecond), 0, webhook.ErrTimestampTooNew},
		{"signed a fraction into this second", ts.Add(999 * time.Millisecond), time.Second, nil},
		{"a day later, one-day tolerance", ts.Add(24 * time.Hour), 24 * time.Hour, nil},
		{"ten seconds later, five-second tolerance", ts.Add(10 * time.Second), 5 * time.Second, webhook.ErrTimestampTooOld},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := webhook.Verify([]string{secret}, h, nil, c.now, c.tolerance); !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}

// While a secret is rotated the sender signs with both; a receiver that knows either accepts,
// whichever order the signatures come in, and one that knows neither does not.
func TestRotation(t *testing.T) {
	now := time.Now()
	oldSecret, newSecret_, stranger := newSecret(t), newSecret(t), newSecret(t)
	body := []byte(`{"rotating":true}`)
	both, err := webhook.SignAll([]string{oldSecret, newSecret_}, "msg_rot", now, body)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Split(both, " ")); n != 2 {
		t.Fatalf("SignAll gave %d signatures: %q", n, both)
	}
	parts := strings.Split(both, " ")
	reversed := parts[1] + " " + parts[0]
	for _, sigs := range []string{both, reversed, "v0,bogus " + both, both + " v1,bogus"} {
		h := http.Header{}
		h.Set("svix-id", "msg_rot")
		h.Set("svix-timestamp", strconv.FormatInt(now.Unix(), 10))
		h.Set("svix-signature", sigs)
		for _, known := range [][]string{{oldSecret}, {newSecret_}, {stranger, newSecret_}, {oldSecret, stranger}} {
			if err := webhook.Verify(known, h, body, now, 0); err != nil {
				t.Fatalf("%q with %d known secrets: %v", sigs, len(known), err)
			}
			if err := svixHook(t, known[len(known)-1]).Verify(body, h); known[len(known)-1] != stranger && err != nil {
				t.Fatalf("svix refuses %q: %v", sigs, err)
			}
		}
		if err := webhook.Verify([]string{stranger}, h, body, now, 0); !errors.Is(err, webhook.ErrNoMatchingSignature) {
			t.Fatalf("a stranger's secret: %v", err)
		}
		if err := svixHook(t, stranger).Verify(body, h); err == nil {
			t.Fatal("svix accepts a stranger's secret")
		}
	}
}

func TestBadInput(t *testing.T) {
	now := time.Now()
	good := newSecret(t)
	for _, c := range []struct {
		name, secret, id string
		ts               time.Time
		want             error
	}{
		{"empty secret", "", "msg_1", now, webhook.ErrInvalidSecret},
		{"prefix only", "whsec_", "msg_1", now, webhook.ErrInvalidSecret},
		{"not base64", "whsec_%%%", "msg_1", now, webhook.ErrInvalidSecret},
		{"empty id", good, "", now, webhook.ErrInvalidID},
		{"id with a dot", good, "msg.1", now, webhook.ErrInvalidID},
		{"id with a newline", good, "msg_1\r\nX-Evil: 1", now, webhook.ErrInvalidID},
		{"id with a space", good, "msg 1", now, webhook.ErrInvalidID},
		{"zero time", good, "msg_1", time.Time{}, webhook.ErrInvalidTimestamp},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := webhook.Sign(c.secret, c.id, c.ts, nil); !errors.Is(err, c.want) {
				t.Fatalf("Sign = %v, want %v", err, c.want)
			}
			if _, err := webhook.Headers(c.secret, c.id, c.ts, nil); !errors.Is(err, c.want) {
				t.Fatalf("Headers = %v, want %v", err, c.want)
			}
		})
	}
	if _, err := webhook.SignAll(nil, "msg_1", now, nil); !errors.Is(err, webhook.ErrNoSecrets) {
		t.Fatalf("SignAll(nil) = %v", err)
	}
	h, _ := webhook.Headers(good, "msg_1", now, nil)
	if err := webhook.Verify(nil, h, nil, now, 0); !errors.Is(err, webhook.ErrNoSecrets) {
		t.Fatalf("Verify(nil) = %v", err)
	}
	// A broken secret in the list is a configuration error, even beside a good one.
	if err := webhook.Verify([]string{good, "whsec_%%%"}, h, nil, now, 0); !errors.Is(err, webhook.ErrInvalidSecret) {
		t.Fatalf("Verify with a broken secret = %v", err)
	}
}

// FuzzVerify: Verify never panics, and whatever it accepts Svix accepts too (timestamps aside,
// since Svix reads the wall clock).
func FuzzVerify(f *testing.F) {
	ts := time.Unix(1_800_000_000, 0)
	sig, _ := webhook.Sign(svixSecret, "msg_1", ts, []byte("{}"))
	f.Add("msg_1", strconv.FormatInt(ts.Unix(), 10), sig, []byte("{}"))
	f.Add("msg_1", strconv.FormatInt(ts.Unix(), 10), "v1,"+strings.Repeat("A", 44)+" "+sig, []byte("{}"))
	f.Add(svixMsgID, strconv.Itoa(svixTimestamp), svixSignature, []byte(svixPayload))
	f.Add("", "", "", []byte(nil))
	f.Add("msg", "-1", "v1,", []byte("x"))
	f.Add("msg", "99999999999999999999", "v1,,,", []byte("x"))
	f.Add("msg", "+1800000000", "v1 ,x", []byte("x"))
	f.Fuzz(func(t *testing.T, id, timestamp, signature string, body []byte) {
		h := http.Header{}
		h.Set("svix-id", id)
		h.Set("svix-timestamp", timestamp)
		h.Set("svix-signature", signature)
		err := webhook.Verify([]string{svixSecret}, h, body, ts, 0)
		if err == nil {
			if svixErr := svixHook(t, svixSecret).VerifyIgnoringTimestamp(body, h); svixErr != nil {
				t.Fatalf("Verify accepts what svix refuses (%v): id %q ts %q sig %q", svixErr, id, timestamp, signature)
			}
		}
	})
}
