package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"

	"github.com/latchkey/latchkey/shared/events"
	"github.com/latchkey/latchkey/shared/safehttp"
	"github.com/latchkey/latchkey/shared/webhook"
)

func TestRetryAfterIsSvixSchedule(t *testing.T) {
	// The waits after attempts 1 to 8; the eighth is the last (MaxAttempts), so its message
	// goes to the dead-letter queue at once.
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
		10 * time.Hour, 10 * time.Hour, 0}
	var total time.Duration
	for i, w := range want {
		if got := events.RetryAfter(i + 1); got != w {
			t.Errorf("RetryAfter(%d) = %s, want %s", i+1, got, w)
		}
		if got := events.RetryAfter(i + 1); got > events.MaxVisibility {
			t.Errorf("RetryAfter(%d) = %s is past SQS's 12h", i+1, got)
		}
		total += events.RetryAfter(i + 1)
	}
	if events.MaxAttempts != len(want) {
		t.Errorf("MaxAttempts %d, the schedule has %d attempts", events.MaxAttempts, len(want))
	}
	if events.RetryAfter(0) != 5*time.Second || events.RetryAfter(-3) != 5*time.Second || events.RetryAfter(1000) != 0 {
		t.Errorf("out-of-range attempts: %s %s %s", events.RetryAfter(0), events.RetryAfter(-3), events.RetryAfter(1000))
	}
	// Eight attempts (maxReceiveCount 8) span about a day, as the issue asks.
	if total < 24*time.Hour || total > 30*time.Hour {
		t.Errorf("eight waits add up to %s", total)
	}
}

// memStore is the delivery's store interface in memory: the rules of Deliver are what is
// tested here; the DynamoDB implementation is tested in shared/store and shared/app.
type memStore struct {
	mu        sync.Mutex
	endpoints []events.Endpoint
	lists     int
	listErr   error
	markerErr error
	marks     map[string][2]int // endpoint#event -> status, attempt
}

func (s *memStore) ListEndpoints(context.Context) ([]events.Endpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists++
	return append([]events.Endpoint(nil), s.endpoints...), s.listErr
}

func (s *memStore) Delivered(_ context.Context, ep, ev string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.marks[ep+"#"+ev]
	return ok, s.markerErr
}

func (s *memStore) MarkDelivered(_ context.Context, ep, ev string, status, attempt int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.marks == nil {
		s.marks = map[string][2]int{}
	}
	s.marks[ep+"#"+ev] = [2]int{status, attempt}
	return nil
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// receiverStub records what reaches it and answers status (200 by default).
type receiverStub struct {
	srv    *httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	got    []*http.Request
	bodies [][]byte
}

func newReceiverStub(t *testing.T) *receiverStub {
	r := &receiverStub{}
	r.status.Store(200)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, req)
		r.bodies = append(r.bodies, body)
		r.mu.Unlock()
		if req.URL.Path == "/redirect" {
			http.Redirect(w, req, "/elsewhere", http.StatusFound)
			return
		}
		w.WriteHeader(int(r.status.Load()))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiverStub) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.got) }

func sampleEvent(t *testing.T, id string) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(events.Event{ProjectID: "project-test-1", EventID: id, Action: events.ActionCreate,
		ObjectType: events.ObjectMember, Source: events.SourceSCIM, ID: "member-test-1", Vertical: "B2B",
		Timestamp: "2026-12-02T10:00:00.000000Z", OrganizationID: "organization-test-1", ObjectVersion: 1,
		Object: json.RawMessage(`{"member_id":"member-test-1","email_address":"ada@example.com"}`)})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func newSecret(t *testing.T) string {
	t.Helper()
	s, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type deliveryFixture struct {
	store *memStore
	clock *testClock
	d     *events.Deliverer
	rcv   *receiverStub
	ep    events.Endpoint
}

func newDeliveryFixture(t *testing.T, secrets ...string) *deliveryFixture {
	rcv := newReceiverStub(t)
	if len(secrets) == 0 {
		secrets = []string{newSecret(t)}
	}
	ep := events.Endpoint{EndpointID: "webhook-endpoint-test-1", URL: rcv.srv.URL + "/hook", Secrets: secrets}
	st := &memStore{endpoints: []events.Endpoint{ep}}
	clock := &testClock{t: time.Now()}
	return &deliveryFixture{store: st, clock: clock, rcv: rcv, ep: ep,
		d: &events.Deliverer{Store: st, Fetch: safehttp.Policy{AllowLoopback: true}, Clock: clock}}
}

func (f *deliveryFixture) msg(t *testing.T, eventID string) events.Message {
	return events.Message{EndpointID: f.ep.EndpointID, EventID: eventID, Event: sampleEvent(t, eventID)}
}

func TestDeliverSignsAsSvixDoes(t *testing.T) {
	current, previous := newSecret(t), newSecret(t)
	f := newDeliveryFixture(t, current, previous)
	m := f.msg(t, "webhook-event-test-0b8f9c1e-7d1c-4d6e-9a55-3c1f0f7d2a11")
	res := f.d.Deliver(t.Context(), m, 3)
	if res.Outcome != events.Delivered || res.Reason != events.ReasonDelivered || res.Status != 200 || res.Err != nil {
		t.Fatalf("result %+v", res)
	}
	if res.EventType != "scim.member.create" {
		t.Errorf("event type %q", res.EventType)
	}
	if f.rcv.count() != 1 {
		t.Fatalf("%d requests", f.rcv.count())
	}
	req, body := f.rcv.got[0], f.rcv.bodies[0]
	if req.Method != http.MethodPost || req.URL.Path != "/hook" || string(body) != string(m.Event) {
		t.Errorf("%s %s body %s", req.Method, req.URL.Path, body)
	}
	if req.Header.Get("Content-Type") != "application/json" || req.Header.Get("User-Agent") != events.UserAgent {
		t.Errorf("headers %v", req.Header)
	}
	if req.Header.Get("svix-id") != m.EventID {
		t.Errorf("svix-id %q", req.Header.Get("svix-id"))
	}
	if sigs := strings.Fields(req.Header.Get("svix-signature")); len(sigs) != 2 {
		t.Errorf("svix-signature %q: want one signature per secret", req.Header.Get("svix-signature"))
	}
	// Svix's own library, an independent implementation, accepts it with either secret.
	for _, secret := range []string{current, previous} {
		wh, err := svix.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(body, req.Header); err != nil {
			t.Errorf("svix Verify: %v", err)
		}
		if err := wh.Verify([]byte(strings.Replace(string(body), "ada@", "eve@", 1)), req.Header); err == nil {
			t.Error("svix verified a changed body")
		}
	}
	wh, _ := svix.NewWebhook(newSecret(t))
	if err := wh.Verify(body, req.Header); err == nil {
		t.Error("svix verified with an unrelated secret")
	}
	if got := f.store.marks[f.ep.EndpointID+"#"+m.EventID]; got != [2]int{200, 3} {
		t.Errorf("marker %v, want status 200 attempt 3", got)
	}
}

func TestDeliverOutcomes(t *testing.T) {
	t.Run("already delivered is done without a POST, unless replayed", func(t *testing.T) {
		f := newDeliveryFixture(t)
		m := f.msg(t, "webhook-event-test-a")
		if res := f.d.Deliver(t.Context(), m, 1); res.Outcome != events.Delivered {
			t.Fatalf("%+v", res)
		}
		res := f.d.Deliver(t.Context(), m, 2)
		if res.Outcome != events.Delivered || res.Reason != events.ReasonAlreadyDelivered || f.rcv.count() != 1 {
			t.Fatalf("second: %+v, %d requests", res, f.rcv.count())
		}
		m.Replay = true
		if res := f.d.Deliver(t.Context(), m, 1); res.Outcome != events.Delivered || res.Reason != events.ReasonDelivered || f.rcv.count() != 2 {
			t.Fatalf("replay: %+v, %d requests", res, f.rcv.count())
		}
	})
	t.Run("non-2xx retries on the schedule", func(t *testing.T) {
		f := newDeliveryFixture(t)
		for _, status := range []int{500, 503, 429, 404, 410, 400, 301} {
			f.rcv.status.Store(int32(status))
			for attempt := 1; attempt <= 8; attempt++ {
				res := f.d.Deliver(t.Context(), f.msg(t, "webhook-event-test-b"), attempt)
				if res.Outcome != events.Retry || res.Status != status || res.Reason != events.ReasonHTTPStatus || res.RetryAfter != events.RetryAfter(attempt) {
					t.Fatalf("status %d attempt %d: %+v", status, attempt, res)
				}
			}
		}
		if len(f.store.marks) != 0 {
			t.Errorf("marker written for a failure: %v", f.store.marks)
		}
	})
	t.Run("redirects are not followed", func(t *testing.T) {
		f := newDeliveryFixture(t)
		f.store.endpoints[0].URL = f.rcv.srv.URL + "/redirect"
		res := f.d.Deliver(t.Context(), f.msg(t, "webhook-event-test-c"), 1)
		if res.Outcome != events.Retry || res.Status != http.StatusFound || f.rcv.count() != 1 {
			t.Fatalf("%+v, %d requests", res, f.rcv.count())
		}
	})
	t.Run("loopback is refused unless allowed", func(t *testing.T) {
		f := newDeliveryFixture(t)
		d := &events.Deliverer{Store: f.store, Clock: f.clock}
		res := d.Deliver(t.Context(), f.msg(t, "webhook-event-test-d"), 1)
		if res.Outcome != events.Retry || res.Reason != events.ReasonSendFailed || !errors.Is(res.Err, safehttp.ErrRefused) || f.rcv.count() != 0 {
			t.Fatalf("%+v, %d requests", res, f.rcv.count())
		}
	})
	t.Run("disabled and deleted endpoints drop", func(t *testing.T) {
		f := newDeliveryFixture(t)
		f.store.endpoints[0].Disabled = true
		if res := f.d.Deliver(t.Context(), f.msg(t, "webhook-event-test-e"), 1); res.Outcome != events.Drop || res.Reason != events.ReasonEndpointDisabled {
			t.Fatalf("disabled: %+v", res)
		}
		m := f.msg(t, "webhook-event-test-e")
		m.EndpointID = "webhook-endpoint-test-gone"
		if res := f.d.Deliver(t.Context(), m, 2); res.Outcome != events.Drop || res.Reason != events.ReasonEndpointDeleted {
			t.Fatalf("deleted: %+v", res)
		}
		if f.rcv.count() != 0 {
			t.Fatalf("%d requests", f.rcv.count())
		}
	})
	t.Run("an endpoint whose secrets did not open waits, alone", func(t *testing.T) {
		f := newDeliveryFixture(t)
		good := f.store.endpoints[0]
		good.EndpointID = "webhook-endpoint-test-good"
		f.store.endpoints[0].SecretsErr = errors.New("kms: throttled")
		f.store.endpoints = append(f.store.endpoints, good)
		if res := f.d.Deliver(t.Context(), f.msg(t, "webhook-event-test-k"), 1); res.Outcome != events.Retry || res.Reason != events.ReasonStoreFailed {
			t.Fatalf("bad secrets: %+v", res)
		}
		m := f.msg(t, "webhook-event-test-k")
		m.EndpointID = good.EndpointID
		if res := f.d.Deliver(t.Context(), m, 1); res.Outcome != events.Delivered {
			t.Fatalf("the other endpoint: %+v", res)
		}
	})
	t.Run("malformed messages and unsignable endpoints drop", func(t *testing.T) {
		f := newDeliveryFixture(t)
		for _, m := range []events.Message{
			{EndpointID: f.ep.EndpointID, EventID: "x"},
			{EndpointID: f.ep.EndpointID, EventID: "x", Event: json.RawMessage(`not json`)},
			{EventID: "x", Event: sampleEvent(t, "x")},
			{EndpointID: f.ep.EndpointID, EventID: "y", Event: sampleEvent(t, "x")},
		} {
			if res := f.d.Deliver(t.Context(), m, 1); res.Outcome != events.Drop || res.Reason != events.ReasonMalformed {
				t.Errorf("%+v: %+v", m, res)
			}
		}
		f.store.endpoints[0].Secrets = nil
		if res := f.d.Deliver(t.Context(), f.msg(t, "webhook-event-test-f"), 1); res.Outcome != events.Drop || res.Reason != events.ReasonUnsignable {
			t.Errorf("no secret: %+v", res)
		}
		if f.rcv.count() != 0 {
			t.Fatalf("%d requests", f.rcv.count())
		}
	})
	t.Run("store failures retry", func(t *testing.T) {
		f := newDeliveryFixture(t)
		f.store.listErr = errors.New("dynamodb down")
		if res := f.d.Deliver(t.Context(), f.msg(t, "webhook-event-test-g"), 2); res.Outcome != events.Retry || res.Reason != events.ReasonStoreFailed || res.RetryAfter != 5*time.Minute {
			t.Fatalf("list: %+v", res)
		}
		f.store.listErr, f.store.markerErr = nil, errors.New("dynamodb down")
		if res := f.d.Deliver(t.Context(), f.msg(t, "webhook-event-test-g"), 1); res.Outcome != events.Retry || res.Reason != events.ReasonStoreFailed {
			t.Fatalf("marker: %+v", res)
		}
		if f.rcv.count() != 0 {
			t.Fatalf("%d requests", f.rcv.count())
		}
	})
}

func TestDeliverCachesEndpoints(t *testing.T) {
	f := newDeliveryFixture(t)
	for i := range 5 {
		f.d.Deliver(t.Context(), f.msg(t, "webhook-event-test-"+string(rune('a'+i))), 1)
	}
	if f.store.lists != 1 {
		t.Fatalf("%d ListEndpoints for five deliveries within the TTL", f.store.lists)
	}
	// A change reaches the delivery once the cache is older than 30 s.
	f.store.endpoints[0].Disabled = true
	f.clock.Advance(10 * time.Second)
	if res := f.d.Deliver(t.Context(), f.msg(t, "webhook-event-test-z1"), 1); res.Outcome != events.Delivered {
		t.Fatalf("within the TTL: %+v", res)
	}
	f.clock.Advance(21 * time.Second)
	if res := f.d.Deliver(t.Context(), f.msg(t, "webhook-event-test-z2"), 1); res.Outcome != events.Drop {
		t.Fatalf("after the TTL: %+v", res)
	}
	if f.store.lists != 2 {
		t.Fatalf("%d lists", f.store.lists)
	}
	// Re-enabled a moment later: the cache still says disabled, but a drop is decided on a
	// fresh read, so the event is delivered, not lost.
	f.store.endpoints[0].Disabled = false
	f.clock.Advance(2 * time.Second)
	if res := f.d.Deliver(t.Context(), f.msg(t, "webhook-event-test-z3"), 1); res.Outcome != events.Delivered {
		t.Fatalf("re-enabled within the TTL: %+v", res)
	}
	if f.store.lists != 3 {
		t.Fatalf("%d lists", f.store.lists)
	}
	// An id the cache does not know reloads at once (an endpoint created since), but not more
	// than once a second.
	f.store.endpoints = append(f.store.endpoints, events.Endpoint{EndpointID: "webhook-endpoint-test-new", URL: f.rcv.srv.URL, Secrets: []string{newSecret(t)}})
	f.clock.Advance(2 * time.Second)
	m := f.msg(t, "webhook-event-test-n")
	m.EndpointID = "webhook-endpoint-test-new"
	if res := f.d.Deliver(t.Context(), m, 1); res.Outcome != events.Delivered {
		t.Fatalf("new endpoint: %+v", res)
	}
	lists := f.store.lists
	m.EndpointID = "webhook-endpoint-test-unknown"
	// On a first attempt an unknown endpoint is retried (it may be newer than the cache's
	// read); after that it is dropped.
	if res := f.d.Deliver(t.Context(), m, 1); res.Outcome != events.Retry || res.RetryAfter != 5*time.Second {
		t.Fatalf("unknown, first attempt: %+v", res)
	}
	for range 5 {
		if res := f.d.Deliver(t.Context(), m, 2); res.Outcome != events.Drop {
			t.Fatalf("unknown: %+v", res)
		}
	}
	if f.store.lists != lists {
		t.Fatalf("unknown ids reloaded %d times within a second", f.store.lists-lists)
	}

	// Concurrent deliveries share one load.
	f.clock.Advance(time.Minute)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.d.Deliver(context.Background(), f.msg(t, "webhook-event-test-c"+string(rune('a'+i))), 1)
		}()
	}
	wg.Wait()
	if f.store.lists > lists+2 {
		t.Fatalf("20 concurrent deliveries made %d loads", f.store.lists-lists)
	}
}
