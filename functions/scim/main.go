// Command scim is the Lambda function serving the "scim" routes of the route table in
// shared/api/routes.go (API Gateway HTTP API, payload v2): SCIM connection management and the
// SCIM 2.0 server identity providers provision members through.
package main

import (
	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/app"
)

func main() { app.ServeLambda(api.FunctionSCIM) }
