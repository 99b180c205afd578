// Command oauth is the Lambda function serving the "oauth" routes of the route table in
// shared/api/routes.go (API Gateway HTTP API, payload v2): login with Google and Microsoft
// (browser starts, Latchkey's redirect URI, the redemptions) and Members.OAuthProviders.
package main

import (
	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/app"
)

func main() { app.ServeLambda(api.FunctionOAuth) }
