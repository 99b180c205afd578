package emulators

// The SMS emulator: there is no local emulator for AWS End User Messaging SMS to install, so
// this is a small one, in process. It speaks the one operation Latchkey uses over the service's
// own wire protocol (AWS JSON 1.0), so the real SDK client in shared/sms is what tests exercise.

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

const (
	// SMSSendTarget is the X-Amz-Target header of SendTextMessage, the operation the SMS
	// emulator implements.
	SMSSendTarget = "PinpointSMSVoiceV2.SendTextMessage"
	amzJSON       = "application/x-amz-json-1.0"
	// maxSMSBody is the service's limit on MessageBody (characters).
	maxSMSBody = 1600
	// maxSMSRequest bounds a request body; a real one is a few hundred bytes.
	maxSMSRequest = 64 << 10
)

// e164 is the service's pattern for phone numbers: a plus, then up to 15 digits, the first
// not 0.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// SMSMessage is one text message the SMS emulator accepted. The JSON names are those of
// GET /store: {"messages":[{"to":"+15555550100","body":"...","at":"<RFC 3339>", ...}]}.
type SMSMessage struct {
	To                  string    `json:"to"`
	Body                string    `json:"body"`
	At                  time.Time `json:"at"`
	MessageID           string    `json:"messageId"`
	OriginationIdentity string    `json:"originationIdentity,omitempty"`
	MessageType         string    `json:"messageType,omitempty"`
}

// SMS is an http.Handler standing in for AWS End User Messaging SMS:
//
//   - POST / with X-Amz-Target: PinpointSMSVoiceV2.SendTextMessage validates the request as
//     the service would (an E.164 DestinationPhoneNumber, a MessageBody of 1 to 1600
//     characters, a known MessageType), keeps the message unless DryRun is set and answers
//     {"MessageId":"<uuid>"}. Failures come back in the AWS JSON error shape
//     ({"__type":"ValidationException","message":...}), which the SDK decodes into
//     types.ValidationException. Other targets are UnknownOperationException.
//   - GET /store is every kept message, oldest first: {"messages":[...]}; ?since=<unix
//     seconds> keeps those sent at or after that second, as aws-ses-v2-local's /store does.
//   - POST /clear-store empties the store.
//   - GET / is an inbox page for people; GET /health-check answers 200.
//
// Requests are not authenticated: any SigV4 signature (or none) is accepted. Messages are
// kept in memory only.
type SMS struct {
	log io.Writer // one line per message (recipient and id, never the body); nil = none

	mu       sync.Mutex
	messages []SMSMessage
}

// NewSMS returns an empty SMS emulator that writes a line per accepted message to log (nil
// for none).
func NewSMS(log io.Writer) *SMS { return &SMS{log: log} }

// Messages returns a copy of every kept message, oldest first.
func (s *SMS) Messages() []SMSMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// Clear forgets every message.
func (s *SMS) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = nil
}

func (s *SMS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/" && r.Method == http.MethodPost:
		s.serveAPI(w, r)
	case r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		s.serveInbox(w)
	case r.URL.Path == "/store" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		s.serveStore(w, r)
	case r.URL.Path == "/clear-store" && r.Method == http.MethodPost:
		s.Clear()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{}\n")
	case r.URL.Path == "/health-check":
		io.WriteString(w, "ok\n")
	case r.URL.Path == "/" || r.URL.Path == "/store" || r.URL.Path == "/clear-store":
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	default:
		http.NotFound(w, r)
	}
}

// sendTextMessageInput holds the SendTextMessage members the emulator looks at; the SDK may
// send others (ConfigurationSetName, Context, TimeToLive, ...), which are accepted and ignored.
type sendTextMessageInput struct {
	DestinationPhoneNumber *string
	MessageBody            *string
	MessageType            *string
	OriginationIdentity    *string
	DryRun                 *bool
}

type awsFieldError struct {
	Name    string
	Message string
}

// awsError is the AWS JSON 1.0 error body. The SDK reads the code from __type and maps it to
// the typed exception, whose members are Message, Reason and Fields; "message" is what most
// AWS JSON services send and what generic tooling reads, so both spellings are written.
type awsError struct {
	Type        string          `json:"__type"`
	Message     string          `json:"message"`
	MessageAlso string          `json:"Message"`
	Reason      string          `json:"Reason,omitempty"`
	Fields      []awsFieldError `json:"Fields,omitempty"`
}

func (s *SMS) serveAPI(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	if target != SMSSendTarget {
		writeAWSError(w, http.StatusBadRequest, awsError{Type: "UnknownOperationException",
			Message: fmt.Sprintf("the SMS emulator implements only %s, not %q", SMSSendTarget, target)})
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSMSRequest))
	if err != nil {
		writeAWSError(w, http.StatusRequestEntityTooLarge, awsError{Type: "SerializationException", Message: "request body too large"})
		return
	}
	var in sendTextMessageInput
	if err := json.Unmarshal(raw, &in); err != nil {
		writeAWSError(w, http.StatusBadRequest, awsError{Type: "SerializationException", Message: "request body is not a JSON object: " + err.Error()})
		return
	}
	if e := validateSend(in); e != nil {
		writeAWSError(w, http.StatusBadRequest, *e)
		return
	}
	msg := SMSMessage{
		To:                  *in.DestinationPhoneNumber,
		Body:                *in.MessageBody,
		At:                  time.Now().UTC().Truncate(time.Millisecond),
		MessageID:           newUUID(),
		OriginationIdentity: deref(in.OriginationIdentity),
		MessageType:         deref(in.MessageType),
	}
	if in.DryRun == nil || !*in.DryRun {
		s.mu.Lock()
		s.messages = append(s.messages, msg)
		s.mu.Unlock()
		if s.log != nil {
			fmt.Fprintf(s.log, "SendTextMessage to %s (%d characters): %s\n", msg.To, utf8.RuneCountInString(msg.Body), msg.MessageID)
		}
	}
	w.Header().Set("Content-Type", amzJSON)
	json.NewEncoder(w).Encode(map[string]string{"MessageId": msg.MessageID})
}

// validateSend checks what the service checks before it sends; nil means the request is good.
func validateSend(in sendTextMessageInput) *awsError {
	invalid := func(reason, field, format string, args ...any) *awsError {
		m := fmt.Sprintf(format, args...)
		return &awsError{Type: "ValidationException", Message: m, Reason: reason,
			Fields: []awsFieldError{{Name: field, Message: m}}}
	}
	switch {
	case in.DestinationPhoneNumber == nil || *in.DestinationPhoneNumber == "":
		return invalid("MISSING_PARAMETER", "DestinationPhoneNumber", "DestinationPhoneNumber is required")
	case !e164.MatchString(*in.DestinationPhoneNumber):
		return invalid("INVALID_PARAMETER", "DestinationPhoneNumber",
			"DestinationPhoneNumber %q is not an E.164 phone number (+, then up to 15 digits)", *in.DestinationPhoneNumber)
	case in.MessageBody == nil || *in.MessageBody == "":
		return invalid("MISSING_PARAMETER", "MessageBody", "MessageBody is required")
	case utf8.RuneCountInString(*in.MessageBody) > maxSMSBody:
		return invalid("MAXIMUM_SIZE_EXCEEDED", "MessageBody", "MessageBody is longer than %d characters", maxSMSBody)
	}
	if t := deref(in.MessageType); t != "" && t != "TRANSACTIONAL" && t != "PROMOTIONAL" {
		return invalid("INVALID_PARAMETER", "MessageType", "MessageType %q must be TRANSACTIONAL or PROMOTIONAL", t)
	}
	return nil
}

func writeAWSError(w http.ResponseWriter, status int, e awsError) {
	e.MessageAlso = e.Message
	w.Header().Set("Content-Type", amzJSON)
	w.Header().Set("X-Amzn-ErrorType", e.Type)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(e)
}

func (s *SMS) serveStore(w http.ResponseWriter, r *http.Request) {
	msgs := s.Messages()
	if q := r.URL.Query(); q.Has("since") {
		since, err := strconv.ParseInt(q.Get("since"), 10, 64)
		if err != nil || len(q["since"]) != 1 {
			http.Error(w, "since must be one integer: epoch seconds", http.StatusBadRequest)
			return
		}
		msgs = slices.DeleteFunc(msgs, func(m SMSMessage) bool { return m.At.Unix() < since })
	}
	if msgs == nil {
		msgs = []SMSMessage{} // "messages":[] rather than null
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string][]SMSMessage{"messages": msgs})
}

var inboxPage = template.Must(template.New("inbox").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>SMS inbox ({{len .}})</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:2rem auto;max-width:46rem;padding:0 1rem;color:#222}
h1{font-size:1.3rem} .m{border:1px solid #ddd;border-radius:.6rem;padding:.7rem 1rem;margin:.7rem 0}
.h{color:#666;font-size:.85rem} .b{white-space:pre-wrap;margin-top:.3rem;font-size:1.05rem}
</style></head><body>
<h1>SMS inbox</h1>
<p class="h">Text messages sent to the SMS emulator, newest first; this page reloads every 5 s.
JSON at <a href="/store">/store</a>.</p>
{{range .}}<div class="m"><div class="h">to <b>{{.To}}</b>{{with .OriginationIdentity}} from {{.}}{{end}} · {{.At.Format "2006-01-02 15:04:05 MST"}}</div>
<div class="b">{{.Body}}</div></div>
{{else}}<p>No messages yet.</p>{{end}}
</body></html>
`))

func (s *SMS) serveInbox(w http.ResponseWriter) {
	msgs := s.Messages()
	slices.Reverse(msgs)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	inboxPage.Execute(w, msgs)
}

// newUUID returns a random (version 4) UUID, as the service's message ids are.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// smsServer serves an SMS emulator on 127.0.0.1 for a Stack.
type smsServer struct {
	emu *SMS
	*inProcess
}

// startSMS listens on 127.0.0.1:port (0 = a free port) and serves a fresh SMS emulator there.
// The listener is bound before it returns, so the endpoint answers at once.
func startSMS(port int, log io.Writer) (*smsServer, string, error) {
	emu := NewSMS(log)
	p, endpoint, err := serveInProcess("sms", port, emu, log)
	if err != nil {
		return nil, "", err
	}
	return &smsServer{emu, p}, endpoint, nil
}

// serveJSONAPI routes a request to an emulator of an AWS JSON protocol service: its API is
// POST /, and GET /health-check answers when it is up.
func serveJSONAPI(w http.ResponseWriter, r *http.Request, api http.HandlerFunc) {
	switch {
	case r.URL.Path == "/" && r.Method == http.MethodPost:
		api(w, r)
	case r.URL.Path == "/health-check":
		io.WriteString(w, "ok\n")
	case r.URL.Path == "/":
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	default:
		http.NotFound(w, r)
	}
}

// inProcess is an emulator served by this process, on loopback.
type inProcess struct {
	srv  *http.Server
	done chan struct{} // closed when Serve has returned
}

// serveInProcess listens on 127.0.0.1:port (0 = a free port) and serves h there.
func serveInProcess(name string, port int, h http.Handler, log io.Writer) (*inProcess, string, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, "", fmt.Errorf("emulators: %s: listening on 127.0.0.1:%d: %w", name, port, err)
	}
	s := &inProcess{srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && log != nil {
			fmt.Fprintf(log, "serve: %v\n", err)
		}
	}()
	return s, "http://" + ln.Addr().String(), nil
}

// close stops the server (open connections too) and waits until it has.
func (s *inProcess) close() error {
	err := s.srv.Close()
	<-s.done
	return err
}
