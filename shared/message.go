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

// SMS is a text message to send. To is an E.164 phone number ("+15555550100"). Bodies hold a
// one-time passcode: like email bodies, they are never logged.
type SMS struct {
	To   string
	Body string
}

// Texter sends text messages; shared/sms implements it with AWS End User Messaging SMS. It is an
// interface here, in the core, so the capabilities that send codes by SMS (MFA) stay free of
// AWS and tests can count or fail sends without a network.
type Texter interface {
	Text(ctx context.Context, m SMS) error
}
