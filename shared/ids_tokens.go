package latchkey

import (
	"net/http"

	"github.com/google/uuid"
)

func UUIDOf(id string) (uuid.UUID, error) {
	if len(id) < 36 {
		return uuid.UUID{}, Internal(errInvalidID)
	}
	return uuid.Parse(id[len(id)-36:])
}

var errInvalidID = &Error{Status: http.StatusInternalServerError, Type: "internal_server_error", Message: "invalid id"}
