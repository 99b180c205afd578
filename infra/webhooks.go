package infra

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// The webhook pipeline (issue #14): table stream → events (audit trail + one queue message per
// endpoint that wants the event) → webhook-deliveries queue → deliveries (signed POST; a
// failure moves the message's visibility to the next backoff) → after WebhookMaxReceiveCount
// receives, webhook-deliveries-dlq. A stream batch the events function cannot process after
// its retries is reported to events-failed.
const (
	// DeliveriesTimeoutSeconds is the delivery function's timeout: a batch of 10 messages,
	// DeliveryConcurrency at a time, each POST bounded at 15 s.
	DeliveriesTimeoutSeconds = 60
	// EventsTimeoutSeconds is the capture's timeout: a stream batch of EventsBatchSize
	// records, one BatchGetItem, a conditional PutItem per event, SendMessageBatch calls.
	EventsTimeoutSeconds = 60
	// WebhookVisibilitySeconds is the delivery queue's visibility timeout: six times the
	// delivery function's timeout, as AWS advises for a Lambda event source (a failed
	// message's next attempt is set by the function itself, ChangeMessageVisibility).
	WebhookVisibilitySeconds = 6 * DeliveriesTimeoutSeconds
	// WebhookRetentionDays keeps a message longer than its whole retry schedule (5 s, 5 min,
	// 30 min, 2 h, 5 h, 10 h, 10 h: about 28 h); DLQRetentionDays is SQS's maximum.
	WebhookRetentionDays = 4
	DLQRetentionDays     = 14
	// WebhookMaxReceiveCount is the schedule's attempts plus the first: then the DLQ.
	WebhookMaxReceiveCount = 8
	// DeliveriesBatchSize and DeliveriesMaxConcurrency bound the delivery function's
	// batches and how many run at once (the SQS event source's maximum concurrency).
	DeliveriesBatchSize      = 10
	DeliveriesMaxConcurrency = 20
	// EventsBatchSize, EventsRetryAttempts and EventsMaxRecordAgeHours are the stream event
	// source's settings (one shard at a time, parallelization 1, so changes to one item are
	// captured in order).
	EventsBatchSize         = 100
	EventsRetryAttempts     = 10
	EventsMaxRecordAgeHours = 24
	// EventsIteratorAgeAlarmMinutes: the capture is this far behind the table's changes.
	EventsIteratorAgeAlarmMinutes = 15
)

// webhookQueues are the pipeline's three queues.
type webhookQueues struct {
	deliveries, dlq, eventsFailed awssqs.Queue
}

// newWebhookQueues defines the queues (SSE with SQS-managed keys, TLS-only access), their
// alarms and outputs. They come before the functions, whose environment names the queue.
func newWebhookQueues(stack awscdk.Stack, c Config, alarms awssns.Topic) webhookQueues {
	days := func(n float64) awscdk.Duration { return awscdk.Duration_Days(jsii.Number(n)) }
	queue := func(id, name string, props *awssqs.QueueProps) awssqs.Queue {
		props.QueueName = jsii.String(c.StackName + "-" + name)
		props.Encryption = awssqs.QueueEncryption_SQS_MANAGED
		props.EnforceSSL = jsii.Bool(true)
		return awssqs.NewQueue(stack, jsii.String(id), props)
	}
	var q webhookQueues
	q.dlq = queue("WebhookDeliveriesDLQ", "webhook-deliveries-dlq", &awssqs.QueueProps{RetentionPeriod: days(DLQRetentionDays)})
	q.deliveries = queue("WebhookDeliveries", "webhook-deliveries", &awssqs.QueueProps{
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(WebhookVisibilitySeconds)),
		RetentionPeriod:   days(WebhookRetentionDays),
		DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: q.dlq, MaxReceiveCount: jsii.Number(WebhookMaxReceiveCount)},
	})
	q.eventsFailed = queue("EventsFailed", "events-failed", &awssqs.QueueProps{RetentionPeriod: days(DLQRetentionDays)})
	cdknag.NagSuppressions_AddResourceSuppressions(q.eventsFailed, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("events-failed is itself the dead-letter destination: the stream event source's " +
			"on-failure destination, where Lambda records a stream batch the events function could not process " +
			"(shard and sequence numbers). Nothing consumes it automatically; its alarm tells an operator."),
	}}, jsii.Bool(true))

	visible := func(q awssqs.Queue) awscloudwatch.Metric {
		return q.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum"),
		})
	}
	alarm(stack, "WebhookDLQMessages", visible(q.dlq), 1,
		"A webhook delivery exhausted its retries (about 28 h) and is in the dead-letter queue: the endpoint was "+
			"down or rejected it. Fix the endpoint, then redrive the DLQ to the delivery queue or replay the events.", alarms)
	alarm(stack, "EventsFailedMessages", visible(q.eventsFailed), 1,
		"The events function could not capture a stream batch after its retries: changes in it may have no "+
			"event or delivery. The message names the shard and sequence numbers; see the events function's logs.", alarms)

	out := func(id string, value *string, desc string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(desc)})
	}
	out("WebhookQueueUrl", q.deliveries.QueueUrl(), "SQS queue of webhook deliveries (one message per endpoint and event)")
	out("WebhookDLQUrl", q.dlq.QueueUrl(), "Webhook deliveries that exhausted their retries (redrive to WebhookQueueUrl)")
	out("EventsFailedQueueUrl", q.eventsFailed.QueueUrl(), "Stream batches the events function could not process")
	return q
}

// webhookEnv adds the pipeline's variables to a webhook function's environment.
func webhookEnv(env map[string]*string, c Config, q webhookQueues, a Access) {
	if a.EnqueueWebhooks || a.QueueSource || a.StreamSource {
		env["LATCHKEY_WEBHOOK_QUEUE_URL"] = q.deliveries.QueueUrl()
		env["LATCHKEY_EVENT_RETENTION_DAYS"] = jsii.String(strconv.Itoa(c.EventRetentionDays))
	}
}

// isWebhookFunction says whether a function takes part in the webhook pipeline.
func isWebhookFunction(a Access) bool {
	return a.EnqueueWebhooks || a.QueueSource || a.StreamSource || a.Unseal
}

// attachWebhooks gives a function its queue permission and event source.
func attachWebhooks(stack awscdk.Stack, name string, fn awslambda.Function, table awsdynamodb.Table, q webhookQueues, alarms awssns.Topic) {
	a := FunctionAccess[name]
	if a.EnqueueWebhooks {
		fn.Role().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("EnqueueWebhooks"),
			Actions:   jsii.Strings("sqs:SendMessage"),
			Resources: &[]*string{q.deliveries.QueueArn()},
		}))
	}
	if a.StreamSource {
		// The grants come with the source: the stream's DescribeStream, GetRecords and
		// GetShardIterator on the stream's ARN, dynamodb:ListStreams (which has no resource
		// to name), and SendMessage to events-failed.
		fn.AddEventSource(awslambdaeventsources.NewDynamoEventSource(table, &awslambdaeventsources.DynamoEventSourceProps{
			StartingPosition:        awslambda.StartingPosition_TRIM_HORIZON,
			BatchSize:               jsii.Number(EventsBatchSize),
			BisectBatchOnError:      jsii.Bool(true),
			ReportBatchItemFailures: jsii.Bool(true),
			RetryAttempts:           jsii.Number(EventsRetryAttempts),
			MaxRecordAge:            awscdk.Duration_Hours(jsii.Number(EventsMaxRecordAgeHours)),
			ParallelizationFactor:   jsii.Number(1),
			OnFailure:               awslambdaeventsources.NewSqsDlq(q.eventsFailed),
		}))
		cdknag.NagSuppressions_AddResourceSuppressions(fn.Role(), &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("dynamodb:ListStreams, granted by the CDK's DynamoDB event source for the table's " +
				"stream: the action has no resource type, so IAM accepts only \"*\" for it. Every other stream " +
				"action is on this table's stream ARN alone."),
			AppliesTo: &[]any{"Resource::*"},
		}}, jsii.Bool(true))
		alarm(stack, exportName(name)+"IteratorAge", awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/Lambda"), MetricName: jsii.String("IteratorAge"),
			DimensionsMap: &map[string]*string{"FunctionName": fn.FunctionName()},
			Period:        awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum"),
		}), EventsIteratorAgeAlarmMinutes*60*1000,
			"The events function is more than "+strconv.Itoa(EventsIteratorAgeAlarmMinutes)+" minutes behind the "+
				"table's changes (stream iterator age): webhooks are late, and records older than 24 h are dropped to events-failed.", alarms)
	}
	if a.QueueSource {
		// Consume (receive, delete, change visibility, attributes) on this queue is the source's grant.
		fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(q.deliveries, &awslambdaeventsources.SqsEventSourceProps{
			BatchSize:               jsii.Number(DeliveriesBatchSize),
			ReportBatchItemFailures: jsii.Bool(true),
			MaxConcurrency:          jsii.Number(DeliveriesMaxConcurrency),
		}))
	}
}
