package events

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	latchkey "github.com/latchkey/latchkey/shared"
)

// Change is one committed change of an item an event is made from, as the store decodes it
// from the table's stream.
type Change struct {
	// RecordID is the stream record's eventID: the event id derives from it, so a record read
	// again (a retried batch) makes the same event.
	RecordID       string
	ObjectType     string // ObjectOrganization, ObjectMember, …
	Action         string // ActionCreate, ActionUpdate, ActionDelete
	Source         string // SourceDirect, SourceSCIM: the chg_src the write stamped
	OrganizationID string
	ObjectID       string
	Version        int64
	// At is when the change committed: the object's updated_at when the write set it, else
	// the record's (second-granular) time.
	At time.Time
	// Value is the object after the change as the domain holds it (latchkey.Organization,
	// latchkey.Member already presented with its organization, scim.Connection,
	// scim.SCIMGroup, sso.Connection), for Present to turn into the API's JSON. Nil for a
	// DELETE (Stytch's delete events carry no object) and for sessions.
	Value any
}

// CaptureStore is what the capture needs of the table.
type CaptureStore interface {
	// PutEvent keeps e in the audit trail until expires, once: it says whether e was new
	// (false: a retried record stored it before).
	PutEvent(ctx context.Context, e Event, expires time.Time) (created bool, err error)
	// WebhookEndpoints lists the project's endpoints; the capture needs only their filters,
	// so no secret is opened.
	WebhookEndpoints(ctx context.Context) ([]Endpoint, error)
}

// Capture turns changes into events: each kept in the audit trail and queued once for every
// endpoint that wants it.
type Capture struct {
	ProjectID string
	Store     CaptureStore
	// Queue is nil where no delivery queue is configured: events are kept, nothing is sent.
	Queue Queue
	// Present is the API's JSON of a change's Value: what the API would answer for the object,
	// so an event never carries more (a token hash, a sealed secret) than the API shows.
	Present func(Change) (json.RawMessage, error)
	// Retention is how long the audit trail keeps an event.
	Retention time.Duration
	Clock     latchkey.Clock
}

// CaptureResult says what one batch did. Failed is the index of the first change that did not
// complete (-1 when all did): the batch is retried from its record, and the changes before it
// need not be.
type CaptureResult struct {
	Events int // events made
	New    int // of which not stored before
	Queued int // messages sent
	// Unpresented counts objects Present refused (a bug: the event went without its object).
	Unpresented int
	Failed      int
}

// putConcurrency bounds the audit writes of one batch in flight at once.
const putConcurrency = 10

// EventID is the event id a stream record makes: webhook-event-<env>- and a UUID (version 8,
// RFC 9562's custom form) of the SHA-256 of the record's eventID.
func EventID(projectID, recordID string) string {
	sum := sha256.Sum256([]byte(recordID))
	var u uuid.UUID
	copy(u[:], sum[:16])
	u[6] = (u[6] & 0x0f) | 0x80
	u[8] = (u[8] & 0x3f) | 0x80
	return "webhook-event-" + latchkey.IDsForProject(projectID).Env + "-" + u.String()
}

// TimestampFormat is an event's timestamp: RFC 3339, microseconds, UTC.
const TimestampFormat = "2006-01-02T15:04:05.000000Z"

// NewEvent is the event a change makes, with object the API's JSON of it (nil for none).
func NewEvent(projectID string, c Change, object json.RawMessage) Event {
	e := Event{ProjectID: projectID, EventID: EventID(projectID, c.RecordID), Action: c.Action, ObjectType: c.ObjectType,
		Source: c.Source, ID: c.ObjectID, Timestamp: c.At.UTC().Format(TimestampFormat), Vertical: "B2B",
		OrganizationID: c.OrganizationID, ObjectVersion: c.Version}
	if e.Source == "" {
		e.Source = SourceDirect
	}
	if c.Action != ActionDelete {
		e.Object = object
	}
	return e
}

// Messages are the deliveries of e: one per endpoint that wants it.
func Messages(e Event, body json.RawMessage, endpoints []Endpoint) []Message {
	var out []Message
	for _, ep := range endpoints {
		if ep.Wants(e) {
			out = append(out, Message{EndpointID: ep.EndpointID, EventID: e.EventID, Event: body})
		}
	}
	return out
}

// Capture makes, stores and queues the events of changes, in order. A change whose event
// was stored before is queued again all the same: the batch that stored it may have failed
// before queueing, and the delivery's marker keeps a second copy from being POSTed.
func (c *Capture) Capture(ctx context.Context, changes []Change) (CaptureResult, error) {
	res := CaptureResult{Failed: -1}
	if len(changes) == 0 {
		return res, nil
	}
	evs := make([]Event, len(changes))
	bodies := make([]json.RawMessage, len(changes))
	for i, ch := range changes {
		var obj json.RawMessage
		if ch.Value != nil && ch.Action != ActionDelete {
			var err error
			if obj, err = c.Present(ch); err != nil {
				// A value the API cannot show is a bug no retry fixes: the event goes without
				// rather than holding the stream's shard until the record expires.
				obj = nil
				res.Unpresented++
			}
		}
		evs[i] = NewEvent(c.ProjectID, ch, obj)
		body, err := json.Marshal(evs[i])
		if err != nil {
			return CaptureResult{Failed: i}, fmt.Errorf("event %s: %w", evs[i].EventID, err)
		}
		bodies[i] = body
	}
	res.Events = len(evs)

	var endpoints []Endpoint
	if c.Queue != nil {
		var err error
		if endpoints, err = c.Store.WebhookEndpoints(ctx); err != nil {
			res.Failed = 0
			return res, fmt.Errorf("webhook endpoints: %w", err)
		}
	}

	failed, putErr := c.putAll(ctx, evs, &res)
	done := len(evs)
	if putErr != nil {
		done = failed
	}
	var msgs []Message
	first := -1 // the first change with a message
	for i := range done {
		m := Messages(evs[i], bodies[i], endpoints)
		if len(m) > 0 && first < 0 {
			first = i
		}
		msgs = append(msgs, m...)
	}
	if c.Queue != nil && len(msgs) > 0 {
		if err := c.Queue.Send(ctx, msgs); err != nil {
			res.Failed = first
			return res, errors.Join(fmt.Errorf("queue %d deliveries: %w", len(msgs), err), putErr)
		}
		res.Queued = len(msgs)
	}
	if putErr != nil {
		res.Failed = failed
		return res, putErr
	}
	return res, nil
}

// putAll stores the events, putConcurrency at a time, and returns the index of the first that
// failed with its error.
func (c *Capture) putAll(ctx context.Context, evs []Event, res *CaptureResult) (int, error) {
	expires := c.now().Add(c.Retention)
	errs := make([]error, len(evs))
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		tokens = make(chan struct{}, putConcurrency)
	)
	for i, e := range evs {
		tokens <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-tokens; wg.Done() }()
			created, err := c.Store.PutEvent(ctx, e, expires)
			errs[i] = err
			if created {
				mu.Lock()
				res.New++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return i, fmt.Errorf("store event %s: %w", evs[i].EventID, err)
		}
	}
	return -1, nil
}

func (c *Capture) now() time.Time {
	if c.Clock == nil {
		return time.Now().UTC()
	}
	return c.Clock.Now()
}
