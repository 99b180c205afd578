package emulators

// The SQS emulator's queues: CreateQueue, GetQueueUrl, ListQueues, GetQueueAttributes,
// SetQueueAttributes, PurgeQueue and DeleteQueue (sqs.go has the wire protocol).

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// queueByURL finds the queue a QueueUrl names: any scheme and host (the client may call the
// emulator by another name than the one that created the queue), then /<account>/<name>.
// Callers hold s.mu.
func (s *SQS) queueByURL(raw *string) (*sqsQueue, *sqsError) {
	if raw == nil || *raw == "" {
		return nil, errMissingParameter("QueueUrl")
	}
	u, err := url.Parse(*raw)
	if err != nil {
		return nil, sqsErr("InvalidAddress", "InvalidAddress", "The address %s is not valid for this endpoint.", *raw)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) != 2 || parts[0] != kmsAccount {
		return nil, errNoQueue()
	}
	q := s.queues[parts[1]]
	if q == nil {
		return nil, errNoQueue()
	}
	return q, nil
}

// queueByARN finds the queue an ARN names (arn:aws:sqs:<region>:<account>:<name>), by name:
// like the KMS emulator's keys, queues are in one namespace. Callers hold s.mu.
func (s *SQS) queueByARN(arn string) *sqsQueue {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" {
		return nil
	}
	return s.queues[parts[5]]
}

func queueURL(r *http.Request, name string) string {
	host := r.Host
	if host == "" {
		host = "127.0.0.1"
	}
	return "http://" + host + "/" + kmsAccount + "/" + name
}

type createQueueInput struct {
	QueueName  *string
	Attributes map[string]string
	Tags       map[string]string
}

func (s *SQS) createQueue(req sqsRequest, in createQueueInput) (any, *sqsError) {
	if in.QueueName == nil || *in.QueueName == "" {
		return nil, errMissingParameter("QueueName")
	}
	name := *in.QueueName
	if strings.HasSuffix(name, ".fifo") {
		return nil, errInvalidParameter("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length. (The SQS emulator has standard queues only, not FIFO queues.)")
	}
	if !sqsQueueNamePattern.MatchString(name) {
		return nil, errInvalidParameter("Can only include alphanumeric characters, hyphens, or underscores. 1 to %d in length", sqsMaxQueueName)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	if q := s.queues[name]; q != nil {
		// The same name with the same attributes is the same queue; attributes not given are not
		// compared.
		want, e := s.parseQueueAttributes(q.attrs, in.Attributes)
		if e != nil {
			return nil, e
		}
		for k := range in.Attributes {
			if attributeValue(want, k) != attributeValue(q.attrs, k) {
				return nil, sqsErr("QueueNameExists", "QueueAlreadyExists",
					"A queue already exists with the same name and a different value for attribute %s", k)
			}
		}
		return map[string]string{"QueueUrl": q.url}, nil
	}
	if at, ok := s.deleted[name]; ok && now.Sub(at) < sqsRecreateWait {
		return nil, sqsErr("QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently",
			"You must wait 60 seconds after deleting a queue before you can create another with the same name.")
	}
	attrs, e := s.parseQueueAttributes(defaultQueueAttrs(), in.Attributes)
	if e != nil {
		return nil, e
	}
	q := &sqsQueue{
		name:     name,
		url:      queueURL(req.r, name),
		arn:      "arn:aws:sqs:" + req.region + ":" + kmsAccount + ":" + name,
		created:  now,
		modified: now,
		attrs:    attrs,
	}
	s.queues[name] = q
	delete(s.deleted, name)
	s.logf("CreateQueue %s", name)
	return map[string]string{"QueueUrl": q.url}, nil
}

func defaultQueueAttrs() sqsQueueAttrs {
	return sqsQueueAttrs{maxSize: sqsMaxMessageSize, retention: sqsDefaultRetention, visibility: sqsDefaultVisibility}
}

// sqsIntAttrs are the integer attributes and their ranges.
var sqsIntAttrs = map[string][2]int{
	"DelaySeconds":                  {0, sqsMaxDelay},
	"MaximumMessageSize":            {sqsMinMessageSize, sqsMaxMessageSize},
	"MessageRetentionPeriod":        {sqsMinRetention, sqsMaxRetention},
	"ReceiveMessageWaitTimeSeconds": {0, sqsMaxWait},
	"VisibilityTimeout":             {0, sqsMaxVisibility},
}

// sqsKeptAttrs are settable attributes the emulator keeps and answers back without acting on.
var sqsKeptAttrs = map[string]bool{
	"Policy": true, "RedriveAllowPolicy": true, "KmsMasterKeyId": true,
	"KmsDataKeyReusePeriodSeconds": true, "SqsManagedSseEnabled": true,
}

// sqsReadOnlyAttrs are the attributes GetQueueAttributes answers that nobody sets.
var sqsReadOnlyAttrs = []string{
	"QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
	"ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp",
}

// sqsFIFOAttrs name FIFO queues' attributes, which standard queues refuse.
var sqsFIFOAttrs = map[string]bool{
	"FifoQueue": true, "ContentBasedDeduplication": true, "DeduplicationScope": true, "FifoThroughputLimit": true,
}

// parseQueueAttributes returns base with set applied, as CreateQueue and SetQueueAttributes
// take them. Callers hold s.mu (a RedrivePolicy's target must exist).
func (s *SQS) parseQueueAttributes(base sqsQueueAttrs, set map[string]string) (sqsQueueAttrs, *sqsError) {
	a := base
	a.other = map[string]string{}
	for k, v := range base.other {
		a.other[k] = v
	}
	for k, v := range set {
		if r, ok := sqsIntAttrs[k]; ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < r[0] || n > r[1] {
				return a, errInvalidAttributeValue("Invalid value for the parameter %s.", k)
			}
			switch k {
			case "DelaySeconds":
				a.delay = n
			case "MaximumMessageSize":
				a.maxSize = n
			case "MessageRetentionPeriod":
				a.retention = n
			case "ReceiveMessageWaitTimeSeconds":
				a.wait = n
			case "VisibilityTimeout":
				a.visibility = n
			}
			continue
		}
		switch {
		case k == "RedrivePolicy":
			if v == "" {
				a.redrive = nil // SetQueueAttributes with "" removes it
				continue
			}
			rp, e := s.parseRedrive(v)
			if e != nil {
				return a, e
			}
			a.redrive = rp
		case sqsKeptAttrs[k]:
			if v == "" {
				delete(a.other, k)
			} else {
				a.other[k] = v
			}
		case sqsFIFOAttrs[k]:
			return a, errInvalidAttributeName(k + " (the SQS emulator has standard queues only)")
		default:
			return a, errInvalidAttributeName(k)
		}
	}
	return a, nil
}

func (s *SQS) parseRedrive(v string) (*sqsRedrive, *sqsError) {
	invalid := func(reason string) *sqsError {
		return errInvalidAttributeValue("Value %s for parameter RedrivePolicy is invalid. Reason: %s", v, reason)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, invalid("Invalid JSON.")
	}
	rp := &sqsRedrive{MaxReceiveCount: sqsDefaultMaxReceive}
	for k, val := range raw {
		switch k {
		case "deadLetterTargetArn":
			arn, ok := val.(string)
			if !ok {
				return nil, invalid("deadLetterTargetArn must be a string.")
			}
			rp.DeadLetterTargetArn = arn
		case "maxReceiveCount":
			// SQS takes the count as a number or as a string of one.
			var n int
			var err error
			switch c := val.(type) {
			case float64:
				n = int(c)
				if float64(n) != c {
					err = fmt.Errorf("not an integer")
				}
			case string:
				n, err = strconv.Atoi(c)
			default:
				err = fmt.Errorf("not a number")
			}
			if err != nil || n < 1 || n > sqsMaxMaxReceive {
				return nil, invalid(fmt.Sprintf("Invalid value for maxReceiveCount: %v, valid values are from 1 to %d both inclusive.", val, sqsMaxMaxReceive))
			}
			rp.MaxReceiveCount = n
		default:
			return nil, invalid("Only following attributes are supported: [deadLetterTargetArn, maxReceiveCount].")
		}
	}
	if rp.DeadLetterTargetArn == "" {
		return nil, invalid("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
	}
	if s.queueByARN(rp.DeadLetterTargetArn) == nil {
		return nil, invalid("Dead letter target does not exist.")
	}
	return rp, nil
}

// attributeValue is a settable attribute's value as GetQueueAttributes answers it ("" when
// unset).
func attributeValue(a sqsQueueAttrs, name string) string {
	switch name {
	case "DelaySeconds":
		return strconv.Itoa(a.delay)
	case "MaximumMessageSize":
		return strconv.Itoa(a.maxSize)
	case "MessageRetentionPeriod":
		return strconv.Itoa(a.retention)
	case "ReceiveMessageWaitTimeSeconds":
		return strconv.Itoa(a.wait)
	case "VisibilityTimeout":
		return strconv.Itoa(a.visibility)
	case "RedrivePolicy":
		if a.redrive == nil {
			return ""
		}
		b, _ := json.Marshal(a.redrive)
		return string(b)
	}
	return a.other[name]
}

// attributes are all of q's attributes now. Callers hold s.mu.
func (q *sqsQueue) attributes(now time.Time) map[string]string {
	visible, inFlight, delayed := q.counts(now)
	out := map[string]string{
		"QueueArn":                              q.arn,
		"ApproximateNumberOfMessages":           strconv.Itoa(visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(inFlight),
		"ApproximateNumberOfMessagesDelayed":    strconv.Itoa(delayed),
		"CreatedTimestamp":                      strconv.FormatInt(q.created.Unix(), 10),
		"LastModifiedTimestamp":                 strconv.FormatInt(q.modified.Unix(), 10),
	}
	for name := range sqsIntAttrs {
		out[name] = attributeValue(q.attrs, name)
	}
	if q.attrs.redrive != nil {
		out["RedrivePolicy"] = attributeValue(q.attrs, "RedrivePolicy")
	}
	for k, v := range q.attrs.other {
		out[k] = v
	}
	if _, ok := out["SqsManagedSseEnabled"]; !ok {
		out["SqsManagedSseEnabled"] = "true" // new queues' default in SQS; the emulator encrypts nothing
	}
	return out
}

// expire drops the messages older than the retention period, in flight or not. Callers hold
// s.mu.
func (q *sqsQueue) expire(now time.Time) {
	keep := time.Duration(q.attrs.retention) * time.Second
	q.messages = slices.DeleteFunc(q.messages, func(m *sqsMessage) bool { return now.Sub(m.sent) >= keep })
}

// counts are the numbers of messages visible, in flight and delayed. Callers hold s.mu.
func (q *sqsQueue) counts(now time.Time) (visible, inFlight, delayed int) {
	q.expire(now)
	for _, m := range q.messages {
		switch {
		case !now.Before(m.visibleAt):
			visible++
		case m.receipt != "":
			inFlight++
		default:
			delayed++
		}
	}
	return visible, inFlight, delayed
}

type getQueueURLInput struct {
	QueueName              *string
	QueueOwnerAWSAccountId *string
}

func (s *SQS) getQueueURL(_ sqsRequest, in getQueueURLInput) (any, *sqsError) {
	if in.QueueName == nil || *in.QueueName == "" {
		return nil, errMissingParameter("QueueName")
	}
	if in.QueueOwnerAWSAccountId != nil && *in.QueueOwnerAWSAccountId != kmsAccount {
		return nil, errNoQueue()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[*in.QueueName]
	if q == nil {
		return nil, errNoQueue()
	}
	return map[string]string{"QueueUrl": q.url}, nil
}

type listQueuesInput struct {
	QueueNamePrefix *string
	MaxResults      *int
	NextToken       *string
}

func (s *SQS) listQueues(_ sqsRequest, in listQueuesInput) (any, *sqsError) {
	s.mu.Lock()
	names := make([]string, 0, len(s.queues))
	urls := map[string]string{}
	for name, q := range s.queues {
		if in.QueueNamePrefix == nil || strings.HasPrefix(name, *in.QueueNamePrefix) {
			names = append(names, name)
			urls[name] = q.url
		}
	}
	s.mu.Unlock()
	slices.Sort(names)
	limit := sqsMaxListResults
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > sqsMaxListResults {
			return nil, errInvalidParameter("Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and %d.", *in.MaxResults, sqsMaxListResults)
		}
		limit = *in.MaxResults
	}
	start := 0
	if in.NextToken != nil && *in.NextToken != "" {
		// The token is the last name of the page before, so queues created or deleted between
		// pages shift nothing.
		after, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil {
			return nil, errInvalidParameter("Invalid NextToken value.")
		}
		start, _ = slices.BinarySearch(names, string(after)+"\x00")
	}
	type output struct {
		QueueUrls []string `json:",omitempty"`
		NextToken string   `json:",omitempty"`
	}
	var out output
	for _, name := range names[start:] {
		if len(out.QueueUrls) == limit {
			out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(names[start+limit-1]))
			break
		}
		out.QueueUrls = append(out.QueueUrls, urls[name])
	}
	return out, nil
}

type getQueueAttributesInput struct {
	QueueUrl       *string
	AttributeNames []string
}

func (s *SQS) getQueueAttributes(_ sqsRequest, in getQueueAttributesInput) (any, *sqsError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, e := s.queueByURL(in.QueueUrl)
	if e != nil {
		return nil, e
	}
	all := q.attributes(s.clock())
	out := map[string]string{}
	for _, name := range in.AttributeNames {
		if name == "All" {
			out = all
			break
		}
		if !knownQueueAttribute(name) {
			return nil, errInvalidAttributeName(name)
		}
		if v, ok := all[name]; ok {
			out[name] = v
		}
	}
	type output struct {
		Attributes map[string]string `json:",omitempty"`
	}
	return output{out}, nil
}

func knownQueueAttribute(name string) bool {
	_, isInt := sqsIntAttrs[name]
	return isInt || name == "RedrivePolicy" || sqsKeptAttrs[name] || sqsFIFOAttrs[name] ||
		slices.Contains(sqsReadOnlyAttrs, name)
}

type setQueueAttributesInput struct {
	QueueUrl   *string
	Attributes map[string]string
}

func (s *SQS) setQueueAttributes(_ sqsRequest, in setQueueAttributesInput) (any, *sqsError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, e := s.queueByURL(in.QueueUrl)
	if e != nil {
		return nil, e
	}
	if in.Attributes == nil {
		return nil, errMissingParameter("Attributes")
	}
	attrs, e := s.parseQueueAttributes(q.attrs, in.Attributes)
	if e != nil {
		return nil, e
	}
	q.attrs = attrs
	q.modified = s.clock()
	s.notify() // a shorter delay may have let a message out
	return struct{}{}, nil
}

type queueURLInput struct {
	QueueUrl *string
}

func (s *SQS) purgeQueue(_ sqsRequest, in queueURLInput) (any, *sqsError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, e := s.queueByURL(in.QueueUrl)
	if e != nil {
		return nil, e
	}
	now := s.clock()
	if !q.lastPurge.IsZero() && now.Sub(q.lastPurge) < sqsPurgeWait {
		return nil, sqsErr("PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress",
			"Only one PurgeQueue operation on %s is allowed every 60 seconds.", q.name)
	}
	q.lastPurge = now
	q.messages = nil
	s.logf("PurgeQueue %s", q.name)
	return struct{}{}, nil
}

func (s *SQS) deleteQueue(_ sqsRequest, in queueURLInput) (any, *sqsError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, e := s.queueByURL(in.QueueUrl)
	if e != nil {
		return nil, e
	}
	q.deleted = true
	q.messages = nil
	delete(s.queues, q.name)
	s.deleted[q.name] = s.clock()
	s.notify() // its long polls end
	s.logf("DeleteQueue %s", q.name)
	return struct{}{}, nil
}
