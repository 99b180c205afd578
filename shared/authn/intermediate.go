package authn

import (
	"context"
	"errors"
	"net/http"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/secret"
)

// IntermediateSession proves a verified email (and factors) before the person is fully in an
// organization: MFA is still needed, or they have yet to choose one.
type IntermediateSession struct {
	Hash           string
	Email          string
	OrganizationID string
	MemberID       string
	Factors        []latchkey.AuthFactor
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// IntermediateSessionLifetime bounds how long a verified email may wait to pick an
// organization or finish MFA.
const IntermediateSessionLifetime = 10 * time.Minute

// IntermediateSessionNotFound covers unknown, used and expired intermediate sessions.
func IntermediateSessionNotFound() *latchkey.Error {
	return latchkey.Errorf(http.StatusNotFound, "intermediate_session_not_found", "Intermediate session could not be found: it is invalid, expired or already used.")
}

// Intermediate finds a live, unused intermediate session by its token.
func (a *Service) Intermediate(ctx context.Context, token string) (IntermediateSession, error) {
	if token == "" {
		return IntermediateSession{}, latchkey.BadRequest(latchkey.TypeBadRequest, "intermediate_session_token is required.")
	}
	ist, err := a.Store.IntermediateSession(ctx, secret.Hash(token))
	if errors.Is(err, latchkey.ErrNotFound) || err == nil && !a.Clock.Now().Before(ist.ExpiresAt) {
		return ist, IntermediateSessionNotFound()
	}
	return ist, err
}
