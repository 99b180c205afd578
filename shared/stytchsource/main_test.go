package stytchsource_test

import (
	"testing"

	"github.com/latchkey/latchkey/shared/app/apptest"
)

// env is the Latchkey the tests read from, as if it were a Stytch project.
var env *apptest.Env

func TestMain(m *testing.M) { apptest.Run(m, &env) }
