package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Key attribute and index names, shared with the CDK stack.
const (
	AttrPK     = "pk"
	AttrSK     = "sk"
	AttrGSI1PK = "gsi1pk"
	AttrGSI1SK = "gsi1sk"
	AttrGSI2PK = "gsi2pk"
	AttrGSI2SK = "gsi2sk"
	AttrTTL    = "ttl"
	IndexGSI1  = "gsi1"
	IndexGSI2  = "gsi2"
)

// Index describes a global secondary index (projection ALL).
type Index struct{ Name, PK, SK string }

// Indexes are the table's GSIs.
var Indexes = []Index{{IndexGSI1, AttrGSI1PK, AttrGSI1SK}, {IndexGSI2, AttrGSI2PK, AttrGSI2SK}}

// CreateTable creates the table (on-demand, TTL on `ttl`) if it does not exist, and waits for it.
// Used by local development and tests; in AWS the CDK stack owns the table.
func CreateTable(ctx context.Context, client *dynamodb.Client, name string) error {
	attrs := []types.AttributeDefinition{}
	for _, a := range []string{AttrPK, AttrSK, AttrGSI1PK, AttrGSI1SK, AttrGSI2PK, AttrGSI2SK} {
		attrs = append(attrs, types.AttributeDefinition{AttributeName: aws.String(a), AttributeType: types.ScalarAttributeTypeS})
	}
	var gsis []types.GlobalSecondaryIndex
	for _, ix := range Indexes {
		gsis = append(gsis, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix.Name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix.PK), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(ix.SK), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: attrs,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(AttrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(AttrSK), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: gsis,
		BillingMode:            types.BillingModePayPerRequest,
		// The stream feeds the webhook capture (functions/events): both images, so a change's
		// event can tell what it changed (a member becoming deleted) and present a removed item.
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	if err := dynamodb.NewTableExistsWaiter(client).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	if err := ensureStream(ctx, client, name); err != nil {
		return err
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(AttrTTL), Enabled: aws.Bool(true),
		},
	})
	// Setting TTL twice is an error in DynamoDB; the table already being set up is fine.
	var ve interface{ ErrorMessage() string }
	if err != nil && errors.As(err, &ve) && strings.Contains(ve.ErrorMessage(), "already enabled") {
		return nil
	}
	return err
}

// ensureStream turns the stream on for a table made before the table had one (a local
// DynamoDB's saved data), so the capture sees its changes too.
func ensureStream(ctx context.Context, client *dynamodb.Client, name string) error {
	out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("describe table %s: %w", name, err)
	}
	if sp := out.Table.StreamSpecification; sp != nil && aws.ToBool(sp.StreamEnabled) {
		return nil
	}
	_, err = client.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(name),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages}})
	if err != nil {
		return fmt.Errorf("enable the stream of table %s: %w", name, err)
	}
	return nil
}
