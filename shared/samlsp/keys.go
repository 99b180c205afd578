package samlsp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"
)

// NewKeyPair makes an RSA-2048 key and a self-signed certificate for it (CertificateFor),
// valid for validFor from now, both PEM-encoded, the key as PKCS#8. SAML uses certificates
// only as key holders, so self-signed is what every IdP expects from an SP.
func NewKeyPair(commonName string, now time.Time, validFor time.Duration) (keyPEM, certPEM string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", fmt.Errorf("samlsp: generate key: %w", err)
	}
	if certPEM, err = CertificateFor(key, commonName, now, validFor); err != nil {
		return "", "", err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", fmt.Errorf("samlsp: encode key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})), certPEM, nil
}

// ParseCertificate reads an X.509 certificate given as PEM or as bare base64 DER, which is what
// IdP consoles and metadata give. Whitespace and line breaks anywhere are ignored, and PEM
// armour pasted onto one line is accepted.
func ParseCertificate(pemOrBase64DER string) (*x509.Certificate, error) {
	s := strings.TrimSpace(pemOrBase64DER)
	if strings.Contains(s, "-----BEGIN") {
		if block, _ := pem.Decode([]byte(s)); block != nil {
			if block.Type != "CERTIFICATE" {
				return nil, fmt.Errorf("samlsp: PEM block is %q, want CERTIFICATE", block.Type)
			}
			return parseDER(block.Bytes)
		}
		// pem.Decode needs line breaks; a certificate pasted as one line has none.
		const begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
		i, j := strings.Index(s, begin), strings.Index(s, end)
		if i < 0 || j < i {
			return nil, errors.New("samlsp: not a PEM certificate")
		}
		s = s[i+len(begin) : j]
	}
	der, err := base64.StdEncoding.DecodeString(stripSpace(s))
	if err != nil {
		return nil, fmt.Errorf("samlsp: certificate is neither PEM nor base64: %w", err)
	}
	return parseDER(der)
}

func parseDER(der []byte) (*x509.Certificate, error) {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("samlsp: certificate: %w", err)
	}
	return c, nil
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}

// ParsePrivateKey reads a PEM RSA private key, PKCS#1 ("RSA PRIVATE KEY") or PKCS#8
// ("PRIVATE KEY").
func ParsePrivateKey(pemKey string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(pemKey)))
	if block == nil {
		return nil, errors.New("samlsp: private key is not PEM")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("samlsp: PKCS#1 private key: %w", err)
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("samlsp: PKCS#8 private key: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("samlsp: private key is %T, want RSA", k)
		}
		return rk, nil
	}
	return nil, fmt.Errorf("samlsp: PEM block is %q, want RSA PRIVATE KEY or PRIVATE KEY", block.Type)
}
