package store

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/events"
	"github.com/latchkey/latchkey/shared/scim"
	"github.com/latchkey/latchkey/shared/sso"
)

func image(t *testing.T, item any) map[string]types.AttributeValue {
	t.Helper()
	img, err := dynamo.MarshalItem(item)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// The capture's rules: which stream records are which events.
func TestDecodeRecord(t *testing.T) {
	direct, viaSCIM := context.Background(), latchkey.WithChangeSource(context.Background(), latchkey.ChangeSourceSCIM)
	at := time.Date(2026, 3, 5, 15, 0, 0, 0, time.UTC)
	updated := at.Add(123456 * time.Microsecond)
	org := latchkey.Organization{OrganizationID: "organization-test-1", OrganizationName: "Acme", CreatedAt: at, UpdatedAt: updated, Version: 4}
	m := latchkey.Member{OrganizationID: org.OrganizationID, MemberID: "member-test-1", EmailAddress: "ada@acme.com",
		Status: latchkey.StatusActive, CreatedAt: at, UpdatedAt: updated, Version: 3}
	gone := m
	gone.Status, gone.Version = latchkey.StatusDeleted, 4
	oidc := sso.Connection{OrganizationID: org.OrganizationID, ConnectionID: "oidc-connection-test-1", Protocol: sso.OIDC,
		ClientSecret: "sealed", UpdatedAt: updated, Version: 2}
	group := scim.SCIMGroup{OrganizationID: org.OrganizationID, GroupID: "scim-group-1", DisplayName: "Eng", UpdatedAt: updated, Version: 2}
	sess := authn.Session{MemberSessionID: "member-session-test-1", MemberID: m.MemberID, OrganizationID: org.OrganizationID, TokenHash: "abc"}
	live, _ := newSessionItems(sess, at.Add(time.Hour))
	expired, _ := newSessionItems(sess, at.Add(-time.Minute))

	type want struct {
		skip                     bool
		objectType, action, src  string
		id                       string
		version                  int64
		at                       time.Time
		value, member, groupRead bool
	}
	for _, c := range []struct {
		name string
		rec  StreamRecord
		want want
	}{
		{"member created by SCIM", StreamRecord{EventName: "INSERT", New: image(t, newMemberItem(viaSCIM, m))},
			want{objectType: events.ObjectMember, action: events.ActionCreate, src: events.SourceSCIM, id: m.MemberID, version: 3, at: updated, member: true}},
		{"member updated", StreamRecord{EventName: "MODIFY", Old: image(t, newMemberItem(direct, m)), New: image(t, newMemberItem(direct, m))},
			want{objectType: events.ObjectMember, action: events.ActionUpdate, src: events.SourceDirect, id: m.MemberID, version: 3, at: updated, member: true}},
		{"member becomes deleted", StreamRecord{EventName: "MODIFY", Old: image(t, newMemberItem(viaSCIM, m)), New: image(t, newMemberItem(viaSCIM, gone))},
			want{objectType: events.ObjectMember, action: events.ActionDelete, src: events.SourceSCIM, id: m.MemberID, version: 4, at: updated}},
		{"member reactivated", StreamRecord{EventName: "MODIFY", Old: image(t, newMemberItem(direct, gone)), New: image(t, newMemberItem(direct, m))},
			want{objectType: events.ObjectMember, action: events.ActionUpdate, src: events.SourceDirect, id: m.MemberID, version: 3, at: updated, member: true}},
		{"deleted member removed with its organization: its DELETE was sent", StreamRecord{EventName: "REMOVE", Old: image(t, newMemberItem(direct, gone))},
			want{skip: true}},
		{"deleted member's version bumped", StreamRecord{EventName: "MODIFY", Old: image(t, newMemberItem(viaSCIM, gone)), New: image(t, newMemberItem(viaSCIM, gone))},
			want{skip: true}},
		{"member removed with its organization", StreamRecord{EventName: "REMOVE", Old: image(t, newMemberItem(direct, m))},
			want{objectType: events.ObjectMember, action: events.ActionDelete, src: events.SourceDirect, id: m.MemberID, version: 4, at: updated.Add(time.Microsecond)}},
		{"organization updated in place (stale updated_at)", StreamRecord{EventName: "MODIFY", At: at.Add(time.Hour),
			Old: image(t, newOrgItem(direct, org)), New: image(t, newOrgItem(direct, org))},
			want{objectType: events.ObjectOrganization, action: events.ActionUpdate, src: events.SourceDirect, id: org.OrganizationID, version: 4, at: at.Add(time.Hour), value: true}},
		{"OIDC connection", StreamRecord{EventName: "INSERT", New: image(t, newSSOConnItem(direct, oidc))},
			want{objectType: events.ObjectOIDCConnection, action: events.ActionCreate, src: events.SourceDirect, id: oidc.ConnectionID, version: 2, at: updated, value: true}},
		{"SCIM group deleted", StreamRecord{EventName: "REMOVE", Old: image(t, newSCIMGroupItem(viaSCIM, group))},
			want{objectType: events.ObjectSCIMGroup, action: events.ActionDelete, src: events.SourceSCIM, id: group.GroupID, version: 3, at: updated.Add(time.Microsecond)}},
		{"SCIM membership is an update of its group", StreamRecord{EventName: "INSERT",
			New: image(t, scimMembership{orgPK(org.OrganizationID), scimMemberSK(group.GroupID, m.MemberID), group.GroupID, m.MemberID, sourceOf(viaSCIM)})},
			want{objectType: events.ObjectSCIMGroup, action: events.ActionUpdate, src: events.SourceSCIM, id: group.GroupID, at: at, groupRead: true}},
		{"session revoked", StreamRecord{EventName: "REMOVE", Old: image(t, live)},
			want{objectType: events.ObjectSession, action: events.ActionDelete, src: events.SourceDirect, id: sess.MemberSessionID, at: at}},
		{"session deleted by TTL", StreamRecord{EventName: "REMOVE", Principal: TTLPrincipal, Old: image(t, live)}, want{skip: true}},
		{"expired session deleted by the cleanup", StreamRecord{EventName: "REMOVE", Old: image(t, expired)}, want{skip: true}},
		{"session created", StreamRecord{EventName: "INSERT", New: image(t, live)}, want{skip: true}},
		{"email guard", StreamRecord{EventName: "INSERT", New: image(t, emailGuard(org.OrganizationID, m.EmailAddress, m.MemberID))}, want{skip: true}},
		{"group-name guard", StreamRecord{EventName: "INSERT", New: image(t, groupNameGuard(org.OrganizationID, "eng", group.GroupID))}, want{skip: true}},
		{"audit event", StreamRecord{EventName: "INSERT", New: image(t, eventItem{keys: keys{PK: "EVENTS#" + org.OrganizationID, SK: "x#y"}})}, want{skip: true}},
		{"webhook endpoint", StreamRecord{EventName: "INSERT", New: image(t, webhookItem{keys: keys{PK: webhookPK, SK: webhookSK("e")}})}, want{skip: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.rec.EventID = "rec-1"
			if c.rec.At.IsZero() {
				c.rec.At = at
			}
			d, ok, err := decodeRecord(c.rec)
			if err != nil {
				t.Fatal(err)
			}
			if ok == c.want.skip {
				t.Fatalf("ok %v, want skip %v: %+v", ok, c.want.skip, d.Change)
			}
			if c.want.skip {
				return
			}
			w := c.want
			if d.ObjectType != w.objectType || d.Action != w.action || d.Source != w.src || d.ObjectID != w.id ||
				d.Version != w.version || !d.At.Equal(w.at) || d.OrganizationID != org.OrganizationID || d.RecordID != "rec-1" {
				t.Fatalf("got %+v, want %+v", d.Change, w)
			}
			if (d.Value != nil) != w.value || (d.member != nil) != w.member || (d.groupID != "") != w.groupRead {
				t.Fatalf("value %T, member %v, group %q", d.Value, d.member != nil, d.groupID)
			}
		})
	}
}
