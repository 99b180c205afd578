// Package discovery lists where a proven email may go (with an intermediate session or a
// session) and creates an organization with the person as its first member.
package discovery
