package sessionmigrate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/safehttp"
)

// userinfo asks the previous system's userinfo endpoint whose token this is (OIDC Core §5.3:
// GET with the token as a bearer token) and returns the email it names, normalized.
//
// What the answer means:
//   - 200 with a JSON object holding "email": that address. "email_verified" false (or
//     "false", as some providers send it), or any value that is not true, refuses it; absent,
//     the address counts. The endpoint is the application's own previous system, which
//     vouches for its users' addresses, and Stytch asks only for "a valid email address".
//   - 401 or 403: the system does not know the token (expired, revoked, never issued), which is
//     the caller's: 404 session_not_found, as for a Stytch session token.
//   - 5xx, 429, a timeout or no connection: the system is unavailable, and the same call may
//     work later: 503 server_unavailable.
//   - anything else (another status, a redirect, a body that is not a JSON object or is too
//     large, an address safehttp refuses): 400 migrate_from_external_unexpected_response.
//
// Nothing of the answer's body reaches the client or the log, only its status.
func (s *Service) userinfo(ctx context.Context, token string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.UserinfoURL, nil)
	if err != nil {
		return "", latchkey.Internal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := s.HTTP.Do(req)
	switch {
	case errors.Is(err, safehttp.ErrRefused):
		// The URL resolved to an address no customer URL may reach, or the answer announced a
		// body past MaxBytes: trying again will not help. The log has which.
		return "", unexpected("Latchkey may not use its address or its answer", err)
	case err != nil:
		return "", unavailable(err)
	}
	defer resp.Body.Close()
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return "", latchkey.Errorf(http.StatusNotFound, "session_not_found",
			"The previous auth system did not accept this session_token: its userinfo endpoint answered %d.", code)
	case code >= 500 || code == http.StatusTooManyRequests:
		return "", unavailable(fmt.Errorf("userinfo answered %s", resp.Status))
	case code != http.StatusOK:
		return "", unexpected(fmt.Sprintf("it answered %d", code), nil)
	}
	body, err := io.ReadAll(resp.Body)
	switch {
	case errors.Is(err, safehttp.ErrRefused):
		return "", unexpected(fmt.Sprintf("its answer is larger than %d bytes", MaxBytes), err)
	case err != nil:
		return "", unavailable(err)
	}
	return emailOf(body)
}

// emailOf reads the address out of a userinfo answer.
func emailOf(body []byte) (string, error) {
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimSpace(body), &claims); err != nil || claims == nil {
		return "", unexpected("its answer is not a JSON object", err)
	}
	var raw string
	if json.Unmarshal(claims["email"], &raw) != nil || strings.TrimSpace(raw) == "" {
		return "", latchkey.BadRequest("oidc_response_email_missing", "The userinfo endpoint's answer has no email.")
	}
	if v, ok := claims["email_verified"]; ok && !verified(v) {
		return "", latchkey.BadRequest("oidc_response_unverified_email",
			"The userinfo endpoint says the email address is not verified (email_verified is not true).")
	}
	email, err := latchkey.NormalizeEmail(raw)
	if err != nil {
		return "", latchkey.BadRequest("oidc_response_email_missing", "The userinfo endpoint's email is not a usable address.")
	}
	return email, nil
}

// verified reads an email_verified claim: true, or the string "true" (Cognito and older Entra
// ID send strings). null, false and anything else are not.
func verified(v json.RawMessage) bool {
	var b bool
	if json.Unmarshal(v, &b) == nil {
		return b
	}
	var s string
	return json.Unmarshal(v, &s) == nil && strings.EqualFold(s, "true")
}

func unavailable(cause error) *latchkey.Error {
	e := latchkey.Errorf(http.StatusServiceUnavailable, "server_unavailable",
		"The previous auth system's userinfo endpoint could not be reached or is failing. Please try again.")
	e.Cause = cause
	return e
}

func unexpected(what string, cause error) *latchkey.Error {
	e := latchkey.BadRequest("migrate_from_external_unexpected_response",
		"The previous auth system's userinfo endpoint did not answer with userinfo: %s.", what)
	e.Cause = cause
	return e
}
