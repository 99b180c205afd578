package main

// make dev's webhook pipeline: the delivery queue and its dead-letter queue in the SQS
// emulator, the local event source mappings (localstack/pipeline) running the capture on the
// table's stream and the delivery on the queue, and an endpoint pointing at the webhook inbox.

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/latchkey/latchkey/localstack/emulators"
	"github.com/latchkey/latchkey/localstack/pipeline"
	"github.com/latchkey/latchkey/shared/app"
	webhooks "github.com/latchkey/latchkey/shared/events"
)

// Queue names, as the CDK stack names them.
const (
	webhookQueueName = "latchkey-webhooks"
	webhookDLQName   = "latchkey-webhooks-dlq"
	// maxReceiveCount is the queue's redrive: eight attempts (about 28 hours on the backoff
	// schedule), then the dead-letter queue.
	maxReceiveCount = webhooks.MaxAttempts
	// inboxPath is where the dev endpoint posts in the inbox.
	inboxPath = "/webhooks"
)

// createWebhookQueues creates the delivery queue and its dead-letter queue in the SQS
// emulator (they are in memory: every make dev starts with empty ones) and returns the
// queue's URL.
func createWebhookQueues(ctx context.Context, c *sqs.Client) (string, error) {
	dlq, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(webhookDLQName),
		Attributes: map[string]string{"MessageRetentionPeriod": "1209600"}})
	if err != nil {
		return "", fmt.Errorf("creating %s: %w", webhookDLQName, err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", err
	}
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(webhookQueueName), Attributes: map[string]string{
		// Longer than a delivery batch takes (ten 15-second POSTs at most).
		"VisibilityTimeout": "90",
		"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`, attrs.Attributes["QueueArn"], maxReceiveCount),
	}})
	if err != nil {
		return "", fmt.Errorf("creating %s: %w", webhookQueueName, err)
	}
	return aws.ToString(q.QueueUrl), nil
}

// devEndpoint is the webhook endpoint make dev keeps pointed at the inbox.
type devEndpoint struct {
	ID, URL, Secret string
	Created         bool
	SecretErr       error // why the secret could not be read back
}

// ensureInboxEndpoint finds the endpoint posting to the inbox, or creates it through the
// endpoint API's service (as POST /v1/b2b/webhooks/endpoints would), and reads its secret.
func ensureInboxEndpoint(ctx context.Context, a *app.App, inboxURL string) (devEndpoint, error) {
	url := inboxURL + inboxPath
	svc := a.Server.Webhooks
	if svc == nil {
		return devEndpoint{}, fmt.Errorf("no webhook endpoint service")
	}
	eps, err := svc.List(ctx)
	if err != nil {
		return devEndpoint{}, err
	}
	for _, ep := range eps {
		if ep.URL == url && !ep.Disabled {
			d := devEndpoint{ID: ep.EndpointID, URL: url}
			open, err := a.Store.OpenWebhookEndpoint(ctx, ep.EndpointID)
			switch {
			case err != nil:
				d.SecretErr = err
			case len(open.Secrets) > 0:
				d.Secret = open.Secrets[0]
			}
			return d, nil
		}
	}
	desc := "make dev: the local webhook inbox"
	ep, secret, err := svc.Create(ctx, webhooks.EndpointPatch{URL: &url, Description: &desc})
	if err != nil {
		return devEndpoint{}, err
	}
	return devEndpoint{ID: ep.EndpointID, URL: url, Secret: secret, Created: true}, nil
}

// startPipeline runs the capture on the table's stream (when there is a capture handler) and
// the delivery on the queue.
func startPipeline(ctx context.Context, cfg app.Config, a *app.App, stack *emulators.Stack) (*pipeline.Pipeline, error) {
	deliver, err := app.BuildDeliveryHandler(ctx, cfg, os.Stdout)
	if err != nil {
		return nil, err
	}
	capture := captureHandler(ctx, cfg, a)
	return pipeline.Start(ctx, pipeline.Options{
		AWS:              a.AWS,
		DynamoDBEndpoint: stack.DynamoDBEndpoint,
		Table:            cfg.Table,
		Stream:           capture,
		SQSEndpoint:      stack.SQSEndpoint,
		QueueURL:         cfg.WebhookQueueURL,
		Queue:            deliver,
		Log:              slog.New(slog.NewJSONHandler(os.Stderr, nil)),
	})
}

// webhookBanner makes sure the inbox has its endpoint and says where deliveries show, for
// the banner.
func webhookBanner(ctx context.Context, a *app.App, stack *emulators.Stack, cfg app.Config) string {
	inbox := stack.WebhookInboxEndpoint
	out := fmt.Sprintf(`  Webhook inbox  %[1]s/        (JSON: %[1]s/store; POST %[1]s/faults {"status":503,"for_seconds":60} takes it down)
  SQS queues     %[2]s/        (%[3]s, dead letters in %[4]s)
`, inbox, stack.SQSEndpoint, webhookQueueName, webhookDLQName)
	ep, err := ensureInboxEndpoint(ctx, a, inbox)
	if err != nil {
		return out + fmt.Sprintf(`  No endpoint for the inbox (%v). Create one with:

    curl -s -u "$PROJECT_ID:$SECRET" %[2]s/v1/b2b/webhooks/endpoints \
      -H 'Content-Type: application/json' -d '{"url":"%[3]s%[4]s"}'
`, err, cfg.BaseURL, inbox, inboxPath)
	}
	verb := "reused"
	if ep.Created {
		verb = "created"
	}
	out += fmt.Sprintf("  Endpoint       %s → %s (%s)\n", ep.ID, ep.URL, verb)
	switch {
	case ep.Secret != "":
		out += fmt.Sprintf("  Signing secret %s        (verify with svix.NewWebhook)\n", ep.Secret)
	case ep.SecretErr != nil:
		out += fmt.Sprintf("  Signing secret (unreadable: %v)\n", ep.SecretErr)
	}
	return out
}
