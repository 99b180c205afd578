// Command mfa is the Lambda function serving the "mfa" routes of the route table in
// shared/api/routes.go (API Gateway HTTP API, payload v2).
package main

import (
	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/app"
)

func main() { app.ServeLambda(api.FunctionMFA) }
