package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// benchResult is one line of `go test -bench` output.
type benchResult struct {
	Name    string             // without the Benchmark prefix and the -GOMAXPROCS suffix
	N       int                // iterations
	Metrics map[string]float64 // by unit: ns/op, B/op, allocs/op and the custom ones
}

func (b benchResult) get(unit string) float64 { return b.Metrics[unit] }

var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// parseBench reads the benchmark lines of `go test -bench` output.
func parseBench(out []byte) (map[string]benchResult, error) {
	res := map[string]benchResult{}
	for _, line := range strings.Split(string(out), "\n") {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		b := benchResult{Name: m[1], N: n, Metrics: map[string]float64{}}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark line %q: %w", line, err)
			}
			b.Metrics[f[i+1]] = v
		}
		res[b.Name] = b
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("no benchmark results in the output")
	}
	return res, nil
}

// binary is one function's bootstrap as `make build` makes it.
type binary struct {
	Name      string
	Bytes     int64 // linux/arm64, -trimpath -ldflags='-s -w', -tags lambda.norpc
	ZipBytes  int64 // the same in a zip (deflate), as the deployment package is uploaded
	HostBytes int64 // the same flags for this machine's architecture (what the cold starts ran)
}

// buildFunctions builds every function twice with `make build`'s flags: for linux/arm64 (what
// is deployed; sizes) into tmp/arm64, and for this machine's architecture into hostDir (what
// the cold starts run, since arm64 binaries do not run here unless this machine is arm64).
func buildFunctions(ctx context.Context, tmp, hostDir string) ([]binary, error) {
	armDir := filepath.Join(tmp, "arm64")
	for _, b := range []struct{ dir, arch string }{{armDir, "arm64"}, {hostDir, runtime.GOARCH}} {
		if err := os.MkdirAll(b.dir, 0o755); err != nil {
			return nil, err
		}
		// One `go build` for all functions: packages compile once, the links run in parallel.
		if err := buildWith(ctx, b.arch, b.dir); err != nil {
			return nil, err
		}
	}
	entries, err := os.ReadDir(armDir)
	if err != nil {
		return nil, err
	}
	var out []binary
	for _, e := range entries {
		path := filepath.Join(armDir, e.Name())
		st, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var z bytes.Buffer
		zw := zip.NewWriter(&z)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", Method: zip.Deflate})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(raw); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		b := binary{Name: e.Name(), Bytes: st.Size(), ZipBytes: int64(z.Len())}
		if hs, err := os.Stat(filepath.Join(hostDir, e.Name())); err == nil {
			b.HostBytes = hs.Size()
		}
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func buildWith(ctx context.Context, arch, dir string) error {
	cmdEnv := append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	return runEnv(ctx, cmdEnv, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", dir+string(filepath.Separator), "./functions/...")
}
