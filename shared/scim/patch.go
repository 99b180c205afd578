package scim

import (
	"reflect"
	"slices"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// PatchRequest is the body of a PATCH (RFC 7644 §3.5.2).
type PatchRequest struct {
	Schemas    []string    `json:"schemas"`
	Operations []Operation `json:"Operations"`
}

// Operation is one PATCH operation. Op is matched in any case ("Replace", "add"), as Entra ID
// capitalises it.
type Operation struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// ApplyPatch returns the resource with the operations applied, in order. Attributes the
// server owns (id, meta, schemas, a user's groups) are left alone, whatever the operations
// say: Okta repeats the id in its group replace. The caller validates the result.
func ApplyPatch(res map[string]any, p PatchRequest, resourceType string) (map[string]any, error) {
	if len(p.Operations) == 0 {
		return nil, badRequest(InvalidSyntax, "Operations must list at least one operation.")
	}
	out := Canonical(deepCopy(res).(map[string]any), resourceType)
	for _, o := range p.Operations {
		op := strings.ToLower(strings.TrimSpace(o.Op))
		if op != "add" && op != "replace" && op != "remove" {
			return nil, badRequest(InvalidSyntax, "op %q is not add, replace or remove.", o.Op)
		}
		path := strings.TrimSpace(o.Path)
		if path != "" {
			if err := applyPath(out, path, op, o.Value, resourceType); err != nil {
				return nil, err
			}
			continue
		}
		if op == "remove" {
			return nil, badRequest(NoTarget, "A remove operation needs a path.")
		}
		obj, ok := o.Value.(map[string]any)
		if !ok {
			return nil, badRequest(InvalidValue, "Without a path, the value of an operation must be an object of attributes.")
		}
		// No path: each key is an attribute, or a path ("name.givenName", as Entra ID sends),
		// or an extension URN with an object of the extension's attributes.
		for _, k := range sortedKeys(obj) {
			v := obj[k]
			if u := canonicalURN(k); u == UserSchema || u == GroupSchema {
				if m, ok := v.(map[string]any); ok {
					for _, kk := range sortedKeys(m) {
						if err := applyPath(out, kk, op, m[kk], resourceType); err != nil {
							return nil, err
						}
					}
					continue
				}
			}
			if err := applyPath(out, k, op, v, resourceType); err != nil {
				return nil, err
			}
		}
	}
	return Canonical(out, resourceType), nil
}

func isExtensionURN(s string) bool { return canonicalURN(s) == EnterpriseSchema }

func applyPath(res map[string]any, path, op string, value any, resourceType string) error {
	if isExtensionURN(path) {
		// The whole extension object.
		u := canonicalURN(path)
		if op == "remove" {
			delete(res, u)
			return nil
		}
		m, ok := value.(map[string]any)
		if !ok {
			return badRequest(InvalidValue, "The value for %s must be an object.", u)
		}
		ext := ensureMap(res, u)
		for _, k := range sortedKeys(m) {
			setAttribute(ext, canonicalName(k, enterpriseAttributes), op, m[k])
		}
		return nil
	}
	if len(path) > MaxPathLength {
		return badRequest(InvalidPath, "A path may be at most %d characters.", MaxPathLength)
	}
	p, err := filter.ParsePath([]byte(path))
	if err != nil {
		return badRequest(InvalidPath, "The path %q is not valid.", path)
	}
	container, names, core := res, attributesOf(resourceType), true
	if uri := p.AttributePath.URI(); uri != "" {
		switch u := canonicalURN(uri); {
		case u == UserSchema || u == GroupSchema:
		case u == EnterpriseSchema:
			names, core = enterpriseAttributes, false
			_, ext, _ := lookup(res, u)
			container, _ = ext.(map[string]any)
			if container == nil {
				if op == "remove" {
					return nil
				}
				container = ensureMap(res, u)
			}
		default:
			return badRequest(InvalidPath, "The path %q names an unknown schema.", path)
		}
	}
	name := canonicalName(p.AttributePath.AttributeName, names)
	if core && slices.Contains(readOnly, name) {
		return nil
	}
	if p.ValueExpression != nil {
		return applyFiltered(container, name, p.ValueExpression, p.SubAttributeName(), op, value)
	}
	if sub := p.AttributePath.SubAttributeName(); sub != "" {
		applySub(container, name, sub, op, value)
		return nil
	}
	if op == "remove" {
		removeAttribute(container, name, value)
		return nil
	}
	setAttribute(container, name, op, value)
	return nil
}

func ensureMap(res map[string]any, key string) map[string]any {
	if m, ok := res[key].(map[string]any); ok {
		return m
	}
	m := map[string]any{}
	res[key] = m
	return m
}

func subName(attr, sub string) string {
	subs, ok := subAttributes[attr]
	if !ok {
		subs = multiValuedSubs
	}
	return canonicalName(sub, subs)
}

// setAttribute adds or replaces a whole attribute. Adding to a multi-valued attribute appends
// the values not already there; a complex value is merged into the existing one, leaving
// sub-attributes it does not name as they were (RFC 7644 §3.5.2.1 and .3). Replacing a
// multi-valued attribute replaces all its values.
func setAttribute(container map[string]any, name, op string, value any) {
	value = canonicalValue(name, value)
	_, existing, _ := lookup(container, name)
	switch cur := existing.(type) {
	case []any:
		if op == "add" {
			for _, v := range elements(value) {
				if !slices.ContainsFunc(cur, func(e any) bool { return sameValue(e, v) }) {
					cur = append(cur, v)
				}
			}
			container[name] = cur
			return
		}
	case map[string]any:
		if m, ok := value.(map[string]any); ok {
			for k, v := range m {
				cur[k] = v
			}
			return
		}
	}
	container[name] = value
}

// sameValue compares two values of a multi-valued attribute: by their "value" when they have
// one (a group member is its user id, whatever else is sent), otherwise entirely.
func sameValue(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		_, av, aHas := lookup(am, "value")
		_, bv, bHas := lookup(bm, "value")
		if aHas && bHas {
			return reflect.DeepEqual(av, bv)
		}
	}
	return reflect.DeepEqual(a, b)
}

// removeAttribute removes an attribute, or, when the operation has a value and the attribute
// is multi-valued, only the values it lists: Entra ID removes group members with
// {"op":"Remove","path":"members","value":[{"value":"<id>"}]}.
func removeAttribute(container map[string]any, name string, value any) {
	key, existing, ok := lookup(container, name)
	if !ok {
		return
	}
	cur, isList := existing.([]any)
	if value == nil || !isList {
		delete(container, key)
		return
	}
	remove := elements(value)
	container[key] = slices.DeleteFunc(cur, func(e any) bool {
		return slices.ContainsFunc(remove, func(r any) bool { return sameValue(e, r) })
	})
}

// applySub sets or removes one sub-attribute (name.givenName); on a multi-valued attribute
// it applies to every value.
func applySub(container map[string]any, name, sub, op string, value any) {
	sub = subName(name, sub)
	key, existing, ok := lookup(container, name)
	switch cur := existing.(type) {
	case map[string]any:
		setOrDelete(cur, sub, op, canonicalValue(sub, value))
	case []any:
		for _, e := range cur {
			if m, ok := e.(map[string]any); ok {
				setOrDelete(m, sub, op, canonicalValue(sub, value))
			}
		}
	default:
		if op != "remove" {
			container[key] = map[string]any{sub: canonicalValue(sub, value)}
		} else if ok {
			delete(container, key)
		}
	}
}

func setOrDelete(m map[string]any, key, op string, value any) {
	k, _, _ := lookup(m, key)
	if op == "remove" {
		delete(m, k)
		return
	}
	m[k] = value
}

// applyFiltered applies an operation to the values of a multi-valued attribute that a filter
// selects (members[value eq "…"], emails[type eq "work"].value). An add or replace that
// selects nothing through a plain equality creates the value: Entra ID sets a new user's work
// email with replace emails[type eq "work"].value.
func applyFiltered(container map[string]any, name string, f Filter, sub, op string, value any) error {
	key, existing, _ := lookup(container, name)
	var list []any
	if existing != nil {
		list = elements(existing)
	}
	if sub != "" {
		sub = subName(name, sub)
	}
	matched := 0
	out := make([]any, 0, len(list))
	for _, e := range list {
		m, isMap := e.(map[string]any)
		if !isMap || !Matches(f, m) {
			out = append(out, e)
			continue
		}
		matched++
		switch {
		case op == "remove" && sub == "":
			continue // drop the value
		case sub != "":
			setOrDelete(m, sub, op, canonicalValue(sub, value))
		default:
			if v, ok := canonicalValue(name, value).(map[string]any); ok {
				for k, vv := range v {
					m[k] = vv
				}
			}
		}
		out = append(out, m)
	}
	if matched == 0 && op != "remove" {
		attr, want, ok := equality(f)
		if !ok {
			return badRequest(NoTarget, "The filter on %s selects no value.", name)
		}
		el := map[string]any{subName(name, attr): want}
		if sub != "" {
			el[sub] = canonicalValue(sub, value)
		} else if v, ok := canonicalValue(name, value).(map[string]any); ok {
			for k, vv := range v {
				el[k] = vv
			}
		}
		out = append(out, el)
	}
	container[key] = out
	return nil
}

// equality reads `attr eq value` (or an and of such) as the value it describes.
func equality(f Filter) (string, any, bool) {
	e, ok := f.(*filter.AttributeExpression)
	if !ok || e.Operator != filter.EQ || e.AttributePath.SubAttribute != nil || e.AttributePath.URIPrefix != nil {
		return "", nil, false
	}
	return e.AttributePath.AttributeName, compareValue(e.CompareValue), true
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}
