// Command loadtest measures Latchkey over HTTP on this machine. It starts its own emulators
// (DynamoDB Local, aws-ses-v2-local), a fresh table and the local gateway, in a process of its
// own (this binary re-executed; see gateway.go), on a 127.0.0.1 port, and sends load only
// there: it cannot be pointed at anything else.
//
// Each scenario runs -workers goroutines for at most -duration and -requests operations, after
// a discarded warm-up, and reports operations per second, client-side p50/p95/p99 and the CPU
// time each process used per operation; the server side of each request (DynamoDB calls,
// consumed capacity, handler latency) comes from the app's own request log lines. The raw
// DynamoDB GetItem baseline runs first and again last, with the same concurrency; a flow with a
// raw baseline of its own (the BatchGetItem of exactly the items it reads) has it run right
// before and again right after it. After the scenarios, one cleanup run removes everything the
// logins left expiring, and its cost is measured too.
//
// With -coldstart DIR it also cold-starts each function binary in DIR (built for this machine
// with the flags of `make build`) under a minimal Lambda Runtime API; see coldstart.go.
//
//	go run ./localstack/loadtest -workers 8 -duration 5s -json /tmp/load.json
//
// `make bench` runs it through docs/perfreport, which writes docs/PERFORMANCE.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/latchkey/latchkey/localstack/loadtest/result"
	"github.com/latchkey/latchkey/shared/callcount"
)

func main() {
	if spec := os.Getenv(gatewayEnv); spec != "" {
		if err := serveGateway(spec); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest gateway:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run() error {
	workers := flag.Int("workers", 8, "concurrent workers per scenario (1-64)")
	duration := flag.Duration("duration", 5*time.Second, "measured time per scenario (at most 60s)")
	maxOps := flag.Int("requests", 20000, "operations per scenario, at most (at most 200000)")
	warmup := flag.Duration("warmup", time.Second, "discarded warm-up per scenario (at most 10s)")
	members := flag.Int("members", 0, "members to create and log in (default 4 per worker)")
	only := flag.String("scenarios", "", "comma-separated scenarios to run (default all): "+scenarioNames())
	jsonOut := flag.String("json", "", "write the results as JSON to this file")
	coldDir := flag.String("coldstart", "", "directory of function binaries to cold-start (optional)")
	coldRuns := flag.Int("coldstart-runs", 5, "cold starts per function (1-20)")
	root := flag.String("root", ".", "repository root (for events/ sample events)")
	flag.Parse()
	switch {
	case *workers < 1 || *workers > 64:
		return fmt.Errorf("-workers %d: 1-64", *workers)
	case *duration <= 0 || *duration > time.Minute:
		return fmt.Errorf("-duration %s: up to 1m", *duration)
	case *maxOps < 1 || *maxOps > 200000:
		return fmt.Errorf("-requests %d: 1-200000", *maxOps)
	case *warmup < 0 || *warmup > 10*time.Second:
		return fmt.Errorf("-warmup %s: up to 10s", *warmup)
	case *coldRuns < 1 || *coldRuns > 20:
		return fmt.Errorf("-coldstart-runs %d: 1-20", *coldRuns)
	}
	if *members == 0 {
		*members = 4 * *workers
	}
	*members = max(*members, *workers)
	selected, err := pick(*only)
	if err != nil {
		return err
	}

	begin := time.Now()
	// Everything is bounded: the scenarios by their flags, the whole run by this.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	fmt.Fprintf(os.Stderr, "loadtest: starting emulators and the local gateway; seeding %d members\n", *members)
	h, err := start(ctx, *members)
	if err != nil {
		return err
	}
	defer h.close()

	rep := result.Report{
		Workers: *workers, Duration: duration.Seconds(), MaxRequests: *maxOps, Warmup: warmup.Seconds(),
		StartedAt: begin.UTC(), GoMaxProcs: runtime.GOMAXPROCS(0), GatewayProcess: true,
	}
	rep.Notes = append(rep.Notes,
		"Operations still in flight when a scenario's time is up are allowed to finish, so a scenario can overrun its duration by one operation.")
	if h.procs.ddb == 0 || h.procs.ses == 0 {
		rep.Notes = append(rep.Notes, "An emulator was not found among the load generator's child processes (given by endpoint?), so its CPU time is not reported.")
	}
	rep.Members = len(h.members)
	if *warmup > 0 {
		fmt.Fprintf(os.Stderr, "loadtest: warm-up, %s per scenario\n", *warmup)
		for _, sc := range selected {
			w := h.run(ctx, sc, runOpts{workers: *workers, duration: *warmup, maxOps: *maxOps})
			if w.Errors > 0 {
				return fmt.Errorf("warm-up %s: %d errors, first: %s", sc.name, w.Errors, w.FirstError)
			}
		}
	}
	for _, sc := range plan(selected) {
		fmt.Fprintf(os.Stderr, "loadtest: %s (%d workers, %s)\n", sc.name, *workers, *duration)
		rep.Scenarios = append(rep.Scenarios, h.run(ctx, sc, runOpts{workers: *workers, duration: *duration, maxOps: *maxOps}))
		if err := ctx.Err(); err != nil {
			return err
		}
	}

	// One cleanup run over everything the run left expiring: magic-link tokens and sessions.
	fmt.Fprintln(os.Stderr, "loadtest: cleanup of the expired tokens and sessions")
	cctx, calls := callcount.With(ctx)
	t := time.Now()
	stats, err := h.store.DeleteExpired(cctx, time.Now().Add(3*time.Hour), 1<<30)
	if err != nil {
		return fmt.Errorf("cleanup: %w", err)
	}
	rcu, wcu := calls.Capacity()
	rep.Logins, rep.SESMessages = int(h.logins.Load()), int(h.sends.Load())
	rep.Cleanup = &result.Cleanup{Deleted: stats.Deleted, Read: stats.Read, Calls: calls.Total(), RCU: rcu, WCU: wcu,
		Elapsed: time.Since(t).Seconds(), Logins: rep.Logins}

	if *coldDir != "" {
		fmt.Fprintf(os.Stderr, "loadtest: cold starts of the binaries in %s, %d each\n", *coldDir, *coldRuns)
		// The cleanup above ended every session; the sessions function's first request needs one.
		m := h.members[0]
		res, err := h.login(ctx, m, nil)
		if err != nil {
			return err
		}
		m.token, m.jwt = res.SessionToken, res.SessionJWT
		b, c, err := h.buildTimes(ctx, *coldRuns)
		if err != nil {
			return err
		}
		rep.Build, rep.AWSConfig = &b, &c
		if rep.ColdStarts, err = h.coldStarts(ctx, *coldDir, *root, *coldRuns); err != nil {
			return err
		}
		sortedFunctions(rep.ColdStarts)
	}
	rep.Elapsed = time.Since(begin).Seconds()
	print(rep)
	if *jsonOut != "" {
		raw, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, raw, 0o644); err != nil {
			return err
		}
	}
	for _, sc := range rep.Scenarios {
		if sc.Errors > 0 {
			return fmt.Errorf("%s: %d of %d operations failed; first: %s", sc.Name, sc.Errors, sc.Errors+sc.Ops, sc.FirstError)
		}
	}
	for _, f := range rep.ColdStarts {
		if f.Errors > 0 {
			return fmt.Errorf("cold start of %s: %d of %d runs failed; first: %s", f.Name, f.Errors, f.Runs, f.FirstError)
		}
	}
	return nil
}

// plan orders the measured runs: a flow's own baseline right before and again right after it,
// and the GetItem baseline first and again last, so that a drift of the machine during the run
// falls on both sides of a ratio.
func plan(selected []scenario) []scenario {
	picked := map[string]scenario{}
	for _, s := range selected {
		picked[s.name] = s
	}
	placed := map[string]bool{} // baselines that run next to their flow
	for _, s := range selected {
		if _, ok := picked[s.baseline]; ok && s.baseline != "" {
			placed[s.baseline] = true
		}
	}
	again := func(b scenario, suffix, desc string) scenario {
		b.repeats, b.name, b.desc = b.name, b.name+suffix, desc
		return b
	}
	var order []scenario
	for _, s := range selected {
		if placed[s.name] {
			continue
		}
		if b, ok := picked[s.baseline]; ok && s.baseline != "" {
			order = append(order, b, s, again(b, "_after", "The same baseline again, right after "+s.name))
			continue
		}
		order = append(order, s)
	}
	if selected[0].name == "getitem" && len(order) > 1 {
		order = append(order, again(selected[0], "_end", "The baseline again, after the other scenarios"))
	}
	return order
}

func scenarioNames() string {
	var n []string
	for _, s := range scenarios {
		n = append(n, s.name)
	}
	return strings.Join(n, ",")
}

func pick(list string) ([]scenario, error) {
	if list == "" {
		return scenarios, nil
	}
	var out []scenario
	for _, name := range strings.Split(list, ",") {
		found := false
		for _, s := range scenarios {
			if s.name == strings.TrimSpace(name) {
				out, found = append(out, s), true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown scenario %q (have %s)", name, scenarioNames())
		}
	}
	return out, nil
}

func print(rep result.Report) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "scenario\tops\terrors\tops/s\tp50 ms\tp95 ms\tp99 ms\tCPU ms/op: gateway\tgenerator\tDynamoDB Local\t")
	for _, s := range rep.Scenarios {
		var c result.CPU
		if s.CPU != nil {
			c = *s.CPU
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.3f\t%.3f\t%.3f\t\n", s.Name, s.Ops, s.Errors, s.PerSecond,
			s.Latency.P50, s.Latency.P95, s.Latency.P99, c.Gateway, c.Generator, c.DynamoDB)
	}
	w.Flush()
	for _, f := range rep.ColdStarts {
		fmt.Printf("cold start %-14s init p50 %.1f ms, first invocation p50 %.1f ms, peak RSS %.0f MB\n", f.Name, f.Init.P50, f.FirstInvoke.P50, f.PeakRSSMB)
	}
}
