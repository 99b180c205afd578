package emulators

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

type inboxStore struct {
	Deliveries []WebhookDelivery `json:"deliveries"`
}

func inboxGetStore(t *testing.T, url string) inboxStore {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %s %s", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	var s inboxStore
	dec := json.NewDecoder(resp.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func inboxPost(t *testing.T, url, body string, header http.Header) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestWebhookInboxKeepsDeliveries(t *testing.T) {
	var log bytes.Buffer
	inbox := NewWebhookInbox(&log)
	srv := httptest.NewServer(inbox)
	defer srv.Close()

	body := `{"event_id":"webhook-event-test-1","source":"SCIM","object_type":"member","action":"CREATE","member":{"email_address":"ada@acme.com"}}`
	status, answer := inboxPost(t, srv.URL+"/webhooks/latchkey?tenant=a", body,
		http.Header{"Svix-Id": {"webhook-event-test-1"}, "Content-Type": {"application/json"}})
	if status != 200 || strings.TrimSpace(answer) != `{"ok":true}` {
		t.Fatalf("%d %s", status, answer)
	}
	if status, _ := inboxPost(t, srv.URL+"/", "second", nil); status != 200 {
		t.Fatalf("POST / %d", status)
	}
	s := inboxGetStore(t, srv.URL+"/store")
	if len(s.Deliveries) != 2 {
		t.Fatalf("%+v", s)
	}
	d := s.Deliveries[0]
	if d.ID != 1 || d.Method != "POST" || d.Path != "/webhooks/latchkey" || d.Query != "tenant=a" || d.Body != body ||
		d.Headers.Get("svix-id") != "webhook-event-test-1" || d.Status != 200 || time.Since(d.At) > time.Minute {
		t.Fatalf("%+v", d)
	}
	if s.Deliveries[1].ID != 2 || s.Deliveries[1].Path != "/" || s.Deliveries[1].Body != "second" {
		t.Fatalf("%+v", s.Deliveries[1])
	}
	if got := inboxGetStore(t, srv.URL+"/store?since="+strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)); len(got.Deliveries) != 0 {
		t.Fatalf("since the future: %+v", got)
	}
	if resp, _ := http.Get(srv.URL + "/store?since=x"); resp.StatusCode != 400 {
		t.Fatalf("since=x: %d", resp.StatusCode)
	}

	// The page lists them, newest first, with the event type; the body is escaped.
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(page), "scim.member.create") ||
		!strings.Contains(string(page), "ada@acme.com") || strings.Index(string(page), "second") > strings.Index(string(page), "scim.member.create") {
		t.Fatalf("page %s", page)
	}
	if !strings.Contains(log.String(), "POST /webhooks/latchkey svix-id=webhook-event-test-1: 200") || strings.Contains(log.String(), "ada@") {
		t.Errorf("log %q", log.String())
	}

	if status, _ := inboxPost(t, srv.URL+"/clear-store", "", nil); status != 200 {
		t.Fatal(status)
	}
	if got := inboxGetStore(t, srv.URL+"/store"); len(got.Deliveries) != 0 || string(mustJSON(t, got)) != `{"deliveries":[]}` {
		t.Fatalf("after clear: %s", mustJSON(t, got))
	}
	for _, c := range []struct{ method, path string }{{"GET", "/elsewhere"}, {"DELETE", "/webhooks"}, {"POST", "/store"}} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 && resp.StatusCode != 405 {
			t.Errorf("%s %s: %d", c.method, c.path, resp.StatusCode)
		}
	}
	if got := inbox.Deliveries(); len(got) != 0 {
		t.Fatalf("those were not deliveries: %+v", got)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWebhookInboxFaults(t *testing.T) {
	inbox := NewWebhookInbox(nil)
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	inbox.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	srv := httptest.NewServer(inbox)
	defer srv.Close()

	// A count: the next two deliveries are refused, then it answers 200 again.
	if status, body := inboxPost(t, srv.URL+"/faults", `{"status":503,"count":2}`, nil); status != 200 || !strings.Contains(body, `"count":2`) {
		t.Fatalf("%d %s", status, body)
	}
	var got []int
	for range 3 {
		status, _ := inboxPost(t, srv.URL+"/hook", "{}", nil)
		got = append(got, status)
	}
	if got[0] != 503 || got[1] != 503 || got[2] != 200 {
		t.Fatalf("statuses %v", got)
	}
	// A time: 30 s of 500s on the inbox's clock.
	if status, _ := inboxPost(t, srv.URL+"/faults", `{"status":500,"for_seconds":30}`, nil); status != 200 {
		t.Fatal(status)
	}
	if status, _ := inboxPost(t, srv.URL+"/hook", "{}", nil); status != 500 {
		t.Fatalf("within the fault: %d", status)
	}
	resp, _ := http.Get(srv.URL + "/faults")
	var f WebhookFault
	json.NewDecoder(resp.Body).Decode(&f)
	resp.Body.Close()
	if f.Status != 500 || !f.Until.Equal(now.Add(30*time.Second)) {
		t.Fatalf("GET /faults %+v", f)
	}
	advance(31 * time.Second)
	if status, _ := inboxPost(t, srv.URL+"/hook", "{}", nil); status != 200 {
		t.Fatalf("after the fault: %d", status)
	}
	// {} ends a fault; bad ones are refused.
	inbox.SetFault(503, 0, 0)
	if status, _ := inboxPost(t, srv.URL+"/hook", "{}", nil); status != 503 {
		t.Fatal(status)
	}
	if status, _ := inboxPost(t, srv.URL+"/faults", `{}`, nil); status != 200 {
		t.Fatal(status)
	}
	if status, _ := inboxPost(t, srv.URL+"/hook", "{}", nil); status != 200 {
		t.Fatal(status)
	}
	for _, bad := range []string{`{"status":99}`, `{"status":503,"count":-1}`, `{"status":"x"}`, `{"status":503,"forever":true}`} {
		if status, _ := inboxPost(t, srv.URL+"/faults", bad, nil); status != 400 {
			t.Errorf("%s: %d", bad, status)
		}
	}
	// Every attempt is kept with what it was answered; Accepted and ?accepted=true keep the
	// 2xx ones.
	all := inbox.Deliveries()
	if len(all) != 7 || len(inbox.Accepted()) != 3 || len(inboxGetStore(t, srv.URL+"/store?accepted=true").Deliveries) != 3 {
		t.Fatalf("%d deliveries, %d accepted", len(all), len(inbox.Accepted()))
	}
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/faults", nil)
	inbox.SetFault(503, 0, 0)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatal(err)
	}
	if inbox.Fault() != nil {
		t.Fatal("DELETE /faults left the fault on")
	}
}

// The Stack starts the inbox beside the others, and leaves it out for an external one.
func TestWebhookInboxInStack(t *testing.T) {
	t.Setenv(EnvDynamoDBEndpoint, "http://127.0.0.1:4566")
	t.Setenv(EnvSESEndpoint, "http://127.0.0.1:4566")
	t.Setenv(EnvWebhookInboxEndpoint, "")
	stack, err := FromEnv(t.Context(), Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if stack.WebhookInbox == nil || !strings.HasPrefix(stack.WebhookInboxEndpoint, "http://127.0.0.1:") {
		t.Fatalf("no in-process inbox: %q", stack.WebhookInboxEndpoint)
	}
	if status, _ := inboxPost(t, stack.WebhookInboxEndpoint+"/hook", "{}", nil); status != 200 || len(stack.WebhookInbox.Deliveries()) != 1 {
		t.Fatalf("%d", status)
	}
	if err := stack.Stop(); err != nil {
		t.Fatal(err)
	}
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(stack.WebhookInboxEndpoint, "http://"), time.Second); err == nil {
		conn.Close()
		t.Fatal("the inbox still accepts connections after Stop")
	}
	t.Setenv(EnvWebhookInboxEndpoint, "http://127.0.0.1:4567/")
	if stack, err = FromEnv(t.Context(), Options{Root: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	defer stack.Stop()
	if stack.WebhookInboxEndpoint != "http://127.0.0.1:4567" || stack.WebhookInbox != nil {
		t.Fatalf("external inbox: %q %v", stack.WebhookInboxEndpoint, stack.WebhookInbox != nil)
	}
}
