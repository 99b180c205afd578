package api_test

import (
	"context"
	"errors"
	"testing"
	"time"

	b2borgs "github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/organizations/members"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/rbac"
	rbacorgs "github.com/stytchauth/stytch-go/v18/stytch/b2b/rbac/organizations"
	"github.com/stytchauth/stytch-go/v18/stytch/b2b/sessions"
	"github.com/stytchauth/stytch-go/v18/stytch/methodoptions"
	"github.com/stytchauth/stytch-go/v18/stytch/stytcherror"
)

// Stytch's RBAC through stytch-go v18, as an application uses it:
//   - RBAC.Policy returns the project's policy merged with Stytch's defaults (stytch_member on
//     stytch.self, stytch_admin on the organization, member, SSO and SCIM resources, the built-in
//     resources and the configured documents resource and roles);
//   - RBAC.Organizations.SetOrgPolicy and GetOrgPolicy round-trip an organization's own roles;
//   - Sessions.Authenticate with an AuthorizationCheck answers a verdict naming every granting
//     role (project and organization roles alike), and 403 session_authorization_error or
//     session_authorization_tenancy_error otherwise;
//   - Sessions.AuthenticateJWT with a check decides locally from the policy and org policy the
//     SDK fetches itself, and refuses with the same 403 error types as the remote check;
//   - a management call made with a member's session in its method options
//     (Members.Delete, Organizations.Update) is refused for a plain member acting on another
//     member or on the organization, and changes nothing, while a member may delete itself and
//     an admin may delete another member; even an admin may not set trusted_metadata (401
//     cannot_update_trusted_metadata).
func TestStytchGoRBAC(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := sgPwClient(t, env.URL)

	sgStep(t, "Policy", func(t *testing.T) {
		p, err := c.RBAC.Policy(ctx, &rbac.PolicyParams{})
		if err != nil || p.Policy == nil {
			t.Fatalf("RBAC.Policy: %+v %v", p, err)
		}
		sgEnvelope(t, p.StatusCode, p.RequestID)
		roles := map[string]rbac.PolicyRole{}
		for _, r := range p.Policy.Roles {
			roles[r.RoleID] = r
		}
		for _, id := range []string{"stytch_member", "stytch_admin", "editor", "viewer", "member-admin", "engineer", "sso-user", "sales", "r"} {
			if _, ok := roles[id]; !ok {
				t.Errorf("policy lacks role %s: %v", id, sgKeys(roles))
			}
		}
		if p.Policy.Roles[0].RoleID != "stytch_member" || p.Policy.Roles[1].RoleID != "stytch_admin" {
			t.Errorf("the default roles do not come first: %s, %s", p.Policy.Roles[0].RoleID, p.Policy.Roles[1].RoleID)
		}
		sgEq(t, "stytch_member", roles["stytch_member"].Permissions, []rbac.PolicyRolePermission{{ResourceID: "stytch.self", Actions: []string{"*"}}})
		sgEq(t, "stytch_admin", roles["stytch_admin"].Permissions, []rbac.PolicyRolePermission{
			{ResourceID: "stytch.organization", Actions: []string{"*"}}, {ResourceID: "stytch.member", Actions: []string{"*"}},
			{ResourceID: "stytch.sso", Actions: []string{"*"}}, {ResourceID: "stytch.scim", Actions: []string{"*"}}})
		sgEq(t, "viewer", roles["viewer"].Permissions, []rbac.PolicyRolePermission{{ResourceID: "documents", Actions: []string{"read"}}})
		resources := map[string][]string{}
		for _, r := range p.Policy.Resources {
			resources[r.ResourceID] = r.Actions
		}
		for _, id := range []string{"stytch.organization", "stytch.member", "stytch.sso", "stytch.self", "stytch.scim", "documents"} {
			if len(resources[id]) == 0 {
				t.Errorf("policy lacks resource %s: %v", id, sgKeys(resources))
			}
		}
		sgEq(t, "documents actions", resources["documents"], []string{"create", "read", "write", "delete", "share"})
	})

	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	otherOrg := createOrg(t, map[string]any{}).Str("organization.organization_id")
	auditor := rbac.PolicyRole{RoleID: "auditor", Description: "Reads and shares documents",
		Permissions: []rbac.PolicyRolePermission{{ResourceID: "documents", Actions: []string{"read", "share"}}}}

	sgStep(t, "SetOrgPolicy and GetOrgPolicy", func(t *testing.T) {
		set, err := c.RBAC.Organizations.SetOrgPolicy(ctx, &rbacorgs.SetOrgPolicyParams{OrganizationID: org,
			OrgPolicy: rbac.OrgPolicy{Roles: []rbac.PolicyRole{auditor}}})
		if err != nil {
			t.Fatalf("SetOrgPolicy: %v", err)
		}
		sgEnvelope(t, set.StatusCode, set.RequestID)
		sgEq(t, "SetOrgPolicy roles", set.OrgPolicy.Roles, []rbac.PolicyRole{auditor})
		got, err := c.RBAC.Organizations.GetOrgPolicy(ctx, &rbacorgs.GetOrgPolicyParams{OrganizationID: org})
		if err != nil {
			t.Fatalf("GetOrgPolicy: %v", err)
		}
		sgEq(t, "GetOrgPolicy roles", got.OrgPolicy.Roles, []rbac.PolicyRole{auditor})
		other, err := c.RBAC.Organizations.GetOrgPolicy(ctx, &rbacorgs.GetOrgPolicyParams{OrganizationID: otherOrg})
		if err != nil || len(other.OrgPolicy.Roles) != 0 {
			t.Errorf("another organization's policy: %+v %v", other, err)
		}
		_, err = c.RBAC.Organizations.SetOrgPolicy(ctx, &rbacorgs.SetOrgPolicyParams{OrganizationID: org,
			OrgPolicy: rbac.OrgPolicy{Roles: []rbac.PolicyRole{{RoleID: "viewer", Permissions: []rbac.PolicyRolePermission{}}}}})
		sgWantErr(t, err, 400, "invalid_rbac_custom_role")
	})

	// An editor that also holds the organization's auditor role, a plain member, an admin.
	editor := newRBACActor(t, "editor", org, []string{"editor", "auditor"}, false)
	plain := newRBACActor(t, "plain member", org, nil, false)
	admin := newRBACActor(t, "admin", org, []string{"stytch_admin"}, false)
	check := func(orgID, action string) *sessions.AuthorizationCheck {
		return &sessions.AuthorizationCheck{OrganizationID: orgID, ResourceID: "documents", Action: action}
	}

	sgStep(t, "Sessions.Authenticate with an authorization check", func(t *testing.T) {
		for _, c2 := range []struct {
			action string
			want   []string
		}{{"read", []string{"editor", "auditor"}}, {"share", []string{"auditor"}}, {"write", []string{"editor"}}} {
			r, err := c.Sessions.Authenticate(ctx, &sessions.AuthenticateParams{SessionToken: editor.token, AuthorizationCheck: check(org, c2.action)})
			if err != nil || r.Verdict == nil {
				t.Fatalf("%s: %+v %v", c2.action, r, err)
			}
			if !r.Verdict.Authorized || !sgSameSet(r.Verdict.GrantingRoles, c2.want) {
				t.Errorf("%s: verdict %+v, want granting roles %v", c2.action, *r.Verdict, c2.want)
			}
		}
		_, err := c.Sessions.Authenticate(ctx, &sessions.AuthenticateParams{SessionToken: editor.token, AuthorizationCheck: check(org, "delete")})
		sgWantErr(t, err, 403, "session_authorization_error")
		_, err = c.Sessions.Authenticate(ctx, &sessions.AuthenticateParams{SessionJWT: editor.jwt, AuthorizationCheck: check(otherOrg, "read")})
		sgWantErr(t, err, 403, "session_authorization_tenancy_error")
		r, err := c.Sessions.Authenticate(ctx, &sessions.AuthenticateParams{SessionToken: editor.token})
		if err != nil || r.Verdict != nil {
			t.Errorf("without a check: verdict %+v, %v", r, err)
		}
	})

	sgStep(t, "Sessions.AuthenticateJWT decides locally", func(t *testing.T) {
		editor.refresh(t)
		for _, action := range []string{"read", "share"} {
			s, err := c.Sessions.AuthenticateJWTLocal(ctx, editor.jwt, 5*time.Minute, check(org, action))
			if err != nil || s.MemberID != editor.member {
				t.Fatalf("AuthenticateJWTLocal %s: %+v %v", action, s, err)
			}
			r, err := c.Sessions.AuthenticateJWT(ctx, &sessions.AuthenticateJWTParams{MaxTokenAge: 5 * time.Minute,
				Body: &sessions.AuthenticateParams{SessionJWT: editor.jwt, AuthorizationCheck: check(org, action)}})
			// A local answer has no request id: no request was made.
			if err != nil || r.MemberSession.MemberID != editor.member || r.RequestID != "" {
				t.Errorf("AuthenticateJWT %s: %+v %v", action, r, err)
			}
		}
		for _, c2 := range []struct{ orgID, action, errorType string }{
			{org, "delete", "session_authorization_error"},
			{otherOrg, "read", "session_authorization_tenancy_error"},
		} {
			_, err := c.Sessions.AuthenticateJWTLocal(ctx, editor.jwt, 5*time.Minute, check(c2.orgID, c2.action))
			if se := sgStytchError(err); se == nil || se.StatusCode != 403 || string(se.ErrorType) != c2.errorType {
				t.Errorf("AuthenticateJWTLocal %s in %s: want 403 %s, got %v", c2.action, c2.orgID, c2.errorType, err)
			}
			// AuthenticateJWT asks the API when the local check fails: the API says the same.
			_, err = c.Sessions.AuthenticateJWT(ctx, &sessions.AuthenticateJWTParams{MaxTokenAge: 5 * time.Minute,
				Body: &sessions.AuthenticateParams{SessionJWT: editor.jwt, AuthorizationCheck: check(c2.orgID, c2.action)}})
			sgWantErr(t, err, 403, c2.errorType)
		}
	})

	sgStep(t, "management calls with a member session", func(t *testing.T) {
		plain.refresh(t)
		other := createMember(t, org, map[string]any{}).Str("member_id")
		memberStatus := func(id string) string {
			r, err := c.Organizations.Members.Get(ctx, &members.GetParams{OrganizationID: org, MemberID: id})
			if err != nil {
				return err.Error()
			}
			return r.Member.Status
		}
		for _, auth := range []methodoptions.Authorization{{SessionToken: plain.token}, {SessionJWT: plain.jwt}} {
			_, err := c.Organizations.Members.Delete(ctx, &members.DeleteParams{OrganizationID: org, MemberID: other},
				&members.DeleteRequestOptions{Authorization: auth})
			sgWantErr(t, err, 403, "session_authorization_error")
			_, err = c.Organizations.Update(ctx, &b2borgs.UpdateParams{OrganizationID: org, OrganizationName: "Taken over"},
				&b2borgs.UpdateRequestOptions{Authorization: auth})
			sgWantErr(t, err, 403, "session_authorization_error")
			_, err = c.Organizations.Members.Update(ctx, &members.UpdateParams{OrganizationID: org, MemberID: plain.member,
				Roles: &[]string{"stytch_admin"}}, &members.UpdateRequestOptions{Authorization: auth})
			sgWantErr(t, err, 403, "session_authorization_error")
		}
		if got := memberStatus(other); got != "active" {
			t.Errorf("the member a refused call targeted: %s", got)
		}
		o, err := c.Organizations.Get(ctx, &b2borgs.GetParams{OrganizationID: org})
		if err != nil || o.Organization.OrganizationName != "Acme" {
			t.Errorf("the organization after refused updates: %+v %v", o, err)
		}
		r, err := c.Organizations.Members.Get(ctx, &members.GetParams{OrganizationID: org, MemberID: plain.member})
		if err != nil {
			t.Fatal(err)
		}
		sgHasRoles(t, r.Member, "stytch_member")

		// What stytch.self allows: renaming itself.
		up, err := c.Organizations.Members.Update(ctx, &members.UpdateParams{OrganizationID: org, MemberID: plain.member, Name: "Pat"},
			&members.UpdateRequestOptions{Authorization: methodoptions.Authorization{SessionToken: plain.token}})
		if err != nil || up.Member.Name != "Pat" {
			t.Errorf("self rename: %+v %v", up, err)
		}

		// An admin may update the organization and delete a member, but not set trusted metadata.
		asAdmin := methodoptions.Authorization{SessionToken: admin.token}
		if _, err := c.Organizations.Update(ctx, &b2borgs.UpdateParams{OrganizationID: org, OrganizationName: "Acme 2"},
			&b2borgs.UpdateRequestOptions{Authorization: asAdmin}); err != nil {
			t.Errorf("admin's organization update: %v", err)
		}
		_, err = c.Organizations.Update(ctx, &b2borgs.UpdateParams{OrganizationID: org, TrustedMetadata: map[string]any{"plan": "free"}},
			&b2borgs.UpdateRequestOptions{Authorization: asAdmin})
		sgWantErr(t, err, 401, "cannot_update_trusted_metadata")
		del, err := c.Organizations.Members.Delete(ctx, &members.DeleteParams{OrganizationID: org, MemberID: other},
			&members.DeleteRequestOptions{Authorization: asAdmin})
		if err != nil || del.MemberID != other {
			t.Errorf("admin's delete: %+v %v", del, err)
		}
		if got := memberStatus(other); got == "active" {
			t.Errorf("the member the admin deleted is still active")
		}

		// A plain member may delete itself; its session ends with it.
		plain.refresh(t)
		del, err = c.Organizations.Members.Delete(ctx, &members.DeleteParams{OrganizationID: org, MemberID: plain.member},
			&members.DeleteRequestOptions{Authorization: methodoptions.Authorization{SessionJWT: plain.jwt}})
		if err != nil || del.MemberID != plain.member {
			t.Errorf("self delete: %+v %v", del, err)
		}
		_, err = c.Sessions.Authenticate(ctx, &sessions.AuthenticateParams{SessionToken: plain.token})
		sgWantErr(t, err, 404, "session_not_found")
	})
}

// sgStytchError returns err as a stytcherror.Error, or nil if it is not one.
func sgStytchError(err error) *stytcherror.Error {
	var se stytcherror.Error
	if errors.As(err, &se) {
		return &se
	}
	return nil
}
