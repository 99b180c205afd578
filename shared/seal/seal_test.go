package seal_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	smithy "github.com/aws/smithy-go"

	"github.com/latchkey/latchkey/localstack/emulators"
	"github.com/latchkey/latchkey/shared/seal"
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

// newSealer serves a fresh KMS emulator and returns a sealer on keyID there, and the endpoint.
func newSealer(t *testing.T, keyID string) (*seal.KMS, string) {
	t.Helper()
	srv := httptest.NewServer(emulators.NewKMS())
	t.Cleanup(srv.Close)
	return seal.New(testConfig(), srv.URL, keyID), srv.URL
}

// binding is where a secret is stored: another organization or item is another binding.
func binding(org, item string) map[string]string {
	return map[string]string{"organization_id": org, "item": item}
}

func TestSealOpen(t *testing.T) {
	ctx := context.Background()
	s, _ := newSealer(t, "alias/latchkey")
	secret := []byte("oidc-client-secret-\x00\xff")
	at := binding("organization-test-1", "oidc#connection-1")

	sealed, err := s.Seal(ctx, secret, at)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealed, "kms1:") || strings.Contains(sealed, "oidc-client-secret") {
		t.Fatalf("sealed value %q", sealed)
	}
	if _, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, "kms1:")); err != nil {
		t.Fatalf("sealed value is not kms1:<base64>: %v", err)
	}
	got, err := s.Open(ctx, sealed, at)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v; want %q", got, err, secret)
	}
	// The same binding built in another order is the same binding.
	got, err = s.Open(ctx, sealed, map[string]string{"item": "oidc#connection-1", "organization_id": "organization-test-1"})
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open with the binding's keys in another order = %q, %v", got, err)
	}

	again, err := s.Seal(ctx, secret, at)
	if err != nil {
		t.Fatal(err)
	}
	if again == sealed {
		t.Fatal("two seals of the same plaintext are equal")
	}
	if got, err := s.Open(ctx, again, at); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open(second seal) = %q, %v", got, err)
	}
}

func TestSealDoesNotOpen(t *testing.T) {
	ctx := context.Background()
	s, endpoint := newSealer(t, "alias/latchkey")
	at := binding("organization-test-1", "oidc#connection-1")
	sealed, err := s.Seal(ctx, []byte("refresh-token"), at)
	if err != nil {
		t.Fatal(err)
	}
	blob, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, "kms1:"))
	tamper := func(i int) string {
		b := bytes.Clone(blob)
		b[i] ^= 0x01
		return "kms1:" + base64.StdEncoding.EncodeToString(b)
	}
	// Another key, in the same KMS: a copy from another stack.
	otherKey := seal.New(testConfig(), endpoint, "alias/another-stack")
	fromOtherKey, err := otherKey.Seal(ctx, []byte("refresh-token"), at)
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name, sealed string
		binding      map[string]string
	}{
		{"another organization", sealed, binding("organization-test-2", "oidc#connection-1")},
		{"another item", sealed, binding("organization-test-1", "oidc#connection-2")},
		{"a binding with more", sealed, map[string]string{"organization_id": "organization-test-1", "item": "oidc#connection-1", "x": "y"}},
		{"a binding with less", sealed, map[string]string{"organization_id": "organization-test-1"}},
		{"values swapped", sealed, map[string]string{"organization_id": "oidc#connection-1", "item": "organization-test-1"}},
		{"a changed ciphertext byte", tamper(len(blob) - 20), at},
		{"a changed tag byte", tamper(len(blob) - 1), at},
		{"a changed nonce byte", tamper(len(blob) - 30), at},
		{"a changed header byte", tamper(4), at},
		{"a changed version", tamper(0), at},
		{"truncated", "kms1:" + base64.StdEncoding.EncodeToString(blob[:len(blob)-1]), at},
		{"another key", fromOtherKey, at},
		{"no prefix", strings.TrimPrefix(sealed, "kms1:"), at},
		{"another scheme", "kms2:" + strings.TrimPrefix(sealed, "kms1:"), at},
		{"not base64", "kms1:%%%", at},
		{"empty", "kms1:", at},
		{"too long", "kms1:" + base64.StdEncoding.EncodeToString(make([]byte, 6145)), at},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.Open(ctx, c.sealed, c.binding)
			if !errors.Is(err, seal.ErrDoesNotOpen) {
				t.Fatalf("Open = %q, %v; want ErrDoesNotOpen", got, err)
			}
		})
	}
	if got, err := otherKey.Open(ctx, fromOtherKey, at); err != nil || string(got) != "refresh-token" {
		t.Fatalf("the other key's own value: %q, %v", got, err)
	}
}

func TestSealLimits(t *testing.T) {
	ctx := context.Background()
	s, _ := newSealer(t, "alias/latchkey")
	at := binding("organization-test-1", "saml#connection-1")

	largest := bytes.Repeat([]byte{'k'}, seal.MaxPlaintext)
	sealed, err := s.Seal(ctx, largest, at)
	if err != nil {
		t.Fatalf("Seal(%d bytes): %v", len(largest), err)
	}
	if got, err := s.Open(ctx, sealed, at); err != nil || !bytes.Equal(got, largest) {
		t.Fatalf("Open(%d bytes) = %d bytes, %v", len(largest), len(got), err)
	}

	for _, p := range [][]byte{append(largest, 'k'), {}} {
		_, err := s.Seal(ctx, p, at)
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "ValidationException" {
			t.Fatalf("Seal(%d bytes) = %v; want KMS's ValidationException", len(p), err)
		}
	}
	for _, b := range []map[string]string{nil, {}} {
		if _, err := s.Seal(ctx, []byte("x"), b); err == nil {
			t.Fatalf("Seal with binding %v: want an error", b)
		}
		if _, err := s.Open(ctx, sealed, b); err == nil {
			t.Fatalf("Open with binding %v: want an error", b)
		}
	}
}

// A KMS that cannot be reached is not a value that does not open: the caller should answer
// 503, not treat the secret as gone.
func TestOpenTransportFailure(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(emulators.NewKMS())
	s := seal.New(testConfig(), srv.URL, "alias/latchkey")
	at := binding("organization-test-1", "oidc#connection-1")
	sealed, err := s.Seal(ctx, []byte("secret"), at)
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if _, err := s.Open(ctx, sealed, at); err == nil || errors.Is(err, seal.ErrDoesNotOpen) {
		t.Fatalf("Open with KMS down = %v; want a transport error, not ErrDoesNotOpen", err)
	}
	if _, err := s.Seal(ctx, []byte("secret"), at); err == nil {
		t.Fatal("Seal with KMS down: want an error")
	}
}
