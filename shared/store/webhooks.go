package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/events"
)

var _ events.EndpointStore = (*Store)(nil)

// Sealer keeps the endpoints' signing secrets encrypted at rest (shared/seal: KMS in AWS, the
// KMS emulator locally). A sealed value opens only with the binding it was sealed with.
type Sealer interface {
	Seal(ctx context.Context, plaintext []byte, binding map[string]string) (string, error)
	Open(ctx context.Context, sealed string, binding map[string]string) ([]byte, error)
}

// SetSealer gives the store the sealer for webhook endpoint secrets. The composition root
// (shared/app) calls it once, before the store serves anything; without one, writing or
// opening an endpoint's secrets fails.
func (s *Store) SetSealer(sl Sealer) { s.sealer = sl }

var errNoSealer = errors.New("store: no sealer for webhook endpoint secrets (SetSealer)")

// A webhook endpoint is a project-wide item (pk WEBHOOK): a project has few, and the capture
// and the delivery list them all with one Query. Its secrets are sealed, bound to the endpoint
// id, so a sealed value copied to another endpoint does not open there; the API never reads
// them back, only the delivery does (ListEndpoints, OpenWebhookEndpoint).
type webhookItem struct {
	keys
	EndpointID      string    `dynamo:"endpoint_id"`
	URL             string    `dynamo:"url"`
	Description     string    `dynamo:"description,omitempty"`
	EventTypes      []string  `dynamo:"event_types,omitempty"`
	OrganizationIDs []string  `dynamo:"organization_ids,omitempty"`
	Disabled        bool      `dynamo:"disabled,omitempty"`
	CreatedAt       time.Time `dynamo:"created_at"`
	UpdatedAt       time.Time `dynamo:"updated_at"`
	// SealedSecrets are the current secret, then (until PreviousExpires) the previous one.
	SealedSecrets   []string  `dynamo:"sealed_secrets"`
	PreviousExpires time.Time `dynamo:"previous_expires,omitempty"`
	Version         int       `dynamo:"Version"`
}

const webhookPK = "WEBHOOK"

func webhookSK(id string) string { return "ENDPOINT#" + id }

func webhookBinding(id string) map[string]string { return map[string]string{"endpoint_id": id} }

// endpoint is the item as the domain sees it, without its secrets.
func (it webhookItem) endpoint() events.Endpoint {
	return events.Endpoint{EndpointID: it.EndpointID, URL: it.URL, Description: it.Description,
		EventTypes: it.EventTypes, OrganizationIDs: it.OrganizationIDs, Disabled: it.Disabled,
		CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, PreviousExpires: it.PreviousExpires, Version: it.Version}
}

func (s *Store) seal(ctx context.Context, id, secret string) (string, error) {
	if s.sealer == nil {
		return "", errNoSealer
	}
	return s.sealer.Seal(ctx, []byte(secret), webhookBinding(id))
}

// open returns the endpoint with its secrets in clear: the current one, and the previous one
// while it still signs (a previous secret past PreviousExpires is not opened).
func (s *Store) open(ctx context.Context, it webhookItem) (events.Endpoint, error) {
	ep := it.endpoint()
	if s.sealer == nil {
		return ep, errNoSealer
	}
	for i, sealed := range it.SealedSecrets {
		if i > 0 && !it.PreviousExpires.After(time.Now()) {
			break
		}
		plain, err := s.sealer.Open(ctx, sealed, webhookBinding(it.EndpointID))
		if err != nil {
			return ep, fmt.Errorf("webhook endpoint %s: %w", it.EndpointID, err)
		}
		ep.Secrets = append(ep.Secrets, string(plain))
	}
	return ep, nil
}

// CreateWebhookEndpoint stores a new endpoint with Version 1, its Secrets sealed.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, ep events.Endpoint) error {
	it := webhookItem{keys: keys{PK: webhookPK, SK: webhookSK(ep.EndpointID)}, EndpointID: ep.EndpointID, URL: ep.URL,
		Description: ep.Description, EventTypes: ep.EventTypes, OrganizationIDs: ep.OrganizationIDs, Disabled: ep.Disabled,
		CreatedAt: ep.CreatedAt, UpdatedAt: ep.UpdatedAt, PreviousExpires: ep.PreviousExpires, Version: 1}
	for _, secret := range ep.Secrets {
		sealed, err := s.seal(ctx, ep.EndpointID, secret)
		if err != nil {
			return err
		}
		it.SealedSecrets = append(it.SealedSecrets, sealed)
	}
	t := &tx{}
	t.put(s.table.Put(it).If(notExists), latchkey.ConflictExists)
	return s.run(ctx, t)
}

func (s *Store) webhookItem(ctx context.Context, id string) (webhookItem, error) {
	var it webhookItem
	err := s.table.Get(AttrPK, webhookPK).Range(AttrSK, dynamo.Equal, webhookSK(id)).Consistent(true).One(ctx, &it)
	return it, wrap(err)
}

// WebhookEndpoint reads one endpoint without its secrets (latchkey.ErrNotFound when none).
func (s *Store) WebhookEndpoint(ctx context.Context, id string) (events.Endpoint, error) {
	it, err := s.webhookItem(ctx, id)
	return it.endpoint(), err
}

// OpenWebhookEndpoint reads one endpoint with its secrets opened, for the delivery.
func (s *Store) OpenWebhookEndpoint(ctx context.Context, id string) (events.Endpoint, error) {
	it, err := s.webhookItem(ctx, id)
	if err != nil {
		return events.Endpoint{}, err
	}
	return s.open(ctx, it)
}

func (s *Store) webhookItems(ctx context.Context) ([]webhookItem, error) {
	var items []webhookItem
	err := s.table.Get(AttrPK, webhookPK).Range(AttrSK, dynamo.BeginsWith, "ENDPOINT#").Consistent(true).All(ctx, &items)
	return items, wrap(err)
}

// WebhookEndpoints lists the project's endpoints without their secrets (one Query), in id
// order: what the API shows, and all the capture needs to match events to endpoints.
func (s *Store) WebhookEndpoints(ctx context.Context) ([]events.Endpoint, error) {
	items, err := s.webhookItems(ctx)
	out := make([]events.Endpoint, 0, len(items))
	for _, it := range items {
		out = append(out, it.endpoint())
	}
	return out, err
}

// ListEndpoints lists the project's endpoints with their secrets opened (one Query, and one
// KMS Decrypt per signing secret): what the delivery signs with. An endpoint whose secrets
// do not open is listed with SecretsErr, so one bad value holds up its own deliveries only.
func (s *Store) ListEndpoints(ctx context.Context) ([]events.Endpoint, error) {
	items, err := s.webhookItems(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]events.Endpoint, 0, len(items))
	for _, it := range items {
		ep, err := s.open(ctx, it)
		if err != nil {
			ep = it.endpoint()
			ep.SecretsErr = err
		}
		out = append(out, ep)
	}
	return out, nil
}

// UpdateWebhookEndpoint writes next's settings (url, description, filters, disabled,
// updated_at) over prev, conditional on prev's Version (latchkey.ConflictVersion when another
// write came between). The secrets are left as they are.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, prev, next events.Endpoint) error {
	u := s.table.Update(AttrPK, webhookPK).Range(AttrSK, webhookSK(prev.EndpointID)).
		Set("url", next.URL).Set("description", next.Description).
		Set("event_types", next.EventTypes).Set("organization_ids", next.OrganizationIDs).
		Set("disabled", next.Disabled).Set("updated_at", next.UpdatedAt).
		Set("Version", prev.Version+1).If("Version = ?", prev.Version)
	t := &tx{}
	t.update(u, latchkey.ConflictVersion)
	return s.run(ctx, t)
}

// RotateWebhookSecret makes secret the endpoint's current secret and keeps the current one,
// still sealed, as the previous until previousExpires (an older previous is dropped). One
// consistent read and one conditional update on the Version read: latchkey.ErrNotFound for no
// endpoint, latchkey.ConflictVersion when another write came between. It returns the endpoint
// as written, without secrets.
func (s *Store) RotateWebhookSecret(ctx context.Context, id, secret string, previousExpires, now time.Time) (events.Endpoint, error) {
	it, err := s.webhookItem(ctx, id)
	if err != nil {
		return events.Endpoint{}, err
	}
	sealed, err := s.seal(ctx, id, secret)
	if err != nil {
		return events.Endpoint{}, err
	}
	secrets := []string{sealed}
	if len(it.SealedSecrets) > 0 {
		secrets = append(secrets, it.SealedSecrets[0])
	}
	u := s.table.Update(AttrPK, webhookPK).Range(AttrSK, webhookSK(id)).
		Set("sealed_secrets", secrets).Set("previous_expires", previousExpires).Set("updated_at", now).
		Set("Version", it.Version+1).If("Version = ?", it.Version)
	t := &tx{}
	t.update(u, latchkey.ConflictVersion)
	if err := s.run(ctx, t); err != nil {
		return events.Endpoint{}, err
	}
	it.SealedSecrets, it.PreviousExpires, it.UpdatedAt, it.Version = secrets, previousExpires, now, it.Version+1
	return it.endpoint(), nil
}

// DeleteWebhookEndpoint removes an endpoint (latchkey.ErrNotFound when there is none).
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, id string) error {
	err := s.table.Delete(AttrPK, webhookPK).Range(AttrSK, webhookSK(id)).If("attribute_exists(pk)").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return latchkey.ErrNotFound
	}
	return wrap(err)
}

// The audit trail's reads. An event item (written by the capture, see events.go) is keyed
// pk EVENTS#<org_id>, sk <timestamp>#<event_id> with the timestamp in the fixed-width UTC
// form (auditTime), and sits on gsi2 under its hour, EVENTHOUR#<yyyy-mm-ddThh>, with the same
// sort key. A time range [from, to) is the sort-key range [auditTime(from), auditTime(to)):
// "<t>#<id>" sorts after "<t>" and before any later time.

// auditTime is the sort-key form of an event's time: fixed width, so it sorts as text.
func auditTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func auditHour(t time.Time) string { return "EVENTHOUR#" + t.UTC().Format("2006-01-02T15") }

type auditItem struct {
	Body string `dynamo:"body"`
	TTL  int64  `dynamo:"ttl"`
}

// auditCursor is the opaque cursor of an audit page: the last item's keys, and for the
// project-wide walk the hour bucket it is in (Hour with no SK: that hour from its start).
type auditCursor struct {
	Org  string `json:"o,omitempty"` // the organization of a per-organization page
	Hour string `json:"h,omitempty"` // yyyy-mm-ddThh of a project-wide page
	PK   string `json:"p,omitempty"`
	SK   string `json:"s,omitempty"`
}

func (c auditCursor) encode() string {
	raw, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func invalidCursor() error {
	return latchkey.BadRequest("invalid_cursor", "The cursor is not valid.")
}

func decodeAuditCursor(s string) (auditCursor, error) {
	var c auditCursor
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(s) > 1024 || json.Unmarshal(raw, &c) != nil {
		return c, invalidCursor()
	}
	if c.SK != "" && (len(c.SK) > 200 || !strings.Contains(c.SK, "#")) {
		return c, invalidCursor()
	}
	return c, nil
}

// maxAuditHours bounds the hour buckets one project-wide page reads: an empty stretch of the
// range costs at most this many Queries a call, and the cursor carries on from there.
const maxAuditHours = 48

func pagingString(k dynamo.PagingKey, name string) string {
	if v, ok := k[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// QueryEvents reads an organization's audit trail in [from, to), oldest first, at most limit
// events, from the cursor of the previous page ("" for the first). The next cursor is "" on the
// last page. An event whose retention ran out (ttl) is not returned, though DynamoDB may not
// have deleted it yet.
func (s *Store) QueryEvents(ctx context.Context, orgID string, from, to time.Time, limit int, cursor string) (events.AuditPage, error) {
	pk := "EVENTS#" + orgID
	var start dynamo.PagingKey
	if cursor != "" {
		c, err := decodeAuditCursor(cursor)
		if err != nil {
			return events.AuditPage{}, err
		}
		if c.Org != orgID || c.Hour != "" || c.SK == "" {
			return events.AuditPage{}, invalidCursor()
		}
		start = dynamo.PagingKey{AttrPK: &types.AttributeValueMemberS{Value: pk}, AttrSK: &types.AttributeValueMemberS{Value: c.SK}}
	}
	q := s.table.Get(AttrPK, pk).Range(AttrSK, dynamo.Between, auditTime(from), auditTime(to)).Consistent(true)
	got, last, err := s.auditQuery(ctx, q, limit, start)
	if err != nil {
		return events.AuditPage{}, err
	}
	page := events.AuditPage{Events: got}
	if last != nil {
		page.NextCursor = auditCursor{Org: orgID, SK: pagingString(last, AttrSK)}.encode()
	}
	return page, nil
}

func (s *Store) auditQuery(ctx context.Context, q *dynamo.Query, limit int, start dynamo.PagingKey) ([]json.RawMessage, dynamo.PagingKey, error) {
	// No filter expression: with one, guregu stops inside a response page and must learn the
	// table's keys (DescribeTable, which the functions may not call) to make the cursor. An
	// expired event is dropped here instead, so a page may hold fewer than limit events.
	q = q.Limit(limit)
	if start != nil {
		q = q.StartFrom(start)
	}
	var items []auditItem
	last, err := q.AllWithLastEvaluatedKey(ctx, &items)
	if err != nil {
		return nil, nil, wrap(err)
	}
	out := make([]json.RawMessage, 0, len(items))
	now := time.Now().Unix()
	for _, it := range items {
		if it.TTL != 0 && it.TTL <= now {
			continue
		}
		if json.Valid([]byte(it.Body)) {
			out = append(out, json.RawMessage(it.Body))
		}
	}
	return out, last, nil
}

// QueryProjectEvents reads every organization's audit trail in [from, to), hour bucket by
// hour bucket on gsi2 (oldest first within each hour, the hours in order): what a replay to
// an endpoint of every organization reads. Paged as QueryEvents is; a page may hold fewer than
// limit events with a next cursor when it ran through maxAuditHours empty hours. The index is
// eventually consistent: an event written a moment ago may be missing.
func (s *Store) QueryProjectEvents(ctx context.Context, from, to time.Time, limit int, cursor string) (events.AuditPage, error) {
	hour := from.UTC().Truncate(time.Hour)
	var start dynamo.PagingKey
	if cursor != "" {
		c, err := decodeAuditCursor(cursor)
		if err != nil {
			return events.AuditPage{}, err
		}
		h, err := time.Parse("2006-01-02T15", c.Hour)
		if err != nil || c.Org != "" || h.Before(hour) {
			return events.AuditPage{}, invalidCursor()
		}
		hour = h
		if c.SK != "" {
			if !strings.HasPrefix(c.PK, "EVENTS#") || len(c.PK) > 200 {
				return events.AuditPage{}, invalidCursor()
			}
			start = dynamo.PagingKey{AttrPK: &types.AttributeValueMemberS{Value: c.PK}, AttrSK: &types.AttributeValueMemberS{Value: c.SK},
				AttrGSI2PK: &types.AttributeValueMemberS{Value: auditHour(hour)}, AttrGSI2SK: &types.AttributeValueMemberS{Value: c.SK}}
		}
	}
	var page events.AuditPage
	for n := 0; hour.Before(to) && n < maxAuditHours; n++ {
		q := s.table.Get(AttrGSI2PK, auditHour(hour)).Index(IndexGSI2).Range(AttrGSI2SK, dynamo.Between, auditTime(from), auditTime(to))
		got, last, err := s.auditQuery(ctx, q, limit-len(page.Events), start)
		if err != nil {
			return events.AuditPage{}, err
		}
		start = nil
		page.Events = append(page.Events, got...)
		if last != nil {
			page.NextCursor = auditCursor{Hour: hour.Format("2006-01-02T15"), PK: pagingString(last, AttrPK), SK: pagingString(last, AttrGSI2SK)}.encode()
			return page, nil
		}
		hour = hour.Add(time.Hour)
		if len(page.Events) >= limit {
			break
		}
	}
	if hour.Before(to) {
		page.NextCursor = auditCursor{Hour: hour.Format("2006-01-02T15")}.encode()
	}
	return page, nil
}
