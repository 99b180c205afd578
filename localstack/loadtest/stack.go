package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/latchkey/latchkey/localstack/emulators"
	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/secret"
	"github.com/latchkey/latchkey/shared/store"
)

const redirectURL = "http://localhost:3000/authenticate"

// harness is Latchkey running locally for the load run: the emulators, a fresh table, the local
// gateway on a loopback port, and the data the scenarios use.
type harness struct {
	stack  *emulators.Stack
	cfg    app.Config
	app    *app.App
	secret string
	base   string // the gateway, http://127.0.0.1:<port>
	srv    *http.Server
	client *http.Client
	ddb    *dynamodb.Client
	logs   *logSink

	org     string
	members []*member

	logins atomic.Int64 // magic links redeemed
	sends  atomic.Int64 // emails sent
}

type member struct {
	id, email  string
	token, jwt string
	// request bodies, built once so the client spends as little CPU as it can
	tokenBody, jwtBody []byte
	getPath            string
	key                map[string]types.AttributeValue
}

// loopback refuses any URL that is not on 127.0.0.1: this program generates load only against
// what it started itself.
func loopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Hostname() != "127.0.0.1" {
		return fmt.Errorf("refusing to send load to %s: only 127.0.0.1 is allowed", raw)
	}
	return nil
}

func start(ctx context.Context, members int) (*harness, error) {
	stack, err := emulators.Start(context.Background(), emulators.Options{})
	if err != nil {
		return nil, err
	}
	h := &harness{stack: stack, logs: &logSink{}}
	if err := h.build(ctx, members); err != nil {
		h.close()
		return nil, err
	}
	return h, nil
}

func (h *harness) build(ctx context.Context, members int) error {
	for _, u := range []string{h.stack.DynamoDBEndpoint, h.stack.SESEndpoint, h.stack.SMSEndpoint} {
		if err := loopback(u); err != nil {
			return err
		}
	}
	h.cfg = app.Config{
		ProjectID:          "project-test-" + uuid.NewString(),
		Table:              "latchkey-load-" + uuid.NewString()[:8],
		Region:             "us-east-1",
		DynamoDBEndpoint:   h.stack.DynamoDBEndpoint,
		SESEndpoint:        h.stack.SESEndpoint,
		SMSEndpoint:        h.stack.SMSEndpoint,
		Sender:             "no-reply@latchkey.test",
		RedirectURLs:       []string{"http://localhost:*"},
		DefaultRedirectURL: redirectURL,
		// Each member logs in many times during the run; the limits are not what is measured.
		EmailSendsPerHour: 1 << 30,
		OrgSendsPerHour:   1 << 30,
	}
	awsCfg, err := store.AWSConfig(ctx, h.cfg.Region, h.cfg.DynamoDBEndpoint)
	if err != nil {
		return err
	}
	h.ddb = store.NewClient(awsCfg, h.cfg.DynamoDBEndpoint)
	if err := store.CreateTable(ctx, h.ddb, h.cfg.Table); err != nil {
		return err
	}
	if h.app, err = app.Build(ctx, h.cfg, h.logs); err != nil {
		return err
	}
	s, _ := secret.New()
	h.secret = "secret-test-" + s
	if err := h.app.Store.PutProjectSecret(ctx, h.cfg.ProjectID, h.secret, time.Now().UTC()); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	h.base = "http://" + ln.Addr().String()
	if err := loopback(h.base); err != nil {
		ln.Close()
		return err
	}
	h.srv = &http.Server{Handler: h.app.Server.Handler(""), ReadHeaderTimeout: 10 * time.Second}
	go h.srv.Serve(ln)
	h.client = &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil, // never through a proxy: the target is loopback
			MaxIdleConns:        512,
			MaxIdleConnsPerHost: 512,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
	return h.seed(ctx, members)
}

// seed creates one organization and its members, and logs each member in once so the session
// scenarios have a session token and JWT per member.
func (h *harness) seed(ctx context.Context, n int) error {
	var org struct {
		Organization struct {
			OrganizationID string `json:"organization_id"`
		} `json:"organization"`
	}
	if err := h.json(ctx, "POST", "/v1/b2b/organizations", map[string]any{
		"organization_name": "Load", "organization_slug": "load-" + uuid.NewString()[:8],
	}, &org); err != nil {
		return err
	}
	h.org = org.Organization.OrganizationID
	for i := range n {
		m := &member{email: fmt.Sprintf("load-%d-%s@load.example", i, uuid.NewString()[:6])}
		var created struct {
			MemberID string `json:"member_id"`
		}
		if err := h.json(ctx, "POST", "/v1/b2b/organizations/"+h.org+"/members", map[string]any{
			"email_address": m.email, "name": fmt.Sprintf("Load %d", i),
		}, &created); err != nil {
			return err
		}
		m.id = created.MemberID
		m.getPath = "/v1/b2b/organizations/" + h.org + "/member?member_id=" + url.QueryEscape(m.id)
		m.key = map[string]types.AttributeValue{
			store.AttrPK: &types.AttributeValueMemberS{Value: "ORG#" + h.org},
			store.AttrSK: &types.AttributeValueMemberS{Value: "MEMBER#" + m.id},
		}
		h.members = append(h.members, m)
	}
	// Log everyone in, a few at a time.
	var wg sync.WaitGroup
	errs := make([]error, len(h.members))
	sem := make(chan struct{}, 4)
	for i, m := range h.members {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			res, err := h.login(ctx, m, nil)
			if err != nil {
				errs[i] = err
				return
			}
			m.token, m.jwt = res.SessionToken, res.SessionJWT
			m.tokenBody, _ = json.Marshal(map[string]string{"session_token": m.token})
			m.jwtBody, _ = json.Marshal(map[string]string{"session_jwt": m.jwt})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	// The baseline reads a member item directly; make sure the key names a real item, so a
	// change of layout fails here instead of measuring misses.
	out, err := h.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(h.cfg.Table), Key: h.members[0].key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return err
	}
	if len(out.Item) == 0 {
		return errors.New("the baseline's member item key (ORG#<org> / MEMBER#<member>) names no item; update the key layout in localstack/loadtest")
	}
	return nil
}

func (h *harness) close() {
	if h.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = h.srv.Shutdown(ctx)
		cancel()
	}
	if h.stack != nil {
		_ = h.stack.Stop()
	}
}

// do sends one authenticated request and returns the status and the size of the response body.
// body is nil, []byte (sent as is) or a value to marshal.
func (h *harness) do(ctx context.Context, method, path string, body any, out any) (int, int, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return 0, 0, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.base+path, rd)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(h.cfg.ProjectID, h.secret)
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if out == nil || resp.StatusCode != http.StatusOK {
		n, err := io.Copy(io.Discard, resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s %s: status %d", method, strings.SplitN(path, "?", 2)[0], resp.StatusCode)
		}
		return resp.StatusCode, int(n), err
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, len(raw), err
	}
	return resp.StatusCode, len(raw), json.Unmarshal(raw, out)
}

// json sends a request that must succeed and decodes its answer.
func (h *harness) json(ctx context.Context, method, path string, body, out any) error {
	_, _, err := h.do(ctx, method, path, body, out)
	return err
}

type loginResult struct {
	SessionToken string `json:"session_token"`
	SessionJWT   string `json:"session_jwt"`
}

// loginTimes are the parts of one magic-link login.
type loginTimes struct {
	send, read, auth            time.Duration
	sendBytes, authBytes, reads int
}

// login is the whole magic-link login of an existing member: the email is sent, read back from
// the SES emulator (as the person's mail client would), and its token redeemed.
func (h *harness) login(ctx context.Context, m *member, t *loginTimes) (loginResult, error) {
	var res loginResult
	if t == nil {
		t = &loginTimes{}
	}
	since := time.Now().Unix() - 1
	t0 := time.Now()
	_, n, err := h.do(ctx, "POST", "/v1/b2b/magic_links/email/login_or_signup", map[string]any{
		"organization_id": h.org, "email_address": m.email,
		"login_redirect_url": redirectURL, "signup_redirect_url": redirectURL,
	}, nil)
	if err != nil {
		return res, err
	}
	h.sends.Add(1)
	t.send, t.sendBytes = time.Since(t0), n
	t1 := time.Now()
	token, reads, err := h.emailToken(ctx, m.email, since)
	if err != nil {
		return res, err
	}
	t.read, t.reads = time.Since(t1), reads
	t2 := time.Now()
	_, n, err = h.do(ctx, "POST", "/v1/b2b/magic_links/authenticate", map[string]any{"magic_links_token": token}, &res)
	if err != nil {
		return res, err
	}
	h.logins.Add(1)
	t.auth, t.authBytes = time.Since(t2), n
	if res.SessionToken == "" || res.SessionJWT == "" {
		return res, errors.New("magic link authenticate returned no session")
	}
	return res, nil
}

var tokenPattern = regexp.MustCompile(`[?&]token=([A-Za-z0-9_\-]+)`)

// emailToken reads the newest email to addr (received since the given second) from the SES
// emulator and returns the token of its link. It makes at most a few reads; a member is used by
// one worker at a time, so the newest email to its address is the one just sent.
func (h *harness) emailToken(ctx context.Context, addr string, since int64) (string, int, error) {
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/store?since=%d", h.stack.SESEndpoint, since), nil)
		if err != nil {
			return "", attempt, err
		}
		resp, err := h.client.Do(req)
		if err != nil {
			return "", attempt, err
		}
		var st struct {
			Emails []struct {
				Destination struct {
					To []string `json:"to"`
				} `json:"destination"`
				Body struct {
					Text string `json:"text"`
				} `json:"body"`
			} `json:"emails"`
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			return "", attempt, err
		}
		for i := len(st.Emails) - 1; i >= 0; i-- {
			e := st.Emails[i]
			if len(e.Destination.To) == 1 && strings.EqualFold(e.Destination.To[0], addr) {
				if m := tokenPattern.FindStringSubmatch(e.Body.Text); m != nil {
					return m[1], attempt, nil
				}
			}
		}
		if attempt == 20 {
			return "", attempt, fmt.Errorf("no email to %s in the SES emulator", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// logSink collects the app's request log lines (one Write per line, from slog's JSON handler).
type logSink struct {
	mu  sync.Mutex
	buf []byte
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.buf = append(s.buf, p...)
	s.mu.Unlock()
	return len(p), nil
}

// take returns the lines written since the last take.
func (s *logSink) take() [][]byte {
	s.mu.Lock()
	buf := s.buf
	s.buf = nil
	s.mu.Unlock()
	var out [][]byte
	for _, line := range bytes.Split(buf, []byte("\n")) {
		if len(bytes.TrimSpace(line)) > 0 {
			out = append(out, line)
		}
	}
	return out
}
