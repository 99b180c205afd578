package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/latchkey/latchkey/localstack/emulators"
	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/secret"
	"github.com/latchkey/latchkey/shared/store"
)

// The command against DynamoDB Local: the secret is printed once on stdout, only its hash is
// stored, and it authenticates the project the way the API checks it (ProjectForSecret).
func TestCreatesAHashedSecret(t *testing.T) {
	ctx := t.Context()
	const table, projectID = "latchkey-project-secret-test", "project-live-6f7d3c52-4c5e-4f0e-9d4a-0d3f2f1b6a11"
	emu, cfg := localTable(t, table)

	var out, log bytes.Buffer
	args := []string{"-project-id", projectID, "-table", table, "-region", "us-east-1", "-endpoint", emu.DynamoDBEndpoint}
	if err := run(ctx, args, &out, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	value := strings.TrimSpace(out.String())
	if strings.Count(out.String(), "\n") != 1 || len(value) < 40 {
		t.Fatalf("stdout %q: want the secret alone on one line", out.String())
	}
	if strings.Contains(log.String(), value) {
		t.Fatal("the secret was also written to stderr")
	}
	if !strings.Contains(log.String(), "…"+secret.LastFour(value)) {
		t.Fatalf("stderr %q does not name the secret's last four", log.String())
	}
	got, err := store.New(cfg, emu.DynamoDBEndpoint, table).ProjectForSecret(ctx, secret.Hash(value))
	if err != nil || got != projectID {
		t.Fatalf("ProjectForSecret(hash) = %q, %v; want %q", got, err, projectID)
	}

	// A second run is a second, different secret (rotation).
	out.Reset()
	if err := run(ctx, args, &out, &log); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out.String()) == value {
		t.Fatal("the same secret twice")
	}
}

func TestBadArguments(t *testing.T) {
	t.Setenv("LATCHKEY_PROJECT_ID", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "-project-id is required"},
		{[]string{"-project-id", "acme"}, "must look like project-live-"},
		{[]string{"-project-id", "project-live-1", "extra"}, "unexpected arguments"},
		{[]string{"-nope"}, "flag provided but not defined"},
		{[]string{"rotate"}, "unknown command"},
		{[]string{"revoke", "-project-id", "project-live-1"}, "revoke takes one secret id"},
		{[]string{"list", "-project-id", "project-live-1", "extra"}, "unexpected arguments"},
	} {
		var out, log bytes.Buffer
		err := run(context.Background(), c.args, &out, &log)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.args, err, c.want)
		}
		if out.Len() > 0 {
			t.Errorf("%v: printed %q", c.args, out.String())
		}
	}
}

// Rotation end to end: two secrets listed (ids, last fours, never the secret), the old one
// revoked and no longer resolving, the new one still working, and the last one kept unless forced.
func TestListAndRevoke(t *testing.T) {
	ctx := t.Context()
	const table, projectID = "latchkey-project-secret-revoke", "project-live-0b1e4b1a-7d2c-4c55-9a51-3f7e1d2c9b10"
	emu, cfg := localTable(t, table)
	st := store.New(cfg, emu.DynamoDBEndpoint, table)
	flags := []string{"-project-id", projectID, "-table", table, "-region", "us-east-1", "-endpoint", emu.DynamoDBEndpoint}
	do := func(args ...string) (string, string, error) {
		var out, log bytes.Buffer
		err := run(ctx, args, &out, &log)
		return out.String(), log.String(), err
	}
	create := func() string {
		out, log, err := do(flags...)
		if err != nil {
			t.Fatalf("%v\n%s", err, log)
		}
		return strings.TrimSpace(out)
	}
	old, current := create(), create()
	idOf := func(v string) string { return "secret-" + secret.Hash(v)[:16] }

	out, _, err := do(append([]string{"list"}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{old, current} {
		if !strings.Contains(out, idOf(v)) || !strings.Contains(out, "…"+secret.LastFour(v)) {
			t.Errorf("list %q does not show %s ending in %s", out, idOf(v), secret.LastFour(v))
		}
		if strings.Contains(out, v) || strings.Contains(out, secret.Hash(v)) {
			t.Fatal("list printed a secret or its whole hash")
		}
	}
	if strings.Index(out, idOf(old)) > strings.Index(out, idOf(current)) {
		t.Errorf("list is not oldest first: %q", out)
	}

	if _, _, err := do(append(append([]string{"revoke"}, flags...), "secret-0000000000000000")...); err == nil || !strings.Contains(err.Error(), "no secret") {
		t.Fatalf("revoking an unknown id: %v", err)
	}
	if _, log, err := do(append(append([]string{"revoke"}, flags...), idOf(old))...); err != nil || !strings.Contains(log, "Revoked") {
		t.Fatalf("revoke: %v %s", err, log)
	}
	if _, err := st.ProjectForSecret(ctx, secret.Hash(old)); !errors.Is(err, latchkey.ErrNotFound) {
		t.Fatalf("the revoked secret still resolves: %v", err)
	}
	if got, err := st.ProjectForSecret(ctx, secret.Hash(current)); err != nil || got != projectID {
		t.Fatalf("the other secret no longer resolves: %q %v", got, err)
	}
	if out, _, _ := do(append([]string{"list"}, flags...)...); strings.Contains(out, idOf(old)) {
		t.Fatalf("list still shows the revoked secret: %q", out)
	}

	// The last secret stays unless forced.
	last := append(append([]string{"revoke"}, flags...), idOf(current))
	if _, _, err := do(last...); err == nil || !strings.Contains(err.Error(), "only secret") {
		t.Fatalf("revoking the last secret without -force: %v", err)
	}
	if _, err := st.ProjectForSecret(ctx, secret.Hash(current)); err != nil {
		t.Fatalf("a refused revoke deleted the secret: %v", err)
	}
	forced := append(append([]string{"revoke", "-force"}, flags...), idOf(current))
	if _, _, err := do(forced...); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ProjectForSecret(ctx, secret.Hash(current)); !errors.Is(err, latchkey.ErrNotFound) {
		t.Fatalf("the forced revoke left the secret: %v", err)
	}
}

// localTable starts DynamoDB Local for the test and creates table in it, with the command's
// environment defaults cleared so only the flags count.
func localTable(t *testing.T, table string) (*emulators.Stack, aws.Config) {
	t.Helper()
	ctx := t.Context()
	emu, err := emulators.FromEnv(ctx, emulators.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Stop() })
	t.Setenv("AWS_REGION", "")
	t.Setenv("LATCHKEY_PROJECT_ID", "")
	cfg, err := store.AWSConfig(ctx, "us-east-1", emu.DynamoDBEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateTable(ctx, store.NewClient(cfg, emu.DynamoDBEndpoint), table); err != nil {
		t.Fatal(err)
	}
	return emu, cfg
}
