package latchkey

import (
	"slices"
	"testing"
)

func TestPresentedSCIMGroupRoles(t *testing.T) {
	org := Organization{SCIMActiveConnection: &SCIMConnectionSummary{ConnectionID: "scim-connection-1", GroupRoles: []SCIMGroupRole{
		{RoleID: "engineer", GroupID: "g1"}, {RoleID: RoleAdmin, GroupID: "g2"}, {RoleID: "reader", GroupID: "g1"},
	}}}
	cases := []struct {
		name   string
		groups []string
		direct []string
		want   []string
		admin  bool
	}{
		{"no groups", nil, nil, []string{RoleMember}, false},
		{"one group, two roles", []string{"g1"}, nil, []string{RoleMember, "engineer", "reader"}, false},
		{"admin by group", []string{"g2"}, nil, []string{RoleMember, RoleAdmin}, true},
		{"a group with no assignment", []string{"g9"}, nil, []string{RoleMember}, false},
		{"direct and by group", []string{"g1"}, []string{"engineer"}, []string{RoleMember, "engineer", "reader"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Member{SCIMGroupIDs: c.groups, DirectRoles: c.direct}.Presented(org)
			var got []string
			for _, r := range m.Roles {
				got = append(got, r.RoleID)
			}
			if !slices.Equal(got, c.want) || m.IsAdmin != c.admin {
				t.Fatalf("roles %v admin %v, want %v %v", got, m.IsAdmin, c.want, c.admin)
			}
			for _, r := range m.Roles {
				for _, s := range r.Sources {
					if s.Type == "scim_connection_group" && (s.Details["connection_id"] != "scim-connection-1" || s.Details["group_id"] == "") {
						t.Errorf("source %v", s)
					}
				}
			}
		})
	}
	// Without a connection, group ids give nothing.
	if m := (Member{SCIMGroupIDs: []string{"g1"}}).Presented(Organization{}); len(m.Roles) != 1 {
		t.Fatalf("roles without a connection: %v", m.Roles)
	}
}

func TestSCIMVisible(t *testing.T) {
	reg := &SCIMRegistration{SCIMAttributes: map[string]any{"user_name": "Ada@Acme.com"}}
	for _, c := range []struct {
		m    Member
		want bool
	}{
		{Member{Status: StatusActive}, true},
		{Member{Status: StatusInvited}, true},
		{Member{Status: StatusDeleted}, false},
		{Member{Status: StatusDeleted, SCIMRegistration: reg}, true},
	} {
		if got := c.m.SCIMVisible(); got != c.want {
			t.Errorf("%+v: %v", c.m, got)
		}
	}
	if (Member{SCIMRegistration: reg}).SCIMUserName() != "Ada@Acme.com" || SCIMUserNameKey("Ada@Acme.com") != "ada@acme.com" {
		t.Error("userName")
	}
}
