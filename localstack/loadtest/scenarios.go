package main

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/latchkey/latchkey/localstack/loadtest/result"
)

// part is one request (or the email read) inside an operation.
type part struct {
	step  string
	route string // the route pattern, as the request log line names it; "" for no API request
	d     time.Duration
	bytes int
}

// scenario is one workload: each worker calls op in a loop.
type scenario struct {
	name, desc string
	http       bool
	op         func(ctx context.Context, h *harness, m *member) ([]part, error)
}

const (
	routeSessionAuth = "POST /v1/b2b/sessions/authenticate"
	routeMemberGet   = "GET /v1/b2b/organizations/{organization_id}/member"
	routeSend        = "POST /v1/b2b/magic_links/email/login_or_signup"
	routeRedeem      = "POST /v1/b2b/magic_links/authenticate"
	routeHealth      = "GET /healthz"
)

func single(step, route string) func(time.Duration, int) []part {
	return func(d time.Duration, n int) []part { return []part{{step, route, d, n}} }
}

var scenarios = []scenario{
	{
		name: "getitem", http: false,
		desc: "Raw DynamoDB GetItem (strongly consistent) of a member item, through the SDK client the app uses: the baseline",
		op: func(ctx context.Context, h *harness, m *member) ([]part, error) {
			t := time.Now()
			out, err := h.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(h.cfg.Table), Key: m.key, ConsistentRead: aws.Bool(true)})
			if err == nil && len(out.Item) == 0 {
				err = errors.New("baseline GetItem found no item")
			}
			return single("getitem", "")(time.Since(t), 0), err
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
		name: "session_token", http: true,
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
		name: "member_get", http: true,
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
				{"send", routeSend, t.send, t.sendBytes},
				{"read_email", "", t.read, 0},
				{"authenticate", routeRedeem, t.auth, t.authBytes},
			}, err
		},
	},
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
	h.logs.take() // drop whatever came before
	var (
		started  atomic.Int64
		mu       sync.Mutex
		lat      []time.Duration
		steps    = map[string][]time.Duration{}
		stepList []string
		bytesBy  = map[string][2]int{} // route -> bytes, count
		errs     int
		firstErr string
		respSum  int
	)
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
	out := result.Scenario{
		Name: sc.name, Description: sc.desc, HTTP: sc.http,
		Ops: len(lat), Errors: errs, FirstError: firstErr,
		Elapsed:   elapsed.Seconds(),
		PerSecond: float64(len(lat)) / elapsed.Seconds(),
		Latency:   result.Summarize(lat),
	}
	if len(lat) > 0 {
		out.RespBytes = float64(respSum) / float64(len(lat))
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
