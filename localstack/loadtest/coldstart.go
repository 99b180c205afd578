package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/latchkey/latchkey/localstack/loadtest/result"
	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/store"
)

// coldEvents names, per function, the sample event (events/<function>/<file>) its first
// invocation gets. A function not listed is measured up to its ready handler only.
var coldEvents = map[string]string{
	"organizations": "get_member.json",
	"sessions":      "authenticate_session.json",
	"magiclinks":    "authenticate.json",
	"discovery":     "list_organizations.json",
	"passwords":     "strength_check.json", // zxcvbn's tables load at init
	"mfa":           "totp_create.json",    // a pending registration: key, QR code, recovery codes
	"cleanup":       "scheduled.json",
}

// coldStarts starts each function binary in dir `runs` times as a process, the way Lambda does:
// with AWS_LAMBDA_RUNTIME_API pointing at a minimal Runtime API served here. It measures the
// time from exec to the process's first GET /runtime/invocation/next (the end of Lambda's init
// phase: configuration, AWS clients and the signing-key load have run), then hands it one event
// and measures until the response is posted.
func (h *harness) coldStarts(ctx context.Context, dir, root string, runs int) ([]result.Function, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []result.Function
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		fn := e.Name()
		f := result.Function{Name: fn, Event: coldEvents[fn], Runs: runs}
		var inits, cpus, invokes []time.Duration
		for range runs {
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			r, err := h.coldStart(ctx, filepath.Join(dir, fn), fn, root)
			if err != nil {
				f.Errors++
				if f.FirstError == "" {
					f.FirstError = err.Error()
				}
				continue
			}
			inits, cpus = append(inits, r.init), append(cpus, r.cpu)
			if r.invoked {
				invokes = append(invokes, r.invoke)
				f.FirstStatus = r.status
			}
			f.PeakRSSMB = max(f.PeakRSSMB, r.rssMB)
		}
		f.Init, f.InitCPU, f.FirstInvoke = result.Summarize(inits), result.Summarize(cpus), result.Summarize(invokes)
		out = append(out, f)
	}
	return out, nil
}

type coldRun struct {
	init, cpu, invoke time.Duration
	invoked           bool
	status            int
	rssMB             float64
}

func (h *harness) coldStart(ctx context.Context, bin, fn, root string) (coldRun, error) {
	var res coldRun
	var event []byte
	if name := coldEvents[fn]; name != "" {
		var err error
		if event, err = h.event(ctx, filepath.Join(root, "events", fn, name)); err != nil {
			return res, fmt.Errorf("%s: event: %w", fn, err)
		}
	}
	rt := newRuntimeAPI(event)
	srv := httptest.NewServer(rt)
	defer srv.Close()
	defer rt.quit()

	home, err := os.MkdirTemp("", "latchkey-coldstart-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(home)
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TZ=UTC",
		"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(srv.URL, "http://"),
		"AWS_LAMBDA_FUNCTION_NAME=latchkey-" + fn, "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256", "AWS_REGION=us-east-1",
		"LATCHKEY_PROJECT_ID=" + h.cfg.ProjectID, "LATCHKEY_TABLE=" + h.cfg.Table,
		"LATCHKEY_DYNAMODB_ENDPOINT=" + h.cfg.DynamoDBEndpoint, "LATCHKEY_SES_ENDPOINT=" + h.cfg.SESEndpoint,
		"LATCHKEY_SMS_ENDPOINT=" + h.cfg.SMSEndpoint,
		"LATCHKEY_REDIRECT_URLS=http://localhost:*",
	}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return res, err
	}
	rt.setPID(cmd.Process.Pid)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill() // the process this function started, by its pid
		<-exited
	}()
	timeout := time.NewTimer(20 * time.Second)
	defer timeout.Stop()
	select {
	case <-rt.ready:
	case err := <-exited:
		exited <- err
		return res, fmt.Errorf("%s exited during init: %v\n%s", fn, err, tailOf(logs.String()))
	case <-timeout.C:
		return res, fmt.Errorf("%s: not ready after 20s\n%s", fn, tailOf(logs.String()))
	}
	res.init, res.cpu, res.rssMB = rt.readyAt.Sub(t0), rt.cpuAtReady, rt.rssAtReady
	if rt.initErr != "" {
		return res, fmt.Errorf("%s: init error: %s", fn, rt.initErr)
	}
	if event == nil {
		return res, nil
	}
	select {
	case <-rt.done:
	case err := <-exited:
		exited <- err
		return res, fmt.Errorf("%s exited during its first invocation: %v\n%s", fn, err, tailOf(logs.String()))
	case <-timeout.C:
		return res, fmt.Errorf("%s: no response after 20s\n%s", fn, tailOf(logs.String()))
	}
	if rt.invokeErr != "" {
		return res, fmt.Errorf("%s: invocation error: %s", fn, rt.invokeErr)
	}
	res.invoked, res.invoke, res.rssMB = true, rt.respAt.Sub(rt.deliveredAt), max(rt.rssMB, res.rssMB)
	var resp struct {
		StatusCode int `json:"statusCode"`
	}
	if json.Unmarshal(rt.resp, &resp) == nil {
		res.status = resp.StatusCode
	}
	if resp.StatusCode != 0 && resp.StatusCode != http.StatusOK {
		return res, fmt.Errorf("%s: first invocation answered %d: %s", fn, resp.StatusCode, rt.resp)
	}
	return res, nil
}

func tailOf(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

var placeholder = regexp.MustCompile(`\{\{([a-z_]+)\}\}`)

// event fills a sample event's placeholders with live values; single-use tokens are made fresh.
func (h *harness) event(ctx context.Context, path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := h.members[0]
	vals := map[string]func() (string, error){
		"basic_auth": func() (string, error) {
			return base64.StdEncoding.EncodeToString([]byte(h.cfg.ProjectID + ":" + h.secret)), nil
		},
		"project_id":        func() (string, error) { return h.cfg.ProjectID, nil },
		"organization_id":   func() (string, error) { return h.org, nil },
		"member_id":         func() (string, error) { return m.id, nil },
		"email":             func() (string, error) { return m.email, nil },
		"session_token":     func() (string, error) { return m.token, nil },
		"password":          func() (string, error) { return "violet-anchor-Quarry-47-lantern", nil },
		"password_email":    func() (string, error) { return m.email, nil },
		"magic_links_token": func() (string, error) { return h.sendLink(ctx, m) },
		"intermediate_session_token": func() (string, error) {
			return h.intermediateSession(ctx, m)
		},
	}
	var failed error
	filled := placeholder.ReplaceAllStringFunc(string(raw), func(s string) string {
		name := placeholder.FindStringSubmatch(s)[1]
		f := vals[name]
		if f == nil {
			failed = errors.Join(failed, fmt.Errorf("no value for {{%s}}", name))
			return s
		}
		v, err := f()
		failed = errors.Join(failed, err)
		return v
	})
	return []byte(filled), failed
}

// sendLink sends a login link to m and returns its token, unredeemed.
func (h *harness) sendLink(ctx context.Context, m *member) (string, error) {
	since := time.Now().Unix() - 1
	if err := h.json(ctx, "POST", "/v1/b2b/magic_links/email/login_or_signup", map[string]any{
		"organization_id": h.org, "email_address": m.email, "login_redirect_url": redirectURL,
	}, &struct{}{}); err != nil {
		return "", err
	}
	h.sends.Add(1)
	tok, _, err := h.emailToken(ctx, m.email, since)
	return tok, err
}

// intermediateSession runs the discovery login for m and returns its intermediate session token.
func (h *harness) intermediateSession(ctx context.Context, m *member) (string, error) {
	since := time.Now().Unix() - 1
	if err := h.json(ctx, "POST", "/v1/b2b/magic_links/email/discovery/send", map[string]any{
		"email_address": m.email, "discovery_redirect_url": redirectURL,
	}, &struct{}{}); err != nil {
		return "", err
	}
	h.sends.Add(1)
	tok, _, err := h.emailToken(ctx, m.email, since)
	if err != nil {
		return "", err
	}
	var out struct {
		IST string `json:"intermediate_session_token"`
	}
	if err := h.json(ctx, "POST", "/v1/b2b/magic_links/discovery/authenticate", map[string]any{"discovery_magic_links_token": tok}, &out); err != nil {
		return "", err
	}
	if out.IST == "" {
		return "", errors.New("discovery authenticate returned no intermediate_session_token")
	}
	return out.IST, nil
}

// runtimeAPI is the part of the Lambda Runtime API a Go function uses: next, response, error.
type runtimeAPI struct {
	event []byte

	pidSet chan struct{}
	pid    int

	mu          sync.Mutex
	nexts       int
	ready       chan struct{} // closed at the first GET next (or an init error)
	readyAt     time.Time
	cpuAtReady  time.Duration
	rssAtReady  float64
	initErr     string
	deliveredAt time.Time
	done        chan struct{} // closed when the first invocation's response or error arrives
	respAt      time.Time
	resp        []byte
	invokeErr   string
	rssMB       float64
	stop        chan struct{}
	stopOnce    sync.Once
}

func newRuntimeAPI(event []byte) *runtimeAPI {
	return &runtimeAPI{event: event, pidSet: make(chan struct{}), ready: make(chan struct{}),
		done: make(chan struct{}), stop: make(chan struct{})}
}

func (rt *runtimeAPI) setPID(pid int) { rt.pid = pid; close(rt.pidSet) }

func (rt *runtimeAPI) quit() { rt.stopOnce.Do(func() { close(rt.stop) }) }

func (rt *runtimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	const prefix = "/2018-06-01/runtime/"
	path := strings.TrimPrefix(r.URL.Path, prefix)
	switch {
	case r.Method == "GET" && path == "invocation/next":
		rt.mu.Lock()
		rt.nexts++
		first := rt.nexts == 1
		rt.mu.Unlock()
		if !first || rt.event == nil {
			if first {
				rt.markReady(now)
			}
			// Hold the process here until it is killed.
			select {
			case <-r.Context().Done():
			case <-rt.stop:
			}
			return
		}
		rt.markReady(now)
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", uuid.NewString())
		w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:latchkey")
		w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
		w.Header().Set("Content-Type", "application/json")
		rt.mu.Lock()
		rt.deliveredAt = time.Now()
		rt.mu.Unlock()
		w.Write(rt.event)
	case r.Method == "POST" && strings.HasPrefix(path, "invocation/") && strings.HasSuffix(path, "/response"):
		body, _ := io.ReadAll(r.Body)
		rt.mu.Lock()
		rt.respAt, rt.resp = now, body
		rt.rssMB = peakRSSMB(rt.pid)
		rt.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		close(rt.done)
	case r.Method == "POST" && strings.HasPrefix(path, "invocation/") && strings.HasSuffix(path, "/error"):
		body, _ := io.ReadAll(r.Body)
		rt.mu.Lock()
		rt.invokeErr = string(body)
		rt.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		close(rt.done)
	case r.Method == "POST" && path == "init/error":
		body, _ := io.ReadAll(r.Body)
		rt.mu.Lock()
		rt.initErr = string(body)
		rt.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		rt.markReady(now)
	default:
		http.NotFound(w, r)
	}
}

func (rt *runtimeAPI) markReady(at time.Time) {
	<-rt.pidSet
	rt.mu.Lock()
	defer rt.mu.Unlock()
	select {
	case <-rt.ready:
		return
	default:
	}
	rt.readyAt = at
	rt.cpuAtReady = processCPU(rt.pid)
	rt.rssAtReady = peakRSSMB(rt.pid)
	close(rt.ready)
}

// processCPU is the CPU time all threads of pid have used, from /proc/<pid>/task/*/schedstat
// (nanoseconds on CPU). The process is blocked in GET next while this is read.
func processCPU(pid int) time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var total int64
	for _, t := range tasks {
		raw, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		if f := strings.Fields(string(raw)); len(f) > 0 {
			n, _ := strconv.ParseInt(f[0], 10, 64)
			total += n
		}
	}
	return time.Duration(total)
}

// peakRSSMB is the process's peak resident set (VmHWM), the figure Lambda reports as
// "Max Memory Used".
func peakRSSMB(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

// buildTimes measures app.Build in this process (configuration, AWS clients, signing-key load
// from DynamoDB) and store.AWSConfig alone, n times each.
func (h *harness) buildTimes(ctx context.Context, n int) (result.Latency, result.Latency, error) {
	var builds, configs []time.Duration
	for range n {
		t := time.Now()
		if _, err := store.AWSConfig(ctx, h.cfg.Region, h.cfg.DynamoDBEndpoint); err != nil {
			return result.Latency{}, result.Latency{}, err
		}
		configs = append(configs, time.Since(t))
		t = time.Now()
		if _, err := app.Build(ctx, h.cfg, io.Discard); err != nil {
			return result.Latency{}, result.Latency{}, err
		}
		builds = append(builds, time.Since(t))
	}
	return result.Summarize(builds), result.Summarize(configs), nil
}

// sortedFunctions is for stable output.
func sortedFunctions(fs []result.Function) {
	sort.Slice(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
}
