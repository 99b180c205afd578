// Command perfreport is `make bench`: it runs the Go benchmarks (shared/bench), builds every
// function the way `make build` does, runs the HTTP load generator with cold starts
// (localstack/loadtest), computes the cost model from what they measured, and rewrites
// docs/PERFORMANCE.md. The prose is docs/perfreport/template.md; every number in the tables
// comes from the run.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/latchkey/latchkey/localstack/loadtest/result"
)

// settings bound the run; -quick shrinks them to check the pipeline, not to measure.
type settings struct {
	benchtime string
	workers   int
	duration  time.Duration
	warmup    time.Duration
	coldRuns  int
}

var (
	full  = settings{benchtime: "2s", workers: 8, duration: 5 * time.Second, warmup: time.Second, coldRuns: 5}
	quick = settings{benchtime: "200ms", workers: 8, duration: time.Second, warmup: 300 * time.Millisecond, coldRuns: 2}
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "perfreport:", err)
		os.Exit(1)
	}
}

func run() error {
	out := flag.String("out", filepath.Join("docs", "PERFORMANCE.md"), "file to write")
	isQuick := flag.Bool("quick", false, "short run to check the pipeline (numbers not meaningful)")
	flag.Parse()
	s := full
	if *isQuick {
		s = quick
	}
	if _, err := os.Stat(filepath.Join("functions")); err != nil {
		return fmt.Errorf("run from the repository root: %w", err)
	}
	begin := time.Now()
	// `make bench` must finish within 5 minutes on a 2-core machine; this is the hard stop.
	ctx, cancel := context.WithTimeout(context.Background(), 290*time.Second)
	defer cancel()

	tmp, err := os.MkdirTemp("", "latchkey-perf-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	var r report
	r.Settings = s
	r.Quick = *isQuick
	r.Machine = describeMachine(ctx)
	phase := func(name string, f func() error) error {
		t := time.Now()
		fmt.Fprintf(os.Stderr, "perfreport: %s\n", name)
		err := f()
		r.Phases = append(r.Phases, phaseTime{name, time.Since(t)})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}

	if err := phase("Go benchmarks (shared/bench)", func() error {
		raw, err := command(ctx, "go", "test", "-count=1", "-run", "^$", "-bench", ".", "-benchtime", s.benchtime, "-timeout", "4m", "./shared/bench")
		if err != nil {
			return err
		}
		r.Bench, err = parseBench(raw)
		return err
	}); err != nil {
		return err
	}

	hostDir := filepath.Join(tmp, "host")
	if err := phase("function builds (make build flags; linux/arm64 for size, this machine's arch for cold starts)", func() error {
		var err error
		if r.Binaries, err = buildFunctions(ctx, tmp, hostDir); err != nil {
			return err
		}
		_, err = command(ctx, "go", "build", "-o", filepath.Join(tmp, "loadtest"), "./localstack/loadtest")
		return err
	}); err != nil {
		return err
	}

	if err := phase("load run and cold starts (localstack/loadtest)", func() error {
		jsonPath := filepath.Join(tmp, "load.json")
		if _, err := command(ctx, filepath.Join(tmp, "loadtest"),
			"-workers", fmt.Sprint(s.workers), "-duration", s.duration.String(), "-warmup", s.warmup.String(),
			"-coldstart", hostDir, "-coldstart-runs", fmt.Sprint(s.coldRuns), "-json", jsonPath); err != nil {
			return err
		}
		raw, err := os.ReadFile(jsonPath)
		if err != nil {
			return err
		}
		r.Load = &result.Report{}
		return json.Unmarshal(raw, r.Load)
	}); err != nil {
		return err
	}

	r.AccessLogLine = accessLogLine(filepath.Join("infra", "stack.go"))
	r.Elapsed = time.Since(begin)
	doc, err := render(&r)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, []byte(doc), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "perfreport: wrote %s in %s\n", *out, r.Elapsed.Round(time.Second))
	// A missed target is reported, not an error: the run measures.
	for _, t := range checkTargets(&r) {
		fmt.Fprintf(os.Stderr, "perfreport: target %s: %s, measured %s\n", t.What, strings.Trim(t.verdict(), "*"), t.Measured)
	}
	return nil
}

type phaseTime struct {
	Name string
	D    time.Duration
}

// command runs a command from the repository root, passing its stderr through (progress) and
// returning its stdout.
func command(ctx context.Context, name string, args ...string) ([]byte, error) {
	return commandEnv(ctx, nil, name, args...)
}

func runEnv(ctx context.Context, env []string, name string, args ...string) error {
	_, err := commandEnv(ctx, env, name, args...)
	return err
}

func commandEnv(ctx context.Context, env []string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env // nil: this process's environment
	// On the deadline, ask first (the load generator stops its emulators on SIGTERM); WaitDelay
	// kills it if it does not exit.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(&out, os.Stderr)
	cmd.Stderr = os.Stderr
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return out.Bytes(), nil
}

type machine struct {
	CPUs     int
	Model    string
	MemGiB   float64
	GoVer    string
	OS, Arch string
	Load1    string // 1-minute load average when the run started: other work on the machine
}

func describeMachine(ctx context.Context) machine {
	m := machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, GoVer: runtime.Version()}
	if raw, err := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output(); err == nil {
		m.GoVer = strings.TrimSpace(string(raw))
	}
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.Join(strings.Fields(v), " ")
				break
			}
		}
	}
	if raw, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(raw)); len(f) > 0 {
			m.Load1 = f[0]
		}
	}
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			var kb float64
			if _, err := fmt.Sscanf(line, "MemTotal: %f kB", &kb); err == nil {
				m.MemGiB = kb / (1 << 20)
			}
		}
	}
	return m
}
