package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/uuid"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/magiclinks"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/magiclinks/email"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations/members"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sessions"
	svix "github.com/svix/svix-webhooks/go"

	"github.com/latchkey/latchkey/localstack/pipeline"
	"github.com/latchkey/latchkey/shared/app"
	"github.com/latchkey/latchkey/shared/app/apptest"
	"github.com/latchkey/latchkey/shared/store"
)

// The whole path of issue 14, end to end: changes made through the API (stytch-go, SCIM, JIT)
// commit to DynamoDB Local; its stream feeds the events function's handler; the SQS
// emulator's queue feeds the deliveries function's handler; the webhook inbox receives the
// signed POSTs. The same handlers the Lambdas run, wired as the CDK stack wires them.

// hooks is one test's pipeline: a Latchkey whose capture queues to a queue of its own, and an
// endpoint posting to a path of the inbox no other test uses.
type hooks struct {
	api        *apptest.Env // requests go to this test's server
	sdk        *b2bstytchapi.API
	cfg        app.Config
	queue, dlq string
	endpointID string
	secret     string
	path       string
	stream     pipeline.StreamHandler
	deliver    pipeline.QueueHandler
}

func newHooks(t *testing.T, visibility string) *hooks {
	t.Helper()
	ctx := t.Context()
	h := &hooks{dlq: newQueue(t, nil)}
	arn := queueARN(t, h.dlq)
	h.queue = newQueue(t, map[string]string{"VisibilityTimeout": visibility,
		"RedrivePolicy": `{"deadLetterTargetArn":"` + arn + `","maxReceiveCount":"8"}`})
	// A table of its own: its stream holds this test's changes only, read from the start, so
	// no change made right after the pollers start can slip past them.
	table := "e2e-" + uuid.NewString()[:8]
	if err := store.CreateTable(ctx, store.NewClient(env.App.AWS, env.Stack.DynamoDBEndpoint), table); err != nil {
		t.Fatal(err)
	}
	a, srv, err := env.Variant(ctx, func(c *app.Config) {
		c.Table, c.SQSEndpoint, c.WebhookQueueURL = table, env.Stack.SQSEndpoint, h.queue
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	if err := a.Store.PutProjectSecret(ctx, env.ProjectID, env.Secret, time.Now()); err != nil {
		t.Fatal(err)
	}
	h.cfg = a.Config
	h.api = env.At(srv.URL)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h.stream = app.EventsHandler(a, log)
	h.deliver = app.DeliveryHandler(app.NewDeliverer(a.Config, a.Store, a.Config.Clock), app.NewSQSClient(a.AWS, env.Stack.SQSEndpoint), h.queue, log)
	h.sdk, err = b2bstytchapi.NewClient(env.ProjectID, env.Secret, b2bstytchapi.WithBaseURI(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	h.path = "/e2e/" + uuid.NewString()[:8]
	r := h.api.Do(t, "POST", "/v1/b2b/webhooks/endpoints", map[string]any{"url": env.Stack.WebhookInboxEndpoint + h.path, "description": t.Name()})
	apptest.ExpectOK(t, r)
	h.endpointID, h.secret = r.Str("endpoint.endpoint_id"), r.Str("secret")
	return h
}

// run starts the stream and queue pollers of this test; either may be left out.
func (h *hooks) run(t *testing.T, stream pipeline.StreamHandler, queue pipeline.QueueHandler) *pipeline.Pipeline {
	t.Helper()
	p, err := pipeline.Start(t.Context(), pipeline.Options{AWS: awsCfg, DynamoDBEndpoint: env.Stack.DynamoDBEndpoint, Table: h.cfg.Table,
		Stream: stream, SQSEndpoint: env.Stack.SQSEndpoint, QueueURL: h.queue, Queue: queue,
		PollInterval: 20 * time.Millisecond, RetryWait: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

type delivered struct {
	ProjectID      string          `json:"project_id"`
	EventID        string          `json:"event_id"`
	Action         string          `json:"action"`
	ObjectType     string          `json:"object_type"`
	Source         string          `json:"source"`
	ID             string          `json:"id"`
	Timestamp      string          `json:"timestamp"`
	OrganizationID string          `json:"organization_id"`
	ObjectVersion  int64           `json:"object_version"`
	Member         json.RawMessage `json:"member"`
	Organization   json.RawMessage `json:"organization"`
	typ            string
}

// received is every accepted delivery to this test's endpoint, each verified with Svix's
// library, in arrival order; it fails the test if one does not verify.
func (h *hooks) received(t *testing.T) []delivered {
	t.Helper()
	wh, err := svix.NewWebhook(h.secret)
	if err != nil {
		t.Fatal(err)
	}
	var out []delivered
	for _, d := range env.Stack.WebhookInbox.Accepted() {
		if d.Path != h.path {
			continue
		}
		// The SQS emulator's clock may have been moved on; the signer's was not.
		if err := wh.VerifyIgnoringTimestamp([]byte(d.Body), d.Headers); err != nil {
			t.Errorf("a delivery does not verify with Svix's library: %v\n%s", err, d.Body)
			continue
		}
		var ev delivered
		if err := json.Unmarshal([]byte(d.Body), &ev); err != nil {
			t.Fatalf("a delivery is not JSON: %v", err)
		}
		if d.Headers.Get("svix-id") != ev.EventID {
			t.Errorf("svix-id %q is not the event id %q", d.Headers.Get("svix-id"), ev.EventID)
		}
		ev.typ = strings.ToLower(ev.Source) + "." + ev.ObjectType + "." + strings.ToLower(ev.Action)
		out = append(out, ev)
	}
	return out
}

// once fails unless every event id arrived exactly once, and returns the events by id.
func once(t *testing.T, evs []delivered) map[string]delivered {
	t.Helper()
	byID := map[string]delivered{}
	for _, e := range evs {
		if _, dup := byID[e.EventID]; dup {
			t.Errorf("event %s (%s %s) arrived twice", e.EventID, e.typ, e.ID)
		}
		byID[e.EventID] = e
	}
	return byID
}

func waitDrained(t *testing.T, p *pipeline.Pipeline, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	if err := p.Drain(ctx); err != nil {
		t.Fatalf("the pipeline did not drain in %s: %v", d, err)
	}
}

func queueLen(url string) int {
	for _, q := range env.Stack.SQS.Queues() {
		if q.URL == url {
			return len(q.Messages)
		}
	}
	return -1
}

// Changes by stytch-go, by SCIM and by JIT provisioning each become their event, named and
// shaped as Stytch's, delivered once, signed so that Svix's library verifies it, in object
// order, and kept in the audit trail.
func TestEventsFromStytchGoSCIMAndJIT(t *testing.T) {
	ctx := t.Context()
	h := newHooks(t, "30")
	p := h.run(t, h.stream, h.deliver)
	// DynamoDB Local stamps stream records to the minute: a delete's event may be that early.
	start := time.Now().UTC().Add(-2 * time.Minute)
	tag := uuid.NewString()[:8]
	domain := "e2e-" + tag + ".example.com"

	org, err := h.sdk.Organizations.Create(ctx, &organizations.CreateParams{OrganizationName: "E2E " + tag, OrganizationSlug: "e2e-" + tag,
		EmailAllowedDomains: []string{domain}, EmailJITProvisioning: "RESTRICTED"})
	if err != nil {
		t.Fatal(err)
	}
	orgID := org.Organization.OrganizationID
	ada, err := h.sdk.Organizations.Members.Create(ctx, &members.CreateParams{OrganizationID: orgID, EmailAddress: "ada@" + domain, Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	adaID := ada.MemberID
	if _, err := h.sdk.Organizations.Members.Update(ctx, &members.UpdateParams{OrganizationID: orgID, MemberID: adaID, Name: "Ada Lovelace"}); err != nil {
		t.Fatal(err)
	}
	// JIT: a magic link to an address of the allowed domain creates its member.
	jitEmail := "jit@" + domain
	if _, err := h.sdk.MagicLinks.Email.LoginOrSignup(ctx, &email.LoginOrSignupParams{OrganizationID: orgID, EmailAddress: jitEmail}); err != nil {
		t.Fatal(err)
	}
	auth, err := h.sdk.MagicLinks.Authenticate(ctx, &magiclinks.AuthenticateParams{MagicLinksToken: env.LastEmail(t, jitEmail).Token(), SessionDurationMinutes: 30})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.sdk.Sessions.Revoke(ctx, &sessions.RevokeParams{MemberSessionID: auth.MemberSession.MemberSessionID}); err != nil {
		t.Fatal(err)
	}
	// SCIM: the identity provider creates a user.
	conn := h.api.Do(t, "POST", "/v1/b2b/scim/"+orgID+"/connection", map[string]any{"display_name": "Okta", "identity_provider": "okta"})
	apptest.ExpectOK(t, conn)
	base, err := url.Parse(conn.Str("connection.base_url"))
	if err != nil {
		t.Fatal(err)
	}
	scimEmail := "grace@" + domain
	status, _, raw := h.api.Send(t, "POST", base.Path+"/Users", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": scimEmail, "active": true,
		"name": map[string]any{"givenName": "Grace", "familyName": "Hopper"}, "emails": []any{map[string]any{"primary": true, "value": scimEmail}},
	}, map[string][]string{"Content-Type": {"application/scim+json"}, "Authorization": {"Bearer " + conn.Str("connection.bearer_token")}})
	if status != 201 {
		t.Fatalf("SCIM create: %d %s", status, raw)
	}
	if _, err := h.sdk.Organizations.Members.Delete(ctx, &members.DeleteParams{OrganizationID: orgID, MemberID: adaID}); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, p, 60*time.Second)

	got := once(t, h.received(t))
	count := map[string]int{}
	var adaVersions []int64
	var jit, scim *delivered
	for _, e := range got {
		if e.OrganizationID != orgID || e.ProjectID != env.ProjectID {
			continue
		}
		count[e.typ]++
		var m struct {
			Email  string `json:"email_address"`
			Status string `json:"status"`
		}
		_ = json.Unmarshal(e.Member, &m)
		switch {
		case e.ObjectType == "member" && e.ID == adaID:
			adaVersions = append(adaVersions, e.ObjectVersion)
		case e.typ == "direct.member.create" && m.Email == jitEmail:
			jit = &e
		case e.typ == "scim.member.create" && m.Email == scimEmail:
			scim = &e
		}
		if e.Action == "DELETE" && (len(e.Member) > 0 || len(e.Organization) > 0) {
			t.Errorf("a DELETE carries its object, as Stytch's do not: %+v", e)
		}
		if !strings.HasPrefix(e.EventID, "webhook-event-test-") || e.Timestamp == "" {
			t.Errorf("event id or timestamp: %+v", e)
		}
	}
	for _, want := range []string{"direct.organization.create", "direct.member.update", "direct.member.delete",
		"direct.session.delete", "direct.scim_connection.create", "scim.member.create"} {
		if count[want] == 0 {
			t.Errorf("no %s event; got %v", want, count)
		}
	}
	if count["direct.member.create"] != 2 {
		t.Errorf("%d direct.member.create events, want Ada's and the JIT member's: %v", count["direct.member.create"], count)
	}
	if jit == nil || scim == nil {
		t.Fatalf("the JIT member's or the SCIM member's create is missing: %v", count)
	}
	// The object is the member as the API shows it.
	r := h.api.Do(t, "GET", "/v1/b2b/organizations/"+orgID+"/member?member_id="+scim.ID, nil)
	apptest.ExpectOK(t, r)
	var api, ev map[string]any
	_ = json.Unmarshal(scim.Member, &ev)
	rawMember, _ := json.Marshal(r.Get("member"))
	_ = json.Unmarshal(rawMember, &api)
	for _, k := range []string{"member_id", "email_address", "name", "status", "organization_id", "scim_registration"} {
		if fmt.Sprint(ev[k]) != fmt.Sprint(api[k]) {
			t.Errorf("the SCIM create's member.%s is %v, the API says %v", k, ev[k], api[k])
		}
	}
	// Ada's create, update and delete, each with a higher object_version than the last.
	if len(adaVersions) != 3 {
		t.Fatalf("Ada's events: %v", adaVersions)
	}
	seen := map[int64]bool{}
	for _, v := range adaVersions {
		if seen[v] {
			t.Errorf("two of Ada's events share object_version %d: %v", v, adaVersions)
		}
		seen[v] = true
	}

	// The audit trail holds the same events, in time order.
	q := url.Values{"organization_id": {orgID}, "start_time": {start.Format(time.RFC3339)}, "limit": {"500"}}
	audit := h.api.Do(t, "GET", "/v1/b2b/events?"+q.Encode(), nil)
	apptest.ExpectOK(t, audit)
	list, _ := audit.Get("events").([]any)
	inTrail := map[string]bool{}
	last := ""
	for _, x := range list {
		m := x.(map[string]any)
		inTrail[m["event_id"].(string)] = true
		if ts := m["timestamp"].(string); ts < last {
			t.Errorf("the audit trail is out of order: %s after %s", ts, last)
		} else {
			last = ts
		}
	}
	for id, e := range got {
		if e.OrganizationID == orgID && !inTrail[id] {
			t.Errorf("%s (%s) was delivered but is not in the audit trail", id, e.typ)
		}
	}
}

// createMembers makes n members of a new organization over HTTP, 16 at a time, and returns
// the organization.
func createMembers(t *testing.T, h *hooks, n int) (string, map[string]bool) {
	t.Helper()
	tag := uuid.NewString()[:8]
	r := h.api.Do(t, "POST", "/v1/b2b/organizations", map[string]any{"organization_name": "Burst " + tag, "organization_slug": "burst-" + tag})
	apptest.ExpectOK(t, r)
	orgID := r.Str("organization.organization_id")
	ids := make(chan string, n)
	var wg sync.WaitGroup
	var next atomic.Int64
	var failed atomic.Value
	for range 16 {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				r := h.api.Do(t, "POST", "/v1/b2b/organizations/"+orgID+"/members",
					map[string]any{"email_address": fmt.Sprintf("m%05d@%s.example", i, tag)})
				if r.Status != 200 || r.Str("member_id") == "" {
					failed.Store(fmt.Sprintf("%d %s", r.Status, r.Raw))
					return
				}
				ids <- r.Str("member_id")
			}
		})
	}
	wg.Wait()
	close(ids)
	if f := failed.Load(); f != nil {
		t.Fatalf("creating members: %v", f)
	}
	out := map[string]bool{}
	for id := range ids {
		out[id] = true
	}
	return orgID, out
}

// expectEachOnce fails unless each member's create arrived exactly once and both queues are
// empty.
func (h *hooks) expectEachOnce(t *testing.T, orgID string, ids map[string]bool) {
	t.Helper()
	got := memberCreates(once(t, h.received(t)), orgID)
	for id := range ids {
		if got[id] != 1 {
			t.Errorf("member %s: its create arrived %d times", id, got[id])
		}
	}
	if n := queueLen(h.queue) + queueLen(h.dlq); n != 0 {
		t.Errorf("%d messages left in the queue and the dead-letter queue", n)
	}
}

// memberCreates returns the member ids of the member.create events of orgID.
func memberCreates(evs map[string]delivered, orgID string) map[string]int {
	out := map[string]int{}
	for _, e := range evs {
		if e.OrganizationID == orgID && e.typ == "direct.member.create" {
			out[e.ID]++
		}
	}
	return out
}

// An endpoint that is down for a while and then back receives every event, exactly once by
// id, on the retry schedule; nothing is left in the queue or the dead-letter queue.
func TestEndpointDownThenBackGetsEveryEventOnce(t *testing.T) {
	h := newHooks(t, "30")
	inbox := env.Stack.WebhookInbox
	inbox.SetFault(503, 0, 1<<30)
	defer inbox.ClearFault()
	p := h.run(t, h.stream, h.deliver)
	orgID, ids := createMembers(t, h, 40)
	waitDrained(t, p, 60*time.Second)
	if len(h.received(t)) != 0 {
		t.Fatal("deliveries were accepted while the endpoint was down")
	}
	// Down through the first retry (5 s), back before the second (5 min).
	env.Stack.SQS.Advance(6 * time.Second)
	time.Sleep(50 * time.Millisecond)
	waitDrained(t, p, 60*time.Second)
	refused := 0
	for _, d := range inbox.Deliveries() {
		if d.Path == h.path && !d.Accepted() {
			refused++
		}
	}
	if refused < 2*(len(ids)+1) {
		t.Fatalf("%d refused attempts, want at least two per event", refused)
	}
	inbox.ClearFault()
	env.Stack.SQS.Advance(5*time.Minute + time.Second)
	time.Sleep(50 * time.Millisecond)
	waitDrained(t, p, 60*time.Second)

	h.expectEachOnce(t, orgID, ids)
}

// The delivery function crashing in the middle of a batch (after some POSTs, before it
// answers) loses nothing: the batch comes back after the visibility timeout, what was
// delivered is not delivered again, and the rest is.
func TestDeliveryCrashMidBatchLosesNothing(t *testing.T) {
	h := newHooks(t, "30")
	// First only the capture, so the queue fills and the delivery's first batch is a full one.
	capture := h.run(t, h.stream, nil)
	orgID, ids := createMembers(t, h, 30)
	waitDrained(t, capture, 60*time.Second)
	capture.Stop()
	if n := queueLen(h.queue); n < len(ids) {
		t.Fatalf("%d messages queued for %d members", n, len(ids))
	}

	var crashes atomic.Int32
	crashing := func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		if len(ev.Records) > 2 && crashes.Add(1) == 1 {
			half := ev
			half.Records = ev.Records[:len(ev.Records)/2]
			_, _ = h.deliver(ctx, half)
			return events.SQSEventResponse{}, errors.New("the function crashed")
		}
		return h.deliver(ctx, ev)
	}
	p := h.run(t, nil, crashing)
	waitDrained(t, p, 60*time.Second)
	if crashes.Load() == 0 {
		t.Fatal("no batch was big enough to crash in")
	}
	// The crashed batch is invisible until its visibility timeout ends.
	env.Stack.SQS.Advance(31 * time.Second)
	time.Sleep(50 * time.Millisecond)
	waitDrained(t, p, 60*time.Second)

	h.expectEachOnce(t, orgID, ids)
}

// A burst of 1,000 changes all arrive, once each. The rate is logged; the benchmark in
// shared/bench is where it is measured.
func TestBurstOfAThousandChanges(t *testing.T) {
	h := newHooks(t, "30")
	p := h.run(t, h.stream, h.deliver)
	start := time.Now()
	orgID, ids := createMembers(t, h, 1000)
	waitDrained(t, p, 3*time.Minute)
	elapsed := time.Since(start)
	got := memberCreates(once(t, h.received(t)), orgID)
	missing := 0
	for id := range ids {
		if got[id] != 1 {
			missing++
		}
	}
	if missing > 0 || len(got) != 1000 {
		t.Fatalf("%d of 1,000 member creates did not arrive exactly once (%d distinct arrived)", missing, len(got))
	}
	t.Logf("1,000 changes made over HTTP and delivered in %s (%.0f events/s end to end)", elapsed.Round(time.Millisecond), 1000/elapsed.Seconds())
}

func queueARN(t *testing.T, queue string) string {
	t.Helper()
	out, err := sqsc().GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queue),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes["QueueArn"]
}

// scimSend is one SCIM request with the connection's bearer token.
func scimSend(t *testing.T, h *hooks, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	status, _, raw := h.api.Send(t, method, path, body, map[string][]string{"Content-Type": {"application/scim+json"}, "Authorization": {"Bearer " + token}})
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return status, out
}

// SSO connections, SCIM groups and their memberships, and an organization's deletion (which
// takes its members with it) are events too; every event of the organization is in the audit
// trail, and no secret of a connection is in any of them.
func TestEventsForConnectionsGroupsAndDeletion(t *testing.T) {
	h := newHooks(t, "30")
	p := h.run(t, h.stream, h.deliver)
	tag := uuid.NewString()[:8]
	r := h.api.Do(t, "POST", "/v1/b2b/organizations", map[string]any{"organization_name": "Conn " + tag, "organization_slug": "conn-" + tag})
	apptest.ExpectOK(t, r)
	orgID := r.Str("organization.organization_id")
	saml := h.api.Do(t, "POST", "/v1/b2b/sso/saml/"+orgID, map[string]any{"display_name": "Okta SAML"})
	apptest.ExpectOK(t, saml)
	samlID := saml.Str("connection.connection_id")
	oidc := h.api.Do(t, "POST", "/v1/b2b/sso/oidc/"+orgID, map[string]any{"display_name": "Entra OIDC"})
	apptest.ExpectOK(t, oidc)
	apptest.ExpectOK(t, h.api.Do(t, "DELETE", "/v1/b2b/sso/"+orgID+"/connections/"+samlID, nil))

	conn := h.api.Do(t, "POST", "/v1/b2b/scim/"+orgID+"/connection", map[string]any{"display_name": "Okta", "identity_provider": "okta"})
	apptest.ExpectOK(t, conn)
	token := conn.Str("connection.bearer_token")
	base, _ := url.Parse(conn.Str("connection.base_url"))
	status, user := scimSend(t, h, token, "POST", base.Path+"/Users", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "lin@conn-" + tag + ".example", "active": true,
		"emails": []any{map[string]any{"primary": true, "value": "lin@conn-" + tag + ".example"}}})
	if status != 201 {
		t.Fatalf("SCIM user: %d %v", status, user)
	}
	status, grp := scimSend(t, h, token, "POST", base.Path+"/Groups", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Engineering",
		"members": []any{map[string]any{"value": user["id"]}}})
	if status != 201 {
		t.Fatalf("SCIM group: %d %v", status, grp)
	}
	apptest.ExpectOK(t, h.api.Do(t, "DELETE", "/v1/b2b/organizations/"+orgID, nil))
	waitDrained(t, p, 60*time.Second)

	count := map[string]int{}
	for _, e := range once(t, h.received(t)) {
		if e.OrganizationID != orgID {
			continue
		}
		count[e.typ]++
	}
	for _, want := range []string{"direct.saml_connection.create", "direct.saml_connection.delete", "direct.oidc_connection.create",
		"direct.scim_connection.create", "scim.member.create", "scim.scim_group.create", "direct.organization.delete"} {
		if count[want] == 0 {
			t.Errorf("no %s event; got %v", want, count)
		}
	}
	if count["direct.member.delete"]+count["scim.member.delete"] == 0 {
		t.Errorf("deleting the organization sent no member delete; got %v", count)
	}
	// No secret reached a receiver: the SCIM bearer token, nor any private key.
	for _, d := range env.Stack.WebhookInbox.Accepted() {
		if d.Path == h.path && (strings.Contains(d.Body, token) || strings.Contains(d.Body, "PRIVATE KEY") || strings.Contains(d.Body, "kms1:")) {
			t.Errorf("a delivery carries a secret: %.300s", d.Body)
		}
	}
	q := url.Values{"organization_id": {orgID}, "start_time": {time.Now().Add(-2 * time.Minute).UTC().Format(time.RFC3339)}, "limit": {"500"}}
	audit := h.api.Do(t, "GET", "/v1/b2b/events?"+q.Encode(), nil)
	apptest.ExpectOK(t, audit)
	if list, _ := audit.Get("events").([]any); len(list) < len(count) {
		t.Errorf("the audit trail of the deleted organization holds %d events, %d types were delivered", len(list), len(count))
	}
}
