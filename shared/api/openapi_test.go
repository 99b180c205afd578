package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/shared/api"
)

// openapiDoc is the generated document as plain JSON, as a client reads docs/openapi.json.
func openapiDoc(t *testing.T) map[string]any {
	t.Helper()
	raw, err := api.OpenAPIJSON(api.DevServerURL)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// Every route is described, and every description names a route: a new route cannot be
// added without its entry in routeDocs (openapi_routes.go).
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	missing, stale := api.UndescribedRoutes()
	for _, k := range missing {
		t.Errorf("route %s has no entry in routeDocs (shared/api/openapi_routes.go): describe it", k)
	}
	for _, k := range stale {
		t.Errorf("routeDocs describes %s, which is not in Routes: remove or rename the entry", k)
	}
	doc := openapiDoc(t)
	paths := doc["paths"].(map[string]any)
	for _, rt := range api.Routes {
		p, _ := paths[rt.Path].(map[string]any)
		if _, ok := p[strings.ToLower(rt.Method)]; !ok {
			t.Errorf("%s %s is not in the document", rt.Method, rt.Path)
		}
	}
	n := 0
	for _, p := range paths {
		n += len(p.(map[string]any))
	}
	if n != len(api.Routes) {
		t.Errorf("the document has %d operations, Routes %d", n, len(api.Routes))
	}
}

// The committed docs/openapi.json is what the code generates.
func TestOpenAPICommittedDocumentIsCurrent(t *testing.T) {
	want, err := api.OpenAPIJSON(api.DevServerURL)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../docs/openapi.json")
	if err != nil {
		t.Fatalf("docs/openapi.json: %v (run `make openapi`)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("docs/openapi.json differs from what shared/api generates: run `make openapi` and commit the result")
	}
}

var openapiPathParam = regexp.MustCompile(`\{([^}]+)\}`)

// The document is OpenAPI 3.1 in structure: the required top-level fields, unique operation
// ids, path parameters declared as the templates name them, a response for each operation,
// an example for each request body, and every $ref resolving.
func TestOpenAPIStructure(t *testing.T) {
	doc := openapiDoc(t)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == "" || info["version"] == "" || info["title"] == nil || info["version"] == nil {
		t.Errorf("info needs title and version: %v", info)
	}
	comps, _ := doc["components"].(map[string]any)
	if comps == nil || comps["schemas"] == nil || comps["securitySchemes"] == nil {
		t.Fatalf("components needs schemas and securitySchemes")
	}
	schemes := comps["securitySchemes"].(map[string]any)
	for _, req := range append([]any{}, doc["security"].([]any)...) {
		for name := range req.(map[string]any) {
			if schemes[name] == nil {
				t.Errorf("security names undefined scheme %s", name)
			}
		}
	}
	errSchema := oaResolve(t, doc, map[string]any{"$ref": "#/components/schemas/Error"})
	for _, f := range []string{"status_code", "request_id", "error_type", "error_message", "error_url"} {
		if !slices.Contains(oaStrings(errSchema["required"]), f) {
			t.Errorf("the Error schema does not require %s", f)
		}
	}

	ids := map[string]string{}
	for path, item := range doc["paths"].(map[string]any) {
		if !strings.HasPrefix(path, "/") {
			t.Errorf("path %q does not start with /", path)
		}
		templ := openapiPathParam.FindAllStringSubmatch(path, -1)
		for method, o := range item.(map[string]any) {
			op := o.(map[string]any)
			where := strings.ToUpper(method) + " " + path
			if !slices.Contains([]string{"get", "put", "post", "delete", "patch"}, method) {
				t.Errorf("%s: unexpected method", where)
			}
			id, _ := op["operationId"].(string)
			if id == "" || ids[id] != "" {
				t.Errorf("%s: operationId %q missing or also used by %s", where, id, ids[id])
			}
			ids[id] = where
			if s, _ := op["summary"].(string); s == "" {
				t.Errorf("%s: no summary", where)
			}
			declared := map[string]bool{}
			for _, p := range oaList(op["parameters"]) {
				p := p.(map[string]any)
				if p["in"] == "path" {
					declared[p["name"].(string)] = true
					if p["required"] != true {
						t.Errorf("%s: path parameter %v is not required", where, p["name"])
					}
					if p["example"] == nil {
						t.Errorf("%s: path parameter %v has no example", where, p["name"])
					}
				}
				if p["schema"] == nil {
					t.Errorf("%s: parameter %v has no schema", where, p["name"])
				}
			}
			if len(declared) != len(templ) {
				t.Errorf("%s: declares %d path parameters, the template has %d", where, len(declared), len(templ))
			}
			for _, m := range templ {
				if !declared[m[1]] {
					t.Errorf("%s: path parameter %s not declared", where, m[1])
				}
			}
			if rs, _ := op["responses"].(map[string]any); len(rs) == 0 {
				t.Errorf("%s: no responses", where)
			}
			if rb, ok := op["requestBody"].(map[string]any); ok {
				for ct, m := range rb["content"].(map[string]any) {
					if m.(map[string]any)["example"] == nil {
						t.Errorf("%s: request body (%s) has no example", where, ct)
					}
				}
			}
			for _, req := range oaList(op["security"]) {
				for name := range req.(map[string]any) {
					if schemes[name] == nil {
						t.Errorf("%s: security names undefined scheme %s", where, name)
					}
				}
			}
		}
	}
	// Every $ref anywhere resolves.
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, err := oaPointer(doc, ref); err != nil {
					t.Errorf("%s: $ref %s: %v", at, ref, err)
				}
			}
			for k, e := range v {
				walk(e, at+"/"+k)
			}
		case []any:
			for i, e := range v {
				walk(e, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(doc, "#")
}

// Each request example is an instance of its request schema, with no field the schema does
// not name (the server ignores unknown fields, so a misspelt one would prove nothing).
func TestOpenAPIExamplesMatchTheirSchemas(t *testing.T) {
	doc := openapiDoc(t)
	for _, op := range oaOperations(doc) {
		for ct, m := range op.bodies() {
			m := m.(map[string]any)
			for _, problem := range oaValidate(doc, m["schema"], m["example"], "example", true) {
				t.Errorf("%s (%s): %s", op.key, ct, problem)
			}
		}
	}
	// The placeholders are distinct, so each names one thing.
	seen := map[string]string{}
	for kind, v := range api.ExamplePlaceholders() {
		if other, ok := seen[v]; ok {
			t.Errorf("placeholders %s and %s are both %q", kind, other, v)
		}
		seen[v] = kind
	}
}

// oaOperation is one operation of the document.
type oaOperation struct {
	key, method, path string
	op                map[string]any
}

func oaOperations(doc map[string]any) []oaOperation {
	var out []oaOperation
	for path, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			out = append(out, oaOperation{strings.ToUpper(method) + " " + path, strings.ToUpper(method), path, op.(map[string]any)})
		}
	}
	// In the route table's order, so organizations come before what they own.
	order := map[string]int{}
	for i, rt := range api.Routes {
		order[rt.Method+" "+rt.Path] = i
	}
	sort.Slice(out, func(i, j int) bool { return order[out[i].key] < order[out[j].key] })
	return out
}

func (o oaOperation) bodies() map[string]any {
	rb, _ := o.op["requestBody"].(map[string]any)
	c, _ := rb["content"].(map[string]any)
	return c
}

func (o oaOperation) param(in, name string) string {
	for _, p := range oaList(o.op["parameters"]) {
		p := p.(map[string]any)
		if p["in"] == in && p["name"] == name {
			s, _ := p["example"].(string)
			return s
		}
	}
	return ""
}

// security is the scheme the operation needs: "project", "scim" or "" for none.
func (o oaOperation) security(doc map[string]any) string {
	reqs, ok := o.op["security"].([]any)
	if !ok {
		reqs = doc["security"].([]any)
	}
	for _, r := range reqs {
		for name := range r.(map[string]any) {
			return name
		}
	}
	return ""
}

type oaSuccess struct {
	status int
	schema any
}

func (o oaOperation) success() (oaSuccess, bool) {
	for code, r := range o.op["responses"].(map[string]any) {
		status, err := strconv.Atoi(code)
		if err != nil || status >= 400 {
			continue
		}
		out := oaSuccess{status: status}
		if c, ok := r.(map[string]any)["content"].(map[string]any); ok {
			for _, m := range c {
				out.schema = m.(map[string]any)["schema"]
			}
		}
		return out, true
	}
	return oaSuccess{}, false
}

func oaList(v any) []any { l, _ := v.([]any); return l }

func oaStrings(v any) []string {
	var out []string
	for _, e := range oaList(v) {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// oaPointer resolves a local JSON pointer ("#/components/schemas/Member").
func oaPointer(doc map[string]any, ref string) (any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("not a local reference")
	}
	var cur any = doc
	for _, part := range strings.Split(rest, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok || m[part] == nil {
			return nil, fmt.Errorf("%s not found", part)
		}
		cur = m[part]
	}
	return cur, nil
}

func oaResolve(t *testing.T, doc map[string]any, s map[string]any) map[string]any {
	t.Helper()
	for s["$ref"] != nil {
		v, err := oaPointer(doc, s["$ref"].(string))
		if err != nil {
			t.Fatal(err)
		}
		s = v.(map[string]any)
	}
	return s
}

// oaValidate checks v against the subset of JSON Schema the generator writes: $ref, allOf,
// anyOf, type (one or a list), properties, required, additionalProperties and items. strict
// also refuses object members the schema does not name, where it names any.
func oaValidate(doc map[string]any, schema any, v any, at string, strict bool) []string {
	s, ok := schema.(map[string]any)
	if !ok {
		return []string{at + ": schema is not an object"}
	}
	if ref, ok := s["$ref"].(string); ok {
		target, err := oaPointer(doc, ref)
		if err != nil {
			return []string{at + ": " + err.Error()}
		}
		return oaValidate(doc, target, v, at, strict)
	}
	var problems []string
	for _, sub := range oaList(s["allOf"]) {
		problems = append(problems, oaValidate(doc, sub, v, at, strict)...)
	}
	if any := oaList(s["anyOf"]); len(any) > 0 {
		matched := false
		var first []string
		for _, sub := range any {
			p := oaValidate(doc, sub, v, at, strict)
			if len(p) == 0 {
				matched = true
				break
			}
			if first == nil {
				first = p
			}
		}
		if !matched {
			problems = append(problems, first...)
		}
	}
	if typ, ok := s["type"]; ok {
		types := oaStrings(typ)
		if t, ok := typ.(string); ok {
			types = []string{t}
		}
		if !slices.ContainsFunc(types, func(t string) bool { return oaIsType(v, t) }) {
			return append(problems, fmt.Sprintf("%s: %s is not of type %v", at, oaShort(v), types))
		}
	}
	switch v := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, r := range oaStrings(s["required"]) {
			if _, ok := v[r]; !ok {
				problems = append(problems, fmt.Sprintf("%s: required %s is missing", at, r))
			}
		}
		for k, e := range v {
			if p, ok := props[k]; ok {
				problems = append(problems, oaValidate(doc, p, e, at+"."+k, strict)...)
				continue
			}
			if ap, ok := s["additionalProperties"].(map[string]any); ok {
				problems = append(problems, oaValidate(doc, ap, e, at+"."+k, strict)...)
			} else if strict && props != nil {
				problems = append(problems, fmt.Sprintf("%s: %s is not in the schema", at, k))
			}
		}
	case []any:
		if items, ok := s["items"]; ok {
			for i, e := range v {
				problems = append(problems, oaValidate(doc, items, e, fmt.Sprintf("%s[%d]", at, i), strict)...)
			}
		}
	}
	return problems
}

func oaIsType(v any, t string) bool {
	switch t {
	case "null":
		return v == nil
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		n, ok := v.(float64)
		return ok && n == math.Trunc(n)
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func oaShort(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}
