// Command errorsreport writes docs/ERRORS.md (`make errors`): every error_type Latchkey emits,
// with its HTTP status and whether Stytch publishes the same type, read from the code under
// shared/ with go/parser. A test in this package fails while the committed file is stale, and
// when a type cannot be read from the code, lacks a note, or is emitted with two statuses.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("o", "docs/ERRORS.md", "where to write the table, relative to the repository root")
	flag.Parse()
	root, err := repoRoot()
	if err != nil {
		fail(err)
	}
	r, err := Build(root)
	if err != nil {
		fail(err)
	}
	path := *out
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	if err := os.WriteFile(path, []byte(r.Render()), 0o644); err != nil {
		fail(err)
	}
	fmt.Printf("%s: %d error types\n", *out, len(r.Rows))
	if problems := r.AllProblems(); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "errorsreport:", p)
		}
		os.Exit(1)
	}
}

// repoRoot is the nearest directory at or above the working directory holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory")
		}
		dir = parent
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "errorsreport:", err)
	os.Exit(1)
}
