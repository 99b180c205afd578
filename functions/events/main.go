// Command events is the webhook capture Lambda: its event source is the table's DynamoDB
// stream (NEW_AND_OLD_IMAGES, ReportBatchItemFailures). Each change to an organization,
// member, SCIM connection or group, SSO connection, or a revoked session becomes one event,
// kept in the audit trail and queued for every endpoint that wants it.
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
		slog.Error("config", "function", "events", "error", err)
		os.Exit(1)
	}
	handler, err := app.BuildEventsHandler(ctx, cfg, os.Stdout)
	if err != nil {
		slog.Error("start", "function", "events", "error", err)
		os.Exit(1)
	}
	lambda.Start(handler)
}
