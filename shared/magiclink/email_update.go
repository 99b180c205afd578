package magiclink

import (
	"context"
	"errors"
	"net/http"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/secret"
)

// StartEmailUpdateRequest is the body of Members.StartEmailUpdate.
type StartEmailUpdateRequest struct {
	EmailAddress     string `json:"email_address"`
	LoginRedirectURL string `json:"login_redirect_url"`
	Locale           string `json:"locale"`
	LoginTemplateID  string `json:"login_template_id"`
	DeliveryMethod   string `json:"delivery_method"`
}

// EmailUpdateLifetime is how long the link that proves a new address lives, and how long the
// address stays reserved for the member, as in Stytch.
const EmailUpdateLifetime = 5 * time.Minute

// EmailUpdateCodes sends the code of an email update by EMAIL_OTP, reserving the address as
// PutEmailUpdateToken does (Conflict on email when another member's update holds it); package
// otp implements it, and OTPs.Email.Authenticate redeems the code.
type EmailUpdateCodes interface {
	SendEmailUpdate(ctx context.Context, org latchkey.Organization, m latchkey.Member, email string, ttl time.Duration) error
}

// StartEmailUpdate emails a link (or, with delivery_method EMAIL_OTP, a code) to a member's
// new address; redeeming it through MagicLinks.Authenticate (or OTPs.Email.Authenticate with
// the new address) makes that address current and verified. Until then nothing about the
// member changes. As in Stytch, the member must be active with a verified address, and the new
// address may not belong to another member of the organization, nor be the target of another
// member's update in flight.
func (a *Service) StartEmailUpdate(ctx context.Context, orgID, memberID string, r StartEmailUpdateRequest) (latchkey.Member, latchkey.Organization, error) {
	byCode := false
	switch r.DeliveryMethod {
	case "", "EMAIL_MAGIC_LINK":
	case "EMAIL_OTP":
		if a.Codes == nil {
			return latchkey.Member{}, latchkey.Organization{}, latchkey.BadRequest("email_otp_not_supported", "delivery_method EMAIL_OTP is not configured.")
		}
		byCode = true
	default:
		return latchkey.Member{}, latchkey.Organization{}, latchkey.BadRequest("invalid_delivery_method", "delivery_method must be EMAIL_MAGIC_LINK or EMAIL_OTP.")
	}
	email, err := latchkey.NormalizeEmail(r.EmailAddress)
	if err != nil {
		return latchkey.Member{}, latchkey.Organization{}, err
	}
	m, org, err := latchkey.LiveMember(ctx, a.Store, orgID, memberID)
	if err != nil {
		return latchkey.Member{}, org, err
	}
	switch {
	case m.Status != latchkey.StatusActive || !m.EmailAddressVerified:
		return latchkey.Member{}, org, latchkey.BadRequest("member_email_not_verified",
			"Only an active member with a verified email address can start an email update.")
	case email == m.EmailAddress:
		return latchkey.Member{}, org, latchkey.BadRequest("email_address_unchanged", "email_address is already the member's email address.")
	}
	method := latchkey.MethodMagicLink
	if byCode {
		method = latchkey.MethodEmailOTP
	}
	if err := org.CheckAuthMethod(method, &m); err != nil {
		return latchkey.Member{}, org, err
	}
	var link string
	if !byCode {
		if link, err = a.Redirects.Resolve("login_redirect_url", r.LoginRedirectURL); err != nil {
			return latchkey.Member{}, org, err
		}
	}
	// One read refuses an address another member holds now; the redemption's conditional
	// write on the email guard is what makes it impossible, however the two race.
	holder, _, err := a.Store.EmailHolder(ctx, org.OrganizationID, email)
	switch {
	case err == nil && holder != m.MemberID:
		return latchkey.Member{}, org, latchkey.DuplicateEmail()
	case err != nil && !errors.Is(err, latchkey.ErrNotFound):
		return latchkey.Member{}, org, err
	}
	if err := a.limit(ctx, org.OrganizationID, email); err != nil {
		return latchkey.Member{}, org, err
	}
	if byCode {
		if err := a.Codes.SendEmailUpdate(ctx, org, m, email, EmailUpdateLifetime); err != nil {
			return latchkey.Member{}, org, emailUpdateErr(err)
		}
		return m.Presented(org), org, nil
	}
	now := a.Clock.Now()
	t := Token{Kind: TokenEmailUpdate, OrganizationID: org.OrganizationID, MemberID: m.MemberID, Email: email,
		CreatedAt: now, ExpiresAt: now.Add(EmailUpdateLifetime)}
	token, hash := secret.New()
	t.Hash = hash
	if err := a.Store.PutEmailUpdateToken(ctx, t); err != nil {
		return latchkey.Member{}, org, emailUpdateErr(err)
	}
	if err := a.mailToken(ctx, t, token, org.OrganizationName, link, "multi_tenant_magic_links"); err != nil {
		return latchkey.Member{}, org, err
	}
	return m.Presented(org), org, nil
}

func emailUpdateErr(err error) error {
	if latchkey.ConflictOn(err) == latchkey.ConflictEmail {
		return latchkey.Errorf(http.StatusBadRequest, "email_update_in_progress",
			"Another member of this organization is already updating to this email address.")
	}
	return err
}
