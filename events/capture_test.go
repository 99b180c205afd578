package events_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/uuid"

	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/app/apptest"
	webhooks "github.com/latchkey/latchkey/shared/events"
)

// TestCaptureInProcess replays the events function's stream event through its Lambda
// handler, built as its main.go builds it: the member INSERT becomes one direct.member.create
// event in the organization's audit trail and one message for the endpoint that wants it.
func TestCaptureInProcess(t *testing.T) {
	ctx := t.Context()
	f := loadEvents(t)["events/member_insert"]
	var ev events.DynamoDBEvent
	dec := json.NewDecoder(bytes.NewReader(f.Raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil || len(ev.Records) != 1 {
		t.Fatalf("not a DynamoDBEvent with one record: %v", err)
	}
	rec := ev.Records[0]
	orgID := strings.TrimPrefix(rec.Change.Keys["pk"].String(), "ORG#")
	memberID := strings.TrimPrefix(rec.Change.Keys["sk"].String(), "MEMBER#")

	q := app.NewSQSClient(aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}}, env.Stack.SQSEndpoint)
	created, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("latchkey-capture-" + uuid.NewString()[:8])})
	if err != nil {
		t.Fatal(err)
	}
	now := env.Clock.Now()
	ep := webhooks.Endpoint{EndpointID: "webhook-endpoint-test-" + uuid.NewString(), URL: "https://app.example.com/hooks",
		OrganizationIDs: []string{orgID}, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, CreatedAt: now, UpdatedAt: now}
	if err := env.App.Store.CreateWebhookEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.App.Store.DeleteWebhookEndpoint(ctx, ep.EndpointID) })

	cfg := env.Config
	cfg.SQSEndpoint, cfg.WebhookQueueURL = env.Stack.SQSEndpoint, aws.ToString(created.QueueUrl)
	logs := &apptest.SyncBuffer{}
	handler, err := app.BuildEventsHandler(ctx, cfg, logs)
	if err != nil {
		t.Fatal(err)
	}
	out, err := lambda.NewHandler(handler).Invoke(ctx, f.Raw)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var resp events.DynamoDBEventResponse
	if err := json.Unmarshal(out, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("output %s: %v\n%s", out, err, logs.String())
	}

	at := rec.Change.ApproximateCreationDateTime.Time
	page, err := env.App.Store.QueryEvents(ctx, orgID, at.Add(-time.Hour), at.Add(time.Hour), 10, "")
	if err != nil || len(page.Events) != 1 {
		t.Fatalf("audit trail: %v %d events", err, len(page.Events))
	}
	var e webhooks.Event
	if err := json.Unmarshal(page.Events[0], &e); err != nil {
		t.Fatal(err)
	}
	if e.Type() != "direct.member.create" || e.ID != memberID || e.EventID != webhooks.EventID(env.ProjectID, rec.EventID) ||
		e.Timestamp != "2026-03-05T15:00:00.123456Z" || e.ObjectVersion != 1 {
		t.Fatalf("event %s", page.Events[0])
	}
	var member map[string]any
	if err := json.Unmarshal(e.Object, &member); err != nil || member["email_address"] != "ada@acme.com" || member["roles"] == nil {
		t.Fatalf("member %s: %v", e.Object, err)
	}
	msgs, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: created.QueueUrl, MaxNumberOfMessages: 10})
	if err != nil || len(msgs.Messages) != 1 {
		t.Fatalf("queue: %v %+v", err, msgs)
	}
	var m webhooks.Message
	if err := json.Unmarshal([]byte(aws.ToString(msgs.Messages[0].Body)), &m); err != nil || m.EndpointID != ep.EndpointID ||
		m.EventID != e.EventID || string(m.Event) != string(page.Events[0]) {
		t.Fatalf("message %s: %v", aws.ToString(msgs.Messages[0].Body), err)
	}
	if !strings.Contains(logs.String(), `"msg":"webhook capture"`) || strings.Contains(logs.String(), "ada@acme.com") {
		t.Fatalf("log %s", logs.String())
	}
}
