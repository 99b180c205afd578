package rbac

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Load reads the project's policy from the value of LATCHKEY_RBAC_POLICY: the JSON text itself
// when it starts with "{" (after whitespace), else the path of a file holding it. The policy is
// parsed and merged as by Parse. An empty value means no configured policy: Defaults().
func Load(value string) (Policy, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return Defaults(), nil
	}
	if v[0] == '{' {
		return Parse([]byte(v))
	}
	data, err := os.ReadFile(v)
	if err != nil {
		return Policy{}, fmt.Errorf("rbac policy: %w (a value that does not start with \"{\" is read as the path of a policy file)", err)
	}
	p, err := parse(data)
	if err != nil {
		return Policy{}, fmt.Errorf("rbac policy: %s: %w", v, err)
	}
	return p, nil
}

// Parse reads a policy document (the shape of GET /v1/b2b/rbac/policy's "policy") strictly:
// unknown or repeated fields, wrong types and anything after the object are errors. It
// validates the document and merges it with Defaults(): the built-in resources come first and
// cannot be redefined; the default roles always exist, and a document that lists one replaces
// its permissions (all of them: listed with none, it grants none) and, if given, its
// description, as Stytch's dashboard edits them; other roles, resources and scopes follow in
// the document's order. Errors unwrap to an *Error.
func Parse(data []byte) (Policy, error) {
	p, err := parse(data)
	if err != nil {
		return Policy{}, fmt.Errorf("rbac policy: %w", err)
	}
	return p, nil
}

func parse(data []byte) (Policy, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark, from some editors
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return Policy{}, errorf(KindSyntax, "", "the document is empty; want a JSON object")
	}
	if trimmed[0] != '{' {
		return Policy{}, errorf(KindSyntax, "", "the document is not a JSON object (it does not start with \"{\")")
	}
	if err := checkShape(data); err != nil {
		return Policy{}, err
	}
	var cfg Policy
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		// checkShape has already refused whatever Decode could; this is a backstop.
		return Policy{}, errorf(KindSyntax, "", "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if e := validate(cfg); e != nil {
		return Policy{}, e
	}
	return merge(cfg), nil
}

// merge lays a validated configured policy over the defaults.
func merge(cfg Policy) Policy {
	out := Defaults()
	for _, r := range cfg.Roles {
		if i := roleIndex(out.Roles, r.RoleID); i >= 0 && isDefaultRole(r.RoleID) {
			out.Roles[i].Permissions = nonNil(clonePermissions(r.Permissions))
			if r.Description != "" {
				out.Roles[i].Description = r.Description
			}
			continue
		}
		out.Roles = append(out.Roles, cloneRole(r))
	}
	for _, r := range cfg.Resources {
		out.Resources = append(out.Resources, Resource{ResourceID: r.ResourceID, Description: r.Description, Actions: nonNil(r.Actions)})
	}
	for _, s := range cfg.Scopes {
		out.Scopes = append(out.Scopes, Scope{Scope: s.Scope, Description: s.Description, Permissions: nonNil(clonePermissions(s.Permissions))})
	}
	return out
}

func roleIndex(roles []Role, id string) int {
	for i, r := range roles {
		if r.RoleID == id {
			return i
		}
	}
	return -1
}

// shape describes the JSON a policy document may hold, so that checkShape can name exactly
// where it departs from it: encoding/json matches field names case-insensitively, lets a
// repeated field win silently, and reports a bad field without saying which element of a
// list it is in.
type shape struct {
	kind   byte // 'o' object, 'a' array, 's' string
	fields []field
	elem   *shape
}

type field struct {
	name  string
	shape *shape
}

func object(fields ...field) *shape { return &shape{kind: 'o', fields: fields} }
func arrayOf(elem *shape) *shape    { return &shape{kind: 'a', elem: elem} }

var (
	stringShape     = &shape{kind: 's'}
	permissionShape = object(field{"resource_id", stringShape}, field{"actions", arrayOf(stringShape)})
	policyShape     = object(
		field{"roles", arrayOf(object(
			field{"role_id", stringShape},
			field{"description", stringShape},
			field{"permissions", arrayOf(permissionShape)}))},
		field{"resources", arrayOf(object(
			field{"resource_id", stringShape},
			field{"description", stringShape},
			field{"actions", arrayOf(stringShape)}))},
		field{"scopes", arrayOf(object(
			field{"scope", stringShape},
			field{"description", stringShape},
			field{"permissions", arrayOf(permissionShape)}))},
	)
)

func (s *shape) field(name string) *shape {
	for _, f := range s.fields {
		if f.name == name {
			return f.shape
		}
	}
	return nil
}

func (s *shape) names() string {
	names := make([]string, len(s.fields))
	for i, f := range s.fields {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

// checkShape walks the document's tokens against policyShape and refuses trailing data.
func checkShape(data []byte) *Error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if e := walk(dec, data, policyShape, ""); e != nil {
		return e
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		rest := data[end:]
		end += int64(len(rest) - len(bytes.TrimLeft(rest, " \t\r\n")))
		return errorf(KindSyntax, "", "there is more after the policy object, at %s; the document must hold the one object only",
			position(data, end))
	}
	return nil
}

func walk(dec *json.Decoder, data []byte, s *shape, path string) *Error {
	tok, err := dec.Token()
	if err != nil {
		return tokenError(data, err)
	}
	switch s.kind {
	case 's':
		if _, ok := tok.(string); !ok {
			return typeError(path, "a string", tok)
		}
	case 'a':
		if tok == nil {
			return nil // null, as an empty list
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return typeError(path, "an array", tok)
		}
		for i := 0; dec.More(); i++ {
			if e := walk(dec, data, s.elem, fmt.Sprintf("%s[%d]", path, i)); e != nil {
				return e
			}
		}
		if _, err := dec.Token(); err != nil {
			return tokenError(data, err)
		}
	case 'o':
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return typeError(path, "an object", tok)
		}
		var seen []string
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return tokenError(data, err)
			}
			name, _ := tok.(string)
			child := s.field(name)
			if child == nil {
				e := errorf(KindSyntax, path, "unknown field %q; the fields are %s", name, s.names())
				if path == "" && (name == "policy" || name == "status_code" || name == "request_id") {
					e.Message += "; the document is the policy object itself, not an API response holding one"
				}
				return e
			}
			for _, n := range seen {
				if n == name {
					return errorf(KindSyntax, path, "the field %q is given twice", name)
				}
			}
			seen = append(seen, name)
			childPath := name
			if path != "" {
				childPath = path + "." + name
			}
			if e := walk(dec, data, child, childPath); e != nil {
				return e
			}
		}
		if _, err := dec.Token(); err != nil {
			return tokenError(data, err)
		}
	}
	return nil
}

func typeError(path, want string, got json.Token) *Error {
	if path == "" {
		path = "the policy"
	}
	return errorf(KindSyntax, path, "want %s, got %s", want, describe(got))
}

func describe(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}

func tokenError(data []byte, err error) *Error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return errorf(KindSyntax, "", "invalid JSON at %s: %s", position(data, syn.Offset), syn.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(KindSyntax, "", "the document ends before the policy object does (truncated JSON)")
	}
	return errorf(KindSyntax, "", "invalid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// position turns a byte offset into "line L, column C" (both from 1).
func position(data []byte, offset int64) string {
	if offset < 0 {
		offset = 0
	}
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line := 1 + bytes.Count(before, []byte("\n"))
	col := int(offset) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}
