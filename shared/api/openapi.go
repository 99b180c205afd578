package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// The OpenAPI 3.1 document of the whole API (docs/openapi.json, GET /openapi.json under
// `make dev`) is generated, not written: every operation comes from a route in Routes, and
// every schema from the Go type its handler decodes or encodes (openapi_schema.go). What a
// type cannot say — the summary, which fields a route requires, its query parameters, an
// example — is the route's entry in routeDocs (openapi_routes.go), which a test keeps in step
// with Routes.

// DevServerURL is the server the committed document names: `make dev` on its default port.
const DevServerURL = "http://127.0.0.1:8080"

// OpenAPIJSON renders the document, naming serverURL as the server, indented and ending in a
// newline as docs/openapi.json is committed.
func OpenAPIJSON(serverURL string) ([]byte, error) {
	doc, err := OpenAPI(serverURL)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// OpenAPI builds the document as a JSON value. It fails when a route has no entry in
// routeDocs or an entry no route.
func OpenAPI(serverURL string) (doc map[string]any, err error) {
	if missing, stale := UndescribedRoutes(); len(missing)+len(stale) > 0 {
		return nil, fmt.Errorf("openapi: routes without an entry in routeDocs: %v; entries without a route: %v", missing, stale)
	}
	defer func() {
		// The schema generator panics on a Go type it cannot describe; that is a bug to fix in
		// the table or the generator, reported as an error to the command and the test.
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	s := newSchemaSet()
	for _, rt := range Routes {
		d := routeDocs[routeKey(rt)]
		if d.Body != nil {
			s.walk(reflect.TypeOf(d.Body), request)
		}
		if d.Response != nil {
			s.walk(reflect.TypeOf(d.Response), response)
		}
	}
	s.walk(reflect.TypeFor[errorBody](), response)
	s.walk(reflect.TypeFor[scimError](), response)
	errRef := s.ref(reflect.TypeFor[errorBody](), response)
	scimErrRef := s.ref(reflect.TypeFor[scimError](), response)

	paths := map[string]map[string]any{}
	for _, rt := range Routes {
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = operation(s, rt, routeDocs[routeKey(rt)])
	}
	var tags []any
	for _, f := range Functions() {
		tag := map[string]any{"name": f}
		if d := functionDocs[f]; d != "" {
			tag["description"] = d
		}
		tags = append(tags, tag)
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Latchkey",
			"version": "1.0.0",
			"summary": "A self-hosted API in Stytch's B2B wire format.",
			"description": "Every route Latchkey serves, generated from its route table and the Go types its handlers read and write " +
				"(`make openapi` rewrites docs/openapi.json). Server calls authenticate with HTTP Basic `project_id:secret`; " +
				"browser routes with the project's public token; SCIM 2.0 routes with the connection's bearer token. " +
				"Every Stytch-shaped response, success or error, carries `status_code` and `request_id`; errors share the `Error` schema.",
		},
		"servers":  []any{map[string]any{"url": serverURL, "description": "make dev (LATCHKEY_PORT, default 8080)"}},
		"security": []any{map[string]any{"project": []string{}}},
		"tags":     tags,
		"paths":    paths,
		"components": map[string]any{
			"schemas": s.schemas,
			"securitySchemes": map[string]any{
				"project": map[string]any{"type": "http", "scheme": "basic",
					"description": "HTTP Basic with the project id as user name and a project secret as password, as Stytch's API takes them."},
				"scim": map[string]any{"type": "http", "scheme": "bearer",
					"description": "The SCIM connection's bearer token (from POST /v1/b2b/scim/{organization_id}/connection or rotate/start)."},
			},
			"responses": map[string]any{
				"Error": map[string]any{"description": "An error in Stytch's shape; error_type names it.",
					"content": map[string]any{"application/json": map[string]any{"schema": errRef}}},
				"SCIMError": map[string]any{"description": "An error in SCIM's shape (RFC 7644 §3.12).",
					"content": map[string]any{scimContentType: map[string]any{"schema": scimErrRef}}},
			},
		},
	}, nil
}

const scimContentType = "application/scim+json"

// functionDocs describes each tag: the Lambda function that serves a route.
var functionDocs = map[string]string{
	FunctionOrganizations: "Organizations, members and RBAC policies.",
	FunctionMagicLinks:    "Email magic links and email one-time passcodes (the function that may send email).",
	FunctionPasswords:     "Passwords: authentication, strength, migration and resets.",
	FunctionMFA:           "Second factors: TOTP, SMS one-time passcodes and recovery codes.",
	FunctionSSO:           "Enterprise SSO: SAML and OIDC connections and their browser flows.",
	FunctionOAuth:         "OAuth login with Google and Microsoft.",
	FunctionDiscovery:     "Discovery: the organizations an authenticated email may enter.",
	FunctionSessions:      "Member sessions and the JWKS their JWTs are signed with.",
	FunctionSCIM:          "SCIM connections (Stytch's API) and the SCIM 2.0 server identity providers call.",
	FunctionWebhooks:      "Webhook endpoints, replay, and the audit trail of events (Latchkey's own API).",
}

func routeKey(rt Route) string { return rt.Method + " " + rt.Path }

// UndescribedRoutes lists the routes with no entry in routeDocs and the entries that name no
// route, each as "METHOD path".
func UndescribedRoutes() (missing, stale []string) {
	have := map[string]bool{}
	for _, rt := range Routes {
		have[routeKey(rt)] = true
		if _, ok := routeDocs[routeKey(rt)]; !ok {
			missing = append(missing, routeKey(rt))
		}
	}
	for k := range routeDocs {
		if !have[k] {
			stale = append(stale, k)
		}
	}
	slices.Sort(stale)
	return missing, stale
}

// kind is how a route answers: Stytch's JSON, a browser redirect, or SCIM.
func kind(rt Route) string {
	switch {
	case strings.HasPrefix(rt.Path, "/scim/"):
		return "scim"
	case rt.serve != nil:
		return "browser"
	}
	return "json"
}

func operation(s *schemaSet, rt Route, d routeDoc) map[string]any {
	op := map[string]any{
		"operationId": d.ID,
		"summary":     d.Summary,
		"tags":        []string{rt.Function},
	}
	desc := d.Description
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
		name := m[1]
		ex, ok := d.Path[name]
		if !ok {
			ex = pathExamples[name]
		}
		if ex == "" {
			panic(fmt.Sprintf("openapi: %s: no example for path parameter %s", routeKey(rt), name))
		}
		params = append(params, map[string]any{"name": name, "in": "path", "required": true,
			"schema": map[string]any{"type": "string"}, "example": ex})
	}
	for _, q := range d.Query {
		p := map[string]any{"name": q.Name, "in": "query", "schema": map[string]any{"type": "string"}, "description": q.Description}
		if q.Required {
			p["required"] = true
		}
		if q.Example != "" {
			p["example"] = q.Example
		}
		params = append(params, p)
	}
	if g, ok := enforced[routeKey(rt)]; ok {
		for _, h := range []string{headerMemberSession, headerMemberSessionJWT} {
			params = append(params, map[string]any{"name": h, "in": "header", "schema": map[string]any{"type": "string"},
				"description": "A member's session token (or JWT): the call is then checked against that member's RBAC permissions."})
		}
		desc = strings.TrimSpace(desc + "\n\nWith a member session header, requires " + rbacSummary(g) + ".")
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if desc != "" {
		op["description"] = desc
	}

	k := kind(rt)
	switch {
	case k == "scim":
		op["security"] = []any{map[string]any{"scim": []string{}}}
	case rt.Public:
		op["security"] = []any{}
	}

	if d.Body != nil {
		ct := "application/json"
		switch {
		case d.Form:
			ct = "application/x-www-form-urlencoded"
		case k == "scim":
			ct = scimContentType
		}
		schema := s.ref(reflect.TypeOf(d.Body), request)
		if len(d.Required) > 0 {
			schema = map[string]any{"allOf": []any{schema}, "required": d.Required}
		}
		media := map[string]any{"schema": schema}
		if d.Example != nil {
			media["example"] = d.Example
		}
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{ct: media}}
	}

	responses := map[string]any{}
	status := d.Status
	if status == 0 {
		status = http.StatusOK
		if k == "browser" {
			status = http.StatusFound
		}
	}
	ok := map[string]any{"description": http.StatusText(status)}
	if d.Response != nil {
		ct := "application/json"
		if k == "scim" {
			ct = scimContentType
		}
		ok["content"] = map[string]any{ct: map[string]any{"schema": s.ref(reflect.TypeOf(d.Response), response)}}
	}
	if k == "browser" {
		ok["headers"] = map[string]any{"Location": map[string]any{"description": "Where the browser goes next.",
			"schema": map[string]any{"type": "string", "format": "uri"}}}
	}
	if d.Response != nil || d.Status != 0 || k == "browser" {
		responses[strconv.Itoa(status)] = ok
	}
	errs := map[string]any{"$ref": "#/components/responses/Error"}
	if k == "scim" {
		errs = map[string]any{"$ref": "#/components/responses/SCIMError"}
	}
	responses["4XX"], responses["5XX"] = errs, errs
	op["responses"] = responses
	return op
}

func rbacSummary(g guard) string {
	var parts []string
	if g.Base != nil {
		parts = append(parts, permissionText(*g.Base))
	}
	var fields []string
	for f := range g.Fields {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	for _, f := range fields {
		p := g.Fields[f]
		if p.Forbidden {
			parts = append(parts, "`"+f+"` may not be set")
			continue
		}
		parts = append(parts, permissionText(p)+" when `"+f+"` is sent")
	}
	if len(parts) == 0 {
		return "no permission"
	}
	return strings.Join(parts, "; ")
}

func permissionText(p permission) string {
	out := "`" + p.Action + "` on `" + p.Resource + "`"
	if p.Self {
		out += " (or on `" + resSelf + "` for the member itself)"
	}
	return out
}
