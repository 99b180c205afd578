package api_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/latchkey/latchkey/shared/app/apptest"
)

// env is the running stack every test in this package talks to over HTTP.
var env *apptest.Env

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	var err error
	env, err = apptest.Start(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the local stack:", err)
		os.Exit(1)
	}
	code := m.Run()
	env.Close()
	os.Exit(code)
}
