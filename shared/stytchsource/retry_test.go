package stytchsource_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"

	"github.com/latchkey/latchkey/shared/stytchsource"
)

// fault answers in place of the real server, for requests whose path contains match, the
// first times times (forever when times < 0); every other request reaches the server.
type fault struct {
	match  string
	times  int
	status int
	body   string // "" for Stytch's 429 body
	header http.Header
}

// faults is an http.RoundTripper over the real server that injects faults: fault injection on
// a real Latchkey, not a stand-in for Stytch.
type faults struct {
	mu       sync.Mutex
	faults   []*fault
	injected int
}

func (f *faults) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	var hit *fault
	for _, ft := range f.faults {
		if strings.Contains(req.URL.Path, ft.match) && ft.times != 0 {
			ft.times--
			hit = ft
			f.injected++
			break
		}
	}
	f.mu.Unlock()
	if hit == nil {
		return http.DefaultTransport.RoundTrip(req)
	}
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	body := hit.body
	if body == "" {
		body = `{"status_code":429,"request_id":"request-id-test-injected","error_type":"too_many_requests",` +
			`"error_message":"Too many requests have been made.","error_url":"https://stytch.com/docs/api/errors/429"}`
	}
	h := http.Header{"Content-Type": {"application/json"}}
	for k, v := range hit.header {
		h[k] = v
	}
	return &http.Response{StatusCode: hit.status, Header: h, Body: io.NopCloser(strings.NewReader(body)),
		Request: req, ProtoMajor: 1, ProtoMinor: 1}, nil
}

var fastRetry = stytchsource.Retry{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}

// A 429 (Stytch's, with Retry-After; or a proxy's, without Stytch's body), a 503 and a 502 on
// each kind of call are retried, and the export is the same bytes as one without faults.
func TestExportRetriesRateLimits(t *testing.T) {
	theFixture(t)
	opts := stytchsource.Options{PageSize: 3, IncludeDeletedMembers: true, Retry: fastRetry}
	clean, cleanStats := export(t, rawClient(t, stytchsource.Source{}), opts)

	inject := &faults{faults: []*fault{
		{match: "/v1/b2b/organizations/search", times: 2, status: 429, header: http.Header{"Retry-After": {"0"}}},
		{match: "/v1/b2b/organizations/members/search", times: 1, status: 429, body: "<html>rate limited</html>"},
		{match: "/v1/b2b/organizations/members/search", times: 1, status: 503, body: "upstream unavailable"},
		{match: "/v1/b2b/sso/", times: 1, status: 429},
		{match: "/v1/b2b/scim/", times: 1, status: 502, body: "bad gateway"},
	}}
	faulty, stats := export(t, rawClient(t, stytchsource.Source{HTTPClient: &http.Client{Transport: inject}}), opts)
	if !bytes.Equal(clean, faulty) {
		t.Fatalf("output with faults differs:\n%s\n---\n%s", faulty, clean)
	}
	if inject.injected != 6 || stats.Retries != 6 || stats.Requests != cleanStats.Requests+6 {
		t.Errorf("injected %d; retries %d; requests %d, %d without faults", inject.injected, stats.Retries, stats.Requests, cleanStats.Requests)
	}
	stats.Retries, stats.Requests = cleanStats.Retries, cleanStats.Requests
	eq(t, "stats apart from the retries", stats, cleanStats)

	// A client not built by NewClient sees only stytch-go's errors; Stytch's 429 is one.
	inject = &faults{faults: []*fault{{match: "/members/search", times: 1, status: 429}, {match: "/v1/b2b/sso/", times: 1, status: 429}}}
	plain := sdk(t, b2bstytchapi.WithHTTPClient(&http.Client{Transport: inject}))
	_, stats = export(t, plain, opts)
	if inject.injected != 2 || stats.Retries != 2 {
		t.Errorf("plain client: injected %d, retries %d", inject.injected, stats.Retries)
	}
}

// Retries end: after MaxAttempts the export fails with the status, and a refusal that is not
// worth repeating (401) fails at once.
func TestExportGivesUp(t *testing.T) {
	theFixture(t)
	inject := &faults{faults: []*fault{{match: "/v1/b2b/organizations/members/search", times: -1, status: 429}}}
	c := rawClient(t, stytchsource.Source{HTTPClient: &http.Client{Transport: inject}})
	var buf bytes.Buffer
	stats, err := stytchsource.Export(context.Background(), c, &buf, stytchsource.Options{Retry: stytchsource.Retry{MaxAttempts: 3,
		MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}, Concurrency: 1})
	var se *stytchsource.Error
	if !errors.As(err, &se) || se.Status != 429 || se.Attempts != 3 || se.Call != "Members.Search" || se.OrganizationID == "" {
		t.Fatalf("err %v (%#v)", err, se)
	}
	if stats.Retries != 2 || stats.Organizations != 4 {
		t.Errorf("stats %+v", stats)
	}

	bad, err := stytchsource.NewClient(context.Background(), stytchsource.Source{BaseURL: env.URL, ProjectID: env.ProjectID, Secret: "secret-test-wrong"})
	if err != nil {
		t.Fatal(err)
	}
	stats, err = stytchsource.Export(context.Background(), bad, &buf, stytchsource.Options{Retry: fastRetry})
	if !errors.As(err, &se) || se.Status != 401 || se.Attempts != 1 || stats.Requests != 1 {
		t.Fatalf("wrong secret: err %v, stats %+v", err, stats)
	}
}

// A wait for a rate limit ends with the context: a Retry-After of a minute does not hold an
// export whose context is done.
func TestExportBackoffHonoursTheContext(t *testing.T) {
	theFixture(t)
	inject := &faults{faults: []*fault{{match: "/v1/b2b/organizations/search", times: -1, status: 429,
		header: http.Header{"Retry-After": {"60"}}}}}
	c := rawClient(t, stytchsource.Source{HTTPClient: &http.Client{Transport: inject}})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := stytchsource.Export(ctx, c, io.Discard, stytchsource.Options{Retry: stytchsource.Retry{MaxBackoff: time.Hour}})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
}

// Pipe streams what Export writes, ends with EOF on success and with the export's error on
// failure, and stops the export when the reader is closed.
func TestPipe(t *testing.T) {
	theFixture(t)
	ctx := context.Background()
	c := rawClient(t, stytchsource.Source{})
	opts := stytchsource.Options{PageSize: 3, IncludeDeletedMembers: true}
	want, wantStats := export(t, c, opts)

	r, done := stytchsource.Pipe(ctx, c, opts)
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("piped: err %v, %d bytes, want %d", err, len(got), len(want))
	}
	r.Close()
	res := <-done
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	eq(t, "piped stats", res.Stats, wantStats)
	if _, open := <-done; open {
		t.Error("the result channel stays open")
	}

	inject := &faults{faults: []*fault{{match: "/v1/b2b/scim/", times: -1, status: 503, body: "down"}}}
	failing := rawClient(t, stytchsource.Source{HTTPClient: &http.Client{Transport: inject}})
	failOpts := opts
	failOpts.Retry = stytchsource.Retry{MaxAttempts: 2, MinBackoff: time.Millisecond}
	r, done = stytchsource.Pipe(ctx, failing, failOpts)
	got, err = io.ReadAll(r)
	var se *stytchsource.Error
	if !errors.As(err, &se) || se.Status != 503 {
		t.Fatalf("a failed export reads as %v", err)
	}
	if !bytes.HasPrefix(want, got) {
		t.Errorf("the output before the failure is not a prefix of the whole")
	}
	if res := <-done; !errors.As(res.Err, &se) {
		t.Errorf("result %v", res.Err)
	}

	r, done = stytchsource.Pipe(ctx, c, stytchsource.Options{PageSize: 1})
	if _, err := r.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	r.Close()
	select {
	case res := <-done:
		if !errors.Is(res.Err, io.ErrClosedPipe) {
			t.Errorf("closing the reader: %v", res.Err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("closing the reader did not stop the export")
	}
}

// A project whose plan or key has no SCIM (403) still exports, with the refusal in Skipped; a
// 404 for SSO reads as "no connections".
func TestExportSkipsWhatTheAPIRefuses(t *testing.T) {
	f := theFixture(t)
	inject := &faults{faults: []*fault{
		{match: "/v1/b2b/scim/", times: -1, status: 403, body: `{"status_code":403,"error_type":"scim_not_enabled","error_message":"no"}`},
		{match: "/v1/b2b/sso/", times: -1, status: 404, body: `{"status_code":404,"error_type":"not_found","error_message":"no"}`},
	}}
	out, stats := export(t, rawClient(t, stytchsource.Source{HTTPClient: &http.Client{Transport: inject}}), stytchsource.Options{})
	for _, l := range parseLines(t, out) {
		if l.Type == "scim_connection" || l.Type == "sso_connection" {
			t.Errorf("a %s line", l.Type)
		}
	}
	if stats.SCIMConnections != 0 || stats.SAMLConnections != 0 || stats.Members != 11 || len(stats.Skipped) != len(f.orgs) {
		t.Fatalf("stats %+v", stats)
	}
	for i, s := range stats.Skipped {
		want := stytchsource.Skip{Type: "scim_connection", OrganizationID: f.orgs[i], Reason: "SCIM.Connection.Get answered 403 scim_not_enabled"}
		eq(t, "skip", s, want)
	}
}
