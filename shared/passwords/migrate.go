package passwords

import (
	"context"
	"errors"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/pwhash"
)

// MigrateRequest is the body of Passwords.Migrate.
type MigrateRequest struct {
	EmailAddress             string               `json:"email_address"`
	Hash                     string               `json:"hash"`
	HashType                 string               `json:"hash_type"`
	OrganizationID           string               `json:"organization_id"`
	MD5Config                *pwhash.SaltConfig   `json:"md_5_config"`
	SHA1Config               *pwhash.SaltConfig   `json:"sha_1_config"`
	SHA512Config             *pwhash.SaltConfig   `json:"sha_512_config"`
	Argon2Config             *pwhash.Argon2Config `json:"argon_2_config"`
	ScryptConfig             *pwhash.ScryptConfig `json:"scrypt_config"`
	PBKDF2Config             *pwhash.PBKDF2Config `json:"pbkdf_2_config"`
	Name                     *string              `json:"name"`
	TrustedMetadata          *map[string]any      `json:"trusted_metadata"`
	UntrustedMetadata        *map[string]any      `json:"untrusted_metadata"`
	Roles                    *[]string            `json:"roles"`
	PreserveExistingSessions bool                 `json:"preserve_existing_sessions"`
	MFAPhoneNumber           *string              `json:"mfa_phone_number"`
	SetPhoneNumberVerified   bool                 `json:"set_phone_number_verified"`
	ExternalID               *string              `json:"external_id"`
}

// MigrateResult is the member the password was imported for, and whether it was created.
type MigrateResult struct {
	Member        latchkey.Member
	Organization  latchkey.Organization
	MemberCreated bool
}

// Migrate imports a password hash from another system for a member, creating the member (with
// the given name, metadata, roles and external id) when the organization has none with the
// address. Like Stytch's, it marks the address verified: the application vouches for it. The
// hash is kept as imported and replaced by an argon2id hash at the member's first login.
//
// A member that already has a password gets password_already_exists. Across organizations the
// address has one password: importing for another organization's member leaves the password
// already there as it is.
func (s *Service) Migrate(ctx context.Context, r MigrateRequest) (MigrateResult, error) {
	var res MigrateResult
	if r.OrganizationID == "" {
		return res, latchkey.BadRequest(latchkey.TypeBadRequest, "organization_id is required.")
	}
	email, err := latchkey.NormalizeEmail(r.EmailAddress)
	if err != nil {
		return res, err
	}
	encoded, err := pwhash.Import(pwhash.Imported{Hash: r.Hash, HashType: r.HashType, MD5: r.MD5Config, SHA1: r.SHA1Config,
		SHA512: r.SHA512Config, Argon2: r.Argon2Config, Scrypt: r.ScryptConfig, PBKDF2: r.PBKDF2Config})
	var ie *pwhash.ImportError
	if errors.As(err, &ie) {
		return res, latchkey.BadRequest(ie.Type, "%s", ie.Message)
	}
	if err != nil {
		return res, err
	}
	now := s.Clock.Now()
	for attempt := 0; ; attempt++ {
		m, org, found, err := latchkey.MemberByEmail(ctx, s.Store, r.OrganizationID, email)
		if err != nil {
			return res, err
		}
		prev, err := s.Store.Password(ctx, s.passwordOrg(org.OrganizationID), email)
		if err != nil && !errors.Is(err, latchkey.ErrNotFound) {
			return res, err
		}
		w := Write{MemberPrev: m, Create: !found}
		var next latchkey.Member
		if found {
			if prev.Serves(m) && !s.crossOrg() {
				return res, passwordExists()
			}
			next = m
		} else {
			patch := latchkey.MemberPatch{EmailAddress: &email, Name: r.Name, TrustedMetadata: r.TrustedMetadata,
				UntrustedMetadata: r.UntrustedMetadata, Roles: r.Roles, ExternalID: r.ExternalID, MFAPhoneNumber: r.MFAPhoneNumber}
			if next, err = latchkey.NewMember(s.IDs.New("member"), org.OrganizationID, patch, now); err != nil {
				return res, err
			}
			next.MFAPhoneNumberVerified = r.SetPhoneNumberVerified && next.MFAPhoneNumber != ""
		}
		next.EmailAddressVerified, next.UpdatedAt = true, now
		if s.crossOrg() && prev != nil && prev.Hash != "" {
			// The address has its password already: it stays as it is, and the imported hash,
			// which nobody checked against it, sets nothing. The member shows the password
			// once its owner logs in here.
			w.Password = latchkey.PasswordChange{Prev: prev}
		} else {
			pw := s.newPassword(prev, org.OrganizationID, next, email, encoded, now)
			w.Password = latchkey.PasswordChange{Prev: prev, Next: pw}
			next.MemberPasswordID = pw.PasswordID
		}
		w.MemberNext = next
		err = s.Store.SavePassword(ctx, w)
		switch latchkey.ConflictOn(err) {
		case "":
			if err != nil {
				return res, err
			}
			if found && !r.PreserveExistingSessions {
				if err := s.Auth.RevokeOthers(ctx, m.MemberID, ""); err != nil {
					return res, err
				}
			}
			return MigrateResult{Member: next.Presented(org), Organization: org, MemberCreated: !found}, nil
		case latchkey.ConflictExternalID:
			return res, latchkey.DuplicateMemberExternalID()
		case latchkey.ConflictPhone:
			return res, latchkey.DuplicatePhoneNumber()
		case latchkey.ConflictOrganization:
			return res, latchkey.OrganizationNotFound()
		}
		// Someone created the member, or changed it or its password, since it was read.
		if attempt+1 >= latchkey.MaxAttempts {
			return res, latchkey.ConcurrentUpdate()
		}
		latchkey.Backoff(ctx, attempt)
	}
}
