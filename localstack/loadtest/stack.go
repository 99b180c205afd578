package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// harness is Latchkey running locally for the load run: the emulators, a fresh table, the
// gateway process on a loopback port, and the data the scenarios use.
type harness struct {
	stack   *emulators.Stack
	cfg     app.Config
	spec    gatewaySpec
	store   *store.Store // this process's own, for the seeding and the cleanup run
	secret  string
	base    string // the gateway, http://127.0.0.1:<port>
	gateway *gateway
	procs   procs
	client  *http.Client
	ddb     *dynamodb.Client
	logs    *logSink

	org     string
	members []*member

	logins    atomic.Int64 // magic links redeemed
	sends     atomic.Int64 // emails sent
	responses atomic.Int64 // responses the gateway gave; each has a request log line
}

type member struct {
	id, email  string
	token, jwt string
	// request bodies, built once so the client spends as little CPU as it can
	tokenBody, jwtBody []byte
	getPath            string
	key                map[string]types.AttributeValue
	// The raw baselines' reads: exactly the items the session authenticate by token (session,
	// organization, member) and the member get (organization, member) read, in one BatchGetItem.
	sessionBatch, memberBatch *dynamodb.BatchGetItemInput
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
	h.spec = gatewaySpec{
		ProjectID: "project-test-" + uuid.NewString(), Table: "latchkey-load-" + uuid.NewString()[:8],
		DynamoDB: h.stack.DynamoDBEndpoint, SES: h.stack.SESEndpoint, SMS: h.stack.SMSEndpoint,
	}
	h.cfg = appConfig(h.spec)
	awsCfg, err := store.AWSConfig(ctx, h.cfg.Region, h.cfg.DynamoDBEndpoint)
	if err != nil {
		return err
	}
	h.ddb = store.NewClient(awsCfg, h.cfg.DynamoDBEndpoint)
	if err := store.CreateTable(ctx, h.ddb, h.cfg.Table); err != nil {
		return err
	}
	h.store = store.New(awsCfg, h.cfg.DynamoDBEndpoint, h.cfg.Table)
	s, _ := secret.New()
	h.secret = "secret-test-" + s
	if err := h.store.PutProjectSecret(ctx, h.cfg.ProjectID, h.secret, time.Now().UTC()); err != nil {
		return err
	}
	if h.gateway, h.base, err = startGateway(h.spec, h.logs); err != nil {
		return err
	}
	h.procs.gateway = h.gateway.pid()
	h.procs.ddb, h.procs.ses = findEmulators(h.procs.gateway)
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
		m.key = key("ORG#"+h.org, "MEMBER#"+m.id)
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
	// The baselines read items directly; make sure their keys name real items, so a change of
	// layout fails here instead of measuring misses.
	out, err := h.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(h.cfg.Table), Key: h.members[0].key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return err
	}
	if len(out.Item) == 0 {
		return errors.New("the baseline's member item key (ORG#<org> / MEMBER#<member>) names no item; update the key layout in localstack/loadtest")
	}
	for _, m := range h.members {
		m.sessionBatch = batchGet(h.cfg.Table, sessionKey(m.token), orgKey(h.org), m.key)
		m.memberBatch = batchGet(h.cfg.Table, orgKey(h.org), m.key)
		for _, in := range []*dynamodb.BatchGetItemInput{m.sessionBatch, m.memberBatch} {
			want := len(in.RequestItems[h.cfg.Table].Keys)
			if n, err := batchItems(ctx, h.ddb, h.cfg.Table, in); err != nil {
				return err
			} else if n != want {
				return fmt.Errorf("a baseline BatchGetItem found %d of its %d items (session SESSION#<sha256(token)> / SESSION, "+
					"organization ORG#<org> / ORG, member ORG#<org> / MEMBER#<member>); update the key layout in localstack/loadtest", n, want)
			}
		}
	}
	return nil
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		store.AttrPK: &types.AttributeValueMemberS{Value: pk},
		store.AttrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// The items' keys as shared/store lays them out (see its package comment).
func sessionKey(token string) map[string]types.AttributeValue {
	return key("SESSION#"+secret.Hash(token), "SESSION")
}
func orgKey(org string) map[string]types.AttributeValue { return key("ORG#"+org, "ORG") }

// batchGet is the BatchGetItem the store sends for these keys (SessionBundle,
// MemberWithOrganization): one table, strongly consistent, every attribute, and the consumed
// capacity asked for, as the store's counting middleware asks on every request-path call.
func batchGet(table string, keys ...map[string]types.AttributeValue) *dynamodb.BatchGetItemInput {
	return &dynamodb.BatchGetItemInput{
		RequestItems:           map[string]types.KeysAndAttributes{table: {Keys: keys, ConsistentRead: aws.Bool(true)}},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	}
}

// batchItems runs a baseline BatchGetItem once and counts the items it returned; any key left
// unprocessed is an error, since the baseline must read everything in one call.
func batchItems(ctx context.Context, ddb *dynamodb.Client, table string, in *dynamodb.BatchGetItemInput) (int, error) {
	out, err := ddb.BatchGetItem(ctx, in)
	if err != nil {
		return 0, err
	}
	if len(out.UnprocessedKeys) > 0 {
		return len(out.Responses[table]), errors.New("baseline BatchGetItem: DynamoDB left keys unprocessed")
	}
	return len(out.Responses[table]), nil
}

func (h *harness) close() {
	if h.gateway != nil {
		h.gateway.stop()
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
	h.responses.Add(1)
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

// logSink collects the gateway's request log lines (one Write per line, as read from its
// stdout) and counts them.
type logSink struct {
	mu       sync.Mutex
	buf      []byte
	requests atomic.Int64
}

var requestMsg = []byte(`"msg":"request"`)

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.buf = append(s.buf, p...)
	s.mu.Unlock()
	if bytes.Contains(p, requestMsg) {
		s.requests.Add(1)
	}
	return len(p), nil
}

// settle waits (a little) until every response the gateway gave has its request log line
// here: a line crosses a pipe, and may be written just after its response went out.
func (h *harness) settle() {
	for end := time.Now().Add(2 * time.Second); h.logs.requests.Load() < h.responses.Load() && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
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
