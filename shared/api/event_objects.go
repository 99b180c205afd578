package api

import (
	"encoding/json"
	"fmt"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/events"
	"github.com/latchkey/latchkey/shared/scim"
	"github.com/latchkey/latchkey/shared/sso"
)

// EventObject is a webhook event's object as this API answers it for the same object: the
// presenters the routes use, so an event shows no more than the API does (no token hash, no
// sealed secret; a SCIM connection's tokens by their last four only).
func (s *Server) EventObject(c events.Change) (json.RawMessage, error) {
	var v any
	switch x := c.Value.(type) {
	case latchkey.Organization, latchkey.Member:
		v = x
	case scim.Connection:
		v = s.view(x)
	case scim.SCIMGroup:
		v = scimGroupView{GroupID: x.GroupID, GroupName: x.DisplayName, OrganizationID: x.OrganizationID, ConnectionID: x.ConnectionID}
	case sso.Connection:
		if x.Protocol == sso.OIDC {
			v = s.SSO.OIDCWire(x)
		} else {
			v = s.SSO.SAMLWire(x)
		}
	default:
		return nil, fmt.Errorf("no presentation of %T for a %s event", c.Value, c.ObjectType)
	}
	return json.Marshal(v)
}
