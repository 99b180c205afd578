package store_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/latchkey/latchkey/shared/store"
)

func TestDeliveryMarker(t *testing.T) {
	ctx := context.Background()
	st := env.App.Store
	ep, ev := "webhook-endpoint-test-"+uuid.NewString(), "webhook-event-test-"+uuid.NewString()
	if done, err := st.Delivered(ctx, ep, ev); err != nil || done {
		t.Fatalf("before: %v %v", done, err)
	}
	if err := st.MarkDelivered(ctx, ep, ev, 204, 3); err != nil {
		t.Fatal(err)
	}
	if done, err := st.Delivered(ctx, ep, ev); err != nil || !done {
		t.Fatalf("after: %v %v", done, err)
	}
	// Another endpoint, or another event, is not delivered.
	if done, _ := st.Delivered(ctx, ep+"x", ev); done {
		t.Fatal("marker leaks to another endpoint")
	}
	if done, _ := st.Delivered(ctx, ep, ev+"x"); done {
		t.Fatal("marker leaks to another event")
	}

	// The item is as shared/store/doc.go lays it out.
	out, err := store.NewClient(env.App.AWS, env.Config.DynamoDBEndpoint).GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(env.Config.Table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "DELIVERY#" + ep + "#" + ev},
			"sk": &types.AttributeValueMemberS{Value: "DELIVERY"},
		}})
	if err != nil || out.Item == nil {
		t.Fatalf("item: %v %v", out, err)
	}
	num := func(name string) int64 {
		n, ok := out.Item[name].(*types.AttributeValueMemberN)
		if !ok {
			t.Fatalf("%s is %T", name, out.Item[name])
		}
		v, _ := strconv.ParseInt(n.Value, 10, 64)
		return v
	}
	if num("status") != 204 || num("attempts") != 3 {
		t.Errorf("status %d attempts %d", num("status"), num("attempts"))
	}
	if ttl := time.Unix(num("ttl"), 0); ttl.Sub(time.Now().Add(store.DeliveryMarkerTTL)).Abs() > time.Minute {
		t.Errorf("ttl %v, want now + 7 days", ttl)
	}
	if _, ok := out.Item["delivered_at"].(*types.AttributeValueMemberS); !ok {
		t.Errorf("delivered_at %T", out.Item["delivered_at"])
	}
	if _, ok := out.Item["gsi1pk"]; ok {
		t.Error("the marker is in no index")
	}
}
