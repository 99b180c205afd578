// Package sessionmigrate is Sessions.Migrate: a way in for a person already logged in to the
// application's previous auth system. The caller passes that system's session token; its
// userinfo endpoint (project configuration, LATCHKEY_SESSION_MIGRATE_USERINFO_URL) says whose
// it is, and the email it names, when an existing member of the organization has it, gets a
// session through the one door (authn.Login) like any other proof of an address.
package sessionmigrate

import (
	"context"
	"net/http"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/safehttp"
)

// Service migrates sessions of the previous auth system.
type Service struct {
	Auth  *authn.Service
	Clock latchkey.Clock
	// UserinfoURL is the previous system's userinfo endpoint; "" means the project has none,
	// and every migration is refused.
	UserinfoURL string
	// HTTP calls it: Client's, which enforces safehttp's policy.
	HTTP *http.Client
}

// Bounds of the call to the userinfo endpoint. A userinfo answer is a few hundred bytes; the
// whole call, connection included, fits well inside the sessions function's 15-second timeout.
const (
	Timeout  = 5 * time.Second
	MaxBytes = 64 << 10
	// MaxTokenLength bounds session_token: access tokens that are JWTs (Entra ID's, with
	// group claims) run to a few kilobytes, and the token goes out as a request header.
	MaxTokenLength = 8192
)

// Client is the HTTP client for the userinfo endpoint: safehttp's (no private, link-local or,
// unless allowLoopback, loopback targets; https only outside loopback), with Timeout and
// MaxBytes, and no redirects followed. A userinfo endpoint has no reason to redirect, and the
// request carries the person's bearer token.
func Client(allowLoopback bool) *http.Client {
	c := safehttp.Policy{AllowLoopback: allowLoopback, Timeout: Timeout, MaxBytes: MaxBytes}.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// MigrateRequest is the body of Sessions.Migrate.
type MigrateRequest struct {
	SessionToken           string         `json:"session_token"`
	OrganizationID         string         `json:"organization_id"`
	SessionDurationMinutes int            `json:"session_duration_minutes"`
	SessionCustomClaims    map[string]any `json:"session_custom_claims"`
}

// Migrate answers a session for the member of r.OrganizationID whose email the previous
// system's userinfo endpoint names for r.SessionToken, or an intermediate session when the
// organization wants a second factor. As Stytch documents, the member must exist: a migration
// never creates one, whatever the organization's JIT settings.
//
// The organization's policy applies as to any login, with one rule of its own: under
// auth_methods RESTRICTED a migration is refused (breakglass members excepted), as a magic
// link or password is when the organization leaves it out. A migrated session satisfies no
// allowed_auth_methods value (latchkey.MethodSessionMigration), and answering an intermediate
// session instead would hand the caller a token stytch-go's MigrateResponse cannot show.
func (s *Service) Migrate(ctx context.Context, r MigrateRequest) (authn.Result, error) {
	var res authn.Result
	switch {
	case r.OrganizationID == "":
		return res, latchkey.BadRequest(latchkey.TypeBadRequest, "organization_id is required.")
	case r.SessionToken == "":
		return res, latchkey.BadRequest(latchkey.TypeBadRequest, "session_token is required.")
	case len(r.SessionToken) > MaxTokenLength:
		return res, latchkey.BadRequest(latchkey.TypeBadRequest, "session_token is longer than %d characters.", MaxTokenLength)
	case !headerSafe(r.SessionToken):
		return res, latchkey.BadRequest(latchkey.TypeBadRequest,
			"session_token may hold only visible ASCII characters: it is sent to the userinfo endpoint as a bearer token.")
	}
	duration, err := authn.SessionOptions(r.SessionDurationMinutes, r.SessionCustomClaims)
	if err != nil {
		return res, err
	}
	if s == nil || s.UserinfoURL == "" {
		return res, notConfigured()
	}
	email, err := s.userinfo(ctx, r.SessionToken)
	if err != nil {
		return res, err
	}
	f := latchkey.FactorSessionMigration.ProvedIn(email, r.OrganizationID, s.Clock.Now())
	return s.Auth.Login(ctx, authn.Attempt{OrganizationID: r.OrganizationID, Factors: []latchkey.AuthFactor{f},
		Duration: duration, Claims: r.SessionCustomClaims, Check: check})
}

// check is the migration's own condition on what the pipeline read: an existing member (no
// JIT), and an organization that does not restrict its methods, or a breakglass member.
func check(org latchkey.Organization, m *latchkey.Member) error {
	if m == nil {
		return latchkey.Errorf(http.StatusNotFound, "migrate_from_external_email_does_not_exist",
			"No member of the organization has the email address the userinfo endpoint returned. "+
				"Sessions.Migrate does not create members: create the member first.")
	}
	if org.AuthMethods == latchkey.Restricted && !m.IsBreakglass {
		return latchkey.BadRequest("operation_restricted_by_organization_auth_methods",
			"This organization restricts its authentication methods (auth_methods RESTRICTED), and a migrated session is none of "+
				"its allowed_auth_methods: log the member in with one of those.")
	}
	return nil
}

func notConfigured() *latchkey.Error {
	return latchkey.BadRequest("migrate_from_external_missing_userinfo",
		"This project has no userinfo endpoint for session migration: set LATCHKEY_SESSION_MIGRATE_USERINFO_URL "+
			"(CDK context sessionMigrateUserinfoUrl) to the previous auth system's userinfo URL.")
}

// headerSafe tells whether v can go in a request header as it is: visible ASCII, no spaces.
func headerSafe(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x21 || v[i] > 0x7e {
			return false
		}
	}
	return true
}
