package api_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/uuid"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/oauth"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations"

	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/app/apptest"
	latchoauth "github.com/latchkey/latchkey/shared/oauth"
)

// In AWS the OAuth client secret lives in Secrets Manager: LATCHKEY_OAUTH_GOOGLE_CLIENT_SECRET
// holds the secret's ARN, which the function reads once at start. Here the ARN is the Secrets
// Manager emulator's, and a login works with the secret it holds.
func TestOAuthClientSecretFromSecretsManager(t *testing.T) {
	ctx := context.Background()
	sm := secretsmanager.NewFromConfig(env.App.AWS, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(env.Config.SecretsManagerEndpoint) })
	made, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("latchkey/google-" + uuid.NewString()[:8]),
		SecretString: aws.String(`{"client_secret":"` + apptest.OIDCClientSecret + `"}`)})
	if err != nil {
		t.Fatal(err)
	}
	op := apptest.StartOIDCProviderWith(t, map[string]string{googleClient: "http://localhost:8080/v1/b2b/oauth/callback/google"})
	_, srv, err := env.Variant(ctx, func(c *app.Config) {
		c.OAuth = map[string]latchoauth.Provider{latchoauth.Google: {ClientID: googleClient, ClientSecret: *made.ARN, Issuer: op.Issuer}}
	})
	if err != nil {
		t.Fatalf("building with the secret's ARN: %v", err)
	}
	defer srv.Close()
	f := &oauthFixture{op: op, url: srv.URL, c: sgPwClient(t, srv.URL)}
	domain := "sm-" + uuid.NewString()[:8] + ".example.com"
	o, err := f.c.Organizations.Create(ctx, &organizations.CreateParams{OrganizationName: "Secrets Co", OrganizationSlug: newSlug(),
		EmailJITProvisioning: "RESTRICTED", EmailAllowedDomains: []string{domain}})
	if err != nil {
		t.Fatal(err)
	}
	op.AddUser(apptest.OIDCUser{Subject: "s-" + uuid.NewString(), Username: "sam", Email: "sam@" + domain, EmailVerified: true,
		Claims: map[string]any{"hd": domain}})
	p := f.login(t, "/v1/b2b/public/oauth/google/start", url.Values{"organization_id": {o.Organization.OrganizationID}}, "sam")
	if a, err := f.c.OAuth.Authenticate(ctx, &oauth.AuthenticateParams{OAuthToken: oauthToken(t, p, "oauth")}); err != nil || !a.MemberAuthenticated {
		t.Fatalf("OAuth.Authenticate with the secret from Secrets Manager: %+v %v", a, err)
	}
	// A secret that cannot be read stops the start, with a message naming the setting.
	_, _, err = env.Variant(ctx, func(c *app.Config) {
		c.OAuth = map[string]latchoauth.Provider{latchoauth.Google: {ClientID: googleClient,
			ClientSecret: "arn:aws:secretsmanager:us-east-1:000000000000:secret:missing-AbCdEf", Issuer: op.Issuer}}
	})
	if err == nil {
		t.Fatal("an unreadable client secret did not stop the start")
	}
}
