package latchkey

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/shared/secret"
)

// MagicLinks runs email magic links: login or signup, invites, discovery links and email
// updates. Every link it redeems ends in the authentication pipeline.
type MagicLinks struct {
	Auth      *Authn
	Store     MagicLinkStore
	Clock     Clock
	IDs       IDs
	Mail      Mailer
	Redirects Redirects
	// Sends allowed per hour per email address and per organization.
	EmailSendsPerHour int
	OrgSendsPerHour   int
}

// MagicLinkStore is what magic links need persisted: emailed tokens, rate counters, and the
// members an invite or a signup creates, besides what the pipeline needs.
type MagicLinkStore interface {
	AuthnStore
	PutMagicToken(ctx context.Context, t MagicToken) error
	// PutEmailUpdateToken stores an email-update token together with the reservation of its
	// new address for the member, which fails (Conflict on email) while another member of the
	// organization has an unexpired reservation of the same address.
	PutEmailUpdateToken(ctx context.Context, t MagicToken) error
	DeleteMagicToken(ctx context.Context, hash string) error
	MagicToken(ctx context.Context, hash string) (MagicToken, error)
	// Hit counts one event against each counter, refusing (ErrRateLimited) if any is at its
	// limit for the current window; a refused hit counts nothing.
	Hit(ctx context.Context, counters []RateCounter, now time.Time) error
	CreateMember(ctx context.Context, m Member) error
	ReplaceMember(ctx context.Context, prev, next Member) error
}

func tooManyRequests() *Error {
	return Errorf(http.StatusTooManyRequests, "too_many_requests", "Too many emails have been requested. Please wait and try again.")
}

func (a *MagicLinks) limit(ctx context.Context, orgID, email string) error {
	err := a.Store.Hit(ctx, []RateCounter{
		{Key: "email#" + email, Window: time.Hour, Limit: a.EmailSendsPerHour},
		{Key: "org#" + orgID, Window: time.Hour, Limit: a.OrgSendsPerHour},
	}, a.Clock.Now())
	if errors.Is(err, ErrRateLimited) {
		return tooManyRequests()
	}
	return err
}

// sendLink stores a fresh single-use token and emails its link. If the email cannot be sent
// the token is deleted, so no usable link exists that nobody received.
func (a *MagicLinks) sendLink(ctx context.Context, kind string, org Organization, m Member, redirect, challenge string, ttl time.Duration) error {
	now := a.Clock.Now()
	t := MagicToken{Kind: kind, OrganizationID: org.OrganizationID, MemberID: m.MemberID, Email: m.EmailAddress,
		PKCEChallenge: challenge, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	return a.sendToken(ctx, t, org.OrganizationName, redirect, "multi_tenant_magic_links")
}

// sendToken stores t under a fresh token's hash and emails the link.
func (a *MagicLinks) sendToken(ctx context.Context, t MagicToken, orgName, redirect, linkType string) error {
	token, hash := secret.New()
	t.Hash = hash
	if err := a.Store.PutMagicToken(ctx, t); err != nil {
		return err
	}
	return a.mailToken(ctx, t, token, orgName, redirect, linkType)
}

// mailToken emails the link for a stored token, deleting the token if the email cannot be
// sent.
func (a *MagicLinks) mailToken(ctx context.Context, t MagicToken, token, orgName, redirect, linkType string) error {
	msg := LinkMessage(t.Kind, t.Email, orgName, LinkURL(redirect, linkType, token), humanDuration(t.ExpiresAt.Sub(t.CreatedAt)))
	if err := a.Mail.Send(ctx, msg); err != nil {
		if derr := a.Store.DeleteMagicToken(context.WithoutCancel(ctx), t.Hash); derr != nil {
			return errors.Join(err, derr)
		}
		return err
	}
	return nil
}

func humanDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		n := int(d / (24 * time.Hour))
		return plural(n, "day")
	case d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d/time.Minute), "minute")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func (a *MagicLinks) redeem(ctx context.Context, r Redemption) error {
	err := a.Store.Redeem(ctx, r)
	switch conflictOn(err) {
	case "":
		return err
	case ConflictExists:
		return MagicLinkNotFound()
	case ConflictEmail:
		return duplicateEmail()
	default:
		return concurrentUpdate()
	}
}
