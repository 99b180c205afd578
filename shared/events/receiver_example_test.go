package events_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	svix "github.com/svix/svix-webhooks/go"

	"github.com/latchkey/latchkey/shared/webhook"
)

// receiver is what an application runs to receive Latchkey's webhooks (the README shows this
// code): it verifies the Svix signature with Svix's own library, applies each event once
// (deliveries are at least once), and ignores an event older than one already applied to the
// same object (retries can reorder them).
type receiver struct {
	wh      *svix.Webhook
	mu      sync.Mutex
	seen    map[string]bool  // event ids applied; a real application keeps them in its database
	version map[string]int64 // object id → highest object_version applied
}

func newReceiver(secret string) (*receiver, error) {
	wh, err := svix.NewWebhook(secret) // the endpoint's whsec_… secret
	if err != nil {
		return nil, err
	}
	return &receiver{wh: wh, seen: map[string]bool{}, version: map[string]int64{}}, nil
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	// Verify checks svix-signature over svix-id, svix-timestamp and the exact body, and
	// refuses a timestamp more than five minutes away.
	if err := rc.wh.Verify(body, r.Header); err != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ev struct {
		EventID       string          `json:"event_id"`
		Action        string          `json:"action"`
		ObjectType    string          `json:"object_type"`
		Source        string          `json:"source"`
		ID            string          `json:"id"`
		ObjectVersion int64           `json:"object_version"`
		Member        json.RawMessage `json:"member"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	switch {
	case rc.seen[ev.EventID]:
		// Already applied: answer 2xx so it is not sent again.
	case ev.ObjectVersion < rc.version[ev.ID]:
		rc.seen[ev.EventID] = true // stale: a newer change of this object was applied first
	default:
		rc.seen[ev.EventID], rc.version[ev.ID] = true, ev.ObjectVersion
		fmt.Printf("%s.%s.%s %s v%d\n", strings.ToLower(ev.Source), ev.ObjectType, strings.ToLower(ev.Action), ev.ID, ev.ObjectVersion)
	}
	w.WriteHeader(http.StatusNoContent)
}

func Example_receiver() {
	secret, _ := webhook.NewSecret()
	rc, _ := newReceiver(secret)
	srv := httptest.NewServer(rc)
	defer srv.Close()

	post := func(id string, body string, sign bool) int {
		req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(body))
		h, _ := webhook.Headers(secret, id, time.Now(), []byte(body))
		if !sign {
			h.Set("svix-signature", "v1,AAAA")
		}
		for k, v := range h {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ev := func(id string, action string, v int) string {
		return fmt.Sprintf(`{"event_id":%q,"action":%q,"object_type":"member","source":"DIRECT","id":"member-test-1","object_version":%d,"member":{}}`, id, action, v)
	}
	fmt.Println(post("webhook-event-test-1", ev("webhook-event-test-1", "CREATE", 1), true))
	fmt.Println(post("webhook-event-test-3", ev("webhook-event-test-3", "UPDATE", 3), true))
	fmt.Println(post("webhook-event-test-2", ev("webhook-event-test-2", "UPDATE", 2), true)) // late: ignored
	fmt.Println(post("webhook-event-test-3", ev("webhook-event-test-3", "UPDATE", 3), true)) // again: ignored
	fmt.Println(post("webhook-event-test-4", ev("webhook-event-test-4", "DELETE", 4), false))
	// Output:
	// direct.member.create member-test-1 v1
	// 204
	// direct.member.update member-test-1 v3
	// 204
	// 204
	// 204
	// 401
}
