package emulators

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	smithy "github.com/aws/smithy-go"
)

// kmsPost sends one AWS JSON 1.1 request to the emulator and decodes the JSON answer.
func kmsPost(t *testing.T, url, target, auth, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
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

// kmsClient is the real SDK client on endpoint, without retries so that failures answer at once.
func kmsClient(endpoint, region string) *kms.Client {
	return kms.NewFromConfig(aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *kms.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

var keyARNPattern = regexp.MustCompile(`^arn:aws:kms:eu-west-1:000000000000:key/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestKMSWireValidation(t *testing.T) {
	srv := httptest.NewServer(NewKMS())
	defer srv.Close()

	p := func(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{'p'}, n)) }
	for _, c := range []struct {
		name, target, body, errType string
		status                      int
	}{
		{"unknown operation", "TrentService.GenerateRandom", `{}`, "UnknownOperationException", 400},
		{"JSON 1.0 target", "PinpointSMSVoiceV2.SendTextMessage", `{}`, "UnknownOperationException", 400},
		{"no target", "", `{}`, "UnknownOperationException", 400},
		{"not JSON", KMSEncryptTarget, `{"KeyId":`, "SerializationException", 400},
		{"plaintext not base64", KMSEncryptTarget, `{"KeyId":"k","Plaintext":"%%%"}`, "SerializationException", 400},
		{"no key id", KMSEncryptTarget, `{"Plaintext":"` + p(1) + `"}`, "ValidationException", 400},
		{"empty key id", KMSEncryptTarget, `{"KeyId":"","Plaintext":"` + p(1) + `"}`, "ValidationException", 400},
		{"long key id", KMSEncryptTarget, `{"KeyId":"` + strings.Repeat("k", maxKMSKeyID+1) + `","Plaintext":"` + p(1) + `"}`, "ValidationException", 400},
		{"no plaintext", KMSEncryptTarget, `{"KeyId":"k"}`, "ValidationException", 400},
		{"empty plaintext", KMSEncryptTarget, `{"KeyId":"k","Plaintext":""}`, "ValidationException", 400},
		{"plaintext over 4096 bytes", KMSEncryptTarget, `{"KeyId":"k","Plaintext":"` + p(maxKMSPlaintext+1) + `"}`, "ValidationException", 400},
		{"empty context key", KMSEncryptTarget, `{"KeyId":"k","Plaintext":"` + p(1) + `","EncryptionContext":{"":"v"}}`, "ValidationException", 400},
		{"asymmetric algorithm", KMSEncryptTarget, `{"KeyId":"k","Plaintext":"` + p(1) + `","EncryptionAlgorithm":"RSAES_OAEP_SHA_256"}`, "InvalidKeyUsageException", 400},
		{"dry run", KMSEncryptTarget, `{"KeyId":"k","Plaintext":"` + p(1) + `","DryRun":true}`, "DryRunOperationException", 412},
		{"no ciphertext", KMSDecryptTarget, `{}`, "ValidationException", 400},
		{"ciphertext over 6144 bytes", KMSDecryptTarget, `{"CiphertextBlob":"` + p(maxKMSCiphertext+1) + `"}`, "ValidationException", 400},
		{"not our ciphertext", KMSDecryptTarget, `{"CiphertextBlob":"` + p(100) + `"}`, "InvalidCiphertextException", 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, h, out := kmsPost(t, srv.URL, c.target, "", c.body)
			if status != c.status || out["__type"] != c.errType || h.Get("X-Amzn-ErrorType") != c.errType {
				t.Fatalf("want %d %s, got %d %v (X-Amzn-ErrorType %q)", c.status, c.errType, status, out, h.Get("X-Amzn-ErrorType"))
			}
			if msg, _ := out["message"].(string); msg == "" {
				t.Fatalf(`no "message" in %v`, out)
			}
			if ct := h.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}

	// The largest plaintext there is; the answer names the key by ARN, in the signature's region.
	auth := "AWS4-HMAC-SHA256 Credential=local/20261201/eu-west-1/kms/aws4_request, SignedHeaders=host, Signature=x"
	status, h, out := kmsPost(t, srv.URL, KMSEncryptTarget, auth,
		`{"KeyId":"alias/latchkey","Plaintext":"`+p(maxKMSPlaintext)+`","EncryptionContext":{"b":"2","a":"1"},"GrantTokens":[]}`)
	blob, _ := out["CiphertextBlob"].(string)
	keyID, _ := out["KeyId"].(string)
	if status != http.StatusOK || h.Get("Content-Type") != "application/x-amz-json-1.1" || blob == "" ||
		!keyARNPattern.MatchString(keyID) || out["EncryptionAlgorithm"] != "SYMMETRIC_DEFAULT" {
		t.Fatalf("Encrypt: want 200 {CiphertextBlob, KeyId: <key ARN>, EncryptionAlgorithm}, got %d %v", status, out)
	}
	if raw, err := base64.StdEncoding.DecodeString(blob); err != nil || bytes.Contains(raw, bytes.Repeat([]byte{'p'}, 16)) {
		t.Fatalf("CiphertextBlob is not base64 of a ciphertext: %v", err)
	}

	// The context in another order is the same context; with DryRun, Decrypt opens nothing.
	status, _, out = kmsPost(t, srv.URL, KMSDecryptTarget, auth,
		`{"CiphertextBlob":"`+blob+`","EncryptionContext":{"a":"1","b":"2"}}`)
	if status != http.StatusOK || out["Plaintext"] != p(maxKMSPlaintext) || out["KeyId"] != keyID || out["EncryptionAlgorithm"] != "SYMMETRIC_DEFAULT" {
		t.Fatalf("Decrypt: want 200 {Plaintext, KeyId: %s, EncryptionAlgorithm}, got %d %v", keyID, status, out)
	}
	status, _, out = kmsPost(t, srv.URL, KMSDecryptTarget, auth,
		`{"CiphertextBlob":"`+blob+`","EncryptionContext":{"a":"1","b":"2"},"DryRun":true}`)
	if status != http.StatusPreconditionFailed || out["__type"] != "DryRunOperationException" || out["Plaintext"] != nil {
		t.Fatalf("Decrypt with DryRun: got %d %v", status, out)
	}

	resp, err := http.Get(srv.URL + "/health-check")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /health-check: status %d", resp.StatusCode)
	}
}

// The real SDK client, as shared/seal uses it: the emulator's answers decode into the SDK's
// outputs and typed errors.
func TestKMSWithSDK(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(NewKMS())
	defer srv.Close()
	c := kmsClient(srv.URL, "eu-west-1")
	bound := map[string]string{"organization_id": "organization-test-1", "item": "oidc#connection-1"}

	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/latchkey"), Plaintext: []byte("secret"), EncryptionContext: bound})
	if err != nil {
		t.Fatal(err)
	}
	if !keyARNPattern.MatchString(aws.ToString(enc.KeyId)) || enc.EncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault {
		t.Fatalf("Encrypt output %q %q", aws.ToString(enc.KeyId), enc.EncryptionAlgorithm)
	}
	keyUUID := strings.TrimPrefix(aws.ToString(enc.KeyId), "arn:aws:kms:eu-west-1:000000000000:key/")

	// Every way of naming the key opens it, and so does naming none: the blob names its key.
	for _, keyID := range []*string{nil, aws.String("alias/latchkey"), aws.String("arn:aws:kms:eu-west-1:000000000000:alias/latchkey"),
		enc.KeyId, aws.String(keyUUID)} {
		dec, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: bound, KeyId: keyID})
		if err != nil || string(dec.Plaintext) != "secret" || aws.ToString(dec.KeyId) != aws.ToString(enc.KeyId) {
			t.Fatalf("Decrypt with KeyId %v: %+v, %v", aws.ToString(keyID), dec, err)
		}
	}
	// The key ARN encrypts under the same key as the alias.
	again, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: enc.KeyId, Plaintext: []byte("secret"), EncryptionContext: bound})
	if err != nil || aws.ToString(again.KeyId) != aws.ToString(enc.KeyId) {
		t.Fatalf("Encrypt with the key ARN: %v, %v", again, err)
	}
	if bytes.Equal(again.CiphertextBlob, enc.CiphertextBlob) {
		t.Fatal("two encryptions of the same plaintext are equal")
	}

	other, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("another-key"), Plaintext: []byte("secret"), EncryptionContext: bound})
	if err != nil || aws.ToString(other.KeyId) != "arn:aws:kms:eu-west-1:000000000000:key/another-key" {
		t.Fatalf("Encrypt under a key id: %v, %v", other, err)
	}
	otherEmu := httptest.NewServer(NewKMS())
	defer otherEmu.Close()
	elsewhere, err := kmsClient(otherEmu.URL, "eu-west-1").Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/latchkey"), Plaintext: []byte("secret"), EncryptionContext: bound})
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(enc.CiphertextBlob)
	flipped[len(flipped)-1] ^= 1

	for _, x := range []struct {
		name    string
		in      kms.DecryptInput
		invalid bool // InvalidCiphertextException; otherwise IncorrectKeyException
	}{
		{"another context", kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"organization_id": "organization-test-2", "item": "oidc#connection-1"}}, true},
		{"no context", kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob}, true},
		{"a changed byte", kms.DecryptInput{CiphertextBlob: flipped, EncryptionContext: bound}, true},
		{"another emulator's key", kms.DecryptInput{CiphertextBlob: elsewhere.CiphertextBlob, EncryptionContext: bound}, true},
		{"KeyId of another key", kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: bound, KeyId: aws.String("another-key")}, false},
		{"KeyId of an unknown alias", kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: bound, KeyId: aws.String("alias/nobody")}, false},
		{"blob of another key", kms.DecryptInput{CiphertextBlob: other.CiphertextBlob, EncryptionContext: bound, KeyId: aws.String("alias/latchkey")}, false},
	} {
		t.Run(x.name, func(t *testing.T) {
			dec, err := c.Decrypt(ctx, &x.in)
			var (
				invalid   *types.InvalidCiphertextException
				incorrect *types.IncorrectKeyException
			)
			switch {
			case x.invalid && !errors.As(err, &invalid):
				t.Fatalf("Decrypt = %+v, %v; want InvalidCiphertextException", dec, err)
			case !x.invalid && !errors.As(err, &incorrect):
				t.Fatalf("Decrypt = %+v, %v; want IncorrectKeyException", dec, err)
			case x.invalid && invalid.ErrorMessage() == "", !x.invalid && incorrect.ErrorMessage() == "":
				t.Fatalf("the typed error has no message: %v", err)
			}
		})
	}

	// ValidationException is not in KMS's model: the SDK hands it over as a generic API error.
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/latchkey"), Plaintext: make([]byte, maxKMSPlaintext+1)})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ValidationException" || !strings.Contains(api.ErrorMessage(), "4096") {
		t.Fatalf("Encrypt of %d bytes = %v; want ValidationException", maxKMSPlaintext+1, err)
	}
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/latchkey"), Plaintext: []byte("x"), EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
	var usage *types.InvalidKeyUsageException
	if !errors.As(err, &usage) {
		t.Fatalf("Encrypt with an RSA algorithm = %v; want InvalidKeyUsageException", err)
	}
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/latchkey"), Plaintext: []byte("x"), DryRun: aws.Bool(true)})
	var dry *types.DryRunOperationException
	if !errors.As(err, &dry) {
		t.Fatalf("Encrypt with DryRun = %v; want DryRunOperationException", err)
	}
}

func TestKMSKeyResource(t *testing.T) {
	for in, want := range map[string]string{
		"1234abcd-12ab-34cd-56ef-1234567890ab":                                        "1234abcd-12ab-34cd-56ef-1234567890ab",
		"arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab": "1234abcd-12ab-34cd-56ef-1234567890ab",
		"alias/latchkey": "alias/latchkey",
		"arn:aws:kms:us-east-2:111122223333:alias/latchkey": "alias/latchkey",
		"latchkey-test": "latchkey-test",
	} {
		if got := kmsResource(in); got != want {
			t.Errorf("kmsResource(%q) = %q, want %q", in, got, want)
		}
	}
	for auth, want := range map[string]string{
		"": kmsRegion,
		"AWS4-HMAC-SHA256 Credential=AKID/20261201/ap-south-1/kms/aws4_request, SignedHeaders=host, Signature=x": "ap-south-1",
		"AWS4-HMAC-SHA256 Credential=AKID, SignedHeaders=host":                                                   kmsRegion,
	} {
		if got := sigV4Region(auth); got != want {
			t.Errorf("sigV4Region(%q) = %q, want %q", auth, got, want)
		}
	}
}

// testKMSRoundTrip encrypts and decrypts once through the real SDK client at endpoint.
func testKMSRoundTrip(t *testing.T, endpoint string) {
	t.Helper()
	ctx := context.Background()
	c := kmsClient(endpoint, "us-east-1")
	bound := map[string]string{"item": "round-trip"}
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/latchkey"), Plaintext: []byte("secret"), EncryptionContext: bound})
	if err != nil {
		t.Fatalf("Encrypt at %s: %v", endpoint, err)
	}
	dec, err := c.Decrypt(ctx, &kms.DecryptInput{KeyId: aws.String("alias/latchkey"), CiphertextBlob: enc.CiphertextBlob, EncryptionContext: bound})
	if err != nil || string(dec.Plaintext) != "secret" {
		t.Fatalf("Decrypt at %s: %v, %v", endpoint, dec, err)
	}
}

func TestFromEnvKMS(t *testing.T) {
	t.Setenv(EnvDynamoDBEndpoint, "http://127.0.0.1:4566")
	t.Setenv(EnvSESEndpoint, "http://127.0.0.1:4566")
	t.Setenv(EnvSMSEndpoint, "http://127.0.0.1:4599")
	t.Setenv(EnvKMSEndpoint, "")

	// Beside external endpoints (LocalStack), KMS is served in process even when SMS is not,
	// and Stop stops it.
	stack, err := FromEnv(context.Background(), Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stack.KMSEndpoint, "http://127.0.0.1:") || stack.SMS != nil {
		t.Fatalf("KMSEndpoint %q (in-process SMS emulator %v)", stack.KMSEndpoint, stack.SMS != nil)
	}
	testKMSRoundTrip(t, stack.KMSEndpoint)
	if err := stack.Stop(); err != nil {
		t.Fatal(err)
	}
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(stack.KMSEndpoint, "http://"), time.Second); err == nil {
		conn.Close()
		t.Fatalf("the KMS emulator still accepts connections after Stop")
	}

	// Cancelling the context stops it too, as with Start.
	ctx, cancel := context.WithCancel(context.Background())
	if stack, err = FromEnv(ctx, Options{Root: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", strings.TrimPrefix(stack.KMSEndpoint, "http://"), time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("the KMS emulator still accepts connections after its context ended")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// An external KMS endpoint is used as it is, and nothing is started for it.
	t.Setenv(EnvKMSEndpoint, "http://127.0.0.1:4566/")
	if stack, err = FromEnv(context.Background(), Options{Root: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if stack.KMSEndpoint != "http://127.0.0.1:4566" || stack.kms != nil {
		t.Fatalf("LATCHKEY_TEST_KMS_ENDPOINT: got %q (in-process emulator %v)", stack.KMSEndpoint, stack.kms != nil)
	}
	if err := stack.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestKMSPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := ln.Addr().(*net.TCPAddr).Port
	if s, _, err := startKMS(p, nil, nil); err == nil {
		s.close()
		t.Fatal("startKMS on a taken port: want an error")
	} else if !strings.Contains(err.Error(), strconv.Itoa(p)) {
		t.Fatalf("the error should name the port: %v", err)
	}

	// Beside external endpoints, a taken KMS port fails FromEnv and leaves no SMS emulator
	// running.
	t.Setenv(EnvDynamoDBEndpoint, "http://127.0.0.1:4566")
	t.Setenv(EnvSESEndpoint, "http://127.0.0.1:4566")
	t.Setenv(EnvSMSEndpoint, "")
	t.Setenv(EnvKMSEndpoint, "")
	smsPort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FromEnv(context.Background(), Options{Root: t.TempDir(), SMSPort: smsPort, KMSPort: p}); err == nil {
		t.Fatal("FromEnv with a taken KMS port: want an error")
	}
	if conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(smsPort), time.Second); err == nil {
		conn.Close()
		t.Fatal("the SMS emulator was left running after FromEnv failed")
	}
}

// Start serves KMS in process beside the emulator processes; a taken KMS port fails Start
// before anything is launched.
func TestStartKMS(t *testing.T) {
	t.Setenv(EnvKMSEndpoint, "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	taken := ln.Addr().(*net.TCPAddr).Port
	smsPort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(context.Background(), Options{SMSPort: smsPort, KMSPort: taken}); err == nil || !strings.Contains(err.Error(), strconv.Itoa(taken)) {
		t.Fatalf("Start with a taken KMS port = %v; want an error naming the port", err)
	}
	ln.Close()
	if conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(smsPort), time.Second); err == nil {
		conn.Close()
		t.Fatal("the SMS emulator was left running after Start failed")
	}

	stack, err := Start(context.Background(), Options{KMSPort: taken})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Stop()
	if stack.KMSEndpoint != "http://127.0.0.1:"+strconv.Itoa(taken) {
		t.Fatalf("KMSEndpoint %q, want port %d", stack.KMSEndpoint, taken)
	}
	testKMSRoundTrip(t, stack.KMSEndpoint)
}

// With a master key, what one emulator sealed opens in the next (make dev's restart) before
// that one has encrypted anything, named by its alias as shared/seal names it; another key
// still does not open it.
func TestKMSMasterKeyOpensAfterRestart(t *testing.T) {
	ctx := context.Background()
	master := bytes.Repeat([]byte{7}, 32)
	bound := map[string]string{"endpoint_id": "webhook-endpoint-test-1"}
	first := httptest.NewServer(NewKMSWithMasterKey(master))
	enc, err := kmsClient(first.URL, "us-east-1").Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/latchkey-secrets"),
		Plaintext: []byte("whsec_x"), EncryptionContext: bound})
	first.Close()
	if err != nil {
		t.Fatal(err)
	}
	second := httptest.NewServer(NewKMSWithMasterKey(master))
	defer second.Close()
	c := kmsClient(second.URL, "us-east-1")
	for _, keyID := range []*string{aws.String("alias/latchkey-secrets"), nil, enc.KeyId} {
		dec, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: bound, KeyId: keyID})
		if err != nil || string(dec.Plaintext) != "whsec_x" {
			t.Fatalf("after the restart, KeyId %v: %v %v", aws.ToString(keyID), dec, err)
		}
	}
	var wrong *types.IncorrectKeyException
	if _, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: bound,
		KeyId: aws.String("alias/another")}); !errors.As(err, &wrong) {
		t.Fatalf("another alias: %v", err)
	}
	other := httptest.NewServer(NewKMSWithMasterKey(bytes.Repeat([]byte{8}, 32)))
	defer other.Close()
	if _, err := kmsClient(other.URL, "us-east-1").Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob,
		EncryptionContext: bound}); err == nil {
		t.Fatal("another master key opened it")
	}
}
