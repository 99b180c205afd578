package migrate

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/pwhash"
)

// Line types. Others are refused, except those in ignoredTypes.
const (
	TypeOrganization = "organization"
	TypeMember       = "member"
)

// ignoredTypes are lines a Stytch export (shared/stytchsource) writes that this tool does not
// import: connections need secrets Stytch never shows, so they are set up again in Latchkey.
var ignoredTypes = []string{"sso_connection", "scim_connection"}

// Formats of an input.
const (
	FormatJSONL = "jsonl"
	FormatCSV   = "csv"
)

// MaxLineBytes bounds one line (one organization or member): far above what the domain's
// limits allow, low enough that a file without newlines cannot take the memory.
const MaxLineBytes = 1 << 20

// Line is one line of the JSON Lines format.
type Line struct {
	Type         string        `json:"type"`
	Organization *Organization `json:"organization,omitempty"`
	Member       *Member       `json:"member,omitempty"`
	// PasswordHash is the member's password hash in Passwords.Migrate's form.
	PasswordHash *PasswordHash `json:"password_hash,omitempty"`
	// TOTPSecret is the member's authenticator-app key (base32), as TOTPs.Migrate takes it.
	TOTPSecret string `json:"totp_secret,omitempty"`
	// TOTPRecoveryCodes are the member's unused recovery codes (xxxx-xxxx-xxxx), as
	// TOTPs.Migrate takes them; TOTPRecoveryCodeHashes are their SHA-256 (hex), which is what
	// Latchkey stores and what an export can give back.
	TOTPRecoveryCodes      []string `json:"totp_recovery_codes,omitempty"`
	TOTPRecoveryCodeHashes []string `json:"totp_recovery_code_hashes,omitempty"`
	// A member's organization, when member.organization_id is absent: by id, external id or
	// slug (the flat case, where a file lists people with the tenant each belongs to).
	OrganizationID         string `json:"organization_id,omitempty"`
	OrganizationExternalID string `json:"organization_external_id,omitempty"`
	OrganizationSlug       string `json:"organization_slug,omitempty"`
}

// Organization is Stytch's Organization object as far as an import sets it: the fields of
// Organizations.Create and Update (latchkey.OrganizationPatch), with the id and timestamps.
// An absent field takes Stytch's default on create and leaves the stored value on update.
// Connections (sso_active_connections, scim_active_connection, sso_default_connection_id)
// and custom_roles are not imported.
type Organization struct {
	OrganizationID *string `json:"organization_id"`
	latchkey.OrganizationPatch
	CreatedAt *time.Time `json:"created_at"`
	UpdatedAt *time.Time `json:"updated_at"`
}

// Member is Stytch's Member object as far as an import sets it. As for organizations, an
// absent field is a default on create and the stored value on update.
type Member struct {
	MemberID               *string         `json:"member_id"`
	OrganizationID         *string         `json:"organization_id"`
	EmailAddress           *string         `json:"email_address"`
	EmailAddressVerified   *bool           `json:"email_address_verified"`
	Status                 *string         `json:"status"`
	Name                   *string         `json:"name"`
	ExternalID             *string         `json:"external_id"`
	TrustedMetadata        *map[string]any `json:"trusted_metadata"`
	UntrustedMetadata      *map[string]any `json:"untrusted_metadata"`
	Roles                  *Roles          `json:"roles"`
	MFAPhoneNumber         *string         `json:"mfa_phone_number"`
	MFAPhoneNumberVerified *bool           `json:"mfa_phone_number_verified"`
	MFAEnrolled            *bool           `json:"mfa_enrolled"`
	DefaultMFAMethod       *string         `json:"default_mfa_method"`
	IsBreakglass           *bool           `json:"is_breakglass"`
	CreatedAt              *time.Time      `json:"created_at"`
	UpdatedAt              *time.Time      `json:"updated_at"`
}

// Roles are a member's explicitly assigned role ids. They read from Stytch's roles array
// (objects with role_id and sources, of which only direct_assignment counts: the others are
// implicit and follow from the organization's settings) or from plain role id strings;
// stytch_member, which every member holds, is dropped.
type Roles []string

func (r *Roles) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return errors.New("roles must be an array of role ids or of Stytch role objects")
	}
	out := Roles{}
	for _, e := range raw {
		var id string
		if json.Unmarshal(e, &id) != nil {
			var obj struct {
				RoleID  string        `json:"role_id"`
				Sources *[]roleSource `json:"sources"`
			}
			if err := json.Unmarshal(e, &obj); err != nil || obj.RoleID == "" {
				return errors.New("each role is a role id or an object with a role_id")
			}
			// Without sources, the object is an assignment; with them, only a direct one is.
			if obj.Sources != nil && !slices.ContainsFunc(*obj.Sources, func(s roleSource) bool { return s.Type == "direct_assignment" }) {
				continue
			}
			id = obj.RoleID
		}
		if id = strings.TrimSpace(id); id != latchkey.RoleMember && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	*r = out
	return nil
}

type roleSource struct {
	Type string `json:"type"`
}

// MarshalJSON writes the roles in Stytch's shape, each a direct assignment.
func (r Roles) MarshalJSON() ([]byte, error) {
	out := make([]latchkey.MemberRole, 0, len(r))
	for _, id := range r {
		out = append(out, latchkey.MemberRole{RoleID: id, Sources: []latchkey.MemberRoleSource{{Type: "direct_assignment", Details: map[string]any{}}}})
	}
	return json.Marshal(out)
}

// PasswordHash is a hash from another system in the form Passwords.Migrate takes it.
type PasswordHash struct {
	Hash         string               `json:"hash"`
	HashType     string               `json:"hash_type"`
	MD5Config    *pwhash.SaltConfig   `json:"md_5_config,omitempty"`
	SHA1Config   *pwhash.SaltConfig   `json:"sha_1_config,omitempty"`
	SHA512Config *pwhash.SaltConfig   `json:"sha_512_config,omitempty"`
	Argon2Config *pwhash.Argon2Config `json:"argon_2_config,omitempty"`
	ScryptConfig *pwhash.ScryptConfig `json:"scrypt_config,omitempty"`
	PBKDF2Config *pwhash.PBKDF2Config `json:"pbkdf_2_config,omitempty"`
}

func (p PasswordHash) imported() pwhash.Imported {
	return pwhash.Imported{Hash: p.Hash, HashType: p.HashType, MD5: p.MD5Config, SHA1: p.SHA1Config, SHA512: p.SHA512Config,
		Argon2: p.Argon2Config, Scrypt: p.ScryptConfig, PBKDF2: p.PBKDF2Config}
}

func passwordHashOf(in pwhash.Imported) *PasswordHash {
	return &PasswordHash{Hash: in.Hash, HashType: in.HashType, MD5Config: in.MD5, SHA1Config: in.SHA1, SHA512Config: in.SHA512,
		Argon2Config: in.Argon2, ScryptConfig: in.Scrypt, PBKDF2Config: in.PBKDF2}
}

// orgRef is how a member line names its organization: member.organization_id first, then the
// line's organization_id, organization_external_id, organization_slug.
type orgRef struct{ ID, ExternalID, Slug string }

func (r orgRef) String() string {
	switch {
	case r.ID != "":
		return "organization_id " + r.ID
	case r.ExternalID != "":
		return "organization_external_id " + r.ExternalID
	}
	return "organization_slug " + r.Slug
}

func (l *Line) ref() orgRef {
	if l.Member != nil && l.Member.OrganizationID != nil && *l.Member.OrganizationID != "" {
		return orgRef{ID: *l.Member.OrganizationID}
	}
	return orgRef{ID: l.OrganizationID, ExternalID: strings.TrimSpace(l.OrganizationExternalID), Slug: latchkey.NormalizeSlug(l.OrganizationSlug)}
}

func (l *Line) email() string {
	if l.Member == nil || l.Member.EmailAddress == nil {
		return ""
	}
	e, err := latchkey.NormalizeEmail(*l.Member.EmailAddress)
	if err != nil {
		return ""
	}
	return e
}

// record is one parsed line: a Line, or why it could not be read.
type record struct {
	Num  int // 1-based line number in the input
	Line *Line
	Fail *Failure
}

// scanLight is what the first pass needs of a line: its type, organization refs and email.
// Decoding into it skips metadata without building it.
type scanLight struct {
	Type         string `json:"type"`
	Organization *struct {
		OrganizationID         *string `json:"organization_id"`
		OrganizationSlug       *string `json:"organization_slug"`
		OrganizationExternalID *string `json:"organization_external_id"`
	} `json:"organization"`
	Member *struct {
		OrganizationID *string `json:"organization_id"`
		EmailAddress   *string `json:"email_address"`
	} `json:"member"`
	OrganizationID         string `json:"organization_id"`
	OrganizationExternalID string `json:"organization_external_id"`
	OrganizationSlug       string `json:"organization_slug"`
}

func (s scanLight) line() *Line {
	l := &Line{Type: s.Type, OrganizationID: s.OrganizationID, OrganizationExternalID: s.OrganizationExternalID, OrganizationSlug: s.OrganizationSlug}
	if s.Organization != nil {
		l.Organization = &Organization{OrganizationID: s.Organization.OrganizationID}
		l.Organization.OrganizationSlug = s.Organization.OrganizationSlug
		l.Organization.OrganizationExternalID = s.Organization.OrganizationExternalID
	}
	if s.Member != nil {
		l.Member = &Member{OrganizationID: s.Member.OrganizationID, EmailAddress: s.Member.EmailAddress}
	}
	return l
}

// readRecords calls fn with every record of the input in order. light decodes only what the
// first pass needs. fn's error stops the read and is returned.
func readRecords(r io.Reader, format string, light bool, fn func(record) error) error {
	if format == FormatCSV {
		return readCSV(r, fn)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	num := 0
	var buf []byte
	for {
		num++
		buf = buf[:0]
		tooLong := false
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			if len(buf)+len(chunk) > MaxLineBytes {
				tooLong = true
			} else {
				buf = append(buf, chunk...)
			}
			if err != bufio.ErrBufferFull {
				break
			}
		}
		if err != nil && err != io.EOF {
			return err
		}
		if len(buf) == 0 && err == io.EOF && !tooLong {
			return nil
		}
		rec := record{Num: num}
		text := bytes.TrimSpace(buf)
		switch {
		case tooLong:
			rec.Fail = fail("line_too_long", "The line is longer than %d bytes.", MaxLineBytes)
		case len(text) == 0:
			if err == io.EOF {
				return nil
			}
			continue // blank lines are allowed
		default:
			rec.Line, rec.Fail = decodeLine(text, light)
		}
		if ferr := fn(rec); ferr != nil {
			return ferr
		}
		if err == io.EOF {
			return nil
		}
	}
}

func decodeLine(text []byte, light bool) (*Line, *Failure) {
	var l *Line
	if light {
		var s scanLight
		if err := json.Unmarshal(text, &s); err != nil {
			return nil, fail("invalid_json", "The line is not a JSON object: %s.", jsonErr(err))
		}
		l = s.line()
	} else {
		l = &Line{}
		if err := json.Unmarshal(text, l); err != nil {
			return nil, fail("invalid_json", "The line is not a JSON object of this format: %s.", jsonErr(err))
		}
	}
	switch {
	case l.Type == TypeOrganization && l.Organization == nil:
		return nil, fail("invalid_line", `An organization line needs an "organization" object.`)
	case l.Type == TypeMember && l.Member == nil:
		return nil, fail("invalid_line", `A member line needs a "member" object.`)
	case l.Type == TypeOrganization, l.Type == TypeMember, slices.Contains(ignoredTypes, l.Type):
		return l, nil
	case l.Type == "":
		return nil, fail("unknown_type", `The line has no "type" (organization or member).`)
	}
	return nil, fail("unknown_type", "Unknown type %q: want organization or member.", l.Type)
}

// jsonErr words a decoding error without echoing the input (it may hold a secret).
func jsonErr(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te) && te.Field != "":
		return fmt.Sprintf("%s must be a JSON %s", te.Field, jsonKind(te.Type.Kind().String()))
	case errors.As(err, &te):
		return "the line must be a JSON object"
	}
	msg := err.Error()
	if i := strings.Index(msg, ": "); i > 0 && strings.HasPrefix(msg, "json") {
		msg = msg[i+2:]
	}
	return msg
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "map", "struct":
		return "object"
	case "slice", "array":
		return "array"
	case "ptr":
		return "value of the documented type"
	}
	return "number"
}

// CSV columns. A header row names them, in any order; email is required, and the
// organization by one of organization_id, organization_external_id, organization_slug.
const (
	colEmail      = "email"
	colName       = "name"
	colExternalID = "external_id"
	colOrgID      = "organization_id"
	colOrgExt     = "organization_external_id"
	colOrgSlug    = "organization_slug"
	colTrusted    = "trusted_metadata."
	colUntrusted  = "untrusted_metadata."
)

// readCSV reads the flat case: one member a row, each with its organization's reference.
// Metadata columns give string values; an empty cell leaves the key (or field) out.
func readCSV(r io.Reader, fn func(record) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return errors.New("the CSV file is empty: it needs a header row (email, name, organization_external_id, ...)")
	}
	if err != nil {
		return fmt.Errorf("CSV header: %w", err)
	}
	cols := slices.Clone(header)
	seen := map[string]bool{}
	for i, c := range cols {
		// Column names match in any case; metadata keys keep theirs.
		raw := strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))
		c = strings.ToLower(raw)
		for _, p := range []string{colTrusted, colUntrusted} {
			if len(raw) > len(p) && strings.EqualFold(raw[:len(p)], p) {
				c = p + raw[len(p):]
			}
		}
		cols[i] = c
		known := slices.Contains([]string{colEmail, colName, colExternalID, colOrgID, colOrgExt, colOrgSlug}, c) ||
			(strings.HasPrefix(c, colTrusted) && len(c) > len(colTrusted)) || (strings.HasPrefix(c, colUntrusted) && len(c) > len(colUntrusted))
		if !known {
			return fmt.Errorf("CSV header: unknown column %q (want email, name, external_id, organization_id, organization_external_id, organization_slug, trusted_metadata.<key>, untrusted_metadata.<key>)", header[i])
		}
		if seen[c] {
			return fmt.Errorf("CSV header: column %q appears twice", header[i])
		}
		seen[c] = true
	}
	if !seen[colEmail] {
		return errors.New("CSV header: the email column is required")
	}
	if !seen[colOrgID] && !seen[colOrgExt] && !seen[colOrgSlug] {
		return errors.New("CSV header: one of organization_id, organization_external_id, organization_slug is required")
	}
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		var rec record
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			rec.Num = pe.StartLine
			rec.Fail = fail("invalid_csv", "The row is not valid CSV: %v.", pe.Err)
		case err != nil:
			return err
		}
		if err == nil {
			rec.Num, _ = cr.FieldPos(0)
		}
		switch {
		case rec.Fail != nil:
		case len(row) != len(cols):
			rec.Fail = fail("invalid_csv", "The row has %d fields; the header has %d.", len(row), len(cols))
		default:
			rec.Line = csvLine(cols, row)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

func csvLine(cols, row []string) *Line {
	l := &Line{Type: TypeMember, Member: &Member{}}
	m := l.Member
	str := func(v string) *string { return &v }
	for i, c := range cols {
		v := strings.TrimSpace(row[i])
		if v == "" {
			continue
		}
		switch {
		case c == colEmail:
			m.EmailAddress = str(v)
		case c == colName:
			m.Name = str(v)
		case c == colExternalID:
			m.ExternalID = str(v)
		case c == colOrgID:
			l.OrganizationID = v
		case c == colOrgExt:
			l.OrganizationExternalID = v
		case c == colOrgSlug:
			l.OrganizationSlug = v
		case strings.HasPrefix(c, colTrusted):
			m.TrustedMetadata = putKey(m.TrustedMetadata, c[len(colTrusted):], v)
		case strings.HasPrefix(c, colUntrusted):
			m.UntrustedMetadata = putKey(m.UntrustedMetadata, c[len(colUntrusted):], v)
		}
	}
	return l
}

func putKey(m *map[string]any, k, v string) *map[string]any {
	if m == nil {
		m = &map[string]any{}
	}
	(*m)[k] = v
	return m
}
