package api

// Route is one API route. Method and Path use the syntax both net/http.ServeMux and API
// Gateway HTTP APIs accept ("POST /v1/b2b/organizations/{organization_id}"), so this one table
// drives the local gateway, each Lambda's handler and the CDK stack.
type Route struct {
	Method   string
	Path     string
	Function string // the Lambda function that serves it (functions/<Function>)
	Public   bool   // served without project credentials
	handle   handlerFunc
}

// Function names, one per folder under functions/.
const (
	FunctionOrganizations = "organizations"
	FunctionSessions      = "sessions"
	FunctionMagicLinks    = "magiclinks"
)

// Routes is every route Latchkey serves.
var Routes = []Route{
	{"POST", "/v1/b2b/organizations", FunctionOrganizations, false, (*Server).createOrganization},
	{"POST", "/v1/b2b/organizations/search", FunctionOrganizations, false, (*Server).searchOrganizations},
	{"GET", "/v1/b2b/organizations/{organization_id}", FunctionOrganizations, false, (*Server).getOrganization},
	{"PUT", "/v1/b2b/organizations/{organization_id}", FunctionOrganizations, false, (*Server).updateOrganization},
	{"DELETE", "/v1/b2b/organizations/{organization_id}", FunctionOrganizations, false, (*Server).deleteOrganization},

	{"POST", "/v1/b2b/organizations/{organization_id}/members", FunctionOrganizations, false, (*Server).createMember},
	{"GET", "/v1/b2b/organizations/{organization_id}/member", FunctionOrganizations, false, (*Server).getMember},
	{"PUT", "/v1/b2b/organizations/{organization_id}/members/{member_id}", FunctionOrganizations, false, (*Server).updateMember},
	{"DELETE", "/v1/b2b/organizations/{organization_id}/members/{member_id}", FunctionOrganizations, false, (*Server).deleteMember},
	{"PUT", "/v1/b2b/organizations/{organization_id}/members/{member_id}/reactivate", FunctionOrganizations, false, (*Server).reactivateMember},
	{"GET", "/v1/b2b/organizations/members/dangerously_get/{member_id}", FunctionOrganizations, false, (*Server).dangerouslyGetMember},
	{"POST", "/v1/b2b/organizations/members/search", FunctionOrganizations, false, (*Server).searchMembers},

	{"POST", "/v1/b2b/magic_links/email/login_or_signup", FunctionMagicLinks, false, (*Server).loginOrSignup},
	{"POST", "/v1/b2b/magic_links/email/invite", FunctionMagicLinks, false, (*Server).invite},
	{"POST", "/v1/b2b/magic_links/authenticate", FunctionMagicLinks, false, (*Server).authenticateMagicLink},

	{"POST", "/v1/b2b/sessions/authenticate", FunctionSessions, false, (*Server).authenticateSession},
	{"GET", "/v1/b2b/sessions", FunctionSessions, false, (*Server).getSessions},
	{"POST", "/v1/b2b/sessions/revoke", FunctionSessions, false, (*Server).revokeSession},
	// stytch-go fetches the JWKS without credentials when a client is created.
	{"GET", "/v1/b2b/sessions/jwks/{project_id}", FunctionSessions, true, (*Server).jwks},
}

// Functions lists the function names that own at least one route, in table order.
func Functions() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range Routes {
		if !seen[r.Function] {
			seen[r.Function] = true
			out = append(out, r.Function)
		}
	}
	return out
}
