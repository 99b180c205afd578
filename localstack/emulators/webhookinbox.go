package emulators

// The webhook inbox: a receiver for webhook deliveries, like the email and SMS inboxes. make
// dev points a webhook endpoint at it so a developer sees what Latchkey delivers, and tests
// use it as an application that can be taken down (a fault: answer 503 for a while) and
// brought back.

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// maxInboxBody bounds a delivery's body (Latchkey's events are a few KiB).
	maxInboxBody = 1 << 20
	// maxInboxDeliveries is how many deliveries the inbox keeps; older ones are forgotten.
	maxInboxDeliveries = 10000
)

// WebhookDelivery is one request the inbox received. The JSON names are those of GET /store:
// {"deliveries":[{"id":1,"method":"POST","path":"/webhooks","headers":{...},"body":"...",
// "at":"<RFC 3339>","status":200}]}.
type WebhookDelivery struct {
	ID      int         `json:"id"` // 1, 2, ... in the order received
	Method  string      `json:"method"`
	Path    string      `json:"path"`
	Query   string      `json:"query,omitempty"`
	Headers http.Header `json:"headers"`
	Body    string      `json:"body"`
	At      time.Time   `json:"at"`
	// Status is what the inbox answered: 200, or a fault's status.
	Status int `json:"status"`
}

// Accepted says whether the inbox answered 2xx, so the sender counts it delivered.
func (d WebhookDelivery) Accepted() bool { return d.Status >= 200 && d.Status <= 299 }

// WebhookFault makes the inbox answer Status (503, say) instead of 200: until Until when that
// is set, for the next Count requests when that is set (both: whichever ends first).
type WebhookFault struct {
	Status int       `json:"status"`
	Until  time.Time `json:"until,omitzero"`
	Count  int       `json:"count,omitempty"` // requests still to fail
}

// WebhookInbox is an http.Handler that receives webhooks:
//
//   - Any POST (PUT, PATCH) to a path other than the ones below is a delivery: its method,
//     path, query, headers, body and time are kept, and it is answered 200 {"ok":true}, or with
//     the fault's status while a fault is on.
//   - GET /store is every delivery, oldest first: {"deliveries":[...]}; ?since=<unix seconds>
//     keeps those received at or after that second, ?accepted=true those answered 2xx.
//   - POST /clear-store forgets them all (and ends any fault).
//   - POST /faults {"status":503,"for_seconds":30} answers 503 for 30 seconds;
//     {"status":503,"count":3} for the next three deliveries; {} or DELETE /faults ends it.
//     GET /faults shows the fault on (or {}).
//   - GET / is an inbox page for people; GET /health-check answers 200.
type WebhookInbox struct {
	log io.Writer // a line per delivery (path, svix-id, status), never the body; nil = none

	mu         sync.Mutex
	now        func() time.Time
	next       int
	deliveries []WebhookDelivery
	fault      *WebhookFault
}

// NewWebhookInbox returns an empty inbox on the wall clock that writes a line per delivery
// to log (nil for none).
func NewWebhookInbox(log io.Writer) *WebhookInbox {
	return &WebhookInbox{log: log, now: time.Now}
}

// SetClock makes now the inbox's clock (nil = the wall clock): it stamps deliveries and ends
// faults set for a time.
func (w *WebhookInbox) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now = now
}

// Deliveries returns a copy of every delivery kept, oldest first.
func (w *WebhookInbox) Deliveries() []WebhookDelivery {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.deliveries)
}

// Accepted returns the deliveries answered 2xx, oldest first.
func (w *WebhookInbox) Accepted() []WebhookDelivery {
	return slices.DeleteFunc(w.Deliveries(), func(d WebhookDelivery) bool { return !d.Accepted() })
}

// Clear forgets every delivery and ends any fault.
func (w *WebhookInbox) Clear() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.deliveries, w.fault = nil, nil
}

// SetFault makes the inbox answer status for d (0: no time limit) or for the next count
// deliveries (0: no count limit); with neither limit, until ClearFault.
func (w *WebhookInbox) SetFault(status int, d time.Duration, count int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := &WebhookFault{Status: status, Count: count}
	if d > 0 {
		f.Until = w.now().Add(d)
	}
	w.fault = f
}

// ClearFault makes the inbox answer 200 again.
func (w *WebhookInbox) ClearFault() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fault = nil
}

// Fault is the fault on, or nil.
func (w *WebhookInbox) Fault() *WebhookFault {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expireLocked()
	if w.fault == nil {
		return nil
	}
	f := *w.fault
	return &f
}

func (w *WebhookInbox) expireLocked() {
	if w.fault != nil && !w.fault.Until.IsZero() && !w.now().Before(w.fault.Until) {
		w.fault = nil
	}
}

func (w *WebhookInbox) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case r.URL.Path == "/" && get:
		w.servePage(rw)
	case r.URL.Path == "/store" && get:
		w.serveStore(rw, r)
	case r.URL.Path == "/clear-store" && r.Method == http.MethodPost:
		w.Clear()
		writeJSON(rw, http.StatusOK, map[string]any{})
	case r.URL.Path == "/faults":
		w.serveFaults(rw, r)
	case r.URL.Path == "/health-check":
		io.WriteString(rw, "ok\n")
	case r.URL.Path == "/store" || r.URL.Path == "/clear-store":
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
	case r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch:
		w.receive(rw, r)
	case get:
		http.NotFound(rw, r)
	default:
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (w *WebhookInbox) receive(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxInboxBody))
	if err != nil {
		http.Error(rw, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	w.mu.Lock()
	w.expireLocked()
	status := http.StatusOK
	if f := w.fault; f != nil {
		status = f.Status
		if f.Count > 0 {
			if f.Count--; f.Count == 0 {
				w.fault = nil
			}
		}
	}
	w.next++
	d := WebhookDelivery{ID: w.next, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Headers: r.Header.Clone(),
		Body: string(body), At: w.now().UTC(), Status: status}
	w.deliveries = append(w.deliveries, d)
	if over := len(w.deliveries) - maxInboxDeliveries; over > 0 {
		w.deliveries = slices.Delete(w.deliveries, 0, over)
	}
	w.mu.Unlock()
	if w.log != nil {
		fmt.Fprintf(w.log, "%s %s svix-id=%s: %d\n", d.Method, d.Path, r.Header.Get("svix-id"), status)
	}
	if status >= 200 && status <= 299 {
		writeJSON(rw, status, map[string]bool{"ok": true})
		return
	}
	writeJSON(rw, status, map[string]string{"error": "fault injected by the webhook inbox"})
}

func (w *WebhookInbox) serveStore(rw http.ResponseWriter, r *http.Request) {
	ds := w.Deliveries()
	q := r.URL.Query()
	if q.Has("since") {
		since, err := strconv.ParseInt(q.Get("since"), 10, 64)
		if err != nil || len(q["since"]) != 1 {
			http.Error(rw, "since must be one integer: epoch seconds", http.StatusBadRequest)
			return
		}
		ds = slices.DeleteFunc(ds, func(d WebhookDelivery) bool { return d.At.Unix() < since })
	}
	if q.Get("accepted") == "true" {
		ds = slices.DeleteFunc(ds, func(d WebhookDelivery) bool { return !d.Accepted() })
	}
	if ds == nil {
		ds = []WebhookDelivery{}
	}
	writeJSON(rw, http.StatusOK, map[string][]WebhookDelivery{"deliveries": ds})
}

// faultRequest is POST /faults's body.
type faultRequest struct {
	Status     int `json:"status"`
	ForSeconds int `json:"for_seconds"`
	Count      int `json:"count"`
}

func (w *WebhookInbox) serveFaults(rw http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if f := w.Fault(); f != nil {
			writeJSON(rw, http.StatusOK, f)
			return
		}
		writeJSON(rw, http.StatusOK, map[string]any{})
	case http.MethodDelete:
		w.ClearFault()
		writeJSON(rw, http.StatusOK, map[string]any{})
	case http.MethodPost:
		var in faultRequest
		dec := json.NewDecoder(http.MaxBytesReader(rw, r.Body, 4<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil && !errors.Is(err, io.EOF) {
			http.Error(rw, "want {\"status\":503,\"for_seconds\":N} or {\"status\":503,\"count\":N}: "+err.Error(), http.StatusBadRequest)
			return
		}
		switch {
		case in == faultRequest{}:
			w.ClearFault()
			writeJSON(rw, http.StatusOK, map[string]any{})
			return
		case in.Status < 200 || in.Status > 599 || in.ForSeconds < 0 || in.Count < 0:
			http.Error(rw, "status must be an HTTP status (200-599); for_seconds and count must not be negative", http.StatusBadRequest)
			return
		}
		w.SetFault(in.Status, time.Duration(in.ForSeconds)*time.Second, in.Count)
		writeJSON(rw, http.StatusOK, w.Fault())
	default:
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	json.NewEncoder(rw).Encode(v)
}

// inboxRow is one delivery as the page shows it.
type inboxRow struct {
	WebhookDelivery
	SvixID, EventType, Pretty string
}

func rowOf(d WebhookDelivery) inboxRow {
	row := inboxRow{WebhookDelivery: d, SvixID: d.Headers.Get("svix-id"), Pretty: d.Body}
	var fields map[string]any
	if json.Unmarshal([]byte(d.Body), &fields) == nil {
		source, _ := fields["source"].(string)
		object, _ := fields["object_type"].(string)
		action, _ := fields["action"].(string)
		if object != "" {
			row.EventType = strings.ToLower(source) + "." + object + "." + strings.ToLower(action)
		}
		if b, err := json.MarshalIndent(fields, "", "  "); err == nil {
			row.Pretty = string(b)
		}
	}
	return row
}

var webhookInboxPage = template.Must(template.New("webhooks").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>Webhook inbox ({{len .Rows}})</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:2rem auto;max-width:56rem;padding:0 1rem;color:#222}
h1{font-size:1.3rem} .m{border:1px solid #ddd;border-radius:.6rem;padding:.7rem 1rem;margin:.7rem 0}
.h{color:#666;font-size:.85rem} .bad{color:#b00} pre{white-space:pre-wrap;word-break:break-all;font-size:.8rem;margin:.4rem 0 0}
</style></head><body>
<h1>Webhook inbox</h1>
<p class="h">Webhooks delivered to this inbox, newest first; this page reloads every 5 s. JSON at <a href="/store">/store</a>.
{{with .Fault}}<b class="bad">Answering {{.Status}}{{if not .Until.IsZero}} until {{.Until.Format "15:04:05"}}{{end}}{{if .Count}} for {{.Count}} more{{end}} (POST /faults {} ends it).</b>{{end}}</p>
{{range .Rows}}<div class="m"><div class="h">#{{.ID}} · <b>{{with .EventType}}{{.}}{{else}}{{.Method}} {{.Path}}{{end}}</b> · {{.At.Format "2006-01-02 15:04:05 MST"}} ·
{{if .Accepted}}answered {{.Status}}{{else}}<span class="bad">answered {{.Status}}</span>{{end}}{{with .SvixID}} · svix-id {{.}}{{end}} · {{.Path}}</div>
<pre>{{.Pretty}}</pre></div>
{{else}}<p>No deliveries yet.</p>{{end}}
</body></html>
`))

func (w *WebhookInbox) servePage(rw http.ResponseWriter) {
	ds := w.Deliveries()
	rows := make([]inboxRow, 0, len(ds))
	for i := len(ds) - 1; i >= 0 && len(rows) < 200; i-- {
		rows = append(rows, rowOf(ds[i]))
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-store")
	webhookInboxPage.Execute(rw, struct {
		Rows  []inboxRow
		Fault *WebhookFault
	}{rows, w.Fault()})
}

// webhookInboxServer serves a webhook inbox on 127.0.0.1 for a Stack.
type webhookInboxServer struct {
	emu *WebhookInbox
	*inProcess
}

// startWebhookInbox listens on 127.0.0.1:port (0 = a free port) and serves a fresh inbox
// there. The listener is bound before it returns, so the endpoint answers at once.
func startWebhookInbox(port int, log io.Writer) (*webhookInboxServer, string, error) {
	emu := NewWebhookInbox(log)
	p, endpoint, err := serveInProcess("webhookinbox", port, emu, log)
	if err != nil {
		return nil, "", err
	}
	return &webhookInboxServer{emu, p}, endpoint, nil
}

// webhookInboxLog is where the inbox writes its lines: opts.Log, prefixed like the others'.
func webhookInboxLog(log io.Writer, mu *sync.Mutex) io.Writer {
	if log == nil {
		return nil
	}
	return &prefixWriter{w: log, mu: mu, prefix: "[webhooks] ", bol: true}
}
