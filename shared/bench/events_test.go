package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/uuid"

	"github.com/latchkey/latchkey/localstack/pipeline"
	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/callcount"
	webhooks "github.com/latchkey/latchkey/shared/events"
	"github.com/latchkey/latchkey/shared/store"
)

// BenchmarkEventsPipeline (issue 14): one op is one committed change (a member created) that
// becomes its event and reaches the endpoint, signed: the table's stream read by the local
// event source mapping, the events function's handler (decode, present, audit put, queue),
// the SQS emulator, the deliveries function's handler (marker read, POST, marker write) and
// the webhook inbox. The changes are written first, untimed, into a table of their own; the
// timer runs from starting the pipeline to the last delivery, so ns/op is the pipeline's
// time per event and events/s its throughput on this machine. The other metrics are what the
// cost model multiplies: DynamoDB calls and capacity, SQS requests, Lambda invocations and
// billed milliseconds of both functions, and the audit item's bytes.
func BenchmarkEventsPipeline(b *testing.B) {
	ctx := context.Background()
	env := fx.env
	table := "bench-events-" + uuid.NewString()[:8]
	if err := store.CreateTable(ctx, fx.ddb, table); err != nil {
		b.Fatal(err)
	}
	sq := app.NewSQSClient(env.App.AWS, env.Stack.SQSEndpoint)
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(table), Attributes: map[string]string{"VisibilityTimeout": "60"}})
	if err != nil {
		b.Fatal(err)
	}
	queueURL := aws.ToString(q.QueueUrl)
	cfg := env.Config
	cfg.Table, cfg.SQSEndpoint, cfg.WebhookQueueURL = table, env.Stack.SQSEndpoint, queueURL
	cfg.EmailSendsPerHour, cfg.OrgSendsPerHour = 1<<30, 1<<30
	var captureLog bytes.Buffer
	var logMu sync.Mutex
	a, err := app.Build(ctx, cfg, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	path := "/bench/" + uuid.NewString()[:8]
	url := env.Stack.WebhookInboxEndpoint + path
	if _, _, err := a.Server.Webhooks.Create(ctx, webhooks.EndpointPatch{URL: &url}); err != nil {
		b.Fatal(err)
	}
	// The changes: b.N members of one organization, made through the API.
	if err := a.Store.PutProjectSecret(ctx, env.ProjectID, env.Secret, time.Now()); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(a.Server.Handler(""))
	defer srv.Close()
	var org struct {
		Organization struct {
			OrganizationID string `json:"organization_id"`
		} `json:"organization"`
	}
	slug := "bench-events-" + uuid.NewString()[:8]
	if err := benchCall(srv.URL, "POST", "/v1/b2b/organizations", map[string]any{"organization_name": slug, "organization_slug": slug}, &org); err != nil {
		b.Fatal(err)
	}
	if err := createBenchMembers(srv.URL, org.Organization.OrganizationID, b.N); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(&lockedWriter{w: &captureLog, mu: &logMu}, nil))
	want := b.N + 1 // the organization's create too

	var (
		captureMS, deliverMS             atomic.Int64
		captureCalls, deliverInvocations atomic.Int64
		deliverCalls                     atomic.Int64
		deliverRCU, deliverWCU           atomicFloat
	)
	capture := app.EventsHandler(a, log)
	stream := func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		start := time.Now()
		defer func() {
			captureMS.Add(int64(math.Max(1, math.Ceil(float64(time.Since(start).Microseconds())/1000))))
			captureCalls.Add(1)
		}()
		return capture(ctx, ev)
	}
	deliver := app.DeliveryHandler(app.NewDeliverer(cfg, a.Store, nil), sq, queueURL, log)
	queue := func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		start := time.Now()
		ctx, calls := callcount.With(ctx)
		defer func() {
			deliverMS.Add(int64(math.Max(1, math.Ceil(float64(time.Since(start).Microseconds())/1000))))
			deliverInvocations.Add(1)
			deliverCalls.Add(int64(calls.Total()))
			r, w := calls.Capacity()
			deliverRCU.add(r)
			deliverWCU.add(w)
		}()
		return deliver(ctx, ev)
	}

	inbox := env.Stack.WebhookInbox
	b.ResetTimer()
	start := time.Now()
	p, err := pipeline.Start(ctx, pipeline.Options{AWS: env.App.AWS, DynamoDBEndpoint: env.Stack.DynamoDBEndpoint, Table: table,
		Stream: stream, BatchSize: 100, SQSEndpoint: env.Stack.SQSEndpoint, QueueURL: queueURL, Queue: queue,
		QueuePollers: 8, PollInterval: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	got := 0
	for got < want {
		if time.Now().After(deadline) {
			p.Stop()
			b.Fatalf("%d of %d events delivered in 3 minutes", got, want)
		}
		time.Sleep(20 * time.Millisecond)
		got = 0
		for _, d := range inbox.Accepted() {
			if d.Path == path {
				got++
			}
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	p.Stop()

	// What the capture did, from its log lines (one per batch).
	var capCalls, capRCU, capWCU, queued, sends float64
	logMu.Lock()
	for _, line := range bytes.Split(captureLog.Bytes(), []byte("\n")) {
		var l struct {
			Msg    string  `json:"msg"`
			Calls  float64 `json:"dynamodb_calls"`
			RCU    float64 `json:"rcu"`
			WCU    float64 `json:"wcu"`
			Queued float64 `json:"queued"`
		}
		if json.Unmarshal(line, &l) != nil || l.Msg != "webhook capture" {
			continue
		}
		capCalls, capRCU, capWCU, queued = capCalls+l.Calls, capRCU+l.RCU, capWCU+l.WCU, queued+l.Queued
		sends += math.Ceil(l.Queued / 10) // SendMessageBatch, ten a call
	}
	logMu.Unlock()
	var auditBytes float64
	for _, d := range inbox.Accepted() {
		if d.Path == path {
			auditBytes += float64(len(d.Body))
		}
	}
	n := float64(want)
	per := func(v float64) float64 { return v / n }
	inv := float64(deliverInvocations.Load())
	b.ReportMetric(n/elapsed.Seconds(), "events/s")
	b.ReportMetric(per(float64(captureCalls.Load())), "capture-invocations/op")
	b.ReportMetric(per(inv), "delivery-invocations/op")
	b.ReportMetric(per(capCalls+float64(deliverCalls.Load())), "ddb-calls/op")
	b.ReportMetric(per(capRCU+deliverRCU.load()), "RCU/op")
	b.ReportMetric(per(capWCU+deliverWCU.load()), "WCU/op")
	// SQS: the capture's sends, and per delivery batch one receive and one delete.
	b.ReportMetric(per(sends+2*inv), "sqs-requests/op")
	b.ReportMetric(per(float64(captureMS.Load()+deliverMS.Load())), "billed-ms/op")
	b.ReportMetric(per(auditBytes), "event-bytes/op")
	if queued < n {
		b.Fatalf("%v deliveries queued for %v events", queued, n)
	}
}

// benchCall is one authenticated API call; out, if set, gets the answer.
func benchCall(base, method, path string, body, out any) error {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(method, base+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", fx.auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, got)
	}
	if out != nil {
		return json.Unmarshal(got, out)
	}
	return nil
}

// createBenchMembers makes n members, 16 at a time.
func createBenchMembers(base, orgID string, n int) error {
	var next atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				if err := benchCall(base, "POST", "/v1/b2b/organizations/"+orgID+"/members",
					map[string]any{"email_address": fmt.Sprintf("m%07d@bench-events.example", i)}, nil); err != nil {
					first.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := first.Load().(error); err != nil {
		return err
	}
	return nil
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if strings.Contains(string(p), `"webhook capture"`) {
		return l.w.Write(p)
	}
	return len(p), nil
}

type atomicFloat struct {
	mu sync.Mutex
	v  float64
}

func (f *atomicFloat) add(x float64) { f.mu.Lock(); f.v += x; f.mu.Unlock() }
func (f *atomicFloat) load() float64 { f.mu.Lock(); defer f.mu.Unlock(); return f.v }
