package api

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/scim"
)

// The SCIM 2.0 server: one per connection, under /scim/v2/<connection_id>. It authenticates
// with the connection's bearer token rather than project credentials and answers in SCIM's
// own shape (application/scim+json), so its routes use serve rather than handle.

// scimHandler serves a request an identity provider made with a valid bearer token for c.
type scimHandler func(s *Server, r *http.Request, c scim.Connection) (status int, body any, err error)

func scimServe(h scimHandler) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		c, err := s.scimConnection(r)
		if err != nil {
			writeSCIMError(w, r, err)
			return
		}
		setOrg(r, c.OrganizationID)
		// What an identity provider changes reaches the application as scim.* events.
		r = r.WithContext(latchkey.WithChangeSource(r.Context(), latchkey.ChangeSourceSCIM))
		if err := scimResourceTooLong(r); err != nil {
			writeSCIMError(w, r, err)
			return
		}
		status, body, err := h(s, r, c)
		if err != nil {
			writeSCIMError(w, r, err)
			return
		}
		writeSCIM(w, r, status, body)
	}
}

// scimConnection authenticates the bearer token for the connection in the path.
func (s *Server) scimConnection(r *http.Request) (scim.Connection, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return scim.Connection{}, scim.Errorf(http.StatusUnauthorized, "", "A bearer token is required.")
	}
	return s.SCIM.Authenticate(r.Context(), r.PathValue("connection_id"), token)
}

func writeSCIM(w http.ResponseWriter, r *http.Request, status int, body any) {
	h := w.Header()
	h.Set("Content-Type", scim.ContentType)
	// SCIM bodies have no request_id; the header ties a response to its log line.
	h.Set("X-Request-Id", info(r).RequestID)
	if res, ok := body.(map[string]any); ok && status == http.StatusCreated {
		if m, ok := res["meta"].(map[string]any); ok {
			h.Set("Location", m["location"].(string))
		}
	}
	w.WriteHeader(status)
	if body != nil && status != http.StatusNoContent {
		_ = json.NewEncoder(w).Encode(body)
	}
}

// uniquenessTypes are the domain errors a SCIM client knows as 409 uniqueness.
var uniquenessTypes = []string{latchkey.TypeDuplicateEmail, "duplicate_member_external_id", "duplicate_scim_user_name",
	"duplicate_scim_group_name"}

// writeSCIMError renders any error as a SCIM error. As with writeError, only an error's
// client message leaves the server; anything unexpected is logged and answered 500.
func writeSCIMError(w http.ResponseWriter, r *http.Request, err error) {
	in := info(r)
	var se *scim.Error
	if !errors.As(err, &se) {
		e := latchkey.AsError(err)
		in.ErrorType = e.Type
		if e.Cause != nil || e.Status >= 500 {
			in.Err = err
		}
		se = &scim.Error{Status: e.Status, Detail: e.Message}
		switch {
		case slices.Contains(uniquenessTypes, e.Type):
			// Stytch answers these 400; SCIM clients know a taken value as 409 uniqueness.
			se.Status, se.ScimType = http.StatusConflict, scim.Uniqueness
		case e.Status == http.StatusBadRequest:
			se.ScimType = scim.InvalidValue
		}
	} else {
		in.ErrorType = "scim_" + strconv.Itoa(se.Status)
		if se.ScimType != "" {
			in.ErrorType = "scim_" + se.ScimType
		}
	}
	if se.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="SCIM"`)
	}
	writeSCIM(w, r, se.Status, se.Body())
}

// readResource reads a JSON object body.
func readResource(r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return scim.Errorf(http.StatusRequestEntityTooLarge, "", "The request body must be at most %d bytes.", maxBody)
	}
	if err != nil {
		return scim.Errorf(http.StatusBadRequest, scim.InvalidSyntax, "The request body could not be read.")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return scim.Errorf(http.StatusBadRequest, scim.InvalidSyntax, "The request body is not a JSON object of the expected shape.")
	}
	return nil
}

func readObject(r *http.Request) (map[string]any, error) {
	var m map[string]any
	if err := readResource(r, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, scim.Errorf(http.StatusBadRequest, scim.InvalidSyntax, "The request body must be a JSON object.")
	}
	return m, nil
}

// query reads a query parameter; identity providers differ on the case of startIndex.
func query(q url.Values, name string) string {
	if v := q.Get(name); v != "" {
		return v
	}
	for k, v := range q {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// listParams are a query's paging (RFC 7644 §3.4.2.4: 1-based startIndex; count at most
// scim.MaxResults) and projection.
type listParams struct {
	filter             scim.Filter
	start, count       int
	attributes, except []string
}

func readListParams(r *http.Request) (listParams, error) {
	q := r.URL.Query()
	p := listParams{start: 1, count: 100}
	if f := query(q, "filter"); f != "" {
		var err error
		if p.filter, err = scim.ParseFilter(f); err != nil {
			return p, err
		}
	}
	for name, dst := range map[string]*int{"startIndex": &p.start, "count": &p.count} {
		if v := query(q, name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return p, scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "%s must be an integer.", name)
			}
			*dst = n
		}
	}
	p.start = max(p.start, 1)
	p.count = min(max(p.count, 0), scim.MaxResults)
	p.attributes, p.except = projection(q)
	return p, nil
}

func projection(q url.Values) (attributes, except []string) {
	split := func(v string) []string {
		var out []string
		for _, a := range strings.Split(v, ",") {
			a = strings.TrimSpace(a)
			// A full path (urn:…:User:name.givenName) projects its top-level attribute.
			if i := strings.LastIndex(a, ":"); i >= 0 && strings.HasPrefix(strings.ToLower(a), "urn:") {
				if u := a[:i]; !strings.EqualFold(u, scim.UserSchema) && !strings.EqualFold(u, scim.GroupSchema) {
					a = u
				} else {
					a = a[i+1:]
				}
			}
			if a, _, _ = strings.Cut(a, "."); a != "" {
				out = append(out, strings.ToLower(a))
			}
		}
		return out
	}
	return split(query(q, "attributes")), split(query(q, "excludedAttributes"))
}

// project applies attributes / excludedAttributes at the top level; id and schemas always
// stay.
func project(res map[string]any, attributes, except []string) map[string]any {
	if len(attributes) == 0 && len(except) == 0 {
		return res
	}
	for k := range res {
		lk := strings.ToLower(k)
		if lk == "id" || lk == "schemas" {
			continue
		}
		if len(attributes) > 0 && !slices.Contains(attributes, lk) || slices.Contains(except, lk) {
			delete(res, k)
		}
	}
	return res
}

// wants tells whether a projection keeps an attribute.
func wants(attributes, except []string, name string) bool {
	return !slices.Contains(except, name) && (len(attributes) == 0 || slices.Contains(attributes, name))
}

// page collects the resources of one page while counting them all.
type page struct {
	params    listParams
	total     int
	resources []map[string]any
}

func (p *page) add(res map[string]any) {
	if p.params.filter != nil && !scim.Matches(p.params.filter, res) {
		return
	}
	p.total++
	if p.total >= p.params.start && len(p.resources) < p.params.count {
		p.resources = append(p.resources, project(res, p.params.attributes, p.params.except))
	}
}

func (p *page) body() map[string]any { return scim.ListResponse(p.resources, p.total, p.params.start) }

// userKeys are the User attributes an equality filter is answered on by key.
var userKeys = []string{"id", "userName", "externalId", "emails"}

func (s *Server) scimListUsers(r *http.Request, c scim.Connection) (int, any, error) {
	params, err := readListParams(r)
	if err != nil {
		return 0, nil, err
	}
	endpoint := s.SCIM.SCIMEndpoint(c.ConnectionID)
	pg := &page{params: params}
	var lookups []scim.Lookup
	keyed := false
	if params.filter != nil {
		lookups, keyed = scim.Lookups(params.filter, scim.User, userKeys)
	}
	if !keyed {
		// No filter, or one no key answers: walk the organization's members.
		err := s.SCIM.EachUser(r.Context(), c, func(m latchkey.Member) bool {
			pg.add(scim.UserResource(m, endpoint))
			return true
		})
		return http.StatusOK, pg.body(), err
	}
	found := map[string]latchkey.Member{}
	for _, l := range lookups {
		if latchkey.KeyTooLong(l.Value) {
			continue // longer than any stored value: it matches nothing
		}
		var ms []latchkey.Member
		switch l.Attribute {
		case "id":
			ms, err = s.SCIM.UsersByID(r.Context(), c, l.Value)
		case "userName":
			ms, err = s.SCIM.UsersByUserName(r.Context(), c, l.Value)
		case "externalId":
			ms, err = s.SCIM.UsersByExternalID(r.Context(), c, l.Value)
		case "emails":
			ms, err = s.SCIM.UsersByEmail(r.Context(), c, l.Value)
		}
		if err != nil {
			return 0, nil, err
		}
		for _, m := range ms {
			found[m.MemberID] = m
		}
	}
	for _, id := range slices.Sorted(maps.Keys(found)) {
		pg.add(scim.UserResource(found[id], endpoint))
	}
	return http.StatusOK, pg.body(), nil
}

func (s *Server) scimCreateUser(r *http.Request, c scim.Connection) (int, any, error) {
	res, err := readObject(r)
	if err != nil {
		return 0, nil, err
	}
	u, err := scim.UserFromResource(res)
	if err != nil {
		return 0, nil, err
	}
	m, err := s.SCIM.CreateUser(r.Context(), c, u)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, scim.UserResource(m, s.SCIM.SCIMEndpoint(c.ConnectionID)), nil
}

func (s *Server) scimGetUser(r *http.Request, c scim.Connection) (int, any, error) {
	m, err := s.SCIM.User(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	attrs, except := projection(r.URL.Query())
	return http.StatusOK, project(scim.UserResource(m, s.SCIM.SCIMEndpoint(c.ConnectionID)), attrs, except), nil
}

// scimReplaceUser is PUT: the body is the whole user (Okta sends it so on every profile
// change); attributes it leaves out are cleared, except active, which is kept when absent.
func (s *Server) scimReplaceUser(r *http.Request, c scim.Connection) (int, any, error) {
	res, err := readObject(r)
	if err != nil {
		return 0, nil, err
	}
	u, err := scim.UserFromResource(res)
	if err != nil {
		return 0, nil, err
	}
	m, err := s.SCIM.UpdateUser(r.Context(), c, r.PathValue("id"), func(latchkey.Member) (scim.SCIMUser, error) { return u, nil })
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, scim.UserResource(m, s.SCIM.SCIMEndpoint(c.ConnectionID)), nil
}

// scimPatchUser applies the operations to the user as it is now, and stores the result as if
// it had been PUT.
func (s *Server) scimPatchUser(r *http.Request, c scim.Connection) (int, any, error) {
	var p scim.PatchRequest
	if err := readResource(r, &p); err != nil {
		return 0, nil, err
	}
	endpoint := s.SCIM.SCIMEndpoint(c.ConnectionID)
	m, err := s.SCIM.UpdateUser(r.Context(), c, r.PathValue("id"), func(m latchkey.Member) (scim.SCIMUser, error) {
		out, err := scim.ApplyPatch(scim.UserResource(m, endpoint), p, scim.User)
		if err != nil {
			return scim.SCIMUser{}, err
		}
		return scim.UserFromResource(out)
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, scim.UserResource(m, endpoint), nil
}

func (s *Server) scimDeleteUser(r *http.Request, c scim.Connection) (int, any, error) {
	return http.StatusNoContent, nil, s.SCIM.DeleteUser(r.Context(), c, r.PathValue("id"))
}

var groupKeys = []string{"id", "displayName"}

func (s *Server) scimListGroups(r *http.Request, c scim.Connection) (int, any, error) {
	params, err := readListParams(r)
	if err != nil {
		return 0, nil, err
	}
	endpoint := s.SCIM.SCIMEndpoint(c.ConnectionID)
	// Entra ID asks with excludedAttributes=members; then no membership is read.
	members := wants(params.attributes, params.except, "members") ||
		params.filter != nil && scim.Mentions(params.filter, "members")
	pg := &page{params: params}
	var lookups []scim.Lookup
	keyed := false
	if params.filter != nil {
		lookups, keyed = scim.Lookups(params.filter, scim.Group, groupKeys)
	}
	if !keyed {
		err := s.SCIM.EachGroup(r.Context(), c, members, func(g scim.SCIMGroup) bool {
			pg.add(scim.GroupResource(g, endpoint, members))
			return true
		})
		return http.StatusOK, pg.body(), err
	}
	found := map[string]scim.SCIMGroup{}
	for _, l := range lookups {
		if latchkey.KeyTooLong(l.Value) {
			continue // longer than any stored value: it matches nothing
		}
		var gs []scim.SCIMGroup
		switch l.Attribute {
		case "id":
			g, err := s.SCIM.Group(r.Context(), c, l.Value, members)
			if err != nil && latchkey.AsError(err).Status != http.StatusNotFound {
				return 0, nil, err
			}
			if err == nil {
				gs = []scim.SCIMGroup{g}
			}
		case "displayName":
			if gs, err = s.SCIM.GroupsByName(r.Context(), c, l.Value, members); err != nil {
				return 0, nil, err
			}
		}
		for _, g := range gs {
			found[g.GroupID] = g
		}
	}
	for _, id := range slices.Sorted(maps.Keys(found)) {
		pg.add(scim.GroupResource(found[id], endpoint, members))
	}
	return http.StatusOK, pg.body(), nil
}

func (s *Server) scimCreateGroup(r *http.Request, c scim.Connection) (int, any, error) {
	res, err := readObject(r)
	if err != nil {
		return 0, nil, err
	}
	in, err := scim.GroupFromResource(res)
	if err != nil {
		return 0, nil, err
	}
	g, err := s.SCIM.CreateGroup(r.Context(), c, in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, scim.GroupResource(g, s.SCIM.SCIMEndpoint(c.ConnectionID), true), nil
}

func (s *Server) scimGetGroup(r *http.Request, c scim.Connection) (int, any, error) {
	attrs, except := projection(r.URL.Query())
	members := wants(attrs, except, "members")
	g, err := s.SCIM.Group(r.Context(), c, r.PathValue("id"), members)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, project(scim.GroupResource(g, s.SCIM.SCIMEndpoint(c.ConnectionID), members), attrs, except), nil
}

func (s *Server) scimReplaceGroup(r *http.Request, c scim.Connection) (int, any, error) {
	res, err := readObject(r)
	if err != nil {
		return 0, nil, err
	}
	in, err := scim.GroupFromResource(res)
	if err != nil {
		return 0, nil, err
	}
	g, err := s.SCIM.UpdateGroup(r.Context(), c, r.PathValue("id"), func(scim.SCIMGroup) (scim.GroupInput, error) { return in, nil })
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, scim.GroupResource(g, s.SCIM.SCIMEndpoint(c.ConnectionID), true), nil
}

// scimPatchGroup answers 204: group patches carry membership changes of possibly large
// groups, and Okta and Entra ID both accept 204 (RFC 7644 §3.5.2 allows it).
func (s *Server) scimPatchGroup(r *http.Request, c scim.Connection) (int, any, error) {
	var p scim.PatchRequest
	if err := readResource(r, &p); err != nil {
		return 0, nil, err
	}
	endpoint := s.SCIM.SCIMEndpoint(c.ConnectionID)
	_, err := s.SCIM.UpdateGroup(r.Context(), c, r.PathValue("id"), func(g scim.SCIMGroup) (scim.GroupInput, error) {
		out, err := scim.ApplyPatch(scim.GroupResource(g, endpoint, true), p, scim.Group)
		if err != nil {
			return scim.GroupInput{}, err
		}
		return scim.GroupFromResource(out)
	})
	return http.StatusNoContent, nil, err
}

func (s *Server) scimDeleteGroup(r *http.Request, c scim.Connection) (int, any, error) {
	return http.StatusNoContent, nil, s.SCIM.DeleteGroup(r.Context(), c, r.PathValue("id"))
}

func (s *Server) scimServiceProviderConfig(_ *http.Request, c scim.Connection) (int, any, error) {
	return http.StatusOK, scim.ServiceProviderConfig(s.SCIM.SCIMEndpoint(c.ConnectionID)), nil
}

func (s *Server) scimResourceTypes(_ *http.Request, c scim.Connection) (int, any, error) {
	all := scim.ResourceTypes(s.SCIM.SCIMEndpoint(c.ConnectionID))
	return http.StatusOK, scim.ListResponse(all, len(all), 1), nil
}

func (s *Server) scimResourceType(r *http.Request, c scim.Connection) (int, any, error) {
	return byID(scim.ResourceTypes(s.SCIM.SCIMEndpoint(c.ConnectionID)), r.PathValue("id"), "resource type")
}

func (s *Server) scimSchemas(_ *http.Request, c scim.Connection) (int, any, error) {
	all := scim.Schemas(s.SCIM.SCIMEndpoint(c.ConnectionID))
	return http.StatusOK, scim.ListResponse(all, len(all), 1), nil
}

func (s *Server) scimSchema(r *http.Request, c scim.Connection) (int, any, error) {
	return byID(scim.Schemas(s.SCIM.SCIMEndpoint(c.ConnectionID)), r.PathValue("id"), "schema")
}

func byID(docs []map[string]any, id, what string) (int, any, error) {
	for _, d := range docs {
		if strings.EqualFold(d["id"].(string), id) {
			return http.StatusOK, d, nil
		}
	}
	return 0, nil, scim.Errorf(http.StatusNotFound, "", "No %s %q.", what, id)
}
