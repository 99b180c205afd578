package latchkey_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const domainPackage = "github.com/latchkey/latchkey/shared"

// forbiddenPrefixes are import paths the pure domain must never reach, directly or
// transitively: persistence (AWS SDK, DynamoDB mappers) belongs in shared/store and the
// Lambda/HTTP adapters in shared/api and shared/app.
var forbiddenPrefixes = []string{
	"github.com/aws/",
	"github.com/awslabs/",
	"github.com/guregu/",
}

// TestDomainDependencies fails if the domain package depends on AWS or DynamoDB libraries.
func TestDomainDependencies(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	cmd := exec.Command(goBin, "list", "-deps", "-json=ImportPath", domainPackage)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", domainPackage, err, stderr.String())
	}

	var deps []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct{ ImportPath string }
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		deps = append(deps, p.ImportPath)
	}

	// Guard against a silently empty listing: the package itself must be there, with at least
	// one dependency, or the check below proves nothing.
	found := false
	for _, d := range deps {
		found = found || d == domainPackage
	}
	if !found || len(deps) < 2 {
		t.Fatalf("go list -deps output lacks %s or its dependencies; got %v", domainPackage, deps)
	}

	for _, d := range deps {
		for _, bad := range forbiddenPrefixes {
			if strings.HasPrefix(d, bad) {
				t.Errorf("%s depends on %s; the domain must stay free of %s*", domainPackage, d, bad)
			}
		}
	}
}
