package scim

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/secret"
)

// SCIM runs SCIM connections (Stytch's connection management API) and the provisioning they
// allow: an identity provider holding a connection's bearer token creates, updates and
// deactivates members of that connection's organization, and of no other.
type Service struct {
	// Sessions revokes a deprovisioned member's sessions.
	Sessions *authn.Service
	Store    Store
	Clock    latchkey.Clock
	IDs      latchkey.IDs
	// BaseURL is where this deployment is reached (LATCHKEY_BASE_URL); a connection's SCIM
	// base URL is BaseURL/scim/v2/<connection_id>.
	BaseURL string
}

// Connection is an organization's SCIM connection. Only hashes of its bearer tokens are
// kept; the tokens themselves are shown once, when issued.
type Connection struct {
	OrganizationID   string
	ConnectionID     string
	Status           string
	DisplayName      string
	IdentityProvider string
	GroupRoles       []latchkey.SCIMGroupRole
	TokenHash        string
	TokenLastFour    string
	// The next token, between rotate/start and rotate/complete or cancel; both tokens work.
	NextTokenHash     string
	NextTokenLastFour string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Version           int
}

// ConnectionPatch is the body of SCIM.Connection.Update; nil means absent.
type ConnectionPatch struct {
	DisplayName      *string                   `json:"display_name"`
	IdentityProvider *string                   `json:"identity_provider"`
	GroupRoles       *[]latchkey.SCIMGroupRole `json:"scim_group_implicit_role_assignments"`
}

// ConnectionActive is the only status a stored connection has; deleting removes it.
const ConnectionActive = "active"

// IdentityProviderEntra is Microsoft Entra ID, whose base URL carries Microsoft's flag for
// RFC-compliant SCIM behaviour, as Stytch's does.
const IdentityProviderEntra = "microsoft-entra"

var scimIdentityProviders = []string{"generic", "okta", IdentityProviderEntra, "cyberark", "jumpcloud",
	"onelogin", "pingfederate", "rippling"}

// Conflicts specific to SCIM writes.
const (
	ConflictSCIMConnection = "scim_connection"
	ConflictSCIMUserName   = "scim_user_name"
	ConflictSCIMGroupName  = "scim_group_name"
	ConflictMember         = "member"
)

// Summary is what the organization shows as scim_active_connection.
func (c Connection) Summary() latchkey.SCIMConnectionSummary {
	return latchkey.SCIMConnectionSummary{ConnectionID: c.ConnectionID, DisplayName: c.DisplayName,
		BearerTokenLastFour: c.TokenLastFour, GroupRoles: c.GroupRoles}
}

// SCIM bearer tokens name their organization (16 bytes of its id) before 256 random bits, so
// authenticating one is a single GetItem of the connection in the organization's partition:
// no pointer item outside the partition that could outlive the organization. Only the hash of
// the whole token is stored; the organization id in it is no secret.
const scimTokenBytes = 16 + 32

// NewToken returns a bearer token for a connection of the organization, and its hash.
func NewToken(orgID string) (token, hash string, err error) {
	ou, err := latchkey.UUIDOf(orgID)
	if err != nil {
		return "", "", err
	}
	b := make([]byte, scimTokenBytes)
	copy(b, ou[:])
	_, _ = rand.Read(b[16:])
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, secret.Hash(token), nil
}

// ParseToken recovers the organization a bearer token belongs to.
func ParseToken(i latchkey.IDs, token string) (orgID string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != scimTokenBytes {
		return "", false
	}
	ou, _ := uuid.FromBytes(b[:16])
	return "organization-" + i.Env + "-" + ou.String(), true
}

func scimConnectionNotFound() *latchkey.Error {
	return latchkey.Errorf(http.StatusNotFound, "scim_connection_not_found", "SCIM connection could not be found.")
}

func scimUnauthorized() *latchkey.Error {
	return latchkey.Errorf(http.StatusUnauthorized, latchkey.TypeUnauthorized, "The bearer token is not valid for this SCIM connection.")
}

// SCIMEndpoint is the connection's SCIM 2.0 base URL, where the identity provider sends
// requests.
func (s *Service) SCIMEndpoint(connectionID string) string {
	return strings.TrimRight(s.BaseURL, "/") + "/scim/v2/" + connectionID
}

// ConnectionBaseURL is the base_url the API returns: the SCIM endpoint, with Microsoft's
// ?aadOptscim062020 flag for Entra ID (Entra then sends booleans as booleans and PATCH
// operations as RFC 7644 says), as Stytch does.
func (s *Service) ConnectionBaseURL(c Connection) string {
	u := s.SCIMEndpoint(c.ConnectionID)
	if c.IdentityProvider == IdentityProviderEntra {
		u += "?aadOptscim062020"
	}
	return u
}

func validateConnection(c Connection) error {
	switch {
	case len(c.DisplayName) > latchkey.MaxNameLength:
		return latchkey.BadRequest("invalid_display_name", "display_name must be at most %d characters.", latchkey.MaxNameLength)
	case !slices.Contains(scimIdentityProviders, c.IdentityProvider):
		return latchkey.BadRequest("invalid_scim_idp", "identity_provider must be one of %s.", strings.Join(scimIdentityProviders, ", "))
	case len(c.GroupRoles) > latchkey.MaxListLength:
		return latchkey.BadRequest("invalid_scim_group_implicit_role_assignments", "At most %d role assignments are allowed.", latchkey.MaxListLength)
	}
	for _, a := range c.GroupRoles {
		if !latchkey.ValidRoleID(a.RoleID) || a.RoleID == latchkey.RoleMember || !latchkey.LooksLike("scim-group", a.GroupID) {
			return latchkey.BadRequest("invalid_scim_group_implicit_role_assignments",
				"Each assignment needs the group_id of a SCIM group and a role_id other than stytch_member.")
		}
	}
	return nil
}

// CreateConnection creates the organization's SCIM connection (an organization has at most
// one) and returns it with its bearer token, which is shown only now.
func (s *Service) CreateConnection(ctx context.Context, orgID, displayName, idp string) (Connection, string, error) {
	org, err := s.Store.Organization(ctx, orgID)
	if err != nil {
		return Connection{}, "", latchkey.OrgErr(err)
	}
	if org.SCIMActiveConnection != nil {
		return Connection{}, "", scimConnectionExists()
	}
	now := s.Clock.Now()
	c := Connection{OrganizationID: org.OrganizationID, ConnectionID: s.IDs.New("scim-connection"),
		Status: ConnectionActive, DisplayName: strings.TrimSpace(displayName),
		IdentityProvider: strings.TrimSpace(idp), CreatedAt: now, UpdatedAt: now}
	if c.IdentityProvider == "" {
		c.IdentityProvider = "generic"
	}
	if err := validateConnection(c); err != nil {
		return c, "", err
	}
	token, hash, err := NewToken(org.OrganizationID)
	if err != nil {
		return c, "", err
	}
	c.TokenHash, c.TokenLastFour = hash, secret.LastFour(token)
	err = s.Store.CreateSCIMConnection(ctx, c)
	if on := latchkey.ConflictOn(err); on != "" {
		if on == ConflictSCIMConnection {
			// Another connection was created at the same moment, or the organization is gone.
			if _, oerr := s.Store.Organization(ctx, orgID); errors.Is(oerr, latchkey.ErrNotFound) {
				return c, "", latchkey.OrganizationNotFound()
			}
			return c, "", scimConnectionExists()
		}
		return c, "", latchkey.Internal(err)
	}
	if err != nil {
		return c, "", err
	}
	c.Version = 1
	return c, token, nil
}

func scimConnectionExists() *latchkey.Error {
	return latchkey.BadRequest("active_scim_connection_exists",
		"The organization already has a SCIM connection; an organization may have only one.")
}

// Connection returns the organization's SCIM connection, with the names of the groups its
// role assignments name.
func (s *Service) Connection(ctx context.Context, orgID string) (Connection, error) {
	cs, err := s.Store.SCIMConnections(ctx, orgID)
	if err != nil {
		return Connection{}, err
	}
	if len(cs) == 0 {
		if _, err := s.Store.Organization(ctx, orgID); err != nil {
			return Connection{}, latchkey.OrgErr(err)
		}
		return Connection{}, scimConnectionNotFound()
	}
	c := cs[0]
	return c, s.nameGroups(ctx, &c)
}

// nameGroups fills in GroupName on the connection's role assignments.
func (s *Service) nameGroups(ctx context.Context, c *Connection) error {
	if len(c.GroupRoles) == 0 {
		c.GroupRoles = []latchkey.SCIMGroupRole{}
		return nil
	}
	ids := make([]string, 0, len(c.GroupRoles))
	for _, a := range c.GroupRoles {
		ids = append(ids, a.GroupID)
	}
	groups, err := s.Store.SCIMGroups(ctx, c.OrganizationID, ids)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, g := range groups {
		if g.ConnectionID == c.ConnectionID {
			names[g.GroupID] = g.DisplayName
		}
	}
	for i := range c.GroupRoles {
		c.GroupRoles[i].GroupName = names[c.GroupRoles[i].GroupID]
	}
	return nil
}

// connection reads one connection of the organization.
func (s *Service) connection(ctx context.Context, orgID, connectionID string) (Connection, error) {
	if !latchkey.LooksLike("scim-connection", connectionID) {
		return Connection{}, scimConnectionNotFound()
	}
	c, err := s.Store.SCIMConnection(ctx, orgID, connectionID)
	if errors.Is(err, latchkey.ErrNotFound) {
		if _, oerr := s.Store.Organization(ctx, orgID); errors.Is(oerr, latchkey.ErrNotFound) {
			return c, latchkey.OrganizationNotFound()
		}
		return c, scimConnectionNotFound()
	}
	return c, err
}

// changeConnection is the read-modify-write loop of every connection change. summary says
// whether the change shows in the organization's scim_active_connection.
func (s *Service) changeConnection(ctx context.Context, orgID, connectionID string, summary bool,
	change func(Connection) (Connection, error)) (Connection, error) {
	for attempt := range latchkey.MaxAttempts {
		latchkey.Backoff(ctx, attempt)
		prev, err := s.connection(ctx, orgID, connectionID)
		if err != nil {
			return prev, err
		}
		next, err := change(prev)
		if err != nil {
			return prev, err
		}
		next.UpdatedAt = s.Clock.Now()
		if err := validateConnection(next); err != nil {
			return prev, err
		}
		err = s.Store.ReplaceSCIMConnection(ctx, prev, next, summary)
		switch latchkey.ConflictOn(err) {
		case "":
			if err != nil {
				return prev, err
			}
			next.Version = prev.Version + 1
			return next, nil
		case latchkey.ConflictVersion, ConflictSCIMConnection:
			continue
		default:
			return prev, latchkey.Internal(err)
		}
	}
	return Connection{}, latchkey.ConcurrentUpdate()
}

// UpdateConnection changes the display name, identity provider and group role assignments.
// Every assigned group must be a group of this connection.
func (s *Service) UpdateConnection(ctx context.Context, orgID, connectionID string, p ConnectionPatch) (Connection, error) {
	var roles []latchkey.SCIMGroupRole
	if p.GroupRoles != nil {
		seen := map[latchkey.SCIMGroupRole]bool{}
		ids := []string{}
		for _, a := range *p.GroupRoles {
			a = latchkey.SCIMGroupRole{RoleID: strings.TrimSpace(a.RoleID), GroupID: strings.TrimSpace(a.GroupID)}
			if !seen[a] {
				seen[a] = true
				roles = append(roles, a)
				ids = append(ids, a.GroupID)
			}
		}
		if err := validateConnection(Connection{IdentityProvider: "generic", GroupRoles: roles}); err != nil {
			return Connection{}, err
		}
		groups, err := s.Store.SCIMGroups(ctx, orgID, ids)
		if err != nil {
			return Connection{}, err
		}
		found := map[string]bool{}
		for _, g := range groups {
			found[g.GroupID] = g.ConnectionID == connectionID
		}
		for _, a := range roles {
			if !found[a.GroupID] {
				return Connection{}, latchkey.BadRequest("scim_group_role_assignment_group_does_not_exist",
					"SCIM group %s is not a group of this connection.", a.GroupID)
			}
		}
	}
	c, err := s.changeConnection(ctx, orgID, connectionID, true, func(c Connection) (Connection, error) {
		if p.DisplayName != nil {
			c.DisplayName = strings.TrimSpace(*p.DisplayName)
		}
		if p.IdentityProvider != nil {
			c.IdentityProvider = strings.TrimSpace(*p.IdentityProvider)
		}
		if p.GroupRoles != nil {
			c.GroupRoles = roles
		}
		return c, nil
	})
	if err != nil {
		return c, err
	}
	return c, s.nameGroups(ctx, &c)
}

// DeleteConnection removes the connection: its tokens stop working at once, the organization
// no longer shows it, and its groups (and the roles they gave) go with it. Members it
// provisioned stay.
func (s *Service) DeleteConnection(ctx context.Context, orgID, connectionID string) error {
	c, err := s.connection(ctx, orgID, connectionID)
	if err != nil {
		return err
	}
	err = s.Store.DeleteSCIMConnection(ctx, c)
	if latchkey.ConflictOn(err) != "" {
		return latchkey.ConcurrentUpdate()
	}
	return err
}

func noRotation() *latchkey.Error {
	return latchkey.BadRequest("scim_connection_not_rotating_token", "No bearer token rotation is in progress; call rotate/start first.")
}

// RotateStart issues the next bearer token. Until the rotation completes or is cancelled, the
// current and the next token both work, so the identity provider can be switched over without
// a gap. Starting again replaces a next token not yet completed.
func (s *Service) RotateStart(ctx context.Context, orgID, connectionID string) (Connection, string, error) {
	token, hash, err := NewToken(orgID)
	if err != nil {
		return Connection{}, "", err
	}
	c, err := s.changeConnection(ctx, orgID, connectionID, false, func(c Connection) (Connection, error) {
		c.NextTokenHash, c.NextTokenLastFour = hash, secret.LastFour(token)
		return c, nil
	})
	if err != nil {
		return c, "", err
	}
	return c, token, s.nameGroups(ctx, &c)
}

// RotateComplete makes the next token the only one; the previous token stops working.
func (s *Service) RotateComplete(ctx context.Context, orgID, connectionID string) (Connection, error) {
	c, err := s.changeConnection(ctx, orgID, connectionID, true, func(c Connection) (Connection, error) {
		if c.NextTokenHash == "" {
			return c, noRotation()
		}
		c.TokenHash, c.TokenLastFour = c.NextTokenHash, c.NextTokenLastFour
		c.NextTokenHash, c.NextTokenLastFour = "", ""
		return c, nil
	})
	if err != nil {
		return c, err
	}
	return c, s.nameGroups(ctx, &c)
}

// RotateCancel drops the next token; the current one stays.
func (s *Service) RotateCancel(ctx context.Context, orgID, connectionID string) (Connection, error) {
	c, err := s.changeConnection(ctx, orgID, connectionID, false, func(c Connection) (Connection, error) {
		if c.NextTokenHash == "" {
			return c, noRotation()
		}
		c.NextTokenHash, c.NextTokenLastFour = "", ""
		return c, nil
	})
	if err != nil {
		return c, err
	}
	return c, s.nameGroups(ctx, &c)
}

// ConnectionGroups lists the connection's groups in group-id order after cursor (the last
// group id of the previous page), limit at a time; next is empty on the last page.
func (s *Service) ConnectionGroups(ctx context.Context, orgID, connectionID, cursor string, limit int) ([]SCIMGroup, string, error) {
	switch {
	case limit == 0:
		limit = 100
	case limit < 0 || limit > 1000:
		return nil, "", latchkey.BadRequest("invalid_limit", "limit must be between 1 and 1000.")
	}
	if cursor != "" && !latchkey.LooksLike("scim-group", cursor) {
		return nil, "", latchkey.BadRequest("invalid_cursor", "The cursor is not valid.")
	}
	c, err := s.connection(ctx, orgID, connectionID)
	if err != nil {
		return nil, "", err
	}
	out := []SCIMGroup{}
	more := false
	err = s.Store.EachSCIMGroup(ctx, c.OrganizationID, cursor, false, func(g SCIMGroup) bool {
		if g.ConnectionID != c.ConnectionID {
			return true
		}
		if len(out) == limit {
			more = true
			return false
		}
		out = append(out, g)
		return true
	})
	if err != nil || !more {
		return out, "", err
	}
	return out, out[len(out)-1].GroupID, nil
}

// Authenticate resolves a bearer token presented to the connection's SCIM endpoint. The token
// names its organization and the path names the connection, so the lookup is one key read in
// that organization's partition: a token of another organization finds nothing.
func (s *Service) Authenticate(ctx context.Context, connectionID, token string) (Connection, error) {
	orgID, ok := ParseToken(s.IDs, token)
	if !ok || !latchkey.LooksLike("scim-connection", connectionID) {
		return Connection{}, scimUnauthorized()
	}
	c, err := s.Store.SCIMConnection(ctx, orgID, connectionID)
	if errors.Is(err, latchkey.ErrNotFound) {
		return c, scimUnauthorized()
	}
	if err != nil {
		return c, err
	}
	hash := secret.Hash(token)
	current := secret.Equal(hash, c.TokenHash)
	next := c.NextTokenHash != "" && secret.Equal(hash, c.NextTokenHash)
	if !current && !next || c.Status != ConnectionActive {
		return Connection{}, scimUnauthorized()
	}
	return c, nil
}
