// Package sms sends Latchkey's text messages through AWS End User Messaging SMS (the
// pinpointsmsvoicev2 SendTextMessage API). Locally the endpoint points at the SMS emulator in
// localstack/emulators, whose inbox shows what was sent.
package sms

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	latchkey "github.com/latchkey/latchkey/shared"
)

// Sender sends text messages from one origination identity.
type Sender struct {
	client      *pinpointsmsvoicev2.Client
	origination string
}

var _ latchkey.Texter = (*Sender)(nil)

// New returns a texter; endpoint overrides the End User Messaging SMS endpoint (an emulator)
// when set. originationIdentity is the stack's phone number, pool, sender ID or one of their
// ARNs; empty lets the service pick from the account's identities for the destination country.
func New(cfg aws.Config, endpoint, originationIdentity string) *Sender {
	return &Sender{client: pinpointsmsvoicev2.NewFromConfig(cfg, func(o *pinpointsmsvoicev2.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), origination: originationIdentity}
}

// Text sends one transactional message: one-time passcodes are time-sensitive, and
// TRANSACTIONAL is what carriers route for them.
func (s *Sender) Text(ctx context.Context, m latchkey.SMS) error {
	in := &pinpointsmsvoicev2.SendTextMessageInput{
		DestinationPhoneNumber: aws.String(m.To),
		MessageBody:            aws.String(m.Body),
		MessageType:            types.MessageTypeTransactional,
	}
	if s.origination != "" {
		in.OriginationIdentity = aws.String(s.origination)
	}
	_, err := s.client.SendTextMessage(ctx, in)
	return classify(err)
}

// classify maps a send failure onto the API's errors. A request that never reached the service,
// or one it turned away for load or quota after the SDK's retries (the account's messages per
// second or its monthly spend limit), is a dependency that is unavailable for now: 503, and
// the caller may try again. Anything else (a rejected number, an opted-out destination, a
// missing origination identity or permission) is this deployment's problem: 500, with the
// cause logged.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var (
		send      *smithyhttp.RequestSendError
		throttled *types.ThrottlingException
		quota     *types.ServiceQuotaExceededException
		internal  *types.InternalServerException
	)
	if errors.As(err, &send) || errors.As(err, &throttled) || errors.As(err, &quota) || errors.As(err, &internal) {
		return latchkey.Unavailable(err)
	}
	return latchkey.Internal(err)
}
