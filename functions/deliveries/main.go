// Command deliveries is the webhook delivery Lambda: its event source is the webhook queue
// (SQS, ReportBatchItemFailures). Each message is one event for one endpoint, POSTed signed
// as Svix signs; a failure is retried on Svix's schedule by moving the message's visibility,
// and after the queue's maxReceiveCount it goes to the dead-letter queue.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/latchkey/latchkey/shared/app"
)

func main() {
	ctx := context.Background()
	cfg, err := app.ConfigFromEnv()
	if err != nil {
		slog.Error("config", "function", "deliveries", "error", err)
		os.Exit(1)
	}
	handler, err := app.BuildDeliveryHandler(ctx, cfg, os.Stdout)
	if err != nil {
		slog.Error("start", "function", "deliveries", "error", err)
		os.Exit(1)
	}
	lambda.Start(handler)
}
