package events_test

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/uuid"
	svix "github.com/svix/svix-webhooks/go"

	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/app/apptest"
	webhooks "github.com/latchkey/latchkey/shared/events"
	"github.com/latchkey/latchkey/shared/webhook"
)

// sqsRecordFields is every field of a record of Lambda's SQS event.
var sqsRecordFields = []string{"attributes", "awsRegion", "body", "eventSource", "eventSourceARN", "md5OfBody",
	"messageAttributes", "messageId", "receiptHandle"}

var sqsARNPattern = regexp.MustCompile(`^arn:aws:sqs:([a-z0-9-]+):([0-9]{12}):[A-Za-z0-9_-]{1,80}$`)

// deliveryPlaceholders are the values a run gives the deliveries function's events.
var deliveryPlaceholders = []string{"project_id", "webhook_endpoint_id", "event_id"}

func TestSQSEventsAreSQS(t *testing.T) {
	files := loadEvents(t)
	seen := 0
	for _, key := range slices.Sorted(maps.Keys(files)) {
		f := files[key]
		if f.Function != "deliveries" {
			continue
		}
		seen++
		t.Run(key, func(t *testing.T) {
			var ev events.SQSEvent
			dec := json.NewDecoder(bytes.NewReader(f.Raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&ev); err != nil {
				t.Fatalf("not an SQSEvent: %v", err)
			}
			if len(ev.Records) == 0 || len(ev.Records) > 10 {
				t.Fatalf("%d records: the event source mapping sends 1 to 10", len(ev.Records))
			}
			var raw struct{ Records []map[string]json.RawMessage }
			if err := json.Unmarshal(f.Raw, &raw); err != nil {
				t.Fatal(err)
			}
			for i, rec := range ev.Records {
				if got := slices.Sorted(maps.Keys(raw.Records[i])); !slices.Equal(got, sqsRecordFields) {
					t.Errorf("record %d fields %v, want %v", i, got, sqsRecordFields)
				}
				if _, err := uuid.Parse(rec.MessageId); err != nil || rec.ReceiptHandle == "" {
					t.Errorf("messageId %q / receiptHandle %q", rec.MessageId, rec.ReceiptHandle)
				}
				m := sqsARNPattern.FindStringSubmatch(rec.EventSourceARN)
				if rec.EventSource != "aws:sqs" || m == nil || m[1] != rec.AWSRegion {
					t.Errorf("eventSource %q, ARN %q, region %q", rec.EventSource, rec.EventSourceARN, rec.AWSRegion)
				}
				if rec.Attributes["ApproximateReceiveCount"] == "" || rec.Attributes["SentTimestamp"] == "" {
					t.Errorf("attributes %v: the delivery reads ApproximateReceiveCount", rec.Attributes)
				}
				for _, p := range placeholderPattern.FindAllStringSubmatch(rec.Body, -1) {
					if !slices.Contains(deliveryPlaceholders, p[1]) {
						t.Errorf("unknown placeholder {{%s}}", p[1])
					}
				}
				var msg webhooks.Message
				if err := json.Unmarshal([]byte(rec.Body), &msg); err != nil || msg.EndpointID == "" || msg.EventID == "" {
					t.Errorf("body is not an events.Message: %v", err)
				}
				var e webhooks.Event
				if err := json.Unmarshal(msg.Event, &e); err != nil || e.EventID != msg.EventID || len(e.Object) == 0 {
					t.Errorf("the message's event: %v %+v", err, e)
				}
			}
		})
	}
	if seen == 0 {
		t.Error("no events under events/deliveries/")
	}
}

// capturingReceiver is an application's webhook endpoint: it records each delivery and
// answers status.
type capturingReceiver struct {
	srv    *httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	got    []http.Header
	bodies [][]byte
}

func newCapturingReceiver(t *testing.T) *capturingReceiver {
	c := &capturingReceiver{}
	c.status.Store(http.StatusOK)
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.got, c.bodies = append(c.got, r.Header.Clone()), append(c.bodies, b)
		c.mu.Unlock()
		w.WriteHeader(int(c.status.Load()))
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *capturingReceiver) count() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.got) }

// TestDeliveriesInProcess replays the deliveries function's event through its Lambda
// handler, built as its main.go builds it, against DynamoDB Local, the KMS and SQS emulators
// and a receiver on loopback.
func TestDeliveriesInProcess(t *testing.T) {
	ctx := t.Context()
	f := loadEvents(t)["deliveries/delivery"]
	rcv := newCapturingReceiver(t)
	secret, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	now := env.Clock.Now()
	ep := webhooks.Endpoint{EndpointID: "webhook-endpoint-test-" + uuid.NewString(), URL: rcv.srv.URL + "/webhooks",
		Secrets: []string{secret}, CreatedAt: now, UpdatedAt: now}
	if err := env.App.Store.CreateWebhookEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}

	q := app.NewSQSClient(aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}}, env.Stack.SQSEndpoint)
	created, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("latchkey-webhooks-" + uuid.NewString()[:8])})
	if err != nil {
		t.Fatal(err)
	}
	cfg := env.Config
	cfg.SQSEndpoint, cfg.WebhookQueueURL = env.Stack.SQSEndpoint, aws.ToString(created.QueueUrl)
	logs := &apptest.SyncBuffer{}
	handler, err := app.BuildDeliveryHandler(ctx, cfg, logs)
	if err != nil {
		t.Fatal(err)
	}
	h := lambda.NewHandler(handler)

	// render fills the placeholders and puts in the receipt handle of a message really in the
	// queue, so a retry's ChangeMessageVisibility acts on it.
	render := func(t *testing.T, eventID string) ([]byte, events.SQSEvent) {
		t.Helper()
		vars := map[string]string{"project_id": env.ProjectID, "webhook_endpoint_id": ep.EndpointID, "event_id": eventID}
		raw := placeholderPattern.ReplaceAllStringFunc(string(f.Raw), func(m string) string {
			return vars[placeholderPattern.FindStringSubmatch(m)[1]]
		})
		var ev events.SQSEvent
		if err := json.Unmarshal([]byte(raw), &ev); err != nil {
			t.Fatal(err)
		}
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: created.QueueUrl, MessageBody: aws.String(ev.Records[0].Body)}); err != nil {
			t.Fatal(err)
		}
		got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: created.QueueUrl, MaxNumberOfMessages: 1,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
		if err != nil || len(got.Messages) != 1 {
			t.Fatalf("receive: %v %v", err, got)
		}
		raw = strings.Replace(raw, ev.Records[0].ReceiptHandle, aws.ToString(got.Messages[0].ReceiptHandle), 1)
		raw = strings.Replace(raw, ev.Records[0].MessageId, aws.ToString(got.Messages[0].MessageId), 1)
		if err := json.Unmarshal([]byte(raw), &ev); err != nil {
			t.Fatal(err)
		}
		return []byte(raw), ev
	}
	invoke := func(t *testing.T, payload []byte) events.SQSEventResponse {
		t.Helper()
		out, err := h.Invoke(ctx, payload)
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		var resp events.SQSEventResponse
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&resp); err != nil {
			t.Fatalf("output %s: %v", out, err)
		}
		return resp
	}

	eventID := "webhook-event-test-" + uuid.NewString()
	payload, ev := render(t, eventID)
	if resp := invoke(t, payload); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("delivered, yet failures %+v", resp.BatchItemFailures)
	}
	if rcv.count() != 1 {
		t.Fatalf("%d deliveries", rcv.count())
	}
	var msg webhooks.Message
	_ = json.Unmarshal([]byte(ev.Records[0].Body), &msg)
	wh, err := svix.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(rcv.bodies[0], rcv.got[0]); err != nil {
		t.Fatalf("Svix's library refuses the delivery: %v", err)
	}
	if string(rcv.bodies[0]) != string(msg.Event) || rcv.got[0].Get("svix-id") != eventID {
		t.Fatalf("delivered %s with svix-id %q", rcv.bodies[0], rcv.got[0].Get("svix-id"))
	}
	if done, err := env.App.Store.Delivered(ctx, ep.EndpointID, eventID); err != nil || !done {
		t.Fatalf("marker: %v %v", done, err)
	}

	// The same message again (SQS delivers at least once): the marker stops a second POST.
	if resp := invoke(t, payload); len(resp.BatchItemFailures) != 0 || rcv.count() != 1 {
		t.Fatalf("second copy: failures %+v, %d deliveries", resp.BatchItemFailures, rcv.count())
	}

	// The receiver is down: the message is reported failed and comes back after 5 s.
	rcv.status.Store(http.StatusServiceUnavailable)
	payload, ev = render(t, "webhook-event-test-"+uuid.NewString())
	resp := invoke(t, payload)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != ev.Records[0].MessageId {
		t.Fatalf("failures %+v, want %s", resp.BatchItemFailures, ev.Records[0].MessageId)
	}
	sqsNow := env.Stack.SQS.Now()
	var visibleAt time.Time
	for _, qs := range env.Stack.SQS.Queues() {
		for _, m := range qs.Messages {
			if m.MessageID == ev.Records[0].MessageId {
				visibleAt = m.VisibleAt
			}
		}
	}
	if d := visibleAt.Sub(sqsNow); d < 3*time.Second || d > 6*time.Second {
		t.Fatalf("the failed message is visible again in %s, want 5s (the first retry)", d)
	}

	// One JSON line per delivery, without the body or the secret.
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 3 {
		t.Fatalf("%d log lines: %s", len(lines), logs.String())
	}
	for i, want := range []string{webhooks.ReasonDelivered, webhooks.ReasonAlreadyDelivered, webhooks.ReasonHTTPStatus} {
		l := lines[i]
		if l["reason"] != want || l["endpoint_id"] != ep.EndpointID || l["event_type"] != "scim.member.update" || l["attempt"] != float64(1) {
			t.Errorf("line %d: %v", i, l)
		}
		for _, k := range []string{"event_id", "status", "latency_ms"} {
			if _, ok := l[k]; !ok {
				t.Errorf("line %d lacks %s: %v", i, k, l)
			}
		}
	}
	if lines[2]["status"] != float64(503) || lines[2]["retry_after_s"] != float64(5) {
		t.Errorf("retry line %v", lines[2])
	}
	if s := logs.String(); strings.Contains(s, "ada@acme.com") || strings.Contains(s, "whsec_") || strings.Contains(s, secret[6:]) {
		t.Errorf("the log holds the body or the secret: %s", s)
	}
}
