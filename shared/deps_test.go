package latchkey_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/latchkey/latchkey"

// layers places every package under shared/ on a level. A package may import only packages on
// a lower level: the core model imports nothing of Latchkey but leaf libraries, authn (the one
// door) only the core, each capability only authn and the core and never another capability,
// and the adapters (store, tokens, mail, sms, api) sit on top. A package missing here fails the
// test, so a new one must be placed before it can be used.
var layers = map[string]int{
	"shared/secret":    0, // leaf libraries: no Latchkey imports at all
	"shared/callcount": 0,
	"shared/freemail":  0,
	"shared/pwhash":    0,
	"shared/strength":  0,
	"shared/safehttp":  0,
	"shared/samlsp":    0,
	"shared/oidcrp":    0,
	"shared/rbac":      0,
	"shared/webhook":   0,
	"shared":           1, // the core model: organization, member, factors, policy, errors
	"shared/authn":     2, // the pipeline, member sessions, intermediate sessions
	"shared/magiclink": 3, // the ways in, and the capabilities beside them
	"shared/discovery": 3,
	"shared/orgs":      3,
	"shared/scim":      3,
	"shared/otp":       3,
	"shared/passwords": 3,
	"shared/mfa":       3,
	"shared/sso":       3,
	"shared/oauth":     3,
	"shared/migrate":   3, // bulk import and export (latchkey-migrate): core rules, no capability
	// Sessions.Migrate: a way in whose proof is the previous auth system's userinfo.
	"shared/sessionmigrate": 3,
	"shared/events":         3, // webhook events: capture from the stream, audit trail, delivery

	"shared/mail":      4, // adapters: email, text messages and signing
	"shared/sms":       4,
	"shared/seal":      4,
	"shared/awssecret": 4,
	// Reads a Stytch project through stytch-go, for latchkey-migrate import --from stytch.
	"shared/stytchsource": 4,
	"shared/queue":        4, // the SQS adapter of events.Queue
	"shared/tokens":       4,
	"shared/store":        5, // persistence implements every store interface below it
	"shared/api":          6, // HTTP, over every capability
	"shared/app":          7, // composition
	// Test infrastructure: the local emulators and what drives them.
	"localstack/emulators": 7,
	"shared/app/apptest":   8,
	// The local event source mappings (the stream and the queue pollers make dev and tests run).
	"localstack/pipeline": 8,
	"shared/bench":        9, // drives the pipeline too
}

// maxDomainLevel is the highest level that holds business rules, which must stay free of AWS.
const maxDomainLevel = 3

// forbiddenPrefixes are import paths the domain must never reach, directly or transitively:
// persistence (AWS SDK, DynamoDB mappers) belongs in shared/store and the Lambda/HTTP adapters
// in shared/api and shared/app.
var forbiddenPrefixes = []string{
	"github.com/aws/",
	"github.com/awslabs/",
	"github.com/guregu/",
}

type listedPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// goList runs go list -json over patterns.
func goList(t *testing.T, args ...string) []listedPackage {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	cmd := exec.Command(goBin, append([]string{"list", "-json=ImportPath,Imports,Deps"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestLayers fails when a package under shared/ imports a Latchkey package on its own level or
// above, or when a package is not placed on a level at all.
func TestLayers(t *testing.T) {
	pkgs := goList(t, module+"/shared/...")
	placed := 0
	for rel := range layers {
		if rel == "shared" || strings.HasPrefix(rel, "shared/") {
			placed++
		}
	}
	if len(pkgs) < placed {
		t.Fatalf("go list found %d packages under shared/, the layer table places %d", len(pkgs), placed)
	}
	for _, p := range pkgs {
		rel := strings.TrimPrefix(p.ImportPath, module+"/")
		level, ok := layers[rel]
		if !ok {
			t.Errorf("%s is on no layer: add it to the layers table in shared/deps_test.go", rel)
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, module+"/")
			depLevel, known := layers[dep]
			switch {
			case !known:
				t.Errorf("%s imports %s, which is on no layer", rel, dep)
			case depLevel >= level:
				t.Errorf("%s (layer %d) imports %s (layer %d): a package imports only lower layers", rel, level, dep, depLevel)
			}
		}
	}
}

// TestDomainDependencies fails if a domain package (the core model, authn and the
// capabilities) depends on AWS or DynamoDB libraries, directly or transitively.
func TestDomainDependencies(t *testing.T) {
	var domain []string
	for rel, level := range layers {
		if level <= maxDomainLevel {
			domain = append(domain, module+"/"+rel)
		}
	}
	slices.Sort(domain)
	pkgs := goList(t, domain...)
	if len(pkgs) != len(domain) {
		t.Fatalf("go list returned %d packages for %d domain packages", len(pkgs), len(domain))
	}
	for _, p := range pkgs {
		// Guard against a silently empty listing: every domain package has dependencies.
		if len(p.Deps) == 0 {
			t.Fatalf("go list shows no dependencies for %s", p.ImportPath)
		}
		for _, d := range p.Deps {
			for _, bad := range forbiddenPrefixes {
				if strings.HasPrefix(d, bad) {
					t.Errorf("%s depends on %s; the domain must stay free of %s*", p.ImportPath, d, bad)
				}
			}
		}
	}
}
