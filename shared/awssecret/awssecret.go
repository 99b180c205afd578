// Package awssecret reads the secrets Latchkey's configuration names by AWS Secrets Manager ARN
// (OAuth client secrets), so that the secret itself is in neither the Lambda environment nor
// the CloudFormation template, only the ARN. Each instance resolves its configuration once, at
// start. Locally the endpoint points at the Secrets Manager emulator in localstack/emulators,
// so the real Secrets Manager client runs everywhere.
package awssecret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// clientSecretKey is the key read from a secret holding a JSON object: what the console's
// "Other type of secret" key/value editor writes for a pair named client_secret.
const clientSecretKey = "client_secret"

// Resolve returns value itself, unless it is a Secrets Manager ARN
// (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>), whose current SecretString
// it reads. A secret whose string is a JSON object with a "client_secret" key yields that key's
// value (the shape the console's "Other type of secret" key/value editor writes); any other
// string is returned as is. An empty secret or a binary-only secret is an error.
//
// The secret is read in the region its ARN names, whatever cfg.Region is. endpoint overrides
// the Secrets Manager endpoint (an emulator) when set. A value that starts like a Secrets
// Manager ARN but is not a whole one is an error rather than a secret: sent on as a client
// secret, a mistyped ARN would fail at the identity provider, far from its cause. Errors name
// the ARN, never the secret.
func Resolve(ctx context.Context, cfg aws.Config, endpoint, value string) (string, error) {
	region, isARN, err := parseARN(value)
	if !isARN {
		return value, nil
	}
	if err != nil {
		return "", err
	}
	client := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		o.Region = region
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(value)})
	if err != nil {
		return "", fmt.Errorf("awssecret: reading %s: %w", value, err)
	}
	if out.SecretString == nil {
		if len(out.SecretBinary) > 0 {
			return "", fmt.Errorf("awssecret: %s holds a binary secret; store the client secret as its SecretString", value)
		}
		return "", fmt.Errorf("awssecret: %s has no SecretString", value)
	}
	secret, err := clientSecret(*out.SecretString)
	if err != nil {
		return "", fmt.Errorf("awssecret: %s: %w", value, err)
	}
	if secret == "" {
		return "", fmt.Errorf("awssecret: %s is empty", value)
	}
	return secret, nil
}

// parseARN reports whether value is meant as a Secrets Manager ARN (it starts
// "arn:<partition>:secretsmanager:"), and if so the region it names, or an error when it is not
// a whole secret ARN.
func parseARN(value string) (region string, isARN bool, err error) {
	parts := strings.SplitN(value, ":", 7)
	if len(parts) < 3 || parts[0] != "arn" || parts[2] != "secretsmanager" {
		return "", false, nil
	}
	if len(parts) != 7 || parts[1] == "" || parts[3] == "" || parts[4] == "" || parts[5] != "secret" || parts[6] == "" {
		return "", true, fmt.Errorf("awssecret: %q is not a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>)", value)
	}
	return parts[3], true, nil
}

// clientSecret is the client secret a SecretString holds: its "client_secret" member when it is
// a JSON object with one, else the string itself.
func clientSecret(s string) (string, error) {
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return s, nil
	}
	var members map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &members) != nil {
		return s, nil // not JSON after all: a plain secret that starts with a brace
	}
	raw, ok := members[clientSecretKey]
	if !ok {
		return s, nil
	}
	var v string
	// The decoding error is not wrapped: it may quote the secret.
	if json.Unmarshal(raw, &v) != nil {
		return "", errors.New(`its "client_secret" member is not a string`)
	}
	return v, nil
}
