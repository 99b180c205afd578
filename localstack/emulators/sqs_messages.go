package emulators

// The SQS emulator's messages: sending, receiving (with long polling and dead-lettering),
// deleting and changing visibility (sqs.go has the wire protocol).

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ---------------------------------------------------------------------------------------------
// Sending.

type sendMessageInput struct {
	QueueUrl                *string
	MessageBody             *string
	DelaySeconds            *int
	MessageAttributes       map[string]sqsAttrValue
	MessageSystemAttributes map[string]sqsAttrValue
	MessageDeduplicationId  *string
	MessageGroupId          *string
}

type sendMessageOutput struct {
	MessageId                    string
	MD5OfMessageBody             string
	MD5OfMessageAttributes       string `json:",omitempty"`
	MD5OfMessageSystemAttributes string `json:",omitempty"`
}

func (s *SQS) sendMessage(req sqsRequest, in sendMessageInput) (any, *sqsError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, e := s.queueByURL(in.QueueUrl)
	if e != nil {
		return nil, e
	}
	m, _, e := q.newMessage(in, req.sender, s.clock())
	if e != nil {
		return nil, e
	}
	q.messages = append(q.messages, m)
	s.notify()
	return sendMessageOutput{MessageId: m.id, MD5OfMessageBody: m.md5Body, MD5OfMessageAttributes: m.md5Attrs,
		MD5OfMessageSystemAttributes: m.md5Sys}, nil
}

// newMessage validates in as SQS does and makes the message it sends, with its size in bytes
// (body and attributes, as SQS counts them). Callers hold s.mu.
func (q *sqsQueue) newMessage(in sendMessageInput, sender string, now time.Time) (*sqsMessage, int, *sqsError) {
	if in.MessageBody == nil || *in.MessageBody == "" {
		return nil, 0, errMissingParameter("MessageBody")
	}
	body := *in.MessageBody
	if r, ok := invalidSQSChar(body); ok {
		return nil, 0, sqsErr("InvalidMessageContents", "InvalidMessageContents",
			"Invalid binary character '#x%X' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF", r)
	}
	delay := q.attrs.delay
	if in.DelaySeconds != nil {
		if *in.DelaySeconds < 0 || *in.DelaySeconds > sqsMaxDelay {
			return nil, 0, errInvalidParameter("Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= %d.", *in.DelaySeconds, sqsMaxDelay)
		}
		delay = *in.DelaySeconds
	}
	if in.MessageDeduplicationId != nil {
		return nil, 0, errInvalidParameter("Value %s for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.", *in.MessageDeduplicationId)
	}
	size := len(body)
	attrSize, e := validateMessageAttributes(in.MessageAttributes)
	if e != nil {
		return nil, 0, e
	}
	size += attrSize
	for name, v := range in.MessageSystemAttributes {
		if name != "AWSTraceHeader" || v.DataType != "String" || v.StringValue == nil || *v.StringValue == "" {
			return nil, 0, errInvalidParameter("Message system attribute %s is invalid: only AWSTraceHeader, a String, can be set.", name)
		}
	}
	if size > q.attrs.maxSize {
		return nil, 0, errInvalidParameter("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.attrs.maxSize)
	}
	m := &sqsMessage{
		id:        newUUID(),
		body:      body,
		md5Body:   md5Hex([]byte(body)),
		attrs:     in.MessageAttributes,
		md5Attrs:  md5OfAttributes(in.MessageAttributes),
		sysAttrs:  in.MessageSystemAttributes,
		md5Sys:    md5OfAttributes(in.MessageSystemAttributes),
		groupID:   deref(in.MessageGroupId),
		senderID:  sender,
		sent:      now,
		visibleAt: now.Add(time.Duration(delay) * time.Second),
	}
	return m, size, nil
}

// invalidSQSChar finds the first character SQS does not allow in a body (XML 1.0's set).
func invalidSQSChar(s string) (rune, bool) {
	for _, r := range s {
		ok := r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) ||
			(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
		if !ok {
			return r, true
		}
	}
	return 0, false
}

// validateMessageAttributes checks MessageAttributes as SQS does and returns their size (names,
// types and values, in bytes).
func validateMessageAttributes(attrs map[string]sqsAttrValue) (int, *sqsError) {
	if len(attrs) > sqsMaxMessageAttributes {
		return 0, errInvalidParameter("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(attrs), sqsMaxMessageAttributes)
	}
	size := 0
	for name, v := range attrs {
		lower := strings.ToLower(name)
		if !sqsAttrNamePattern.MatchString(name) || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") ||
			strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
			return 0, errInvalidParameter("The message attribute name '%s' is invalid. Attribute name can contain A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) characters.", name)
		}
		base, _, _ := strings.Cut(v.DataType, ".")
		if len(v.DataType) > sqsMaxAttributeName || (base != "String" && base != "Number" && base != "Binary") ||
			strings.HasSuffix(v.DataType, ".") {
			return 0, errInvalidParameter("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
		if len(v.StringListValues) > 0 || len(v.BinaryListValues) > 0 {
			return 0, errInvalidParameter("Message attribute list values in SendMessage operation are not supported.")
		}
		size += len(name) + len(v.DataType)
		switch base {
		case "Binary":
			if len(v.BinaryValue) == 0 || v.StringValue != nil {
				return 0, errInvalidParameter("The message attribute '%s' with type 'Binary' must use field 'Binary'.", name)
			}
			size += len(v.BinaryValue)
		default:
			if v.StringValue == nil || *v.StringValue == "" || v.BinaryValue != nil {
				return 0, errInvalidParameter("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, base)
			}
			if base == "Number" && !sqsNumberPattern.MatchString(*v.StringValue) {
				return 0, errInvalidParameter("Can't cast the value of message (user) attribute '%s' to a number.", name)
			}
			if r, bad := invalidSQSChar(*v.StringValue); bad {
				return 0, errInvalidParameter("Invalid binary character '#x%X' was found in the value of message attribute '%s'.", r, name)
			}
			size += len(*v.StringValue)
		}
	}
	return size, nil
}

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// md5OfAttributes is SQS's MD5OfMessageAttributes (and MD5OfMessageSystemAttributes): for each
// attribute in name order, the name, the data type and the value, each prefixed with its
// length (4 bytes, big-endian), and a byte before the value saying its kind (1 string, 2
// binary). "" when there are none.
func md5OfAttributes(attrs map[string]sqsAttrValue) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	slices.Sort(names)
	var b []byte
	field := func(v []byte) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	for _, name := range names {
		v := attrs[name]
		field([]byte(name))
		field([]byte(v.DataType))
		if v.StringValue != nil {
			b = append(b, 1)
			field([]byte(*v.StringValue))
		} else {
			b = append(b, 2)
			field(v.BinaryValue)
		}
	}
	return md5Hex(b)
}

type sendMessageBatchInput struct {
	QueueUrl *string
	Entries  []struct {
		Id *string
		sendMessageInput
	}
}

type batchResultError struct {
	Id          string
	Code        string
	Message     string
	SenderFault bool
}

func batchFailure(id string, e *sqsError) batchResultError {
	return batchResultError{Id: id, Code: e.query, Message: e.message, SenderFault: e.sender}
}

// checkBatch checks what SQS checks of every batch's entry ids.
func checkBatch(ids []*string, entryType string) *sqsError {
	switch {
	case len(ids) == 0:
		return sqsErr("EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest",
			"There should be at least one %s in the request.", entryType)
	case len(ids) > sqsMaxBatch:
		return sqsErr("TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
			"Maximum number of entries per request are %d. You have sent %d.", sqsMaxBatch, len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if id == nil || !sqsBatchIDPattern.MatchString(*id) {
			return sqsErr("InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId",
				"A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most %d letters long.", sqsMaxBatchID)
		}
		if seen[*id] {
			return sqsErr("BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id %s repeated.", *id)
		}
		seen[*id] = true
	}
	return nil
}

func (s *SQS) sendMessageBatch(req sqsRequest, in sendMessageBatchInput) (any, *sqsError) {
	ids := make([]*string, len(in.Entries))
	for i, en := range in.Entries {
		ids[i] = en.Id
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, e := s.queueByURL(in.QueueUrl)
	if e != nil {
		return nil, e
	}
	if e := checkBatch(ids, "SendMessageBatchRequestEntry"); e != nil {
		return nil, e
	}
	type resultEntry struct {
		Id string
		sendMessageOutput
	}
	out := struct {
		Successful []resultEntry
		Failed     []batchResultError
	}{Successful: []resultEntry{}, Failed: []batchResultError{}}
	now := s.clock()
	var msgs []*sqsMessage
	total := 0
	for _, en := range in.Entries {
		m, size, e := q.newMessage(en.sendMessageInput, req.sender, now)
		if e != nil {
			out.Failed = append(out.Failed, batchFailure(*en.Id, e))
			continue
		}
		total += size
		msgs = append(msgs, m)
		out.Successful = append(out.Successful, resultEntry{*en.Id, sendMessageOutput{MessageId: m.id,
			MD5OfMessageBody: m.md5Body, MD5OfMessageAttributes: m.md5Attrs, MD5OfMessageSystemAttributes: m.md5Sys}})
	}
	if total > q.attrs.maxSize {
		return nil, sqsErr("BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong",
			"Batch requests cannot be longer than %d bytes. You have sent %d bytes.", q.attrs.maxSize, total)
	}
	q.messages = append(q.messages, msgs...)
	if len(msgs) > 0 {
		s.notify()
	}
	return out, nil
}

// ---------------------------------------------------------------------------------------------
// Receiving.

type receiveMessageInput struct {
	QueueUrl                    *string
	AttributeNames              []string
	MessageSystemAttributeNames []string
	MessageAttributeNames       []string
	MaxNumberOfMessages         *int
	VisibilityTimeout           *int
	WaitTimeSeconds             *int
	ReceiveRequestAttemptId     *string
}

type receivedMessage struct {
	MessageId              string
	ReceiptHandle          string
	MD5OfBody              string
	Body                   string
	Attributes             map[string]string       `json:",omitempty"`
	MD5OfMessageAttributes string                  `json:",omitempty"`
	MessageAttributes      map[string]sqsAttrValue `json:",omitempty"`
}

type receiveMessageOutput struct {
	Messages []receivedMessage `json:",omitempty"`
}

// sqsSystemAttributes are the message system attributes ReceiveMessage can be asked for.
var sqsSystemAttributes = []string{
	"ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount", "AWSTraceHeader",
	"DeadLetterQueueSourceArn", "MessageDeduplicationId", "MessageGroupId", "SenderId",
	"SentTimestamp", "SequenceNumber",
}

func (s *SQS) receiveMessage(req sqsRequest, in receiveMessageInput) (any, *sqsError) {
	limit := 1
	if in.MaxNumberOfMessages != nil {
		if *in.MaxNumberOfMessages < 1 || *in.MaxNumberOfMessages > sqsMaxBatch {
			return nil, errInvalidParameter("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and %d, if provided.", *in.MaxNumberOfMessages, sqsMaxBatch)
		}
		limit = *in.MaxNumberOfMessages
	}
	if v := in.VisibilityTimeout; v != nil && (*v < 0 || *v > sqsMaxVisibility) {
		return nil, errInvalidParameter("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= %d, if provided.", *v, sqsMaxVisibility)
	}
	if v := in.WaitTimeSeconds; v != nil && (*v < 0 || *v > sqsMaxWait) {
		return nil, errInvalidParameter("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= %d, if provided.", *v, sqsMaxWait)
	}
	if in.ReceiveRequestAttemptId != nil {
		return nil, errInvalidParameter("Value %s for parameter ReceiveRequestAttemptId is invalid. Reason: The request includes a parameter that is not valid for this queue type.", *in.ReceiveRequestAttemptId)
	}
	sysNames := append(slices.Clone(in.AttributeNames), in.MessageSystemAttributeNames...)
	for _, name := range sysNames {
		// AttributeNames is typed as queue attribute names but asks for message system
		// attributes; SQS ignores the queue-only ones there.
		if name != "All" && !slices.Contains(sqsSystemAttributes, name) && !knownQueueAttribute(name) {
			return nil, errInvalidAttributeName(name)
		}
	}

	s.mu.Lock()
	q, e := s.queueByURL(in.QueueUrl)
	if e != nil {
		s.mu.Unlock()
		return nil, e
	}
	wait := q.attrs.wait
	if in.WaitTimeSeconds != nil {
		wait = *in.WaitTimeSeconds
	}
	s.mu.Unlock()

	deadline := time.Now().Add(time.Duration(wait) * time.Second)
	for {
		s.mu.Lock()
		if q.deleted {
			s.mu.Unlock()
			return receiveMessageOutput{}, nil
		}
		now := s.clock()
		visibility := q.attrs.visibility
		if in.VisibilityTimeout != nil {
			visibility = *in.VisibilityTimeout
		}
		got := s.take(q, limit, time.Duration(visibility)*time.Second, now)
		if len(got) > 0 {
			out := receiveMessageOutput{Messages: make([]receivedMessage, len(got))}
			for i, m := range got {
				out.Messages[i] = m.render(sysNames, in.MessageAttributeNames)
			}
			s.mu.Unlock()
			return out, nil
		}
		changed, next := s.changed, q.nextVisible(now)
		s.mu.Unlock()

		sleep := time.Until(deadline)
		if sleep <= 0 {
			return receiveMessageOutput{}, nil
		}
		if !next.IsZero() {
			sleep = min(sleep, max(next.Sub(now), minPollStep))
		}
		timer := time.NewTimer(sleep)
		select {
		case <-changed:
		case <-timer.C:
		case <-req.r.Context().Done():
			timer.Stop()
			return receiveMessageOutput{}, nil
		}
		timer.Stop()
	}
}

// take receives up to limit visible messages from q, oldest first, making each invisible for
// visibility; a message already received maxReceiveCount times goes to the dead-letter queue
// instead. Callers hold s.mu.
func (s *SQS) take(q *sqsQueue, limit int, visibility time.Duration, now time.Time) []*sqsMessage {
	q.expire(now)
	var got []*sqsMessage
	moved := false
	for i := 0; i < len(q.messages) && len(got) < limit; {
		m := q.messages[i]
		if now.Before(m.visibleAt) {
			i++
			continue
		}
		if rp := q.attrs.redrive; rp != nil && m.receives >= rp.MaxReceiveCount {
			if dlq := s.queueByARN(rp.DeadLetterTargetArn); dlq != nil && dlq != q {
				q.messages = slices.Delete(q.messages, i, i+1)
				m.receipt, m.visibleAt = "", now
				m.deadLetterSource = q.arn
				dlq.messages = append(dlq.messages, m)
				moved = true
				s.logf("dead-lettered %s from %s to %s after %d receives", m.id, q.name, dlq.name, m.receives)
				continue
			}
		}
		m.receives++
		if m.firstReceive.IsZero() {
			m.firstReceive = now
		}
		m.lastReceive = now
		m.visibleAt = now.Add(visibility)
		m.receipt = newReceipt(q.name, m.id)
		got = append(got, m)
		i++
	}
	if moved {
		s.notify() // the dead-letter queue's long polls
	}
	return got
}

// nextVisible is when the next delayed or in-flight message of q becomes visible; zero when
// there is none. Callers hold s.mu.
func (q *sqsQueue) nextVisible(now time.Time) time.Time {
	var next time.Time
	for _, m := range q.messages {
		if m.visibleAt.After(now) && (next.IsZero() || m.visibleAt.Before(next)) {
			next = m.visibleAt
		}
	}
	return next
}

// render is m as ReceiveMessage answers it, with the system attributes in sysNames and the
// message attributes in attrNames ("All", ".*", a name, or a prefix ending in ".*").
func (m *sqsMessage) render(sysNames, attrNames []string) receivedMessage {
	out := receivedMessage{MessageId: m.id, ReceiptHandle: m.receipt, MD5OfBody: m.md5Body, Body: m.body}
	all := slices.Contains(sysNames, "All")
	for _, name := range sqsSystemAttributes {
		if !all && !slices.Contains(sysNames, name) {
			continue
		}
		var v string
		switch name {
		case "ApproximateFirstReceiveTimestamp":
			v = strconv.FormatInt(m.firstReceive.UnixMilli(), 10)
		case "ApproximateReceiveCount":
			v = strconv.Itoa(m.receives)
		case "AWSTraceHeader":
			if t, ok := m.sysAttrs["AWSTraceHeader"]; ok && t.StringValue != nil {
				v = *t.StringValue
			}
		case "DeadLetterQueueSourceArn":
			v = m.deadLetterSource
		case "MessageGroupId":
			v = m.groupID
		case "SenderId":
			v = m.senderID
		case "SentTimestamp":
			v = strconv.FormatInt(m.sent.UnixMilli(), 10)
		}
		if v != "" {
			if out.Attributes == nil {
				out.Attributes = map[string]string{}
			}
			out.Attributes[name] = v
		}
	}
	for name, v := range m.attrs {
		if wantAttribute(attrNames, name) {
			if out.MessageAttributes == nil {
				out.MessageAttributes = map[string]sqsAttrValue{}
			}
			out.MessageAttributes[name] = v
		}
	}
	// The digest covers the attributes returned, which is what a client can check.
	out.MD5OfMessageAttributes = md5OfAttributes(out.MessageAttributes)
	return out
}

func wantAttribute(patterns []string, name string) bool {
	for _, p := range patterns {
		if p == "All" || p == ".*" || p == name {
			return true
		}
		if prefix, ok := strings.CutSuffix(p, ".*"); ok && strings.HasPrefix(name, prefix+".") {
			return true
		}
	}
	return false
}

// A receipt handle names its queue, its message and the receive it came from (random, so that
// each receive's handle differs, as in SQS).
func newReceipt(queue, id string) string {
	var nonce [12]byte
	rand.Read(nonce[:])
	return base64.RawURLEncoding.EncodeToString([]byte(queue + " " + id + " " + hex.EncodeToString(nonce[:])))
}

// message finds the message a receipt handle of q names: nil, nil when it is no longer there.
// Callers hold s.mu.
func (q *sqsQueue) message(handle *string) (*sqsMessage, *sqsError) {
	if handle == nil || *handle == "" {
		return nil, errMissingParameter("ReceiptHandle")
	}
	raw, err := base64.RawURLEncoding.DecodeString(*handle)
	parts := strings.Split(string(raw), " ")
	if err != nil || len(parts) != 3 || parts[0] != q.name {
		return nil, errInvalidReceipt(*handle)
	}
	for _, m := range q.messages {
		if m.id == parts[1] {
			return m, nil
		}
	}
	return nil, nil
}

type deleteMessageInput struct {
	QueueUrl      *string
	ReceiptHandle *string
}

func (s *SQS) deleteMessage(_ sqsRequest, in deleteMessageInput) (any, *sqsError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, e := s.queueByURL(in.QueueUrl)
	if e != nil {
		return nil, e
	}
	if e := s.delete(q, in.ReceiptHandle); e != nil {
		return nil, e
	}
	return struct{}{}, nil
}

// delete deletes the message handle names if handle is from its latest receive. An older
// handle, or one of a message already gone, succeeds and deletes nothing, as SQS documents.
// Callers hold s.mu.
func (s *SQS) delete(q *sqsQueue, handle *string) *sqsError {
	m, e := q.message(handle)
	if e != nil {
		return e
	}
	if m != nil && m.receipt == *handle {
		q.messages = slices.DeleteFunc(q.messages, func(x *sqsMessage) bool { return x == m })
	}
	return nil
}

type deleteMessageBatchInput struct {
	QueueUrl *string
	Entries  []struct {
		Id            *string
		ReceiptHandle *string
	}
}

type batchResultOK struct {
	Id string
}

func (s *SQS) deleteMessageBatch(_ sqsRequest, in deleteMessageBatchInput) (any, *sqsError) {
	ids := make([]*string, len(in.Entries))
	for i, en := range in.Entries {
		ids[i] = en.Id
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, e := s.queueByURL(in.QueueUrl)
	if e != nil {
		return nil, e
	}
	if e := checkBatch(ids, "DeleteMessageBatchRequestEntry"); e != nil {
		return nil, e
	}
	out := struct {
		Successful []batchResultOK
		Failed     []batchResultError
	}{Successful: []batchResultOK{}, Failed: []batchResultError{}}
	for _, en := range in.Entries {
		if e := s.delete(q, en.ReceiptHandle); e != nil {
			out.Failed = append(out.Failed, batchFailure(*en.Id, e))
			continue
		}
		out.Successful = append(out.Successful, batchResultOK{*en.Id})
	}
	return out, nil
}

type changeVisibilityInput struct {
	QueueUrl          *string
	ReceiptHandle     *string
	VisibilityTimeout *int
}

func (s *SQS) changeMessageVisibility(_ sqsRequest, in changeVisibilityInput) (any, *sqsError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, e := s.queueByURL(in.QueueUrl)
	if e != nil {
		return nil, e
	}
	if e := s.changeVisibility(q, in.ReceiptHandle, in.VisibilityTimeout); e != nil {
		return nil, e
	}
	return struct{}{}, nil
}

// changeVisibility makes the message handle names visible timeout seconds from now: how a
// consumer backs off (a longer timeout) or gives a message back at once (0). Only the latest
// receive's handle of a message in flight can; and no receive may keep a message for more than
// 12 hours in all. Callers hold s.mu.
func (s *SQS) changeVisibility(q *sqsQueue, handle *string, timeout *int) *sqsError {
	if timeout == nil {
		return errMissingParameter("VisibilityTimeout")
	}
	if *timeout < 0 || *timeout > sqsMaxVisibility {
		return errInvalidParameter("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and %d.", *timeout, sqsMaxVisibility)
	}
	m, e := q.message(handle)
	if e != nil {
		return e
	}
	if m == nil || m.receipt != *handle {
		return errInvalidParameter("Value %s for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.", *handle)
	}
	now := s.clock()
	if !now.Before(m.visibleAt) {
		return sqsErr("MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", "The specified message isn't in flight.")
	}
	until := now.Add(time.Duration(*timeout) * time.Second)
	if until.Sub(m.lastReceive) > sqsMaxVisibility*time.Second {
		return errInvalidParameter("Value %d for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [%d seconds].", *timeout, sqsMaxVisibility)
	}
	m.visibleAt = until
	s.notify()
	return nil
}

type changeVisibilityBatchInput struct {
	QueueUrl *string
	Entries  []struct {
		Id                *string
		ReceiptHandle     *string
		VisibilityTimeout *int
	}
}

func (s *SQS) changeMessageVisibilityBatch(_ sqsRequest, in changeVisibilityBatchInput) (any, *sqsError) {
	ids := make([]*string, len(in.Entries))
	for i, en := range in.Entries {
		ids[i] = en.Id
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, e := s.queueByURL(in.QueueUrl)
	if e != nil {
		return nil, e
	}
	if e := checkBatch(ids, "ChangeMessageVisibilityBatchRequestEntry"); e != nil {
		return nil, e
	}
	out := struct {
		Successful []batchResultOK
		Failed     []batchResultError
	}{Successful: []batchResultOK{}, Failed: []batchResultError{}}
	for _, en := range in.Entries {
		timeout := en.VisibilityTimeout
		if timeout == nil {
			zero := 0 // the SDK leaves out a zero; SQS takes its absence as 0 here
			timeout = &zero
		}
		if e := s.changeVisibility(q, en.ReceiptHandle, timeout); e != nil {
			out.Failed = append(out.Failed, batchFailure(*en.Id, e))
			continue
		}
		out.Successful = append(out.Successful, batchResultOK{*en.Id})
	}
	return out, nil
}
