package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"
)

// The JSON Schemas of the OpenAPI document are derived from the Go types the handlers decode
// and encode, by the rules encoding/json follows (json tags, embedded structs promoted,
// "-" skipped), so the document cannot describe a field the server does not read or write.
//
// A type is described in one of two directions. A response schema lists as required every
// field written without omitempty/omitzero, and lets a pointer be null: that is what the
// server always writes. A request schema requires nothing by itself: decode reads absent
// fields as zero values, so which fields a route needs is a rule of the route, declared in its
// entry of the route table (routeDoc.Required) and checked by its handler.

type direction int

const (
	response direction = iota
	request
)

// schemaSet collects the component schemas the document refers to.
type schemaSet struct {
	// names are the component names given to each (type, direction), decided before any
	// schema is built (see name).
	names   map[schemaKey]string
	schemas map[string]map[string]any
	// used records the directions each named type is used in, so that a type used in both is
	// named apart in its request form.
	used map[reflect.Type]map[direction]bool
}

type schemaKey struct {
	t   reflect.Type
	dir direction
}

var (
	timeType        = reflect.TypeFor[time.Time]()
	marshalerType   = reflect.TypeFor[json.Marshaler]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

func newSchemaSet() *schemaSet {
	return &schemaSet{names: map[schemaKey]string{}, schemas: map[string]map[string]any{}, used: map[reflect.Type]map[direction]bool{}}
}

// walk records every named struct type reachable from t in direction dir, so names can be
// chosen knowing every use.
func (s *schemaSet) walk(t reflect.Type, dir direction) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeType {
		return
	}
	if t.Name() != "" {
		if s.used[t] == nil {
			s.used[t] = map[direction]bool{}
		}
		if s.used[t][dir] {
			return
		}
		s.used[t][dir] = true
	}
	for _, f := range jsonFields(t) {
		s.walk(f.typ, dir)
	}
}

// componentName is a named type's name in the document: bare for Latchkey's core package
// and this one (capitalised), qualified by package elsewhere ("magiclink.AuthenticateRequest"),
// as several packages name their requests alike.
func componentName(t reflect.Type) string {
	pkg := t.PkgPath()
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	switch pkg {
	case "github.com/latchkey/latchkey/shared/api":
		if n, ok := apiNames[name]; ok {
			return n
		}
		r := []rune(name)
		r[0] = unicode.ToUpper(r[0])
		name = string(r)
		for _, a := range acronyms {
			if rest, ok := strings.CutPrefix(name, a[:1]+strings.ToLower(a[1:])); ok {
				return a + rest
			}
		}
		return name
	case "github.com/latchkey/latchkey/shared":
		return name
	}
	return pkg[strings.LastIndexByte(pkg, '/')+1:] + "." + name
}

// apiNames are the document's names for this package's types where the Go name is not one.
var apiNames = map[string]string{"errorBody": "Error"}

// acronyms are cased as Go cases them in exported names, for this package's unexported types
// ("oauthProviderResponse" is OAuthProviderResponse).
var acronyms = []string{"OAuth", "OIDC", "SAML", "SCIM", "SSO", "TOTP", "JWKS"}

func (s *schemaSet) name(t reflect.Type, dir direction) string {
	k := schemaKey{t, dir}
	if n, ok := s.names[k]; ok {
		return n
	}
	n := componentName(t)
	if dir == request && s.used[t][response] {
		n += "Input"
	}
	for other, on := range s.names {
		if on == n && other != k {
			panic(fmt.Sprintf("openapi: %v and %v would both be named %s", other.t, t, n))
		}
	}
	s.names[k] = n
	return n
}

// ref returns the schema of t in direction dir: a $ref for a named struct (building its
// component on first use), inline otherwise.
func (s *schemaSet) ref(t reflect.Type, dir direction) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Pointer:
		inner := s.ref(t.Elem(), dir)
		if dir == request {
			return inner
		}
		return nullable(inner)
	case t.Kind() == reflect.Interface:
		return map[string]any{}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return map[string]any{"type": "number"}
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t.Elem().Kind() == reflect.Uint8:
		return map[string]any{"type": "string", "contentEncoding": "base64"}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return map[string]any{"type": "array", "items": s.ref(t.Elem(), dir)}
	case t.Kind() == reflect.Map:
		if t.Key().Kind() != reflect.String {
			panic(fmt.Sprintf("openapi: map key of %v is not a string", t))
		}
		out := map[string]any{"type": "object"}
		if t.Elem().Kind() != reflect.Interface {
			out["additionalProperties"] = s.ref(t.Elem(), dir)
		}
		return out
	case t.Kind() == reflect.Struct && t.Name() == "":
		return s.object(t, dir)
	case t.Kind() == reflect.Struct:
		n := s.name(t, dir)
		if _, ok := s.schemas[n]; !ok {
			s.schemas[n] = nil // mark before building: a type may refer to itself
			s.schemas[n] = s.object(t, dir)
		}
		return map[string]any{"$ref": "#/components/schemas/" + n}
	}
	panic(fmt.Sprintf("openapi: no schema for %v", t))
}

// nullable lets a schema also be null, as a nil pointer is written.
func nullable(s map[string]any) map[string]any {
	if typ, ok := s["type"].(string); ok && len(s) <= 2 {
		out := map[string]any{}
		for k, v := range s {
			out[k] = v
		}
		out["type"] = []string{typ, "null"}
		return out
	}
	return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
}

func (s *schemaSet) object(t reflect.Type, dir direction) map[string]any {
	if custom := reflect.PointerTo(t).Implements(marshalerType) || reflect.PointerTo(t).Implements(unmarshalerType); custom && !marshalsAsTagged[t] {
		panic(fmt.Sprintf("openapi: %v has its own JSON methods: say what shape they write (marshalsAsTagged)", t))
	}
	props := map[string]any{}
	var required []string
	for _, f := range jsonFields(t) {
		props[f.name] = s.ref(f.typ, dir)
		if f.asString {
			props[f.name] = map[string]any{"type": "string"}
		}
		if dir == response && slices.Contains(nullableFields[t], f.name) {
			props[f.name] = nullable(props[f.name].(map[string]any))
		}
		if dir == response && !f.omit {
			required = append(required, f.name)
		}
	}
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

// jsonField is one field as encoding/json sees it.
type jsonField struct {
	name     string
	typ      reflect.Type
	omit     bool // omitempty or omitzero
	asString bool // the ",string" option
	depth    int
	tagged   bool
}

// jsonFields lists a struct's fields as encoding/json encodes them: embedded structs without a
// name are promoted, and of several fields with one name the shallowest (then the tagged one)
// wins; ties drop the name, as encoding/json does.
func jsonFields(t reflect.Type) []jsonField {
	var all []jsonField
	var visit func(t reflect.Type, depth int, seen []reflect.Type)
	visit = func(t reflect.Type, depth int, seen []reflect.Type) {
		if slices.Contains(seen, t) {
			return
		}
		seen = append(seen, t)
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			ft := sf.Type
			if sf.Anonymous {
				et := ft
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if !sf.IsExported() && et.Kind() != reflect.Struct {
					continue
				}
				if name == "" && et.Kind() == reflect.Struct {
					visit(et, depth+1, seen)
					continue
				}
			} else if !sf.IsExported() {
				continue
			}
			f := jsonField{name: name, typ: ft, depth: depth, tagged: name != ""}
			if f.name == "" {
				f.name = sf.Name
			}
			for _, o := range strings.Split(opts, ",") {
				switch o {
				case "omitempty", "omitzero":
					f.omit = true
				case "string":
					k := ft.Kind()
					f.asString = k == reflect.Bool || k >= reflect.Int && k <= reflect.Float64
				}
			}
			all = append(all, f)
		}
	}
	visit(t, 0, nil)
	var out []jsonField
	for _, f := range all {
		dominant, ambiguous := f, false
		for _, g := range all {
			if g.name != f.name || g == f {
				continue
			}
			switch {
			case g.depth < dominant.depth || g.depth == dominant.depth && g.tagged && !dominant.tagged:
				dominant, ambiguous = g, false
			case g.depth == dominant.depth && g.tagged == dominant.tagged:
				ambiguous = true
			}
		}
		if !ambiguous && dominant == f {
			out = append(out, f)
		}
	}
	return out
}
