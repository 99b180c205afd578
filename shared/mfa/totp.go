package mfa

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"image/png"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/secret"
)

// TOTP parameters: RFC 6238 as authenticator apps expect (SHA-1, 6 digits, 30 s), a 160-bit
// secret, and one step of clock skew either way.
const (
	Period   = 30
	Skew     = 1
	QRPixels = 200
	// Pending registrations: Stytch's default and bounds for expiration_minutes.
	DefaultPendingMinutes = 60
	MinPendingMinutes     = 5
	MaxPendingMinutes     = 1440
	// RecoveryCodeCount codes of the form xxxx-xxxx-xxxx come with a registration.
	RecoveryCodeCount = 10
)

var recoveryCodePattern = regexp.MustCompile(`^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$`)

func totpNotFound() *latchkey.Error {
	return latchkey.Errorf(http.StatusNotFound, "totp_not_found", "The member has no TOTP registration (or it expired before it was verified).")
}

// CreateRequest is the body of TOTPs.Create.
type CreateRequest struct {
	OrganizationID    string `json:"organization_id"`
	MemberID          string `json:"member_id"`
	ExpirationMinutes int    `json:"expiration_minutes"`
	Proof
}

// Created is a new registration, shown once: its secret, QR code and recovery codes.
type Created struct {
	Member        latchkey.Member
	Organization  latchkey.Organization
	TOTPID        string
	Secret        string
	QRCode        string
	RecoveryCodes []string
}

// Create starts a TOTP registration for a member: pending until its first code. A member that
// already uses a second factor must prove it with the intermediate session or session passed,
// so a primary factor alone cannot add a new one.
func (s *Service) Create(ctx context.Context, r CreateRequest) (Created, error) {
	var out Created
	minutes := r.ExpirationMinutes
	if minutes == 0 {
		minutes = DefaultPendingMinutes
	}
	if minutes < MinPendingMinutes || minutes > MaxPendingMinutes {
		return out, latchkey.BadRequest("invalid_expiration_minutes", "expiration_minutes must be between %d and %d.", MinPendingMinutes, MaxPendingMinutes)
	}
	m, org, err := s.member(ctx, r.OrganizationID, r.MemberID)
	if err != nil {
		return out, err
	}
	if err := org.CheckMFAMethod(latchkey.MFAMethodTOTP, &m); err != nil {
		return out, err
	}
	if err := s.checkAddition(ctx, r.Proof, m); err != nil {
		return out, err
	}
	prev, err := s.replaceable(ctx, m)
	if err != nil {
		return out, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: org.OrganizationName, AccountName: m.EmailAddress, Period: Period,
		SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return out, err
	}
	img, err := key.Image(QRPixels, QRPixels)
	if err != nil {
		return out, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return out, err
	}
	codes, hashes := newRecoveryCodes()
	now := s.Clock.Now()
	next := &latchkey.TOTP{TOTPID: s.IDs.New("member-totp"), OrganizationID: org.OrganizationID, MemberID: m.MemberID,
		Secret: key.Secret(), ExpiresAt: now.Add(time.Duration(minutes) * time.Minute), RecoveryCodes: hashes, CreatedAt: now, Version: 1}
	if prev != nil {
		next.Version = prev.Version + 1 // the write is conditional on the one it replaces
	}
	if err := s.Store.SaveTOTP(ctx, TOTPWrite{Change: latchkey.TOTPChange{Prev: prev, Next: next}}); err != nil {
		return out, conflict(err)
	}
	return Created{Member: m.Presented(org), Organization: org, TOTPID: next.TOTPID, Secret: next.Secret,
		QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), RecoveryCodes: codes}, nil
}

// replaceable reads the member's registration, which a new one may replace only while it is
// pending (nil when there is none).
func (s *Service) replaceable(ctx context.Context, m latchkey.Member) (*latchkey.TOTP, error) {
	prev, err := s.Store.TOTP(ctx, m.OrganizationID, m.MemberID)
	switch {
	case errors.Is(err, latchkey.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case prev.Active:
		return nil, latchkey.BadRequest("active_totp_exists", "The member already has an active TOTP: delete it first.")
	}
	return prev, nil
}

// checkAddition lets a second factor be added only by the member (what was passed must be
// theirs) and, once the member has one, only with proof of it.
func (s *Service) checkAddition(ctx context.Context, p Proof, m latchkey.Member) error {
	pres, err := s.present(ctx, p, m, false)
	if err != nil {
		return err
	}
	return newFactorAllowed(pres, m)
}

func conflict(err error) error {
	switch latchkey.ConflictOn(err) {
	case "":
		return err
	case latchkey.ConflictPhone:
		return latchkey.DuplicatePhoneNumber()
	}
	return latchkey.ConcurrentUpdate()
}

// newRecoveryCodes draws the codes and returns them with their hashes.
func newRecoveryCodes() (codes, hashes []string) {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	for range RecoveryCodeCount {
		var b strings.Builder
		for i := range 12 {
			if i > 0 && i%4 == 0 {
				b.WriteByte('-')
			}
			n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
			if err != nil {
				panic(err) // crypto/rand does not fail on supported platforms
			}
			b.WriteByte(alphabet[n.Int64()])
		}
		codes = append(codes, b.String())
		hashes = append(hashes, secret.Hash(b.String()))
	}
	return codes, hashes
}

// AuthenticateRequest is the body of TOTPs.Authenticate.
type AuthenticateRequest struct {
	OrganizationID         string         `json:"organization_id"`
	MemberID               string         `json:"member_id"`
	Code                   string         `json:"code"`
	SessionDurationMinutes int            `json:"session_duration_minutes"`
	SessionCustomClaims    map[string]any `json:"session_custom_claims"`
	Proof
	Enrollment
}

// Authenticate checks a TOTP code: the first one verifies a pending registration. A code is
// accepted once (its step is recorded in the login's transaction) and a wrong one counts
// against the member's lock.
func (s *Service) Authenticate(ctx context.Context, r AuthenticateRequest) (authn.Result, error) {
	var res authn.Result
	if recoveryCodePattern.MatchString(r.Code) {
		return res, latchkey.BadRequest("recovery_code_used_as_totp_code", "This is a recovery code: use RecoveryCodes.Recover.")
	}
	if !authn.WellFormedCode(r.Code) {
		return res, latchkey.BadRequest("invalid_totp_code", "code must be six digits.")
	}
	if err := r.Enrollment.validate(); err != nil {
		return res, err
	}
	c, err := s.begin(ctx, r.OrganizationID, r.MemberID, latchkey.MFAMethodTOTP, r.Proof, r.SessionDurationMinutes, r.SessionCustomClaims)
	if err != nil {
		return res, err
	}
	m, org, pres := c.m, c.org, c.pres
	now := s.Clock.Now()
	reg, err := s.Store.TOTP(ctx, org.OrganizationID, m.MemberID)
	if errors.Is(err, latchkey.ErrNotFound) || err == nil && !reg.Active && !now.Before(reg.ExpiresAt) {
		return res, totpNotFound()
	}
	if err != nil {
		return res, err
	}
	if !reg.Active {
		// Activating a registration adds a second factor: the same rule as creating one.
		if err := newFactorAllowed(pres, m); err != nil {
			return res, err
		}
	}
	refund, err := s.try(ctx, c)
	if err != nil {
		return res, err
	}
	step, ok := matchStep(reg.Secret, r.Code, now)
	switch {
	case !ok:
		return res, latchkey.Errorf(http.StatusUnauthorized, "unable_to_authenticate_totp", "The TOTP code is wrong.")
	case step <= reg.LastStep:
		return res, latchkey.BadRequest("totp_code_already_authenticated", "This TOTP code was already used: wait for the next one.")
	}
	next := *reg
	next.LastStep, next.Active, next.Version = step, true, reg.Version+1
	update := r.Enrollment.apply(org, latchkey.MFAMethodTOTP)
	factor := latchkey.FactorTOTP.ProvedIn("", org.OrganizationID, now)
	factor.AuthenticatorAppFactor = &latchkey.AuthenticatorAppFactor{TOTPID: reg.TOTPID}
	return s.redeem(ctx, authn.Attempt{OrganizationID: org.OrganizationID, Member: &m, Organization: org,
		Factors: []latchkey.AuthFactor{factor}, TOTP: &latchkey.TOTPChange{Prev: reg, Next: &next}, Refund: refund,
		Update: func(m latchkey.Member) latchkey.Member {
			m.TOTPRegistrationID = reg.TOTPID
			return update(m)
		}, Duration: c.duration, Claims: r.SessionCustomClaims}, pres)
}

// matchStep finds the time step, within the skew, whose code is code (compared in constant
// time, every step checked).
func matchStep(key, code string, now time.Time) (int64, bool) {
	var found int64
	ok := false
	current := now.Unix() / Period
	for d := int64(-Skew); d <= Skew; d++ {
		step := current + d
		want, err := totp.GenerateCodeCustom(key, time.Unix(step*Period, 0), totp.ValidateOpts{Period: Period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			found, ok = step, true
		}
	}
	return found, ok
}

// MigrateRequest is the body of TOTPs.Migrate.
type MigrateRequest struct {
	OrganizationID string   `json:"organization_id"`
	MemberID       string   `json:"member_id"`
	Secret         string   `json:"secret"`
	RecoveryCodes  []string `json:"recovery_codes"`
}

// Migrate imports an authenticator-app secret from another system as an active registration,
// with the given recovery codes or new ones.
func (s *Service) Migrate(ctx context.Context, r MigrateRequest) (Created, error) {
	var out Created
	key := strings.ToUpper(strings.ReplaceAll(r.Secret, " ", ""))
	if raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(key, "=")); err != nil || len(raw) < 10 || len(raw) > 64 {
		return out, latchkey.BadRequest("invalid_totp_secret", "secret must be a base32 key of 80 to 512 bits.")
	}
	codes := r.RecoveryCodes
	var hashes []string
	for _, c := range codes {
		if !recoveryCodePattern.MatchString(c) {
			return out, latchkey.BadRequest("invalid_recovery_code", "Recovery codes have the form xxxx-xxxx-xxxx (lower-case letters and digits).")
		}
		hashes = append(hashes, secret.Hash(c))
	}
	if len(codes) > 2*RecoveryCodeCount {
		return out, latchkey.BadRequest("invalid_recovery_code", "At most %d recovery codes.", 2*RecoveryCodeCount)
	}
	if len(codes) == 0 {
		codes, hashes = newRecoveryCodes()
	}
	m, org, err := s.member(ctx, r.OrganizationID, r.MemberID)
	if err != nil {
		return out, err
	}
	prev, err := s.replaceable(ctx, m)
	if err != nil {
		return out, err
	}
	now := s.Clock.Now()
	next := &latchkey.TOTP{TOTPID: s.IDs.New("member-totp"), OrganizationID: org.OrganizationID, MemberID: m.MemberID,
		Secret: strings.TrimRight(key, "="), Active: true, RecoveryCodes: hashes, CreatedAt: now, Version: 1}
	if prev != nil {
		next.Version = prev.Version + 1 // the write is conditional on the one it replaces
	}
	nm := m
	nm.TOTPRegistrationID, nm.UpdatedAt = next.TOTPID, now
	if nm.DefaultMFAMethod == "" {
		nm.DefaultMFAMethod = latchkey.MFAMethodTOTP
	}
	if err := s.Store.SaveTOTP(ctx, TOTPWrite{MemberPrev: m, MemberNext: nm, Change: latchkey.TOTPChange{Prev: prev, Next: next}}); err != nil {
		return out, conflict(err)
	}
	return Created{Member: nm.Presented(org), Organization: org, TOTPID: next.TOTPID, RecoveryCodes: codes}, nil
}

// DeleteTOTP removes a member's registration and its recovery codes (Members.DeleteTOTP).
// Sessions that used it stay valid, as in Stytch.
func (s *Service) DeleteTOTP(ctx context.Context, orgID, memberID string) (latchkey.Member, latchkey.Organization, error) {
	m, org, err := latchkey.MemberAndOrg(ctx, s.Store, orgID, memberID)
	if err != nil {
		return m, org, err
	}
	reg, err := s.Store.TOTP(ctx, orgID, memberID)
	if errors.Is(err, latchkey.ErrNotFound) {
		return m, org, totpNotFound()
	}
	if err != nil {
		return m, org, err
	}
	nm := m
	nm.TOTPRegistrationID, nm.UpdatedAt = "", s.Clock.Now()
	if nm.DefaultMFAMethod == latchkey.MFAMethodTOTP {
		nm.DefaultMFAMethod = ""
	}
	if err := s.Store.SaveTOTP(ctx, TOTPWrite{MemberPrev: m, MemberNext: nm, Change: latchkey.TOTPChange{Prev: reg}, Delete: true}); err != nil {
		return m, org, conflict(err)
	}
	return nm.Presented(org), org, nil
}
