package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/latchkey/latchkey/localstack/pipeline"
	"github.com/latchkey/latchkey/shared/app"
)

// captureHandler is the table stream's function, the capture (functions/events), on the
// same app as the API: what it presents is what the API answers.
func captureHandler(_ context.Context, _ app.Config, a *app.App) pipeline.StreamHandler {
	return app.EventsHandler(a, slog.New(slog.NewJSONHandler(os.Stdout, nil)))
}
