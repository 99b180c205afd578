// Package pipeline is the local stand-in for Lambda's event source mappings: it polls the
// table's DynamoDB stream (DynamoDB Local serves streams) and the webhook queue (the SQS
// emulator, or any SQS), and calls the same handler functions Lambda would call, with the
// records in Lambda's event shapes (events.DynamoDBEvent, events.SQSEvent). make dev and the
// tests run the capture and the delivery through it, so they run as they do on AWS.
//
// The semantics kept are the ones the handlers lean on:
//   - Stream: records of one shard in order, in batches of up to BatchSize; a parent shard is
//     read to its end before its children; a handler error retries the whole batch, and
//     reported batchItemFailures (ReportBatchItemFailures) restart the shard at the lowest
//     failed sequence number, records before it counting as done. Retries go on until the
//     handler succeeds (a stream record is never skipped).
//   - Queue: ReceiveMessage (long poll, up to 10, with ApproximateReceiveCount); every
//     message the handler does not report in batchItemFailures is deleted; a handler error
//     leaves the whole batch to come back after its visibility timeout.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// StreamHandler is a DynamoDB stream function's handler (app.EventsHandler).
type StreamHandler func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// QueueHandler is an SQS function's handler (app.DeliveryHandler).
type QueueHandler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// Options configures a Pipeline. A nil handler leaves its poller out.
type Options struct {
	// AWS gives the region and credentials of both clients (dummies for the emulators).
	AWS aws.Config

	// DynamoDBEndpoint (DynamoDB Local's URL; "" for AWS) serves the table and its stream.
	DynamoDBEndpoint string
	Table            string
	Stream           StreamHandler
	// StartAtLatest reads only records written after Start (LATEST); the default reads
	// every record the stream still holds (TRIM_HORIZON), as a new event source mapping
	// with that starting position does. Shards that appear later are always read from
	// their start.
	StartAtLatest bool
	// BatchSize bounds the records of one stream batch (1-1000, default 100, Lambda's).
	BatchSize int

	// SQSEndpoint (the emulator's URL; "" for AWS) and QueueURL name the queue.
	SQSEndpoint string
	QueueURL    string
	Queue       QueueHandler
	// QueueBatchSize bounds the messages of one batch (1-10, default 10).
	QueueBatchSize int
	// QueuePollers is how many batches of the queue are handled at once (default 2).
	QueuePollers int
	// WaitTime is ReceiveMessage's long poll (whole seconds, 0-20; default 1, so Stop and
	// Drain answer quickly).
	WaitTime time.Duration

	// PollInterval is the pause between stream polls that found nothing (default 100 ms).
	PollInterval time.Duration
	// RetryWait is the pause before a failed batch is retried (default 500 ms).
	RetryWait time.Duration
	// Log gets a line per failed batch and per shard change; nil discards them.
	Log *slog.Logger
}

// Pipeline runs the pollers. Start it once; Stop ends it.
type Pipeline struct {
	o       Options
	ddb     *dynamodb.Client
	streams *dynamodbstreams.Client
	sqs     *sqs.Client

	streamARN string
	queueARN  string

	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu           sync.Mutex
	changed      chan struct{} // closed and replaced on every state change, for Drain
	inFlight     int           // handler calls running
	lastActivity time.Time     // when the last handler call ended
	streamIdle   time.Time     // start of the latest stream round that found nothing anywhere
	queueIdle    time.Time     // start of the latest receive that found nothing
	err          error         // a poller's fatal error
	stats        Stats
}

// Stats counts what the pipeline did.
type Stats struct {
	StreamBatches, StreamRecords, StreamRetries int
	QueueBatches, QueueMessages, QueueFailures  int
}

// New checks the options and builds the clients; Start begins polling.
func New(o Options) (*Pipeline, error) {
	if o.Stream == nil && o.Queue == nil {
		return nil, errors.New("pipeline: neither a stream nor a queue handler")
	}
	if o.Stream != nil && o.Table == "" {
		return nil, errors.New("pipeline: a stream handler needs Table")
	}
	if o.Queue != nil && o.QueueURL == "" {
		return nil, errors.New("pipeline: a queue handler needs QueueURL")
	}
	if o.BatchSize == 0 {
		o.BatchSize = 100
	}
	if o.BatchSize < 1 || o.BatchSize > 1000 {
		return nil, fmt.Errorf("pipeline: BatchSize %d is not 1-1000", o.BatchSize)
	}
	if o.QueueBatchSize == 0 {
		o.QueueBatchSize = 10
	}
	if o.QueueBatchSize < 1 || o.QueueBatchSize > 10 {
		return nil, fmt.Errorf("pipeline: QueueBatchSize %d is not 1-10", o.QueueBatchSize)
	}
	if o.QueuePollers <= 0 {
		o.QueuePollers = 2
	}
	if o.WaitTime == 0 {
		o.WaitTime = time.Second
	}
	if o.WaitTime < 0 || o.WaitTime > 20*time.Second {
		return nil, fmt.Errorf("pipeline: WaitTime %s is not 0-20s", o.WaitTime)
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 100 * time.Millisecond
	}
	if o.RetryWait <= 0 {
		o.RetryWait = 500 * time.Millisecond
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	p := &Pipeline{o: o, changed: make(chan struct{})}
	if o.Stream != nil {
		p.ddb = dynamodb.NewFromConfig(o.AWS, func(opt *dynamodb.Options) {
			if o.DynamoDBEndpoint != "" {
				opt.BaseEndpoint = aws.String(o.DynamoDBEndpoint)
			}
		})
		p.streams = dynamodbstreams.NewFromConfig(o.AWS, func(opt *dynamodbstreams.Options) {
			if o.DynamoDBEndpoint != "" {
				opt.BaseEndpoint = aws.String(o.DynamoDBEndpoint)
			}
		})
	}
	if o.Queue != nil {
		p.sqs = sqs.NewFromConfig(o.AWS, func(opt *sqs.Options) {
			if o.SQSEndpoint != "" {
				opt.BaseEndpoint = aws.String(o.SQSEndpoint)
			}
		})
	}
	return p, nil
}

// Start is New, then Start.
func Start(ctx context.Context, o Options) (*Pipeline, error) {
	p, err := New(o)
	if err != nil {
		return nil, err
	}
	if err := p.Start(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// Start finds the stream and the queue and starts polling them; the pollers run until ctx
// ends or Stop is called.
func (p *Pipeline) Start(ctx context.Context) error {
	if p.cancel != nil {
		return errors.New("pipeline: already started")
	}
	var shards []streamShard
	if p.o.Stream != nil {
		out, err := p.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(p.o.Table)})
		if err != nil {
			return fmt.Errorf("pipeline: describing table %s: %w", p.o.Table, err)
		}
		if p.streamARN = aws.ToString(out.Table.LatestStreamArn); p.streamARN == "" {
			return fmt.Errorf("pipeline: table %s has no stream (StreamSpecification NEW_AND_OLD_IMAGES)", p.o.Table)
		}
		// The shards there now start where the options say; any found later start at their
		// beginning.
		if shards, err = p.describeShards(ctx); err != nil {
			return err
		}
	}
	if p.o.Queue != nil {
		out, err := p.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(p.o.QueueURL),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			return fmt.Errorf("pipeline: queue %s: %w", p.o.QueueURL, err)
		}
		p.queueARN = out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	}
	ctx, p.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if p.o.Stream != nil {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.pollStream(ctx, shards)
		}()
	}
	if p.o.Queue != nil {
		for range p.o.QueuePollers {
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.pollQueue(ctx)
			}()
		}
	}
	return nil
}

// Stop ends the pollers and waits for them. A batch being handled sees its context cancelled,
// as at a Lambda timeout: what it did not finish comes back (the queue's messages after their
// visibility timeout; the stream's records are read again by the next Start).
func (p *Pipeline) Stop() {
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.wg.Wait()
}

// Stats returns the counts so far.
func (p *Pipeline) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Drain waits until the pipeline is idle: since the call, every handler call has ended, a
// full round over the stream's shards found no new record after the last of them, and a
// receive on the queue found no message after it (messages delayed or in flight, waiting
// for a retry, do not count). It returns ctx's error if that does not happen in time, or a
// poller's fatal error.
func (p *Pipeline) Drain(ctx context.Context) error {
	since := time.Now()
	for {
		p.mu.Lock()
		changed, err := p.changed, p.err
		after := since
		if p.lastActivity.After(after) {
			after = p.lastActivity
		}
		idle := p.inFlight == 0 &&
			(p.o.Stream == nil || p.streamIdle.After(after)) &&
			(p.o.Queue == nil || p.queueIdle.After(after))
		p.mu.Unlock()
		if err != nil {
			return err
		}
		if idle {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("pipeline: not idle: %w", ctx.Err())
		}
	}
}

// update changes the state under the lock and wakes Drain.
func (p *Pipeline) update(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f()
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *Pipeline) begin() { p.update(func() { p.inFlight++ }) }

func (p *Pipeline) end() {
	p.update(func() {
		p.inFlight--
		p.lastActivity = time.Now()
	})
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// ---------------------------------------------------------------------------------------------
// The stream.

type streamShard struct {
	id, parent string
	closed     bool // has an ending sequence number
}

type shardState struct {
	streamShard
	iterator string
	lastSeq  string // the last record handled (done)
	started  bool   // an iterator has been got
	done     bool   // read to its end
	fresh    bool   // found after Start: read from TRIM_HORIZON
}

func (p *Pipeline) describeShards(ctx context.Context) ([]streamShard, error) {
	var out []streamShard
	var start *string
	for {
		d, err := p.streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(p.streamARN),
			ExclusiveStartShardId: start})
		if err != nil {
			return nil, fmt.Errorf("pipeline: describing stream: %w", err)
		}
		for _, sh := range d.StreamDescription.Shards {
			closed := sh.SequenceNumberRange != nil && sh.SequenceNumberRange.EndingSequenceNumber != nil
			out = append(out, streamShard{id: aws.ToString(sh.ShardId), parent: aws.ToString(sh.ParentShardId), closed: closed})
		}
		if start = d.StreamDescription.LastEvaluatedShardId; start == nil {
			return out, nil
		}
	}
}

// pollStream reads every shard, parents before children, until ctx ends.
func (p *Pipeline) pollStream(ctx context.Context, initial []streamShard) {
	shards := map[string]*shardState{}
	var order []string
	add := func(sh streamShard, fresh bool) {
		if _, ok := shards[sh.id]; ok {
			return
		}
		st := &shardState{streamShard: sh, fresh: fresh}
		if !fresh && p.o.StartAtLatest && sh.closed {
			st.done = true // LATEST: what closed shards hold is before the start
		}
		shards[sh.id] = st
		order = append(order, sh.id)
	}
	for _, sh := range initial {
		add(sh, false)
	}
	lastRefresh := time.Now()
	for ctx.Err() == nil {
		roundStart := time.Now()
		refresh := time.Since(lastRefresh) > 2*time.Second
		got, busy := 0, false
		for _, id := range order {
			st := shards[id]
			if st.done {
				continue
			}
			if parent, ok := shards[st.parent]; ok && !parent.done {
				continue // the parent's records come first
			}
			n, err := p.pollShard(ctx, st)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				busy = true
				p.o.Log.Warn("stream batch failed; retrying", "shard", st.id, "error", err.Error())
				p.update(func() { p.stats.StreamRetries++ })
				sleep(ctx, p.o.RetryWait)
				continue
			}
			got += n
			if st.done {
				refresh = true // its children may be new
				p.o.Log.Info("stream shard ended", "shard", st.id)
			}
		}
		if refresh {
			found, err := p.describeShards(ctx)
			if err != nil {
				busy = true
				p.o.Log.Warn("describing the stream failed", "error", err.Error())
			} else {
				for _, sh := range found {
					if _, ok := shards[sh.id]; !ok {
						got++ // a new shard is work: the round was not idle
						p.o.Log.Info("stream shard found", "shard", sh.id, "parent", sh.parent)
					}
					add(sh, true)
				}
			}
			lastRefresh = time.Now()
		}
		if got == 0 && !busy {
			p.update(func() { p.streamIdle = roundStart })
			sleep(ctx, p.o.PollInterval)
		}
	}
}

// pollShard reads one batch of st and hands it to the handler. It returns the records
// handled; an error leaves the shard where the retry must start.
func (p *Pipeline) pollShard(ctx context.Context, st *shardState) (int, error) {
	if st.iterator == "" {
		if err := p.iterate(ctx, st); err != nil {
			return 0, err
		}
		if st.done {
			return 0, nil
		}
	}
	out, err := p.streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(st.iterator),
		Limit: aws.Int32(int32(p.o.BatchSize))})
	var expired *streamtypes.ExpiredIteratorException
	var trimmed *streamtypes.TrimmedDataAccessException
	switch {
	case errors.As(err, &expired):
		st.iterator = "" // a new one, after the last record handled
		return 0, nil
	case errors.As(err, &trimmed):
		st.iterator, st.lastSeq, st.fresh = "", "", true // what is left, from the start
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("GetRecords: %w", err)
	}
	next := aws.ToString(out.NextShardIterator)
	if len(out.Records) == 0 {
		st.iterator = next
		if next == "" {
			st.done = true
		}
		return 0, nil
	}
	ev := events.DynamoDBEvent{Records: make([]events.DynamoDBEventRecord, 0, len(out.Records))}
	for _, r := range out.Records {
		ev.Records = append(ev.Records, p.convertRecord(r))
	}
	p.begin()
	resp, herr := p.o.Stream(ctx, ev)
	p.end()
	p.update(func() { p.stats.StreamBatches++ })
	failedAt := -1 // the index of the first record to read again
	if herr != nil {
		failedAt = 0
	} else {
		for _, f := range resp.BatchItemFailures {
			i := slices.IndexFunc(ev.Records, func(r events.DynamoDBEventRecord) bool {
				return r.Change.SequenceNumber == f.ItemIdentifier
			})
			if i < 0 {
				i = 0 // an identifier that names no record fails the whole batch, as in Lambda
			}
			if failedAt < 0 || i < failedAt {
				failedAt = i
			}
		}
	}
	if failedAt < 0 {
		st.iterator, st.lastSeq = next, ev.Records[len(ev.Records)-1].Change.SequenceNumber
		if next == "" {
			st.done = true
		}
		p.update(func() { p.stats.StreamRecords += len(ev.Records) })
		return len(ev.Records), nil
	}
	// Records before the failed one are done; the shard starts again at it.
	if failedAt > 0 {
		st.lastSeq = ev.Records[failedAt-1].Change.SequenceNumber
		p.update(func() { p.stats.StreamRecords += failedAt })
	}
	it, err := p.streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(p.streamARN),
		ShardId: aws.String(st.id), ShardIteratorType: streamtypes.ShardIteratorTypeAtSequenceNumber,
		SequenceNumber: aws.String(ev.Records[failedAt].Change.SequenceNumber)})
	if err != nil {
		st.iterator = "" // iterate again after lastSeq
	} else {
		st.iterator = aws.ToString(it.ShardIterator)
	}
	if herr == nil {
		herr = fmt.Errorf("%d of %d records reported failed, from sequence number %s", len(resp.BatchItemFailures),
			len(ev.Records), ev.Records[failedAt].Change.SequenceNumber)
	}
	return failedAt, herr
}

// iterate gets st a shard iterator: after the last record handled, or where a shard starts.
func (p *Pipeline) iterate(ctx context.Context, st *shardState) error {
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(p.streamARN), ShardId: aws.String(st.id)}
	switch {
	case st.lastSeq != "":
		in.ShardIteratorType, in.SequenceNumber = streamtypes.ShardIteratorTypeAfterSequenceNumber, aws.String(st.lastSeq)
	case !st.started && !st.fresh && p.o.StartAtLatest:
		in.ShardIteratorType = streamtypes.ShardIteratorTypeLatest
	default:
		in.ShardIteratorType = streamtypes.ShardIteratorTypeTrimHorizon
	}
	out, err := p.streams.GetShardIterator(ctx, in)
	var notFound *streamtypes.ResourceNotFoundException
	var trimmed *streamtypes.TrimmedDataAccessException
	switch {
	case errors.As(err, &notFound):
		st.done = true // the shard is gone (past the stream's retention)
		return nil
	case errors.As(err, &trimmed):
		st.lastSeq, st.fresh = "", true
		return fmt.Errorf("GetShardIterator: %w", err)
	case err != nil:
		return fmt.Errorf("GetShardIterator: %w", err)
	}
	st.started = true
	st.iterator = aws.ToString(out.ShardIterator)
	if st.iterator == "" {
		st.done = true
	}
	return nil
}

// convertRecord is a stream record in the shape Lambda gives a function.
func (p *Pipeline) convertRecord(r streamtypes.Record) events.DynamoDBEventRecord {
	out := events.DynamoDBEventRecord{
		AWSRegion:      aws.ToString(r.AwsRegion),
		EventID:        aws.ToString(r.EventID),
		EventName:      string(r.EventName),
		EventSource:    aws.ToString(r.EventSource),
		EventVersion:   aws.ToString(r.EventVersion),
		EventSourceArn: p.streamARN,
	}
	if out.AWSRegion == "" {
		out.AWSRegion = p.o.AWS.Region
	}
	if out.EventSource == "" {
		out.EventSource = "aws:dynamodb"
	}
	if r.UserIdentity != nil {
		out.UserIdentity = &events.DynamoDBUserIdentity{Type: aws.ToString(r.UserIdentity.Type), PrincipalID: aws.ToString(r.UserIdentity.PrincipalId)}
	}
	if c := r.Dynamodb; c != nil {
		out.Change = events.DynamoDBStreamRecord{
			Keys:           ConvertImage(c.Keys),
			NewImage:       ConvertImage(c.NewImage),
			OldImage:       ConvertImage(c.OldImage),
			SequenceNumber: aws.ToString(c.SequenceNumber),
			SizeBytes:      aws.ToInt64(c.SizeBytes),
			StreamViewType: string(c.StreamViewType),
		}
		if c.ApproximateCreationDateTime != nil {
			out.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *c.ApproximateCreationDateTime}
		}
	}
	return out
}

// ConvertImage is an item image of the Streams API as Lambda's event carries it (nil for
// none).
func ConvertImage(img map[string]streamtypes.AttributeValue) map[string]events.DynamoDBAttributeValue {
	if img == nil {
		return nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(img))
	for k, v := range img {
		out[k] = ConvertValue(v)
	}
	return out
}

// ConvertValue is one attribute value of the Streams API as Lambda's event carries it.
func ConvertValue(v streamtypes.AttributeValue) events.DynamoDBAttributeValue {
	switch v := v.(type) {
	case *streamtypes.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *streamtypes.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *streamtypes.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value)
	case *streamtypes.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value)
	case *streamtypes.AttributeValueMemberNULL:
		return events.NewNullAttribute()
	case *streamtypes.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value)
	case *streamtypes.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value)
	case *streamtypes.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value)
	case *streamtypes.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, 0, len(v.Value))
		for _, e := range v.Value {
			l = append(l, ConvertValue(e))
		}
		return events.NewListAttribute(l)
	case *streamtypes.AttributeValueMemberM:
		return events.NewMapAttribute(ConvertImage(v.Value))
	}
	return events.NewNullAttribute()
}

// ---------------------------------------------------------------------------------------------
// The queue.

func (p *Pipeline) pollQueue(ctx context.Context) {
	wait := int32(p.o.WaitTime / time.Second)
	for ctx.Err() == nil {
		start := time.Now()
		out, err := p.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(p.o.QueueURL),
			MaxNumberOfMessages:         int32(p.o.QueueBatchSize),
			WaitTimeSeconds:             wait,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			p.o.Log.Warn("receiving from the queue failed", "error", err.Error())
			sleep(ctx, p.o.RetryWait)
			continue
		}
		if len(out.Messages) == 0 {
			p.update(func() { p.queueIdle = start })
			if wait == 0 {
				sleep(ctx, p.o.PollInterval)
			}
			continue
		}
		p.handleMessages(ctx, out.Messages)
	}
}

func (p *Pipeline) handleMessages(ctx context.Context, msgs []sqstypes.Message) {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, 0, len(msgs))}
	for _, m := range msgs {
		ev.Records = append(ev.Records, p.convertMessage(m))
	}
	p.begin()
	resp, err := p.o.Queue(ctx, ev)
	failed := map[string]bool{}
	if err != nil {
		p.o.Log.Warn("queue batch failed; its messages come back after their visibility timeout", "error", err.Error())
		for _, r := range ev.Records {
			failed[r.MessageId] = true
		}
	}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	var del []sqstypes.DeleteMessageBatchRequestEntry
	for i, r := range ev.Records {
		if !failed[r.MessageId] {
			del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(r.ReceiptHandle)})
		}
	}
	if len(del) > 0 {
		out, derr := p.sqs.DeleteMessageBatch(context.WithoutCancel(ctx), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.o.QueueURL), Entries: del})
		switch {
		case derr != nil:
			p.o.Log.Warn("deleting handled messages failed; they will be handled again", "error", derr.Error())
		case len(out.Failed) > 0:
			p.o.Log.Warn("deleting handled messages failed; they will be handled again", "failed", len(out.Failed))
		}
	}
	p.end()
	p.update(func() {
		p.stats.QueueBatches++
		p.stats.QueueMessages += len(ev.Records)
		p.stats.QueueFailures += len(failed)
	})
}

// convertMessage is a received message in the shape Lambda gives an SQS function.
func (p *Pipeline) convertMessage(m sqstypes.Message) events.SQSMessage {
	out := events.SQSMessage{
		MessageId:      aws.ToString(m.MessageId),
		ReceiptHandle:  aws.ToString(m.ReceiptHandle),
		Body:           aws.ToString(m.Body),
		Md5OfBody:      aws.ToString(m.MD5OfBody),
		Attributes:     map[string]string{},
		EventSource:    "aws:sqs",
		EventSourceARN: p.queueARN,
		AWSRegion:      p.o.AWS.Region,
	}
	out.Md5OfMessageAttributes = aws.ToString(m.MD5OfMessageAttributes)
	for k, v := range m.Attributes {
		out.Attributes[k] = v
	}
	if len(m.MessageAttributes) > 0 {
		out.MessageAttributes = map[string]events.SQSMessageAttribute{}
		for k, v := range m.MessageAttributes {
			out.MessageAttributes[k] = events.SQSMessageAttribute{DataType: aws.ToString(v.DataType), StringValue: v.StringValue,
				BinaryValue: v.BinaryValue, StringListValues: v.StringListValues, BinaryListValues: v.BinaryListValues}
		}
	}
	return out
}
