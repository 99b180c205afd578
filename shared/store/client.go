package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/guregu/dynamo/v2"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/orgs"
)

// AWSConfig loads the AWS configuration. With an endpoint (an emulator), credentials are
// static dummies so nothing reaches for real credentials or instance metadata.
func AWSConfig(ctx context.Context, region, endpoint string) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(region),
		// Bounded so a stalled dependency fails the request instead of the Lambda timeout.
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(10 * time.Second)),
	}
	if endpoint != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	return config.LoadDefaultConfig(ctx, opts...)
}

// NewClient builds the DynamoDB client every function uses: endpoint override for emulators
// and a middleware that counts operations into the request's callcount.Counter.
func NewClient(cfg aws.Config, endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, clientOptions(endpoint))
}

func clientOptions(endpoint string) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		// DynamoDB Local's 4xx bodies fail the SDK's checksum check and log a warning each.
		o.DisableValidateResponseChecksum = true
		o.APIOptions = append(o.APIOptions, countCalls)
	}
}

// Store implements latchkey.Store on one DynamoDB table.
type Store struct {
	db    *dynamo.DB
	table dynamo.Table
	// sealer seals webhook endpoint secrets (SetSealer, webhooks.go).
	sealer Sealer
}

var _ orgs.Store = (*Store)(nil)

// New returns a store over the named table.
func New(cfg aws.Config, endpoint, table string) *Store {
	db := dynamo.New(cfg, clientOptions(endpoint))
	return &Store{db: db, table: db.Table(table)}
}

// wrap turns transport failures into a 503 the API can render, and leaves the rest alone.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var send *smithyhttp.RequestSendError
	if errors.As(err, &send) || errors.Is(err, context.DeadlineExceeded) {
		return latchkey.Unavailable(err)
	}
	if errors.Is(err, dynamo.ErrNotFound) {
		return latchkey.ErrNotFound
	}
	return err
}
