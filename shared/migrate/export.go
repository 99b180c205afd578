package migrate

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/pwhash"
)

// Exporter writes a table's organizations and members in the import format.
type Exporter struct {
	Store Store
	// PasswordScope is LATCHKEY_PASSWORD_SCOPE: where passwords live.
	PasswordScope string
}

// ExportOptions shape an export.
type ExportOptions struct {
	// IncludeSecrets adds each member's password hash (in Passwords.Migrate's form) and
	// TOTP secret with its recovery codes' hashes. Without it the file holds no credential.
	IncludeSecrets bool
	// PageSize is how many organizations or members one listing call reads (default 100).
	PageSize int
	Progress func(ExportStats)
}

// ExportStats counts what an export wrote.
type ExportStats struct {
	Organizations  int `json:"organizations"`
	Members        int `json:"members"`
	DeletedMembers int `json:"deleted_members_left_out"`
	Passwords      int `json:"passwords"`
	TOTPs          int `json:"totps"`
}

// exportLine is a member line as an export writes it: the member as Stytch shows it, its
// roles only the explicit ones (what an import sets; the others follow from settings).
type exportLine struct {
	Type                   string        `json:"type"`
	Organization           any           `json:"organization,omitempty"`
	Member                 any           `json:"member,omitempty"`
	PasswordHash           *PasswordHash `json:"password_hash,omitempty"`
	TOTPSecret             string        `json:"totp_secret,omitempty"`
	TOTPRecoveryCodeHashes []string      `json:"totp_recovery_code_hashes,omitempty"`
}

// Export writes every organization (in creation order, from the organization listing), then
// each organization's members (a Query of its partition, page by page), as JSON Lines. It
// reads with the store's listing methods and BatchGetItem, never a Scan: the whole table is
// read once, one organization's partition at a time.
func (e *Exporter) Export(ctx context.Context, w io.Writer, opt ExportOptions) (ExportStats, error) {
	var st ExportStats
	if opt.PageSize <= 0 {
		opt.PageSize = 100
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	var orgs []latchkey.Organization
	var after latchkey.Position
	for {
		page, more, err := e.Store.ListOrganizations(ctx, after, opt.PageSize)
		if err != nil {
			return st, fmt.Errorf("list organizations: %w", err)
		}
		for _, o := range page {
			if err := enc.Encode(exportLine{Type: TypeOrganization, Organization: o}); err != nil {
				return st, err
			}
			st.Organizations++
			orgs = append(orgs, o)
			after = latchkey.Position{CreatedAt: o.CreatedAt, ID: o.OrganizationID}
		}
		if !more || len(page) == 0 {
			break
		}
	}
	for _, o := range orgs {
		afterID := ""
		for {
			page, more, err := e.Store.ListMembers(ctx, o.OrganizationID, afterID, opt.PageSize)
			if err != nil {
				return st, fmt.Errorf("list the members of %s: %w", o.OrganizationID, err)
			}
			var states []MemberState
			if opt.IncludeSecrets && len(page) > 0 {
				if states, err = e.secrets(ctx, o, page); err != nil {
					return st, err
				}
			}
			for i, m := range page {
				afterID = m.MemberID
				if m.Status == latchkey.StatusDeleted {
					st.DeletedMembers++
					continue
				}
				line := exportLine{Type: TypeMember, Member: exportedMember(m, o)}
				if states != nil {
					if err := e.addSecrets(&line, m, states[i], &st); err != nil {
						return st, fmt.Errorf("member %s: %w", m.MemberID, err)
					}
				}
				if err := enc.Encode(line); err != nil {
					return st, err
				}
				st.Members++
			}
			if opt.Progress != nil {
				opt.Progress(st)
			}
			if !more || len(page) == 0 {
				break
			}
		}
	}
	return st, bw.Flush()
}

// exportedMember is the member as the API presents it, with only its explicit roles.
func exportedMember(m latchkey.Member, o latchkey.Organization) latchkey.Member {
	p := m.Presented(o)
	p.Roles = make([]latchkey.MemberRole, 0, len(m.DirectRoles))
	for _, r := range m.DirectRoles {
		p.Roles = append(p.Roles, latchkey.MemberRole{RoleID: r, Sources: []latchkey.MemberRoleSource{{Type: "direct_assignment", Details: map[string]any{}}}})
	}
	return p
}

func (e *Exporter) secrets(ctx context.Context, o latchkey.Organization, ms []latchkey.Member) ([]MemberState, error) {
	qs := make([]MemberQuery, len(ms))
	for i, m := range ms {
		q := MemberQuery{OrganizationID: o.OrganizationID, Email: m.EmailAddress, MemberID: m.MemberID, TOTP: m.TOTPRegistrationID != ""}
		if e.PasswordScope == ScopeCrossOrganization {
			q.Password = true
		} else {
			q.Password, q.PasswordOrg = m.MemberPasswordID != "", o.OrganizationID
		}
		qs[i] = q
	}
	states, err := e.Store.LookupMembers(ctx, qs)
	if err != nil {
		return nil, fmt.Errorf("read the secrets of %s's members: %w", o.OrganizationID, err)
	}
	return states, nil
}

func (e *Exporter) addSecrets(line *exportLine, m latchkey.Member, s MemberState, st *ExportStats) error {
	if pw := s.Password; pw != nil && pw.Hash != "" && (e.PasswordScope == ScopeCrossOrganization || pw.Serves(m)) {
		in, err := pwhash.Export(pw.Hash)
		if err != nil {
			return err
		}
		line.PasswordHash = passwordHashOf(in)
		st.Passwords++
	}
	if t := s.TOTP; t != nil && t.Active && t.TOTPID == m.TOTPRegistrationID {
		line.TOTPSecret = t.Secret
		line.TOTPRecoveryCodeHashes = slices.Sorted(slices.Values(t.RecoveryCodes))
		st.TOTPs++
	}
	return nil
}
