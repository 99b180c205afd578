package awssecret_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/latchkey/latchkey/localstack/emulators"
	"github.com/latchkey/latchkey/shared/awssecret"
)

// recorder is the Secrets Manager emulator, noting the Authorization header of every request so
// a test can tell whether Resolve called it, and signed for which region.
type recorder struct {
	emu  *emulators.SecretsManager
	mu   sync.Mutex
	auth []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.auth = append(r.auth, req.Header.Get("Authorization"))
	r.mu.Unlock()
	r.emu.ServeHTTP(w, req)
}

func (r *recorder) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.auth...)
}

// awsConfig is what the app gets against emulators: a region, dummy static credentials, and no
// retries so that failures answer at once.
func awsConfig(region string) aws.Config {
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
}

func newEmulator(t *testing.T) (*recorder, string) {
	t.Helper()
	rec := &recorder{emu: emulators.NewSecretsManager()}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return rec, srv.URL
}

// create stores a secret through the real SDK client, signed for region, and returns its ARN.
func create(t *testing.T, endpoint, region string, in *secretsmanager.CreateSecretInput) string {
	t.Helper()
	c := secretsmanager.NewFromConfig(awsConfig(region), func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(endpoint) })
	out, err := c.CreateSecret(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateSecret %s: %v", aws.ToString(in.Name), err)
	}
	return aws.ToString(out.ARN)
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	rec, endpoint := newEmulator(t)
	cfg := awsConfig("us-east-1")
	arn := func(name string, str *string, bin []byte) string {
		return create(t, endpoint, "eu-west-1", &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: str, SecretBinary: bin})
	}
	plain := arn("latchkey/google/plain", aws.String("GOCSPX-plain"), nil)
	keyValue := arn("latchkey/google/key-value", aws.String(`{"client_id":"id-1","client_secret":"x"}`), nil)
	otherJSON := arn("latchkey/google/other-json", aws.String(`{"secret":"y"}`), nil)
	brace := arn("latchkey/google/brace", aws.String(`{not json`), nil)
	empty := arn("latchkey/google/empty", aws.String(""), nil)
	emptyMember := arn("latchkey/google/empty-member", aws.String(`{"client_secret":""}`), nil)
	numberMember := arn("latchkey/google/number-member", aws.String(`{"client_secret":12345}`), nil)
	binary := arn("latchkey/google/binary", nil, []byte("GOCSPX-binary"))
	noValue := arn("latchkey/google/no-value", nil, nil)
	unknown := strings.Replace(plain, "latchkey/google/plain", "latchkey/google/missing", 1)
	if !strings.HasPrefix(plain, "arn:aws:secretsmanager:eu-west-1:000000000000:secret:latchkey/google/plain-") {
		t.Fatalf("CreateSecret ARN %q", plain)
	}

	for _, c := range []struct {
		name, value, want string
		wantErr           bool
	}{
		{"ARN with a plain string", plain, "GOCSPX-plain", false},
		{`ARN with {"client_secret":"x"}`, keyValue, "x", false},
		{"ARN with JSON but no client_secret", otherJSON, `{"secret":"y"}`, false},
		{"ARN with a string that only starts like JSON", brace, `{not json`, false},
		{"ARN without its random suffix", plain[:len(plain)-len("-xxxxxx")], "GOCSPX-plain", false},
		{"unknown ARN", unknown, "", true},
		{"empty string secret", empty, "", true},
		{"empty client_secret", emptyMember, "", true},
		{"client_secret not a string", numberMember, "", true},
		{"binary-only secret", binary, "", true},
		{"secret with no value", noValue, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := awssecret.Resolve(ctx, cfg, endpoint, c.value)
			if c.wantErr {
				if err == nil {
					t.Fatalf("Resolve = %q; want an error", got)
				}
				if !strings.Contains(err.Error(), c.value) {
					t.Errorf("the error should name the ARN: %v", err)
				}
				if strings.Contains(err.Error(), "12345") || strings.Contains(err.Error(), "GOCSPX") {
					t.Errorf("the error quotes the secret: %v", err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Resolve = %q, %v; want %q", got, err, c.want)
			}
		})
	}

	// An unknown secret's error is the SDK's typed one, so a caller can tell it apart.
	_, err := awssecret.Resolve(ctx, cfg, endpoint, unknown)
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("unknown ARN: want a ResourceNotFoundException, got %v", err)
	}

	// The secret is read in its ARN's region, not the config's.
	before := len(rec.calls())
	if _, err := awssecret.Resolve(ctx, cfg, endpoint, plain); err != nil {
		t.Fatal(err)
	}
	calls := rec.calls()
	if len(calls) != before+1 || !strings.Contains(calls[before], "/eu-west-1/secretsmanager/aws4_request") {
		t.Fatalf("GetSecretValue signed as %q; want the ARN's region, eu-west-1", calls[before:])
	}
}

// Values that are not Secrets Manager ARNs are returned as they are, without a call; ones that
// start like one but are not whole are refused, also without a call.
func TestResolveWithoutCall(t *testing.T) {
	rec, endpoint := newEmulator(t)
	cfg := awsConfig("us-east-1")
	for _, c := range []struct {
		name, value string
		wantErr     bool
	}{
		{"plain value", "GOCSPX-plain", false},
		{"empty value", "", false},
		{"a secret name, not an ARN", "latchkey/google", false},
		{"another service's ARN", "arn:aws:ssm:eu-west-1:123456789012:parameter/latchkey", false},
		{"starts with arn but is no ARN", "arn:", false},
		{"no region", "arn:aws:secretsmanager::123456789012:secret:latchkey-AbCdEf", true},
		{"no account", "arn:aws:secretsmanager:eu-west-1::secret:latchkey-AbCdEf", true},
		{"not a secret", "arn:aws:secretsmanager:eu-west-1:123456789012:latchkey-AbCdEf", true},
		{"no name", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:", true},
		{"truncated", "arn:aws:secretsmanager:eu-west-1", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := awssecret.Resolve(context.Background(), cfg, endpoint, c.value)
			switch {
			case c.wantErr && err == nil:
				t.Fatalf("Resolve = %q; want an error", got)
			case !c.wantErr && (err != nil || got != c.value):
				t.Fatalf("Resolve = %q, %v; want the value itself", got, err)
			}
		})
	}
	if n := len(rec.calls()); n != 0 {
		t.Fatalf("Resolve called Secrets Manager %d times", n)
	}
}

// Resolve reads from the Stack's Secrets Manager endpoint, as the app does locally.
func TestResolveAgainstStack(t *testing.T) {
	// External DynamoDB and SES endpoints (never called here) keep FromEnv from launching them;
	// Secrets Manager is served in process beside them.
	t.Setenv(emulators.EnvDynamoDBEndpoint, "http://127.0.0.1:4566")
	t.Setenv(emulators.EnvSESEndpoint, "http://127.0.0.1:4566")
	t.Setenv(emulators.EnvSecretsManagerEndpoint, "")
	stack, err := emulators.FromEnv(t.Context(), emulators.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stack.Stop() })
	arn := create(t, stack.SecretsManagerEndpoint, "us-east-1", &secretsmanager.CreateSecretInput{
		Name: aws.String("latchkey/microsoft"), SecretString: aws.String(`{"client_secret":"from-the-stack"}`)})
	got, err := awssecret.Resolve(context.Background(), awsConfig("us-east-1"), stack.SecretsManagerEndpoint, arn)
	if err != nil || got != "from-the-stack" {
		t.Fatalf("Resolve = %q, %v", got, err)
	}
}
