// Package events turns committed changes to the table into Stytch-shaped webhook events, keeps
// them as the audit trail, and delivers them to the project's endpoints signed as Svix signs.
//
// The flow: the table's stream (functions/events) → Capture: one Event per changed
// organization, member, SCIM connection or group, SSO connection or revoked session, stored
// once (a conditional write keyed by the event id, so a stream record read twice is one event)
// and queued once per endpoint that wants it → the queue (SQS; functions/deliveries) →
// Deliver: one signed HTTPS POST, retried with backoff, then the dead-letter queue.
package events

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// Actions, as Stytch names them.
const (
	ActionCreate = "CREATE"
	ActionUpdate = "UPDATE"
	ActionDelete = "DELETE"
)

// Sources, as Stytch names them: DIRECT for the API (JIT provisioning included: the member was
// created by an authenticate call), SCIM for the SCIM routes.
const (
	SourceDirect = "DIRECT"
	SourceSCIM   = "SCIM"
)

// Object types. The first five are Stytch's; scim_group and session are Latchkey's.
const (
	ObjectOrganization   = "organization"
	ObjectMember         = "member"
	ObjectSAMLConnection = "saml_connection"
	ObjectOIDCConnection = "oidc_connection"
	ObjectSCIMConnection = "scim_connection"
	ObjectSCIMGroup      = "scim_group"
	ObjectSession        = "session"
)

// Event is one webhook event, in Stytch's shape: the object after the change sits under the
// key named by ObjectType (absent for DELETE, as in Stytch).
type Event struct {
	ProjectID      string `json:"project_id"`
	EventID        string `json:"event_id"` // webhook-event-test-<uuid>, derived from the change: the same change is the same id
	Action         string `json:"action"`
	ObjectType     string `json:"object_type"`
	Source         string `json:"source"`
	ID             string `json:"id"`        // the changed object's id
	Timestamp      string `json:"timestamp"` // RFC 3339, microseconds, UTC: when the change committed
	Vertical       string `json:"vertical"`  // always "B2B"
	OrganizationID string `json:"organization_id"`
	// ObjectVersion increases with every change of one object (the item's Version): a consumer
	// keeps the highest it has applied and ignores an event with a lower one.
	ObjectVersion int64 `json:"object_version"`
	// Object is the object after the change, in the API's JSON; it is written under the key
	// ObjectType names.
	Object json.RawMessage `json:"-"`
}

// Type is the Stytch event type: source.object_type.action in lower case
// (direct.member.create).
func (e Event) Type() string {
	return strings.ToLower(e.Source) + "." + e.ObjectType + "." + strings.ToLower(e.Action)
}

// MarshalJSON writes the object under its type's key, as Stytch does.
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	raw, err := json.Marshal(plain(e))
	if err != nil || len(e.Object) == 0 {
		return raw, err
	}
	key, _ := json.Marshal(e.ObjectType)
	out := append(raw[:len(raw)-1:len(raw)-1], ',')
	out = append(out, key...)
	out = append(out, ':')
	out = append(out, e.Object...)
	return append(out, '}'), nil
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (e *Event) UnmarshalJSON(b []byte) error {
	type plain Event
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	*e = Event(p)
	e.Object = all[p.ObjectType]
	return nil
}

// At parses Timestamp.
func (e Event) At() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, e.Timestamp)
	return t
}

// Endpoint is where an application receives events.
type Endpoint struct {
	EndpointID  string `json:"endpoint_id"` // webhook-endpoint-test-<uuid>
	URL         string `json:"url"`
	Description string `json:"description"`
	// EventTypes filters by Type(); "*" matches one segment ("scim.*.*", "*.member.*"). Empty
	// means every event.
	EventTypes []string `json:"event_types"`
	// OrganizationIDs filters by organization; empty means every organization.
	OrganizationIDs []string  `json:"organization_ids"`
	Disabled        bool      `json:"disabled"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	// Secrets sign deliveries: the current one first, then, for 24 hours after a rotation,
	// the previous one. Never in the API's JSON after creation or rotation.
	Secrets         []string  `json:"-"`
	PreviousExpires time.Time `json:"-"`
	// SecretsErr says why Secrets could not be opened (KMS refused or failed): the endpoint's
	// deliveries wait for it, and the other endpoints' go on.
	SecretsErr error `json:"-"`
	Version    int   `json:"-"`
}

// Wants says whether the endpoint receives e.
func (ep Endpoint) Wants(e Event) bool {
	if ep.Disabled {
		return false
	}
	if len(ep.OrganizationIDs) > 0 && !contains(ep.OrganizationIDs, e.OrganizationID) {
		return false
	}
	if len(ep.EventTypes) == 0 {
		return true
	}
	t := strings.Split(e.Type(), ".")
	for _, f := range ep.EventTypes {
		if typeMatches(strings.Split(f, "."), t) {
			return true
		}
	}
	return false
}

func typeMatches(filter, typ []string) bool {
	if len(filter) != len(typ) {
		return false
	}
	for i := range filter {
		if filter[i] != "*" && filter[i] != typ[i] {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Message is one delivery of one event to one endpoint: the queue's message body.
type Message struct {
	EndpointID string          `json:"endpoint_id"`
	EventID    string          `json:"event_id"`
	Replay     bool            `json:"replay,omitempty"` // deliver even if delivered before
	Event      json.RawMessage `json:"event"`            // the event's JSON, exactly the body POSTed
}

// Queue carries messages to the delivery function.
type Queue interface {
	Send(ctx context.Context, msgs []Message) error
}
