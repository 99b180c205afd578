package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/app"
)

// testNumber is a phone number no other test sends to: 555-01xx numbers are fictional.
func testNumber() string { return fmt.Sprintf("+1555%07d", rand.IntN(10_000_000)) }

// A text sent through the app's texter, over the real SDK client, reaches the SMS emulator's
// inbox and only the addressed number's.
func TestTextsReachTheInbox(t *testing.T) {
	to, other := testNumber(), testNumber()
	before := time.Now().Add(-time.Second)
	if err := env.App.SMS.Text(context.Background(), latchkey.SMS{To: to, Body: "Your Latchkey code is 048213. It expires in 10 minutes."}); err != nil {
		t.Fatal(err)
	}
	if err := env.App.SMS.Text(context.Background(), latchkey.SMS{To: to, Body: "Your Latchkey code is 771904."}); err != nil {
		t.Fatal(err)
	}
	if got := env.Texts(t, to); len(got) != 2 || got[0].Code() != "048213" {
		t.Fatalf("texts to %s: %+v", to, got)
	}
	last := env.LastText(t, to)
	if last.To != to || last.Code() != "771904" || last.At.Before(before) || last.At.After(time.Now().Add(time.Second)) {
		t.Fatalf("last text %+v", last)
	}
	if got := env.Texts(t, other); len(got) != 0 {
		t.Fatalf("%s received %+v", other, got)
	}
}

// When End User Messaging SMS cannot be reached, a send fails as a dependency outage (503),
// not as an internal error, and says nothing of where it tried.
func TestTextFailureIsUnavailable(t *testing.T) {
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + dead.Addr().String()
	dead.Close()
	a, srv, err := env.Variant(context.Background(), func(c *app.Config) { c.SMSEndpoint = deadURL })
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	err = a.SMS.Text(context.Background(), latchkey.SMS{To: testNumber(), Body: "Your Latchkey code is 123456."})
	e := latchkey.AsError(err)
	if err == nil || e.Status != http.StatusServiceUnavailable || e.Type != "internal_server_error" {
		t.Fatalf("want a 503, got %v", err)
	}
	if strings.Contains(e.Message, "127.0.0.1") || strings.Contains(e.Message, "dial") {
		t.Fatalf("the client-facing message names the endpoint: %q", e.Message)
	}
}
