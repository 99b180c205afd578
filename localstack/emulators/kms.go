package emulators

// The KMS emulator: Latchkey seals the secrets it must later use in clear (shared/seal) with
// KMS Encrypt and Decrypt, and there is no KMS to install here (LocalStack needs Docker). So
// this is a small one, in process, speaking the service's own wire protocol (AWS JSON 1.1),
// so the real SDK client in shared/seal is what tests exercise.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
)

const (
	// KMSEncryptTarget and KMSDecryptTarget are the X-Amz-Target headers of the two operations
	// the KMS emulator implements.
	KMSEncryptTarget = "TrentService.Encrypt"
	KMSDecryptTarget = "TrentService.Decrypt"
	amzJSON11        = "application/x-amz-json-1.1"
	// maxKMSPlaintext is the service's limit on Encrypt's Plaintext (bytes).
	maxKMSPlaintext = 4096
	// maxKMSCiphertext is the service's limit on Decrypt's CiphertextBlob (bytes).
	maxKMSCiphertext = 6144
	// maxKMSKeyID is the service's limit on KeyId (characters).
	maxKMSKeyID = 2048
	// maxKMSRequest bounds a request body; the largest real one is a few KiB.
	maxKMSRequest = 64 << 10
	// kmsAccount is the account in the key ARNs the emulator answers with, LocalStack's default.
	kmsAccount = "000000000000"
	// kmsRegion is the region in those ARNs when the request's signature names none.
	kmsRegion = "us-east-1"
	// kmsBlobVersion is the first byte of every ciphertext blob the emulator makes.
	kmsBlobVersion   = 1
	symmetricDefault = "SYMMETRIC_DEFAULT"
)

// KMS is an http.Handler standing in for AWS KMS, for symmetric encryption only:
//
//   - POST / with X-Amz-Target: TrentService.Encrypt encrypts Plaintext (1 to 4096 bytes)
//     under KeyId with AES-256-GCM, the EncryptionContext (sorted by key) as additional
//     authenticated data, and answers {"CiphertextBlob","KeyId":"<key ARN>",
//     "EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}.
//   - POST / with X-Amz-Target: TrentService.Decrypt opens a CiphertextBlob made by Encrypt. The
//     blob names its key, so KeyId is optional, as with KMS; when given and naming another key
//     the answer is IncorrectKeyException. A blob that does not open (another
//     EncryptionContext, a changed byte, not one of ours) is InvalidCiphertextException.
//   - Failures come back in the AWS JSON error shape ({"__type":"ValidationException",
//     "message":...}), which the SDK decodes into types.InvalidCiphertextException and the
//     other typed errors. Other targets are UnknownOperationException.
//   - GET /health-check answers 200.
//
// Every key exists: a key id, key ARN, alias name or alias ARN gets its own random AES-256 key
// when Encrypt first names it (an ARN's region and account are ignored, so "alias/x" and
// "arn:aws:kms:<any>:<any>:alias/x" are one key). Keys are held in memory only, so values
// sealed by one emulator do not open in another. Requests are not authenticated: any SigV4
// signature (or none) is accepted.
type KMS struct {
	mu      sync.Mutex
	keys    map[string][]byte // key id -> AES-256 key
	aliases map[string]string // "alias/<name>" -> key id
	// master, when set, derives every key (and every alias's key id) from it instead of
	// drawing them at random, so values sealed before a restart still open after it: make dev
	// keeps its table across restarts, and the connection secrets in it.
	master []byte
}

// NewKMS returns a KMS emulator with no keys yet.
func NewKMS() *KMS {
	return &KMS{keys: map[string][]byte{}, aliases: map[string]string{}}
}

// NewKMSWithMasterKey returns a KMS emulator whose keys all derive from master.
func NewKMSWithMasterKey(master []byte) *KMS {
	k := NewKMS()
	k.master = append([]byte(nil), master...)
	return k
}

func (k *KMS) derive(label string) []byte {
	m := hmac.New(sha256.New, k.master)
	m.Write([]byte(label))
	return m.Sum(nil)
}

func (k *KMS) ServeHTTP(w http.ResponseWriter, r *http.Request) { serveJSONAPI(w, r, k.serveAPI) }

// kmsInput holds the Encrypt and Decrypt members the emulator looks at; the SDK may send others
// (GrantTokens, Recipient, ...), which are accepted and ignored. []byte members are base64 on
// the wire, as the SDK writes blobs.
type kmsInput struct {
	KeyId               *string
	Plaintext           []byte
	CiphertextBlob      []byte
	EncryptionContext   map[string]string
	EncryptionAlgorithm *string
	DryRun              *bool
}

func (k *KMS) serveAPI(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	if target != KMSEncryptTarget && target != KMSDecryptTarget {
		writeKMSError(w, http.StatusBadRequest, awsError{Type: "UnknownOperationException",
			Message: fmt.Sprintf("the KMS emulator implements only %s and %s, not %q", KMSEncryptTarget, KMSDecryptTarget, target)})
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxKMSRequest))
	if err != nil {
		writeKMSError(w, http.StatusRequestEntityTooLarge, awsError{Type: "SerializationException", Message: "request body too large"})
		return
	}
	var in kmsInput
	if err := json.Unmarshal(raw, &in); err != nil {
		writeKMSError(w, http.StatusBadRequest, awsError{Type: "SerializationException", Message: "request body is not a KMS request: " + err.Error()})
		return
	}
	region := sigV4Region(r.Header.Get("Authorization"))
	var (
		out any
		e   *kmsError
	)
	if target == KMSEncryptTarget {
		out, e = k.encrypt(in, region)
	} else {
		out, e = k.decrypt(in, region)
	}
	if e != nil {
		writeKMSError(w, e.status, e.awsError)
		return
	}
	w.Header().Set("Content-Type", amzJSON11)
	json.NewEncoder(w).Encode(out)
}

type kmsError struct {
	status int
	awsError
}

func kmsErr(status int, typ, format string, args ...any) *kmsError {
	return &kmsError{status: status, awsError: awsError{Type: typ, Message: fmt.Sprintf(format, args...)}}
}

// kmsInvalid is KMS's wording for a member outside its constraints.
func kmsInvalid(member, constraint string) *kmsError {
	return kmsErr(http.StatusBadRequest, "ValidationException",
		"1 validation error detected: Value at '%s' failed to satisfy constraint: %s", member, constraint)
}

// validateKMSCommon checks the members Encrypt and Decrypt share.
func validateKMSCommon(in kmsInput) *kmsError {
	if in.KeyId != nil && (*in.KeyId == "" || len(*in.KeyId) > maxKMSKeyID) {
		return kmsInvalid("keyId", fmt.Sprintf("Member must have length between 1 and %d", maxKMSKeyID))
	}
	if a := deref(in.EncryptionAlgorithm); a != "" && a != symmetricDefault {
		// The emulator's keys are all SYMMETRIC_DEFAULT keys; KMS answers so for the RSA and SM2
		// algorithms on them.
		return kmsErr(http.StatusBadRequest, "InvalidKeyUsageException",
			"the KMS emulator's keys are symmetric: EncryptionAlgorithm %q is not valid for them", a)
	}
	for key := range in.EncryptionContext {
		if key == "" {
			return kmsInvalid("encryptionContext", "Map keys must have length greater than or equal to 1")
		}
	}
	return nil
}

// kmsDryRun is what KMS answers a valid request with DryRun set: an error saying it would have
// succeeded.
func kmsDryRun(in kmsInput) *kmsError {
	if in.DryRun != nil && *in.DryRun {
		return kmsErr(http.StatusPreconditionFailed, "DryRunOperationException",
			"The request would have succeeded, but the DryRun option is set.")
	}
	return nil
}

type encryptOutput struct {
	CiphertextBlob      []byte
	KeyId               string
	EncryptionAlgorithm string
}

func (k *KMS) encrypt(in kmsInput, region string) (any, *kmsError) {
	switch {
	case in.KeyId == nil:
		return nil, kmsInvalid("keyId", "Member must not be null")
	case len(in.Plaintext) == 0:
		return nil, kmsInvalid("plaintext", "Member must have length greater than or equal to 1")
	case len(in.Plaintext) > maxKMSPlaintext:
		return nil, kmsInvalid("plaintext", fmt.Sprintf("Member must have length less than or equal to %d", maxKMSPlaintext))
	}
	if e := validateKMSCommon(in); e != nil {
		return nil, e
	}
	if e := kmsDryRun(in); e != nil {
		return nil, e
	}
	id, key := k.key(*in.KeyId)
	aead := newGCM(key)
	blob := blobHeader(id)
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	blob = append(blob, nonce...)
	blob = aead.Seal(blob, nonce, in.Plaintext, additionalData(blob[:len(blob)-len(nonce)], in.EncryptionContext))
	return encryptOutput{CiphertextBlob: blob, KeyId: keyARN(region, id), EncryptionAlgorithm: symmetricDefault}, nil
}

type decryptOutput struct {
	Plaintext           []byte
	KeyId               string
	EncryptionAlgorithm string
}

func (k *KMS) decrypt(in kmsInput, region string) (any, *kmsError) {
	if len(in.CiphertextBlob) == 0 || len(in.CiphertextBlob) > maxKMSCiphertext {
		return nil, kmsInvalid("ciphertextBlob", fmt.Sprintf("Member must have length between 1 and %d", maxKMSCiphertext))
	}
	if e := validateKMSCommon(in); e != nil {
		return nil, e
	}
	// KMS says no more than this, whatever the reason; nor does the emulator.
	doesNotOpen := kmsErr(http.StatusBadRequest, "InvalidCiphertextException",
		"the ciphertext does not open with this key and EncryptionContext")
	id, header, rest, ok := parseBlob(in.CiphertextBlob)
	if !ok {
		return nil, doesNotOpen
	}
	if in.KeyId != nil {
		if want, known := k.lookup(*in.KeyId); !known || want != id {
			return nil, kmsErr(http.StatusBadRequest, "IncorrectKeyException",
				"The key ID in the request does not identify a CMK that can perform this operation.")
		}
	}
	k.mu.Lock()
	key := k.keys[id]
	k.mu.Unlock()
	if key == nil && k.master != nil {
		_, key = k.key(id)
	}
	if key == nil {
		return nil, doesNotOpen
	}
	aead := newGCM(key)
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, doesNotOpen
	}
	nonce, sealed := rest[:aead.NonceSize()], rest[aead.NonceSize():]
	plaintext, err := aead.Open(nil, nonce, sealed, additionalData(header, in.EncryptionContext))
	if err != nil {
		return nil, doesNotOpen
	}
	if e := kmsDryRun(in); e != nil {
		return nil, e
	}
	return decryptOutput{Plaintext: plaintext, KeyId: keyARN(region, id), EncryptionAlgorithm: symmetricDefault}, nil
}

// kmsResource reduces a key identifier to "alias/<name>" or a key id: a key ARN
// (arn:aws:kms:<region>:<account>:key/<id>) to its id, an alias ARN to its alias name.
func kmsResource(keyID string) string {
	if strings.HasPrefix(keyID, "arn:") {
		if parts := strings.SplitN(keyID, ":", 6); len(parts) == 6 {
			keyID = parts[5]
		}
	}
	if id, ok := strings.CutPrefix(keyID, "key/"); ok {
		return id
	}
	return keyID
}

// key returns the key id and key keyID names, making the key (and, for an alias, a key id for
// it) on first use.
func (k *KMS) key(keyID string) (string, []byte) {
	name := kmsResource(keyID)
	k.mu.Lock()
	defer k.mu.Unlock()
	id := name
	if strings.HasPrefix(name, "alias/") {
		if id = k.aliases[name]; id == "" {
			id = newUUID()
			if k.master != nil {
				b := k.derive("alias:" + name)[:16]
				b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
				id = fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
			}
			k.aliases[name] = id
		}
	}
	key := k.keys[id]
	if key == nil {
		key = make([]byte, 32)
		if k.master != nil {
			key = k.derive("key:" + id)
		} else {
			rand.Read(key)
		}
		k.keys[id] = key
	}
	return id, key
}

// lookup returns the key id keyID names, without making anything.
func (k *KMS) lookup(keyID string) (string, bool) {
	if k.master != nil {
		// Every key derives from the master, so every key exists, before a restart's first
		// Encrypt too: a value sealed before the restart opens with its alias after it.
		id, _ := k.key(keyID)
		return id, true
	}
	name := kmsResource(keyID)
	k.mu.Lock()
	defer k.mu.Unlock()
	if strings.HasPrefix(name, "alias/") {
		id, ok := k.aliases[name]
		return id, ok
	}
	_, ok := k.keys[name]
	return name, ok
}

// A ciphertext blob is: version (1 byte), key id length (2 bytes, big-endian), key id, nonce
// (12 bytes), AES-GCM ciphertext and tag. Like KMS's own, it names its key, so Decrypt needs no
// KeyId; the header is authenticated too, so a blob edited to name another key does not open.
func blobHeader(id string) []byte {
	b := []byte{kmsBlobVersion}
	b = binary.BigEndian.AppendUint16(b, uint16(len(id)))
	return append(b, id...)
}

func parseBlob(blob []byte) (id string, header, rest []byte, ok bool) {
	if len(blob) < 3 || blob[0] != kmsBlobVersion {
		return "", nil, nil, false
	}
	n := int(binary.BigEndian.Uint16(blob[1:3]))
	if n == 0 || len(blob) < 3+n {
		return "", nil, nil, false
	}
	return string(blob[3 : 3+n]), blob[:3+n], blob[3+n:], true
}

// additionalData is what AES-GCM authenticates besides the ciphertext: the blob header, then
// the encryption context canonicalised (pairs sorted by key, each string length-prefixed), so
// the same context in another order opens and any other context does not. No context and an
// empty one are the same, as in KMS.
func additionalData(header []byte, ctx map[string]string) []byte {
	aad := slices.Clone(header)
	keys := make([]string, 0, len(ctx))
	for key := range ctx {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		aad = binary.BigEndian.AppendUint32(aad, uint32(len(key)))
		aad = append(aad, key...)
		aad = binary.BigEndian.AppendUint32(aad, uint32(len(ctx[key])))
		aad = append(aad, ctx[key]...)
	}
	return aad
}

func newGCM(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // the emulator's keys are always 32 bytes
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

func keyARN(region, id string) string {
	return "arn:aws:kms:" + region + ":" + kmsAccount + ":key/" + id
}

// sigV4Region is the region in a SigV4 Authorization header's credential scope
// (Credential=<key>/<date>/<region>/kms/aws4_request), so the key ARNs answered name the
// client's region; kmsRegion when there is none.
func sigV4Region(auth string) string {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return kmsRegion
	}
	cred, _, _ = strings.Cut(cred, ",")
	if parts := strings.Split(strings.TrimSpace(cred), "/"); len(parts) == 5 && parts[2] != "" {
		return parts[2]
	}
	return kmsRegion
}

// writeKMSError is writeAWSError with AWS JSON 1.1's content type.
func writeKMSError(w http.ResponseWriter, status int, e awsError) {
	e.MessageAlso = e.Message
	w.Header().Set("Content-Type", amzJSON11)
	w.Header().Set("X-Amzn-ErrorType", e.Type)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(e)
}

// kmsServer serves a KMS emulator on 127.0.0.1 for a Stack.
type kmsServer struct {
	emu *KMS
	*inProcess
}

// startKMS listens on 127.0.0.1:port (0 = a free port) and serves a fresh KMS emulator there
// (its keys derived from master when set). The listener is bound before it returns, so the
// endpoint answers at once.
func startKMS(port int, master []byte, log io.Writer) (*kmsServer, string, error) {
	emu := NewKMS()
	if master != nil {
		emu = NewKMSWithMasterKey(master)
	}
	p, endpoint, err := serveInProcess("kms", port, emu, log)
	if err != nil {
		return nil, "", err
	}
	return &kmsServer{emu, p}, endpoint, nil
}

// kmsLog is where the KMS server writes its lines: opts.Log, prefixed like the processes'.
func kmsLog(log io.Writer, mu *sync.Mutex) io.Writer {
	if log == nil {
		return nil
	}
	return &prefixWriter{w: log, mu: mu, prefix: "[kms] ", bol: true}
}
