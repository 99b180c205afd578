// Package queue is the SQS adapter of events.Queue: the webhook deliveries' queue.
package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/latchkey/latchkey/shared/events"
)

// Sender is what the queue needs of SQS (*sqs.Client implements it).
type Sender interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// SQS sends messages to one queue.
type SQS struct {
	Client Sender
	URL    string
	// Attempts bounds the sends of an entry SQS refused (a throttled or failed entry of a
	// batch); 0 is DefaultAttempts.
	Attempts int
}

var _ events.Queue = (*SQS)(nil)

// DefaultAttempts is how often an entry a batch failed is sent before Send gives up.
const DefaultAttempts = 5

// maxBatch is SQS's limit on the entries of one SendMessageBatch; maxBatchBytes keeps a batch
// within the smallest total any queue allows (a queue's MaximumMessageSize caps the batch,
// 256 KiB unless raised), so large events go in smaller batches rather than failing.
const (
	maxBatch      = 10
	maxBatchBytes = 256 << 10
)

// New is the queue at url, through SQS at endpoint ("" for AWS's; the emulator's URL locally).
func New(cfg aws.Config, endpoint, url string) *SQS {
	return &SQS{URL: url, Client: sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})}
}

// Send queues msgs, maxBatch a call. An entry SQS fails is sent again (with the others it
// failed, after a short wait) up to Attempts times; a sender fault (a malformed entry) is not,
// as no retry would pass it. The error says how many were not sent.
func (q *SQS) Send(ctx context.Context, msgs []events.Message) error {
	attempts := q.Attempts
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	var failed []string
	var entries []types.SendMessageBatchRequestEntry
	size := 0
	flush := func() {
		if len(entries) > 0 {
			failed = append(failed, q.sendBatch(ctx, entries, attempts)...)
		}
		entries, size = nil, 0
	}
	for _, m := range msgs {
		body, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("message for %s: %w", m.EndpointID, err)
		}
		if len(entries) == maxBatch || (len(entries) > 0 && size+len(body) > maxBatchBytes) {
			flush()
		}
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(len(entries))), MessageBody: aws.String(string(body))})
		size += len(body)
	}
	flush()
	if len(failed) > 0 {
		return fmt.Errorf("sqs: %d of %d messages not sent: %s", len(failed), len(msgs), strings.Join(failed[:min(3, len(failed))], "; "))
	}
	return nil
}

// sendBatch sends one batch, retrying the entries that failed, and describes those that
// never went.
func (q *SQS) sendBatch(ctx context.Context, entries []types.SendMessageBatchRequestEntry, attempts int) []string {
	var refused, last []string
	for attempt := 0; attempt < attempts && len(entries) > 0; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return append(refused, ctx.Err().Error())
			case <-time.After(time.Duration(50<<attempt) * time.Millisecond):
			}
		}
		out, err := q.Client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.URL), Entries: entries})
		if err != nil {
			// The SDK has retried the call itself; what is left is the whole batch.
			last = make([]string, len(entries))
			for i := range last {
				last[i] = err.Error()
			}
			continue
		}
		byID := map[string]types.SendMessageBatchRequestEntry{}
		for _, e := range entries {
			byID[aws.ToString(e.Id)] = e
		}
		var retry []types.SendMessageBatchRequestEntry
		last = nil
		for _, f := range out.Failed {
			desc := aws.ToString(f.Code) + ": " + aws.ToString(f.Message)
			if f.SenderFault {
				refused = append(refused, desc)
				continue
			}
			last = append(last, desc)
			if e, ok := byID[aws.ToString(f.Id)]; ok {
				retry = append(retry, e)
			}
		}
		entries = retry
	}
	if len(entries) == 0 {
		return refused
	}
	return append(refused, last...)
}
