package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/latchkey/latchkey/shared/app/apptest"
	"github.com/latchkey/latchkey/shared/events"
	"github.com/latchkey/latchkey/shared/store"
)

var env *apptest.Env

func TestMain(m *testing.M) { apptest.Run(m, &env) }

// cli runs the command against the test stack with the project's credentials from the
// environment, as a user would.
func cli(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	vars := map[string]string{"LATCHKEY_API_URL": env.URL, "LATCHKEY_PROJECT_ID": env.ProjectID, "LATCHKEY_PROJECT_SECRET": env.Secret}
	var out, log bytes.Buffer
	err = run(context.Background(), args, func(k string) string { return vars[k] }, &out, &log)
	return out.String(), log.String(), err
}

// Create (the secret alone on stdout), list, rotate (a new secret), delete, and the refusals
// the API answers, through the command.
func TestEndpointCommands(t *testing.T) {
	org := "organization-test-" + uuid.NewString()
	out, log, err := cli(t, "endpoints", "create", "--url", "https://app.example.com/cli", "--events", "*.member.*,scim.scim_group.update", "--organization", org)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	secret := strings.TrimSpace(out)
	if !strings.HasPrefix(secret, "whsec_") || strings.Count(out, "\n") != 1 || strings.Contains(log, secret) {
		t.Fatalf("stdout %q, stderr %q", out, log)
	}
	id := strings.Fields(strings.TrimPrefix(log, "created "))[0]
	if !strings.HasPrefix(id, "webhook-endpoint-test-") {
		t.Fatalf("stderr %q names no endpoint", log)
	}
	list, _, err := cli(t, "endpoints", "list")
	if err != nil || !strings.Contains(list, id) || !strings.Contains(list, "*.member.*,scim.scim_group.update") || !strings.Contains(list, org) || strings.Contains(list, "whsec_") {
		t.Fatalf("list: %v\n%s", err, list)
	}
	rotated, _, err := cli(t, "endpoints", "rotate", id)
	if next := strings.TrimSpace(rotated); err != nil || !strings.HasPrefix(next, "whsec_") || next == secret {
		t.Fatalf("rotate: %v %q", err, rotated)
	}
	if _, _, err := cli(t, "endpoints", "delete", id); err != nil {
		t.Fatal(err)
	}
	if list, _, _ := cli(t, "endpoints", "list"); strings.Contains(list, id) {
		t.Fatalf("deleted endpoint still listed:\n%s", list)
	}
	_, _, err = cli(t, "endpoints", "delete", id)
	if err == nil || !strings.Contains(err.Error(), "webhook_endpoint_not_found") {
		t.Fatalf("delete again: %v", err)
	}
	_, _, err = cli(t, "endpoints", "create", "--url", "http://app.example.com/")
	if err == nil || !strings.Contains(err.Error(), "invalid_webhook_url") {
		t.Fatalf("plain http: %v", err)
	}
	if err := run(context.Background(), []string{"endpoints", "list"}, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Fatal("no credentials: no error")
	}
}

// events prints an organization's audit trail as JSON Lines across pages; replay answers the
// deployment's refusal when no delivery queue is configured.
func TestEventsAndReplayCommands(t *testing.T) {
	org := "organization-test-" + uuid.NewString()
	t0 := env.Clock.Now().Add(-30 * time.Minute)
	client := store.NewClient(env.App.AWS, env.Config.DynamoDBEndpoint)
	var want []string
	for i := range 5 {
		at := t0.Add(time.Duration(i) * time.Second).UTC()
		e := events.Event{ProjectID: env.ProjectID, EventID: "webhook-event-test-" + uuid.NewString(), Action: events.ActionCreate,
			ObjectType: events.ObjectMember, Source: events.SourceDirect, ID: "member-test-" + uuid.NewString(),
			Timestamp: at.Format("2006-01-02T15:04:05.000000Z07:00"), Vertical: "B2B", OrganizationID: org}
		body, _ := json.Marshal(e)
		sk := at.Format("2006-01-02T15:04:05.000000000Z") + "#" + e.EventID
		s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
		_, err := client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(env.Config.Table), Item: map[string]types.AttributeValue{
			"pk": s("EVENTS#" + org), "sk": s(sk), "gsi2pk": s("EVENTHOUR#" + at.Format("2006-01-02T15")), "gsi2sk": s(sk), "body": s(string(body)),
			"ttl": &types.AttributeValueMemberN{Value: fmt.Sprint(time.Now().Add(time.Hour).Unix())}}})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, e.EventID)
	}
	out, log, err := cli(t, "events", "--organization", org, "--since", "1h", "--limit", "2")
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, l := range lines {
		var e events.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil || e.EventID != want[i] || e.OrganizationID != org {
			t.Fatalf("line %d: %s", i, l)
		}
	}
	if _, _, err := cli(t, "endpoints", "create", "--url", "https://app.example.com/replay"); err != nil {
		t.Fatal(err)
	}
	id := ""
	list, _, _ := cli(t, "endpoints", "list")
	for _, l := range strings.Split(list, "\n") {
		if strings.Contains(l, "https://app.example.com/replay") {
			id = strings.Fields(l)[0]
		}
	}
	_, _, err = cli(t, "replay", id, "--since", "1h", "--organization", org)
	if err == nil || !strings.Contains(err.Error(), "webhook_delivery_not_configured") {
		t.Fatalf("replay without a queue: %v", err)
	}
	if _, _, err := cli(t, "replay", id); err == nil || !strings.Contains(err.Error(), "--since") {
		t.Fatalf("replay without --since: %v", err)
	}
}
