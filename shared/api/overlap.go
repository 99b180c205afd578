package api

import (
	"net/http"
	"strings"
)

// Stytch's paths include pairs that net/http.ServeMux refuses to register together, such as
// DELETE …/members/{member_id}/totp and DELETE …/members/passwords/{member_password_id}: each
// has a literal where the other has a wildcard. API Gateway takes both and picks the route
// with more literal segments, so the mux does the same here: overlapping routes are served
// through one pattern with a wildcard wherever they differ, which picks among them.

// segments splits a route path.
func segments(path string) []string { return strings.Split(strings.Trim(path, "/"), "/") }

func wildcard(seg string) bool { return strings.HasPrefix(seg, "{") }

// overlap tells whether a and b would both match some path.
func overlap(a, b Route) bool {
	sa, sb := segments(a.Path), segments(b.Path)
	if a.Method != b.Method || len(sa) != len(sb) || a.Path == b.Path {
		return false
	}
	for i := range sa {
		if !wildcard(sa[i]) && !wildcard(sb[i]) && sa[i] != sb[i] {
			return false
		}
	}
	return true
}

// groups splits routes into singles and groups of overlapping routes.
func groups(routes []Route) [][]Route {
	var out [][]Route
	placed := make([]bool, len(routes))
	for i, rt := range routes {
		if placed[i] {
			continue
		}
		group := []Route{rt}
		placed[i] = true
		// Until nothing joins: a route that overlaps any member joins, whatever the order.
		for grew := true; grew; {
			grew = false
			for j := i + 1; j < len(routes); j++ {
				if placed[j] {
					continue
				}
				for _, g := range group {
					if overlap(g, routes[j]) {
						group, placed[j], grew = append(group, routes[j]), true, true
						break
					}
				}
			}
		}
		out = append(out, group)
	}
	return out
}

// combined is one pattern covering every route of an overlapping group: a wildcard
// ({s<i>}) wherever they differ.
func combined(group []Route) string {
	first := segments(group[0].Path)
	out := make([]string, len(first))
	for i, seg := range first {
		out[i] = seg
		for _, rt := range group[1:] {
			if segments(rt.Path)[i] != seg {
				out[i] = "{s" + string(rune('a'+i)) + "}"
				break
			}
		}
		if wildcard(seg) {
			out[i] = "{s" + string(rune('a'+i)) + "}"
		}
	}
	// No method: the group's routes may differ in it, and pick answers a method none of them
	// takes, as ServeMux would.
	return "/" + strings.Join(out, "/")
}

// pick serves a request with the most specific route of the group that matches its path
// (most literal segments, as API Gateway chooses), with that route's path values set.
func pick(group []Route, handlers []http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := segments(r.URL.Path)
		best, bestLiterals := -1, -1
		for i, rt := range group {
			segs := segments(rt.Path)
			literals, ok := 0, len(segs) == len(path)
			for k := 0; ok && k < len(segs); k++ {
				switch {
				case wildcard(segs[k]):
				case segs[k] == path[k]:
					literals++
				default:
					ok = false
				}
			}
			if ok && rt.Method == r.Method && literals > bestLiterals {
				best, bestLiterals = i, literals
			}
		}
		if best < 0 {
			routeMiss(w, r)
			return
		}
		for k, seg := range segments(group[best].Path) {
			if wildcard(seg) {
				r.SetPathValue(strings.Trim(seg, "{}"), path[k])
			}
		}
		handlers[best].ServeHTTP(w, r)
	})
}
