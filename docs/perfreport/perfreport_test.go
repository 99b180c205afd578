package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
