package magiclink

import (
	"context"
	"errors"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/secret"
)

// Service runs email magic links: login or signup, invites, discovery links and email
// updates. Every link it redeems ends in the authentication pipeline.
type Service struct {
	Auth      *authn.Service
	Store     Store
	Clock     latchkey.Clock
	IDs       latchkey.IDs
	Mail      latchkey.Mailer
	Redirects Redirects
	Limits    latchkey.SendLimits
	// Codes sends email updates by code.
	Codes EmailUpdateCodes
}

// Store is what magic links need persisted: emailed tokens, rate counters, and the
// members an invite or a signup creates, besides what the pipeline needs.
type Store interface {
	authn.Store
	PutMagicToken(ctx context.Context, t Token) error
	// PutEmailUpdateToken stores an email-update token together with the reservation of its
	// new address for the member, which fails (Conflict on email) while another member's
	// email update to the same address is outstanding. Only email updates read reservations.
	PutEmailUpdateToken(ctx context.Context, t Token) error
	// DeleteMagicToken removes a token nobody received, and an email update's reservation
	// with it.
	DeleteMagicToken(ctx context.Context, t Token) error
	MagicToken(ctx context.Context, hash string) (Token, error)
	latchkey.Counter
	ReplaceMember(ctx context.Context, prev, next latchkey.Member) error
}

func (a *Service) limit(ctx context.Context, orgID, email string) error {
	return a.Limits.Allow(ctx, a.Store, a.Clock.Now(), orgID, email)
}

// sendLink stores a fresh single-use token and emails its link. If the email cannot be sent
// the token is deleted, so no usable link exists that nobody received.
func (a *Service) sendLink(ctx context.Context, kind string, org latchkey.Organization, m latchkey.Member, redirect, challenge string, ttl time.Duration) error {
	now := a.Clock.Now()
	t := Token{Kind: kind, OrganizationID: org.OrganizationID, MemberID: m.MemberID, Email: m.EmailAddress,
		PKCEChallenge: challenge, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	return a.sendToken(ctx, t, org.OrganizationName, redirect, "multi_tenant_magic_links")
}

// sendToken stores t under a fresh token's hash and emails the link.
func (a *Service) sendToken(ctx context.Context, t Token, orgName, redirect, linkType string) error {
	token, hash := secret.New()
	t.Hash = hash
	if err := a.Store.PutMagicToken(ctx, t); err != nil {
		return err
	}
	return a.mailToken(ctx, t, token, orgName, redirect, linkType)
}

// mailToken emails the link for a stored token, deleting the token if the email cannot be
// sent.
func (a *Service) mailToken(ctx context.Context, t Token, token, orgName, redirect, linkType string) error {
	msg := LinkMessage(t.Kind, t.Email, orgName, authn.LinkURL(redirect, linkType, token), authn.HumanDuration(t.ExpiresAt.Sub(t.CreatedAt)))
	if err := a.Mail.Send(ctx, msg); err != nil {
		if derr := a.Store.DeleteMagicToken(context.WithoutCancel(ctx), t); derr != nil {
			return errors.Join(err, derr)
		}
		return err
	}
	return nil
}
