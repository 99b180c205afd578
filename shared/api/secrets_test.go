package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/latchkey/latchkey/shared/app/apptest"
	"github.com/latchkey/latchkey/shared/store"
)

// After every kind of secret has been handed out (one-time codes and passwords included), no item in the
// table holds one in the clear. The signing key is the one designed exception: it is stored (as PKCS#8 PEM) only in
// the project's KEY# items, so every Lambda instance signs with the same key.
func TestNoSecretsAtRest(t *testing.T) {
	secrets := map[string]string{"project secret": env.Secret}
	// Magic link, session token and JWT.
	_, _, a := login(t)
	secrets["session token"], secrets["session jwt"] = a.Str("session_token"), a.Str("session_jwt")
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	email := newEmail()
	createMember(t, org, map[string]any{"email_address": email})
	apptest.ExpectOK(t, loginOrSignup(t, org, email, nil))
	secrets["unredeemed magic link"] = env.LastEmail(t, email).Token()
	// Invite link, discovery link and intermediate session.
	invitee := newEmail()
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/magic_links/email/invite",
		map[string]any{"organization_id": org, "email_address": invitee, "invite_redirect_url": redirect}))
	secrets["invite link"] = env.LastEmail(t, invitee).Token()
	d := discover(t, newEmail())
	secrets["intermediate session"] = d.Str("intermediate_session_token")

	// A password, and an unredeemed reset link.
	pwOrg, _, pwAddr := memberWithPassword(t)
	secrets["password"] = strongPassword
	secrets["unredeemed password reset link"] = resetToken(t, env, pwOrg, pwAddr)

	// An unredeemed one-time code: six digits could occur anywhere by chance, so only its own
	// item is searched for them.
	apptest.ExpectOK(t, otpSend(t, org, email, nil))
	code, codeSK, codeSeen := env.LastEmail(t, email).Code(), "CODE#"+email, false

	for name, s := range secrets {
		if len(s) < 20 {
			t.Fatalf("%s was not captured: %q", name, s)
		}
	}
	client := store.NewClient(env.App.AWS, env.Config.DynamoDBEndpoint)
	var start map[string]types.AttributeValue
	items, keys := 0, 0
	for {
		out, err := client.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(env.Config.Table), ExclusiveStartKey: start})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range out.Items {
			items++
			text := flatten(it)
			for name, s := range secrets {
				// JWTs are signed, not secret, but a stored copy would still be a bearer credential.
				if strings.Contains(text, s) {
					t.Errorf("item %s/%s holds the %s in the clear", str(it["pk"]), str(it["sk"]), name)
				}
			}
			if str(it["sk"]) == codeSK {
				codeSeen = true
				if code == "" || strings.Contains(text, code) {
					t.Errorf("the one-time code item %s/%s holds the code %q in the clear", str(it["pk"]), codeSK, code)
				}
			}
			if strings.Contains(text, "PRIVATE KEY") {
				if !strings.HasPrefix(str(it["sk"]), "KEY#") || str(it["pk"]) != "PROJECT" {
					t.Errorf("private key material in %s/%s", str(it["pk"]), str(it["sk"]))
				}
				keys++
			}
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		start = out.LastEvaluatedKey
	}
	if !codeSeen {
		t.Fatal("the scan did not see the one-time code's item")
	}
	if items < 20 || keys != 1 {
		t.Fatalf("scanned %d items, %d signing keys: the scan did not see the table", items, keys)
	}
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// flatten renders every value of an item, nested ones included, as text.
func flatten(it map[string]types.AttributeValue) string {
	var b strings.Builder
	var walk func(v types.AttributeValue)
	walk = func(v types.AttributeValue) {
		switch x := v.(type) {
		case *types.AttributeValueMemberS:
			b.WriteString(x.Value + "\n")
		case *types.AttributeValueMemberN:
			b.WriteString(x.Value + "\n")
		case *types.AttributeValueMemberB:
			b.Write(x.Value)
		case *types.AttributeValueMemberSS:
			b.WriteString(strings.Join(x.Value, "\n"))
		case *types.AttributeValueMemberL:
			for _, e := range x.Value {
				walk(e)
			}
		case *types.AttributeValueMemberM:
			for k, e := range x.Value {
				b.WriteString(k + "\n")
				walk(e)
			}
		default:
			b.WriteString(fmt.Sprint(x))
		}
	}
	for k, v := range it {
		b.WriteString(k + "\n")
		walk(v)
	}
	return b.String()
}
