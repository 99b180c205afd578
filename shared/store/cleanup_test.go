package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchkey/latchkey/shared/app/apptest"
)

var env *apptest.Env

func TestMain(m *testing.M) { apptest.Run(m, &env) }

// setup creates an organization with one member and returns their ids and the email.
func setup(t *testing.T) (org, member, email string) {
	t.Helper()
	o := env.Do(t, "POST", "/v1/b2b/organizations", map[string]any{"organization_name": "Clean", "organization_slug": "clean-" + uuid.NewString()[:8]})
	apptest.ExpectOK(t, o)
	org = o.Str("organization.organization_id")
	email = "c-" + uuid.NewString()[:8] + "@acme.com"
	m := env.Do(t, "POST", "/v1/b2b/organizations/"+org+"/members", map[string]any{"email_address": email})
	apptest.ExpectOK(t, m)
	return org, m.Str("member_id"), email
}

func send(t *testing.T, org, email string) string {
	t.Helper()
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/magic_links/email/login_or_signup",
		map[string]any{"organization_id": org, "email_address": email}))
	return env.LastEmail(t, email).Token()
}

// login leaves three expiring items: the used token, the session and its id pointer.
func login(t *testing.T, org, email string) string {
	t.Helper()
	a := env.Do(t, "POST", "/v1/b2b/magic_links/authenticate", map[string]any{"magic_links_token": send(t, org, email)})
	apptest.ExpectOK(t, a)
	return a.Str("session_token")
}

func TestCleanupDeletesOnlyExpiredItems(t *testing.T) {
	ctx := context.Background()
	org, member, email := setup(t)
	login(t, org, email)
	login(t, org, email)
	send(t, org, email) // an unredeemed link
	const expired = 3 + 3 + 1

	restore := env.Clock.Advance(2 * time.Hour) // past the 60-minute links and sessions
	defer restore()
	live := login(t, org, email)

	stats, err := env.App.Store.DeleteExpired(ctx, env.Clock.Now(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Read != expired || stats.Deleted != expired || stats.Skipped != 0 || !stats.Done {
		t.Fatalf("want %d expired items read and deleted, got %+v", expired, stats)
	}
	sessions, err := env.App.Store.SessionsForMember(ctx, member)
	if err != nil || len(sessions) != 1 {
		t.Fatalf("want only the live session left, got %d (%v)", len(sessions), err)
	}
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/sessions/authenticate", map[string]any{"session_token": live}))

	again, err := env.App.Store.DeleteExpired(ctx, env.Clock.Now(), 1000)
	if err != nil || again.Read != 0 || again.Deleted != 0 {
		t.Fatalf("second run is not a no-op: %+v %v", again, err)
	}
}

// A session extended between the cleanup's read and its delete is not deleted: the delete is
// conditional on the item still being expired at the cleanup's clock.
func TestCleanupSparesExtendedSessions(t *testing.T) {
	ctx := context.Background()
	org, member, email := setup(t)
	token := login(t, org, email)
	// Extend the session to 10 hours; its old bucket entry is replaced by a new one.
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/sessions/authenticate", map[string]any{"session_token": token, "session_duration_minutes": 600}))
	restore := env.Clock.Advance(2 * time.Hour)
	defer restore()
	if _, err := env.App.Store.DeleteExpired(ctx, env.Clock.Now(), 1000); err != nil {
		t.Fatal(err)
	}
	sessions, _ := env.App.Store.SessionsForMember(ctx, member)
	if len(sessions) != 1 {
		t.Fatalf("extended session was deleted")
	}
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/sessions/authenticate", map[string]any{"session_token": token}))
}

func TestCleanupRespectsItsLimit(t *testing.T) {
	ctx := context.Background()
	org, _, email := setup(t)
	for range 3 {
		send(t, org, email)
	}
	restore := env.Clock.Advance(3 * time.Hour)
	defer restore()
	stats, err := env.App.Store.DeleteExpired(ctx, env.Clock.Now(), 2)
	if err != nil || stats.Read != 2 || stats.Done {
		t.Fatalf("limit 2: %+v %v", stats, err)
	}
	rest, err := env.App.Store.DeleteExpired(ctx, env.Clock.Now(), 1000)
	if err != nil || !rest.Done || rest.Read == 0 {
		t.Fatalf("the next run finishes the backlog: %+v %v", rest, err)
	}
}
