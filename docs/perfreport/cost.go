package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// price is one AWS list price in us-east-1, as written down when this generator was written
// (see pricesAsOf); the generator does not fetch prices.
type price struct {
	Key, Service, Item, Unit string
	USD                      float64 // for Per units
	Per                      float64
}

const pricesAsOf = "2026-11 (from AWS's public pricing pages as we last read them; not fetched by the generator)"

var prices = []price{
	{"apigw", "API Gateway HTTP API", "requests (first 300 million a month)", "1 million requests", 1.00, 1e6},
	{"lambda_req", "AWS Lambda", "requests", "1 million requests", 0.20, 1e6},
	{"lambda_gbs", "AWS Lambda", "duration, arm64 (first 6 billion GB-s a month)", "GB-second", 0.0000133334, 1},
	{"ddb_rru", "DynamoDB on-demand", "read request units", "1 million RRU", 0.125, 1e6},
	{"ddb_wru", "DynamoDB on-demand", "write request units", "1 million WRU", 0.625, 1e6},
	{"ses", "Amazon SES", "outbound email", "1,000 messages", 0.10, 1000},
	{"logs", "CloudWatch Logs", "ingestion, Standard log class", "GB", 0.50, 1},
	{"egress", "Data transfer out to the internet", "first 10 TB a month", "GB", 0.09, 1},
	{"sqs", "Amazon SQS", "standard queue requests (64 KB chunks)", "1 million requests", 0.40, 1e6},
	{"ddb_storage", "DynamoDB", "table storage, Standard class", "GB-month", 0.25, 1},
}

func priceOf(key string) price {
	for _, p := range prices {
		if p.Key == key {
			return p
		}
	}
	panic("no price " + key)
}

// The deployment's defaults (infra/config.go: memoryMb 256, arm64).
const (
	memoryMB   = 256
	members    = 1000
	gib        = 1 << 30
	pessCallMS = 10 // assumed extra latency per DynamoDB round trip in AWS (pessimistic; not measured)
	pessSESMS  = 50 // assumed SES SendEmail latency in AWS (not measured)
)

// profile is a usage profile per member and month.
type profile struct {
	Name, Short  string
	Logins       float64 // magic-link logins (send + authenticate)
	TokenChecks  float64 // remote sessions/authenticate by session_token
	JWTRefreshes float64 // remote sessions/authenticate by session_jwt (to get a fresh JWT)
	LocalChecks  float64 // AuthenticateJWTLocal: no AWS request at all
}

var profiles = []profile{
	{"A: every session check is remote (session_token)", "A (remote)", 20, 2000, 0, 0},
	{"B: session checks verify the JWT locally, refreshing it remotely", "B (JWT-local)", 20, 0, 100, 2000},
}

// flow is what one occurrence of a user-visible operation costs, from the measurements.
type flow struct {
	Name          string
	Requests      float64 // API requests = Lambda invocations
	Calls         float64 // DynamoDB round trips
	RCU, WCU      float64
	BilledMS      float64 // Lambda billed milliseconds, measured (sequential, in process)
	PessimisticMS float64 // BilledMS plus the assumed AWS latencies
	LogBytes      float64 // CloudWatch Logs bytes: app line + Lambda platform lines + API access log line
	RespBytes     float64
	SES           float64
}

// lineItem is one row of the cost table: units and dollars per 1,000 members and month.
type lineItem struct {
	Service, Item string
	Units         []float64 // per profile
	UnitName      string
	USD           []float64
}

type costModel struct {
	Flows       map[string]flow
	Items       []lineItem
	Total       []float64
	TotalPess   []float64
	PlatformLog int // bytes of Lambda's START/END/REPORT lines per invocation
	AccessLog   int // bytes of the API's access log line per request (0: format not found)
}

func (c *costModel) usage(p profile) map[string]float64 {
	return map[string]float64{"login": p.Logins, "token": p.TokenChecks, "jwt": p.JWTRefreshes}
}

// compute builds the model from the flows.
func (c *costModel) compute() {
	type acc struct{ req, gbs, gbsPess, rru, wru, ses, logGB, egressGB float64 }
	var per []acc
	for _, p := range profiles {
		var a acc
		for key, n := range c.usage(p) {
			f := c.Flows[key]
			k := n * members
			a.req += k * f.Requests
			a.gbs += k * f.BilledMS / 1000 * memoryMB / 1024
			a.gbsPess += k * f.PessimisticMS / 1000 * memoryMB / 1024
			a.rru += k * f.RCU
			a.wru += k * f.WCU
			a.ses += k * f.SES
			a.logGB += k * f.LogBytes / gib
			a.egressGB += k * f.RespBytes / gib
		}
		per = append(per, a)
	}
	item := func(key, unitName string, get func(acc) float64) lineItem {
		p := priceOf(key)
		li := lineItem{Service: p.Service, Item: p.Item, UnitName: unitName}
		for _, a := range per {
			u := get(a)
			li.Units = append(li.Units, u)
			li.USD = append(li.USD, u/p.Per*p.USD)
		}
		return li
	}
	c.Items = []lineItem{
		item("apigw", "requests", func(a acc) float64 { return a.req }),
		item("lambda_req", "invocations", func(a acc) float64 { return a.req }),
		item("lambda_gbs", "GB-s", func(a acc) float64 { return a.gbs }),
		item("ddb_rru", "RRU", func(a acc) float64 { return a.rru }),
		item("ddb_wru", "WRU", func(a acc) float64 { return a.wru }),
		item("ses", "messages", func(a acc) float64 { return a.ses }),
		item("logs", "GB", func(a acc) float64 { return a.logGB }),
		item("egress", "GB", func(a acc) float64 { return a.egressGB }),
	}
	c.Total = make([]float64, len(profiles))
	c.TotalPess = make([]float64, len(profiles))
	gbsPrice := priceOf("lambda_gbs")
	for i := range profiles {
		for _, li := range c.Items {
			c.Total[i] += li.USD[i]
		}
		c.TotalPess[i] = c.Total[i] - c.Items[2].USD[i] + per[i].gbsPess*gbsPrice.USD
	}
}

// platformLogBytes is the size of the three lines Lambda itself logs per invocation in the
// text log format (START, END, REPORT), built from their documented format with this run's
// figures; it is computed, not measured in AWS.
func platformLogBytes(billedMS, rssMB float64) int {
	id := uuid.NewString()
	lines := fmt.Sprintf("START RequestId: %s Version: $LATEST\n", id) +
		fmt.Sprintf("END RequestId: %s\n", id) +
		fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %.0f ms\tMemory Size: %d MB\tMax Memory Used: %.0f MB\t\n",
			id, billedMS-0.5, math.Ceil(billedMS), memoryMB, math.Max(rssMB, 1))
	return len(lines)
}

var contextVar = regexp.MustCompile(`\$context\.[A-Za-z.]+`)

// accessLogLine renders the API access log format of the CDK stack (the accessLogFormat
// constant in infra/stack.go, read from the source so the two cannot drift) with typical values.
// It returns "" when the constant is not there.
func accessLogLine(path string) string {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return ""
	}
	var format string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || format != "" {
			return true
		}
		for i, name := range vs.Names {
			if name.Name == "accessLogFormat" && i < len(vs.Values) {
				format, _ = stringConst(vs.Values[i])
			}
		}
		return true
	})
	if format == "" {
		return ""
	}
	samples := map[string]string{
		"$context.requestId": "O+64mS33dlYCKw=", "$context.identity.sourceIp": "203.0.113.24",
		"$context.requestTime": "05/Mar/2026:14:30:23 +0000", "$context.routeKey": "POST /v1/b2b/sessions/authenticate",
		"$context.status": "200", "$context.protocol": "HTTP/1.1", "$context.responseLength": "4610",
		"$context.responseLatency": "12", "$context.integrationLatency": "11", "$context.integrationStatus": "200",
	}
	return contextVar.ReplaceAllStringFunc(format, func(v string) string {
		if s, ok := samples[v]; ok {
			return s
		}
		return "-"
	}) + "\n"
}

// stringConst evaluates a constant expression of string literals joined by +.
func stringConst(e ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(x.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return "", false
		}
		l, ok1 := stringConst(x.X)
		r, ok2 := stringConst(x.Y)
		return l + r, ok1 && ok2
	case *ast.ParenExpr:
		return stringConst(x.X)
	}
	return "", false
}

// usd formats dollars with the precision the model has: two significant figures.
func usd(v float64) string {
	switch {
	case v == 0:
		return "$0"
	case v < 0.01:
		return "< $0.01"
	}
	return "$" + sig(v, 2)
}

// sig formats v with n significant figures (no exponent).
func sig(v float64, n int) string {
	if v == 0 {
		return "0"
	}
	d := int(math.Floor(math.Log10(math.Abs(v)))) + 1
	dec := max(n-d, 0)
	p := math.Pow(10, float64(n-d))
	r := math.Round(v*p) / p
	s := strconv.FormatFloat(r, 'f', dec, 64)
	if !strings.Contains(s, ".") && d > 3 {
		return groupThousands(s)
	}
	return s
}

func groupThousands(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
