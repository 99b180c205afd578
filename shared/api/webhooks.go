package api

import (
	"net/http"
	"strconv"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/events"
)

// Webhook endpoints and the audit trail: Latchkey's own routes (Stytch manages webhooks in its
// dashboard, through Svix), with project credentials. A signing secret is in a response only
// when it is made: on create and on rotate_secret.

// webhookEndpointView is an endpoint as the API shows it, never with its secrets.
type webhookEndpointView struct {
	EndpointID      string    `json:"endpoint_id"`
	URL             string    `json:"url"`
	Description     string    `json:"description"`
	EventTypes      []string  `json:"event_types"`
	OrganizationIDs []string  `json:"organization_ids"`
	Disabled        bool      `json:"disabled"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	// PreviousSecretExpiresAt is when the secret the last rotation replaced stops signing;
	// absent when it has (or there was no rotation).
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at,omitempty"`
}

type webhookEndpointResponse struct {
	envelope
	Endpoint webhookEndpointView `json:"endpoint"`
}

// webhookSecretResponse carries the signing secret, shown once.
type webhookSecretResponse struct {
	envelope
	Endpoint webhookEndpointView `json:"endpoint"`
	Secret   string              `json:"secret"`
}

type webhookEndpointsResponse struct {
	envelope
	Endpoints []webhookEndpointView `json:"endpoints"`
}

type webhookDeleteResponse struct {
	envelope
	EndpointID string `json:"endpoint_id"`
}

type webhookReplayRequest struct {
	StartTime      string `json:"start_time"`
	EndTime        string `json:"end_time,omitempty"`
	OrganizationID string `json:"organization_id,omitempty"`
	Cursor         string `json:"cursor,omitempty"`
}

type webhookReplayResponse struct {
	envelope
	EventsQueued int    `json:"events_queued"`
	NextCursor   string `json:"next_cursor"`
}

// eventsResponse is a page of the audit trail: each event as it is delivered.
type eventsResponse struct {
	envelope
	Events     []any  `json:"events"`
	NextCursor string `json:"next_cursor"`
}

func (s *Server) webhookView(ep events.Endpoint) webhookEndpointView {
	v := webhookEndpointView{EndpointID: ep.EndpointID, URL: ep.URL, Description: ep.Description,
		EventTypes: ep.EventTypes, OrganizationIDs: ep.OrganizationIDs, Disabled: ep.Disabled,
		CreatedAt: ep.CreatedAt, UpdatedAt: ep.UpdatedAt}
	if v.EventTypes == nil {
		v.EventTypes = []string{}
	}
	if v.OrganizationIDs == nil {
		v.OrganizationIDs = []string{}
	}
	if !ep.PreviousExpires.IsZero() && ep.PreviousExpires.After(s.Webhooks.Clock.Now()) {
		at := ep.PreviousExpires.UTC()
		v.PreviousSecretExpiresAt = &at
	}
	return v
}

func (s *Server) createWebhookEndpoint(r *http.Request) (stamper, error) {
	var p events.EndpointPatch
	if err := decode(r, &p); err != nil {
		return nil, err
	}
	ep, secret, err := s.Webhooks.Create(r.Context(), p)
	if err != nil {
		return nil, err
	}
	return &webhookSecretResponse{Endpoint: s.webhookView(ep), Secret: secret}, nil
}

func (s *Server) listWebhookEndpoints(r *http.Request) (stamper, error) {
	list, err := s.Webhooks.List(r.Context())
	if err != nil {
		return nil, err
	}
	out := &webhookEndpointsResponse{Endpoints: make([]webhookEndpointView, 0, len(list))}
	for _, ep := range list {
		out.Endpoints = append(out.Endpoints, s.webhookView(ep))
	}
	return out, nil
}

func (s *Server) getWebhookEndpoint(r *http.Request) (stamper, error) {
	ep, err := s.Webhooks.Get(r.Context(), r.PathValue("endpoint_id"))
	if err != nil {
		return nil, err
	}
	return &webhookEndpointResponse{Endpoint: s.webhookView(ep)}, nil
}

func (s *Server) updateWebhookEndpoint(r *http.Request) (stamper, error) {
	var p events.EndpointPatch
	if err := decode(r, &p); err != nil {
		return nil, err
	}
	ep, err := s.Webhooks.Update(r.Context(), r.PathValue("endpoint_id"), p)
	if err != nil {
		return nil, err
	}
	return &webhookEndpointResponse{Endpoint: s.webhookView(ep)}, nil
}

func (s *Server) deleteWebhookEndpoint(r *http.Request) (stamper, error) {
	id := r.PathValue("endpoint_id")
	if err := s.Webhooks.Delete(r.Context(), id); err != nil {
		return nil, err
	}
	return &webhookDeleteResponse{EndpointID: id}, nil
}

func (s *Server) rotateWebhookSecret(r *http.Request) (stamper, error) {
	ep, secret, err := s.Webhooks.RotateSecret(r.Context(), r.PathValue("endpoint_id"))
	if err != nil {
		return nil, err
	}
	return &webhookSecretResponse{Endpoint: s.webhookView(ep), Secret: secret}, nil
}

func (s *Server) replayWebhookEvents(r *http.Request) (stamper, error) {
	var body webhookReplayRequest
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	if body.StartTime == "" {
		return nil, latchkey.BadRequest("invalid_time_range", "start_time is required: the replay starts there.")
	}
	id := r.PathValue("endpoint_id")
	if err := events.CheckEndpointID(id); err != nil {
		return nil, err
	}
	q, err := s.eventQuery(r, body.OrganizationID, body.StartTime, body.EndTime, body.Cursor)
	if err != nil {
		return nil, err
	}
	res, err := s.Webhooks.Replay(r.Context(), id, q)
	if err != nil {
		return nil, err
	}
	return &webhookReplayResponse{EventsQueued: res.Queued, NextCursor: res.NextCursor}, nil
}

// eventQuery reads the organization and time range of an audit read or a replay.
func (s *Server) eventQuery(r *http.Request, org, start, end, cursor string) (events.EventQuery, error) {
	if org != "" {
		if !latchkey.LooksLike("organization", org) {
			return events.EventQuery{}, latchkey.OrganizationNotFound()
		}
		setOrg(r, org)
	}
	rng, err := events.ParseTimeRange(start, end, s.Webhooks.Clock.Now(), s.Webhooks.Retention)
	if err != nil {
		return events.EventQuery{}, err
	}
	return events.EventQuery{OrganizationID: org, Range: rng, Cursor: cursor}, nil
}

func (s *Server) listEvents(r *http.Request) (stamper, error) {
	qs := r.URL.Query()
	q, err := s.eventQuery(r, qs.Get("organization_id"), qs.Get("start_time"), qs.Get("end_time"), qs.Get("cursor"))
	if err != nil {
		return nil, err
	}
	if v := qs.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, latchkey.BadRequest("invalid_limit", "limit must be a number between 1 and %d.", events.MaxAuditLimit)
		}
		q.Limit = n
	}
	page, err := s.Webhooks.Events(r.Context(), q)
	if err != nil {
		return nil, err
	}
	out := &eventsResponse{Events: make([]any, 0, len(page.Events)), NextCursor: page.NextCursor}
	for _, e := range page.Events {
		out.Events = append(out.Events, e)
	}
	return out, nil
}
