package latchkey

import "slices"

// OAuth logins (Google, Microsoft) in the core model: their factors and the registration they
// leave on the member.

// Authentication methods OAuth logins satisfy, as Stytch names them in allowed_auth_methods.
const (
	MethodGoogleOAuth    = "google_oauth"
	MethodMicrosoftOAuth = "microsoft_oauth"
)

// The OAuth factors. A Google Workspace account (the ID token's hd claim) and a Microsoft work
// or school account prove their address, as Stytch counts them: the provider, not an
// organization's admin, vouches for it, so the proof holds in every organization.
var (
	FactorGoogleOAuth    = FactorKind{Type: "oauth", DeliveryMethod: "oauth_google", Method: MethodGoogleOAuth, ProvesEmail: true}
	FactorMicrosoftOAuth = FactorKind{Type: "oauth", DeliveryMethod: "oauth_microsoft", Method: MethodMicrosoftOAuth, ProvesEmail: true}
)

// A consumer Google account's login (no hd claim) is recorded as an oauth_google factor
// without an email_factor: Google knows the person, but Stytch does not count it as proof of
// the address, so it is no identity until another factor proves one.

// OAuthFactor is the google_oauth_factor / microsoft_oauth_factor of an authentication factor.
type OAuthFactor struct {
	ID              string `json:"id"`
	ProviderSubject string `json:"provider_subject"`
	EmailID         string `json:"email_id,omitempty"`
}

// OAuthRegistration is one entry of a member's oauth_registrations.
type OAuthRegistration struct {
	ProviderType              string `json:"provider_type"`
	ProviderSubject           string `json:"provider_subject"`
	MemberOAuthRegistrationID string `json:"member_oauth_registration_id"`
	ProfilePictureURL         string `json:"profile_picture_url"`
	Locale                    string `json:"locale"`
	// Key identifies the person at the provider for the uniqueness guard: the subject, with
	// the Microsoft tenant (subjects are per tenant).
	Key string `json:"-" dynamo:",omitempty"`
}

// WithOAuthRegistration returns m with reg recorded, replacing its earlier registration with
// the same provider.
func (m Member) WithOAuthRegistration(reg OAuthRegistration) Member {
	regs := slices.DeleteFunc(slices.Clone(m.OAuthRegistrations), func(r OAuthRegistration) bool { return r.ProviderType == reg.ProviderType })
	m.OAuthRegistrations = append(regs, reg)
	return m
}
