package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/events"
	"github.com/latchkey/latchkey/shared/sso"
)

var _ events.CaptureStore = (*Store)(nil)

// StreamRecord is one record of the table's stream, as the capture reads it.
type StreamRecord struct {
	EventName string // INSERT, MODIFY or REMOVE
	EventID   string
	// At is the record's ApproximateCreationDateTime (DynamoDB gives it to the second).
	At time.Time
	// Principal is userIdentity.principalId: TTLPrincipal for a delete by DynamoDB's TTL.
	Principal string
	Old, New  map[string]types.AttributeValue
}

// TTLPrincipal is the principal of the stream records of DynamoDB's TTL deletes.
const TTLPrincipal = "dynamodb.amazonaws.com"

// streamMeta is what every captured item carries besides its object.
type streamMeta struct {
	PK           string `dynamo:"pk"`
	SK           string `dynamo:"sk"`
	ChangeSource string `dynamo:"chg_src"`
	Version      int64  `dynamo:"Version"`
}

// decoded is a record's change, with what it still needs from other items: a member is
// presented with its organization, and a membership's event is its group's.
type decoded struct {
	events.Change
	member    *latchkey.Member
	groupOrg  string
	groupID   string
	recordIdx int
}

// updatedAtSlack is how far a write's updated_at may be from its record's time and still be
// the event's timestamp. Writes that update an item in place (the organization's mirrors of
// its SCIM and SSO connections, a member's SCIM groups) leave an older updated_at, which
// would put the event before the one of the change before it.
const updatedAtSlack = 5 * time.Second

// recordGrain is how coarse a record's approximate creation time may be: whole seconds on
// AWS, whole minutes on DynamoDB Local. An updated_at up to that much after it is the same
// write, and the finer time.
const recordGrain = 61 * time.Second

func changeAt(updated time.Time, rec StreamRecord) time.Time {
	if rec.At.IsZero() {
		return updated
	}
	if !updated.IsZero() && updated.After(rec.At.Add(-updatedAtSlack)) && updated.Before(rec.At.Add(recordGrain)) {
		return updated
	}
	return rec.At
}

func source(m streamMeta) string {
	if m.ChangeSource == latchkey.ChangeSourceSCIM {
		return events.SourceSCIM
	}
	return events.SourceDirect
}

// decodeRecord is the change a record is, if it is one: which items make events and with
// which action is here (see the layout in doc.go); ok is false for every other item.
func decodeRecord(rec StreamRecord) (d decoded, ok bool, err error) {
	img, action := rec.New, events.ActionUpdate
	switch rec.EventName {
	case "INSERT":
		action = events.ActionCreate
	case "MODIFY":
	case "REMOVE":
		img, action = rec.Old, events.ActionDelete
	default:
		return d, false, nil
	}
	if img == nil {
		return d, false, fmt.Errorf("stream record %s (%s) has no image: the stream must be NEW_AND_OLD_IMAGES", rec.EventID, rec.EventName)
	}
	var meta streamMeta
	if err := dynamo.UnmarshalItem(img, &meta); err != nil {
		return d, false, err
	}
	d.RecordID, d.Action, d.Source, d.Version = rec.EventID, action, source(meta), meta.Version
	if action == events.ActionDelete {
		// The removal is a change of its own: the version after the last one written.
		d.Version++
	}
	pk, sk := meta.PK, meta.SK
	switch {
	case strings.HasPrefix(pk, "SESSION#") && sk == "SESSION":
		return decodeSession(rec, d)
	case !strings.HasPrefix(pk, "ORG#"):
		return d, false, nil
	case sk == skOrg:
		var it orgItem
		if err := dynamo.UnmarshalItem(img, &it); err != nil {
			return d, false, err
		}
		o := it.domain()
		d.ObjectType, d.OrganizationID, d.ObjectID, d.At = events.ObjectOrganization, o.OrganizationID, o.OrganizationID, changeAt(o.UpdatedAt, rec)
		if action != events.ActionDelete {
			d.Value = o
		}
	case strings.HasPrefix(sk, "MEMBER#"):
		var it memberItem
		if err := dynamo.UnmarshalItem(img, &it); err != nil {
			return d, false, err
		}
		m := it.Member
		if m.Status == latchkey.StatusDeleted && (action == events.ActionDelete || oldStatus(rec) == latchkey.StatusDeleted) {
			// Already deleted, and its DELETE already sent: the organization's removal, or a
			// version bump of a deleted member, is no change an application can see.
			return d, false, nil
		}
		if action == events.ActionUpdate && m.Status == latchkey.StatusDeleted {
			d.Action = events.ActionDelete
		}
		d.ObjectType, d.OrganizationID, d.ObjectID, d.At = events.ObjectMember, m.OrganizationID, m.MemberID, changeAt(m.UpdatedAt, rec)
		if d.Action != events.ActionDelete {
			d.member = &m
		}
	case strings.HasPrefix(sk, "SCIMCONN#"):
		var it scimConnItem
		if err := dynamo.UnmarshalItem(img, &it); err != nil {
			return d, false, err
		}
		c := it.Connection
		d.ObjectType, d.OrganizationID, d.ObjectID, d.At = events.ObjectSCIMConnection, c.OrganizationID, c.ConnectionID, changeAt(c.UpdatedAt, rec)
		if action != events.ActionDelete {
			d.Value = c
		}
	case strings.HasPrefix(sk, scimGroupPrefix) && strings.Contains(sk, "#MEMBER#"):
		var it scimMembership
		if err := dynamo.UnmarshalItem(img, &it); err != nil {
			return d, false, err
		}
		// A membership is a change of its group, presented as the group is now; its version
		// is the group's (filled in with the group).
		d.ObjectType, d.Action, d.ObjectID, d.At = events.ObjectSCIMGroup, events.ActionUpdate, it.GroupID, rec.At
		d.OrganizationID = strings.TrimPrefix(pk, "ORG#")
		d.groupOrg, d.groupID = d.OrganizationID, it.GroupID
	case strings.HasPrefix(sk, scimGroupPrefix):
		var it scimGroupItem
		if err := dynamo.UnmarshalItem(img, &it); err != nil {
			return d, false, err
		}
		g := it.SCIMGroup
		d.ObjectType, d.OrganizationID, d.ObjectID, d.At = events.ObjectSCIMGroup, g.OrganizationID, g.GroupID, changeAt(g.UpdatedAt, rec)
		if action != events.ActionDelete {
			d.Value = g
		}
	case strings.HasPrefix(sk, "SSOCONN#"):
		var it ssoConnItem
		if err := dynamo.UnmarshalItem(img, &it); err != nil {
			return d, false, err
		}
		c := it.Connection
		d.ObjectType = events.ObjectSAMLConnection
		if c.Protocol == sso.OIDC {
			d.ObjectType = events.ObjectOIDCConnection
		}
		d.OrganizationID, d.ObjectID, d.At = c.OrganizationID, c.ConnectionID, changeAt(c.UpdatedAt, rec)
		if action != events.ActionDelete {
			d.Value = c
		}
	default:
		return d, false, nil
	}
	if rec.EventName == "REMOVE" && !rec.At.IsZero() {
		// The old image's updated_at is the last write before the removal, not the removal;
		// the record's time is coarse (a second, a minute locally), so it is kept after that
		// write's event.
		last := changeAt(lastUpdated(img), rec)
		d.At = rec.At
		if !last.Before(d.At) {
			d.At = last.Add(time.Microsecond)
		}
	}
	if d.At.IsZero() {
		d.At = time.Now().UTC()
	}
	return d, true, nil
}

// lastUpdated is an image's updated_at, when it has one.
func lastUpdated(img map[string]types.AttributeValue) time.Time {
	var it struct {
		UpdatedAt time.Time `dynamo:"UpdatedAt"`
	}
	_ = dynamo.UnmarshalItem(img, &it)
	return it.UpdatedAt
}

func oldStatus(rec StreamRecord) string {
	var it struct {
		Status string `dynamo:"Status"`
	}
	_ = dynamo.UnmarshalItem(rec.Old, &it)
	return it.Status
}

// decodeSession: a session's removal is an event only when it was revoked. DynamoDB's TTL
// and the cleanup delete sessions that expired, which are no change the application made.
func decodeSession(rec StreamRecord, d decoded) (decoded, bool, error) {
	if rec.EventName != "REMOVE" || rec.Principal == TTLPrincipal {
		return d, false, nil
	}
	var it sessionItem
	if err := dynamo.UnmarshalItem(rec.Old, &it); err != nil {
		return d, false, err
	}
	at := rec.At
	if at.IsZero() {
		at = time.Now().UTC()
	}
	if it.Exp <= at.Unix() {
		return d, false, nil
	}
	d.ObjectType, d.OrganizationID, d.ObjectID, d.At = events.ObjectSession, it.OrganizationID, it.MemberSessionID, at
	d.Source, d.Version = events.SourceDirect, 0
	return d, true, nil
}

// Changes decodes a batch of stream records into the changes they are, in order; index[i] is
// the record changes[i] came from. The organizations of members and the groups of
// memberships are read in one BatchGetItem. A record that cannot be decoded is left out and
// returned in skipped (a bug, not worth holding the stream for).
func (s *Store) Changes(ctx context.Context, recs []StreamRecord) (changes []events.Change, index []int, skipped []error, err error) {
	var ds []decoded
	need := map[dynamo.Keys]bool{}
	var keys []dynamo.Keyed
	want := func(pk, sk string) {
		k := dynamo.Keys{pk, sk}
		if !need[k] {
			need[k] = true
			keys = append(keys, k)
		}
	}
	for i, rec := range recs {
		d, ok, err := decodeRecord(rec)
		if err != nil {
			skipped = append(skipped, fmt.Errorf("stream record %s: %w", rec.EventID, err))
			continue
		}
		if !ok {
			continue
		}
		d.recordIdx = i
		if d.member != nil {
			want(orgPK(d.member.OrganizationID), skOrg)
		}
		if d.groupID != "" {
			want(orgPK(d.groupOrg), scimGroupSK(d.groupID))
		}
		ds = append(ds, d)
	}
	orgs := map[string]latchkey.Organization{}
	groups := map[string]scimGroupItem{}
	if len(keys) > 0 {
		var items []dynamo.Item
		err := wrap(s.table.Batch(AttrPK, AttrSK).Get(keys...).Consistent(true).All(ctx, &items))
		if err != nil && !errors.Is(err, latchkey.ErrNotFound) {
			return nil, nil, skipped, fmt.Errorf("read the organizations and groups of %d changes: %w", len(ds), err)
		}
		for _, item := range items {
			var meta streamMeta
			if dynamo.UnmarshalItem(item, &meta) != nil {
				continue
			}
			if meta.SK == skOrg {
				var it orgItem
				if dynamo.UnmarshalItem(item, &it) == nil {
					orgs[it.OrganizationID] = it.domain()
				}
				continue
			}
			var it scimGroupItem
			if dynamo.UnmarshalItem(item, &it) == nil {
				groups[meta.PK+"/"+meta.SK] = it
			}
		}
	}
	for _, d := range ds {
		switch {
		case d.member != nil:
			// An organization deleted since has no roles to add; the member is shown as stored.
			d.Value = d.member.Presented(orgs[d.member.OrganizationID])
		case d.groupID != "":
			g, ok := groups[orgPK(d.groupOrg)+"/"+scimGroupSK(d.groupID)]
			if !ok {
				// The group is gone: its own removal is the event that says so.
				continue
			}
			d.Value, d.Version = g.SCIMGroup, int64(g.Version)
		}
		changes = append(changes, d.Change)
		index = append(index, d.recordIdx)
	}
	return changes, index, skipped, nil
}

// An audit event (see doc.go) is keyed by its organization and time, and by its hour on
// gsi2; the conditional put is the dedupe by event id, which is in the sort key.
type eventItem struct {
	keys
	Body     string `dynamo:"body"`
	Type     string `dynamo:"type"`
	ObjectID string `dynamo:"object_id"`
	TTL      int64  `dynamo:"ttl"`
}

// EventSK is the audit event's sort key: its time, fixed width, then its id.
func EventSK(e events.Event) string { return auditTime(e.At()) + "#" + e.EventID }

// PutEvent keeps e in its organization's audit trail until expires, unless it is there
// already (a retried stream record): created says which.
func (s *Store) PutEvent(ctx context.Context, e events.Event, expires time.Time) (bool, error) {
	body, err := e.MarshalJSON()
	if err != nil {
		return false, err
	}
	sk := EventSK(e)
	it := eventItem{keys: keys{PK: "EVENTS#" + e.OrganizationID, SK: sk, GSI2PK: auditHour(e.At()), GSI2SK: sk},
		Body: string(body), Type: e.Type(), ObjectID: e.ID, TTL: expires.Unix()}
	err = s.table.Put(it).If(notExists).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return false, nil
	}
	return err == nil, wrap(err)
}
