package store

import (
	"context"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/latchkey/latchkey/shared/callcount"
)

// countCalls records each DynamoDB operation and the capacity it consumed into the request's
// callcount.Counter. It asks DynamoDB for the consumed capacity on every call, so what a
// route costs is measured, not estimated; that costs nothing extra.
func countCalls(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("LatchkeyCallCount",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c := callcount.From(ctx)
			if c == nil {
				return next.HandleInitialize(ctx, in)
			}
			c.Add(awsmiddleware.GetOperationName(ctx))
			askCapacity(in.Parameters)
			out, md, err := next.HandleInitialize(ctx, in)
			if err == nil {
				c.AddCapacity(consumed(out.Result))
			}
			return out, md, err
		}), middleware.After)
}

func askCapacity(params any) {
	total := types.ReturnConsumedCapacityTotal
	switch p := params.(type) {
	case *dynamodb.GetItemInput:
		p.ReturnConsumedCapacity = total
	case *dynamodb.BatchGetItemInput:
		p.ReturnConsumedCapacity = total
	case *dynamodb.QueryInput:
		p.ReturnConsumedCapacity = total
	case *dynamodb.PutItemInput:
		p.ReturnConsumedCapacity = total
	case *dynamodb.UpdateItemInput:
		p.ReturnConsumedCapacity = total
	case *dynamodb.DeleteItemInput:
		p.ReturnConsumedCapacity = total
	case *dynamodb.BatchWriteItemInput:
		p.ReturnConsumedCapacity = total
	case *dynamodb.TransactWriteItemsInput:
		p.ReturnConsumedCapacity = total
	case *dynamodb.TransactGetItemsInput:
		p.ReturnConsumedCapacity = total
	}
}

// consumed returns the read and write capacity units an operation's output reports.
func consumed(result any) (read, write float64) {
	sum := func(ccs ...types.ConsumedCapacity) (n float64) {
		for _, cc := range ccs {
			if cc.CapacityUnits != nil {
				n += *cc.CapacityUnits
			}
		}
		return n
	}
	one := func(cc *types.ConsumedCapacity) float64 {
		if cc == nil {
			return 0
		}
		return sum(*cc)
	}
	switch r := result.(type) {
	case *dynamodb.GetItemOutput:
		return one(r.ConsumedCapacity), 0
	case *dynamodb.BatchGetItemOutput:
		return sum(r.ConsumedCapacity...), 0
	case *dynamodb.QueryOutput:
		return one(r.ConsumedCapacity), 0
	case *dynamodb.TransactGetItemsOutput:
		return sum(r.ConsumedCapacity...), 0
	case *dynamodb.PutItemOutput:
		return 0, one(r.ConsumedCapacity)
	case *dynamodb.UpdateItemOutput:
		return 0, one(r.ConsumedCapacity)
	case *dynamodb.DeleteItemOutput:
		return 0, one(r.ConsumedCapacity)
	case *dynamodb.BatchWriteItemOutput:
		return 0, sum(r.ConsumedCapacity...)
	case *dynamodb.TransactWriteItemsOutput:
		return 0, sum(r.ConsumedCapacity...)
	}
	return 0, 0
}
