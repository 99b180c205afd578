package app

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/latchkey/latchkey/shared/callcount"
	webhooks "github.com/latchkey/latchkey/shared/events"
	"github.com/latchkey/latchkey/shared/store"
)

// NewCapture is the capture of a's table: events presented as a's API presents their
// objects, kept for the configured retention, queued to the configured queue (none: kept
// only).
func NewCapture(a *App) *webhooks.Capture {
	return &webhooks.Capture{ProjectID: a.Config.ProjectID, Store: a.Store, Queue: webhookQueue(a.AWS, a.Config),
		Present: a.Server.EventObject, Retention: eventRetention(a.Config), Clock: a.Config.Clock}
}

// BuildEventsHandler is the events function's composition: the app (its API presents the
// events' objects) and the capture, logging to logOut.
func BuildEventsHandler(ctx context.Context, c Config, logOut io.Writer) (func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error), error) {
	a, err := Build(ctx, c, logOut)
	if err != nil {
		return nil, err
	}
	return EventsHandler(a, slog.New(slog.NewJSONHandler(logOut, nil))), nil
}

// EventsHandler is the events function on a (the table's stream, ReportBatchItemFailures).
func EventsHandler(a *App, log *slog.Logger) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return CaptureHandler(NewCapture(a), a.Store, log)
}

// CaptureHandler turns a batch of stream records into events: decoded by st, made, kept and
// queued by c. When something fails, the first record not done is reported as the batch's
// item failure, so Lambda retries the shard from there (the records before it are done; the
// ones after it come again, which the event ids make harmless). One JSON line is logged per
// batch, without bodies.
func CaptureHandler(c *webhooks.Capture, st *store.Store, log *slog.Logger) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		start := time.Now()
		ctx, calls := callcount.With(ctx)
		var resp events.DynamoDBEventResponse
		recs := make([]store.StreamRecord, 0, len(ev.Records))
		for _, r := range ev.Records {
			recs = append(recs, StreamRecord(r))
		}
		fail := func(i int) {
			if i >= 0 && i < len(ev.Records) {
				resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: ev.Records[i].Change.SequenceNumber}}
			}
		}
		attrs := func(extra ...any) []any {
			rcu, wcu := calls.Capacity()
			return append([]any{"records", len(ev.Records), "dynamodb_calls", calls.Total(), "dynamodb_ops", calls.String(), "rcu", rcu, "wcu", wcu,
				"latency_ms", time.Since(start).Milliseconds()}, extra...)
		}
		changes, index, skipped, err := st.Changes(ctx, recs)
		for _, s := range skipped {
			log.Error("webhook capture: record skipped", "error", s.Error())
		}
		if err != nil {
			fail(0)
			log.Error("webhook capture", attrs("events", 0, "queued", 0, "failed_sequence_number", seq(ev, 0), "error", err.Error())...)
			return resp, nil
		}
		res, err := c.Capture(ctx, changes)
		out := attrs("changes", len(changes), "events", res.Events, "new_events", res.New, "queued", res.Queued,
			"skipped", len(skipped), "unpresented", res.Unpresented)
		if err != nil {
			failed := 0
			if res.Failed >= 0 && res.Failed < len(index) {
				failed = index[res.Failed]
			}
			fail(failed)
			log.Error("webhook capture", append(out, "failed_sequence_number", seq(ev, failed), "error", err.Error())...)
			return resp, nil
		}
		log.Info("webhook capture", out...)
		return resp, nil
	}
}

func seq(ev events.DynamoDBEvent, i int) string {
	if i < 0 || i >= len(ev.Records) {
		return ""
	}
	return ev.Records[i].Change.SequenceNumber
}

// StreamRecord is a Lambda stream record as the store decodes it.
func StreamRecord(r events.DynamoDBEventRecord) store.StreamRecord {
	out := store.StreamRecord{EventName: r.EventName, EventID: r.EventID, At: r.Change.ApproximateCreationDateTime.UTC(),
		Old: AttributeValues(r.Change.OldImage), New: AttributeValues(r.Change.NewImage)}
	if r.Change.ApproximateCreationDateTime.IsZero() {
		out.At = time.Time{}
	}
	if r.UserIdentity != nil {
		out.Principal = r.UserIdentity.PrincipalID
	}
	return out
}

// AttributeValues converts an image of Lambda's stream event to the SDK's attribute values.
func AttributeValues(img map[string]events.DynamoDBAttributeValue) map[string]types.AttributeValue {
	if img == nil {
		return nil
	}
	out := make(map[string]types.AttributeValue, len(img))
	for k, v := range img {
		out[k] = attributeValue(v)
	}
	return out
}

func attributeValue(v events.DynamoDBAttributeValue) types.AttributeValue {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}
	case events.DataTypeList:
		l := v.List()
		out := make([]types.AttributeValue, len(l))
		for i, x := range l {
			out[i] = attributeValue(x)
		}
		return &types.AttributeValueMemberL{Value: out}
	case events.DataTypeMap:
		return &types.AttributeValueMemberM{Value: AttributeValues(v.Map())}
	default:
		// Lambda's event knows no other type; a new one reads as absent rather than failing
		// the shard.
		return &types.AttributeValueMemberNULL{Value: true}
	}
}
