// Command cleanup is the scheduled Lambda (EventBridge, hourly) that deletes expired magic-link
// tokens, intermediate sessions and sessions. Outside Lambda (`make cleanup`) it runs once.
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/app"
)

func main() {
	ctx := context.Background()
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := app.ConfigFromEnv()
	if err != nil {
		log.Error("config", "error", err)
		os.Exit(1)
	}
	st, err := app.NewStore(ctx, cfg)
	if err != nil {
		log.Error("start", "error", err)
		os.Exit(1)
	}
	handler := app.CleanupHandler(st, latchkey.SystemClock{}, log)
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") == "" {
		stats, err := handler(ctx, events.EventBridgeEvent{})
		if err != nil {
			os.Exit(1)
		}
		_ = json.NewEncoder(os.Stdout).Encode(stats)
		return
	}
	lambda.Start(handler)
}
