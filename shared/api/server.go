// Package api serves Latchkey over HTTP in Stytch's B2B wire format. Every route is in the
// table in routes.go; every response goes through respond.go.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
	"github.com/latchkey/latchkey/shared/callcount"
	"github.com/latchkey/latchkey/shared/discovery"
	"github.com/latchkey/latchkey/shared/events"
	"github.com/latchkey/latchkey/shared/magiclink"
	"github.com/latchkey/latchkey/shared/mfa"
	"github.com/latchkey/latchkey/shared/oauth"
	"github.com/latchkey/latchkey/shared/orgs"
	"github.com/latchkey/latchkey/shared/otp"
	"github.com/latchkey/latchkey/shared/passwords"
	"github.com/latchkey/latchkey/shared/rbac"
	"github.com/latchkey/latchkey/shared/scim"
	"github.com/latchkey/latchkey/shared/sessionmigrate"
	"github.com/latchkey/latchkey/shared/sso"
	"github.com/latchkey/latchkey/shared/tokens"
)

// handlerFunc returns the response body to write with 200, or an error to render.
type handlerFunc func(s *Server, r *http.Request) (stamper, error)

// Server holds what the handlers need.
type Server struct {
	ProjectID  string
	Orgs       *orgs.Service
	Sessions   *authn.Service
	MagicLinks *magiclink.Service
	OTPs       *otp.Service
	Passwords  *passwords.Service
	MFA        *mfa.Service
	Discovery  *discovery.Service
	SCIM       *scim.Service
	SSO        *sso.Service
	OAuth      *oauth.Service
	// Migrate is Sessions.Migrate; nil (or no userinfo URL) answers that it is not configured.
	Migrate *sessionmigrate.Service
	// Webhooks manages webhook endpoints and reads the audit trail (shared/events).
	Webhooks *events.EndpointService
	// Policy is the project's RBAC policy (LATCHKEY_RBAC_POLICY merged with Stytch's defaults).
	Policy  rbac.Policy
	Keys    *tokens.KeySet
	Project *ProjectAuth
	Log     *slog.Logger
}

// Handler serves the routes of one function; with function "" it serves them all, plus
// GET /healthz, which is the local gateway.
func (s *Server) Handler(function string) http.Handler {
	mux := http.NewServeMux()
	var served []Route
	for _, rt := range Routes {
		if function == "" || rt.Function == function {
			served = append(served, rt)
		}
	}
	for _, group := range groups(served) {
		if len(group) == 1 {
			mux.Handle(group[0].Method+" "+group[0].Path, s.endpoint(group[0]))
			continue
		}
		handlers := make([]http.Handler, len(group))
		for i, rt := range group {
			handlers[i] = s.endpoint(rt)
		}
		mux.Handle(combined(group), pick(group, handlers))
	}
	if function == "" {
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, r, http.StatusOK, &envelope{})
		})
	}
	return s.observe(notFoundJSON(mux))
}

func (s *Server) endpoint(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !rt.Public {
			if err := s.Project.Check(r); err != nil {
				writeError(w, r, err)
				return
			}
		}
		// SCIM answers over-long values in its own shape (scimServe); every other route here.
		if !strings.HasPrefix(rt.Path, "/scim/") {
			if err := checkKeyLengths(rt, r); err != nil {
				writeError(w, r, err)
				return
			}
		}
		// Slugs and external ids become ids before anything (RBAC enforcement included) reads them.
		if refsFor(rt) {
			if err := s.resolveRefs(rt, r); err != nil {
				writeError(w, r, err)
				return
			}
		}
		if g, ok := enforced[rt.Method+" "+rt.Path]; ok {
			if token, jwt := memberSession(r); token != "" || jwt != "" {
				if err := s.enforce(r, g); err != nil {
					writeError(w, r, err)
					return
				}
			}
		}
		if rt.serve != nil {
			rt.serve(s, w, r)
			return
		}
		body, err := rt.handle(s, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, r, http.StatusOK, body)
	})
}

// notFoundJSON answers unknown paths (404) and wrong methods (405) in the Stytch error shape
// rather than ServeMux's plain text. Methods are looked up in the whole route table, not only in
// this function's routes: on API Gateway a wrong method on another function's path reaches the
// catch-all function, which must still answer 405 with that path's Allow header.
func notFoundJSON(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		routeMiss(w, r)
	})
}

// routeMiss answers a request no route here serves: 405 with Allow when some route has its
// path with another method. A route of another function, method and all, is a 404 here: this
// function does not serve it (API Gateway never sends it here).
func routeMiss(w http.ResponseWriter, r *http.Request) {
	if allow := allowedMethods(r.URL.Path); len(allow) > 0 && !slices.Contains(allow, r.Method) {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, r, latchkey.Errorf(http.StatusMethodNotAllowed, latchkey.TypeMethodNotAllowed,
			"Method %s is not allowed on this route.", r.Method))
		return
	}
	writeError(w, r, latchkey.Errorf(http.StatusNotFound, latchkey.TypeRouteNotFound, "Route %s %s not found.", r.Method, r.URL.Path))
}

// allowedMethods lists the methods of every route whose path matches, in table order.
func allowedMethods(path string) []string {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/") // a trailing slash is a segment of its own, as ServeMux has it
	var allow []string
	for _, rt := range Routes {
		pattern := segments(rt.Path)
		ok := len(pattern) == len(segs)
		for k := 0; ok && k < len(pattern); k++ {
			ok = pattern[k] == segs[k] || wildcard(pattern[k]) && segs[k] != ""
		}
		if ok && !slices.Contains(allow, rt.Method) {
			allow = append(allow, rt.Method)
		}
	}
	return allow
}

// requestInfo is filled in as a request is served and logged when it ends.
type requestInfo struct {
	RequestID      string
	OrganizationID string
	ErrorType      string
	Err            error
}

type infoKey struct{}

func info(r *http.Request) *requestInfo {
	if in, ok := r.Context().Value(infoKey{}).(*requestInfo); ok {
		return in
	}
	return &requestInfo{}
}

// setOrg records the organization a request is about, for the log line.
func setOrg(r *http.Request, orgID string) { info(r).OrganizationID = orgID }

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// observe gives each request an id and a DynamoDB call counter, and logs one JSON line when it
// ends. The line never holds a body, a token or a secret.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		in := &requestInfo{RequestID: "request-id-" + uuid.NewString()}
		ctx, calls := callcount.With(context.WithValue(r.Context(), infoKey{}, in))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		r = r.WithContext(ctx)
		next.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		attrs := []slog.Attr{
			slog.String("request_id", in.RequestID),
			slog.String("route", route),
			slog.String("organization_id", in.OrganizationID),
			slog.Int("status", rec.status),
			slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000),
			slog.Int("dynamodb_calls", calls.Total()),
			slog.String("dynamodb_ops", calls.String()),
		}
		if rcu, wcu := calls.Capacity(); rcu+wcu > 0 {
			attrs = append(attrs, slog.Float64("dynamodb_rcu", rcu), slog.Float64("dynamodb_wcu", wcu))
		}
		level := slog.LevelInfo
		if in.ErrorType != "" {
			attrs = append(attrs, slog.String("error_type", in.ErrorType))
		}
		if in.Err != nil {
			level = slog.LevelError
			attrs = append(attrs, slog.String("error", in.Err.Error()))
		}
		s.Log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}
