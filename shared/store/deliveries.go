package store

import (
	"context"
	"errors"
	"time"

	"github.com/guregu/dynamo/v2"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/events"
)

var _ events.DeliveryStore = (*Store)(nil)

// DeliveryMarkerTTL is how long a delivery marker is kept: longer than a message can stay in
// the queue (about 28 hours of retries), so a copy of a delivered message is recognised.
const DeliveryMarkerTTL = 7 * 24 * time.Hour

// deliveryItem says an event reached an endpoint (a 2xx answer). It is written after the
// delivery and read before a non-replay one, so a message the queue hands out twice (or one
// queued twice by a retried stream batch) is POSTed once.
type deliveryItem struct {
	PK          string    `dynamo:"pk"`
	SK          string    `dynamo:"sk"`
	Status      int       `dynamo:"status"`
	Attempts    int       `dynamo:"attempts"`
	DeliveredAt time.Time `dynamo:"delivered_at"`
	TTL         int64     `dynamo:"ttl"`
}

const skDelivery = "DELIVERY"

func deliveryPK(endpointID, eventID string) string { return "DELIVERY#" + endpointID + "#" + eventID }

// Delivered says whether the event was delivered to the endpoint (a strongly consistent
// GetItem on the marker; one past its TTL that DynamoDB has not yet deleted still counts,
// which only ever prevents a duplicate).
func (s *Store) Delivered(ctx context.Context, endpointID, eventID string) (bool, error) {
	var it deliveryItem
	err := wrap(s.table.Get(AttrPK, deliveryPK(endpointID, eventID)).Range(AttrSK, dynamo.Equal, skDelivery).
		Consistent(true).One(ctx, &it))
	if errors.Is(err, latchkey.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// MarkDelivered writes the marker: the receiver's status, the attempt that succeeded, when,
// and a TTL of DeliveryMarkerTTL. A second write (a replay) overwrites the first.
func (s *Store) MarkDelivered(ctx context.Context, endpointID, eventID string, status, attempt int) error {
	now := time.Now().UTC()
	return wrap(s.table.Put(deliveryItem{PK: deliveryPK(endpointID, eventID), SK: skDelivery, Status: status,
		Attempts: attempt, DeliveredAt: now, TTL: now.Add(DeliveryMarkerTTL).Unix()}).Run(ctx))
}
