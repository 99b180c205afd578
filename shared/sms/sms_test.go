package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/latchkey/latchkey/localstack/emulators"
	latchkey "github.com/latchkey/latchkey/shared"
)

// testConfig is the app's configuration against an emulator, without retries so that failure
// tests answer at once.
func testConfig() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// recorder serves the SMS emulator and keeps each request body as sent.
type recorder struct {
	emu    *emulators.SMS
	bodies []map[string]any
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	raw, _ := io.ReadAll(req.Body)
	var m map[string]any
	json.Unmarshal(raw, &m)
	r.bodies = append(r.bodies, m)
	req.Body = io.NopCloser(bytes.NewReader(raw))
	r.emu.ServeHTTP(w, req)
}

func TestTextSendsOneTransactionalMessage(t *testing.T) {
	rec := &recorder{emu: emulators.NewSMS(nil)}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	ctx := context.Background()

	if err := New(testConfig(), srv.URL, "pool-0123456789abcdef").Text(ctx, latchkey.SMS{To: "+15555550100", Body: "123456 is your code"}); err != nil {
		t.Fatal(err)
	}
	if err := New(testConfig(), srv.URL, "").Text(ctx, latchkey.SMS{To: "+15555550101", Body: "654321 is your code"}); err != nil {
		t.Fatal(err)
	}
	msgs := rec.emu.Messages()
	if len(msgs) != 2 || msgs[0].To != "+15555550100" || msgs[0].Body != "123456 is your code" ||
		msgs[0].MessageType != "TRANSACTIONAL" || msgs[0].OriginationIdentity != "pool-0123456789abcdef" {
		t.Fatalf("sent %+v", msgs)
	}
	if _, ok := rec.bodies[1]["OriginationIdentity"]; ok {
		t.Fatalf("no origination identity configured, yet the request names one: %v", rec.bodies[1])
	}
	if rec.bodies[1]["MessageType"] != "TRANSACTIONAL" {
		t.Fatalf("request %v", rec.bodies[1])
	}
}

// The service's refusals map onto the API's errors: load, quota, its own faults and an
// unreachable endpoint are 503 (try again); the rest are 500.
func TestTextErrors(t *testing.T) {
	for _, c := range []struct {
		status  int
		errType string
		want    int
	}{
		{400, "ThrottlingException", http.StatusServiceUnavailable},
		{402, "ServiceQuotaExceededException", http.StatusServiceUnavailable},
		{500, "InternalServerException", http.StatusServiceUnavailable},
		{400, "ValidationException", http.StatusInternalServerError},
		{403, "AccessDeniedException", http.StatusInternalServerError},
		{400, "ConflictException", http.StatusInternalServerError},
		{404, "ResourceNotFoundException", http.StatusInternalServerError},
	} {
		t.Run(c.errType, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/x-amz-json-1.0")
				w.WriteHeader(c.status)
				json.NewEncoder(w).Encode(map[string]string{"__type": c.errType, "message": "no"})
			}))
			defer srv.Close()
			err := New(testConfig(), srv.URL, "").Text(context.Background(), latchkey.SMS{To: "+15555550100", Body: "x"})
			if e := latchkey.AsError(err); err == nil || e.Status != c.want {
				t.Fatalf("want %d, got %v", c.want, err)
			}
		})
	}

	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		err := New(testConfig(), url, "").Text(context.Background(), latchkey.SMS{To: "+15555550100", Body: "x"})
		if e := latchkey.AsError(err); err == nil || e.Status != http.StatusServiceUnavailable {
			t.Fatalf("want 503, got %v", err)
		}
	})
}
