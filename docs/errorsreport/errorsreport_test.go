package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func build(t *testing.T) (*Report, string) {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	r, err := Build(root)
	if err != nil {
		t.Fatal(err)
	}
	return r, root
}

func TestDocIsCurrent(t *testing.T) {
	r, root := build(t)
	have, err := os.ReadFile(filepath.Join(root, "docs", "ERRORS.md"))
	if err != nil {
		t.Fatalf("%v: run `make errors`", err)
	}
	if string(have) != r.Render() {
		t.Fatal("docs/ERRORS.md differs from what the code under shared/ generates: run `make errors`")
	}
}

func TestDataFiles(t *testing.T) {
	r, _ := build(t)
	for _, p := range r.Problems {
		t.Error(p)
	}
	if !strings.HasPrefix(stytchTypesFile, "# ") || !strings.Contains(strings.SplitN(stytchTypesFile, "\n", 2)[0], "@stytch/core") {
		t.Error("stytch_error_types.txt should open with a comment naming where the list comes from")
	}
	if n := len(parseStytchSet()); n < 800 {
		t.Errorf("stytch_error_types.txt holds %d names; the @stytch/core 2.66.1 list has 803", n)
	}
}

// Every error_type built from something other than a constant must be expanded by an entry of
// dynamicTypes; otherwise the table would silently miss it.
func TestDynamicSitesCovered(t *testing.T) {
	r, _ := build(t)
	for _, p := range r.CheckDynamic() {
		t.Error(p)
	}
}

func TestOneStatusPerType(t *testing.T) {
	r, _ := build(t)
	for _, p := range r.CheckStatuses() {
		t.Error(p)
	}
}

func TestNotes(t *testing.T) {
	r, _ := build(t)
	for _, p := range r.CheckNotes() {
		t.Error(p)
	}
}

// The checks must catch what they are for: fed a report with the faults planted.
func TestChecksCatchFaults(t *testing.T) {
	r, _ := build(t)
	sc := *r.Scan
	sc.Open = append([]Open{{Kind: "stytch", File: "shared/new.go", Func: "f", Expr: `"invalid_" + x`, Line: 7, StatusKnown: true}}, sc.Open...)
	bad := *r
	bad.Scan = &sc
	if got := strings.Join(bad.CheckDynamic(), "\n"); !strings.Contains(got, "shared/new.go:7") {
		t.Errorf("an uncovered non-constant site is not reported by file:line: %q", got)
	}

	bad = *r
	bad.Rows = append([]Row{{Type: "zz_new_type", Statuses: []int{400, 409}, Sites: []Site{
		{Type: "zz_new_type", Status: 400, File: "shared/a.go", Line: 1}, {Type: "zz_new_type", Status: 409, File: "shared/b.go", Line: 2}}}}, r.Rows...)
	if got := strings.Join(bad.CheckStatuses(), "\n"); !strings.Contains(got, "zz_new_type") || !strings.Contains(got, "shared/b.go:2") {
		t.Errorf("a type with two statuses is not reported: %q", got)
	}
	if got := strings.Join(bad.CheckNotes(), "\n"); !strings.Contains(got, "zz_new_type") {
		t.Errorf("a Latchkey-only type without a note is not reported: %q", got)
	}

	bad = *r
	bad.Notes = map[string]string{"zz_gone_type": "x"}
	for k, v := range r.Notes {
		bad.Notes[k] = v
	}
	if got := strings.Join(bad.CheckNotes(), "\n"); !strings.Contains(got, "zz_gone_type") {
		t.Errorf("a note for a type no longer emitted is not reported: %q", got)
	}
}
