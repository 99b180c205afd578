package emulators

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	smithy "github.com/aws/smithy-go"
)

// sqsT0 is where the tests' SQS clock starts; they move it with Advance.
var sqsT0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

type sqsFixture struct {
	emu *SQS
	srv *httptest.Server
	c   *sqs.Client
}

// newSQSFixture serves a fresh emulator, its clock stopped at sqsT0, to the real SDK client.
func newSQSFixture(t *testing.T) *sqsFixture {
	t.Helper()
	emu := NewSQS(nil)
	emu.SetClock(func() time.Time { return sqsT0 })
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return &sqsFixture{emu: emu, srv: srv, c: sqsClient(srv.URL)}
}

// sqsClient is the real SDK client on endpoint, without retries so that failures answer at once.
func sqsClient(endpoint string) *sqs.Client {
	return sqs.NewFromConfig(aws.Config{
		Region:      "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

func (f *sqsFixture) createQueue(t *testing.T, name string, attrs map[string]string) string {
	t.Helper()
	out, err := f.c.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return *out.QueueUrl
}

func (f *sqsFixture) send(t *testing.T, queue, body string) string {
	t.Helper()
	out, err := f.c.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(queue), MessageBody: aws.String(body)})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	return *out.MessageId
}

// receive is a short poll for up to n messages, with every attribute.
func (f *sqsFixture) receive(t *testing.T, queue string, n int32) []types.Message {
	t.Helper()
	out, err := f.c.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(queue), MaxNumberOfMessages: n,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	return out.Messages
}

func (f *sqsFixture) receiveOne(t *testing.T, queue string) types.Message {
	t.Helper()
	msgs := f.receive(t, queue, 1)
	if len(msgs) != 1 {
		t.Fatalf("want one message, got %d", len(msgs))
	}
	return msgs[0]
}

func (f *sqsFixture) receiveNone(t *testing.T, queue, when string) {
	t.Helper()
	if msgs := f.receive(t, queue, 10); len(msgs) != 0 {
		t.Fatalf("%s: want no message, got %d (%s)", when, len(msgs), *msgs[0].Body)
	}
}

// counts are ApproximateNumberOfMessages, ...NotVisible and ...Delayed.
func (f *sqsFixture) counts(t *testing.T, queue string) [3]int {
	t.Helper()
	out, err := f.c.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queue),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible, types.QueueAttributeNameApproximateNumberOfMessagesDelayed}})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	var c [3]int
	for i, name := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"} {
		n, err := strconv.Atoi(out.Attributes[name])
		if err != nil {
			t.Fatalf("%s = %q", name, out.Attributes[name])
		}
		c[i] = n
	}
	return c
}

func (f *sqsFixture) arn(t *testing.T, queue string) string {
	t.Helper()
	out, err := f.c.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queue),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes["QueueArn"]
}

// wantCode fails unless err is an SQS API error whose ErrorCode (the awsQuery code, as the SDK
// reports it) is code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("want error %s, got %v", code, err)
	}
	if ae.ErrorMessage() == "" {
		t.Fatalf("%s without a message", code)
	}
}

func TestSQSSpeaksTheSDKsProtocol(t *testing.T) {
	emu := NewSQS(nil)
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Content-Type")+" "+r.Header.Get("X-Amz-Target"))
		mu.Unlock()
		emu.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c := sqsClient(srv.URL)
	out, err := c.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String("wire")})
	if err != nil {
		t.Fatal(err)
	}
	if want := srv.URL + "/000000000000/wire"; *out.QueueUrl != want {
		t.Fatalf("QueueUrl %q, want %q", *out.QueueUrl, want)
	}
	if _, err := c.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	want := []string{"application/x-amz-json-1.0 AmazonSQS.CreateQueue", "application/x-amz-json-1.0 AmazonSQS.SendMessage"}
	if !slices.Equal(seen, want) {
		t.Fatalf("the SDK sent %q, want %q", seen, want)
	}

	// Errors, raw: the shape in __type, the awsQuery code in X-Amzn-Query-Error.
	for _, c := range []struct {
		name, target, body, typ, query string
	}{
		{"unknown queue", "AmazonSQS.GetQueueUrl", `{"QueueName":"nope"}`, "com.amazonaws.sqs#QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue;Sender"},
		{"unknown queue URL", "AmazonSQS.SendMessage", `{"QueueUrl":"http://elsewhere/000000000000/nope","MessageBody":"x"}`, "com.amazonaws.sqs#QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue;Sender"},
		{"another account", "AmazonSQS.SendMessage", `{"QueueUrl":"` + srv.URL + `/123456789012/wire","MessageBody":"x"}`, "com.amazonaws.sqs#QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue;Sender"},
		{"bad parameter", "AmazonSQS.ReceiveMessage", `{"QueueUrl":"` + srv.URL + `/000000000000/wire","MaxNumberOfMessages":11}`, "com.amazonaws.sqs#InvalidParameterValueException", "InvalidParameterValue;Sender"},
		{"missing parameter", "AmazonSQS.CreateQueue", `{}`, "com.amazonaws.sqs#MissingRequiredParameterException", "MissingParameter;Sender"},
		{"missing visibility", "AmazonSQS.ChangeMessageVisibility", `{"QueueUrl":"` + srv.URL + `/000000000000/wire","ReceiptHandle":"x"}`, "com.amazonaws.sqs#MissingRequiredParameterException", "MissingParameter;Sender"},
		{"not JSON", "AmazonSQS.CreateQueue", `{"QueueName":`, "SerializationException", ""},
		{"wrong type", "AmazonSQS.ReceiveMessage", `{"MaxNumberOfMessages":"ten"}`, "SerializationException", ""},
		{"unknown operation", "AmazonSQS.TagQueue", `{}`, "UnknownOperationException", ""},
		{"another service", "TrentService.Encrypt", `{}`, "UnknownOperationException", ""},
		{"no target", "", `{}`, "UnknownOperationException", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, h, out := post(t, srv.URL, c.target, c.body)
			if status != http.StatusBadRequest || out["__type"] != c.typ || h.Get("X-Amzn-Query-Error") != c.query {
				t.Fatalf("want 400 %s (%s), got %d %v (%q)", c.typ, c.query, status, out, h.Get("X-Amzn-Query-Error"))
			}
			if msg, _ := out["message"].(string); msg == "" {
				t.Fatalf(`no "message" in %v`, out)
			}
			if ct := h.Get("Content-Type"); ct != "application/x-amz-json-1.0" {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}
}

// The SDK decodes the emulator's errors into its typed errors, whose ErrorCode is the awsQuery
// code (what code written against SQS compares with).
func TestSQSTypedErrors(t *testing.T) {
	f := newSQSFixture(t)
	_, err := f.c.GetQueueUrl(t.Context(), &sqs.GetQueueUrlInput{QueueName: aws.String("missing")})
	var dne *types.QueueDoesNotExist
	if !errors.As(err, &dne) || dne.ErrorCode() != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Fatalf("want types.QueueDoesNotExist (AWS.SimpleQueueService.NonExistentQueue), got %v", err)
	}
	var withStatus interface{ HTTPStatusCode() int }
	if !errors.As(err, &withStatus) || withStatus.HTTPStatusCode() != http.StatusBadRequest {
		t.Fatalf("status: %v", err)
	}
	_, err = f.c.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(f.srv.URL + "/000000000000/missing"), MessageBody: aws.String("x")})
	if !errors.As(err, &dne) {
		t.Fatalf("SendMessage to a missing queue: %v", err)
	}
	_, err = f.c.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(f.srv.URL + "/000000000000/missing")})
	if !errors.As(err, &dne) {
		t.Fatalf("ReceiveMessage from a missing queue: %v", err)
	}
}

var queueARNPattern = regexp.MustCompile(`^arn:aws:sqs:eu-west-1:000000000000:deliveries$`)

func TestSQSQueues(t *testing.T) {
	f := newSQSFixture(t)
	ctx := t.Context()
	dlq := f.createQueue(t, "deliveries-dlq", map[string]string{"MessageRetentionPeriod": "1209600"})
	dlqARN := f.arn(t, dlq)
	redrive := `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":"8"}`
	attrs := map[string]string{"VisibilityTimeout": "60", "MessageRetentionPeriod": "172800", "DelaySeconds": "5", "RedrivePolicy": redrive}
	q := f.createQueue(t, "deliveries", attrs)

	out, err := f.c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	a := out.Attributes
	for k, want := range map[string]string{
		"VisibilityTimeout": "60", "MessageRetentionPeriod": "172800", "DelaySeconds": "5",
		"MaximumMessageSize": "1048576", "ReceiveMessageWaitTimeSeconds": "0",
		"RedrivePolicy":               `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":8}`,
		"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0", "ApproximateNumberOfMessagesDelayed": "0",
		"CreatedTimestamp": strconv.FormatInt(sqsT0.Unix(), 10), "SqsManagedSseEnabled": "true",
	} {
		if a[k] != want {
			t.Errorf("%s = %q, want %q", k, a[k], want)
		}
	}
	if !queueARNPattern.MatchString(a["QueueArn"]) {
		t.Errorf("QueueArn %q: want the signature's region", a["QueueArn"])
	}

	// The same name and attributes is the same queue, as are fewer attributes; another value is
	// QueueAlreadyExists.
	if again := f.createQueue(t, "deliveries", attrs); again != q {
		t.Fatalf("CreateQueue again: %q, want %q", again, q)
	}
	if again := f.createQueue(t, "deliveries", map[string]string{"VisibilityTimeout": "60"}); again != q {
		t.Fatalf("CreateQueue with fewer attributes: %q", again)
	}
	_, err = f.c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("deliveries"), Attributes: map[string]string{"VisibilityTimeout": "30"}})
	var exists *types.QueueNameExists
	if !errors.As(err, &exists) || exists.ErrorCode() != "QueueAlreadyExists" {
		t.Fatalf("CreateQueue with another VisibilityTimeout: %v", err)
	}

	got, err := f.c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("deliveries")})
	if err != nil || *got.QueueUrl != q {
		t.Fatalf("GetQueueUrl: %v %v", got, err)
	}

	for _, c := range []struct {
		name  string
		attrs map[string]string
		code  string
	}{
		{"visibility over 12 hours", map[string]string{"VisibilityTimeout": "43201"}, "InvalidAttributeValue"},
		{"negative delay", map[string]string{"DelaySeconds": "-1"}, "InvalidAttributeValue"},
		{"retention under a minute", map[string]string{"MessageRetentionPeriod": "59"}, "InvalidAttributeValue"},
		{"retention not a number", map[string]string{"MessageRetentionPeriod": "4d"}, "InvalidAttributeValue"},
		{"wait over 20 s", map[string]string{"ReceiveMessageWaitTimeSeconds": "21"}, "InvalidAttributeValue"},
		{"dead-letter queue missing", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:000000000000:nope","maxReceiveCount":3}`}, "InvalidAttributeValue"},
		{"redrive not JSON", map[string]string{"RedrivePolicy": `{`}, "InvalidAttributeValue"},
		{"redrive count zero", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":0}`}, "InvalidAttributeValue"},
		{"redrive without target", map[string]string{"RedrivePolicy": `{"maxReceiveCount":3}`}, "InvalidAttributeValue"},
		{"unknown attribute", map[string]string{"Colour": "blue"}, "InvalidAttributeName"},
		{"read-only attribute", map[string]string{"QueueArn": "arn:aws:sqs:eu-west-1:000000000000:x"}, "InvalidAttributeName"},
		{"FIFO", map[string]string{"FifoQueue": "true"}, "InvalidAttributeName"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bad"), Attributes: c.attrs})
			wantCode(t, err, c.code)
		})
	}
	for _, name := range []string{"has space", "dots.not.allowed", "x.fifo", strings.Repeat("n", 81)} {
		_, err := f.c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		wantCode(t, err, "InvalidParameterValue")
	}
	if _, err := f.c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("bad")}); err == nil {
		t.Fatal("a refused CreateQueue made a queue")
	}

	// SetQueueAttributes changes what it names; "" removes a redrive policy.
	if _, err := f.c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(q),
		Attributes: map[string]string{"VisibilityTimeout": "120", "RedrivePolicy": ""}}); err != nil {
		t.Fatal(err)
	}
	out, err = f.c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameVisibilityTimeout, types.QueueAttributeNameRedrivePolicy}})
	if err != nil || len(out.Attributes) != 1 || out.Attributes["VisibilityTimeout"] != "120" {
		t.Fatalf("after SetQueueAttributes: %v %v", out.Attributes, err)
	}
	_, err = f.c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q),
		AttributeNames: []types.QueueAttributeName{"Colour"}})
	wantCode(t, err, "InvalidAttributeName")

	// ListQueues, by prefix and in pages.
	for i := range 5 {
		f.createQueue(t, fmt.Sprintf("page-%d", i), nil)
	}
	var listed []string
	var token *string
	for pages := 0; ; pages++ {
		lo, err := f.c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("page-"), MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, lo.QueueUrls...)
		if token = lo.NextToken; token == nil {
			if pages != 2 {
				t.Fatalf("%d pages of 2 for 5 queues", pages+1)
			}
			break
		}
	}
	if len(listed) != 5 || !strings.HasSuffix(listed[0], "/page-0") || !strings.HasSuffix(listed[4], "/page-4") {
		t.Fatalf("ListQueues: %q", listed)
	}

	// DeleteQueue: the queue is gone, and its name cannot be taken for 60 seconds.
	if _, err := f.c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(q)}); err != nil {
		t.Fatal(err)
	}
	_, err = f.c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("deliveries")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	_, err = f.c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("deliveries")})
	var recently *types.QueueDeletedRecently
	if !errors.As(err, &recently) {
		t.Fatalf("CreateQueue at once after DeleteQueue: %v", err)
	}
	f.emu.Advance(61 * time.Second)
	f.createQueue(t, "deliveries", nil)
}

func TestSQSSendReceiveDelete(t *testing.T) {
	f := newSQSFixture(t)
	ctx := t.Context()
	q := f.createQueue(t, "events", nil)
	body := `{"event_id":"event-test-1","action":"UPDATE","object_type":"member","detail":"héllo"}`
	attrs := map[string]types.MessageAttributeValue{
		"event":   {DataType: aws.String("String"), StringValue: aws.String("member.create")},
		"attempt": {DataType: aws.String("Number"), StringValue: aws.String("3")},
		"blob":    {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 0xff}},
		"kind":    {DataType: aws.String("String.custom"), StringValue: aws.String("é")},
	}
	trace := "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
	sent, err := f.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q), MessageBody: aws.String(body),
		MessageAttributes: attrs,
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String(trace)}},
	})
	if err != nil {
		t.Fatal(err) // the SDK checks MD5OfMessageBody itself
	}
	// Digests as moto 5.2.1 computes them for the same attributes (SQS's algorithm).
	if *sent.MD5OfMessageBody != md5Hex([]byte(body)) ||
		aws.ToString(sent.MD5OfMessageAttributes) != "7c54969e66bc5ab2651c0d398c2f58e4" ||
		aws.ToString(sent.MD5OfMessageSystemAttributes) != "5f48eef650c1d0207456969c85af2fdd" {
		t.Fatalf("digests: body %s, attributes %v, system attributes %v", *sent.MD5OfMessageBody,
			aws.ToString(sent.MD5OfMessageAttributes), aws.ToString(sent.MD5OfMessageSystemAttributes))
	}

	f.emu.Advance(1500 * time.Millisecond)
	m := f.receiveOne(t, q)
	if *m.MessageId != *sent.MessageId || *m.Body != body || *m.MD5OfBody != *sent.MD5OfMessageBody ||
		aws.ToString(m.MD5OfMessageAttributes) != "7c54969e66bc5ab2651c0d398c2f58e4" || m.ReceiptHandle == nil {
		t.Fatalf("received %+v", m)
	}
	for k, want := range map[string]string{
		"ApproximateReceiveCount":          "1",
		"SentTimestamp":                    strconv.FormatInt(sqsT0.UnixMilli(), 10),
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(sqsT0.Add(1500*time.Millisecond).UnixMilli(), 10),
		"SenderId":                         "AKIDLOCAL",
		"AWSTraceHeader":                   trace,
	} {
		if m.Attributes[k] != want {
			t.Errorf("attribute %s = %q, want %q", k, m.Attributes[k], want)
		}
	}
	if len(m.MessageAttributes) != 4 || !bytes.Equal(m.MessageAttributes["blob"].BinaryValue, []byte{0, 1, 0xff}) ||
		*m.MessageAttributes["kind"].StringValue != "é" || *m.MessageAttributes["attempt"].DataType != "Number" {
		t.Fatalf("message attributes %+v", m.MessageAttributes)
	}
	if c := f.counts(t, q); c != [3]int{0, 1, 0} {
		t.Fatalf("counts while in flight: %v", c)
	}
	if _, err := f.c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q), ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if c := f.counts(t, q); c != [3]int{0, 0, 0} {
		t.Fatalf("counts after delete: %v", c)
	}
	// Deleting again succeeds, as in SQS; a handle that is not one is refused.
	if _, err := f.c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q), ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	_, err = f.c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q), ReceiptHandle: aws.String("not-a-handle")})
	var invalid *types.ReceiptHandleIsInvalid
	if !errors.As(err, &invalid) {
		t.Fatalf("DeleteMessage with a made-up handle: %v", err)
	}

	// Only the system and message attributes asked for come back, and the digest covers those.
	f.send(t, q, "plain")
	id, err := f.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q), MessageBody: aws.String("tagged"), MessageAttributes: map[string]types.MessageAttributeValue{
		"event.type": {DataType: aws.String("String"), StringValue: aws.String("member.create")},
		"event.org":  {DataType: aws.String("String"), StringValue: aws.String("organization-test-1")},
		"other":      {DataType: aws.String("String"), StringValue: aws.String("x")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), MaxNumberOfMessages: 10,
		AttributeNames:        []types.QueueAttributeName{"ApproximateReceiveCount"},
		MessageAttributeNames: []string{"event.*"}})
	if err != nil || len(out.Messages) != 2 {
		t.Fatalf("ReceiveMessage: %d messages, %v", len(out.Messages), err)
	}
	plain, tagged := out.Messages[0], out.Messages[1]
	if *plain.Body != "plain" || plain.MessageAttributes != nil || plain.MD5OfMessageAttributes != nil || len(plain.Attributes) != 1 {
		t.Fatalf("plain message: %+v", plain)
	}
	if *tagged.MessageId != *id.MessageId || len(tagged.MessageAttributes) != 2 || tagged.MessageAttributes["other"].DataType != nil {
		t.Fatalf("event.* gave %v", tagged.MessageAttributes)
	}
	want := md5OfAttributes(map[string]sqsAttrValue{
		"event.type": {DataType: "String", StringValue: aws.String("member.create")},
		"event.org":  {DataType: "String", StringValue: aws.String("organization-test-1")},
	})
	if aws.ToString(tagged.MD5OfMessageAttributes) != want {
		t.Fatalf("MD5OfMessageAttributes %v, want that of the two returned (%s)", aws.ToString(tagged.MD5OfMessageAttributes), want)
	}
}

// The SDK validates MD5OfMessageBody on SendMessage, SendMessageBatch and ReceiveMessage: a
// wrong digest fails the call, so the emulator's must be right.
func TestSQSSDKChecksMD5OfBody(t *testing.T) {
	emu := NewSQS(nil)
	var corrupt atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, r)
		b := rec.Body.Bytes()
		if corrupt.Load() {
			b = regexp.MustCompile(`"(MD5OfMessageBody|MD5OfBody)":"[0-9a-f]{32}"`).
				ReplaceAll(b, []byte(`"$1":"00000000000000000000000000000000"`))
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(b)
	}))
	defer srv.Close()
	c := sqsClient(srv.URL)
	ctx := t.Context()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("md5")})
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"x", "héllo wörld ✓", strings.Repeat("🙂", 1000)} {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body)}); err != nil {
			t.Fatalf("SendMessage %q: %v", body[:1], err)
		}
	}
	if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("ä")}, {Id: aws.String("b"), MessageBody: aws.String("b")}}}); err != nil {
		t.Fatal(err)
	}
	if out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10}); err != nil || len(out.Messages) != 5 {
		t.Fatalf("ReceiveMessage: %v", err)
	}

	corrupt.Store(true)
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("x")})
	if err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("a wrong MD5OfMessageBody: want a checksum error from the SDK, got %v", err)
	}
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("a")}}})
	if err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("SendMessageBatch: want a checksum error, got %v", err)
	}
	emu.Advance(time.Minute)
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10})
	if err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("ReceiveMessage: want a checksum error, got %v", err)
	}
}

// A received message is invisible for the visibility timeout and comes back unless deleted;
// ApproximateReceiveCount counts the receives; only the latest receipt handle deletes.
func TestSQSVisibilityTimeout(t *testing.T) {
	f := newSQSFixture(t)
	ctx := t.Context()
	q := f.createQueue(t, "visibility", map[string]string{"VisibilityTimeout": "30"})
	id := f.send(t, q, "retry me")

	first := f.receiveOne(t, q)
	f.receiveNone(t, q, "at once")
	f.emu.Advance(29 * time.Second)
	f.receiveNone(t, q, "after 29 s")
	if c := f.counts(t, q); c != [3]int{0, 1, 0} {
		t.Fatalf("counts in flight: %v", c)
	}
	f.emu.Advance(time.Second)
	if c := f.counts(t, q); c != [3]int{1, 0, 0} {
		t.Fatalf("counts after the timeout: %v", c)
	}
	second := f.receiveOne(t, q)
	if *second.MessageId != id || second.Attributes["ApproximateReceiveCount"] != "2" ||
		*second.ReceiptHandle == *first.ReceiptHandle {
		t.Fatalf("second receive: %+v", second)
	}
	if second.Attributes["ApproximateFirstReceiveTimestamp"] != strconv.FormatInt(sqsT0.UnixMilli(), 10) {
		t.Fatalf("ApproximateFirstReceiveTimestamp moved: %v", second.Attributes)
	}

	// The first handle is stale: deleting with it succeeds and deletes nothing.
	if _, err := f.c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q), ReceiptHandle: first.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if c := f.counts(t, q); c != [3]int{0, 1, 0} {
		t.Fatalf("a stale handle deleted the message: %v", c)
	}

	// ReceiveMessage's VisibilityTimeout overrides the queue's.
	f.emu.Advance(30 * time.Second)
	out, err := f.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), VisibilityTimeout: 5,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount}})
	if err != nil || len(out.Messages) != 1 || out.Messages[0].Attributes["ApproximateReceiveCount"] != "3" {
		t.Fatalf("third receive: %v %v", out, err)
	}
	f.emu.Advance(5 * time.Second)
	fourth := f.receiveOne(t, q)
	if fourth.Attributes["ApproximateReceiveCount"] != "4" {
		t.Fatalf("fourth receive: %v", fourth.Attributes)
	}
	if _, err := f.c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q), ReceiptHandle: fourth.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	f.emu.Advance(time.Hour)
	f.receiveNone(t, q, "after the delete")
}

// ChangeMessageVisibility is how a consumer backs off: the message comes back when the new
// timeout, counted from the call, runs out.
func TestSQSChangeMessageVisibility(t *testing.T) {
	f := newSQSFixture(t)
	ctx := t.Context()
	q := f.createQueue(t, "backoff", nil)
	f.send(t, q, "later")
	m := f.receiveOne(t, q)
	change := func(handle *string, seconds int32) error {
		_, err := f.c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(q), ReceiptHandle: handle, VisibilityTimeout: seconds})
		return err
	}
	f.emu.Advance(10 * time.Second)
	if err := change(m.ReceiptHandle, 120); err != nil {
		t.Fatal(err)
	}
	f.emu.Advance(119 * time.Second)
	f.receiveNone(t, q, "before the new timeout")
	f.emu.Advance(time.Second)
	m = f.receiveOne(t, q)

	// 0 gives it back at once.
	if err := change(m.ReceiptHandle, 0); err != nil {
		t.Fatal(err)
	}
	stale := m.ReceiptHandle
	m = f.receiveOne(t, q)
	if m.Attributes["ApproximateReceiveCount"] != "3" {
		t.Fatalf("count %v", m.Attributes)
	}
	// An earlier receive's handle cannot move it.
	wantCode(t, change(stale, 60), "InvalidParameterValue")
	// No receive keeps a message in flight for more than 12 hours in all.
	wantCode(t, change(m.ReceiptHandle, 43201), "InvalidParameterValue")
	if err := change(m.ReceiptHandle, 43200); err != nil {
		t.Fatalf("12 hours: %v", err)
	}
	f.emu.Advance(11 * time.Hour)
	wantCode(t, change(m.ReceiptHandle, 2*3600), "InvalidParameterValue")
	if err := change(m.ReceiptHandle, 3600); err != nil {
		t.Fatalf("to exactly 12 hours: %v", err)
	}
	// Once the timeout has run out the message is no longer in flight.
	f.emu.Advance(time.Hour)
	var notInflight *types.MessageNotInflight
	if err := change(m.ReceiptHandle, 60); !errors.As(err, &notInflight) || notInflight.ErrorCode() != "AWS.SimpleQueueService.MessageNotInflight" {
		t.Fatalf("after the timeout: %v", err)
	}
	var invalid *types.ReceiptHandleIsInvalid
	if err := change(aws.String("bogus"), 60); !errors.As(err, &invalid) {
		t.Fatalf("a made-up handle: %v", err)
	}

	// The batch form, with per-entry failures.
	m = f.receiveOne(t, q)
	out, err := f.c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(q),
		Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
			{Id: aws.String("ok"), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 300},
			{Id: aws.String("bad"), ReceiptHandle: aws.String("bogus"), VisibilityTimeout: 300},
		}})
	if err != nil || len(out.Successful) != 1 || *out.Successful[0].Id != "ok" || len(out.Failed) != 1 ||
		*out.Failed[0].Id != "bad" || *out.Failed[0].Code != "ReceiptHandleIsInvalid" || !out.Failed[0].SenderFault {
		t.Fatalf("ChangeMessageVisibilityBatch: %+v %v", out, err)
	}
	f.emu.Advance(299 * time.Second)
	f.receiveNone(t, q, "before the batch's timeout")
	f.emu.Advance(time.Second)
	f.receiveOne(t, q)
}

// The pipeline issue 14 plans: a failed delivery backs off exponentially (Svix's schedule,
// about a day in all) by ChangeMessageVisibility, and after the last attempt SQS moves the
// message to the dead-letter queue.
func TestSQSBackoffOverADayThenDeadLetter(t *testing.T) {
	f := newSQSFixture(t)
	ctx := t.Context()
	dlq := f.createQueue(t, "webhooks-dlq", map[string]string{"MessageRetentionPeriod": "1209600"})
	backoff := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	attempts := len(backoff) + 1
	q := f.createQueue(t, "webhooks", map[string]string{
		"VisibilityTimeout": "30",
		"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, f.arn(t, dlq), attempts),
	})
	id := f.send(t, q, `{"event_id":"event-test-1"}`)

	start := f.emu.Now()
	for attempt := 1; attempt <= attempts; attempt++ {
		m := f.receiveOne(t, q)
		if got := m.Attributes["ApproximateReceiveCount"]; got != strconv.Itoa(attempt) {
			t.Fatalf("attempt %d: ApproximateReceiveCount %s", attempt, got)
		}
		// The delivery failed.
		if attempt == attempts {
			f.emu.Advance(30 * time.Second) // the last one just times out
			break
		}
		wait := backoff[attempt-1]
		if _, err := f.c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(q),
			ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: int32(wait / time.Second)}); err != nil {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
		f.emu.Advance(wait - time.Second)
		f.receiveNone(t, q, fmt.Sprintf("a second before retry %d", attempt+1))
		f.emu.Advance(time.Second)
	}
	if took := f.emu.Now().Sub(start); took < 24*time.Hour || took > 30*time.Hour {
		t.Fatalf("the retries took %v, want about a day", took)
	}
	f.receiveNone(t, q, "after the last attempt")
	if c := f.counts(t, q); c != [3]int{0, 0, 0} {
		t.Fatalf("source queue counts: %v", c)
	}
	if c := f.counts(t, dlq); c != [3]int{1, 0, 0} {
		t.Fatalf("dead-letter queue counts: %v", c)
	}
	dead := f.receiveOne(t, dlq)
	if *dead.MessageId != id || *dead.Body != `{"event_id":"event-test-1"}` || dead.Attributes["DeadLetterQueueSourceArn"] != f.arn(t, q) ||
		dead.Attributes["SentTimestamp"] != strconv.FormatInt(sqsT0.UnixMilli(), 10) {
		t.Fatalf("dead-lettered message: %+v", dead)
	}
}

func TestSQSDeadLetterQueue(t *testing.T) {
	f := newSQSFixture(t)
	ctx := t.Context()
	dlq := f.createQueue(t, "dlq", nil)
	q := f.createQueue(t, "source", map[string]string{"VisibilityTimeout": "10",
		"RedrivePolicy": `{"deadLetterTargetArn":"` + f.arn(t, dlq) + `","maxReceiveCount":3}`})
	_, err := f.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q), MessageBody: aws.String("poison"),
		MessageAttributes: map[string]types.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}})
	if err != nil {
		t.Fatal(err)
	}
	f.send(t, q, "fine")
	for i := 1; i <= 3; i++ {
		msgs := f.receive(t, q, 10)
		if len(msgs) != 2 {
			t.Fatalf("receive %d: %d messages", i, len(msgs))
		}
		for _, m := range msgs {
			if *m.Body == "fine" && i == 3 {
				f.c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q), ReceiptHandle: m.ReceiptHandle})
			}
		}
		f.emu.Advance(10 * time.Second)
	}

	// A long poll on the dead-letter queue returns as soon as the fourth receive moves it there.
	got := make(chan []types.Message, 1)
	go func() {
		out, err := f.c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), WaitTimeSeconds: 10,
			MessageAttributeNames: []string{"All"}, MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}})
		if err != nil {
			t.Error(err)
		}
		got <- out.Messages
	}()
	time.Sleep(50 * time.Millisecond)
	began := time.Now()
	f.receiveNone(t, q, "the fourth receive")
	select {
	case msgs := <-got:
		if len(msgs) != 1 || *msgs[0].Body != "poison" || *msgs[0].MessageAttributes["k"].StringValue != "v" ||
			msgs[0].Attributes["DeadLetterQueueSourceArn"] != f.arn(t, q) {
			t.Fatalf("from the dead-letter queue: %+v", msgs)
		}
		if d := time.Since(began); d > 2*time.Second {
			t.Fatalf("the long poll took %v", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the dead-letter queue's long poll did not return")
	}
	if c := f.counts(t, q); c != [3]int{0, 0, 0} {
		t.Fatalf("source counts %v", c)
	}
}

func TestSQSDelay(t *testing.T) {
	f := newSQSFixture(t)
	ctx := t.Context()
	q := f.createQueue(t, "delayed", map[string]string{"DelaySeconds": "60"})
	f.send(t, q, "queue delay")
	if c := f.counts(t, q); c != [3]int{0, 0, 1} {
		t.Fatalf("counts while delayed: %v", c)
	}
	f.receiveNone(t, q, "during the queue's delay")
	// A message's own delay overrides the queue's.
	if _, err := f.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q), MessageBody: aws.String("own delay"), DelaySeconds: 10}); err != nil {
		t.Fatal(err)
	}
	f.emu.Advance(9 * time.Second)
	f.receiveNone(t, q, "after 9 s")
	f.emu.Advance(time.Second)
	if m := f.receiveOne(t, q); *m.Body != "own delay" {
		t.Fatalf("got %q", *m.Body)
	}
	f.emu.Advance(50 * time.Second)
	if m := f.receiveOne(t, q); *m.Body != "queue delay" {
		t.Fatalf("got %q", *m.Body)
	}

	// SendMessageBatch entries carry their own delays too.
	p := f.createQueue(t, "undelayed", nil)
	if _, err := f.c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(p), Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("now"), MessageBody: aws.String("now")},
		{Id: aws.String("later"), MessageBody: aws.String("later"), DelaySeconds: 900},
	}}); err != nil {
		t.Fatal(err)
	}
	now := f.receive(t, p, 10)
	if len(now) != 1 || *now[0].Body != "now" {
		t.Fatalf("batch: %v", now)
	}
	if _, err := f.c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(p), ReceiptHandle: now[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	f.emu.Advance(900 * time.Second)
	if m := f.receive(t, p, 10); len(m) != 1 || *m[0].Body != "later" {
		t.Fatalf("batch after 900 s: %v", m)
	}
	_, err := f.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(p), MessageBody: aws.String("x"), DelaySeconds: 901})
	wantCode(t, err, "InvalidParameterValue")
}

func TestSQSRetention(t *testing.T) {
	f := newSQSFixture(t)
	q := f.createQueue(t, "short", map[string]string{"MessageRetentionPeriod": "60", "VisibilityTimeout": "120"})
	f.send(t, q, "a")
	f.send(t, q, "b")
	f.receiveOne(t, q) // one in flight, one visible: both expire
	f.emu.Advance(59 * time.Second)
	if c := f.counts(t, q); c != [3]int{1, 1, 0} {
		t.Fatalf("counts before expiry: %v", c)
	}
	f.emu.Advance(time.Second)
	if c := f.counts(t, q); c != [3]int{0, 0, 0} {
		t.Fatalf("counts after expiry: %v", c)
	}
	f.receiveNone(t, q, "after expiry")
}

func TestSQSLongPolling(t *testing.T) {
	f := newSQSFixture(t)
	ctx := t.Context()
	q := f.createQueue(t, "poll", nil)

	receive := func(wait int32) (chan []types.Message, func() time.Duration) {
		began := time.Now()
		got := make(chan []types.Message, 1)
		go func() {
			out, err := f.c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), WaitTimeSeconds: wait, MaxNumberOfMessages: 10})
			if err != nil {
				t.Error(err)
				got <- nil
				return
			}
			got <- out.Messages
		}()
		return got, func() time.Duration { return time.Since(began) }
	}

	// A message sent during the wait is returned at once.
	got, took := receive(10)
	time.Sleep(100 * time.Millisecond)
	f.send(t, q, "arrived")
	select {
	case msgs := <-got:
		if len(msgs) != 1 || *msgs[0].Body != "arrived" || took() > 3*time.Second {
			t.Fatalf("long poll: %v after %v", msgs, took())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the long poll did not return when a message arrived")
	}

	// A message coming back from flight (the clock moved on) is too.
	got, took = receive(10)
	time.Sleep(100 * time.Millisecond)
	f.emu.Advance(30 * time.Second)
	select {
	case msgs := <-got:
		if len(msgs) != 1 || *msgs[0].Body != "arrived" || took() > 3*time.Second {
			t.Fatalf("long poll after Advance: %v after %v", msgs, took())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the long poll did not return when the visibility timeout ran out")
	}

	// With nothing to receive it waits WaitTimeSeconds and returns nothing.
	f.emu.Advance(time.Hour)
	if _, err := f.c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(q)}); err != nil {
		t.Fatal(err)
	}
	got, took = receive(1)
	if msgs := <-got; len(msgs) != 0 || took() < time.Second || took() > 3*time.Second {
		t.Fatalf("empty long poll: %d messages after %v", len(msgs), took())
	}

	// On the wall clock, a delayed message ends the wait when its delay runs out.
	f.emu.SetClock(nil)
	if _, err := f.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q), MessageBody: aws.String("delayed"), DelaySeconds: 1}); err != nil {
		t.Fatal(err)
	}
	got, took = receive(5)
	if msgs := <-got; len(msgs) != 1 || took() < 800*time.Millisecond || took() > 3*time.Second {
		t.Fatalf("long poll for a delayed message: %d messages after %v", len(msgs), took())
	}

	// The queue's ReceiveMessageWaitTimeSeconds is the default wait.
	r := f.createQueue(t, "poll-default", map[string]string{"ReceiveMessageWaitTimeSeconds": "1"})
	began := time.Now()
	out, err := f.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(r)})
	if err != nil || len(out.Messages) != 0 || time.Since(began) < time.Second {
		t.Fatalf("the queue's default wait: %v after %v", err, time.Since(began))
	}

	// A caller that gives up takes nothing with it.
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = f.c.ReceiveMessage(cctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(r), WaitTimeSeconds: 20})
	cancel()
	if err == nil {
		t.Fatal("a cancelled long poll succeeded")
	}
	time.Sleep(100 * time.Millisecond) // for the server to see the connection go
	f.send(t, r, "for the next one")
	if m := f.receiveOne(t, r); *m.Body != "for the next one" {
		t.Fatalf("got %q", *m.Body)
	}

	_, err = f.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(r), WaitTimeSeconds: 21})
	wantCode(t, err, "InvalidParameterValue")
}

// Receivers racing for the same queue never get the same visible message at once.
func TestSQSConcurrentReceivers(t *testing.T) {
	f := newSQSFixture(t)
	ctx := t.Context()
	q := f.createQueue(t, "race", nil)
	const total = 200
	for b := 0; b < total/10; b++ {
		var entries []types.SendMessageBatchRequestEntry
		for i := range 10 {
			n := b*10 + i
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprintf("m%d", n)), MessageBody: aws.String(strconv.Itoa(n))})
		}
		out, err := f.c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q), Entries: entries})
		if err != nil || len(out.Successful) != 10 || len(out.Failed) != 0 {
			t.Fatalf("SendMessageBatch: %v %v", out, err)
		}
	}

	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				out, err := f.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), MaxNumberOfMessages: 3})
				if err != nil {
					t.Error(err)
					return
				}
				if len(out.Messages) == 0 {
					return
				}
				var del []types.DeleteMessageBatchRequestEntry
				mu.Lock()
				for i, m := range out.Messages {
					seen[*m.Body]++
					del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
				}
				mu.Unlock()
				if d, err := f.c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(q), Entries: del}); err != nil || len(d.Failed) != 0 {
					t.Errorf("DeleteMessageBatch: %v %v", d, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(seen) != total {
		t.Fatalf("received %d distinct messages, want %d", len(seen), total)
	}
	for body, n := range seen {
		if n != 1 {
			t.Fatalf("message %s received %d times", body, n)
		}
	}
	f.emu.Advance(time.Hour)
	f.receiveNone(t, q, "after all were deleted")
}

func TestSQSBatchErrors(t *testing.T) {
	f := newSQSFixture(t)
	ctx := t.Context()
	q := f.createQueue(t, "batch", nil)
	entry := func(id, body string) types.SendMessageBatchRequestEntry {
		return types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(body)}
	}
	var eleven []types.SendMessageBatchRequestEntry
	for i := range 11 {
		eleven = append(eleven, entry(fmt.Sprint("e", i), "x"))
	}
	var big []types.SendMessageBatchRequestEntry
	for i := range 10 {
		big = append(big, entry(fmt.Sprint("b", i), strings.Repeat("x", 110_000)))
	}
	for _, c := range []struct {
		name    string
		entries []types.SendMessageBatchRequestEntry
		code    string
		typed   any
	}{
		{"empty", []types.SendMessageBatchRequestEntry{}, "AWS.SimpleQueueService.EmptyBatchRequest", new(*types.EmptyBatchRequest)},
		{"eleven", eleven, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", new(*types.TooManyEntriesInBatchRequest)},
		{"repeated id", []types.SendMessageBatchRequestEntry{entry("a", "x"), entry("a", "y")}, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", new(*types.BatchEntryIdsNotDistinct)},
		{"bad id", []types.SendMessageBatchRequestEntry{entry("a b", "x")}, "AWS.SimpleQueueService.InvalidBatchEntryId", new(*types.InvalidBatchEntryId)},
		{"over 1 MiB in all", big, "AWS.SimpleQueueService.BatchRequestTooLong", new(*types.BatchRequestTooLong)},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q), Entries: c.entries})
			wantCode(t, err, c.code)
			if !errors.As(err, c.typed) {
				t.Fatalf("not a %T: %v", c.typed, err)
			}
		})
	}
	if c := f.counts(t, q); c != [3]int{0, 0, 0} {
		t.Fatalf("refused batches sent %v", c)
	}

	// A bad entry fails alone.
	out, err := f.c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q), Entries: []types.SendMessageBatchRequestEntry{
		entry("good", "fine"),
		entry("control", "bell\x07"),
		{Id: aws.String("delay"), MessageBody: aws.String("x"), DelaySeconds: 901},
	}})
	if err != nil {
		t.Fatal(err)
	}
	failed := map[string]string{}
	for _, e := range out.Failed {
		if !e.SenderFault {
			t.Fatalf("%s: SenderFault false", *e.Id)
		}
		failed[*e.Id] = *e.Code
	}
	if len(out.Successful) != 1 || *out.Successful[0].Id != "good" || *out.Successful[0].MD5OfMessageBody != md5Hex([]byte("fine")) ||
		failed["control"] != "InvalidMessageContents" || failed["delay"] != "InvalidParameterValue" {
		t.Fatalf("SendMessageBatch: successful %v, failed %v", out.Successful, failed)
	}
	m := f.receiveOne(t, q)
	d, err := f.c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(q), Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("ok"), ReceiptHandle: m.ReceiptHandle},
		{Id: aws.String("bad"), ReceiptHandle: aws.String("bogus")},
	}})
	if err != nil || len(d.Successful) != 1 || len(d.Failed) != 1 || *d.Failed[0].Code != "ReceiptHandleIsInvalid" {
		t.Fatalf("DeleteMessageBatch: %+v %v", d, err)
	}
	_, err = f.c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(q), Entries: []types.DeleteMessageBatchRequestEntry{}})
	wantCode(t, err, "AWS.SimpleQueueService.EmptyBatchRequest")
}

func TestSQSSendValidation(t *testing.T) {
	f := newSQSFixture(t)
	ctx := t.Context()
	q := f.createQueue(t, "strict", map[string]string{"MaximumMessageSize": "1024"})
	str := func(v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	many := map[string]types.MessageAttributeValue{}
	for i := range 11 {
		many[fmt.Sprint("a", i)] = str("v")
	}
	for _, c := range []struct {
		name  string
		in    sqs.SendMessageInput
		code  string
		typed any
	}{
		{"empty body", sqs.SendMessageInput{MessageBody: aws.String("")}, "MissingParameter", nil},
		{"control character", sqs.SendMessageInput{MessageBody: aws.String("a\x00b")}, "InvalidMessageContents", new(*types.InvalidMessageContents)},
		{"over MaximumMessageSize", sqs.SendMessageInput{MessageBody: aws.String(strings.Repeat("x", 1025))}, "InvalidParameterValue", nil},
		{"attributes count toward the size", sqs.SendMessageInput{MessageBody: aws.String(strings.Repeat("x", 1000)),
			MessageAttributes: map[string]types.MessageAttributeValue{"pad": str(strings.Repeat("y", 20))}}, "InvalidParameterValue", nil},
		{"eleven attributes", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: many}, "InvalidParameterValue", nil},
		{"reserved attribute name", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{"AWS.x": str("v")}}, "InvalidParameterValue", nil},
		{"attribute name with a space", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{"a b": str("v")}}, "InvalidParameterValue", nil},
		{"empty attribute value", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{"a": str("")}}, "InvalidParameterValue", nil},
		{"not a number", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
			"n": {DataType: aws.String("Number"), StringValue: aws.String("twelve")}}}, "InvalidParameterValue", nil},
		{"unknown data type", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
			"n": {DataType: aws.String("Date"), StringValue: aws.String("2026-12-01")}}}, "InvalidParameterValue", nil},
		{"binary without bytes", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
			"b": {DataType: aws.String("Binary"), StringValue: aws.String("x")}}}, "InvalidParameterValue", nil},
		{"deduplication id", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")}, "InvalidParameterValue", nil},
		{"system attribute other than the trace header", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"SenderId": {DataType: aws.String("String"), StringValue: aws.String("me")}}}, "InvalidParameterValue", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			in.QueueUrl = aws.String(q)
			_, err := f.c.SendMessage(ctx, &in)
			wantCode(t, err, c.code)
			if c.typed != nil && !errors.As(err, c.typed) {
				t.Fatalf("not a %T: %v", c.typed, err)
			}
		})
	}
	// The largest there is, counted in bytes: body and attribute name, type and value.
	if _, err := f.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q), MessageBody: aws.String(strings.Repeat("é", 500)),
		MessageAttributes: map[string]types.MessageAttributeValue{"pad": str(strings.Repeat("y", 1024-1000-3-6))}}); err != nil {
		t.Fatalf("a message of exactly 1024 bytes: %v", err)
	}
	if c := f.counts(t, q); c != [3]int{1, 0, 0} {
		t.Fatalf("refused messages were kept: %v", c)
	}
	for _, in := range []sqs.ReceiveMessageInput{{MaxNumberOfMessages: 11}, {VisibilityTimeout: 43201}, {WaitTimeSeconds: -1}} {
		in.QueueUrl = aws.String(q)
		_, err := f.c.ReceiveMessage(ctx, &in)
		wantCode(t, err, "InvalidParameterValue")
	}
	_, err := f.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), MessageSystemAttributeNames: []types.MessageSystemAttributeName{"Colour"}})
	wantCode(t, err, "InvalidAttributeName")
}

func TestSQSPurgeQueue(t *testing.T) {
	f := newSQSFixture(t)
	ctx := t.Context()
	q := f.createQueue(t, "purge", nil)
	f.send(t, q, "a")
	f.send(t, q, "b")
	f.receiveOne(t, q)
	if _, err := f.c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(q)}); err != nil {
		t.Fatal(err)
	}
	if c := f.counts(t, q); c != [3]int{0, 0, 0} {
		t.Fatalf("after purge: %v", c)
	}
	f.send(t, q, "c")
	_, err := f.c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(q)})
	var inProgress *types.PurgeQueueInProgress
	if !errors.As(err, &inProgress) || inProgress.ErrorCode() != "AWS.SimpleQueueService.PurgeQueueInProgress" {
		t.Fatalf("a second purge within 60 s: %v", err)
	}
	f.emu.Advance(60 * time.Second)
	if _, err := f.c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(q)}); err != nil {
		t.Fatalf("a purge 60 s later: %v", err)
	}
	f.receiveNone(t, q, "after the second purge")
}

type sqsStore struct {
	Queues []SQSQueueState `json:"queues"`
}

func getSQSStore(t *testing.T, url string) sqsStore {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var s sqsStore
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	if s.Queues == nil {
		t.Fatalf(`GET %s: want {"queues":[...]}, got null`, url)
	}
	return s
}

func TestSQSStore(t *testing.T) {
	f := newSQSFixture(t)
	if s := getSQSStore(t, f.srv.URL+"/store"); len(s.Queues) != 0 {
		t.Fatalf("a new emulator has queues: %v", s.Queues)
	}
	a := f.createQueue(t, "a-queue", map[string]string{"DelaySeconds": "30"})
	b := f.createQueue(t, "b-queue", nil)
	f.send(t, a, "delayed one")
	f.send(t, b, "in flight")
	f.send(t, b, "<visible & escaped>")
	f.receiveOne(t, b)

	s := getSQSStore(t, f.srv.URL+"/store")
	if len(s.Queues) != 2 || s.Queues[0].Name != "a-queue" || s.Queues[1].Name != "b-queue" {
		t.Fatalf("queues %+v", s.Queues)
	}
	qa, qb := s.Queues[0], s.Queues[1]
	if qa.URL != a || qa.Delayed != 1 || qa.Visible != 0 || qa.Attributes["DelaySeconds"] != "30" || qa.ARN != f.arn(t, a) ||
		len(qa.Messages) != 1 || qa.Messages[0].State != "delayed" || !qa.Messages[0].SentAt.Equal(sqsT0) {
		t.Fatalf("a-queue %+v", qa)
	}
	if qb.Visible != 1 || qb.InFlight != 1 || len(qb.Messages) != 2 || qb.Messages[0].State != "inFlight" ||
		qb.Messages[0].ReceiveCount != 1 || qb.Messages[1].State != "visible" || qb.Messages[1].Body != "<visible & escaped>" {
		t.Fatalf("b-queue %+v", qb)
	}
	if one := getSQSStore(t, f.srv.URL+"/store?queue=b-queue"); len(one.Queues) != 1 || one.Queues[0].Name != "b-queue" {
		t.Fatalf("?queue=b-queue: %+v", one.Queues)
	}

	resp, err := http.Get(f.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(page, []byte("b-queue")) || !bytes.Contains(page, []byte("&lt;visible &amp; escaped&gt;")) ||
		!bytes.Contains(page, []byte("1 visible · 1 in flight · 0 delayed")) {
		t.Fatalf("GET /:\n%s", page)
	}

	resp, err = http.Post(f.srv.URL+"/clear-store", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s = getSQSStore(t, f.srv.URL+"/store")
	if len(s.Queues) != 2 || len(s.Queues[0].Messages)+len(s.Queues[1].Messages) != 0 {
		t.Fatalf("after /clear-store: %+v", s.Queues)
	}
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/health-check", 200},
		{http.MethodPost, "/store", 405},
		{http.MethodGet, "/clear-store", 405},
		{http.MethodPut, "/", 405},
		{http.MethodGet, "/000000000000/a-queue", 404},
	} {
		req, _ := http.NewRequest(c.method, f.srv.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.status)
		}
	}
}

// The Stack starts the SQS emulator beside the others, and leaves it out for an external SQS.
func TestSQSInStack(t *testing.T) {
	t.Setenv(EnvDynamoDBEndpoint, "http://127.0.0.1:4566")
	t.Setenv(EnvSESEndpoint, "http://127.0.0.1:4566")
	t.Setenv(EnvSQSEndpoint, "")
	var log bytes.Buffer
	var logMu sync.Mutex
	stack, err := FromEnv(t.Context(), Options{Root: t.TempDir(), Log: &lockedWriter{w: &log, mu: &logMu}})
	if err != nil {
		t.Fatal(err)
	}
	if stack.SQS == nil || !strings.HasPrefix(stack.SQSEndpoint, "http://127.0.0.1:") {
		t.Fatalf("no in-process SQS emulator: %q", stack.SQSEndpoint)
	}
	c := sqsClient(stack.SQSEndpoint)
	q, err := c.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String("stacked")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("hi")}); err != nil {
		t.Fatal(err)
	}
	if s := getSQSStore(t, stack.SQSEndpoint+"/store"); len(s.Queues) != 1 || s.Queues[0].Visible != 1 {
		t.Fatalf("store %+v", s.Queues)
	}
	if err := stack.Stop(); err != nil {
		t.Fatal(err)
	}
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(stack.SQSEndpoint, "http://"), time.Second); err == nil {
		conn.Close()
		t.Fatal("the SQS emulator still accepts connections after Stop")
	}
	logMu.Lock()
	if !strings.Contains(log.String(), "[sqs] CreateQueue stacked\n") {
		t.Errorf("log: %q", log.String())
	}
	logMu.Unlock()

	t.Setenv(EnvSQSEndpoint, "http://127.0.0.1:4566/")
	if stack, err = FromEnv(t.Context(), Options{Root: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	defer stack.Stop()
	if stack.SQSEndpoint != "http://127.0.0.1:4566" || stack.SQS != nil {
		t.Fatalf("LATCHKEY_TEST_SQS_ENDPOINT: got %q (in-process emulator %v)", stack.SQSEndpoint, stack.SQS != nil)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
