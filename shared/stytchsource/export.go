// Package stytchsource reads a Stytch B2B project through Stytch's own API, with stytch-go,
// and writes it as JSON Lines for the importer (latchkey-migrate import --from stytch). It
// works against any base URL that speaks Stytch's wire format: Stytch's live or test API, or
// another Latchkey.
//
// The output is every organization first, in listing order:
//
//	{"type":"organization","organization":{…}}
//
// then, for each organization in the same order, its SSO connections, its SCIM connection and
// its members (the deleted ones last, if asked for):
//
//	{"type":"sso_connection","organization_id":"…","saml_connection":{…}}
//	{"type":"sso_connection","organization_id":"…","oidc_connection":{…}}
//	{"type":"sso_connection","organization_id":"…","external_connection":{…}}
//	{"type":"scim_connection","organization_id":"…","scim_connection":{…}}
//	{"type":"member","member":{…}}
//
// Every object is Stytch's wire shape as the API returned it (see NewClient). What the API
// never shows cannot be exported: password hashes, TOTP secrets, OIDC client secrets, SAML
// signing private keys and SCIM bearer tokens; Stats.NotExported counts them.
package stytchsource

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
)

// The "type" of each line.
const (
	TypeOrganization   = "organization"
	TypeMember         = "member"
	TypeSSOConnection  = "sso_connection"
	TypeSCIMConnection = "scim_connection"
)

// Search limits as Stytch documents them.
const (
	MaxPageSize = 1000
	// maxFilterValues is how many organization ids one search names; Latchkey takes at most
	// 100 values per filter.
	maxFilterValues = 100
)

// Options shape one export.
type Options struct {
	// PageSize is the search limit, 1 to 1000; 0 means 1000.
	PageSize int
	// IncludeDeletedMembers adds members whose status is "deleted". Stytch's Members.Search
	// leaves them out unless the query filters on statuses, so they are read by a second
	// search per organization and follow the others.
	IncludeDeletedMembers bool
	// OrganizationIDs, if set, reads only these organizations (ids, not slugs); an id that
	// is not found fails the export.
	OrganizationIDs []string
	// After resumes after this organization id, in listing order: pass the previous part's
	// Stats.LastOrganizationID. An After that is no longer listed fails the export rather than
	// start again from the top.
	After string
	// MaxOrganizations ends the part after this many organizations (0: no limit). Each part
	// is complete in itself: its organizations, then their connections and members.
	MaxOrganizations int
	// Concurrency is how many organizations' connections and members are read at once; 0
	// means 4, at most 16. The output order does not depend on it.
	Concurrency int
	Retry       Retry
}

// Stats says what an export read and wrote.
type Stats struct {
	Organizations       int            `json:"organizations"`
	Members             int            `json:"members"`
	MembersByStatus     map[string]int `json:"members_by_status"`
	SAMLConnections     int            `json:"saml_connections"`
	OIDCConnections     int            `json:"oidc_connections"`
	ExternalConnections int            `json:"external_connections"`
	SCIMConnections     int            `json:"scim_connections"`

	OrganizationPages int `json:"organization_pages"` // Organizations.Search pages
	MemberPages       int `json:"member_pages"`       // Members.Search pages
	Requests          int `json:"requests"`           // HTTP requests, retries included
	Retries           int `json:"retries"`

	// Skipped lists what was not written and why, in output order.
	Skipped []Skip `json:"skipped,omitempty"`
	// NotExported counts secrets the API does not show.
	NotExported NotExported `json:"not_exported"`
	// Reencoded counts objects written from stytch-go's structs rather than the server's
	// bytes, because the client was not built by NewClient. Such objects lack fields stytch-go
	// v18 does not know, and empty lists and false booleans (omitempty).
	Reencoded int `json:"reencoded"`

	// LastOrganizationID is the last organization written: Options.After for the next part.
	LastOrganizationID string `json:"last_organization_id"`
	// Complete is true when the listing ended within this part (no MaxOrganizations cut).
	Complete bool `json:"complete"`
}

// Skip is something not written.
type Skip struct {
	Type           string `json:"type"` // the line type it would have been
	OrganizationID string `json:"organization_id"`
	ID             string `json:"id"` // member or organization id, when known
	Reason         string `json:"reason"`
}

// NotExported counts what the source holds but its API never returns, so the importer cannot
// bring it across: members must set a password or enrol TOTP again, and each SSO and SCIM
// connection must be re-pointed at the new URLs with a new secret anyway.
type NotExported struct {
	Passwords          int `json:"passwords"`            // members with a member_password_id: the hash stays at the source
	TOTPs              int `json:"totps"`                // members with a totp_registration_id: the TOTP secret stays
	OIDCClientSecrets  int `json:"oidc_client_secrets"`  // OIDC connections: client_secret is returned empty
	SAMLSigningKeys    int `json:"saml_signing_keys"`    // SAML connections with a signing certificate: its private key is never returned
	SAMLEncryptionKeys int `json:"saml_encryption_keys"` // SAML encryption keys listed without private_key
	SCIMBearerTokens   int `json:"scim_bearer_tokens"`   // SCIM connections: only bearer_token_last_four is returned
}

// Export reads the project behind client and writes it to w as JSON Lines. It returns what it
// read even when it fails; the output is then a truncated prefix.
func Export(ctx context.Context, client *b2bstytchapi.API, w io.Writer, opts Options) (Stats, error) {
	x, err := newExporter(client, opts)
	if err != nil {
		return Stats{}, err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	err = x.run(ctx, bw)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	x.stats.Requests = int(x.requests.Load())
	x.stats.Retries = int(x.retries.Load())
	x.stats.OrganizationPages = int(x.orgPages.Load())
	x.stats.MemberPages = int(x.memberPages.Load())
	return x.stats, err
}

type exporter struct {
	c     *b2bstytchapi.API
	opts  Options
	retry Retry
	stats Stats

	requests, retries, orgPages, memberPages atomic.Int64
}

func newExporter(c *b2bstytchapi.API, o Options) (*exporter, error) {
	switch {
	case c == nil:
		return nil, errors.New("stytchsource: no client")
	case o.PageSize < 0 || o.PageSize > MaxPageSize:
		return nil, fmt.Errorf("stytchsource: page size %d is not between 1 and %d", o.PageSize, MaxPageSize)
	case o.MaxOrganizations < 0 || o.Concurrency < 0:
		return nil, errors.New("stytchsource: MaxOrganizations and Concurrency cannot be negative")
	}
	if o.PageSize == 0 {
		o.PageSize = MaxPageSize
	}
	if o.Concurrency == 0 {
		o.Concurrency = 4
	}
	o.Concurrency = min(o.Concurrency, 16)
	return &exporter{c: c, opts: o, retry: o.Retry.withDefaults(), stats: Stats{MembersByStatus: map[string]int{}}}, nil
}

func (x *exporter) run(ctx context.Context, w io.Writer) error {
	ids, err := x.organizations(ctx, w)
	if err != nil {
		return err
	}
	return x.details(ctx, w, ids)
}
