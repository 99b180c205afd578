package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const (
	module      = "github.com/latchkey/latchkey"
	domainPath  = module + "/shared"      // package latchkey: Error, Errorf, BadRequest, the Type… constants
	scimPath    = module + "/shared/scim" // SCIM-protocol errors, rendered as RFC 7644 errors
	sourceDir   = "shared"
	domainPkg   = "latchkey"
	scimPkgName = "scim"
)

// Site is one place an error is built: a Stytch-shaped one (Kind "stytch") or a SCIM-protocol
// one (Kind "scim", where Type is the scimType, "" for none).
type Site struct {
	Kind   string
	Type   string
	Status int
	File   string // slash path relative to the repository root
	Line   int
	Func   string // enclosing function, "" at package level
	Expr   string // the error_type expression when it is not a constant
}

func (s Site) Pos() string { return fmt.Sprintf("%s:%d", s.File, s.Line) }

// Open is a site whose error_type or status is not a constant: the dynamic table must cover it.
type Open struct {
	Kind, File, Func, Expr string
	Line                   int
	StatusKnown            bool
}

func (o Open) Pos() string { return fmt.Sprintf("%s:%d", o.File, o.Line) }

// Scan is everything the walk over shared/ found.
type Scan struct {
	Sites []Site
	Open  []Open
	// Calls holds, per "dir.func", the constant first arguments of calls to an unexported helper
	// of that package (pwhash's bad), for dynamic entries that take their types from one.
	Calls map[string][]string
	// OpenCalls holds, per "dir.func", the calls whose first argument is not constant.
	OpenCalls map[string][]Open
	// MapValues holds, per "file|func|var", the constant strings of a map or slice literal
	// assigned to var (func is "" at package level).
	MapValues map[string][]string
}

type file struct {
	rel, dir string
	pkg      string
	ast      *ast.File
	imports  map[string]string // local name -> import path
}

// scan parses every non-test .go file under root/shared.
func scan(root string) (*Scan, error) {
	fset := token.NewFileSet()
	var files []*file
	err := filepath.WalkDir(filepath.Join(root, sourceDir), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != filepath.Join(root, sourceDir) && (strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") ||
				name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		af, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		f := &file{rel: rel, dir: pathDir(rel), pkg: af.Name.Name, ast: af, imports: map[string]string{}}
		for _, im := range af.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			local := p[strings.LastIndex(p, "/")+1:]
			if im.Name != nil {
				local = im.Name.Name
			} else if p == domainPath {
				local = domainPkg
			}
			f.imports[local] = p
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })

	consts := map[string]map[string]string{} // import path -> const name -> string value
	for _, f := range files {
		ip := module + "/" + f.dir
		if consts[ip] == nil {
			consts[ip] = map[string]string{}
		}
		for _, d := range f.ast.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						if s, ok := literal(vs.Values[i]); ok {
							consts[ip][n.Name] = s
						}
					}
				}
			}
		}
	}

	out := &Scan{Calls: map[string][]string{}, OpenCalls: map[string][]Open{}, MapValues: map[string][]string{}}
	for _, f := range files {
		w := &walker{f: f, fset: fset, consts: consts, out: out}
		for _, d := range f.ast.Decls {
			w.fn = ""
			if fd, ok := d.(*ast.FuncDecl); ok {
				w.fn = funcName(fd)
			}
			ast.Inspect(d, w.visit)
		}
	}
	return out, nil
}

type walker struct {
	f      *file
	fset   *token.FileSet
	consts map[string]map[string]string
	out    *Scan
	fn     string
}

func (w *walker) visit(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.CallExpr:
		w.call(n)
	case *ast.CompositeLit:
		w.composite(n)
	case *ast.AssignStmt:
		if len(n.Lhs) == 1 && len(n.Rhs) == 1 {
			if id, ok := n.Lhs[0].(*ast.Ident); ok {
				w.literalValues(id.Name, n.Rhs[0])
			}
		}
	case *ast.ValueSpec:
		if len(n.Names) == 1 && len(n.Values) == 1 {
			w.literalValues(n.Names[0].Name, n.Values[0])
		}
	}
	return true
}

// literalValues records the constant strings of a map literal's values or a slice literal's
// elements assigned to a variable: sso's samlErr indexes such a map for its error_type, and
// api's uniquenessTypes lists the types a SCIM client gets as 409 uniqueness.
func (w *walker) literalValues(name string, e ast.Expr) {
	if u, ok := e.(*ast.UnaryExpr); ok {
		e = u.X
	}
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		return
	}
	var vals []string
	for _, el := range cl.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			el = kv.Value
		}
		if s, ok := w.constString(el); ok {
			vals = append(vals, s)
		}
	}
	if len(vals) > 0 {
		k := w.f.rel + "|" + w.fn + "|" + name
		w.out.MapValues[k] = append(w.out.MapValues[k], vals...)
	}
}

// callee names what a call builds: "stytch" or "scim", and whether the status is implied (400).
func (w *walker) callee(fun ast.Expr) (kind string, badRequest bool, ok bool) {
	var name string
	switch fun := fun.(type) {
	case *ast.Ident:
		name = fun.Name
		switch {
		case w.f.pkg == domainPkg && w.f.dir == sourceDir:
			kind = "stytch"
		case w.f.pkg == scimPkgName && w.f.dir == sourceDir+"/scim":
			kind = "scim"
		default:
			return "", false, false
		}
	case *ast.SelectorExpr:
		x, isIdent := fun.X.(*ast.Ident)
		if !isIdent {
			return "", false, false
		}
		name = fun.Sel.Name
		switch w.f.imports[x.Name] {
		case domainPath:
			kind = "stytch"
		case scimPath:
			kind = "scim"
		default:
			return "", false, false
		}
	default:
		return "", false, false
	}
	switch {
	case name == "Errorf":
		return kind, false, true
	case kind == "stytch" && name == "BadRequest", kind == "scim" && name == "badRequest":
		return kind, true, true
	}
	return "", false, false
}

func (w *walker) call(c *ast.CallExpr) {
	if id, ok := c.Fun.(*ast.Ident); ok && len(c.Args) > 0 && w.f.pkg != domainPkg && w.f.pkg != scimPkgName {
		// Constant first arguments of every package-local helper call, for dynamic entries
		// whose types come from one (pwhash's bad).
		k := w.f.dir + "." + id.Name
		if s, ok := w.constString(c.Args[0]); ok {
			w.out.Calls[k] = append(w.out.Calls[k], s)
		} else {
			w.out.OpenCalls[k] = append(w.out.OpenCalls[k], Open{Kind: "helper", File: w.f.rel, Func: w.fn,
				Expr: types.ExprString(c.Args[0]), Line: w.fset.Position(c.Pos()).Line, StatusKnown: true})
		}
	}
	kind, bad, ok := w.callee(c.Fun)
	if !ok {
		return
	}
	var statusExpr, typeExpr ast.Expr
	if bad {
		if len(c.Args) < 1 {
			return
		}
		typeExpr = c.Args[0]
	} else {
		if len(c.Args) < 2 {
			return
		}
		statusExpr, typeExpr = c.Args[0], c.Args[1]
	}
	w.site(kind, c.Pos(), statusExpr, typeExpr)
}

// composite records latchkey.Error{Status: …, Type: …} literals (Internal, Unavailable).
// scim.Error literals are built only where a domain error is translated for a SCIM client.
func (w *walker) composite(cl *ast.CompositeLit) {
	kind := ""
	switch t := cl.Type.(type) {
	case *ast.Ident:
		if t.Name == "Error" && w.f.dir == sourceDir {
			kind = "stytch"
		} else if t.Name == "Error" && w.f.dir == sourceDir+"/scim" {
			kind = "scim"
		}
	case *ast.SelectorExpr:
		if x, ok := t.X.(*ast.Ident); ok && t.Sel.Name == "Error" {
			switch w.f.imports[x.Name] {
			case domainPath:
				kind = "stytch"
			case scimPath:
				kind = "scim"
			}
		}
	}
	if kind == "" {
		return
	}
	field := map[string]string{"stytch": "Type", "scim": "ScimType"}[kind]
	var statusExpr, typeExpr ast.Expr
	for _, e := range cl.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		switch k, _ := kv.Key.(*ast.Ident); {
		case k == nil:
		case k.Name == "Status":
			statusExpr = kv.Value
		case k.Name == field:
			typeExpr = kv.Value
		}
	}
	if typeExpr == nil {
		if kind == "stytch" {
			// An Error with no type would render an empty error_type: make it an open site.
			typeExpr = &ast.Ident{Name: "<no Type>", NamePos: cl.Pos()}
		} else {
			typeExpr = &ast.BasicLit{Kind: token.STRING, Value: `""`}
		}
	}
	w.site(kind, cl.Pos(), statusExpr, typeExpr)
}

func (w *walker) site(kind string, pos token.Pos, statusExpr, typeExpr ast.Expr) {
	line := w.fset.Position(pos).Line
	status, statusOK := http.StatusBadRequest, true
	if statusExpr != nil {
		status, statusOK = w.status(statusExpr)
	}
	typ, typeOK := w.constString(typeExpr)
	if typeOK && statusOK {
		w.out.Sites = append(w.out.Sites, Site{Kind: kind, Type: typ, Status: status, File: w.f.rel, Line: line, Func: w.fn})
		return
	}
	expr := types.ExprString(typeExpr)
	if typeOK {
		expr = strconv.Quote(typ)
	}
	w.out.Open = append(w.out.Open, Open{Kind: kind, File: w.f.rel, Func: w.fn, Expr: expr, Line: line, StatusKnown: statusOK})
	if statusOK {
		// Kept for the dynamic entries, which take the status from the site.
		w.out.Sites = append(w.out.Sites, Site{Kind: kind, Status: status, File: w.f.rel, Line: line, Func: w.fn, Expr: expr})
	}
}

// constString resolves a string literal, a constant of this package or of an imported one in
// the module, or a concatenation of those.
func (w *walker) constString(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit, *ast.ParenExpr:
		return literal(e)
	case *ast.Ident:
		s, ok := w.consts[module+"/"+w.f.dir][e.Name]
		return s, ok
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok {
			if p := w.f.imports[x.Name]; strings.HasPrefix(p, module+"/") {
				s, ok := w.consts[p][e.Sel.Name]
				return s, ok
			}
		}
	case *ast.BinaryExpr:
		if e.Op == token.ADD {
			a, ok1 := w.constString(e.X)
			b, ok2 := w.constString(e.Y)
			return a + b, ok1 && ok2
		}
	}
	return "", false
}

// status resolves http.StatusXxx or an integer literal.
func (w *walker) status(e ast.Expr) (int, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.INT {
			n, err := strconv.Atoi(e.Value)
			return n, err == nil
		}
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok && w.f.imports[x.Name] == "net/http" {
			n, ok := httpStatus[e.Sel.Name]
			return n, ok
		}
	}
	return 0, false
}

// httpStatus maps net/http's StatusXxx names of the error statuses to their codes, derived
// from http.StatusText ("Request Entity Too Large" -> StatusRequestEntityTooLarge). A name
// that does not derive (StatusTeapot) is an unresolved status, which the dynamic check reports.
var httpStatus = func() map[string]int {
	m := map[string]int{}
	for code := 400; code < 600; code++ {
		t := http.StatusText(code)
		if t == "" {
			continue
		}
		name := strings.NewReplacer(" ", "", "-", "", "'", "").Replace(t)
		m["Status"+name] = code
	}
	return m
}()

func literal(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			s, err := strconv.Unquote(e.Value)
			return s, err == nil
		}
	case *ast.ParenExpr:
		return literal(e.X)
	case *ast.BinaryExpr:
		if e.Op == token.ADD {
			a, ok1 := literal(e.X)
			b, ok2 := literal(e.Y)
			return a + b, ok1 && ok2
		}
	}
	return "", false
}

func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if ix, ok := t.(*ast.IndexExpr); ok {
		t = ix.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

func pathDir(rel string) string {
	if i := strings.LastIndex(rel, "/"); i >= 0 {
		return rel[:i]
	}
	return "."
}
