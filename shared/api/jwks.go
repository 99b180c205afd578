package api

import (
	"net/http"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/tokens"
)

type jwksResponse struct {
	envelope
	Keys []tokens.JWK `json:"keys"`
}

func (s *Server) jwks(r *http.Request) (stamper, error) {
	if r.PathValue("project_id") != s.ProjectID {
		return nil, latchkey.Errorf(http.StatusNotFound, "project_not_found", "Project could not be found.")
	}
	keys, err := s.Keys.JWKS(r.Context())
	if err != nil {
		return nil, err
	}
	return &jwksResponse{Keys: keys}, nil
}
