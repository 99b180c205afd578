package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/safehttp"
	"github.com/latchkey/latchkey/shared/webhook"
)

// Delivery settings.
const (
	// UserAgent is sent with every delivery.
	UserAgent = "Latchkey-Webhooks/1"
	// DeliveryTimeout bounds one POST, connection included.
	DeliveryTimeout = 15 * time.Second
	// EndpointCacheTTL is how long the delivery keeps the endpoints it read: a change to an
	// endpoint (disabled, deleted, a new URL or secret) reaches deliveries within it.
	EndpointCacheTTL = 30 * time.Second
	// MaxVisibility is SQS's cap on a message's visibility timeout, so on a retry's wait.
	MaxVisibility = 12 * time.Hour
	// deliveryResponseBytes bounds what is read of a receiver's answer (only to reuse the
	// connection; it is not kept).
	deliveryResponseBytes = 64 << 10
)

// retrySchedule is Svix's: the wait after the n-th failed attempt is retrySchedule[n-1]; past
// its end the last entry repeats. With the queue's maxReceiveCount of 8 the eighth failure is
// the last (the message then goes to the dead-letter queue): about 28 hours in all.
var retrySchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// MaxAttempts is the delivery queue's maxReceiveCount (the CDK stack's and make dev's): the
// eighth failed attempt sends the message to the dead-letter queue.
const MaxAttempts = 8

// RetryAfter is the wait before the next attempt after attempt (1 for the first delivery)
// failed: 5s, 5m, 30m, 2h, 5h, 10h, 10h, never more than MaxVisibility. After the last
// attempt it is zero: the message is received again at once, which moves it to the
// dead-letter queue now rather than after another 10 hours.
func RetryAfter(attempt int) time.Duration {
	if attempt >= MaxAttempts {
		return 0
	}
	i := min(max(attempt, 1), len(retrySchedule)) - 1
	return min(retrySchedule[i], MaxVisibility)
}

// DeliveryStore is what the delivery needs of the table: the endpoints with their secrets
// opened, and the marker that says an event reached an endpoint.
type DeliveryStore interface {
	// ListEndpoints lists every endpoint with its signing secrets in clear (current first).
	ListEndpoints(ctx context.Context) ([]Endpoint, error)
	// Delivered says whether the event was delivered to the endpoint before.
	Delivered(ctx context.Context, endpointID, eventID string) (bool, error)
	// MarkDelivered records that it was, with the receiver's status and the attempt.
	MarkDelivered(ctx context.Context, endpointID, eventID string, status, attempt int) error
}

// Outcome is what the queue does with a message after an attempt.
type Outcome int

const (
	// Delivered: done (the receiver answered 2xx now or before); delete the message.
	Delivered Outcome = iota
	// Retry: try again after Result.RetryAfter; keep the message.
	Retry
	// Drop: never deliverable (endpoint disabled or deleted, a malformed message); delete it.
	Drop
)

func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Retry:
		return "retry"
	case Drop:
		return "drop"
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// Reasons a Result gives, for the log.
const (
	ReasonDelivered        = "delivered"         // the receiver answered 2xx
	ReasonAlreadyDelivered = "already_delivered" // the marker says so; nothing was sent
	ReasonHTTPStatus       = "http_status"       // the receiver answered something else
	ReasonSendFailed       = "send_failed"       // no answer: refused, timed out, connection failed
	ReasonStoreFailed      = "store_failed"      // reading the endpoints or the marker failed
	ReasonEndpointDeleted  = "endpoint_deleted"
	ReasonEndpointDisabled = "endpoint_disabled"
	ReasonMalformed        = "malformed_message" // the queue's message is not a delivery
	ReasonUnsignable       = "unsignable"        // the endpoint has no usable secret, or the id cannot be signed
)

// Result is one attempt's outcome. It never holds the body or a secret.
type Result struct {
	Outcome    Outcome
	RetryAfter time.Duration // for Retry
	Reason     string
	Status     int    // the receiver's HTTP status; 0 when none was received
	EventType  string // the event's Type(), when the body parsed
	Latency    time.Duration
	// Err is what went wrong, if anything (also set on Delivered when writing the marker
	// failed, which only risks a duplicate on a replayed copy).
	Err error
}

// Deliverer makes one attempt at delivering one message.
type Deliverer struct {
	Store DeliveryStore
	// Fetch is the policy receivers' URLs are held to: https, and loopback http only when
	// AllowLoopback (make dev, the tests). Its Timeout is replaced by DeliveryTimeout.
	Fetch safehttp.Policy
	Clock latchkey.Clock
	// CacheTTL overrides EndpointCacheTTL (tests); 0 is the default.
	CacheTTL time.Duration

	once   sync.Once
	client *http.Client

	mu       sync.Mutex
	loaded   time.Time // when the cache was filled (zero: never)
	cache    map[string]Endpoint
	loadDone chan struct{} // non-nil while a load is running; closed when it ends
	loadErr  error
}

// DeliveryClient is the HTTP client deliveries use: policy's dial-time checks (https; no
// private, link-local or, unless allowed, loopback targets), DeliveryTimeout, and no
// redirects followed (a 3xx is an answer like any other non-2xx: a failed attempt).
func DeliveryClient(policy safehttp.Policy) *http.Client {
	policy.Timeout = DeliveryTimeout
	policy.MaxBytes = deliveryResponseBytes
	c := policy.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

func (d *Deliverer) httpClient() *http.Client {
	d.once.Do(func() { d.client = DeliveryClient(d.Fetch) })
	return d.client
}

func (d *Deliverer) now() time.Time {
	if d.Clock != nil {
		return d.Clock.Now()
	}
	return time.Now()
}

func (d *Deliverer) ttl() time.Duration {
	if d.CacheTTL > 0 {
		return d.CacheTTL
	}
	return EndpointCacheTTL
}

// errNoEndpoint is the cache's "no such endpoint".
var errNoEndpoint = errors.New("events: no such endpoint")

// endpoint returns the endpoint from the cache, filling it when it is older than the TTL. An
// id the cache does not know makes one early reload (an endpoint created since the cache was
// filled), at most once a second.
func (d *Deliverer) endpoint(ctx context.Context, id string) (Endpoint, error) {
	for range 2 {
		d.mu.Lock()
		age := d.now().Sub(d.loaded)
		ep, ok := d.cache[id]
		fresh := !d.loaded.IsZero() && age < d.ttl() && age >= 0
		if fresh && (ok || age < time.Second) {
			d.mu.Unlock()
			if !ok {
				return Endpoint{}, errNoEndpoint
			}
			return ep, nil
		}
		if err := d.reloadLocked(ctx); err != nil {
			return Endpoint{}, err
		}
		// The loop looks again, now with a cache that is under a second old.
	}
	return Endpoint{}, errNoEndpoint
}

func (d *Deliverer) loadedAt() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.loaded
}

// reload refills the cache whatever its age and returns id's endpoint from it.
func (d *Deliverer) reload(ctx context.Context, id string) (Endpoint, error) {
	d.mu.Lock()
	if err := d.reloadLocked(ctx); err != nil {
		return Endpoint{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ep, ok := d.cache[id]
	if !ok {
		return Endpoint{}, errNoEndpoint
	}
	return ep, nil
}

// reloadLocked refills the cache; one load runs at a time and the others wait for it. It is
// called with d.mu held and returns with it released.
func (d *Deliverer) reloadLocked(ctx context.Context) error {
	if done := d.loadDone; done != nil {
		d.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
		d.mu.Lock()
		err := d.loadErr
		d.mu.Unlock()
		return err
	}
	done := make(chan struct{})
	d.loadDone = done
	d.mu.Unlock()

	eps, err := d.Store.ListEndpoints(ctx)
	d.mu.Lock()
	d.loadErr = err
	if err == nil {
		d.cache = make(map[string]Endpoint, len(eps))
		for _, ep := range eps {
			d.cache[ep.EndpointID] = ep
		}
		d.loaded = d.now()
	}
	d.loadDone = nil
	close(done)
	d.mu.Unlock()
	return err
}

// Deliver makes attempt (1 for the first; SQS's ApproximateReceiveCount) at delivering m:
// the endpoint is read (cached), a disabled or deleted one drops the message; unless m.Replay,
// an event already delivered to the endpoint is done without a POST; otherwise the event is
// POSTed signed as Svix signs. A 2xx writes the marker and is Delivered; anything else is a
// Retry after RetryAfter(attempt).
func (d *Deliverer) Deliver(ctx context.Context, m Message, attempt int) Result {
	start := time.Now()
	res := d.deliver(ctx, m, attempt)
	res.Latency = time.Since(start)
	if res.Outcome == Retry && res.RetryAfter == 0 {
		res.RetryAfter = RetryAfter(attempt)
	}
	return res
}

func (d *Deliverer) deliver(ctx context.Context, m Message, attempt int) Result {
	var ev Event
	if m.EndpointID == "" || m.EventID == "" || len(m.Event) == 0 || json.Unmarshal(m.Event, &ev) != nil {
		return Result{Outcome: Drop, Reason: ReasonMalformed, Err: errors.New("events: message lacks endpoint_id, event_id or a JSON event")}
	}
	res := Result{EventType: ev.Type()}
	if ev.EventID != "" && ev.EventID != m.EventID {
		res.Outcome, res.Reason, res.Err = Drop, ReasonMalformed, fmt.Errorf("events: message event_id %q, event's %q", m.EventID, ev.EventID)
		return res
	}
	loaded := d.loadedAt()
	ep, err := d.endpoint(ctx, m.EndpointID)
	// The capture queued this for an endpoint it read as enabled, so a cache that says
	// otherwise may be the stale one (an endpoint created or re-enabled a moment ago). A drop
	// loses the event for good: it is decided on a read made since, and an endpoint unknown
	// even then gets one retry, in case it was created after that read.
	if (errors.Is(err, errNoEndpoint) || (err == nil && ep.Disabled)) && d.loadedAt().Equal(loaded) && d.now().Sub(loaded) >= time.Second {
		ep, err = d.reload(ctx, m.EndpointID)
	}
	switch {
	case errors.Is(err, errNoEndpoint) && attempt <= 1:
		res.Outcome, res.Reason = Retry, ReasonEndpointDeleted
		return res
	case errors.Is(err, errNoEndpoint):
		res.Outcome, res.Reason = Drop, ReasonEndpointDeleted
		return res
	case err != nil:
		res.Outcome, res.Reason, res.Err = Retry, ReasonStoreFailed, err
		return res
	case ep.Disabled:
		res.Outcome, res.Reason = Drop, ReasonEndpointDisabled
		return res
	case ep.SecretsErr != nil:
		// KMS failed or refused this endpoint's secrets: a store failure, retried, rather
		// than a drop that would lose the event.
		res.Outcome, res.Reason, res.Err = Retry, ReasonStoreFailed, ep.SecretsErr
		return res
	}
	if !m.Replay {
		done, err := d.Store.Delivered(ctx, m.EndpointID, m.EventID)
		if err != nil {
			res.Outcome, res.Reason, res.Err = Retry, ReasonStoreFailed, err
			return res
		}
		if done {
			res.Outcome, res.Reason = Delivered, ReasonAlreadyDelivered
			return res
		}
	}
	ts := d.now()
	sig, err := webhook.SignAll(ep.Secrets, m.EventID, ts, m.Event)
	if err != nil {
		// No secret, a malformed one, or an id that cannot go in a header: no retry fixes it.
		res.Outcome, res.Reason, res.Err = Drop, ReasonUnsignable, err
		return res
	}
	status, err := d.post(ctx, ep.URL, m, ts, sig)
	res.Status = status
	switch {
	case err != nil:
		res.Outcome, res.Reason, res.Err = Retry, ReasonSendFailed, err
		return res
	case status < 200 || status > 299:
		res.Outcome, res.Reason = Retry, ReasonHTTPStatus
		return res
	}
	res.Outcome, res.Reason = Delivered, ReasonDelivered
	if err := d.Store.MarkDelivered(ctx, m.EndpointID, m.EventID, status, attempt); err != nil {
		res.Err = fmt.Errorf("events: delivered, but writing the marker failed: %w", err)
	}
	return res
}

// post sends one delivery and returns the receiver's status.
func (d *Deliverer) post(ctx context.Context, url string, m Message, ts time.Time, sig string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, DeliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(m.Event))
	if err != nil {
		return 0, err
	}
	req.ContentLength = int64(len(m.Event))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(webhook.HeaderID, m.EventID)
	req.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(webhook.HeaderSignature, sig)
	resp, err := d.httpClient().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, deliveryResponseBytes))
	return resp.StatusCode, nil
}
