package emulators

// The Secrets Manager emulator: what Latchkey reads from Secrets Manager in AWS (OAuth client
// secrets, see shared/awssecret) is read from here locally, through the real SDK client.

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

const (
	// SecretsManagerGetTarget and SecretsManagerCreateTarget are the X-Amz-Target headers of the
	// two operations the Secrets Manager emulator implements.
	SecretsManagerGetTarget    = "secretsmanager.GetSecretValue"
	SecretsManagerCreateTarget = "secretsmanager.CreateSecret"
	// maxSecretValue is the service's limit on SecretString and SecretBinary (bytes).
	maxSecretValue = 65536
	// maxSecretName is the service's limit on a secret's name (characters).
	maxSecretName = 512
	// maxSecretID is the service's limit on SecretId, a name or an ARN (characters).
	maxSecretID = 2048
	// maxSecretsRequest bounds a request body: the largest value, base64, and the rest.
	maxSecretsRequest = 128 << 10
	// currentStage is the staging label of a secret's current version, the one GetSecretValue
	// answers with when asked for neither a version id nor a stage.
	currentStage = "AWSCURRENT"
	// arnSuffixChars are what Secrets Manager draws the six characters after a secret's name in
	// its ARN from.
	arnSuffixChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// secretNamePattern is the service's rule for a secret's name: ASCII letters, digits and
// /_+=.@- (the length is checked apart, for its own message).
var secretNamePattern = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]+$`)

// SecretsManager is an http.Handler standing in for AWS Secrets Manager, for creating and
// reading secrets only:
//
//   - POST / with X-Amz-Target: secretsmanager.CreateSecret stores Name with SecretString or
//     SecretBinary (either, not both; neither makes a secret with no value yet, as in AWS) and
//     answers {"ARN","Name","VersionId"}. The ARN is
//     arn:aws:secretsmanager:<region>:000000000000:secret:<name>-<6 random characters>, the
//     region being the one in the request's SigV4 signature, us-east-1 when there is none. A
//     name already taken is ResourceExistsException.
//   - POST / with X-Amz-Target: secretsmanager.GetSecretValue answers the current value of the
//     secret SecretId names (its name, its ARN, or its ARN without the random suffix) as
//     {"ARN","Name","VersionId","SecretString" or "SecretBinary","VersionStages","CreatedDate"}.
//     An unknown secret, or one with no value, is ResourceNotFoundException.
//   - Failures come back in the AWS JSON error shape ({"__type":"ResourceNotFoundException",
//     "message":...}), which the SDK decodes into types.ResourceNotFoundException and the other
//     typed errors. Other targets are UnknownOperationException.
//   - GET /health-check answers 200.
//
// Each secret has one version, made by CreateSecret. An empty SecretString is stored as given,
// so a secret that reads empty can be tested. Secrets are held in memory only, in one namespace
// whatever the region (as the KMS emulator's keys are). Requests are not authenticated: any
// SigV4 signature (or none) is accepted.
type SecretsManager struct {
	mu      sync.Mutex
	secrets map[string]*storedSecret // name -> secret
}

type storedSecret struct {
	arn, name, versionID string
	str                  *string
	binary               []byte
	created              time.Time
}

// NewSecretsManager returns a Secrets Manager emulator with no secrets yet.
func NewSecretsManager() *SecretsManager {
	return &SecretsManager{secrets: map[string]*storedSecret{}}
}

func (m *SecretsManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serveJSONAPI(w, r, m.serveAPI)
}

// secretsInput holds the CreateSecret and GetSecretValue members the emulator looks at; the SDK
// may send others (Description, KmsKeyId, Tags, ...), which are accepted and ignored.
// SecretBinary is base64 on the wire, as the SDK writes blobs.
type secretsInput struct {
	Name               *string
	SecretString       *string
	SecretBinary       []byte
	ClientRequestToken *string
	SecretId           *string
	VersionId          *string
	VersionStage       *string
}

func (m *SecretsManager) serveAPI(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	if target != SecretsManagerGetTarget && target != SecretsManagerCreateTarget {
		writeKMSError(w, http.StatusBadRequest, awsError{Type: "UnknownOperationException",
			Message: fmt.Sprintf("the Secrets Manager emulator implements only %s and %s, not %q",
				SecretsManagerCreateTarget, SecretsManagerGetTarget, target)})
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSecretsRequest))
	if err != nil {
		writeKMSError(w, http.StatusRequestEntityTooLarge, awsError{Type: "SerializationException", Message: "request body too large"})
		return
	}
	var in secretsInput
	if err := json.Unmarshal(raw, &in); err != nil {
		writeKMSError(w, http.StatusBadRequest, awsError{Type: "SerializationException", Message: "request body is not a Secrets Manager request: " + err.Error()})
		return
	}
	// kmsError, kmsErr and kmsInvalid (kms.go) are AWS JSON 1.1 errors, not KMS ones: Secrets
	// Manager answers in the same shape and with the same framework validation messages.
	var (
		out any
		e   *kmsError
	)
	if target == SecretsManagerCreateTarget {
		out, e = m.create(in, sigV4Region(r.Header.Get("Authorization")))
	} else {
		out, e = m.get(in)
	}
	if e != nil {
		writeKMSError(w, e.status, e.awsError)
		return
	}
	w.Header().Set("Content-Type", amzJSON11)
	json.NewEncoder(w).Encode(out)
}

type createSecretOutput struct {
	ARN       string
	Name      string
	VersionId *string `json:",omitempty"`
}

func (m *SecretsManager) create(in secretsInput, region string) (any, *kmsError) {
	switch {
	case in.Name == nil:
		return nil, kmsInvalid("name", "Member must not be null")
	case *in.Name == "" || len(*in.Name) > maxSecretName:
		return nil, kmsInvalid("name", fmt.Sprintf("Member must have length between 1 and %d", maxSecretName))
	case !secretNamePattern.MatchString(*in.Name):
		return nil, kmsErr(http.StatusBadRequest, "InvalidParameterException",
			"Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
	case in.SecretString != nil && in.SecretBinary != nil:
		return nil, kmsErr(http.StatusBadRequest, "InvalidParameterException",
			"You can't specify both a binary secret value and a string secret value in the same secret.")
	case in.SecretString != nil && len(*in.SecretString) > maxSecretValue:
		return nil, kmsInvalid("secretString", fmt.Sprintf("Member must have length less than or equal to %d", maxSecretValue))
	case len(in.SecretBinary) > maxSecretValue:
		return nil, kmsInvalid("secretBinary", fmt.Sprintf("Member must have length less than or equal to %d", maxSecretValue))
	case in.ClientRequestToken != nil && (len(*in.ClientRequestToken) < 32 || len(*in.ClientRequestToken) > 64):
		return nil, kmsInvalid("clientRequestToken", "Member must have length between 32 and 64")
	}
	s := &storedSecret{
		arn:     "arn:aws:secretsmanager:" + region + ":" + kmsAccount + ":secret:" + *in.Name + "-" + arnSuffix(),
		name:    *in.Name,
		str:     in.SecretString,
		binary:  in.SecretBinary,
		created: time.Now(),
	}
	hasValue := in.SecretString != nil || in.SecretBinary != nil
	if hasValue {
		// The SDK always sends a ClientRequestToken (a UUID); a raw request may not.
		s.versionID = newUUID()
		if in.ClientRequestToken != nil {
			s.versionID = *in.ClientRequestToken
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, taken := m.secrets[s.name]; taken {
		return nil, kmsErr(http.StatusBadRequest, "ResourceExistsException",
			"The operation failed because the secret %s already exists.", s.name)
	}
	m.secrets[s.name] = s
	out := createSecretOutput{ARN: s.arn, Name: s.name}
	if hasValue {
		out.VersionId = &s.versionID
	}
	return out, nil
}

type getSecretValueOutput struct {
	ARN           string
	Name          string
	VersionId     string
	SecretString  *string `json:",omitempty"`
	SecretBinary  []byte  `json:",omitempty"`
	VersionStages []string
	CreatedDate   float64 // AWS JSON 1.1 timestamps are epoch seconds
}

func (m *SecretsManager) get(in secretsInput) (any, *kmsError) {
	switch {
	case in.SecretId == nil:
		return nil, kmsInvalid("secretId", "Member must not be null")
	case *in.SecretId == "" || len(*in.SecretId) > maxSecretID:
		return nil, kmsInvalid("secretId", fmt.Sprintf("Member must have length between 1 and %d", maxSecretID))
	}
	// Secrets Manager says the same for a secret that is not there and one the caller may not
	// read; the emulator has only the first.
	notFound := kmsErr(http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	m.mu.Lock()
	s := m.lookup(*in.SecretId)
	m.mu.Unlock()
	if s == nil {
		return nil, notFound
	}
	if s.versionID == "" {
		return nil, kmsErr(http.StatusBadRequest, "ResourceNotFoundException",
			"Secrets Manager can't find the specified secret value for staging label: %s", currentStage)
	}
	if in.VersionId != nil && *in.VersionId != s.versionID {
		return nil, kmsErr(http.StatusBadRequest, "ResourceNotFoundException",
			"Secrets Manager can't find the specified secret value for VersionId: %s", *in.VersionId)
	}
	if in.VersionStage != nil && *in.VersionStage != currentStage {
		return nil, kmsErr(http.StatusBadRequest, "ResourceNotFoundException",
			"Secrets Manager can't find the specified secret value for staging label: %s", *in.VersionStage)
	}
	return getSecretValueOutput{
		ARN:           s.arn,
		Name:          s.name,
		VersionId:     s.versionID,
		SecretString:  s.str,
		SecretBinary:  s.binary,
		VersionStages: []string{currentStage},
		CreatedDate:   float64(s.created.UnixMilli()) / 1000,
	}, nil
}

// lookup finds the secret id names: a name, a full ARN, or a partial ARN (one without the
// "-xxxxxx" suffix), which AWS also accepts. Callers hold m.mu.
func (m *SecretsManager) lookup(id string) *storedSecret {
	if !strings.HasPrefix(id, "arn:") {
		return m.secrets[id]
	}
	for _, s := range m.secrets {
		if id == s.arn || id == s.arn[:len(s.arn)-len("-xxxxxx")] {
			return s
		}
	}
	return nil
}

// arnSuffix is six random characters, as Secrets Manager appends to a name in its ARN so that a
// deleted secret's ARN does not name a new secret of the same name.
func arnSuffix() string {
	const n = 6
	b := make([]byte, 0, n)
	var one [1]byte
	for len(b) < n {
		rand.Read(one[:])
		// 248 is the largest multiple of 62 below 256: drawing again above it keeps every
		// character equally likely.
		if int(one[0]) < 248 {
			b = append(b, arnSuffixChars[int(one[0])%len(arnSuffixChars)])
		}
	}
	return string(b)
}

// secretsManagerServer serves a Secrets Manager emulator on 127.0.0.1 for a Stack.
type secretsManagerServer struct {
	emu *SecretsManager
	*inProcess
}

// startSecretsManager listens on 127.0.0.1:port (0 = a free port) and serves a fresh Secrets
// Manager emulator there. The listener is bound before it returns, so the endpoint answers at
// once.
func startSecretsManager(port int, log io.Writer) (*secretsManagerServer, string, error) {
	emu := NewSecretsManager()
	p, endpoint, err := serveInProcess("secretsmanager", port, emu, log)
	if err != nil {
		return nil, "", err
	}
	return &secretsManagerServer{emu, p}, endpoint, nil
}

// secretsManagerLog is where the Secrets Manager server writes its lines: opts.Log, prefixed
// like the processes'.
func secretsManagerLog(log io.Writer, mu *sync.Mutex) io.Writer {
	if log == nil {
		return nil
	}
	return &prefixWriter{w: log, mu: mu, prefix: "[secretsmanager] ", bol: true}
}
