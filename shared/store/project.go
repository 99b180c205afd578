package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/guregu/dynamo/v2"

	latchkey "github.com/latchkey/latchkey/shared"

	"github.com/latchkey/latchkey/shared/secret"
	"github.com/latchkey/latchkey/shared/tokens"
)

const pkProject = "PROJECT"

type secretItem struct {
	PK        string    `dynamo:"pk"`
	SK        string    `dynamo:"sk"`
	ProjectID string    `dynamo:"project_id"`
	LastFour  string    `dynamo:"last_four"`
	CreatedAt time.Time `dynamo:"created_at"`
}

// PutProjectSecret stores a project secret by its hash. Idempotent.
func (s *Store) PutProjectSecret(ctx context.Context, projectID, value string, now time.Time) error {
	return wrap(s.table.Put(secretItem{pkProject, "SECRET#" + secret.Hash(value), projectID, secret.LastFour(value), now}).Run(ctx))
}

// ProjectForSecret returns the project a secret hash belongs to.
func (s *Store) ProjectForSecret(ctx context.Context, secretHash string) (string, error) {
	var it secretItem
	err := s.table.Get(AttrPK, pkProject).Range(AttrSK, dynamo.Equal, "SECRET#"+secretHash).Consistent(true).One(ctx, &it)
	return it.ProjectID, wrap(err)
}

// ProjectSecret describes a stored secret without it: only its hash is kept.
type ProjectSecret struct {
	Hash      string
	ProjectID string
	LastFour  string
	CreatedAt time.Time
}

// ProjectSecrets lists the project's stored secrets, oldest first.
func (s *Store) ProjectSecrets(ctx context.Context, projectID string) ([]ProjectSecret, error) {
	var items []secretItem
	err := s.table.Get(AttrPK, pkProject).Range(AttrSK, dynamo.BeginsWith, "SECRET#").
		Filter("$ = ?", "project_id", projectID).Consistent(true).All(ctx, &items)
	if err != nil {
		return nil, wrap(err)
	}
	out := make([]ProjectSecret, 0, len(items))
	for _, it := range items {
		out = append(out, ProjectSecret{strings.TrimPrefix(it.SK, "SECRET#"), it.ProjectID, it.LastFour, it.CreatedAt})
	}
	slices.SortFunc(out, func(a, b ProjectSecret) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// DeleteProjectSecret removes a secret by its hash; latchkey.ErrNotFound if it is not stored.
func (s *Store) DeleteProjectSecret(ctx context.Context, projectID, secretHash string) error {
	err := s.table.Delete(AttrPK, pkProject).Range(AttrSK, "SECRET#"+secretHash).
		If("attribute_exists($) AND $ = ?", AttrPK, "project_id", projectID).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return latchkey.ErrNotFound
	}
	return wrap(err)
}

type keyItem struct {
	PK         string    `dynamo:"pk"`
	SK         string    `dynamo:"sk"`
	Seq        int       `dynamo:"seq"`
	KID        string    `dynamo:"kid"`
	PrivatePEM string    `dynamo:"private_key_pem"`
	CreatedAt  time.Time `dynamo:"created_at"`
}

func keySK(seq int) string { return fmt.Sprintf("KEY#%06d", seq) }

// SigningKeys returns the stored signing keys, newest first.
func (s *Store) SigningKeys(ctx context.Context) ([]tokens.KeyRecord, error) {
	var items []keyItem
	err := s.table.Get(AttrPK, pkProject).Range(AttrSK, dynamo.BeginsWith, "KEY#").
		Order(dynamo.Descending).Consistent(true).All(ctx, &items)
	if err != nil {
		return nil, wrap(err)
	}
	out := make([]tokens.KeyRecord, 0, len(items))
	for _, it := range items {
		out = append(out, tokens.KeyRecord{Seq: it.Seq, KID: it.KID, PrivatePEM: it.PrivatePEM, CreatedAt: it.CreatedAt})
	}
	return out, nil
}

// AddSigningKey stores a key under its sequence number if that number is free.
func (s *Store) AddSigningKey(ctx context.Context, k tokens.KeyRecord) error {
	err := s.table.Put(keyItem{pkProject, keySK(k.Seq), k.Seq, k.KID, k.PrivatePEM, k.CreatedAt}).If(notExists).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return tokens.ErrKeyExists
	}
	return wrap(err)
}
