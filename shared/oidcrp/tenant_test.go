package oidcrp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/latchkey/latchkey/shared/oidcrp"
)

// Two real tenant ids: Microsoft's own and the personal-account (consumer) tenant.
const (
	tenantA = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	tenantB = "9188040d-6c67-4c5b-b112-36a304b66dad"
)

// TestDiscoverTenantTemplate accepts Microsoft's multi-tenant discovery document (an issuer
// template on the configured host) and nothing looser.
func TestDiscoverTenantTemplate(t *testing.T) {
	f := startFakeOP(t)
	for _, tenant := range []string{"common", "organizations"} {
		ep, err := oidcrp.Discover(context.Background(), httpClient(), f.tenantIssuer(tenant))
		if err != nil {
			t.Fatalf("Discover(%s): %v", tenant, err)
		}
		if want := f.srv.URL + "/{tenantid}/v2.0"; ep.Issuer != want || !ep.TenantIssuer() {
			t.Errorf("%s: Issuer %q TenantIssuer %v, want the template %q", tenant, ep.Issuer, ep.TenantIssuer(), want)
		}
		if ep.JWKSURL != f.srv.URL+"/jwks" {
			t.Errorf("%s: JWKSURL %q", tenant, ep.JWKSURL)
		}
	}
	// A single-tenant endpoint publishes its own issuer, which is no template.
	ep, err := oidcrp.Discover(context.Background(), httpClient(), f.tenantIssuer(tenantA))
	if err != nil {
		t.Fatal(err)
	}
	if ep.Issuer != f.tenantIssuer(tenantA) || ep.TenantIssuer() {
		t.Errorf("Issuer %q TenantIssuer %v", ep.Issuer, ep.TenantIssuer())
	}
}

// tenantRP is a client of the fake OP's common endpoint, discovered.
func tenantRP(t *testing.T, f *fakeOP) oidcrp.Client {
	t.Helper()
	ep, err := oidcrp.Discover(context.Background(), httpClient(), f.tenantIssuer("common"))
	if err != nil {
		t.Fatal(err)
	}
	return oidcrp.Client{Endpoints: ep, ClientID: "rp", ClientSecret: "s", RedirectURL: redirectURL, HTTP: httpClient()}
}

// tenantToken is a valid ID token of tenant for client rp.
func tenantToken(f *fakeOP, tenant string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"iss": f.tenantIssuer(tenant), "tid": tenant, "sub": "u1", "oid": "00000000-0000-0000-0000-0000000000aa",
		"aud": "rp", "nonce": "n", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

// TestTenantIssuer verifies a Microsoft multi-tenant ID token against the issuer of its own
// tid, as Microsoft documents: another tenant's issuer, a tid that is no GUID or none, and the
// template itself are refused.
func TestTenantIssuer(t *testing.T) {
	f := startFakeOP(t)
	rp := tenantRP(t, f)
	cases := []struct {
		name string
		edit func(c jwt.MapClaims)
		// tenant is the token's, for a valid one.
		tenant  string
		reason  string
		inError string
	}{
		{name: "tenant A", edit: func(jwt.MapClaims) {}, tenant: tenantA},
		{name: "tenant B", edit: func(c jwt.MapClaims) { c["iss"], c["tid"] = f.tenantIssuer(tenantB), tenantB }, tenant: tenantB},
		{
			name: "upper-case GUID in both", tenant: strings.ToUpper(tenantA),
			edit: func(c jwt.MapClaims) {
				c["iss"], c["tid"] = f.tenantIssuer(strings.ToUpper(tenantA)), strings.ToUpper(tenantA)
			},
		},
		{
			name: "iss of tenant B, tid of A", reason: oidcrp.ReasonIDToken, inError: "issued by a different provider",
			edit: func(c jwt.MapClaims) { c["iss"] = f.tenantIssuer(tenantB) },
		},
		{
			name: "iss of tenant A in another case", reason: oidcrp.ReasonIDToken, inError: "issued by a different provider",
			edit: func(c jwt.MapClaims) { c["iss"] = f.tenantIssuer(strings.ToUpper(tenantA)) },
		},
		{
			name: "iss the template itself", reason: oidcrp.ReasonIDToken, inError: "issued by a different provider",
			edit: func(c jwt.MapClaims) { c["iss"] = f.tenantIssuer("{tenantid}") },
		},
		{name: "no tid", reason: oidcrp.ReasonIDToken, inError: "GUID", edit: func(c jwt.MapClaims) { delete(c, "tid") }},
		{name: "tid empty", reason: oidcrp.ReasonIDToken, inError: "GUID", edit: func(c jwt.MapClaims) { c["tid"] = "" }},
		{name: "tid a number", reason: oidcrp.ReasonIDToken, inError: "GUID", edit: func(c jwt.MapClaims) { c["tid"] = 42 }},
		{
			name: "tid not a GUID, iss to match", reason: oidcrp.ReasonIDToken, inError: "GUID",
			edit: func(c jwt.MapClaims) { c["iss"], c["tid"] = f.tenantIssuer("contoso"), "contoso" },
		},
		{
			name: "tid a GUID with a path after it", reason: oidcrp.ReasonIDToken, inError: "GUID",
			edit: func(c jwt.MapClaims) { c["tid"] = tenantA + "/../evil" },
		},
		{
			name: "tid a GUID with a newline after it", reason: oidcrp.ReasonIDToken, inError: "GUID",
			edit: func(c jwt.MapClaims) { c["tid"] = tenantA + "\n" },
		},
		// The rest of the verification still applies to the tenant's token.
		{name: "aud another", reason: oidcrp.ReasonIDToken, inError: "audience", edit: func(c jwt.MapClaims) { c["aud"] = "api" }},
		{
			name: "expired", reason: oidcrp.ReasonIDToken, inError: "expired",
			edit: func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() },
		},
		{name: "nonce another", reason: oidcrp.ReasonNonce, edit: func(c jwt.MapClaims) { c["nonce"] = "m" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.set(func(f *fakeOP) {
				f.idToken, f.method, f.userinfo, f.userinfoJWT = tenantToken(f, tenantA), nil, map[string]any{"sub": "u1"}, false
				tc.edit(f.idToken)
			})
			id, err := rp.Exchange(context.Background(), "code", "verifier", "n")
			if tc.reason != "" {
				wantReason(t, err, tc.reason)
				if !strings.Contains(err.Error(), tc.inError) {
					t.Errorf("error %q does not mention %q", err, tc.inError)
				}
				return
			}
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if id.TenantID != tc.tenant || id.Issuer != f.tenantIssuer(tc.tenant) {
				t.Errorf("TenantID %q Issuer %q, want tenant %q", id.TenantID, id.Issuer, tc.tenant)
			}
			if id.Claim("tid") != tc.tenant || id.Claim("oid") == "" || id.Subject != "u1" {
				t.Errorf("claims %v", id.Claims)
			}
		})
	}

	t.Run("signed userinfo from the tenant's issuer", func(t *testing.T) {
		f.set(func(f *fakeOP) {
			f.idToken = tenantToken(f, tenantA)
			f.userinfo = map[string]any{"sub": "u1", "iss": f.tenantIssuer(tenantA), "aud": "rp"}
			f.userinfoJWT = true
		})
		if _, err := rp.Exchange(context.Background(), "code", "verifier", "n"); err != nil {
			t.Fatal(err)
		}
		f.set(func(f *fakeOP) { f.userinfo["iss"] = f.tenantIssuer(tenantB) })
		_, err := rp.Exchange(context.Background(), "code", "verifier", "n")
		wantReason(t, err, oidcrp.ReasonUserinfo)
		f.set(func(f *fakeOP) { f.userinfoJWT = false })
	})
	t.Run("signed by a key not in the JWKS", func(t *testing.T) {
		f.set(func(f *fakeOP) { f.idToken = tenantToken(f, tenantA) })
		bad := rp
		bad.JWKSURL = f.srv.URL + "/no-such-jwks"
		_, err := bad.Exchange(context.Background(), "code", "verifier", "n")
		wantReason(t, err, oidcrp.ReasonIDToken)
	})
	t.Run("tid from userinfo does not count", func(t *testing.T) {
		f.set(func(f *fakeOP) {
			f.idToken = tenantToken(f, tenantA)
			f.userinfo = map[string]any{"sub": "u1", "email": "ada@example.com", "tid": tenantB}
		})
		id, err := rp.Exchange(context.Background(), "code", "verifier", "n")
		if err != nil {
			t.Fatal(err)
		}
		if id.TenantID != tenantA || id.Email != "ada@example.com" {
			t.Errorf("TenantID %q email %q", id.TenantID, id.Email)
		}
	})
}

// TestTenantIDWithoutTemplate: an exact issuer is still compared exactly, tid or not.
func TestTenantIDWithoutTemplate(t *testing.T) {
	f := startFakeOP(t)
	ep, err := oidcrp.Discover(context.Background(), httpClient(), f.tenantIssuer(tenantA))
	if err != nil {
		t.Fatal(err)
	}
	rp := oidcrp.Client{Endpoints: ep, ClientID: "rp", ClientSecret: "s", RedirectURL: redirectURL, HTTP: httpClient()}
	cases := []struct {
		name   string
		edit   func(c jwt.MapClaims)
		tenant string
		reason string
	}{
		{name: "tenant A", edit: func(jwt.MapClaims) {}, tenant: tenantA},
		// userinfo's tid (tenant B) never becomes TenantID.
		{name: "no tid", edit: func(c jwt.MapClaims) { delete(c, "tid") }},
		{name: "tid not a GUID", edit: func(c jwt.MapClaims) { c["tid"] = "contoso" }, tenant: "contoso"},
		{name: "iss and tid of tenant B", edit: func(c jwt.MapClaims) { c["iss"], c["tid"] = f.tenantIssuer(tenantB), tenantB }, reason: oidcrp.ReasonIDToken},
		{name: "iss of tenant B", edit: func(c jwt.MapClaims) { c["iss"] = f.tenantIssuer(tenantB) }, reason: oidcrp.ReasonIDToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.set(func(f *fakeOP) {
				f.idToken, f.userinfo = tenantToken(f, tenantA), map[string]any{"sub": "u1", "tid": tenantB}
				tc.edit(f.idToken)
			})
			id, err := rp.Exchange(context.Background(), "code", "verifier", "n")
			if tc.reason != "" {
				wantReason(t, err, tc.reason)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id.TenantID != tc.tenant || id.Issuer != f.tenantIssuer(tenantA) {
				t.Errorf("TenantID %q Issuer %q", id.TenantID, id.Issuer)
			}
		})
	}
}
