package migrate

import (
	"encoding/base32"
	"encoding/json"
	"errors"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/pwhash"
	"github.com/latchkey/latchkey/shared/rbac"
	"github.com/latchkey/latchkey/shared/secret"
)

// Password scopes, as LATCHKEY_PASSWORD_SCOPE names them (shared/passwords).
const (
	ScopeOrganization      = "organization"
	ScopeCrossOrganization = "cross_organization"
)

// The TOTP rules of TOTPs.Migrate (shared/mfa): a base32 key of 80 to 512 bits, recovery
// codes xxxx-xxxx-xxxx, at most twice the ten a registration comes with.
var (
	recoveryCodePattern = regexp.MustCompile(`^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$`)
	codeHashPattern     = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

const maxRecoveryCodes = 20

// domainFail turns a domain error (a *latchkey.Error with Stytch's error_type) into a failure.
func domainFail(err error) *Failure {
	var e *latchkey.Error
	if errors.As(err, &e) && e.Status < 500 {
		return fail(e.Type, "%s", e.Message)
	}
	return fail("internal_error", "%v", err)
}

// checkID holds a given id to Stytch's shape and to the project's environment: ids carry
// test or live, and a live project holding test ids (or the reverse) would mislead every log
// and SDK user that reads them.
func (im *Importer) checkID(kind, id string) *Failure {
	if !latchkey.LooksLike(kind, id) {
		return fail("invalid_"+kind+"_id", "%s_id %q is not a Stytch %s id (%s-test-<uuid> or %s-live-<uuid>).", kind, id, kind, kind, kind)
	}
	if !strings.HasPrefix(id, kind+"-"+im.IDs.Env+"-") {
		other := "live"
		if im.IDs.Env == "live" {
			other = "test"
		}
		return fail("wrong_environment", "%s_id %q is a %s id, but the target project is a %s project.", kind, id, other, im.IDs.Env)
	}
	return nil
}

// orgPatch is the record's settings without what an import does not set (connections exist
// only in the system they were made in).
func orgPatch(rec *Organization) latchkey.OrganizationPatch {
	p := rec.OrganizationPatch
	p.SSODefaultConnectionID = nil
	p.SSOJITProvisioningAllowedConnections = nil
	return p
}

// newOrganization is the organization a record creates, with Stytch's defaults where it is
// silent.
func newOrganization(rec *Organization, id string, now time.Time) (latchkey.Organization, *Failure) {
	o := orgPatch(rec).Create(id, now)
	if rec.CreatedAt != nil {
		o.CreatedAt = rec.CreatedAt.UTC()
	}
	if rec.UpdatedAt != nil {
		o.UpdatedAt = rec.UpdatedAt.UTC()
	}
	if err := latchkey.ValidateOrganization(o); err != nil {
		return o, domainFail(err)
	}
	return o, nil
}

// appliedOrganization is the stored organization with the record's fields set.
func appliedOrganization(rec *Organization, stored latchkey.Organization, now time.Time) (latchkey.Organization, *Failure) {
	o := orgPatch(rec).Apply(stored)
	if rec.CreatedAt != nil {
		o.CreatedAt = rec.CreatedAt.UTC()
	}
	o.UpdatedAt = now
	if err := latchkey.ValidateOrganization(o); err != nil {
		return o, domainFail(err)
	}
	return o, nil
}

// orgDiff lists the Stytch fields in which two organizations differ (updated_at aside).
func orgDiff(a, b latchkey.Organization) []string {
	var out []string
	ma, mb := jsonFields(a), jsonFields(b)
	for _, k := range slices.Sorted(maps.Keys(ma)) {
		if k == "updated_at" {
			continue
		}
		if k == "created_at" {
			if !a.CreatedAt.Equal(b.CreatedAt) {
				out = append(out, k)
			}
			continue
		}
		if string(ma[k]) != string(mb[k]) {
			out = append(out, k)
		}
	}
	return out
}

func jsonFields(v any) map[string]json.RawMessage {
	raw, _ := json.Marshal(v)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	return m
}

// memberPlan is a member line made ready: validated, its organization resolved, its secrets
// in stored form.
type memberPlan struct {
	num    int
	merged []int // later lines with the same address, folded into this one
	orgID  string
	// orgNew: the organization was created by this run, so nothing can be stored for this
	// member but what this run wrote; its create is tried without reading first.
	orgNew  bool
	id      string // given, or generated for a create
	givenID bool
	email   string
	rec     *Member
	create  latchkey.Member // the member as a create writes it
	// password is the imported hash in pwhash's encoded form ("" for none); passwordOrg is
	// where it lives (the organization, or "" across organizations).
	password    string
	passwordOrg string
	totp        *totpPlan
}

type totpPlan struct {
	secret     string
	codeHashes []string
}

// planMember validates a member line against the domain's rules and builds its create.
func (im *Importer) planMember(l *Line, org latchkey.Organization, now time.Time) (*memberPlan, *Failure) {
	rec := l.Member
	p := &memberPlan{orgID: org.OrganizationID, rec: rec}
	if rec.EmailAddress == nil || strings.TrimSpace(*rec.EmailAddress) == "" {
		return nil, fail("invalid_email", "member.email_address is required.")
	}
	if rec.MemberID != nil && *rec.MemberID != "" {
		if f := im.checkID("member", *rec.MemberID); f != nil {
			return nil, f
		}
		p.id, p.givenID = *rec.MemberID, true
	} else {
		p.id = im.IDs.New("member")
	}
	status := latchkey.StatusActive
	if rec.Status != nil && *rec.Status != "" {
		status = *rec.Status
	}
	if !slices.Contains([]string{latchkey.StatusActive, latchkey.StatusInvited, latchkey.StatusPending}, status) {
		return nil, fail("invalid_status", "member.status must be active, invited or pending, not %q.", status)
	}
	var roles *[]string
	if rec.Roles != nil {
		r := []string(*rec.Roles)
		roles = &r
	}
	patch := latchkey.MemberPatch{EmailAddress: rec.EmailAddress, Name: rec.Name, TrustedMetadata: rec.TrustedMetadata,
		UntrustedMetadata: rec.UntrustedMetadata, IsBreakglass: rec.IsBreakglass, MFAPhoneNumber: rec.MFAPhoneNumber,
		MFAEnrolled: rec.MFAEnrolled, Roles: roles, ExternalID: rec.ExternalID, DefaultMFAMethod: rec.DefaultMFAMethod}
	m, err := latchkey.NewMember(p.id, org.OrganizationID, patch, now)
	if err != nil {
		return nil, domainFail(err)
	}
	if f := im.checkRoles(m.DirectRoles, org); f != nil {
		return nil, f
	}
	m.Status = status
	m.EmailAddressVerified = deref(rec.EmailAddressVerified)
	m.MFAPhoneNumberVerified = deref(rec.MFAPhoneNumberVerified) && m.MFAPhoneNumber != ""
	if rec.CreatedAt != nil {
		m.CreatedAt = rec.CreatedAt.UTC()
	}
	if rec.UpdatedAt != nil {
		m.UpdatedAt = rec.UpdatedAt.UTC()
	}
	p.email = m.EmailAddress
	if l.PasswordHash != nil {
		encoded, err := pwhash.Import(l.PasswordHash.imported())
		var ie *pwhash.ImportError
		if errors.As(err, &ie) {
			return nil, fail(ie.Type, "password_hash: %s", ie.Message)
		}
		if err != nil {
			return nil, domainFail(err)
		}
		p.password, p.passwordOrg = encoded, org.OrganizationID
		if im.PasswordScope == ScopeCrossOrganization {
			p.passwordOrg = ""
		}
		// As Passwords.Migrate: the application vouches for the address it imports a password for.
		m.EmailAddressVerified = true
	}
	t, f := planTOTP(l)
	if f != nil {
		return nil, f
	}
	if p.totp = t; t != nil && m.DefaultMFAMethod == "" {
		m.DefaultMFAMethod = latchkey.MFAMethodTOTP // as TOTPs.Migrate
	}
	p.create = m
	return p, nil
}

func planTOTP(l *Line) (*totpPlan, *Failure) {
	if l.TOTPSecret == "" {
		if len(l.TOTPRecoveryCodes) > 0 || len(l.TOTPRecoveryCodeHashes) > 0 {
			return nil, fail("invalid_totp_secret", "totp_recovery_codes come with a totp_secret.")
		}
		return nil, nil
	}
	key := strings.TrimRight(strings.ToUpper(strings.ReplaceAll(l.TOTPSecret, " ", "")), "=")
	if raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(key); err != nil || len(raw) < 10 || len(raw) > 64 {
		return nil, fail("invalid_totp_secret", "totp_secret must be a base32 key of 80 to 512 bits.")
	}
	t := &totpPlan{secret: key}
	for _, c := range l.TOTPRecoveryCodes {
		if !recoveryCodePattern.MatchString(c) {
			return nil, fail("invalid_recovery_code", "Recovery codes have the form xxxx-xxxx-xxxx (lower-case letters and digits).")
		}
		t.codeHashes = append(t.codeHashes, secret.Hash(c))
	}
	for _, h := range l.TOTPRecoveryCodeHashes {
		if !codeHashPattern.MatchString(h) {
			return nil, fail("invalid_recovery_code", "totp_recovery_code_hashes are SHA-256 digests in lower-case hex.")
		}
		if !slices.Contains(t.codeHashes, h) {
			t.codeHashes = append(t.codeHashes, h)
		}
	}
	if len(t.codeHashes) > maxRecoveryCodes {
		return nil, fail("invalid_recovery_code", "At most %d recovery codes.", maxRecoveryCodes)
	}
	return t, nil
}

// checkRoles holds role ids to the project's RBAC policy and the organization's own roles,
// as Members.Create does, when a policy was given.
func (im *Importer) checkRoles(roles []string, org latchkey.Organization) *Failure {
	if im.Policy == nil {
		return nil
	}
	for _, r := range roles {
		if !im.Policy.HasRole(r) && !slices.ContainsFunc(org.CustomRoles, func(c rbac.Role) bool { return c.RoleID == r }) {
			return fail("invalid_rbac_role_assignment", "Role %q is not in the project's RBAC policy or the organization's roles.", r)
		}
	}
	return nil
}

func extIDTaken(owner string) *Failure {
	return fail("duplicate_member_external_id", "Member %s of the organization has this external_id.", owner)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// appliedMember is the stored member with the line's fields set, except what use in
// Latchkey has moved on since: an active member never goes back to invited or pending, and a
// verified address or number is never unverified by an import.
func appliedMember(p *memberPlan, stored latchkey.Member) (latchkey.Member, *Failure) {
	rec := p.rec
	var roles *[]string
	if rec.Roles != nil {
		r := []string(*rec.Roles)
		roles = &r
	}
	patch := latchkey.MemberPatch{Name: rec.Name, TrustedMetadata: rec.TrustedMetadata, UntrustedMetadata: rec.UntrustedMetadata,
		IsBreakglass: rec.IsBreakglass, MFAPhoneNumber: rec.MFAPhoneNumber, MFAEnrolled: rec.MFAEnrolled, Roles: roles,
		ExternalID: rec.ExternalID, DefaultMFAMethod: rec.DefaultMFAMethod}
	next, err := patch.Apply(stored)
	if err != nil {
		return next, domainFail(err)
	}
	if rec.Status != nil && *rec.Status != "" && stored.Status != latchkey.StatusActive {
		next.Status = *rec.Status
	}
	if deref(rec.EmailAddressVerified) {
		next.EmailAddressVerified = true
	}
	if rec.MFAPhoneNumberVerified != nil && next.MFAPhoneNumber != "" {
		next.MFAPhoneNumberVerified = next.MFAPhoneNumberVerified || *rec.MFAPhoneNumberVerified
	}
	if rec.CreatedAt != nil {
		next.CreatedAt = rec.CreatedAt.UTC()
	}
	if err := next.Validate(); err != nil {
		return next, domainFail(err)
	}
	return next, nil
}

// memberDiff lists the Stytch fields an import sets in which two members differ.
func memberDiff(a, b latchkey.Member) []string {
	var out []string
	add := func(name string, differs bool) {
		if differs {
			out = append(out, name)
		}
	}
	add("email_address", a.EmailAddress != b.EmailAddress)
	add("name", a.Name != b.Name)
	add("status", a.Status != b.Status)
	add("email_address_verified", a.EmailAddressVerified != b.EmailAddressVerified)
	add("external_id", a.ExternalID != b.ExternalID)
	add("trusted_metadata", !sameDocument(a.TrustedMetadata, b.TrustedMetadata))
	add("untrusted_metadata", !sameDocument(a.UntrustedMetadata, b.UntrustedMetadata))
	add("roles", !slices.Equal(a.DirectRoles, b.DirectRoles))
	add("mfa_phone_number", a.MFAPhoneNumber != b.MFAPhoneNumber)
	add("mfa_phone_number_verified", a.MFAPhoneNumberVerified != b.MFAPhoneNumberVerified)
	add("mfa_enrolled", a.MFAEnrolled != b.MFAEnrolled)
	add("default_mfa_method", a.DefaultMFAMethod != b.DefaultMFAMethod)
	add("is_breakglass", a.IsBreakglass != b.IsBreakglass)
	add("created_at", !a.CreatedAt.Equal(b.CreatedAt))
	return out
}

// sameDocument compares metadata as JSON, numbers and all; an empty object is no object.
func sameDocument(a, b map[string]any) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// mergeLines folds a later line for the same address in the same organization into the
// first: the first line's fields win, the later one fills in what the first leaves out,
// metadata objects gain the keys the first lacks, roles are the union, and a password or
// TOTP secret comes from the later line only if the first has none. Two different member_ids
// are two people, not a duplicate: that is a failure of the later line.
func mergeLines(first, later *Line) (*Line, *Failure) {
	a, b := *first.Member, *later.Member
	if a.MemberID != nil && b.MemberID != nil && *a.MemberID != "" && *b.MemberID != "" && *a.MemberID != *b.MemberID {
		return nil, fail("duplicate_member_email", "The address is also on an earlier line, with another member_id (%s).", *a.MemberID)
	}
	fill(&a.MemberID, b.MemberID)
	fill(&a.EmailAddressVerified, b.EmailAddressVerified)
	fill(&a.Status, b.Status)
	fill(&a.Name, b.Name)
	fill(&a.ExternalID, b.ExternalID)
	a.TrustedMetadata = mergeDocs(a.TrustedMetadata, b.TrustedMetadata)
	a.UntrustedMetadata = mergeDocs(a.UntrustedMetadata, b.UntrustedMetadata)
	if b.Roles != nil {
		roles := Roles{}
		if a.Roles != nil {
			roles = slices.Clone(*a.Roles)
		}
		for _, r := range *b.Roles {
			if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
		a.Roles = &roles
	}
	fill(&a.MFAPhoneNumber, b.MFAPhoneNumber)
	fill(&a.MFAPhoneNumberVerified, b.MFAPhoneNumberVerified)
	fill(&a.MFAEnrolled, b.MFAEnrolled)
	fill(&a.DefaultMFAMethod, b.DefaultMFAMethod)
	fill(&a.IsBreakglass, b.IsBreakglass)
	fill(&a.CreatedAt, b.CreatedAt)
	fill(&a.UpdatedAt, b.UpdatedAt)
	out := *first
	out.Member = &a
	if out.PasswordHash == nil {
		out.PasswordHash = later.PasswordHash
	}
	if out.TOTPSecret == "" {
		out.TOTPSecret, out.TOTPRecoveryCodes, out.TOTPRecoveryCodeHashes = later.TOTPSecret, later.TOTPRecoveryCodes, later.TOTPRecoveryCodeHashes
	}
	return &out, nil
}

func fill[T any](dst **T, v *T) {
	if *dst == nil {
		*dst = v
	}
}

func mergeDocs(a, b *map[string]any) *map[string]any {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	out := maps.Clone(*a)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range *b {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	return &out
}

// decision is what to do with one member, given what is stored.
type decision struct {
	outcome string // created, updated, unchanged, skipped
	write   *MemberWrite
	fields  []string // profile fields that differ from what is stored
	applied bool     // the fields were written (--update)
	secrets SecretCounts
	notes   []string
	fail    *Failure
}

const (
	outCreated   = "created"
	outUpdated   = "updated"
	outUnchanged = "unchanged"
	outSkipped   = "skipped"
)

// createWrite is a member's create, its secrets written over whatever prev holds (nil: the
// write requires there be nothing).
func (im *Importer) createWrite(p *memberPlan, prevPassword *latchkey.Password, prevTOTP *latchkey.TOTP, now time.Time) (MemberWrite, SecretCounts) {
	var sc SecretCounts
	m := p.create
	m.MemberID = p.id
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = now
	}
	w := MemberWrite{Next: m}
	if p.password != "" {
		if p.passwordOrg == "" && prevPassword != nil && prevPassword.Hash != "" {
			// Across organizations the address has its password already: it stays (as
			// Passwords.Migrate does); the member shows it once its owner logs in here.
			w.Password = latchkey.PasswordChange{Prev: prevPassword}
			sc.PasswordsKept++
		} else {
			pw := im.newPassword(prevPassword, p, now)
			w.Password = latchkey.PasswordChange{Prev: prevPassword, Next: pw}
			w.Next.MemberPasswordID = pw.PasswordID
			sc.PasswordsSet++
		}
	}
	if p.totp != nil {
		t := im.newTOTP(prevTOTP, p, now)
		w.TOTP = latchkey.TOTPChange{Prev: prevTOTP, Next: t}
		w.Next.TOTPRegistrationID = t.TOTPID
		sc.TOTPsSet++
	}
	return w, sc
}

func (im *Importer) newPassword(prev *latchkey.Password, p *memberPlan, now time.Time) *latchkey.Password {
	pw := &latchkey.Password{PasswordID: im.IDs.New("member-password"), OrganizationID: p.passwordOrg, Email: p.email,
		Hash: p.password, CreatedAt: now, UpdatedAt: now, Version: 1}
	if p.passwordOrg != "" {
		pw.MemberID = p.id
	}
	if prev != nil {
		pw.Version = prev.Version + 1 // conditional on the one it replaces
	}
	return pw
}

func (im *Importer) newTOTP(prev *latchkey.TOTP, p *memberPlan, now time.Time) *latchkey.TOTP {
	t := &latchkey.TOTP{TOTPID: im.IDs.New("member-totp"), OrganizationID: p.orgID, MemberID: p.id, Secret: p.totp.secret,
		Active: true, RecoveryCodes: slices.Clone(p.totp.codeHashes), CreatedAt: now, Version: 1}
	if prev != nil {
		t.Version = prev.Version + 1
	}
	return t
}

// decide compares a member line with what the table holds and says what to write.
func (im *Importer) decide(p *memberPlan, st MemberState, update bool, now time.Time) decision {
	if st.EmailHolder != "" && (st.EmailRetired || p.givenID && st.EmailHolder != p.id) {
		if st.EmailRetired {
			return decision{fail: fail("duplicate_member_email", "Member %s of the organization holds %s as a retired address.", st.EmailHolder, p.email)}
		}
		return decision{fail: fail("duplicate_member_email", "Member %s of the organization already has %s, and the line gives member_id %s.", st.EmailHolder, p.email, p.id)}
	}
	stored := st.Member
	if stored != nil && stored.Status == latchkey.StatusDeleted {
		return decision{fail: fail("member_deleted", "Member %s was deleted in Latchkey; an import does not bring it back.", stored.MemberID)}
	}
	if stored == nil {
		if st.ExternalOwner != "" {
			return decision{fail: extIDTaken(st.ExternalOwner)}
		}
		if st.PhoneOwner != "" {
			return decision{fail: fail("duplicate_member_phone_number", "Member %s of the organization has this mfa_phone_number.", st.PhoneOwner)}
		}
		w, sc := im.createWrite(p, st.Password, st.TOTP, now)
		return decision{outcome: outCreated, write: &w, secrets: sc}
	}
	if stored.EmailAddress != p.email {
		return decision{fail: fail("email_change_not_imported", "Member %s has the address %s in Latchkey; an import does not change a member's address (Members.Update does).", stored.MemberID, stored.EmailAddress)}
	}
	p.id = stored.MemberID
	next, f := appliedMember(p, *stored)
	if f != nil {
		return decision{fail: f}
	}
	d := decision{fields: memberDiff(*stored, next)}
	if update && len(d.fields) > 0 {
		if next.ExternalID != "" && next.ExternalID != stored.ExternalID && st.ExternalOwner != "" && st.ExternalOwner != stored.MemberID {
			return decision{fail: extIDTaken(st.ExternalOwner)}
		}
		if next.MFAPhoneNumber != "" && next.MFAPhoneNumber != stored.MFAPhoneNumber && st.PhoneOwner != "" && st.PhoneOwner != stored.MemberID {
			return decision{fail: fail("duplicate_member_phone_number", "Member %s of the organization has this mfa_phone_number.", st.PhoneOwner)}
		}
		d.applied = true
	} else {
		next = *stored
	}
	w := MemberWrite{Prev: stored}
	if p.password != "" {
		cur := st.Password
		serving := cur != nil && (p.passwordOrg == "" && cur.Hash != "" || cur.Serves(*stored))
		switch {
		case serving && cur.Hash == p.password:
		case serving:
			d.secrets.PasswordsKept++
			d.notes = append(d.notes, "password kept: the member has one, which an import never replaces")
		case p.passwordOrg == "" && cur != nil && cur.Hash != "":
			d.secrets.PasswordsKept++
		default:
			pw := im.newPassword(cur, p, now)
			w.Password = latchkey.PasswordChange{Prev: cur, Next: pw}
			next.MemberPasswordID, next.EmailAddressVerified = pw.PasswordID, true
			d.secrets.PasswordsSet++
		}
	}
	if p.totp != nil {
		cur := st.TOTP
		switch {
		case cur != nil && cur.Active && cur.Secret == p.totp.secret:
		case cur != nil && cur.Active:
			d.secrets.TOTPsKept++
			d.notes = append(d.notes, "TOTP kept: the member has an active one, which an import never replaces")
		default:
			t := im.newTOTP(cur, p, now)
			w.TOTP = latchkey.TOTPChange{Prev: cur, Next: t}
			next.TOTPRegistrationID = t.TOTPID
			if next.DefaultMFAMethod == "" {
				next.DefaultMFAMethod = latchkey.MFAMethodTOTP
			}
			d.secrets.TOTPsSet++
		}
	}
	writes := d.applied || w.Password.Next != nil || w.TOTP.Next != nil
	switch {
	case writes:
		next.UpdatedAt = now
		w.Next = next
		d.write, d.outcome = &w, outUpdated
	case len(d.fields) > 0:
		d.outcome = outSkipped
	default:
		d.outcome = outUnchanged
	}
	return d
}
