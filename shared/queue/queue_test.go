package queue_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/latchkey/latchkey/localstack/emulators"
	"github.com/latchkey/latchkey/shared/events"
	"github.com/latchkey/latchkey/shared/queue"
)

func setup(t *testing.T) (*queue.SQS, *sqs.Client, string) {
	t.Helper()
	srv := httptest.NewServer(emulators.NewSQS(nil))
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local", "")}
	q := queue.New(cfg, srv.URL, "")
	c := q.Client.(*sqs.Client)
	out, err := c.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String("webhooks")})
	if err != nil {
		t.Fatal(err)
	}
	q.URL = aws.ToString(out.QueueUrl)
	return q, c, q.URL
}

func receiveAll(t *testing.T, c *sqs.Client, url string) []events.Message {
	t.Helper()
	var got []events.Message
	// One empty answer does not mean an empty queue (SQS samples its servers, and a receive
	// may come back short): the queue is drained when two long polls in a row find nothing.
	for empty := 0; empty < 2; {
		out, err := c.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		empty = 0
		for _, m := range out.Messages {
			var msg events.Message
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &msg); err != nil {
				t.Fatalf("body %q: %v", aws.ToString(m.Body), err)
			}
			got = append(got, msg)
		}
	}
	return got
}

// TestSendBatches sends more than a batch holds, and events big enough that ten would pass
// the batch's byte limit: every message arrives once, as events.Message JSON.
func TestSendBatches(t *testing.T) {
	q, c, url := setup(t)
	var msgs []events.Message
	for i := range 23 {
		ev := fmt.Sprintf(`{"event_id":"webhook-event-test-%d","pad":"%s"}`, i, strings.Repeat("x", 60_000*(i%2)))
		msgs = append(msgs, events.Message{EndpointID: "webhook-endpoint-test-a", EventID: fmt.Sprint("webhook-event-test-", i), Event: json.RawMessage(ev)})
	}
	if err := q.Send(t.Context(), msgs); err != nil {
		t.Fatal(err)
	}
	got := receiveAll(t, c, url)
	if len(got) != len(msgs) {
		t.Fatalf("received %d of %d", len(got), len(msgs))
	}
	seen := map[string]bool{}
	for _, m := range got {
		if seen[m.EventID] || m.EndpointID != "webhook-endpoint-test-a" || !json.Valid(m.Event) {
			t.Fatalf("message %+v (seen %v)", m.EventID, seen[m.EventID])
		}
		seen[m.EventID] = true
	}
}

// TestSendReportsRefusedEntries: an entry SQS refuses (its body has a character SQS does
// not allow) fails alone; the others of its batch are queued, and the error counts it.
func TestSendReportsRefusedEntries(t *testing.T) {
	q, c, url := setup(t)
	msgs := []events.Message{
		{EndpointID: "webhook-endpoint-test-a", EventID: "ok-1", Event: json.RawMessage(`{}`)},
		// encoding/json escapes control characters; a raw message is written as it is.
		{EndpointID: "webhook-endpoint-test-a", EventID: "bad\uFFFE", Event: json.RawMessage(`{}`)},
		{EndpointID: "webhook-endpoint-test-a", EventID: "ok-2", Event: json.RawMessage(`{}`)},
	}
	err := q.Send(t.Context(), msgs)
	if err == nil || !strings.Contains(err.Error(), "1 of 3 messages not sent") {
		t.Fatalf("Send: %v", err)
	}
	if got := receiveAll(t, c, url); len(got) != 2 {
		t.Fatalf("received %d, want the 2 valid ones", len(got))
	}
}
