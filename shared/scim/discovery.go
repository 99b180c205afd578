package scim

// The discovery documents (RFC 7644 §4, RFC 7643 §5-7) for one connection's endpoint.

// MaxResults is the most resources one query returns; a larger count is lowered to it.
const MaxResults = 200

// ServiceProviderConfig says what this server supports.
func ServiceProviderConfig(endpoint string) map[string]any {
	return map[string]any{
		"schemas":          []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"documentationUri": "https://github.com/latchkey/latchkey#connect-okta--entra-id-via-scim",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": MaxResults},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": false},
		"etag":             map[string]any{"supported": false},
		"authenticationSchemes": []any{map[string]any{
			"type": "oauthbearertoken", "name": "Bearer token", "primary": true,
			"description": "The connection's bearer token, from the SCIM connection API, in an Authorization: Bearer header.",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": endpoint + "/ServiceProviderConfig"},
	}
}

// ResourceTypes lists User and Group.
func ResourceTypes(endpoint string) []map[string]any {
	return []map[string]any{
		{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"},
			"id":      User, "name": User, "endpoint": "/Users", "description": "A member of the organization",
			"schema":           UserSchema,
			"schemaExtensions": []any{map[string]any{"schema": EnterpriseSchema, "required": false}},
			"meta":             map[string]any{"resourceType": "ResourceType", "location": endpoint + "/ResourceTypes/User"},
		},
		{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"},
			"id":      Group, "name": Group, "endpoint": "/Groups", "description": "A group of members; it may give them roles",
			"schema":           GroupSchema,
			"schemaExtensions": []any{},
			"meta":             map[string]any{"resourceType": "ResourceType", "location": endpoint + "/ResourceTypes/Group"},
		},
	}
}

// attr describes one attribute of a schema.
type attr struct {
	name, typ   string
	multi, req  bool
	exact       bool
	mutability  string // readWrite when empty
	returned    string // default when empty
	uniqueness  string // none when empty
	description string
	subs        []attr
}

func (a attr) doc() map[string]any {
	d := map[string]any{
		"name": a.name, "type": a.typ, "multiValued": a.multi, "required": a.req, "caseExact": a.exact,
		"mutability": or(a.mutability, "readWrite"), "returned": or(a.returned, "default"),
		"uniqueness": or(a.uniqueness, "none"), "description": a.description,
	}
	if a.typ == "reference" {
		d["referenceTypes"] = []string{"User", "Group", "external"}
	}
	if len(a.subs) > 0 {
		subs := make([]map[string]any, 0, len(a.subs))
		for _, s := range a.subs {
			subs = append(subs, s.doc())
		}
		d["subAttributes"] = subs
	}
	return d
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func str1(name, description string) attr {
	return attr{name: name, typ: "string", description: description}
}

// multiValued are the sub-attributes of a multi-valued attribute such as emails.
func multiValued(name, description string) attr {
	return attr{name: name, typ: "complex", multi: true, description: description, subs: []attr{
		str1("value", "The value."), str1("display", "A human-readable name."), str1("type", "A label such as work or home."),
		{name: "primary", typ: "boolean", description: "Whether this is the primary value."},
	}}
}

var schemaAttributes = map[string][]attr{
	UserSchema: {
		{name: "userName", typ: "string", req: true, uniqueness: "server",
			description: "Unique within the organization, case-insensitively. The member's email when it has no emails."},
		{name: "name", typ: "complex", description: "The member's name is givenName familyName, else formatted.", subs: []attr{
			str1("formatted", "The full name."), str1("familyName", "Family name."), str1("givenName", "Given name."),
			str1("middleName", "Middle name."), str1("honorificPrefix", "Prefix."), str1("honorificSuffix", "Suffix."),
		}},
		str1("displayName", "The member's name when name is absent."),
		str1("nickName", "Casual name."), {name: "profileUrl", typ: "reference", description: "Profile page."},
		str1("title", "Job title."), str1("userType", "Kind of user."), str1("preferredLanguage", "Preferred language."),
		str1("locale", "Locale."), str1("timezone", "Time zone."),
		{name: "active", typ: "boolean", description: "false deletes the member and revokes its sessions; true reactivates it."},
		{name: "password", typ: "string", mutability: "writeOnly", returned: "never", description: "Accepted and discarded."},
		multiValued("emails", "The primary (else work, else first) email is the member's email_address."),
		multiValued("phoneNumbers", "Phone numbers."), multiValued("ims", "Instant messaging addresses."),
		multiValued("photos", "Photos."),
		{name: "addresses", typ: "complex", multi: true, description: "Addresses.", subs: []attr{
			str1("formatted", "Full address."), str1("streetAddress", "Street."), str1("locality", "City."),
			str1("region", "Region."), str1("postalCode", "Postal code."), str1("country", "Country."), str1("type", "Label."),
			{name: "primary", typ: "boolean", description: "Whether this is the primary address."},
		}},
		{name: "groups", typ: "complex", multi: true, mutability: "readOnly", description: "The groups the member is in.",
			subs: []attr{{name: "value", typ: "string", mutability: "readOnly", description: "Group id."},
				{name: "$ref", typ: "reference", mutability: "readOnly", description: "Group URI."}}},
		multiValued("entitlements", "Entitlements."), multiValued("roles", "Roles (stored, not Latchkey roles)."),
		multiValued("x509Certificates", "Certificates."),
	},
	EnterpriseSchema: {
		str1("employeeNumber", "Employee number."), str1("costCenter", "Cost center."), str1("organization", "Organization."),
		str1("division", "Division."), str1("department", "Department."),
		{name: "manager", typ: "complex", description: "The user's manager.", subs: []attr{
			str1("value", "The manager's id."), {name: "$ref", typ: "reference", description: "The manager's URI."},
			{name: "displayName", typ: "string", mutability: "readOnly", description: "The manager's name."},
		}},
	},
	GroupSchema: {
		{name: "displayName", typ: "string", req: true, uniqueness: "server",
			description: "Unique within the organization, case-insensitively."},
		{name: "members", typ: "complex", multi: true, description: "Members of the group: ids of users.", subs: []attr{
			{name: "value", typ: "string", mutability: "immutable", description: "User id."},
			{name: "$ref", typ: "reference", mutability: "immutable", description: "User URI."},
			{name: "type", typ: "string", mutability: "immutable", description: "User."},
		}},
	},
}

var schemaNames = map[string]string{UserSchema: "User", EnterpriseSchema: "EnterpriseUser", GroupSchema: "Group"}

// Schemas describes the User, enterprise User extension and Group schemas.
func Schemas(endpoint string) []map[string]any {
	out := []map[string]any{}
	for _, id := range []string{UserSchema, EnterpriseSchema, GroupSchema} {
		attrs := make([]map[string]any, 0, len(schemaAttributes[id]))
		for _, a := range schemaAttributes[id] {
			attrs = append(attrs, a.doc())
		}
		out = append(out, map[string]any{
			"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Schema"},
			"id":          id,
			"name":        schemaNames[id],
			"description": schemaNames[id],
			"attributes":  attrs,
			"meta":        map[string]any{"resourceType": "Schema", "location": endpoint + "/Schemas/" + id},
		})
	}
	return out
}
