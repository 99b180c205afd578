package emulators

// The SQS emulator's store view, for tests and people, and its server for a Stack.

import (
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// SQSQueueState is one queue as GET /store shows it.
type SQSQueueState struct {
	Name       string            `json:"name"`
	URL        string            `json:"url"`
	ARN        string            `json:"arn"`
	Attributes map[string]string `json:"attributes"`
	Visible    int               `json:"visible"`
	InFlight   int               `json:"inFlight"`
	Delayed    int               `json:"delayed"`
	Messages   []SQSMessageState `json:"messages"`
}

// SQSMessageState is one message as GET /store shows it; State is "visible", "inFlight" or
// "delayed".
type SQSMessageState struct {
	MessageID           string                  `json:"messageId"`
	Body                string                  `json:"body"`
	MessageAttributes   map[string]sqsAttrValue `json:"messageAttributes,omitempty"`
	State               string                  `json:"state"`
	SentAt              time.Time               `json:"sentAt"`
	VisibleAt           time.Time               `json:"visibleAt"`
	ReceiveCount        int                     `json:"receiveCount"`
	DeadLetterSourceARN string                  `json:"deadLetterSourceArn,omitempty"`
}

// Queues returns every queue, by name, with its messages in the order they would be received.
func (s *SQS) Queues() []SQSQueueState {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	out := make([]SQSQueueState, 0, len(s.queues))
	for _, q := range s.queues {
		st := SQSQueueState{Name: q.name, URL: q.url, ARN: q.arn, Attributes: q.attributes(now), Messages: []SQSMessageState{}}
		st.Visible, st.InFlight, st.Delayed = q.counts(now)
		for _, m := range q.messages {
			state := "visible"
			switch {
			case !now.Before(m.visibleAt):
			case m.receipt != "":
				state = "inFlight"
			default:
				state = "delayed"
			}
			st.Messages = append(st.Messages, SQSMessageState{MessageID: m.id, Body: m.body, MessageAttributes: m.attrs,
				State: state, SentAt: m.sent.UTC(), VisibleAt: m.visibleAt.UTC(), ReceiveCount: m.receives,
				DeadLetterSourceARN: m.deadLetterSource})
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b SQSQueueState) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Clear deletes every message of every queue; the queues stay.
func (s *SQS) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.queues {
		q.messages = nil
	}
}

func (s *SQS) serveStore(w http.ResponseWriter, r *http.Request) {
	queues := s.Queues()
	if q := r.URL.Query(); q.Has("queue") {
		queues = slices.DeleteFunc(queues, func(st SQSQueueState) bool { return st.Name != q.Get("queue") })
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string][]SQSQueueState{"queues": queues})
}

var queuesPage = template.Must(template.New("queues").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>SQS queues ({{len .}})</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
h1{font-size:1.3rem} h2{font-size:1.05rem;margin:1.5rem 0 .3rem} .h{color:#666;font-size:.85rem}
table{border-collapse:collapse;width:100%;font-size:.9rem} td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
.b{white-space:pre-wrap;word-break:break-all;font-family:ui-monospace,monospace;font-size:.8rem}
</style></head><body>
<h1>SQS queues</h1>
<p class="h">Queues of the SQS emulator and their messages; this page reloads every 5 s. JSON at <a href="/store">/store</a>.</p>
{{range .}}<h2>{{.Name}}</h2>
<p class="h">{{.Visible}} visible · {{.InFlight}} in flight · {{.Delayed}} delayed{{with index .Attributes "RedrivePolicy"}} · redrive {{.}}{{end}}</p>
{{if .Messages}}<table><tr><th>state</th><th>receives</th><th>sent</th><th>body</th></tr>
{{range .Messages}}<tr><td>{{.State}}</td><td>{{.ReceiveCount}}</td><td>{{.SentAt.Format "15:04:05"}}</td><td class="b">{{.Body}}</td></tr>
{{end}}</table>{{end}}
{{else}}<p>No queues yet.</p>{{end}}
</body></html>
`))

func (s *SQS) servePage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	queuesPage.Execute(w, s.Queues())
}

// sqsServer serves an SQS emulator on 127.0.0.1 for a Stack.
type sqsServer struct {
	emu *SQS
	*inProcess
}

// startSQS listens on 127.0.0.1:port (0 = a free port) and serves a fresh SQS emulator there.
// The listener is bound before it returns, so the endpoint answers at once.
func startSQS(port int, log io.Writer) (*sqsServer, string, error) {
	emu := NewSQS(log)
	p, endpoint, err := serveInProcess("sqs", port, emu, log)
	if err != nil {
		return nil, "", err
	}
	return &sqsServer{emu, p}, endpoint, nil
}

// sqsLog is where the SQS emulator writes its lines: opts.Log, prefixed like the processes'.
func sqsLog(log io.Writer, mu *sync.Mutex) io.Writer {
	if log == nil {
		return nil
	}
	return &prefixWriter{w: log, mu: mu, prefix: "[sqs] ", bol: true}
}
