// Command sso is the Lambda function serving the "sso" routes of the route table in
// shared/api/routes.go (API Gateway HTTP API, payload v2): SSO connections, the browser flow
// through SAML and OIDC identity providers, and SSO.Authenticate.
package main

import (
	"github.com/latchkey/latchkey/shared/api"
	"github.com/latchkey/latchkey/shared/app"
)

func main() { app.ServeLambda(api.FunctionSSO) }
