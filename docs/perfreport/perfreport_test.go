package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/localstack/loadtest/result"
)

func TestParseBench(t *testing.T) {
	out := `goos: linux
BenchmarkGetItemBaseline-2            	    1026	   1113615 ns/op	         1.000 RCU/op	         0 WCU/op	   34996 B/op	     437 allocs/op
BenchmarkJWTIssue                     	     933	   1390295 ns/op	         0 ddb-calls/op	         0 requests/op	   14220 B/op	      98 allocs/op
PASS
`
	res, err := parseBench([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	g := res["GetItemBaseline"]
	if g.N != 1026 || g.get("ns/op") != 1113615 || g.get("RCU/op") != 1 || g.get("allocs/op") != 437 {
		t.Fatalf("GetItemBaseline: %+v", g)
	}
	if res["JWTIssue"].get("B/op") != 14220 {
		t.Fatalf("JWTIssue: %+v", res["JWTIssue"])
	}
	if _, err := parseBench([]byte("PASS\n")); err == nil {
		t.Fatal("no benchmark lines must be an error")
	}
}

func TestFormatting(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{{7.349, "$7.3"}, {0.4123, "$0.41"}, {0.004, "< $0.01"}, {0, "$0"}, {123.4, "$120"}, {2040, "$2,000"}} {
		if got := usd(c.v); got != c.want {
			t.Errorf("usd(%v) = %s, want %s", c.v, got, c.want)
		}
	}
	if got := sig(2040000, 3); got != "2,040,000" {
		t.Errorf("sig = %s", got)
	}
}

// The access log line is rendered from the constant in a Go file, joined from literals.
func TestAccessLogLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stack.go")
	src := "package infra\n\nconst accessLogFormat = `{\"requestId\":\"$context.requestId\",` +\n\t`\"status\":\"$context.status\",\"x\":\"$context.unknown.thing\"}`\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got := accessLogLine(path)
	if got != `{"requestId":"O+64mS33dlYCKw=","status":"200","x":"-"}`+"\n" {
		t.Fatalf("got %q", got)
	}
	if accessLogLine(filepath.Join(t.TempDir(), "missing.go")) != "" {
		t.Fatal("a missing file must give no line")
	}
}

// The cost model multiplies usage by the per-occurrence inputs and the list prices.
func TestCostModel(t *testing.T) {
	c := &costModel{Flows: map[string]flow{
		"login": {Requests: 2, RCU: 6, WCU: 30, BilledMS: 30, PessimisticMS: 100, LogBytes: 2000, RespBytes: 7000, SES: 1},
		"token": {Requests: 1, RCU: 3, BilledMS: 4, PessimisticMS: 14, LogBytes: 1000, RespBytes: 4600},
		"jwt":   {Requests: 1, RCU: 4, BilledMS: 5, PessimisticMS: 25, LogBytes: 1000, RespBytes: 4500},
	}}
	c.compute()
	a := profiles[0] // 20 logins, 2000 token checks
	wantReq := members * (a.Logins*2 + a.TokenChecks)
	if c.Items[0].Units[0] != wantReq || c.Items[1].Units[0] != wantReq {
		t.Fatalf("requests: %v", c.Items[0].Units)
	}
	if got, want := c.Items[0].USD[0], wantReq/1e6*1.00; got != want {
		t.Fatalf("API Gateway: %v, want %v", got, want)
	}
	if got, want := c.Items[5].USD[0], members*a.Logins/1000*0.10; got != want {
		t.Fatalf("SES: %v, want %v", got, want)
	}
	sum := 0.0
	for _, li := range c.Items {
		sum += li.USD[0]
	}
	if c.Total[0] != sum || c.TotalPess[0] <= c.Total[0] {
		t.Fatalf("totals: %v %v (sum %v)", c.Total, c.TotalPess, sum)
	}
	if !strings.Contains(costDrivers(c), "profile A (remote)") {
		t.Fatal(costDrivers(c))
	}
}

// fixedReport is a run with round numbers: a session flow at half its baseline's throughput
// with 1.2 ms of gateway CPU, and a member get at 0.9 of its baseline's.
func fixedReport() *report {
	bench := func(ns, calls, rcu float64) benchResult {
		return benchResult{Metrics: map[string]float64{"ns/op": ns, "ddb-calls/op": calls, "RCU/op": rcu}}
	}
	cpu := func(gw, gen, ddb float64) *result.CPU {
		return &result.CPU{Gateway: gw, Generator: gen, DynamoDB: ddb, SES: 0.01, Elapsed: 5, MachineBusy: 1.9}
	}
	route := func(rcu float64) []result.Route {
		return []result.Route{{Route: "POST /x", Requests: 10, DynamoDBCalls: 1, RCU: rcu}}
	}
	return &report{
		Settings: quick, Machine: machine{CPUs: 2},
		Bench: map[string]benchResult{
			"GetItemBaseline":          bench(1e6, 1, 1),
			"BatchGetSessionBaseline":  bench(2e6, 1, 3),
			"BatchGetMemberBaseline":   bench(1.5e6, 1, 2),
			"SessionAuthenticateToken": bench(4e6, 1, 3),
			"MemberGet":                bench(3e6, 1, 2),
			"JWTIssue":                 {Metrics: map[string]float64{"ns/op": 0.9e6, "cpu-ms/op": 0.85}},
			"JWTLocalStytchGo":         bench(0.1e6, 0, 0),
		},
		Load: &result.Report{Workers: 8, Scenarios: []result.Scenario{
			{Name: "getitem", Ops: 5000, PerSecond: 1000, CPU: cpu(0.001, 0.3, 0.6), Raw: &result.Raw{Calls: 1, RCU: 1, Items: 1}},
			{Name: "healthz", HTTP: true, Baseline: "getitem", Ops: 9000, PerSecond: 1800, CPU: cpu(0.2, 0.25, 0)},
			{Name: "batchget_session", Ops: 3500, PerSecond: 700, CPU: cpu(0.001, 0.5, 1.9), Raw: &result.Raw{Calls: 1, RCU: 3, Items: 3}},
			{Name: "session_token", HTTP: true, Baseline: "batchget_session", Ops: 2000, PerSecond: 400, CPU: cpu(1.2, 0.6, 2.2), Routes: route(3)},
			{Name: "batchget_session_after", Repeats: "batchget_session", Ops: 4500, PerSecond: 900, CPU: cpu(0.001, 0.5, 1.9), Raw: &result.Raw{Calls: 1, RCU: 3, Items: 3}},
			{Name: "batchget_member", Ops: 5000, PerSecond: 1000, CPU: cpu(0.001, 0.4, 1.4), Raw: &result.Raw{Calls: 1, RCU: 2, Items: 2}},
			{Name: "member_get", HTTP: true, Baseline: "batchget_member", Ops: 4500, PerSecond: 900, CPU: cpu(0.4, 0.5, 1.4), Routes: route(2)},
			{Name: "batchget_member_after", Repeats: "batchget_member", Ops: 5000, PerSecond: 1000, CPU: cpu(0.001, 0.4, 1.4), Raw: &result.Raw{Calls: 1, RCU: 2, Items: 2}},
			{Name: "getitem_end", Repeats: "getitem", Ops: 5000, PerSecond: 1000, CPU: cpu(0.001, 0.3, 0.6), Raw: &result.Raw{Calls: 1, RCU: 1, Items: 1}},
		}},
	}
}

// The targets are checked against each flow's own baseline: the mean of its two runs.
func TestTargets(t *testing.T) {
	r := fixedReport()
	ts := checkTargets(r)
	if len(ts) != 4 {
		t.Fatalf("%d targets", len(ts))
	}
	ratio, cpu, member := ts[0], ts[1], ts[2]
	if ts[3].Checked || !strings.Contains(ts[3].Why, "did not both run") {
		t.Errorf("the import target without its benchmarks: %+v", ts[3])
	}
	if !ratio.Checked || ratio.Met || ratio.Measured != "0.50 (400 of 800 ops/s)" {
		t.Errorf("session ratio: %+v", ratio)
	}
	// 4.0 ms of CPU per flow op against 2.4 per baseline op, with the machine at 1.9 of 2 cores.
	for _, want := range []string{"4.01 ms of CPU", "gateway 1.20", "2.41 ms", "1.90 of the 2 cores busy, throughput", "near 0.60"} {
		if !strings.Contains(ratio.Why, want) {
			t.Errorf("session ratio reason lacks %q: %s", want, ratio.Why)
		}
	}
	if !cpu.Checked || cpu.Met || cpu.Measured != "1.20 ms" || !strings.Contains(cpu.Why, "used 0.850 ms of CPU in process (JWTIssue), so a signature") ||
		!strings.Contains(cpu.Why, "no credentials) used 0.200 ms") {
		t.Errorf("session CPU: %+v", cpu)
	}
	// The machine was far from busy: then waiting, not CPU, is the reason given.
	for i := range r.Load.Scenarios {
		c := *r.Load.Scenarios[i].CPU
		c.MachineBusy = 0.5
		r.Load.Scenarios[i].CPU = &c
	}
	r.Load.Scenarios[3].PerSecond = 200
	if why := checkTargets(r)[0].Why; !strings.Contains(why, "only 0.80 of the 2 cores were busy") {
		t.Errorf("idle machine: %s", why)
	}
	if !member.Checked || !member.Met || member.Measured != "0.90 (900 of 1000 ops/s)" {
		t.Errorf("member ratio: %+v", member)
	}

	// A flow that no longer reads what its baseline reads says so.
	r = fixedReport()
	r.Load.Scenarios[3].Routes = []result.Route{{Route: "POST /x", Requests: 10, DynamoDBCalls: 2, RCU: 4}}
	if why := checkTargets(r)[0].Why; !strings.Contains(why, "no longer read the same items") {
		t.Errorf("mismatch not reported: %s", why)
	}

	// Without the load scenario, or without the gateway's CPU, a target is not measured, not missed.
	r.Load.Scenarios = r.Load.Scenarios[:3]
	for _, tr := range checkTargets(r) {
		if tr.Checked || tr.verdict() != "not measured" || tr.Why == "" {
			t.Errorf("unmeasured target: %+v", tr)
		}
	}
	table := targetsTable(ts)
	if !strings.Contains(table, "| **not met** |") || !strings.Contains(table, "| met |  |") {
		t.Errorf("table:\n%s", table)
	}
}

// The summary divides each flow by its own baseline, in process and under load, and the whole
// document renders from fixed inputs.
func TestRender(t *testing.T) {
	r := fixedReport()
	sum := summaryTable(r)
	for _, want := range []string{
		// 2 ms baseline / 4 ms flow; 400 ops/s against the mean of 700 and 900.
		"| session authenticate, session_token | BatchGetItem of its 3 items | 1.00 | 3.00 / 0 | 4.00 ms | 0.50 | 400 | 0.50 |",
		"| member get | BatchGetItem of its 2 items | 1.00 | 2.00 / 0 | 3.00 ms | 0.50 | 900 | 0.90 |",
		// a baseline row: its own mean under load, no ratio
		"| raw BatchGetItem of a session, its organization and member | — | 1.00 | 3.00 / 0 | 2.00 ms | — | 800 | — |",
	} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
	load, routes, _ := loadTables(r.Load)
	if !strings.Contains(load, "| session_token |  | 2000 | 0 | 400 | batchget_session (mean of 2 runs) | 0.50 |") {
		t.Errorf("load table:\n%s", load)
	}
	if !strings.Contains(routes, "| batchget_session | (raw SDK call, no HTTP; 3.00 items per op) | 3500 | — | 1.00 | 3.00 |") ||
		strings.Contains(routes, "batchget_session_after") {
		t.Errorf("routes table:\n%s", routes)
	}
	cpu := cpuTable(r.Load)
	// 4.01 ms per op × 2000 ops over 5 s is 1.60 cores.
	if !strings.Contains(cpu, "| session_token | 2000 | 1.20 | 0.600 | 2.20 | 0.010 | 4.01 | 1.60 | 1.90 |") {
		t.Errorf("CPU table:\n%s", cpu)
	}
	doc, err := render(r)
	if err != nil {
		t.Fatal(err)
	}
	// Signing every answer: the session's extra over member get's is about the signature.
	r.Bench["SessionAuthenticateToken"] = benchResult{Metrics: map[string]float64{"ns/op": 4.4e6}}
	if got := signing(r); !strings.Contains(got, "0.900 ms more than member get's, mostly the answer's freshly signed session JWT") {
		t.Errorf("signing: %s", got)
	}
	for _, want := range []string{"## Targets", "| **not met** |", "### CPU per operation",
		"Session authenticate by token took 4.00 ms, 2.00 ms more than the raw BatchGetItem of the same three items (2.00 ms)",
		"The session's extra is only 0.500 ms more than member get's, less than signing one session JWT alone (0.900 ms, JWTIssue): most of its answers", "the session's BatchGetItem of 3 items 2.00 ms in process (3.00 RCU), 800 ops/s"} {
		if !strings.Contains(doc, want) {
			t.Errorf("document lacks %q", want)
		}
	}
}

// The bulk import's target holds members/s to raw BatchWriteItem's of the same items, and a
// miss is explained by the raw TransactWriteItems ceiling of the same run.
func TestImportTarget(t *testing.T) {
	r := fixedReport()
	perSecond := func(v float64) benchResult {
		return benchResult{Metrics: map[string]float64{"members/s": v, "ns/op": 1e9 / v}}
	}
	r.Bench["MigrateImport"], r.Bench["MigrateBatchWriteBaseline"], r.Bench["MigrateTransactWriteBaseline"] = perSecond(450), perSecond(1300), perSecond(480)
	imp := checkTargets(r)[3]
	if !imp.Checked || imp.Met || imp.Measured != "0.35 (450 of 1300 members/s)" {
		t.Fatalf("%+v", imp)
	}
	for _, want := range []string{"reached 480 members/s, 0.37 × BatchWriteItem's", "reaches 0.50", "reached 0.94 of that ceiling."} {
		if !strings.Contains(imp.Why, want) {
			t.Errorf("reason lacks %q: %s", want, imp.Why)
		}
	}
	r.Bench["MigrateImport"] = perSecond(700)
	if imp := checkTargets(r)[3]; !imp.Met || imp.Why != "" {
		t.Fatalf("met: %+v", imp)
	}
	r.Bench["MigrateImport"] = benchResult{Metrics: map[string]float64{"ns/op": 1e9 / 200.0}} // members/s from ns/op
	if imp := checkTargets(r)[3]; imp.Measured != "0.15 (200 of 1300 members/s)" || !strings.Contains(imp.Why, "the import's own work") {
		t.Fatalf("from ns/op: %+v", imp)
	}
	doc, err := render(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc, "| MigrateImport | one member of a bulk import") || !strings.Contains(doc, "bulk import (issue 15)") {
		t.Error("the document lacks the import's rows")
	}
}

// The webhook cost multiplies the per-event measurements by the events of 1,000 members.
func TestWebhooksCost(t *testing.T) {
	r := &report{Bench: map[string]benchResult{}}
	if got := webhooksCost(r); !strings.Contains(got, "did not run") {
		t.Fatal(got)
	}
	r.Bench["EventsPipeline"] = benchResult{Metrics: map[string]float64{"ns/op": 1e7, "events/s": 100, "WCU/op": 5, "sqs-requests/op": 0.3,
		"capture-invocations/op": 0.01, "delivery-invocations/op": 0.1}}
	got := webhooksCost(r)
	// 10,000 events × 5 WRU = 50,000 WRU at $0.625 a million.
	if !strings.Contains(got, "| 50,000 WRU | $0.0312 |") || !strings.Contains(got, "| 3,000 requests | $0.0012 |") {
		t.Fatal(got)
	}
}
