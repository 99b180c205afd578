// Package seal keeps the secrets Latchkey must later use in clear (OIDC client secrets, SAML SP
// private keys, OAuth refresh tokens) encrypted under an AWS KMS key. Locally the endpoint
// points at the KMS emulator in localstack/emulators, so the real KMS client runs everywhere.
package seal

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// prefix starts every sealed value and names how it was sealed, so another scheme (a data key
// per value, say) can be added beside this one and old values still open.
const prefix = "kms1:"

// MaxPlaintext is the largest secret Seal takes (bytes): KMS Encrypt's limit.
const MaxPlaintext = 4096

// maxCiphertext is KMS Decrypt's limit on a ciphertext blob (bytes); a longer one was not made
// by Encrypt.
const maxCiphertext = 6144

// ErrDoesNotOpen is wrapped by every Open error that means the sealed value is not good here:
// sealed with another binding (copied to another item or organization), under another key,
// changed, or not a sealed value at all. Other Open errors are KMS being unreachable or
// refusing this deployment (permissions, a disabled key), which a retry or an operator fixes.
var ErrDoesNotOpen = errors.New("seal: sealed value does not open")

// errNoBinding refuses an empty binding: a value sealed without one opens anywhere it is copied.
var errNoBinding = errors.New("seal: binding is empty; bind the value to where it is stored")

// KMS seals small secrets (up to MaxPlaintext bytes) bound to a context (KMS's
// EncryptionContext), so a sealed value copied to another item or organization does not open
// there.
type KMS struct {
	client *kms.Client
	keyID  string
}

// New returns a sealer using the KMS key keyID (a key id, key ARN, alias name or alias ARN);
// endpoint overrides the KMS endpoint (an emulator) when set.
func New(cfg aws.Config, endpoint, keyID string) *KMS {
	return &KMS{client: kms.NewFromConfig(cfg, func(o *kms.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), keyID: keyID}
}

// Seal encrypts plaintext bound to binding: "kms1:" and the base64 ciphertext blob. Two seals of
// the same plaintext differ. KMS refuses an empty plaintext and one over MaxPlaintext bytes.
func (k *KMS) Seal(ctx context.Context, plaintext []byte, binding map[string]string) (string, error) {
	if len(binding) == 0 {
		return "", errNoBinding
	}
	out, err := k.client.Encrypt(ctx, &kms.EncryptInput{
		KeyId:             aws.String(k.keyID),
		Plaintext:         plaintext,
		EncryptionContext: binding,
	})
	if err != nil {
		return "", fmt.Errorf("seal: kms encrypt: %w", err)
	}
	return prefix + base64.StdEncoding.EncodeToString(out.CiphertextBlob), nil
}

// Open decrypts a value from Seal with the binding it was sealed with. KeyId is passed although
// the blob names its key, so a value sealed under another key (a copy from another stack) is
// refused rather than opened with whatever key it names.
func (k *KMS) Open(ctx context.Context, sealed string, binding map[string]string) ([]byte, error) {
	if len(binding) == 0 {
		return nil, errNoBinding
	}
	b64, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return nil, fmt.Errorf("%w: not a %q value", ErrDoesNotOpen, prefix)
	}
	blob, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(blob) == 0 || len(blob) > maxCiphertext {
		return nil, fmt.Errorf("%w: the ciphertext is not 1 to %d bytes of base64", ErrDoesNotOpen, maxCiphertext)
	}
	out, err := k.client.Decrypt(ctx, &kms.DecryptInput{
		KeyId:             aws.String(k.keyID),
		CiphertextBlob:    blob,
		EncryptionContext: binding,
	})
	var (
		invalid   *types.InvalidCiphertextException
		incorrect *types.IncorrectKeyException
	)
	switch {
	case errors.As(err, &invalid) || errors.As(err, &incorrect):
		return nil, fmt.Errorf("%w: %w", ErrDoesNotOpen, err)
	case err != nil:
		return nil, fmt.Errorf("seal: kms decrypt: %w", err)
	}
	return out.Plaintext, nil
}
