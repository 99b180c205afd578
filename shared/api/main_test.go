package api_test

import (
	"testing"

	"github.com/latchkey/latchkey/shared/app/apptest"
)

// env is the running stack every test in this package talks to over HTTP.
var env *apptest.Env

func TestMain(m *testing.M) { apptest.Run(m, &env) }
