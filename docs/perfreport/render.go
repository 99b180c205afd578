package main

import (
	_ "embed"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/latchkey/latchkey/localstack/loadtest/result"
)

//go:embed template.md
var docTemplate string

// report is everything one run measured.
type report struct {
	Settings      settings
	Quick         bool
	Machine       machine
	Phases        []phaseTime
	Bench         map[string]benchResult
	Binaries      []binary
	Load          *result.Report
	AccessLogLine string
	Elapsed       time.Duration
}

// view is what the template sees: finished tables and the numbers the prose quotes.
type view struct {
	Date, Machine, Run, Elapsed, Phases                    string
	Quick                                                  bool
	Summary, Bench, Load, Routes, Steps, Cold, ColdSummary string
	Targets, CPU, Baselines                                string
	Inputs, Profiles, Prices, Cost, CostSummary            string
	Workers                                                int
	Duration, Benchtime                                    string
	ColdRuns                                               int
	MemoryMB                                               int
	Members                                                int
	JWTIssueMS, TokenMS, MemberGetMS, GetItemMS            string
	SESRead, Cleanup, AccessLog, PlatformLog               string
	ColdCost, PessCallMS, PessSESMS, PricesAsOf            string
	ColdRange, Signing, CPUShare, CPUScaled, Drivers       string
	Passwords                                              string
	Webhooks                                               string
	LoadMembers                                            int
	Notes                                                  []string
}

// baselineDef is a raw-DynamoDB yardstick: the reads a flow cannot avoid, with nothing of
// Latchkey around them, as a benchmark and as a load scenario.
type baselineDef struct{ label, desc, bench, scenario string }

var (
	getItemBase = &baselineDef{"GetItem (yardstick)", "the GetItem", "GetItemBaseline", "getitem"}
	sessionBase = &baselineDef{"BatchGetItem of its 3 items", "the session's BatchGetItem of 3 items", "BatchGetSessionBaseline", "batchget_session"}
	memberBase  = &baselineDef{"BatchGetItem of its 2 items", "member get's BatchGetItem of 2 items", "BatchGetMemberBaseline", "batchget_member"}
)

// rows of the summary: a flow, its benchmark, its load scenario and its baseline (nil for a
// baseline). A flow with no raw baseline of its own is compared with the GetItem.
var flows = []struct {
	name, bench, scenario string
	base                  *baselineDef
}{
	{"raw DynamoDB GetItem of a member item (the general yardstick)", "GetItemBaseline", "getitem", nil},
	{"raw BatchGetItem of a session, its organization and member", "BatchGetSessionBaseline", "batchget_session", nil},
	{"raw BatchGetItem of an organization and a member", "BatchGetMemberBaseline", "batchget_member", nil},
	{"session authenticate, session_token", "SessionAuthenticateToken", "session_token", sessionBase},
	{"session authenticate, session_jwt (remote)", "SessionAuthenticateJWT", "session_jwt", getItemBase},
	{"session JWT verified locally (stytch-go AuthenticateJWTLocal)", "JWTLocalStytchGo", "", getItemBase},
	{"member get", "MemberGet", "member_get", memberBase},
	{"magic-link login, full (send + read email + authenticate)", "MagicLinkLogin", "magic_link_login", getItemBase},
}

var benchDescriptions = map[string]string{
	"GetItemBaseline":          "one consistent GetItem of a member item (SDK client, no HTTP)",
	"BatchGetSessionBaseline":  "one consistent BatchGetItem of the session, organization and member items that session authenticate by token reads (SDK client, no HTTP)",
	"BatchGetMemberBaseline":   "one consistent BatchGetItem of the organization and member items that member get reads (SDK client, no HTTP)",
	"SessionAuthenticateToken": "POST /v1/b2b/sessions/authenticate {session_token}, through the gateway handler",
	"SessionAuthenticateJWT":   "the same with {session_jwt}",
	"MemberGet":                "GET /v1/b2b/organizations/{org}/member?member_id=",
	"JWTLocalStytchGo":         "stytch-go Sessions.AuthenticateJWTLocal (JWKS fetched once)",
	"JWTLocalVerify":           "Latchkey's own tokens.SessionJWT.Verify",
	"JWTIssue":                 "signing one session JWT (RS256, 2048-bit)",
	"MagicLinkLogin":           "login_or_signup + read the email from the SES emulator + magic_links/authenticate",
	"PasswordHash":             "one argon2id hash (19 MiB, t=2, p=1): setting or checking a password",
	"PasswordAuthenticate":     "POST /v1/b2b/passwords/authenticate, right password, through the gateway handler",
	"PasswordReset":            "passwords/email/reset/start + read the email from the SES emulator + passwords/email/reset",
	"MigrateImport": "one member of a bulk import (latchkey-migrate, a JSON Lines file of one new organization and b.N members, " +
		"16 batches at once, each batch's members in one TransactWriteItems)",
	"MigrateBatchWriteBaseline":    "one member's items as the import wrote them (member, email guard, external-id guard), raw BatchWriteItem, 25 items a call, 16 at once, fresh partitions",
	"MigrateTransactWriteBaseline": "the same items with raw TransactWriteItems, each put conditional, an import batch's worth a call, 16 at once",
	"EventsPipeline": "one committed change (a member created) through the local webhook pipeline to a signed delivery: stream → events handler " +
		"(audit put, queue) → SQS emulator → deliveries handler (marker, POST) → inbox; time/op is the pipeline's time per event",
}

var benchOrder = []string{"GetItemBaseline", "BatchGetSessionBaseline", "BatchGetMemberBaseline", "SessionAuthenticateToken",
	"SessionAuthenticateJWT", "MemberGet", "JWTLocalStytchGo", "JWTLocalVerify", "JWTIssue", "MagicLinkLogin", "PasswordHash",
	"PasswordAuthenticate", "PasswordReset", "MigrateImport", "MigrateBatchWriteBaseline", "MigrateTransactWriteBaseline", "EventsPipeline"}

func render(r *report) (string, error) {
	v := view{
		Date:    time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		Machine: machineLine(r.Machine),
		Run: fmt.Sprintf("benchmarks at -benchtime %s; load at %d workers for %s (at most %d operations) per scenario after a %s warm-up; %d cold starts per function",
			r.Settings.benchtime, r.Settings.workers, r.Settings.duration, r.Load.MaxRequests, r.Settings.warmup, r.Settings.coldRuns),
		Elapsed: r.Elapsed.Round(time.Second).String(), Quick: r.Quick,
		Workers: r.Settings.workers, Duration: r.Settings.duration.String(), Benchtime: r.Settings.benchtime,
		ColdRuns: r.Settings.coldRuns, MemoryMB: memoryMB, Members: members,
		PessCallMS: fmt.Sprint(pessCallMS), PessSESMS: fmt.Sprint(pessSESMS), PricesAsOf: pricesAsOf,
		Notes: r.Load.Notes,
	}
	var ph []string
	for _, p := range r.Phases {
		ph = append(ph, fmt.Sprintf("%s %s", p.Name, p.D.Round(time.Second)))
	}
	v.Phases = strings.Join(ph, "; ")

	base := r.Bench["GetItemBaseline"].get("ns/op")
	if base == 0 {
		return "", fmt.Errorf("the GetItem baseline benchmark did not run")
	}
	v.GetItemMS = msNS(base)
	v.JWTIssueMS = msNS(r.Bench["JWTIssue"].get("ns/op"))
	v.TokenMS = msNS(r.Bench["SessionAuthenticateToken"].get("ns/op"))
	v.MemberGetMS = msNS(r.Bench["MemberGet"].get("ns/op"))
	v.Baselines = baselinesText(r)

	v.Summary = summaryTable(r)
	v.Targets = targetsTable(checkTargets(r))
	v.Bench = benchTable(r, base)
	v.Load, v.Routes, v.Steps = loadTables(r.Load)
	v.CPU = cpuTable(r.Load)
	v.Cold, v.ColdSummary = coldTables(r)
	c := buildCost(r)
	v.Inputs, v.Profiles, v.Prices, v.Cost, v.CostSummary = costTables(c)
	v.PlatformLog = fmt.Sprint(c.PlatformLog)
	v.Drivers = costDrivers(c)
	v.LoadMembers = r.Load.Members
	v.AccessLog = fmt.Sprint(c.AccessLog)
	if cl := r.Load.Cleanup; cl != nil && cl.Logins > 0 {
		v.Cleanup = fmt.Sprintf("%d items deleted for %d logins (%.1f per login), %s RCU and %s WCU per login, %.2f s in all",
			cl.Deleted, cl.Logins, float64(cl.Deleted)/float64(cl.Logins), f2(cl.RCU/float64(cl.Logins)), f2(cl.WCU/float64(cl.Logins)), cl.Elapsed)
	}
	for _, s := range r.Load.Scenarios {
		for _, st := range s.Steps {
			if st.Name == "read_email" {
				v.SESRead = f2(st.Latency.P50)
			}
		}
	}
	v.ColdCost = coldCost(r)
	v.ColdRange = coldRange(r)
	v.Signing = signing(r)
	v.Passwords = passwordsNote(r)
	v.Webhooks = webhooksCost(r)
	share := float64(memoryMB) / 1769
	v.CPUShare = fmt.Sprintf("%.2f", share)
	var cpu float64
	for _, f := range r.Load.ColdStarts {
		cpu = math.Max(cpu, f.InitCPU.P50)
	}
	v.CPUScaled = fmt.Sprintf("If init were all CPU at that share, the largest init CPU p50 here (%s ms) would take about %s ms there: an estimate, not a measurement.",
		f2(cpu), f2(cpu/share))

	t, err := template.New("doc").Option("missingkey=error").Parse(docTemplate)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		return "", err
	}
	return b.String(), nil
}

func machineLine(m machine) string {
	s := fmt.Sprintf("%d CPUs (nproc)", m.CPUs)
	if m.Model != "" {
		s += ", " + m.Model
	}
	if m.MemGiB > 0 {
		s += fmt.Sprintf(", %.0f GiB RAM", m.MemGiB)
	}
	s += fmt.Sprintf(", %s/%s, %s", m.OS, m.Arch, m.GoVer)
	if m.Load1 != "" {
		s += fmt.Sprintf("; 1-minute load average %s when the run started", m.Load1)
		if l, err := strconv.ParseFloat(m.Load1, 64); err == nil && l > float64(m.CPUs) {
			s += " (more than the CPUs: other work was competing with the run)"
		}
	}
	return s
}

// baselinesText says what each baseline measured, in process and under load, and which runs
// its load figures are the mean of.
func baselinesText(r *report) string {
	var parts []string
	for _, b := range []*baselineDef{getItemBase, sessionBase, memberBase} {
		bm, ok := r.Bench[b.bench]
		part := b.desc
		if ok {
			part += fmt.Sprintf(" %s ms in process (%s RCU)", msNS(bm.get("ns/op")), f2(bm.get("RCU/op")))
		}
		var runs []string
		for _, s := range r.Load.Scenarios {
			if s.Name == b.scenario || s.Repeats == b.scenario {
				runs = append(runs, fmt.Sprintf("%.0f", s.PerSecond))
			}
		}
		if m := meanRuns(r.Load, b.scenario); m != nil {
			part += fmt.Sprintf(", %.0f ops/s at p50 %s ms under load", m.PerSecond, f2(m.Latency.P50))
			if len(runs) > 1 {
				part += fmt.Sprintf(" (mean of %s ops/s)", strings.Join(runs, " and "))
			}
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "; ")
}

func scenario(rep *result.Report, name string) *result.Scenario {
	for i := range rep.Scenarios {
		if rep.Scenarios[i].Name == name {
			return &rep.Scenarios[i]
		}
	}
	return nil
}

// loadBaselineOf is the baseline a load scenario's ratios use: what the load run recorded, or
// for a scenario from before it recorded one, the summary's mapping.
func loadBaselineOf(s *result.Scenario) string {
	if s.Baseline != "" || !s.HTTP {
		return s.Baseline
	}
	return "getitem"
}

func summaryTable(r *report) string {
	var b strings.Builder
	b.WriteString("| flow | baseline | DynamoDB calls | RCU / WCU | in process | ÷ baseline | under load: ops/s | ÷ baseline | p50 ms | p95 ms | p99 ms | gateway CPU ms/op |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, f := range flows {
		bm := r.Bench[f.bench]
		label, inProc := "—", "—"
		if f.base != nil {
			label = f.base.label
			inProc = ratioInv(r.Bench[f.base.bench].get("ns/op"), bm.get("ns/op"))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s / %s | %s ms | %s |", f.name, label, f2(bm.get("ddb-calls/op")),
			f2(bm.get("RCU/op")), f2(bm.get("WCU/op")), msNS(bm.get("ns/op")), inProc)
		var s *result.Scenario
		if f.scenario != "" {
			s = meanRuns(r.Load, f.scenario)
		}
		if s == nil {
			b.WriteString(" — | — | — | — | — | — |\n")
			continue
		}
		under := "—"
		if f.base != nil {
			if lb := meanRuns(r.Load, loadBaselineOf(s)); lb != nil {
				under = ratioInv(s.PerSecond, lb.PerSecond)
			}
		}
		fmt.Fprintf(&b, " %.0f | %s | %s | %s | %s | %s |\n", s.PerSecond, under,
			f2(s.Latency.P50), f2(s.Latency.P95), f2(s.Latency.P99), cpuMS(s.CPU, func(c result.CPU) float64 { return c.Gateway }))
	}
	return b.String()
}

func benchTable(r *report, base float64) string {
	var b strings.Builder
	b.WriteString("| benchmark | what one op is | time/op | × GetItem | CPU ms/op | B/op | allocs/op | HTTP requests/op | DynamoDB calls/op | RCU/op | WCU/op | handler ms/op |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, name := range benchOrder {
		bm, ok := r.Bench[name]
		if !ok {
			continue
		}
		cpu := "—"
		if v, ok := bm.Metrics["cpu-ms/op"]; ok {
			cpu = f3(v)
		}
		fmt.Fprintf(&b, "| %s | %s | %s ms | %s | %s | %.0f | %.0f | %s | %s | %s | %s | %s |\n", name, benchDescriptions[name],
			msNS(bm.get("ns/op")), ratio(bm.get("ns/op"), base), cpu, bm.get("B/op"), bm.get("allocs/op"),
			f2(bm.get("requests/op")), f2(bm.get("ddb-calls/op")), f2(bm.get("RCU/op")), f2(bm.get("WCU/op")), f2(bm.get("handler-ms/op")))
	}
	return b.String()
}

func loadTables(rep *result.Report) (load, routes, steps string) {
	var b strings.Builder
	b.WriteString("| scenario | what one op is | ops | errors | ops/s | baseline | ÷ baseline | p50 ms | p95 ms | p99 ms | p50 × baseline |\n")
	b.WriteString("|---|---|--:|--:|--:|---|--:|--:|--:|--:|--:|\n")
	for _, s := range rep.Scenarios {
		name, div, p50 := "—", "—", "—"
		if bn := loadBaselineOf(&s); bn != "" {
			name = bn
			if n := len(runsOf(rep, bn)); n > 1 {
				name += fmt.Sprintf(" (mean of %d runs)", n)
			}
			if lb := meanRuns(rep, bn); lb != nil {
				div, p50 = ratioInv(s.PerSecond, lb.PerSecond), ratio(s.Latency.P50, lb.Latency.P50)
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %.0f | %s | %s | %s | %s | %s | %s |\n", s.Name, s.Description, s.Ops, s.Errors,
			s.PerSecond, name, div, f2(s.Latency.P50), f2(s.Latency.P95), f2(s.Latency.P99), p50)
	}
	load = b.String()

	b.Reset()
	b.WriteString("| scenario | route | requests | non-200 | DynamoDB calls | RCU | WCU | server ms, mean | server ms, p50 | log line bytes | response bytes |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, s := range rep.Scenarios {
		if s.Raw != nil && s.Repeats == "" {
			fmt.Fprintf(&b, "| %s | (raw SDK call, no HTTP; %s items per op) | %d | — | %s | %s | 0 | — | — | — | — |\n", s.Name, f2(s.Raw.Items), s.Ops,
				f2(s.Raw.Calls), f2(s.Raw.RCU))
		}
		for _, rt := range s.Routes {
			fmt.Fprintf(&b, "| %s | `%s` | %d | %d | %s | %s | %s | %s | %s | %.0f | %.0f |\n", s.Name, rt.Route, rt.Requests, rt.Non200,
				f2(rt.DynamoDBCalls), f2(rt.RCU), f2(rt.WCU), f2(rt.LatencyMS), f2(rt.LatencyP50MS), rt.LogBytes, rt.RespBytes)
		}
	}
	routes = b.String()

	b.Reset()
	b.WriteString("| step of the login | p50 ms | p95 ms | p99 ms | mean ms |\n|---|--:|--:|--:|--:|\n")
	for _, s := range rep.Scenarios {
		for _, st := range s.Steps {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", st.Name, f2(st.Latency.P50), f2(st.Latency.P95), f2(st.Latency.P99), f2(st.Latency.Mean))
		}
	}
	steps = b.String()
	return load, routes, steps
}

// cpuTable is the CPU time per operation of each process, per load scenario.
func cpuTable(rep *result.Report) string {
	var b strings.Builder
	b.WriteString("| scenario | ops | gateway | load generator | DynamoDB Local | SES emulator | all four | cores busy: these four | cores busy: whole machine |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, s := range rep.Scenarios {
		if s.CPU == nil {
			fmt.Fprintf(&b, "| %s | %d | — | — | — | — | — | — | — |\n", s.Name, s.Ops)
			continue
		}
		c := *s.CPU
		busy, machine := "—", "—"
		if c.Elapsed > 0 {
			busy = f2(c.Total() * float64(s.Ops) / 1000 / c.Elapsed)
		}
		if c.MachineBusy > 0 {
			machine = f2(c.MachineBusy)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", s.Name, s.Ops,
			cpuMS(s.CPU, func(c result.CPU) float64 { return c.Gateway }), cpuMS(s.CPU, func(c result.CPU) float64 { return c.Generator }),
			cpuMS(s.CPU, func(c result.CPU) float64 { return c.DynamoDB }), cpuMS(s.CPU, func(c result.CPU) float64 { return c.SES }),
			f3(c.Total()), busy, machine)
	}
	return b.String()
}

// cpuMS formats one process's CPU per operation ("—" when not measured).
func cpuMS(c *result.CPU, field func(result.CPU) float64) string {
	if c == nil || field(*c) < 0 {
		return "—"
	}
	return f3(field(*c))
}

func coldTables(r *report) (table, summary string) {
	var b strings.Builder
	b.WriteString("| function | bootstrap, linux/arm64 | zipped | init p50 ms | init max ms | init CPU p50 ms | first event | first invocation p50 ms | peak RSS MB |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|---|--:|--:|\n")
	cold := map[string]result.Function{}
	for _, f := range r.Load.ColdStarts {
		cold[f.Name] = f
	}
	for _, bin := range r.Binaries {
		f, ok := cold[bin.Name]
		fmt.Fprintf(&b, "| %s | %.1f MB | %.1f MB |", bin.Name, mb(bin.Bytes), mb(bin.ZipBytes))
		if !ok {
			b.WriteString(" — | — | — | — | — | — |\n")
			continue
		}
		ev, inv := "(none: init only)", "—"
		if f.Event != "" {
			ev = "`events/" + bin.Name + "/" + f.Event + "`"
			inv = f2(f.FirstInvoke.P50)
		}
		fmt.Fprintf(&b, " %s | %s | %s | %s | %s | %.0f |\n", f2(f.Init.P50), f2(f.Init.Max), f2(f.InitCPU.P50), ev, inv, f.PeakRSSMB)
	}
	if r.Load.Build != nil && r.Load.AWSConfig != nil {
		summary = fmt.Sprintf("In process (no exec, Go runtime already up), `app.Build` took p50 %s ms (min %s, max %s) over %d runs, of which loading the AWS configuration (`store.AWSConfig`) was p50 %s ms; the rest is the DynamoDB client, the signing-key load (one DynamoDB read and a PEM parse) and wiring.",
			f2(r.Load.Build.P50), f2(r.Load.Build.Min), f2(r.Load.Build.Max), r.Load.Build.N, f2(r.Load.AWSConfig.P50))
	}
	return b.String(), summary
}

// buildCost assembles the flows from the measurements.
func buildCost(r *report) *costModel {
	c := &costModel{Flows: map[string]flow{}}
	rss := 0.0
	for _, f := range r.Load.ColdStarts {
		rss = math.Max(rss, f.PeakRSSMB)
	}
	if r.AccessLogLine != "" {
		c.AccessLog = len(r.AccessLogLine)
	}
	routeSum := func(s *result.Scenario) (rcu, wcu, logB, resp, n float64) {
		if s == nil {
			return
		}
		for _, rt := range s.Routes {
			rcu, wcu, logB, resp, n = rcu+rt.RCU, wcu+rt.WCU, logB+rt.LogBytes, resp+rt.RespBytes, n+1
		}
		return
	}
	mk := func(name, bench, sc string, ses float64) flow {
		bm := r.Bench[bench]
		rcu, wcu, logB, resp, n := routeSum(scenario(r.Load, sc))
		billed := bm.get("billed-ms/op")
		f := flow{Name: name, Requests: n, Calls: bm.get("ddb-calls/op"), RCU: rcu, WCU: wcu, BilledMS: billed,
			PessimisticMS: billed + bm.get("ddb-calls/op")*pessCallMS + ses*pessSESMS, RespBytes: resp, SES: ses}
		platform := platformLogBytes(billed/math.Max(n, 1), rss)
		f.LogBytes = logB + n*float64(platform+c.AccessLog)
		return f
	}
	login := mk("magic-link login (login_or_signup + authenticate)", "MagicLinkLogin", "magic_link_login", 1)
	if cl := r.Load.Cleanup; cl != nil && cl.Logins > 0 {
		// The hourly cleanup deletes what each login leaves expiring (token, session, pointers).
		per := float64(cl.Logins)
		login.RCU += cl.RCU / per
		login.WCU += cl.WCU / per
		login.BilledMS += cl.Elapsed * 1000 / per
		login.PessimisticMS += cl.Elapsed*1000/per + float64(cl.Calls)/per*pessCallMS
		login.Name += ", with its share of the cleanup"
	}
	c.Flows["login"] = login
	c.Flows["token"] = mk("session check, remote by session_token", "SessionAuthenticateToken", "session_token", 0)
	c.Flows["jwt"] = mk("JWT refresh, remote by session_jwt", "SessionAuthenticateJWT", "session_jwt", 0)
	c.PlatformLog = platformLogBytes(c.Flows["token"].BilledMS, rss)
	c.compute()
	return c
}

func costTables(c *costModel) (inputs, profs, pricesT, cost, summary string) {
	var b strings.Builder
	b.WriteString("| flow (one occurrence) | API requests = Lambda invocations | DynamoDB calls | RCU | WCU | Lambda billed ms, measured | billed ms, pessimistic | CloudWatch Logs bytes | response bytes | SES messages |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, key := range []string{"login", "token", "jwt"} {
		f := c.Flows[key]
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s | %s | %s | %.0f | %.0f | %.0f |\n", f.Name, f.Requests, f2(f.Calls), f2(f.RCU), f2(f.WCU),
			f2(f.BilledMS), f2(f.PessimisticMS), f.LogBytes, f.RespBytes, f.SES)
	}
	b.WriteString("| session JWT verified locally (AuthenticateJWTLocal) | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n")
	inputs = b.String()

	b.Reset()
	b.WriteString("| profile | logins | remote checks by session_token | remote JWT refreshes | local JWT checks |\n|---|--:|--:|--:|--:|\n")
	for _, p := range profiles {
		fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.0f | %.0f |\n", p.Name, p.Logins, p.TokenChecks, p.JWTRefreshes, p.LocalChecks)
	}
	profs = b.String()

	b.Reset()
	b.WriteString("| service | item | price (USD) | per |\n|---|---|--:|---|\n")
	for _, p := range prices {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", p.Service, p.Item, strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.10f", p.USD), "0"), "."), p.Unit)
	}
	pricesT = b.String()

	b.Reset()
	b.WriteString("| service | item |")
	for _, p := range profiles {
		fmt.Fprintf(&b, " %s: units | %s: USD |", p.Short, p.Short)
	}
	b.WriteString("\n|---|---|")
	for range profiles {
		b.WriteString("--:|--:|")
	}
	b.WriteString("\n")
	for _, li := range c.Items {
		fmt.Fprintf(&b, "| %s | %s |", li.Service, li.Item)
		for i := range profiles {
			fmt.Fprintf(&b, " %s %s | %s |", sig(li.Units[i], 3), li.UnitName, usd(li.USD[i]))
		}
		b.WriteString("\n")
	}
	b.WriteString("| **total per 1,000 members and month** | |")
	for i := range profiles {
		fmt.Fprintf(&b, " | **%s** |", usd(c.Total[i]))
	}
	b.WriteString("\n| total with the pessimistic Lambda duration | |")
	for i := range profiles {
		fmt.Fprintf(&b, " | %s |", usd(c.TotalPess[i]))
	}
	b.WriteString("\n")
	cost = b.String()

	var parts []string
	for i, p := range profiles {
		parts = append(parts, fmt.Sprintf("profile %s: about **%s per 1,000 monthly active members** (%s with the pessimistic Lambda duration)", p.Short, usd(c.Total[i]), usd(c.TotalPess[i])))
	}
	summary = strings.Join(parts, "; ")
	return
}

// coldCost is what 1,000 cold starts add in Lambda duration (init is billed).
func coldCost(r *report) string {
	var worst float64
	for _, f := range r.Load.ColdStarts {
		worst = math.Max(worst, f.Init.P50)
	}
	gbs := 1000 * worst / 1000 * memoryMB / 1024
	return fmt.Sprintf("%s GB-s, %s", sig(gbs, 2), usd(gbs*priceOf("lambda_gbs").USD))
}

func msNS(ns float64) string { return f3(ns / 1e6) }

func f2(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func f3(v float64) string {
	if math.Abs(v) < 1 && v != 0 {
		return fmt.Sprintf("%.3f", v)
	}
	return f2(v)
}

func ratio(v, base float64) string {
	if base == 0 || v == 0 {
		return "—"
	}
	return "×" + f2(v/base)
}

// ratioInv is throughput relative to the baseline's: below 1 means fewer operations per second.
func ratioInv(v, base float64) string {
	if base == 0 {
		return "—"
	}
	return f2(v / base)
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func coldRange(r *report) string {
	lo, hi, inv, rss := math.Inf(1), 0.0, 0.0, 0.0
	for _, f := range r.Load.ColdStarts {
		if f.Init.N == 0 {
			continue
		}
		lo, hi, rss = math.Min(lo, f.Init.P50), math.Max(hi, f.Init.P50), math.Max(rss, f.PeakRSSMB)
		if f.FirstStatus != 0 { // an HTTP function (the scheduled cleanup's first run is a batch job)
			inv = math.Max(inv, f.FirstInvoke.P50)
		}
	}
	var small, big float64 = math.Inf(1), 0
	for _, b := range r.Binaries {
		small, big = math.Min(small, mb(b.Bytes)), math.Max(big, mb(b.Bytes))
	}
	if hi == 0 {
		return "not measured in this run"
	}
	return fmt.Sprintf("init (exec to ready handler) p50 %s–%s ms across %d functions, first request to an HTTP function p50 up to %s ms, peak RSS up to %.0f MB; linux/arm64 bootstraps of %.1f–%.1f MB",
		f2(lo), f2(hi), len(r.Load.ColdStarts), f2(inv), rss, small, big)
}

// signing quotes what Latchkey adds around the reads, in process, and how much of a session
// check is the JWT signature its answer carries.
func signing(r *report) string {
	tok, get, issue := r.Bench["SessionAuthenticateToken"].get("ns/op"), r.Bench["MemberGet"].get("ns/op"), r.Bench["JWTIssue"].get("ns/op")
	bs, bm := r.Bench["BatchGetSessionBaseline"].get("ns/op"), r.Bench["BatchGetMemberBaseline"].get("ns/op")
	if tok == 0 || get == 0 || issue == 0 || bs == 0 || bm == 0 {
		return ""
	}
	own, ownGet := tok-bs, get-bm
	d := own - ownGet
	var diff string
	switch {
	case d <= 0:
		diff = fmt.Sprintf("The session's extra is not more than member get's in this run, though signing one session JWT alone took %s ms (JWTIssue)", msNS(issue))
	case issue > 1.5*d:
		// The benchmark authenticates one session again and again, so answers may carry a JWT
		// signed moments before (shared/tokens JWTReuse) instead of a fresh signature.
		diff = fmt.Sprintf("The session's extra is only %s ms more than member get's, less than signing one session JWT alone "+
			"(%s ms, JWTIssue): most of its answers here carried a JWT signed earlier for the same session, not a fresh signature", msNS(d), msNS(issue))
	case issue < d/2:
		diff = fmt.Sprintf("The session's extra is %s ms more than member get's, partly the answer's freshly signed session JWT: signing one alone took %s ms (JWTIssue)", msNS(d), msNS(issue))
	default:
		diff = fmt.Sprintf("The session's extra is %s ms more than member get's, mostly the answer's freshly signed session JWT: signing one alone took %s ms (JWTIssue)", msNS(d), msNS(issue))
	}
	return fmt.Sprintf("Session authenticate by token took %s ms, %s ms more than the raw BatchGetItem of the same three items "+
		"(%s ms); member get took %s ms, %s ms more than the BatchGetItem of its two (%s ms). That extra is Latchkey's own work "+
		"around the reads: HTTP, the credential check, decoding the items, the answer; a session authenticate answer also carries "+
		"a session JWT. %s. Verifying a JWT locally took %s ms (JWTLocalStytchGo), with no request and no DynamoDB call.",
		msNS(tok), msNS(own), msNS(bs), msNS(get), msNS(ownGet), msNS(bm), diff, msNS(r.Bench["JWTLocalStytchGo"].get("ns/op")))
}

// passwordsNote says what a password login costs and how the passwords function is sized.
func passwordsNote(r *report) string {
	hash, auth := r.Bench["PasswordHash"].get("ns/op"), r.Bench["PasswordAuthenticate"]
	if hash == 0 || auth.get("ns/op") == 0 {
		return ""
	}
	return fmt.Sprintf("**Passwords.** One argon2id hash took %s ms here (PasswordHash); a password login took %s ms "+
		"in the handler with %s DynamoDB calls in two round trips (the member from the email index, one BatchGetItem and "+
		"the transaction reserving the try, side by side; then one transaction), so the hash is %.0f%% of it. The hash is CPU-bound and single-threaded (p=1). Lambda gives CPU in "+
		"proportion to memory, and arm64 runs x/crypto's portable argon2 code (its assembly is amd64-only; `-tags purego` "+
		"measures that code here, about 30%% slower), so the passwords function gets %d MB, one full vCPU, "+
		"which keeps a hash near this machine's per-core time and under 100 ms; at 1,024 MB (0.58 vCPU) it would take "+
		"about %s ms.",
		msNS(hash), msNS(auth.get("ns/op")), f2(auth.get("ddb-calls/op")), 100*hash/auth.get("ns/op"), passwordsMemoryMB,
		msNS(hash*1.3*1769/1024))
}

// passwordsMemoryMB is infra.PasswordsMemoryMB (the report does not import the CDK app).
const passwordsMemoryMB = 1769

// runsOf lists a scenario's runs: itself and its repeats (getitem_end, batchget_session_after).
func runsOf(rep *result.Report, name string) []*result.Scenario {
	var out []*result.Scenario
	for i, s := range rep.Scenarios {
		if name != "" && (s.Name == name || s.Repeats == name) {
			out = append(out, &rep.Scenarios[i])
		}
	}
	// A report from before repeats were recorded names the GetItem's second run only by name.
	if name == "getitem" && len(out) == 1 {
		if s := scenario(rep, "getitem_end"); s != nil {
			out = append(out, s)
		}
	}
	return out
}

// meanRuns is a scenario with its repeats averaged: throughput, latency, CPU per operation
// and the raw calls. A scenario with one run is itself.
func meanRuns(rep *result.Report, name string) *result.Scenario {
	runs := runsOf(rep, name)
	switch len(runs) {
	case 0:
		return nil
	case 1:
		return runs[0]
	}
	out := *runs[0]
	out.Ops, out.PerSecond, out.Latency = 0, 0, result.Latency{}
	var cpu result.CPU
	var raw result.Raw
	n, withCPU, withRaw := float64(len(runs)), 0.0, 0.0
	for _, s := range runs {
		out.Ops += s.Ops
		out.PerSecond += s.PerSecond / n
		out.Latency.P50 += s.Latency.P50 / n
		out.Latency.P95 += s.Latency.P95 / n
		out.Latency.P99 += s.Latency.P99 / n
		out.Latency.Mean += s.Latency.Mean / n
		if s.CPU != nil {
			withCPU++
			cpu.Gateway, cpu.Generator, cpu.DynamoDB, cpu.SES = cpu.Gateway+s.CPU.Gateway, cpu.Generator+s.CPU.Generator, cpu.DynamoDB+s.CPU.DynamoDB, cpu.SES+s.CPU.SES
			cpu.Elapsed, cpu.MachineBusy = cpu.Elapsed+s.CPU.Elapsed, cpu.MachineBusy+s.CPU.MachineBusy
		}
		if s.Raw != nil {
			withRaw++
			raw.Calls, raw.RCU, raw.Items = raw.Calls+s.Raw.Calls, raw.RCU+s.Raw.RCU, raw.Items+s.Raw.Items
		}
	}
	out.CPU, out.Raw = nil, nil
	if withCPU > 0 {
		out.CPU = &result.CPU{Gateway: cpu.Gateway / withCPU, Generator: cpu.Generator / withCPU, DynamoDB: cpu.DynamoDB / withCPU,
			SES: cpu.SES / withCPU, Elapsed: cpu.Elapsed, MachineBusy: cpu.MachineBusy / withCPU}
	}
	if withRaw > 0 {
		out.Raw = &result.Raw{Calls: raw.Calls / withRaw, RCU: raw.RCU / withRaw, Items: raw.Items / withRaw}
	}
	return &out
}

// costDrivers names the largest line items of each profile.
func costDrivers(c *costModel) string {
	var parts []string
	for i, p := range profiles {
		items := append([]lineItem(nil), c.Items...)
		sort.Slice(items, func(a, b int) bool { return items[a].USD[i] > items[b].USD[i] })
		var top []string
		for _, li := range items[:min(3, len(items))] {
			top = append(top, fmt.Sprintf("%s %s (%s, %.0f %%)", li.Service, li.Item, usd(li.USD[i]), 100*li.USD[i]/c.Total[i]))
		}
		parts = append(parts, fmt.Sprintf("In profile %s the largest items are %s.", p.Short, strings.Join(top, ", ")))
	}
	return strings.Join(parts, " ")
}

// eventsPerMember is the webhook cost's usage assumption: events per member and month (a
// handful of member updates, sessions revoked, the odd organization change). Not measured:
// scale the result to your app.
const eventsPerMember = 10

// webhooksCost is what events and webhooks add per 1,000 members and month, from
// BenchmarkEventsPipeline's per-event inputs, with one endpoint and the default 30-day
// retention.
func webhooksCost(r *report) string {
	bm, ok := r.Bench["EventsPipeline"]
	if !ok {
		return "The EventsPipeline benchmark did not run, so webhooks are not costed."
	}
	ev := float64(members * eventsPerMember)
	usd := func(key string, units float64) float64 { p := priceOf(key); return units / p.Per * p.USD }
	inv := ev * (bm.get("capture-invocations/op") + bm.get("delivery-invocations/op"))
	gbs := ev * bm.get("billed-ms/op") / 1000 * memoryMB / 1024
	rru, wru := ev*bm.get("RCU/op"), ev*bm.get("WCU/op")
	sqsReq := ev * bm.get("sqs-requests/op")
	// The audit trail holds a retention's worth of events: 30 days is one month's. Its gsi2
	// projection doubles it.
	storeGB := ev * bm.get("event-bytes/op") * 2 / gib
	rows := []struct {
		what  string
		units float64
		unit  string
		usd   float64
	}{
		{"Lambda requests (events and deliveries functions)", inv, "invocations", usd("lambda_req", inv)},
		{"Lambda duration", gbs, "GB-s", usd("lambda_gbs", gbs)},
		{"DynamoDB reads (marker, organizations, endpoints)", rru, "RRU", usd("ddb_rru", rru)},
		{"DynamoDB writes (audit event and its index, marker)", wru, "WRU", usd("ddb_wru", wru)},
		{"SQS requests (send, receive, delete)", sqsReq, "requests", usd("sqs", sqsReq)},
		{"DynamoDB storage of the audit trail", storeGB, "GB-month", usd("ddb_storage", storeGB)},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Measured per event this run: %.0f events/s through the local pipeline (%s ms per event), %s DynamoDB calls, "+
		"%s RCU, %s WCU, %s SQS requests, %s billed Lambda ms, %.0f bytes of event.\n\n",
		bm.get("events/s"), msNS(bm.get("ns/op")), f2(bm.get("ddb-calls/op")), f2(bm.get("RCU/op")), f2(bm.get("WCU/op")),
		f2(bm.get("sqs-requests/op")), f2(bm.get("billed-ms/op")), bm.get("event-bytes/op"))
	fmt.Fprintf(&b, "| added by webhooks, %d events per member and month, 1 endpoint | units per 1,000 members | USD |\n|---|--:|--:|\n", eventsPerMember)
	total := 0.0
	for _, row := range rows {
		total += row.usd
		fmt.Fprintf(&b, "| %s | %s %s | %s |\n", row.what, sig2(row.units), row.unit, usd4(row.usd))
	}
	fmt.Fprintf(&b, "| **total** | | **%s** |\n", usd4(total))
	return b.String()
}

// sig2 writes v to two significant figures, with thousands separators when it is large.
func sig2(v float64) string {
	if v == 0 {
		return "0"
	}
	mag := math.Pow(10, math.Floor(math.Log10(v))-1)
	r := math.Round(v/mag) * mag
	if r < 100 {
		return strconv.FormatFloat(r, 'g', 2, 64)
	}
	digits := strconv.FormatFloat(r, 'f', 0, 64)
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func usd4(v float64) string { return fmt.Sprintf("$%.4f", v) }
