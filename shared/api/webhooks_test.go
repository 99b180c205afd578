package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/app/apptest"
	"github.com/latchkey/latchkey/shared/events"
	"github.com/latchkey/latchkey/shared/store"
)

const webhooksPath = "/v1/b2b/webhooks/endpoints"

func createEndpoint(t *testing.T, body map[string]any) apptest.Response {
	t.Helper()
	r := env.Do(t, "POST", webhooksPath, body)
	apptest.ExpectOK(t, r)
	return r
}

// rawEndpointItem renders the endpoint's item as stored.
func rawEndpointItem(t *testing.T, id string) string {
	t.Helper()
	client := store.NewClient(env.App.AWS, env.Config.DynamoDBEndpoint)
	out, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(env.Config.Table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "WEBHOOK"}, "sk": &types.AttributeValueMemberS{Value: "ENDPOINT#" + id}}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		return ""
	}
	return renderItem(&types.AttributeValueMemberM{Value: out.Item})
}

// expectSealed fails if the stored item holds the secret, whole or its key alone.
func expectSealed(t *testing.T, id, secret string) {
	t.Helper()
	raw := rawEndpointItem(t, id)
	if raw == "" {
		t.Fatalf("no item for %s", id)
	}
	if strings.Contains(raw, secret) || strings.Contains(raw, strings.TrimPrefix(secret, "whsec_")) || !strings.Contains(raw, "kms1:") {
		t.Fatalf("the item does not hold the secret sealed: %s", raw)
	}
}

// Create, read, list, update, rotate and delete an endpoint over HTTP. The secret is in the
// create and rotate answers only, whsec_ as Svix's; the item holds it sealed; the rotation
// keeps the old secret signing for 24 hours; a deleted endpoint is gone.
func TestWebhookEndpointLifecycle(t *testing.T) {
	org := "organization-test-" + uuid.NewString()
	created := createEndpoint(t, map[string]any{"url": "https://app.example.com/hooks", "description": "Sync",
		"event_types": []string{"scim.member.*", "*.organization.delete", "scim.member.*"}, "organization_ids": []string{org}})
	id, secret := created.Str("endpoint.endpoint_id"), created.Str("secret")
	if !strings.HasPrefix(id, "webhook-endpoint-test-") || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("create: %s", created.Raw)
	}
	if got := fmt.Sprint(created.Get("endpoint.event_types")); got != "[scim.member.* *.organization.delete]" {
		t.Errorf("event_types %s (duplicates are dropped)", got)
	}
	if created.Str("endpoint.url") != "https://app.example.com/hooks" || created.Get("endpoint.disabled") != false ||
		fmt.Sprint(created.Get("endpoint.organization_ids")) != "["+org+"]" || created.Str("endpoint.description") != "Sync" {
		t.Errorf("create: %s", created.Raw)
	}
	expectSealed(t, id, secret)

	got := env.Do(t, "GET", webhooksPath+"/"+id, nil)
	apptest.ExpectOK(t, got)
	if strings.Contains(string(got.Raw), secret) || got.Get("secret") != nil || got.Str("endpoint.endpoint_id") != id {
		t.Fatalf("get: %s", got.Raw)
	}
	list := env.Do(t, "GET", webhooksPath, nil)
	apptest.ExpectOK(t, list)
	if strings.Contains(string(list.Raw), "whsec_") || !strings.Contains(string(list.Raw), id) {
		t.Fatalf("list: %s", list.Raw)
	}

	upd := env.Do(t, "PUT", webhooksPath+"/"+id, map[string]any{"description": "Members", "event_types": []string{}, "disabled": true})
	apptest.ExpectOK(t, upd)
	if upd.Str("endpoint.description") != "Members" || fmt.Sprint(upd.Get("endpoint.event_types")) != "[]" || upd.Get("endpoint.disabled") != true ||
		upd.Str("endpoint.url") != "https://app.example.com/hooks" || fmt.Sprint(upd.Get("endpoint.organization_ids")) != "["+org+"]" {
		t.Fatalf("update: %s", upd.Raw)
	}
	if again := env.Do(t, "GET", webhooksPath+"/"+id, nil); again.Str("endpoint.description") != "Members" || again.Get("endpoint.disabled") != true {
		t.Fatalf("after update: %s", again.Raw)
	}

	rot := env.Do(t, "POST", webhooksPath+"/"+id+"/rotate_secret", nil)
	apptest.ExpectOK(t, rot)
	next := rot.Str("secret")
	if !strings.HasPrefix(next, "whsec_") || next == secret {
		t.Fatalf("rotate: %s", rot.Raw)
	}
	exp, err := time.Parse(time.RFC3339Nano, rot.Str("endpoint.previous_secret_expires_at"))
	if err != nil || exp.Sub(env.Clock.Now()) < 23*time.Hour || exp.Sub(env.Clock.Now()) > 25*time.Hour {
		t.Fatalf("previous_secret_expires_at: %s", rot.Raw)
	}
	expectSealed(t, id, next)
	expectSealed(t, id, secret)
	// The delivery's view: both secrets open, the new one first.
	eps, err := env.App.Store.ListEndpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ep := range eps {
		if ep.EndpointID == id {
			found = true
			if len(ep.Secrets) != 2 || ep.Secrets[0] != next || ep.Secrets[1] != secret {
				t.Fatalf("opened secrets: %d, want the new then the previous", len(ep.Secrets))
			}
		}
	}
	if !found {
		t.Fatal("ListEndpoints does not list the endpoint")
	}

	del := env.Do(t, "DELETE", webhooksPath+"/"+id, nil)
	apptest.ExpectOK(t, del)
	if del.Str("endpoint_id") != id {
		t.Fatalf("delete: %s", del.Raw)
	}
	apptest.ExpectError(t, env.Do(t, "GET", webhooksPath+"/"+id, nil), http.StatusNotFound, "webhook_endpoint_not_found")
	apptest.ExpectError(t, env.Do(t, "DELETE", webhooksPath+"/"+id, nil), http.StatusNotFound, "webhook_endpoint_not_found")
	apptest.ExpectError(t, env.Do(t, "POST", webhooksPath+"/"+id+"/rotate_secret", nil), http.StatusNotFound, "webhook_endpoint_not_found")
	if raw := rawEndpointItem(t, id); raw != "" {
		t.Fatalf("the item outlived the delete: %s", raw)
	}
}

// Bad URLs, filters, organization ids and descriptions are refused with Stytch-shaped errors
// that name the problem, and no refused call changes the table.
func TestWebhookEndpointBadInput(t *testing.T) {
	id := createEndpoint(t, map[string]any{"url": "https://app.example.com/hooks"}).Str("endpoint.endpoint_id")
	missing := "webhook-endpoint-test-" + uuid.NewString()
	cases := []struct {
		name, method, path string
		body               any
		status             int
		errType            string
	}{
		{"no url", "POST", webhooksPath, map[string]any{"description": "x"}, 400, "invalid_webhook_url"},
		{"plain http", "POST", webhooksPath, map[string]any{"url": "http://app.example.com/hooks"}, 400, "invalid_webhook_url"},
		{"not a URL", "POST", webhooksPath, map[string]any{"url": "app.example.com"}, 400, "invalid_webhook_url"},
		{"ftp", "POST", webhooksPath, map[string]any{"url": "ftp://app.example.com/"}, 400, "invalid_webhook_url"},
		{"userinfo", "POST", webhooksPath, map[string]any{"url": "https://u:p@app.example.com/"}, 400, "invalid_webhook_url"},
		{"private address", "POST", webhooksPath, map[string]any{"url": "https://10.0.0.1/hooks"}, 400, "invalid_webhook_url"},
		{"two segments", "POST", webhooksPath, map[string]any{"url": "https://a.example.com/", "event_types": []string{"member.create"}}, 400, "invalid_event_type_filter"},
		{"unknown object", "POST", webhooksPath, map[string]any{"url": "https://a.example.com/", "event_types": []string{"direct.user.create"}}, 400, "invalid_event_type_filter"},
		{"unknown action", "POST", webhooksPath, map[string]any{"url": "https://a.example.com/", "event_types": []string{"*.member.created"}}, 400, "invalid_event_type_filter"},
		{"unknown source", "POST", webhooksPath, map[string]any{"url": "https://a.example.com/", "event_types": []string{"Direct.member.*"}}, 400, "invalid_event_type_filter"},
		{"partial wildcard", "POST", webhooksPath, map[string]any{"url": "https://a.example.com/", "event_types": []string{"direct.mem*.create"}}, 400, "invalid_event_type_filter"},
		{"not an org id", "POST", webhooksPath, map[string]any{"url": "https://a.example.com/", "organization_ids": []string{"acme"}}, 400, "invalid_organization_filter"},
		{"description with CR LF", "POST", webhooksPath, map[string]any{"url": "https://a.example.com/", "description": "a\r\nb"}, 400, "invalid_webhook_description"},
		{"long description", "POST", webhooksPath, map[string]any{"url": "https://a.example.com/", "description": strings.Repeat("d", 257)}, 400, "invalid_webhook_description"},
		{"wrong type", "POST", webhooksPath, map[string]any{"url": 5}, 400, "bad_request"},
		{"update to http", "PUT", webhooksPath + "/" + id, map[string]any{"url": "http://app.example.com/"}, 400, "invalid_webhook_url"},
		{"update bad filter", "PUT", webhooksPath + "/" + id, map[string]any{"event_types": []string{"*"}}, 400, "invalid_event_type_filter"},
		{"update missing", "PUT", webhooksPath + "/" + missing, map[string]any{"description": "x"}, 404, "webhook_endpoint_not_found"},
		{"get malformed id", "GET", webhooksPath + "/not-an-id", nil, 404, "webhook_endpoint_not_found"},
		{"replay without start", "POST", webhooksPath + "/" + id + "/replay", map[string]any{}, 400, "invalid_time_range"},
		{"replay bad start", "POST", webhooksPath + "/" + id + "/replay", map[string]any{"start_time": "yesterday"}, 400, "invalid_time_range"},
		{"replay start after end", "POST", webhooksPath + "/" + id + "/replay", map[string]any{"start_time": "2026-03-09T09:00:00Z", "end_time": "2026-03-09T08:00:00Z"}, 400, "invalid_time_range"},
		{"replay missing endpoint", "POST", webhooksPath + "/" + missing + "/replay", map[string]any{"start_time": "2026-03-09T09:00:00Z"}, 404, "webhook_endpoint_not_found"},
		{"events bad limit", "GET", "/v1/b2b/events?limit=0", nil, 400, "invalid_limit"},
		{"events limit too large", "GET", "/v1/b2b/events?limit=501", nil, 400, "invalid_limit"},
		{"events bad cursor", "GET", "/v1/b2b/events?cursor=bm9wZQ", nil, 400, "invalid_cursor"},
		{"events bad time", "GET", "/v1/b2b/events?start_time=2026-13-01", nil, 400, "invalid_time_range"},
	}
	before := tableSnapshot(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			apptest.ExpectError(t, env.Do(t, c.method, c.path, c.body), c.status, c.errType)
		})
	}
	if d := diffSnapshots(before, tableSnapshot(t)); len(d) > 0 {
		t.Errorf("refused requests changed the table:\n%s", strings.Join(d[:min(len(d), 10)], "\n"))
	}
}

// http to loopback is accepted where the configuration allows loopback (the tests' does,
// as make dev's), and refused where it does not (AWS).
func TestWebhookLoopbackURL(t *testing.T) {
	apptest.ExpectOK(t, env.Do(t, "POST", webhooksPath, map[string]any{"url": "http://127.0.0.1:9/hooks"}))
	_, srv, err := env.Variant(context.Background(), func(c *app.Config) { c.FetchAllowLoopback = false })
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	apptest.ExpectError(t, env.At(srv.URL).Do(t, "POST", webhooksPath, map[string]any{"url": "http://127.0.0.1:9/hooks"}),
		http.StatusBadRequest, "invalid_webhook_url")
}

// putAuditEvent writes an audit item as the capture does (the contract's layout).
func putAuditEvent(t *testing.T, e events.Event, ttl time.Time) {
	t.Helper()
	body, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	at := e.At().UTC()
	sk := at.Format("2006-01-02T15:04:05.000000000Z") + "#" + e.EventID
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	client := store.NewClient(env.App.AWS, env.Config.DynamoDBEndpoint)
	_, err = client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(env.Config.Table), Item: map[string]types.AttributeValue{
		"pk": s("EVENTS#" + e.OrganizationID), "sk": s(sk), "gsi2pk": s("EVENTHOUR#" + at.Format("2006-01-02T15")), "gsi2sk": s(sk),
		"body": s(string(body)), "type": s(e.Type()), "object_id": s(e.ID),
		"ttl": &types.AttributeValueMemberN{Value: fmt.Sprint(ttl.Unix())}}})
	if err != nil {
		t.Fatal(err)
	}
}

func auditEvent(org string, at time.Time, source, object, action string) events.Event {
	id := "member-test-" + uuid.NewString()
	return events.Event{ProjectID: env.ProjectID, EventID: "webhook-event-test-" + uuid.NewString(), Action: action, ObjectType: object,
		Source: source, ID: id, Timestamp: at.UTC().Format("2006-01-02T15:04:05.000000Z07:00"), Vertical: "B2B", OrganizationID: org,
		ObjectVersion: 1, Object: json.RawMessage(`{"member_id":"` + id + `"}`)}
}

// eventIDs pages through GET /v1/b2b/events with query q and returns the event ids in order.
func eventIDs(t *testing.T, q url.Values) []string {
	t.Helper()
	var out []string
	for pages := 0; ; pages++ {
		if pages > 50 {
			t.Fatal("the cursor never ends")
		}
		r := env.Do(t, "GET", "/v1/b2b/events?"+q.Encode(), nil)
		apptest.ExpectOK(t, r)
		list, _ := r.Get("events").([]any)
		if n, _ := fmt.Sscan(q.Get("limit")); n == 1 {
			var limit int
			fmt.Sscan(q.Get("limit"), &limit)
			if len(list) > limit {
				t.Fatalf("a page of %d events, limit %d", len(list), limit)
			}
		}
		for _, e := range list {
			out = append(out, e.(map[string]any)["event_id"].(string))
		}
		next := r.Str("next_cursor")
		if next == "" {
			return out
		}
		q.Set("cursor", next)
	}
}

// The audit trail of an organization reads in time order, page by page with an opaque cursor,
// within [start_time, end_time); it shows no other organization's events, an expired event
// is not shown, and another organization's cursor is refused.
func TestAuditTrailQuery(t *testing.T) {
	orgA, orgB := "organization-test-"+uuid.NewString(), "organization-test-"+uuid.NewString()
	t0 := env.Clock.Now().Add(-3 * time.Hour).Truncate(time.Minute)
	var want []string
	for i := range 7 {
		e := auditEvent(orgA, t0.Add(time.Duration(i)*time.Minute), events.SourceDirect, events.ObjectMember, events.ActionUpdate)
		putAuditEvent(t, e, env.Clock.Now().Add(time.Hour))
		want = append(want, e.EventID)
	}
	var other []string
	for i := range 2 {
		e := auditEvent(orgB, t0.Add(time.Duration(i)*time.Minute+time.Second), events.SourceSCIM, events.ObjectMember, events.ActionCreate)
		putAuditEvent(t, e, env.Clock.Now().Add(time.Hour))
		other = append(other, e.EventID)
	}
	// Past its retention: DynamoDB has not deleted it yet, the query does not show it.
	putAuditEvent(t, auditEvent(orgA, t0.Add(30*time.Second), events.SourceDirect, events.ObjectMember, events.ActionDelete), env.Clock.Now().Add(-time.Minute))

	all := eventIDs(t, url.Values{"organization_id": {orgA}, "limit": {"3"}})
	if fmt.Sprint(all) != fmt.Sprint(want) {
		t.Fatalf("pages of 3: %v\nwant %v", all, want)
	}
	ranged := eventIDs(t, url.Values{"organization_id": {orgA}, "start_time": {t0.Add(2 * time.Minute).Format(time.RFC3339)},
		"end_time": {t0.Add(5 * time.Minute).Format(time.RFC3339)}})
	if fmt.Sprint(ranged) != fmt.Sprint(want[2:5]) {
		t.Fatalf("[t0+2m, t0+5m): %v\nwant %v", ranged, want[2:5])
	}
	if b := eventIDs(t, url.Values{"organization_id": {orgB}}); fmt.Sprint(b) != fmt.Sprint(other) {
		t.Fatalf("organization B: %v, want %v", b, other)
	}
	first := env.Do(t, "GET", "/v1/b2b/events?"+url.Values{"organization_id": {orgA}, "limit": {"2"}}.Encode(), nil)
	apptest.ExpectOK(t, first)
	if first.Str("events.0.object_type") != "member" || first.Get("events.0.member.member_id") == nil || first.Str("events.0.organization_id") != orgA {
		t.Fatalf("an event as delivered: %s", first.Raw)
	}
	apptest.ExpectError(t, env.Do(t, "GET", "/v1/b2b/events?"+url.Values{"organization_id": {orgB}, "cursor": {first.Str("next_cursor")}}.Encode(), nil),
		http.StatusBadRequest, "invalid_cursor")
	// Project-wide: both organizations' events in the range, each once.
	proj := eventIDs(t, url.Values{"start_time": {t0.Format(time.RFC3339)}, "end_time": {t0.Add(10 * time.Minute).Format(time.RFC3339)}, "limit": {"4"}})
	seen := map[string]int{}
	for _, id := range proj {
		seen[id]++
	}
	for _, id := range append(append([]string{}, want...), other...) {
		if seen[id] != 1 {
			t.Errorf("project-wide: %s seen %d times", id, seen[id])
		}
	}
}

// recordingQueue keeps what a replay sends (the test's stand-in for SQS until the queue
// adapter is wired).
type recordingQueue struct {
	mu   sync.Mutex
	msgs []events.Message
}

func (q *recordingQueue) Send(_ context.Context, msgs []events.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.msgs = append(q.msgs, msgs...)
	return nil
}

// A replay queues, for the endpoint, exactly the events of the range its filters want, marked
// replay, each body as stored; without a queue it is a clear 503 and nothing else.
func TestWebhookReplay(t *testing.T) {
	orgA, orgB := "organization-test-"+uuid.NewString(), "organization-test-"+uuid.NewString()
	t0 := env.Clock.Now().Add(-2 * time.Hour).Truncate(time.Minute)
	var members []string
	for i := range 4 {
		m := auditEvent(orgA, t0.Add(time.Duration(i)*time.Minute), events.SourceSCIM, events.ObjectMember, events.ActionCreate)
		putAuditEvent(t, m, env.Clock.Now().Add(time.Hour))
		members = append(members, m.EventID)
		putAuditEvent(t, auditEvent(orgA, t0.Add(time.Duration(i)*time.Minute+time.Second), events.SourceDirect, events.ObjectOrganization, events.ActionUpdate), env.Clock.Now().Add(time.Hour))
	}
	bEvent := auditEvent(orgB, t0.Add(90*time.Second), events.SourceSCIM, events.ObjectMember, events.ActionCreate)
	putAuditEvent(t, bEvent, env.Clock.Now().Add(time.Hour))

	id := createEndpoint(t, map[string]any{"url": "https://app.example.com/hooks", "event_types": []string{"scim.member.*"}}).Str("endpoint.endpoint_id")
	body := map[string]any{"start_time": t0.Format(time.RFC3339), "end_time": t0.Add(10 * time.Minute).Format(time.RFC3339), "organization_id": orgA}
	apptest.ExpectError(t, env.Do(t, "POST", webhooksPath+"/"+id+"/replay", body), http.StatusServiceUnavailable, "webhook_delivery_not_configured")

	a, srv, err := env.Variant(context.Background(), func(*app.Config) {})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	q := &recordingQueue{}
	a.Server.Webhooks.Queue = q
	at := env.At(srv.URL)
	r := at.Do(t, "POST", webhooksPath+"/"+id+"/replay", body)
	apptest.ExpectOK(t, r)
	if r.Get("events_queued") != float64(4) || r.Str("next_cursor") != "" || len(q.msgs) != 4 {
		t.Fatalf("replay of organization A: %s, %d messages", r.Raw, len(q.msgs))
	}
	for i, m := range q.msgs {
		var e events.Event
		if err := json.Unmarshal(m.Event, &e); err != nil || !m.Replay || m.EndpointID != id || m.EventID != members[i] || e.EventID != members[i] {
			t.Fatalf("message %d: %+v", i, m)
		}
	}
	// Every organization: B's member event too.
	q.msgs = nil
	delete(body, "organization_id")
	r = at.Do(t, "POST", webhooksPath+"/"+id+"/replay", body)
	apptest.ExpectOK(t, r)
	if r.Get("events_queued") != float64(5) || len(q.msgs) != 5 {
		t.Fatalf("project-wide replay: %s", r.Raw)
	}
	// A disabled endpoint is not replayed to.
	apptest.ExpectOK(t, env.Do(t, "PUT", webhooksPath+"/"+id, map[string]any{"disabled": true}))
	apptest.ExpectError(t, at.Do(t, "POST", webhooksPath+"/"+id+"/replay", body), http.StatusBadRequest, "webhook_endpoint_disabled")
}

// The round trips of each webhook route (the store's, not KMS's).
func TestWebhookDynamoDBCalls(t *testing.T) {
	id := createEndpoint(t, map[string]any{"url": "https://app.example.com/hooks"}).Str("endpoint.endpoint_id")
	org := "organization-test-" + uuid.NewString()
	cases := []struct {
		name, method, path string
		body               any
		calls              int
		ops                string
	}{
		// The endpoints counted (a project holds at most 50), then the conditional put.
		{"create endpoint", "POST", webhooksPath, map[string]any{"url": "https://app.example.com/other"}, 2, "PutItem:1,Query:1"},
		{"list endpoints", "GET", webhooksPath, nil, 1, "Query:1"},
		{"get endpoint", "GET", webhooksPath + "/" + id, nil, 1, "GetItem:1"},
		{"update endpoint", "PUT", webhooksPath + "/" + id, map[string]any{"description": "x"}, 2, "GetItem:1,UpdateItem:1"},
		{"rotate secret", "POST", webhooksPath + "/" + id + "/rotate_secret", nil, 2, "GetItem:1,UpdateItem:1"},
		{"events of an organization", "GET", "/v1/b2b/events?organization_id=" + org, nil, 1, "Query:1"},
		{"delete endpoint", "DELETE", webhooksPath + "/" + id, nil, 1, "DeleteItem:1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := env.Do(t, c.method, c.path, c.body)
			apptest.ExpectOK(t, r)
			line := logLine(t, r)
			if int(line["dynamodb_calls"].(float64)) != c.calls || line["dynamodb_ops"] != c.ops {
				t.Fatalf("want %d calls (%s), got %v (%v)", c.calls, c.ops, line["dynamodb_calls"], line["dynamodb_ops"])
			}
		})
	}
}
