package emulators

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// secretsClient is the real SDK client on endpoint, without retries so that failures answer at
// once.
func secretsClient(endpoint, region string) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

var secretARNPattern = regexp.MustCompile(`^arn:aws:secretsmanager:eu-west-1:000000000000:secret:latchkey/google-[A-Za-z0-9]{6}$`)

func TestSecretsManagerWithSDK(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(NewSecretsManager())
	defer srv.Close()
	c := secretsClient(srv.URL, "eu-west-1")

	began := time.Now().Add(-time.Second)
	created, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("latchkey/google"), SecretString: aws.String(`{"client_secret":"x"}`), Description: aws.String("ignored")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.ARN)
	if !secretARNPattern.MatchString(arn) || aws.ToString(created.Name) != "latchkey/google" || aws.ToString(created.VersionId) == "" {
		t.Fatalf("CreateSecret output %q %q %q", arn, aws.ToString(created.Name), aws.ToString(created.VersionId))
	}

	// The ARN, the name and the ARN without its suffix all name the secret.
	for _, id := range []string{arn, "latchkey/google", strings.TrimSuffix(arn, arn[len(arn)-7:])} {
		got, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			t.Fatalf("GetSecretValue %s: %v", id, err)
		}
		if aws.ToString(got.SecretString) != `{"client_secret":"x"}` || got.SecretBinary != nil || aws.ToString(got.ARN) != arn ||
			aws.ToString(got.Name) != "latchkey/google" || aws.ToString(got.VersionId) != aws.ToString(created.VersionId) ||
			len(got.VersionStages) != 1 || got.VersionStages[0] != "AWSCURRENT" {
			t.Fatalf("GetSecretValue %s: %+v", id, got)
		}
		if got.CreatedDate == nil || got.CreatedDate.Before(began) || got.CreatedDate.After(time.Now()) {
			t.Fatalf("CreatedDate %v, not just now", got.CreatedDate)
		}
	}
	// The current version is there by its id and by its stage.
	if _, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn),
		VersionId: created.VersionId, VersionStage: aws.String("AWSCURRENT")}); err != nil {
		t.Fatalf("GetSecretValue of the current version: %v", err)
	}

	// A binary secret comes back as it went in; the ARN's region is the signature's.
	bin, err := secretsClient(srv.URL, "ap-south-1").CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("latchkey/binary"), SecretBinary: []byte{0, 1, 2, 0xff}})
	if err != nil || !strings.HasPrefix(aws.ToString(bin.ARN), "arn:aws:secretsmanager:ap-south-1:000000000000:secret:latchkey/binary-") {
		t.Fatalf("CreateSecret binary: %+v, %v", bin, err)
	}
	got, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: bin.ARN})
	if err != nil || got.SecretString != nil || string(got.SecretBinary) != "\x00\x01\x02\xff" {
		t.Fatalf("GetSecretValue binary: %+v, %v", got, err)
	}

	// An empty string is stored as given.
	if _, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("empty"), SecretString: aws.String("")}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("empty")}); err != nil ||
		got.SecretString == nil || *got.SecretString != "" {
		t.Fatalf("GetSecretValue empty: %+v, %v", got, err)
	}

	// A secret made with no value has no current version to read.
	if _, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("no-value")}); err != nil {
		t.Fatal(err)
	}

	var (
		exists   *types.ResourceExistsException
		notFound *types.ResourceNotFoundException
		invalid  *types.InvalidParameterException
	)
	for _, cse := range []struct {
		name   string
		call   func() error
		target any
		msg    string
	}{
		{"name taken", func() error {
			_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("latchkey/google"), SecretString: aws.String("y")})
			return err
		}, &exists, "already exists"},
		{"both string and binary", func() error {
			_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("both"), SecretString: aws.String("y"), SecretBinary: []byte("y")})
			return err
		}, &invalid, "both"},
		{"invalid name", func() error {
			_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("no spaces"), SecretString: aws.String("y")})
			return err
		}, &invalid, "Invalid name"},
		{"unknown name", func() error {
			_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("missing")})
			return err
		}, &notFound, "can't find the specified secret"},
		{"unknown ARN", func() error {
			_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(strings.Replace(arn, "google", "microsoft", 1))})
			return err
		}, &notFound, "can't find the specified secret"},
		{"another ARN suffix", func() error {
			_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn[:len(arn)-6] + "zzzzzz")})
			return err
		}, &notFound, "can't find the specified secret"},
		{"no value yet", func() error {
			_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("no-value")})
			return err
		}, &notFound, "AWSCURRENT"},
		{"another stage", func() error {
			_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionStage: aws.String("AWSPREVIOUS")})
			return err
		}, &notFound, "AWSPREVIOUS"},
		{"another version", func() error {
			_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionId: aws.String(strings.Repeat("0", 32))})
			return err
		}, &notFound, "VersionId"},
	} {
		t.Run(cse.name, func(t *testing.T) {
			err := cse.call()
			if err == nil || !errors.As(err, cse.target) || !strings.Contains(err.Error(), cse.msg) {
				t.Fatalf("want a %T saying %q, got %v", cse.target, cse.msg, err)
			}
		})
	}
}

func TestSecretsManagerWire(t *testing.T) {
	srv := httptest.NewServer(NewSecretsManager())
	defer srv.Close()
	for _, c := range []struct {
		name, target, body, errType string
		status                      int
	}{
		{"unknown operation", "secretsmanager.DeleteSecret", `{}`, "UnknownOperationException", 400},
		{"no target", "", `{}`, "UnknownOperationException", 400},
		{"not JSON", SecretsManagerCreateTarget, `{"Name":`, "SerializationException", 400},
		{"binary not base64", SecretsManagerCreateTarget, `{"Name":"n","SecretBinary":"%%%"}`, "SerializationException", 400},
		{"no name", SecretsManagerCreateTarget, `{"SecretString":"s"}`, "ValidationException", 400},
		{"empty name", SecretsManagerCreateTarget, `{"Name":"","SecretString":"s"}`, "ValidationException", 400},
		{"long name", SecretsManagerCreateTarget, `{"Name":"` + strings.Repeat("n", maxSecretName+1) + `"}`, "ValidationException", 400},
		{"long string", SecretsManagerCreateTarget, `{"Name":"n","SecretString":"` + strings.Repeat("s", maxSecretValue+1) + `"}`, "ValidationException", 400},
		{"short request token", SecretsManagerCreateTarget, `{"Name":"n","SecretString":"s","ClientRequestToken":"short"}`, "ValidationException", 400},
		{"no secret id", SecretsManagerGetTarget, `{}`, "ValidationException", 400},
		{"empty secret id", SecretsManagerGetTarget, `{"SecretId":""}`, "ValidationException", 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, hdr, body := kmsPost(t, srv.URL, c.target, "", c.body)
			if status != c.status || body["__type"] != c.errType || hdr.Get("X-Amzn-ErrorType") != c.errType ||
				body["message"] == "" || body["message"] != body["Message"] {
				t.Fatalf("status %d, body %v; want %d %s", status, body, c.status, c.errType)
			}
		})
	}

	// Without a signature, the ARN names us-east-1; a raw request without ClientRequestToken
	// still gets a version.
	status, _, body := kmsPost(t, srv.URL, SecretsManagerCreateTarget, "", `{"Name":"raw","SecretString":"s"}`)
	arn, _ := body["ARN"].(string)
	if status != http.StatusOK || !strings.HasPrefix(arn, "arn:aws:secretsmanager:us-east-1:000000000000:secret:raw-") || body["VersionId"] == "" {
		t.Fatalf("unsigned CreateSecret: status %d, body %v", status, body)
	}
	status, _, body = kmsPost(t, srv.URL, SecretsManagerGetTarget, "", `{"SecretId":"`+arn+`"}`)
	if status != http.StatusOK || body["SecretString"] != "s" {
		t.Fatalf("GetSecretValue: status %d, body %v", status, body)
	}

	resp, err := http.Get(srv.URL + "/health-check")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health-check: status %d", resp.StatusCode)
	}
}

// testSecretsRoundTrip creates a secret through the real SDK client at endpoint and reads it
// back.
func testSecretsRoundTrip(t *testing.T, endpoint string) {
	t.Helper()
	ctx := context.Background()
	c := secretsClient(endpoint, "us-east-1")
	created, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("round-trip"), SecretString: aws.String("s")})
	if err != nil {
		t.Fatalf("CreateSecret at %s: %v", endpoint, err)
	}
	got, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: created.ARN})
	if err != nil || aws.ToString(got.SecretString) != "s" {
		t.Fatalf("GetSecretValue at %s: %+v, %v", endpoint, got, err)
	}
}

func TestFromEnvSecretsManager(t *testing.T) {
	t.Setenv(EnvDynamoDBEndpoint, "http://127.0.0.1:4566")
	t.Setenv(EnvSESEndpoint, "http://127.0.0.1:4566")
	t.Setenv(EnvSMSEndpoint, "http://127.0.0.1:4599")
	t.Setenv(EnvKMSEndpoint, "http://127.0.0.1:4566")
	t.Setenv(EnvSecretsManagerEndpoint, "")

	// Beside external endpoints, Secrets Manager is served in process even when nothing else
	// is, and Stop stops it.
	stack, err := FromEnv(context.Background(), Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stack.SecretsManagerEndpoint, "http://127.0.0.1:") || stack.sms != nil || stack.kms != nil {
		t.Fatalf("SecretsManagerEndpoint %q (in-process SMS %v, KMS %v)", stack.SecretsManagerEndpoint, stack.sms != nil, stack.kms != nil)
	}
	testSecretsRoundTrip(t, stack.SecretsManagerEndpoint)
	if err := stack.Stop(); err != nil {
		t.Fatal(err)
	}
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(stack.SecretsManagerEndpoint, "http://"), time.Second); err == nil {
		conn.Close()
		t.Fatal("the Secrets Manager emulator still accepts connections after Stop")
	}

	// An external Secrets Manager endpoint is used as it is, and nothing is started for it.
	t.Setenv(EnvSecretsManagerEndpoint, "http://127.0.0.1:4566/")
	if stack, err = FromEnv(context.Background(), Options{Root: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if stack.SecretsManagerEndpoint != "http://127.0.0.1:4566" || stack.secrets != nil {
		t.Fatalf("LATCHKEY_TEST_SECRETSMANAGER_ENDPOINT: got %q (in-process emulator %v)", stack.SecretsManagerEndpoint, stack.secrets != nil)
	}
	if err := stack.Stop(); err != nil {
		t.Fatal(err)
	}
}

// Start serves Secrets Manager in process beside the emulator processes, on the port asked
// for.
func TestStartSecretsManager(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	stack, err := Start(context.Background(), Options{SecretsManagerPort: port})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Stop()
	if want := "http://" + net.JoinHostPort("127.0.0.1", itoa(int64(port))); stack.SecretsManagerEndpoint != want {
		t.Fatalf("SecretsManagerEndpoint %q, want %q", stack.SecretsManagerEndpoint, want)
	}
	testSecretsRoundTrip(t, stack.SecretsManagerEndpoint)
}
