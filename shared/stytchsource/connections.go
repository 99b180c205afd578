package stytchsource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/stytchauth/stytch-go/v18/stytch/b2b/scim/connection"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sso"
)

// optional sorts out a failed call for something a project may not have. 404 is "none". 400
// and 403 (a plan without SSO or SCIM, or a secret without the permission) skip it with the
// reason, so one organization's refusal does not lose the rest of the export. Anything else
// fails the export.
func optional(err error) (none bool, reason string, _ error) {
	var e *Error
	if !errors.As(err, &e) {
		return false, "", err
	}
	switch e.Status {
	case http.StatusNotFound:
		return true, "", nil
	case http.StatusBadRequest, http.StatusForbidden:
		return false, fmt.Sprintf("%s answered %d %s", e.Call, e.Status, e.ErrorType), nil
	}
	return false, "", err
}

func (x *exporter) ssoConnections(ctx context.Context, orgID string) (chunk, error) {
	var resp *sso.GetConnectionsResponse
	c, err := x.call(ctx, "SSO.GetConnections", orgID, func(ctx context.Context) (err error) {
		resp, err = x.c.SSO.GetConnections(ctx, &sso.GetConnectionsParams{OrganizationID: orgID})
		return err
	})
	var out chunk
	if err != nil {
		none, reason, err := optional(err)
		if reason != "" {
			out.tally.skipped = append(out.tally.skipped, Skip{Type: TypeSSOConnection, OrganizationID: orgID, Reason: reason})
		}
		if none || reason != "" {
			return out, nil
		}
		return out, err
	}
	var buf bytes.Buffer
	saml, r1, err := objects(c, "saml_connections", resp.SAMLConnections)
	if err != nil {
		return out, err
	}
	oidc, r2, err := objects(c, "oidc_connections", resp.OIDCConnections)
	if err != nil {
		return out, err
	}
	external, r3, err := objects(c, "external_connections", resp.ExternalConnections)
	if err != nil {
		return out, err
	}
	for _, g := range []struct {
		key       string
		list      []json.RawMessage
		reencoded bool
		count     *int
	}{{"saml_connection", saml, r1, &out.tally.saml}, {"oidc_connection", oidc, r2, &out.tally.oidc},
		{"external_connection", external, r3, &out.tally.external}} {
		for _, raw := range g.list {
			var conn struct {
				OrganizationID      string `json:"organization_id"`
				ClientSecret        string `json:"client_secret"`
				SigningCertificates []any  `json:"signing_certificates"`
				EncryptionKeys      []struct {
					PrivateKey string `json:"private_key"`
				} `json:"encryption_private_keys"`
			}
			if err := json.Unmarshal(raw, &conn); err != nil {
				return out, fmt.Errorf("stytchsource: SSO.GetConnections for %s: %s is not an object", orgID, g.key)
			}
			if conn.OrganizationID != "" && conn.OrganizationID != orgID {
				return out, fmt.Errorf("stytchsource: SSO.GetConnections for %s returned a connection of %s", orgID, conn.OrganizationID)
			}
			if err := writeLine(&buf, TypeSSOConnection, orgID, g.key, raw); err != nil {
				return out, err
			}
			*g.count++
			if g.reencoded {
				out.tally.reencoded++
			}
			switch g.key {
			case "oidc_connection":
				if conn.ClientSecret == "" {
					out.tally.notExported.OIDCClientSecrets++
				}
			case "saml_connection":
				if len(conn.SigningCertificates) > 0 {
					out.tally.notExported.SAMLSigningKeys++
				}
				for _, k := range conn.EncryptionKeys {
					if k.PrivateKey == "" {
						out.tally.notExported.SAMLEncryptionKeys++
					}
				}
			}
		}
	}
	out.data = buf.Bytes()
	return out, nil
}

func (x *exporter) scimConnection(ctx context.Context, orgID string) (chunk, error) {
	var resp *connection.GetResponse
	c, err := x.call(ctx, "SCIM.Connection.Get", orgID, func(ctx context.Context) (err error) {
		resp, err = x.c.SCIM.Connection.Get(ctx, &connection.GetParams{OrganizationID: orgID})
		return err
	})
	var out chunk
	if err != nil {
		none, reason, err := optional(err)
		if reason != "" {
			out.tally.skipped = append(out.tally.skipped, Skip{Type: TypeSCIMConnection, OrganizationID: orgID, Reason: reason})
		}
		if none || reason != "" {
			return out, nil
		}
		return out, err
	}
	var typed []any
	if resp.Connection != nil {
		typed = append(typed, resp.Connection)
	}
	list, reencoded, err := objects(c, "connection", typed)
	if err != nil {
		return out, err
	}
	var buf bytes.Buffer
	for _, raw := range list {
		var conn struct {
			BearerToken string `json:"bearer_token"`
		}
		if err := json.Unmarshal(raw, &conn); err != nil {
			return out, fmt.Errorf("stytchsource: SCIM.Connection.Get for %s: the connection is not an object", orgID)
		}
		if err := writeLine(&buf, TypeSCIMConnection, orgID, "scim_connection", raw); err != nil {
			return out, err
		}
		out.tally.scim++
		if conn.BearerToken == "" {
			out.tally.notExported.SCIMBearerTokens++
		}
		if reencoded {
			out.tally.reencoded++
		}
	}
	out.data = buf.Bytes()
	return out, nil
}
