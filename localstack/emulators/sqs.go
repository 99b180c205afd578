package emulators

// The SQS emulator: webhook deliveries go through SQS (retries with exponential backoff by
// ChangeMessageVisibility, then a dead-letter queue), and there is no SQS to install here
// (LocalStack needs Docker; moto is too slow to lean on). So this is a small one, in process,
// speaking the protocol the Go SDK's sqs client (v1.52) uses: AWS JSON 1.0 with
// X-Amz-Target: AmazonSQS.<Action>, errors in AWS's JSON shape with the awsQuery error code in
// X-Amzn-Query-Error. Standard queues only. This file holds the wire protocol and the errors;
// sqs_queues.go the queue operations, sqs_messages.go the message ones, sqs_store.go GET /store.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

const (
	// SQSTargetPrefix starts the X-Amz-Target header of every SQS operation.
	SQSTargetPrefix = "AmazonSQS."
	// maxSQSRequest bounds a request body: a batch of 1 MiB in all, binary attributes in
	// base64, and the JSON around it.
	maxSQSRequest = 4 << 20

	// The service's limits and defaults (seconds unless named otherwise).
	sqsMaxBatch             = 10
	sqsMaxMessageAttributes = 10
	sqsMaxVisibility        = 43200 // 12 hours, also the most a message may stay in flight per receive
	sqsMaxDelay             = 900
	sqsMaxWait              = 20
	sqsDefaultVisibility    = 30
	sqsDefaultRetention     = 345600 // 4 days
	sqsMinRetention         = 60
	sqsMaxRetention         = 1209600 // 14 days
	sqsMinMessageSize       = 1024
	sqsMaxMessageSize       = 1 << 20 // bytes, also the default and the cap on a whole batch
	sqsDefaultMaxReceive    = 10
	sqsMaxMaxReceive        = 1000
	sqsMaxQueueName         = 80
	sqsMaxBatchID           = 80
	sqsMaxAttributeName     = 256
	sqsMaxListResults       = 1000
	// sqsRecreateWait is how long SQS refuses a new queue of a deleted queue's name, and
	// sqsPurgeWait how long it refuses a second purge of a queue.
	sqsRecreateWait = 60 * time.Second
	sqsPurgeWait    = 60 * time.Second
	// minPollStep keeps a long poll on a stopped (test) clock from spinning: it rechecks at
	// most this often when it is waiting for a delayed or in-flight message to come back.
	minPollStep = 10 * time.Millisecond
)

var (
	sqsQueueNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	sqsBatchIDPattern   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	sqsAttrNamePattern  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)
	sqsNumberPattern    = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
)

// SQS is an http.Handler standing in for Amazon SQS (standard queues):
//
//   - POST / with X-Amz-Target: AmazonSQS.<Action> runs CreateQueue, GetQueueUrl, ListQueues,
//     GetQueueAttributes, SetQueueAttributes, SendMessage, SendMessageBatch, ReceiveMessage,
//     DeleteMessage, DeleteMessageBatch, ChangeMessageVisibility,
//     ChangeMessageVisibilityBatch, PurgeQueue or DeleteQueue, as SQS does. Failures come back
//     as {"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":...} with
//     X-Amzn-Query-Error: AWS.SimpleQueueService.NonExistentQueue;Sender, which the SDK decodes
//     into types.QueueDoesNotExist (and so on) whose ErrorCode is the awsQuery code. Other
//     targets are UnknownOperationException.
//   - GET /store is every queue with its attributes, its message counts and its messages:
//     {"queues":[{"name","url","arn","attributes":{...},"visible","inFlight","delayed",
//     "messages":[...]}]}; ?queue=<name> keeps one queue.
//   - POST /clear-store deletes every message (the queues stay).
//   - GET / is a page for people listing the same; GET /health-check answers 200.
//
// What a delivery pipeline leans on behaves as in SQS: a received message is invisible for its
// visibility timeout (the queue's, ReceiveMessage's, or the last ChangeMessageVisibility's) and
// comes back unless deleted; ApproximateReceiveCount counts receives; a queue with a
// RedrivePolicy moves a message to its dead-letter queue on the receive after the
// maxReceiveCount-th (keeping its id, body, attributes, SentTimestamp and receive count, and
// gaining DeadLetterQueueSourceArn; with the target queue gone it stays where it is);
// DelaySeconds (queue and message) hides new messages; long polling returns
// as soon as a message is there; no two receivers get one message at once; only the latest
// receipt handle deletes a message (an older one succeeds and deletes nothing, as documented);
// MD5OfMessageBody, MD5OfMessageAttributes and MD5OfMessageSystemAttributes are SQS's.
//
// Time is the emulator's clock (the wall clock unless SetClock replaces it), moved on by
// Advance, so tests can expire visibility timeouts, delays and retention without sleeping.
// Long polls wait on the wall clock (they hold an HTTP request open) but wake as soon as a
// message arrives or the clock is moved. Queues are held in memory only, in one namespace
// whatever the region; the region in the request's SigV4 signature only names the queue's
// ARN. Requests are not authenticated.
type SQS struct {
	log io.Writer // a line per queue created, deleted or purged and per dead-lettered message

	mu      sync.Mutex
	now     func() time.Time
	offset  time.Duration
	queues  map[string]*sqsQueue // by name
	deleted map[string]time.Time // name -> when it was deleted
	changed chan struct{}        // closed (and replaced) whenever a waiting receive may now succeed
}

// NewSQS returns an SQS emulator with no queues, on the wall clock, writing a line per queue
// created, deleted or purged and per message moved to a dead-letter queue to log (nil for none).
func NewSQS(log io.Writer) *SQS {
	return &SQS{log: log, now: time.Now, queues: map[string]*sqsQueue{}, deleted: map[string]time.Time{},
		changed: make(chan struct{})}
}

// SetClock makes now the emulator's clock (nil = the wall clock). Time moved on by Advance
// stays added to it.
func (s *SQS) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
	s.notify()
}

// Advance moves the emulator's clock on by d: visibility timeouts, delays, retention periods
// and the 60-second waits after DeleteQueue and PurgeQueue all run out sooner. Long polls
// waiting for a message that has now come back return it.
func (s *SQS) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
	s.notify()
}

// Now is the emulator's clock.
func (s *SQS) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clock()
}

// clock is the emulator's time; callers hold s.mu.
func (s *SQS) clock() time.Time { return s.now().Add(s.offset) }

// notify wakes every waiting ReceiveMessage; callers hold s.mu.
func (s *SQS) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *SQS) logf(format string, args ...any) {
	if s.log != nil {
		fmt.Fprintf(s.log, format+"\n", args...)
	}
}

type sqsQueue struct {
	name, url, arn    string
	created, modified time.Time
	attrs             sqsQueueAttrs
	messages          []*sqsMessage // in the order sent; moved messages at the end
	lastPurge         time.Time
	deleted           bool
}

// sqsQueueAttrs are the settable attributes. The ones the emulator does not act on (Policy,
// RedriveAllowPolicy, the KMS ones) are kept in other, as set, and answered back.
type sqsQueueAttrs struct {
	delay, maxSize, retention, wait, visibility int
	redrive                                     *sqsRedrive
	other                                       map[string]string
}

type sqsRedrive struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int    `json:"maxReceiveCount"`
}

type sqsMessage struct {
	id, body, md5Body string
	attrs             map[string]sqsAttrValue
	md5Attrs          string
	sysAttrs          map[string]sqsAttrValue
	md5Sys            string
	groupID, senderID string
	sent              time.Time
	visibleAt         time.Time // not before: the delay, or the end of the visibility timeout
	receives          int
	firstReceive      time.Time
	lastReceive       time.Time
	receipt           string // of the latest receive; "" until received
	deadLetterSource  string // the source queue's ARN, once dead-lettered
}

// sqsAttrValue is a MessageAttributeValue (and a MessageSystemAttributeValue) on the wire;
// BinaryValue is base64 there, as encoding/json writes []byte.
type sqsAttrValue struct {
	DataType         string   `json:"DataType"`
	StringValue      *string  `json:"StringValue,omitempty"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty"`
	StringListValues []string `json:"StringListValues,omitempty"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty"`
}

// sqsError is one SQS error: the shape name the SDK maps to its typed error (types.<Shape>),
// the awsQuery code it reports as ErrorCode, and the message.
type sqsError struct {
	status       int
	shape, query string
	message      string
	sender       bool
}

func (e *sqsError) Error() string { return e.query + ": " + e.message }

func sqsErr(shape, query, format string, args ...any) *sqsError {
	return &sqsError{status: http.StatusBadRequest, shape: shape, query: query, message: fmt.Sprintf(format, args...), sender: true}
}

// The errors the emulator answers with. Shapes in the SDK's registry decode into types.<Shape>;
// InvalidParameterValue and MissingParameter are not modelled, so the SDK gives a
// smithy.GenericAPIError with the awsQuery code, as with SQS itself.
func errNoQueue() *sqsError {
	return sqsErr("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
}

func errInvalidParameter(format string, args ...any) *sqsError {
	return sqsErr("InvalidParameterValueException", "InvalidParameterValue", format, args...)
}

func errMissingParameter(name string) *sqsError {
	return sqsErr("MissingRequiredParameterException", "MissingParameter", "The request must contain the parameter %s.", name)
}

func errInvalidAttributeName(name string) *sqsError {
	return sqsErr("InvalidAttributeName", "InvalidAttributeName", "Unknown Attribute %s.", name)
}

func errInvalidAttributeValue(format string, args ...any) *sqsError {
	return sqsErr("InvalidAttributeValue", "InvalidAttributeValue", format, args...)
}

func errInvalidReceipt(handle string) *sqsError {
	return sqsErr("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", "The input receipt handle %q is not a valid receipt handle.", handle)
}

func (s *SQS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/" && r.Method == http.MethodPost:
		s.serveAPI(w, r)
	case r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		s.servePage(w)
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

// sqsRequest is where an operation learns who asked: the queue URLs it answers with use the
// host the client called, the ARNs the region it signed for.
type sqsRequest struct {
	r      *http.Request
	region string
	sender string
}

func (s *SQS) serveAPI(w http.ResponseWriter, r *http.Request) {
	action, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), SQSTargetPrefix)
	op := sqsOperations[action]
	if !ok || op == nil {
		writeSQSError(w, &sqsError{status: http.StatusBadRequest, shape: "UnknownOperationException",
			message: fmt.Sprintf("the SQS emulator does not implement %q", r.Header.Get("X-Amz-Target"))})
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSQSRequest))
	if err != nil {
		writeSQSError(w, &sqsError{status: http.StatusRequestEntityTooLarge, shape: "SerializationException", message: "request body too large"})
		return
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	auth := r.Header.Get("Authorization")
	req := sqsRequest{r: r, region: sigV4Region(auth), sender: sigV4AccessKey(auth)}
	out, e := op(s, req, raw)
	if e != nil {
		writeSQSError(w, e)
		return
	}
	w.Header().Set("Content-Type", amzJSON)
	w.Header().Set("X-Amzn-RequestId", newUUID())
	json.NewEncoder(w).Encode(out)
}

// sqsOperations maps an action to its handler; each decodes its own input.
var sqsOperations = map[string]func(*SQS, sqsRequest, []byte) (any, *sqsError){
	"CreateQueue":                  jsonOp((*SQS).createQueue),
	"GetQueueUrl":                  jsonOp((*SQS).getQueueURL),
	"ListQueues":                   jsonOp((*SQS).listQueues),
	"GetQueueAttributes":           jsonOp((*SQS).getQueueAttributes),
	"SetQueueAttributes":           jsonOp((*SQS).setQueueAttributes),
	"SendMessage":                  jsonOp((*SQS).sendMessage),
	"SendMessageBatch":             jsonOp((*SQS).sendMessageBatch),
	"ReceiveMessage":               jsonOp((*SQS).receiveMessage),
	"DeleteMessage":                jsonOp((*SQS).deleteMessage),
	"DeleteMessageBatch":           jsonOp((*SQS).deleteMessageBatch),
	"ChangeMessageVisibility":      jsonOp((*SQS).changeMessageVisibility),
	"ChangeMessageVisibilityBatch": jsonOp((*SQS).changeMessageVisibilityBatch),
	"PurgeQueue":                   jsonOp((*SQS).purgeQueue),
	"DeleteQueue":                  jsonOp((*SQS).deleteQueue),
}

func jsonOp[In any](f func(*SQS, sqsRequest, In) (any, *sqsError)) func(*SQS, sqsRequest, []byte) (any, *sqsError) {
	return func(s *SQS, req sqsRequest, raw []byte) (any, *sqsError) {
		var in In
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, &sqsError{status: http.StatusBadRequest, shape: "SerializationException",
				message: "request body is not an SQS request: " + err.Error()}
		}
		return f(s, req, in)
	}
}

// writeSQSError writes e as SQS's JSON protocol does: the shape in __type, the awsQuery code
// and fault in X-Amzn-Query-Error (the SDK reports that as ErrorCode, as it did over the query
// protocol).
func writeSQSError(w http.ResponseWriter, e *sqsError) {
	typ := e.shape
	if e.query != "" {
		typ = "com.amazonaws.sqs#" + e.shape
		fault := "Sender"
		if !e.sender {
			fault = "Receiver"
		}
		w.Header().Set("X-Amzn-Query-Error", e.query+";"+fault)
	}
	w.Header().Set("Content-Type", amzJSON)
	w.Header().Set("X-Amzn-RequestId", newUUID())
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": e.message})
}

// sigV4AccessKey is the access key in a SigV4 Authorization header, the emulator's SenderId.
func sigV4AccessKey(auth string) string {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return kmsAccount
	}
	key, _, _ := strings.Cut(cred, "/")
	if key = strings.TrimSpace(key); key == "" {
		return kmsAccount
	}
	return key
}
