// Command webhooks is the Lambda function serving the "webhooks" routes of the route table in
// shared/api/routes.go (API Gateway HTTP API, payload v2): webhook endpoint management, replay
// and the audit trail of events.
package main

import (
	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/app"
)

func main() { app.ServeLambda(api.FunctionWebhooks) }
