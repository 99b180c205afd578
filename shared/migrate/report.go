package migrate

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Failure is why one line was not imported. Error is a stable code (Stytch's error_type
// where the domain gave one, such as invalid_email or invalid_bcrypt_hash); Reason is for
// people and never holds a secret from the line.
type Failure struct {
	Line   int    `json:"line"`
	Kind   string `json:"kind,omitempty"` // organization or member
	Error  string `json:"error"`
	Reason string `json:"reason"`
}

func fail(code, format string, args ...any) *Failure {
	return &Failure{Error: code, Reason: fmt.Sprintf(format, args...)}
}

// Note is a line that was not written, or not all of it, with why: a duplicate merged into
// an earlier line, a record left as stored (no --update), a secret kept, a line of a type that
// is not imported.
type Note struct {
	Line   int      `json:"line"`
	Kind   string   `json:"kind,omitempty"`
	Into   int      `json:"into,omitempty"`   // merged: the line it was merged into
	Fields []string `json:"fields,omitempty"` // skipped: what differs from the stored record
	Reason string   `json:"reason"`
}

// Counts is what happened to one kind of record. Created, Updated, Unchanged, Skipped and
// Failed count records; Merged counts duplicate lines folded into an earlier line; Ignored
// counts lines not imported by design (a deleted member, an SSO or SCIM connection).
type Counts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Skipped   int `json:"skipped"`
	Failed    int `json:"failed"`
	Merged    int `json:"merged,omitempty"`
	Ignored   int `json:"ignored,omitempty"`
}

func (c *Counts) add(o Counts) {
	c.Created += o.Created
	c.Updated += o.Updated
	c.Unchanged += o.Unchanged
	c.Skipped += o.Skipped
	c.Failed += o.Failed
	c.Merged += o.Merged
	c.Ignored += o.Ignored
}

func (c Counts) total() int {
	return c.Created + c.Updated + c.Unchanged + c.Skipped + c.Failed + c.Merged + c.Ignored
}

// SecretCounts says what happened to imported passwords and TOTP secrets.
type SecretCounts struct {
	PasswordsSet int `json:"passwords_set"`
	// PasswordsKept are members (or, across organizations, addresses) that had a password:
	// an import never replaces one, which may have been changed since.
	PasswordsKept int `json:"passwords_kept"`
	TOTPsSet      int `json:"totps_set"`
	TOTPsKept     int `json:"totps_kept"`
}

func (c *SecretCounts) add(o SecretCounts) {
	c.PasswordsSet += o.PasswordsSet
	c.PasswordsKept += o.PasswordsKept
	c.TOTPsSet += o.TOTPsSet
	c.TOTPsKept += o.TOTPsKept
}

// InputInfo identifies an input: a checkpoint only resumes the input it was written for.
type InputInfo struct {
	Path   string `json:"path"`
	Format string `json:"format"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
	Lines  int    `json:"lines"` // lines holding a record
}

// Report is an import's outcome: the --report file, and the summary on stderr.
type Report struct {
	Input         InputInfo    `json:"input"`
	DryRun        bool         `json:"dry_run"`
	Update        bool         `json:"update"`
	ResumedAfter  int          `json:"resumed_after_line,omitempty"`
	StartedAt     time.Time    `json:"started_at"`
	FinishedAt    time.Time    `json:"finished_at"`
	Seconds       float64      `json:"elapsed_seconds"`
	Complete      bool         `json:"complete"` // every line was handled (false after an interruption)
	Organizations Counts       `json:"organizations"`
	Members       Counts       `json:"members"`
	Secrets       SecretCounts `json:"secrets"`
	// MembersPerSecond is the members handled (written or found unchanged) per second of
	// this run.
	MembersPerSecond float64   `json:"members_per_second"`
	Failures         []Failure `json:"failures"`
	Notes            []Note    `json:"notes"`
}

// outcome is what one unit of lines did, folded into the report once every line up to its
// last is done.
type outcome struct {
	orgs, members Counts
	secrets       SecretCounts
	failures      []Failure
	notes         []Note
}

func (o *outcome) fail(line int, kind string, f *Failure) {
	g := *f
	g.Line, g.Kind = line, kind
	o.failures = append(o.failures, g)
	if kind == TypeOrganization {
		o.orgs.Failed++
	} else {
		o.members.Failed++
	}
}

func (o *outcome) note(n Note) { o.notes = append(o.notes, n) }

func (o *outcome) add(p outcome) {
	o.orgs.add(p.orgs)
	o.members.add(p.members)
	o.secrets.add(p.secrets)
	o.failures = append(o.failures, p.failures...)
	o.notes = append(o.notes, p.notes...)
}

func (r *Report) sortLists() {
	sort.SliceStable(r.Failures, func(i, j int) bool { return r.Failures[i].Line < r.Failures[j].Line })
	sort.SliceStable(r.Notes, func(i, j int) bool { return r.Notes[i].Line < r.Notes[j].Line })
}

// WriteSummary writes the report for people: counts, then the first failures and notes.
func (r *Report) WriteSummary(w io.Writer, limit int) {
	verb := ""
	if r.DryRun {
		verb = " (dry run: nothing was written; counts are what would happen)"
	}
	fmt.Fprintf(w, "%s: %d lines in %.1fs%s\n", r.Input.Path, r.Input.Lines, r.Seconds, verb)
	if r.ResumedAfter > 0 {
		fmt.Fprintf(w, "  resumed after line %d (counts include the interrupted run's)\n", r.ResumedAfter)
	}
	row := func(name string, c Counts) {
		fmt.Fprintf(w, "  %-13s %d created, %d updated, %d unchanged, %d skipped, %d failed", name, c.Created, c.Updated, c.Unchanged, c.Skipped, c.Failed)
		if c.Merged > 0 {
			fmt.Fprintf(w, ", %d duplicate lines merged", c.Merged)
		}
		if c.Ignored > 0 {
			fmt.Fprintf(w, ", %d ignored", c.Ignored)
		}
		fmt.Fprintln(w)
	}
	row("organizations", r.Organizations)
	row("members", r.Members)
	s := r.Secrets
	if s != (SecretCounts{}) {
		fmt.Fprintf(w, "  %-13s %d passwords set, %d kept; %d TOTP secrets set, %d kept\n", "secrets", s.PasswordsSet, s.PasswordsKept, s.TOTPsSet, s.TOTPsKept)
	}
	if r.MembersPerSecond > 0 {
		fmt.Fprintf(w, "  %-13s %.0f members/s\n", "rate", r.MembersPerSecond)
	}
	if !r.Complete {
		fmt.Fprintln(w, "  INCOMPLETE: the run stopped before the end; run the same command again to resume")
	}
	list := func(title string, n int, each func(i int) string) {
		if n == 0 {
			return
		}
		fmt.Fprintf(w, "%s (%d):\n", title, n)
		for i := range min(n, limit) {
			fmt.Fprintln(w, "  "+each(i))
		}
		if n > limit {
			fmt.Fprintf(w, "  … %d more in the report file\n", n-limit)
		}
	}
	list("failures", len(r.Failures), func(i int) string {
		f := r.Failures[i]
		return fmt.Sprintf("line %d (%s): %s: %s", f.Line, f.Kind, f.Error, f.Reason)
	})
	list("notes", len(r.Notes), func(i int) string {
		n := r.Notes[i]
		s := fmt.Sprintf("line %d (%s): %s", n.Line, n.Kind, n.Reason)
		if len(n.Fields) > 0 {
			s += " [" + strings.Join(n.Fields, ", ") + "]"
		}
		return s
	})
}
