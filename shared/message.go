package latchkey

import "context"

// Message is an email to send. Bodies hold a single-use link: they are never logged.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// Mailer sends email; shared/mail implements it with SES.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}
