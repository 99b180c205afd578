package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	latchkey "github.com/latchkey/latchkey/shared"
	webhooks "github.com/latchkey/latchkey/shared/events"
	"github.com/latchkey/latchkey/shared/safehttp"
	"github.com/latchkey/latchkey/shared/store"
)

// DeliveryConcurrency bounds the deliveries one batch runs at once.
const DeliveryConcurrency = 10

// NewSQSClient is the SQS client of the webhook queue: endpoint overrides the service's URL
// (the emulator, LATCHKEY_SQS_ENDPOINT).
func NewSQSClient(awsCfg aws.Config, endpoint string) *sqs.Client {
	return sqs.NewFromConfig(awsCfg, func(o *sqs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// Visibility is what the delivery handler needs of SQS: moving a failed message's next
// attempt to its backoff (*sqs.Client implements it).
type Visibility interface {
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, opts ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
}

// NewDeliverer builds the delivery of webhooks on st (the endpoints, their secrets, the
// markers), held to the configured fetch policy.
func NewDeliverer(c Config, st *store.Store, clock latchkey.Clock) *webhooks.Deliverer {
	if clock == nil {
		clock = latchkey.SystemClock{}
	}
	return &webhooks.Deliverer{Store: st, Fetch: safehttp.Policy{AllowLoopback: c.FetchAllowLoopback}, Clock: clock}
}

// BuildDeliveryHandler is the delivery function's composition: the store (with the sealer
// that opens endpoint secrets), the SQS client and the handler, logging to logOut.
func BuildDeliveryHandler(ctx context.Context, c Config, logOut io.Writer) (func(context.Context, events.SQSEvent) (events.SQSEventResponse, error), error) {
	awsCfg, err := store.AWSConfig(ctx, c.Region, c.DynamoDBEndpoint)
	if err != nil {
		return nil, err
	}
	st, err := NewStore(ctx, c)
	if err != nil {
		return nil, err
	}
	sqsCfg := awsCfg
	if c.SQSEndpoint != "" && c.DynamoDBEndpoint == "" {
		// An SQS emulator beside real DynamoDB: the emulator takes dummy credentials too.
		if sqsCfg, err = store.AWSConfig(ctx, c.Region, c.SQSEndpoint); err != nil {
			return nil, err
		}
	}
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	return DeliveryHandler(NewDeliverer(c, st, c.Clock), NewSQSClient(sqsCfg, c.SQSEndpoint), c.WebhookQueueURL, log), nil
}

// DeliveryHandler is the delivery function (SQS event source, ReportBatchItemFailures): one
// attempt per message, DeliveryConcurrency at a time, the message's ApproximateReceiveCount
// as the attempt. A delivered or dropped message succeeds (Lambda deletes it); one to retry
// has its visibility moved to the backoff (webhooks.RetryAfter) and is reported in
// BatchItemFailures, so it comes back then, and after the queue's maxReceiveCount goes to the
// dead-letter queue. queueURL is the queue's URL; "" derives it from each record's ARN. One
// JSON line is logged per message; never the body or a secret.
func DeliveryHandler(d *webhooks.Deliverer, q Visibility, queueURL string, log *slog.Logger) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	urls := &queueURLs{q: q, fixed: queueURL}
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var (
			mu     sync.Mutex
			resp   events.SQSEventResponse
			wg     sync.WaitGroup
			tokens = make(chan struct{}, DeliveryConcurrency)
		)
		for _, rec := range ev.Records {
			tokens <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-tokens; wg.Done() }()
				if !deliverRecord(ctx, d, urls, log, rec) {
					mu.Lock()
					resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return resp, nil
	}
}

// deliverRecord makes one attempt and says whether the message is done with.
func deliverRecord(ctx context.Context, d *webhooks.Deliverer, urls *queueURLs, log *slog.Logger, rec events.SQSMessage) bool {
	attempt, err := strconv.Atoi(rec.Attributes["ApproximateReceiveCount"])
	if err != nil || attempt < 1 {
		attempt = 1
	}
	var m webhooks.Message
	_ = json.Unmarshal([]byte(rec.Body), &m) // a malformed body is dropped by Deliver
	res := d.Deliver(ctx, m, attempt)
	attrs := []any{"endpoint_id", m.EndpointID, "event_id", m.EventID, "event_type", res.EventType,
		"status", res.Status, "attempt", attempt, "latency_ms", res.Latency.Milliseconds(),
		"outcome", res.Outcome.String(), "reason", res.Reason, "message_id", rec.MessageId}
	if res.Outcome == webhooks.Retry {
		attrs = append(attrs, "retry_after_s", int64(res.RetryAfter.Seconds()))
	}
	if res.Err != nil {
		attrs = append(attrs, "error", logSafe(res.Err))
	}
	if res.Outcome != webhooks.Retry {
		log.Info("webhook delivery", attrs...)
		return true
	}
	if err := urls.changeVisibility(ctx, rec, res.RetryAfter); err != nil {
		// The message still comes back, after the queue's own visibility timeout.
		attrs = append(attrs, "visibility_error", err.Error())
	}
	log.Warn("webhook delivery", attrs...)
	return false
}

// logSafe is an error's text without the URL net/http puts in front (a receiver's URL may
// carry a token in its query).
func logSafe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

// queueURLs finds the URL of a record's queue: the configured one, or from its ARN
// (arn:aws:sqs:<region>:<account>:<name>) by GetQueueUrl, once per queue.
type queueURLs struct {
	q     Visibility
	fixed string
	mu    sync.Mutex
	byARN map[string]string
}

func (u *queueURLs) url(ctx context.Context, arn string) (string, error) {
	if u.fixed != "" {
		return u.fixed, nil
	}
	u.mu.Lock()
	known, ok := u.byARN[arn]
	u.mu.Unlock()
	if ok {
		return known, nil
	}
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[2] != "sqs" {
		return "", fmt.Errorf("event source %q is not an SQS queue ARN", arn)
	}
	out, err := u.q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(parts[5]), QueueOwnerAWSAccountId: aws.String(parts[4])})
	if err != nil {
		return "", err
	}
	u.mu.Lock()
	if u.byARN == nil {
		u.byARN = map[string]string{}
	}
	u.byARN[arn] = aws.ToString(out.QueueUrl)
	u.mu.Unlock()
	return aws.ToString(out.QueueUrl), nil
}

func (u *queueURLs) changeVisibility(ctx context.Context, rec events.SQSMessage, wait time.Duration) error {
	qurl, err := u.url(ctx, rec.EventSourceARN)
	if err != nil {
		return err
	}
	secs := int32(min(wait.Seconds(), webhooks.MaxVisibility.Seconds()))
	_, err = u.q.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(qurl),
		ReceiptHandle: aws.String(rec.ReceiptHandle), VisibilityTimeout: secs})
	return err
}
