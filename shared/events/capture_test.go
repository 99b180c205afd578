package events_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/events"
)

// An event's id is its stream record's: the same record read again is the same event, and
// the id has the shape of the project's other ids.
func TestEventID(t *testing.T) {
	a := events.EventID("project-test-1", "rec-1")
	if a != events.EventID("project-test-1", "rec-1") || a == events.EventID("project-test-1", "rec-2") {
		t.Fatalf("ids %s", a)
	}
	if !latchkey.LooksLike("webhook-event", a) || !strings.HasPrefix(a, "webhook-event-test-") {
		t.Fatalf("%s is not a webhook-event-test- id", a)
	}
	if live := events.EventID("project-live-1", "rec-1"); !strings.HasPrefix(live, "webhook-event-live-") || !latchkey.LooksLike("webhook-event", live) {
		t.Fatalf("live id %s", live)
	}
}

func TestNewEvent(t *testing.T) {
	at := time.Date(2026, 3, 5, 15, 0, 0, 123456789, time.FixedZone("CET", 3600))
	c := events.Change{RecordID: "rec-1", ObjectType: events.ObjectMember, Action: events.ActionUpdate, Source: events.SourceSCIM,
		OrganizationID: "organization-test-1", ObjectID: "member-test-1", Version: 3, At: at}
	e := events.NewEvent("project-test-1", c, json.RawMessage(`{"member_id":"member-test-1"}`))
	if e.Timestamp != "2026-03-05T14:00:00.123456Z" || e.Type() != "scim.member.update" || e.ObjectVersion != 3 || e.Vertical != "B2B" {
		t.Fatalf("event %+v", e)
	}
	raw, _ := json.Marshal(e)
	var back map[string]any
	_ = json.Unmarshal(raw, &back)
	if back["member"] == nil || back["event_id"] != events.EventID("project-test-1", "rec-1") {
		t.Fatalf("JSON %s", raw)
	}

	// A deletion carries no object, as Stytch's; no source is DIRECT.
	c.Action, c.Source = events.ActionDelete, ""
	e = events.NewEvent("project-test-1", c, json.RawMessage(`{"member_id":"member-test-1"}`))
	if len(e.Object) != 0 || e.Type() != "direct.member.delete" {
		t.Fatalf("delete %+v", e)
	}
}

func TestMessages(t *testing.T) {
	e := events.NewEvent("project-test-1", events.Change{RecordID: "r", ObjectType: events.ObjectMember, Action: events.ActionCreate,
		Source: events.SourceDirect, OrganizationID: "organization-test-1", ObjectID: "member-test-1", At: time.Now()}, nil)
	eps := []events.Endpoint{
		{EndpointID: "all"},
		{EndpointID: "members", EventTypes: []string{"*.member.*"}},
		{EndpointID: "scim only", EventTypes: []string{"scim.*.*"}},
		{EndpointID: "other org", OrganizationIDs: []string{"organization-test-2"}},
		{EndpointID: "disabled", Disabled: true},
	}
	body := json.RawMessage(`{}`)
	var got []string
	for _, m := range events.Messages(e, body, eps) {
		if m.EventID != e.EventID || string(m.Event) != "{}" || m.Replay {
			t.Fatalf("message %+v", m)
		}
		got = append(got, m.EndpointID)
	}
	if strings.Join(got, ",") != "all,members" {
		t.Fatalf("queued for %v", got)
	}
}
