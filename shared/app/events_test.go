package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/uuid"

	"github.com/latchkey/latchkey/localstack/pipeline"
	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/app/apptest"
	webhooks "github.com/latchkey/latchkey/shared/events"
	"github.com/latchkey/latchkey/shared/queue"
)

var localAWS = aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local", "")}

// streamRecords reads every record the table's stream holds (DynamoDB Local keeps them
// all), in Lambda's event shape, keeping those keep says to.
func streamRecords(t *testing.T, keep func(pk string) bool) []events.DynamoDBEventRecord {
	t.Helper()
	ctx := t.Context()
	db := dynamodb.NewFromConfig(env.App.AWS, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(env.Stack.DynamoDBEndpoint) })
	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(env.Config.Table)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(desc.Table.LatestStreamArn)
	if arn == "" {
		t.Fatal("the table has no stream: store.CreateTable must enable it")
	}
	sc := dynamodbstreams.NewFromConfig(env.App.AWS, func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(env.Stack.DynamoDBEndpoint) })
	stream, err := sc.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	var out []events.DynamoDBEventRecord
	for _, sh := range stream.StreamDescription.Shards {
		it, err := sc.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: sh.ShardId,
			ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		for empty := 0; iter != nil && empty < 2; {
			got, err := sc.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Records) == 0 {
				empty++
			}
			for _, r := range got.Records {
				if pk, ok := r.Dynamodb.Keys["pk"].(*streamtypes.AttributeValueMemberS); ok && keep(pk.Value) {
					out = append(out, lambdaRecord(r, arn))
				}
			}
			iter = got.NextShardIterator
		}
	}
	return out
}

func lambdaRecord(r streamtypes.Record, arn string) events.DynamoDBEventRecord {
	rec := events.DynamoDBEventRecord{AWSRegion: "us-east-1", EventID: aws.ToString(r.EventID), EventName: string(r.EventName),
		EventSource: "aws:dynamodb", EventVersion: "1.1", EventSourceArn: arn,
		Change: events.DynamoDBStreamRecord{Keys: pipeline.ConvertImage(r.Dynamodb.Keys), NewImage: pipeline.ConvertImage(r.Dynamodb.NewImage),
			OldImage: pipeline.ConvertImage(r.Dynamodb.OldImage), SequenceNumber: aws.ToString(r.Dynamodb.SequenceNumber),
			StreamViewType: string(r.Dynamodb.StreamViewType)}}
	if r.Dynamodb.ApproximateCreationDateTime != nil {
		rec.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *r.Dynamodb.ApproximateCreationDateTime}
	}
	if r.UserIdentity != nil {
		rec.UserIdentity = &events.DynamoDBUserIdentity{Type: aws.ToString(r.UserIdentity.Type), PrincipalID: aws.ToString(r.UserIdentity.PrincipalId)}
	}
	return rec
}

// TestCaptureFromTheStream makes changes over HTTP, reads them from DynamoDB Local's stream,
// and runs the capture handler on them as Lambda would: each change is one event, kept in the
// audit trail, queued for the endpoint that wants it, shaped as the API shows the object;
// SCIM's changes say so; the same records again make no new event but are queued again.
func TestCaptureFromTheStream(t *testing.T) {
	ctx := t.Context()
	org := env.Do(t, "POST", "/v1/b2b/organizations", map[string]any{"organization_name": "Capture " + uuid.NewString()[:8],
		"organization_slug": "capture-" + uuid.NewString()[:8]})
	apptest.ExpectOK(t, org)
	orgID := org.Str("organization.organization_id")
	ada := env.Do(t, "POST", "/v1/b2b/organizations/"+orgID+"/members", map[string]any{"email_address": "ada@capture.example", "name": "Ada"})
	apptest.ExpectOK(t, ada)
	adaID := ada.Str("member.member_id")
	bob := env.Do(t, "POST", "/v1/b2b/organizations/"+orgID+"/members", map[string]any{"email_address": "bob@capture.example"})
	apptest.ExpectOK(t, bob)
	bobID := bob.Str("member.member_id")
	apptest.ExpectOK(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+orgID+"/members/"+adaID, map[string]any{"name": "Ada Lovelace"}))
	apptest.ExpectOK(t, env.Do(t, "DELETE", "/v1/b2b/organizations/"+orgID+"/members/"+bobID, nil))

	// An identity provider provisions a member through SCIM.
	conn := env.Do(t, "POST", "/v1/b2b/scim/"+orgID+"/connection", map[string]any{"display_name": "Okta", "identity_provider": "okta"})
	apptest.ExpectOK(t, conn)
	base, _ := url.Parse(conn.Str("connection.base_url"))
	status, _, raw := env.Send(t, "POST", base.Path+"/Users", map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": "cy@capture.example", "active": true,
		"emails": []any{map[string]any{"primary": true, "value": "cy@capture.example"}},
	}, http.Header{"Content-Type": {"application/scim+json"}, "Authorization": {"Bearer " + conn.Str("connection.bearer_token")}})
	if status != http.StatusCreated {
		t.Fatalf("SCIM create user: %d %s", status, raw)
	}
	for _, r := range [][]byte{org.Raw, ada.Raw, conn.Raw, raw} {
		if bytes.Contains(r, []byte("chg_src")) {
			t.Fatalf("the API shows the item's change source: %s", r)
		}
	}

	// The endpoint wants this organization's member events.
	now := time.Now().UTC()
	ep := webhooks.Endpoint{EndpointID: "webhook-endpoint-test-" + uuid.NewString(), URL: "https://app.example.com/hooks",
		EventTypes: []string{"*.member.*"}, OrganizationIDs: []string{orgID}, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		CreatedAt: now, UpdatedAt: now}
	if err := env.App.Store.CreateWebhookEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.App.Store.DeleteWebhookEndpoint(context.Background(), ep.EndpointID) })

	sqsClient := sqs.NewFromConfig(localAWS, func(o *sqs.Options) { o.BaseEndpoint = aws.String(env.Stack.SQSEndpoint) })
	q, err := sqsClient.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("capture-" + uuid.NewString()[:8])})
	if err != nil {
		t.Fatal(err)
	}
	capture := app.NewCapture(env.App)
	capture.Queue = queue.New(localAWS, env.Stack.SQSEndpoint, aws.ToString(q.QueueUrl))
	var logs bytes.Buffer
	handler := app.CaptureHandler(capture, env.App.Store, slog.New(slog.NewJSONHandler(&logs, nil)))

	recs := streamRecords(t, func(pk string) bool { return pk == "ORG#"+orgID })
	if len(recs) < 6 {
		t.Fatalf("%d stream records for the organization", len(recs))
	}
	resp, err := handler(ctx, events.DynamoDBEvent{Records: recs})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("handler: %v %+v\n%s", err, resp, logs.String())
	}

	// The audit trail: one event per change, in Stytch's shape.
	page, err := env.App.Store.QueryEvents(ctx, orgID, now.Add(-time.Hour), now.Add(time.Hour), 100, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	byType := map[string][]webhooks.Event{}
	for _, raw := range page.Events {
		var e webhooks.Event
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		if e.ProjectID != env.ProjectID || e.OrganizationID != orgID || !strings.HasPrefix(e.EventID, "webhook-event-test-") || e.Vertical != "B2B" {
			t.Fatalf("event %s", raw)
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000000Z", e.Timestamp); err != nil {
			t.Fatalf("timestamp %q", e.Timestamp)
		}
		for _, secret := range []string{"chg_src", "TokenHash", "token_hash", conn.Str("connection.bearer_token")} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Fatalf("event holds %q: %s", secret, raw)
			}
		}
		got = append(got, e.Type()+" "+e.ID)
		byType[e.Type()] = append(byType[e.Type()], e)
	}
	sort.Strings(got)
	want := []string{
		"direct.member.create " + adaID, "direct.member.create " + bobID, "direct.member.delete " + bobID,
		"direct.member.update " + adaID, "direct.organization.create " + orgID,
		"direct.scim_connection.create " + conn.Str("connection.connection_id"),
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("no %s event; got %v", w, got)
		}
	}
	if len(byType["scim.member.create"]) != 1 {
		t.Errorf("SCIM's member creation is not one scim.member.create: %v", got)
	}

	// The object is the API's: the member created is the member the API answered.
	var created webhooks.Event
	for _, e := range byType["direct.member.create"] {
		if e.ID == adaID {
			created = e
		}
	}
	var fromAPI, fromEvent any
	_ = json.Unmarshal(mustJSON(t, ada.Body["member"]), &fromAPI)
	_ = json.Unmarshal(created.Object, &fromEvent)
	if !reflect.DeepEqual(fromAPI, fromEvent) {
		t.Errorf("event member\n%s\nAPI member\n%s", created.Object, mustJSON(t, ada.Body["member"]))
	}
	if created.ObjectVersion != 1 {
		t.Errorf("object_version %d", created.ObjectVersion)
	}
	if d := byType["direct.member.delete"]; len(d) != 1 || len(d[0].Object) != 0 || d[0].ObjectVersion <= 1 {
		t.Errorf("delete event %+v", d)
	}

	// The queue: one message per member event, for the endpoint, the audit trail's body.
	memberEvents := 0
	bodies := map[string]string{}
	for _, raw := range page.Events {
		var e webhooks.Event
		_ = json.Unmarshal(raw, &e)
		if e.ObjectType == webhooks.ObjectMember {
			memberEvents++
			bodies[e.EventID] = string(raw)
		}
	}
	msgs := receiveMessages(t, sqsClient, aws.ToString(q.QueueUrl), ep.EndpointID)
	if len(msgs) != memberEvents {
		t.Fatalf("%d messages for %d member events", len(msgs), memberEvents)
	}
	for _, m := range msgs {
		if bodies[m.EventID] != string(m.Event) {
			t.Fatalf("message %s: %s\nwant %s", m.EventID, m.Event, bodies[m.EventID])
		}
	}

	// Lambda retries the batch: nothing new is stored, and every delivery is queued again
	// (the delivery's marker keeps the receiver from a second copy).
	logs.Reset()
	if resp, err := handler(ctx, events.DynamoDBEvent{Records: recs}); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("again: %v %+v", err, resp)
	}
	again, _ := env.App.Store.QueryEvents(ctx, orgID, now.Add(-time.Hour), now.Add(time.Hour), 100, "")
	if len(again.Events) != len(page.Events) {
		t.Fatalf("%d events after the retry, %d before", len(again.Events), len(page.Events))
	}
	if n := len(receiveMessages(t, sqsClient, aws.ToString(q.QueueUrl), ep.EndpointID)); n != memberEvents {
		t.Fatalf("the retry queued %d, want %d", n, memberEvents)
	}
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	if line["new_events"] != float64(0) || line["events"] != float64(len(page.Events)) || line["queued"] != float64(memberEvents) ||
		line["records"] != float64(len(recs)) || line["dynamodb_calls"] == float64(0) {
		t.Fatalf("log line %v", line)
	}
	if strings.Contains(logs.String(), "ada@capture.example") {
		t.Fatalf("the log holds a body: %s", logs.String())
	}
}

// A failure reports the first record not done, so Lambda retries from there.
func TestCaptureReportsTheFailedRecord(t *testing.T) {
	ctx := t.Context()
	org := env.Do(t, "POST", "/v1/b2b/organizations", map[string]any{"organization_name": "Capture fail", "organization_slug": "capture-" + uuid.NewString()[:8]})
	apptest.ExpectOK(t, org)
	orgID := org.Str("organization.organization_id")
	recs := streamRecords(t, func(pk string) bool { return pk == "ORG#"+orgID })
	if len(recs) == 0 {
		t.Fatal("no stream record")
	}
	capture := app.NewCapture(env.App)
	// A queue that does not exist: the organization's event is stored, then its delivery
	// cannot be queued.
	ep := webhooks.Endpoint{EndpointID: "webhook-endpoint-test-" + uuid.NewString(), URL: "https://app.example.com/hooks",
		OrganizationIDs: []string{orgID}, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}
	if err := env.App.Store.CreateWebhookEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.App.Store.DeleteWebhookEndpoint(context.Background(), ep.EndpointID) })
	capture.Queue = &queue.SQS{Client: queue.New(localAWS, env.Stack.SQSEndpoint, "").Client, URL: env.Stack.SQSEndpoint + "/000000000000/missing", Attempts: 1}
	var logs bytes.Buffer
	resp, err := app.CaptureHandler(capture, env.App.Store, slog.New(slog.NewJSONHandler(&logs, nil)))(ctx, events.DynamoDBEvent{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	first := -1
	for i, r := range recs {
		if strings.HasPrefix(r.Change.Keys["sk"].String(), "ORG") && r.EventName == "INSERT" && first < 0 {
			first = i
		}
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != recs[first].Change.SequenceNumber {
		t.Fatalf("failures %+v, want the organization's record %s\n%s", resp.BatchItemFailures, recs[first].Change.SequenceNumber, logs.String())
	}
	if !strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Fatalf("log %s", logs.String())
	}
}

func receiveMessages(t *testing.T, c *sqs.Client, url, endpointID string) []webhooks.Message {
	t.Helper()
	var out []webhooks.Message
	for {
		got, err := c.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Messages) == 0 {
			return out
		}
		for _, m := range got.Messages {
			var msg webhooks.Message
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &msg); err != nil {
				t.Fatal(err)
			}
			if msg.EndpointID == endpointID {
				out = append(out, msg)
			}
			_, _ = c.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
