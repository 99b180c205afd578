package main

import (
	_ "embed"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// stytchTypesFile is Stytch's published error_type names, one a line (see its header).
//
//go:embed stytch_error_types.txt
var stytchTypesFile string

// notesFile explains each Latchkey-only type and each status Latchkey chose where Stytch's
// docs are silent: error_type, a tab, the note.
//
//go:embed notes.tsv
var notesFile string

// Row is one error_type in the table.
type Row struct {
	Type     string
	Statuses []int
	Stytch   bool
	Files    []string // slash paths relative to shared/
	Note     string
	Sites    []Site
}

// Report is the table and what the checks found wrong with it.
type Report struct {
	Rows       []Row // Stytch-shaped errors, by error_type
	SCIM       []Row // SCIM-protocol errors, by scimType ("" for none)
	Uniqueness []string
	Scan       *Scan
	Notes      map[string]string
	Problems   []string // reading the data files, or the dynamic table against the code
}

// Build scans root/shared and assembles the report.
func Build(root string) (*Report, error) {
	sc, err := scan(root)
	if err != nil {
		return nil, err
	}
	stytch, problems := parseStytchTypes(stytchTypesFile)
	notes, more := parseNotes(notesFile)
	problems = append(problems, more...)
	r := &Report{Scan: sc, Notes: notes, Problems: problems}
	r.Uniqueness = sc.MapValues["shared/api/scim.go||uniquenessTypes"]

	var sites []Site
	for _, s := range sc.Sites {
		if s.Expr == "" {
			sites = append(sites, s)
			continue
		}
		d, ok := findDynamic(s.File, s.Func, s.Expr)
		if !ok || d.Forward {
			continue // reported by CheckDynamic
		}
		for _, t := range r.dynamicTypes(d) {
			x := s
			x.Type = t
			sites = append(sites, x)
		}
	}
	r.Rows = rows(sites, "stytch", stytch, notes)
	r.SCIM = rows(sites, "scim", nil, nil)
	return r, nil
}

func rows(sites []Site, kind string, stytch map[string]bool, notes map[string]string) []Row {
	by := map[string]*Row{}
	for _, s := range sites {
		if s.Kind != kind {
			continue
		}
		row := by[s.Type]
		if row == nil {
			row = &Row{Type: s.Type, Stytch: stytch[s.Type], Note: notes[s.Type]}
			by[s.Type] = row
		}
		row.Sites = append(row.Sites, s)
		if !slices.Contains(row.Statuses, s.Status) {
			row.Statuses = append(row.Statuses, s.Status)
		}
		f := strings.TrimPrefix(s.File, sourceDir+"/")
		if !slices.Contains(row.Files, f) {
			row.Files = append(row.Files, f)
		}
	}
	out := make([]Row, 0, len(by))
	for _, row := range by {
		slices.Sort(row.Statuses)
		slices.Sort(row.Files)
		out = append(out, *row)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

func findDynamic(file, fn, expr string) (Dynamic, bool) {
	for _, d := range dynamicTypes {
		if d.Helper == "" && d.File == file && d.Func == fn && d.Expr == expr {
			return d, true
		}
	}
	return Dynamic{}, false
}

func (r *Report) dynamicTypes(d Dynamic) []string {
	out := slices.Clone(d.Types)
	if d.FromCalls != "" {
		out = append(out, r.Scan.Calls[d.FromCalls]...)
		for _, h := range dynamicTypes {
			if h.Helper == d.FromCalls {
				out = append(out, h.Types...)
			}
		}
	}
	if d.FromMap != "" {
		out = append(out, r.Scan.MapValues[d.File+"|"+d.Func+"|"+d.FromMap]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// CheckDynamic reports every site with a non-constant error_type or status that no entry of
// dynamicTypes covers, and every entry that no longer matches a site or yields no type.
func (r *Report) CheckDynamic() []string {
	var out []string
	used := map[int]bool{}
	match := func(o Open, helper string) int {
		return slices.IndexFunc(dynamicTypes, func(d Dynamic) bool {
			return d.Helper == helper && d.File == o.File && d.Func == o.Func && d.Expr == o.Expr
		})
	}
	for _, o := range r.Scan.Open {
		i := match(o, "")
		switch {
		case i < 0:
			what := "error_type " + o.Expr
			if !o.StatusKnown {
				what += " (and a status that is not an http.StatusXxx constant)"
			}
			out = append(out, fmt.Sprintf("%s: %s in %s is not a constant: add it to dynamicTypes in docs/errorsreport/dynamic.go",
				o.Pos(), what, funcOrPackage(o.Func)))
		case !o.StatusKnown && !dynamicTypes[i].Forward:
			out = append(out, fmt.Sprintf("%s: the status of %s is not an http.StatusXxx constant", o.Pos(), o.Expr))
		default:
			used[i] = true
		}
	}
	for _, d := range dynamicTypes {
		if d.FromCalls == "" {
			continue
		}
		for _, o := range r.Scan.OpenCalls[d.FromCalls] {
			if i := match(o, d.FromCalls); i >= 0 {
				used[i] = true
				continue
			}
			out = append(out, fmt.Sprintf("%s: error_type %s in %s, a call to %s, is not a constant: add it to dynamicTypes in docs/errorsreport/dynamic.go with Helper %q",
				o.Pos(), o.Expr, funcOrPackage(o.Func), d.FromCalls, d.FromCalls))
		}
	}
	for i, d := range dynamicTypes {
		where := fmt.Sprintf("dynamicTypes entry {%s, %s, %s}", d.File, d.Func, d.Expr)
		switch {
		case !used[i]:
			out = append(out, where+" matches no site any more: remove or update it")
		case !d.Forward && d.Helper == "" && len(r.dynamicTypes(d)) == 0:
			out = append(out, where+" yields no error_type")
		}
	}
	return out
}

// CheckStatuses reports an error_type emitted with two statuses that multiStatus does not list,
// and a multiStatus entry that is no longer true.
func (r *Report) CheckStatuses() []string {
	var out []string
	emitted := map[string]Row{}
	for _, row := range r.Rows {
		emitted[row.Type] = row
		if len(row.Statuses) < 2 {
			continue
		}
		if _, ok := multiStatus[row.Type]; ok {
			continue
		}
		var at []string
		for _, s := range row.Sites {
			at = append(at, fmt.Sprintf("%d at %s", s.Status, s.Pos()))
		}
		out = append(out, fmt.Sprintf("%s is emitted with %s: use one status, or list it in multiStatus with the reason",
			row.Type, strings.Join(at, ", ")))
	}
	for t := range multiStatus {
		if len(emitted[t].Statuses) < 2 {
			out = append(out, fmt.Sprintf("multiStatus lists %s, which is no longer emitted with two statuses", t))
		}
	}
	slices.Sort(out)
	return out
}

// CheckNotes reports a Latchkey-only type with no note and a note for a type no longer emitted.
func (r *Report) CheckNotes() []string {
	var out []string
	emitted := map[string]bool{}
	for _, row := range r.Rows {
		emitted[row.Type] = true
		if !row.Stytch && r.Notes[row.Type] == "" {
			out = append(out, fmt.Sprintf("%s (%s) is not a Stytch error_type and has no note in docs/errorsreport/notes.tsv: say why it exists and what Stytch does instead",
				row.Type, row.Sites[0].Pos()))
		}
	}
	for t := range r.Notes {
		if !emitted[t] {
			out = append(out, fmt.Sprintf("docs/errorsreport/notes.tsv has a note for %s, which is no longer emitted", t))
		}
	}
	slices.Sort(out)
	return out
}

// AllProblems is every check, for the command to print.
func (r *Report) AllProblems() []string {
	out := slices.Clone(r.Problems)
	out = append(out, r.CheckDynamic()...)
	out = append(out, r.CheckStatuses()...)
	return append(out, r.CheckNotes()...)
}

func parseStytchTypes(text string) (map[string]bool, []string) {
	set := map[string]bool{}
	var problems []string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if set[line] || strings.ContainsAny(line, " \t") {
			problems = append(problems, fmt.Sprintf("docs/errorsreport/stytch_error_types.txt:%d: %q is repeated or not one name", i+1, line))
		}
		set[line] = true
	}
	return set, problems
}

func parseNotes(text string) (map[string]string, []string) {
	notes := map[string]string{}
	var problems []string
	for i, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		t, note, ok := strings.Cut(line, "\t")
		t, note = strings.TrimSpace(t), strings.TrimSpace(note)
		switch {
		case !ok || t == "" || note == "":
			problems = append(problems, fmt.Sprintf("docs/errorsreport/notes.tsv:%d: want error_type<TAB>note", i+1))
		case notes[t] != "":
			problems = append(problems, fmt.Sprintf("docs/errorsreport/notes.tsv:%d: a second note for %s", i+1, t))
		default:
			notes[t] = note
		}
	}
	return notes, problems
}

func funcOrPackage(fn string) string {
	if fn == "" {
		return "a package-level declaration"
	}
	return fn
}
