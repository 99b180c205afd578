package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/guregu/dynamo/v2"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/sso"
)

var _ sso.Store = (*Store)(nil)

// An SSO connection lives in its organization's partition; gsi2 finds it by id alone, which
// is all a callback URL names. The index is eventually consistent, so the callback's
// transaction checks the connection's Version on the table: a connection deleted or changed a
// moment before cannot complete a login.
type ssoConnItem struct {
	keys
	sso.Connection
	changeSource
}

func ssoConnSK(id string) string  { return "SSOCONN#" + id }
func ssoConnGSI(id string) string { return "SSOCONN#" + id }

func newSSOConnItem(ctx context.Context, c sso.Connection) ssoConnItem {
	return ssoConnItem{keys{PK: orgPK(c.OrganizationID), SK: ssoConnSK(c.ConnectionID), GSI2PK: ssoConnGSI(c.ConnectionID), GSI2SK: "SSOCONN"}, c, sourceOf(ctx)}
}

func (s *Store) CreateSSOConnection(ctx context.Context, c sso.Connection) error {
	c.Version = 1
	t := &tx{}
	t.check(s.table.Check(AttrPK, orgPK(c.OrganizationID)).Range(AttrSK, skOrg).If("attribute_exists(pk)"), latchkey.ConflictOrganization)
	t.put(s.table.Put(newSSOConnItem(ctx, c)).If(notExists), latchkey.ConflictExists)
	return s.run(ctx, t)
}

// orgMirror writes the organization as the SSO change leaves it, conditional on the version
// it was read at, so a concurrent organization update retries rather than overwrite it.
func (s *Store) orgMirror(ctx context.Context, t *tx, org latchkey.Organization) {
	next := org
	next.Version = org.Version + 1
	t.put(s.table.Put(newOrgItem(ctx, next)).If("Version = ?", org.Version), latchkey.ConflictVersion)
}

func (s *Store) SaveSSOConnection(ctx context.Context, prev, next sso.Connection, org *latchkey.Organization) error {
	next.Version = prev.Version + 1
	t := &tx{}
	t.put(s.table.Put(newSSOConnItem(ctx, next)).If("Version = ?", prev.Version), sso.ConflictConnection)
	if org != nil {
		s.orgMirror(ctx, t, *org)
	}
	return s.run(ctx, t)
}

func (s *Store) DeleteSSOConnection(ctx context.Context, c sso.Connection, org latchkey.Organization) error {
	t := &tx{}
	t.delete(s.table.Delete(AttrPK, orgPK(c.OrganizationID)).Range(AttrSK, ssoConnSK(c.ConnectionID)).If("Version = ?", c.Version), sso.ConflictConnection)
	s.orgMirror(ctx, t, org)
	return s.run(ctx, t)
}

func (s *Store) SSOConnection(ctx context.Context, orgID, connectionID string) (sso.Connection, error) {
	var it ssoConnItem
	err := s.table.Get(AttrPK, orgPK(orgID)).Range(AttrSK, dynamo.Equal, ssoConnSK(connectionID)).Consistent(true).One(ctx, &it)
	return it.Connection, wrap(err)
}

func (s *Store) SSOConnections(ctx context.Context, orgID string) ([]sso.Connection, error) {
	var items []ssoConnItem
	err := s.table.Get(AttrPK, orgPK(orgID)).Range(AttrSK, dynamo.BeginsWith, "SSOCONN#").Consistent(true).All(ctx, &items)
	out := make([]sso.Connection, 0, len(items))
	for _, it := range items {
		out = append(out, it.Connection)
	}
	return out, wrap(err)
}

func (s *Store) SSOConnectionByID(ctx context.Context, connectionID string) (sso.Connection, error) {
	var items []ssoConnItem
	err := s.table.Get(AttrGSI2PK, ssoConnGSI(connectionID)).Index(IndexGSI2).Range(AttrGSI2SK, dynamo.Equal, "SSOCONN").
		Limit(1).All(ctx, &items)
	if err = wrap(err); err != nil {
		return sso.Connection{}, err
	}
	if len(items) == 0 {
		return sso.Connection{}, latchkey.ErrNotFound
	}
	return items[0].Connection, nil
}

// The state of a browser flow, and the SSO token, expire like other tokens (see expiring).
type ssoStateItem struct {
	keys
	expiring
	sso.State
	UsedAt *time.Time `dynamo:"used_at,omitempty"`
}

func ssoStatePK(hash string) string { return "SSOSTATE#" + hash }

func (s *Store) PutSSOState(ctx context.Context, st sso.State) error {
	pk := ssoStatePK(st.Hash)
	exp, bucket, bsk := expiryKeys(pk, st.ExpiresAt)
	return wrap(s.table.Put(ssoStateItem{keys: keys{PK: pk, SK: "SSOSTATE", GSI1PK: bucket, GSI1SK: bsk}, expiring: exp, State: st}).
		If(notExists).Run(ctx))
}

func (s *Store) SSOState(ctx context.Context, hash string) (sso.State, error) {
	var it ssoStateItem
	err := s.table.Get(AttrPK, ssoStatePK(hash)).Range(AttrSK, dynamo.Equal, "SSOSTATE").Consistent(true).One(ctx, &it)
	if err == nil && it.UsedAt != nil {
		return sso.State{}, latchkey.ErrNotFound
	}
	return it.State, wrap(err)
}

// The SSO token shares the emailed tokens' key (TOKEN#<sha256>), so authn's Redeem consumes it
// as it consumes them; its kind keeps the other ways in from redeeming it.
type ssoTokenItem struct {
	keys
	expiring
	Kind string `dynamo:"Kind"`
	sso.Token
	UsedAt *time.Time `dynamo:"used_at,omitempty"`
}

const ssoTokenKind = "sso"

// A SAML assertion id, kept until its assertion expires, so a captured response cannot be
// posted again.
type ssoReplayItem struct {
	keys
	expiring
}

func ssoReplaySK(connectionID, assertionID string) string {
	sum := sha256.Sum256([]byte(assertionID))
	return "SAMLASSERT#" + connectionID + "#" + hex.EncodeToString(sum[:])
}

func (s *Store) CompleteSSOCallback(ctx context.Context, cb sso.Completion) error {
	c := cb.Connection
	t := &tx{}
	t.check(s.table.Check(AttrPK, orgPK(c.OrganizationID)).Range(AttrSK, ssoConnSK(c.ConnectionID)).If("Version = ?", c.Version), sso.ConflictConnection)
	if cb.StateHash != "" {
		t.update(s.table.Update(AttrPK, ssoStatePK(cb.StateHash)).Range(AttrSK, "SSOSTATE").Set("used_at", cb.Now).
			If("attribute_exists(pk) AND attribute_not_exists(used_at) AND exp > ?", cb.Now.Unix()), sso.ConflictState)
	}
	if cb.AssertionID != "" {
		pk, sk := orgPK(c.OrganizationID), ssoReplaySK(c.ConnectionID, cb.AssertionID)
		exp, bucket, bsk := expiryKeys(pk+"#"+sk, cb.AssertionUntil)
		// An expired record may be overwritten: the assertion it names is expired too, and
		// verification refuses it before this write.
		t.put(s.table.Put(ssoReplayItem{keys{PK: pk, SK: sk, GSI1PK: bucket, GSI1SK: bsk}, exp}).
			If("attribute_not_exists(pk) OR exp < ?", cb.Now.Unix()), sso.ConflictReplay)
	}
	pk := tokenPK(cb.Token.Hash)
	exp, bucket, bsk := expiryKeys(pk, cb.Token.ExpiresAt)
	t.put(s.table.Put(ssoTokenItem{keys: keys{PK: pk, SK: "TOKEN", GSI1PK: bucket, GSI1SK: bsk}, expiring: exp, Kind: ssoTokenKind, Token: cb.Token}).
		If(notExists), latchkey.ConflictExists)
	return s.run(ctx, t)
}

func (s *Store) SSOToken(ctx context.Context, hash string) (sso.Token, error) {
	var it ssoTokenItem
	err := s.table.Get(AttrPK, tokenPK(hash)).Range(AttrSK, dynamo.Equal, "TOKEN").Consistent(true).One(ctx, &it)
	if err == nil && (it.UsedAt != nil || it.Kind != ssoTokenKind) {
		return sso.Token{}, latchkey.ErrNotFound
	}
	return it.Token, wrap(err)
}
