package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/localstack/emulators"
	"github.com/latchkey/latchkey/shared/secret"
	"github.com/latchkey/latchkey/shared/store"
)

// The command against DynamoDB Local: the secret is printed once on stdout, only its hash is
// stored, and it authenticates the project the way the API checks it (ProjectForSecret).
func TestCreatesAHashedSecret(t *testing.T) {
	ctx := t.Context()
	emu, err := emulators.FromEnv(ctx, emulators.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Stop() })
	t.Setenv("AWS_REGION", "")
	t.Setenv("LATCHKEY_PROJECT_ID", "")

	const table, projectID = "latchkey-project-secret-test", "project-live-6f7d3c52-4c5e-4f0e-9d4a-0d3f2f1b6a11"
	cfg, err := store.AWSConfig(ctx, "us-east-1", emu.DynamoDBEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateTable(ctx, store.NewClient(cfg, emu.DynamoDBEndpoint), table); err != nil {
		t.Fatal(err)
	}

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
