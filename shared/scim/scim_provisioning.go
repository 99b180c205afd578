package scim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
)

// SCIMUser is what a SCIM User resource sets on a member, already read out of the resource by
// the SCIM protocol layer.
type SCIMUser struct {
	UserName   string
	Email      string
	Name       string
	ExternalID string
	// Active is nil when the resource does not say (a PUT without it keeps the status).
	Active *bool
	// Attributes is the resource in Stytch's scim_attributes shape.
	Attributes map[string]any
}

// SCIMGroup is a group an identity provider pushed through a connection. Its members are
// member ids of the connection's organization.
type SCIMGroup struct {
	OrganizationID string
	ConnectionID   string
	GroupID        string
	DisplayName    string
	ExternalID     string
	MemberIDs      []string `dynamo:"-"`
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int
}

// GroupInput is what a SCIM Group resource sets on a group.
type GroupInput struct {
	DisplayName string
	ExternalID  string
	MemberIDs   []string
}

// Limits on what an identity provider may store: userName and displayName are guard keys,
// attributes live on the member item (at most 400 KB in DynamoDB).
const (
	MaxNameLength      = 256
	MaxAttributesBytes = 32 << 10
)

func invalidSCIM(format string, args ...any) *latchkey.Error {
	return latchkey.BadRequest("invalid_scim_resource", format, args...)
}

func duplicateSCIMUserName() *latchkey.Error {
	return latchkey.Errorf(http.StatusConflict, "duplicate_scim_user_name", "A user with this userName already exists.")
}

func duplicateSCIMGroupName() *latchkey.Error {
	return latchkey.Errorf(http.StatusConflict, "duplicate_scim_group_name", "A group with this displayName already exists.")
}

func scimGroupNotFound() *latchkey.Error {
	return latchkey.Errorf(http.StatusNotFound, "scim_group_not_found", "Group could not be found.")
}

// applySCIMUser sets what a SCIM User says on a member.
func (s *Service) applySCIMUser(m latchkey.Member, u SCIMUser, c Connection) (latchkey.Member, error) {
	u.UserName = strings.TrimSpace(u.UserName)
	switch {
	case u.UserName == "":
		return m, invalidSCIM("userName is required.")
	case len(u.UserName) > MaxNameLength:
		return m, invalidSCIM("userName must be at most %d characters.", MaxNameLength)
	}
	if b, err := json.Marshal(u.Attributes); err != nil || len(b) > MaxAttributesBytes {
		return m, invalidSCIM("The user's attributes must be at most %d bytes of JSON.", MaxAttributesBytes)
	}
	if err := latchkey.ValidateDocument("scim_attributes", u.Attributes); err != nil {
		return m, invalidSCIM("%s", latchkey.AsError(err).Message)
	}
	email, err := latchkey.NormalizeEmail(u.Email)
	if err != nil {
		return m, err
	}
	prev := m
	m.EmailAddress = email
	m.Name = strings.TrimSpace(u.Name)
	m.ExternalID = strings.TrimSpace(u.ExternalID)
	reg := latchkey.SCIMRegistration{ConnectionID: c.ConnectionID, ExternalID: m.ExternalID, SCIMAttributes: u.Attributes}
	if m.SCIMRegistration != nil {
		reg.RegistrationID = m.SCIMRegistration.RegistrationID
	}
	if reg.RegistrationID == "" {
		reg.RegistrationID = s.IDs.New("scim-registration")
	}
	if reg.SCIMAttributes == nil {
		reg.SCIMAttributes = map[string]any{}
	}
	m.SCIMRegistration = &reg
	if u.Active != nil {
		switch {
		case !*u.Active:
			m.Status = latchkey.StatusDeleted
		case m.Status == latchkey.StatusDeleted:
			m.Status = latchkey.StatusActive
		}
	}
	// An identity provider renaming a user changes its address as Members.Update does: the
	// new one is unproven, the old one retired.
	m = latchkey.Settle(prev, m, false, s.Clock.Now())
	return m, m.Validate()
}

// scimMemberErr turns a failed member write into the error the identity provider sees.
func scimMemberErr(err error) error {
	switch latchkey.ConflictOn(err) {
	case "":
		return err
	case latchkey.ConflictEmail:
		return latchkey.DuplicateEmail()
	case latchkey.ConflictExternalID:
		return latchkey.DuplicateMemberExternalID()
	case latchkey.ConflictPhone:
		return latchkey.DuplicatePhoneNumber()
	case ConflictSCIMUserName:
		return duplicateSCIMUserName()
	case latchkey.ConflictOrganization:
		return latchkey.OrganizationNotFound()
	}
	return latchkey.Internal(err)
}

// CreateUser provisions a new member. userName, email and externalId must each be free in
// the organization; a user created inactive is a deleted member holding only its userName.
func (s *Service) CreateUser(ctx context.Context, c Connection, u SCIMUser) (latchkey.Member, error) {
	now := s.Clock.Now()
	m := latchkey.Member{OrganizationID: c.OrganizationID, MemberID: s.IDs.New("member"), Status: latchkey.StatusActive,
		CreatedAt: now, UpdatedAt: now}
	m, err := s.applySCIMUser(m, u, c)
	if err != nil {
		return m, err
	}
	if err := scimMemberErr(s.Store.CreateSCIMMember(ctx, m)); err != nil {
		return m, err
	}
	m.Version = 1
	return m, nil
}

// User returns a member as a SCIM User of the connection's organization.
func (s *Service) User(ctx context.Context, c Connection, memberID string) (latchkey.Member, error) {
	if !latchkey.LooksLike("member", memberID) {
		return latchkey.Member{}, latchkey.MemberNotFound()
	}
	ms, err := s.Store.Members(ctx, c.OrganizationID, []string{memberID})
	if err != nil {
		return latchkey.Member{}, err
	}
	if len(ms) == 0 || !ms[0].SCIMVisible() {
		return latchkey.Member{}, latchkey.MemberNotFound()
	}
	return ms[0], nil
}

// usersByID reads the visible members among ids.
func (s *Service) usersByID(ctx context.Context, c Connection, ids ...string) ([]latchkey.Member, error) {
	ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return !latchkey.LooksLike("member", id) })
	if len(ids) == 0 {
		return nil, nil
	}
	ms, err := s.Store.Members(ctx, c.OrganizationID, ids)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ms, func(m latchkey.Member) bool { return !m.SCIMVisible() }), nil
}

func found(id string, err error) (string, error) {
	if errors.Is(err, latchkey.ErrNotFound) {
		return "", nil
	}
	return id, err
}

// UsersByUserName finds the user with this userName. A member the identity provider has not
// provisioned is found by its email address, which is what its userName would be, so an
// identity provider that looks a user up before creating it adopts the existing member
// instead of failing on its email.
func (s *Service) UsersByUserName(ctx context.Context, c Connection, userName string) ([]latchkey.Member, error) {
	id, err := found(s.Store.MemberIDBySCIMUserName(ctx, c.OrganizationID, latchkey.SCIMUserNameKey(userName)))
	if err != nil {
		return nil, err
	}
	if id == "" {
		ms, err := s.UsersByEmail(ctx, c, userName)
		return slices.DeleteFunc(ms, func(m latchkey.Member) bool { return m.SCIMRegistration != nil }), err
	}
	return s.usersByID(ctx, c, id)
}

// UsersByEmail finds the live member with this email address.
func (s *Service) UsersByEmail(ctx context.Context, c Connection, email string) ([]latchkey.Member, error) {
	e, err := latchkey.NormalizeEmail(email)
	if err != nil {
		return nil, nil
	}
	id, err := found(s.Store.MemberIDByEmail(ctx, c.OrganizationID, e))
	if err != nil || id == "" {
		return nil, err
	}
	return s.usersByID(ctx, c, id)
}

// UsersByExternalID finds the live member with this external id.
func (s *Service) UsersByExternalID(ctx context.Context, c Connection, externalID string) ([]latchkey.Member, error) {
	if externalID == "" || len(externalID) > latchkey.MaxExternalIDLength {
		return nil, nil
	}
	id, err := found(s.Store.MemberIDByExternalID(ctx, c.OrganizationID, externalID))
	if err != nil || id == "" {
		return nil, err
	}
	return s.usersByID(ctx, c, id)
}

// UsersByID finds users by member id.
func (s *Service) UsersByID(ctx context.Context, c Connection, ids ...string) ([]latchkey.Member, error) {
	return s.usersByID(ctx, c, ids...)
}

// EachUser calls yield for every SCIM User of the organization in member-id order, until it
// returns false. It pages through the organization's members with Query: its cost grows with
// the organization, so it serves only listings without a filter a key can answer.
func (s *Service) EachUser(ctx context.Context, c Connection, yield func(latchkey.Member) bool) error {
	after := ""
	for {
		page, more, err := s.Store.ListMembers(ctx, c.OrganizationID, after, 500)
		if err != nil {
			return err
		}
		for _, m := range page {
			if m.SCIMVisible() && !yield(m) {
				return nil
			}
		}
		if !more || len(page) == 0 {
			return nil
		}
		after = page[len(page)-1].MemberID
	}
}

// UpdateUser applies a SCIM replace or patch to a user: change computes the new SCIM view of
// the member as read, and is run again if another write got in between. A user that becomes
// inactive is deleted and all its sessions are revoked; one that becomes active again is
// reactivated, if its email and external id are still free.
func (s *Service) UpdateUser(ctx context.Context, c Connection, memberID string, change func(latchkey.Member) (SCIMUser, error)) (latchkey.Member, error) {
	return s.changeUser(ctx, c, memberID, func(m latchkey.Member) (latchkey.Member, error) {
		u, err := change(m)
		if err != nil {
			return m, err
		}
		return s.applySCIMUser(m, u, c)
	})
}

// DeleteUser deprovisions a user: the member is deleted, its sessions revoked, its SCIM
// registration and group memberships removed. The identity provider no longer sees it.
func (s *Service) DeleteUser(ctx context.Context, c Connection, memberID string) error {
	_, err := s.changeUser(ctx, c, memberID, func(m latchkey.Member) (latchkey.Member, error) {
		next := m
		next.Status, next.SCIMRegistration, next.SCIMGroupIDs = latchkey.StatusDeleted, nil, nil
		return latchkey.Settle(m, next, false, s.Clock.Now()), nil
	})
	return err
}

func (s *Service) changeUser(ctx context.Context, c Connection, memberID string, change func(latchkey.Member) (latchkey.Member, error)) (latchkey.Member, error) {
	for attempt := range latchkey.MaxAttempts {
		latchkey.Backoff(ctx, attempt)
		prev, err := s.User(ctx, c, memberID)
		if err != nil {
			return prev, err
		}
		next, err := change(prev)
		if err != nil {
			return prev, err
		}
		next.UpdatedAt = s.Clock.Now()
		err = s.Store.ReplaceSCIMMember(ctx, prev, next)
		if latchkey.ConflictOn(err) == latchkey.ConflictVersion {
			continue
		}
		if err := scimMemberErr(err); err != nil {
			return prev, err
		}
		next.Version = prev.Version + 1
		if prev.Status != latchkey.StatusDeleted && next.Status == latchkey.StatusDeleted {
			// As Members.Delete does: a deprovisioned person is signed out everywhere. Sessions
			// created in the meantime cannot authenticate either, since the member is deleted.
			if err := s.Sessions.Revoke(ctx, authn.RevokeRequest{MemberID: memberID}); err != nil {
				return next, err
			}
		}
		return next, nil
	}
	return latchkey.Member{}, latchkey.ConcurrentUpdate()
}

func validateGroup(in GroupInput) (GroupInput, error) {
	in.DisplayName, in.ExternalID = strings.TrimSpace(in.DisplayName), strings.TrimSpace(in.ExternalID)
	switch {
	case in.DisplayName == "":
		return in, invalidSCIM("displayName is required.")
	case len(in.DisplayName) > MaxNameLength || len(in.ExternalID) > MaxNameLength:
		return in, invalidSCIM("displayName and externalId must be at most %d characters.", MaxNameLength)
	}
	ids := make([]string, 0, len(in.MemberIDs))
	for _, id := range in.MemberIDs {
		id = strings.TrimSpace(id)
		if !latchkey.LooksLike("member", id) {
			return in, invalidSCIM("%q is not the id of a user of this connection.", id)
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	in.MemberIDs = ids
	return in, nil
}

func scimGroupErr(err error) error {
	switch latchkey.ConflictOn(err) {
	case "":
		return err
	case ConflictSCIMGroupName:
		return duplicateSCIMGroupName()
	case ConflictMember:
		return invalidSCIM("A member of the group is not a user of this connection.")
	case latchkey.ConflictOrganization:
		return latchkey.OrganizationNotFound()
	}
	return latchkey.Internal(err)
}

// CreateGroup stores a group pushed by the identity provider with its members, whose roles
// follow from the connection's group role assignments.
func (s *Service) CreateGroup(ctx context.Context, c Connection, in GroupInput) (SCIMGroup, error) {
	in, err := validateGroup(in)
	if err != nil {
		return SCIMGroup{}, err
	}
	now := s.Clock.Now()
	g := SCIMGroup{OrganizationID: c.OrganizationID, ConnectionID: c.ConnectionID, GroupID: s.IDs.New("scim-group"),
		DisplayName: in.DisplayName, ExternalID: in.ExternalID, MemberIDs: in.MemberIDs, CreatedAt: now, UpdatedAt: now}
	if err := scimGroupErr(s.Store.CreateSCIMGroup(ctx, g)); err != nil {
		return g, err
	}
	g.Version = 1
	return g, nil
}

// Group reads a group of the connection, with its member ids when members is set.
func (s *Service) Group(ctx context.Context, c Connection, groupID string, members bool) (SCIMGroup, error) {
	if !latchkey.LooksLike("scim-group", groupID) {
		return SCIMGroup{}, scimGroupNotFound()
	}
	g, err := s.Store.SCIMGroup(ctx, c.OrganizationID, groupID, members)
	if errors.Is(err, latchkey.ErrNotFound) || err == nil && g.ConnectionID != c.ConnectionID {
		return SCIMGroup{}, scimGroupNotFound()
	}
	return g, err
}

// GroupsByName finds the group with this displayName.
func (s *Service) GroupsByName(ctx context.Context, c Connection, name string, members bool) ([]SCIMGroup, error) {
	id, err := found(s.Store.SCIMGroupIDByName(ctx, c.OrganizationID, latchkey.SCIMGroupNameKey(name)))
	if err != nil || id == "" {
		return nil, err
	}
	g, err := s.Group(ctx, c, id, members)
	if err != nil {
		if latchkey.AsError(err).Type == "scim_group_not_found" {
			return nil, nil
		}
		return nil, err
	}
	return []SCIMGroup{g}, nil
}

// EachGroup calls yield for every group of the connection in group-id order.
func (s *Service) EachGroup(ctx context.Context, c Connection, members bool, yield func(SCIMGroup) bool) error {
	return s.Store.EachSCIMGroup(ctx, c.OrganizationID, "", members, func(g SCIMGroup) bool {
		return g.ConnectionID != c.ConnectionID || yield(g)
	})
}

// UpdateGroup applies a SCIM replace or patch to a group; change computes the new group from
// the group as read (with its members), and is run again if another write got in between.
func (s *Service) UpdateGroup(ctx context.Context, c Connection, groupID string, change func(SCIMGroup) (GroupInput, error)) (SCIMGroup, error) {
	for attempt := range latchkey.MaxAttempts {
		latchkey.Backoff(ctx, attempt)
		prev, err := s.Group(ctx, c, groupID, true)
		if err != nil {
			return prev, err
		}
		in, err := change(prev)
		if err != nil {
			return prev, err
		}
		if in, err = validateGroup(in); err != nil {
			return prev, err
		}
		next := prev
		next.DisplayName, next.ExternalID, next.MemberIDs, next.UpdatedAt = in.DisplayName, in.ExternalID, in.MemberIDs, s.Clock.Now()
		err = s.Store.ReplaceSCIMGroup(ctx, prev, next)
		if latchkey.ConflictOn(err) == latchkey.ConflictVersion {
			continue
		}
		if err := scimGroupErr(err); err != nil {
			return prev, err
		}
		next.Version = prev.Version + 1
		return next, nil
	}
	return SCIMGroup{}, latchkey.ConcurrentUpdate()
}

// DeleteGroup removes a group and its memberships, and with them the roles it gave.
func (s *Service) DeleteGroup(ctx context.Context, c Connection, groupID string) error {
	for attempt := range latchkey.MaxAttempts {
		latchkey.Backoff(ctx, attempt)
		g, err := s.Group(ctx, c, groupID, true)
		if err != nil {
			return err
		}
		err = s.Store.DeleteSCIMGroup(ctx, g)
		if latchkey.ConflictOn(err) == latchkey.ConflictVersion {
			continue
		}
		return scimGroupErr(err)
	}
	return latchkey.ConcurrentUpdate()
}
