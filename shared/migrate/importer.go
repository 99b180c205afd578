package migrate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/rbac"
)

// Importer imports organizations and members into the table.
type Importer struct {
	Store Store
	Clock latchkey.Clock
	// IDs makes the ids of new records; its environment (test or live, from the project id)
	// is the one given ids must have.
	IDs latchkey.IDs
	// PasswordScope is LATCHKEY_PASSWORD_SCOPE: where imported passwords live.
	PasswordScope string
	// Policy, when set, is the project's RBAC policy: roles must be in it or in the
	// organization's own roles. Without it, role ids are checked for their shape only.
	Policy *rbac.Policy
}

// Defaults of Options.
const (
	DefaultConcurrency     = 16
	DefaultBatchSize       = 25
	DefaultCheckpointEvery = 500
	// maxRetries bounds retries of throttled or conflicting calls (backoff up to 5 s each).
	maxRetries = 12
)

// Options shape one import.
type Options struct {
	// DryRun reads and decides everything and writes nothing: not the table, not the
	// checkpoint.
	DryRun bool
	// Update writes a record that exists and differs from its line. Without it such a
	// record is left as it is and reported as skipped. Passwords and TOTP secrets are never
	// replaced either way, only set where there is none.
	Update bool
	// Concurrency is how many batches are read and written at once.
	Concurrency int
	// BatchSize is how many members are read in one BatchGetItem and written together (each
	// member's items still in one transaction, and one transaction never over 100 items).
	BatchSize int
	// Checkpoint is the checkpoint file ("" for none). It is written atomically every
	// CheckpointEvery records and at the end of an interrupted run, and removed when the run
	// completes.
	Checkpoint      string
	CheckpointEvery int
	// Resume continues after the checkpoint's line when the checkpoint is for this input;
	// false starts over (the import is idempotent, so starting over only costs time).
	Resume bool
	// MaxRate caps members per second (0: no cap), to spare a provisioned table.
	MaxRate float64
	// Progress is called as lines finish.
	Progress func(Progress)
}

// Progress is how far an import is.
type Progress struct {
	Records, TotalRecords int // lines holding a record, done and in all
	Members               int // members written or found as they are, in this run
	Failed                int
	Elapsed               time.Duration
}

// Input is what to import: a file, read more than once (duplicates are merged by what comes
// later in it, and a checkpoint resumes it).
type Input struct {
	Path   string
	Format string // FormatJSONL or FormatCSV
	Open   func() (io.ReadCloser, error)
}

// FileInput is the file at path: CSV when its name ends in .csv, JSON Lines otherwise.
func FileInput(path string) Input {
	format := FormatJSONL
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		format = FormatCSV
	}
	return Input{Path: path, Format: format, Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// SpoolInput writes a stream of JSON Lines (a pipe from another reader, such as
// shared/stytchsource's export) to the file at path and returns that file as the input. The
// stream's error, if it ends with one, is returned: a truncated stream is not imported. The
// stream is written beside path and renamed once whole, so path never holds a prefix that a
// later --from file run could take for the source.
func SpoolInput(r io.Reader, path string) (Input, error) {
	part := path + ".part"
	f, err := os.OpenFile(part, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return Input{}, err
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(part, path)
	}
	if err != nil {
		os.Remove(part)
		return Input{}, fmt.Errorf("reading the source into %s: %w", path, err)
	}
	in := FileInput(path)
	in.Format = FormatJSONL
	return in, nil
}

// key16 is a fixed-size digest of a lookup key, so the maps over every line of a large input
// stay small.
type key16 [16]byte

func hkey(parts ...string) key16 {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var k key16
	copy(k[:], h.Sum(nil))
	return k
}

// orgKey is an organization as a member line resolves it: a line of the input (Line) or an
// organization already in the table (ID).
type orgKey struct {
	Line int
	ID   string
	org  *latchkey.Organization // the table's organization, for ID
}

func (k orgKey) String() string {
	if k.Line > 0 {
		return fmt.Sprintf("L%d", k.Line)
	}
	return "I" + k.ID
}

// fileOrgs indexes the organization lines read so far by what members may name them by.
type fileOrgs struct{ byID, byExt, bySlug map[string]int }

func newFileOrgs() *fileOrgs {
	return &fileOrgs{byID: map[string]int{}, byExt: map[string]int{}, bySlug: map[string]int{}}
}

func (f *fileOrgs) register(o *Organization, line int) {
	put := func(m map[string]int, k string) {
		if _, ok := m[k]; k != "" && !ok {
			m[k] = line
		}
	}
	if o.OrganizationID != nil {
		put(f.byID, *o.OrganizationID)
	}
	if o.OrganizationExternalID != nil {
		put(f.byExt, strings.TrimSpace(*o.OrganizationExternalID))
	}
	if o.OrganizationSlug != nil {
		put(f.bySlug, latchkey.NormalizeSlug(*o.OrganizationSlug))
	}
}

// tableOrg is an organization a member names that is not in the input: looked up once.
type tableOrg struct {
	org  latchkey.Organization
	fail *Failure
}

// orgResult is what became of an organization line.
type orgResult struct {
	org    latchkey.Organization
	new    bool // created by this run (or, in a dry run, would be)
	failed bool
}

// unit is a run of consecutive lines handled together: its members are read and written as
// one batch, and its outcome counts once every line up to its last is done, so that a
// checkpoint's line and its counts always agree.
type unit struct {
	first, last int
	records     int
	handled     int // members written or found unchanged (or, in a dry run, that would be)
	plans       []*memberPlan
	out         outcome
	done        bool
}

type run struct {
	im   *Importer
	in   Input
	opt  Options
	info InputInfo

	files     *fileOrgs
	tableOrgs map[string]*tableOrg

	// Duplicates (pass 1): the first line of each (organization, address), the later
	// lines folded into a head, and the heads' merged lines (merge pass).
	first     map[key16]int
	dupOf     map[int]int
	groups    map[int][]int
	heads     map[int]*Line
	mergeFail map[int]*Failure

	orgs map[int]*orgResult
	// In-run uniqueness: the first line of each member id, external id and phone number
	// in an organization, and of each address's cross-organization password.
	seenID, seenExt, seenPhone, seenPassword map[key16]int

	resumeAfter int
	started     time.Time

	cancel context.CancelCauseFunc
	work   chan *unit
	wg     sync.WaitGroup

	mu          sync.Mutex
	queue       []*unit
	committed   outcome
	watermark   int
	records     int // records done (all of them up to the watermark, and beyond)
	handled     int // members written or found as they are, in this run
	uncommitted int // records since the last checkpoint
	fatal       error
	nextSlot    time.Time
}

func (im *Importer) now() time.Time {
	if im.Clock == nil {
		return latchkey.SystemClock{}.Now()
	}
	return im.Clock.Now()
}

// Import imports an input. It reads the input once to hash it, count its lines and find
// duplicate addresses, once more to merge those (only if there are any), and once to import.
// The report is returned with the error of a run that stopped early (its context ended, or
// the table could not be written): the checkpoint then holds where to resume.
func (im *Importer) Import(ctx context.Context, in Input, opt Options) (*Report, error) {
	if opt.Concurrency <= 0 {
		opt.Concurrency = DefaultConcurrency
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultBatchSize
	}
	if opt.CheckpointEvery <= 0 {
		opt.CheckpointEvery = DefaultCheckpointEvery
	}
	if opt.DryRun {
		opt.Checkpoint = ""
	}
	r := &run{im: im, in: in, opt: opt, started: time.Now(), tableOrgs: map[string]*tableOrg{},
		first: map[key16]int{}, dupOf: map[int]int{}, groups: map[int][]int{}, heads: map[int]*Line{}, mergeFail: map[int]*Failure{},
		orgs: map[int]*orgResult{}, seenID: map[key16]int{}, seenExt: map[key16]int{}, seenPhone: map[key16]int{}, seenPassword: map[key16]int{}}
	r.info = InputInfo{Path: in.Path, Format: in.Format}
	if err := r.scan(ctx); err != nil {
		return nil, err
	}
	if err := r.loadCheckpoint(); err != nil {
		return nil, err
	}
	if len(r.groups) > 0 {
		if err := r.mergeDuplicates(); err != nil {
			return nil, err
		}
	}
	err := r.apply(ctx)
	return r.report(err == nil), err
}

// read opens the input and calls fn with each record.
func (r *run) read(light bool, fn func(record) error) error {
	rc, err := r.in.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return readRecords(rc, r.in.Format, light, fn)
}

type countingHash struct {
	r io.Reader
	h interface{ Write([]byte) (int, error) }
	n int64
}

func (c *countingHash) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.h.Write(p[:n])
	return n, err
}

// scan is the first pass: the input's size, hash and record count, and which member lines
// share an address in an organization.
func (r *run) scan(ctx context.Context) error {
	rc, err := r.in.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	cr := &countingHash{r: rc, h: h}
	r.files = newFileOrgs()
	err = readRecords(cr, r.in.Format, true, func(rec record) error {
		r.info.Lines++
		if rec.Fail != nil {
			return nil
		}
		switch l := rec.Line; l.Type {
		case TypeOrganization:
			r.files.register(l.Organization, rec.Num)
		case TypeMember:
			email := l.email()
			if email == "" {
				return nil
			}
			key, f, err := r.orgKeyFor(ctx, l.ref())
			if err != nil || f != nil {
				return err
			}
			k := hkey(key.String(), email)
			if first, ok := r.first[k]; ok {
				r.dupOf[rec.Num] = first
				r.groups[first] = append(r.groups[first], rec.Num)
			} else {
				r.first[k] = rec.Num
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return err
	}
	r.info.Bytes, r.info.SHA256 = cr.n, hex.EncodeToString(h.Sum(nil))
	r.first = nil // only the groups are needed from here on
	return nil
}

// mergeDuplicates reads the lines of each group of duplicates and folds them into the first
// that decodes (its head). A line that does not decode stays out of its group and fails on
// its own; one that cannot merge (another member_id) fails as a duplicate.
func (r *run) mergeDuplicates() error {
	lines := map[int]*Line{}
	inGroup := map[int]bool{}
	for first, later := range r.groups {
		inGroup[first] = true
		for _, n := range later {
			inGroup[n] = true
		}
	}
	err := r.read(false, func(rec record) error {
		if inGroup[rec.Num] && rec.Line != nil && rec.Line.Type == TypeMember {
			lines[rec.Num] = rec.Line
		}
		return nil
	})
	if err != nil {
		return err
	}
	groups := r.groups
	r.groups, r.dupOf = map[int][]int{}, map[int]int{}
	for first, later := range groups {
		var head int
		var merged *Line
		for _, n := range append([]int{first}, later...) {
			l := lines[n]
			switch {
			case l == nil:
				continue // fails on its own in the import pass
			case merged == nil:
				head, merged = n, l
				continue
			}
			m, f := mergeLines(merged, l)
			if f != nil {
				r.mergeFail[n] = f
				continue
			}
			merged = m
			r.dupOf[n] = head
			r.groups[head] = append(r.groups[head], n)
		}
		if len(r.groups[head]) > 0 {
			r.heads[head] = merged
		}
	}
	return nil
}

// orgKeyFor resolves how a member names its organization: a line read so far, else the
// table (each reference looked up once).
func (r *run) orgKeyFor(ctx context.Context, ref orgRef) (orgKey, *Failure, error) {
	var line int
	var ok bool
	switch {
	case ref.ID != "":
		line, ok = r.files.byID[ref.ID]
	case ref.ExternalID != "":
		line, ok = r.files.byExt[ref.ExternalID]
	case ref.Slug != "":
		line, ok = r.files.bySlug[ref.Slug]
	default:
		return orgKey{}, fail("organization_not_found", "The member names no organization: give member.organization_id, or organization_external_id or organization_slug on the line."), nil
	}
	if ok {
		return orgKey{Line: line}, nil, nil
	}
	t, err := r.tableOrg(ctx, ref)
	if err != nil {
		return orgKey{}, nil, err
	}
	if t.fail != nil {
		return orgKey{}, t.fail, nil
	}
	return orgKey{ID: t.org.OrganizationID, org: &t.org}, nil, nil
}

func (r *run) tableOrg(ctx context.Context, ref orgRef) (*tableOrg, error) {
	k := "id:" + ref.ID
	if ref.ID == "" {
		k = "ext:" + ref.ExternalID
		if ref.ExternalID == "" {
			k = "slug:" + ref.Slug
		}
	}
	if t, ok := r.tableOrgs[k]; ok {
		return t, nil
	}
	t := &tableOrg{}
	id := ref.ID
	var err error
	switch {
	case id != "":
		if f := r.im.checkID("organization", id); f != nil {
			t.fail = f
		}
	case ref.ExternalID != "":
		err = r.retry(ctx, func() (e error) { id, e = r.im.Store.OrganizationIDByExternalID(ctx, ref.ExternalID); return })
	default:
		err = r.retry(ctx, func() (e error) { id, e = r.im.Store.OrganizationIDBySlug(ctx, ref.Slug); return })
	}
	if err == nil && t.fail == nil {
		err = r.retry(ctx, func() (e error) { t.org, e = r.im.Store.Organization(ctx, id); return })
	}
	switch {
	case errors.Is(err, latchkey.ErrNotFound):
		t.fail = fail("organization_not_found", "No organization with %s, in the table or on an earlier line.", ref)
	case err != nil:
		return nil, err
	}
	r.tableOrgs[k] = t
	return t, nil
}

// retry runs f until it succeeds, fails for good, or was throttled too often.
func (r *run) retry(ctx context.Context, f func() error) error {
	for attempt := 0; ; attempt++ {
		err := f()
		if err == nil || !r.im.Store.Retryable(err) || attempt >= maxRetries {
			return err
		}
		if err := pause(ctx, attempt); err != nil {
			return err
		}
	}
}

// pause waits before retry number attempt: exponential from 50 ms to 5 s, with full jitter
// so that the writers that collided do not collide again in step.
func pause(ctx context.Context, attempt int) error {
	d := min(50*time.Millisecond<<min(attempt, 10), 5*time.Second)
	d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// apply is the import pass.
func (r *run) apply(parent context.Context) error {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	r.cancel = cancel
	r.watermark = r.resumeAfter
	r.work = make(chan *unit)
	for range r.opt.Concurrency {
		r.wg.Add(1)
		go r.worker(ctx)
	}
	r.files = newFileOrgs()
	cur := &unit{}
	flush := func() {
		u := cur
		cur = &unit{}
		if u.records == 0 {
			return
		}
		r.mu.Lock()
		r.queue = append(r.queue, u)
		r.mu.Unlock()
		if len(u.plans) == 0 {
			r.finish(u)
			return
		}
		if err := r.throttle(ctx, len(u.plans)); err != nil {
			return
		}
		select {
		case r.work <- u:
		case <-ctx.Done():
		}
	}
	err := r.read(false, func(rec record) error {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		n := rec.Num
		if n <= r.resumeAfter {
			r.mu.Lock()
			r.records++
			r.mu.Unlock()
			if rec.Line != nil && rec.Line.Type == TypeOrganization {
				r.files.register(rec.Line.Organization, n)
				return r.resolveOrg(ctx, n, rec.Line.Organization)
			}
			return nil
		}
		if rec.Line != nil && rec.Line.Type == TypeOrganization {
			flush()
			u := &unit{first: n, last: n, records: 1}
			r.files.register(rec.Line.Organization, n)
			if err := r.importOrg(ctx, n, rec.Line.Organization, &u.out); err != nil {
				return err
			}
			r.mu.Lock()
			r.queue = append(r.queue, u)
			r.mu.Unlock()
			r.finish(u)
			return nil
		}
		if cur.records == 0 {
			cur.first = n
		}
		cur.last = n
		cur.records++
		if err := r.member(ctx, rec, cur); err != nil {
			return err
		}
		if len(cur.plans) >= r.opt.BatchSize {
			flush()
		}
		return nil
	})
	if err == nil {
		flush()
	}
	close(r.work)
	r.wg.Wait()
	switch {
	case r.fatal != nil:
		err = r.fatal
	case err == nil && ctx.Err() != nil:
		err = context.Cause(ctx)
	}
	r.mu.Lock()
	complete := err == nil && len(r.queue) == 0
	r.mu.Unlock()
	if r.opt.Checkpoint != "" {
		if complete {
			if rerr := os.Remove(r.opt.Checkpoint); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				return rerr
			}
		} else if werr := r.saveCheckpoint(); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// throttle waits for MaxRate to allow n more members.
func (r *run) throttle(ctx context.Context, n int) error {
	if r.opt.MaxRate <= 0 {
		return nil
	}
	now := time.Now()
	if r.nextSlot.Before(now) {
		r.nextSlot = now
	}
	wait := time.Until(r.nextSlot)
	r.nextSlot = r.nextSlot.Add(time.Duration(float64(n) / r.opt.MaxRate * float64(time.Second)))
	if wait <= 0 {
		return nil
	}
	select {
	case <-time.After(wait):
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// member handles one member line in the reader: validation, its organization, in-run
// uniqueness, and its place in the batch.
func (r *run) member(ctx context.Context, rec record, u *unit) error {
	n := rec.Num
	if f := r.mergeFail[n]; f != nil {
		u.out.fail(n, TypeMember, f)
		return nil
	}
	if _, later := r.dupOf[n]; later {
		return nil // folded into its head, which reports it
	}
	if rec.Fail != nil {
		u.out.fail(n, "", rec.Fail)
		return nil
	}
	l := rec.Line
	if l.Type != TypeMember {
		u.out.note(Note{Line: n, Kind: l.Type, Reason: l.Type + " lines are not imported: set the connection up again in Latchkey"})
		u.out.orgs.Ignored++
		return nil
	}
	if head := r.heads[n]; head != nil {
		l = head
		for _, later := range r.groups[n] {
			u.out.note(Note{Line: later, Kind: TypeMember, Into: n, Reason: fmt.Sprintf("the same address in the same organization as line %d: merged into it", n)})
			u.out.members.Merged++
		}
	}
	if l.Member.Status != nil && *l.Member.Status == latchkey.StatusDeleted {
		u.out.note(Note{Line: n, Kind: TypeMember, Reason: "a deleted member is not imported"})
		u.out.members.Ignored++
		return nil
	}
	key, f, err := r.orgKeyFor(ctx, l.ref())
	if err != nil {
		return err
	}
	if f != nil {
		u.out.fail(n, TypeMember, f)
		return nil
	}
	var org latchkey.Organization
	orgNew := false
	if key.Line > 0 {
		res := r.orgs[key.Line]
		if res == nil || res.failed {
			u.out.fail(n, TypeMember, fail("organization_not_imported", "The member's organization (line %d) was not imported.", key.Line))
			return nil
		}
		org, orgNew = res.org, res.new
	} else {
		org = *key.org
	}
	p, f := r.im.planMember(l, org, r.im.now())
	if f != nil {
		u.out.fail(n, TypeMember, f)
		return nil
	}
	p.num, p.orgNew, p.merged = n, orgNew, r.groups[n]
	if f := r.claim(p); f != nil {
		u.out.fail(n, TypeMember, f)
		return nil
	}
	u.plans = append(u.plans, p)
	return nil
}

// claim holds the values that must be unique to the first line that has them: a member id,
// and in an organization an external id and a phone number. Across organizations one
// password serves an address, set by its first line.
func (r *run) claim(p *memberPlan) *Failure {
	check := func(seen map[key16]int, what string, parts ...string) *Failure {
		k := hkey(parts...)
		if prev, ok := seen[k]; ok {
			return fail("duplicate_"+what, "%s is also on line %d.", strings.ReplaceAll(what, "member_", ""), prev)
		}
		return nil
	}
	var fs []*Failure
	if p.givenID {
		fs = append(fs, check(r.seenID, "member_id", p.id))
	}
	if p.create.ExternalID != "" {
		fs = append(fs, check(r.seenExt, "member_external_id", p.orgID, p.create.ExternalID))
	}
	if p.create.MFAPhoneNumber != "" {
		fs = append(fs, check(r.seenPhone, "member_phone_number", p.orgID, p.create.MFAPhoneNumber))
	}
	for _, f := range fs {
		if f != nil {
			return f
		}
	}
	if p.givenID {
		r.seenID[hkey(p.id)] = p.num
	}
	if p.create.ExternalID != "" {
		r.seenExt[hkey(p.orgID, p.create.ExternalID)] = p.num
	}
	if p.create.MFAPhoneNumber != "" {
		r.seenPhone[hkey(p.orgID, p.create.MFAPhoneNumber)] = p.num
	}
	if p.password != "" && p.passwordOrg == "" {
		k := hkey(p.email)
		if _, ok := r.seenPassword[k]; ok {
			p.password = "" // the address's password comes from its first line
		} else {
			r.seenPassword[k] = p.num
		}
	}
	return nil
}

// finish marks a unit done and commits every done unit at the front of the queue.
func (r *run) finish(u *unit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u.done = true
	r.handled += u.handled
	for len(r.queue) > 0 && r.queue[0].done {
		d := r.queue[0]
		r.queue = r.queue[1:]
		r.committed.add(d.out)
		r.watermark = d.last
		r.records += d.records
		r.uncommitted += d.records
	}
	if r.opt.Checkpoint != "" && r.uncommitted >= r.opt.CheckpointEvery {
		if err := r.saveCheckpointLocked(); err != nil && r.fatal == nil {
			r.fatal = err
			r.cancel(err)
		}
	}
	if r.opt.Progress != nil {
		r.opt.Progress(Progress{Records: r.records, TotalRecords: r.info.Lines, Members: r.handled,
			Failed: r.committed.orgs.Failed + r.committed.members.Failed, Elapsed: time.Since(r.started)})
	}
}

// stop ends the run for a reason that is not one record's: the table cannot be written.
func (r *run) stop(err error) {
	r.mu.Lock()
	if r.fatal == nil {
		r.fatal = err
	}
	r.mu.Unlock()
	r.cancel(err)
}

func (r *run) report(complete bool) *Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	end := time.Now()
	rep := &Report{Input: r.info, DryRun: r.opt.DryRun, Update: r.opt.Update, ResumedAfter: r.resumeAfter,
		StartedAt: r.started.UTC(), FinishedAt: end.UTC(), Seconds: end.Sub(r.started).Seconds(), Complete: complete,
		Organizations: r.committed.orgs, Members: r.committed.members, Secrets: r.committed.secrets,
		Failures: append([]Failure{}, r.committed.failures...), Notes: append([]Note{}, r.committed.notes...)}
	if s := rep.Seconds; s > 0 {
		rep.MembersPerSecond = float64(r.handled) / s
	}
	rep.sortLists()
	return rep
}
