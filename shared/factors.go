package latchkey

import (
	"net/http"
	"slices"
	"time"
)

// AuthFactor is one way the person proved who they are during the session.
type AuthFactor struct {
	Type                string       `json:"type"`
	DeliveryMethod      string       `json:"delivery_method"`
	LastAuthenticatedAt time.Time    `json:"last_authenticated_at"`
	CreatedAt           time.Time    `json:"created_at"`
	UpdatedAt           time.Time    `json:"updated_at"`
	EmailFactor         *EmailFactor `json:"email_factor,omitempty"`
	// The second factors' details, as Stytch's AuthenticationFactor carries them.
	PhoneNumberFactor      *PhoneNumberFactor      `json:"phone_number_factor,omitempty"`
	AuthenticatorAppFactor *AuthenticatorAppFactor `json:"authenticator_app_factor,omitempty"`
	RecoveryCodeFactor     *RecoveryCodeFactor     `json:"recovery_code_factor,omitempty"`
	SAMLSSOFactor          *SSOFactor              `json:"saml_sso_factor,omitempty"`
	OIDCSSOFactor          *SSOFactor              `json:"oidc_sso_factor,omitempty"`
	GoogleOAuthFactor      *OAuthFactor            `json:"google_oauth_factor,omitempty"`
	MicrosoftOAuthFactor   *OAuthFactor            `json:"microsoft_oauth_factor,omitempty"`
	// Organization, when set, is the one organization the factor counts in: an
	// organization-scoped password's (which, as Stytch says of password factors, does not carry
	// into another organization), and every second factor's (a member's TOTP or phone). Not
	// part of Stytch's wire shape.
	Organization string `json:"-" dynamo:",omitempty"`
}

type EmailFactor struct {
	EmailID      string `json:"email_id"`
	EmailAddress string `json:"email_address"`
}

type PhoneNumberFactor struct {
	PhoneID     string `json:"phone_id"`
	PhoneNumber string `json:"phone_number"`
}

type AuthenticatorAppFactor struct {
	TOTPID string `json:"totp_id"`
}

type RecoveryCodeFactor struct {
	TOTPRecoveryCodeID string `json:"totp_recovery_code_id"`
}

// FactorKind is one way of proving who one is, as Stytch records it in a session's
// authentication_factors. Factors are data: a new way in adds a row to factorKinds, and the
// policy (which allowed_auth_methods a factor satisfies, whether it is a second factor) and
// the factor's shape follow from the row, with no code path of its own.
type FactorKind struct {
	Type           string // authentication_factors[].type
	DeliveryMethod string // authentication_factors[].delivery_method
	// Method is the allowed_auth_methods value a primary factor satisfies; "" for a second
	// factor.
	Method string
	// ProvesEmail marks factors that prove an address: they carry an email_factor, and that
	// address is the person's identity across organizations.
	ProvesEmail bool
	// MFAMethod is the allowed_mfa_methods value a second factor satisfies; recovery codes
	// stand in for the TOTP they came with, whatever the organization allows.
	MFAMethod string
}

// The factors Latchkey records. Second factors (Method "") satisfy an MFA policy.
var (
	FactorMagicLink = FactorKind{Type: "magic_link", DeliveryMethod: "email", Method: MethodMagicLink, ProvesEmail: true}
	FactorEmailOTP  = FactorKind{Type: "otp", DeliveryMethod: "email", Method: MethodEmailOTP, ProvesEmail: true}
	// A password proves the address it is bound to (latchkey.Password).
	FactorPassword     = FactorKind{Type: "password", DeliveryMethod: "knowledge", Method: MethodPassword, ProvesEmail: true}
	FactorSMSOTP       = FactorKind{Type: "otp", DeliveryMethod: "sms", MFAMethod: MFAMethodSMS}
	FactorTOTP         = FactorKind{Type: "totp", DeliveryMethod: "authenticator_app", MFAMethod: MFAMethodTOTP}
	FactorRecoveryCode = FactorKind{Type: "recovery_codes", DeliveryMethod: "recovery_code"}

	factorKinds = []FactorKind{FactorMagicLink, FactorEmailOTP, FactorPassword, FactorSAML, FactorOIDC, FactorGoogleOAuth,
		FactorMicrosoftOAuth, FactorSessionMigration, FactorSMSOTP, FactorTOTP, FactorRecoveryCode}
)

// KindOf finds the row a recorded factor belongs to.
func KindOf(f AuthFactor) (FactorKind, bool) {
	for _, k := range factorKinds {
		if k.Type == f.Type && k.DeliveryMethod == f.DeliveryMethod {
			return k, true
		}
	}
	return FactorKind{}, false
}

// Second tells whether the kind is a second factor, which an MFA policy asks for.
func (k FactorKind) Second() bool { return k.Method == "" }

// Proved is the factor of this kind proved at now, for the address email when the kind
// proves one.
func (k FactorKind) Proved(email string, now time.Time) AuthFactor {
	f := AuthFactor{Type: k.Type, DeliveryMethod: k.DeliveryMethod, LastAuthenticatedAt: now, CreatedAt: now, UpdatedAt: now}
	if k.ProvesEmail {
		f.EmailFactor = &EmailFactor{EmailID: EmailID(email), EmailAddress: email}
	}
	return f
}

// ForOrganization returns factors without those that belong to another organization than
// orgID (organization-scoped passwords, second factors): what an exchange carries there.
func ForOrganization(factors []AuthFactor, orgID string) []AuthFactor {
	return slices.DeleteFunc(slices.Clone(factors), func(f AuthFactor) bool { return f.Organization != "" && f.Organization != orgID })
}

// ProvedIn is Proved for a factor that proves its email only in the organization orgID.
func (k FactorKind) ProvedIn(email, orgID string, now time.Time) AuthFactor {
	f := k.Proved(email, now)
	f.Organization = orgID
	return f
}

// Record writes on the member what proving this factor establishes, so that the same person
// coming back by another way lands on the same member: for an email factor, that the
// member's address is verified. Later kinds add their registrations here.
func (k FactorKind) Record(m Member, f AuthFactor) Member {
	if k.ProvesEmail && f.EmailFactor != nil && f.EmailFactor.EmailAddress == m.EmailAddress {
		m.EmailAddressVerified = true
	}
	return m
}

// ProvenEmail is the address the most recent of factors proved, and when. It is the person's
// identity for every decision that crosses an organization boundary: a member's current
// email_address is only what its organization says, and may never have been proven.
//
// Factors that prove their email in one organization only (AuthFactor.Organization) do not
// count: see ProvenEmailIn.
func ProvenEmail(factors []AuthFactor) (email string, at time.Time, ok bool) {
	return ProvenEmailIn(factors, "")
}

// ProvenEmailIn is ProvenEmail for a decision inside the organization orgID, where the factors
// that prove their email only there count too.
func ProvenEmailIn(factors []AuthFactor, orgID string) (email string, at time.Time, ok bool) {
	for _, f := range factors {
		if f.Organization != "" && f.Organization != orgID {
			continue
		}
		if f.EmailFactor != nil && f.EmailFactor.EmailAddress != "" && (!ok || f.LastAuthenticatedAt.After(at)) {
			email, at, ok = f.EmailFactor.EmailAddress, f.LastAuthenticatedAt, true
		}
	}
	return email, at, ok
}

// NoProvenEmail is the error for a session whose factors prove no email: it may act in its
// own organization, but has no identity to carry into another.
func NoProvenEmail() *Error {
	return Errorf(http.StatusBadRequest, "session_email_not_proven",
		"No factor of this session proved an email address, so it cannot be used to enter another organization.")
}

// AddFactor returns factors with f added, replacing an earlier factor of the same kind.
func AddFactor(factors []AuthFactor, f AuthFactor) []AuthFactor {
	out := slices.DeleteFunc(slices.Clone(factors), func(g AuthFactor) bool {
		return g.Type == f.Type && g.DeliveryMethod == f.DeliveryMethod
	})
	return append(out, f)
}
