package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/latchkey/latchkey/localstack/loadtest/result"
	"github.com/latchkey/latchkey/shared/callcount"
)

// part is one request (or the email read, or a raw DynamoDB call) inside an operation.
type part struct {
	step  string
	route string // the route pattern, as the request log line names it; "" for no API request
	d     time.Duration
	bytes int
	// a raw baseline's DynamoDB side: calls, capacity read and items returned
	calls int
	rcu   float64
	items int
}

// scenario is one workload: each worker calls op in a loop.
type scenario struct {
	name, desc string
	http       bool
	op         func(ctx context.Context, h *harness, m *member) ([]part, error)
	// baseline is the raw scenario that reads exactly what this flow must read; it runs right
	// before and again right after this one. A flow without one is compared with getitem.
	baseline string
	repeats  string // set on the second run of a baseline
}

const (
	routeSessionAuth = "POST /v1/b2b/sessions/authenticate"
	routeMemberGet   = "GET /v1/b2b/organizations/{organization_id}/member"
	routeSend        = "POST /v1/b2b/magic_links/email/login_or_signup"
	routeRedeem      = "POST /v1/b2b/magic_links/authenticate"
	routeHealth      = "GET /healthz"
)

func single(step, route string) func(time.Duration, int) []part {
	return func(d time.Duration, n int) []part { return []part{{step: step, route: route, d: d, bytes: n}} }
}

var scenarios = []scenario{
	{
		name: "getitem", http: false,
		desc: "Raw DynamoDB GetItem (strongly consistent) of a member item, through the SDK client the app uses: the baseline",
		op: func(ctx context.Context, h *harness, m *member) ([]part, error) {
			// Counted as the app counts its calls, so the request asks for the consumed capacity
			// as every request-path call does.
			cctx, calls := callcount.With(ctx)
			t := time.Now()
			out, err := h.ddb.GetItem(cctx, &dynamodb.GetItemInput{TableName: aws.String(h.cfg.Table), Key: m.key, ConsistentRead: aws.Bool(true)})
			d := time.Since(t)
			if err == nil && len(out.Item) == 0 {
				err = errors.New("baseline GetItem found no item")
			}
			rcu, _ := calls.Capacity()
			return []part{{step: "getitem", d: d, calls: calls.Total(), rcu: rcu, items: 1}}, err
		},
	},
	{
		name: "batchget_session", http: false,
		desc: "Raw BatchGetItem (strongly consistent) of the member's session, organization and member items: what session authenticate by token reads",
		op: func(ctx context.Context, h *harness, m *member) ([]part, error) {
			return h.rawBatch(ctx, "batchget_session", m.sessionBatch)
		},
	},
	{
		name: "batchget_member", http: false,
		desc: "Raw BatchGetItem (strongly consistent) of the organization and member items: what member get reads",
		op: func(ctx context.Context, h *harness, m *member) ([]part, error) {
			return h.rawBatch(ctx, "batchget_member", m.memberBatch)
		},
	},
	{
		name: "healthz", http: true,
		desc: "GET /healthz: the HTTP path alone (no credentials, no DynamoDB)",
		op: func(ctx context.Context, h *harness, m *member) ([]part, error) {
			t := time.Now()
			_, n, err := h.do(ctx, "GET", "/healthz", nil, nil)
			return single("request", routeHealth)(time.Since(t), n), err
		},
	},
	{
		name: "session_token", http: true, baseline: "batchget_session",
		desc: "POST /v1/b2b/sessions/authenticate with a session_token",
		op: func(ctx context.Context, h *harness, m *member) ([]part, error) {
			t := time.Now()
			_, n, err := h.do(ctx, "POST", "/v1/b2b/sessions/authenticate", m.tokenBody, nil)
			return single("request", routeSessionAuth)(time.Since(t), n), err
		},
	},
	{
		name: "session_jwt", http: true,
		desc: "POST /v1/b2b/sessions/authenticate with a session_jwt (remote check)",
		op: func(ctx context.Context, h *harness, m *member) ([]part, error) {
			t := time.Now()
			_, n, err := h.do(ctx, "POST", "/v1/b2b/sessions/authenticate", m.jwtBody, nil)
			return single("request", routeSessionAuth)(time.Since(t), n), err
		},
	},
	{
		name: "member_get", http: true, baseline: "batchget_member",
		desc: "GET /v1/b2b/organizations/{organization_id}/member?member_id=",
		op: func(ctx context.Context, h *harness, m *member) ([]part, error) {
			t := time.Now()
			_, n, err := h.do(ctx, "GET", m.getPath, nil, nil)
			return single("request", routeMemberGet)(time.Since(t), n), err
		},
	},
	{
		name: "magic_link_login", http: true,
		desc: "Full magic-link login: login_or_signup, read the email back from the SES emulator, authenticate",
		op: func(ctx context.Context, h *harness, m *member) ([]part, error) {
			var t loginTimes
			_, err := h.login(ctx, m, &t)
			return []part{
				{step: "send", route: routeSend, d: t.send, bytes: t.sendBytes},
				{step: "read_email", d: t.read},
				{step: "authenticate", route: routeRedeem, d: t.auth, bytes: t.authBytes},
			}, err
		},
	},
}

// rawBatch is one raw baseline BatchGetItem; every item must come back in the one call.
func (h *harness) rawBatch(ctx context.Context, step string, in *dynamodb.BatchGetItemInput) ([]part, error) {
	cctx, calls := callcount.With(ctx)
	t := time.Now()
	out, err := h.ddb.BatchGetItem(cctx, in)
	d := time.Since(t)
	n := 0
	if err == nil {
		n = len(out.Responses[h.cfg.Table])
		if want := len(in.RequestItems[h.cfg.Table].Keys); n != want || len(out.UnprocessedKeys) > 0 {
			err = fmt.Errorf("baseline BatchGetItem returned %d of %d items", n, want)
		}
	}
	rcu, _ := calls.Capacity()
	return []part{{step: step, d: d, calls: calls.Total(), rcu: rcu, items: n}}, err
}

// baselineOf is the scenario a flow's ratios are computed against.
func (sc scenario) baselineOf() string {
	switch {
	case sc.baseline != "":
		return sc.baseline
	case sc.http:
		return "getitem"
	}
	return ""
}

// runOpts bound one scenario.
type runOpts struct {
	workers  int
	duration time.Duration
	maxOps   int
}

// run runs a scenario and summarises it, with the request log lines it produced. Operations in
// flight when the time is up finish (they are not cancelled, which would leave half-done
// requests in the logs), so a run can overrun its duration by one operation.
func (h *harness) run(ctx context.Context, sc scenario, o runOpts) result.Scenario {
	h.settle()
	h.logs.take() // drop whatever came before
	var (
		rawCalls, rawItems int
		rawRCU             float64
		started            atomic.Int64
		mu                 sync.Mutex
		lat                []time.Duration
		steps              = map[string][]time.Duration{}
		stepList           []string
		bytesBy            = map[string][2]int{} // route -> bytes, count
		errs               int
		firstErr           string
		respSum            int
	)
	cpu0 := h.procs.snapshot()
	deadline := time.Now().Add(o.duration)
	begin := time.Now()
	var wg sync.WaitGroup
	for w := range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Worker w uses members w, w+workers, ... in turn; no two workers share a member.
			var mine []*member
			for i := w; i < len(h.members); i += o.workers {
				mine = append(mine, h.members[i])
			}
			var local []time.Duration
			localSteps := map[string][]time.Duration{}
			for i := 0; ; i++ {
				if ctx.Err() != nil || time.Now().After(deadline) || started.Add(1) > int64(o.maxOps) {
					break
				}
				t := time.Now()
				parts, err := sc.op(ctx, h, mine[i%len(mine)])
				d := time.Since(t)
				mu.Lock()
				if err != nil {
					errs++
					if firstErr == "" {
						firstErr = err.Error()
					}
				} else {
					local = append(local, d)
					for _, p := range parts {
						if _, ok := steps[p.step]; !ok && len(parts) > 1 {
							steps[p.step] = nil
							stepList = append(stepList, p.step)
						}
						if len(parts) > 1 {
							localSteps[p.step] = append(localSteps[p.step], p.d)
						}
						if p.route != "" {
							b := bytesBy[p.route]
							bytesBy[p.route] = [2]int{b[0] + p.bytes, b[1] + 1}
						}
						respSum += p.bytes
						rawCalls, rawRCU, rawItems = rawCalls+p.calls, rawRCU+p.rcu, rawItems+p.items
					}
				}
				mu.Unlock()
			}
			mu.Lock()
			lat = append(lat, local...)
			for k, v := range localSteps {
				steps[k] = append(steps[k], v...)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	// The CPU times are taken once the gateway has written the log lines of what it answered:
	// those writes are part of its work.
	h.settle()
	cpu1 := h.procs.snapshot()
	out := result.Scenario{
		Name: sc.name, Description: sc.desc, HTTP: sc.http, Baseline: sc.baselineOf(), Repeats: sc.repeats,
		Ops: len(lat), Errors: errs, FirstError: firstErr,
		Elapsed:   elapsed.Seconds(),
		PerSecond: float64(len(lat)) / elapsed.Seconds(),
		Latency:   result.Summarize(lat),
		CPU:       cpuPerOp(cpu0, cpu1, len(lat)),
	}
	if n := float64(len(lat)); n > 0 {
		out.RespBytes = float64(respSum) / n
		if !sc.http {
			out.Raw = &result.Raw{Calls: float64(rawCalls) / n, RCU: rawRCU / n, Items: float64(rawItems) / n}
		}
	}
	for _, s := range stepList {
		out.Steps = append(out.Steps, result.Step{Name: s, Latency: result.Summarize(steps[s])})
	}
	out.Routes = routeStats(h.logs.take(), bytesBy)
	for _, r := range out.Routes {
		out.Requests += r.Requests
	}
	return out
}

// routeStats aggregates request log lines by route.
func routeStats(lines [][]byte, bytesBy map[string][2]int) []result.Route {
	type acc struct {
		n, non200                         int
		calls, rcu, wcu, lat, billed, log float64
		lats                              []float64
	}
	by := map[string]*acc{}
	for _, line := range lines {
		var l struct {
			Msg   string  `json:"msg"`
			Route string  `json:"route"`
			Stat  int     `json:"status"`
			Lat   float64 `json:"latency_ms"`
			Calls float64 `json:"dynamodb_calls"`
			RCU   float64 `json:"dynamodb_rcu"`
			WCU   float64 `json:"dynamodb_wcu"`
		}
		if json.Unmarshal(line, &l) != nil || l.Msg != "request" {
			continue
		}
		a := by[l.Route]
		if a == nil {
			a = &acc{}
			by[l.Route] = a
		}
		a.n++
		if l.Stat != 200 {
			a.non200++
		}
		a.calls += l.Calls
		a.rcu += l.RCU
		a.wcu += l.WCU
		a.lat += l.Lat
		a.lats = append(a.lats, l.Lat)
		a.billed += math.Max(1, math.Ceil(l.Lat))
		a.log += float64(len(line) + 1)
	}
	var out []result.Route
	for route, a := range by {
		n := float64(a.n)
		r := result.Route{
			Route: route, Requests: a.n, Non200: a.non200,
			DynamoDBCalls: a.calls / n, RCU: a.rcu / n, WCU: a.wcu / n,
			LatencyMS: a.lat / n, LatencyP50MS: result.SummarizeMS(a.lats).P50, BilledMS: a.billed / n, LogBytes: a.log / n,
		}
		if b := bytesBy[route]; b[1] > 0 {
			r.RespBytes = float64(b[0]) / float64(b[1])
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Route < out[j].Route })
	return out
}
