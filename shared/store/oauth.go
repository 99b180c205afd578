package store

import (
	"context"
	"time"

	"github.com/guregu/dynamo/v2"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/oauth"
)

var _ oauth.Store = (*Store)(nil)

// An OAuth flow's state, and its token, expire like other tokens (see expiring); the token
// shares the emailed tokens' key, so authn's Redeem consumes it as it consumes them.
type oauthStateItem struct {
	keys
	expiring
	oauth.State
	UsedAt *time.Time `dynamo:"used_at,omitempty"`
}

func oauthStatePK(hash string) string { return "OAUTHSTATE#" + hash }

func (s *Store) PutOAuthState(ctx context.Context, st oauth.State) error {
	pk := oauthStatePK(st.Hash)
	exp, bucket, bsk := expiryKeys(pk, st.ExpiresAt)
	return wrap(s.table.Put(oauthStateItem{keys: keys{PK: pk, SK: "OAUTHSTATE", GSI1PK: bucket, GSI1SK: bsk}, expiring: exp, State: st}).
		If(notExists).Run(ctx))
}

func (s *Store) OAuthState(ctx context.Context, hash string) (oauth.State, error) {
	var it oauthStateItem
	err := s.table.Get(AttrPK, oauthStatePK(hash)).Range(AttrSK, dynamo.Equal, "OAUTHSTATE").Consistent(true).One(ctx, &it)
	if err == nil && it.UsedAt != nil {
		return oauth.State{}, latchkey.ErrNotFound
	}
	return it.State, wrap(err)
}

type oauthTokenItem struct {
	keys
	expiring
	Kind string `dynamo:"Kind"`
	oauth.Token
	UsedAt *time.Time `dynamo:"used_at,omitempty"`
}

const oauthTokenKind = "oauth"

func (s *Store) CompleteOAuthCallback(ctx context.Context, stateHash string, tok oauth.Token, now time.Time) error {
	t := &tx{}
	t.update(s.table.Update(AttrPK, oauthStatePK(stateHash)).Range(AttrSK, "OAUTHSTATE").Set("used_at", now).
		If("attribute_exists(pk) AND attribute_not_exists(used_at) AND exp > ?", now.Unix()), oauth.ConflictState)
	pk := tokenPK(tok.Hash)
	exp, bucket, bsk := expiryKeys(pk, tok.ExpiresAt)
	t.put(s.table.Put(oauthTokenItem{keys: keys{PK: pk, SK: "TOKEN", GSI1PK: bucket, GSI1SK: bsk}, expiring: exp, Kind: oauthTokenKind, Token: tok}).
		If(notExists), latchkey.ConflictExists)
	return s.run(ctx, t)
}

func (s *Store) OAuthToken(ctx context.Context, hash string) (oauth.Token, error) {
	var it oauthTokenItem
	err := s.table.Get(AttrPK, tokenPK(hash)).Range(AttrSK, dynamo.Equal, "TOKEN").Consistent(true).One(ctx, &it)
	if err == nil && (it.UsedAt != nil || it.Kind != oauthTokenKind) {
		return oauth.Token{}, latchkey.ErrNotFound
	}
	return it.Token, wrap(err)
}

// A member's provider tokens live in its organization's partition, one item per provider.
type providerTokensItem struct {
	keys
	oauth.ProviderTokens
}

func providerTokensSK(memberID, provider string) string {
	return "OAUTHTOKENS#" + memberID + "#" + provider
}

func (s *Store) PutProviderTokens(ctx context.Context, p oauth.ProviderTokens) error {
	return wrap(s.table.Put(providerTokensItem{keys{PK: orgPK(p.OrganizationID), SK: providerTokensSK(p.MemberID, p.Provider)}, p}).Run(ctx))
}

func (s *Store) ProviderTokens(ctx context.Context, orgID, memberID, provider string) (oauth.ProviderTokens, error) {
	var it providerTokensItem
	err := s.table.Get(AttrPK, orgPK(orgID)).Range(AttrSK, dynamo.Equal, providerTokensSK(memberID, provider)).Consistent(true).One(ctx, &it)
	return it.ProviderTokens, wrap(err)
}
