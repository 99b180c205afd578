// Package mail sends Latchkey's email through Amazon SES (v2 API). Locally the endpoint points
// at aws-ses-v2-local, whose inbox shows what was sent.
package mail

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	latchkey "github.com/latchkey/latchkey/shared"
)

// SES sends email from one sender address.
type SES struct {
	client *sesv2.Client
	from   string
}

// NewSES returns a mailer; endpoint overrides the SES endpoint (an emulator) when set.
func NewSES(cfg aws.Config, endpoint, from string) *SES {
	return &SES{client: sesv2.NewFromConfig(cfg, func(o *sesv2.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), from: from}
}

func (s *SES) Send(ctx context.Context, m latchkey.Message) error {
	_, err := s.client.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.from),
		Destination:      &types.Destination{ToAddresses: []string{m.To}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(m.Subject), Charset: aws.String("UTF-8")},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String(m.Text), Charset: aws.String("UTF-8")},
				Html: &types.Content{Data: aws.String(m.HTML), Charset: aws.String("UTF-8")},
			},
		}},
	})
	if err == nil {
		return nil
	}
	var send *smithyhttp.RequestSendError
	if errors.As(err, &send) {
		return latchkey.Unavailable(err)
	}
	return latchkey.Internal(err)
}
