package emulators

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// post sends one AWS JSON 1.0 request to the emulator and decodes the JSON answer.
func post(t *testing.T, url, target, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("status %d: body is not JSON: %v", resp.StatusCode, err)
	}
	return resp.StatusCode, resp.Header, out
}

func TestSMSSendTextMessageValidation(t *testing.T) {
	emu := NewSMS(nil)
	srv := httptest.NewServer(emu)
	defer srv.Close()

	long := strings.Repeat("é", maxSMSBody+1)
	for _, c := range []struct {
		name, target, body, errType, reason string
	}{
		{"unknown operation", "PinpointSMSVoiceV2.SendVoiceMessage", `{}`, "UnknownOperationException", ""},
		{"no target", "", `{}`, "UnknownOperationException", ""},
		{"not JSON", SMSSendTarget, `{"DestinationPhoneNumber":`, "SerializationException", ""},
		{"no number", SMSSendTarget, `{"MessageBody":"hi"}`, "ValidationException", "MISSING_PARAMETER"},
		{"national number", SMSSendTarget, `{"DestinationPhoneNumber":"5555550100","MessageBody":"hi"}`, "ValidationException", "INVALID_PARAMETER"},
		{"leading zero", SMSSendTarget, `{"DestinationPhoneNumber":"+05555550100","MessageBody":"hi"}`, "ValidationException", "INVALID_PARAMETER"},
		{"sixteen digits", SMSSendTarget, `{"DestinationPhoneNumber":"+1234567890123456","MessageBody":"hi"}`, "ValidationException", "INVALID_PARAMETER"},
		{"spaces", SMSSendTarget, `{"DestinationPhoneNumber":"+1 555 555 0100","MessageBody":"hi"}`, "ValidationException", "INVALID_PARAMETER"},
		{"no body", SMSSendTarget, `{"DestinationPhoneNumber":"+15555550100"}`, "ValidationException", "MISSING_PARAMETER"},
		{"empty body", SMSSendTarget, `{"DestinationPhoneNumber":"+15555550100","MessageBody":""}`, "ValidationException", "MISSING_PARAMETER"},
		{"long body", SMSSendTarget, `{"DestinationPhoneNumber":"+15555550100","MessageBody":"` + long + `"}`, "ValidationException", "MAXIMUM_SIZE_EXCEEDED"},
		{"message type", SMSSendTarget, `{"DestinationPhoneNumber":"+15555550100","MessageBody":"hi","MessageType":"BULK"}`, "ValidationException", "INVALID_PARAMETER"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, h, out := post(t, srv.URL, c.target, c.body)
			if status != http.StatusBadRequest || out["__type"] != c.errType || h.Get("X-Amzn-ErrorType") != c.errType {
				t.Fatalf("want 400 %s, got %d %v (X-Amzn-ErrorType %q)", c.errType, status, out, h.Get("X-Amzn-ErrorType"))
			}
			if msg, _ := out["message"].(string); msg == "" {
				t.Fatalf(`no "message" in %v`, out)
			}
			if c.reason != "" && out["Reason"] != c.reason {
				t.Fatalf("Reason = %v, want %s", out["Reason"], c.reason)
			}
			if ct := h.Get("Content-Type"); ct != "application/x-amz-json-1.0" {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}
	if n := len(emu.Messages()); n != 0 {
		t.Fatalf("rejected requests stored %d messages", n)
	}

	// The longest body there is, in characters rather than bytes, and the smallest number.
	status, h, out := post(t, srv.URL, SMSSendTarget,
		`{"DestinationPhoneNumber":"+12","MessageBody":"`+long[len("é"):]+`","MessageType":"PROMOTIONAL","TimeToLive":300}`)
	id, _ := out["MessageId"].(string)
	if status != http.StatusOK || h.Get("Content-Type") != "application/x-amz-json-1.0" ||
		!regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Fatalf("want 200 {MessageId: <uuid>}, got %d %v", status, out)
	}
	if msgs := emu.Messages(); len(msgs) != 1 || msgs[0].MessageID != id || msgs[0].MessageType != "PROMOTIONAL" {
		t.Fatalf("stored %+v", msgs)
	}
}

func TestSMSDryRunAndStore(t *testing.T) {
	emu := NewSMS(nil)
	srv := httptest.NewServer(emu)
	defer srv.Close()

	status, _, out := post(t, srv.URL, SMSSendTarget, `{"DestinationPhoneNumber":"+15555550100","MessageBody":"hi","DryRun":true}`)
	if status != http.StatusOK || out["MessageId"] == "" {
		t.Fatalf("dry run: %d %v", status, out)
	}
	if got := smsStore(t, srv.URL, ""); len(got) != 0 {
		t.Fatalf("a dry run was kept: %+v", got)
	}
	for _, to := range []string{"+15555550100", "+447700900123"} {
		if status, _, out := post(t, srv.URL, SMSSendTarget, `{"DestinationPhoneNumber":"`+to+`","MessageBody":"hi"}`); status != 200 {
			t.Fatalf("%d %v", status, out)
		}
	}
	got := smsStore(t, srv.URL, "")
	if len(got) != 2 || got[0].To != "+15555550100" || got[1].To != "+447700900123" {
		t.Fatalf("want both messages, oldest first: %+v", got)
	}

	// The JSON is shaped as documented: to, body and an RFC 3339 at.
	resp, err := http.Get(srv.URL + "/store")
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Messages []map[string]any `json:"messages"`
	}
	json.NewDecoder(resp.Body).Decode(&raw)
	resp.Body.Close()
	at, _ := raw.Messages[0]["at"].(string)
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`).MatchString(at) ||
		raw.Messages[0]["to"] != "+15555550100" || raw.Messages[0]["body"] != "hi" {
		t.Fatalf("store entry %v", raw.Messages[0])
	}

	for _, bad := range []string{"?since=yesterday", "?since=1&since=2", "?since=1.5"} {
		resp, err := http.Get(srv.URL + "/store" + bad)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET /store%s: status %d, want 400", bad, resp.StatusCode)
		}
	}

	resp, err = http.Post(srv.URL+"/clear-store", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := smsStore(t, srv.URL, ""); resp.StatusCode != 200 || len(got) != 0 {
		t.Fatalf("after clear-store: status %d, %d messages", resp.StatusCode, len(got))
	}
	resp, err = http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("empty inbox page: status %d", resp.StatusCode)
	}
}

func TestSMSPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := ln.Addr().(*net.TCPAddr).Port
	if s, _, err := startSMS(p, nil); err == nil {
		s.close()
		t.Fatal("startSMS on a taken port: want an error")
	} else if !strings.Contains(err.Error(), strconv.Itoa(p)) {
		t.Fatalf("the error should name the port: %v", err)
	}
}
