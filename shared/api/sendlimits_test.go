package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/app/apptest"
)

// limitedEnv serves the shared table with other send limits; orgLimit 0 keeps the default.
func limitedEnv(t *testing.T, orgLimit int) *apptest.Env {
	t.Helper()
	_, srv, err := env.Variant(context.Background(), func(c *app.Config) {
		if orgLimit > 0 {
			c.OrgSendsPerHour = orgLimit
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return env.At(srv.URL)
}

// oneWindow keeps a test's sends in one hourly window: near the end of an hour it moves the
// clock into the next one.
func oneWindow(t *testing.T) {
	now := env.Clock.Now()
	if now.Truncate(time.Hour).Add(time.Hour).Sub(now) < time.Minute {
		t.Cleanup(env.Clock.Advance(time.Minute))
	}
}

// Many logins at once in one organization, each for its own address: none fails on contention
// (a TransactionConflict on the organization's one counter item used to be a 500), exactly the
// organization's hourly limit of them send a link, and the rest are 429 too_many_requests.
func TestConcurrentLoginsShareTheOrganizationLimit(t *testing.T) {
	const limit, n = 12, 40
	e := limitedEnv(t, limit)
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	emails := make([]string, n)
	for i := range emails {
		emails[i] = newEmail()
		createMember(t, org, map[string]any{"email_address": emails[i]})
	}
	oneWindow(t)
	responses := make([]apptest.Response, n)
	statuses := concurrently(n, func(i int) int {
		responses[i] = e.Do(t, "POST", "/v1/b2b/magic_links/email/login_or_signup", map[string]any{
			"organization_id": org, "email_address": emails[i], "login_redirect_url": redirect, "signup_redirect_url": redirect})
		return responses[i].Status
	})
	sent := 0
	for i, s := range statuses {
		// Contention cannot fail a send: none writes in a transaction (DynamoDB Local applies
		// transactions one at a time, so only this shows what AWS would have conflicted on).
		if ops, _ := logLine(t, responses[i])["dynamodb_ops"].(string); strings.Contains(ops, "TransactWriteItems") {
			t.Errorf("a send wrote in a transaction: %s", ops)
		}
		switch s {
		case http.StatusOK:
			sent++
			if got := len(env.Emails(t, emails[i])); got != 1 {
				t.Errorf("%s: 200 with %d emails", emails[i], got)
			}
		case http.StatusTooManyRequests:
			if got := len(env.Emails(t, emails[i])); got != 0 {
				t.Errorf("%s: refused, yet %d emails sent", emails[i], got)
			}
		default:
			t.Errorf("status %d: %s", s, responses[i].Raw)
		}
	}
	if sent != limit {
		t.Fatalf("%d of %d concurrent logins sent a link, want the organization's limit %d", sent, n, limit)
	}
	// The limit holds afterwards too.
	apptest.ExpectError(t, e.Do(t, "POST", "/v1/b2b/magic_links/email/login_or_signup", map[string]any{
		"organization_id": org, "email_address": emails[0], "login_redirect_url": redirect}), http.StatusTooManyRequests, "too_many_requests")
}

// Many logins at once for one address: the address's limit holds exactly, nothing fails on
// contention, and the refused sends give back what they took from the organization's counter
// (a refused hit counts nothing), so other addresses can still use all of it.
//
// The organization's limit is above the burst: a send refused for its address holds its unit
// of the organization's counter until it gives it back, so with the organization this close to
// its limit a burst could see it full for that moment (the documented difference from a
// transaction, see store.Hit) and send fewer than the address's limit.
func TestConcurrentLoginsForOneAddress(t *testing.T) {
	const n = 20
	const orgLimit = n + apptest.EmailSendsPerHour
	e := limitedEnv(t, orgLimit)
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	email := newEmail()
	createMember(t, org, map[string]any{"email_address": email})
	oneWindow(t)
	statuses := concurrently(n, func(int) int {
		return e.Do(t, "POST", "/v1/b2b/magic_links/email/login_or_signup", map[string]any{
			"organization_id": org, "email_address": email, "login_redirect_url": redirect}).Status
	})
	sent := 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			sent++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("status %d", s)
		}
	}
	if sent != apptest.EmailSendsPerHour || len(env.Emails(t, email)) != sent {
		t.Fatalf("%d sent (%d emails), want %d", sent, len(env.Emails(t, email)), apptest.EmailSendsPerHour)
	}
	// The organization counted only the sends that went out: the rest of its limit is there.
	for range orgLimit - apptest.EmailSendsPerHour {
		other := newEmail()
		createMember(t, org, map[string]any{"email_address": other})
		apptest.ExpectOK(t, e.Do(t, "POST", "/v1/b2b/magic_links/email/login_or_signup", map[string]any{
			"organization_id": org, "email_address": other, "login_redirect_url": redirect}))
	}
	other := newEmail()
	createMember(t, org, map[string]any{"email_address": other})
	apptest.ExpectError(t, e.Do(t, "POST", "/v1/b2b/magic_links/email/login_or_signup", map[string]any{
		"organization_id": org, "email_address": other, "login_redirect_url": redirect}), http.StatusTooManyRequests, "too_many_requests")
}
