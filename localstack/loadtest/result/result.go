// Package result is what the load generator (localstack/loadtest) measures, as the JSON it
// writes with -json; docs/perfreport reads it back to write docs/PERFORMANCE.md.
package result

import (
	"math"
	"sort"
	"time"
)

// Report is one load-generator run.
type Report struct {
	Workers     int        `json:"workers"`
	Members     int        `json:"members"`      // members created and logged in before the scenarios
	Duration    float64    `json:"duration_s"`   // per scenario, at most
	MaxRequests int        `json:"max_requests"` // per scenario, at most
	Warmup      float64    `json:"warmup_s"`     // per scenario, discarded
	Scenarios   []Scenario `json:"scenarios"`    // in the order they ran
	Cleanup     *Cleanup   `json:"cleanup"`      // the expired-item cleanup after the logins
	ColdStarts  []Function `json:"cold_starts"`  // empty unless -coldstart was given
	Build       *Latency   `json:"app_build"`    // app.Build in process (config, AWS clients, key load)
	AWSConfig   *Latency   `json:"aws_config"`   // store.AWSConfig alone (part of app.Build)
	Elapsed     float64    `json:"elapsed_s"`    // the whole run, emulators included
	Notes       []string   `json:"notes"`        // anything a reader of the numbers should know
	Logins      int        `json:"logins"`       // magic-link logins redeemed in the whole run
	SESMessages int        `json:"ses_messages"` // emails sent in the whole run
	StartedAt   time.Time  `json:"started_at"`   // wall clock
	GoMaxProcs  int        `json:"go_max_procs"` // of the load generator (the gateway process has the same)
	// GatewayProcess is true when the gateway ran in its own process (this binary re-executed),
	// so its CPU time is its own and not the load generator's.
	GatewayProcess bool `json:"gateway_process"`
}

// Scenario is one measured workload: Workers goroutines doing one operation in a loop until
// the duration or the request budget ran out.
type Scenario struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Ops         int     `json:"ops"`    // completed operations (a login is one op of three requests)
	Errors      int     `json:"errors"` // operations that failed (non-200 or transport error)
	FirstError  string  `json:"first_error,omitempty"`
	Elapsed     float64 `json:"elapsed_s"`
	PerSecond   float64 `json:"ops_per_s"`
	Latency     Latency `json:"latency"`         // client-side, per operation
	Steps       []Step  `json:"steps,omitempty"` // the parts of a multi-request operation
	Routes      []Route `json:"routes"`          // server side, from the request log lines
	RespBytes   float64 `json:"response_bytes_per_op"`
	HTTP        bool    `json:"http"` // false for the raw DynamoDB baselines
	Requests    int     `json:"http_requests"`
	// Baseline names the raw-DynamoDB scenario this one is compared with: the reads the flow
	// cannot avoid, or the GetItem when there is no closer one. Empty for the baselines.
	Baseline string `json:"baseline,omitempty"`
	// Repeats names the scenario this is a second run of (getitem_end repeats getitem); a
	// baseline's ratios use the mean of its runs.
	Repeats string `json:"repeats,omitempty"`
	// Raw is what a raw baseline's DynamoDB calls consumed, per operation (nil for HTTP
	// scenarios, whose server side is in Routes).
	Raw *Raw `json:"raw,omitempty"`
	// CPU is the CPU time each process used during the measured run, per completed operation.
	CPU *CPU `json:"cpu,omitempty"`
}

// Raw is the DynamoDB side of a raw baseline, per operation.
type Raw struct {
	Calls float64 `json:"dynamodb_calls"`
	RCU   float64 `json:"rcu"`
	Items float64 `json:"items"` // items returned
}

// CPU is milliseconds of CPU time (user + system, all threads) per completed operation, from
// the start to the end of a scenario's measured run, by process. A field is negative when that
// process was not found (an emulator given by endpoint, say).
type CPU struct {
	Gateway   float64 `json:"gateway_ms_per_op"`        // the gateway process: /proc/<pid>/stat utime+stime
	Generator float64 `json:"generator_ms_per_op"`      // the load generator: getrusage(RUSAGE_SELF)
	DynamoDB  float64 `json:"dynamodb_local_ms_per_op"` // DynamoDB Local (the JVM): /proc/<pid>/stat
	SES       float64 `json:"ses_emulator_ms_per_op"`   // aws-ses-v2-local (Node): /proc/<pid>/stat
	Elapsed   float64 `json:"elapsed_s"`                // the span the CPU times were taken over
	// MachineBusy is how many of the machine's cores were busy over that span, on average, with
	// anything (the first line of /proc/stat): with MachineBusy near the core count and the
	// processes above using less, other work was competing with the run.
	MachineBusy float64 `json:"machine_cores_busy"`
}

// Total is the CPU of every measured process per operation (those not found count 0).
func (c CPU) Total() float64 {
	return max(c.Gateway, 0) + max(c.Generator, 0) + max(c.DynamoDB, 0) + max(c.SES, 0)
}

// Step is one part of a multi-request operation (the magic-link login).
type Step struct {
	Name    string  `json:"name"`
	Latency Latency `json:"latency"`
}

// Route aggregates the request log lines one scenario produced for one route.
type Route struct {
	Route         string  `json:"route"`
	Requests      int     `json:"requests"`
	Non200        int     `json:"non_200"`
	DynamoDBCalls float64 `json:"dynamodb_calls"`  // per request
	RCU           float64 `json:"rcu"`             // per request, as DynamoDB (Local) reported it
	WCU           float64 `json:"wcu"`             // per request
	LatencyMS     float64 `json:"latency_ms_mean"` // server side: handler start to log line
	LatencyP50MS  float64 `json:"latency_ms_p50"`
	BilledMS      float64 `json:"billed_ms_mean"` // mean of latency rounded up to whole ms, as Lambda bills
	LogBytes      float64 `json:"log_bytes"`      // per request: the JSON log line with its newline
	RespBytes     float64 `json:"response_bytes"` // per request: response body
}

// Cleanup is one run of the scheduled cleanup over everything the run left expiring.
type Cleanup struct {
	Deleted int     `json:"deleted"`
	Read    int     `json:"read"`
	Calls   int     `json:"dynamodb_calls"`
	RCU     float64 `json:"rcu"`
	WCU     float64 `json:"wcu"`
	Elapsed float64 `json:"elapsed_s"`
	Logins  int     `json:"logins"` // logins whose tokens and sessions it removed
}

// Function is the cold start of one Lambda function binary, run as a process under a minimal
// Lambda Runtime API.
type Function struct {
	Name        string  `json:"name"`
	Event       string  `json:"event"` // the sample event of its first invocation
	Runs        int     `json:"runs"`
	Init        Latency `json:"init"`         // exec to the first GET /runtime/invocation/next
	InitCPU     Latency `json:"init_cpu"`     // CPU time the process used by then (all threads)
	FirstInvoke Latency `json:"first_invoke"` // event handed over to response posted
	FirstStatus int     `json:"first_status"` // statusCode of the first invocation's response (0: not HTTP)
	PeakRSSMB   float64 `json:"peak_rss_mb"`  // VmHWM after the first invocation (or at ready), largest run
	Errors      int     `json:"errors"`
	FirstError  string  `json:"first_error,omitempty"`
}

// Latency summarises samples in milliseconds.
type Latency struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean_ms"`
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	Min  float64 `json:"min_ms"`
	Max  float64 `json:"max_ms"`
}

// Summarize returns the summary of durations (sorted in place).
func Summarize(d []time.Duration) Latency {
	ms := make([]float64, len(d))
	for i, v := range d {
		ms[i] = float64(v) / float64(time.Millisecond)
	}
	return SummarizeMS(ms)
}

// SummarizeMS returns the summary of samples in milliseconds (sorted in place).
func SummarizeMS(ms []float64) Latency {
	if len(ms) == 0 {
		return Latency{}
	}
	sort.Float64s(ms)
	sum := 0.0
	for _, v := range ms {
		sum += v
	}
	return Latency{
		N: len(ms), Mean: sum / float64(len(ms)),
		P50: Percentile(ms, 50), P95: Percentile(ms, 95), P99: Percentile(ms, 99),
		Min: ms[0], Max: ms[len(ms)-1],
	}
}

// Percentile is the nearest-rank percentile of sorted samples.
func Percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}
