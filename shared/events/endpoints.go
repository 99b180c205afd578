package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/safehttp"
	"github.com/latchkey/latchkey/shared/webhook"
)

// EndpointStore is what endpoint management and the audit trail's reads need of the table.
type EndpointStore interface {
	// CreateWebhookEndpoint stores a new endpoint, its Secrets sealed, with Version 1.
	CreateWebhookEndpoint(ctx context.Context, ep Endpoint) error
	// WebhookEndpoint and WebhookEndpoints read without secrets (latchkey.ErrNotFound).
	WebhookEndpoint(ctx context.Context, id string) (Endpoint, error)
	WebhookEndpoints(ctx context.Context) ([]Endpoint, error)
	// UpdateWebhookEndpoint writes next's settings over prev if prev.Version is still current
	// (a *latchkey.Conflict on latchkey.ConflictVersion otherwise); secrets stay as they are.
	UpdateWebhookEndpoint(ctx context.Context, prev, next Endpoint) error
	// RotateWebhookSecret makes secret current and keeps the current one until previousExpires.
	RotateWebhookSecret(ctx context.Context, id, secret string, previousExpires, now time.Time) (Endpoint, error)
	DeleteWebhookEndpoint(ctx context.Context, id string) error
	// QueryEvents reads one organization's audit trail in [from, to), oldest first;
	// QueryProjectEvents every organization's. Cursor "" is the first page.
	QueryEvents(ctx context.Context, orgID string, from, to time.Time, limit int, cursor string) (AuditPage, error)
	QueryProjectEvents(ctx context.Context, from, to time.Time, limit int, cursor string) (AuditPage, error)
}

// AuditPage is one page of the audit trail: each event's JSON as it was stored (and as it is
// delivered), and the cursor of the next page ("" on the last).
type AuditPage struct {
	Events     []json.RawMessage
	NextCursor string
}

// Limits of endpoint management.
const (
	MaxEndpoints          = 50  // per project: the capture reads them all for every batch
	MaxEventTypeFilters   = 50  // per endpoint
	MaxOrganizationFilter = 100 // organization ids per endpoint
	MaxDescription        = 256 // characters
	// PreviousSecretLifetime is how long the secret a rotation replaces keeps signing, so
	// receivers can switch to the new one without dropping a delivery.
	PreviousSecretLifetime = 24 * time.Hour
	// DefaultAuditLimit and MaxAuditLimit bound a page of the audit trail.
	DefaultAuditLimit = 100
	MaxAuditLimit     = 500
	// ReplayBatch is how many events of the audit trail one replay call reads; a longer range
	// answers a cursor to carry on from.
	ReplayBatch = 1000
)

// EndpointService manages the project's webhook endpoints, reads the audit trail and replays
// it to an endpoint.
type EndpointService struct {
	Store EndpointStore
	// Queue carries replayed events to the delivery; nil (no LATCHKEY_WEBHOOK_QUEUE_URL)
	// answers a replay with 503 webhook_delivery_not_configured.
	Queue Queue
	Clock latchkey.Clock
	IDs   latchkey.IDs
	// Fetch is the URL policy endpoints are held to, the delivery's: https, or http to
	// loopback where the configuration allows loopback (make dev, the tests).
	Fetch safehttp.Policy
	// Retention is how long the audit trail keeps an event: the default range of a query.
	Retention time.Duration
}

// EndpointPatch is a create or update of an endpoint; absent fields are unchanged.
type EndpointPatch struct {
	URL             *string   `json:"url,omitempty"`
	Description     *string   `json:"description,omitempty"`
	EventTypes      *[]string `json:"event_types,omitempty"`
	OrganizationIDs *[]string `json:"organization_ids,omitempty"`
	Disabled        *bool     `json:"disabled,omitempty"`
}

// Errors of endpoint management and the audit trail.

func EndpointNotFound() *latchkey.Error {
	return latchkey.Errorf(http.StatusNotFound, "webhook_endpoint_not_found", "Webhook endpoint could not be found.")
}

func invalidURL(why string) *latchkey.Error {
	return latchkey.BadRequest("invalid_webhook_url", "url must be an https URL (%s).", why)
}

func invalidFilter(format string, args ...any) *latchkey.Error {
	return latchkey.BadRequest("invalid_event_type_filter", format, args...)
}

func invalidTimeRange(format string, args ...any) *latchkey.Error {
	return latchkey.BadRequest("invalid_time_range", format, args...)
}

// DeliveryNotConfigured answers a replay on a deployment without a delivery queue.
func DeliveryNotConfigured() *latchkey.Error {
	return latchkey.Errorf(http.StatusServiceUnavailable, "webhook_delivery_not_configured",
		"Webhook delivery is not configured on this deployment (LATCHKEY_WEBHOOK_QUEUE_URL), so events cannot be replayed.")
}

// Known filter segments: the sources, object types and actions events are made with.
var (
	filterSources = []string{strings.ToLower(SourceDirect), strings.ToLower(SourceSCIM)}
	filterObjects = []string{ObjectOrganization, ObjectMember, ObjectSAMLConnection, ObjectOIDCConnection,
		ObjectSCIMConnection, ObjectSCIMGroup, ObjectSession}
	filterActions = []string{strings.ToLower(ActionCreate), strings.ToLower(ActionUpdate), strings.ToLower(ActionDelete)}
)

// CheckEventTypes validates event type filters: source.object_type.action, each segment a
// known value or "*" (scim.member.*, *.member.delete, *.*.*). It returns them without
// duplicates, in their order.
func CheckEventTypes(filters []string) ([]string, error) {
	if len(filters) > MaxEventTypeFilters {
		return nil, invalidFilter("event_types may hold at most %d filters.", MaxEventTypeFilters)
	}
	out := make([]string, 0, len(filters))
	for _, f := range filters {
		parts := strings.Split(f, ".")
		if len(f) > 100 || len(parts) != 3 {
			return nil, invalidFilter("event_types: %q is not source.object_type.action (e.g. scim.member.create, *.member.*).", clip(f))
		}
		for i, known := range [][]string{filterSources, filterObjects, filterActions} {
			if parts[i] != "*" && !slices.Contains(known, parts[i]) {
				return nil, invalidFilter("event_types: %q: %q is not one of %s or *.", clip(f), clip(parts[i]), strings.Join(known, ", "))
			}
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

func clip(s string) string {
	if len(s) > 40 {
		for i := 40; i > 0; i-- {
			if utf8.RuneStart(s[i]) {
				return s[:i] + "…"
			}
		}
	}
	return s
}

func (s *EndpointService) checkURL(u string) error {
	if u == "" {
		return invalidURL("it is required")
	}
	if err := s.Fetch.CheckURL(u); err != nil {
		return invalidURL(strings.TrimPrefix(err.Error(), safehttp.ErrRefused.Error()+": "))
	}
	return nil
}

func checkOrganizations(ids []string) ([]string, error) {
	if len(ids) > MaxOrganizationFilter {
		return nil, latchkey.BadRequest("invalid_organization_filter", "organization_ids may hold at most %d organizations.", MaxOrganizationFilter)
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !latchkey.LooksLike("organization", id) {
			return nil, latchkey.BadRequest("invalid_organization_filter",
				"organization_ids: %q is not an organization id (organization-test-… or organization-live-…).", clip(id))
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

func checkDescription(d string) error {
	if utf8.RuneCountInString(d) > MaxDescription || !latchkey.ValidName(d) {
		return latchkey.BadRequest("invalid_webhook_description",
			"description must be at most %d characters, without control or invisible characters.", MaxDescription)
	}
	return nil
}

// apply validates p and writes it over ep.
func (s *EndpointService) apply(ep *Endpoint, p EndpointPatch) error {
	if p.URL != nil {
		if err := s.checkURL(*p.URL); err != nil {
			return err
		}
		ep.URL = *p.URL
	}
	if p.Description != nil {
		if err := checkDescription(*p.Description); err != nil {
			return err
		}
		ep.Description = *p.Description
	}
	if p.EventTypes != nil {
		types, err := CheckEventTypes(*p.EventTypes)
		if err != nil {
			return err
		}
		ep.EventTypes = types
	}
	if p.OrganizationIDs != nil {
		orgs, err := checkOrganizations(*p.OrganizationIDs)
		if err != nil {
			return err
		}
		ep.OrganizationIDs = orgs
	}
	if p.Disabled != nil {
		ep.Disabled = *p.Disabled
	}
	return nil
}

func notFoundAs(err error) error {
	if errors.Is(err, latchkey.ErrNotFound) {
		return EndpointNotFound()
	}
	return err
}

// CheckEndpointID answers webhook_endpoint_not_found for a value no endpoint can have, before
// any read.
func CheckEndpointID(id string) error {
	if !latchkey.LooksLike("webhook-endpoint", id) {
		return EndpointNotFound()
	}
	return nil
}

// Create adds an endpoint and returns it with its signing secret, which is shown only here.
func (s *EndpointService) Create(ctx context.Context, p EndpointPatch) (Endpoint, string, error) {
	if p.URL == nil {
		return Endpoint{}, "", invalidURL("it is required")
	}
	now := s.Clock.Now().UTC()
	ep := Endpoint{EndpointID: s.IDs.New("webhook-endpoint"), CreatedAt: now, UpdatedAt: now}
	if err := s.apply(&ep, p); err != nil {
		return Endpoint{}, "", err
	}
	existing, err := s.Store.WebhookEndpoints(ctx)
	if err != nil {
		return Endpoint{}, "", err
	}
	if len(existing) >= MaxEndpoints {
		return Endpoint{}, "", latchkey.BadRequest("too_many_webhook_endpoints",
			"A project may have at most %d webhook endpoints; delete one first.", MaxEndpoints)
	}
	secret, err := webhook.NewSecret()
	if err != nil {
		return Endpoint{}, "", latchkey.Internal(err)
	}
	ep.Secrets = []string{secret}
	if err := s.Store.CreateWebhookEndpoint(ctx, ep); err != nil {
		return Endpoint{}, "", err
	}
	ep.Secrets, ep.Version = nil, 1
	return ep, secret, nil
}

// Get reads one endpoint, without its secrets.
func (s *EndpointService) Get(ctx context.Context, id string) (Endpoint, error) {
	if err := CheckEndpointID(id); err != nil {
		return Endpoint{}, err
	}
	ep, err := s.Store.WebhookEndpoint(ctx, id)
	return ep, notFoundAs(err)
}

// List reads every endpoint, without secrets.
func (s *EndpointService) List(ctx context.Context) ([]Endpoint, error) {
	return s.Store.WebhookEndpoints(ctx)
}

// Update changes an endpoint's settings; a concurrent change is retried on the fresh copy,
// then answered 409 concurrent_update.
func (s *EndpointService) Update(ctx context.Context, id string, p EndpointPatch) (Endpoint, error) {
	if err := CheckEndpointID(id); err != nil {
		return Endpoint{}, err
	}
	// Validate before any read: a refused patch costs nothing.
	if err := s.apply(&Endpoint{}, p); err != nil {
		return Endpoint{}, err
	}
	for attempt := range latchkey.MaxAttempts {
		latchkey.Backoff(ctx, attempt)
		prev, err := s.Store.WebhookEndpoint(ctx, id)
		if err != nil {
			return Endpoint{}, notFoundAs(err)
		}
		next := prev
		_ = s.apply(&next, p)
		next.UpdatedAt = s.Clock.Now().UTC()
		err = s.Store.UpdateWebhookEndpoint(ctx, prev, next)
		if latchkey.ConflictOn(err) == latchkey.ConflictVersion {
			continue
		}
		if err != nil {
			return Endpoint{}, err
		}
		next.Version = prev.Version + 1
		return next, nil
	}
	return Endpoint{}, latchkey.ConcurrentUpdate()
}

// RotateSecret gives the endpoint a new signing secret, shown only here; the one it replaces
// keeps signing deliveries (beside the new one) for PreviousSecretLifetime.
func (s *EndpointService) RotateSecret(ctx context.Context, id string) (Endpoint, string, error) {
	if err := CheckEndpointID(id); err != nil {
		return Endpoint{}, "", err
	}
	secret, err := webhook.NewSecret()
	if err != nil {
		return Endpoint{}, "", latchkey.Internal(err)
	}
	for attempt := range latchkey.MaxAttempts {
		latchkey.Backoff(ctx, attempt)
		now := s.Clock.Now().UTC()
		ep, err := s.Store.RotateWebhookSecret(ctx, id, secret, now.Add(PreviousSecretLifetime), now)
		if latchkey.ConflictOn(err) == latchkey.ConflictVersion {
			continue
		}
		if err != nil {
			return Endpoint{}, "", notFoundAs(err)
		}
		return ep, secret, nil
	}
	return Endpoint{}, "", latchkey.ConcurrentUpdate()
}

// Delete removes an endpoint; deliveries already queued for it are dropped by the delivery.
func (s *EndpointService) Delete(ctx context.Context, id string) error {
	if err := CheckEndpointID(id); err != nil {
		return err
	}
	return notFoundAs(s.Store.DeleteWebhookEndpoint(ctx, id))
}

// TimeRange is a query's [Start, End): Start inclusive, End exclusive.
type TimeRange struct{ Start, End time.Time }

// ParseTimeRange reads start and end (RFC 3339; "" for the defaults: end now, start defStart
// before end).
func ParseTimeRange(start, end string, now time.Time, defStart time.Duration) (TimeRange, error) {
	r := TimeRange{End: now}
	var err error
	if end != "" {
		if r.End, err = time.Parse(time.RFC3339Nano, end); err != nil {
			return r, invalidTimeRange("end_time must be an RFC 3339 time (2026-03-09T09:00:00Z).")
		}
	}
	r.Start = r.End.Add(-defStart)
	if start != "" {
		if r.Start, err = time.Parse(time.RFC3339Nano, start); err != nil {
			return r, invalidTimeRange("start_time must be an RFC 3339 time (2026-03-09T08:00:00Z).")
		}
	}
	if r.Start.Year() < 2000 || r.End.Year() > 9999 {
		return r, invalidTimeRange("start_time and end_time must lie between the years 2000 and 9999.")
	}
	if !r.Start.Before(r.End) {
		return r, invalidTimeRange("start_time must be before end_time.")
	}
	r.Start, r.End = r.Start.UTC(), r.End.UTC()
	return r, nil
}

// EventQuery is a read of the audit trail. OrganizationID "" reads every organization.
type EventQuery struct {
	OrganizationID string
	Range          TimeRange
	Limit          int
	Cursor         string
}

// Events reads a page of the audit trail.
func (s *EndpointService) Events(ctx context.Context, q EventQuery) (AuditPage, error) {
	if q.Limit == 0 {
		q.Limit = DefaultAuditLimit
	}
	if q.Limit < 1 || q.Limit > MaxAuditLimit {
		return AuditPage{}, latchkey.BadRequest("invalid_limit", "limit must be between 1 and %d.", MaxAuditLimit)
	}
	if q.OrganizationID == "" {
		return s.Store.QueryProjectEvents(ctx, q.Range.Start, q.Range.End, q.Limit, q.Cursor)
	}
	return s.Store.QueryEvents(ctx, q.OrganizationID, q.Range.Start, q.Range.End, q.Limit, q.Cursor)
}

// ReplayResult is what a replay queued, and where to carry on ("" when the range is done).
type ReplayResult struct {
	Queued     int
	NextCursor string
}

// Replay queues again, for one endpoint, the events of the audit trail in q's range that the
// endpoint wants (its filters apply), marked Replay so the delivery sends them even if it did
// before. It reads at most ReplayBatch events; the next cursor carries on.
func (s *EndpointService) Replay(ctx context.Context, id string, q EventQuery) (ReplayResult, error) {
	ep, err := s.Get(ctx, id)
	if err != nil {
		return ReplayResult{}, err
	}
	if s.Queue == nil {
		return ReplayResult{}, DeliveryNotConfigured()
	}
	if ep.Disabled {
		return ReplayResult{}, latchkey.BadRequest("webhook_endpoint_disabled", "The webhook endpoint is disabled: enable it before replaying events to it.")
	}
	var res ReplayResult
	read := 0
	for pages := 0; read < ReplayBatch && pages < 20; pages++ {
		q.Limit = min(MaxAuditLimit, ReplayBatch-read)
		page, err := s.Events(ctx, q)
		if err != nil {
			return res, err
		}
		read += len(page.Events)
		var msgs []Message
		for _, raw := range page.Events {
			var e Event
			if json.Unmarshal(raw, &e) != nil || e.EventID == "" {
				continue
			}
			if ep.Wants(e) {
				msgs = append(msgs, Message{EndpointID: ep.EndpointID, EventID: e.EventID, Replay: true, Event: raw})
			}
		}
		if len(msgs) > 0 {
			if err := s.Queue.Send(ctx, msgs); err != nil {
				return res, fmt.Errorf("replay: queueing %d events: %w", len(msgs), err)
			}
			res.Queued += len(msgs)
		}
		res.NextCursor, q.Cursor = page.NextCursor, page.NextCursor
		if page.NextCursor == "" {
			break
		}
	}
	return res, nil
}
