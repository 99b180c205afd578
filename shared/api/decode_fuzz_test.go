package api

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"testing"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/discovery"
	"github.com/latchkey/latchkey/shared/magiclink"
	"github.com/latchkey/latchkey/shared/orgs"
)

// FuzzDecode feeds arbitrary bodies to the decoder of every request type the API accepts: it
// never panics, and whatever it refuses is a 400 in Stytch's shape.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"organization_name":"Acme","organization_slug":"acme"}`))
	f.Add([]byte(`{"email_address":5}`))
	f.Add([]byte(`[`))
	f.Add([]byte(``))
	f.Add([]byte(`{"query":{"operands":[{"filter_name":"member_ids","filter_value":[1]}]}}`))
	f.Add(bytes.Repeat([]byte(`[`), 70<<10))
	f.Fuzz(func(t *testing.T, body []byte) {
		targets := []any{
			&latchkey.OrganizationPatch{}, &latchkey.MemberPatch{}, &orgs.SearchRequest{},
			&magiclink.LoginOrSignupRequest{}, &magiclink.InviteRequest{}, &magiclink.AuthenticateRequest{},
			&authn.SessionAuthenticateRequest{}, &authn.RevokeRequest{}, &magiclink.DiscoverySendRequest{},
			&magiclink.DiscoveryAuthenticateRequest{}, &discovery.ListRequest{}, &authn.ExchangeRequest{},
			&discovery.CreateRequest{},
		}
		for _, v := range targets {
			r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			err := decode(r, v)
			if err == nil {
				continue
			}
			var e *latchkey.Error
			if !errors.As(err, &e) || e.Status != 400 || e.Type == "" {
				t.Fatalf("decode(%T) refused with %#v", v, err)
			}
		}
	})
}
