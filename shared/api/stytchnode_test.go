package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// stytchNodeDir is the project-local npm folder that pins stytch-node (the npm package
// `stytch`); `make deps` installs it with npm ci.
const stytchNodeDir = "../../localstack/stytchnode"

// TestStytchNode drives the main flows through the official Stytch Node SDK against this
// package's stack: `node --test` runs localstack/stytchnode/b2b.test.mjs, which reads the
// stack's address, credentials and mail store from its environment. Like the stytch-go tests,
// it checks what comes back, not just that the SDK accepted it.
func TestStytchNode(t *testing.T) {
	node := stytchNodeInstalled(t)

	// stytch-node refuses a custom_base_url that is not https:// ("custom_base_url must use
	// HTTPS scheme"), so the same app is served over TLS as well, and node trusts the test
	// server's certificate through NODE_EXTRA_CA_CERTS (which covers both its fetch and the
	// https module that jose fetches the JWKS with).
	srv := httptest.NewTLSServer(env.App.Server.Handler(""))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "latchkey-test-ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "b2b.test.mjs")
	cmd.Dir = stytchNodeDir
	cmd.Env = append(os.Environ(),
		"NODE_EXTRA_CA_CERTS="+ca,
		"LATCHKEY_NODE_BASE_URL="+srv.URL,
		"LATCHKEY_NODE_PROJECT_ID="+env.ProjectID,
		"LATCHKEY_NODE_SECRET="+env.Secret,
		"LATCHKEY_NODE_SES_STORE="+env.Stack.SESEndpoint+"/store",
		"NO_COLOR=1",
	)
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		t.Fatalf("node --test localstack/stytchnode/b2b.test.mjs: %v\n%s", err, out.String())
	}
	t.Logf("node --test:\n%s", out.String())
}

// stytchNodeInstalled returns the node binary, failing (not skipping: CI runs make deps first)
// unless node is on PATH and the stytch version package.json pins is what node_modules holds.
func stytchNodeInstalled(t *testing.T) string {
	t.Helper()
	const hint = "run `make deps` (or make test), which installs it with npm ci"
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH: install Node.js 20 or newer with npm (apt-get install -y nodejs npm), then run `make deps`: %v", err)
	}
	var pinned struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	readJSON(t, filepath.Join(stytchNodeDir, "package.json"), &pinned)
	want := pinned.Dependencies["stytch"]
	if want == "" {
		t.Fatalf("%s/package.json does not pin stytch", stytchNodeDir)
	}
	lock, err := os.ReadFile(filepath.Join(stytchNodeDir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The lockfile names no registry: .npmrc beside it sets omit-lockfile-registry-resolved.
	if bytes.Contains(lock, []byte(`"resolved"`)) {
		t.Errorf("localstack/stytchnode/package-lock.json has \"resolved\" URLs: regenerate it with npm install run in that folder, whose .npmrc leaves them out")
	}
	installed := filepath.Join(stytchNodeDir, "node_modules", "stytch", "package.json")
	if _, err := os.Stat(installed); err != nil {
		t.Fatalf("stytch-node is not installed in localstack/stytchnode/node_modules: %s", hint)
	}
	var got struct {
		Version string `json:"version"`
	}
	readJSON(t, installed, &got)
	if got.Version != want {
		t.Fatalf("localstack/stytchnode/node_modules has stytch %s, its package.json pins %s: %s", got.Version, want, hint)
	}
	out, err := exec.Command(node, "-p", "process.versions.node.split('.')[0]").Output()
	if major, _ := strconv.Atoi(strings.TrimSpace(string(out))); err != nil || major < 20 {
		t.Fatalf("Node.js 20 or newer is needed for node --test and stytch-node (node -p gave %q, %v); then run `make deps`", strings.TrimSpace(string(out)), err)
	}
	return node
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
