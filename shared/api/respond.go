package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	latchkey "github.com/latchkey/latchkey/shared"
)

// envelope is in every response, success or error, as in Stytch's.
type envelope struct {
	RequestID  string `json:"request_id"`
	StatusCode int    `json:"status_code"`
}

func (e *envelope) stamp(requestID string, status int) { e.RequestID, e.StatusCode = requestID, status }

type stamper interface {
	stamp(requestID string, status int)
}

type errorBody struct {
	envelope
	ErrorType    string         `json:"error_type"`
	ErrorMessage string         `json:"error_message"`
	ErrorURL     string         `json:"error_url"`
	ErrorDetails map[string]any `json:"error_details"`
}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, body stamper) {
	body.stamp(info(r).RequestID, status)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// writeError renders any error in Stytch's error shape. Only an *Error's message reaches the
// client; anything else is logged and answered with a generic 500.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := latchkey.AsError(err)
	in := info(r)
	in.ErrorType = e.Type
	if e.Cause != nil || e.Status >= 500 {
		in.Err = err
	}
	writeJSON(w, r, e.Status, &errorBody{ErrorType: e.Type, ErrorMessage: e.Message, ErrorURL: ErrorURL(e.Status, e.Type),
		ErrorDetails: map[string]any{}})
}

// ErrorURL is where Stytch documents an error, as its error bodies link it.
func ErrorURL(status int, errorType string) string {
	return "https://stytch.com/docs/api-reference/b2b/api/errors/" + strconv.Itoa(status) + "#" + errorType
}

// maxBody bounds request bodies; the largest legitimate body (an organization with full
// settings and metadata) is a few kilobytes.
const maxBody = 64 << 10

// decode reads a JSON body into v. An empty body is an empty object; unknown fields are
// ignored as Stytch does; malformed or oversized bodies are 400s.
func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return latchkey.Errorf(http.StatusBadRequest, "request_body_too_large", "The request body must be at most %d bytes.", maxBody)
	}
	if err != nil {
		return latchkey.Errorf(http.StatusBadRequest, latchkey.TypeBadRequest, "The request body could not be read.")
	}
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return latchkey.Errorf(http.StatusBadRequest, latchkey.TypeBadRequest, "%s has the wrong type: expected %s.", typeErr.Field, typeErr.Type)
		}
		return latchkey.Errorf(http.StatusBadRequest, latchkey.TypeBadRequest, "The request body is not valid JSON.")
	}
	return checkBodyKeyLengths(body)
}
