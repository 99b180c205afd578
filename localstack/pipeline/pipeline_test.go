package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/uuid"
	svix "github.com/svix/svix-webhooks/go"

	"github.com/latchkey/latchkey/localstack/pipeline"
	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/app/apptest"
	webhooks "github.com/latchkey/latchkey/shared/events"
	"github.com/latchkey/latchkey/shared/webhook"
)

// env is DynamoDB Local, the SQS emulator, the webhook inbox and a built Latchkey.
var env *apptest.Env

func TestMain(m *testing.M) { apptest.Run(m, &env) }

var awsCfg = aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}

func ddb() *dynamodb.Client {
	return dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(env.Stack.DynamoDBEndpoint)
		o.DisableValidateResponseChecksum = true
	})
}

func sqsc() *sqs.Client {
	return sqs.NewFromConfig(awsCfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(env.Stack.SQSEndpoint) })
}

// streamTable creates a table of its own with a NEW_AND_OLD_IMAGES stream.
func streamTable(t *testing.T) string {
	t.Helper()
	name := "pipeline-" + uuid.NewString()[:8]
	_, err := ddb().CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
		KeySchema: []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: ddbtypes.KeyTypeRange},
		},
		BillingMode:         ddbtypes.BillingModePayPerRequest,
		StreamSpecification: &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewAndOldImages},
	})
	if err != nil {
		t.Fatal(err)
	}
	return name
}

func put(t *testing.T, table, pk string, attrs map[string]ddbtypes.AttributeValue) {
	t.Helper()
	item := map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: pk}, "sk": &ddbtypes.AttributeValueMemberS{Value: "ITEM"}}
	for k, v := range attrs {
		item[k] = v
	}
	if _, err := ddb().PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
}

func del(t *testing.T, table, pk string) {
	t.Helper()
	if _, err := ddb().DeleteItem(t.Context(), &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: map[string]ddbtypes.AttributeValue{
		"pk": &ddbtypes.AttributeValueMemberS{Value: pk}, "sk": &ddbtypes.AttributeValueMemberS{Value: "ITEM"}}}); err != nil {
		t.Fatal(err)
	}
}

// recorder is a stream handler that keeps every record it was given.
type recorder struct {
	mu      sync.Mutex
	batches [][]events.DynamoDBEventRecord
	// fail, when set, says which records of a batch to report failed (or an error).
	fail func(batch int, recs []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error)
}

func (r *recorder) handle(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	// The event survives Lambda's JSON: what the runtime would hand the function.
	raw, err := json.Marshal(ev)
	if err != nil {
		return events.DynamoDBEventResponse{}, err
	}
	var back events.DynamoDBEvent
	if err := json.Unmarshal(raw, &back); err != nil {
		return events.DynamoDBEventResponse{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, back.Records)
	if r.fail != nil {
		return r.fail(len(r.batches)-1, back.Records)
	}
	return events.DynamoDBEventResponse{}, nil
}

func (r *recorder) all() []events.DynamoDBEventRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []events.DynamoDBEventRecord
	for _, b := range r.batches {
		out = append(out, b...)
	}
	return out
}

func drain(t *testing.T, p *pipeline.Pipeline) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := p.Drain(ctx); err != nil {
		t.Fatal(err)
	}
}

func startStream(t *testing.T, table string, h pipeline.StreamHandler, latest bool, batch int) *pipeline.Pipeline {
	t.Helper()
	p, err := pipeline.Start(t.Context(), pipeline.Options{AWS: awsCfg, DynamoDBEndpoint: env.Stack.DynamoDBEndpoint, Table: table,
		Stream: h, StartAtLatest: latest, BatchSize: batch, PollInterval: 20 * time.Millisecond, RetryWait: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

func TestStreamRecordsInLambdasShape(t *testing.T) {
	table := streamTable(t)
	rec := &recorder{}
	p := startStream(t, table, rec.handle, false, 0)
	put(t, table, "A", map[string]ddbtypes.AttributeValue{
		"name":    &ddbtypes.AttributeValueMemberS{Value: "Ada"},
		"Version": &ddbtypes.AttributeValueMemberN{Value: "1"},
		"active":  &ddbtypes.AttributeValueMemberBOOL{Value: true},
		"roles":   &ddbtypes.AttributeValueMemberSS{Value: []string{"admin", "viewer"}},
		"nums":    &ddbtypes.AttributeValueMemberNS{Value: []string{"1", "2"}},
		"blob":    &ddbtypes.AttributeValueMemberB{Value: []byte{0, 1, 2}},
		"none":    &ddbtypes.AttributeValueMemberNULL{Value: true},
		"list":    &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{&ddbtypes.AttributeValueMemberS{Value: "x"}, &ddbtypes.AttributeValueMemberN{Value: "2"}}},
		"map":     &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{"k": &ddbtypes.AttributeValueMemberS{Value: "v"}}},
	})
	put(t, table, "A", map[string]ddbtypes.AttributeValue{"name": &ddbtypes.AttributeValueMemberS{Value: "Ada L."}, "Version": &ddbtypes.AttributeValueMemberN{Value: "2"}})
	del(t, table, "A")
	drain(t, p)

	got := rec.all()
	if len(got) != 3 {
		t.Fatalf("%d records: %+v", len(got), got)
	}
	desc, err := ddb().DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"INSERT", "MODIFY", "REMOVE"} {
		r := got[i]
		if r.EventName != want || r.EventID == "" || r.EventSource != "aws:dynamodb" || r.EventSourceArn != aws.ToString(desc.Table.LatestStreamArn) ||
			r.AWSRegion == "" || r.Change.SequenceNumber == "" || r.Change.StreamViewType != "NEW_AND_OLD_IMAGES" ||
			r.Change.ApproximateCreationDateTime.IsZero() || time.Since(r.Change.ApproximateCreationDateTime.Time) > time.Minute {
			t.Errorf("record %d: %+v", i, r)
		}
		if r.Change.Keys["pk"].String() != "A" || r.Change.Keys["sk"].String() != "ITEM" {
			t.Errorf("record %d keys %v", i, r.Change.Keys)
		}
	}
	ins := got[0].Change.NewImage
	v, _ := ins["Version"].Int64()
	if ins["name"].String() != "Ada" || v != 1 || !ins["active"].Boolean() || !slices.Equal(ins["roles"].StringSet(), []string{"admin", "viewer"}) ||
		len(ins["nums"].NumberSet()) != 2 || string(ins["blob"].Binary()) != "\x00\x01\x02" || !ins["none"].IsNull() ||
		ins["list"].List()[0].String() != "x" || ins["list"].List()[1].Number() != "2" || ins["map"].Map()["k"].String() != "v" {
		t.Errorf("new image %v", ins)
	}
	if got[0].Change.OldImage != nil {
		t.Errorf("an INSERT has no old image: %v", got[0].Change.OldImage)
	}
	if got[1].Change.OldImage["name"].String() != "Ada" || got[1].Change.NewImage["name"].String() != "Ada L." {
		t.Errorf("modify images %v → %v", got[1].Change.OldImage, got[1].Change.NewImage)
	}
	if got[2].Change.NewImage != nil || got[2].Change.OldImage["name"].String() != "Ada L." {
		t.Errorf("remove images %v → %v", got[2].Change.OldImage, got[2].Change.NewImage)
	}
	if !seqOrdered(got) {
		t.Error("records out of sequence order")
	}
}

func seqOrdered(recs []events.DynamoDBEventRecord) bool {
	for i := 1; i < len(recs); i++ {
		a, b := recs[i-1].Change.SequenceNumber, recs[i].Change.SequenceNumber
		if len(a) > len(b) || len(a) == len(b) && a >= b {
			return false
		}
	}
	return true
}

// A reported failure restarts the shard at the failed record (the ones before count as done);
// an error retries the whole batch. Every record ends up handled, in order, none skipped.
func TestStreamRetriesFromTheFailedRecord(t *testing.T) {
	table := streamTable(t)
	for i := range 10 {
		put(t, table, fmt.Sprintf("K%02d", i), nil)
	}
	rec := &recorder{}
	rec.fail = func(batch int, recs []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
		switch batch {
		case 0: // the first batch: K00-K03; K02 fails
			return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{
				{ItemIdentifier: recs[3].Change.SequenceNumber}, {ItemIdentifier: recs[2].Change.SequenceNumber}}}, nil
		case 1: // starts at K02; a crash
			return events.DynamoDBEventResponse{}, fmt.Errorf("crash mid-batch")
		}
		return events.DynamoDBEventResponse{}, nil
	}
	p := startStream(t, table, rec.handle, false, 4)
	drain(t, p)
	first := func(b []events.DynamoDBEventRecord) string { return b[0].Change.Keys["pk"].String() }
	rec.mu.Lock()
	batches := rec.batches
	rec.mu.Unlock()
	if len(batches) != 4 || first(batches[0]) != "K00" || first(batches[1]) != "K02" || first(batches[2]) != "K02" || first(batches[3]) != "K06" {
		var firsts []string
		for _, b := range batches {
			firsts = append(firsts, first(b)+"+"+strconv.Itoa(len(b)))
		}
		t.Fatalf("batches start at %v", firsts)
	}
	// After the failures, each record was handled successfully once, in order.
	var done []string
	for _, b := range batches[2:] {
		for _, r := range b {
			done = append(done, r.Change.Keys["pk"].String())
		}
	}
	done = append([]string{"K00", "K01"}, done...)
	want := []string{"K00", "K01", "K02", "K03", "K04", "K05", "K06", "K07", "K08", "K09"}
	if !slices.Equal(done, want) {
		t.Fatalf("handled %v", done)
	}
	if s := p.Stats(); s.StreamRetries != 2 || s.StreamRecords != 10 {
		t.Errorf("stats %+v", s)
	}
}

func TestStreamStartAtLatest(t *testing.T) {
	table := streamTable(t)
	put(t, table, "before", nil)
	rec := &recorder{}
	p := startStream(t, table, rec.handle, true, 0)
	drain(t, p)
	put(t, table, "after", nil)
	drain(t, p)
	got := rec.all()
	if len(got) != 1 || got[0].Change.Keys["pk"].String() != "after" {
		t.Fatalf("records %+v", got)
	}
	// From the start (the default), both.
	rec2 := &recorder{}
	drain(t, startStream(t, table, rec2.handle, false, 0))
	if n := len(rec2.all()); n != 2 {
		t.Fatalf("TRIM_HORIZON: %d records", n)
	}
}

func newQueue(t *testing.T, attrs map[string]string) string {
	t.Helper()
	out, err := sqsc().CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String("pipeline-" + uuid.NewString()[:8]), Attributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.QueueUrl)
}

func send(t *testing.T, queue string, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		if _, err := sqsc().SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(queue), MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
}

func startQueue(t *testing.T, queue string, h pipeline.QueueHandler) *pipeline.Pipeline {
	t.Helper()
	p, err := pipeline.Start(t.Context(), pipeline.Options{AWS: awsCfg, SQSEndpoint: env.Stack.SQSEndpoint, QueueURL: queue, Queue: h,
		PollInterval: 20 * time.Millisecond, RetryWait: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

func TestQueueDeletesAllButTheFailed(t *testing.T) {
	queue := newQueue(t, map[string]string{"VisibilityTimeout": "30"})
	var mu sync.Mutex
	seen := map[string][]string{} // body -> receive counts
	var arns []string
	h := func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		mu.Lock()
		defer mu.Unlock()
		var resp events.SQSEventResponse
		for _, m := range ev.Records {
			seen[m.Body] = append(seen[m.Body], m.Attributes["ApproximateReceiveCount"])
			arns = append(arns, m.EventSourceARN)
			if m.EventSource != "aws:sqs" || m.AWSRegion != "us-east-1" || m.Md5OfBody == "" || m.ReceiptHandle == "" {
				return resp, fmt.Errorf("record %+v", m)
			}
			// "fail" fails its first two receives; "crash" makes the batch's first receive an error.
			if m.Body == "fail" && len(seen[m.Body]) <= 2 {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			}
		}
		return resp, nil
	}
	p := startQueue(t, queue, h)
	send(t, queue, "a", "b", "fail", "c")
	drain(t, p) // "fail" is in flight: idle all the same
	mu.Lock()
	if len(seen) != 4 || len(seen["fail"]) != 1 {
		t.Fatalf("seen %v", seen)
	}
	mu.Unlock()
	for range 2 {
		env.Stack.SQS.Advance(31 * time.Second) // past the visibility timeout: it comes back
		time.Sleep(50 * time.Millisecond)
		drain(t, p)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, b := range []string{"a", "b", "c"} {
		if !slices.Equal(seen[b], []string{"1"}) {
			t.Errorf("%s received %v", b, seen[b])
		}
	}
	if !slices.Equal(seen["fail"], []string{"1", "2", "3"}) {
		t.Errorf("fail received %v", seen["fail"])
	}
	attrs, err := sqsc().GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queue), AttributeNames: []sqstypes.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Attributes["ApproximateNumberOfMessages"] != "0" || attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Errorf("queue not empty: %v", attrs.Attributes)
	}
	if arns[0] != attrs.Attributes["QueueArn"] {
		t.Errorf("eventSourceARN %q, queue %q", arns[0], attrs.Attributes["QueueArn"])
	}
}

// The delivery through the pipeline: an endpoint down for a while, then back, receives every
// event exactly once by id, signed so Svix's library verifies it; the retries follow the
// backoff (the SQS emulator's clock is moved on rather than slept).
func TestDeliveriesThroughThePipelineSurviveAnOutage(t *testing.T) {
	ctx := t.Context()
	inbox := env.Stack.WebhookInbox
	inbox.Clear()
	dlq := newQueue(t, nil)
	dlqARN, err := sqsc().GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(dlq), AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	queue := newQueue(t, map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN.Attributes["QueueArn"] + `","maxReceiveCount":"8"}`})
	secret, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	ep := webhooks.Endpoint{EndpointID: "webhook-endpoint-test-" + uuid.NewString(), URL: env.Stack.WebhookInboxEndpoint + "/hooks",
		Secrets: []string{secret}, CreatedAt: now, UpdatedAt: now}
	if err := env.App.Store.CreateWebhookEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	cfg := env.Config
	cfg.SQSEndpoint, cfg.WebhookQueueURL = env.Stack.SQSEndpoint, queue
	handler, err := app.BuildDeliveryHandler(ctx, cfg, &apptest.SyncBuffer{})
	if err != nil {
		t.Fatal(err)
	}
	p := startQueue(t, queue, handler)

	// The endpoint is down for its first three answers.
	inbox.SetFault(503, 0, 3)
	const n = 25
	ids := map[string]bool{}
	for i := range n {
		id := "webhook-event-test-" + uuid.NewString()
		ids[id] = true
		body, _ := json.Marshal(webhooks.Event{EventID: id, ProjectID: env.ProjectID, Action: webhooks.ActionUpdate, ObjectType: webhooks.ObjectMember,
			Source: webhooks.SourceDirect, ID: "member-test-" + strconv.Itoa(i), Vertical: "B2B", Timestamp: now.Format(time.RFC3339Nano), Object: json.RawMessage(`{}`)})
		msg, _ := json.Marshal(webhooks.Message{EndpointID: ep.EndpointID, EventID: id, Event: body})
		send(t, queue, string(msg))
	}
	drain(t, p)
	// A copy of one message (a retried stream batch queues again): the marker dedupes it.
	for _, qs := range env.Stack.SQS.Queues() {
		if qs.URL == queue && len(qs.Messages) > 0 {
			send(t, queue, qs.Messages[0].Body)
		}
	}
	drain(t, p)
	// Then it is down for 20 minutes: the retries at 5 s and 5 min fail, the one at 30 min works.
	inbox.SetClock(func() time.Time { return env.Stack.SQS.Now() })
	defer inbox.SetClock(nil)
	inbox.SetFault(503, 20*time.Minute, 0)
	for _, step := range []time.Duration{6 * time.Second, 5*time.Minute + time.Second, 30*time.Minute + time.Second} {
		env.Stack.SQS.Advance(step)
		time.Sleep(50 * time.Millisecond)
		drain(t, p)
	}
	accepted := inbox.Accepted()
	got := map[string]int{}
	for _, d := range accepted {
		got[d.Headers.Get("svix-id")]++
		wh, _ := svix.NewWebhook(secret)
		// Verify ignoring the timestamp: the emulator's clock was moved on, the signer's not.
		if err := wh.VerifyIgnoringTimestamp([]byte(d.Body), d.Headers); err != nil {
			t.Errorf("delivery %s does not verify: %v", d.Headers.Get("svix-id"), err)
		}
	}
	for id := range ids {
		if got[id] != 1 {
			t.Errorf("event %s received %d times", id, got[id])
		}
	}
	if len(accepted) != n {
		t.Errorf("%d accepted deliveries, want %d", len(accepted), n)
	}
	refused := len(inbox.Deliveries()) - len(accepted)
	if refused < 4 {
		t.Errorf("only %d refused attempts: the outage did not bite", refused)
	}
	for _, qs := range env.Stack.SQS.Queues() {
		if (qs.URL == queue || qs.URL == dlq) && len(qs.Messages) != 0 {
			t.Errorf("queue %s still holds %d messages", qs.Name, len(qs.Messages))
		}
	}
}

// A burst of 1,000 deliveries all arrive, once each; the rate is logged (events per second
// through the local queue, the delivery handler, DynamoDB Local and the inbox).
func TestDeliveriesBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("a thousand deliveries")
	}
	ctx := t.Context()
	inbox := env.Stack.WebhookInbox
	inbox.Clear()
	queue := newQueue(t, nil)
	secret, _ := webhook.NewSecret()
	now := time.Now().UTC()
	ep := webhooks.Endpoint{EndpointID: "webhook-endpoint-test-" + uuid.NewString(), URL: env.Stack.WebhookInboxEndpoint + "/burst",
		Secrets: []string{secret}, CreatedAt: now, UpdatedAt: now}
	if err := env.App.Store.CreateWebhookEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	cfg := env.Config
	cfg.SQSEndpoint, cfg.WebhookQueueURL = env.Stack.SQSEndpoint, queue
	handler, err := app.BuildDeliveryHandler(ctx, cfg, &apptest.SyncBuffer{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	c := sqsc()
	for i := 0; i < n; i += 10 {
		var entries []sqstypes.SendMessageBatchRequestEntry
		for j := i; j < i+10; j++ {
			id := fmt.Sprintf("webhook-event-test-%08d-%s", j, uuid.NewString()[:8])
			body, _ := json.Marshal(webhooks.Event{EventID: id, Action: webhooks.ActionCreate, ObjectType: webhooks.ObjectOrganization,
				Source: webhooks.SourceDirect, ID: "organization-test-" + strconv.Itoa(j), Object: json.RawMessage(`{}`)})
			msg, _ := json.Marshal(webhooks.Message{EndpointID: ep.EndpointID, EventID: id, Event: body})
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(string(msg))})
		}
		if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(queue), Entries: entries}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	p := startQueue(t, queue, handler)
	drain(t, p)
	elapsed := time.Since(start)
	got := map[string]int{}
	for _, d := range inbox.Accepted() {
		got[d.Headers.Get("svix-id")]++
	}
	if len(got) != n {
		t.Fatalf("%d distinct events arrived, want %d", len(got), n)
	}
	for id, k := range got {
		if k != 1 {
			t.Errorf("%s arrived %d times", id, k)
		}
	}
	t.Logf("%d deliveries in %s: %.0f events/s through the local queue", n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
}
