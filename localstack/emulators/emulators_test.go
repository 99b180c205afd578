package emulators

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/sms"
)

func TestStartStop(t *testing.T) {
	began := time.Now()
	stack, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Start took %s: dynamodb=%s ses=%s sms=%s", time.Since(began).Round(time.Millisecond),
		stack.DynamoDBEndpoint, stack.SESEndpoint, stack.SMSEndpoint)
	t.Cleanup(func() { stack.Stop() })

	ddbPort := port(t, stack.DynamoDBEndpoint)
	sesPort := port(t, stack.SESEndpoint)
	smsPort := port(t, stack.SMSEndpoint)
	for _, ep := range []string{stack.DynamoDBEndpoint, stack.SESEndpoint, stack.SMSEndpoint} {
		if !strings.HasPrefix(ep, "http://127.0.0.1:") {
			t.Errorf("endpoint %q is not on 127.0.0.1", ep)
		}
	}

	t.Run("DynamoDBListTables", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, stack.DynamoDBEndpoint, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x")
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("status %d, decoding body: %v", resp.StatusCode, err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, body %v", resp.StatusCode, body)
		}
		if _, ok := body["TableNames"].([]any); !ok {
			t.Fatalf("no TableNames list in %v", body)
		}
	})

	t.Run("LoopbackOnly", func(t *testing.T) {
		ip := nonLoopbackIPv4(t)
		if ip == "" {
			t.Log("this machine has no non-loopback IPv4 address; cannot check the emulators are unreachable from outside")
			return
		}
		for name, p := range map[string]string{"dynamodb": ddbPort, "ses": sesPort, "sms": smsPort} {
			addr := net.JoinHostPort(ip, p)
			conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
			if err == nil {
				conn.Close()
				t.Errorf("%s accepts connections on %s; it must listen on 127.0.0.1 only", name, addr)
			} else {
				t.Logf("%s refuses %s as it should: %v", name, addr, err)
			}
		}
	})

	t.Run("SESStore", func(t *testing.T) {
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(stack.SESEndpoint + "/store")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		var raw map[string]json.RawMessage
		if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
			t.Fatal(err)
		}
		var emails []json.RawMessage
		if err := json.Unmarshal(raw["emails"], &emails); err != nil || emails == nil {
			t.Fatalf(`want {"emails":[], ...}, got emails=%s (%v)`, raw["emails"], err)
		}
		if len(emails) != 0 {
			t.Fatalf("fresh store has %d emails", len(emails))
		}
	})

	t.Run("SMSThroughSDK", func(t *testing.T) { testSMSRoundTrip(t, stack.SMSEndpoint) })

	began = time.Now()
	if err := stack.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("Stop took %s", time.Since(began).Round(time.Millisecond))
	if err := stack.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	for _, p := range []string{ddbPort, sesPort, smsPort} {
		addr := net.JoinHostPort("127.0.0.1", p)
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			t.Errorf("%s still accepts connections after Stop", addr)
		}
	}
}

// testSMSRoundTrip sends texts through the real SDK client (shared/sms) to the SMS emulator at
// endpoint and reads them back from its /store and inbox page.
func testSMSRoundTrip(t *testing.T, endpoint string) {
	ctx := context.Background()
	began := time.Now().Unix()
	to := "+15555550100"
	sender := sms.New(testAWSConfig(), endpoint, "+15555550199")
	if err := sender.Text(ctx, latchkey.SMS{To: to, Body: "Your Latchkey code is 123456 <b>"}); err != nil {
		t.Fatalf("Text: %v", err)
	}

	got := smsStore(t, endpoint, "")
	if len(got) != 1 {
		t.Fatalf("store holds %d messages, want 1: %+v", len(got), got)
	}
	m := got[0]
	if m.To != to || m.Body != "Your Latchkey code is 123456 <b>" || m.OriginationIdentity != "+15555550199" ||
		m.MessageType != "TRANSACTIONAL" || m.MessageID == "" {
		t.Fatalf("stored %+v", m)
	}
	if d := time.Since(m.At); d < 0 || d > time.Minute {
		t.Fatalf("at = %s, not just now", m.At)
	}
	if n := len(smsStore(t, endpoint, "?since="+itoa(began))); n != 1 {
		t.Fatalf("?since=<start> holds %d messages, want 1", n)
	}
	if n := len(smsStore(t, endpoint, "?since="+itoa(began+3600))); n != 0 {
		t.Fatalf("?since=<an hour on> holds %d messages, want 0", n)
	}

	// The number is checked as the service checks it, and the SDK decodes the error.
	err := sender.Text(ctx, latchkey.SMS{To: "555-0100", Body: "x"})
	var invalid *types.ValidationException
	if !errors.As(err, &invalid) || invalid.Reason != types.ValidationExceptionReasonInvalidParameter ||
		!strings.Contains(aws.ToString(invalid.Message), "E.164") {
		t.Fatalf("non-E.164 number: want a ValidationException about E.164, got %v", err)
	}
	if e := latchkey.AsError(err); e.Status != http.StatusInternalServerError {
		t.Fatalf("a rejected number is a 500 (the caller validates first), got %d", e.Status)
	}
	if n := len(smsStore(t, endpoint, "")); n != 1 {
		t.Fatalf("a rejected message was stored: %d messages", n)
	}

	resp, err := http.Get(endpoint + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(html.UnescapeString(string(page)), to) || !strings.Contains(string(page), "123456 &lt;b&gt;") {
		t.Fatalf("inbox page: status %d, %s", resp.StatusCode, page)
	}
}

// testAWSConfig is what the app gets against emulators: a region and dummy static credentials.
func testAWSConfig() aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
}

func smsStore(t *testing.T, endpoint, query string) []SMSMessage {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(endpoint + "/store" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /store%s: status %d", query, resp.StatusCode)
	}
	var store struct {
		Messages []SMSMessage `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		t.Fatal(err)
	}
	if store.Messages == nil {
		t.Fatalf(`GET /store%s: want {"messages":[...]}, got null`, query)
	}
	return store.Messages
}

func TestFromEnvUsesExternalEndpoints(t *testing.T) {
	t.Setenv(EnvDynamoDBEndpoint, "http://127.0.0.1:4566/")
	t.Setenv(EnvSESEndpoint, "http://127.0.0.1:4566")
	t.Setenv(EnvSMSEndpoint, "")
	stack, err := FromEnv(context.Background(), Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if stack.DynamoDBEndpoint != "http://127.0.0.1:4566" || stack.SESEndpoint != "http://127.0.0.1:4566" {
		t.Fatalf("got %q, %q", stack.DynamoDBEndpoint, stack.SESEndpoint)
	}
	// LocalStack has no End User Messaging SMS: the in-process emulator serves texts, and Stop
	// stops it.
	if stack.SMS == nil || !strings.HasPrefix(stack.SMSEndpoint, "http://127.0.0.1:") {
		t.Fatalf("no in-process SMS emulator beside external endpoints: %q", stack.SMSEndpoint)
	}
	testSMSRoundTrip(t, stack.SMSEndpoint)
	if err := stack.Stop(); err != nil {
		t.Fatal(err)
	}
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(stack.SMSEndpoint, "http://"), time.Second); err == nil {
		conn.Close()
		t.Fatalf("the SMS emulator still accepts connections after Stop")
	}

	// An external SMS endpoint is used as it is, and nothing is started for it.
	t.Setenv(EnvSMSEndpoint, "http://127.0.0.1:4599/")
	if stack, err = FromEnv(context.Background(), Options{Root: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if stack.SMSEndpoint != "http://127.0.0.1:4599" || stack.SMS != nil {
		t.Fatalf("LATCHKEY_TEST_SMS_ENDPOINT: got %q (in-process emulator %v)", stack.SMSEndpoint, stack.SMS != nil)
	}
	if err := stack.Stop(); err != nil {
		t.Fatal(err)
	}

	t.Setenv(EnvSESEndpoint, "")
	if _, err := FromEnv(context.Background(), Options{Root: t.TempDir()}); err == nil {
		t.Fatal("FromEnv with only one endpoint set: want an error")
	}
}

func TestStartWithoutInstallSaysMakeDeps(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "localstack"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "localstack", "LoopbackDynamoDB.java"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), Options{Root: root})
	if err == nil || !strings.Contains(err.Error(), "make deps") {
		t.Fatalf("want an error telling to run make deps, got %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func port(t *testing.T, endpoint string) string {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

// nonLoopbackIPv4 returns an IPv4 address assigned to this machine that is not a loopback
// address, or "" if there is none.
func nonLoopbackIPv4(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Logf("net.InterfaceAddrs: %v", err)
		return ""
	}
	for _, a := range addrs {
		ipnet, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		if ip4 := ipnet.IP.To4(); ip4 != nil && !ip4.IsLoopback() && !ip4.IsUnspecified() {
			return ip4.String()
		}
	}
	return ""
}

// TestConcurrentCompile compiles the launcher from several goroutines at once into a fresh
// localstack/.build, as several `go test` binaries calling Start at the same moment would.
func TestConcurrentCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs javac several times")
	}
	realRoot, err := findRoot("")
	if err != nil {
		t.Fatal(err)
	}
	real, err := locate(realRoot)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(real.javaSrc)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	ls := filepath.Join(root, "localstack")
	if err := os.MkdirAll(ls, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ls, "LoopbackDynamoDB.java"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(real.localstack, "node_modules"), filepath.Join(ls, "node_modules")); err != nil {
		t.Fatal(err)
	}
	p, err := locate(root)
	if err != nil {
		t.Fatal(err)
	}

	const n = 3
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := ensureLauncher(context.Background(), p)
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	entries, err := os.ReadDir(p.buildDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != "LoopbackDynamoDB.class" {
		t.Fatalf("localstack/.build holds %v, want just LoopbackDynamoDB.class", names)
	}
	if !fresh(filepath.Join(p.buildDir, "LoopbackDynamoDB.class"), p.javaSrc, p.jar) {
		t.Fatal("compiled class is not fresh")
	}
}
