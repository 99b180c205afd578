package api

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/secret"
)

// SecretStore resolves a secret's hash to its project.
type SecretStore interface {
	ProjectForSecret(ctx context.Context, secretHash string) (string, error)
}

// ProjectAuth checks HTTP Basic project_id:secret. A verified secret is remembered for
// cacheFor, so authentication adds no DynamoDB read to most requests; a deleted secret stops
// working within that time.
type ProjectAuth struct {
	ProjectID string
	Secrets   SecretStore
	Now       func() time.Time

	cache sync.Map // secret hash -> time verified
}

const cacheFor = time.Minute

func unauthorized() *latchkey.Error {
	return latchkey.Errorf(http.StatusUnauthorized, latchkey.TypeUnauthorized, "Unauthorized credentials.")
}

// Check returns nil if the request carries valid credentials for this project.
func (a *ProjectAuth) Check(r *http.Request) error {
	id, pass, ok := r.BasicAuth()
	if !ok || pass == "" || !secret.Equal(id, a.ProjectID) {
		return unauthorized()
	}
	hash := secret.Hash(pass)
	if at, ok := a.cache.Load(hash); ok && a.Now().Sub(at.(time.Time)) < cacheFor {
		return nil
	}
	project, err := a.Secrets.ProjectForSecret(r.Context(), hash)
	if errors.Is(err, latchkey.ErrNotFound) || err == nil && !secret.Equal(project, a.ProjectID) {
		return unauthorized()
	}
	if err != nil {
		return err
	}
	a.cache.Store(hash, a.Now())
	return nil
}
